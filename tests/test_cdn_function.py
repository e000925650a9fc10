"""The CloudFront Function (deploy/aws/cdn-function.js), run under Node on a real build.

Every URL the built pages, feeds and sitemap link to must reach an object of
the build; unknown URLs must reach none (CloudFront then answers /404.html
with status 404); www and trailing slashes redirect. Node runs the file alone
in an empty context, as CloudFront does: no require, no network.
"""
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cdn_site import build, built_files, s3_key, site_urls, write_posts

ROOT = Path(__file__).resolve().parent.parent
FUNCTION = ROOT / "deploy" / "aws" / "cdn-function.js"
RUNNER = Path(__file__).with_name("cdn_function_run.js")
HOST = "example.com"


def run_function(requests):
    """Call handler(event) under Node for each request: {"host", "uri", "querystring"}."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.fail("node is not installed; run tests/system-deps.sh (make test does)")
    requests = [{"host": HOST, "querystring": {}, **request} for request in requests]
    result = subprocess.run([node, str(RUNNER), str(FUNCTION)], input=json.dumps(requests),
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    results = json.loads(result.stdout)
    assert len(results) == len(requests)
    return results


def query(url):
    """A URL's query string in the shape CloudFront hands a function."""
    if "?" not in url:
        return {}
    shaped = {}
    for pair in url.split("?", 1)[1].split("&"):
        name, _, value = pair.partition("=")
        shaped.setdefault(name, {"value": value, "multiValue": []})["multiValue"].append(
            {"value": value})
    return shaped


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cdn-function")
    return build(write_posts(folder / "posts"), folder / "build")


@pytest.fixture(scope="module")
def urls(site):
    return sorted(site_urls(site))


def test_the_crawl_finds_every_kind_of_url(urls):
    assert len(urls) > 40
    expected = ["/", "/blog", "/blog/page/2", "/blog/page/3", "/blog/archive", "/feed.xml",
                "/sitemap.xml", "/robots.txt", "/blog/slug-with-(parens)", "/blog/release-1.2",
                "/blog/caf%C3%A9-au-lait", "/blog/c++-in-(practice)", "/blog/leaving-node.js",
                "/blog/tag/node.js", "/blog/tag/node.js/feed.xml", "/blog/tag/.net"]
    assert [url for url in expected if url not in urls] == []
    # "open source": a tag with a space, whichever way its URL spells it
    assert [url for url in urls if re.fullmatch(r"/blog/tag/open(-|%20)source", url)]
    assert [url for url in urls if re.fullmatch(r"/blog/tag/open(-|%20)source/feed.xml", url)]
    assert [url for url in urls if url.startswith("/static/") and "?v=" in url]
    assert [url for url in urls if url.startswith("/code.css?v=")]


def test_every_url_of_the_build_reaches_an_object(site, urls):
    results = run_function([{"uri": url.split("?")[0], "querystring": query(url)}
                            for url in urls])
    missing = []
    for url, result in zip(urls, results):
        assert "uri" in result, f"{url} was answered by the function: {result}"
        if not (site / s3_key(result["uri"])).is_file():
            missing.append(f"{url} -> {result['uri']}")
    assert missing == []


def test_every_built_page_is_reached_by_some_link(site, urls):
    results = run_function([{"uri": url.split("?")[0]} for url in urls])
    reached = {s3_key(result["uri"]) for result in results}
    pages = {name for name in built_files(site) if name.endswith(".html")}
    # 404.html is CloudFront's error page; x/index.html copies serve hosts
    # that look for a folder's index (see README), never this function.
    unreached = {name for name in pages - reached
                 if name != "404.html" and not name.endswith("/index.html")}
    assert unreached == set()


def test_query_strings_go_on_to_the_origin_untouched(urls):
    versioned = [url for url in urls if "?v=" in url]
    results = run_function([{"uri": url.split("?")[0], "querystring": query(url)}
                            for url in versioned])
    for url, result in zip(versioned, results):
        assert result["querystring"] == query(url)
        assert result["uri"] == url.split("?")[0], "files keep their own names"


