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
    assert fm.extra["x_custom_field"] == "kept as it is"


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
        (
            "bad-date2.md",
            "---\ntitle: A\ndate: 2024-13-45\n---\n\nBody.\n",
            3,
            "not a date in the calendar",
        ),
        (
            "feb-30.md",
            "---\ntitle: A\ndate: 2025-02-30\n---\n\nBody.\n",
            3,
            "'2025-02-30' is not a date in the calendar: day is out of range for month",
        ),
        (
            "tabs.md",
            "---\ntitle: A\ndate: 2024-01-01\nperiod:\n\tstart: 2024-01-01\n---\n\nB.\n",
            5,
            "replace the tabs with spaces",
        ),
        (
            "leed.md",
            "---\ntitle: A\ndate: 2024-01-01\nleed: The lead.\n---\n\nB.\n",
            4,
            "unknown front-matter field 'leed' (did you mean 'lead'?",
        ),
        (
            "secton.md",
            "---\ntitle: A\nsecton: Economy\ndate: 2024-01-01\n---\n\nB.\n",
            3,
            "unknown front-matter field 'secton' (did you mean 'section'?",
        ),
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
    assert words in str(error)
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


def test_a_misspelt_field_stops_sync_and_publish_from_dropping_the_lead(newsroom: Path) -> None:
    """`leed:` used to move the lead's translations to obsolete, exit 0."""
    from workflow.cli import main

    slug = "week-47-labour-shortages"
    article = newsroom / "articles" / f"{slug}.md"
    article.write_text(article.read_text(encoding="utf-8").replace("\nlead:", "\nleed:", 1))
    po = newsroom / "locales" / "be" / f"{slug}.po"
    before = po.read_bytes()
    assert main(["sync", "--root", str(newsroom)]) == 3
    assert po.read_bytes() == before
    assert 'msgctxt "lead"' in before.decode("utf-8")


def test_a_newsroom_own_field_is_kept(tmp_path: Path) -> None:
    text = GOOD.replace("date:", "x_editor: Anna\nx-priority: 2\ndate:")
    fm = load_article(write(tmp_path, "own.md", text)).front_matter
    assert fm.extra["x_editor"] == "Anna" and fm.extra["x-priority"] == 2
