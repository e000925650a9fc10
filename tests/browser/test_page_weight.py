"""What a reader downloads for a post: HTML, CSS and any JS at most 20 KB
gzip-compressed (images aside), and nothing from any other host."""
import gzip
from urllib.parse import urlsplit

import pytest

BUDGET = 20 * 1024


def post_paths(new_page, site_url):
    page = new_page()
    page.goto(site_url + "/blog")
    hrefs = page.eval_on_selector_all(".post-list a[href^='/blog/']:not(.tag)",
                                      "links => links.map(a => a.getAttribute('href'))")
    return sorted({h for h in hrefs if "/tag/" not in h})


def weigh(new_page, site_url, path):
    """Bytes on the wire per resource (gzip level 6, as Apache's mod_deflate sends)."""
    page = new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(site_url + path, wait_until="networkidle")
    weights, images, foreign = {}, 0, []
    for response in responses:
        if urlsplit(response.url).netloc != urlsplit(site_url).netloc:
            foreign.append(response.url)
            continue
        if response.status in (204, 304) or 300 <= response.status < 400:
            continue
        body = response.body()
        if response.headers.get("content-type", "").startswith("image/"):
            images += len(body)
            continue
        weights[urlsplit(response.url).path] = len(gzip.compress(body, 6, mtime=0))
    return weights, images, foreign


def test_post_pages_fit_the_budget(new_page, site_url, summary):
    paths = post_paths(new_page, site_url)
    assert len(paths) >= 3, paths
    heaviest = (0, None, None)
    for path in paths:
        weights, images, foreign = weigh(new_page, site_url, path)
        assert foreign == [], f"{path} loads from other hosts"
        assert path in weights and any(p.endswith(".css") for p in weights), weights
        total = sum(weights.values())
        summary("Page weight (gzip, images aside; budget 20.0 KB)",
                f"{total / 1024:5.1f} KB  {path}  (+{images / 1024:.1f} KB images)  "
                + ", ".join(f"{p.rsplit('/', 1)[-1]} {w / 1024:.1f}" for p, w in weights.items()))
        heaviest = max(heaviest, (total, path, weights))
    total, path, weights = heaviest
    assert total <= BUDGET, f"{path} weighs {total} bytes: {weights}"


@pytest.mark.parametrize("path", ["/", "/blog"])
def test_other_pages_load_nothing_from_elsewhere(new_page, site_url, path):
    weights, _, foreign = weigh(new_page, site_url, path)
    assert foreign == []
    assert sum(weights.values()) <= BUDGET
