"""Front matter that would cost too much to read is refused, with its line."""
import pytest

from website.content import front_matter
from website.content.errors import HeaderError


def bomb(levels=9, width=9):
    lines = ['a: &a ["lol"' + ', "lol"' * (width - 1) + "]"]
    for level in range(1, levels + 1):
        name, previous = chr(97 + level), chr(96 + level)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * width) + "]")
    return "---\n" + "\n".join(lines) + "\ntitle: t\n---\nBody.\n"


def test_billion_laughs_is_refused_before_it_is_expanded():
    with pytest.raises(HeaderError, match="more than 20 YAML aliases") as caught:
        front_matter.split(bomb(), "bomb.md")
    assert caught.value.path == "bomb.md" and caught.value.line == 5   # the 21st alias


def test_merge_key_bomb_is_refused():
    lines = ["a0: &a0 {k1: 1, k2: 2}"]
    lines += [f"a{n}: &a{n} {{<<: [*a{n - 1}, *a{n - 1}]}}" for n in range(1, 30)]
    with pytest.raises(HeaderError, match="YAML aliases"):
        front_matter.split("---\n" + "\n".join(lines) + "\n---\nBody.\n", "merge.md")


def test_few_aliases_expanding_to_many_values_are_refused():
    lines = ['a: &a [' + ", ".join(['"x"'] * 200) + "]",
             "b: &b [" + ", ".join(["*a"] * 10) + "]",
             "c: [" + ", ".join(["*b"] * 10) + "]"]
    with pytest.raises(HeaderError, match="more than 10,000 values"):
        front_matter.split("---\n" + "\n".join(lines) + "\n---\n", "wide.md")


def test_a_few_aliases_are_fine():
    header = front_matter.split("---\nbase: &b {x: 1}\nother: *b\ntitle: t\n---\nBody.\n")
    assert header.fields["other"] == {"x": 1}


def test_a_huge_header_is_refused():
    text = "---\ntitle: t\n" + "".join(f"k{n}: {'v' * 60}\n" for n in range(2_000)) + "---\n"
    with pytest.raises(HeaderError, match="front matter is .* characters long"):
        front_matter.split(text, "huge.md")
