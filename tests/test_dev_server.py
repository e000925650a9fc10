"""What the author's dev server shows that the live site doesn't: scheduled badges, broken posts."""
import datetime as dt
import html
import re

import pytest

BAD_DATE = "---\ntitle: Bad date\ndate: 2026-13-01\n---\n\nBody.\n"
BROKEN_YAML = "---\ntitle: [never closed\ndate: 2026-01-03\n---\n\nBroken.\n"
CUSTOM_SLUG_BAD = "---\ntitle: Moved\nslug: new-address\ndate: 'not a date'\n---\n\nBody.\n"
HOSTILE = "---\ntitle: Hostile\ndate: \"<script>alert(1)</script>\"\n---\n\nBody.\n"
TWIN = "---\ntitle: Twin {n}\ndate: 2026-01-0{n}\nslug: twins\n---\n\nBody.\n"


@pytest.fixture
def dev(make_app, posts_dir):
    """(client, posts folder) of an app in debug mode, as `make run` starts it."""
    return make_app(posts_dir, DEBUG=True).test_client(), posts_dir


def page(client, url):
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True)


def test_scheduled_posts_carry_a_badge_with_their_date(dev):
    client, posts = dev
    when = dt.date.today() + dt.timedelta(days=40)
    (posts / "later.md").write_text(f"---\ntitle: Later\ndate: {when}\n---\n\nSoon.\n")
    human = f"{when.day} {when:%B %Y}"
    badge = f'<span class="badge">Scheduled for <time datetime="{when}">{human}</time></span>'
    for url in ("/blog/later", "/blog", "/"):
        status, text = page(client, url)
        assert status == 200 and badge in text, url
    status, text = page(client, "/blog/bare_header")       # published: no badge
    assert "badge" not in text.split("<main")[1].split("</header>")[0]
    status, text = page(client, "/blog/draft")             # a draft says Draft, not Scheduled
    assert '<span class="badge">Draft</span>' in text and "Scheduled" not in text


def test_broken_post_shows_its_error_at_its_own_url(dev):
    client, posts = dev
    (posts / "bad-date.md").write_text(BAD_DATE)
    (posts / "broken-yaml.md").write_text(BROKEN_YAML)
    status, text = page(client, "/blog/bad-date")
    assert status == 500
    assert "This post can't be shown" in text
    assert "<code>posts/bad-date.md:3</code>" in text or re.search(r"<code>[^<]*bad-date\.md:3</code>", text)
    assert "date: &#39;2026-13-01&#39; is not an ISO date" in text
    assert '<meta name="robots" content="noindex">' in text
    status, text = page(client, "/blog/broken-yaml")
    assert status == 500 and re.search(r"broken-yaml\.md:\d+</code>: ", text)
    assert page(client, "/blog/bad-dat")[0] == 404           # other addresses are still 404


def test_a_field_error_shows_at_the_slug_the_post_asked_for(dev):
    client, posts = dev
    (posts / "old-name.md").write_text(CUSTOM_SLUG_BAD)
    status, text = page(client, "/blog/new-address")
    assert status == 500 and "old-name.md:4" in text


def test_posts_claiming_one_slug_both_show_at_it(dev):
    client, posts = dev
    (posts / "twin-1.md").write_text(TWIN.format(n=1))
    (posts / "twin-2.md").write_text(TWIN.format(n=2))
    status, text = page(client, "/blog/twins")
    assert status == 500
    assert "twin-1.md</code>" in text and "twin-2.md</code>" in text
    assert "slug: slug &#39;twins&#39; is claimed by" in text


def test_error_text_is_escaped(dev):
    client, posts = dev
    (posts / "hostile.md").write_text(HOSTILE)
    for url in ("/blog/hostile", "/blog", "/"):
        text = page(client, url)[1]
        assert "<script>alert(1)" not in text
        assert html.escape("<script>alert(1)</script>", quote=True) in text, url


def test_home_and_blog_show_a_banner_listing_the_broken_posts(dev):
    client, posts = dev
    status, text = page(client, "/")
    assert 'class="broken-posts"' not in text                 # nothing broken, no banner
    (posts / "bad-date.md").write_text(BAD_DATE)
    (posts / "broken-yaml.md").write_text(BROKEN_YAML)
    for url in ("/", "/blog"):
        status, text = page(client, url)
        assert status == 200
        banner = text.split('<aside class="broken-posts"')[1].split("</aside>")[0]
        assert "2 posts could not be loaded" in banner
        links = re.findall(r'<a href="([^"]+)"><code>([^<]+)</code></a>', banner)
        assert [href for href, _ in links] == ["/blog/bad-date", "/blog/broken-yaml"]
        assert links[0][1].endswith("bad-date.md:3")
        assert page(client, "/blog/bare_header")[1].count("broken-posts") == 0   # not on posts
    (posts / "bad-date.md").write_text(BAD_DATE.replace("2026-13-01", "2026-03-01"))
    banner = page(client, "/")[1].split('<aside class="broken-posts"')[1]
    assert "1 post could not be loaded" in banner
    assert page(client, "/blog/bad-date")[0] == 200            # fixed: served at once


@pytest.mark.parametrize("settings", [{}, {"SHOW_DRAFTS": True}])
def test_production_keeps_broken_posts_out_quietly(make_app, posts_dir, settings):
    (posts_dir / "bad-date.md").write_text(BAD_DATE)
    client = make_app(posts_dir, **settings).test_client()
    status, text = page(client, "/blog/bad-date")
    assert status == 404 and "2026-13-01" not in text
    for url in ("/", "/blog"):
        status, text = page(client, url)
        assert status == 200 and "broken-posts" not in text and "bad-date" not in text
