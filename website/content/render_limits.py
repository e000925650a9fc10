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
    """Raise :class:`LimitError` if rendering ``text`` could take too long.

    Of several bounds passed, the first of these is reported: quotes nested
    too deep, too many headings, footnotes or table cells, too many code
    blocks, too much inline markup.
    """
    if len(text) > MAX_CHARS:
        raise LimitError(f"the text is {len(text):,} characters long; "
                         f"the renderer takes up to {MAX_CHARS:,}")
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise LimitError(f"the text is {len(lines):,} lines long; "
                         f"the renderer takes up to {MAX_LINES:,}", line=MAX_LINES + 1)
    _Scan(lines).raise_first()


class _Scan:
    """One pass over the lines, keeping the first problem of each kind."""

    def __init__(self, lines):
        self.quotes = self.counts = self.fences = None     # LimitErrors, as found
        self.headings = self.footnotes = self.cells = self.code_blocks = 0
        # Inline markup: the running paragraph's count and first line, the sum
        # of squares so far, the worst paragraph (count, line).
        self.cost, self.unit, self.start, self.worst, self.raw = 0, 0, 1, (0, 1), False
        fence = None
        for number, line in enumerate(lines, start=1):
            match = _FENCE.match(line)
            if fence is None and match:
                fence = match[1]
                self._code_block(number)
            elif fence is not None:     # code: never parsed as Markdown
                if match and match[1][0] == fence[0] and len(match[1]) >= len(fence):
                    fence = None
            else:
                self._prose(number, line)
        self._end_unit()

    def _code_block(self, number):
        self.code_blocks += 1
        if self.code_blocks == MAX_CODE_BLOCKS + 1:
            self.fences = LimitError(f"more than {MAX_CODE_BLOCKS} code blocks", line=number)

    def _prose(self, number, line):
        if self.quotes is None and ">" in line and line.lstrip().startswith(">"):
            quotes = _QUOTES.match(line)
            if quotes and quotes[0].count(">") > MAX_NESTING:   # found without parsing lists
                self.quotes = LimitError(f"block quotes are nested more than {MAX_NESTING} "
                                         "levels deep", line=number)
        if self.counts is None:
            self._count(number, line)
        self._markup(number, line)

    def _count(self, number, line):
        if "#" in line and _HEADING.match(line):
            self.headings += 1
        if "[^" in line and _FOOTNOTE.match(line):
            self.footnotes += 1
        self.cells += line.count("|")
        for what, count, limit in (("headings", self.headings, MAX_HEADINGS),
                                   ("footnotes", self.footnotes, MAX_FOOTNOTES),
                                   ("table cells", self.cells, MAX_TABLE_CELLS)):
            if count > limit:
                self.counts = LimitError(f"more than {limit:,} {what}", line=number)
                return

    def _markup(self, number, line):
        if not line.strip() or _UNIT_START.match(line):
            self._end_unit()
            self.unit, self.start, self.raw = 0, number, bool(_RAW_HTML.match(line))
        elif self.unit == 0 and _RAW_HTML.match(line):
            self.raw = True         # raw HTML blocks are passed on, not parsed
        if not self.raw:
            self.unit += len(_MARKUP.findall(line))
        if self.unit == 0:
            self.start = number + 1

    def _end_unit(self):
        """The running paragraph ends: add its cost, and keep it if the worst yet."""
        self.cost += self.unit * self.unit
        self.worst = max(self.worst, (self.unit, self.start))

    def raise_first(self):
        for problem in (self.quotes, self.counts, self.fences):
            if problem is not None:
                raise problem
        if self.cost > MAX_MARKUP_COST:
            unit, start = self.worst
            raise LimitError(
                f"too much inline markup for the renderer: the paragraph on line {start} "
                f"alone has {unit:,} of the characters {' '.join(MARKUP)}; split it up "
                "or put it in a code block", line=start)
