"""deploy/aws/provision.sh and teardown.sh, offline.

Every run gets a PATH holding only bash and, when a test wants one, a fake
`aws` that records its calls; the real AWS CLI is never found or needed.
"""
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AWS_DIR = ROOT / "deploy" / "aws"
PROVISION = AWS_DIR / "provision.sh"
TEARDOWN = AWS_DIR / "teardown.sh"
TEMPLATE = str(AWS_DIR / "website.yaml")

REQUIRED = ["--domain", "example.com", "--zone-id", "Z0123456789ABCDEFGHIJ",
            "--key-name", "my-key", "--ssh-cidr", "203.0.113.7/32",
            "--repo", "https://github.com/example/website.git"]
REQUIRED_OVERRIDES = ["DomainName=example.com", "HostedZoneId=Z0123456789ABCDEFGHIJ",
                      "KeyName=my-key", "SshCidr=203.0.113.7/32",
                      "RepoUrl=https://github.com/example/website.git"]
OUTPUTS_QUERY = "Stacks[0].Outputs[].[OutputKey,OutputValue]"

# Answers like the AWS CLI's, chosen by environment variables; every call is
# appended to $FAKE_AWS_LOG as one shell-quoted line.
FAKE_AWS = """#!/usr/bin/env bash
printf '%q ' aws "$@" >>"$FAKE_AWS_LOG"; echo >>"$FAKE_AWS_LOG"
case "$*" in
  *"sts get-caller-identity"*)
    if [ "$FAKE_STS" = ok ]; then echo arn:aws:iam::123456789012:user/me; exit 0; fi
    echo "Unable to locate credentials. You can configure credentials by running \\"aws configure\\"." >&2
    exit 253 ;;
  *"cloudformation deploy"*)
    [ "$FAKE_DEPLOY" = ok ] || { echo "Failed to create/update the stack" >&2; exit 255; }
    echo "Successfully created/updated stack - website" ;;
  *"cloudformation describe-stacks"*StackStatus*)
    [ "$FAKE_STACK" = present ] || { echo "Stack with id website does not exist" >&2; exit 254; }
    echo CREATE_COMPLETE ;;
  *"cloudformation describe-stacks"*)
    echo "|  SiteUrl  |  https://example.com/  |" ;;
  *"cloudformation delete-stack"* | *"cloudformation wait stack-delete-complete"*) ;;
  *) echo "fake aws: unexpected call: $*" >&2; exit 99 ;;
esac
"""


def make_path(tmp_path, with_aws):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "bash").symlink_to(shutil.which("bash"))
    if with_aws:
        (bin_dir / "aws").write_text(FAKE_AWS)
        (bin_dir / "aws").chmod(0o755)
    return bin_dir


def run(script, *args, tmp_path, with_aws=False, sts="ok", deploy="ok", stack="present",
        stdin=subprocess.DEVNULL):
    bin_dir = make_path(tmp_path, with_aws)
    log = tmp_path / "aws-calls"
    env = {"PATH": str(bin_dir), "FAKE_AWS_LOG": str(log), "FAKE_STS": sts,
           "FAKE_DEPLOY": deploy, "FAKE_STACK": stack, "HOME": str(tmp_path)}
    result = subprocess.run([str(script), *args], env=env, stdin=stdin, capture_output=True,
                            text=True, timeout=30, check=False)
    calls = [shlex.split(line) for line in log.read_text().splitlines()] if log.exists() else []
    return result, calls


def deploy_command(*overrides, stack="website", region=None):
    aws = ["aws"] + (["--region", region] if region else [])
    return aws + ["cloudformation", "deploy", "--stack-name", stack, "--template-file", TEMPLATE,
                  "--no-fail-on-empty-changeset", "--parameter-overrides",
                  *REQUIRED_OVERRIDES, *overrides]


# --- style ------------------------------------------------------------------

