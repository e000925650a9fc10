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
import re

from markdown import util
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor

from .md_lines import (FENCE, HEADING, QUOTE, RULE, TAG_LINE, RawHtml, closes_fence,
                       continues_paragraph, ends_paragraph, html_start, indent,
                       is_table_start, list_item, may_interrupt_paragraph, starts_block)

# Deeper nesting than this is refused: Python-Markdown's stack runs out a few
# hundred levels down, and each level costs a pass over the lines inside it.
# CommonMark's reference parsers stop at 20 too (markdown-it's maxNesting).
MAX_NESTING = 20

ALERTS = {"note": "Note", "tip": "Tip", "important": "Important",
          "warning": "Warning", "caution": "Caution"}

_ALERT = re.compile(r"^\[!(\w+)\][ ]*$")
_INFO_WORD = re.compile(r"^\{.*\}$|^\.?[\w#.+-]+$")


# What would start a block in the middle of a paragraph for Python-Markdown:
# an ordered or bullet marker, a quote, a heading, a fence.
_BLOCK_MARK = re.compile(r"^(?:\d{1,9}(?=[.)])|(?=[-+*](?: |$))|(?=>)|(?=#{1,6}(?: |$))"
                         r"|(?=(?:`{3,}|~{3,})[^`]*$))")


def _continuation(text):
    """A paragraph's next line, written so that Python-Markdown doesn't start a
    block there (``2018. What a year.``, or a lazy ``    - x`` in a list item):
    the mark is backslash-escaped, which shows it as written."""
    text = text.lstrip(" ")
    match = _BLOCK_MARK.match(text)
    if match is None:
        return text
    return text[:match.end()] + "\\" + text[match.end():]


def _trimmed(lines, end=True):
    """``lines`` without blank lines at the start (and at the ``end``)."""
    first = next((n for n, line in enumerate(lines) if line), len(lines))
    last = len(lines)
    while end and last > first and not lines[last - 1]:
        last -= 1
    return lines[first:last]


class NestingError(ValueError):
    """Lists or block quotes nested deeper than :data:`MAX_NESTING`."""

    def __init__(self, line):
        super().__init__(f"lists or block quotes are nested more than {MAX_NESTING} "
                         "levels deep")
        self.line = line


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
        raw = RawHtml(lines)
        last_list = None        # the kind of the list just written, across blank lines
        while at < len(lines):
            number, text = lines[at]
            if not text.strip():
                out.append("")
                at, previous, head = at + 1, "blank", False
                continue
            list_before, last_list = last_list, None
            if previous != "paragraph" and indent(text) >= 4:
                if list_before:
                    # Python-Markdown would put indented code in the list's last item.
                    out.extend([self.stash("<!-- -->"), ""])
                at = self._indented_code(lines, at, out)
                previous = "other"
                continue
            fence = FENCE.match(text)
            if fence and not (fence[2][0] == "`" and "`" in fence[3]):
                tight = head and previous in ("paragraph", "tight code")
                at = self._fenced(lines, at, fence, out, tight=tight)
                # Code kept in a tight item's text may be followed by more of the item.
                previous, head = ("tight code", True) if tight else ("other", False)
                continue
            if QUOTE.match(text):
                at = self._quote(lines, at, depth, out, previous)
                previous = "container"
                continue
            item = list_item(text)
            if item and (previous != "paragraph" or may_interrupt_paragraph(item)):
                if list_before and list_before[0] == item.kind[0]:
                    # Another marker starts another list; Python-Markdown would
                    # carry on the one before without something in between.
                    out.extend([self.stash("<!-- -->"), ""])
                at = self._list(lines, at, depth, out, "blank" if head else previous)
                previous, head, last_list = "container", False, item.kind
                continue
            if previous == "paragraph" and not ends_paragraph(lines, at):
                out.append(_continuation(text))
                at += 1
                continue
            tag = TAG_LINE.match(text)
            if tag and (tag[1] or tag[2]).lower() not in self.block_tags:
                at = self._raw_lines(lines, at, out)
                previous = "other"
                continue
            at, previous = self._other(lines, at, out, previous, raw)
            head = head and previous == "paragraph"
        return out

    def _other(self, lines, at, out, previous, raw):
        """Headings, rules, tables, raw HTML and paragraph lines, as written."""
        number, text = lines[at]
        if previous == "container":
            out.append("")
        if html_start(text):
            end = raw.end(at)
            out.extend(t for _, t in lines[at:end])
            return end, "other"
        if is_table_start(lines, at) and previous == "paragraph":
            out.append("")
        out.append(text)
        if HEADING.match(text) or RULE.match(text):
            return at + 1, "other"
        return at + 1, "paragraph"

    def _raw_lines(self, lines, at, out):
        """An inline tag alone on its line, and the lines up to a blank one: raw HTML.

        It stops early at a block-level tag, such as the ``</div>`` of a
        container whose Markdown it sits in.
        """
        end = at + 1
        while end < len(lines) and lines[end][1].strip() and not html_start(lines[end][1]):
            end += 1
        out.extend(["", self.stash("\n".join(t for _, t in lines[at:end]), block=True), ""])
        return end

    def _indented_code(self, lines, at, out):
        end = at
        while end < len(lines) and (not lines[end][1].strip() or indent(lines[end][1]) >= 4):
            end += 1
        while end > at and not lines[end - 1][1].strip():
            end -= 1
        out.extend(t for _, t in lines[at:end])
        return end

    def _fenced(self, lines, at, fence, out, tight=False):
        lead, marks, info = len(fence[1]), fence[2], fence[3].strip()
        end, code = at + 1, []
        while end < len(lines):
            text = lines[end][1]
            if closes_fence(marks, text):
                end += 1
                break
            code.append(text[min(lead, indent(text)):])
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
            quote = QUOTE.match(text)
            if quote:
                inner = text[quote.end():]
                content.append((number, inner))
                lazy = continues_paragraph(inner, lazy)
            elif lazy and text.strip() and not starts_block(text):
                content.append((number, _continuation(text)))    # a lazy line
            else:
                break
            at += 1
        if previous != "blank":
            out.append("")
        if out and out[-1] == "" and len(out) > 1 and out[-2].startswith(">"):
            # Python-Markdown merges block quotes that only a blank line separates.
            out.append(self.stash("<!-- -->"))
            out.append("")
        # Blank lines at the edges would glue stashed code to a paragraph.
        body = _trimmed(self.blocks(content, depth + 1))
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
        items = []                  # (item, content lines, blank lines after it)
        first = item = list_item(lines[at][1])
        while True:
            content, at, blanks = self._item_lines(lines, at, item)
            items.append((item, content, blanks))
            following = list_item(lines[at][1]) if at < len(lines) else None
            if following is None or following.kind != first.kind:
                break
            item = following
        # CommonMark: a list is loose when a blank line separates its items or
        # the blocks of an item; a tight one keeps code and lists in the text.
        tight = (all(blanks == 0 for _, _, blanks in items[:-1])
                 and not any(not text.strip() for _, content, _ in items for _, text in content))
        for index, (item, content, blanks) in enumerate(items):
            body = _trimmed(self.blocks(content, depth + 1, in_item=tight), end=False)
            # An empty item gets an empty placeholder: "- " alone would read
            # as a heading's underline.
            head = body[0] if body else self.stash("")
            out.append(f"{item.marker} {head}")
            out.extend("    " + line if line else "" for line in body[1:])
            if index + 1 < len(items):
                # Python-Markdown reads an item holding blank lines as one block
                # with whatever follows it, unless a blank line comes between.
                out.extend([""] * (blanks or ("" in body)))
        if at < len(lines) and blanks == 0:
            out.append("")     # whatever follows is a block of its own
        out.extend([""] * blanks)
        return at

    @staticmethod
    def _item_lines(lines, at, item):
        """The item's content lines from ``at``, its end, and the blank lines after it."""
        content = [(lines[at][0], item.content)]
        para = continues_paragraph(item.content, False)
        fence = FENCE.match(item.content)
        at += 1
        while at < len(lines):
            number, text = lines[at]
            if not text.strip():
                if len(content) == 1 and not item.content.strip():
                    break           # an item can begin with at most one blank line
                content.append((number, ""))
                para = False
            elif indent(text) >= item.width:
                inner = text[item.width:]
                content.append((number, inner))
                if fence:
                    fence = None if closes_fence(fence[2], inner) else fence
                else:
                    fence = FENCE.match(inner)
                    para = not fence and continues_paragraph(inner, para)
            elif para and not fence and not starts_block(text):
                content.append((number, _continuation(text)))    # a lazy line
            else:
                break
            at += 1
        blanks = 0
        while len(content) > 1 and not content[-1][1].strip():
            content.pop()
            blanks += 1
        return content, at, blanks


