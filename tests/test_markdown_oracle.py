"""Our Markdown against a reference: markdown-it-py (CommonMark, with GitHub's
tables and strikethrough) must see the same blocks in every document.

The corpus: the documents in tests/markdown/ (every list case the renderer
promises, GitHub extras, README- and changelog-style files), this project's
README, the sample posts, the reference post, the README of every package
the requirements files pin that is written in Markdown (Flask, Markdown,
markdown-it-py, cfn-lint...: real files no one here wrote; pinned, so they
don't change under the test), and 500 generated documents. Where this site deliberately renders differently, the difference is
named below and removed before comparing:

* footnotes: ``[^1]: text`` is a note at the end of the post here, a
  paragraph of text in CommonMark; the notes are left out of both;
* heading anchors: the ``#`` links are inline, not blocks, so they don't count;
* GitHub alerts (``> [!NOTE]``): a titled callout here, a block quote there;
  the callout counts as a block quote and its title is left out;
* Markdown inside raw HTML blocks (``<div class="note">`` then Markdown on
  the next line): rendered here, kept as raw text by CommonMark unless a
  blank line follows the tag; the reference is given those blank lines.
"""
import importlib.metadata
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from block_structure import count, render as outline, structure
from random_markdown import documents
from website.content import front_matter
from website.content.md_lines import CONTAINER_TAGS
from website.content.rendering import render

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
REFERENCE = ROOT.parent / "shared/reference/seed-how-i-built-this-website-part-4.md"
_FOOTNOTE_DEF = re.compile(r"^\[\^[^\]]+\]:.*(?:\n(?: {4}|\t).*)*", re.MULTILINE)

# A container tag starting a line, what follows it, and its closing tag on the same line.
_CONTAINER_LINE = re.compile(
    r"^( {0,3}<(%s)\b[^>]*>)(.*?)(</\2>)?[ \t]*$|^( {0,3}</(?:%s)>)[ \t]*$"
    % (("|".join(sorted(CONTAINER_TAGS)),) * 2), re.MULTILINE | re.IGNORECASE)


def _blank_lines_around_container_tags(text):
    """``text`` with container tags on lines of their own, as CommonMark needs
    to read the Markdown between them."""
    def split(match):
        if match[5]:
            return f"\n{match[5]}\n"
        return "\n\n".join(part for part in (match[1], match[3], match[4]) if part) + "\n"
    return _CONTAINER_LINE.sub(split, text)


def _markdown_it():
    return MarkdownIt("commonmark").enable("table").enable("strikethrough")


def _canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _pinned_packages():
    """``{name: version}`` pinned with ``==`` in the project's requirements files."""
    pins = {}
    for path in ROOT.glob("requirements*.txt"):
        for line in path.read_text().splitlines():
            match = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;#]+)", line.strip())
            if match:
                pins[_canonical(match[1])] = match[2]
    return pins


def _corpus():
    docs = {}
    for path in sorted((TESTS / "markdown").glob("*.md")):
        docs[f"tests/markdown/{path.name}"] = path.read_text(encoding="utf-8")
    docs["README.md"] = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "posts").glob("*.md")):
        docs[f"posts/{path.name}"] = front_matter.split(path.read_text(encoding="utf-8")).body
    pinned = _pinned_packages()
    for dist in sorted(importlib.metadata.distributions(), key=lambda d: d.metadata["Name"].lower()):
        meta = dist.metadata
        if pinned.get(_canonical(meta["Name"])) != meta["Version"]:
            continue    # only the project's own pins: their READMEs don't change under us
        if "markdown" in (meta.get("Description-Content-Type") or ""):
            text = meta.get_payload() or meta.get("Description") or ""
            if text.strip():
                docs[f"README of {meta['Name']} {meta['Version']}"] = text
    return docs


CORPUS = _corpus()


def structures(text):
    """``(ours, markdown-it's)`` block trees of ``text``, deliberate differences removed."""
    ours = structure(render(text).html, drop_classes={"footnote", "admonition-title"})
    reference = _blank_lines_around_container_tags(_FOOTNOTE_DEF.sub("", text))
    theirs = structure(_markdown_it().render(reference))
    return ours, theirs


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_same_blocks_as_commonmark(name):
    ours, theirs = structures(CORPUS[name])
    assert outline(ours) == outline(theirs)


def test_the_corpus_has_real_readmes():
    readmes = {name.rsplit(" ", 1)[0] for name in CORPUS if name.startswith("README of")}
    assert {"README of Flask", "README of Markdown", "README of markdown-it-py",
            "README of pymdown-extensions", "README of cfn-lint", "README of moto",
            "README of playwright", "README of python-frontmatter"} <= readmes, readmes


@pytest.mark.skipif(not REFERENCE.is_file(),
                    reason=f"the reference post is not at {REFERENCE} (it lives beside the checkout)")
def test_reference_post_lists():
    body = front_matter.split(REFERENCE.read_text(encoding="utf-8")).body
    ours, theirs = structures(body)
    assert outline(ours) == outline(theirs)
    assert count(ours, "li") == count(theirs, "li") >= 14


def test_list_items_counted_across_the_corpus():
    ours = theirs = 0
    for text in CORPUS.values():
        mine, reference = structures(text)
        ours += count(mine, "li")
        theirs += count(reference, "li")
    assert ours == theirs
    assert ours > 150


@pytest.mark.parametrize("seed", range(10))
def test_same_blocks_on_random_documents(seed):
    """50 generated documents per seed: lists of every kind, nested, tight and
    loose, with code and quotes inside, right after paragraph lines or not."""
    for text in documents(seed, 50):
        ours, theirs = structures(text)
        assert outline(ours) == outline(theirs), text
