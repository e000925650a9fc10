"""``flask check``: every kind of problem, with file and line, and the exit codes."""
import datetime as dt
import textwrap

import pytest

from website.tools import checks

GOOD = """\
title: Good
date: 2024-01-10
tags: flask

A good post.
"""


@pytest.fixture
def blog(make_app, tmp_path):
    """A posts folder holding one good post; ``blog.write`` adds more, ``blog.check`` runs."""
    folder = tmp_path / "posts"
    folder.mkdir()

    class Blog:
        path = folder

        @staticmethod
        def write(name, text):
            path = folder / name
            path.write_text(textwrap.dedent(text), encoding="utf-8")
            return path

        @staticmethod
        def check(**settings):
            app = make_app(folder, **settings)
            return app.test_cli_runner().invoke(args=["check"])

    Blog.write("good.md", GOOD)
    return Blog


def problem_lines(result):
    return [line for line in result.output.splitlines() if ": error: " in line
            or ": warning: " in line]


def test_clean_folder_exits_0_with_a_summary(blog):
    result = blog.check()
    assert result.exit_code == 0
    assert problem_lines(result) == []
    assert result.stdout.strip().splitlines()[-1].startswith("1 post checked: 0 errors, 0 warnings")


def test_bad_date_names_file_and_line(blog):
    blog.write("bad-date.md", """\
        title: Bad date
        date: 2024-13-01

        Body.
        """)
    blog.write("yaml-date.md", """\
        ---
        title: Bad date in YAML
        tags: [a]
        date: 2024/01/01
        ---

        Body.
        """)
    result = blog.check()
    assert result.exit_code == 1
    lines = problem_lines(result)
    assert lines[0].endswith("bad-date.md:2: error: date: '2024-13-01' is not an ISO date such "
                             "as 2024-05-01 or 2024-05-01 14:30")
    assert "yaml-date.md:4: error: date: '2024/01/01' is not an ISO date" in lines[1]
    assert len(lines) == 2
    assert "2 errors" in result.output


def test_impossible_yaml_date_names_file_and_line(blog):
    blog.write("bad-date.md", "---\ntitle: Bad\ndate: 2024-13-01\n---\n\nBody.\n")
    result = blog.check()
    assert result.exit_code == 1
    assert "bad-date.md:3: error: " in result.output


def test_missing_title_is_an_error(blog):
    blog.write("untitled.md", "date: 2024-01-01\n\nBody.\n")
    result = blog.check()
    assert result.exit_code == 1
    assert any("untitled.md:1: error: title: required field 'title' is missing" in line
               for line in problem_lines(result))


def test_broken_link_names_file_and_line(blog):
    blog.write("linking.md", """\
        title: Linking
        date: 2024-02-01

        First paragraph links to [a good post](/blog/good).

        Second paragraph links to [nothing](/blog/no-such-post) at all.
        """)
    result = blog.check()
    assert result.exit_code == 1
    [line] = problem_lines(result)
    assert "linking.md:6: error: link to /blog/no-such-post" in line
    assert "no post with slug 'no-such-post'" in line


def test_links_in_every_syntax(blog):
    blog.write("a-(b).md", "title: Parens\ndate: 2024-01-01\n\nBody.\n")
    blog.write("syntaxes.md", """\
        title: Syntaxes
        date: 2024-02-01
        tags: flask

        An [angle-bracket link](</blog/a-(b)>) and a [bare one](/blog/a-(b)) work.
        A [reference][ref] and an absolute [post link](https://blog.example.com/blog/good#top).
        Tag [flask](/blog/tag/flask), its [feed](/blog/tag/flask/feed.xml), [home](/),
        the [archive](/blog/archive) and the [feed](/feed.xml) are all there.
        <a href="/blog/good">Raw HTML</a>, <img src="/static/img/favicon.svg" alt="">
        An [external link](https://example.com/blog/nothing) is not checked.

        ```python
        print("[not a link](/blog/in-code)")
        ```

        Inline `[not a link](/blog/in-code-span)` either.

        [ref]: /blog/a-(b) "Title"
        """)
    result = blog.check()
    assert problem_lines(result) == []
    assert result.exit_code == 0


