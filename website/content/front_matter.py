"""Split a post file into its header and Markdown body.

Two header styles are understood, in any mix across files:

* YAML front matter between ``---`` lines (parsed by python-frontmatter);
* a bare header: ``key: value`` lines at the very top, ended by the first
  blank line. Values are plain text to the end of the line (not YAML).

This module knows nothing of Flask or of what the fields mean.
"""
import re
from dataclasses import dataclass, field

import frontmatter
import yaml

from .errors import HeaderError

# Front matter is a handful of fields: bounds that keep a hostile file cheap
# to read ("billion laughs" YAML aliases, a megabyte of header).
MAX_HEADER_CHARS = 64 * 1024
MAX_ALIASES = 20
MAX_VALUES = 10_000

# libyaml's parser (PyYAML's wheels include it) reads a header 6 to 7 times
# faster than PyYAML's own, with the same safe constructor: a blog of
# thousands of posts starts in a fraction of the time.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TEXT_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)

_BARE_LINE = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)[ \t]*:(?:[ \t]+(?P<value>.*?))?[ \t]*$")
_YAML_HANDLER = frontmatter.YAMLHandler()


@dataclass
class Header:
    """What :func:`split` found: the fields, the body, and where things are."""

    fields: dict
    body: str
    body_line: int                          # 1-based file line of the body's first line
    lines: dict = field(default_factory=dict)  # field name -> 1-based line
    style: str = "bare"                     # "yaml", "bare" or "none"


def split(text, path="<post>"):
    """Parse ``text`` (a whole post file) into a :class:`Header`.

    :raise HeaderError: broken YAML or a malformed bare header, with its line.
    """
    text = text.lstrip("\ufeff")
    if _YAML_HANDLER.detect(text):
        return _split_yaml(text, path)
    return _split_bare(text, path)


def _split_yaml(text, path):
    try:
        raw, body = _YAML_HANDLER.split(text)
    except ValueError as exc:
        raise HeaderError(path, "front matter opened with '---' is never closed", line=1) from exc
    if len(raw) > MAX_HEADER_CHARS:
        raise HeaderError(path, f"front matter is {len(raw):,} characters long; "
                                f"it can be at most {MAX_HEADER_CHARS:,}", line=1)
    # File line of the first character of ``raw`` and of ``body`` (the
    # boundary pattern may swallow blank lines on either side).
    first_line = text[:text.find(raw, 3) if raw else 3].count("\n") + 1
    body_line = text[:len(text) - len(body)].count("\n") + 1
    fields = _load_yaml(raw, path, first_line)
    lines = {}
    for number, line in enumerate(raw.split("\n"), start=first_line):
        match = _BARE_LINE.match(line)
        if match and match["key"] not in lines:
            lines[match["key"]] = number
    return Header({str(k): v for k, v in fields.items()}, body, body_line, lines, "yaml")


def _load_yaml(raw, path, first_line):
    """The YAML mapping in ``raw``, whose first line is the file's ``first_line``."""
    try:
        fields = _parse_yaml(raw, path, first_line, _SAFE_LOADER, _TEXT_LOADER)
    except yaml.YAMLError:
        # libyaml words its errors, and places them, differently from PyYAML
        # (an unclosed "[" is reported at the end of the header): a header
        # with an error (rare) is read again by PyYAML's own parser, which
        # points at the line where the unfinished construct began.
        try:
            fields = _parse_yaml(raw, path, first_line, yaml.SafeLoader, yaml.BaseLoader)
        except yaml.YAMLError as exc:
            raise _yaml_error(exc, path, first_line) from exc
    if not isinstance(fields, dict):
        raise HeaderError(path, "front matter must be 'key: value' pairs", line=first_line + 1)
    if _too_many_values(fields):
        raise HeaderError(path, f"front matter holds more than {MAX_VALUES:,} values once its "
                                "YAML aliases (*name) are expanded", line=first_line)
    return fields


def _parse_yaml(raw, path, first_line, loader, text_loader):
    """``raw`` parsed by ``loader``; by ``text_loader`` (every value as text) if a
    value can't be built, such as the date 2024-13-01, so that the field's
    own check reports it with its line.

    :raise yaml.YAMLError: ``raw`` is not YAML.
    """
    _check_aliases(raw, path, first_line, loader)
    try:
        return yaml.load(raw, Loader=loader) if raw.strip() else {}
    except ValueError:
        return yaml.load(raw, Loader=text_loader)


def _check_aliases(raw, path, first_line, loader):
    """Refuse more than :data:`MAX_ALIASES` YAML aliases (``*name``), before loading.

    Aliases that repeat aliases grow exponentially ("billion laughs"), and
    merge keys (``<<: *name``) copy them while loading, not only when read.
    An alias starts with ``*``: a header without one is not scanned.
    """
    if "*" not in raw:
        return
    count = 0
    for token in yaml.scan(raw, Loader=loader):
        if isinstance(token, yaml.AliasToken):
            count += 1
            if count > MAX_ALIASES:
                raise HeaderError(path, f"front matter uses more than {MAX_ALIASES} YAML "
                                        "aliases (*name)",
                                  line=first_line + token.start_mark.line)


def _too_many_values(data):
    """True if ``data`` has more than :data:`MAX_VALUES` values, counted as expanded.

    YAML aliases share one object, so loading is cheap, but anything that walks
    or prints the values pays for every repetition: count, and stop early.
    """
    stack, seen = [data], 0
    while stack:
        value = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            return True
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (list, tuple, set)):
            stack.extend(value)
    return False


def _yaml_error(exc, path, first_line):
    # A problem found only at the end (an unclosed bracket) is reported where
    # its construct began.
    mark = getattr(exc, "problem_mark", None)
    if "<stream end>" in str(getattr(exc, "problem", "")):
        mark = getattr(exc, "context_mark", None) or mark
    line = first_line + mark.line if mark is not None else first_line
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context_mark", None)
    if context is not None and first_line + context.line != line:
        problem += f" ({getattr(exc, 'context', None) or 'context'} on line {first_line + context.line})"
    return HeaderError(path, f"broken YAML front matter: {problem}", line=line)


def _split_bare(text, path):
    first = _line_at(text, 0)[0]
    if not _BARE_LINE.match(first):
        return Header({}, text, 1, {}, "none")
    fields, lines = {}, {}
    number, start = 0, 0
    # Line by line to the first blank one, leaving the body (most of the file) whole.
    while start <= len(text):
        line, end = _line_at(text, start)
        number += 1
        start = end + 1
        if not line.strip():
            break
        match = _BARE_LINE.match(line)
        if not match:
            raise HeaderError(path, f"header line is not 'key: value': {line.strip()[:60]!r}"
                              " (end the header with a blank line)", line=number)
        key = match["key"].lower()
        if key in fields:
            raise HeaderError(path, f"'{key}' is given twice (first on line {lines[key]})",
                              line=number, field=key)
        fields[key] = match["value"] or ""
        lines[key] = number
    else:
        number += 1
    return Header(fields, text[start:], number + 1, lines, "bare")


def _line_at(text, start):
    """The line of ``text`` starting at ``start`` (without its newline), and where it ends."""
    end = text.find("\n", start)
    if end < 0:
        end = len(text)
    return text[start:end], end
