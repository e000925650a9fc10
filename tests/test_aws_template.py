"""The CloudFormation template in deploy/aws/: lint, security rules, user data.

Offline: nothing here talks to AWS. The template is read with cfn-lint's own
decoder, which understands the short forms (!Ref, !Sub, !GetAtt).
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "aws" / "website.yaml"
PROVISION_LOG = "/var/log/website-provision.log"
APP_DIR = "/home/ubuntu/website"
WORLD = {"0.0.0.0/0", "::/0"}

SAMPLE = {
    "DomainName": "example.com",
    "HostedZoneId": "Z0123456789ABCDEFGHIJ",
    "KeyName": "my-key",
    "SshCidr": "203.0.113.7/32",
    "RepoUrl": "https://github.com/example/website.git",
    "RepoBranch": "main",
    "TlsEmail": "admin@example.com",
    "ElasticIp.PublicIp": "203.0.113.10",
    "AWS::StackName": "website",
    "AWS::Region": "eu-west-1",
    "AWS::Partition": "aws",
}


@pytest.fixture(scope="module")
def template():
    data, problems = decode(str(TEMPLATE))
    assert not problems, "\n".join(str(p) for p in problems)
    return data


def resources_of(template, kind):
    return {name: res for name, res in template["Resources"].items() if res["Type"] == kind}


def only_resource(template, kind):
    found = resources_of(template, kind)
    assert len(found) == 1, f"expected exactly one {kind}, found {sorted(found)}"
    return next(iter(found.items()))


def ref(name):
    return {"Ref": name}


def getatt(resource, attribute):
    return {"Fn::GetAtt": [resource, attribute]}


def render_sub(text, values):
    """Fn::Sub's string form: ${Name} and ${Res.Attr} replaced, ${!x} kept as ${x}."""
    def replace(match):
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        assert name in values, f"no sample value for ${{{name}}}"
        return values[name]
    return re.sub(r"\$\{([^}]*)\}", replace, text)


def sub_references(text):
    return {name for name in re.findall(r"\$\{([^}]*)\}", text) if not name.startswith("!")}


def user_data_source(template):
    _, instance = only_resource(template, "AWS::EC2::Instance")
    user_data = instance["Properties"]["UserData"]
    assert list(user_data) == ["Fn::Base64"]
    sub = user_data["Fn::Base64"]
    assert list(sub) == ["Fn::Sub"], "user data should be a plain !Sub string"
    assert isinstance(sub["Fn::Sub"], str)
    return sub["Fn::Sub"]


def user_data(template, **overrides):
    return render_sub(user_data_source(template), {**SAMPLE, **overrides})


def require_tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; run tests/system-deps.sh (make test does)")
    return path


# --- lint -------------------------------------------------------------------

