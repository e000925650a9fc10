"""Markdown rendering: code, tables, footnotes, raw HTML, links, TOC, CSS."""
import re

import pytest

from website.content.rendering import first_paragraph, pygments_css, render


@pytest.mark.parametrize("lang", ["python", "bash", "console", "posh", "yaml", "apache", "sql"])
def test_fenced_code_is_highlighted_for_pygments_aliases(lang):
    html = render(f"```{lang}\nfoo = 'bar'  # x\n```\n").html
    assert '<div class="highlight"><pre tabindex="0">' in html
    assert re.search(r'<span class="[a-z0-9]+">', html), html


@pytest.mark.parametrize("fence", ["```no-such-language", "```"])
def test_unknown_or_no_language_is_plain_escaped_code(fence):
    html = render(f"{fence}\n<script>alert(1)</script>\n```\n").html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert 'class="highlight"' in html


def test_indented_code_block():
    html = render("Text:\n\n    $ make run\n    <b>\n").html
    assert "<pre" in html and "$ make run" in html and "&lt;b&gt;" in html


def test_table():
    html = render("| a | b |\n|---|---|\n| 1 | 2 |\n").html
    assert '<table tabindex="0">' in html and "<th>a</th>" in html and "<td>2</td>" in html


def test_footnotes_with_back_references():
    html = render("Claim.[^1]\n\n[^1]: Source.\n").html
    assert 'href="#fn:1"' in html and 'id="fnref:1"' in html
    assert 'id="fn:1"' in html and 'href="#fnref:1"' in html


def test_heading_ids_permalinks_and_toc():
    result = render("## First part\n\ntext\n\n### Sub part\n")
    assert '<h2 id="first-part">' in result.html
    assert 'class="permalink" href="#first-part"' in result.html
    assert 'href="#sub-part"' in result.toc
    assert result.toc_tokens[0]["id"] == "first-part"
    assert result.toc_tokens[0]["children"][0]["name"] == "Sub part"


def test_raw_html_passes_through():
    html = render('<img class="center-image" width="45%" src="/static/img/x.svg" alt="x" />\n\n'
                  '<table class="costs"><tr><td><b>1.00</b></td></tr></table>\n').html
    assert '<img class="center-image" width="45%" src="/static/img/x.svg" alt="x" />' in html
    assert '<table class="costs"><tr><td><b>1.00</b></td></tr></table>' in html


def test_markdown_inside_raw_html_block_without_marking():
    source = ('<div class="note">\n## Inside\n\nA *note* with a reference.[^n]\n\n'
              '```python\nx = "<div>"\n```\n</div>\n\n[^n]: Noted.\n')
    html = render(source).html
    note = html.split('<div class="note">', 1)[1]
    assert '<h2 id="inside">' in note
    assert "<em>note</em>" in note
    assert 'href="#fn:n"' in note
    assert '<span class="s2">&quot;&lt;div&gt;&quot;</span>' in note or "&lt;div&gt;" in note
    assert 'markdown="1"' not in html


def test_explicit_markdown_attribute_is_respected():
    html = render('<div markdown="0">\n*not emphasis*\n</div>\n').html
    assert "*not emphasis*" in html


def test_angle_bracket_links_keep_parentheses():
    html = render("[Part 1](</blog/how-i-built-this-website-(part-1)>)\n").html
    assert '<a href="/blog/how-i-built-this-website-(part-1)">Part 1</a>' in html


def test_first_paragraph_skips_headings_code_and_html():
    text = ("## Intro\n\n<img src='x'>\n\n```\ncode\n```\n\n"
            "The **real** [first](/x) paragraph.[^1]\nSecond line.\n\nNext.\n")
    assert first_paragraph(text) == "The real first paragraph. Second line."


def test_pygments_css_comes_from_two_styles():
    css = pygments_css("default", "monokai")
    light, dark = css.split("@media (prefers-color-scheme: dark)")
    assert ".highlight .k" in light and ".highlight .k" in dark
    assert "#272822" in dark          # monokai's background
    assert "#272822" not in light
