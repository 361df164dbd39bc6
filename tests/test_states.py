"""Entry states, the draft ledger and the checks framework."""

from __future__ import annotations

from pathlib import Path

import polib

from workflow.catalog import State, draft_engine, entry_state
from workflow.checks import check_entry, ignored
from workflow.ledger import Draft, open_ledger
from workflow.poformat import parse_po

PO = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Empty."
msgstr ""

# draft: google
#, fuzzy
msgid "Drafted."
msgstr "Чарнавік."

#, fuzzy
#| msgid "Old source."
msgid "New source."
msgstr "Стары пераклад."

# draft: memory 87%
msgid "Reviewed after a draft."
msgstr "Правераны."

msgid "See [the list](https://example.org/list)."
msgstr "Гл. [спіс](https://example.org/spis)."

# check: ignore urls, markup
msgid "See [it](https://a.example/)."
msgstr "Гл. гэта."
"""


def test_states_and_provenance() -> None:
    po = parse_po(PO, "be.po")
    states = [entry_state(e) for e in po]
    assert states[:4] == [State.UNTRANSLATED, State.DRAFT, State.STALE, State.REVIEWED]
    assert [draft_engine(e) for e in po][:4] == [None, "google", None, "memory"]


def test_checks_quote_the_text_and_name_the_line() -> None:
    po = parse_po(PO, "be.po")
    entry = po.find("See [the list](https://example.org/list).")
    assert entry is not None
    findings = check_entry(entry, "be")
    assert [f.check for f in findings] == ["urls", "urls"]
    assert "https://example.org/list" in findings[0].message
    assert findings[0].line == 22


def test_check_ignore_comment_silences_named_checks() -> None:
    po = parse_po(PO, "be.po")
    entry = po.find("See [it](https://a.example/).")
    assert entry is not None
    assert ignored(entry.tcomment) == {"urls", "markup"}
    assert check_entry(entry, "be") == []
    entry.tcomment = ""
    assert {f.check for f in check_entry(entry, "be")} == {"markup", "urls"}


def test_whitespace_check() -> None:
    entry = polib.POEntry(msgid="Text. ", msgstr="Текст.")
    assert [f.check for f in check_entry(entry, "ru")] == ["whitespace"]


def test_ledger_records_and_replaces(tmp_path: Path) -> None:
    with open_ledger(tmp_path / ".edition") as ledger:
        ledger.record([Draft("be", "a", None, "Hello.", "google", "Прывітанне.")])
        ledger.record([Draft("be", "a", None, "Hello.", "memory", "Вітаю.")])
        ledger.record([Draft("be", "a", "title", "Hello.", "libre", "Прывітанне!")])
    with open_ledger(tmp_path / ".edition") as ledger:
        got = ledger.lookup("be", "a", None, "Hello.")
        assert got is not None and (got.engine, got.text) == ("memory", "Вітаю.")
        assert len(list(ledger.drafts("be"))) == 2
        assert list(ledger.drafts("ru")) == []
