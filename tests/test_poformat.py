"""`format_po` must write what GNU msgcat writes; `parse_po` must keep everything.

The oracle is the real thing: each test that can runs ``msgcat FILE`` (default
options) on our output and compares bytes.  The line breaker is also checked
piecewise against libunistring itself through ctypes (the library msgcat uses
for wrapping), which is fast enough to try thousands of strings.  Tests that
need a tool missing from the machine are skipped, never silently passed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import difflib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import polib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflow import poformat
from workflow.errors import CatalogError
from workflow.poformat import format_po, parse_po

from .conftest import GOLDEN, check_golden

MSGCAT = shutil.which("msgcat")
MSGFMT = shutil.which("msgfmt")
needs_msgcat = pytest.mark.skipif(MSGCAT is None, reason="GNU msgcat is not installed")
needs_msgfmt = pytest.mark.skipif(MSGFMT is None, reason="GNU msgfmt is not installed")
GOLDEN_DIR = GOLDEN / "poformat"

# gettext's own formula for Russian, fixed so the golden file does not move with Babel's CLDR
RU_PLURALS = (
    "nplurals=3; "
    "plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
)
FULL_HEADER = {
    "Project-Id-Version": "edition 0.1.0",
    "Report-Msgid-Bugs-To": "desk@example.org",
    "POT-Creation-Date": "2024-05-27 09:00+0000",
    "PO-Revision-Date": "2024-05-28 17:45+0300",
    "Last-Translator": "Алеся Гарбуз <alesia@example.org>",
    "Language-Team": "Russian <ru@example.org>",
    "Language": "ru",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": RU_PLURALS,
}


def run_msgcat(text: str, tmp_path: Path, *options: str) -> str:
    assert MSGCAT is not None
    path = tmp_path / "input.po"
    path.write_bytes(text.encode("utf-8"))
    done = subprocess.run(
        [MSGCAT, *options, str(path)], capture_output=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    return done.stdout.decode("utf-8")


def assert_msgcat_agrees(text: str, tmp_path: Path) -> None:
    expected = run_msgcat(text, tmp_path)
    if expected == "":
        # A catalog left with no messages: msgcat writes nothing unless forced,
        # we write the header (see test_divergences_from_gettext_are_deliberate).
        expected = run_msgcat(text, tmp_path, "--force-po")
    if expected != text:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True), text.splitlines(keepends=True), "msgcat", "ours"
        )
        pytest.fail("msgcat rewrites our output:\n" + "".join(diff)[:4000])


def catalog(entries: list[polib.POEntry], metadata: dict[str, str] | None = None) -> polib.POFile:
    po = polib.POFile()
    po.header = "Weekly review of Belarusian politics.\nThis file is distributed under CC BY 4.0."
    po.metadata = dict(FULL_HEADER if metadata is None else metadata)
    for entry in entries:
        po.append(entry)
    return po


# ---------------------------------------------------------------- hard strings

PROSE_EN = (
    "On Monday the Central Election Commission announced that the next "
    "parliamentary elections would take place on 25 February, a week after "
    "the All-Belarusian People's Assembly had approved the new security concept."
)
PROSE_BE = (
    "У панядзелак Цэнтральная выбарчая камісія абвясціла, што наступныя "
    "парламенцкія выбары адбудуцца 25 лютага, праз тыдзень пасля таго, як "
    "Усебеларускі народны сход зацвердзіў новую канцэпцыю бяспекі."
)
PROSE_RU = (
    "В понедельник Центральная избирательная комиссия объявила, что следующие "
    "парламентские выборы пройдут 25 февраля — через неделю после того, как "
    "Всебелорусское народное собрание утвердило новую концепцию безопасности."
)
HARD_STRINGS = [
    PROSE_EN,
    PROSE_BE,
    PROSE_RU,
    "The Belarus-Russia-China triangle — or, as Minsk prefers, the "
    "Belarus–Russia–China “strategic partnership” — dominated the week's agenda.",
    "Lukashenka's so-called anti-crisis self-sufficiency programme re-emerged "
    "in state-run media after a two-year-long pause.",
    "Read the full decree at https://example.org/a/very/long/path/to/the/decree?x=1&y=2&lang=be#section-4 "
    "or the summary at https://example.org/s?q=1.",
    "https://example.org/a/very/long/path/with/no/spaces/at/all/because/urls/are/like/that?x=1&y=2",
    "See the [weekly digest](https://example.org/digest/2024/05/27) and the "
    '[previous issue](https://example.org/digest/2024/05/20 "May 20") for **more details**.',
    'The `--no-wrap` option of `msgcat` keeps lines like `msgid "a very long string"` intact.',
    "«Мы не будзем чакаць», — заявіў міністр; „Гэта правакацыя“, — адказалі ў Маскве, "
    'а ў Вільні сказалі "пачакаем".',
    "Prices rose by 4.7\u00a0% in May; the rouble fell to 3.2\u2009BYN, and 1\u202f000 people protested.",
    "Column\tseparated\tvalues\tlike\tthis\tone\tare\trare\tin\tarticles\tbut\tthey\tdo\thappen.",
    "A Windows path C:\\Users\\editor\\Documents\\weekly\\2024\\may\\review-final-final.docx is quoted.",
    "First line of a list:\nsecond line, which is long enough to need its own wrapping at the "
    "seventy-nine column boundary\nthird line\n",
    "\nstarts with a newline",
    "ends with two newlines\n\n",
    "Supercalifragilisticexpialidocious-antidisestablishmentarianism-"
    "pneumonoultramicroscopicsilicovolcanoconiosis",
    "x" * 120,
    "中华人民共和国和白俄罗斯共和国签署了关于全面战略伙伴关系的联合声明，双方同意加强合作。",
    "Emoji 🇧🇾🇷🇺 flags and 👩‍💻 sequences and cafe\u0301 with a combining accent in a long sentence here.",
    "Line\u2028separator and paragraph\u2029separator are written raw by gettext, not escaped at all.",
]


def boundary_strings() -> Iterator[str]:
    """Lengths around both limits: 71 characters fit after 'msgid "', 77 on a
    continuation line (79 columns with the quotes), escapes included."""
    for total in range(65, 85):
        for cut in (total // 2, total - 5, total - 1):
            yield "a" * cut + " " + "b" * (total - cut - 1)
    for total in range(68, 82):
        yield "a" * (total - 2) + "\\" + "b"
        yield "a" * (total - 3) + '"x"'
        yield "word " * (total // 5) + "x" * (total % 5)
        yield "Усё " * (total // 4)


def hard_catalog() -> polib.POFile:
    entries: list[polib.POEntry] = []
    for i, text in enumerate(HARD_STRINGS):
        entries.append(
            polib.POEntry(
                msgid=text,
                msgstr=text.upper() if i % 3 else "",
                comment=f"paragraph {i + 1}, sentence 2",
                occurrences=[("articles/2024-05-27-weekly.md", str(10 + i))],
            )
        )
    for i, text in enumerate(boundary_strings()):
        entries.append(polib.POEntry(msgid=text, msgstr=text, msgctxt=f"boundary {i}"))
    entries.append(
        polib.POEntry(
            msgctxt="title",
            msgid="Weekly review: Belarus, 20–26 May 2024",
            msgstr="Тыднёвы агляд: Беларусь, 20–26 мая 2024",
            occurrences=[("articles/2024-05-27-weekly.md", "2")],
        )
    )
    entries.append(
        polib.POEntry(
            msgid="One political prisoner was released this week.",
            msgid_plural="{n} political prisoners were released this week, according to Viasna.",
            msgstr_plural={
                0: "На гэтым тыдні быў вызвалены {n} палітвязень.",
                1: "На гэтым тыдні былі вызваленыя {n} палітвязні, паведамляе «Вясна».",
                2: "На гэтым тыдні былі вызваленыя {n} палітвязняў, паведамляе «Вясна».",
            },
        )
    )
    entries.append(
        polib.POEntry(
            msgid=PROSE_EN,
            msgctxt="lead",
            msgstr=PROSE_BE,
            flags=["fuzzy"],
            tcomment="draft: google\nchecked by: nobody yet\n\nthird paragraph of the note",
            previous_msgid=PROSE_EN.replace("Monday", "Tuesday").replace("25 February", "1 March"),
            previous_msgctxt="lead",
        )
    )
    entries.append(
        polib.POEntry(
            msgid="Fifty references",
            msgstr="",
            occurrences=[(f"./articles/2024-05-{d:02d}-weekly.md", str(d * 7)) for d in range(50)],
            comment=(
                "A long extracted comment that is never wrapped by msgcat, however long it "
                "gets, because gettext writes #. lines verbatim.\nSecond line."
            ),
            flags=["fuzzy", "wrap"],
        )
    )
    entries.append(
        polib.POEntry(
            msgid="The old sentence that was removed from the article last week entirely.",
            msgstr="Старая фраза, якую прыбралі з артыкула на мінулым тыдні цалкам.",
            obsolete=True,
            flags=["fuzzy"],
            previous_msgid="The old sentence that had been removed from the article two weeks ago.",
            tcomment="draft: apertium",
        )
    )
    entries.append(polib.POEntry(msgid="Obsolete and untranslated: msgcat drops it", obsolete=True))
    return catalog(entries)


@pytest.fixture(scope="module")
def hard_text() -> str:
    return format_po(hard_catalog())


def test_hard_strings_match_golden(hard_text: str) -> None:
    check_golden(GOLDEN_DIR / "hard.po", hard_text)


@needs_msgcat
def test_hard_strings_match_msgcat(hard_text: str, tmp_path: Path) -> None:
    assert_msgcat_agrees(hard_text, tmp_path)


@needs_msgcat
@pytest.mark.parametrize("width", [0, 10, 20, 33, 60, 100, 200])
def test_other_page_widths_match_msgcat(width: int, tmp_path: Path) -> None:
    text = format_po(hard_catalog(), width=width)
    assert run_msgcat(text, tmp_path, f"--width={width}") == text


def test_known_layouts(hard_text: str) -> None:
    # Facts the golden file shows, spelled out so that a reader sees them.
    for fragment in [
        # spaces stay at the end of the line they follow
        '"parliamentary elections would take place on 25 February, a week after the "\n',
        # hyphens and en dashes are break opportunities, em dashes on both sides
        '"The Belarus-Russia-China triangle — or, as Minsk prefers, the Belarus–Russia–"\n'
        '"China “strategic partnership” — dominated',
        # a URL breaks after "?" (and "/"); the escapes of a tab never do
        '"Read the full decree at https://example.org/a/very/long/path/to/the/decree?"\n',
        'msgid "Column\\tseparated\\tvalues',
        # a word wider than the page stays on the keyword's line
        'msgid "xxxxxxxxxxxxxxxxxxxx',
        # previous msgid of an obsolete entry
        '#~| "The old sentence that had been removed from the article two weeks ago."\n',
        # extracted comments are never wrapped
        "#. A long extracted comment that is never wrapped by msgcat, however long it gets,",
    ]:
        assert fragment in hard_text
    assert "Obsolete and untranslated" not in hard_text
    flag_lines = [line for line in hard_text.splitlines() if line.startswith("#,")]
    assert not any("wrap" in line.replace("no-wrap", "") for line in flag_lines)  # the default
    for line in hard_text.splitlines():
        if line.startswith("#:"):
            assert len(line.encode()) <= 79
            assert "./" not in line


def test_golden_is_a_fixed_point_of_parse_and_format(hard_text: str) -> None:
    assert format_po(parse_po(hard_text, "hard.po")) == hard_text


# ----------------------------------------------- files written by other tools


def polib_rendering() -> str:
    po = hard_catalog()
    po.wrapwidth = 78
    return str(po)


HAND_WRITTEN = r"""# Header comment
#
#, fuzzy
msgid ""
msgstr "Project-Id-Version: edition\n" "Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\n"

