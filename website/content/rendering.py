"""Markdown to HTML, the way posts are written for this site.

Python-Markdown with fenced and indented code highlighted by Pygments,
tables, footnotes, heading permalinks and a table of contents. Lists, block
quotes and fenced code follow CommonMark's rules (:mod:`.md_blocks`), and
GitHub's extras work: ~~strikethrough~~, task lists, bare links
(:mod:`.md_gfm`) and ``> [!NOTE]`` alerts. Raw HTML passes through, and
Markdown inside raw HTML container blocks (a ``<div class="note">`` holding
paragraphs or code) is rendered without the author having to mark the block.
"""
import html
import re
import threading
from dataclasses import dataclass

import markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from pygments.formatters import HtmlFormatter

from . import render_limits
from .md_blocks import CommonMarkBlocksExtension
from .md_gfm import GfmExtension
from .md_lines import CONTAINER_TAGS, list_item, may_interrupt_paragraph
from .md_prefilter import PrefilterExtension

HIGHLIGHT_CLASS = "highlight"

# Container tags whose contents authors write in Markdown.
_CONTAINERS = "|".join(sorted(CONTAINER_TAGS))
_OPENING_TAG = re.compile(
    rf"^(?P<indent> {{0,3}})<(?P<tag>{_CONTAINERS})(?=[\s>/])(?P<attrs>[^>]*)>",
    re.IGNORECASE,
)


class _MarkdownInHtml(Preprocessor):
    """Mark raw container blocks ``markdown="1"`` unless the author chose already.

    Runs after fenced code is stashed away, so tags inside code stay as written.
    """

    def run(self, lines):
        return [self._mark(line) for line in lines]

    @staticmethod
    def _mark(line):
        match = _OPENING_TAG.match(line)
        if not match or re.search(r"\bmarkdown\s*=", match["attrs"]):
            return line
        if re.search(rf"</{match['tag']}\s*>", line[match.end():], re.IGNORECASE):
            return line     # opened and closed on one line: raw HTML, as in CommonMark
        return (f'{match["indent"]}<{match["tag"]}{match["attrs"]} markdown="1">'
                + line[match.end():])


class _HtmlFormatter(HtmlFormatter):
    """Pygments' HTML formatter, with its token-to-class tables worked out once per style.

    Code highlighting builds one formatter per code block, and building
    those tables is most of its cost; the output is the same.
    """

    _tables = {}

    def _create_stylesheet(self):
        key = (self.style, self.classprefix)
        tables = self._tables.get(key)
        if tables is None:
            super()._create_stylesheet()
            tables = self._tables.setdefault(key, (self.ttype2class, self.class2style))
        self.ttype2class, self.class2style = dict(tables[0]), dict(tables[1])


class MarkdownInHtmlExtension(Extension):
    """Registers :class:`_MarkdownInHtml` between fenced code and raw HTML handling."""

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        md.preprocessors.register(_MarkdownInHtml(md), "auto_md_in_html", 22)


def _extensions():
    return [
        "markdown.extensions.extra",       # fenced code, tables, footnotes, md_in_html, ...
        "markdown.extensions.codehilite",
        "markdown.extensions.toc",
        "markdown.extensions.sane_lists",
        "markdown.extensions.admonition",   # GitHub alerts, written out by md_blocks
        GfmExtension(),                      # ~~strikethrough~~, - [x] tasks, bare links
        CommonMarkBlocksExtension(),
        MarkdownInHtmlExtension(),
        PrefilterExtension(),                # last: wraps the patterns above
    ]


_EXTENSION_CONFIGS = {
    "markdown.extensions.codehilite": {
        "css_class": HIGHLIGHT_CLASS,
        "guess_lang": False,
        "pygments_formatter": _HtmlFormatter,
    },
    "markdown.extensions.toc": {
        "permalink": "#",
        "permalink_class": "permalink",
        "permalink_title": "Link to this section",
        "toc_depth": "2-4",
    },
}


# C0 control characters other than tab and line ends: never text, and not
# allowed in XML (feeds). CommonMark replaces NUL the same way.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def without_control_characters(text):
    """``text`` with each control character (NUL...) replaced by U+FFFD."""
    return _CONTROL.sub("\ufffd", text)


