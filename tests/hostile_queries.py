"""Query strings for /search that try to break it: FTS5 syntax, huge and empty
queries, invalid UTF-8, bad page numbers, and seeded random bytes.

Shared by the app's tests and the tests through Apache.
"""
import itertools
import random
from urllib.parse import quote, quote_from_bytes

SYNTAX = ['"', '""', '"""', "'", "*", "**", "a*", "*a", "a**b", "(", ")", "()", "(a", "a)",
          "NEAR", "NEAR(", "NEAR(a b)", "NEAR(a b, 5)", "NEAR(a, -1)", "AND", "OR", "NOT",
          "a AND", "OR b", "NOT NOT", "a AND OR NOT b", ":", "title:", "title:a", "body:x",
          "{title body}:", "{", "}", "-", "-title: a", "^", "^a", "a ^b", "+", "a+b", ",",
          ";", "\\", "\\\"", "'\"", "%", "%%", "_", "__", "$", "?", "!", "[]", "[a]",
          "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "{{7*7}}",
          "{% raw %}", "' OR 1=1 --", "'; DROP TABLE posts; --", "\x00", "a\x00b",
          "\t\n\r", "\x1b[31m", "\u202e", "\ufeff", "\ufdd0", "\ufdd1", "\U0001f600",
          "日本語", "ﬁ", "ß", "İ", "ǅ", "a" * 201, "x" * 199 + "é", "apache", "deploy*",
          "\"flask apache\"", "NEAR(\"a\" \"b\")", "rank", "bm25", "MATCH", "rowid",
          "posts", "posts_content", "snippet(", "highlight(posts, 0, '<', '>')"]
HUGE = ["a" * 10_000, '"' * 10_000, "* " * 5_000, "NEAR(" * 2_000, "é" * 5_000,
        "apache " * 1_500, "(" * 10_000, "\U0001f600" * 3_000, ("ab* " * 2_500),
        " ".join(f"w{n}*" for n in range(2_000))]
RAW = ["", "q", "q=", "=", "&", "&&&", "q&q", "q=a&q=b", "q[]=a", "q=%", "q=%g0", "q=%%",
       "q=%ff", "q=%fe%ff", "q=%c0%af", "q=%ed%a0%80", "q=%f8%88%80%80%80", "q=%e2%82",
       "q=%80", "q=caf%e9", "q=%00", "q=+++", "q=a+b", "q=%2B", "q=a%0Ab", "q=%E2%80%AE",
       "Q=apache", "q=apache&page", "q=apache&page=", "q=apache&page=0", "q=apache&page=-1",
       "q=apache&page=1.0", "q=apache&page=1e3", "q=apache&page=0x10", "q=apache&page=%ff",
       "q=apache&page=99999999999999999999999", "q=apache&page=%EF%BC%91",
       "q=apache&page=2&page=3", "q=apache&page=101", "q=apache&page=100", "q=apache&page=+1",
       "q=apache&page=%201", "q=apache&page=1%00", "page=2", "q=" + "%ff" * 3000]


def hostile_query_strings(random_count=250, seed=15):
    """Raw query strings (already percent-encoded), at least 500 of them."""
    values = SYNTAX + HUGE + [a + " " + b for a, b in itertools.product(SYNTAX[:25], repeat=2)]
    found = ["q=" + quote(value, safe="") for value in values]
    found += ["q=" + quote(value, safe="").replace("%20", "+") for value in SYNTAX]
    found += RAW
    rng = random.Random(seed)
    for _ in range(random_count):
        data = bytes(rng.randrange(256) for _ in range(rng.randint(1, 60)))
        query = "q=" + quote_from_bytes(data, safe="")
        if rng.random() < 0.3:
            query += "&page=" + quote_from_bytes(bytes(rng.randrange(256)
                                                       for _ in range(rng.randint(1, 4))), safe="")
        found.append(query)
    return found


FORBIDDEN = ["fts5", "sqlite", "syntax error", "traceback", "operationalerror",
             "no such column", "malformed match"]
