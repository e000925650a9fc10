"""Patterns that are only tried on text that holds what they need to match.

Python-Markdown tries each inline pattern's regular expression on every
piece of text, and each block processor's on every block. Many of them are
slow to fail: a pattern that starts with a lookbehind or with ``(^|\\n)``
is tried at every character, so a paragraph of 3,000 characters costs about
40 µs for each such pattern, and a post's prose meets a dozen of them. None
can match without a literal piece (``[`` for a link, ``#`` for a heading,
``://`` for a bare link, ...), and looking for that is quick: text without
it skips the pattern, and the HTML is the same.
"""
import re

from markdown import blockprocessors, inlinepatterns
from markdown.extensions import Extension, abbr, admonition, def_list, footnotes
from pymdownx import magiclink


def _some(*pieces):
    if len(pieces) == 1:
        piece = pieces[0]
        return lambda text: piece in text
    return lambda text: any(map(text.__contains__, pieces))


def _three_of_one(*chars):
    return lambda text: any(text.count(char) >= 3 for char in chars)


# Inline patterns: name -> (the pattern's source, as this module knows it;
# what a match can't lack)
NEEDED = {
    "backtick": (inlinepatterns.BACKTICK_RE, _some("`")),
    "not_strong": (inlinepatterns.NOT_STRONG_RE, _some("*", "_")),
    # Case-insensitive: www. may be written WWW.
    "magic-link": (magiclink.RE_LINK, lambda text: "://" in text or "www." in text.lower()),
    "magic-mail": (magiclink.RE_MAIL, _some("@")),
    # Links start with a lookbehind (not an image's "!["): tried at every character.
    "reference": (inlinepatterns.REFERENCE_RE, _some("[")),
    "link": (inlinepatterns.LINK_RE, _some("[")),
    "short_reference": (inlinepatterns.REFERENCE_RE, _some("[")),
}

# Block processors: name -> (the attribute holding its pattern, the pattern's
# source, what a match can't lack)
BLOCK_NEEDED = {
    "hashheader": ("RE", blockprocessors.HashHeaderProcessor.RE.pattern, _some("#")),
    "setextheader": ("RE", blockprocessors.SetextHeaderProcessor.RE.pattern,
                     _some("\n=", "\n-")),
    # A rule is three or more of one of -, _ and *.
    "hr": ("SEARCH_RE", blockprocessors.HRProcessor.RE, _three_of_one("-", "_", "*")),
    "quote": ("RE", blockprocessors.BlockQuoteProcessor.RE.pattern, _some(">")),
    # A definition is a colon and a space.
    "deflist": ("RE", def_list.DefListProcessor.RE.pattern, _some(": ")),
    "admonition": ("RE", admonition.AdmonitionProcessor.RE.pattern, _some("!!!")),
    "footnote": ("RE", footnotes.FootnoteBlockProcessor.RE.pattern, _some("[^")),
    "abbr": ("RE", abbr.AbbrBlockprocessor.RE.pattern, _some("*[")),
    "reference": ("RE", blockprocessors.ReferenceProcessor.RE.pattern, _some("]:")),
}


class Prefiltered:
    """A compiled pattern tried only when ``needed(text)`` says it may match."""

    def __init__(self, compiled, needed):
        self.compiled, self.needed = compiled, needed

    def finditer(self, text, *where):
        """The matches of the pattern in ``text``, none without the needed piece."""
        return self.compiled.finditer(text, *where) if self.needed(text) else iter(())

    def search(self, text, *where):
        """The first match in ``text``, or None: always None without the needed piece."""
        return self.compiled.search(text, *where) if self.needed(text) else None

    def match(self, text, *where):
        """The match at the start of ``text``, or None: always None without the needed piece."""
        return self.compiled.match(text, *where) if self.needed(text) else None

    def __getattr__(self, name):
        return getattr(self.compiled, name)


def _wrap(owner, attribute, source, needed):
    compiled = getattr(owner, attribute, None)
    if isinstance(compiled, re.Pattern) and compiled.pattern == source:
        setattr(owner, attribute, Prefiltered(compiled, needed))


class PrefilterExtension(Extension):
    """Wraps the patterns of :data:`NEEDED` and :data:`BLOCK_NEEDED` in
    :class:`Prefiltered`; register it last.

    A pattern whose source is not the one named there (another extension
    replaced it, or a library changed it) is left as it is.
    """

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        for name, (source, needed) in NEEDED.items():
            if name in md.inlinePatterns:
                _wrap(md.inlinePatterns[name], "compiled_re", source, needed)
        for name, (attribute, source, needed) in BLOCK_NEEDED.items():
            if name in md.parser.blockprocessors:
                _wrap(md.parser.blockprocessors[name], attribute, source, needed)
