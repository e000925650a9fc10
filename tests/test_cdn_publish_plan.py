"""deploy/aws/publish_plan.py, the planning half of publish.sh, on small hand-made cases.

The whole publish, on a real build and a real AWS CLI, is in
test_cdn_publish.py; here are the edge cases a sample site doesn't have
(a "*" or "[" in a file name, hidden files, a tab), and the check that every
invalidated page path is the one the CloudFront Function really produces.
"""
import fnmatch
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from test_cdn_function import run_function

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy" / "aws"))
import publish_plan  # noqa: E402
sys.path.remove(str(ROOT / "deploy" / "aws"))

PLAN = ROOT / "deploy" / "aws" / "publish_plan.py"


@pytest.mark.parametrize("key", ["blog/a(b).html", "static/a*b.png", "static/[draft].png",
                                 "static/what?.txt", "blog/tag/open source.html",
                                 "blog/café.html"])
def test_include_patterns_match_their_key_alone(key):
    pattern = publish_plan.include_pattern(key)
    assert fnmatch.fnmatchcase(key, pattern)
    for other in ("blog/axb.html", "static/aXb.png", "static/d.png", "static/what!.txt",
                  key + "x", "x" + key):
        assert not fnmatch.fnmatchcase(other, pattern), other


@pytest.mark.parametrize("key, paths", [
    ("index.html", {"/", "/index.html"}),
    ("blog.html", {"/blog", "/blog.html"}),
    ("blog/slug-with-(parens).html", {"/blog/slug-with-(parens)",
                                      "/blog/slug-with-(parens).html"}),
    ("blog/tag/open source.html", {"/blog/tag/open%20source", "/blog/tag/open%20source.html"}),
    ("blog/café.html", {"/blog/caf%C3%A9", "/blog/caf%C3%A9.html"}),
    ("blog/tag/c++.html", {"/blog/tag/c++", "/blog/tag/c++.html", "/blog/tag/c%2B%2B.html"}),
    ("blog/index.html", {"/blog/index.html"}),
    ("404.html", {"/404.html"}),
    ("feed.xml", {"/feed.xml"}),
    ("blog/tag/open source/feed.xml", {"/blog/tag/open%20source/feed.xml"}),
    ("static/img/a*b~c.png", {"/static/img/a%2Ab~c.png"}),
])
def test_invalidation_paths_are_the_urls_encoded_for_cloudfront(key, paths):
    assert publish_plan.invalidation_paths(key) == paths


def test_the_rewritten_path_invalidated_is_the_one_the_function_produces():
    pages = ["blog.html", "blog/slug-with-(parens).html", "blog/tag/open source.html",
             "blog/café.html", "blog/tag/c++.html", "blog/release-1.2.html",
             "blog/tag/node.js.html", "blog/page/2.html", "index.html"]
    viewer_paths = []
    for key in pages:
        page = "/" if key == "index.html" else "/" + key[:-len(".html")]
        viewer_paths.append(publish_plan.url_path(page))
    results = run_function([{"uri": path} for path in viewer_paths])
    for key, viewer, result in zip(pages, viewer_paths, results):
        paths = publish_plan.invalidation_paths(key)
        assert viewer in paths
        assert result["uri"] in paths, (key, result)


@pytest.mark.parametrize("key, kind, cache", [
    ("index.html", "text/html; charset=utf-8", publish_plan.PAGE_CACHE),
    ("404.html", "text/html; charset=utf-8", publish_plan.PAGE_CACHE),
    ("feed.xml", "application/atom+xml; charset=utf-8", publish_plan.PAGE_CACHE),
    ("blog/tag/x/feed.xml", "application/atom+xml; charset=utf-8", publish_plan.PAGE_CACHE),
    ("sitemap.xml", "application/xml; charset=utf-8", publish_plan.PAGE_CACHE),
    ("robots.txt", "text/plain; charset=utf-8", publish_plan.PAGE_CACHE),
    ("code.css", "text/css; charset=utf-8", publish_plan.VERSIONED_CACHE),
    ("static/css/site.css", "text/css; charset=utf-8", publish_plan.VERSIONED_CACHE),
    ("static/img/shot.png", "image/png", publish_plan.STATIC_CACHE),
    ("static/img/logo.svg", "image/svg+xml; charset=utf-8", publish_plan.STATIC_CACHE),
    ("static/fonts/x.woff2", "font/woff2", publish_plan.STATIC_CACHE),
    ("static/_variants/0123abcd-800.avif", "image/avif", publish_plan.VERSIONED_CACHE),
    ("static/_variants/0123abcd-480.webp", "image/webp", publish_plan.VERSIONED_CACHE),
])
def test_content_type_and_cache_control_per_kind(key, kind, cache):
    versioned = {"code.css", "static/css/site.css"}
    assert publish_plan.content_type(key) == kind
    assert publish_plan.cache_control(key, versioned) == cache


def write(folder, files):
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    return folder


def listing(entries):
    return json.dumps([[key, f'"{hashlib.md5(data.encode()).hexdigest()}"']
                       for key, data in entries.items()])


