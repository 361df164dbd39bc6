"""The round trip through a real Weblate (opt-in: `make test-weblate`).

`.ci/weblate-setup` installs Weblate (its own venv) and PostgreSQL and
migrates a template database once; each test here gets a copy of that
database, a fresh data folder and its own Weblate process on 127.0.0.1
(granian, Weblate's WSGI server; eager tasks, no Redis or Celery worker), and a bare clone of a
content root served over git's smart HTTP.  Then, as a newsroom would:
`edition weblate` registers the root; an English edit goes through
`edition sync` and a push; Weblate pulls it and shows the entry as needing
review with the previous English; a translator approves a new translation
through Weblate's API; Weblate commits and pushes; the newsroom pulls, and
`edition status` says ready with no reformatting commit in between.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polib
import pytest
import requests

from tests_weblate.git_http import GitHttpServer

ROOT = Path(__file__).resolve().parent.parent
HOME = Path(os.environ.get("EDITION_WEBLATE_HOME", "/var/tmp/edition-weblate"))
SLUG = "week-21-union-state-tax-accord"
PROJECT = "newsroom"
#: No proxy anywhere: Weblate passes http_proxy to git but not no_proxy.
NO_PROXY_ENV = {
    k: v
    for k, v in os.environ.items()
    if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _psql(port: str, sql: str) -> None:
    env = {**NO_PROXY_ENV, "PGPASSWORD": "edition_weblate"}
    subprocess.run(
        [
            *("psql", "-h", "127.0.0.1", "-p", port, "-U", "edition_weblate", "-d", "postgres"),
            *("-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql),
        ],
        env=env,
        check=True,
        capture_output=True,
    )


@dataclass
class Weblate:
    url: str
    token: str
    log: Path

    def api(self, method: str, path: str, **data: Any) -> Any:
        response = requests.request(
            method,
            f"{self.url}/api/{path}",
            headers={"Authorization": f"Token {self.token}", "Accept": "application/json"},
            json=data or None,
            timeout=600,
            proxies={"http": "", "https": ""},
        )
        assert response.status_code < 400, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else None

    def units(self, lang: str) -> list[dict[str, Any]]:
        path: str | None = f"translations/{PROJECT}/{SLUG}/{lang}/units/"
        units: list[dict[str, Any]] = []
        while path:
            page = self.api("GET", path)
            units += page["results"]
            nxt = page["next"]
            path = nxt.split("/api/", 1)[1] if nxt else None
        return units


@pytest.fixture
def weblate(tmp_path: Path) -> Iterator[Weblate]:
    token_file = HOME / "token"
    if not token_file.is_file():
        pytest.fail(f"no Weblate prepared in {HOME}: run .ci/weblate-setup (make test-weblate)")
    token = token_file.read_text().strip()
    pgport = (HOME / "pgport").read_text().strip()
    database = f"edition_weblate_t{os.getpid()}"
    _psql(pgport, f"DROP DATABASE IF EXISTS {database}")
    _psql(pgport, f"CREATE DATABASE {database} TEMPLATE edition_weblate_template")
    try:
        yield from _run_weblate(tmp_path, token, pgport, database)
    finally:
        _psql(pgport, f"DROP DATABASE IF EXISTS {database}")


def _run_weblate(tmp_path: Path, token: str, pgport: str, database: str) -> Iterator[Weblate]:
    """Weblate on a free port of 127.0.0.1 over ``database``, until the test ends."""
    port = _free_port()
    data = tmp_path / "weblate-data"
    data.mkdir()
    # Weblate runs git with HOME=DATA_DIR/home; its glossary commits need a
    # committer (a real install gets one from `weblate` setup).
    (data / "home").mkdir()
    for home in (data, data / "home"):
        (home / ".gitconfig").write_text(
            "[user]\n\tname = Weblate\n\temail = weblate@example.org\n"
        )
    env = {
        **NO_PROXY_ENV,
        "PYTHONPATH": str(HOME),
        "DJANGO_SETTINGS_MODULE": "edition_weblate_settings",
        "EDITION_WEBLATE_DATA": str(data),
        "EDITION_WEBLATE_DB": database,
        "EDITION_WEBLATE_PGPORT": pgport,
        "EDITION_WEBLATE_PORT": str(port),
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(data),
    }
    log = tmp_path / "weblate.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                *(str(HOME / "venv/bin/granian"), "--interface", "wsgi", "--host", "127.0.0.1"),
                *("--port", str(port), "--workers", "1", "--blocking-threads", "4"),
                "weblate.wsgi:application",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if requests.get(f"{url}/api/", timeout=5, proxies={"http": ""}).ok:
                    break
            except requests.ConnectionError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("Weblate did not start:\n" + log.read_text(errors="replace")[-3000:])
            time.sleep(0.5)
        yield Weblate(url, token, log)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _git(cwd: Path, *args: str) -> str:
    env = {
        **NO_PROXY_ENV,
        "GIT_AUTHOR_NAME": "Newsroom",
        "GIT_AUTHOR_EMAIL": "desk@example.org",
        "GIT_COMMITTER_NAME": "Newsroom",
        "GIT_COMMITTER_EMAIL": "desk@example.org",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return result.stdout


def _edition(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workflow", *args, "--root", str(root)],
        env={**NO_PROXY_ENV, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


@dataclass
class Content:
    """The newsroom's working copy, and the repository both sides push to."""

    work: Path
    remote: str
    git: GitHttpServer


