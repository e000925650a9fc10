"""provision-cdn.sh, teardown-cdn.sh and publish.sh's arguments: dry runs and a fake aws.

Offline: PATH holds bash and, when a test wants it, a fake `aws` that records
its calls. (publish.sh against a real AWS CLI and moto is in test_cdn_publish.py.)
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cdn_site import build_env, write_posts

ROOT = Path(__file__).resolve().parent.parent
AWS_DIR = ROOT / "deploy" / "aws"
PROVISION = AWS_DIR / "provision-cdn.sh"
TEARDOWN = AWS_DIR / "teardown-cdn.sh"
PUBLISH = AWS_DIR / "publish.sh"
CDN = str(AWS_DIR / "cdn.yaml")
CERTIFICATE = str(AWS_DIR / "cdn-certificate.yaml")
ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
REQUIRED = ["--domain", "example.com", "--zone-id", "Z0123456789ABCDEFGHIJ"]

FAKE_AWS = """#!/usr/bin/env bash
printf '%q ' aws "$@" >>"$FAKE_AWS_LOG"; echo >>"$FAKE_AWS_LOG"
case "$*" in
  *"sts get-caller-identity"*)
    if [ "$FAKE_STS" = ok ]; then echo arn:aws:iam::123456789012:user/me; exit 0; fi
    echo "Unable to locate credentials." >&2; exit 253 ;;
  *"cloudformation deploy"*cdn-certificate.yaml*)
    [ "$FAKE_CERT_DEPLOY" = ok ] || { echo "Failed to create/update the stack" >&2; exit 255; }
    echo "Successfully created/updated stack" ;;
  *"cloudformation deploy"*)
    echo "Successfully created/updated stack" ;;
  *"cloudformation describe-stacks"*CertificateArn*) echo "$FAKE_ARN" ;;
  *"cloudformation describe-stacks"*BucketName*)
    [ "$FAKE_STACK" = present ] || { echo "Stack website-cdn does not exist" >&2; exit 254; }
    echo website-cdn-sitebucket-1a2b3c ;;
  *"cloudformation describe-stacks"*) echo "|  SiteUrl  |  https://example.com/  |" ;;
  *"s3 rm"* | *"cloudformation delete-stack"* | *"cloudformation wait stack-delete-complete"*) ;;
  *) echo "fake aws: unexpected call: $*" >&2; exit 99 ;;