SITE = {
    "index.html": '<link href="/static/css/site.css?v=abc123"><img src="/static/img/a.png">',
    "blog.html": "<p>blog</p>",
    "static/css/site.css": "body{}",
    "static/img/a.png": "png",
    "feed.xml": '<feed><link href="https://example.com/code.css?v=1"/></feed>',
    "code.css": ".c{}",
}


def test_versioned_files_are_those_linked_with_a_version(tmp_path):
    files = publish_plan.local_files(write(tmp_path, SITE))
    assert publish_plan.versioned_keys(files) == {"static/css/site.css", "code.css"}


def test_a_plan_uploads_new_and_changed_and_deletes_gone(tmp_path):
    build = write(tmp_path / "build", {**SITE, "blog.html": "<p>blog, edited</p>"})
    remote = listing({**SITE, "blog/old-post.html": "old"})
    steps, summary = publish_plan.plan(build, remote, max_paths=200)
    uploads = [step for step in steps if step[0] == "upload"]
    assert [step[3:] for step in uploads] == [["blog.html"]]
    assert uploads[0][1:3] == ["text/html; charset=utf-8", publish_plan.PAGE_CACHE]
    assert ["delete", "blog/old-post.html"] in steps
    assert steps[-1] == ["invalidate", "/blog", "/blog.html", "/blog/old-post",
                         "/blog/old-post.html"]
    assert [step[0] for step in steps] == ["upload", "delete", "invalidate"]
    assert summary.startswith("0 new, 1 changed, 5 unchanged, 1 to delete, 4 paths")


def test_a_page_whose_name_starts_with_a_dot_is_published(tmp_path):
    build = write(tmp_path, {**SITE, "blog/tag/.net.html": "<p>.net</p>"})
    steps, _ = publish_plan.plan(build, listing(SITE), 200)
    assert steps == [["upload", "text/html; charset=utf-8", publish_plan.PAGE_CACHE,
                      "blog/tag/.net.html"]]


def test_a_first_publish_orders_assets_first_and_the_home_page_last(tmp_path):
    steps, summary = publish_plan.plan(write(tmp_path, SITE), "null", max_paths=200)
    uploaded = [key for step in steps if step[0] == "upload" for key in step[3:]]
    assert sorted(uploaded) == sorted(SITE)
    assert uploaded.index("static/css/site.css") < uploaded.index("blog.html")
    assert uploaded[-1] == "index.html"
    assert not [step for step in steps if step[0] in ("delete", "invalidate")]
    assert summary.startswith("6 new, 0 changed")


def test_the_search_index_entries_go_after_the_files_they_name(tmp_path):
    """In each part of the index (a blog with many posts has several)."""
    site = {"pagefind/pagefind-entry.json": "{}", "pagefind/pagefind.en_1.pf_meta": "m",
            "pagefind/fragment/en_2.pf_fragment": "f", "pagefind/pagefind.js": "js",
            "pagefind/part-2/pagefind-entry.json": "{}",
            "pagefind/part-2/pagefind.en_3.pf_meta": "m",
            "pagefind/part-2/fragment/en_4.pf_fragment": "f",
            "search.html": "<p>", "index.html": "<p>"}
    steps, _ = publish_plan.plan(write(tmp_path, site), "null", max_paths=200)
    uploaded = [key for step in steps if step[0] == "upload" for key in step[3:]]
    entries = sorted(uploaded.index(key) for key in site if key.endswith("entry.json"))
    assert entries == [5, 6] and uploaded[7:] == ["search.html", "index.html"]


def test_more_paths_than_allowed_become_one_wildcard(tmp_path):
    build = write(tmp_path, {f"p{n}.html": f"new {n}" for n in range(5)})
    remote = listing({f"p{n}.html": f"old {n}" for n in range(5)})
    steps, summary = publish_plan.plan(build, remote, max_paths=9)
    assert steps[-1] == ["invalidate", "/*"]
    assert "more than --max-paths 9" in summary
    steps, _ = publish_plan.plan(build, remote, max_paths=10)
    assert len(steps[-1]) == 11


def test_a_file_name_with_a_tab_is_refused_naming_the_file(tmp_path):
    write(tmp_path / "build", {"blog/bad\tname.html": "x"})
    (tmp_path / "listing.json").write_text("null")
    result = subprocess.run([sys.executable, str(PLAN), str(tmp_path / "build"),
                             str(tmp_path / "listing.json")], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 1
    assert "bad\tname.html" in result.stderr and "can't be published" in result.stderr
    assert result.stdout == ""


def test_a_missing_build_folder_is_a_clear_error(tmp_path):
    (tmp_path / "listing.json").write_text("null")
    result = subprocess.run([sys.executable, str(PLAN), str(tmp_path / "nope"),
                             str(tmp_path / "listing.json")], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 1
    assert "no build folder" in result.stderr


def test_paths_left_by_an_unfinished_publish_are_invalidated_even_with_nothing_changed(
        tmp_path):
    build = write(tmp_path, SITE)
    steps, summary = publish_plan.plan(build, listing(SITE), 200, pending=["/blog", "/blog.html"])
    assert steps == [["invalidate", "/blog", "/blog.html"]]
    assert "2 left from an unfinished publish" in summary
    steps, _ = publish_plan.plan(build, listing(SITE), 200)
    assert steps == []
