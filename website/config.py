"""Default settings, in one place.

Override them in ``instance/config.py`` (same names) or with ``FLASK_*``
environment variables (``FLASK_SITE_URL=https://example.com``). Values from
the environment are parsed as JSON when they can be (``FLASK_POSTS_PER_PAGE=5``).
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
]

# --- Posts -----------------------------------------------------------------
POSTS_DIR = "posts"            # relative to the project folder, or absolute
POSTS_PER_PAGE = 10
HOME_POSTS = 5                 # latest posts listed on the home page
SHOW_DRAFTS = False            # drafts are always shown on the dev server
TIMEZONE = "UTC"               # for dates written without a time zone
# Seconds between checks of the posts folder for changes (file mtimes).
# The dev server checks on every request.
POSTS_CHECK_INTERVAL = 2.0

# --- Code highlighting -----------------------------------------------------
PYGMENTS_STYLE_LIGHT = "friendly"
PYGMENTS_STYLE_DARK = "github-dark"
