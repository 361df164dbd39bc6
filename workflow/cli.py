"""The `edition` command line: a thin layer over the library.

Each command builds its objects, makes one call into the core and turns
`WorkflowError`s into messages on stderr and the exit codes documented in
the README (see `workflow.errors`).  Only this module prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import errors
from .config import Settings, load_settings
from .errors import ArticleError, WorkflowError

if TYPE_CHECKING:
    from .article import Article

Command = Callable[[argparse.Namespace], int]


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
        print(json.dumps(payload, ensure_ascii=False, indent=2))
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
        print(f"{verb} {change.path.relative_to(settings.root)}{detail}")
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
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