def test_broken_links_in_each_syntax_are_found_on_their_lines(blog):
    path = blog.write("broken.md", """\
        title: Broken
        date: 2024-02-01

        An [angle-bracket link](</blog/gone-(b)>).
        <p>Raw <a href='/blog/raw-gone'>HTML</a>.</p>

        A [reference][ref], a [tag](/blog/tag/nobody-uses-this),
        a [site link](https://blog.example.com/blog/absolute-gone),
        a [relative one](other-gone) and [nowhere](/no/such/page).

        [ref]: /blog/ref-gone
        """)
    lines = problem_lines(blog.check())
    expected = {
        "/blog/gone-(b)": 4, "/blog/raw-gone": 5, "/blog/tag/nobody-uses-this": 7,
        "https://blog.example.com/blog/absolute-gone": 8, "other-gone": 9,
        "/no/such/page": 9, "/blog/ref-gone": 11,
    }
    for url, number in expected.items():
        assert any(f"{path.name}:{number}: error: link to {url}:" in line for line in lines), \
            (url, lines)
    assert len(lines) == len(expected)


def test_same_broken_link_twice_is_reported_on_both_lines(blog):
    blog.write("twice.md", "title: Twice\ndate: 2024-02-01\n\n[a](/blog/x)\n\n[b](/blog/x)\n")
    lines = problem_lines(blog.check())
    assert [line.split(": error:")[0].rsplit(":", 1)[1] for line in lines] == ["4", "6"]


def test_missing_images(blog):
    blog.write("images.md", """\
        title: Images
        date: 2024-02-01
        image: /static/img/cover-missing.png

        ![Present](/static/img/favicon.svg)
        ![Missing](/static/img/missing.png)
        <img src="/static/img/also-missing.jpg" alt="">
        """)
    result = blog.check()
    assert result.exit_code == 1
    lines = problem_lines(result)
    assert any("images.md:3: error: image: image to /static/img/cover-missing.png" in line
               for line in lines)
    assert any("images.md:6: error: image to /static/img/missing.png: static/img/missing.png "
               "does not exist" in line for line in lines)
    assert any("images.md:7: error: image to /static/img/also-missing.jpg" in line
               for line in lines)
    assert len(lines) == 3


def test_static_paths_cannot_escape_the_folder(blog):
    blog.write("escape.md", "title: E\ndate: 2024-02-01\n\n[x](/static/../website/__init__.py)\n")
    assert blog.check().exit_code == 1


def test_unknown_code_language_is_a_warning_only(blog):
    blog.write("code.md", """\
        title: Code
        date: 2024-02-01

        ```python
        print("known")
        ```

        ~~~ {.klingon}
        Qapla'
        ~~~

        ```
        no language at all
        ```
        """)
    result = blog.check()
    assert result.exit_code == 0
    [line] = problem_lines(result)
    assert "code.md:8: warning: code language 'klingon' is unknown to Pygments" in line
    assert "0 errors, 1 warning" in result.stdout


def test_duplicate_slugs(blog):
    blog.write("one.md", "title: One\ndate: 2024-02-01\nslug: same\n\nBody.\n")
    blog.write("two.md", "title: Two\ndate: 2024-02-02\nslug: same\n\nBody.\n")
    result = blog.check()
    assert result.exit_code == 1
    lines = problem_lines(result)
    assert any("one.md: error: slug: slug 'same' is claimed by" in line for line in lines)
    assert any("two.md: error: slug: slug 'same' is claimed by" in line for line in lines)


def test_tags_of_the_wrong_type(blog):
    blog.write("tags.md", "---\ntitle: Tags\ndate: 2024-02-01\ntags: {a: 1}\n---\n\nBody.\n")
    blog.write("number.md", "---\ntitle: N\ndate: 2024-02-01\ntags: 42\n---\n\nBody.\n")
    result = blog.check()
    assert result.exit_code == 1
    lines = problem_lines(result)
    assert any("tags.md:4: error: tags: must be a list" in line for line in lines)
    assert any("number.md:4: error: tags: must be a list" in line for line in lines)


