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

MAX_CHARS = 1_000_000      # about 150,000 words
MAX_LINES = 10_000
MAX_HEADINGS = 300
MAX_FOOTNOTES = 300
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
    _check_counts(lines)
    _check_markup(lines)


def _check_counts(lines):
    headings = footnotes = 0
    for number, line in _prose(lines):
        headings += bool(_HEADING.match(line))
        footnotes += bool(_FOOTNOTE.match(line))
        if headings > MAX_HEADINGS:
            raise LimitError(f"more than {MAX_HEADINGS} headings", line=number)
        if footnotes > MAX_FOOTNOTES:
            raise LimitError(f"more than {MAX_FOOTNOTES} footnotes", line=number)


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
    cost += unit * unit
    worst = max(worst, (unit, start))
    if cost > MAX_MARKUP_COST:
        raise LimitError(
            f"too much inline markup for the renderer: the paragraph on line {worst[1]} "
            f"alone has {worst[0]:,} of the characters {' '.join(MARKUP)}; split it up "
            "or put it in a code block", line=worst[1])


def _prose(lines):
    """``(line number, line)`` outside fenced code (whose text is never parsed)."""
    fence = None
    for number, line in enumerate(lines, start=1):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match[1]
            continue
        if fence is not None:
            if match and match[1][0] == fence[0] and len(match[1]) >= len(fence):
                fence = None
            continue
        yield number, line
