"""``/blog/archive``: every visible post grouped by year and month, newest first."""
import re

import pytest

from website.web.archive import group_by_month


@pytest.fixture
def archive_app(make_app, tmp_path):
    folder = tmp_path / "posts"
    folder.mkdir()
    dates = {"a": "2023-12-31", "b": "2024-01-05", "c": "2024-01-20", "d": "2024-03-02",
             "e": "2022-07-14"}
    for name, date in dates.items():
        (folder / f"{name}.md").write_text(f"title: Post {name}\ndate: {date}\n\nBody.\n",
                                           encoding="utf-8")
    (folder / "draft.md").write_text("title: Post draft\ndate: 2024-03-05\ndraft: true\n\nB.\n",
                                     encoding="utf-8")
    (folder / "future.md").write_text("title: Post future\ndate: 2999-01-01\n\nB.\n",
                                      encoding="utf-8")
    return lambda **settings: make_app(folder, **settings)


def outline(html):
    """[(year, [(month, [titles])])] read back from the page."""
    years = []
    for year_html in re.findall(r'<section class="archive-year".*?(?=<section class="archive-year"|'
                                r'</section>\s*</section>\s*$)', html, re.DOTALL):
        year = re.search(r"<h2[^>]*>(\d{4})", year_html).group(1)
        months = []
        for month, body in re.findall(r"<h3[^>]*>(\w+)</h3>(.*?)</ul>", year_html, re.DOTALL):
            months.append((month, re.findall(r"<a [^>]*>(Post \w+)</a>", body)))
        years.append((year, months))
    return years


def page(app):
    response = app.test_client().get("/blog/archive")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html[html.index('<section class="archive"'):html.index("</main>")].strip()


def test_grouped_by_year_and_month_newest_first(archive_app):
    assert outline(page(archive_app())) == [
        ("2024", [("March", ["Post d"]), ("January", ["Post c", "Post b"])]),
        ("2023", [("December", ["Post a"])]),
        ("2022", [("July", ["Post e"])]),
    ]


def test_drafts_and_future_only_in_preview(archive_app):
    html = page(archive_app())
    assert "Post draft" not in html and "Post future" not in html
    preview = outline(page(archive_app(DEBUG=True)))
    assert preview[0] == ("2999", [("January", ["Post future"])])
    assert preview[1][1][0] == ("March", ["Post draft", "Post d"])


def test_counts_and_links(archive_app):
    html = page(archive_app())
    assert "5 posts" in html
    assert 'href="/blog/b"' in html
    assert re.search(r"2024 <span class=\"count\">3</span>", html)


def test_in_the_navigation(client):
    html = client.get("/").get_data(as_text=True)
    assert '<a href="/blog/archive">Archive</a>' in html


def test_group_by_month_keeps_site_time_zone(sample_app):
    with sample_app.test_request_context():
        from website.web.store import site_tz, visible_posts
        years = group_by_month(visible_posts(), site_tz())
    flat = [post for year in years for month in year.months for post in month.posts]
    assert flat == sorted(flat, key=lambda p: p.date, reverse=True)
    assert all(post.date.month == month.first_day.month and post.date.year == year.year
               for year in years for month in year.months for post in month.posts)
