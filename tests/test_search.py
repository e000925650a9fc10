"""/search: ranking, stemming, accents, prefixes, phrases, freshness, drafts,
safe snippets, pagination, and the page around them."""
import html
import logging
import os
import re
import subprocess
import sys
import threading
import datetime as dt
from pathlib import Path

import pytest

from website.content import search_index
from website.content.collection import PostCollection
from website.content.search_query import parse

requires_fts5 = pytest.mark.skipif(
    not search_index.fts5_available(),
    reason="this Python's sqlite3 has no FTS5: search is unavailable here (its "
           "degraded page is tested by test_search_without_fts5_*)")

RESULT_LINK = re.compile(r'<h2 class="post-card-title"><a href="/blog/([^"]+)">(.*?)</a></h2>')
SNIPPET = re.compile(r'<p class="summary snippet">(.*?)</p>', re.DOTALL)


def post(title, body, date="2024-01-01", tags="", extra=""):
    return f"---\ntitle: \"{title}\"\ndate: {date}\ntags: [{tags}]\n{extra}---\n\n{body}\n"


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "search-posts"
    path.mkdir()
    return path


@pytest.fixture
def site(folder, make_app):
    """``site(**config)``: a client for an app on ``folder``."""
    def build(**overrides):
        return make_app(folder, **overrides).test_client()
    return build


def write(folder, name, text):
    path = folder / name
    existed = path.exists() and path.stat().st_mtime_ns
    path.write_text(text)
    if existed:     # a new mtime even on a coarse clock
        os.utime(path, ns=(existed + 10**9, existed + 10**9))
    return path


def found(client, query, **params):
    """(status, slugs in result order, page text) for ``query``."""
    response = client.get("/search", query_string={"q": query, **params})
    text = response.get_data(as_text=True)
    return response.status_code, [m.group(1) for m in RESULT_LINK.finditer(text)], text


@requires_fts5
def test_title_match_outranks_body_match(folder, site):
    write(folder, "body.md", post("Notes from a week", "Kubernetes here, kubernetes there, "
                                  "kubernetes everywhere in this text.", date="2024-06-01"))
    write(folder, "title.md", post("Kubernetes in one page", "A short text about clusters.",
                                   date="2020-01-01"))
    write(folder, "tagged.md", post("Cluster notes", "About clusters again, kubernetes once.",
                                    date="2019-01-01", tags="kubernetes"))
    write(folder, "other.md", post("Unrelated", "Nothing to see."))
    status, slugs, _ = found(site(), "kubernetes")
    assert status == 200
    assert slugs == ["title", "tagged", "body"]


@requires_fts5
@pytest.mark.parametrize("query, expected", [
    ("deploying", {"deploy"}), ("deployed", {"deploy"}), ("DEPLOYS", {"deploy"}),
    ("cafe", {"accents"}), ("CAFÉ", {"accents"}), ("naive resume", {"accents"}),
    ("Zürich", {"accents"}), ("zurich", {"accents"}),
    ("deplo*", {"deploy"}), ("deplo", set()), ("caf*", {"accents"}),
    ('"plain files"', {"adjacent"}), ("plain files", {"adjacent", "apart"}),
    ('"files plain"', set()), ("mod_wsgi", {"deploy"}),
])
def test_matching(folder, site, query, expected):
    write(folder, "deploy.md", post("Shipping", "How we deploy the app with mod_wsgi."))
    write(folder, "accents.md", post("Café notes", "A naïve résumé, written in zurich."))
    write(folder, "adjacent.md", post("Storage", "Why plain files last."))
    write(folder, "apart.md", post("Other storage", "Plain text in many files."))
    status, slugs, _ = found(site(), query)
    assert status == 200
    assert set(slugs) == expected


