"""Benchmark `edition status`, `check`, `draft` and `publish` beside their peers.

    python bench/workflow_bench.py [--articles N] [--runs R] [--draft-articles M]

What is measured, and why:

* ``edition status --json`` on the synced corpus (every catalog read, every
  entry classified, every check run), against Translate Toolkit ``pocount``
  over the same catalogs in one process, and ``msgfmt --statistics`` run on
  each catalog as a shell loop would: the two ways a newsroom counts
  progress without this tool.  Neither runs quality checks, so the ratio
  is what our checks cost on top of counting.
* ``edition check --json``: the checks alone.
* ``edition draft --engine libre`` for one locale on ``--draft-articles``
  articles against the loopback LibreTranslate server of the tests (each
  request answered after ``--latency`` seconds, as a remote server would),
  against deep-translator's own ``LibreTranslator.translate_batch`` on the
  same distinct texts: its batch is a sequential loop of one request per
  text.  Every edition run starts from empty catalogs and an empty cache.
* ``edition publish`` cold (no site yet) and again with nothing changed
  (unchanged pages are not re-rendered); no peer does the gate, so the
  ratio reported is no-op over cold.

The catalogs are made complete with GNU ``msgen`` (msgstr = msgid), which
makes every edition publishable without a translator; untimed.

Every number is the median wall time of ``--runs`` runs; peak memory is the
child's own ``ru_maxrss``.  The report is printed and written to
``bench/out/workflow.md``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from sync_bench import (
    BENCH,
    EDITION,
    REPO,
    CommandFailed,
    Row,
    Sample,
    child_env,
    ratio,
    require,
    reset,
    run_quiet,
    timed,
    tool_versions,
)

sys.path.insert(0, str(REPO))

from tests.libre_server import LibreServer
from workflow.poformat import read_po


def generate(work: Path, articles: int, seed: int) -> Path:
    base = work / "base"
    stamp = base / ".generated"
    wanted = f"{articles} {seed}"
    if stamp.is_file() and stamp.read_text() == wanted:
        return base
    reset(base)
    run_quiet(
        [
            sys.executable,
            str(BENCH / "corpus.py"),
            str(base),
            "--articles",
            str(articles),
            "--seed",
            str(seed),
        ]
    )
    stamp.write_text(wanted)
    return base


def synced_copy(base: Path, dest: Path, limit: int | None = None) -> Path:
    reset(dest)
    (dest / "articles").mkdir(parents=True)
    shutil.copy(base / "pyproject.toml", dest / "pyproject.toml")
    for n, article in enumerate(sorted((base / "articles").glob("*.md"))):
        if limit is not None and n >= limit:
            break
        shutil.copy(article, dest / "articles" / article.name)
    run_quiet([*EDITION, "sync", "--root", str(dest), "-q"], cwd=REPO)
    return dest


def complete_catalogs(root: Path) -> None:
    """msgstr = msgid everywhere, with GNU msgen: every edition publishable.

    English digits copied into be/ru read as other values (``1,250`` is
    1.25 there), so the bench root turns the numbers check off.
    """
    config = root / "pyproject.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + '\n[tool.edition.checks]\ndisable = ["numbers"]\n',
        encoding="utf-8",
    )
    for po in sorted((root / "locales").glob("*/*.po")):
        run_quiet(["msgen", "-o", str(po), str(po)])
    run_quiet([*EDITION, "sync", "--root", str(root), "-q"], cwd=REPO)


def status_rows(root: Path, runs: int) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    status = [*EDITION, "status", "--root", str(root), "--json"]
    cache = root / ".edition" / "status-cache.sqlite"
    rows["status"] = timed(
        Row("edition", "status --json, cold (counts + every check)"),
        runs,
        status,
        REPO,
        before=lambda: reset(cache),
    )
    rows["status-warm"] = timed(
        Row("edition", "status --json, warm (nothing changed)"), runs, status, REPO
    )
    # check exits 1 when it finds an error: that is its job, not a failure.
    check = " ".join([*EDITION, "check", "--root", str(root), "--json"])
    rows["check"] = timed(
        Row("edition", "check --json"),
        runs,
        ["sh", "-c", f"{check} >/dev/null; test $? -le 1"],
        REPO,
    )
    try:
        (pocount,) = require("pocount")
        rows["pocount"] = timed(
            Row("Translate Toolkit", "pocount over locales/"),
            runs,
            [pocount, "--short", str(root / "locales")],
            REPO,
        )
    except CommandFailed as exc:
        rows["pocount"] = Row("Translate Toolkit", "pocount", error=str(exc))
    loop = 'for f in locales/*/*.po; do msgfmt --statistics -o /dev/null "$f" 2>/dev/null; done'
    rows["msgfmt"] = timed(
        Row("gettext", "msgfmt --statistics per catalog"), runs, ["sh", "-c", loop], root
    )
    return rows


def draft_rows(base: Path, work: Path, runs: int, articles: int, latency: float) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    root = synced_copy(base, work / "draft", limit=articles)
    pristine = work / "draft-pristine"
    reset(pristine)
    shutil.copytree(root / "locales", pristine)
    texts = sorted(
        {e.msgid for po in (root / "locales" / "ru").glob("*.po") for e in read_po(po) if e.msgid}
    )
    with LibreServer(latency=latency) as server:
        config = root / "pyproject.toml"
        original = config.read_text(encoding="utf-8")
        config.write_text(
            original + f'\n[tool.edition.engines.libre]\nurl = "{server.url}"\n', encoding="utf-8"
        )

        def fresh() -> None:
            reset(root / "locales", root / ".edition")
            shutil.copytree(pristine, root / "locales")

        rows["draft"] = timed(
            Row("edition", f"draft --engine libre, ru, {len(texts)} distinct texts"),
            runs,
            [*EDITION, "draft", "--root", str(root), "--engine", "libre", "--locale", "ru"],
            REPO,
            before=fresh,
        )
        rows["draft"].what += f" ({server.translate_requests // max(runs, 1)} requests per run)"

        def catalogs_only() -> None:
            reset(root / "locales")
            shutil.copytree(pristine, root / "locales")
            server.reset()

        # Catalogs as before the run, cache kept: everything is paid for.
        rows["draft-again"] = timed(
            Row("edition", "draft again from the cache"),
            runs,
            [*EDITION, "draft", "--root", str(root), "--engine", "libre", "--locale", "ru"],
            REPO,
            before=catalogs_only,
        )
        rows["draft-again"].what += f" ({server.translate_requests} requests)"
        from deep_translator import LibreTranslator

        # Sequential by design: one request per text, so one run is the median.
        row = Row("deep-translator", f"LibreTranslator.translate_batch, {len(texts)} texts")
        try:
            for _ in range(1):
                client = LibreTranslator(
                    source="en", target="ru", api_key="bench", custom_url=server.url
                )
                start = time.perf_counter()
                client.translate_batch(texts)
                row.samples.append(Sample(time.perf_counter() - start, 0.0))
        except Exception as exc:  # a peer's failure is reported, not fatal
            row.error = f"{type(exc).__name__}: {exc}"
        rows["deep-translator"] = row
    return rows


def publish_rows(root: Path, runs: int) -> dict[str, Row]:
    site = root / "site"
    rows: dict[str, Row] = {}
    cmd = [*EDITION, "publish", "--root", str(root)]

    def wipe() -> None:
        for p in root.iterdir():
            if p.name == "site" or p.name.startswith(".site"):
                reset(p)
        reset(root / ".edition" / "status-cache.sqlite")

    rows["publish"] = timed(Row("edition", "publish, cold"), runs, cmd, REPO, before=wipe)
    rows["publish-noop"] = timed(Row("edition", "publish, nothing changed"), runs, cmd, REPO)
    articles = sorted((root / "articles").glob("*.md"))

    def touch_one() -> None:
        # One article changes: a sentence of its English and so its catalogs.
        path = articles[len(articles) // 2]
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("\n\n", "\n\nA new opening line.\n\n", 1), "utf-8")
        run_quiet([*EDITION, "sync", "--root", str(root), "-q"], cwd=REPO)
        for po in sorted(root.glob(f"locales/*/{path.stem}.po")):
            run_quiet(["msgen", "-o", str(po), str(po)])
            run_quiet(["msgattrib", "--clear-fuzzy", "--clear-previous", "-o", str(po), str(po)])

    rows["publish-one"] = timed(
        Row("edition", "publish after one article changed"), runs, cmd, REPO, before=touch_one
    )
    if not (site / "index.html").exists():
        rows["publish"].error = rows["publish"].error or "no site/index.html was built"
    return rows


def report(rows: dict[str, Row], runs: int, notes: list[str]) -> str:
    out = [
        "# `edition status`, `check`, `draft`, `publish` benchmark",
        "",
        f"{tool_versions()}; median of {runs} runs.",
        "",
        "| tool | what | median s | runs s | peak MB |",
        "|---|---|--:|---|--:|",
    ]
    for row in rows.values():
        if row.ok:
            samples = ", ".join(f"{s.seconds:.2f}" for s in row.samples)
            peak = f"{row.peak_mb:.0f}" if row.peak_mb else ""
            out.append(f"| {row.tool} | {row.what} | {row.seconds:.2f} | {samples} | {peak} |")
        else:
            err = (row.error or "").replace("|", "\\|")
            out.append(f"| {row.tool} | {row.what} | not available | {err} | |")

    def shown(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3g}"

    pairs = [
        ("edition status (cold) / pocount", ratio(rows["status"], rows["pocount"])),
        ("edition status (warm) / pocount", ratio(rows["status-warm"], rows["pocount"])),
        (
            "edition status (warm) / msgfmt --statistics loop",
            ratio(rows["status-warm"], rows["msgfmt"]),
        ),
        ("deep-translator batch / edition draft", ratio(rows["deep-translator"], rows["draft"])),
        ("publish no-op / publish cold", ratio(rows["publish-noop"], rows["publish"])),
        ("publish after one change / publish cold", ratio(rows["publish-one"], rows["publish"])),
    ]
    out += ["", "| ratio | value |", "|---|--:|"]
    out += [f"| {name} | {shown(value)} |" for name, value in pairs]
    out += ["", *(f"- {n}" for n in notes), ""]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--draft-articles", type=int, default=40, help="about 1,000 distinct texts")
    ap.add_argument("--latency", type=float, default=0.1, help="seconds per MT request")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--workdir", type=Path, default=BENCH / "corpus" / "workflow")
    ap.add_argument("--out", type=Path, default=BENCH / "out" / "workflow.md")
    args = ap.parse_args(argv)
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    os.environ.update({k: v for k, v in child_env().items() if k == "PYTHONPATH"})
    print(f"generating {args.articles} articles ...", flush=True)
    base = generate(work, args.articles, args.seed)
    print("sync + msgen (untimed) ...", flush=True)
    root = synced_copy(base, work / "status")
    complete_catalogs(root)
    rows: dict[str, Row] = {}
    print("status, check, pocount, msgfmt ...", flush=True)
    rows.update(status_rows(root, args.runs))
    print("draft vs deep-translator ...", flush=True)
    rows.update(draft_rows(base, work, args.runs, args.draft_articles, args.latency))
    print("publish ...", flush=True)
    rows.update(publish_rows(root, args.runs))
    notes = [
        f"{args.articles} articles; catalogs completed with msgen (msgstr = msgid).",
        f"draft: {args.draft_articles} articles, loopback server answering each request "
        f"after {args.latency} s.",
    ]
    text = report(rows, args.runs, notes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
