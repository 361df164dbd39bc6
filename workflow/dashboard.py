"""The status dashboard: one self-contained HTML page (Jinja2, autoescaped)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from .catalog import State
from .status import Report

_ORDER = (State.REVIEWED, State.DRAFT, State.STALE, State.UNTRANSLATED)


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("workflow", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _bars(counts: dict[State, int]) -> list[dict[str, Any]]:
    total = sum(counts.values()) or 1
    return [
        {"state": s.value, "count": counts[s], "width": round(100 * counts[s] / total, 2)}
        for s in _ORDER
    ]


def render_dashboard(report: Report) -> str:
    rows = []
    for status in report.articles:
        cells = []
        for loc in report.locales:
            ed = status.editions[loc]
            cells.append(
                {
                    "locale": loc,
                    "data": ed.as_json(),
                    "unreadable": ed.unreadable,
                    "bars": _bars(ed.counts),
                    "pending": ed.pending,
                    "findings": ed.findings,
                }
            )
        rows.append({"status": status, "cells": cells})
    data = report.as_json()
    return (
        _environment()
        .get_template("dashboard.html.j2")
        .render(report=report, rows=rows, totals=data["totals"], engines=data["engines"])
    )