@pytest.fixture
def content(tmp_path: Path) -> Iterator[Content]:
    """The sample newsroom, synced, committed and pushed to a bare
    repository served over smart HTTP."""
    repos = tmp_path / "repos"
    repos.mkdir()
    work = tmp_path / "newsroom"
    work.mkdir()
    shutil.copytree(ROOT / "articles", work / "articles")
    shutil.copytree(ROOT / "locales", work / "locales")
    (work / ".gitignore").write_text(".edition/\nsite/\n")
    with GitHttpServer(repos) as git_server:
        remote = f"{git_server.url}/content.git"
        (work / "pyproject.toml").write_text(
            "[tool.edition]\n"
            'source = "en"\nlocales = ["be", "ru"]\n\n'
            "[tool.edition.weblate]\n"
            f'project = "{PROJECT}"\nname = "Newsroom"\nwebsite = "https://newsroom.example.org"\n'
            f'repo = "{remote}"\nbranch = "main"\npush = "{remote}"\n'
        )
        assert _edition(work, "sync").returncode == 0
        _git(repos, "init", "-q", "--bare", "-b", "main", "content.git")
        _git(repos / "content.git", "config", "http.receivepack", "true")
        _git(work, "init", "-q", "-b", "main")
        _git(work, "add", "-A")
        _git(work, "commit", "-qm", "newsroom")
        _git(work, "remote", "add", "origin", remote)
        _git(work, "push", "-q", "-u", "origin", "main")
        yield Content(work, remote, git_server)


