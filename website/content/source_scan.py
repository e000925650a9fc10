"""Line-level facts about a post's Markdown source: code fences and where URLs are.

The checker finds a post's URLs in its rendered HTML (what readers get) and
uses :class:`Source` to name the line each one is written on. No Flask here.
"""
import re
from dataclasses import dataclass

from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_FENCE_OPEN = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*?)\s*$")
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
# Characters that can continue a URL; a match must not be glued to them.
_BEFORE = r"(?<![\w/.:%~-])"
_AFTER = r"(?![\w/%~-]|\.\w)"


@dataclass(frozen=True)
class Fence:
    """A fenced code block: the line of its opening fence and its language ("" if none)."""

    line: int
    language: str


def fence_language(info):
    """The language of a fence's info string: ``python``, ``{.python}``, ``python hl_lines="1"``."""
    info = info.strip().lstrip("{").strip()
    word = info.split()[0] if info.split() else ""
    return word.lstrip(".").rstrip("}").strip()


def known_language(name):
    """True if Pygments can highlight ``name`` (an alias such as ``py`` or ``console``)."""
    try:
        get_lexer_by_name(name)
    except ClassNotFound:
        return False
    return True


class Source:
    """A post file's text, with fenced code and inline code masked out.

    :param text: the whole file.
    :param body: the Markdown body (a suffix of ``text``), to skip the header.
    """

    def __init__(self, text, body):
        text = text.lstrip("\ufeff").replace("\r\n", "\n")
        start = len(text) - len(body) if body and text.endswith(body) else 0
        self.first_line = text.count("\n", 0, start) + 1
        self.fences = []
        self._lines = self._mask(text[start:].split("\n"))
        self._used = {}

    def _mask(self, lines):
        masked, closing = [], None
        for number, line in enumerate(lines, start=self.first_line):
            if closing is not None:
                if re.match(rf"^\s*{re.escape(closing[0])}{{{len(closing)},}}\s*$", line):
                    closing = None
                masked.append("")
                continue
            match = _FENCE_OPEN.match(line)
            if match:
                closing = match["fence"]
                self.fences.append(Fence(number, fence_language(match["info"])))
                masked.append("")
                continue
            masked.append(_CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line))
        return masked

    def line_of(self, url, *variants):
        """The line of the next unclaimed occurrence of ``url`` (or a variant).

        Each call claims the occurrence it returns, so a URL written twice is
        reported on both lines. Falls back to the body's first line.
        """
        candidates = [u for u in dict.fromkeys((url,) + variants) if u]
        found = []
        for candidate in candidates:
            pattern = re.compile(_BEFORE + re.escape(candidate) + _AFTER)
            for offset, line in enumerate(self._lines):
                for match in pattern.finditer(line):
                    found.append((self.first_line + offset, match.start()))
        found = sorted(set(found))
        used = self._used.setdefault(url, 0)
        self._used[url] = used + 1
        if not found:
            return self.first_line
        return found[min(used, len(found) - 1)][0]

    def line_text(self, number):
        """Line ``number`` of the file (code masked out), "" outside the body."""
        at = number - self.first_line
        return self._lines[at] if 0 <= at < len(self._lines) else ""
