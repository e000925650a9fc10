"""The owner's settings: ``site.yaml`` at the top of the project, committed with the fork.

Each key is a setting of ``website/config.py`` in lower case (``site_title``
sets ``SITE_TITLE``). Only the settings that make the site someone's own are
accepted here; what belongs to one machine goes in ``instance/config.py``.
A key that isn't known or a value of the wrong type is a
:class:`SettingsError` naming the file, the line and the key.
"""
import difflib
import ipaddress
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
import yaml
from pygments.styles import get_style_by_name
from pygments.util import ClassNotFound

FILE_NAME = "site.yaml"


class SettingsError(click.ClickException, ValueError):
    """A setting in the owner's file that can't be used, and where it is.

    A ``ClickException`` too, so ``flask`` commands print it on one line
    (``Error: site.yaml:3: ...``) instead of a traceback.
    """

    def __init__(self, path, line, key, message):
        super().__init__(message)
        self.path, self.line, self.key, self.message = str(path), line, key, message

    def __str__(self):
        where = f"{self.path}:{self.line}" if self.line else self.path
        key = f"{self.key}: " if self.key else ""
        return f"{where}: {key}{self.message}"

    def format_message(self):
        return str(self)


def _text(value, node):
    if not isinstance(value, str) or not value.strip():
        raise _Bad(f"must be text, not {_describe(value)}")
    return value.strip()


def _optional_text(value, node):
    return "" if value is None or value == "" else _text(value, node)


def _count(value, node):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Bad(f"must be a whole number, 0 or more, not {_describe(value)}")
    return value


def _positive(value, node):
    if _count(value, node) < 1:
        raise _Bad("must be 1 or more")
    return value


def _flag(value, node):
    if not isinstance(value, bool):
        raise _Bad(f"must be true or false, not {_describe(value)}")
    return value


def _url(value, node):
    text = _text(value, node)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise _Bad(f"must be an address such as https://example.com, not {text!r}")
    return text.rstrip("/")


def _timezone(value, node):
    name = _text(value, node)
    if name.upper() == "UTC":
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Bad(f"{name!r} is not a time zone name such as Europe/Paris or UTC") from None
    return name


def _pygments_style(value, node):
    name = _text(value, node)
    try:
        get_style_by_name(name)
    except ClassNotFound:
        raise _Bad(f"{name!r} is not a Pygments style (https://pygments.org/styles/)") from None
    return name


def _nav_links(value, node):
    """``- Label: /path`` items -> ``[("Label", "/path"), ...]``."""
    if not isinstance(value, list):
        raise _Bad(f"must be a list of '- Label: /path' items, not {_describe(value)}")
    links = []
    for item, item_node in zip(value, node.value):
        if (not isinstance(item, dict) or len(item) != 1
                or not all(isinstance(part, str) and part.strip() for part in next(iter(item.items())))):
            raise _Bad(f"each item must be '- Label: /path', not {_describe(item)}",
                       item_node.start_mark.line + 1)
        (label, href), = item.items()
        links.append((label.strip(), href.strip()))
    return links


class _Bad(Exception):
    """A value's problem, before we know the file and key (raised by the converters)."""

    def __init__(self, message, line=None):
        super().__init__(message)
        self.message, self.line = message, line


def _describe(value):
    if value is None:
        return "nothing"
    kind = {bool: "true/false", int: "a number", float: "a number", str: "text",
            list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)
    return f"{kind} ({value!r})" if not isinstance(value, (list, dict)) else kind


# The owner's settings: key in site.yaml -> how its value is checked.
SETTINGS = {
    "site_title": _text,
    "site_description": _text,
    "site_intro": _text,
    "author": _text,
    "site_url": _url,
    "site_language": _text,
    "nav_links": _nav_links,
    "timezone": _timezone,
    "site_image": _optional_text,
    "twitter_site": _optional_text,
    "posts_per_page": _positive,
    "home_posts": _count,
    "related_posts": _count,
    "feed_posts": _positive,
    "feed_full_content": _flag,
    "pygments_style_light": _pygments_style,
    "pygments_style_dark": _pygments_style,
}


def load(path):
    """The settings in ``path`` as config keys (``{"SITE_TITLE": ...}``); {} when it's missing.

    :raise SettingsError: unreadable file, broken YAML, unknown key, bad value.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(path, None, None, f"can't be read: {exc}") from exc
    root = _compose(text, path)
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise SettingsError(path, root.start_mark.line + 1, None,
                            "must be 'key: value' lines (a YAML mapping)")
    settings, seen = {}, {}
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 1
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str):
            raise SettingsError(path, line, None, "a key must be a plain name such as site_title")
        if key in seen:
            raise SettingsError(path, line, key, f"is set twice (also on line {seen[key]})")
        seen[key] = line
        if key not in SETTINGS:
            raise SettingsError(path, line, key, _unknown(key))
        value = yaml.SafeLoader("").construct_object(value_node, deep=True)
        try:
            settings[key.upper()] = SETTINGS[key](value, value_node)
        except _Bad as bad:
            raise SettingsError(path, bad.line or line, key, bad.message) from None
    return settings


def _compose(text, path):
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise SettingsError(path, mark.line + 1 if mark else None, None,
                            f"is not valid YAML: {problem}") from exc


def _unknown(key):
    close = difflib.get_close_matches(key.lower(), SETTINGS, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return (f"unknown setting{hint} This file takes: {', '.join(SETTINGS)}. "
            "Settings for one machine only go in instance/config.py.")


def private_address(url):
    """Why ``url`` can't be the public address of a site (a private host), or None."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host:
        return "it has no host name"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".lan",
                                                 ".home.arpa")):
            return f"{host} is a local name"
        if "." not in host:
            return f"{host} is a name without a domain, only known on this network"
        return None
    if not address.is_global:
        return f"{host} is a private address"
    return None
