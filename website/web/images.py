"""Post and page bodies as pages show them: local images made fast (see content/images.py)."""
from markupsafe import Markup


def init_app(app):
    """Give templates :func:`body_html`."""
    app.add_template_global(body_html)


def body_html(doc):
    """The HTML of ``doc`` (a post or page) for its page."""
    return Markup(doc.html)
