"""Reading time: the words of a post (runs of ``\\w``), counted the same fast way or slow."""
import random
import re
from pathlib import Path

import pytest

from website.content.post import WORDS_PER_MINUTE, Post, word_count

WORD = re.compile(r"\w+")


def test_every_ascii_character_splits_or_joins_words_as_the_pattern_does():
    for code in range(128):
        text = f"one{chr(code)}two {chr(code)}three{chr(code)}"
        assert word_count(text) == len(WORD.findall(text)), repr(chr(code))


def test_random_ascii_texts_count_as_the_pattern_counts():
    pick = random.Random(11)
    alphabet = [chr(code) for code in range(128)] + ["word"] * 20 + [" "] * 20
    for _ in range(2000):
        text = "".join(pick.choice(alphabet) for _ in range(pick.randrange(60)))
        assert word_count(text) == len(WORD.findall(text)), repr(text)


@pytest.mark.parametrize("text", [
    "café naïve — “quoted” words",         # letters and punctuation beyond ASCII
    "٣ apples, 四 pears and ½ a lemon",      # digits and numbers of other scripts
    "emoji 🎉 between words, and a tab\tand a non-breaking\u00a0space",
    "Ünïcödé_snake_case vs plain",
    "",
])
def test_other_texts_count_as_the_pattern_counts(text):
    assert word_count(text) == len(WORD.findall(text))


def test_code_counts_each_name_and_number_as_a_word():
    assert word_count("def handler_1(request): return {'ok': 2}") == 6


@pytest.mark.parametrize("words, minutes", [
    (0, 1), (1, 1), (WORDS_PER_MINUTE, 1), (WORDS_PER_MINUTE + 1, 2), (3 * WORDS_PER_MINUTE, 3),
])
def test_reading_minutes_round_up_and_are_at_least_one(tmp_path, words, minutes):
    path = tmp_path / "post.md"
    path.write_text("title: T\ndate: 2024-01-01\n\n" + "word, " * words)
    assert Post.from_file(path).reading_minutes == minutes


def test_the_readme_gives_the_rate_the_site_uses():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert re.search(rf"\b{WORDS_PER_MINUTE}\s+a\s+minute", readme)
