"""Header parsing: YAML front matter and bare key: value headers."""
import pytest

from website.content.errors import HeaderError
from website.content.front_matter import split


def test_bare_header_values_are_plain_text_to_end_of_line():
    header = split("title: Part 4: deploying\ndate: 2018-07-14\ntags: aws, flask\n\nBody text.\n")
    assert header.style == "bare"
    assert header.fields == {"title": "Part 4: deploying", "date": "2018-07-14", "tags": "aws, flask"}
    assert header.body == "Body text.\n"
    assert header.body_line == 5
    assert header.lines == {"title": 1, "date": 2, "tags": 3}


def test_yaml_front_matter_is_parsed_as_yaml():
    text = "---\ntitle: Hello\ntags: [a, b]\ndate: 2024-01-02\n---\n\nBody\n"
    header = split(text)
    assert header.style == "yaml"
    assert header.fields["tags"] == ["a", "b"]
    assert str(header.fields["date"]) == "2024-01-02"
    assert header.lines["date"] == 4
    assert header.body.strip() == "Body"


def test_no_header_gives_whole_text_as_body():
    header = split("# Just a heading\n\nText.\n")
    assert header.style == "none"
    assert header.fields == {}
    assert header.body.startswith("# Just a heading")


@pytest.mark.parametrize("text, line, words", [
    ("---\ntitle: ok\ndate: [unclosed\n---\nBody\n", 3, "broken YAML"),
    ("---\ntitle: a: b: c\n---\nBody\n", 2, "broken YAML"),
    ("---\n- just\n- a list\n---\nBody\n", 2, "key: value"),
    ("title: ok\nthis line has no colon\n\nBody\n", 2, "not 'key: value'"),
    ("title: ok\ntitle: again\n\nBody\n", 2, "given twice"),
])
def test_broken_headers_say_which_line(text, line, words):
    with pytest.raises(HeaderError) as info:
        split(text, "posts/x.md")
    assert info.value.line == line
    assert words in info.value.message
    assert str(info.value).startswith(f"posts/x.md:{line}:")


def test_byte_order_mark_is_ignored():
    assert split("\ufefftitle: T\ndate: 2024-01-01\n\nB").fields["title"] == "T"


@pytest.mark.parametrize("text", [
    "---\ntitle: T\ndate: 2024-01-01\n---\nfirst\nsecond [link](/x)\n",
    "title: T\ndate: 2024-01-01\n\nfirst\nsecond [link](/x)\n",
])
def test_body_line_maps_body_lines_to_file_lines(text):
    header = split(text)
    body_lines = header.body.split("\n")
    index = next(i for i, line in enumerate(body_lines) if "[link]" in line)
    file_lines = text.split("\n")
    assert "[link]" in file_lines[header.body_line - 1 + index]


@pytest.mark.parametrize("text, title_line, body_line", [
    ("---\ntitle: T\n---\nBody\n", 2, 4),
    ("---\n\ntitle: T\n---\n\n\nBody\n", 3, 7),
    ("---   \ntitle: T\ndate: x\n---\n\nBody\n", 2, 6),
])
def test_yaml_lines_survive_blank_lines_around_boundaries(text, title_line, body_line):
    header = split(text)
    assert header.lines["title"] == title_line
    assert text.split("\n")[header.body_line - 1 + header.body.split("\n").index("Body")] == "Body"
    assert header.body_line + header.body.split("\n").index("Body") == body_line


def test_value_yaml_cannot_build_is_read_as_text():
    header = split("---\ntitle: T\ndate: 2024-13-01\ntags: [a, b]\n---\nBody\n")
    assert header.fields["date"] == "2024-13-01"
    assert header.fields["tags"] == ["a", "b"]
    assert header.lines["date"] == 3
