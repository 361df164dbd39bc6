"""The MT fault matrix against the loopback LibreTranslate server.

For each fault: no entry gets a bad draft, every entry that could not be
drafted is listed with a reason, and a re-run once the server behaves
drafts exactly those entries.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.libre_server import LibreServer, closed_port_url, fake_translate, libre_server
from workflow.cli import main
from workflow.markup import protect
from workflow.poformat import format_po, read_po

from .conftest import ROOT

__all__ = ["libre_server"]
SLUG = "week-21-union-state-tax-accord"


def setup_root(tmp_path: Path, url: str) -> tuple[Path, list[str]]:
    root = tmp_path / "root"
    shutil.copytree(ROOT / "articles", root / "articles")
    shutil.copytree(ROOT / "locales", root / "locales")
    (root / "pyproject.toml").write_text(
        '[tool.edition]\nlocales = ["be", "ru"]\n'
        f'[tool.edition.engines.libre]\nurl = "{url}"\ntimeout = 0.5\nbatch_size = 5\n',
        encoding="utf-8",
    )
    po_path = root / "locales" / "ru" / f"{SLUG}.po"
    po = read_po(po_path)
    emptied = []
    body = [e for e in po if e.msgctxt is None and not e.obsolete]
    marked = [e for e in body if protect(e.msgid).pieces][:4]
    assert marked, "the sample article needs sentences with markup"
    plain = [e for e in body if not protect(e.msgid).pieces][:8]
    for entry in marked + plain:
        entry.msgstr = ""
        emptied.append(entry.msgid)
    po_path.write_text(format_po(po), encoding="utf-8")
    return root, emptied


def draft(capsys: pytest.CaptureFixture[str], root: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["draft", "--root", str(root), "--locale", "ru", "--engine", "libre", "--json"])
    out, _err = capsys.readouterr()
    report: dict = json.loads(out)  # type: ignore[type-arg]
    return code, report


def drafts(root: Path) -> dict[str, str]:
    po = read_po(root / "locales" / "ru" / f"{SLUG}.po")
    return {e.msgid: e.msgstr for e in po if "draft: libre" in e.tcomment}


def good(msgid: str) -> str:
    p = protect(msgid)
    text = fake_translate(p.text, "ru")
    for n, piece in enumerate(p.pieces):
        text = text.replace(f"⟦{n}⟧", piece)
    return text


FAULTS = {
    "429": lambda s: s.fail_next(100, status=429, retry_after=0.01),
    "500": lambda s: s.fail_next(100, status=500),
    "503": lambda s: s.fail_next(100, status=503),
    "timeout": lambda s: s.stall_next(100, seconds=1.5),
    "garbage": lambda s: s.garbage_next(100),
    "json-garbage": lambda s: s.garbage_next(
        100, body=b'{"unexpected": true}', content_type="application/json"
    ),
    "partial-batch": lambda s: s.garbage_next(
        100, body=b'{"translatedText": ["only one"]}', content_type="application/json"
    ),
    "empty-translation": lambda s: s.transform_next(100, fn=lambda t: ""),
    "placeholder-damage": lambda s: s.drop_placeholders_next(100),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_never_gives_a_bad_draft_and_a_rerun_resumes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, libre_server: LibreServer, fault: str
) -> None:
    root, emptied = setup_root(tmp_path, libre_server.url)
    FAULTS[fault](libre_server)
    code, report = draft(capsys, root)
    got = drafts(root)
    # Whatever was drafted is a correct draft; everything else is listed.
    for msgid, text in got.items():
        assert text == good(msgid), (fault, msgid)
    failed = {f["msgid"] for f in report["failed"]}
    assert failed | set(got) == set(emptied)
    assert all(f["reason"] for f in report["failed"])
    if fault == "placeholder-damage":
        # Only texts with markup can lose placeholders.
        assert failed == {m for m in emptied if protect(m).pieces}
    else:
        assert failed, f"{fault} drafted everything: the fault did not bite"
    assert code == 1
    libre_server.reset()
    code, report = draft(capsys, root)
    assert code == 0, report
    assert drafts(root) == {m: good(m) for m in emptied}
    # What the first run paid for is not bought again.
    assert set(libre_server.texts) <= {protect(m).text for m in failed}


def test_connection_refused_is_listed_and_resumable(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, libre_server: LibreServer
) -> None:
    root, emptied = setup_root(tmp_path, closed_port_url())
    code, report = draft(capsys, root)
    assert code == 1 and {f["msgid"] for f in report["failed"]} == set(emptied)
    assert "libre" in report["dropped_engines"]
    assert drafts(root) == {}
    config = root / "pyproject.toml"
    text = config.read_text(encoding="utf-8")
    start = text.index('url = "') + len('url = "')
    end = text.index('"', start)
    config.write_text(text[:start] + libre_server.url + text[end:], encoding="utf-8")
    code, report = draft(capsys, root)
    assert code == 0 and drafts(root) == {m: good(m) for m in emptied}
