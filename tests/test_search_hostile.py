"""/search answers every query string with a normal page, a 400 that says why,
or a 404 past the last page: never a 5xx, never an FTS5 or SQLite error."""
import logging
import re

from hostile_queries import FORBIDDEN, hostile_query_strings

RESULTS = re.compile(r'<ol class="post-list search-results">.*?</ol>', re.DOTALL)


def test_hostile_queries_never_break_search(sample_app, caplog):
    client = sample_app.test_client()
    queries = hostile_query_strings()
    assert len(queries) >= 500
    statuses = {}
    with caplog.at_level(logging.ERROR, logger="website"):
        for query in queries:
            response = client.get("/search?" + query)
            text = response.get_data(as_text=True)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code in (200, 400, 404), (query[:200], response.status_code)
            assert "<main" in text and "</html>" in text, query[:200]
            # Posts may well talk about SQLite: look outside the results.
            lowered = RESULTS.sub("", text).lower()
            assert not [w for w in FORBIDDEN if w in lowered], (query[:200], text[:500])
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # The list really covers each kind of answer.
    assert statuses[200] > 300 and statuses[400] > 30 and statuses.get(404, 0) >= 1, statuses
