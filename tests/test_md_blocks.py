"""Lists, block quotes and fenced code read as CommonMark reads them (md_blocks)."""
import random
import re

import pytest

from website.content.md_blocks import _PARAGRAPH, MAX_NESTING, NestingError
from website.content.rendering import render


def html(text):
    return render(text).html


@pytest.mark.parametrize("marker, tag", [("-", "ul"), ("*", "ul"), ("+", "ul"),
                                         ("1.", "ol"), ("1)", "ol")])
def test_a_list_may_start_right_after_a_paragraph_line(marker, tag):
    second = "2" + marker[1:] if marker[0] == "1" else marker
    out = html(f"Posts in this series:\n{marker} One\n{second} Two\n")
    assert out == f"<p>Posts in this series:</p>\n<{tag}>\n<li>One</li>\n<li>Two</li>\n</{tag}>"


def test_the_issue_example():
    out = html("Posts in this series:\n"
               "1. [Introduction to Flask](</blog/how-i-built-this-website-(part-1)>)\n"
               "2. [Introduction to Markdown](</blog/how-i-built-this-website-(part-2)>)\n")
    assert out == ('<p>Posts in this series:</p>\n<ol>\n'
                   '<li><a href="/blog/how-i-built-this-website-(part-1)">Introduction to Flask</a></li>\n'
                   '<li><a href="/blog/how-i-built-this-website-(part-2)">Introduction to Markdown</a></li>\n'
                   '</ol>')


@pytest.mark.parametrize("indent", ["  ", "   ", "    ", "\t"])
def test_nested_lists_by_two_four_spaces_or_a_tab(indent):
    out = html(f"- a\n{indent}- b\n{indent}{indent}- c\n- d\n")
    assert out == ("<ul>\n<li>a<ul>\n<li>b<ul>\n<li>c</li>\n</ul>\n</li>\n</ul>\n</li>\n"
                   "<li>d</li>\n</ul>")


def test_bullets_under_ordered_items_at_the_content_column():
    out = html("1. Install\n   - Python\n   - make\n2. Run\n")
    assert out == ("<ol>\n<li>Install<ul>\n<li>Python</li>\n<li>make</li>\n</ul>\n</li>\n"
                   "<li>Run</li>\n</ol>")


def test_an_item_holds_paragraphs_code_and_a_nested_list():
    out = html("1. Clone it.\n\n   It holds the posts.\n\n   ```console\n   $ git clone x\n   ```\n\n"
               "       indented code\n\n   - a\n   - b\n2. Done.\n")
    first, second = out.split("</ul>\n</li>\n<li>")
    assert first.startswith("<ol>\n<li>\n<p>Clone it.</p>\n<p>It holds the posts.</p>")
    assert first.count('<div class="highlight"><pre tabindex="0">') == 2
    assert "git" in first and "<code>indented code\n</code>" in first
    assert first.endswith("<ul>\n<li>a</li>\n<li>b</li>\n")
    assert second == "\n<p>Done.</p>\n</li>\n</ol>"


def test_fenced_code_right_under_an_item_keeps_the_list_tight():
    out = html("1. Install:\n   ```bash\n   pip install x\n   ```\n2. Run it\n")
    assert out.startswith("<ol>\n<li>Install:")
    assert '<div class="highlight">' in out and "<li>Run it</li>\n</ol>" in out


@pytest.mark.parametrize("start", [3, 10, 2018])
def test_ordered_lists_keep_their_start_number(start):
    assert html(f"{start}. a\n{start + 1}. b\n").startswith(f'<ol start="{start}">')


def test_a_new_marker_starts_a_new_list():
    out = html("1) one\n2) two\n\n3. three\n")
    assert out.count("<ol") == 2 and '<ol start="3">' in out
    out = html("- a\n\n* b\n")
    assert out.count("<ul>") == 2


@pytest.mark.parametrize("text", [
    "It was\n2018. What a year.\n",            # only 1 may interrupt a paragraph
    "The answer is\n42) or so.\n",
    "A star * inside text, and 2 * 3 = 6.\n",
    "Emphasis *like\nthis* stays.\n",
])
def test_text_that_only_looks_like_a_list_stays_a_paragraph(text):
    out = html(text)
    assert out.startswith("<p>") and "<li>" not in out and out.count("<p>") == 1


def test_a_rule_stays_a_rule():
    assert html("para\n\n* * *\n\nnext\n") == "<p>para</p>\n<hr>\n<p>next</p>"
    assert html("para\n\n- - -\n") == "<p>para</p>\n<hr>"


