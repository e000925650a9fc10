"""Block structure as CommonMark reads it, written out the way Python-Markdown parses it.

Python-Markdown follows the original Markdown rules: a list needs a blank
line before it, nested content needs four spaces, ``1)`` is not a list
marker, and fenced code only works at the left margin. Posts written for
GitHub, Hugo or Jekyll rely on the CommonMark rules instead. This
preprocessor reads the containers (lists, list items, block quotes) and
fenced code as CommonMark does, and writes them back in the form Python-Markdown
understands: a blank line where a list interrupts a paragraph, four spaces
per nesting level, ``N.`` markers, fenced code stashed wherever it sits.
Text inside paragraphs, headings, tables and raw HTML is passed on as written.

GitHub's alert block quotes (``> [!NOTE]`` ...) become admonitions with a
visible title.
"""
import bisect
import re
from dataclasses import dataclass

from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor

# Deeper nesting than this is refused (it would exhaust Python-Markdown's stack).
MAX_NESTING = 32

ALERTS = {"note": "Note", "tip": "Tip", "important": "Important",
          "warning": "Warning", "caution": "Caution"}

_ITEM = re.compile(r"^( {0,3})([-+*]|\d{1,9}[.)])( *)(.*)$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ ]*\1){2,}[ ]*$")
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_QUOTE = re.compile(r"^ {0,3}> ?")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ ]|$)")
_HTML_OPEN = re.compile(r"^ {0,3}<(/?)([A-Za-z][A-Za-z0-9-]*)(?=[\s/>]|$)")
_COMMENT = re.compile(r"^ {0,3}<!--")
_TABLE_DELIMITER = re.compile(r"^ {0,3}\|?[ ]*:?-+:?[ ]*(?:\|[ ]*:?-+:?[ ]*)*\|?[ ]*$")
# A line holding only an HTML tag (CommonMark's seventh kind of HTML block).
_TAG_LINE = re.compile(
    r"""^ {0,3}(?:<([A-Za-z][A-Za-z0-9-]*)(?:\s+[A-Za-z_:][\w.:-]*"""
    r"""(?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?)*\s*/?>|</([A-Za-z][A-Za-z0-9-]*)\s*>)\s*$""")
_ALERT = re.compile(r"^\[!(\w+)\][ ]*$")
_INFO_WORD = re.compile(r"^\{.*\}$|^\.?[\w#.+-]+$")

# Raw HTML blocks whose content is Markdown too (see rendering.py).
CONTAINER_TAGS = frozenset(
    "div section article aside details blockquote header footer main nav".split())
# Raw HTML blocks passed on untouched, to their closing tag.
RAW_TAGS = frozenset(
    "pre script style textarea table dl ol ul form fieldset figure iframe "
    "math svg video audio canvas object p h1 h2 h3 h4 h5 h6 hr address".split())


class NestingError(ValueError):
    """Lists or block quotes nested deeper than :data:`MAX_NESTING`."""

    def __init__(self, line):
        super().__init__(f"lists or block quotes are nested more than {MAX_NESTING} "
                         "levels deep")
        self.line = line


@dataclass
class _Item:
    marker: str        # "-" or "3." as it will be written
    kind: tuple        # ("bullet", "*") or ("ordered", ")"): a change starts a new list
    number: int        # the ordered start number (1 for bullets)
    width: int         # content column: where the item's text begins
    content: str       # the first line's text


def _indent(text):
    return len(text) - len(text.lstrip(" "))


def _item(text):
    """The list item starting on ``text``, or None."""
    match = _ITEM.match(text)
    if not match or _RULE.match(text):
        return None
    indent, marker, spaces, rest = match.groups()
    if not spaces and rest:
        return None
    if not rest:
        width = len(indent) + len(marker) + 1
    elif len(spaces) > 4:            # the content is indented code
        width = len(indent) + len(marker) + 1
        rest = " " * (len(spaces) - 1) + rest
    else:
        width = len(indent) + len(marker) + len(spaces)
    if marker[-1] in ".)":
        number = int(marker[:-1])
        return _Item(f"{number}.", ("ordered", marker[-1]), number, width, rest)
    return _Item("-", ("bullet", marker), 1, width, rest)


