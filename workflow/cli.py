"""The `edition` command line: a thin layer over the library.

Each command builds its objects, makes one call into the core and turns
`WorkflowError`s into messages on stderr and the exit codes documented in
the README (see `workflow.errors`).  Only this module prints.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import errors
from .config import Settings
from .config import load_settings as _load_settings
from .errors import ArticleError, ConfigError, RootError, WorkflowError

if TYPE_CHECKING:
    import threading

    from .article import Article
    from .status import Edition, Report

Command = Callable[[argparse.Namespace], int]


def _print_json(data: object) -> None:
    """JSON on stdout: indented for a person at a terminal, compact (and much
    faster to encode: the C encoder) for the scripts that read it."""
    indent = 2 if sys.stdout.isatty() else None
    print(json.dumps(data, ensure_ascii=False, indent=indent))


def _report(error: WorkflowError) -> None:
    print(f"error: {error}", file=sys.stderr)


class Bar:
    """A progress bar on stderr, only at a terminal and never with ``-q``:
    piped output and logs stay clean.  Redrawn at most ten times a second."""

    def __init__(self, quiet: bool = False) -> None:
        self.on = sys.stderr.isatty() and not quiet
        self.last = 0.0
        self.drawn = False

    def __call__(self, label: str, done: int, total: int) -> None:
        if not self.on:
            return
        import time

        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        width = 30
        filled = width * done // total if total else width
        bar = "#" * filled + "." * (width - filled)
        print(f"\r\x1b[K{label} [{bar}] {done}/{total}", end="", file=sys.stderr, flush=True)
        self.drawn = True

    def message(self, text: str) -> None:
        if self.on:
            print(f"\r\x1b[K{text} ...", end="", file=sys.stderr, flush=True)
            self.drawn = True

    def clear(self) -> None:
        if self.drawn:
            print("\r\x1b[K", end="", file=sys.stderr, flush=True)
            self.drawn = False


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 article``, ``2 articles``: counts in messages read as English."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def load_settings(root: Path) -> Settings:
    """The root's settings, refusing a folder that is not a content root.

    Without this, `status --root /tmp --fail-under 100` passed CI with 0
    articles and `sync` created `.edition/` wherever it was pointed."""
    if not Path(root).is_dir():
        raise RootError(
            "not a content root: no such folder",
            path=root,
            hint="pass --root with the newsroom's folder, the one that holds articles/",
        )
    settings = _load_settings(root)
    if not settings.articles_dir.is_dir():
        raise RootError(
            "not a content root: there is no articles/ folder",
            path=settings.root,
            hint="pass --root with the newsroom's folder, the one that holds articles/",
        )
    return settings


def select_articles(settings: Settings, slugs: Sequence[str] | None) -> list[Path]:
    """Article files of the root, limited to ``slugs`` when given."""
    paths = settings.article_paths()
    if not slugs:
        return paths
    from .article import slug_for  # Markdown and YAML only when needed: see __init__

    by_slug = {slug_for(p): p for p in paths}
    missing = [s for s in slugs if s not in by_slug]
    if missing:
        raise ArticleError(
            f"no article named {', '.join(missing)} in {settings.articles_dir}",
            hint="pass the file name without '.md'",
        )
    return [by_slug[s] for s in dict.fromkeys(slugs)]


def load_articles(
    settings: Settings, slugs: Sequence[str] | None, bar: Bar | None = None
) -> tuple[list[Article], int]:
    """Parse the selected articles, reporting every bad one; (articles, bad count)."""
    from .article import parse_many

    articles, bad = parse_many(select_articles(settings, slugs), settings.segment, bar)
    if bar is not None:
        bar.clear()
    for error in bad:
        _report(error)
    return articles, len(bad)


def cmd_segments(args: argparse.Namespace) -> int:
    settings = load_settings(args.root)
    articles, bad = load_articles(settings, args.article)
    if args.json:
        payload = [
            {
                "slug": a.slug,
                "segments": [
                    {
                        "msgid": s.msgid,
                        "msgctxt": s.msgctxt,
                        "kind": s.kind,
                        "line": s.line,
                        "comment": s.comment,
                    }
                    for s in a.segments
                ],
            }
            for a in articles
        ]
        _print_json(payload)
    else:
        for a in articles:
            print(f"{a.path}: {len(a.segments)} segments")
            for s in a.segments:
                print(f"  {s.line:>4}  {s.kind:<10}  {s.msgid}")
    return errors.EXIT_BAD_INPUT if bad else errors.EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    from .sync import sync

    settings = load_settings(args.root)
    paths = select_articles(settings, args.article)
    report = sync(
        settings,
        paths,
        check=args.check,
        prune_orphans=args.prune,
        all_articles=not args.article,
        wait=args.wait,
    )
    for error in report.errors:
        _report(error)
    verb = "would write" if args.check else "wrote"
    root = os.path.join(os.fspath(settings.root), "")
    # A few files are worth naming; 900 are a wall (-v lists them anyway).
    # --check names them all: that list is what CI is asked for.
    listing = not args.quiet and (args.verbose or args.check or len(report.written) <= 10)
    lines: list[str] = []
    totals = {"new": 0, "stale": 0, "obsolete": 0, "revived": 0}
    for change in report.written:
        detail = ""
        if change.stats is not None:
            s = change.stats
            counted = (
                (s.added, "new"),
                (s.stale, "stale"),
                (s.obsoleted, "obsolete"),
                (s.revived, "revived"),
            )
            for n, label in counted:
                totals[label] += n
            parts = [f"{n} {label}" for n, label in counted if n]
            detail = f" ({', '.join(parts)})" if parts else ""
        if listing:
            # Catalog paths are under the root; as text, cheaper than relative_to.
            name = os.fspath(change.path)
            shown = name[len(root) :] if name.startswith(root) else name
            lines.append(f"{verb} {shown}{detail}\n")
    sys.stdout.write("".join(lines))
    for slug in report.orphans:
        where = (
            "moved under locales/.obsolete/" if args.prune else "left in place; --prune moves them"
        )
        print(f"article {slug} was removed: its catalogs are {where}")
    unchanged = len(report.changes) - len(report.written)
    entries = ", ".join(f"{n} {label}" for label, n in totals.items() if n)
    print(
        f"{plural(report.articles, 'article')}: {plural(len(report.written), 'file')} "
        f"{'would be written' if args.check else 'written'}"
        + (f" ({entries} entries)" if entries else "")
        + f", {unchanged} unchanged, {plural(report.cached, 'article')} up to date, "
        f"{plural(len(report.errors), 'error')}"
        + ("" if listing or args.quiet or not report.written else " (-v lists the files)")
    )
    if report.errors:
        return errors.EXIT_BAD_INPUT
    if args.check and report.written:
        return errors.EXIT_FAILED_CHECK
    return errors.EXIT_OK


def _locales(settings: Settings, wanted: Sequence[str] | None) -> list[str]:
    if not wanted:
        return list(settings.locales)
    unknown = [loc for loc in wanted if loc not in settings.locales]
    if unknown:
        raise ConfigError(
            f"not a target locale: {', '.join(unknown)}",
            path=settings.root / "pyproject.toml",
            hint="targets are " + ", ".join(settings.locales),
        )
    return list(dict.fromkeys(wanted))


def cmd_status(args: argparse.Namespace) -> int:
    from .status import collect

    settings = load_settings(args.root)
    locales = _locales(settings, args.locale)
    # The table and the JSON need counts only; the dashboard lists entries.
    bar = Bar(args.quiet or args.json)
    report = collect(
        settings,
        select_articles(settings, args.article),
        locales,
        details=bool(args.html),
        progress=bar,
    )
    bar.clear()
    bad = report.errors
    for error in report.errors:
        _report(error)
    if args.html:
        from .dashboard import write_dashboard

        write_dashboard(Path(args.html), report, prune=not args.article)
    if args.json:
        _print_json(report.as_json())
    else:
        _print_status_table(report)
        if args.html:
            print(f"dashboard: {args.html}")
    if bad or report.errors:
        return errors.EXIT_BAD_INPUT
    if args.fail_under is not None:
        below = [
            f"{s.article.slug} [{loc}] {_why_below(ed, args.fail_under)}"
            for s in report.articles
            for loc, ed in s.editions.items()
            if ed.percent < args.fail_under or ed.outdated or ed.missing
        ]
        for line in below:
            print(line, file=sys.stderr)
        if below:
            print(f"{plural(len(below), 'edition')} below {args.fail_under:g}%", file=sys.stderr)
            return errors.EXIT_FAILED_CHECK
    return errors.EXIT_OK


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> list[str]:
    """Lines of a plain-text table: the first ``left`` columns flush left,
    the others (numbers) flush right under the right edge of their header."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return [line(header)] + [line(r) for r in rows]


