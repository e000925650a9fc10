"""The plain text the search index holds, checked against the rendered HTML
(Python-Markdown, as readers get it) on our posts and on Markdown no one here
wrote: the READMEs of the packages the site runs on."""
import re
from collections import Counter
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path

import pytest

from website.content.front_matter import split
from website.content.rendering import render
from website.content.search_text import MARK_END, MARK_START, plain_field, plain_text

SAMPLE_POSTS = sorted((Path(__file__).parent.parent / "posts").glob("*.md"))
# Runtime dependencies whose long description is Markdown (GitHub flavoured).
PACKAGES = ["flask", "jinja2", "werkzeug", "markdown", "click", "markupsafe", "itsdangerous",
            "blinker", "python-frontmatter"]
_RAW_IMG_ALT = re.compile(r"<img\b[^>]*?\balt=\"([^\"]*)\"", re.IGNORECASE | re.DOTALL)


class _VisibleText(HTMLParser):
    """What a reader reads: text and image alt texts, minus the permalink and
    footnote arrows the renderer adds."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img" and attrs.get("alt"):
            self.parts.append(attrs["alt"])
        classes = (attrs.get("class") or "").split()
        if tag == "a" and {"permalink", "footnote-ref", "footnote-backref"} & set(classes):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "a" and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def words(text):
    return Counter(word.lower() for word in re.findall(r"[^\W_]+", text))


def rendered_words(markdown_text):
    parser = _VisibleText()
    parser.feed(render(markdown_text).html)
    return words(" ".join(parser.parts))


def documents():
    for path in SAMPLE_POSTS:
        yield path.name, split(path.read_text(), path).body
    for name in PACKAGES:
        description = metadata.metadata(name).get_payload() or metadata.metadata(name)["Description"]
        if description:
            yield name, description


@pytest.mark.parametrize("name, body", list(documents()), ids=lambda v: v if len(v) < 40 else "")
def test_plain_text_has_the_words_readers_read(name, body):
    expected, got = rendered_words(body), words(plain_text(body))
    assert sum(expected.values()) > 30, "a real document"
    # Nothing but what readers see: no URL, attribute or markup word.
    assert got - expected == Counter()
    # Everything readers see, but the alt text of raw <img> tags.
    raw_alts = words(" ".join(_RAW_IMG_ALT.findall(body)))
    assert expected - got - raw_alts == Counter()


def test_code_counts_once_and_fences_go():
    body = "Intro.\n\n```python title=\"x.py\"\ndef unique_handler():\n    pass\n```\n\nAfter.\n"
    text = plain_text(body)
    assert words(text)["unique"] == 1 and words(text)["handler"] == 1
    assert "```" not in text and "python" not in text and "title" not in text


@pytest.mark.parametrize("markdown, kept, dropped", [
    ("[the docs](https://example.com/secret-path \"Title\")", "the docs", "secret"),
    ("[part 2](</blog/a-(b)>)", "part 2", "blog"),
    ("![a diagram](/static/img/x.png)", "a diagram", "static"),
    ("[ref link][r]\n\n[r]: https://example.com/hidden", "ref link", "hidden"),
    ("**bold**, *em*, ~~gone~~ and `code`.", "bold, em, gone and code.", "*"),
    ("_under_ and snake_case", "under and snake_case", "_under"),
    ("<span class=\"hidden-attr\">inside</span>", "inside", "hidden"),
    ("`<VirtualHost *:80>` in code", "<VirtualHost *:80>", "`"),
    ("Text.[^1]\n\n[^1]: The note itself.", "The note itself.", "^"),
    ("Fish &amp; chips &lt;b&gt;", "Fish & chips <b>", "&amp;"),
    ("# Heading\n\n> quoted\n\n- item\n1. first", "Heading quoted item first", "#"),
    ("| a | b |\n|---|:-:|\n| c | d |", "a b c d", "|"),
    ("<!-- a comment -->visible", "visible", "comment"),
])
def test_markup_goes_words_stay(markdown, kept, dropped):
    text = " ".join(plain_text(markdown).split())
    assert kept in text
    assert dropped not in text


def test_match_marks_cannot_be_forged():
    forged = f"a {MARK_START}fake{MARK_END} mark"
    assert MARK_START not in plain_text(forged) and MARK_END not in plain_text(forged)
    assert plain_field(forged) == "a fake mark"