@requires_fts5
def test_results_show_count_date_tags_and_marked_snippet(folder, site):
    write(folder, "one.md", post("Apache in front", "The server runs Apache httpd. "
                                 + "Filler words go here. " * 30 + "Apache again.",
                                 date="2024-03-02", tags="apache, web"))
    write(folder, "two.md", post("Second", "Also about apache.", date="2024-01-01"))
    status, slugs, text = found(site(), "apache")
    assert status == 200 and slugs == ["one", "two"]
    assert "2 posts found for <strong>apache</strong>" in text
    assert '<a href="/blog/one"><mark>Apache</mark> in front</a>' in text
    assert '<time datetime="2024-03-02">2 March 2024</time>' in text
    assert '<a class="tag" href="/blog/tag/web">web</a>' in text
    snippets = SNIPPET.findall(text)
    assert "runs <mark>Apache</mark> httpd" in snippets[0]
    assert snippets[1] == "Also about <mark>apache</mark>."


@requires_fts5
def test_no_results_says_so(folder, site):
    write(folder, "one.md", post("One", "Words."))
    status, slugs, text = found(site(), "zyxwvut")
    assert status == 200 and slugs == []
    assert "No posts found for <strong>zyxwvut</strong>." in text


@requires_fts5
def test_only_title_matched_shows_the_summary(folder, site):
    write(folder, "one.md", post("Gardening", "Tomatoes need sun.\n\nMore text."))
    _, _, text = found(site(), "gardening")
    assert '<p class="summary">Tomatoes need sun.</p>' in text


@requires_fts5
def test_snippets_and_titles_are_escaped(folder, site):
    body = ("Prose with &lt;script&gt;alert('prose')&lt;/script&gt; in it.\n\n"
            "<b onmouseover=\"alert('tag')\">bold</b> alert\n\n"
            "```html\n<script>alert('code')</script>\n```\n\n"
            "Forged \ufdd0marks\ufdd1 are not marks. alert")
    write(folder, "xss.md", post("<img src=x onerror=alert(1)> alert", body))
    status, slugs, text = found(site(), "alert")
    assert status == 200 and slugs == ["xss"]
    main = text[text.index("<main"):text.index("</main>")]
    title = RESULT_LINK.search(main).group(2)
    [snippet] = SNIPPET.findall(main)
    for fragment in (title, snippet):
        bare = fragment.replace("<mark>", "").replace("</mark>", "")
        assert "<" not in bare and ">" not in bare, fragment
    assert "&lt;img src=x onerror=<mark>alert</mark>(1)&gt;" in title
    assert "<mark>marks</mark>" not in snippet
    assert "<script" not in main and "onmouseover=" not in main.replace("&", "")


@requires_fts5
def test_fresh_after_edit_add_and_delete(folder, site):
    client = site()
    first = write(folder, "first.md", post("First", "The word is pineapple."))
    assert found(client, "pineapple")[1] == ["first"]

    write(folder, "first.md", post("First", "The word is now mango."))
    assert found(client, "pineapple")[1] == []
    assert found(client, "mango")[1] == ["first"]

    write(folder, "second.md", post("Second", "More mango here.", date="2025-01-01"))
    assert sorted(found(client, "mango")[1]) == ["first", "second"]

    first.unlink()
    assert found(client, "mango")[1] == ["second"]


@requires_fts5
def test_only_changed_posts_are_indexed_again(folder):
    for n in range(5):
        write(folder, f"p{n}.md", post(f"Post {n}", f"Body {n}."))
    posts = PostCollection(folder, check_interval=0)
    index = search_index.SearchIndex()
    calls = []
    posts.on_change(lambda snapshot: calls.append(index.update(snapshot)))
    posts.refresh()
    write(folder, "p3.md", post("Post 3", "Edited."))
    posts.refresh()
    (folder / "p4.md").unlink()
    posts.refresh()
    write(folder, "p5.md", post("Post 5", "New."))
    posts.refresh()
    posts.refresh()             # nothing changed: no new snapshot
    assert calls == [(5, 0), (1, 1), (0, 1), (1, 0)]
    now = dt.datetime.now(dt.timezone.utc)
    assert [h.post.slug for h in index.search(parse("edited"), now).hits] == ["p3"]
    assert index.search(parse("body"), now).total == 3


