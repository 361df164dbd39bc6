"""Bad input at scale: front matter, raw article bytes and PO files (hypothesis).

The promise under test: whatever a file holds, the tool either reads it or
refuses it with a `WorkflowError` that names the file and the line; no other
exception escapes, and through the CLI the exit code is the documented one
with no traceback.  Together with tests/test_roundtrip_property.py these run
well over 10,000 generated cases per CI run.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from workflow import WorkflowError, parse_article
from workflow.article import load_article
from workflow.cli import main
from workflow.errors import EXIT_BAD_INPUT, EXIT_OK
from workflow.guard import _suspect, kept_count
from workflow.poformat import format_po, parse_po

FAST = settings(max_examples=3500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- front matter -------------------------------------------------------------

yaml_piece = st.sampled_from(
    [
        "title: A week in Minsk",
        "title: 'quoted: title'",
        'title: "double \\"quoted\\""',
        "title: [a, b]",
        "title:",
        "title: |\n  block\n  scalar",
        "date: 2024-05-27",
        "date: 2024-13-45",
        "date: yesterday",
        "date: 2024-05-27T10:00:00",
        "date: 20240527",
        "lead: >\n  folded\n  lead",
        "section: Politics",
        "section: {a: b}",
        "period: {start: 2024-05-20, end: 2024-05-26}",
        "period: {start: 2024-05-26, end: 2024-05-20}",
        "period: 2024",
        "authors: [A. Author, B. Author]",
        "authors: 5",
        "tags: [x, y]",
        "tags: {x: 1}",
        "extra: &a [1, 2]",
        "again: *a",
        "bad: *nowhere",
        "!!python/object:os.system ls",
        "key: !!binary aGVsbG8=",
        "? complex\n: key",
        "  indented: wrong",
        "\ttab: bad",
        "title: a\ntitle: b",
        "# a comment",
        "",
        "- a list at top level",
        "%YAML 1.1",
        "---",
        "...",
        "title: \x00nul",
        "title: Ж\u2028line separator",
        'title: "a\\0b"',
        'lead: "Word\\vbreak"',
        'section: "x\\x7fy"',
        'title: "\\uFFFE"',
        'authors: ["A\\x85B"]',
        "date: *a",
        "period: *a",
        "b: &b [*a, *a, *a, *a]",
        "title: *b",
    ]
)
front_matter = st.lists(yaml_piece, max_size=8).map("\n".join)
body = st.sampled_from(["", "\n", "Text.\n", "# Head\n\nPara.\n", "```\ncode\n", "  \n"])
opening = st.sampled_from(["---\n", "---\r\n", "--- \n", "\ufeff---\n", "", "----\n"])
closing = st.sampled_from(["---\n", "---\r\n", "...\n", "", "--- x\n", "---"])


@FAST
@given(opening, front_matter, closing, body)
def test_front_matter_is_read_or_refused_with_a_line(
    open_: str, fm: str, close: str, text: str
) -> None:
    source = open_ + fm + ("\n" if fm else "") + close + text
    try:
        article = parse_article(source, path="articles/fuzz.md")
    except WorkflowError as exc:
        assert exc.path == "articles/fuzz.md"
        assert exc.line is not None and 1 <= exc.line <= source.count("\n") + 1
        assert exc.message
        return
    assert article.assemble(lambda s: None) == source
    assert article.title


# -- raw bytes through the file reader ----------------------------------------

VALID = (
    b"---\ntitle: Minsk week\ndate: 2024-05-27\nlead: A lead.\n---\n\n"
    b"## Head\n\nOne sentence. Two *sentences* here.\n\n- item `code`\n"
)


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.integers(0, 2))
        pos = draw(st.integers(0, len(data)))
        if op == 0:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        elif op == 1 and data:
            del data[pos : pos + draw(st.integers(1, 8))]
        else:
            data[pos:pos] = draw(
                st.sampled_from([b"\xff", b"\xd0", b"\r", b"\n---\n", b"\x00", b"\xe2\x80"])
            )
    return bytes(data)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_damaged_article_files_are_read_or_refused_with_a_line(data: bytes) -> None:
    # One file per example; tmp_path is function-scoped, hypothesis reuses it.
    with _scratch() as root:
        path = root / "fuzz.md"
        path.write_bytes(data)
        try:
            article = load_article(path)
        except WorkflowError as exc:
            assert exc.path == str(path)
            assert exc.line is not None and exc.line >= 1
            return
        assert article.assemble(lambda s: None) == article.text


# -- PO files -----------------------------------------------------------------

PO = """\
# Belarusian translation.
msgid ""
msgstr ""
"Project-Id-Version: edition\\n"
"Language: be\\n"
"Content-Type: text/plain; charset=UTF-8\\n"

#. paragraph 1, sentence 1
#: articles/a.md:7
msgctxt "title"
msgid "A week in Minsk"
msgstr "Тыдзень у Мінску"

# draft: google
#, fuzzy
#| msgid "Old text."
msgid "New text with \\"quotes\\" and a tab\\t."
msgstr ""
"Новы тэкст з «двукоссем» і "
"табуляцыяй."

