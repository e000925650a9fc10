"""Inline patterns that are only tried on text that holds what they need to match.

Python-Markdown tries each inline pattern's regular expression on every
piece of text. A few of them are slow to fail (they test lookbehinds at
every character): bare links and e-mail addresses (pymdownx.magiclink),
code spans and lone ``*``/``_``. None can match without a literal piece
(``://`` or ``www.``, ``@``, a backtick, ``*`` or ``_``), and looking for
that is quick: text without it skips the pattern, and the HTML is the same.
"""
import re

from markdown import inlinepatterns
from markdown.extensions import Extension
from pymdownx import magiclink

# name -> (the pattern's source, as this module knows it; what a match can't lack)
NEEDED = {
    "backtick": (inlinepatterns.BACKTICK_RE, lambda text: "`" in text),
    "not_strong": (inlinepatterns.NOT_STRONG_RE, lambda text: "*" in text or "_" in text),
    # Case-insensitive: www. may be written WWW.
    "magic-link": (magiclink.RE_LINK, lambda text: "://" in text or "www." in text.lower()),
    "magic-mail": (magiclink.RE_MAIL, lambda text: "@" in text),
}


class Prefiltered:
    """A compiled pattern searched only when ``needed(text)`` says it may match."""

    def __init__(self, compiled, needed):
        self.compiled, self.needed = compiled, needed

    def finditer(self, text, pos=0):
        """The matches of the pattern in ``text``, none without the needed piece."""
        return self.compiled.finditer(text, pos) if self.needed(text) else iter(())

    def __getattr__(self, name):
        return getattr(self.compiled, name)


class PrefilterExtension(Extension):
    """Wraps the patterns of :data:`NEEDED` in :class:`Prefiltered`; register it last.

    A pattern whose source is not the one named there (another extension
    replaced it, or a library changed it) is left as it is.
    """

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        for name, (source, needed) in NEEDED.items():
            pattern = md.inlinePatterns[name] if name in md.inlinePatterns else None
            compiled = getattr(pattern, "compiled_re", None)
            if isinstance(compiled, re.Pattern) and compiled.pattern == source:
                pattern.compiled_re = Prefiltered(compiled, needed)