esac
"""


def run(script, *args, tmp_path, with_aws=False, sts="ok", cert_deploy="ok", stack="present",
        extra_env=None, path=None):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    if not (bin_dir / "bash").exists():
        (bin_dir / "bash").symlink_to(shutil.which("bash"))
    if with_aws:
        (bin_dir / "aws").write_text(FAKE_AWS)
        (bin_dir / "aws").chmod(0o755)
    log = tmp_path / "aws-calls"
    env = {"PATH": path or str(bin_dir), "FAKE_AWS_LOG": str(log), "FAKE_STS": sts,
           "FAKE_CERT_DEPLOY": cert_deploy, "FAKE_STACK": stack, "FAKE_ARN": ARN,
           "HOME": str(tmp_path), **(extra_env or {})}
    command = [str(script), *args] if script.suffix == ".sh" else ["bash", str(script), *args]
    result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=300, check=False)
    calls = [shlex.split(line) for line in log.read_text().splitlines()] if log.exists() else []
    return result, calls


FLAGS = {
    PROVISION: ["--domain", "--zone-id", "--price-class", "--stack-name", "--region",
                "--dry-run", "--help"],
    TEARDOWN: ["--stack-name", "--region", "--yes", "--dry-run", "--help"],
    PUBLISH: ["--stack-name", "--region", "--bucket", "--distribution-id", "--out",
              "--max-paths", "--dry-run", "--help"],
}


@pytest.mark.parametrize("script", list(FLAGS), ids=lambda p: p.name)
def test_script_is_executable_and_its_help_explains_every_flag(script, tmp_path):
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert text.rstrip().endswith('main "$@"')
    result, _ = run(script, "--help", tmp_path=tmp_path)
    assert result.returncode == 0
    explained = re.findall(r"^  (?:-h, )?(--[a-z-]+)\b", result.stdout, re.M)
    assert sorted(explained) == sorted(FLAGS[script])
    for flag in FLAGS[script]:
        assert re.search(rf"^\s*{flag}\)", text, re.M) or flag in ("--help", "--dry-run"), flag


# --- provision-cdn.sh --------------------------------------------------------

def site_deploy(*overrides, region=None, stack="website-cdn"):
    aws = ["aws"] + (["--region", region] if region else [])
    return aws + ["cloudformation", "deploy", "--stack-name", stack, "--template-file", CDN,
                  "--no-fail-on-empty-changeset", "--parameter-overrides",
                  "DomainName=example.com", "HostedZoneId=Z0123456789ABCDEFGHIJ",
                  *overrides, f"CertificateArn={ARN}"]


def cert_deploy(stack="website-cdn"):
    return ["aws", "--region", "us-east-1", "cloudformation", "deploy", "--stack-name",
            f"{stack}-certificate", "--template-file", CERTIFICATE,
            "--no-fail-on-empty-changeset", "--parameter-overrides",
            "DomainName=example.com", "HostedZoneId=Z0123456789ABCDEFGHIJ"]


def test_provision_deploys_the_certificate_in_us_east_1_then_the_site(tmp_path):
    result, calls = run(PROVISION, *REQUIRED, "--region", "eu-west-1", "--price-class",
                        "PriceClass_100", tmp_path=tmp_path, with_aws=True)
    assert result.returncode == 0, result.stderr
    assert [call[2:6] for call in calls] == [
        ["eu-west-1", "sts", "get-caller-identity", "--query"],
        ["us-east-1", "cloudformation", "deploy", "--stack-name"],
        ["us-east-1", "cloudformation", "describe-stacks", "--stack-name"],
        ["eu-west-1", "cloudformation", "deploy", "--stack-name"],
        ["eu-west-1", "cloudformation", "describe-stacks", "--stack-name"],
    ]
    assert calls[1] == cert_deploy()
    assert calls[3] == site_deploy("PriceClass=PriceClass_100", region="eu-west-1")
    assert "https://example.com/" in result.stdout
    assert "make publish" in result.stderr


def test_provision_dry_run_is_a_script_that_does_the_same(tmp_path):
    args = [*REQUIRED, "--stack-name", "my-blog", "--region", "eu-west-1"]
    dry, dry_calls = run(PROVISION, "--dry-run", *args, tmp_path=tmp_path / "dry")
    assert dry.returncode == 0, dry.stderr
    assert dry_calls == [], "a dry run must not call aws"
    assert len(dry.stdout.splitlines()) == 4
    plan = tmp_path / "plan.txt"
    plan.write_text("set -euo pipefail\n" + dry.stdout)
    replayed, replayed_calls = run(plan, tmp_path=tmp_path / "replay", with_aws=True)
    assert replayed.returncode == 0, replayed.stderr
    real, real_calls = run(PROVISION, *args, tmp_path=tmp_path / "real", with_aws=True)
    assert real.returncode == 0, real.stderr
    assert replayed_calls == [call for call in real_calls if "sts" not in call]
    assert real_calls[3] == site_deploy(region="eu-west-1", stack="my-blog")


@pytest.mark.parametrize("args, message", [
    (["--zone-id", "Z0123456789ABCDEFGHIJ"], "--domain is required"),
    (["--domain", "example.com"], "--zone-id is required"),
    ([*REQUIRED, "--domain", "Example.COM"], "lower-case domain"),
    ([*REQUIRED, "--domain", "www.example.com"], "try --domain example.com"),
    ([*REQUIRED, "--price-class", "PriceClass_1"], "--price-class must be"),
    ([*REQUIRED, "--colour", "blue"], "unknown option: --colour"),
    ([*REQUIRED, "--region"], "--region needs a value"),
])
def test_provision_rejects_bad_arguments(args, message, tmp_path):
    result, _ = run(PROVISION, "--dry-run", *args, tmp_path=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_provision_needs_the_cli_and_credentials(tmp_path):
    result, _ = run(PROVISION, *REQUIRED, tmp_path=tmp_path / "no-cli")
    assert result.returncode != 0
    assert "'aws' was not found on PATH" in result.stderr
    result, calls = run(PROVISION, *REQUIRED, tmp_path=tmp_path / "no-creds", with_aws=True,
                        sts="fail")
    assert result.returncode != 0
    assert "no usable AWS credentials" in result.stderr
    assert len(calls) == 1


def test_a_failed_certificate_stops_before_the_site_and_says_where_to_look(tmp_path):
    result, calls = run(PROVISION, *REQUIRED, tmp_path=tmp_path, with_aws=True,
                        cert_deploy="fail")
    assert result.returncode != 0
    assert ("aws --region us-east-1 cloudformation describe-stack-events --stack-name "
            "website-cdn-certificate") in result.stderr
    assert calls[-1] == cert_deploy()


# --- teardown-cdn.sh ---------------------------------------------------------

def test_teardown_empties_the_bucket_then_deletes_both_stacks(tmp_path):
    result, calls = run(TEARDOWN, "--yes", "--region", "eu-west-1", tmp_path=tmp_path,
                        with_aws=True)
    assert result.returncode == 0, result.stderr
    assert [call[3:6] for call in calls] == [
        ["sts", "get-caller-identity", "--query"],
        ["cloudformation", "describe-stacks", "--stack-name"],
        ["s3", "rm", "s3://website-cdn-sitebucket-1a2b3c/"],
        ["cloudformation", "delete-stack", "--stack-name"],
        ["cloudformation", "wait", "stack-delete-complete"],
        ["cloudformation", "delete-stack", "--stack-name"],
        ["cloudformation", "wait", "stack-delete-complete"],
    ]
    assert [call[2] for call in calls] == ["eu-west-1"] * 5 + ["us-east-1"] * 2
    assert calls[-1][-1] == "website-cdn-certificate"


def test_teardown_dry_run_is_a_script_that_does_the_same(tmp_path):
    dry, dry_calls = run(TEARDOWN, "--dry-run", tmp_path=tmp_path / "dry")
    assert dry.returncode == 0 and dry_calls == []
    plan = tmp_path / "plan.txt"
    plan.write_text("set -euo pipefail\n" + dry.stdout)
    replayed, replayed_calls = run(plan, tmp_path=tmp_path / "replay", with_aws=True)
    assert replayed.returncode == 0, replayed.stderr
    real, real_calls = run(TEARDOWN, "--yes", tmp_path=tmp_path / "real", with_aws=True)
    assert real.returncode == 0, real.stderr
    assert replayed_calls == real_calls[1:]


def test_teardown_asks_first_and_needs_the_stack(tmp_path):
    result, calls = run(TEARDOWN, tmp_path=tmp_path / "ask", with_aws=True)
    assert result.returncode != 0 and "pass --yes" in result.stderr
    assert not [call for call in calls if "rm" in call or "delete-stack" in call]
    result, calls = run(TEARDOWN, "--yes", "--stack-name", "nope", tmp_path=tmp_path / "none",
                        with_aws=True, stack="absent")
    assert result.returncode != 0 and "no stack 'nope' found" in result.stderr
    assert not [call for call in calls if "rm" in call or "delete-stack" in call]


# --- publish.sh's arguments and offline dry run -------------------------------

@pytest.mark.parametrize("args, message", [
    (["--bucket", "b"], "--bucket needs --distribution-id too"),
    (["--distribution-id", "E1"], "--distribution-id needs --bucket too"),
    (["--max-paths", "0"], "--max-paths must be a number from 1 to 3000"),
    (["--max-paths", "5000"], "--max-paths must be a number from 1 to 3000"),
    (["stray"], "unexpected argument: stray"),
])
def test_publish_rejects_bad_arguments(args, message, tmp_path):
    result, calls = run(PUBLISH, "--dry-run", *args, tmp_path=tmp_path, with_aws=True)
    assert result.returncode == 2
    assert message in result.stderr
    assert calls == []


def test_publish_dry_run_without_aws_plans_a_first_publish(tmp_path):
    """A new user's first try: no AWS CLI, no credentials, no stack yet."""
    posts = write_posts(tmp_path / "posts")
    env = {k: v for k, v in build_env(posts).items() if k.startswith("FLASK_")}
    env.update({"FLASK": str(Path(sys.executable).with_name("flask")),
                "PYTHON": sys.executable})
    path = f"{tmp_path / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin"
    out = tmp_path / "site"
    # The fake aws, first on PATH, has no credentials (and hides any real one).
    result, calls = run(PUBLISH, "--dry-run", "--out", str(out), tmp_path=tmp_path,
                        extra_env=env, path=path, with_aws=True, sts="fail")
    assert result.returncode == 0, result.stderr
    assert [call[1:3] for call in calls] == [["sts", "get-caller-identity"]]
    assert "planning a first publish, to an empty bucket" in result.stderr
    lines = [shlex.split(line) for line in result.stdout.splitlines()]
    assert lines and all(line[:3] == ["aws", "s3", "cp"] for line in lines)
    assert all(line[4] == "s3://<bucket of stack website-cdn>/" for line in lines)
    included = [line[i + 1] for line in lines for i, word in enumerate(line)
                if word == "--include"]
    assert "blog/slug-with-(parens).html" in included and "index.html" in included
    assert lines[-1][-1] == "index.html", "the home page goes last"
    assert not [line for line in lines if "create-invalidation" in line]
