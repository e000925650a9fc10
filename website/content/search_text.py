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

# A fenced code block, its fences and their info string aside (searched in
# "\n" + the text, so that the pattern starts with a plain character).
_FENCED = re.compile(
    r"\n[ \t]{0,3}(?P<fence>`{3,}|~{3,})[^\n]*(?P<code>.*?)"
    r"(?:\n[ \t]{0,3}(?P=fence)[`~]*[ \t]*(?=\n|\Z)|\Z)",
    re.DOTALL)

# What in prose a reader doesn't read as words; each match becomes a space.
# Every branch starts with a literal character, so that the regex engine
# jumps straight to the candidates (this runs over every post's body).
_LINE_NOISE = re.compile(r"""\n(?:
      [ \t]{0,3}\#{1,6}(?=[ \t\n])                     # heading marks
    | [ \t]{0,3}(?:>[ \t]?)+(?:\#{1,6}(?=[ \t\n])|\[(?!\^)[^\]\n]+\]:[ \t]*\S+[^\n]*
          |(?:[-*+]|\d{1,9}[.)])[ \t]+)?              # blockquote marks, and what they hold
    | [ \t]{0,3}\[(?!\^)[^\]\n]+\]:[ \t]*\S+[^\n]*      # [reference]: definitions
    | [ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t])?   # list marks, task boxes
    | [ \t]*[-=_*|:+ \t]*[-=_*]{3,}[-=_*|:+ \t]*(?=\n)   # rules, setext and table lines
    )""", re.VERBOSE)
_INLINE_NOISE = re.compile(r"""
      <!--.*?(?:-->|\Z)                                # HTML comments
    | </?[A-Za-z][A-Za-z0-9-]*(?:[\s/][^<>]*)?>         # HTML tags (<https://x> is text)
    | \]\(\s*(?:<[^<>\n]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)
          (?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?\s*\)   # ](link target "title")
    | \]\[[^\]\n]*\]                                   # ][reference]
    | \[\^[^\]\n]*\]:?                                 # footnote marks [^1] and [^1]:
    | !(?=\[)                                          # the ! of ![image](...)
    | _(?<!\w_)_*                                      # _emphasis_ (not snake_case)
    | __*(?!\w)
    """, re.DOTALL | re.VERBOSE)
# Inline code, where "<b>" is text, not a tag.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
# Emphasis, code spans, table cells and what is left of links.
_MARKS = str.maketrans({"*": None, "`": None, "~": None, "|": " ", "[": " ", "]": " "})


def plain_text(markdown_text):
    """``markdown_text`` as plain text, for the search index."""
    markdown_text = "\n" + markdown_text
    parts, start = [], 0
    for block in _FENCED.finditer(markdown_text):
        parts.append(_prose(markdown_text[start:block.start()]))
        parts.append(block.group("code"))
        start = block.end()
    parts.append(_prose(markdown_text[start:]))
    # Runs of white space stay: HTML shows them as one space anyway.
    return _unmarked(" ".join(parts))


def plain_field(text):
    """A short field (title, tags, summary) made safe for the index: no forged marks."""
    return " ".join(_unmarked(str(text)).split())


def _unmarked(text):
    if MARK_START in text or MARK_END in text:
        return text.translate(_UNMARK)
    return text


def _prose(text):
    text = _LINE_NOISE.sub("\n", text)
    if "`" in text and "<" in text:
        parts, start = [], 0
        for span in _CODE_SPAN.finditer(text):
            parts += [_inline(text[start:span.start()]), span.group(2)]
            start = span.end()
        return " ".join(parts + [_inline(text[start:])])
    return _inline(text)


def _inline(text):
    text = _INLINE_NOISE.sub(" ", text).translate(_MARKS)
    return html.unescape(text) if "&" in text else text
