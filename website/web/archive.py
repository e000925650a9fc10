"""``/blog/archive``: every visible post, grouped by year and month, newest first."""
import datetime as dt
import logging
from dataclasses import dataclass, field

from flask import Blueprint, render_template

from ..content.post_list import derived
from .store import site_tz, visible_posts

logger = logging.getLogger(__name__)

bp = Blueprint("archive", __name__)


def init_app(app):
    """Serve the archive page."""
    app.register_blueprint(bp)


@dataclass
class Month:
    """The posts of one month; ``first_day`` gives its name and number."""

    first_day: dt.date
    posts: list = field(default_factory=list)


@dataclass
class Year:
    """One year of posts, month by month."""

    year: int
    months: list = field(default_factory=list)

    @property
    def count(self):
        return sum(len(month.posts) for month in self.months)


def group_by_month(posts, tz):
    """``[Year]`` for ``posts`` (newest first), keeping their order inside each month.

    Kept on a :class:`PostList`: don't change what it returns.
    """
    return derived(posts, ("archive", str(tz)), lambda: _group(posts, tz))


def _group(posts, tz):
    years = []
    for post in sorted(posts, key=lambda p: p.published_at(tz), reverse=True):
        when = post.published_at(tz).astimezone(tz)
        if not years or years[-1].year != when.year:
            years.append(Year(when.year))
        months = years[-1].months
        if not months or months[-1].first_day.month != when.month:
            months.append(Month(dt.date(when.year, when.month, 1)))
        months[-1].posts.append(post)
    return years


@bp.get("/blog/archive")
def archive():
    """Every post this request may show, by year and month."""
    posts = visible_posts()
    return render_template("archive.html", years=group_by_month(posts, site_tz()),
                           total=len(posts))
