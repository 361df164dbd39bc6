"""Write bench/RESULTS.md from the reports of one `bench/run`.

    python bench/results.py OUT.md REPORT.md...

Adds the machine the figures were measured on; each report keeps its own
tables of medians and ratios.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workflow.files import atomic_write


def machine() -> list[str]:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        kib = int(meminfo.read_text().split()[1])
        mem = f", {kib / 1024 / 1024:.0f} GiB RAM"
    distro = ""
    release = Path("/etc/os-release")
    if release.is_file():
        for line in release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                distro = line.split("=", 1)[1].strip('"') + ", "
    return [
        f"- Machine: {cpu}, {os.cpu_count()} CPUs{mem}",
        f"- System: {distro}Linux {platform.release()}, Python {platform.python_version()}",
        f"- Run: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
    ]


def main(argv: list[str]) -> int:
    out, *reports = argv
    parts = [
        "# Benchmark results",
        "",
        "Written by `bench/run`; every figure is a median of several runs, and each",
        "ratio compares edition with a peer measured in the same run on the same corpus.",
        "",
        *machine(),
        "",
    ]
    for report in reports:
        text = Path(report).read_text(encoding="utf-8").strip()
        # Each report's title becomes a section of this page.
        parts += [text.replace("# ", "## ", 1), ""]
    atomic_write(Path(out), "\n".join(parts).encode("utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