def _why_below(ed: Edition, threshold: float) -> str:
    if ed.missing:
        return "has no catalog (run edition sync)"
    if ed.outdated:
        return f"{ed.percent:g}% reviewed, catalog out of date (run edition sync)"
    return f"{ed.percent:g}% reviewed, below {threshold:g}%"


def _print_status_table(report: Report) -> None:
    locales = report.locales
    header = ["date", "article"]
    for loc in locales:
        header += [f"{loc} %", "draft", "stale", "untr.", "QA"]
    header.append("ready")
    rows: list[list[str]] = []
    for status in report.articles:
        row = [status.article.date.isoformat(), status.article.slug]
        for loc in locales:
            ed = status.editions[loc]
            if ed.unreadable or ed.missing:
                row += ["unreadable" if ed.unreadable else "no catalog", "", "", "", ""]
                continue
            c = ed.as_json()
            mark = "*" if ed.outdated else ""
            row += [
                f"{c['percent']:.1f}{mark}",
                str(c["draft"]),
                str(c["stale"]),
                str(c["untranslated"]),
                str(c["errors"]),
            ]
        row.append("yes" if status.ready else "no")
        rows.append(row)
    for line in format_table(header, rows, left=2):
        print(line)
    totals = report.totals()
    summary = ", ".join(
        f"{loc}: {t['percent']:g}% reviewed, {t['ready']}/{t['articles']} ready"
        for loc, t in totals.items()
    )
    print(f"{plural(len(report.articles), 'article')}; {summary}")
    print("QA: errors found by edition check (warnings are not counted)")
    if any(ed.outdated for s in report.articles for ed in s.editions.values()):
        print("* catalog out of date with its article: run edition sync")