def _starts_block(text):
    """True if ``text`` opens a block other than a paragraph (it ends a lazy line run)."""
    return bool(_item(text) or _QUOTE.match(text) or _FENCE.match(text)
                or _HEADING.match(text) or _RULE.match(text) or _html_start(text))


def _ends_paragraph(lines, at):
    """True if ``lines[at]`` starts a heading, rule, table or raw HTML after a paragraph."""
    text = lines[at][1]
    return bool(_HEADING.match(text) or _RULE.match(text) or _html_start(text)
                or _is_table_start(lines, at))


def _html_start(text):
    match = _HTML_OPEN.match(text)
    if match:
        tag = match[2].lower()
        return tag in CONTAINER_TAGS or tag in RAW_TAGS
    return bool(_COMMENT.match(text))


def _is_table_start(lines, at):
    if at + 1 >= len(lines) or "|" not in lines[at][1]:
        return False
    delimiter = lines[at + 1][1]
    return "-" in delimiter and bool(_TABLE_DELIMITER.match(delimiter))


class _Writer:
    """Rewrites one document; ``stash(html)`` returns a placeholder for raw HTML."""

    def __init__(self, fence_block, stash, block_tags):
        self.fence_block = fence_block      # lines of a fenced block -> rendered lines
        self.stash = stash                  # (html, block=False) -> placeholder
        self.block_tags = block_tags        # tags Python-Markdown reads as raw blocks

    # --- a sequence of blocks -------------------------------------------
    def blocks(self, lines, depth=0, in_item=False):
        """``lines`` as ``[(line number, text)]``, rewritten as a list of strings.

        :param in_item: the lines are a list item's; its first paragraph may be
            followed by a nested list or code without a blank line, which keeps
            the list tight.
        """
        if depth > MAX_NESTING:
            raise NestingError(lines[0][0] if lines else None)
        out, at, previous = [], 0, "blank"
        head = in_item
        raw = _RawHtml(lines)
        last_list = None        # the kind of the list just written, across blank lines
        while at < len(lines):
            number, text = lines[at]
            if not text.strip():
                out.append("")
                at, previous, head = at + 1, "blank", False
                continue
            list_before, last_list = last_list, None
            if previous != "paragraph" and _indent(text) >= 4:
                at = self._indented_code(lines, at, out)
                previous = "other"
                continue
            fence = _FENCE.match(text)
            if fence and not (fence[2][0] == "`" and "`" in fence[3]):
                at = self._fenced(lines, at, fence, out, tight=head and previous == "paragraph")
                previous, head = "other", False
                continue
            if _QUOTE.match(text):
                at = self._quote(lines, at, depth, out, previous)
                previous = "container"
                continue
            item = _item(text)
            if item and (previous != "paragraph" or head or self._may_interrupt(item)):
                if list_before and list_before[0] == item.kind[0]:
                    # Another marker starts another list; Python-Markdown would
                    # carry on the one before without something in between.
                    out.extend([self.stash("<!-- -->"), ""])
                at = self._list(lines, at, depth, out, "blank" if head else previous)
                previous, head, last_list = "container", False, item.kind
                continue
            if previous == "paragraph" and not _ends_paragraph(lines, at):
                out.append(text.lstrip(" "))
                at += 1
                continue
            tag = _TAG_LINE.match(text)
            if tag and (tag[1] or tag[2]).lower() not in self.block_tags:
                at = self._raw_lines(lines, at, out)
                previous = "other"
                continue
            at, previous = self._other(lines, at, out, previous, raw)
            head = head and previous == "paragraph"
        return out

    @staticmethod
    def _may_interrupt(item):
        # CommonMark: only a bullet, or a list starting at 1, may interrupt a
        # paragraph, and not with an empty item ("2018. What a year." stays text).
        return bool(item.content.strip()) and (item.kind[0] == "bullet" or item.number == 1)

    def _other(self, lines, at, out, previous, raw):
        """Headings, rules, tables, raw HTML and paragraph lines, as written."""
        number, text = lines[at]
        if previous == "container":
            out.append("")
        if _html_start(text):
            end = raw.end(at)
            out.extend(t for _, t in lines[at:end])
            return end, "other"
        if _is_table_start(lines, at) and previous == "paragraph":
            out.append("")
        out.append(text)
        if _HEADING.match(text) or _RULE.match(text):
            return at + 1, "other"
        return at + 1, "paragraph"

    def _raw_lines(self, lines, at, out):
        """An inline tag alone on its line, and the lines up to a blank one: raw HTML."""
        end = at
        while end < len(lines) and lines[end][1].strip():
            end += 1
        out.extend(["", self.stash("\n".join(t for _, t in lines[at:end]), block=True), ""])
        return end

    def _indented_code(self, lines, at, out):
        end = at
        while end < len(lines) and (not lines[end][1].strip() or _indent(lines[end][1]) >= 4):
            end += 1
        while end > at and not lines[end - 1][1].strip():
            end -= 1
        out.extend(t for _, t in lines[at:end])
        return end

    def _fenced(self, lines, at, fence, out, tight=False):
        indent, marks, info = len(fence[1]), fence[2], fence[3].strip()
        end, code = at + 1, []
        while end < len(lines):
            text = lines[end][1]
            close = _FENCE.match(text)
            if (close and close[2][0] == marks[0] and len(close[2]) >= len(marks)
                    and not close[3].strip()):
                end += 1
                break
            code.append(text[min(indent, _indent(text)):])
            end += 1
        else:
            while code and not code[-1].strip():
                code.pop()          # never closed: it ends with the document
        word = info.split()[0] if info else ""
        word = word if _INFO_WORD.match(word) else ""
        stashed = [line for line in self.fence_block([marks + word, *code, marks]) if line]
        # Right under an item's first line, the code stays in the item's text
        # (a tight list); elsewhere it is a block of its own.
        out.extend(stashed if tight else ["", *stashed, ""])
        return end

    # --- containers -------------------------------------------------------
    def _quote(self, lines, at, depth, out, previous):
        content, lazy = [], False
        while at < len(lines):
            number, text = lines[at]
            quote = _QUOTE.match(text)
            if quote:
                inner = text[quote.end():]
                content.append((number, inner))
                lazy = bool(inner.strip()) and not _starts_block(inner) and _indent(inner) < 4
            elif lazy and text.strip() and not _starts_block(text):
                content.append((number, text))
            else:
                break
            at += 1
        if previous != "blank":
            out.append("")
        if out and out[-1] == "" and len(out) > 1 and out[-2].startswith(">"):
            # Python-Markdown merges block quotes that only a blank line separates.
            out.append(self.stash("<!-- -->"))
            out.append("")
        body = self.blocks(content, depth + 1)
        alert = _ALERT.match(body[0].strip()) if body else None
        if alert and alert[1].lower() in ALERTS:
            kind = alert[1].lower()
            out.append(f'!!! {kind} "{ALERTS[kind]}"')
            out.extend("    " + line if line else "" for line in body[1:])
            out.append("")
        else:
            out.extend("> " + line if line else ">" for line in body)
        return at

    def _list(self, lines, at, depth, out, previous):
        if previous != "blank":
            out.append("")
        first = _item(lines[at][1])
        item = first
        while True:
            content, at, blanks = self._item_lines(lines, at, item)
            body = self.blocks(content, depth + 1, in_item=True)
            while body and not body[0]:
                body.pop(0)
            head = body[0] if body else ""
            out.append(f"{item.marker} {head}")
            out.extend("    " + line if line else "" for line in body[1:])
            if at >= len(lines):
                break
            following = _item(lines[at][1])
            if following is None or following.kind != first.kind:
                break
            # Python-Markdown reads an item holding blank lines as one block
            # with whatever follows it, unless a blank line comes between.
            out.extend([""] * (blanks or ("" in body)))
            item = following
        if at < len(lines) and blanks == 0:
            out.append("")     # whatever follows is a block of its own
        out.extend([""] * blanks)
        return at

    @staticmethod
    def _item_lines(lines, at, item):
        """The item's content lines from ``at``, its end, and the blank lines after it."""
        content = [(lines[at][0], item.content)]
        para = _continues_paragraph(item.content, False)
        fence = _FENCE.match(item.content)
        at += 1
        while at < len(lines):
            number, text = lines[at]
            if not text.strip():
                if len(content) == 1 and not item.content.strip():
                    break           # an item can begin with at most one blank line
                content.append((number, ""))
                para = False
            elif _indent(text) >= item.width:
                inner = text[item.width:]
                content.append((number, inner))
                if fence:
                    close = _FENCE.match(inner)
                    if (close and close[2][0] == fence[2][0] and len(close[2]) >= len(fence[2])
                            and not close[3].strip()):
                        fence = None
                else:
                    fence = _FENCE.match(inner)
                    para = not fence and _continues_paragraph(inner, para)
            elif para and not fence and not _starts_block(text):
                content.append((number, text.lstrip(" ")))     # a lazy continuation line
            else:
                break
            at += 1
        blanks = 0
        while len(content) > 1 and not content[-1][1].strip():
            content.pop()
            blanks += 1
        return content, at, blanks


