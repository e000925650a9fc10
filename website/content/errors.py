"""Errors raised while reading posts. Each one says where: file, line, field."""


class PostError(Exception):
    """A post that can't be published as written.

    :param path: the post's file.
    :param message: what is wrong, in words the author can act on.
    :param line: 1-based line in the file, when known.
    :param field: the front-matter field at fault, when there is one.
    """

    def __init__(self, path, message, line=None, field=None):
        super().__init__(message)
        self.path = str(path)
        self.message = message
        self.line = line
        self.field = field
        self.slug = None    # the address the post claims, when it could be read

    def location(self):
        """``path:line`` (or just ``path`` when the line is unknown)."""
        return f"{self.path}:{self.line}" if self.line else self.path

    def __str__(self):
        field = f"{self.field}: " if self.field else ""
        return f"{self.location()}: {field}{self.message}"


class HeaderError(PostError):
    """The front matter can't be read (broken YAML, a malformed bare header)."""


class FieldError(PostError):
    """A front-matter field is missing or has a value that can't be used."""


class DuplicateSlugError(PostError):
    """Two posts claim the same URL; neither is published."""


class RenderError(PostError):
    """The body can't be rendered to HTML; the post's own page is an error page."""
