"""Header parsing: YAML front matter and bare key: value headers."""
import pytest
import yaml

from website.content import front_matter
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


# Headers as people write them (Jekyll, Hugo, Obsidian and hand-written
# habits), each read by libyaml, which the site uses, and by PyYAML's own
# parser, the reference: the fields must be the same.
REAL_HEADERS = [
    'title: "Deploying Flask: part 4"\ndate: 2018-07-14\ntags: [aws, flask]\n',
    "title: 'It''s quoted'\ndate: 2024-02-29 13:45:00\ntags:\n  - a b\n  - \"c, d\"\n",
    "title: Ça marche — très bien 🎉\ndate: 2024-01-01T08:00:00+02:00\n",
    "title: >\n  Folded over\n  two lines\n",
    "title: Block\nsummary: |\n  Kept as written,\n    indented too.\n\n  And a blank line.\n",
    "title: T\ndraft: yes\ncomments: off\nweight: 010\nratio: 1e3\nversion: 1.10\n",
    "title: T\nupdated: ~\ntags: []\nseries: {name: Deploy, part: 2}\n",
    "title: T  # a comment\n# a comment line\ndate: 2024-13-01\n",
    "title: \"Tab\\tand \\u00e9scapes\"\nslug: c#-and-f#\nimage: /img/a.png\n",
    "base: &b {x: 1, y: [2, 3]}\nother: *b\nmerged:\n  <<: *b\n  y: 4\ntitle: t\n",
    "title: !!str 2024\nnumber: !!float 3\nwhen: !!timestamp 2001-12-14t21:59:43.10-05:00\n",
    "? complex key\n: value\ntitle: t\n",
    "title: 'multi\n  line single quoted'\ntags: a, b\n",
]


@pytest.mark.parametrize("raw", REAL_HEADERS)
def test_libyaml_reads_a_header_as_pyyaml_does(raw):
    fast = front_matter._parse_yaml(raw, "x.md", 2, front_matter._SAFE_LOADER,
                                    front_matter._TEXT_LOADER)
    reference = front_matter._parse_yaml(raw, "x.md", 2, yaml.SafeLoader, yaml.BaseLoader)
    assert fast == reference
    assert split(f"---\n{raw}---\nBody\n").fields == {str(k): v for k, v in reference.items()}


def test_libyaml_is_the_parser_in_use():
    """PyYAML's wheels carry libyaml on every supported Python; without it headers
    are read 5 to 7 times slower."""
    assert yaml.__with_libyaml__ and front_matter._SAFE_LOADER is yaml.CSafeLoader


def test_a_tab_after_the_colon_is_read_as_jekyll_reads_it():
    """PyYAML's own parser refuses a tab where YAML allows one; libyaml (as in
    Jekyll's parser) reads it."""
    header = split("---\ntitle:\tTabbed\ntags: [a,\tb]\n---\nBody\n")
    assert header.fields == {"title": "Tabbed", "tags": ["a", "b"]}
    with pytest.raises(yaml.YAMLError):
        yaml.load("title:\tTabbed\n", Loader=yaml.SafeLoader)
