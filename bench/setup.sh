#!/usr/bin/env bash
# Install the peer tools that bench/sync_bench.py times `edition sync` against.
#
#   - po4a (Debian): its `text` format with `-o markdown` is the closest peer
#     extractor for Markdown articles with YAML front matter.
#   - gettext (Debian): msgcat, msgmerge, msginit; msgmerge is the reference for
#     what updating catalogs after an edit costs.
#   - Translate Toolkit (PyPI, into the project venv): `md2po`, `pocount`.
#   - time (Debian): /usr/bin/time -v gives the child's peak RSS.
#
# Idempotent: packages already present are not fetched again, and `apt-get
# update` runs only when something is missing.  Needs root (apt-get).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"

need_apt=()
for pkg in po4a gettext time; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
        need_apt+=("$pkg")
    fi
done
if ((${#need_apt[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

# md2po needs the `markdown` extra (mistletoe); without it md2po installs but
# fails on import.  Test the import, not the script's presence.
if ! "$VENV/bin/python" -c 'import translate.convert.md2po' 2>/dev/null; then
    "$VENV/bin/python" -m pip install -q 'translate-toolkit[markdown]'
fi

echo "po4a:              $(po4a --version 2>/dev/null | head -n 1)"
echo "msgmerge:          $(msgmerge --version | head -n 1)"
echo "translate-toolkit: $("$VENV/bin/python" -c 'from translate.__version__ import sver; print(sver)' 2>/dev/null || echo '?')"
