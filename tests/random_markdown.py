"""Random Markdown documents built from what the renderer promises to read as
CommonMark does: paragraphs (with lines that only look like list items), lists
of every marker nested at their content column, tight and loose, fenced code,
block quotes, and lists or code right after a paragraph line."""
import random

_TEXT = ["Some text here.", "A [link](/x) and `code`.", "It was", "More *words*.",
         "Posts in this series:"]
_LOOKALIKES = ["2018. What a year.", "a * b * c", "and more text", "42) is the answer."]
_MARKERS = ["-", "*", "+", "1.", "1)", "3."]


def document(rng):
    """One document (a string) drawn with ``rng`` (a :class:`random.Random`)."""
    return "\n".join(_blocks(rng, 0)) + "\n"


def documents(seed, count):
    """``count`` documents from ``seed``: the same ones on every run."""
    rng = random.Random(seed)
    return [document(rng) for _ in range(count)]


def _paragraph(rng):
    lines = [rng.choice(_TEXT)]
    if rng.random() < 0.3:
        lines.append(rng.choice(_LOOKALIKES))
    return lines


def _fence(rng):
    mark = rng.choice(["```", "~~~"])
    return [mark + rng.choice(["", "python", "bash"]), "- not a list", "1. nor this", mark]


def _list(rng, depth):
    marker = rng.choice(_MARKERS)
    loose = rng.random() < 0.3
    out = []
    for n in range(rng.randint(1, 3)):
        this = f"{int(marker[:-1]) + n}{marker[-1]}" if marker[0].isdigit() else marker
        content = _blocks(rng, depth + 1, first_is_paragraph=True)
        pad = " " * (len(this) + 1)
        if n and loose:
            out.append("")
        out.append(f"{this} {content[0]}")
        out.extend(pad + line if line else "" for line in content[1:])
    return out


def _quote(rng, depth):
    return ["> " + line if line else ">" for line in _blocks(rng, depth + 1)]


def _blocks(rng, depth, first_is_paragraph=False):
    out, previous = [], None
    for index in range(rng.randint(1, 3 if depth < 3 else 1)):
        kinds = ["paragraph", "list", "fence", "quote"] if depth < 3 else ["paragraph"]
        kind = "paragraph" if index == 0 and first_is_paragraph else rng.choice(kinds)
        lines = {"paragraph": lambda: _paragraph(rng), "list": lambda: _list(rng, depth),
                 "fence": lambda: _fence(rng), "quote": lambda: _quote(rng, depth)}[kind]()
        # A list or fence may follow a paragraph line directly; else a blank line.
        if out and not (previous == "paragraph" and kind in ("list", "fence")
                        and rng.random() < 0.6):
            out.append("")
        out.extend(lines)
        previous = kind
    return out
