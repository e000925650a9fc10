"""The "Posts in this series" box: members, order, the current post marked."""
import re

import pytest


@pytest.fixture
def series_client(make_app, tmp_path):
    folder = tmp_path / "posts"
    folder.mkdir()

    def post(name, title, date, extra=""):
        (folder / f"{name}.md").write_text(
            f"title: {title}\ndate: {date}\n{extra}\nBody of {title}.\n", encoding="utf-8")

    post("part-two", "Part two", "2024-01-01", "series: Deep Dive\nseries_part: 2\n")
    post("part-one", "Part one", "2024-03-01", "series: deep  dive\nseries_part: 1\n")
    post("extra", "Unnumbered extra", "2024-02-01", "series: Deep Dive\n")
    post("later-extra", "Later extra", "2024-04-01", "series: Deep Dive\n")
    post("draft-part", "Draft part", "2024-01-15",
         "series: Deep Dive\nseries_part: 3\ndraft: true\n")
    post("other", "Other series", "2024-01-01", "series: Elsewhere\n")
    post("alone", "No series", "2024-01-01")
    return make_app(folder).test_client(), make_app(folder, DEBUG=True).test_client()


def series_box(html):
    match = re.search(r'<nav class="series".*?</nav>', html, re.DOTALL)
    return match.group(0) if match else None


def items(box):
    return re.findall(r"<li[^>]*>(.*?)</li>", box, re.DOTALL)


def test_order_by_part_then_date_and_current_marked(series_client):
    client, _ = series_client
    box = series_box(client.get("/blog/extra").get_data(as_text=True))
    assert "Posts in this series" in box
    titles = [re.sub(r"<[^>]+>", "", item).strip() for item in items(box)]
    assert titles == ["Part one", "Part two", "Unnumbered extra", "Later extra"]
    current = [item for item in items(box) if 'aria-current="page"' in item]
    assert len(current) == 1 and "Unnumbered extra" in current[0]
    assert "<a " not in current[0]
    assert 'href="/blog/part-one"' in box and 'href="/blog/part-two"' in box
    assert "(part 3 of 4)" in box


def test_every_member_gets_the_box(series_client):
    client, _ = series_client
    for slug in ("part-one", "part-two", "extra", "later-extra"):
        box = series_box(client.get(f"/blog/{slug}").get_data(as_text=True))
        assert box is not None and len(items(box)) == 4


def test_drafts_only_in_preview(series_client):
    client, preview = series_client
    assert "Draft part" not in series_box(client.get("/blog/part-one").get_data(as_text=True))
    box = series_box(preview.get("/blog/part-one").get_data(as_text=True))
    titles = [re.sub(r'<span class="badge">Draft</span>|<[^>]+>', "", item).strip()
              for item in items(box)]
    assert titles == ["Part one", "Part two", "Draft part", "Unnumbered extra", "Later extra"]
    assert 'Draft part</a> <span class="badge">Draft</span>' in box


def test_no_box_alone_or_outside_a_series(series_client):
    client, _ = series_client
    assert series_box(client.get("/blog/alone").get_data(as_text=True)) is None
    assert series_box(client.get("/blog/other").get_data(as_text=True)) is None


def test_the_sample_series(sample_app):
    html = sample_app.test_client().get("/blog/self-hosting-a-blog-(part-1)").get_data(
        as_text=True)
    box = series_box(html)
    assert box.index("part 1: one small server") < box.index("part 2: publishing with git")
    assert 'href="/blog/self-hosting-a-blog-(part-2)"' in box