@dataclass(frozen=True)
class Rendered:
    """A rendered post body and its table of contents."""

    html: str
    toc: str            # nested <ul> of the headings, "" when there are none
    toc_tokens: list    # the same as data: [{"level", "id", "name", "children"}]


# A Markdown instance costs more to build than a post to convert: each thread
# (and each build worker) keeps one and resets it between documents.
_instances = threading.local()


def _markdown(kind):
    md = getattr(_instances, kind, None)
    if md is None:
        if kind == "post":
            md = markdown.Markdown(extensions=_extensions(), extension_configs=_EXTENSION_CONFIGS,
                                   output_format="html")
        else:
            md = markdown.Markdown(extensions=[PrefilterExtension()])
        # The inline step asks for its patterns by position, once per pattern
        # and piece of text, and the registry checks its order on each ask:
        # with every extension in, the order is final, so it gets them as a list.
        md.treeprocessors["inline"].inlinePatterns = list(md.inlinePatterns)
        setattr(_instances, kind, md)
    return md.reset()


def render(text):
    """Render Markdown ``text`` to :class:`Rendered` HTML.

    :raise LimitError: the text is past a bound of :mod:`.render_limits`.
    :raise NestingError: lists or quotes nested too deep (``.line`` says where).
        Other errors of Python-Markdown and its extensions pass through.
    """
    render_limits.check(text)
    text = without_control_characters(text)
    md = _markdown("post")
    # Code blocks and tables scroll sideways when too wide: keyboard users must
    # be able to reach them too. (Raw HTML tables are left as written.)
    body = (md.convert(text)
            .replace(f'<div class="{HIGHLIGHT_CLASS}"><pre>',
                     f'<div class="{HIGHLIGHT_CLASS}"><pre tabindex="0">')
            .replace("<table>\n<thead>", '<table tabindex="0">\n<thead>'))
    tokens = getattr(md, "toc_tokens", [])
    return Rendered(body, md.toc if tokens else "", tokens)


SUMMARY_CHARS = 600
_FENCE = re.compile(r"^\s*(```|~~~)")
_SKIP_BLOCK = re.compile(r"^\s*(#|<|>|\||[-*+] |\d+[.)] |!\[|\[\^|\*\s*\*\s*\*|-{3,}|={3,})")
_FOOTNOTE_REF = re.compile(r"\[\^[^\]]+\]")
_TAG = re.compile(r"<[^>]+>")


def first_paragraph(text):
    """The first prose paragraph of Markdown ``text``, as plain text ("" if none)."""
    in_fence = False
    block = []
    for line in text.split("\n") + [""]:
        if _FENCE.match(line):
            in_fence = not in_fence
            block = []
            continue
        if in_fence:
            continue
        item = list_item(line) if block else None
        if line.strip() and not (item and may_interrupt_paragraph(item)):
            block.append(line)
            continue
        if block and not _SKIP_BLOCK.match(block[0]) and not block[0].startswith("    "):
            return plain_text(" ".join(block))
        block = [line] if line.strip() else []
    return ""


def plain_text(markdown_text):
    """Markdown ``markdown_text`` (one paragraph) reduced to plain text.

    Only the first :data:`SUMMARY_CHARS` characters are kept: a summary is a
    sentence or two, and a huge paragraph must not cost a huge render.
    """
    source = without_control_characters(_FOOTNOTE_REF.sub("", markdown_text))
    cut = len(source) > SUMMARY_CHARS
    if cut:
        source = source[:SUMMARY_CHARS].rsplit(None, 1)[0]
    try:
        rendered = _markdown("plain").convert(source)
    except Exception:  # noqa: BLE001 - a summary falls back to the text as written
        rendered = html.escape(source)
    text = " ".join(html.unescape(_TAG.sub("", rendered)).split())
    return text + " …" if cut else text


def pygments_css(light_style, dark_style):
    """Stylesheet for highlighted code: ``light_style``, and ``dark_style``
    when the reader prefers a dark colour scheme."""
    selector = f".{HIGHLIGHT_CLASS}"
    light = HtmlFormatter(style=light_style).get_style_defs(selector)
    dark = HtmlFormatter(style=dark_style).get_style_defs(selector)
    dark = "\n".join("  " + line for line in dark.splitlines())
    return (f"/* Pygments styles: {light_style} (light), {dark_style} (dark). */\n"
            f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n")
