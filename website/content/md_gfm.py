"""GitHub's extras: ~~strikethrough~~, task lists and bare links, from pymdown-extensions.

:class:`GfmExtension` loads ``pymdownx.tilde``, ``pymdownx.tasklist`` and
``pymdownx.magiclink`` configured as GitHub behaves, puts each task's box in
a ``<label>`` with its text (an unlabelled box is an accessibility error),
and mends two things magiclink does differently from GitHub: a bare address ending in a balanced
parenthesis keeps it (``https://en.wikipedia.org/wiki/Flask_(web_framework)``),
and an address that is already the text of a raw ``<a>`` tag is not linked twice.
"""
import re
import xml.etree.ElementTree as etree

from markdown import util
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

EXTENSIONS = {
    # Two tildes strike through; a single one is just text, as on GitHub.
    "pymdownx.tilde": {"subscript": False},
    "pymdownx.tasklist": {"custom_checkbox": False, "clickable_checkbox": False},
    "pymdownx.magiclink": {"hide_protocol": False, "repo_url_shortener": False,
                           "social_url_shortener": False},
}

_PLACEHOLDER_AT_END = re.compile(util.HTML_PLACEHOLDER % r"([0-9]+)" + r"\s*$")
_RAW_OPEN_A = re.compile(r"^<a[\s>]", re.IGNORECASE)


_INLINE_BREAK = {"ul", "ol", "p", "div", "pre", "table", "blockquote", "hr", "dl"}


class _TaskLabels(Treeprocessor):
    """Each task's box and text in one ``<label>``: the box gets a name screen
    readers announce (it has none of its own)."""

    def run(self, root):
        for item in root.iter("li"):
            if "task-list-item" in (item.get("class") or "").split():
                first = item[0] if len(item) and item[0].tag == "p" and not item.text else None
                _wrap_in_label(first if first is not None else item)


def _wrap_in_label(holder):
    label = etree.Element("label")
    label.text, holder.text = holder.text, None
    for child in list(holder):
        if child.tag in _INLINE_BREAK:
            break
        holder.remove(child)
        label.append(child)
    label.tail = "\n" if len(holder) else None
    holder.insert(0, label)


class _AutolinkFixes(Treeprocessor):
    """Balanced closing parentheses, and no links inside raw ``<a>`` tags."""

    def run(self, root):
        for parent in root.iter():
            for index, child in enumerate(list(parent)):
                if child.tag == "a" and _is_autolink(child):
                    previous = parent[index - 1] if index else None
                    before = (previous.tail if previous is not None else parent.text) or ""
                    if self._inside_raw_link(before):
                        _unwrap(parent, child, previous)
                    else:
                        _keep_closing_parenthesis(child)

    def _inside_raw_link(self, before):
        match = _PLACEHOLDER_AT_END.search(before)
        if not match:
            return False
        blocks = self.md.htmlStash.rawHtmlBlocks
        index = int(match[1])
        return index < len(blocks) and bool(_RAW_OPEN_A.match(str(blocks[index])))


def _is_autolink(anchor):
    text, href = anchor.text or "", anchor.get("href", "")
    return len(anchor) == 0 and bool(text) and href.endswith(text)


def _keep_closing_parenthesis(anchor):
    tail = anchor.tail or ""
    text = anchor.text
    if tail.startswith(")") and text.count("(") > text.count(")"):
        anchor.text = text + ")"
        anchor.set("href", anchor.get("href") + ")")
        anchor.tail = tail[1:]


def _unwrap(parent, anchor, previous):
    text = (anchor.text or "") + (anchor.tail or "")
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    parent.remove(anchor)


class GfmExtension(Extension):
    """Strikethrough, task lists and bare links as GitHub renders them."""

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        md.registerExtensions(list(EXTENSIONS), EXTENSIONS)
        # After inline patterns (20) have made the links, before anything reads them.
        md.treeprocessors.register(_AutolinkFixes(md), "gfm_autolink_fixes", 15)
        md.treeprocessors.register(_TaskLabels(md), "gfm_task_labels", 14)
