"""Article parsing: values, and errors that name the file and line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from workflow import ArticleError, load_article, parse_article

from .conftest import ROOT

GOOD = "---\ntitle: A title\ndate: 2024-05-27\n---\n\nBody text.\n"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def test_front_matter_values() -> None:
    article = load_article(ROOT / "tests/golden/segment/front-matter-styles.md")
    fm = article.front_matter
    assert article.slug == "front-matter-styles"
    assert fm.title == 'Minsk and Moscow: a "new" tax code'
    assert fm.date == dt.date(2025, 5, 27)
    assert (
        fm.lead == "The governments signed the accord on Friday. Customs posts stay where they are."
    )
    assert fm.section == "Foreign policy"
    assert (fm.period_start, fm.period_end) == (dt.date(2025, 5, 19), dt.date(2025, 5, 25))
    assert fm.authors == ("Anna Kavalenka", "Ihar Sidarenka")
    assert fm.tags == ("union-state", "taxes")
    assert fm.extra["custom_field"] == "kept as it is"


@pytest.mark.parametrize(
    ("name", "content", "line", "words"),
    [
        ("no-front.md", "Just text.\n", 1, "missing front matter"),
        (
            "unterminated.md",
            "---\ntitle: A\ndate: 2024-01-01\n\nBody.\n",
            1,
            "unterminated front matter",
        ),
        (
            "bad-yaml.md",
            "---\ntitle: A\ndate: 2024-01-01\ntags: [a, b\n---\n\nBody.\n",
            5,
            "invalid YAML",
        ),
        ("colon.md", "---\ntitle: A: b: c\ndate: 2024-01-01\n---\n\nBody.\n", 2, "invalid YAML"),
        ("not-a-map.md", "---\n- a\n- b\n---\n\nBody.\n", 2, "must be a YAML mapping"),
        (
            "no-title.md",
            "---\ndate: 2024-01-01\n---\n\nBody.\n",
            2,
            "missing required field 'title'",
        ),
        ("no-date.md", "---\ntitle: A\n---\n\nBody.\n", 2, "missing required field 'date'"),
        (
            "bad-date.md",
            "---\ntitle: A\nsection: S\ndate: May 27, 2024\n---\n\nBody.\n",
            4,
            "not an ISO date",
        ),
        ("bad-date2.md", "---\ntitle: A\ndate: 2024-13-45\n---\n\nBody.\n", 3, "not an ISO date"),
        (
            "list-title.md",
            "---\ntitle: [a, b]\ndate: 2024-01-01\n---\n\nBody.\n",
            2,
            "must be text",
        ),
        (
            "bad-period.md",
            "---\ntitle: A\ndate: 2024-01-01\nperiod:\n  start: 2024-01-07\n  end: 2024-01-01\n---\n\nB.\n",
            4,
            "period ends before",
        ),
        ("empty-body.md", "---\ntitle: A\ndate: 2024-01-01\n---\n\n  \n", 4, "empty body"),
        ("Bad_Slug.md", GOOD, 1, "not a valid slug"),
        ("double--hyphen.md", GOOD, 1, "not a valid slug"),
        ("nul.md", GOOD.replace("Body", "Bo\0dy"), 6, "NUL"),
    ],
)
def test_bad_input_names_file_and_line(
    tmp_path: Path, name: str, content: str, line: int, words: str
) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(ArticleError) as info:
        load_article(path)
    error = info.value
    assert error.path == str(path)
    assert error.line == line
    assert words in error.message
    assert str(error).startswith(f"{path}:{line}: ")
    assert error.hint or words in ("NUL",)


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "latin.md", GOOD.encode() + "Caf\xe9 line.\n".encode("latin-1"))
    with pytest.raises(ArticleError) as info:
        load_article(path)
    assert info.value.line == 7
    assert "not UTF-8" in info.value.message
    assert info.value.hint == "save the file as UTF-8"


def test_dates_accept_quoted_iso_and_datetimes() -> None:
    assert parse_article(GOOD.replace("2024-05-27", '"2024-05-27"')).date == dt.date(2024, 5, 27)
    assert parse_article(GOOD.replace("2024-05-27", "2024-05-27T10:00:00")).date == dt.date(
        2024, 5, 27
    )


def test_a_bom_and_dot_closer_are_accepted() -> None:
    text = "\ufeff---\ntitle: A\ndate: 2024-01-01\n...\n\nBody.\n"
    article = parse_article(text)
    assert article.assemble(lambda s: s.msgid) == text
    assert [s.msgid for s in article.segments] == ["A", "Body."]