class _BlockPreprocessor(Preprocessor):
    """Runs between whitespace normalisation (30) and fenced code (25)."""

    def __init__(self, md):
        super().__init__(md)
        self.raw_blocks = set()     # placeholders of blocks never to leave in a <p>

    def run(self, lines):
        self.raw_blocks = set()
        writer = _Writer(self._fence_block, self._stash, set(self.md.block_level_elements))
        # Python-Markdown expects the text to end with a blank line.
        return writer.blocks(list(enumerate(lines, start=1))) + ["", ""]

    def _fence_block(self, lines):
        stashed = self.md.preprocessors["fenced_code_block"].run(lines)
        self.raw_blocks.update(line for line in stashed if line.strip())
        return stashed

    def _stash(self, html, block=False):
        placeholder = self.md.htmlStash.store(html)
        if block:
            self.raw_blocks.add(placeholder)
        return placeholder


# A paragraph: "<p>", then text holding no "<p>" or "</p>", then "</p>". Written as
# runs of [^<] (one step per run, not a lookahead at every character): 20x faster
# on a long paragraph, the same matches.
_PARAGRAPH = re.compile(r"<p>([^<]*(?:<(?!/?p>)[^<]*)*)</p>")
_PLACEHOLDER = re.compile(util.HTML_PLACEHOLDER % r"[0-9]+")


class _UnwrapRawBlocks(Postprocessor):
    """Code blocks and raw HTML blocks (``<img ...>`` alone on its line) never
    sit inside a paragraph: one that holds them is split around them. Runs
    before raw HTML is restored."""

    def __init__(self, md, blocks):
        super().__init__(md)
        self.blocks = blocks

    def run(self, text):
        if not self.blocks.raw_blocks:
            return text
        return _PARAGRAPH.sub(self._split, text)

    def _split(self, match):
        inner = match[1]
        found = [m for m in _PLACEHOLDER.finditer(inner) if m[0] in self.blocks.raw_blocks]
        if not found:
            return match[0]
        parts, start = [], 0
        for placeholder in found:
            parts.append(f"<p>{inner[start:placeholder.start()].strip()}</p>")
            parts.append(placeholder[0])
            start = placeholder.end()
        parts.append(f"<p>{inner[start:].strip()}</p>")
        return "\n".join(part for part in parts if part != "<p></p>")


class CommonMarkBlocksExtension(Extension):
    """Lists, block quotes, fenced code and GitHub alerts as CommonMark reads them."""

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        blocks = _BlockPreprocessor(md)
        md.preprocessors.register(blocks, "commonmark_blocks", 28)
        md.postprocessors.register(_UnwrapRawBlocks(md, blocks), "commonmark_raw_blocks", 35)
