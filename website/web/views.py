"""The pages: home, blog index, posts, tags."""
from urllib.parse import unquote

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from ..content.collection import tag_index
from .store import broken_posts, collection, get_post_or_404, get_tag_or_404, visible_posts

bp = Blueprint("blog", __name__)


def init_app(app):
    """Register the blog's pages."""
    app.register_blueprint(bp)


@bp.get("/")
def home():
    """The site's intro and the latest posts."""
    posts = visible_posts()[:current_app.config["HOME_POSTS"]]
    return render_template("home.html", posts=posts)


@bp.get("/blog", defaults={"page": 1})
@bp.get("/blog/page/<int:page>")
def index(page):
    """Published posts, newest first, a page at a time, with every tag.

    :raise 404: a page past the end (page 1 always exists).
    """
    posts = visible_posts()
    shown, pages = paginate(posts, page)
    tags = sorted(tag_index(posts).items(), key=lambda item: (-len(item[1][1]), item[0]))
    return render_template("blog.html", posts=shown, page=page, pages=pages, tags=tags,
                           total=len(posts))


@bp.get("/blog/")
@bp.get("/blog/page/1")
def first_page():
    """``/blog`` is page 1 (and the address people type with a slash); one address per page."""
    return redirect(url_for("blog.index"), 301)


def paginate(posts, page):
    """``(the posts of page number page, number of pages)``, ``POSTS_PER_PAGE`` a page.

    A page number written another way (``/blog/page/02``) redirects to its
    one address.

    :raise 404: a page before the first or past the last (page 1 always exists).
    """
    per_page = max(1, int(current_app.config["POSTS_PER_PAGE"]))
    pages = max(1, -(-len(posts) // per_page))
    if page < 1 or page > pages:
        abort(404)
    canonical = url_for(request.endpoint, **request.view_args)
    # url_for quotes (/blog/tag/%C3%A9criture); request.path is decoded.
    if unquote(canonical) != request.path:
        abort(redirect(canonical, 301))
    return posts[(page - 1) * per_page:page * per_page], pages


@bp.get("/blog/<slug>")
def post(slug):
    """One post, with its neighbours for previous/next links.

    On the dev server, a post that failed to load shows its error here instead of a 404.

    :raise 500: its body can't be rendered (logged once, when first tried).
    """
    errors = [broken for broken in broken_posts() if broken.slug == slug]
    if errors and collection().get(slug) is None:
        return render_template("post_error.html", errors=errors, slug=slug), 500
    current = get_post_or_404(slug)
    if current.render_error:
        abort(500)
    posts = visible_posts()
    at = posts.index(current)
    newer = posts[at - 1] if at > 0 else None
    older = posts[at + 1] if at + 1 < len(posts) else None
    return render_template("post.html", post=current, newer=newer, older=older)


@bp.get("/blog/tag/<tag>", defaults={"page": 1})
@bp.get("/blog/tag/<tag>/page/<int:page>")
def tag(tag, page):
    """Posts with ``tag``, a page at a time like ``/blog``; other spellings redirect to its URL form.

    :raise 404: no visible post has the tag, or a page past the end.
    """
    name, slug, posts = get_tag_or_404(tag, visible_posts(), "blog.tag", page=page)
    shown, pages = paginate(posts, page)
    return render_template("tag.html", tag=name, slug=slug, posts=shown, page=page,
                           pages=pages, total=len(posts))


@bp.get("/blog/tag/<tag>/page/1")
def tag_first_page(tag):
    """Page 1 of a tag is the tag's own address."""
    return redirect(url_for("blog.tag", tag=tag), 301)
