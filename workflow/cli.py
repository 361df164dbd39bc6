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
from .config import Settings, load_settings
from .errors import ArticleError, ConfigError, WorkflowError

if TYPE_CHECKING:
    from .status import Report

if TYPE_CHECKING:
    from .article import Article

Command = Callable[[argparse.Namespace], int]


def _print_json(data: object) -> None:
    """JSON on stdout: indented for a person at a terminal, compact (and much
    faster to encode: the C encoder) for the scripts that read it."""
    indent = 2 if sys.stdout.isatty() else None
    print(json.dumps(data, ensure_ascii=False, indent=indent))


def _report(error: WorkflowError) -> None:
    print(f"error: {error}", file=sys.stderr)


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


def load_articles(settings: Settings, slugs: Sequence[str] | None) -> tuple[list[Article], int]:
    """Parse the selected articles, reporting every bad one; (articles, bad count)."""
    from .article import parse_many

    articles, bad = parse_many(select_articles(settings, slugs), settings.segment)
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
    lines: list[str] = []
    for change in [] if args.quiet else report.written:
        detail = ""
        if change.stats is not None:
            s = change.stats
            parts = [
                f"{n} {label}"
                for n, label in (
                    (s.added, "new"),
                    (s.stale, "stale"),
                    (s.obsoleted, "obsolete"),
                    (s.revived, "revived"),
                )
                if n
            ]
            detail = f" ({', '.join(parts)})" if parts else ""
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
    print(
        f"{report.articles} articles: {len(report.written)} files {verb}, {unchanged} unchanged, "
        f"{report.cached} articles up to date, {len(report.errors)} errors"
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
    from .files import atomic_write
    from .status import collect

    settings = load_settings(args.root)
    locales = _locales(settings, args.locale)
    # The table and the JSON need counts only; the dashboard lists entries.
    report = collect(
        settings, select_articles(settings, args.article), locales, details=bool(args.html)
    )
    bad = report.errors
    for error in report.errors:
        _report(error)
    if args.html:
        from .dashboard import render_dashboard

        atomic_write(Path(args.html), render_dashboard(report).encode("utf-8"))
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
            f"{s.article.slug} [{loc}] {ed.percent:g}%"
            for s in report.articles
            for loc, ed in s.editions.items()
            if ed.percent < args.fail_under or ed.outdated or ed.missing
        ]
        if below:
            print(f"below {args.fail_under:g}%: " + ", ".join(below), file=sys.stderr)
            return errors.EXIT_FAILED_CHECK
    return errors.EXIT_OK


def _print_status_table(report: Report) -> None:
    locales = report.locales
    header = ["article".ljust(40)] + [f"{loc:>22}" for loc in locales] + ["  ready"]
    print(" ".join(header))
    print(" ".join(["".ljust(40)] + [f"{'%  drft stale untr QA':>22}" for _ in locales]))
    for status in report.articles:
        cells = [f"{status.article.date} {status.article.slug}"[:40].ljust(40)]
        for loc in locales:
            ed = status.editions[loc]
            if ed.unreadable:
                cells.append(f"{'unreadable':>22}")
                continue
            if ed.missing:
                cells.append(f"{'no catalog':>22}")
                continue
            c = ed.as_json()
            mark = "*" if ed.outdated else " "
            cells.append(
                f"{c['percent']:5.1f}{mark}{c['draft']:5} {c['stale']:5} "
                f"{c['untranslated']:4} {c['errors']:2}"
            )
        cells.append("  yes" if status.ready else "  no")
        print(" ".join(cells))
    totals = report.totals()
    summary = ", ".join(
        f"{loc}: {t['percent']:g}% reviewed, {t['ready']}/{t['articles']} ready"
        for loc, t in totals.items()
    )
    print(f"{len(report.articles)} articles; {summary}")
    if any(ed.outdated for s in report.articles for ed in s.editions.values()):
        print("* catalog out of date with its article: run edition sync")