def test_cfn_lint_passes():
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    assert cfn_lint.exists(), "cfn-lint missing: pip install -r requirements-dev.txt"
    result = subprocess.run([str(cfn_lint), "--", str(TEMPLATE)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"cfn-lint:\n{result.stdout}{result.stderr}"


# --- parameters -------------------------------------------------------------

def test_parameters_are_the_documented_ones(template):
    assert {"DomainName", "HostedZoneId", "KeyName", "InstanceType", "SshCidr",
            "RepoUrl", "RepoBranch", "TlsEmail"} <= set(template["Parameters"])


def test_ssh_cidr_has_no_default_and_a_strict_pattern(template):
    param = template["Parameters"]["SshCidr"]
    assert "Default" not in param, "SshCidr must be chosen, never defaulted"
    pattern = param["AllowedPattern"]
    for good in ("203.0.113.7/32", "198.51.100.0/24", "10.0.0.0/8"):
        assert re.fullmatch(pattern, good), good
    for bad in ("", "203.0.113.7", "203.0.113.7/33", "256.1.1.1/32", "example.com/32",
                "::/0", "203.0.113.7/32 ", "203.0.113.7/32'"):
        assert not re.fullmatch(pattern, bad), bad


def test_instance_type_defaults_to_a_free_tier_type_and_allows_t2_micro(template):
    param = template["Parameters"]["InstanceType"]
    assert param["Default"] in {"t3.micro", "t2.micro"}
    assert param["Default"] in param["AllowedValues"]
    assert "t2.micro" in param["AllowedValues"]


def test_tls_email_is_optional(template):
    param = template["Parameters"]["TlsEmail"]
    assert param["Default"] == ""
    assert re.fullmatch(param["AllowedPattern"], "")
    assert re.fullmatch(param["AllowedPattern"], "admin@example.com")
    assert not re.fullmatch(param["AllowedPattern"], "not an email")


def test_defaults_satisfy_their_own_constraints(template):
    for name, param in template["Parameters"].items():
        if "Default" not in param:
            continue
        if "AllowedPattern" in param:
            assert re.fullmatch(param["AllowedPattern"], param["Default"]), name
        if "AllowedValues" in param:
            assert param["Default"] in param["AllowedValues"], name


def test_ami_is_ubuntu_24_04_from_the_public_ssm_parameter(template):
    _, instance = only_resource(template, "AWS::EC2::Instance")
    image = instance["Properties"]["ImageId"]
    assert set(image) == {"Ref"}, "ImageId must come from a parameter, not a literal AMI id"
    param = template["Parameters"][image["Ref"]]
    assert param["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    assert param["Default"].startswith("/aws/service/canonical/ubuntu/server/24.04/stable/")
    assert "/amd64/" in param["Default"] and param["Default"].endswith("/ami-id")


# --- firewall ---------------------------------------------------------------

def ingress_rules(template):
    rules = []
    for name, group in resources_of(template, "AWS::EC2::SecurityGroup").items():
        rules += [(name, rule) for rule in group["Properties"].get("SecurityGroupIngress", [])]
    for name, res in resources_of(template, "AWS::EC2::SecurityGroupIngress").items():
        rules.append((name, res["Properties"]))
    return rules


def source_of(rule):
    sources = [key for key in ("CidrIp", "CidrIpv6", "SourceSecurityGroupId",
                               "SourceSecurityGroupName", "SourcePrefixListId") if key in rule]
    assert len(sources) == 1, f"rule needs exactly one source: {rule}"
    return rule[sources[0]]


def is_world(source):
    return isinstance(source, str) and source in WORLD


def ports_of(rule):
    if str(rule["IpProtocol"]) in {"-1", "all"}:
        return range(0, 65536)
    return range(int(rule["FromPort"]), int(rule["ToPort"]) + 1)


def test_only_http_and_https_are_open_to_the_world(template):
    open_to_world = set()
    for _, rule in ingress_rules(template):
        if is_world(source_of(rule)):
            assert rule["IpProtocol"] == "tcp", rule
            assert rule["FromPort"] == rule["ToPort"], f"port range open to the world: {rule}"
            open_to_world.add((rule["FromPort"], source_of(rule)))
    assert open_to_world == {(80, "0.0.0.0/0"), (80, "::/0"), (443, "0.0.0.0/0"), (443, "::/0")}


def test_ssh_is_open_only_to_the_ssh_cidr_parameter(template):
    ssh_sources = [source_of(rule) for _, rule in ingress_rules(template) if 22 in ports_of(rule)]
    assert ssh_sources == [ref("SshCidr")]


def test_every_rule_is_web_or_ssh(template):
    for _, rule in ingress_rules(template):
        source = source_of(rule)
        allowed = (is_world(source) and list(ports_of(rule)) in ([80], [443])) or \
                  (source == ref("SshCidr") and list(ports_of(rule)) == [22])
        assert allowed, f"unexpected ingress rule {rule}"


def test_the_server_is_behind_that_security_group_only(template):
    (group_name, _), = resources_of(template, "AWS::EC2::SecurityGroup").items()
    _, instance = only_resource(template, "AWS::EC2::Instance")
    props = instance["Properties"]
    assert "SecurityGroups" not in props and "NetworkInterfaces" not in props
    assert props["SecurityGroupIds"] == [getatt(group_name, "GroupId")]


# --- the server -------------------------------------------------------------

def test_imdsv2_is_required(template):
    _, instance = only_resource(template, "AWS::EC2::Instance")
    options = instance["Properties"]["MetadataOptions"]
    assert options["HttpTokens"] == "required"
    assert options.get("HttpEndpoint", "enabled") == "enabled"


def test_root_volume_is_encrypted(template):
    _, instance = only_resource(template, "AWS::EC2::Instance")
    mappings = instance["Properties"]["BlockDeviceMappings"]
    assert "/dev/sda1" in [m["DeviceName"] for m in mappings], "Ubuntu's root device is /dev/sda1"
    for mapping in mappings:
        assert mapping["Ebs"]["Encrypted"] is True, mapping


def test_recovery_alarm_watches_the_system_status_check(template):
    instance_name, _ = only_resource(template, "AWS::EC2::Instance")
    _, alarm = only_resource(template, "AWS::CloudWatch::Alarm")
    props = alarm["Properties"]
    assert props["Namespace"] == "AWS/EC2"
    assert props["MetricName"] == "StatusCheckFailed_System"
    assert props["Dimensions"] == [{"Name": "InstanceId", "Value": ref(instance_name)}]
    actions = [render_sub(a["Fn::Sub"], SAMPLE) if isinstance(a, dict) else a
               for a in props["AlarmActions"]]
    assert actions == ["arn:aws:automate:eu-west-1:ec2:recover"]


# --- address and DNS --------------------------------------------------------

def test_elastic_ip_is_associated_with_the_server(template):
    eip_name, eip = only_resource(template, "AWS::EC2::EIP")
    instance_name, _ = only_resource(template, "AWS::EC2::Instance")
    assert eip["Properties"]["Domain"] == "vpc"
    _, association = only_resource(template, "AWS::EC2::EIPAssociation")
    assert association["Properties"]["AllocationId"] == getatt(eip_name, "AllocationId")
    assert association["Properties"]["InstanceId"] == ref(instance_name)


def test_apex_and_www_records_point_at_the_elastic_ip(template):
    eip_name, _ = only_resource(template, "AWS::EC2::EIP")
    records = resources_of(template, "AWS::Route53::RecordSet")
    names = []
    for record in records.values():
        props = record["Properties"]
        assert props["HostedZoneId"] == ref("HostedZoneId")
        assert props["Type"] == "A"
        assert props["ResourceRecords"] in ([getatt(eip_name, "PublicIp")], [ref(eip_name)])
        name = props["Name"]
        names.append(render_sub(name["Fn::Sub"], SAMPLE) if "Fn::Sub" in name
                     else SAMPLE[name["Ref"]])
    assert sorted(names) == ["example.com", "www.example.com"]


def test_records_exist_before_the_server_boots(template):
    _, instance = only_resource(template, "AWS::EC2::Instance")
    depends = instance.get("DependsOn", [])
    depends = [depends] if isinstance(depends, str) else depends
    assert set(resources_of(template, "AWS::Route53::RecordSet")) <= set(depends)


def test_outputs_give_ip_url_and_ssh_command(template):
    outputs = template["Outputs"]
    eip_name, _ = only_resource(template, "AWS::EC2::EIP")
    assert outputs["PublicIp"]["Value"] == getatt(eip_name, "PublicIp")
    https, http = outputs["SiteUrl"]["Value"]["Fn::If"][1:]
    assert render_sub(https["Fn::Sub"], SAMPLE) == "https://example.com/"
    assert render_sub(http["Fn::Sub"], SAMPLE) == "http://example.com/"
    ssh = render_sub(outputs["SshCommand"]["Value"]["Fn::Sub"], SAMPLE)
    assert ssh == "ssh -i ~/.ssh/my-key.pem ubuntu@203.0.113.10"
    assert PROVISION_LOG in render_sub(outputs["ProvisionLog"]["Value"]["Fn::Sub"], SAMPLE)


# --- user data --------------------------------------------------------------

def test_user_data_refers_only_to_parameters_and_resources(template):
    for name in sub_references(user_data_source(template)):
        base = name.split(".")[0]
        assert base in template["Parameters"] or base in template["Resources"], name


def test_user_data_values_cannot_break_out_of_their_quotes(template):
    """Each substituted parameter is pasted inside '...'; none may contain a quote."""
    script = user_data_source(template)
    for name in sub_references(script):
        if name not in template["Parameters"]:
            continue
        assert re.search(r"='\$\{" + re.escape(name) + r"\}'$", script, re.M), \
            f"${{{name}}} should be assigned inside single quotes"
        pattern = template["Parameters"][name]["AllowedPattern"]
        assert re.fullmatch(pattern, SAMPLE[name]), name
        for breakout in ("'; reboot; '", "' $(reboot) '", "\nreboot"):
            assert not re.fullmatch(pattern, SAMPLE[name] + breakout), (name, breakout)


def test_user_data_runs_setup_with_the_domain(template):
    script = user_data(template)
    assert "DOMAIN='example.com'" in script
    assert re.search(r'^\s*as_app_user sudo \./setup\.sh --domain "\$DOMAIN"$', script, re.M)
    assert re.search(r'sudo \./setup\.sh --domain "\$DOMAIN" --tls --email "\$TLS_EMAIL"',
                     script)
    assert PROVISION_LOG in script


def test_user_data_passes_shellcheck(template, tmp_path):
    shellcheck = require_tool("shellcheck")
    for email in ("admin@example.com", ""):
        script = tmp_path / "user-data.sh"
        script.write_text(user_data(template, TlsEmail=email))
        result = subprocess.run([shellcheck, "--shell=bash", str(script)],
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"shellcheck:\n{result.stdout}{result.stderr}"


# --- the user data, run against fakes ---------------------------------------

FAKES = {
    # IMDSv2: a token from PUT /api/token, and metadata only when it is sent.
    # The public address becomes the Elastic IP after FAKE_IP_SWITCH_AFTER lookups.
    "curl": """#!/usr/bin/env bash
args="$*"
case $args in
  *"-X PUT"*/latest/api/token*) echo FAKE-TOKEN ;;
  *"X-aws-ec2-metadata-token: FAKE-TOKEN"*/meta-data/public-ipv4*)
    echo x >>"$FAKE_RECORD/ip-lookups"
    lookups=$(wc -l <"$FAKE_RECORD/ip-lookups")
    if [ "$lookups" -gt "$FAKE_IP_SWITCH_AFTER" ]; then echo "$FAKE_PUBLIC_IP"; else echo 198.51.100.1; fi ;;
  *) echo "curl: (22) 401 for: $args" >&2; exit 22 ;;
esac
""",
    "getent": """#!/usr/bin/env bash
[ -n "$FAKE_DNS_IP" ] || exit 2
printf '%-15s STREAM %s\\n' "$FAKE_DNS_IP" "$2"
""",
    # sudo -u ubuntu -H CMD...: record who it ran as, then run CMD.
    "sudo": """#!/usr/bin/env bash
user=root
while [ $# -gt 0 ]; do
  case $1 in -u) user=$2; shift 2 ;; -H) shift ;; *) break ;; esac
done
echo "$user: $*" >>"$FAKE_RECORD/sudo"
exec "$@"
""",
    # git clone --branch B URL DIR: a checkout whose setup.sh records its call.
    "git": """#!/usr/bin/env bash
echo "$*" >>"$FAKE_RECORD/git"
[ "$1" = clone ] || exit 1
dir=${*: -1}
mkdir -p "$dir/.git"
printf '#!/usr/bin/env bash\\npwd >"$FAKE_RECORD/setup-cwd"\\nprintf "%%s\\\\n" "$@" >"$FAKE_RECORD/setup-args"\\n' >"$dir/setup.sh"
chmod +x "$dir/setup.sh"
""",
    "sleep": "#!/usr/bin/env bash\necho \"$*\" >>\"$FAKE_RECORD/sleep\"\n",
    "apt-get": "#!/usr/bin/env bash\necho \"$*\" >>\"$FAKE_RECORD/apt-get\"\n",
}


def run_user_data(template, tmp_path, *, email, dns_ip, fakes=None, ip_switch_after=0):
    """Run the rendered user data with its system paths moved under tmp_path."""
    bin_dir, record, root = tmp_path / "bin", tmp_path / "record", tmp_path / "root"
    for folder in (bin_dir, record, root):
        folder.mkdir()
    for name, body in {**FAKES, **(fakes or {})}.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    script = user_data(template, TlsEmail=email)
    moves = {PROVISION_LOG: root / "provision.log", APP_DIR: root / "home" / "website",
             "/etc/apt/apt.conf.d/90website-lock-timeout": root / "apt.conf"}
    for old, new in moves.items():
        assert old in script, old
        script = script.replace(old, str(new))
    (root / "home").mkdir()
    path = tmp_path / "user-data.sh"
    path.write_text(script)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "FAKE_RECORD": str(record), "FAKE_PUBLIC_IP": SAMPLE["ElasticIp.PublicIp"],
           "FAKE_DNS_IP": dns_ip, "FAKE_IP_SWITCH_AFTER": str(ip_switch_after)}
    result = subprocess.run(["bash", str(path)], env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    log = (root / "provision.log").read_text()
    return result, log, record, moves[APP_DIR]


def setup_args(record):
    return (record / "setup-args").read_text().splitlines()


def test_user_data_clones_as_ubuntu_and_runs_setup_with_tls(template, tmp_path):
    result, log, record, app_dir = run_user_data(
        template, tmp_path, email="admin@example.com", dns_ip=SAMPLE["ElasticIp.PublicIp"])
    assert result.returncode == 0, log
    assert (record / "git").read_text().split() == [
        "clone", "--branch", "main", SAMPLE["RepoUrl"], str(app_dir)]
    sudo_calls = (record / "sudo").read_text().splitlines()
    assert sudo_calls[0].startswith("ubuntu: git clone ")
    assert sudo_calls[1] == ("ubuntu: sudo ./setup.sh --domain example.com"
                             " --tls --email admin@example.com")
    assert sudo_calls[2].startswith("root: ./setup.sh")
    assert setup_args(record) == ["--domain", "example.com", "--tls", "--email",
                                  "admin@example.com"]
    assert (record / "setup-cwd").read_text().strip() == str(app_dir)
    assert "Elastic IP 203.0.113.10 is associated" in log
    assert log.rstrip().endswith("provision: finished")


def test_user_data_without_email_sets_up_http_only(template, tmp_path):
    result, log, record, _ = run_user_data(template, tmp_path, email="", dns_ip="")
    assert result.returncode == 0, log
    assert setup_args(record) == ["--domain", "example.com"]
    assert not (record / "sleep").exists(), "no reason to wait for DNS without TLS"


def test_user_data_falls_back_to_http_while_dns_points_elsewhere(template, tmp_path):
    result, log, record, _ = run_user_data(
        template, tmp_path, email="admin@example.com", dns_ip="198.51.100.99")
    assert result.returncode == 0, log
    assert setup_args(record) == ["--domain", "example.com"]
    assert "does not resolve to 203.0.113.10" in log
    assert "--tls --email admin@example.com" in log, "the log says how to add TLS later"


def test_user_data_failure_is_logged_and_fails_the_script(template, tmp_path):
    failing_git = FAKES["git"].replace('chmod +x "$dir/setup.sh"',
                                       'echo "exit 3" >>"$dir/setup.sh"; chmod +x "$dir/setup.sh"')
    assert failing_git != FAKES["git"]
    result, log, record, _ = run_user_data(template, tmp_path, email="", dns_ip="",
                                           fakes={"git": failing_git})
    assert result.returncode != 0
    assert setup_args(record) == ["--domain", "example.com"]
    assert "FAILED with exit status 3" in log
    assert "finished" not in log


def test_user_data_waits_for_the_elastic_ip_before_cloning(template, tmp_path):
    result, log, record, _ = run_user_data(template, tmp_path, email="", dns_ip="",
                                           ip_switch_after=3)
    assert result.returncode == 0, log
    assert (record / "sleep").read_text().split() == ["10", "10", "10"]
    assert log.index("Elastic IP 203.0.113.10 is associated") < log.index("cloning")


def test_user_data_gives_up_when_the_elastic_ip_never_arrives(template, tmp_path):
    result, log, record, _ = run_user_data(template, tmp_path, email="", dns_ip="",
                                           ip_switch_after=10_000)
    assert result.returncode != 0
    assert "Elastic IP 203.0.113.10 still not associated" in log
    assert not (record / "git").exists()
