"""What readers type, turned into FTS5 expressions that can only mean "these words"."""
import sqlite3
from contextlib import closing

import pytest

from website.content.search_index import fts5_available
from website.content.search_query import MAX_LENGTH, MAX_TERMS, parse


@pytest.mark.parametrize("text, fts", [
    ("apache", '"apache"'),
    ("  Apache   mod_wsgi ", '"Apache" "mod_wsgi"'),
    ("deplo*", '"deplo" *'),
    ("deplo***", '"deplo" *'),
    ("a*", '"a"'),                                  # too short to be a prefix
    ('"plain files"', '"plain files"'),
    ('"unclosed phrase', '"unclosed phrase"'),
    ('say "hi there" now', '"say" "hi there" "now"'),
    ('"a""b"', '"a" "b"'),
    ("AND OR NOT NEAR", '"AND" "OR" "NOT" "NEAR"'),
    ("NEAR(a b, 2)", '"NEAR(a" "b," "2)"'),
    ("title:secret", '"title:secret"'),
    ("{title body}: x", '"{title" "body}:" "x"'),
    ("^start -minus +plus", '"^start" "-minus" "+plus"'),
    ("apache apache APACHE", '"apache" "APACHE"'),
    ("( ) * : ^ - \" ' ", ""),
    ("", ""),
    ("\x00\x01nul\x7f", '"nul"'),
    ("\ufdd0forged\ufdd1", '"forged"'),
    ("it's", '"it\'s"'),
])
def test_queries_become_quoted_terms(text, fts):
    assert parse(text).fts() == fts


def test_long_queries_are_cut_between_words():
    query = parse("word " * 1000)
    assert query.truncated and len(query.text) <= MAX_LENGTH
    assert query.fts() == '"word"'
    one_long_word = parse("x" * 10_000)
    assert one_long_word.truncated and len(one_long_word.text) == MAX_LENGTH


def test_terms_past_the_limit_are_dropped_and_counted():
    query = parse(" ".join(f"w{n}" for n in range(MAX_TERMS + 5)))
    assert len(query.terms) == MAX_TERMS and query.dropped == 5


@pytest.mark.skipif(not fts5_available(), reason="this Python's sqlite3 has no FTS5")
@pytest.mark.parametrize("text", ['"', '""', '"""', "*", "a*b*", "NEAR(", "col:", "^", "-",
                                  "AND", "(", ")", "x OR", "'\"'", "\\", "'; DROP TABLE posts; --"])
def test_every_expression_is_valid_fts5(text):
    with closing(sqlite3.connect(":memory:")) as db:
        db.execute("CREATE VIRTUAL TABLE t USING fts5(title, body, "
                   "tokenize='porter unicode61 remove_diacritics 2')")
        db.execute("INSERT INTO t VALUES ('AND NEAR col', 'drop table posts')")
        fts = parse(text).fts()
        assert fts == "" or db.execute("SELECT count(*) FROM t WHERE t MATCH ?",
                                       (fts,)).fetchone()[0] in (0, 1)
