"""Inline patterns skipped on text that can't match them: the HTML is the same."""
import random
from pathlib import Path

import markdown
import pytest

from random_markdown import documents
from website.content import md_prefilter, rendering

HERE = Path(__file__).parent
PIECES = ["http://", "https://", "ftp://", "www.", "WWW.", "wWw.", "@", "me@example.org", "a.b",
          "example.com", "_", "__", "*", "**", "***", " ", "\n", "\n\n", "`", "``", "\\`", "\\\\",
          "~~", "<", ">", "[l](", ")", "(", "mailto:", ".org", "Ünï", "ſ", "K", "x", "- [ ] "]


def _without_prefilter():
    extensions = [e for e in rendering._extensions()
                  if not isinstance(e, md_prefilter.PrefilterExtension)]
    return markdown.Markdown(extensions=extensions,
                             extension_configs=rendering._EXTENSION_CONFIGS, output_format="html")


def _texts():
    rng = random.Random(11)
    texts = [path.read_text() for path in sorted((HERE / "markdown").glob("*.md"))]
    texts += documents(5, 100)
    texts += ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40))) for _ in range(600)]
    texts += ["See https://example.com/a_(b), WWW.EXAMPLE.ORG/x or mail ME@EXAMPLE.COM.",
              "`code` and *not strong * and _x_ and \\`escaped\\` and ``two `ticks``"]
    return texts


def test_the_slow_patterns_are_wrapped():
    md = rendering._markdown("post")
    wrapped = {name for name in md_prefilter.NEEDED
               if isinstance(md.inlinePatterns[name].compiled_re, md_prefilter.Prefiltered)}
    # A library whose pattern changed leaves it unwrapped: this says so.
    assert wrapped == set(md_prefilter.NEEDED)


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
    rng = random.Random(name)
    for _ in range(2000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 30)))
        if not needed(text):
            assert compiled.search(text) is None, text
