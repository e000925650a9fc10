"""Related posts: up to three by shared tags, ties to the newer, series siblings left out."""
import re

import pytest

from website.web.related import related_to


@pytest.fixture
def related_app(make_app, tmp_path):
    folder = tmp_path / "posts"
    folder.mkdir()

    def post(name, date, tags, extra=""):
        (folder / f"{name}.md").write_text(
            f"title: Post {name}\ndate: {date}\ntags: {tags}\n{extra}\nBody.\n", encoding="utf-8")

    post("main", "2024-05-01", "flask, python, web")
    post("three", "2024-01-01", "flask, python, web")
    post("two-old", "2024-01-02", "flask, python")
    post("two-new", "2024-04-01", "Python, Web")
    post("one", "2024-04-20", "web")
    post("none", "2024-04-25", "cooking")
    post("sibling", "2024-04-28", "flask, python, web", "series: S\n")
    post("main-series", "2024-04-29", "flask, python, web", "series: S\n")
    post("draft", "2024-04-30", "flask, python, web", "draft: true\n")
    return lambda **settings: make_app(folder, **settings)


def related(app, slug):
    html = app.test_client().get(f"/blog/{slug}").get_data(as_text=True)
    match = re.search(r'<aside class="related".*?</aside>', html, re.DOTALL)
    return re.findall(r'href="/blog/([^"]+)"', match.group(0)) if match else []


def test_most_shared_tags_first_ties_to_newer(related_app):
    assert related(related_app(), "main") == ["main-series", "sibling", "three"]


def test_series_siblings_left_out(related_app):
    assert related(related_app(), "sibling") == ["main", "three", "two-new"]


def test_drafts_only_in_preview(related_app):
    assert "draft" not in related(related_app(), "main")
    assert related(related_app(DEBUG=True), "main")[0] == "draft"


def test_setting_and_nothing_in_common(related_app):
    assert related(related_app(RELATED_POSTS=1), "main") == ["main-series"]
    assert related(related_app(RELATED_POSTS=0), "main") == []
    assert related(related_app(), "none") == []


def test_related_to_directly(related_app):
    app = related_app()
    with app.test_request_context():
        from website.web.store import collection, site_tz
        posts = collection().all()
        main = collection().get("main")
        result = related_to(main, posts, site_tz(), limit=10)
    slugs = [post.slug for post in result]
    assert "main" not in slugs and "none" not in slugs
    assert slugs.index("three") < slugs.index("two-new") < slugs.index("two-old") \
        < slugs.index("one")


@pytest.mark.parametrize("everywhere, few_sets", [((), False), (("a", "b"), False),
                                                 ((), True), (("a",), True)])
def test_walking_tag_lists_finds_what_scoring_everything_finds(tmp_path, everywhere, few_sets):
    """The quick way on a newest-first PostList agrees with scoring every post.

    With tags on every post, the level-by-level walk is what runs. With few
    sets of tags (most posts sharing theirs with many), the answer for a set
    is worked out once and shared.
    """
    import datetime as dt
    import random

    from website.content.collection import PostCollection
    from website.web.related import _related_anywhere

    rng = random.Random(7)
    tags = [f"t{n}" for n in range(12)]
    for n in range(300):
        day = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(400))   # many share a day
        picked = rng.sample(tags, 10 if rng.random() < 0.05 else rng.randrange(0, 5))
        if few_sets:
            picked = [["t1"], ["t1", "t2"], ["t3"], tags[:9], []][rng.randrange(5)]
        if rng.random() < 0.5:
            picked.append("common")
        picked += everywhere
        chosen = ", ".join(dict.fromkeys(picked))
        series = f"series: s{rng.randrange(6)}\n" if rng.random() < 0.2 else ""
        (tmp_path / f"p{n}.md").write_text(
            f"title: P{n}\ndate: {day}\ntags: {chosen}\n{series}\nB\n")
    collection = PostCollection(tmp_path)
    posts = collection.visible(dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc))
    assert len(posts) == 300
    for limit in (1, 3, 10):
        for post in posts:
            expected = _related_anywhere(post, list(posts), dt.timezone.utc, limit)
            assert related_to(post, posts, dt.timezone.utc, limit) == expected, (post, limit)