#~ msgid "Gone."
#~ msgstr "Сышло."
"""

po_noise = st.sampled_from(
    [
        '"',
        "\\",
        "\\q",
        "\\x41",
        "\\777",
        "msgid",
        "msgstr[0]",
        "msgid_plural",
        "msgctxt",
        "#,",
        "#|",
        "#~",
        "#: ",
        "\n",
        '""\n',
        "\t",
        "Ж",
        "\x00",
        "\ufeff",
        "\r",
    ]
)


@st.composite
def damaged_po(draw: st.DrawFn) -> str:
    text = PO
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:pos] + draw(po_noise) + text[pos:]
        else:
            text = text[:pos] + text[pos + draw(st.integers(1, 12)) :]
    return text


@FAST
@given(damaged_po())
def test_damaged_po_files_are_read_or_refused_with_a_line(text: str) -> None:
    try:
        po = parse_po(text, "locales/be/a.po")
    except WorkflowError as exc:
        assert exc.path == "locales/be/a.po"
        assert exc.line is not None and 1 <= exc.line <= text.count("\n") + 2
        return
    # Whatever we accept we can write back, and read again to the same thing
    # (less untranslated obsolete entries, which msgcat drops too).
    again = parse_po(format_po(po), "again.po")
    assert [(e.msgctxt, e.msgid, e.msgstr, e.obsolete) for e in again] == [
        (e.msgctxt, e.msgid, e.msgstr, e.obsolete) for e in po if e.msgstr or not e.obsolete
    ]


# -- through the command line -------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_cli_reports_bad_articles_without_tracebacks(data: bytes) -> None:
    with _scratch() as root:
        (root / "articles").mkdir()
        (root / "articles" / "good.md").write_bytes(VALID)
        (root / "articles" / "bad.md").write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["sync", "--root", str(root), "-q"])
        assert "Traceback" not in err.getvalue()
        assert (root / "locales" / "be" / "good.po").is_file()
        if code == EXIT_OK:
            assert err.getvalue() == ""
        else:
            assert code == EXIT_BAD_INPUT
            assert f"{root / 'articles' / 'bad.md'}:" in err.getvalue()


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="edition-fuzz-") as tmp:
        yield Path(tmp)


# -- catalogs cut or doubled, as a save in progress leaves them -------------------

SAVED = (ROOT / "locales" / "be" / "week-47-labour-shortages.po").read_bytes()
SAVED_COUNTS = kept_count(SAVED.decode("utf-8"))


@FAST
@given(st.integers(0, len(SAVED)), st.sampled_from(["cut", "doubled", "cut-twice"]))
def test_cut_or_doubled_catalogs_are_refused_or_read_whole(at: int, how: str) -> None:
    """Whatever an editor's half-done save leaves: the reader never crashes,
    and the guard passes only what holds every entry and translation."""
    data = {
        "cut": SAVED[:at],
        "doubled": SAVED + SAVED[:at],
        "cut-twice": SAVED[:at] + SAVED[: at // 2],
    }[how]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return  # refused with its line by every reader (test_hostile)
    why = _suspect(text, SAVED_COUNTS)
    try:
        parse_po(text, "locales/be/a.po")
    except WorkflowError as exc:
        assert exc.path == "locales/be/a.po" and exc.line is not None
        return
    if why is None:
        entries, written = kept_count(text)
        assert entries >= SAVED_COUNTS[0] and written >= SAVED_COUNTS[1], text[-300:]


# -- TMX in any encoding ---------------------------------------------------------

ENCODINGS = ["utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1251", "shift_jis"]
unit_text = st.text(alphabet="abc xyz<>&'\"жыў東京", min_size=1, max_size=12).filter(
    lambda t: t.strip() == t and t
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(unit_text, unit_text, min_size=1, max_size=4),
    st.sampled_from([*ENCODINGS, "utf-7", "x-nonesuch"]),
    st.sampled_from(["", "bom", "dtd", "entity"]),
)
def test_tmx_in_any_encoding_is_imported_or_refused(
    units: dict[str, str], encoding: str, extra: str
) -> None:
    from workflow.config import load_settings
    from workflow.memory import TMXError, import_tmx, imported_pairs

    tus = "".join(
        f'<tu><tuv xml:lang="en"><seg>{escape(k)}</seg></tuv>'
        f'<tuv xml:lang="be"><seg>{escape(v)}</seg></tuv></tu>'
        for k, v in units.items()
    )
    doctype = {
        "dtd": '<!DOCTYPE tmx SYSTEM "tmx14.dtd">',
        "entity": '<!DOCTYPE tmx [<!ENTITY e "SMUGGLED">]>',
    }.get(extra, "")
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>{doctype}'
        f'<tmx version="1.4"><header srclang="en"/><body>{tus}</body></tmx>'
    )
    codec = {"utf-7": "utf-7", "x-nonesuch": "utf-8"}.get(encoding, encoding)
    try:
        data = text.encode(codec)
    except UnicodeEncodeError:
        return
    if extra == "bom" and codec.startswith("utf-16") and codec != "utf-16":
        data = ("\ufeff" + text).encode(codec)
    with _scratch() as root:
        (root / "articles").mkdir()
        tmx = root / "in.tmx"
        tmx.write_bytes(data)
        settings_ = load_settings(root)
        try:
            import_tmx(settings_, tmx)
        except TMXError as exc:
            assert exc.path == str(tmx) and exc.message
            assert (
                doctype
                or encoding in ("utf-7", "x-nonesuch")
                or codec
                in (
                    "utf-16-le",
                    "utf-16-be",
                    "utf-32",
                )
            ), exc
            return
        assert not doctype and encoding not in ("utf-7", "x-nonesuch")
        assert dict(imported_pairs(settings_, "be")) == units
