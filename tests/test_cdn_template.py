"""The CDN templates in deploy/aws/ (cdn.yaml, cdn-certificate.yaml): lint and rules.

Offline: the templates are read with cfn-lint's own decoder. The security
headers are compared with the ones the Apache site sends, read from its
config, so the two can't drift apart.
"""
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parent.parent
AWS_DIR = ROOT / "deploy" / "aws"
CDN = AWS_DIR / "cdn.yaml"
CERTIFICATE = AWS_DIR / "cdn-certificate.yaml"
FUNCTION = AWS_DIR / "cdn-function.js"
VHOST = ROOT / "deploy" / "apache" / "website-vhost.conf.in"
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"


def load(path):
    data, problems = decode(str(path))
    assert not problems, "\n".join(str(p) for p in problems)
    return data


@pytest.fixture(scope="module")
def cdn():
    return load(CDN)


@pytest.fixture(scope="module")
def certificate():
    return load(CERTIFICATE)


def only(template, kind):
    found = [(name, res) for name, res in template["Resources"].items() if res["Type"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {[name for name, _ in found]}"
    return found[0]


def props(template, kind):
    return only(template, kind)[1]["Properties"]


def distribution(template):
    return props(template, "AWS::CloudFront::Distribution")["DistributionConfig"]


def sub_text(value):
    return value["Fn::Sub"] if isinstance(value, dict) and "Fn::Sub" in value else value


# --- lint and the embedded function ---------------------------------------

@pytest.mark.parametrize("template", [CDN, CERTIFICATE], ids=lambda p: p.name)
def test_cfn_lint_passes(template):
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    assert cfn_lint.exists(), "cfn-lint missing: pip install -r requirements-dev.txt"
    result = subprocess.run([str(cfn_lint), "--", str(template)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, f"cfn-lint:\n{result.stdout}{result.stderr}"


def test_the_template_embeds_the_function_file_exactly(cdn):
    function = props(cdn, "AWS::CloudFront::Function")
    assert function["FunctionCode"] == FUNCTION.read_text(encoding="utf-8")
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["AutoPublish"] is True


def test_embed_check_agrees():
    result = subprocess.run([sys.executable, str(AWS_DIR / "embed_function.py"), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_embed_check_catches_an_edited_function():
    sys.path.insert(0, str(AWS_DIR))
    try:
        import embed_function
    finally:
        sys.path.remove(str(AWS_DIR))
    text = CDN.read_text(encoding="utf-8")
    changed = embed_function.embedded(text, FUNCTION.read_text() + "// edited\n")
    assert changed != text and "        // edited\n" in changed
    assert embed_function.embedded(changed, FUNCTION.read_text()) == text


# --- the bucket -------------------------------------------------------------

def test_bucket_is_private_encrypted_and_no_website(cdn):
    bucket = props(cdn, "AWS::S3::Bucket")
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True,
        "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    rule, = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256", \
        "SSE-S3: ETags stay MD5s, which publish.sh compares"
    assert "WebsiteConfiguration" not in bucket
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_only_this_distribution_may_read_the_bucket(cdn):
    bucket_name, _ = only(cdn, "AWS::S3::Bucket")
    dist_name, _ = only(cdn, "AWS::CloudFront::Distribution")
    policy = props(cdn, "AWS::S3::BucketPolicy")
    assert policy["Bucket"] == {"Ref": bucket_name}
    allows = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert len(allows) == 1
    allow, = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    source = sub_text(allow["Condition"]["StringEquals"]["AWS:SourceArn"])
    assert source.endswith(":distribution/${" + dist_name + "}")
    denies = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert [d["Condition"] for d in denies] == [{"Bool": {"aws:SecureTransport": "false"}}]


def test_the_origin_is_the_bucket_through_origin_access_control(cdn):
    bucket_name, _ = only(cdn, "AWS::S3::Bucket")
    oac_name, oac = only(cdn, "AWS::CloudFront::OriginAccessControl")
    config = oac["Properties"]["OriginAccessControlConfig"]
    assert (config["OriginAccessControlOriginType"], config["SigningBehavior"],
            config["SigningProtocol"]) == ("s3", "always", "sigv4")
    origin, = distribution(cdn)["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": [bucket_name, "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_name, "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}, "no legacy OAI"


# --- the distribution -------------------------------------------------------

def test_https_only_modern_tls_http2_and_http3_compression(cdn):
    config = distribution(cdn)
    assert config["HttpVersion"] == "http2and3"
    assert config["IPV6Enabled"] is True
    viewer = config["ViewerCertificate"]
    assert viewer == {"AcmCertificateArn": {"Ref": "CertificateArn"},
                      "SslSupportMethod": "sni-only",
                      "MinimumProtocolVersion": "TLSv1.2_2021"}
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["Compress"] is True
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    # Every URL goes through the function; the search's two behaviors differ
    # from the default by their headers only (see the search test below).
    for other in config.get("CacheBehaviors", []):
        assert other["FunctionAssociations"] == behavior["FunctionAssociations"]


def test_apex_and_www_are_served(cdn):
    aliases = distribution(cdn)["Aliases"]
    assert [sub_text(a) for a in aliases] == [{"Ref": "DomainName"}, "www.${DomainName}"]


def test_the_function_runs_on_every_viewer_request(cdn):
    function_name, _ = only(cdn, "AWS::CloudFront::Function")
    association, = distribution(cdn)["DefaultCacheBehavior"]["FunctionAssociations"]
    assert association == {"EventType": "viewer-request", "FunctionARN": {
        "Fn::GetAtt": [function_name, "FunctionMetadata.FunctionARN"]}}


def test_missing_objects_get_the_404_page_with_status_404(cdn):
    responses = {r["ErrorCode"]: r for r in distribution(cdn)["CustomErrorResponses"]}
    assert set(responses) == {403, 404}, "S3 answers 403 for a missing key CloudFront can't list"
    for response in responses.values():
        assert response["ResponseCode"] == 404
        assert response["ResponsePagePath"] == "/404.html"
        assert response["ErrorCachingMinTTL"] <= 300


def test_cache_key_holds_the_asset_version_only(cdn):
    policy_name, policy = only(cdn, "AWS::CloudFront::CachePolicy")
    assert distribution(cdn)["DefaultCacheBehavior"]["CachePolicyId"] == {"Ref": policy_name}
    params = policy["Properties"]["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"]
    assert params["QueryStringsConfig"] == {"QueryStringBehavior": "whitelist",
                                            "QueryStrings": ["v"]}
    assert params["CookiesConfig"] == {"CookieBehavior": "none"}
    assert params["EnableAcceptEncodingGzip"] and params["EnableAcceptEncodingBrotli"]


# --- security headers: the same as Apache's ----------------------------------

def apache_headers():
    """Headers the Apache site sets on every response, read from its vhost template."""
    headers = dict(re.findall(r'^Header always set (\S+) "([^"]*)"$', VHOST.read_text(), re.M))
    assert len(headers) >= 4, headers
    # setup.sh --tls runs certbot --hsts, which adds this header to the HTTPS site.
    assert "--hsts" in (ROOT / "setup.sh").read_text()
    headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers


def cdn_headers(template, name="SecurityHeaders"):
    """Headers the response-headers policy ``name`` sets, as name -> value."""
    policy = template["Resources"][name]
    assert policy["Type"] == "AWS::CloudFront::ResponseHeadersPolicy"
    config = policy["Properties"]["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    headers = {}
    for item in config.get("CustomHeadersConfig", {}).get("Items", []):
        assert item["Override"] is True
        headers[item["Header"]] = item["Value"]
    for key, header in {"ContentSecurityPolicy": "Content-Security-Policy",
                        "ReferrerPolicy": "Referrer-Policy"}.items():
        assert security[key]["Override"] is True
        headers[header] = security[key][key]
    assert security["ContentTypeOptions"]["Override"] is True
    headers["X-Content-Type-Options"] = "nosniff"
    hsts = security["StrictTransportSecurity"]
    headers["Strict-Transport-Security"] = (
        f"max-age={hsts['AccessControlMaxAgeSec']}"
        + ("; includeSubDomains" if hsts.get("IncludeSubdomains") else "")
        + ("; preload" if hsts.get("Preload") else ""))
    for absent in ("FrameOptions", "XSSProtection"):
        assert absent not in security, f"Apache does not send {absent}"
    return name, headers


def test_security_headers_match_the_apache_site(cdn):
    name, headers = cdn_headers(cdn)
    assert headers == apache_headers()
    behavior = distribution(cdn)["DefaultCacheBehavior"]
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": name}


def test_the_static_search_gets_its_exception_on_its_two_paths_only(cdn):
    """/search and Pagefind's worker: the site's headers, with the build's search CSP."""
    from website.build.headers import SEARCH_CONTENT_SECURITY_POLICY, SEARCH_POLICY_PATHS
    name, headers = cdn_headers(cdn, "SearchHeaders")
    assert headers == dict(apache_headers(),
                           **{"Content-Security-Policy": SEARCH_CONTENT_SECURITY_POLICY})
    policies = [res for res in cdn["Resources"].values()
                if res["Type"] == "AWS::CloudFront::ResponseHeadersPolicy"]
    assert len(policies) == 2
    config = distribution(cdn)
    default = config["DefaultCacheBehavior"]
    behaviors = config["CacheBehaviors"]
    assert tuple(b["PathPattern"] for b in behaviors) == SEARCH_POLICY_PATHS
    for behavior in behaviors:
        assert behavior["ResponseHeadersPolicyId"] == {"Ref": name}
        # Everything else as the default: same origin, cache, HTTPS and function.
        same = {key: value for key, value in behavior.items()
                if key not in ("PathPattern", "ResponseHeadersPolicyId")}
        assert same == {key: value for key, value in default.items()
                        if key != "ResponseHeadersPolicyId"}


# --- certificate and DNS ----------------------------------------------------

def test_certificate_covers_apex_and_www_validated_in_route53(certificate):
    cert = props(certificate, "AWS::CertificateManager::Certificate")
    assert cert["DomainName"] == {"Ref": "DomainName"}
    assert [sub_text(n) for n in cert["SubjectAlternativeNames"]] == ["www.${DomainName}"]
    assert cert["ValidationMethod"] == "DNS"
    options = cert["DomainValidationOptions"]
    assert [sub_text(o["DomainName"]) for o in options] == [{"Ref": "DomainName"},
                                                             "www.${DomainName}"]
    assert all(o["HostedZoneId"] == {"Ref": "HostedZoneId"} for o in options)
    assert certificate["Outputs"]["CertificateArn"]["Value"] == {"Ref": "Certificate"}


def test_certificate_stack_refuses_any_region_but_us_east_1(certificate):
    rule, = certificate["Rules"].values()
    assertion, = rule["Assertions"]
    assert assertion["Assert"] == {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}


def test_certificate_parameter_takes_us_east_1_arns_only(cdn):
    pattern = cdn["Parameters"]["CertificateArn"]["AllowedPattern"]
    good = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
    assert re.fullmatch(pattern, good)
    for bad in (good.replace("us-east-1", "eu-west-1"), "", good + "'", "arn:aws:iam::1:x"):
        assert not re.fullmatch(pattern, bad), bad


def test_apex_and_www_have_a_and_aaaa_aliases_to_the_distribution(cdn):
    dist_name, _ = only(cdn, "AWS::CloudFront::Distribution")
    records = [res["Properties"] for res in cdn["Resources"].values()
               if res["Type"] == "AWS::Route53::RecordSet"]
    seen = set()
    for record in records:
        assert record["HostedZoneId"] == {"Ref": "HostedZoneId"}
        assert record["AliasTarget"] == {"DNSName": {"Fn::GetAtt": [dist_name, "DomainName"]},
                                         "HostedZoneId": CLOUDFRONT_ZONE,
                                         "EvaluateTargetHealth": False}
        name = record["Name"]
        seen.add((sub_text(name) if "Fn::Sub" in name else name["Ref"], record["Type"]))
    assert seen == {("DomainName", "A"), ("DomainName", "AAAA"),
                    ("www.${DomainName}", "A"), ("www.${DomainName}", "AAAA")}


def test_outputs_give_what_publish_needs(cdn):
    bucket_name, _ = only(cdn, "AWS::S3::Bucket")
    dist_name, _ = only(cdn, "AWS::CloudFront::Distribution")
    outputs = cdn["Outputs"]
    assert outputs["BucketName"]["Value"] == {"Ref": bucket_name}
    assert outputs["DistributionId"]["Value"] == {"Ref": dist_name}
    assert sub_text(outputs["SiteUrl"]["Value"]) == "https://${DomainName}/"
