"""The build's memo of ``url_for``: the same URLs as Flask's own, worked out once."""
import pytest
from flask import render_template_string, url_for

from conftest import SITE_URL
from website.build.url_memo import memoized_url_for

CALLS = [
    ("blog.post", {"slug": "a-(b)"}),
    ("blog.post", {"slug": "café crème"}),
    ("blog.tag", {"tag": "c#", "page": 2}),
    ("blog.index", {"page": 3}),
    ("static", {"filename": "css/site.css", "v": "abc"}),
    ("feeds.site_feed", {}),
    ("blog.post", {"slug": "x", "_external": True}),
    ("blog.post", {"slug": "x", "_anchor": "a heading"}),
    ("blog.index", {"q": ["two", "values"]}),       # a list: answered, not kept
]


def urls(app, host):
    """Every URL of CALLS, in a request to ``host``."""
    with app.test_request_context("/blog", base_url=f"https://{host}"):
        return [url_for(endpoint, **values) for endpoint, values in CALLS]


def test_memoized_urls_are_flasks(app):
    expected = {host: urls(app, host) for host in ("example.com", "other.example")}
    with memoized_url_for(app) as memo:
        for _ in range(2):      # worked out, then given again
            for host, wanted in expected.items():
                assert urls(app, host) == wanted
        assert len(memo.urls) == 2 * (len(CALLS) - 1)   # per host; the list is not kept
    assert "url_for" not in vars(app)                    # Flask's own again
    assert urls(app, "example.com") == expected["example.com"]


def test_templates_and_relative_endpoints_use_it(app):
    with memoized_url_for(app) as memo:
        with app.test_request_context("/blog/a-post", base_url=SITE_URL):
            relative = url_for(".tag", tag="t")
            page = render_template_string("{{ url_for('blog.post', slug='s') }}")
        assert relative == "/blog/tag/t" and page == "/blog/s"
        assert {key[1] for key in memo.urls} == {"blog.tag", "blog.post"}


def test_left_out_where_urls_depend_on_more(app):
    app.url_defaults(lambda endpoint, values: None)
    with memoized_url_for(app) as memo:
        assert memo is None and "url_for" not in vars(app)


def test_unknown_endpoint_still_fails(app):
    with memoized_url_for(app), app.test_request_context("/", base_url=SITE_URL):
        with pytest.raises(Exception, match="no-such"):
            url_for("no-such.endpoint")


@pytest.mark.parametrize("site", [SITE_URL, "http://example.com:8080/under/a/path"])
def test_a_build_s_planning_works_out_the_urls_its_pages_ask_for(app, site):
    # The build plans in a request where fetch asks for each page (SITE_URL's
    # scheme and host): the sitemap (every page's URL) then finds them all in
    # the memo, and each planned URL is one the app answers.
    from website.build import builder, pages
    from website.build.fetch import fetch
    app.config["SITE_URL"] = site
    with app.app_context(), builder.production(app):
        memo = app.jinja_env.globals["url_for"]
        planned = pages.site_pages(pages.site_fingerprint(app))
        asked = []
        work_out = memo.url_for
        memo.url_for = lambda *args, **values: (asked.append(args), work_out(*args, **values))[1]
        assert fetch(app, "/sitemap.xml").status == 200
        assert asked == []
        assert [fetch(app, page.url).status for page in planned] == [page.status
                                                                     for page in planned]
    assert len(planned) > 10