def cmd_check(args: argparse.Namespace) -> int:
    from .checks import Severity
    from .status import collect

    settings = load_settings(args.root)
    locales = _locales(settings, args.locale)
    bar = Bar(args.quiet or args.json)
    report = collect(settings, select_articles(settings, args.article), locales, progress=bar)
    bar.clear()
    bad = report.errors
    for error in report.errors:
        _report(error)
    rows: list[dict[str, object]] = []
    for status in sorted(report.articles, key=lambda s: s.article.slug):
        for loc, ed in status.editions.items():
            path = settings.po_path(loc, status.article.slug).relative_to(settings.root)
            for f in ed.findings:
                rows.append(
                    {
                        "file": str(path),
                        "line": f.line,
                        "locale": loc,
                        "slug": status.article.slug,
                        "check": f.check,
                        "severity": f.severity.value,
                        "message": f.message,
                        "msgid": f.msgid,
                    }
                )
    n_err = sum(1 for r in rows if r["severity"] == Severity.ERROR.value)
    if args.errors_only:
        rows = [r for r in rows if r["severity"] == Severity.ERROR.value]
    if args.json:
        _print_json(rows)
    else:
        _print_findings(rows)
        n_warn = sum(1 for r in rows if r["severity"] != Severity.ERROR.value)
        entries = len({(r["file"], r["line"]) for r in rows})
        summary = f"{plural(n_err, 'error')}, {plural(n_warn, 'warning')}"
        if args.errors_only:
            summary = f"{plural(n_err, 'error')} (warnings not shown)"
        print(f"{summary} in {plural(entries, 'entry', 'entries')}" if entries else summary)
        if n_warn and not args.errors_only:
            print("edition check --errors-only shows only what blocks publishing")
    if bad or report.errors:
        return errors.EXIT_BAD_INPUT
    if any(r["severity"] == Severity.ERROR.value for r in rows):
        return errors.EXIT_FAILED_CHECK
    return errors.EXIT_OK


