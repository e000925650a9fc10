"""A post's Markdown reduced to plain text for the search index, cheaply.

Rendering every body to HTML just to index it would cost more than reading
the posts, so the source is reduced with a few regular expressions instead:
fenced code is kept once without its fences, and link and image URLs, HTML
tags and comments, footnote marks and Markdown punctuation are dropped. The
result reads well enough for a search result's snippet. No Flask here.
"""
import html
import re

# Snippets mark matched words with these (Unicode noncharacters): they are
# removed from indexed text so that no post can forge a mark.
MARK_START, MARK_END = "\ufdd0", "\ufdd1"
_UNMARK = {ord(MARK_START): " ", ord(MARK_END): " "}

_FENCED = re.compile(
    r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[^\n]*\n(?P<code>.*?)"
    r"(?:^[ \t]{0,3}(?P=fence)[`~]*[ \t]*$|\Z)",
    re.MULTILINE | re.DOTALL)

# Everything in prose that a reader doesn't read as words; each becomes a space.
_NOISE = re.compile(r"""
      <!--.*?(?:-->|\Z)                                # HTML comments
    | </?[A-Za-z][^<>]*>                               # HTML tags and <https://autolinks>
    | \]\(\s*(?:<[^<>\n]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)
          (?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?\s*\)   # ](link target "title")
    | \]\[[^\]\n]*\]                                   # ][reference]
    | \[\^[^\]\n]*\]:?                                 # footnote marks [^1] and [^1]:
    | ^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S+[^\n]*$         # [reference]: definitions
    | ^[ \t]{0,3}\#{1,6}(?=[ \t]|$)                    # heading marks
    | ^[ \t]{0,3}(?:>[ \t]?)+                          # blockquote marks
    | ^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t])?   # list marks, task boxes
    | ^[ \t]*[-=_*|:+ \t]*[-=_*]{3,}[-=_*|:+ \t]*$      # rules, setext and table lines
    | (?<!\w)_+|_+(?!\w)                               # _emphasis_ (not snake_case)
    | [*`~|\[\]]+                                      # emphasis, code, tables, brackets
    | !(?=\[)                                          # the ! of ![image](...)
    """, re.MULTILINE | re.DOTALL | re.VERBOSE)


def plain_text(markdown_text):
    """``markdown_text`` as plain text on one line, for the search index."""
    parts, start = [], 0
    for block in _FENCED.finditer(markdown_text):
        parts.append(_prose(markdown_text[start:block.start()]))
        parts.append(block.group("code"))
        start = block.end()
    parts.append(_prose(markdown_text[start:]))
    return " ".join(" ".join(parts).translate(_UNMARK).split())


def plain_field(text):
    """A short field (title, tags, summary) made safe for the index: no forged marks."""
    return " ".join(str(text).translate(_UNMARK).split())


def _prose(text):
    text = _NOISE.sub(" ", text)
    return html.unescape(text) if "&" in text else text
