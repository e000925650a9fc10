"""deploy/aws/publish.sh for real: the AWS CLI (awscli, test-only) against moto's server.

moto runs on a free loopback port for this module and is stopped after it;
the script reaches it through AWS_ENDPOINT_URL, with fake credentials. The
site is a real build of test posts. What lands in the bucket is read back
with boto3 and checked against the build, and each object's Content-Type
against what the Flask app itself sends for that URL.
"""
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import boto3
import pytest

from cdn_site import POSTS_PER_PAGE, SITE_URL, build_env, built_files, write_posts
from website import create_app

ROOT = Path(__file__).resolve().parent.parent
PUBLISH = ROOT / "deploy" / "aws" / "publish.sh"
BIN = Path(sys.executable).parent
PAGE_CACHE = "public, max-age=300, s-maxage=86400, must-revalidate"
YEAR_CACHE = "public, max-age=31536000, immutable"
HOUR_CACHE = "public, max-age=3600"
REGION = "us-east-1"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    """moto's server on a free loopback port; yields its URL, stops it after the module."""
    server = BIN / "moto_server"
    assert server.exists(), "moto[server] missing: pip install -r requirements-dev.txt"
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "moto did not start:\n" + log.read_text()
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def aws_env(moto, tmp_path_factory):
    """The environment of an aws command: moto's endpoint, fake keys, no user config."""
    home = tmp_path_factory.mktemp("home")
    return {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "HOME": str(home),
            "AWS_ENDPOINT_URL": moto, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(home / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "none"),
            "FLASK": str(BIN / "flask"), "PYTHON": sys.executable,
            "LANG": "C.UTF-8"}


