"""`edition weblate` against a Weblate REST API on 127.0.0.1.

The server below implements the endpoints the command uses, the way
Weblate 2026 answers them (token auth, 404 as `Object not found`, paginated
component lists with absolute `next` URLs, linked components shown with the
owner's repo and a `linked_component` URL), and records every request, so the
tests assert what is sent, not only what is printed.  The real Weblate runs
in the opt-in suite `tests_weblate/` (`make test-weblate`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from workflow.cli import main

TOKEN = "wlu_TestTokenThatMustNeverBeShown0123456789"
ARTICLES = [
    "week-12-new-local-councils",
    "week-21-union-state-tax-accord",
    "week-36-potash-routes",
    "week-47-labour-shortages",
]
OWNER = ARTICLES[0]
REPO = "https://git.example.org/newsroom/content.git"


@dataclass
class FakeWeblate:
    url: str
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    components: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    #: path prefix -> (status, body) to answer instead.
    failures: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    page_size: int = 2

    def writes(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [r for r in self.requests if r[0] != "GET"]

    def add_component(self, project: str, data: dict[str, Any]) -> dict[str, Any]:
        comp: dict[str, Any] = {
            "name": data["name"],
            "slug": data["slug"],
            "project": {"slug": project},
            "vcs": data.get("vcs", "git"),
            "repo": data["repo"],
            "branch": data.get("branch", ""),
            "push": data.get("push", ""),
            "filemask": data["filemask"],
            "template": data.get("template", ""),
            "new_base": data.get("new_base", ""),
            "file_format": data["file_format"],
            "is_glossary": data.get("is_glossary", False),
            "linked_component": None,
            "source_language": {"code": data.get("source_language", "en")},
        }
        self._link(project, comp)
        self.components[(project, comp["slug"])] = comp
        return comp

    def _link(self, project: str, comp: dict[str, Any]) -> None:
        # Weblate stores weblate://p/c but shows the owner's repo and branch.
        if str(comp["repo"]).startswith("weblate://"):
            p, c = comp["repo"][len("weblate://") :].split("/")
            owner = self.components[(p, c)]
            comp["linked_component"] = f"{self.url}/api/components/{p}/{c}/"
            comp["repo"] = owner["repo"]
            comp["branch"] = owner["branch"]
            comp["push"] = ""


def _serve(fake: FakeWeblate) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def _send(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}") if length else {}
            fake.requests.append((self.command, self.path, body))
            if self.headers.get("Authorization") != f"Token {TOKEN}":
                self._send(401, {"errors": [{"detail": "Invalid token."}]})
                return
            for prefix, (status, answer) in fake.failures.items():
                if parts.path.startswith(prefix):
                    # Echo the credentials, as a careless proxy would.
                    self._send(status, {**answer, "echo": self.headers.get("Authorization")})
                    return
            seg = [s for s in parts.path.split("/") if s][1:]  # after "api"
            method = self.command
            if seg == ["projects"] and method == "POST":
                if not body.get("web"):
                    self._send(400, {"errors": [{"attr": "web", "detail": "blank"}]})
                    return
                fake.projects[body["slug"]] = {k: body[k] for k in ("name", "slug", "web")}
                self._send(201, fake.projects[body["slug"]])
            elif len(seg) == 2 and seg[0] == "projects":
                project = fake.projects.get(seg[1])
                if project is None:
                    self._send(404, {"errors": [{"detail": "Not found."}]})
                elif method == "GET":
                    self._send(200, project)
                elif method == "PATCH":
                    project.update(body)
                    self._send(200, project)
            elif len(seg) == 3 and seg[0] == "projects" and seg[2] == "components":
                if seg[1] not in fake.projects:
                    self._send(404, {"errors": [{"detail": "Not found."}]})
                elif method == "POST":
                    missing = [
                        k for k in ("name", "slug", "filemask", "file_format") if k not in body
                    ]
                    if missing:
                        self._send(400, {"errors": [{"attr": missing[0], "detail": "required"}]})
                        return
                    self._send(201, fake.add_component(seg[1], body))
                else:
                    rows = [c for (p, _s), c in sorted(fake.components.items()) if p == seg[1]]
                    page = int(parse_qs(parts.query).get("page", ["1"])[0])
                    chunk = rows[(page - 1) * fake.page_size : page * fake.page_size]
                    more = page * fake.page_size < len(rows)
                    nxt = f"{fake.url}{parts.path}?page={page + 1}" if more else None
                    self._send(200, {"count": len(rows), "next": nxt, "results": chunk})
            elif len(seg) == 3 and seg[0] == "components" and method == "PATCH":
                comp = fake.components.get((seg[1], seg[2]))
                if comp is None:
                    self._send(404, {"errors": [{"detail": "Not found."}]})
                    return
                comp.update(body)
                if "repo" in body:
                    comp["linked_component"] = None
                    fake._link(seg[1], comp)
                self._send(200, comp)
            else:
                self._send(404, {"errors": [{"detail": "Not found."}]})

        do_GET = do_POST = do_PATCH = _handle

    return Handler


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWeblate]:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = FakeWeblate(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _serve(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("WEBLATE_URL", state.url)
    monkeypatch.setenv("WEBLATE_TOKEN", TOKEN)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def root(newsroom: Path) -> Path:
    with (newsroom / "pyproject.toml").open("a", encoding="utf-8") as f:
        f.write(
            "\n[tool.edition.weblate]\n"
            'project = "newsroom"\nname = "Newsroom"\nwebsite = "https://news.example.org"\n'
            f'repo = "{REPO}"\nbranch = "main"\npush = "{REPO}"\n'
        )
    return newsroom


def run(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["weblate", "--root", str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_creates_one_project_and_a_component_per_article(
    root: Path, fake: FakeWeblate, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(root, capsys)
    assert (code, err) == (0, "")
    writes = fake.writes()
    assert writes[0] == (
        "POST",
        "/api/projects/",
        {"name": "Newsroom", "slug": "newsroom", "web": "https://news.example.org"},
    )
    posted = [body for method, path, body in writes[1:]]
    assert all(p == "/api/projects/newsroom/components/" for _m, p, _b in writes[1:])
    assert [b["slug"] for b in posted] == ARTICLES  # the owner first
    for body in posted:
        slug = body["slug"]
        assert body["file_format"] == "po"
        assert body["filemask"] == f"locales/*/{slug}.po"
        assert body["new_base"] == f"locales/{slug}.pot"
        assert body["template"] == ""  # bilingual gettext
        assert body["vcs"] == "git"
        assert body["source_language"] == "en"
    assert posted[0]["repo"] == REPO
    assert (posted[0]["branch"], posted[0]["push"]) == ("main", REPO)
    for body in posted[1:]:
        assert body["repo"] == f"weblate://newsroom/{OWNER}"  # Weblate clones once
        assert "branch" not in body and "push" not in body
    assert f"created component {ARTICLES[2]}" in out
    assert out.rstrip().endswith("project newsroom: 5 created, 0 updated, 0 unchanged")


def test_a_second_run_changes_nothing_and_says_so(
    root: Path, fake: FakeWeblate, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(root, capsys)[0] == 0
    # A name the team gave a component in Weblate is theirs to keep.
    fake.components[("newsroom", ARTICLES[2])]["name"] = "Potash routes"
    before = len(fake.writes())
    code, out, _err = run(root, capsys)
    assert code == 0
    assert len(fake.writes()) == before
    assert "nothing to change" in out
    assert out.count("unchanged component") == len(ARTICLES)


def test_dry_run_shows_the_plan_and_sends_no_change(
    root: Path, fake: FakeWeblate, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(root, capsys, "--dry-run")
    assert code == 0
    assert fake.writes() == [] and fake.projects == {}
    assert "would create project newsroom" in out
    assert all(f"would create component {s}" in out for s in ARTICLES)

    assert run(root, capsys)[0] == 0
    # Someone changed a component in Weblate's UI: the dry run names the field.
    fake.components[("newsroom", ARTICLES[1])]["filemask"] = "po/*.po"
    fake.components[("newsroom", OWNER)]["branch"] = "weblate"
    writes = len(fake.writes())
    code, out, _err = run(root, capsys, "--dry-run")
    assert code == 0 and len(fake.writes()) == writes
    assert f"would update component {ARTICLES[1]}" in out
    assert f"filemask: 'po/*.po' -> 'locales/*/{ARTICLES[1]}.po'" in out
    assert "branch: 'weblate' -> 'main'" in out
    # Credentials in a repository URL are not shown.
    fake.components[("newsroom", OWNER)]["push"] = "https://bot:s3cret@git.example.org/x.git"
    code, out, _err = run(root, capsys, "--dry-run")
    assert "push: 'https://***@git.example.org/x.git' -> " in out and "s3cret" not in out
    fake.components[("newsroom", OWNER)]["push"] = REPO
    assert f"unchanged component {ARTICLES[2]}" in out

    code, out, _err = run(root, capsys)
    assert code == 0
    assert fake.writes()[writes:] == [
        ("PATCH", f"/api/components/newsroom/{OWNER}/", {"branch": "main"}),
        (
            "PATCH",
            f"/api/components/newsroom/{ARTICLES[1]}/",
            {"filemask": f"locales/*/{ARTICLES[1]}.po"},
        ),
    ]
    assert "nothing to change" in run(root, capsys)[1]


def test_project_defaults_are_given_at_creation_only(
    newsroom: Path, fake: FakeWeblate, capsys: pytest.CaptureFixture[str]
) -> None:
    with (newsroom / "pyproject.toml").open("a", encoding="utf-8") as f:
        f.write(f'\n[tool.edition.weblate]\nrepo = "{REPO}"\n')
    assert run(newsroom, capsys)[0] == 0
    assert fake.projects == {"edition": {"name": "edition", "slug": "edition", "web": REPO}}
    owner = fake.components[("edition", OWNER)]
    assert (owner["branch"], owner["push"]) == ("main", "")
    fake.projects["edition"]["name"] = "The Newsroom"  # renamed in Weblate
    code, out, _err = run(newsroom, capsys)
    assert code == 0 and "nothing to change" in out
    assert fake.projects["edition"]["name"] == "The Newsroom"


def test_json_report(root: Path, fake: FakeWeblate, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(root, capsys, "--dry-run", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["dry_run"] is True and report["project"] == "newsroom"
    assert [(c["kind"], c["slug"], c["action"]) for c in report["changes"]] == [
        ("project", "newsroom", "create"),
        *(("component", s, "create") for s in ARTICLES),
    ]
    assert TOKEN not in out


def test_a_new_article_joins_the_existing_clone(
    root: Path, fake: FakeWeblate, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(root, capsys)[0] == 0
    # An article whose slug sorts before the owner's: the clone stays put.
    source = root / "articles" / f"{ARTICLES[1]}.md"
    (root / "articles" / "week-01-new-year.md").write_bytes(source.read_bytes())
    fake.add_component(
        "newsroom",
        {
            "name": "Glossary",
            "slug": "glossary",
            "repo": "local:",
            "filemask": "*.tbx",
            "file_format": "tbx",
            "is_glossary": True,
        },
    )
    fake.add_component(
        "newsroom",
        {
            "name": "Old",
            "slug": "week-00-removed",
            "repo": f"weblate://newsroom/{OWNER}",
            "filemask": "locales/*/week-00-removed.po",
            "file_format": "po",
        },
    )
    writes = len(fake.writes())
    code, out, _err = run(root, capsys)
    assert code == 0
    new = fake.writes()[writes:]
    assert [(m, b["slug"], b["repo"]) for m, _p, b in new] == [
        ("POST", "week-01-new-year", f"weblate://newsroom/{OWNER}")
    ]
    assert "left alone: component week-00-removed has no article" in out
    assert "glossary" not in out


def test_the_token_is_never_printed_or_written(
    root: Path, fake: FakeWeblate, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = [run(root, capsys), run(root, capsys, "--dry-run", "--json")]
    fake.failures["/api/projects/newsroom/components/"] = (400, {"detail": "bad"})
    failed = run(root, capsys)
    assert failed[0] == 3
    assert "***" in failed[2]  # the echoed Authorization header, redacted
    for _code, out, err in [*outputs, failed]:
        assert TOKEN not in out + err
    for path in root.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_errors_are_one_line_with_their_exit_codes(
    root: Path,
    fake: FakeWeblate,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake.failures["/api/projects/"] = (500, {"detail": "Server Error (500)"})
    code, out, err = run(root, capsys)
    assert code == 3 and out == ""
    assert err.startswith("error: Weblate at ") and "HTTP error 500" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    fake.failures.clear()

    monkeypatch.setenv("WEBLATE_TOKEN", "wlu_wrong")
    code, _out, err = run(root, capsys)
    assert code == 2 and "refused the API token" in err and "wlu_wrong" not in err

    monkeypatch.setenv("WEBLATE_TOKEN", TOKEN)
    monkeypatch.setenv("WEBLATE_URL", "http://127.0.0.1:9")  # nothing listens there
    code, _out, err = run(root, capsys)
    assert code == 3 and "cannot reach Weblate at http://127.0.0.1:9/api/" in err
    assert len(err.strip().splitlines()) == 1

    monkeypatch.delenv("WEBLATE_URL")
    code, _out, err = run(root, capsys)
    assert code == 2 and "no Weblate server given" in err
    monkeypatch.setenv("WEBLATE_URL", fake.url)
    monkeypatch.delenv("WEBLATE_TOKEN")
    code, _out, err = run(root, capsys)
    assert code == 2 and "no Weblate API token given" in err
    assert fake.writes() == []


def test_settings_are_checked(
    root: Path,
    fake: FakeWeblate,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = root / "pyproject.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("branch = ", "brnach = "), encoding="utf-8")
    code, _out, err = run(root, capsys)
    assert code == 3
    assert "unknown setting 'brnach' in [tool.edition.weblate]" in err
    assert "did you mean 'branch'?" in err
    config.write_text(
        text.replace('project = "newsroom"', 'project = "news room"'), encoding="utf-8"
    )
    code, _out, err = run(root, capsys)
    assert code == 3 and "not a Weblate slug" in err
    config.write_text(text.replace(f'repo = "{REPO}"\n', ""), encoding="utf-8")
    code, _out, err = run(root, capsys)
    assert code == 2 and "no content repository URL" in err
    assert fake.writes() == []
    # The URL from the settings, the token from the environment.
    monkeypatch.delenv("WEBLATE_URL")
    config.write_text(text + f'url = "{fake.url}/api"\n', encoding="utf-8")
    assert run(root, capsys)[0] == 0
