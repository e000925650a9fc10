"""What a reader types in the search box, turned into a safe FTS5 expression.

The raw text never reaches FTS5's query syntax: every word becomes a quoted
string (so ``AND``, ``NEAR``, ``(``, ``:``, ``^`` and ``-`` are plain text),
a trailing ``*`` makes a word a prefix, and ``"quoted words"`` are a phrase.
All words must match. No Flask here.
"""
import re
from dataclasses import dataclass, field

MAX_LENGTH = 200       # characters of the query that are searched
MAX_TERMS = 16         # words and phrases; the rest are ignored
MIN_PREFIX = 2         # "a*" would match half the dictionary: it means "a"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef]+")
_PIECE = re.compile(r'"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+)')
# Something FTS5's unicode61 tokenizer indexes: a letter or a digit.
_INDEXABLE = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class Term:
    """One word (``prefix``: ends with ``*``) or one quoted phrase."""

    text: str
    phrase: bool = False
    prefix: bool = False

    def fts(self):
        """This term as FTS5 query syntax: a quoted string, maybe a prefix."""
        quoted = '"' + self.text.replace('"', '""') + '"'
        return quoted + " *" if self.prefix else quoted

    def __str__(self):
        if self.phrase:
            return f'"{self.text}"'
        return self.text + ("*" if self.prefix else "")


@dataclass(frozen=True)
class Query:
    """A parsed query: ``text`` as searched (cleaned, cut to length) and its terms."""

    text: str
    terms: tuple = field(default_factory=tuple)
    truncated: bool = False     # the query was longer than MAX_LENGTH
    dropped: int = 0            # terms past MAX_TERMS, not searched

    def __bool__(self):
        return bool(self.terms)

    def fts(self):
        """The whole query as an FTS5 expression: every term must match."""
        return " ".join(term.fts() for term in self.terms)


def parse(text):
    """:class:`Query` for ``text``, whatever it holds."""
    text = " ".join(_CONTROL.sub(" ", text or "").split())
    truncated = len(text) > MAX_LENGTH
    if truncated:
        # Cut between words: half a word would match nothing.
        cut = text[:MAX_LENGTH + 1]
        text = (cut.rsplit(" ", 1)[0] if " " in cut else cut[:MAX_LENGTH]).rstrip()
    terms = []
    for piece in _PIECE.finditer(text):
        term = _term(piece["phrase"], piece["word"])
        if term is not None and term not in terms:
            terms.append(term)
    return Query(text, tuple(terms[:MAX_TERMS]), truncated, max(0, len(terms) - MAX_TERMS))


def _term(phrase, word):
    if phrase is not None:
        words = " ".join(phrase.split())
        return Term(words, phrase=True) if _INDEXABLE.search(words) else None
    core = word.rstrip("*")
    if not _INDEXABLE.search(core):
        return None
    prefix = core != word and len(core) >= MIN_PREFIX
    return Term(core, prefix=prefix)