def test_round_trip_through_weblate(weblate: Weblate, content: Content) -> None:
    timings: dict[str, float] = {}
    start = time.monotonic()
    work, git_server = content.work, content.git
    env = {"WEBLATE_URL": weblate.url, "WEBLATE_TOKEN": weblate.token}
    dry = _edition(work, "weblate", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert f"would create component {SLUG}" in dry.stdout
    assert weblate.api("GET", "projects/")["count"] == 0
    t = time.monotonic()
    first = _edition(work, "weblate", env=env)
    timings["edition weblate (create, clone)"] = time.monotonic() - t
    assert first.returncode == 0, first.stderr + first.stdout
    assert weblate.token not in first.stdout + first.stderr
    again = _edition(work, "weblate", env=env)
    assert again.returncode == 0, again.stderr
    assert "nothing to change" in again.stdout, again.stdout

    # Weblate shows the article's entries, with the reviewed translations.
    components = weblate.api("GET", f"projects/{PROJECT}/components/")["results"]
    articles = sorted(p.stem for p in (work / "articles").glob("*.md"))
    assert sorted(c["slug"] for c in components if not c["is_glossary"]) == articles
    catalog = polib.pofile(str(work / "locales/be" / f"{SLUG}.po"))
    units = weblate.units("be")
    assert {u["source"][0] for u in units} == {e.msgid for e in catalog if not e.obsolete}
    assert all(u["state"] >= 20 for u in units), "the sample's be edition is reviewed"

    # An English edit, synced and pushed by the newsroom.
    article = work / "articles" / f"{SLUG}.md"
    entry = next(
        e for e in catalog if not e.obsolete and not e.msgctxt and len(e.msgid) > 60 and e.msgstr
    )
    old_english = entry.msgid
    new_english = old_english.replace(" the ", " the new ", 1)
    assert new_english != old_english
    text = article.read_text(encoding="utf-8")
    assert old_english in text
    article.write_text(text.replace(old_english, new_english, 1), encoding="utf-8")
    synced = _edition(work, "sync")
    assert synced.returncode == 0, synced.stderr
    _git(work, "commit", "-qam", "English edit")
    _git(work, "push", "-q", "origin", "main")

    t = time.monotonic()
    weblate.api("POST", f"projects/{PROJECT}/repository/", operation="pull")
    timings["Weblate pulls the edit"] = time.monotonic() - t
    # The newsroom reviews translations in Weblate: translated, then approved.
    weblate.api("PATCH", f"projects/{PROJECT}/", translation_review=True)
    approved: dict[str, str] = {}
    for lang, suffix in (("be", " (абноўлена)."), ("ru", " (обновлено).")):
        before = polib.pofile(str(work / "locales" / lang / f"{SLUG}.po"))
        previous = next(e for e in before if not e.obsolete and e.msgid == new_english)
        changed = next(u for u in weblate.units(lang) if u["source"][0] == new_english)
        # Needing review, with the English the translation was made for.
        assert changed["fuzzy"] is True and changed["state"] == 10, changed
        assert changed["previous_source"] == old_english
        assert changed["target"][0] == previous.msgstr
        # A translator corrects the translation, a reviewer approves it.
        approved[lang] = previous.msgstr.rstrip(".") + suffix
        weblate.api("PATCH", f"units/{changed['id']}/", state=20, target=[approved[lang]])
        weblate.api("PATCH", f"units/{changed['id']}/", state=30, target=[approved[lang]])
        assert weblate.api("GET", f"units/{changed['id']}/")["approved"] is True
    t = time.monotonic()
    weblate.api("POST", f"components/{PROJECT}/{SLUG}/repository/", operation="commit")
    weblate.api("POST", f"components/{PROJECT}/{SLUG}/repository/", operation="push")
    timings["Weblate commits and pushes"] = time.monotonic() - t
    assert any(r.startswith("POST /content.git/git-receive-pack") for r in git_server.requests)

    head = _git(work, "rev-parse", "HEAD").strip()
    _git(work, "pull", "-q", "--ff-only")
    new_commits = _git(work, "log", "--format=%an", f"{head}..HEAD").split()
    assert new_commits, "Weblate pushed nothing"
    assert "Newsroom" not in new_commits
    touched = _git(work, "diff", "--name-only", head, "HEAD").split()
    assert sorted(touched) == [f"locales/be/{SLUG}.po", f"locales/ru/{SLUG}.po"], touched

    for lang in ("be", "ru"):
        saved = polib.pofile(str(work / "locales" / lang / f"{SLUG}.po"))
        done = saved.find(new_english)
        assert done is not None and done.msgstr == approved[lang]
        assert "fuzzy" not in done.flags and done.previous_msgid is None

    status = _edition(work, "status", "--json", "--article", SLUG)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    row = next(a for a in report["articles"] if a["slug"] == SLUG)
    assert row["ready"] is True, row["locales"]
    check = _edition(work, "sync", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert _edition(work, "sync").returncode == 0
    assert _git(work, "status", "--porcelain") == ""
    timings["whole round trip"] = time.monotonic() - start
    print(json.dumps({k: round(v, 1) for k, v in timings.items()}))


#: translate-toolkit (Weblate's PO writer) breaks this after «, where
#: msgcat breaks before it: Weblate's file is valid gettext but not msgcat's.
WEBLATE_LAYOUT = (
    "22 мая ўрады Беларусі і Расіі падпісалі пагадненне аб ускосных падатках у "
    "«Саюзнай дзяржаве», і гэта змяняе правілы для імпарцёраў і экспарцёраў."
)


def test_weblate_layout_is_not_churned(weblate: Weblate, content: Content) -> None:
    """A translation saved in Weblate comes back in Weblate's own layout;
    the newsroom's tools take it as it is: ready, `sync --check` passes and
    `edition sync` rewrites nothing (no reformatting commit)."""
    work = content.work
    env = {"WEBLATE_URL": weblate.url, "WEBLATE_TOKEN": weblate.token}
    registered = _edition(work, "weblate", env=env)
    assert registered.returncode == 0, registered.stderr + registered.stdout
    # Drift in Weblate (a component's field, the project's name) is put back.
    owner = "week-12-new-local-councils"
    weblate.api("PATCH", f"components/{PROJECT}/{owner}/", push="")
    config = work / "pyproject.toml"
    config.write_text(config.read_text().replace('name = "Newsroom"', 'name = "Newsroom desk"'))
    plan = _edition(work, "weblate", "--dry-run", env=env)
    assert f"would update component {owner}\n    push: '' -> '{content.remote}'" in plan.stdout
    assert "would update project newsroom\n    name: 'Newsroom' -> 'Newsroom desk'" in plan.stdout
    updated = _edition(work, "weblate", env=env)
    assert updated.returncode == 0, updated.stderr + updated.stdout
    assert weblate.api("GET", f"components/{PROJECT}/{owner}/")["push"] == content.remote
    assert weblate.api("GET", f"projects/{PROJECT}/")["name"] == "Newsroom desk"
    assert "nothing to change" in _edition(work, "weblate", env=env).stdout
    _git(work, "commit", "-qam", "Weblate project name")
    _git(work, "push", "-q")
    path = work / "locales" / "be" / f"{SLUG}.po"
    catalog = polib.pofile(str(path))
    entry = next(
        e for e in catalog if not e.obsolete and not e.msgctxt and len(e.msgid) > 60 and e.msgstr
    )
    unit = next(u for u in weblate.units("be") if u["source"][0] == entry.msgid)
    weblate.api("PATCH", f"units/{unit['id']}/", state=20, target=[WEBLATE_LAYOUT])
    weblate.api("POST", f"components/{PROJECT}/{SLUG}/repository/", operation="commit")
    weblate.api("POST", f"components/{PROJECT}/{SLUG}/repository/", operation="push")
    head = _git(work, "rev-parse", "HEAD").strip()
    _git(work, "pull", "-q", "--ff-only")
    assert _git(work, "diff", "--name-only", head, "HEAD").split() == [f"locales/be/{SLUG}.po"]

    weblate_bytes = path.read_bytes()
    msgcat = subprocess.run(["msgcat", str(path)], capture_output=True, check=True).stdout
    assert weblate_bytes != msgcat, "Weblate wrote msgcat's layout: this test proves nothing"
    saved = polib.pofile(str(path)).find(entry.msgid)
    assert saved is not None and saved.msgstr == WEBLATE_LAYOUT and not saved.fuzzy

    status = _edition(work, "status", "--json", "--article", SLUG)
    assert status.returncode == 0, status.stderr
    row = next(a for a in json.loads(status.stdout)["articles"] if a["slug"] == SLUG)
    assert row["locales"]["be"]["outdated"] is False, row["locales"]["be"]
    assert row["ready"] is True, row["locales"]
    check = _edition(work, "sync", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert _edition(work, "sync").returncode == 0
    assert path.read_bytes() == weblate_bytes
    assert _git(work, "status", "--porcelain") == ""