def _print_findings(rows: list[dict[str, object]]) -> None:
    """Findings grouped per entry (``FILE:LINE``, then the English), the
    entries with errors first, each entry's errors before its warnings."""
    groups: dict[tuple[str, int], list[dict[str, object]]] = {}
    for row in rows:
        line = row["line"]
        groups.setdefault((str(row["file"]), line if isinstance(line, int) else 0), []).append(row)

    def has_error(item: tuple[tuple[str, int], list[dict[str, object]]]) -> bool:
        return any(r["severity"] == "error" for r in item[1])

    ordered = sorted(groups.items(), key=lambda item: (not has_error(item), item[0]))
    for (file, line), found in ordered:
        msgid = " ".join(str(found[0]["msgid"]).split())
        english = msgid if len(msgid) <= 70 else msgid[:69] + "…"
        print(f"{file}:{line}: {english}")
        for r in sorted(found, key=lambda r: r["severity"] != "error"):
            print(f"  {r['severity']:<7} [{r['check']}] {r['message']}")


def cmd_publish(args: argparse.Namespace) -> int:
    from .site import publish

    settings = load_settings(args.root)
    out = Path(args.out) if args.out else None
    paths = select_articles(settings, None)
    bar = Bar(args.quiet or args.json)
    try:
        report = publish(
            settings,
            paths,
            out=out,
            base_url=args.base_url,
            wait=args.wait,
            progress=bar,
            corrections=args.correction or (),
        )
    finally:
        bar.clear()
    bad = report.errors
    for error in report.errors:
        _report(error)
    if args.json:
        _print_json(report.as_json())
    else:
        for slug, blockers in report.held.items():
            for b in blockers:
                print(f"held {slug}: {b.locale} is not ready: {'; '.join(b.reasons)}")
        for slug in report.outdated:
            print(f"outdated {slug}: held back; its last complete editions stay online")
        for slug in report.corrected:
            print(
                f"corrected {slug}: the English is republished; {', '.join(settings.locales)} "
                "stay as last published, with a note, until they are ready "
                "(logged in corrections.log)"
            )
        print(
            f"{plural(len(report.published), 'article')} published in {1 + len(settings.locales)} languages "
            f"({len(report.rendered)} rendered, {len(report.reused)} unchanged), "
            f"{len(report.held)} held, {len(report.outdated)} outdated"
        )
        print(report.out)
    if bad or report.errors:
        return errors.EXIT_BAD_INPUT
    if args.strict and report.held:
        return errors.EXIT_FAILED_CHECK
    return errors.EXIT_OK


def cmd_assemble(args: argparse.Namespace) -> int:
    from .assemble import assemble

    settings = load_settings(args.root)
    locales = (
        [settings.source, *_locales(settings, args.locale)]
        if not args.locale
        else (_locales(settings, args.locale))
    )
    bar = Bar(args.quiet)
    articles, bad = load_articles(settings, args.article, bar)
    out = Path(args.out) if args.out else settings.root / "editions"
    report = assemble(settings, articles, locales, out, progress=bar, include_all=args.all)
    bar.clear()
    for error in report.errors:
        _report(error)
    for held in report.held:
        print(f"held {held.slug} {held.locale}: not ready: {'; '.join(held.reasons)}")
    listed = 0
    for path in report.written:
        english = report.drafts.get(path)
        if args.verbose or english is not None:  # a draft edition is worth naming
            marked = f" (draft: {english} entries still in English)" if english is not None else ""
            print(f"wrote {path}{marked}")
            listed += 1
    print(
        f"{plural(len(report.written), 'edition')} written, {len(report.unchanged)} unchanged, "
        f"{len(report.held)} held, in {out}"
        + (" (--all writes them marked draft: true)" if report.held else "")
        + ("" if listed == len(report.written) else " (-v lists them)")
    )
    return errors.EXIT_BAD_INPUT if bad or report.errors else errors.EXIT_OK