@pytest.mark.parametrize("script", [PROVISION, TEARDOWN], ids=lambda p: p.name)
def test_script_passes_shellcheck(script):
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.fail("shellcheck is not installed; run tests/system-deps.sh (make test does)")
    result = subprocess.run([shellcheck, str(script)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, f"shellcheck:\n{result.stdout}{result.stderr}"


FLAGS = {
    PROVISION: ["--domain", "--zone-id", "--key-name", "--ssh-cidr", "--repo", "--branch",
                "--email", "--instance-type", "--stack-name", "--region", "--dry-run", "--help"],
    TEARDOWN: ["--stack-name", "--region", "--yes", "--dry-run", "--help"],
}


@pytest.mark.parametrize("script", [PROVISION, TEARDOWN], ids=lambda p: p.name)
def test_script_is_executable_and_its_help_explains_every_flag(script, tmp_path):
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert text.rstrip().endswith('main "$@"')
    result, _ = run(script, "--help", tmp_path=tmp_path)
    assert result.returncode == 0
    explained = re.findall(r"^  (?:-h, )?(--[a-z-]+)\b", result.stdout, re.M)
    assert sorted(explained) == sorted(FLAGS[script])


# --- provision.sh --dry-run -------------------------------------------------

def test_dry_run_prints_the_deploy_command_with_required_parameters(tmp_path):
    result, calls = run(PROVISION, "--dry-run", *REQUIRED, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert shlex.split(lines[0]) == deploy_command()
    assert shlex.split(lines[1]) == ["aws", "cloudformation", "describe-stacks", "--stack-name",
                                     "website", "--query", OUTPUTS_QUERY, "--output", "table"]
    assert calls == [], "a dry run must not call aws"


def test_dry_run_passes_every_optional_parameter(tmp_path):
    result, _ = run(PROVISION, "--dry-run", *REQUIRED, "--branch", "release",
                    "--email=admin@example.com", "--instance-type", "t2.micro",
                    "--stack-name", "my-blog", "--region", "eu-west-1", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert shlex.split(result.stdout.splitlines()[0]) == deploy_command(
        "RepoBranch=release", "TlsEmail=admin@example.com", "InstanceType=t2.micro",
        stack="my-blog", region="eu-west-1")


def test_dry_run_quotes_values_so_the_line_can_be_pasted(tmp_path):
    result, _ = run(PROVISION, "--dry-run", *REQUIRED, "--key-name", "Jane's key (laptop)",
                    tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    command = shlex.split(result.stdout.splitlines()[0])
    assert "KeyName=Jane's key (laptop)" in command


@pytest.mark.parametrize("missing", ["--domain", "--zone-id", "--key-name", "--ssh-cidr",
                                     "--repo"])
def test_each_required_flag_is_required(missing, tmp_path):
    at = REQUIRED.index(missing)
    args = REQUIRED[:at] + REQUIRED[at + 2:]
    result, _ = run(PROVISION, "--dry-run", *args, tmp_path=tmp_path)
    assert result.returncode == 2
    assert f"{missing} is required" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("args, message", [
    (["--ssh-cidr", "203.0.113.7"], "--ssh-cidr must be an IPv4 CIDR"),
    (["--repo", "git@github.com:example/website.git"], "--repo must be an https URL"),
    (["--colour", "blue"], "unknown option: --colour"),
    (["--region"], "--region needs a value"),
    (["stray"], "unexpected argument: stray"),
])
def test_bad_arguments_are_rejected(args, message, tmp_path):
    result, _ = run(PROVISION, "--dry-run", *REQUIRED, *args, tmp_path=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr


# Each value the template would reject, by flag: (flag, parameter, value).
REJECTED = [
    ("--domain", "DomainName", "www.example.com"),
    ("--domain", "DomainName", "example"),
    ("--domain", "DomainName", "exa_mple.com"),
    ("--domain", "DomainName", "-example.com"),
    ("--domain", "DomainName", "example.c"),
    ("--domain", "DomainName", "http://example.com"),
    ("--zone-id", "HostedZoneId", "/hostedzone/Z0123456789ABCDEFGHIJ"),
    ("--zone-id", "HostedZoneId", "z0123456789abcdefghij"),
    ("--zone-id", "HostedZoneId", "Z0123-456"),
    ("--zone-id", "HostedZoneId", "Z" + "1" * 32),
    ("--key-name", "KeyName", "clé"),
    ("--key-name", "KeyName", "k" * 256),
    ("--ssh-cidr", "SshCidr", "203.0.113.7"),
    ("--ssh-cidr", "SshCidr", "203.0.113.256/32"),
    ("--ssh-cidr", "SshCidr", "203.0.113.7/33"),
    ("--ssh-cidr", "SshCidr", "203.0.113/24"),
    ("--ssh-cidr", "SshCidr", "2001:db8::/32"),
    ("--ssh-cidr", "SshCidr", "010.0.0.1/32"),
    ("--repo", "RepoUrl", "git@github.com:example/website.git"),
    ("--repo", "RepoUrl", "https://github.com/example/my website.git"),
    ("--repo", "RepoUrl", "https://github.com/example/'website'.git"),
    ("--branch", "RepoBranch", "-main"),
    ("--branch", "RepoBranch", "feature branch"),
    ("--branch", "RepoBranch", "main;reboot"),
    ("--email", "TlsEmail", "you"),
    ("--email", "TlsEmail", "you@example"),
    ("--email", "TlsEmail", "you@@example.com"),
    ("--instance-type", "InstanceType", "t3.nano"),
    ("--instance-type", "InstanceType", "m5.large"),
    ("--instance-type", "InstanceType", "T3.MICRO"),
    ("--stack-name", "", ""),
    ("--stack-name", "", "1website"),
    ("--stack-name", "", "my_website"),
    ("--region", "", "Europe"),
    ("--region", "", "eu-west"),
]


def template_parameters():
    from cfnlint.decode import decode
    data, problems = decode(TEMPLATE)
    assert not problems
    return data["Parameters"]


def template_accepts(parameter, value):
    """The template's own constraint (AllowedPattern or AllowedValues) on ``value``."""
    spec = template_parameters()[parameter]
    if "AllowedValues" in spec:
        return value in spec["AllowedValues"]
    if "AllowedPattern" in spec:
        return re.fullmatch(spec["AllowedPattern"], value) is not None
    # AWS-specific types, checked by AWS: Route 53 zone ids, and EC2 key pair
    # names (up to 255 ASCII characters).
    assert parameter in ("HostedZoneId", "KeyName"), parameter
    if parameter == "KeyName":
        return re.fullmatch(r"[ -~]{1,255}", value) is not None
    return re.fullmatch(r"Z[A-Z0-9]{1,31}", value) is not None


@pytest.mark.parametrize("flag, parameter, value", REJECTED)
def test_values_the_template_would_reject_are_refused_before_aws(flag, parameter, value, tmp_path):
    if parameter:
        assert not template_accepts(parameter, value)
    for dry_run in (["--dry-run"], []):
        result, calls = run(PROVISION, *dry_run, *REQUIRED, flag, value, tmp_path=tmp_path / str(len(dry_run)),
                            with_aws=True)
        assert result.returncode == 2, result.stderr
        assert f"error: {flag} " in result.stderr
        assert result.stdout == "" and calls == []


@pytest.mark.parametrize("flag, parameter, value", [
    ("--domain", "DomainName", "blog.example.co.uk"),
    ("--domain", "DomainName", "xn--caf-dma.example"),
    ("--ssh-cidr", "SshCidr", "0.0.0.0/0"),
    ("--ssh-cidr", "SshCidr", "255.255.255.255/32"),
    ("--repo", "RepoUrl", "https://user@git.example.com:8443/a/b.git"),
    ("--branch", "RepoBranch", "release/2.0"),
    ("--email", "TlsEmail", "first.last+blog@example.co.uk"),
    ("--instance-type", "InstanceType", "t3a.small"),
    ("--zone-id", "HostedZoneId", "Z2FDTNDATAQYW2"),
    ("--key-name", "KeyName", "my key (laptop)"),
])
def test_values_the_template_accepts_pass(flag, parameter, value, tmp_path):
    assert template_accepts(parameter, value)
    result, _ = run(PROVISION, "--dry-run", *REQUIRED, flag, value, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr


def test_instance_types_are_the_templates(tmp_path):
    allowed = template_parameters()["InstanceType"]["AllowedValues"]
    result, _ = run(PROVISION, "--dry-run", *REQUIRED, "--instance-type", "x", tmp_path=tmp_path)
    assert f"must be one of {' '.join(allowed)}," in result.stderr


def test_domain_is_lowercased_and_www_refused_with_the_apex_named(tmp_path):
    result, _ = run(PROVISION, "--dry-run", *REQUIRED, "--domain", "Example.COM.", tmp_path=tmp_path)
    assert result.returncode == 0 and "DomainName=example.com " in result.stdout
    result, _ = run(PROVISION, "--dry-run", *REQUIRED, "--domain", "www.example.com",
                    tmp_path=tmp_path / "www")
    assert "--domain takes the name without www: --domain example.com" in result.stderr


def test_ssh_open_to_the_world_is_allowed_but_warned_about(tmp_path):
    result, _ = run(PROVISION, "--dry-run", *REQUIRED, "--ssh-cidr", "0.0.0.0/0",
                    tmp_path=tmp_path)
    assert result.returncode == 0
    assert "whole internet" in result.stderr


# --- provision.sh, for real (against the fake aws) --------------------------

def test_missing_aws_cli_is_a_clear_error(tmp_path):
    result, _ = run(PROVISION, *REQUIRED, tmp_path=tmp_path, with_aws=False)
    assert result.returncode != 0
    assert "'aws' was not found on PATH" in result.stderr
    assert "install the AWS CLI" in result.stderr


def test_missing_credentials_stop_before_deploying(tmp_path):
    result, calls = run(PROVISION, *REQUIRED, "--region", "eu-west-1", tmp_path=tmp_path,
                        with_aws=True, sts="fail")
    assert result.returncode != 0
    assert "no usable AWS credentials" in result.stderr
    assert "Unable to locate credentials" in result.stderr
    assert calls == [["aws", "--region", "eu-west-1", "sts", "get-caller-identity",
                      "--query", "Arn", "--output", "text"]]


def test_deploy_runs_the_dry_run_command_then_prints_outputs(tmp_path):
    args = [*REQUIRED, "--email", "admin@example.com"]
    dry, _ = run(PROVISION, "--dry-run", *args, tmp_path=tmp_path / "dry")
    result, calls = run(PROVISION, *args, tmp_path=tmp_path / "real", with_aws=True)
    assert result.returncode == 0, result.stderr
    assert [call[1:3] for call in calls] == [["sts", "get-caller-identity"],
                                             ["cloudformation", "deploy"],
                                             ["cloudformation", "describe-stacks"]]
    assert calls[1] == shlex.split(dry.stdout.splitlines()[0])
    assert calls[2] == shlex.split(dry.stdout.splitlines()[1])
    assert "https://example.com/" in result.stdout


def test_failed_deploy_says_where_to_look(tmp_path):
    result, calls = run(PROVISION, *REQUIRED, tmp_path=tmp_path, with_aws=True, deploy="fail")
    assert result.returncode != 0
    assert "describe-stack-events --stack-name website" in result.stderr
    assert [call[1:3] for call in calls][-1] == ["cloudformation", "deploy"]


# --- teardown.sh ------------------------------------------------------------

def test_teardown_dry_run_prints_delete_and_wait(tmp_path):
    result, calls = run(TEARDOWN, "--dry-run", "--stack-name", "my-blog", "--region",
                        "us-east-2", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [shlex.split(line) for line in result.stdout.splitlines()] == [
        ["aws", "--region", "us-east-2", "cloudformation", "delete-stack",
         "--stack-name", "my-blog"],
        ["aws", "--region", "us-east-2", "cloudformation", "wait", "stack-delete-complete",
         "--stack-name", "my-blog"],
    ]
    assert calls == []


def test_teardown_deletes_and_waits_with_yes(tmp_path):
    result, calls = run(TEARDOWN, "--yes", tmp_path=tmp_path, with_aws=True)
    assert result.returncode == 0, result.stderr
    assert [call[1:4] for call in calls] == [
        ["sts", "get-caller-identity", "--query"],
        ["cloudformation", "describe-stacks", "--stack-name"],
        ["cloudformation", "delete-stack", "--stack-name"],
        ["cloudformation", "wait", "stack-delete-complete"],
    ]
    assert calls[2][-1] == calls[3][-1] == "website"


def test_teardown_will_not_delete_unasked_off_a_terminal(tmp_path):
    result, calls = run(TEARDOWN, tmp_path=tmp_path, with_aws=True)
    assert result.returncode != 0
    assert "pass --yes" in result.stderr
    assert not [call for call in calls if "delete-stack" in call]


def test_teardown_of_a_missing_stack_is_a_clear_error(tmp_path):
    result, calls = run(TEARDOWN, "--yes", "--stack-name", "nope", tmp_path=tmp_path,
                        with_aws=True, stack="absent")
    assert result.returncode != 0
    assert "no stack 'nope' found" in result.stderr
    assert not [call for call in calls if "delete-stack" in call]


def test_teardown_without_aws_cli_or_credentials(tmp_path):
    result, _ = run(TEARDOWN, "--yes", tmp_path=tmp_path / "no-cli")
    assert result.returncode != 0
    assert "'aws' was not found on PATH" in result.stderr
    result, calls = run(TEARDOWN, "--yes", tmp_path=tmp_path / "no-creds", with_aws=True,
                        sts="fail")
    assert result.returncode != 0
    assert "no usable AWS credentials" in result.stderr
    assert len(calls) == 1
