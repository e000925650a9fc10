"""Bounds checked before rendering: hostile bodies are refused at once, with their line."""
import time

import pytest

from website.content import render_limits
from website.content.render_limits import LimitError, check
from website.content.rendering import first_paragraph, render


@pytest.mark.parametrize("text, line, words", [
    ("ok\n\n" + "[" * 5_000 + "\n", 3, "the paragraph on line 3 alone has 5,000"),
    ("`a" * 3_000, 1, "inline markup"),
    ("# h\n" * 400, 301, "more than 300 headings"),
    ("".join(f"[^{n}]: note\n" for n in range(400)), 301, "more than 300 footnotes"),
    ("```\nx\n```\n" * 400, 901, "more than 300 code blocks"),
    ("|" + "a|" * 6_000, 1, "more than 5,000 table cells"),
    ("line\n" * 10_001, 10_001, "10,001 lines long"),
])
def test_past_a_bound_is_refused_with_its_line(text, line, words):
    with pytest.raises(LimitError) as caught:
        check(text)
    assert caught.value.line == line
    assert words in str(caught.value)


def test_of_several_bounds_passed_the_first_in_order_is_reported():
    deep = "> > > > > > > > > > > > > > > > > > > > > > > > > > > > > > > > > > > deep\n"
    headings = "# h\n" * 301
    fences = "```\nx\n```\n" * 301
    markup = "\n" + "[" * 5_000 + "\n"
    cases = [
        (headings + fences + markup + deep, "nested more than"),   # quotes, though last
        (fences + markup + headings, "more than 300 headings"),
        (markup + fences, "more than 300 code blocks"),
    ]
    for text, words in cases:
        with pytest.raises(LimitError, match=words):
            check(text)


def test_too_long_a_text():
    with pytest.raises(LimitError, match="the renderer takes up to 1,000,000"):
        check("a" * (render_limits.MAX_CHARS + 1))


def test_markup_in_code_and_raw_html_tables_does_not_count():
    code = "```json\n" + '{"a": [1, 2], "b": "*x*"}\n' * 3_000 + "```\n"
    table = "<table>\n" + "<tr><td><b>1</b></td><td>`x`</td></tr>\n" * 2_000 + "</table>\n"
    check(code + "\n" + table)


def test_the_markup_is_counted_per_paragraph_list_item_and_table_row():
    paragraphs = "\n\n".join("A [link](/x), `code`, *emphasis* and _more_." for _ in range(2_000))
    items = "\n".join("- a [link](/x) and `code`" for _ in range(2_000))
    check(paragraphs)
    check(items)


def test_real_posts_are_far_below_the_bounds():
    text = ("## A section\n\nA paragraph with a [link](https://example.com), some `code` "
            "and *emphasis*.\n\n- a list\n- of things\n\n```python\nprint('hi')\n```\n\n") * 100
    check(text)
    start = time.perf_counter()
    render(text)
    assert time.perf_counter() - start < 2


def test_summaries_of_huge_paragraphs_stay_short_and_cheap():
    summary = first_paragraph("word " * 100_000)
    assert summary.endswith(" …") and len(summary) < 700
    assert first_paragraph("[" * 200_000)     # plain text, not a render of 200,000 brackets