@pytest.mark.parametrize("uri", ["/nope", "/blog/nope", "/blog/tag/nope", "/blog/page/99",
                                 "/blog/tag/nope/feed.xml", "/static/nope.css", "/feed.json",
                                 "/blog/slug-with-(parens)/more", "/index", "/404",
                                 "/blog/index.html", "/blog/tag", "/blog/feed.xml"])
def test_unknown_urls_reach_no_object_so_the_404_page_answers(site, uri):
    result, = run_function([{"uri": uri}])
    assert "uri" in result
    assert not (site / s3_key(result["uri"])).exists()
    assert (site / "404.html").is_file()


def test_www_redirects_to_the_apex_keeping_path_and_query():
    results = run_function([
        {"host": "www.example.com", "uri": "/blog/slug-with-(parens)",
         "querystring": {"utm_source": {"value": "feed"},
                         "tag": {"value": "a", "multiValue": [{"value": "a"},
                                                              {"value": "b%20c"}]}}},
        {"host": "WWW.Example.com", "uri": "/"},
        {"host": "www.example.com", "uri": "/blog/"},
    ])
    assert [(r["status"], r["location"]) for r in results] == [
        (301, "https://example.com/blog/slug-with-(parens)?utm_source=feed&tag=a&tag=b%20c"),
        (301, "https://example.com/"),
        (301, "https://example.com/blog/"),
    ]
    assert all(r["cacheControl"] for r in results)


@pytest.mark.parametrize("uri, location", [
    ("/blog/", "/blog"),
    ("/blog/tag/open%20source/", "/blog/tag/open%20source"),
    ("/blog/slug-with-(parens)//", "/blog/slug-with-(parens)"),
    ("//evil.example/", "/evil.example"),
    ("///", "/"),
])
def test_a_trailing_slash_redirects_like_the_app_and_never_off_site(uri, location):
    result, = run_function([{"uri": uri, "querystring": {"page": {"value": "2"}}}])
    assert result["status"] == 301
    assert result["location"] == location + "?page=2"


def test_the_first_page_of_blog_redirects_to_blog_as_in_the_app():
    result, = run_function([{"uri": "/blog/page/1", "querystring": {"a": {"value": "b"}}}])
    assert (result["status"], result["location"]) == (301, "/blog?a=b")


def test_the_root_and_apex_requests_are_not_redirected(site):
    result, = run_function([{"uri": "/"}])
    assert result["uri"] == "/index.html" and (site / "index.html").is_file()


def test_a_plus_reaches_s3_encoded(site):
    result, = run_function([{"uri": "/blog/tag/c++"}])
    assert result["uri"] == "/blog/tag/c%2B%2B.html"
    assert (site / s3_key(result["uri"])).is_file()


def test_the_function_fits_cloudfront_limits():
    code = FUNCTION.read_bytes()
    assert len(code) < 10 * 1024, "CloudFront Functions are at most 10 KB"
    text = code.decode("ascii")
    for forbidden in ("require(", "import ", "fetch(", "process.", "console."):
        assert forbidden not in text, forbidden


def test_the_search_page_and_every_file_of_its_index_reach_their_objects(site):
    """Pagefind's files (.pf_fragment, .pf_index, .pf_meta, .pagefind) keep their names."""
    names = sorted(name for name in built_files(site) if name.startswith("pagefind/"))
    assert len(names) > 10 and any(name.endswith(".pf_fragment") for name in names)
    results = run_function([{"uri": "/search", "querystring": query("/search?q=apache")}]
                           + [{"uri": "/" + name} for name in names])
    assert [s3_key(result["uri"]) for result in results] == ["search.html"] + names
    assert results[0]["querystring"] == query("/search?q=apache")
