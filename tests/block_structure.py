"""The block structure of an HTML fragment, for comparing two Markdown renderers.

Lists (with their start numbers), list items, paragraphs, headings, code
blocks, tables and their rows, block quotes and rules are kept; everything
else (inline markup, wrappers such as ``<div class="highlight">``) is looked
through. Text directly in a list item counts as a paragraph, so a tight
``<li>text</li>`` equals a loose ``<li><p>text</p></li>``: the oracle compares
what the blocks are, not how much space is between them.
"""
from html.parser import HTMLParser

BLOCKS = {"ul", "ol", "li", "p", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
          "table", "tr", "blockquote", "hr"}
VOID = {"hr", "br", "img", "input", "meta", "link", "col", "wbr", "source", "area"}


class Node:
    """A block: its label (``ol start=3``, ``p``...) and children."""

    def __init__(self, label):
        self.label = label
        self.children = []

    def as_tuple(self):
        return (self.label, tuple(child.as_tuple() for child in self.children))

    def __repr__(self):
        return render(self)


class _Builder(HTMLParser):
    def __init__(self, drop_classes):
        super().__init__(convert_charrefs=True)
        self.drop_classes = set(drop_classes)
        self.root = Node("document")
        self.stack = [(None, self.root)]        # (tag, Node or None for looked-through tags)
        self.dropping = 0
        self.implicit = None                    # the open implicit paragraph of a list item

    def _block(self):
        return next(node for _, node in reversed(self.stack) if node is not None)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.dropping:
            if tag not in VOID:
                self.dropping += 1
            return
        if self.drop_classes & set((attrs.get("class") or "").split()):
            self.dropping = 0 if tag in VOID else 1
            return
        if tag == "div" and "admonition" in (attrs.get("class") or "").split():
            tag = "blockquote"          # a GitHub alert is a block quote to CommonMark
        if tag not in BLOCKS:
            if tag not in VOID:
                self.stack.append((tag, None))
            return
        self.implicit = None
        label = tag
        if tag == "ol" and attrs.get("start") not in (None, "1"):
            label = f"ol start={attrs['start']}"
        node = Node(label)
        self._block().children.append(node)
        if tag not in VOID:
            alert = tag == "blockquote" and "admonition" in (attrs.get("class") or "").split()
            self.stack.append(("alert" if alert else tag, node))

    def handle_endtag(self, tag):
        if self.dropping:
            self.dropping -= 1
            return
        if tag in VOID:
            return
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index][0] == tag or (tag == "div" and self.stack[index][0] == "alert"):
                if self.stack[index][1] is not None:
                    self.implicit = None
                del self.stack[index:]
                return

    def handle_data(self, data):
        if self.dropping or not data.strip():
            return
        block = self._block()
        if block.label == "li" and self.implicit is None:
            self.implicit = Node("p")
            block.children.append(self.implicit)


def structure(html, drop_classes=()):
    """The block tree of ``html``; elements with a class in ``drop_classes`` are left out."""
    builder = _Builder(drop_classes)
    builder.feed(html)
    builder.close()
    return builder.root


def render(node, depth=0):
    """``node`` as an indented outline, one block per line (for readable diffs)."""
    lines = ["  " * depth + node.label]
    for child in node.children:
        lines.append(render(child, depth + 1))
    return "\n".join(lines)


def count(node, label):
    """How many blocks in ``node`` have ``label`` (or start with it and a space)."""
    own = node.label == label or node.label.startswith(label + " ")
    return own + sum(count(child, label) for child in node.children)