@requires_fts5
@pytest.mark.parametrize("config, visible", [
    ({}, {"public"}),
    ({"SHOW_DRAFTS": True}, {"public", "draft", "future"}),
    ({"DEBUG": True}, {"public", "draft", "future"}),
])
def test_drafts_and_scheduled_posts_only_on_the_dev_server(folder, site, config, visible):
    write(folder, "public.md", post("Public", "Shared secretword."))
    write(folder, "draft.md", post("Draft", "Shared secretword.", extra="draft: true\n"))
    write(folder, "future.md", post("Future", "Shared secretword.", date="2999-01-01"))
    client = site(**config)
    if config.get("DEBUG"):
        client.application.debug = True
    status, slugs, text = found(client, "secretword")
    assert set(slugs) == visible
    assert ('<span class="badge">Draft</span>' in text) == ("draft" in visible)
    assert ('<span class="badge">Scheduled for' in text) == ("future" in visible)


@requires_fts5
def test_pagination(folder, site):
    for n in range(5):
        write(folder, f"p{n}.md", post(f"Post {n}", "common words", date=f"2024-01-0{n + 1}"))
    client = site(SEARCH_RESULTS_PER_PAGE=2)
    pages = [found(client, "common", **({"page": p} if p > 1 else {})) for p in (1, 2, 3)]
    assert [p[0] for p in pages] == [200, 200, 200]
    seen = [slug for _, slugs, _ in pages for slug in slugs]
    assert sorted(seen) == [f"p{n}" for n in range(5)] and len(set(seen)) == 5
    assert "5 posts found for <strong>common</strong>, page 2 of 3" in pages[1][2]
    assert 'rel="next" href="/search?q=common&amp;page=3"' in pages[1][2]
    assert 'rel="prev" href="/search?q=common"' in pages[1][2]
    assert found(client, "common", page=4)[0] == 404


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "101", "99999999999999999999",
                                  "\uff11", ""])
def test_bad_page_numbers_get_a_400_that_says_why(client, page):
    response = client.get("/search", query_string={"q": "flask", "page": page})
    assert response.status_code == 400
    assert "pages go from 1 to 100" in response.get_data(as_text=True)


@pytest.mark.parametrize("raw", ["q=%ff", "q=caf%e9", "q=%ed%a0%80", "q=ok&page=%c0%af"])
def test_invalid_utf8_gets_a_400_that_says_why(client, raw):
    response = client.get("/search?" + raw)
    assert response.status_code == 400
    assert "not valid UTF-8" in response.get_data(as_text=True)


@requires_fts5
def test_long_queries_are_cut_and_say_so(folder, site):
    write(folder, "one.md", post("One", "alpha words"))
    status, slugs, text = found(site(), "alpha " * 2000)
    assert status == 200 and slugs == ["one"]
    assert "Only the first 200 characters of the search were used." in text
    assert "alpha " * 34 not in text


def test_empty_and_wordless_queries_get_a_normal_page(client):
    for query, words in (("", "Type one or more words"), ("  ", "Type one or more words"),
                         ("(((", "no words to search for")):
        response = client.get("/search", query_string={"q": query})
        assert response.status_code == 200
        assert words in response.get_data(as_text=True)
    assert client.get("/search").status_code == 200


def test_search_page_is_noindex_and_not_in_the_sitemap(client):
    response = client.get("/search?q=flask")
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in response.get_data(as_text=True)
    assert "/search" not in client.get("/sitemap.xml").get_data(as_text=True)
    assert 'content="noindex"' not in client.get("/blog").get_data(as_text=True)


def test_query_is_shown_escaped(client):
    response = client.get("/search", query_string={"q": '"><script>alert(1)</script>'})
    text = response.get_data(as_text=True)
    assert "<script>alert" not in text
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in text