def cmd_check(args: argparse.Namespace) -> int:
    from .checks import Severity
    from .status import collect

    settings = load_settings(args.root)
    locales = _locales(settings, args.locale)
    report = collect(settings, select_articles(settings, args.article), locales)
    bad = report.errors
    for error in report.errors:
        _report(error)
    rows = []
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
    if args.json:
        _print_json(rows)
    else:
        for row in rows:
            print(
                f"{row['file']}:{row['line']}: {row['severity']} [{row['check']}] {row['message']}"
            )
        n_err = sum(1 for r in rows if r["severity"] == Severity.ERROR.value)
        print(f"{n_err} errors, {len(rows) - n_err} warnings")
    if bad or report.errors:
        return errors.EXIT_BAD_INPUT
    if any(r["severity"] == Severity.ERROR.value for r in rows):
        return errors.EXIT_FAILED_CHECK
    return errors.EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    from .site import publish

    settings = load_settings(args.root)
    out = Path(args.out) if args.out else None
    paths = select_articles(settings, None)
    report = publish(settings, paths, out=out, base_url=args.base_url, wait=args.wait)
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
        print(
            f"{len(report.published)} articles published in {1 + len(settings.locales)} languages "
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
    articles, bad = load_articles(settings, args.article)
    out = Path(args.out) if args.out else settings.root / "editions"
    report = assemble(settings, articles, locales, out, include_all=args.all)
    for error in report.errors:
        _report(error)
    for held in report.held:
        print(f"held {held.slug} {held.locale}: not ready: {'; '.join(held.reasons)}")
    for path in report.written:
        english = report.drafts.get(path)
        marked = f" (draft: {english} entries still in English)" if english is not None else ""
        print(f"wrote {path}{marked}")
    print(
        f"{len(report.written)} written, {len(report.unchanged)} unchanged, "
        f"{len(report.held)} held"
        + (" (--all writes them marked draft: true)" if report.held else "")
    )
    return errors.EXIT_BAD_INPUT if bad or report.errors else errors.EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve

    settings = load_settings(args.root)
    out = Path(args.out) if args.out else settings.root / "site"
    if not out.exists():
        raise WorkflowError("no site has been built yet", path=out, hint="run edition publish")
    dashboard = settings.state_dir / "status.html"
    serve(out, dashboard, args.port, announce=lambda url: print(f"serving {url}", flush=True))
    return errors.EXIT_OK


def cmd_draft(args: argparse.Namespace) -> int:
    from .draft import draft

    settings = load_settings(args.root)
    locales = _locales(settings, args.locale)
    slugs = [p.stem for p in select_articles(settings, args.article)]
    tty = sys.stderr.isatty() and not args.json

    def progress(message: str) -> None:
        if tty:
            print(f"\r\x1b[K{message} ...", end="", file=sys.stderr, flush=True)

    report = draft(
        settings,
        slugs,
        locales,
        engine=args.engine,
        dry_run=args.dry_run,
        wait=args.wait,
        progress=progress,
    )
    if tty:
        print("\r\x1b[K", end="", file=sys.stderr, flush=True)
    for error in report.errors:
        _report(error)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        _print_json(report.as_json())
    else:
        verb = "would draft" if args.dry_run else "drafted"
        for (engine, locale), n in sorted(report.drafted.items()):
            print(f"{verb} {n:5} {locale} entries with {engine}")
        for name, reason in report.dropped.items():
            print(f"engine {name} dropped for this run: {reason}")
        for f in report.failed:
            print(f"not drafted: {f.locale} {f.slug}: {f.msgid[:60]!r}: {f.reason}")
        print(
            f"{sum(report.drafted.values())} {verb}, {len(report.failed)} not drafted, "
            f"{report.cache_hits} cache hits, {report.requests} requests "
            f"({report.sent} texts sent), {len(report.written)} catalogs written"
        )
    if report.errors:
        return errors.EXIT_BAD_INPUT
    return errors.EXIT_FAILED_CHECK if report.failed else errors.EXIT_OK


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edition",
        description="Translate and publish a newsroom's articles in English, Belarusian and Russian.",
        epilog="Exit codes: 0 done, 1 a check failed, 2 usage, 3 bad input, 4 busy, 130 interrupted.",
    )
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
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--html", metavar="FILE", help="also write a self-contained dashboard page")
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
    p.add_argument("--json", action="store_true", help="machine-readable output")

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

    p = command(
        "memory",
        cmd_memory,
        "Export the reviewed translations as TMX 1.4, or import a TMX memory.",
        "edition memory export newsroom.tmx",
    )
    p.add_argument("action", choices=["export", "import"])
    p.add_argument("file", metavar="FILE.tmx")

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
    p.add_argument("--out", metavar="DIR", help="output folder (default: editions/ in the root)")

    p = command(
        "serve",
        cmd_serve,
        "Preview the built site and the status dashboard on 127.0.0.1.",
        "edition serve --port 8000",
    )
    p.add_argument("--out", metavar="DIR", help="the built site (default: site/ in the root)")
    p.add_argument(
        "--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000; 0: any)"
    )

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
