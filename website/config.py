"""Default settings, in one place.

Don't edit this file to make the site yours: set your title, author, address
and the rest in ``site.yaml`` at the top of the project (the same names in
lower case). Settings for one machine go in ``instance/config.py`` (same
names) or in ``FLASK_*`` environment variables
(``FLASK_SITE_URL=https://example.com``, parsed as JSON when they can be).
Each source overrides the ones before it: these defaults, ``site.yaml``,
``instance/config.py``, the environment.
"""

# --- Your site -------------------------------------------------------------
SITE_TITLE = "Jane Doe"
SITE_DESCRIPTION = "Notes on building, running and writing about small software."
AUTHOR = "Jane Doe"
# The public address of the site, without a trailing slash. Every absolute
# URL (feeds, sitemap, canonical links, link previews) is built from it.
SITE_URL = "http://127.0.0.1:5000"
# Shown on the home page above the latest posts. Markdown.
SITE_INTRO = (
    "Hi, I'm Jane. I write about the software I build and the servers it runs on. "
    "Everything here is plain Markdown in a git repository."
)
SITE_LANGUAGE = "en"
# Navigation links in the header: (label, path or URL).
NAV_LINKS = [
    ("Home", "/"),
    ("Blog", "/blog"),
    ("Archive", "/blog/archive"),
    ("Feed", "/feed.xml"),
]
# Link previews (Open Graph, Twitter cards): the image for pages without one
# of their own (a path under static/ or a URL; "" for none), and the site's
# Twitter/X handle ("@jane"; "" for none).
SITE_IMAGE = ""
TWITTER_SITE = ""

# --- Posts -----------------------------------------------------------------
POSTS_DIR = "posts"            # relative to the project folder, or absolute
POSTS_PER_PAGE = 10
HOME_POSTS = 5                 # latest posts listed on the home page
SHOW_DRAFTS = False            # drafts are always shown on the dev server
TIMEZONE = "UTC"               # for dates written without a time zone
# Seconds between checks of the posts folder for changes (file mtimes).
# The dev server checks on every request.
POSTS_CHECK_INTERVAL = 2.0
RELATED_POSTS = 3              # related posts (by shared tags) under a post; 0 for none
# Where the app keeps the posts as it last read them, so that a restart reads
# only the files that changed: None is cache/ in the instance folder, "" keeps
# nothing. (The static build keeps its own, beside its output.)
CACHE_DIR = None

# --- Pages -----------------------------------------------------------------
# Standalone pages (About, Projects): pages/about.md is /about.
PAGES_DIR = "pages"            # relative to the project folder, or absolute

# --- Images ----------------------------------------------------------------
# Local images (/static/...) in posts and pages get their real width and
# height, lazy loading, and resized WebP (and AVIF, where Pillow has it)
# variants in static/_variants/. False serves every image as written.
IMAGE_PIPELINE = True
IMAGE_WIDTHS = [480, 800, 1200]  # variant widths in pixels (never wider than the original)
# How wide a full-width image of a post is shown (the <img sizes> attribute):
# the text column of site.css, less its padding.
IMAGE_SIZES = "(max-width: 44rem) calc(100vw - 2.5rem), 41.5rem"
# `check` warns about a local image bigger than this (bytes) that the
# pipeline can't shrink (a GIF, an animation, a file Pillow can't read).
IMAGE_SIZE_WARNING = 500 * 1024

# --- Feeds -----------------------------------------------------------------
FEED_POSTS = 20                # latest posts in /feed.xml and in each tag's feed
FEED_FULL_CONTENT = True       # whole posts in feeds; False for the summary only

# --- Dev server ------------------------------------------------------------
# Live reload (debug only): seconds a page's check waits for a change.
LIVERELOAD_WAIT = 20

# --- Code highlighting -----------------------------------------------------
# Stock Pygments styles whose every token colour keeps a 4.5:1 contrast on
# the style's own background (checked by the browser tests).
PYGMENTS_STYLE_LIGHT = "xcode"
PYGMENTS_STYLE_DARK = "github-dark"

# --- Search ----------------------------------------------------------------
SEARCH_RESULTS_PER_PAGE = 10   # results per page of /search
