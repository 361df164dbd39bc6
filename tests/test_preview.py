"""`edition preview` (issue 17, part 3): a partly translated be edition as
it would publish now, drafts, stale entries and gaps marked, each with its
PO file and line; a real Chromium screenshot shows the three states apart."""

from __future__ import annotations

import re
import shutil
import struct
import urllib.request
import zlib
from pathlib import Path

import pytest

from workflow.cli import main
from workflow.poformat import format_po, read_po
from workflow.serve import make_server

from .conftest import ROOT, screenshot

ARTICLE = "week-21-union-state-tax-accord"
ARTIFACTS = ROOT / "tests" / "artifacts"
#: The highlight colours of preview.py's style, as RGB.
COLOURS = {"draft": (253, 230, 138), "stale": (253, 186, 116), "untranslated": (254, 202, 202)}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def partly_translated(root: Path) -> dict[str, int]:
    """Make one entry of the be catalog a draft, one stale and one
    untranslated; return their PO lines."""
    path = root / "locales" / "be" / f"{ARTICLE}.po"
    po = read_po(path)
    draft = po.find("What the accord changes")
    stale = po.find(
        "The signing received little attention in Minsk.",
    )
    gap = next(e for e in po if e.msgid.startswith("Ratification by both parliaments"))
    assert draft is not None and stale is not None
    draft.flags = ["fuzzy"]
    draft.tcomment = "draft: apertium"
    stale.flags = ["fuzzy"]
    stale.previous_msgid = "The signing received much attention in Minsk."
    gap.msgstr = ""
    path.write_text(format_po(po), encoding="utf-8")
    lines = read_po(path)
    found = {
        "draft": lines.find("What the accord changes"),
        "stale": lines.find("The signing received little attention in Minsk."),
        "untranslated": lines.find(gap.msgid),
    }
    return {k: e.linenum or 0 for k, e in found.items() if e is not None}


def test_preview_marks_each_state_with_its_po_line(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    lines = partly_translated(newsroom)
    code, out, err = run(
        capsys, "preview", "--root", str(newsroom), "--locale", "be", "--article", ARTICLE
    )
    assert code == 0, err
    assert "1 page previewed" in out and "1 draft, 1 stale, 1 untranslated" in out
    index = newsroom / ".edition" / "preview" / "index.html"
    assert out.strip().splitlines()[-1] == str(index)
    page = (newsroom / ".edition" / "preview" / "be" / ARTICLE / "index.html").read_text(
        encoding="utf-8"
    )
    po = f"locales/be/{ARTICLE}.po"
    for state, line in lines.items():
        spans = re.findall(rf'<span class="seg seg-{state}" data-po="{po}:{line}"[^>]*>', page)
        assert len(spans) == 1, state
    assert re.search(
        r'seg-draft"[^>]*>Што змяняе пагадненне</span><span class="engine">apertium<', page
    )
    assert (
        "English changed: The signing received <del>much</del> <ins>little</ins> attention" in page
    )
    assert re.search(r'seg-untranslated"[^>]*lang="en">Ratification by both parliaments', page)
    # Reviewed text is there as it would publish, each with its entry too.
    assert page.count('class="seg seg-reviewed"') > 40
    # No mark is left anywhere, the <title> has no markup.
    assert not re.search("[\u2045\u2046\u204c]", page)
    title = re.search("<title>(.*)</title>", page)
    assert title is not None and "<" not in title.group(1)
    # Nothing went into the published site.
    assert not (newsroom / "site").exists()
    code, out, err = run(
        capsys, "preview", "--root", str(newsroom), "--out", str(newsroom / "site" / "x")
    )
    assert code == 3 and "never goes into the published site" in err


def _pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit RGB or RGBA PNG (as Chromium writes)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, data, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _c, _f, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            data += body
        pos += 12 + length
    raw = zlib.decompress(data)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        filt = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if filt == 1:
                line[i] = (line[i] + a) & 255
            elif filt == 2:
                line[i] = (line[i] + b) & 255
            elif filt == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif filt == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        prev = line
        rgb = bytes(v for i, v in enumerate(line) if i % channels < 3)
        rows.append(rgb)
    return width, height, rows


def _where(png: Path) -> dict[str, list[int]]:
    """For each state's colour, the rows (y) of its pixels."""
    width, _height, rows = _pixels(png.read_bytes())
    found: dict[str, list[int]] = {state: [] for state in COLOURS}
    wanted = {bytes(rgb): state for state, rgb in COLOURS.items()}
    for y, row in enumerate(rows):
        for x in range(width):
            state = wanted.get(row[3 * x : 3 * x + 3])
            if state is not None:
                found[state].append(y)
    return found


def _shoot(page: Path, shot: Path) -> None:
    screenshot(
        page.as_uri(), shot, 1000, 1500, "--hide-scrollbars", "--force-device-scale-factor=1"
    )


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_a_screenshot_shows_the_three_states_apart(
    capsys: pytest.CaptureFixture[str], newsroom: Path, tmp_path: Path
) -> None:
    # Fully reviewed: the colours appear only in the preview bar's legend.
    code, _out, err = run(capsys, "preview", "--root", str(newsroom), "--locale", "be", "-q")
    assert code == 0, err
    page = newsroom / ".edition" / "preview" / "be" / ARTICLE / "index.html"
    _shoot(page, tmp_path / "reviewed.png")
    reviewed = _where(tmp_path / "reviewed.png")
    assert all(reviewed[s] for s in COLOURS)  # the legend
    bar = max(max(ys) for ys in reviewed.values()) + 1
    assert bar < 120
    # Partly translated: each state's colour fills its segment, below the bar.
    partly_translated(newsroom)
    code, _out, err = run(capsys, "preview", "--root", str(newsroom), "--locale", "be", "-q")
    assert code == 0, err
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "preview-be.png"
    _shoot(page, shot)
    found = _where(shot)
    below = {s: [y for y in ys if y >= bar] for s, ys in found.items()}
    for state in COLOURS:
        assert len(below[state]) > 2000, (state, len(below[state]))
    # Three different places on the page, in the article's order.
    middle = {s: sorted(ys)[len(ys) // 2] for s, ys in below.items()}
    assert middle["untranslated"] < middle["stale"] < middle["draft"], middle
    print(f"screenshot: {shot}")


def test_serve_renders_the_preview_fresh(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    import threading

    from workflow.config import load_settings
    from workflow.preview import default_out, preview

    settings = load_settings(newsroom)
    calls: list[int] = []

    def render() -> None:
        calls.append(1)
        preview(settings, settings.article_paths(), ["be"])

    (newsroom / "site").mkdir()
    server = make_server(newsroom / "site", None, 0, preview=(default_out(settings), render))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        url = f"http://127.0.0.1:{port}/preview/be/{ARTICLE}/"
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode("utf-8")
        assert 'class="preview-bar"' in body and calls == [1]
        partly_translated(newsroom)
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode("utf-8")
        assert "seg-untranslated" in body
        bad = f"http://127.0.0.1:{port}/preview/../pyproject.toml"
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(bad, timeout=10)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
