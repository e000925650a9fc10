"""Field normalisation: types, defaults, and errors that name the field."""
import datetime as dt

import pytest

from website.content.errors import FieldError
from website.content.metadata import normalise


def meta(**fields):
    base = {"title": "T", "date": "2024-01-02"}
    base.update(fields)
    return normalise(base, "posts/p.md", {"tags": 3, "date": 2, "draft": 4})


@pytest.mark.parametrize("value, expected", [
    ("aws, flask, web development", ["aws", "flask", "web development"]),
    (["aws", "flask"], ["aws", "flask"]),
    ("single", ["single"]),
    ("a,, a ,b", ["a", "b"]),
    ("", []),
    (None, []),
])
def test_tags_from_list_or_comma_string(value, expected):
    assert meta(tags=value)["tags"] == expected


@pytest.mark.parametrize("value, expected", [
    ("2024-05-01", dt.datetime(2024, 5, 1)),
    ("2024-05-01 14:30", dt.datetime(2024, 5, 1, 14, 30)),
    ("2024-05-01T14:30:00Z", dt.datetime(2024, 5, 1, 14, 30, tzinfo=dt.timezone.utc)),
    (dt.date(2024, 5, 1), dt.datetime(2024, 5, 1)),
])
def test_dates_and_datetimes(value, expected):
    assert meta(date=value)["date"] == expected


def test_every_known_field_and_unknown_keys_kept():
    result = meta(updated="2024-02-01", draft="yes", slug="my-slug", summary="S", author="A",
                  image="/static/img/x.png", description="D", series="S1", series_part="2",
                  mood="calm")
    assert result["updated"] == dt.datetime(2024, 2, 1)
    assert result["draft"] is True
    assert result["slug"] == "my-slug"
    assert (result["summary"], result["author"], result["description"]) == ("S", "A", "D")
    assert result["image"] == "/static/img/x.png"
    assert (result["series"], result["series_part"]) == ("S1", 2)
    assert result["mood"] == "calm"


def test_defaults():
    result = meta()
    assert result["tags"] == [] and result["draft"] is False


@pytest.mark.parametrize("fields, field, line", [
    ({"title": None}, "title", 1),
    ({"date": None}, "date", 1),
    ({"date": "14/07/2018"}, "date", 2),
    ({"date": "2024-13-01"}, "date", 2),
    ({"tags": 42}, "tags", 3),
    ({"tags": [["nested"]]}, "tags", 3),
    ({"draft": "maybe"}, "draft", 4),
    ({"slug": "has space"}, "slug", None),
    ({"slug": "a/b"}, "slug", None),
    ({"series_part": "two"}, "series_part", None),
])
def test_bad_fields_name_field_and_line(fields, field, line):
    with pytest.raises(FieldError) as info:
        meta(**fields)
    assert info.value.field == field
    assert info.value.line == line
    assert f"{field}:" in str(info.value)