def test_links_to_drafts_and_later_posts(blog):
    blog.write("draft.md", "title: D\ndate: 2024-01-01\ndraft: true\ntags: secret\n\nBody.\n")
    blog.write("later.md", "title: L\ndate: 2999-01-01\n\nBody.\n")
    blog.write("published.md", """\
        title: Published
        date: 2024-02-01

        See [the draft](/blog/draft), [the later one](/blog/later)
        and [the draft's tag](/blog/tag/secret).
        """)
    blog.write("other-draft.md", "title: O\ndate: 2024-01-01\ndraft: true\n\n[d](/blog/draft)\n")
    blog.write("even-later.md", "title: E\ndate: 3000-01-01\n\n[l](/blog/later)\n")
    result = blog.check()
    assert result.exit_code == 1
    lines = problem_lines(result)
    assert any("published.md:4: error: link to /blog/draft: 'D' is a draft" in line
               for line in lines)
    assert any("published.md:4: error: link to /blog/later: 'L' is not published until "
               "2999-01-01" in line for line in lines)
    assert any("published.md:5: error: link to /blog/tag/secret: no published post" in line
               for line in lines)
    assert not any("other-draft.md" in line or "even-later.md" in line for line in lines)


def test_slug_shadowed_by_a_page(blog):
    blog.write("archive.md", "title: Archive\ndate: 2024-02-01\n\nBody.\n")
    result = blog.check()
    assert result.exit_code == 1
    assert any("archive.md: error: slug 'archive': /blog/archive is another page" in line
               for line in problem_lines(result))


def test_problems_are_sorted_and_counted(blog):
    blog.write("b.md", "title: B\ndate: nope\n\nBody.\n")
    blog.write("a.md", "title: A\ndate: 2024-02-01\n\n[x](/blog/x)\n\n```nope\nx\n```\n")
    result = blog.check()
    names = [line.split(":")[0].rsplit("/", 1)[-1] for line in problem_lines(result)]
    assert names == sorted(names) == ["a.md", "a.md", "b.md"]
    assert "2 errors, 1 warning" in result.output


def test_the_sample_posts_pass(sample_app):
    result = sample_app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert all(": error: " not in line for line in result.output.splitlines())


def test_default_resolve_without_flask():
    assert checks.default_resolve("/blog/a-(b)") == ("post", "a-(b)")
    assert checks.default_resolve("/blog/tag/x") == ("tag", "x")
    assert checks.default_resolve("/blog/tag/x/feed.xml") == ("tag", "x")
    assert checks.default_resolve("/blog/tag/x/other") is None
    assert checks.default_resolve("/static/img/a.png") == ("static", "img/a.png")
    assert checks.default_resolve("/about") == ("other", None)


def test_problem_format():
    problem = checks.Problem("posts/a.md", 3, "something", checks.WARNING)
    assert str(problem) == "posts/a.md:3: warning: something"
    assert str(checks.Problem("posts/a.md", None, "x")) == "posts/a.md: error: x"
    assert checks.summary([problem], 2) == "2 posts checked: 0 errors, 1 warning"


def test_check_posts_is_usable_without_the_app(tmp_path):
    from website.content.collection import PostCollection
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "a.md").write_text("title: A\ndate: 2024-01-01\n\n![x](/static/nope.png)\n",
                                 encoding="utf-8")
    collection = PostCollection(folder)
    collection.refresh(force=True)
    site = checks.Site(collection.all(), dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc),
                       tmp_path / "static")
    [problem] = checks.check_posts(site)
    assert (problem.line, problem.level) == (4, checks.ERROR)
    assert "static/nope.png does not exist" in problem.message


def test_a_fresh_clone_passes_check_without_a_warning(tmp_path):
    """The sample posts and settings, as a new user gets them: nothing to fix."""
    import subprocess
    import sys

    import apache_server
    project = apache_server.copy_project(tmp_path / "website")
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "website", "check"],
                            cwd=project, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin"})
    count = len(list((project / "posts").glob("*.md")))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (f"{count} posts and 1 page checked: 0 errors, 0 warnings "
                             "in posts and pages\n")