def _continues_paragraph(text, para):
    """Whether a paragraph is open after ``text`` (``para``: one was open before)."""
    if not text.strip() or (not para and _indent(text) >= 4):
        return False
    item = _item(text)
    if item:
        return _continues_paragraph(item.content, False)
    quote = _QUOTE.match(text)
    if quote:
        return _continues_paragraph(text[quote.end():], False)
    return not (_FENCE.match(text) or _HEADING.match(text) or _RULE.match(text)
                or _html_start(text))


class _RawHtml:
    """Finds where raw HTML blocks end, each closing tag looked for once."""

    def __init__(self, lines):
        self.lines = lines
        self.closings = {}

    def end(self, at):
        """Where the raw HTML block starting at ``lines[at]`` ends (exclusive)."""
        text = self.lines[at][1]
        if _COMMENT.match(text):
            key, pattern = "--", re.compile(r"-->")
        else:
            key = _HTML_OPEN.match(text)[2].lower()
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


class _BlockPreprocessor(Preprocessor):
    """Runs between whitespace normalisation (30) and fenced code (25)."""

    def __init__(self, md):
        super().__init__(md)
        self.raw_blocks = []        # placeholders of raw HTML never to wrap in <p>

    def run(self, lines):
        self.raw_blocks = []
        fenced = self.md.preprocessors["fenced_code_block"]
        writer = _Writer(fenced.run, self._stash, set(self.md.block_level_elements))
        # Python-Markdown expects the text to end with a blank line.
        return writer.blocks(list(enumerate(lines, start=1))) + ["", ""]

    def _stash(self, html, block=False):
        placeholder = self.md.htmlStash.store(html)
        if block:
            self.raw_blocks.append(placeholder)
        return placeholder


class _UnwrapRawBlocks(Postprocessor):
    """Raw HTML blocks that start with an inline tag (``<img ...>`` alone on its
    line) stay out of paragraphs, as in CommonMark; runs before raw HTML is restored."""

    def __init__(self, md, blocks):
        super().__init__(md)
        self.blocks = blocks

    def run(self, text):
        for placeholder in self.blocks.raw_blocks:
            text = text.replace(f"<p>{placeholder}</p>", placeholder)
        return text


class CommonMarkBlocksExtension(Extension):
    """Lists, block quotes, fenced code and GitHub alerts as CommonMark reads them."""

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        blocks = _BlockPreprocessor(md)
        md.preprocessors.register(blocks, "commonmark_blocks", 28)
        md.postprocessors.register(_UnwrapRawBlocks(md, blocks), "commonmark_raw_blocks", 35)
