"""What a line of Markdown starts, by CommonMark's rules: a list item, a fence,
a block quote, a heading, a rule, a table or raw HTML.

The pieces :mod:`.md_blocks` reads a document with. Lines are ``(number, text)``
pairs, tabs already expanded to spaces.
"""
import bisect
import re
from dataclasses import dataclass

ITEM = re.compile(r"^( {0,3})([-+*]|\d{1,9}[.)])( *)(.*)$")
RULE = re.compile(r"^ {0,3}([-*_])(?:[ ]*\1){2,}[ ]*$")
FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
QUOTE = re.compile(r"^ {0,3}> ?")
HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ ]|$)")
HTML_OPEN = re.compile(r"^ {0,3}<(/?)([A-Za-z][A-Za-z0-9-]*)(?=[\s/>]|$)")
COMMENT = re.compile(r"^ {0,3}<!--")
TABLE_DELIMITER = re.compile(r"^ {0,3}\|?[ ]*:?-+:?[ ]*(?:\|[ ]*:?-+:?[ ]*)*\|?[ ]*$")
# A line holding only an HTML tag (CommonMark's seventh kind of HTML block).
TAG_LINE = re.compile(
    r"""^ {0,3}(?:<([A-Za-z][A-Za-z0-9-]*)(?:\s+[A-Za-z_:][\w.:-]*"""
    r"""(?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?)*\s*/?>|</([A-Za-z][A-Za-z0-9-]*)\s*>)\s*$""")
# Raw HTML blocks whose content is Markdown too (rendering.py marks them so).
CONTAINER_TAGS = frozenset(
    "div section article aside details blockquote header footer main nav".split())
# Raw HTML blocks passed on untouched, to their closing tag.
RAW_TAGS = frozenset(
    "pre script style textarea table dl ol ul form fieldset figure iframe "
    "math svg video audio canvas object p h1 h2 h3 h4 h5 h6 hr address".split())


@dataclass
class Item:
    """The start of a list item, as :func:`list_item` reads it."""

    marker: str        # "-" or "3." as it will be written
    kind: tuple        # ("bullet", "*") or ("ordered", ")"): a change starts a new list
    number: int        # the ordered start number (1 for bullets)
    width: int         # content column: where the item's text begins
    content: str       # the first line's text


def indent(text):
    """How many spaces ``text`` starts with."""
    return len(text) - len(text.lstrip(" "))


def list_item(text):
    """The list item starting on ``text``, or None."""
    match = ITEM.match(text)
    if not match or RULE.match(text):
        return None
    lead, marker, spaces, rest = match.groups()
    if not spaces and rest:
        return None
    if not rest:
        width = len(lead) + len(marker) + 1
    elif len(spaces) > 4:            # the content is indented code
        width = len(lead) + len(marker) + 1
        rest = " " * (len(spaces) - 1) + rest
    else:
        width = len(lead) + len(marker) + len(spaces)
    if marker[-1] in ".)":
        number = int(marker[:-1])
        return Item(f"{number}.", ("ordered", marker[-1]), number, width, rest)
    return Item("-", ("bullet", marker), 1, width, rest)


def closes_fence(marks, text):
    """True if ``text`` closes a fence opened with ``marks`` (same character, as long or longer)."""
    close = FENCE.match(text)
    return bool(close and close[2][0] == marks[0] and len(close[2]) >= len(marks)
                and not close[3].strip())


def may_interrupt_paragraph(item):
    """CommonMark: only a bullet, or a list starting at 1, may interrupt a
    paragraph, and not with an empty item ("2018. What a year." stays text)."""
    return bool(item.content.strip()) and (item.kind[0] == "bullet" or item.number == 1)


def starts_block(text):
    """True if ``text`` opens a block other than a paragraph (it ends a lazy line run)."""
    return bool(list_item(text) or QUOTE.match(text) or FENCE.match(text)
                or HEADING.match(text) or RULE.match(text) or html_start(text))


def ends_paragraph(lines, at):
    """True if ``lines[at]`` starts a heading, rule, table or raw HTML after a paragraph."""
    text = lines[at][1]
    return bool(HEADING.match(text) or RULE.match(text) or html_start(text)
                or is_table_start(lines, at))


def html_start(text):
    match = HTML_OPEN.match(text)
    if match:
        tag = match[2].lower()
        return tag in CONTAINER_TAGS or tag in RAW_TAGS
    return bool(COMMENT.match(text))


def is_table_start(lines, at):
    if at + 1 >= len(lines) or "|" not in lines[at][1]:
        return False
    delimiter = lines[at + 1][1]
    return "-" in delimiter and bool(TABLE_DELIMITER.match(delimiter))


def continues_paragraph(text, para):
    """Whether a paragraph is open after ``text`` (``para``: one was open before)."""
    while True:     # look inside list items and quotes that the line opens
        if not text.strip() or (not para and indent(text) >= 4):
            return False
        item = list_item(text)
        quote = None if item else QUOTE.match(text)
        if item is None and quote is None:
            break
        text, para = (item.content if item else text[quote.end():]), False
    return not (FENCE.match(text) or HEADING.match(text) or RULE.match(text)
                or html_start(text))


class RawHtml:
    """Finds where raw HTML blocks end, each closing tag looked for once."""

    def __init__(self, lines):
        self.lines = lines
        self.closings = {}

    def end(self, at):
        """Where the raw HTML block starting at ``lines[at]`` ends (exclusive)."""
        text = self.lines[at][1]
        if COMMENT.match(text):
            key, pattern = "--", re.compile(r"-->")
        else:
            key = HTML_OPEN.match(text)[2].lower()
            if key in CONTAINER_TAGS:
                return at + 1               # its content is Markdown: read on
            pattern = re.compile(rf"</{key}\s*>", re.IGNORECASE)
        if key not in self.closings:
            self.closings[key] = [n for n, (_, t) in enumerate(self.lines) if pattern.search(t)]
        found = self.closings[key]
        index = bisect.bisect_left(found, at)
        if index < len(found):
            return found[index] + 1
        for end in range(at + 1, len(self.lines)):   # never closed: up to a blank line
            if not self.lines[end][1].strip():
                return end
        return len(self.lines)
