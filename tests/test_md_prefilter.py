"""Inline patterns and block processors skipped on text that can't match
them: the HTML is the same."""
import random
from pathlib import Path

import markdown
import pytest

from random_markdown import documents
from website.content import md_prefilter, rendering

HERE = Path(__file__).parent
PIECES = ["http://", "https://", "ftp://", "www.", "WWW.", "wWw.", "@", "me@example.org", "a.b",
          "example.com", "_", "__", "*", "**", "***", " ", "\n", "\n\n", "`", "``", "\\`", "\\\\",
          "~~", "<", ">", "[l](", ")", "(", "mailto:", ".org", "Ünï", "ſ", "K", "x", "- [ ] ",
          # What block processors look for
          "#", "# ", "## ", "\n#", "=", "\n=", "\n===", "-", "\n-", "\n---", "- - -", "***",
          "* * *", "___", "_ _ _", "\n>", "> ", "   ", "\n    ", ":", ": ", "\n: ", "!!! note",
          "!!!", "[^1]", "[^1]:", "[^", "*[HTML]: Hyper Text", "*[", "[x]: /url", "]:", "[", "]",
          "\t", "!["]


def _without_prefilter():
    extensions = [e for e in rendering._extensions()
                  if not isinstance(e, md_prefilter.PrefilterExtension)]
    return markdown.Markdown(extensions=extensions,
                             extension_configs=rendering._EXTENSION_CONFIGS, output_format="html")


def _random_texts(seed, count):
    """``count`` texts of 1 to 30 random pieces, the same ones for the same seed."""
    rng = random.Random(seed)
    for _ in range(count):
        yield "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 30)))


def _texts():
    rng = random.Random(11)
    texts = [path.read_text() for path in sorted((HERE / "markdown").glob("*.md"))]
    texts += documents(5, 100)
    texts += ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40))) for _ in range(600)]
    texts += ["See https://example.com/a_(b), WWW.EXAMPLE.ORG/x or mail ME@EXAMPLE.COM.",
              "`code` and *not strong * and _x_ and \\`escaped\\` and ``two `ticks``"]
    # Random blocks: lines of pieces, some of them blank
    texts += ["\n".join("".join(rng.choice(PIECES) for _ in range(rng.randint(0, 8)))
                        for _ in range(rng.randint(1, 12))) for _ in range(600)]
    return texts


def test_the_slow_patterns_are_wrapped():
    md = rendering._markdown("post")
    wrapped = {name for name in md_prefilter.NEEDED
               if isinstance(md.inlinePatterns[name].compiled_re, md_prefilter.Prefiltered)}
    # A library whose pattern changed leaves it unwrapped: this says so.
    assert wrapped == set(md_prefilter.NEEDED)
    blocks = md.parser.blockprocessors
    wrapped = {name for name, (attribute, _, _) in md_prefilter.BLOCK_NEEDED.items()
               if isinstance(getattr(blocks[name], attribute), md_prefilter.Prefiltered)}
    assert wrapped == set(md_prefilter.BLOCK_NEEDED)


def test_same_html_as_without_the_prefilter():
    plain = _without_prefilter()
    for text in _texts():
        expected = plain.reset().convert(text)
        assert rendering._markdown("post").convert(text) == expected, text


@pytest.mark.parametrize("name", sorted(md_prefilter.NEEDED))
def test_a_text_without_the_needed_piece_never_matches(name):
    source, needed = md_prefilter.NEEDED[name]
    compiled = rendering._markdown("post").inlinePatterns[name].compiled_re.compiled
    assert compiled.pattern == source
    for text in _random_texts(name, 2000):
        if not needed(text):
            assert compiled.search(text) is None, text


@pytest.mark.parametrize("name", sorted(md_prefilter.BLOCK_NEEDED))
def test_a_block_without_the_needed_piece_never_matches(name):
    attribute, source, needed = md_prefilter.BLOCK_NEEDED[name]
    wrapped = getattr(rendering._markdown("post").parser.blockprocessors[name], attribute)
    assert wrapped.compiled.pattern == source
    skipped = 0
    for text in _random_texts(name, 3000):
        if not needed(text):
            skipped += 1
            assert wrapped.compiled.search(text) is None, text
            assert wrapped.compiled.match(text) is None, text
            assert wrapped.search(text) is None and wrapped.match(text) is None
        else:
            assert (wrapped.search(text) is None) == (wrapped.compiled.search(text) is None)
    assert skipped > 100        # the texts do test the filter


@pytest.mark.parametrize("kind", ["post", "plain"])
def test_the_inline_step_has_every_pattern_in_the_registry_s_order(kind):
    md = rendering._markdown(kind)
    patterns = md.treeprocessors["inline"].inlinePatterns
    assert isinstance(patterns, list)
    assert patterns == list(md.inlinePatterns) and len(patterns) >= 15