def aws(env, *args):
    result = subprocess.run([str(BIN / "aws"), *args], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def s3(moto):
    return boto3.client("s3", endpoint_url=moto, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def cloudfront(moto):
    return boto3.client("cloudfront", endpoint_url=moto, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


_counter = iter(range(1000))


@pytest.fixture
def target(aws_env):
    """A new empty bucket and a distribution, as provision-cdn.sh would leave them."""
    bucket = f"site-{next(_counter)}-{os.getpid()}"
    aws(aws_env, "s3api", "create-bucket", "--bucket", bucket)
    config = ('{"CallerReference": "%s", "Comment": "", "Enabled": true, '
              '"Origins": {"Quantity": 1, "Items": [{"Id": "s3", '
              '"DomainName": "%s.s3.amazonaws.com", '
              '"S3OriginConfig": {"OriginAccessIdentity": ""}}]}, '
              '"DefaultCacheBehavior": {"TargetOriginId": "s3", '
              '"ViewerProtocolPolicy": "redirect-to-https", '
              '"CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}') % (bucket, bucket)
    distribution = aws(aws_env, "cloudfront", "create-distribution", "--distribution-config",
                       config, "--query", "Distribution.Id", "--output", "text")
    return bucket, distribution


@pytest.fixture
def site(tmp_path):
    """A posts folder to publish, and where its build goes."""
    return write_posts(tmp_path / "posts"), tmp_path / "out" / "build"


def publish(env, posts, out, *args, target=None):
    env = {**env, **{k: v for k, v in build_env(posts).items() if k.startswith("FLASK_")}}
    flags = ["--bucket", target[0], "--distribution-id", target[1]] if target else []
    result = subprocess.run([str(PUBLISH), *flags, "--out", str(out), *args], env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    return result


def objects(s3, bucket):
    """``{key: etag}`` of every object in the bucket."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        found.update({o["Key"]: o["ETag"].strip('"') for o in page.get("Contents", [])})
    return found


def md5s(folder):
    return {name: hashlib.md5((folder / name).read_bytes()).hexdigest()
            for name in built_files(folder)}


def invalidated(cloudfront, distribution):
    """The paths of each invalidation of the distribution, oldest first."""
    listed = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
    batches = []
    for item in listed.get("Items", []):
        got = cloudfront.get_invalidation(DistributionId=distribution, Id=item["Id"])
        batches.append(got["Invalidation"]["InvalidationBatch"]["Paths"].get("Items", []))
    return batches


def url_of(key):
    """The URL a built file answers (as the app serves it)."""
    if key == "index.html":
        return "/"
    if key.endswith(".html"):
        return "/" + key[:-len(".html")]
    return "/" + key


# Pagefind's files by extension; the rest (.pf_fragment, .pf_index, .pf_meta,
# .pagefind) are bytes it fetches and decodes itself.
SEARCH_INDEX_TYPES = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
                      "json": "application/json"}


# --- the first publish -------------------------------------------------------

def test_first_publish_uploads_every_file_with_its_headers(aws_env, target, site, s3,
                                                          cloudfront):
    posts, out = site
    result = publish(aws_env, posts, out, target=target)
    assert result.returncode == 0, result.stderr
    built = md5s(out)
    assert objects(s3, target[0]) == built, "every file, byte for byte (MD5), nothing else"

    app = create_app({"TESTING": True, "POSTS_DIR": str(posts), "SITE_URL": SITE_URL,
                      "POSTS_PER_PAGE": POSTS_PER_PAGE})
    client = app.test_client()
    versioned = {"code.css", "static/css/site.css"}
    for key in built:
        head = s3.head_object(Bucket=target[0], Key=key)
        if key.endswith("/index.html") or key == "search.html":
            expected_type = "text/html; charset=utf-8"
        elif key.startswith("pagefind/"):     # the static search's index: not the app's
            expected_type = SEARCH_INDEX_TYPES.get(key.rsplit(".", 1)[-1],
                                                   "application/octet-stream")
        else:
            with client.get("/no-such-page" if key == "404.html" else url_of(key)) as response:
                assert response.status_code == (404 if key == "404.html" else 200), key
                expected_type = response.headers["Content-Type"]
        assert head["ContentType"] == expected_type, key
        if key.endswith((".html", ".xml", ".txt")) or key.startswith("pagefind/"):
            assert head["CacheControl"] == PAGE_CACHE, key
        elif key in versioned:
            assert head["CacheControl"] == YEAR_CACHE, key
        else:
            assert head["CacheControl"] in (YEAR_CACHE, HOUR_CACHE), key
    assert s3.head_object(Bucket=target[0], Key="static/img/request-path.svg")[
        "CacheControl"] == HOUR_CACHE, "linked from a post without ?v=: an hour, as Apache"
    assert invalidated(cloudfront, target[1]) == [], "nothing was cached before"


def test_second_publish_with_nothing_changed_uploads_nothing(aws_env, target, site, s3,
                                                              cloudfront):
    posts, out = site
    assert publish(aws_env, posts, out, target=target).returncode == 0
    before = {key: s3.head_object(Bucket=target[0], Key=key)["LastModified"]
              for key in objects(s3, target[0])}
    # A fresh clone builds every file anew: new mtimes, same bytes.
    shutil.rmtree(out.parent)
    result = publish(aws_env, posts, out, target=target)
    assert result.returncode == 0, result.stderr
    assert "upload:" not in result.stdout and "delete:" not in result.stdout
    assert "nothing to upload, delete or invalidate" in result.stderr
    after = {key: s3.head_object(Bucket=target[0], Key=key)["LastModified"]
             for key in objects(s3, target[0])}
    assert after == before
    assert invalidated(cloudfront, target[1]) == []


# --- changes -----------------------------------------------------------------

def test_an_edit_and_a_deletion_upload_delete_and_invalidate_only_those(
        aws_env, target, site, s3, cloudfront):
    posts, out = site
    assert publish(aws_env, posts, out, target=target).returncode == 0
    old = md5s(out)
    edited = posts / "slug-with-(parens).md"
    edited.write_text(edited.read_text() + "\nOne more line.\n")
    (posts / "filler-09.md").unlink()

    result = publish(aws_env, posts, out, target=target)
    assert result.returncode == 0, result.stderr
    new = md5s(out)
    assert objects(s3, target[0]) == new
    changed = {key for key in new if key in old and new[key] != old[key]}
    gone = set(old) - set(new)
    assert "blog/slug-with-(parens).html" in changed
    assert "blog/filler-09.html" in gone
    uploaded = {line.split(" to s3://", 1)[1].split("/", 1)[1]
                for line in result.stdout.splitlines() if line.startswith("upload:")}
    assert uploaded == changed | (set(new) - set(old)), "changed and new files only"

    lines = result.stdout.splitlines()
    last_upload = max(i for i, line in enumerate(lines) if line.startswith("upload:"))
    first_delete = min(i for i, line in enumerate(lines) if line.startswith("delete:"))
    assert last_upload < first_delete, "deletions come after the uploads"

    batches = invalidated(cloudfront, target[1])
    assert len(batches) == 1
    paths = set(batches[0])
    assert "/*" not in paths
    assert {"/blog/slug-with-(parens)", "/blog/slug-with-(parens).html",
            "/blog/filler-09", "/blog/filler-09.html"} <= paths
    assert all(path.isascii() and " " not in path for path in paths), "URL-encoded"
    expected = set()
    for key in changed | gone:
        expected.add("/" + key)
        if key.endswith(".html") and key != "404.html" and not key.endswith("/index.html"):
            expected.add(url_of(key))
    assert {unquote(path) for path in paths} == expected, \
        "the URLs of the changed and deleted files, nothing else"


def test_too_many_changed_paths_become_one_wildcard(aws_env, target, site, cloudfront):
    posts, out = site
    assert publish(aws_env, posts, out, target=target).returncode == 0
    for post in posts.glob("filler-*.md"):
        post.write_text(post.read_text().replace("Filler number", "Filler, number"))
    result = publish(aws_env, posts, out, "--max-paths", "5", target=target)
    assert result.returncode == 0, result.stderr
    assert "more than --max-paths 5" in result.stderr
    assert invalidated(cloudfront, target[1]) == [["/*"]]


def test_dry_run_prints_the_commands_and_changes_nothing(aws_env, target, site, s3,
                                                         cloudfront):
    posts, out = site
    assert publish(aws_env, posts, out, target=target).returncode == 0
    before = objects(s3, target[0])
    (posts / "filler-01.md").write_text("title: Filler post 1\ndate: 2024-06-01\n\nRewritten.\n")
    (posts / "filler-02.md").unlink()
    result = publish(aws_env, posts, out, "--dry-run", target=target)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines and all(line.startswith("aws ") for line in lines)
    assert any("s3 cp" in line and "--include blog/filler-01.html" in line for line in lines)
    assert any("s3 rm" in line and "--include blog/filler-02.html" in line for line in lines)
    assert "create-invalidation" in lines[-1] and "/blog/filler-02" in lines[-1].split()
    assert objects(s3, target[0]) == before
    assert invalidated(cloudfront, target[1]) == []


def test_a_broken_post_stops_the_publish_before_any_upload(aws_env, target, site, s3):
    posts, out = site
    (posts / "broken.md").write_text("title: Broken\ndate: not a date\n\nText.\n")
    result = publish(aws_env, posts, out, target=target)
    assert result.returncode != 0
    assert "the build failed: nothing was published" in result.stderr
    assert "broken.md" in result.stderr
    assert objects(s3, target[0]) == {}


# --- the stack's outputs, and big files -------------------------------------

STACK_TEMPLATE = """
Parameters:
  BucketName: {Type: String}
  DistributionId: {Type: String}
Resources:
  Nothing: {Type: "AWS::CloudFormation::WaitConditionHandle"}
Outputs:
  BucketName: {Value: !Ref BucketName}
  DistributionId: {Value: !Ref DistributionId}
"""


def test_bucket_and_distribution_come_from_the_stack(aws_env, target, site, s3, tmp_path):
    posts, out = site
    stack = f"cdn-{target[0]}"
    aws(aws_env, "cloudformation", "create-stack", "--stack-name", stack,
        "--template-body", STACK_TEMPLATE, "--parameters",
        f"ParameterKey=BucketName,ParameterValue={target[0]}",
        f"ParameterKey=DistributionId,ParameterValue={target[1]}")
    result = publish(aws_env, posts, out, "--stack-name", stack)
    assert result.returncode == 0, result.stderr
    assert objects(s3, target[0]) == md5s(out)
    missing = publish(aws_env, posts, out, "--stack-name", "no-such-stack")
    assert missing.returncode != 0
    assert "no stack 'no-such-stack'" in missing.stderr


def test_multipart_etags_are_matched_so_big_files_are_not_uploaded_again(aws_env, target,
                                                                         tmp_path):
    sys.path.insert(0, str(ROOT / "deploy" / "aws"))
    try:
        import publish_plan
    finally:
        sys.path.remove(str(ROOT / "deploy" / "aws"))
    big = tmp_path / "screenshot.png"
    big.write_bytes(os.urandom(9 * 1024 * 1024 + 123))
    aws(aws_env, "s3", "cp", str(big), f"s3://{target[0]}/static/img/screenshot.png")
    etag = aws(aws_env, "s3api", "head-object", "--bucket", target[0], "--key",
               "static/img/screenshot.png", "--query", "ETag", "--output", "text").strip('"')
    assert etag.endswith("-2"), "the AWS CLI uploads 9 MiB in two parts"
    assert publish_plan.etag_of(big, etag) == etag
    big.write_bytes(big.read_bytes()[:-1] + b"x")
    assert publish_plan.etag_of(big, etag) != etag


def test_a_publish_cut_short_before_invalidating_is_finished_by_the_next(
        aws_env, target, site, s3, cloudfront):
    posts, out = site
    assert publish(aws_env, posts, out, target=target).returncode == 0
    edited = posts / "why-plain-files.md"
    edited.write_text(edited.read_text() + "\nA new closing line.\n")
    # The distribution can't be reached: uploads land, the invalidation fails.
    broken = publish(aws_env, posts, out, target=(target[0], "ENOSUCHDIST"))
    assert broken.returncode != 0
    assert "invalidate failed" in broken.stderr
    assert "upload:" in broken.stdout
    assert objects(s3, target[0]) == md5s(out)

    result = publish(aws_env, posts, out, target=target)
    assert result.returncode == 0, result.stderr
    assert "upload:" not in result.stdout, "the files are already up"
    assert "left from an unfinished publish" in result.stderr
    batch, = invalidated(cloudfront, target[1])
    assert {"/blog/why-plain-files", "/blog/why-plain-files.html"} <= set(batch)
    again = publish(aws_env, posts, out, target=target)
    assert "nothing to upload, delete or invalidate" in again.stderr
    assert len(invalidated(cloudfront, target[1])) == 1


def test_the_development_site_url_is_never_published(aws_env, target, site, s3):
    posts, out = site
    env = {**aws_env, "FLASK_SITE_URL": "http://127.0.0.1:5000"}
    env_posts = {k: v for k, v in build_env(posts).items() if k != "FLASK_SITE_URL"}
    result = subprocess.run([str(PUBLISH), "--bucket", target[0], "--distribution-id",
                             target[1], "--out", str(out)],
                            env={**env, **{k: v for k, v in env_posts.items()
                                           if k.startswith("FLASK_")}},
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode != 0
    assert "SITE_URL is http://127.0.0.1:5000" in result.stderr
    assert objects(s3, target[0]) == {}
