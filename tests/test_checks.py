"""Each quality check with a case it must flag and one it must pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest

from workflow.checks import CHECKS, Severity, check_entry, numbers
from workflow.config import load_settings


def findings(msgid: str, msgstr: str, locale: str = "be", **kw: str) -> dict[str, str]:
    entry = polib.POEntry(msgid=msgid, msgstr=msgstr, **kw)
    return {f.check: f.message for f in check_entry(entry, locale)}


@pytest.mark.parametrize(
    ("name", "source", "bad", "good"),
    [
        ("markup", "A *big* step.", "Вялікі крок.", "*Вялікі* крок."),
        (
            "urls",
            "See [the law](https://pravo.by/a).",
            "Гл. [закон](https://pravo.by/b).",
            "Гл. [закон](https://pravo.by/a).",
        ),
        ("code", "Run `make`.", "Запусціце `зрабіць`.", "Запусціце `make`."),
        ("whitespace", "Text. ", "Тэкст.", "Тэкст. "),
        ("numbers", "Turnout was 1,250.5 votes.", "Яўка 1 250 галасоў.", "Яўка 1 250,5 галасоў."),
        ("end-punctuation", "Will it pass?", "Ці пройдзе.", "Ці пройдзе?"),
        ("quotes", "He said it.", 'Ён сказаў "так".', "Ён сказаў «так»."),
        ("identical", "The council met again.", "The council met again.", "Савет сабраўся."),
        (
            "length",
            "The council met again on Tuesday.",
            "Савет.",
            "Савет сабраўся зноў у аўторак.",
        ),
        ("alphabet", "The council met.", "Савет сабраўся ў пятницу.", "Савет сабраўся ў пятніцу."),
    ],
)
def test_each_check_flags_the_bad_and_passes_the_good(
    name: str, source: str, bad: str, good: str
) -> None:
    assert name in CHECKS
    flagged = findings(source, bad)
    assert name in flagged, flagged
    assert name not in findings(source, good)


def test_messages_quote_the_offending_text() -> None:
    message = findings("It cost $5.2 billion.", "Гэта каштавала $5,3 млрд.")["numbers"]
    assert "missing 5.2" in message and "not in the source 5.3" in message
    assert "'Гэта каштавала $5,3 млрд.'" in message


def test_numbers_are_compared_by_value_in_each_locale() -> None:
    assert numbers("1,234.5 and 51% and Q3 2024", "en") == numbers(
        "1\u202f234,5 і 51 % і 3-і кв. 2024", "be"
    )
    assert numbers("4.7%", "en") == numbers("4,7%", "ru")
    assert numbers("see [link](https://x.org/2024)", "en") == []
    assert not findings("Growth of 4.7% in 2024.", "Рост на 4,7 % у 2024 годзе.", "ru").get(
        "numbers"
    )


def test_severities_errors_block_and_warnings_do_not() -> None:
    errors = {n for n, c in CHECKS.items() if c.severity is Severity.ERROR}
    assert {"markup", "urls", "code", "whitespace", "numbers"} <= errors
    assert {"quotes", "identical", "length", "alphabet", "spelling"}.isdisjoint(errors)


def test_ignore_comment_and_settings_disable(tmp_path: Path) -> None:
    entry = polib.POEntry(
        msgid="He said it.", msgstr='Ён сказаў "так".', tcomment="check: ignore quotes"
    )
    assert "quotes" not in {f.check for f in check_entry(entry, "be")}
    (tmp_path / "pyproject.toml").write_text(
        '[tool.edition.checks]\nquotes = {be = "„“"}\ndisable = ["end-punctuation"]\n',
        encoding="utf-8",
    )
    settings = load_settings(tmp_path)
    entry = polib.POEntry(msgid="He said it?", msgstr="Ён сказаў «так».")
    got = {f.check for f in check_entry(entry, "be", settings)}
    assert "quotes" in got  # «» is not this newsroom's be style
    assert "end-punctuation" not in got


@pytest.mark.skipif(
    shutil.which("hunspell") is None or not Path("/usr/share/hunspell/be_BY.dic").exists(),
    reason="hunspell-be is not installed",
)
def test_spelling_warns_through_hunspell() -> None:
    flagged = findings("The council met.", "Савет сабраўсяя ў Мінску.")
    assert "сабраўсяя" in flagged["spelling"]
    assert "spelling" not in findings("The council met.", "Савет сабраўся ў Мінску.")
    # Acronyms are names, not spelling mistakes.
    assert "spelling" not in findings("The EU met.", "ЕС сабраўся.")


def test_the_sample_translations_have_no_errors() -> None:
    root = Path(__file__).resolve().parent.parent
    for po_path in sorted((root / "locales").glob("*/*.po")):
        po = polib.pofile(str(po_path))
        for entry in po:
            errors = [
                f for f in check_entry(entry, po_path.parent.name) if f.severity is Severity.ERROR
            ]
            assert not errors, f"{po_path}: {errors}"


REAL = Path(__file__).resolve().parent.parent / "locales"


def _real(locale: str, has: str) -> polib.POEntry:
    """A reviewed entry from the sample catalogs whose source contains ``has``."""
    for path in sorted((REAL / locale).glob("*.po")):
        for entry in polib.pofile(str(path)):
            if has in entry.msgid and entry.msgstr and not entry.obsolete:
                return entry
    raise AssertionError(f"no sample entry with {has!r}")


@pytest.mark.parametrize(
    ("name", "locale", "has", "damage"),
    [
        ("markup", "be", "*", lambda t: t.replace("*", "")),
        ("urls", "ru", "](http", lambda t: t.replace("](http", "](ftp", 1)),
        ("code", "be", "`", lambda t: t.replace("`", "'")),
        ("numbers", "ru", "2024", lambda t: t.replace("2024", "2023", 1)),
        ("whitespace", "be", " ", lambda t: t + " "),
        ("end-punctuation", "ru", ".", lambda t: t.rstrip(".") + "!"),
        ("quotes", "be", " ", lambda t: t + ' "так"'),
        ("identical", "ru", " ", lambda t: ""),
        ("alphabet", "be", " ", lambda t: t + " и"),
    ],
)
def test_each_check_on_a_real_sample_entry(
    name: str, locale: str, has: str, damage: object
) -> None:
    entry = _real(locale, has)
    assert name not in {f.check for f in check_entry(entry, locale)}
    assert callable(damage)
    broken = damage(entry.msgstr) or entry.msgid
    entry.msgstr = broken
    assert name in {f.check for f in check_entry(entry, locale)}, (name, broken)


def test_mixed_script_catches_a_latin_i_in_a_cyrillic_word() -> None:
    flagged = findings("They published it.", "Яны апублiкавалі iх.")
    assert CHECKS["mixed-script"].severity is Severity.ERROR
    assert "'апублiкавалі'" in flagged["mixed-script"] and "'iх'" in flagged["mixed-script"]
    assert "Latin 'i' (Cyrillic 'і')" in flagged["mixed-script"]
    assert "mixed-script" not in findings("iPhone and SMS.", "iPhone і SMS-паведамленне.")
    assert "mixed-script" not in findings("They published it.", "Яны апублікавалі іх.")


def test_markup_messages_name_formatting_as_a_translator_would() -> None:
    message = findings("A **big** [step](https://x.org).", "Вялікі [крок](https://x.org).")[
        "markup"
    ]
    assert "the source has bold, link, the translation link" in message
    assert "_open" not in message and "_close" not in message


@pytest.mark.skipif(
    shutil.which("hunspell") is None or not Path("/usr/share/hunspell/be_BY.dic").exists(),
    reason="hunspell-be is not installed",
)
def test_newsroom_word_lists_and_apostrophes(tmp_path: Path) -> None:
    # The apostrophe and the hyphen stay inside the word.
    assert "spelling" not in findings("The prime minister spoke.", "Прэм'ер-міністр выступіў.")
    assert "spelling" not in findings("The prime minister spoke.", "Прэм’ер-міністр выступіў.")
    source, text = "Barshcheuski and Salihorsk.", "Баршчэўскі і Салігорскк."
    assert "Баршчэўскі" in findings(source, text)["spelling"]
    (tmp_path / "pyproject.toml").write_text(
        '[tool.edition.checks]\nwords = ["Баршчэўскі"]\n', encoding="utf-8"
    )
    (tmp_path / "locales" / "be").mkdir(parents=True)
    (tmp_path / "locales" / "be" / "words.txt").write_text("Салігорскк/A\n", encoding="utf-8")
    settings = load_settings(tmp_path)
    got = {f.check for f in check_entry(polib.POEntry(msgid=source, msgstr=text), "be", settings)}
    assert "spelling" not in got


def test_an_unknown_checks_setting_is_refused(tmp_path: Path) -> None:
    from workflow.errors import ConfigError

    (tmp_path / "pyproject.toml").write_text(
        '[tool.edition.checks]\nword = ["x"]\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="did you mean 'words'"):
        load_settings(tmp_path)
