"""Bounds on what the Markdown renderer is asked to do, checked before it starts.

Python-Markdown's time grows with the square of the inline markup in one
paragraph (``[[[[...``, runs of backticks or asterisks: a few kilobytes can
take minutes), and with the square of the number of headings and footnotes.
A body past these bounds is refused at once, with its line, rather than
holding a request for minutes; nesting too deep for the renderer is refused
by :mod:`.md_blocks`. Real posts stay far below every bound: a long
tutorial of 23,000 characters scores 11,000 of the 1,000,000 markup budget.
"""
import re

from .md_blocks import MAX_NESTING

MAX_CHARS = 1_000_000      # about 150,000 words
MAX_LINES = 10_000
MAX_HEADINGS = 300
MAX_FOOTNOTES = 300
MAX_CODE_BLOCKS = 300      # each is highlighted by Pygments
MAX_TABLE_CELLS = 5_000
# Sum over paragraphs (list items, table rows) of the square of their markup
# characters; about 0.3 s of rendering at the bound.
MAX_MARKUP_COST = 1_000_000
MARKUP = "[`*_<~"

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:\s|$)")
_FOOTNOTE = re.compile(r"^ {0,3}\[\^[^\]]+\]:")
# A line that starts a unit of inline text of its own.
_UNIT_START = re.compile(r"^\s*(?:[-+*]\s|\d{1,9}[.)]\s|\||#|>)")
_RAW_HTML = re.compile(r"^ {0,3}<(?:pre|script|style|textarea|table|svg|math|!--)", re.IGNORECASE)
_MARKUP = re.compile("[" + re.escape(MARKUP) + "]")
_QUOTES = re.compile(r"^(?: {0,3}>)+")


class LimitError(ValueError):
    """A body past one of the bounds; ``line`` is where (1-based, in the body)."""

    def __init__(self, message, line=None):
        super().__init__(message)
        self.line = line


def check(text):
    """Raise :class:`LimitError` if rendering ``text`` could take too long."""
    if len(text) > MAX_CHARS:
        raise LimitError(f"the text is {len(text):,} characters long; "
                         f"the renderer takes up to {MAX_CHARS:,}")
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise LimitError(f"the text is {len(lines):,} lines long; "
                         f"the renderer takes up to {MAX_LINES:,}", line=MAX_LINES + 1)
    _check_quotes(lines)
    _check_counts(lines)
    _check_markup(lines)


def _check_quotes(lines):
    for number, line in _prose(lines):
        if line.lstrip().startswith(">"):
            depth = _QUOTES.match(line)[0].count(">") if _QUOTES.match(line) else 0
            if depth > MAX_NESTING:        # found here without parsing the lists
                raise LimitError(f"block quotes are nested more than {MAX_NESTING} "
                                 "levels deep", line=number)


def _check_counts(lines):
    counts = {"headings": 0, "footnotes": 0, "table cells": 0}
    limits = {"headings": MAX_HEADINGS, "footnotes": MAX_FOOTNOTES,
              "table cells": MAX_TABLE_CELLS}
    for number, line in _prose(lines):
        counts["headings"] += bool(_HEADING.match(line))
        counts["footnotes"] += bool(_FOOTNOTE.match(line))
        counts["table cells"] += line.count("|")
        for what, limit in limits.items():
            if counts[what] > limit:
                raise LimitError(f"more than {limit:,} {what}", line=number)
    fences = sum(1 for _ in _fences(lines))
    if fences > MAX_CODE_BLOCKS:
        raise LimitError(f"more than {MAX_CODE_BLOCKS} code blocks",
                         line=list(_fences(lines))[MAX_CODE_BLOCKS])


def _check_markup(lines):
    cost, unit, start, worst = 0, 0, 1, (0, 1)
    raw = False
    for number, line in _prose(lines):
        if not line.strip() or _UNIT_START.match(line):
            cost += unit * unit
            worst = max(worst, (unit, start))
            unit, start, raw = 0, number, bool(_RAW_HTML.match(line))
        elif unit == 0 and _RAW_HTML.match(line):
            raw = True          # raw HTML blocks are passed on, not parsed
        if not raw:
            unit += len(_MARKUP.findall(line))
        if unit == 0:
            start = number + 1
    cost += unit * unit
    worst = max(worst, (unit, start))
    if cost > MAX_MARKUP_COST:
        raise LimitError(
            f"too much inline markup for the renderer: the paragraph on line {worst[1]} "
            f"alone has {worst[0]:,} of the characters {' '.join(MARKUP)}; split it up "
            "or put it in a code block", line=worst[1])


def _prose(lines):
    """``(line number, line)`` outside fenced code (whose text is never parsed)."""
    for number, line, kind in _lines(lines):
        if kind == "prose":
            yield number, line


def _fences(lines):
    """The line number of each fenced code block's opening fence."""
    for number, _line, kind in _lines(lines):
        if kind == "fence":
            yield number


def _lines(lines):
    """``(line number, line, kind)``: kind is "fence" (an opening one), "code" or "prose"."""
    fence = None
    for number, line in enumerate(lines, start=1):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match[1]
            yield number, line, "fence"
            continue
        if fence is not None:
            if match and match[1][0] == fence[0] and len(match[1]) >= len(fence):
                fence = None
            yield number, line, "code"
            continue
        yield number, line, "prose"
