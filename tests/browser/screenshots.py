"""Regenerate the README's screenshots: ``make screenshots``.

The blog on the sample posts, in Debian's chromium (the browser tests' setup),
at desktop and phone sizes, in the light and dark schemes, for a post and the
blog index. ``--full`` takes whole pages instead of the top of each.
"""
import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from site_server import CHROMIUM, CHROMIUM_FLAGS, ROOT, serve_sample_site  # noqa: E402

PAGES = {"post": "/blog/self-hosting-a-blog-(part-2)", "blog": "/blog"}
SIZES = {"desktop": {"width": 1200, "height": 900}, "phone": {"width": 375, "height": 740}}
SCHEMES = ("light", "dark")


def take(out, pages=PAGES, full_page=False):
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp, serve_sample_site(tmp) as url, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for size, viewport in SIZES.items():
            for scheme in SCHEMES:
                context = browser.new_context(viewport=viewport, color_scheme=scheme)
                page = context.new_page()
                for name, path in pages.items():
                    page.goto(url + path, wait_until="networkidle")
                    target = out / f"{name}-{size}-{scheme}.png"
                    page.screenshot(path=target, full_page=full_page)
                    written.append(target)
                context.close()
        browser.close()
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--full", action="store_true", help="whole pages, not just the top")
    parser.add_argument("paths", nargs="*", help="pages to shoot instead of a post and /blog")
    args = parser.parse_args()
    pages = {f"page{i}": p for i, p in enumerate(args.paths)} if args.paths else PAGES
    for path in take(args.out, pages, args.full):
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
              f"({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