@requires_fts5
def test_header_has_a_labelled_get_form_on_every_page(client):
    for path in ("/", "/blog", "/blog/archive", "/no/such/page"):
        text = client.get(path).get_data(as_text=True)
        header = text[text.index("<header"):text.index("</header>")]
        assert '<form class="search-form" role="search" action="/search" method="get">' in header
        assert '<label for="site-search" class="visually-hidden">Search posts</label>' in header
        assert '<input id="site-search" type="search" name="q"' in header
    # The search page has its own, visible, form instead.
    text = client.get("/search?q=flask").get_data(as_text=True)
    assert 'id="site-search"' not in text
    assert '<label for="search-page-q">Search posts</label>' in text
    assert 'name="q" value="flask"' in text


@requires_fts5
def test_search_runs_safely_from_many_threads_while_posts_change(folder, site):
    for n in range(20):
        write(folder, f"p{n}.md", post(f"Post {n}", f"shared words number {n}"))
    client = site()
    failures = []

    def reader():
        local = client.application.test_client()
        for _ in range(40):
            status, slugs, text = found(local, "shared")
            total = re.search(r"(\d+) posts found", text)
            if status != 200 or len(slugs) != 10 or not 20 <= int(total.group(1)) <= 23:
                failures.append((status, len(slugs), total and total.group(0)))

    def replace(name, text):    # as editors save: a new file renamed over the old
        temporary = folder / f".{name}.tmp"
        temporary.write_text(text)
        temporary.replace(folder / name)

    def writer():
        for n in range(40):
            replace(f"p{n % 5}.md", post(f"Post {n % 5}", f"shared words, edit {n}"))
            replace(f"new{n % 3}.md", post("New", "shared too"))
            if n % 2:
                (folder / f"new{n % 3}.md").unlink()

    threads = [threading.Thread(target=reader) for _ in range(6)] + [threading.Thread(target=writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


@requires_fts5
def test_a_query_running_too_long_is_stopped(folder, site, monkeypatch):
    write(folder, "one.md", post("One", "words"))
    monkeypatch.setattr(search_index, "TIME_LIMIT", -1.0)
    monkeypatch.setattr(search_index, "PROGRESS_STEPS", 1)
    status, slugs, text = found(site(), "words")
    assert status == 200 and slugs == []
    assert "This search took too long" in text


def test_search_without_fts5_degrades_clearly(posts_dir, make_app, monkeypatch, caplog):
    monkeypatch.setattr(search_index, "SCHEMA", ["CREATE VIRTUAL TABLE posts USING no_fts5(x)"])
    with caplog.at_level(logging.WARNING, logger="website"):
        app = make_app(posts_dir)
        client = app.test_client()
        responses = [client.get("/search?q=flask") for _ in range(3)]
        home = client.get("/")
    warnings = [r for r in caplog.records if "Search is unavailable" in r.getMessage()]
    assert len(warnings) == 1 and "no full-text search (FTS5)" in warnings[0].getMessage()
    for response in responses:
        assert response.status_code == 200
        assert "Search is not available on this server." in response.get_data(as_text=True)
    assert home.status_code == 200
    assert 'role="search"' not in home.get_data(as_text=True)
    assert client.get("/search").status_code == 200


def test_search_without_fts5_says_so_on_the_empty_page(posts_dir, make_app, monkeypatch):
    monkeypatch.setattr(search_index, "SCHEMA", ["CREATE VIRTUAL TABLE posts USING no_fts5(x)"])
    text = make_app(posts_dir).test_client().get("/search").get_data(as_text=True)
    assert "Search is not available on this server." in text
    assert html.escape("no_fts5") not in text


@requires_fts5
def test_the_index_writes_no_file(folder, make_app, tmp_path):
    write(folder, "one.md", post("One", "words"))
    instance = tmp_path / "instance"
    instance.mkdir()
    before = sorted(p for p in tmp_path.rglob("*"))
    app = make_app(folder)
    app.instance_path = str(instance)
    assert found(app.test_client(), "words")[1] == ["one"]
    assert sorted(p for p in tmp_path.rglob("*")) == before


@requires_fts5
def test_index_is_built_by_the_first_request_not_by_commands(folder, make_app):
    for n in range(3):
        write(folder, f"p{n}.md", post(f"Post {n}", "words"))
    app = make_app(folder)
    result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0, result.output
    index = app.extensions["search"]
    assert len(index) == 0
    app.test_client().get("/")
    assert index.wait_until_built(30)
    assert len(index) == 3


@requires_fts5
def test_the_first_request_does_not_wait_for_the_index_searches_do(folder, make_app, monkeypatch):
    for n in range(3):
        write(folder, f"p{n}.md", post(f"Post {n}", "Plenty of words."))
    app = make_app(folder)
    index = app.extensions["search"]
    release = threading.Event()
    real_update = index.update

    def slow_update(snapshot):
        assert release.wait(30)
        return real_update(snapshot)
    monkeypatch.setattr(index, "update", slow_update)
    client = app.test_client()
    assert client.get("/").status_code == 200       # while the index is held back
    assert len(index) == 0 and not index.wait_until_built(0.1)
    answer = []
    searcher = threading.Thread(target=lambda: answer.append(found(client, "plenty")))
    searcher.start()
    searcher.join(0.3)
    assert searcher.is_alive() and not answer       # the search waits for the index
    release.set()
    searcher.join(30)
    assert answer and sorted(answer[0][1]) == ["p0", "p1", "p2"]


@requires_fts5
def test_the_index_is_built_once_the_first_page_is_answered(folder, make_app, monkeypatch):
    # Not alongside it: the build's thread would take turns with the page.
    for n in range(3):
        write(folder, f"p{n}.md", post(f"Post {n}", "words"))
    app = make_app(folder)
    index = app.extensions["search"]
    started = threading.Event()
    real_update = index.update

    def update(snapshot):
        started.set()
        return real_update(snapshot)
    monkeypatch.setattr(index, "update", update)
    during = []

    @app.after_request
    def look(response):
        during.append(started.wait(0.2))
        return response
    assert app.test_client().get("/").status_code == 200
    assert during == [False]
    assert started.wait(30) and index.wait_until_built(30) and len(index) == 3


@requires_fts5
def test_a_search_as_the_first_request_starts_the_index_and_waits(folder, make_app):
    for n in range(3):
        write(folder, f"p{n}.md", post(f"Post {n}", "Plenty of words."))
    status, slugs = found(make_app(folder).test_client(), "plenty")[:2]
    assert status == 200 and sorted(slugs) == ["p0", "p1", "p2"]


def test_a_failing_listener_does_not_stop_the_posts(folder, caplog):
    write(folder, "one.md", post("One", "words"))
    posts = PostCollection(folder, check_interval=0)
    seen = []

    def broken(snapshot):
        raise RuntimeError("index broke")
    posts.on_change(broken)
    posts.on_change(lambda snapshot: seen.append([p.slug for p in snapshot.posts]))
    with caplog.at_level(logging.ERROR, logger="website"):
        assert [p.slug for p in posts.all()] == ["one"]
    assert seen == [["one"]]
    assert any("index broke" in r.getMessage() or r.exc_info for r in caplog.records)


EXIT_DURING_FIRST_BUILD = """
import sys
from website import create_app
app = create_app({"POSTS_DIR": sys.argv[1]})
assert app.test_client().get("/").status_code == 200     # starts the index's first build
assert not app.extensions["search"]._built.is_set()
"""


def test_a_process_that_exits_while_the_index_is_built_exits_cleanly(tmp_path):
    """A script, a command or a mod_wsgi daemon restarting may end during the
    first build (a background thread): the index's database is not closed
    under it (which crashed the process about one time in two)."""
    posts = tmp_path / "posts"
    posts.mkdir()
    words = " ".join(f"word{n}" for n in range(400))
    for n in range(3000):
        (posts / f"p{n}.md").write_text(post(f"Post {n}", f"{words}\n\n{words}\n",
                                             date=f"2020-01-{n % 28 + 1:02d}"))
    root = Path(__file__).resolve().parent.parent
    codes = [subprocess.run([sys.executable, "-c", EXIT_DURING_FIRST_BUILD, str(posts)],
                            cwd=root, capture_output=True, text=True).returncode
             for _ in range(6)]
    assert codes == [0] * 6