def port_number(text: str) -> int:
    """``--port``: 0 (any free port) to 65535, refused by argparse otherwise."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"{port} is not a port: use 1-65535, or 0 for any free one"
        )
    return port


def cmd_serve(args: argparse.Namespace) -> int:
    import threading

    from .dashboard import write_dashboard
    from .serve import serve
    from .status import collect

    settings = load_settings(args.root)
    out = Path(args.out) if args.out else settings.root / "site"
    if not out.exists():
        raise WorkflowError("no site has been built yet", path=out, hint="run edition publish")
    dashboard = settings.state_dir / "status.html"
    lock = threading.Lock()
    from .preview import default_out, preview

    def catalogs_and_articles(*extra: str) -> Callable[[], list[Path]]:
        def inputs() -> list[Path]:
            return [
                *settings.article_paths(),
                *settings.locales_dir.glob("*/*.po"),
                *(p for pattern in extra for p in settings.locales_dir.glob(pattern)),
                settings.root / "pyproject.toml",
            ]

        return inputs

    def build_dashboard() -> None:
        write_dashboard(dashboard, collect(settings, settings.article_paths(), settings.locales))

    def build_preview() -> None:
        preview(settings, settings.article_paths(), settings.locales)

    # The dashboard also shows spelling (word lists) and glossary findings.
    refresh = _rebuilt_when_changed(
        lock, catalogs_and_articles("*/words.txt", "*/glossary.*"), dashboard, build_dashboard
    )
    refresh()  # fresh from the start, never one left by an earlier run
    refresh_preview = _rebuilt_when_changed(
        lock, catalogs_and_articles(), default_out(settings) / "index.html", build_preview
    )

    try:
        serve(
            out,
            dashboard,
            args.port,
            announce=lambda url: print(
                f"serving {url} (dashboard: {url}status.html, preview: {url}preview/)", flush=True
            ),
            refresh=refresh,
            preview=(default_out(settings), refresh_preview),
        )
    except OSError as exc:
        reason = "is in use" if exc.errno in (98, 48) else f"cannot be opened ({exc.strerror})"
        print(
            f"error: port {args.port} on 127.0.0.1 {reason} (pick another with --port, "
            "or --port 0 for any free one)",
            file=sys.stderr,
        )
        return errors.EXIT_USAGE
    return errors.EXIT_OK


def _rebuilt_when_changed(
    lock: threading.Lock,
    inputs: Callable[[], list[Path]],
    output: Path,
    build: Callable[[], None],
) -> Callable[[], None]:
    """A function that runs ``build`` when one of ``inputs()`` was added,
    removed or modified since its last run, or ``output`` is missing."""
    from .dashboard import newest_change

    last: list[tuple[int, int]] = []

    def refresh() -> None:
        with lock:
            files = inputs()
            mark = (len(files), newest_change(files))
            if last == [mark] and output.is_file():
                return
            build()
            last[:] = [mark]

    return refresh


def cmd_preview(args: argparse.Namespace) -> int:
    from .preview import STATES, preview

    settings = load_settings(args.root)
    locales = _locales(settings, args.locale)
    paths = select_articles(settings, args.article)
    bar = Bar(args.quiet)
    try:
        report = preview(
            settings, paths, locales, Path(args.out) if args.out else None, progress=bar
        )
    finally:
        bar.clear()
    for error in report.errors:
        _report(error)
    summary = ", ".join(f"{report.counts[s]} {s}" for s in STATES)
    print(f"{plural(len(report.pages), 'page')} previewed (segments: {summary}); not published")
    print(report.out)
    return errors.EXIT_BAD_INPUT if report.errors else errors.EXIT_OK


def cmd_draft(args: argparse.Namespace) -> int:
    from .draft import advice, check_step, draft

    settings = load_settings(args.root)
    locales = _locales(settings, args.locale)
    if args.engine is not None:
        try:
            check_step(args.engine, settings)
        except ConfigError as exc:
            print(f"error: --engine {args.engine}: {exc}", file=sys.stderr)
            return errors.EXIT_USAGE
    slugs = [p.stem for p in select_articles(settings, args.article)]
    bar = Bar(args.quiet or args.json)
    report = draft(
        settings,
        slugs,
        locales,
        engine=args.engine,
        dry_run=args.dry_run,
        wait=args.wait,
        progress=bar.message,
    )
    bar.clear()
    for error in report.errors:
        _report(error)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        _print_json(report.as_json())
    else:
        verb = "would draft" if args.dry_run else "drafted"
        for (engine, locale), n in sorted(report.drafted.items()):
            print(f"{verb} {n:5} {locale} {'entry' if n == 1 else 'entries'} with {engine}")
        for name, reason in report.dropped.items():
            print(f"engine {name} dropped for this run: {reason}")
        for locale, n in sorted(report.glossary.items()):
            print(
                f"glossary: {n:5} {locale} {'draft lacks' if n == 1 else 'drafts lack'} a "
                "term's house rendering (see their '# glossary:' comment)"
            )
        if args.verbose:
            for f in report.failed:
                print(f"not drafted: {f.locale} {f.slug}: {f.msgid[:60]!r}: {f.reason}")
        faults = report.faults
        if faults:
            by_reason: dict[str, int] = {}
            for f in faults:
                by_reason[f.reason] = by_reason.get(f.reason, 0) + 1
            print(
                f"{plural(len(faults), 'entry', 'entries')} not drafted because something failed:"
            )
            for reason, n in sorted(by_reason.items(), key=lambda kv: -kv[1])[:5]:
                print(f"  {n:5}  {reason}")
            if len(by_reason) > 5:
                print(f"  ... and {plural(len(by_reason) - 5, 'other reason')}")
        for line in advice(settings, report, args.engine):
            print(line)
        if report.failed and not args.verbose:
            print("edition draft -v lists every entry not drafted, with its reasons")
        print(
            f"{sum(report.drafted.values())} {verb}, {len(report.failed)} not drafted, "
            f"{plural(report.cache_hits, 'cache hit')}, {plural(report.requests, 'request')} "
            f"({plural(report.sent, 'text')} sent), "
            f"{plural(len(report.written), 'catalog')} written"
        )
    if report.errors:
        return errors.EXIT_BAD_INPUT
    return errors.EXIT_FAILED_CHECK if report.faults else errors.EXIT_OK


def cmd_memory(args: argparse.Namespace) -> int:
    from .memory import export_tmx, import_tmx

    settings = load_settings(args.root)
    path = Path(args.file)
    if args.action == "export":
        units = export_tmx(settings, path, list(settings.locales))
        print(f"wrote {units} translation units to {path}")
    else:
        warnings: list[str] = []
        counts = import_tmx(settings, path, warnings=warnings)
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        detail = ", ".join(f"{n} {loc}" for loc, n in sorted(counts.items())) or "none"
        print(f"imported units from {path}: {detail}")
    return errors.EXIT_OK


def cmd_glossary(args: argparse.Namespace) -> int:
    from .glossary import export_tbx, import_tbx

    settings = load_settings(args.root)
    locales = _locales(settings, args.locale)
    path = Path(args.file)
    if args.action == "export":
        terms, bad = export_tbx(settings, path, locales)
        for error in bad:
            _report(error)
        print(f"wrote {plural(terms, 'term')} ({', '.join(locales)}) to {path}")
        return errors.EXIT_BAD_INPUT if bad else errors.EXIT_OK
    if not path.is_file():
        raise errors.WorkflowError("no such file", path=path, hint="give the TBX file to import")
    results = import_tbx(settings, path, locales)
    for r in results:
        print(
            f"{r.file.relative_to(settings.root)}: {r.added} added, {r.updated} updated, "
            f"{r.unchanged} unchanged"
        )
    if not results:
        print(f"no terms for {', '.join(locales)} in {path}")
    return errors.EXIT_OK


def cmd_weblate(args: argparse.Namespace) -> int:
    from .config import weblate_settings
    from .weblate import Client, apply, plan, shown

    settings = load_settings(args.root)
    config = weblate_settings(settings)
    client = Client(config)
    the_plan = plan(settings, config, client)
    if not args.dry_run:
        apply(the_plan, client)
    if args.json:
        _print_json({**the_plan.as_json(), "dry_run": bool(args.dry_run)})
        return errors.EXIT_OK
    verbs = (
        {"create": "would create", "update": "would update", "unchanged": "unchanged"}
        if args.dry_run
        else {"create": "created", "update": "updated", "unchanged": "unchanged"}
    )
    for change in the_plan.changes:
        print(f"{verbs[change.action]} {change.kind} {change.slug}")
        for name, (old, new) in change.diff.items():
            print(f"    {name}: {shown(old)!r} -> {shown(new)!r}")
    for slug in the_plan.extra:
        print(f"left alone: component {slug} has no article in this root")
    counts = {a: sum(1 for c in the_plan.changes if c.action == a) for a in verbs}
    if not the_plan.pending:
        print(f"{the_plan.url}: project {the_plan.project} is up to date; nothing to change")
    else:
        print(
            f"{the_plan.url}: project {the_plan.project}: {counts['create']} {verbs['create']}, "
            f"{counts['update']} {verbs['update']}, {counts['unchanged']} unchanged"
        )
    return errors.EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edition",
        description="Translate and publish a newsroom's articles in English, Belarusian and Russian.",
        epilog="Exit codes: 0 done, 1 a check failed, 2 usage, 3 bad input, 4 busy, 130 interrupted.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"edition {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func: Command, help_text: str, example: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=f"Example: {example}",
        )
        p.add_argument(
            "--root", default=".", type=Path, help="content root (default: the current directory)"
        )
        p.set_defaults(func=func)
        return p

    p = command(
        "sync",
        cmd_sync,
        "Write locales/<slug>.pot and locales/<lang>/<slug>.po for every article.",
        "edition sync --root newsroom --check",
    )
    p.add_argument(
        "--article", action="append", metavar="SLUG", help="only this article (repeatable)"
    )
    p.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if any catalog is out of date"
    )
    p.add_argument(
        "--prune",
        action="store_true",
        help="move catalogs of removed articles to locales/.obsolete/",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors and the summary")
    p.add_argument("-v", "--verbose", action="store_true", help="list every file written")
    p.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for another running sync (default 30)",
    )

    p = command(
        "status",
        cmd_status,
        "Show which editions are ready: reviewed, draft, stale, untranslated, QA.",
        "edition status --json --fail-under 100",
    )
    p.add_argument("--locale", action="append", metavar="L", help="only this locale (repeatable)")
    p.add_argument(
        "--article", action="append", metavar="SLUG", help="only this article (repeatable)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--html",
        metavar="FILE",
        help="also write the dashboard: FILE and a page per article in FILE's name without .html",
    )
    p.add_argument(
        "--fail-under",
        type=float,
        metavar="PCT",
        help="exit 1 when any selected edition is below PCT percent reviewed (or out of date)",
    )

    p = command(
        "check",
        cmd_check,
        "Run the quality checks on every translation; exit 1 on any error.",
        "edition check --locale be --json",
    )
    p.add_argument("--locale", action="append", metavar="L", help="only this locale (repeatable)")
    p.add_argument(
        "--article", action="append", metavar="SLUG", help="only this article (repeatable)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--errors-only", action="store_true", help="only the errors (what blocks publishing)"
    )

    p = command(
        "draft",
        cmd_draft,
        "Fill empty entries with machine drafts (fuzzy, '# draft: ENGINE') for a human to review.",
        "edition draft --locale be --engine libre --dry-run",
    )
    p.add_argument("--locale", action="append", metavar="L", help="only this locale (repeatable)")
    p.add_argument(
        "--article", action="append", metavar="SLUG", help="only this article (repeatable)"
    )
    p.add_argument(
        "--engine",
        metavar="NAME",
        help="use only this route step: memory, google, mymemory, deepl, libre, microsoft, "
        "yandex, apertium or pivot:LOCALE+ENGINE",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="write nothing and send nothing; say what would be"
    )
    p.add_argument("--json", action="store_true", help="machine-readable report")
    p.add_argument(
        "--wait", type=float, default=30.0, metavar="SECONDS", help="how long to wait for the lock"
    )
    p.add_argument(
        "-v", "--verbose", action="store_true", help="list every entry not drafted, with reasons"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line")

    p = command(
        "memory",
        cmd_memory,
        "Export the reviewed translations as TMX 1.4, or import a TMX memory.",
        "edition memory export newsroom.tmx",
    )
    p.add_argument("action", choices=["export", "import"])
    p.add_argument("file", metavar="FILE.tmx")

    p = command(
        "glossary",
        cmd_glossary,
        "Export the house terminology (locales/<lang>/glossary.csv or .tbx) as TBX-Basic, "
        "or import a TBX glossary (Weblate's export) into it.",
        "edition glossary export --locale be glossary-be.tbx",
    )
    p.add_argument("action", choices=["export", "import"])
    p.add_argument("file", metavar="FILE.tbx")
    p.add_argument("--locale", action="append", metavar="L", help="only this locale (repeatable)")

    p = command(
        "publish",
        cmd_publish,
        "Build the static site: each article in every language, or not at all.",
        "edition publish --base-url https://review.example.org --strict",
    )
    p.add_argument("--out", metavar="DIR", help="where the site goes (default: site/ in the root)")
    p.add_argument(
        "--base-url", metavar="URL", help="absolute URL of the site, for links and feeds"
    )
    p.add_argument("--strict", action="store_true", help="exit 1 when any article is held back")
    p.add_argument(
        "--correction",
        action="append",
        metavar="SLUG",
        help="publish this published article's corrected English now; its translations stay "
        "as last published, with a note, until they catch up (repeatable; logged)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="machine-readable report")
    p.add_argument(
        "--wait", type=float, default=30.0, metavar="SECONDS", help="how long to wait for the lock"
    )

    p = command(
        "assemble",
        cmd_assemble,
        "Write each ready edition as Markdown with translated front matter (for Hugo, MkDocs).",
        "edition assemble --locale be --out build/content",
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="also write editions that are not ready, marked draft: true in their front matter",
    )
    p.add_argument("--locale", action="append", metavar="L", help="only this locale (repeatable)")
    p.add_argument(
        "--article", action="append", metavar="SLUG", help="only this article (repeatable)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("-v", "--verbose", action="store_true", help="list every file written")
    p.add_argument("--out", metavar="DIR", help="output folder (default: editions/ in the root)")

    p = command(
        "serve",
        cmd_serve,
        "Preview the built site, the status dashboard and the translators' preview on 127.0.0.1.",
        "edition serve --port 8000",
    )
    p.add_argument("--out", metavar="DIR", help="the built site (default: site/ in the root)")
    p.add_argument(
        "--port", type=port_number, default=8000, help="port on 127.0.0.1 (default 8000; 0: any)"
    )

    p = command(
        "preview",
        cmd_preview,
        "Render each edition as it would publish now, drafts, stale entries and gaps marked "
        "with their PO file and line, for translators (never into the published site).",
        "edition preview --locale be --article week-21-union-state-tax-accord",
    )
    p.add_argument("--locale", action="append", metavar="L", help="only this locale (repeatable)")
    p.add_argument(
        "--article", action="append", metavar="SLUG", help="only this article (repeatable)"
    )
    p.add_argument("--out", metavar="DIR", help="where the pages go (default: .edition/preview/)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    p = command(
        "weblate",
        cmd_weblate,
        "Create or update the Weblate project: one component per article, from the "
        "content repository (URL and token: WEBLATE_URL, WEBLATE_TOKEN).",
        "edition weblate --root newsroom --dry-run",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="change nothing; show what would be created or updated",
    )
    p.add_argument("--json", action="store_true", help="machine-readable report")

    p = command(
        "segments",
        cmd_segments,
        "Show how articles are cut into translatable segments.",
        "edition segments --article week-21-union-state-tax-accord",
    )
    p.add_argument(
        "--article", action="append", metavar="SLUG", help="only this article (repeatable)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except WorkflowError as exc:
        _report(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return errors.EXIT_INTERRUPTED
    except BrokenPipeError:
        return errors.EXIT_OK
    except OSError as exc:
        # A full disk, a read-only root, a directory or a symlink loop where
        # a file should be: one line naming the path, never a traceback.
        print(f"error: {_os_error(exc)}", file=sys.stderr)
        return errors.EXIT_BAD_INPUT
    except Exception as exc:
        # sqlite3 is only imported by the commands that use a cache.
        sqlite3 = sys.modules.get("sqlite3")
        if sqlite3 is None or not isinstance(exc, sqlite3.Error):
            raise
        print(f"error: a database in .edition/: {exc}", file=sys.stderr)
        return errors.EXIT_BAD_INPUT
    return code


def _os_error(exc: OSError) -> str:
    """``PATH: strerror`` (both paths of a failed rename)."""
    reason = exc.strerror or str(exc)
    if exc.filename is None:
        return reason
    where = os.fsdecode(exc.filename)
    if exc.filename2 is not None:
        where += f" -> {os.fsdecode(exc.filename2)}"
    return f"{where}: {reason}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
