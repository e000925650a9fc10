"""Post cards kept during a build: the live listings' bytes, rendered once per post and level."""
from markupsafe import Markup

from conftest import SITE_URL
from website.build.builder import production
from website.web import post_cards


def public(app):
    with app.app_context():
        app.extensions["posts"].refresh(force=True)
        return [post for post in app.extensions["posts"].all() if not post.draft]


def test_a_kept_card_is_the_one_the_live_listings_show(sample_app):
    live = {path: sample_app.test_client().get(path).get_data(as_text=True)
            for path in ("/blog", "/")}
    posts = public(sample_app)
    assert posts
    with production(sample_app):
        cards = [post_cards.card(sample_app, post) for post in posts]
        # Home lists its posts one heading level down.
        homes = [post_cards.card(sample_app, post, 3) for post in posts[:2]]
    assert all(isinstance(card, Markup) and card.strip() for card in cards)
    assert len(set(cards)) == len(cards)            # one card per post, each its own
    for post, card in zip(posts, cards):
        assert f'<h2 class="post-card-title"><a href="/blog/{post.slug}">' in card
    first_page = [card for card in cards if card in live["/blog"]]
    assert len(first_page) == min(len(cards), sample_app.config["POSTS_PER_PAGE"])
    assert all(card in live["/"] for card in homes)


def test_each_card_is_rendered_once_per_post_and_level_while_kept(app):
    posts = public(app)[:2]
    calls = []

    def macro(post, level):
        calls.append((post.slug, level))
        return Markup(f"<article>{post.slug} {level}</article>")

    with app.test_request_context("/", base_url=SITE_URL):
        assert post_cards.card(app, posts[0]) is None     # not kept outside a build
        post_cards.kept_card(macro, posts[0], 2)
        post_cards.kept_card(macro, posts[0], 2)
        assert len(calls) == 2                           # the live app renders each time
        calls.clear()
        with post_cards.keeping(app) as kept:
            for _ in range(3):
                for post in posts:
                    for level in (2, 3):
                        card = post_cards.kept_card(macro, post, level)
                        assert card == f"<article>{post.slug} {level}</article>"
            assert sorted(calls) == sorted((post.slug, level) for post in posts
                                           for level in (2, 3))
            assert len(kept) == 4
            # A card kept from elsewhere (a worker) is used as it is.
            post_cards.keep(app, posts[0], Markup("<article>from a worker</article>"))
            assert post_cards.kept_card(macro, posts[0], 2) == "<article>from a worker</article>"
        assert post_cards.KEPT not in app.extensions
        post_cards.keep(app, posts[0], Markup("ignored"))   # not keeping: nothing kept
        assert post_cards.KEPT not in app.extensions
