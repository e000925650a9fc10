"""GitHub's extras: strikethrough, task lists, bare links and alerts."""
import pytest

from website.content.rendering import render


def html(text):
    return render(text).html


def test_strikethrough_takes_two_tildes():
    assert html("~~gone~~ and a~~b~~c") == "<p><del>gone</del> and a<del>b</del>c</p>"
    assert html("a ~single~ tilde") == "<p>a ~single~ tilde</p>"
    assert html("`~~code~~`") == "<p><code>~~code~~</code></p>"


def test_task_lists_are_disabled_checkboxes():
    out = html("Todo:\n- [ ] write\n- [x] publish\n  - [X] nested\n- plain\n")
    assert '<ul class="task-list">' in out
    assert ('<li class="task-list-item"><label><input type="checkbox" disabled/> write</label></li>'
            in out)
    assert '<label><input type="checkbox" disabled checked/> publish</label>\n<ul' in out
    assert '<label><input type="checkbox" disabled checked/> nested</label>' in out
    assert "<li>plain</li>" in out
    assert "[ ]" not in out and "[x]" not in out


def test_brackets_elsewhere_are_not_tasks():
    assert html("A [ ] box in text and [x] too.") == "<p>A [ ] box in text and [x] too.</p>"


@pytest.mark.parametrize("url", ["https://example.com", "https://example.com/a/b?q=1&r=2#top",
                                 "http://example.org/path/"])
def test_bare_addresses_become_links(url):
    shown = url.replace("&", "&amp;")
    assert html(f"See {url} now.") == f'<p>See <a href="{shown}">{shown}</a> now.</p>'


def test_a_closing_parenthesis_is_kept_when_it_balances():
    out = html("Read https://en.wikipedia.org/wiki/Flask_(web_framework) and "
               "(see https://example.com/x).")
    assert ('<a href="https://en.wikipedia.org/wiki/Flask_(web_framework)">'
            "https://en.wikipedia.org/wiki/Flask_(web_framework)</a> and") in out
    assert '(see <a href="https://example.com/x">https://example.com/x</a>).' in out


def test_addresses_in_code_and_links_are_left_alone():
    out = html("`https://a.example` and [text](https://b.example) and <https://c.example>\n\n"
               "```\nhttps://d.example\n```\n")
    assert "<code>https://a.example</code>" in out
    assert '<a href="https://b.example">text</a>' in out
    assert out.count("<a ") == 2
    assert "https://d.example\n</code>" in out


def test_an_address_inside_a_raw_link_is_not_linked_twice():
    out = html('Go to <a href="https://q.example">https://q.example</a> or https://r.example.')
    assert out == ('<p>Go to <a href="https://q.example">https://q.example</a> or '
                   '<a href="https://r.example">https://r.example</a>.</p>')


@pytest.mark.parametrize("kind, title", [("NOTE", "Note"), ("TIP", "Tip"),
                                         ("IMPORTANT", "Important"), ("WARNING", "Warning"),
                                         ("CAUTION", "Caution"), ("note", "Note")])
def test_alerts_are_callouts_with_a_visible_title(kind, title):
    out = html(f"> [!{kind}]\n> Read *this*.\n> - and this\n")
    assert out == (f'<div class="admonition {title.lower()}">\n'
                   f'<p class="admonition-title">{title}</p>\n'
                   "<p>Read <em>this</em>.</p>\n<ul>\n<li>and this</li>\n</ul>\n</div>")


def test_other_quotes_stay_quotes():
    assert html("> [!UNKNOWN]\n> text\n").startswith("<blockquote>")
    assert html("> [!NOTE] on one line\n").startswith("<blockquote>")
    assert html("> plain\n") == "<blockquote>\n<p>plain</p>\n</blockquote>"


def test_alerts_next_to_each_other_stay_apart():
    out = html("> [!NOTE]\n> one\n\n> [!WARNING]\n> two\n")
    assert out.count('<div class="admonition') == 2


def test_a_task_box_is_labelled_by_its_text_in_loose_lists_too():
    out = html("- [ ] a [link](/x) and `code`\n\n- [x] two\n\n  more\n")
    assert ('<p><label><input type="checkbox" disabled/> a <a href="/x">link</a> and '
            "<code>code</code></label></p>") in out
    assert '<p><label><input type="checkbox" disabled checked/> two</label></p>\n<p>more</p>' in out