#  two spaces
#.no space
#: a.md : 12 b.md: 13 c.md:14 ./d.md:15 c.md:14 e.md
# File: sun.c, line: 7
# File: moon.c, line:8
#, python-format,no-c-format   fuzzy
#| msgctxt "old ctx"
#| msgid "old text"
msgctxt "ctx"   msgid "one" "line" msgstr
  "split \x41\101 escapes"

msgid "continued \
line"
msgstr "x"

msgid "plural"
msgid_plural "plurals"
msgstr [ 0 ] "a"
msgstr[1] "b"
msgstr[2] "c"

#, fuzzy
#~| msgid "previous of obsolete"
#~ msgid "obsolete"
#~ msgstr "ok"
"""


CRLF = (
    "# comment\r\n#. extracted\r\n#: a.md:1 b.md:2\r\n"
    'msgid ""\r\n"a long line that is split in two by a careless editor, with CRLF "\r\n'
    '"line ends, as Windows tools write them"\r\nmsgstr "b"\r\n'
)


@needs_msgcat
@pytest.mark.parametrize("source", ["polib", "hand-written", "crlf", "golden"])
def test_reading_and_writing_matches_msgcat_on_foreign_files(
    source: str, tmp_path: Path, hard_text: str
) -> None:
    text = {
        "polib": polib_rendering(),
        "hand-written": HAND_WRITTEN,
        "crlf": CRLF,
        "golden": hard_text,
    }[source]
    expected = run_msgcat(text, tmp_path)
    assert format_po(parse_po(text, f"{source}.po")) == expected


# ------------------------------------------------------------- field by field


def test_parse_keeps_every_field() -> None:
    po = parse_po(HAND_WRITTEN, "hand.po")
    assert po.header == "Header comment\n"
    assert po.metadata_is_fuzzy
    assert list(po.metadata) == ["Project-Id-Version", "Content-Type", "Plural-Forms"]
    first, second, plural, obsolete = po
    assert first.tcomment == " two spaces\nFile: sun.c, line: 7"  # not Sun syntax: a space
    assert first.comment == "no space"
    assert first.occurrences == [
        ("a.md", "12"),
        ("b.md", "13"),
        ("c.md", "14"),
        ("./d.md", "15"),
        ("c.md", "14"),
        ("e.md", ""),
        ("moon.c", "8"),
    ]
    assert first.flags == ["python-format", "no-c-format", "fuzzy"]  # split as gettext does
    assert first.fuzzy
    assert (first.previous_msgctxt, first.previous_msgid) == ("old ctx", "old text")
    assert (first.msgctxt, first.msgid, first.msgstr) == ("ctx", "oneline", "split AA escapes")
    assert first.linenum == 16
    assert second.msgid == "continued line"
    assert plural.msgid_plural == "plurals"
    assert plural.msgstr_plural == {0: "a", 1: "b", 2: "c"}
    assert obsolete.obsolete
    assert obsolete.previous_msgid == "previous of obsolete"
    assert obsolete.flags == ["fuzzy"]


def sample_entries() -> list[polib.POEntry]:
    return [
        polib.POEntry(
            msgid="Hello",
            msgstr="Прывітанне",
            msgctxt="greeting",
            tcomment="draft: google\nsecond line",
            comment="paragraph 1\nsentence 1",
            occurrences=[("articles/a.md", "3"), ("articles/a.md", "10")],
            flags=["fuzzy"],
            previous_msgctxt="old",
            previous_msgid="Hi",
            previous_msgid_plural="His",
        ),
        polib.POEntry(
            msgid="{n} arrest", msgid_plural="{n} arrests", msgstr_plural={0: "a", 1: "b", 2: "c"}
        ),
        polib.POEntry(
            msgid="gone",
            msgstr="няма",
            obsolete=True,
            flags=["fuzzy"],
            previous_msgid="went",
            msgctxt="ctx",
            tcomment="kept",
            comment="kept too",
            occurrences=[("articles/b.md", "1")],
        ),
        polib.POEntry(
            msgid="gone plural",
            msgid_plural="gone plurals",
            msgstr_plural={0: "x", 1: "y", 2: "z"},
            obsolete=True,
            previous_msgid="old plural",
            previous_msgid_plural="old plurals",
        ),
    ]


FIELDS = (
    "msgctxt",
    "msgid",
    "msgid_plural",
    "msgstr",
    "msgstr_plural",
    "tcomment",
    "comment",
    "occurrences",
    "flags",
    "previous_msgctxt",
    "previous_msgid",
    "previous_msgid_plural",
    "obsolete",
)


def test_round_trip_keeps_every_field() -> None:
    po = catalog(sample_entries())
    po.metadata_is_fuzzy = True
    text = format_po(po)
    again = parse_po(text, "x.po")
    assert format_po(again) == text
    assert again.header == po.header
    assert again.metadata == po.metadata
    assert again.metadata_is_fuzzy
    assert len(again) == len(po)
    for ours, theirs in zip(po, again, strict=True):
        for name in FIELDS:
            assert bool(getattr(theirs, name)) == bool(getattr(ours, name)), name
            if getattr(ours, name):
                assert getattr(theirs, name) == getattr(ours, name), name


def test_header_is_optional_and_written_first() -> None:
    po = polib.POFile()
    po.append(polib.POEntry(msgid="a", msgstr="b"))
    assert format_po(po) == 'msgid "a"\nmsgstr "b"\n'
    assert format_po(polib.POFile()) == ""
    po.metadata = {"Language": "be"}
    assert format_po(po).startswith('msgid ""\nmsgstr "Language: be\\n"\n\nmsgid "a"')


def test_flags_and_comments_gettext_would_drop_are_kept(tmp_path: Path) -> None:
    """Deliberate differences from msgcat (issue 13): flags gettext does not
    know (Weblate's) follow the known ones in their order, and an obsolete
    entry with only a translator comment is written; msgfmt -c accepts both."""
    flags = ["max-length:400", "fuzzy", "ignore-end-punctuation", "read-only", "c-format"]
    entries = [
        polib.POEntry(msgid="a %s", msgstr="б %s", flags=flags),
        polib.POEntry(msgid="gone", msgstr="", tcomment="ask the desk", obsolete=True),
        polib.POEntry(msgid="gone too", msgstr="", obsolete=True),
    ]
    text = format_po(catalog(entries, {"Content-Type": "text/plain; charset=UTF-8"}))
    assert "#, fuzzy, c-format, max-length:400, ignore-end-punctuation, read-only\n" in text
    assert '# ask the desk\n#~ msgid "gone"\n#~ msgstr ""\n' in text
    assert "gone too" not in text
    again = parse_po(text, "x.po")
    assert format_po(again) == text
    assert next(iter(again)).flags == ["fuzzy", "c-format", *flags[:1], *flags[2:4]]
    path = tmp_path / "x.po"
    path.write_text(text, encoding="utf-8")
    assert subprocess.run(["msgfmt", "-c", "-o", os.devnull, str(path)]).returncode == 0


def test_references_deduplicated_and_packed() -> None:
    entry = polib.POEntry(
        msgid="x",
        occurrences=[("./a.md", "3"), ("a.md", "3"), ("a.md", "03"), ("b.md", ""), ("a.md", "3")],
    )
    text = format_po(catalog([entry], {}))
    assert "#: a.md:3 a.md:3 b.md\n" in text


def test_flags_are_normalised_like_gettext() -> None:
    entries = [
        polib.POEntry(msgid="a", msgstr="b", flags=["python-format", "fuzzy", "mt-draft", "wrap"]),
        polib.POEntry(msgid="c", msgstr="", flags=["fuzzy"]),
        polib.POEntry(msgid="d", msgstr="e", flags=["range: 1..5", "no-wrap", "possible-c-format"]),
    ]
    text = format_po(catalog(entries, {}))
    assert '#, fuzzy, python-format, mt-draft\nmsgid "a"' in text
    assert '\nmsgid "c"' in text and '#, fuzzy\nmsgid "c"' not in text
    assert '#, c-format, range: 1..5, no-wrap\nmsgid "d"' in text


def test_no_wrap_flag_keeps_long_lines() -> None:
    entry = polib.POEntry(msgid=PROSE_EN, msgstr=PROSE_BE, flags=["no-wrap"])
    text = format_po(catalog([entry], {}))
    assert f'msgid "{PROSE_EN}"' in text


@needs_msgcat
def test_divergences_from_gettext_are_deliberate(tmp_path: Path) -> None:
    # gettext keeps only the last "#," line; we keep all, so fuzzy survives.
    text = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    text += '#, fuzzy\n#, c-format\nmsgid "a"\nmsgstr "b"\n'
    assert "fuzzy" not in run_msgcat(text, tmp_path)
    assert "#, fuzzy, c-format" in format_po(parse_po(text, "x.po"))
    # msgcat writes nothing for a catalog with only a header; we write it.
    header_only = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n'
    assert run_msgcat(header_only, tmp_path) == ""
    assert format_po(parse_po(header_only, "x.po")) == header_only


@needs_msgcat
def test_metadata_keeps_its_own_order(tmp_path: Path) -> None:
    # Poedit puts X-Generator before Plural-Forms; polib's ordered_metadata()
    # would move it, msgcat does not, and neither do we.
    metadata = {"Language": "be", "X-Generator": "Poedit 3.4", **FULL_HEADER}
    text = format_po(catalog([polib.POEntry(msgid="a", msgstr="б")], metadata))
    assert text.index("X-Generator") < text.index("Project-Id-Version")
    assert_msgcat_agrees(text, tmp_path)


@needs_msgcat
@pytest.mark.xfail(
    strict=True, reason="gettext keeps format directives whole; we do not parse them"
)
def test_format_directives_are_not_kept_whole(tmp_path: Path) -> None:
    # With c-format, "% d" is a directive (the space is a flag) and gettext
    # will not break inside it; article text never carries format flags.
    entry = polib.POEntry(msgid="a" * 68 + " 5% done, and then some more words", flags=["c-format"])
    assert_msgcat_agrees(format_po(catalog([entry], {})), tmp_path)


# ------------------------------------------------------------------ parse errors


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("garbage here\n", 1, 'keyword "garbage" unknown'),
        ("%%% not a po file\n", 1, "syntax error"),
        (
            'msgid "a"\nmsgstr "b"\n\nmsgid "unterminated\nmsgstr "x"\n',
            4,
            "end-of-line within string",
        ),
        ('msgid "a"\nmsgstr "b', 2, "end-of-file within string"),
        ('msgid "a"\nmsgstr "b"\n\nmsgidd "c"\nmsgstr "d"\n', 4, 'keyword "msgidd" unknown'),
        ('msgid "a"\n\nmsgid "b"\nmsgstr "c"\n', 1, "missing 'msgstr' section"),
        ('msgid "a"\nmsgstr "\\q"\n', 2, "invalid control sequence"),
        ('msgid "a"\n#~ msgstr "b"\n', 2, "inconsistent use of #~"),
        (
            'msgid "a"\nmsgstr "b"\n\n#~ msgid "a"\n#~ msgstr "c"\n',
            4,
            "duplicate message definition",
        ),
        ('msgid "a"\nmsgid_plural "as"\nmsgstr[1] "b"\n', 3, "first plural form has nonzero"),
        ('msgid "a"\nmsgid_plural "as"\nmsgstr[0] "b"\nmsgstr[2] "c"\n', 4, "wrong index"),
        ('msgid "a"\nmsgid_plural "as"\n', 2, "missing 'msgstr[]' section"),
        ('msgid "a"\nmsgstr[0] "b"\n', 1, "missing 'msgid_plural' section"),
        ('msgid "a"\nmsgstr\n', 2, "syntax error"),
        ('#| msgid "a"\n#| msgstr "b"\n', 2, 'keyword "msgstr" unknown'),
        ('msgid "a\\004b"\nmsgstr ""\n', 1, "context separator"),
        ('domain "x"\n', 1, "domain"),
        ('msgid "a"\nmsgstr "b"\n[\n', 3, "syntax error"),
    ],
)
def test_parse_errors_carry_path_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_po(text, "locales/be/weekly.po")
    assert caught.value.path == "locales/be/weekly.po"
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(caught.value).startswith(f"locales/be/weekly.po:{line}: ")


def test_parse_never_opens_a_path(tmp_path: Path) -> None:
    real = tmp_path / "real.po"
    real.write_text('msgid "a"\nmsgstr "b"\n', encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        parse_po(str(real), "given.po")
    assert caught.value.path == "given.po"
    assert caught.value.line == 1


def test_line_numbers_survive_continuations_and_crlf() -> None:
    text = 'msgid "a\\\nb"\r\nmsgstr "c"\r\n\r\nmsgid "d"\r\nmsgstr "e\r\n'
    with pytest.raises(CatalogError) as caught:
        parse_po(text, "x.po")
    assert caught.value.line == 6


@given(st.text(alphabet='msgidtrx_[]0123#~|.,: "\\\n\tабв', max_size=80))
@settings(max_examples=300, derandomize=True, database=None, deadline=None)
def test_parse_never_crashes(text: str) -> None:
    try:
        parse_po(text, "fuzz.po")
    except CatalogError as error:
        assert error.path == "fuzz.po"
        assert error.line is not None
        assert 1 <= error.line <= text.count("\n") + 1


# ------------------------------------------------- the line breaker vs libunistring


def load_libunistring() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("unistring") or "libunistring.so.2"
    try:
        lib = ctypes.CDLL(name)
        lib.ulc_width_linebreaks_v2  # noqa: B018  (1.0 or later has it)
    except (OSError, AttributeError):
        return None
    return lib


LIBUNISTRING = load_libunistring()
needs_libunistring = pytest.mark.skipif(
    LIBUNISTRING is None or sys.platform != "linux", reason="libunistring >= 1.0 not loadable"
)
# Reading the library's private tables is only safe with the exact layout of
# libunistring 1.0, the version gettext 0.21 links on Debian 12.
LIBUNISTRING_1_0 = (
    LIBUNISTRING is not None
    and ctypes.c_int.in_dll(LIBUNISTRING, "_libunistring_version").value == 0x010000
)
needs_libunistring_1_0 = pytest.mark.skipif(
    not LIBUNISTRING_1_0, reason="private tables are read only from libunistring 1.0"
)


def libunistring_table() -> Callable[[int], int]:
    """The library's own line-break property lookup, read from its tables."""
    assert LIBUNISTRING is not None
    base = ctypes.addressof(ctypes.c_ubyte.in_dll(LIBUNISTRING, "libunistring_unilbrkprop"))
    # struct { int level1[15]; int level2[...]; unsigned char level3[...]; }
    level1: list[int] = list((ctypes.c_int * 15).from_address(base))
    level2_size = max(level1) + 512
    level2: list[int] = list((ctypes.c_int * level2_size).from_address(base + 60))
    level3 = ctypes.string_at(base + 60 + 4 * level2_size, max(level2) + 128)

    def lookup(cp: int) -> int:
        if cp >> 16 < 15 and level1[cp >> 16] >= 0:
            index = level2[level1[cp >> 16] + ((cp >> 7) & 511)]
            if index >= 0:
                return level3[index + (cp & 127)]
        return 42  # LBP_XX

    return lookup


def resolved(cls: int) -> int:
    # AI, SA, XX -> AL; CB -> ID1 (libunistring, UTF-8 locale)
    return {40: 20, 41: 20, 42: 20, 39: 23}.get(cls, cls)


@needs_libunistring_1_0
def test_pair_table_is_libunistrings() -> None:
    assert LIBUNISTRING is not None
    base = ctypes.addressof(ctypes.c_ubyte.in_dll(LIBUNISTRING, "libunistring_unilbrk_table"))
    table = ctypes.string_at(base, 33 * 33)
    ours = "".join(poformat._PAIR_TABLE)
    assert ours == "".join(" DIP"[v] for v in table)


def all_code_points() -> Iterator[int]:
    yield from range(0xD800)
    yield from range(0xE000, 0x40000)
    yield from range(0xE0000, 0xE1000)


@needs_libunistring_1_0
def test_line_break_classes_match_libunistring() -> None:
    lookup = libunistring_table()
    wrong = [
        f"U+{cp:04X}"
        for cp in all_code_points()
        if poformat._line_break_class(chr(cp)) != resolved(lookup(cp))
    ]
    assert wrong == []


@needs_libunistring
def test_widths_match_libunistring() -> None:
    assert LIBUNISTRING is not None
    uc_width = LIBUNISTRING.uc_width
    uc_width.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
    uc_width.restype = ctypes.c_int
    wrong = [
        f"U+{cp:04X}"
        for cp in all_code_points()
        if poformat._char_width(chr(cp)) != uc_width(cp, b"UTF-8")
    ]
    assert wrong == []


def gettext_cuts(escaped: str, start_column: int, width: int) -> list[int]:
    """Break positions (character indexes) as gettext's wrap() asks libunistring."""
    assert LIBUNISTRING is not None
    data = escaped.encode("utf-8")
    overrides = bytearray()
    starts = []
    for i, ch in enumerate(escaped):
        starts.append(len(overrides))
        size = len(ch.encode("utf-8"))
        tail = poformat._is_escape_tail(escaped, i)
        overrides += bytes([1 if tail else 0]) + b"\x01" * (size - 1)
    if escaped.endswith("\\n") and poformat._is_escape_tail(escaped, len(escaped) - 1):
        overrides[len(overrides) - 2] = 1
    result = ctypes.create_string_buffer(len(data))
    LIBUNISTRING.ulc_width_linebreaks_v2(
        data,
        ctypes.c_size_t(len(data)),
        ctypes.c_int(width),
        ctypes.c_int(start_column),
        ctypes.c_int(0),
        bytes(overrides),
        b"UTF-8",
        result,
    )
    raw = result.raw
    return [i for i, start in enumerate(starts) if raw[start] == 2]


BREAKER_ALPHABET = (
    "abcxyz ABC  абвгдеёжзійўыэюя АБВ 0123456789 -–—‐/.,:;!?()[]{}«»„“”\"'`*_%$#&+=<>@^~|"
    "\\\t\u00a0\u2009\u202f\u200b\u2060\u0301\u200d\u05d0\u05d1中文字、。！（）한국어ｶﾀ"
    "\U0001f1e7\U0001f1fe\U0001f600\U0001f3fb\u2028\x01"
)


@needs_libunistring
@given(
    text=st.text(alphabet=BREAKER_ALPHABET, max_size=160),
    start_column=st.integers(0, 14),
    width=st.integers(5, 80),
)
@settings(max_examples=3000, derandomize=True, database=None, deadline=None)
def test_breaks_match_libunistring(text: str, start_column: int, width: int) -> None:
    escaped = poformat._escape(text)
    expected = gettext_cuts(escaped, start_column, width)
    assert poformat._cuts_slow(escaped, start_column, width) == expected
    assert poformat._cuts(escaped, start_column, width) == expected


FAST_ALPHABET = "abc xyz  абв 019 -–—/.,:;!?()[]«»\"'`*_%$#&\\\t\u00a0\u2009\u202f中"


@given(
    text=st.text(alphabet=FAST_ALPHABET, max_size=200),
    start_column=st.integers(0, 14),
    width=st.integers(3, 80),
)
@settings(max_examples=2000, derandomize=True, database=None, deadline=None)
def test_fast_path_equals_reference_path(text: str, start_column: int, width: int) -> None:
    escaped = poformat._escape(text)
    slow = poformat._cuts_slow(escaped, start_column, width)
    if poformat._FAST_TEXT_RE.fullmatch(escaped) is not None:
        assert poformat._cuts_fast(escaped, start_column, width) == slow


def test_stored_fast_path_is_the_one_the_tables_give(tmp_path: Path) -> None:
    """`workflow/_breaks.py` holds the fast path's patterns so that importing
    poformat classifies no characters; they must be what the tables (and
    uniseg's data) give now.  After a change: `write_fast_path()`."""
    stored = (
        poformat._FAST_TEXT_RE.pattern,
        poformat._FORWARD_BREAK_RE.pattern,
        poformat._BACKWARD_BREAK_RE.pattern,
    )
    assert poformat.fast_path_sources() == stored
    # The generator writes the module that is in the repository, byte for byte.
    target = tmp_path / "_breaks.py"
    poformat.write_fast_path(target)
    stored_file = Path(poformat.__file__).with_name("_breaks.py")
    assert target.read_bytes() == stored_file.read_bytes()


# ------------------------------------------------------- property: msgcat agrees

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
CYRILLIC = "абвгдежзійклмнопрстуўфхцчшыьэюяёАБВГДЕЖЗІЙКЛМНОПРСТУЎФХЦЧШЫЬЭЮЯЁ"
PUNCTUATION = "-–—/.,:;!?()«»\"'\\`*_[]"
ALPHABET = LETTERS + " " * 12 + PUNCTUATION + CYRILLIC + "0123456789" + "\n\t\u00a0"
TOKENS = [
    "https://example.org/a/very/long/path?x=1&y=2",
    "Belarus-Russia-China",
    "**bold**",
    "`inline code`",
    "[text](https://example.org/x)",
    "«цытата»",
    "„quote“",
    "—",
    "\u2009",
    "\u202f",
    "中文",
    "e\u0301",
    "x" * 85,
]

words = st.one_of(
    st.text(alphabet=LETTERS + CYRILLIC, min_size=1, max_size=14),
    st.sampled_from(TOKENS),
    st.text(alphabet=ALPHABET, min_size=1, max_size=6),
)
separators = st.sampled_from([" ", " ", " ", " ", "\n", "\t", "\u00a0", "", "-", "/", ", "])


@st.composite
def prose(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(st.text(alphabet=ALPHABET, max_size=200))
    parts = draw(st.lists(st.tuples(words, separators), max_size=30))
    return "".join(word + sep for word, sep in parts)


def plural_of(msgid: str) -> str:
    # msgfmt -c wants msgid and msgid_plural to agree on leading and
    # trailing newlines.
    m = re.fullmatch(r"(\n*)(.*?)(\n*)", msgid, re.DOTALL)
    assert m is not None
    lead, core, trail = m.groups()
    return f"{lead}{core} (plural){trail}" if core else msgid or "(plural)"


@st.composite
def entries(draw: st.DrawFn, *, for_msgfmt: bool) -> list[polib.POEntry]:
    result: list[polib.POEntry] = []
    seen: set[tuple[str | None, str]] = set()
    for _ in range(draw(st.integers(1, 6))):
        msgid = draw(prose())
        if for_msgfmt:
            msgid = msgid or "x"
        msgctxt = draw(st.one_of(st.none(), st.sampled_from(["title", "lead"]), prose()))
        if (msgctxt, msgid) in seen or (msgctxt, msgid) == (None, ""):
            continue  # duplicates, or a second header entry
        seen.add((msgctxt, msgid))
        entry = polib.POEntry(msgid=msgid, msgctxt=msgctxt)
        # A translation that msgfmt -c accepts: same leading/trailing "\n".
        translated = msgid.swapcase()
        if draw(st.booleans()):
            entry.msgid_plural = plural_of(msgid)
            entry.msgstr_plural = {i: translated for i in range(3)}
        else:
            entry.msgstr = translated if for_msgfmt or draw(st.booleans()) else ""
        if not for_msgfmt:
            entry.flags = draw(
                st.sampled_from(
                    [[], ["fuzzy"], ["fuzzy"], ["no-wrap"], ["fuzzy", "c-format"], ["wrap"]]
                )
            )
            if draw(st.booleans()):
                entry.previous_msgid = draw(prose())
            entry.obsolete = draw(st.integers(0, 4)) == 0
        entry.tcomment = draw(st.sampled_from(["", "draft: google", "a\nb"]))
        first = entry.msgstr_plural.get(0, "") if entry.msgid_plural else entry.msgstr
        if entry.obsolete and not first:
            # msgcat drops it, comment and all; we keep it (see
            # test_flags_and_comments_gettext_would_drop_are_kept).
            entry.tcomment = ""
        entry.comment = draw(st.sampled_from(["", "paragraph 3, sentence 2"]))
        entry.occurrences = [
            ("articles/2024-05-27-weekly.md", str(n))
            for n in draw(st.lists(st.integers(1, 400), max_size=25))
        ]
        result.append(entry)
    return result


@needs_msgcat
@given(generated=entries(for_msgfmt=False))
@settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_msgcat_agrees_with_random_catalogs(tmp_path: Path, generated: list[polib.POEntry]) -> None:
    po = catalog(generated)
    text = format_po(po)
    assert_msgcat_agrees(text, tmp_path)
    assert format_po(parse_po(text, "generated.po")) == text
    # The same catalog as polib writes it (other wrapping, other quirks):
    # reading that and writing it again must give what msgcat makes of it.
    foreign = str(po)
    expected = run_msgcat(foreign, tmp_path) or run_msgcat(foreign, tmp_path, "--force-po")
    assert format_po(parse_po(foreign, "polib.po")) == expected


MSGFMT_STATS = re.compile(
    r"\d+ translated messages?(, \d+ fuzzy translations?)?(, \d+ untranslated messages?)?\.\n"
)


@needs_msgfmt
@given(generated=entries(for_msgfmt=True))
@settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_msgfmt_check_accepts_random_catalogs(
    tmp_path: Path, generated: list[polib.POEntry]
) -> None:
    assert MSGFMT is not None
    path = tmp_path / "ru.po"
    path.write_bytes(format_po(catalog(generated)).encode("utf-8"))
    done = subprocess.run(
        [MSGFMT, "-c", "-v", "-o", "/dev/null", str(path)], capture_output=True, check=False
    )
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, stderr
    assert MSGFMT_STATS.fullmatch(stderr), stderr


# ---------------------------------------------------------------------- speed


def test_format_speed() -> None:
    sentence = PROSE_EN[:150]
    many = [
        polib.POEntry(
            msgid=f"{i} {sentence}",
            msgstr="",
            occurrences=[("articles/weekly.md", str(i))],
            comment=f"paragraph {i}, sentence 1",
        )
        for i in range(18_000)
    ]
    po = catalog(many)
    started = time.perf_counter()
    text = format_po(po)
    elapsed = time.perf_counter() - started
    assert text.count("\nmsgid ") >= 18_000
    # Measured at about 0.2 s; the bound only catches an accidental slow path.
    assert elapsed < 3.0, f"format_po took {elapsed:.2f} s for 18,000 entries"


def test_a_shared_render_cache_never_changes_the_output() -> None:
    """Entries equal in every written field share their text; nothing else does."""
    cache: dict[tuple[object, ...], str] = {}
    for width in (79, 33, 0):
        po = hard_catalog()
        assert format_po(po, width=width, cache=cache) == format_po(hard_catalog(), width=width)
        # The same catalog, changed in place field by field after it was cached.
        for entry in po:
            entry.msgstr = entry.msgstr + " x" if entry.msgstr else ""
            entry.flags = [f for f in entry.flags if f != "fuzzy"]
            entry.occurrences = [(f, str(int(n) + 1) if n else n) for f, n in entry.occurrences]
            if entry.previous_msgid is not None:
                entry.previous_msgid += " changed"
            entry.tcomment = (entry.tcomment or "") + "\nmore"
        assert format_po(po, width=width, cache=cache) == format_po(po, width=width)
    # Line numbers that compare equal but print differently are not shared.
    po = catalog([polib.POEntry(msgid="a", msgstr="b", occurrences=[("f.md", "1")])], {})
    assert "#: f.md:1\n" in format_po(po, cache=cache)
    po[0].occurrences = [("f.md", True)]  # type: ignore[list-item]
    assert format_po(po, cache=cache) == format_po(po)
    assert "#: f.md:True\n" in format_po(po, cache=cache)