@pytest.mark.parametrize("fence", ["```", "~~~", "````"])
def test_everything_inside_fenced_code_stays_as_written(fence):
    out = html(f"{fence}\nIntro:\n- not a list\n1. nor this\n> nor a quote\n{fence}\n")
    assert "<li>" not in out and "<blockquote>" not in out
    assert "- not a list\n1. nor this\n&gt; nor a quote" in out


def test_an_unclosed_fence_runs_to_the_end():
    out = html("text\n\n```\ncode\n- x\n")
    assert out.startswith("<p>text</p>\n<div") and "code\n- x\n</code>" in out and "<li>" not in out


def test_lazy_continuation_lines_stay_in_their_item():
    out = " ".join(html("- a\nlazy\n- b\n").split())
    assert out == "<ul> <li>a lazy</li> <li>b</li> </ul>"


def test_a_block_right_after_a_list_is_not_swallowed():
    assert html("- a\n# Heading\n") == (
        '<ul>\n<li>a</li>\n</ul>\n<h1 id="heading">Heading'
        '<a class="permalink" href="#heading" title="Link to this section">#</a></h1>')


def test_lists_inside_block_quotes():
    out = html("> Intro:\n> - a\n> - b\n")
    assert out == "<blockquote>\n<p>Intro:</p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n</blockquote>"


def test_two_quotes_a_blank_line_apart_stay_two():
    assert html("> a\n\n> b\n").count("<blockquote>") == 2


def test_a_table_right_after_a_paragraph_line():
    out = html("Costs:\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert out.startswith("<p>Costs:</p>\n<table")


def test_raw_html_blocks_are_left_alone():
    out = html("<pre>\nText:\n- not a list\n</pre>\n")
    assert out == "<pre>\nText:\n- not a list\n</pre>"


def test_an_inline_tag_alone_on_its_line_is_not_wrapped_in_a_paragraph():
    out = html('Text.\n\n<img src="/static/img/x.png" alt="x">\n\nMore.\n')
    assert out == '<p>Text.</p>\n<img src="/static/img/x.png" alt="x">\n<p>More.</p>'


def test_an_inline_tag_line_inside_a_container_leaves_the_container_whole():
    out = html('<div class="note">\n<img src="x.png" alt="">\nCaption\n</div>\n\nAfter.\n')
    assert out == '<div class="note">\n<img src="x.png" alt="">\nCaption\n</div>\n<p>After.</p>'


def test_markdown_in_a_container_still_gets_its_lists():
    out = html('<div class="note">\nIntro:\n- a\n- b\n</div>\n')
    assert out == '<div class="note">\n<p>Intro:</p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n</div>'


def test_nesting_deeper_than_the_bound_is_refused_with_its_line():
    too_deep = "\n".join("  " * depth + "- x" for depth in range(MAX_NESTING + 5))
    with pytest.raises(NestingError) as caught:
        render(too_deep)
    assert caught.value.line == MAX_NESTING + 1
    render("\n".join("  " * depth + "- x" for depth in range(MAX_NESTING)))
    with pytest.raises(NestingError):
        render("\n".join("> - " * depth + "x" for depth in range(MAX_NESTING)))
    with pytest.raises(ValueError, match="block quotes are nested more than 20"):
        render("ok\n\n" + ">" * (MAX_NESTING + 1) + " deep\n")
    render(">" * MAX_NESTING + " deep enough\n")


def test_crlf_and_cr_line_ends():
    assert html("Intro:\r\n- a\r\n- b\r\n") == html("Intro:\n- a\n- b\n")
    assert html("Intro:\r- a\r- b\r") == html("Intro:\n- a\n- b\n")


def test_a_summary_ends_where_a_list_interrupts_the_paragraph():
    from website.content.rendering import first_paragraph
    assert first_paragraph("Posts in this series:\n1. One\n2. Two\n\nMore.\n") == "Posts in this series:"
    assert first_paragraph("In\n2018. What a year.\n") == "In 2018. What a year."


def test_an_empty_item_is_an_empty_item():
    assert html("- a\n-\n- c\n") == "<ul>\n<li>a</li>\n<li></li>\n<li>c</li>\n</ul>"


def test_the_paragraph_pattern_matches_as_its_plain_definition():
    definition = re.compile(r"<p>((?:(?!</?p>).)*)</p>", re.DOTALL)
    pieces = ["<p>", "</p>", "<", ">", "p", "/", "a", "\n", "<pre>", "</pre>", "<P>", "\x02"]
    chooser = random.Random(11)
    for _ in range(20000):
        text = "".join(chooser.choice(pieces) for _ in range(chooser.randint(0, 16)))
        assert ([(m.span(), m[1]) for m in _PARAGRAPH.finditer(text)]
                == [(m.span(), m[1]) for m in definition.finditer(text)]), text
