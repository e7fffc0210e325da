"""``cablerdf.fetch`` and ``cablerdf fetch`` against a real HTTP server on loopback.

The server (http.server in a thread, bound to 127.0.0.1) serves the corpus's Cable Viewer
pages at their ``/cable/YYYY/MM/ID.html`` paths, and misbehaves on purpose on other paths:
it stalls, fails then recovers, cuts bodies short, sends oversized bodies, redirects in a
loop, and keeps a robots.txt that disallows ``/private/``. Every wait is bounded.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from conftest import CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st

from cablerdf import __version__
from cablerdf.cable_ids import default_index
from cablerdf.cli import main
from cablerdf.fetch import (
    DIAGNOSTIC_CODES,
    FetchRecord,
    FetchResult,
    FetchSettings,
    cable_url,
    cache_path,
    fetch,
    load_sidecar,
    sidecar_path,
)
from cablerdf.model import Diagnostic, Severity, SourceDocument
from cablerdf.readers import read_inputs

LAST_MODIFIED = "Tue, 30 Aug 2011 01:44:00 GMT"
STALL_SECONDS = 5.0  # the longest a handler ever waits; the client gives up long before


VIEWER_PATH = re.compile(r"(?:^|/)(\d{4}/\d{2}/[^/]+\.html)$")


def _manifest_pages() -> list[dict[str, str]]:
    """The corpus's Cable Viewer pages; ``viewer_path`` is where the site published each
    (mirrors keep its ``YYYY/MM/ID.html`` tail under other folders)."""
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    pages = [r for r in rows if r["form"] in ("html2010", "html2011")]
    for row in pages:
        match = VIEWER_PATH.search(row["path"])
        row["viewer_path"] = "cable/" + match.group(1) if match else ""
    return pages


PAGES = _manifest_pages()


def viewer_path(rid: str) -> str:
    """The Cable Viewer path of a corpus cable, e.g. ``cable/2006/11/10RABAT34.html``."""
    return next(r["viewer_path"] for r in PAGES if r["reference_id"] == rid)


def _pages_by_id() -> dict[str, Path]:
    """One corpus page per reference ID (the first by file name)."""
    found: dict[str, Path] = {}
    for row in sorted(PAGES, key=lambda r: r["file"]):
        found.setdefault(row["reference_id"], CORPUS / row["file"])
    return found


@dataclass
class ServerState:
    """What the test server does and saw. Reset before each test."""

    base: str = ""
    robots: bytes | None = b"User-agent: *\nDisallow: /private/\n"
    robots_status: int = 200
    pages: dict[str, bytes] = field(default_factory=dict)  # URL path -> page bytes
    hits: dict[str, int] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seen(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [h for p, h in self.requests if p == path]


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        sent = {k.lower() for k in (headers or {})}
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if "content-length" not in sent:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass

    def _page(self, path: str) -> None:
        body = self.server.state.pages.get(path)
        if body is None:
            self._send(404, b"not found")
            return
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if self.headers.get("If-None-Match") == etag:
            self._send(304, headers={"ETag": etag})
            return
        self._send(
            200,
            body,
            {
                "Content-Type": "text/html; charset=utf-8",
                "ETag": etag,
                "Last-Modified": LAST_MODIFIED,
            },
        )

    def do_GET(self) -> None:
        state = self.server.state
        path = self.path.split("?", 1)[0]
        with state.lock:
            state.requests.append((path, dict(self.headers.items())))
            state.hits[path] = state.hits.get(path, 0) + 1
            hits = state.hits[path]
        if path == "/robots.txt":
            if state.robots is None:
                self._send(404, b"no robots.txt")
            else:
                self._send(state.robots_status, state.robots, {"Content-Type": "text/plain"})
        elif path.startswith(("/cable/", "/private/")):
            self._page(path)
        elif path.startswith("/flaky/"):
            if hits == 1:
                self._send(500, b"oops", {"Retry-After": "0"})
            else:
                self._page("/cable" + path.removeprefix("/flaky"))
        elif path == "/always-500":
            self._send(500, b"oops")
        elif path == "/busy":
            self._send(503, b"busy", {"Retry-After": "3600"})
        elif path == "/missing":
            self._send(404, b"not found")
        elif path == "/stall-headers":
            state.release.wait(STALL_SECONDS)
            self._send(200, b"late")
        elif path == "/stall-body":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                self.wfile.write(b"<html>" + b" " * 10)
                self.wfile.flush()
            except OSError:
                return
            state.release.wait(STALL_SECONDS)
        elif path == "/truncated":
            body = b"<html><body>" + b"x" * 2000
            self._send(200, body[:1000], {"Content-Length": str(len(body))})
        elif path == "/huge":
            self._send(200, b"", {"Content-Length": str(50 * 1024 * 1024)})
        elif path == "/huge-stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(160):  # 10 MiB at most
                    self.wfile.write(b"A" * 65536)
            except OSError:
                return
        elif path == "/redirect":
            self._send(302, b"", {"Location": "/cable" + self.path.split("?", 1)[1]})
        elif path == "/loop":
            self._send(302, b"", {"Location": "/loop"})
        elif path == "/to-file":
            self._send(302, b"", {"Location": "file:///etc/passwd"})
        elif path == "/gzip":
            body = gzip.compress(next(iter(state.pages.values())), mtime=0)
            self._send(200, body, {"Content-Encoding": "gzip", "Content-Type": "text/html"})
        elif path == "/odd-status":
            self._send(204)
        else:
            self._send(404, b"not found")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = ServerState()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    httpd = Server()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield httpd
    finally:
        httpd.state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


@pytest.fixture
def state(server: Server) -> Iterator[ServerState]:
    """A fresh server state serving every corpus page at its Cable Viewer path."""
    host, port = server.server_address[:2]
    fresh = ServerState(base=f"http://{host}:{port}/")
    for row in PAGES:
        fresh.pages.setdefault("/" + row["viewer_path"], (CORPUS / row["file"]).read_bytes())
    server.state = fresh
    yield fresh
    fresh.release.set()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    s = requests.Session()
    s.trust_env = False  # no proxy from the environment: loopback only
    yield s
    s.close()


def quick(base: str, **changes: Any) -> FetchSettings:
    values: dict[str, Any] = {
        "base_url": base,
        "requests_per_second": 1000.0,
        "retries": 2,
        "backoff": 0.01,
        "max_backoff": 0.05,
        "connect_timeout": 2.0,
        "read_timeout": 0.5,
        "max_seconds": 10.0,
        "max_bytes": 2 * 1024 * 1024,
    }
    values.update(changes)
    return FetchSettings(**values)


def run(
    items: list[str], to: Path, st_: ServerState, session: requests.Session, **changes: Any
) -> tuple[list[FetchResult], list[Diagnostic]]:
    results: list[FetchResult] = []
    diags: list[Diagnostic] = []
    for item in fetch(items, to, quick(st_.base, **changes), session):
        (diags if isinstance(item, Diagnostic) else results).append(item)  # type: ignore[arg-type]
    return results, diags


def codes(diags: list[Diagnostic], severity: Severity | None = None) -> list[str]:
    return [d.code for d in diags if severity is None or d.severity is severity]


# ---- URLs and paths ---------------------------------------------------------------------------


@pytest.mark.parametrize("row", PAGES, ids=[r["file"] for r in PAGES])
def test_cable_url_follows_the_cable_viewer_layout(row: dict[str, str]) -> None:
    """Every corpus page was published at the path its reference ID and month give."""
    assert row["viewer_path"], f"the manifest path {row['path']!r} is not a Cable Viewer path"
    rid = row["reference_id"]
    month = default_index().month(rid)
    assert month is not None, f"{rid} is not in the packaged index"
    assert cable_url(rid, month, "https://example.org/mirror/") == (
        "https://example.org/mirror/" + row["viewer_path"]
    )


def test_cache_path_mirrors_host_and_path(tmp_path: Path) -> None:
    assert cache_path(tmp_path, "http://127.0.0.1:8080/cable/2006/11/10RABAT34.html") == (
        tmp_path / "127.0.0.1_8080" / "cable" / "2006" / "11" / "10RABAT34.html"
    )
    assert cache_path(tmp_path, "https://Example.ORG/") == tmp_path / "example.org" / "index.html"
    assert cache_path(tmp_path, "https://example.org/a/../.hidden?q=1") == (
        tmp_path / "example.org" / "a" / "%2E." / "%2Ehidden%3Fq=1"
    )
    page = tmp_path / "h" / "x.html"
    assert sidecar_path(page) == tmp_path / "h" / ".x.html.fetch.json"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400), st.text(max_size=40))
def test_cache_path_stays_inside_and_never_hidden(path_text: str, host: str) -> None:
    to = Path("/cache")
    for url in (path_text, f"http://{host}/{path_text}", f"https://h.org/{path_text}"):
        got = cache_path(to, url)
        rel = got.relative_to(to)
        assert rel.parts and all(
            part not in (".", "..") and not part.startswith(".") and "/" not in part
            for part in rel.parts
        )
        assert all(len(part.encode("utf-8")) <= 255 for part in rel.parts)


def test_settings_refuse_unusable_values() -> None:
    for bad in ("ftp://x/", "file:///etc/", "https://", "not a url", "http://h:99999/"):
        with pytest.raises(ValueError):
            FetchSettings(base_url=bad)
    with pytest.raises(ValueError):
        FetchSettings(requests_per_second=0)
    with pytest.raises(ValueError):
        FetchSettings(max_bytes=0)
    with pytest.raises(ValueError):
        FetchSettings(contact="a b")
    assert FetchSettings(contact="ops@example.org").user_agent == (
        f"cablerdf/{__version__} (+ops@example.org)"
    )


# ---- fetching pages ---------------------------------------------------------------------------


def test_fetches_every_corpus_page_byte_for_byte(
    tmp_path: Path, state: ServerState, session: requests.Session
) -> None:
    by_id = _pages_by_id()
    served = {rid: state.pages["/" + viewer_path(rid)] for rid in by_id}
    results, diags = run(sorted(by_id), tmp_path, state, session)
    assert codes(diags, Severity.ERROR) == []
    assert len(results) == len(by_id)
    for result in results:
        rid = result.record.reference_id
        assert rid is not None
        data = result.path.read_bytes()
        assert data == served[rid]
        assert result.status == 200
        record = load_sidecar(result.path)
        assert isinstance(record, FetchRecord)
        assert record == result.record
        assert record.sha256 == hashlib.sha256(data).hexdigest()
        assert record.size == len(data)
        assert record.status == 200
        assert record.header("etag") and record.header("Last-Modified") == LAST_MODIFIED
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record.retrieved)
        month = default_index().month(rid)
        assert month is not None
        assert record.url == record.final_url == cable_url(rid, month, state.base)
    agents = {h.get("User-Agent") for _, h in state.requests}
    assert agents == {f"cablerdf/{__version__}"}
    assert len(state.seen("/robots.txt")) == 1  # fetched once per run, through the session


def test_cache_is_read_by_the_readers_without_the_sidecars(
    tmp_path: Path, state: ServerState, session: requests.Session
) -> None:
    results, _ = run(["10RABAT34", "10BERLIN180"], tmp_path, state, session)
    assert len(results) == 2
    items = list(read_inputs([str(tmp_path)]))
    assert [type(i) for i in items] == [SourceDocument, SourceDocument]
    assert {i.source_id for i in items if isinstance(i, SourceDocument)} == {
        "10RABAT34",
        "10BERLIN180",
    }


def test_conditional_request_keeps_the_cached_copy(
    tmp_path: Path, state: ServerState, session: requests.Session
) -> None:
    first, _ = run(["10RABAT34"], tmp_path, state, session)
    before = first[0].path.read_bytes()
    mtime = first[0].path.stat().st_mtime_ns
    time.sleep(1.1)  # so that the check time differs from the retrieval time
    second, diags = run(["10RABAT34"], tmp_path, state, session)
    assert codes(diags) == []
    assert second[0].status == 304 and second[0].not_modified
    sent = state.seen("/" + viewer_path("10RABAT34"))
    assert "If-None-Match" not in sent[0]
    assert sent[1]["If-None-Match"] == first[0].record.header("ETag")
    assert sent[1]["If-Modified-Since"] == LAST_MODIFIED
    assert second[0].path.read_bytes() == before
    assert second[0].path.stat().st_mtime_ns == mtime
    assert second[0].record.retrieved == first[0].record.retrieved
    assert second[0].record.checked > first[0].record.checked
    assert load_sidecar(second[0].path) == second[0].record


def test_a_cached_copy_that_does_not_match_its_sidecar_is_fetched_again(
    tmp_path: Path, state: ServerState, session: requests.Session
) -> None:
    """A crash between writing a page and its sidecar, or an edit, is noticed."""
    first, _ = run(["10RABAT34"], tmp_path, state, session)
    original = first[0].path.read_bytes()
    first[0].path.write_bytes(original[:100])
    again, diags = run(["10RABAT34"], tmp_path, state, session)
    assert codes(diags) == ["fetch.cache-stale"]
    assert again[0].status == 200 and again[0].path.read_bytes() == original
    sidecar_path(again[0].path).write_text("{not json", encoding="utf-8")
    third, diags = run(["10RABAT34"], tmp_path, state, session)
    assert codes(diags) == ["fetch.sidecar-unreadable"]
    assert third[0].status == 200


def test_stalls_time_out_and_the_run_goes_on(
    tmp_path: Path, state: ServerState, session: requests.Session
) -> None:
    base = state.base
    started = time.monotonic()
    results, diags = run(
        [base + "stall-body", base + "stall-headers", "10RABAT34"],
        tmp_path,
        state,
        session,
        retries=1,
    )
    elapsed = time.monotonic() - started
    assert [d.code for d in diags if d.severity is Severity.ERROR] == [
        "fetch.timeout",
        "fetch.timeout",
    ]
    assert "stalled" in diags[1].message and "no response" in diags[3].message
    assert codes(diags, Severity.INFO) == ["fetch.retried", "fetch.retried"]
    assert [r.record.reference_id for r in results] == ["10RABAT34"]
    assert elapsed < STALL_SECONDS  # the client gave up long before the server would answer
    assert not list(tmp_path.rglob("stall-*"))


def test_server_errors_are_retried_then_succeed(
    tmp_path: Path, state: ServerState, session: requests.Session
) -> None:
    path = viewer_path("10RABAT34")
    url = state.base + "flaky/" + path.removeprefix("cable/")
    results, diags = run([url], tmp_path, state, session)
    assert codes(diags) == ["fetch.retried"]
    assert "500" in diags[0].message
    assert results[0].path.read_bytes() == state.pages["/" + path]
    assert state.hits["/flaky/" + path.removeprefix("cable/")] == 2


def test_backoff_doubles_and_is_bounded(
    tmp_path: Path, state: ServerState, session: requests.Session
) -> None:
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        time.sleep(seconds)

    s = quick(state.base, backoff=0.02, max_backoff=0.03, retries=3)
    out = list(
        fetch([state.base + "always-500", state.base + "busy"], tmp_path, s, session, sleep=sleep)
    )
    errors = [d for d in out if isinstance(d, Diagnostic) and d.severity is Severity.ERROR]
    assert [d.code for d in errors] == ["fetch.http-error", "fetch.http-error"]
    assert "after 4 tries" in errors[0].message
    backoffs = [round(p, 3) for p in pauses if p >= 0.015]
    # 0.02, 0.04 -> capped 0.03, 0.08 -> capped; Retry-After: 3600 is capped too
    assert backoffs == [0.02, 0.03, 0.03, 0.03, 0.03, 0.03]
    assert state.hits["/always-500"] == 4 and state.hits["/busy"] == 4


def test_not_found_is_a_diagnostic_without_retry(
    tmp_path: Path, state: ServerState, session: requests.Session
) -> None:
    results, diags = run([state.base + "missing", "10RABAT34"], tmp_path, state, session)
    assert codes(diags) == ["fetch.http-error"]
    assert diags[0].path == state.base + "missing"
    assert "404" in diags[0].message and diags[0].hint
    assert state.hits["/missing"] == 1
    assert len(results) == 1


def test_truncated_body_is_detected_and_not_kept(
    tmp_path: Path, state: ServerState, session: requests.Session
) -> None:
    results, diags = run([state.base + "truncated"], tmp_path, state, session)
    assert results == []
    assert codes(diags, Severity.ERROR) == ["fetch.truncated"]
    assert "1000 of the 2012 bytes" in diags[-1].message
    assert state.hits["/truncated"] == 3  # retried: a cut connection may pass
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("path", ["huge", "huge-stream"])
def test_size_cap(path: str, tmp_path: Path, state: ServerState, session: requests.Session) -> None:
    started = time.monotonic()
    results, diags = run([state.base + path], tmp_path, state, session, max_bytes=1024 * 1024)
    assert results == []
    assert codes(diags) == ["fetch.too-large"]
    assert "1048576" in diags[0].message
    assert state.hits["/" + path] == 1  # never retried
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert time.monotonic() - started < 5


def test_robots_txt_is_obeyed(
    tmp_path: Path, state: ServerState, session: requests.Session
) -> None:
    private = "/private/cable/2010/01/10RABAT34.html"
    state.pages[private] = b"<html>secret</html>"
    results, diags = run([state.base + private.lstrip("/"), "10RABAT34"], tmp_path, state, session)
    assert codes(diags) == ["fetch.robots-disallowed"]
    assert state.seen(private) == []  # the server never saw the request
    assert len(results) == 1
    assert len(state.seen("/robots.txt")) == 1


def test_robots_txt_naming_cablerdf(
    tmp_path: Path, state: ServerState, session: requests.Session
) -> None:
    state.robots = b"User-agent: cablerdf\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    results, diags = run(["10RABAT34"], tmp_path, state, session)
    assert results == [] and codes(diags) == ["fetch.robots-disallowed"]


@pytest.mark.parametrize(
    ("robots", "status", "allowed"),
    [(None, 404, True), (b"x", 403, True), (b"x", 500, False), (b"x", 503, False)],
)
def test_robots_txt_status_rules(
    robots: bytes | None,
    status: int,
    allowed: bool,
    tmp_path: Path,
    state: ServerState,
    session: requests.Session,
) -> None:
    """RFC 9309: a 4xx means no rules; a 5xx means nothing may be fetched."""
    state.robots, state.robots_status = robots, status
    results, diags = run(["10RABAT34", "10BERLIN180"], tmp_path, state, session)
    if allowed:
        assert len(results) == 2 and codes(diags, Severity.ERROR) == []
    else:
        assert results == []
        assert codes(diags, Severity.ERROR) == ["fetch.robots-unreachable"] * 2
        assert f"{status}" in diags[-1].message
        assert len(state.seen("/robots.txt")) == 3  # tried 3 times, then remembered for the run
        assert all(not p.startswith("/cable/") for p, _ in state.requests)


def test_rate_limit(tmp_path: Path, state: ServerState, session: requests.Session) -> None:
    ids = ["10RABAT34", "10BERLIN180", "09STATE30049", "10ANKARA302"]
    started = time.monotonic()
    results, _ = run(ids, tmp_path, state, session, requests_per_second=10.0)
    elapsed = time.monotonic() - started
    assert len(results) == 4
    assert elapsed >= 0.4  # robots.txt and 4 pages: 5 requests, 0.1 s apart
    stamps = [h for p, h in state.requests]
    assert len(stamps) == 5


def test_crawl_delay_slows_the_run(
    tmp_path: Path, state: ServerState, session: requests.Session
) -> None:
    state.robots = b"User-agent: *\nCrawl-delay: 1\n"
    started = time.monotonic()
    results, _ = run(["10RABAT34", "10BERLIN180"], tmp_path, state, session, max_backoff=1.0)
    assert len(results) == 2
    assert time.monotonic() - started >= 1.9  # robots.txt, then two pages 1 s apart


def test_redirects(tmp_path: Path, state: ServerState, session: requests.Session) -> None:
    path = viewer_path("10RABAT34")
    url = state.base + "redirect?" + path.removeprefix("cable")
    results, diags = run(
        [url, state.base + "loop", state.base + "to-file"], tmp_path, state, session
    )
    assert codes(diags) == ["fetch.redirect-refused", "fetch.redirect-refused"]
    assert "more than 5 redirects" in diags[0].message
    assert results[0].record.url == url
    assert results[0].record.final_url == state.base + path
    assert results[0].path == cache_path(tmp_path, url)
    assert results[0].path.read_bytes() == state.pages["/" + path]
    assert state.hits["/loop"] == 6


def test_raw_bytes_kept_even_when_the_server_compresses(
    tmp_path: Path, state: ServerState, session: requests.Session
) -> None:
    results, diags = run([state.base + "gzip"], tmp_path, state, session)
    assert codes(diags) == []
    data = results[0].path.read_bytes()
    assert data[:2] == b"\x1f\x8b"  # as received, not decoded
    assert results[0].record.sha256 == hashlib.sha256(data).hexdigest()
    assert results[0].record.header("Content-Encoding") == "gzip"
    assert state.seen("/gzip")[0]["Accept-Encoding"] == "identity"
    docs = [i for i in read_inputs([str(results[0].path)]) if isinstance(i, SourceDocument)]
    assert len(docs) == 1  # the readers unpack it


def test_bad_inputs_are_diagnostics_and_send_nothing(
    tmp_path: Path, state: ServerState, session: requests.Session
) -> None:
    items = ["file:///etc/passwd", "ftp://h/x", "not an id!", "99ZZZZ1", "", "http://[::1"]
    results, diags = run(items, tmp_path, state, session)
    assert results == []
    assert codes(diags) == [
        "fetch.bad-input",
        "fetch.bad-input",
        "fetch.bad-input",
        "fetch.unknown-id",
        "fetch.bad-input",
        "fetch.bad-input",
    ]
    assert state.requests == []


def test_malformed_published_ids_keep_their_printed_page_name(
    tmp_path: Path, state: ServerState, session: requests.Session
) -> None:
    """A published malformed ID names its page as printed; a repairable one is repaired."""
    results, diags = run(["7575LIBREVILLE1895", "10rabat 34"], tmp_path, state, session)
    assert [d.code for d in diags if d.severity is Severity.ERROR] == ["fetch.http-error"]
    assert "/cable/1975/" in (diags[0].path or "") and "7575LIBREVILLE1895.html" in (
        diags[0].path or ""
    )
    assert [r.record.reference_id for r in results] == ["10RABAT34"]


def test_a_page_and_a_folder_of_the_same_name(
    tmp_path: Path, state: ServerState, session: requests.Session
) -> None:
    state.pages["/cable/dup"] = b"<html>one</html>"
    state.pages["/cable/dup/x.html"] = b"<html>two</html>"
    urls = [state.base + "cable/dup", state.base + "cable/dup/x.html", state.base + "cable/dup"]
    results, diags = run(urls, tmp_path, state, session)
    assert [r.status for r in results] == [200, 304]
    assert codes(diags) == ["fetch.cache-conflict"]
    assert diags[0].path == urls[1]


def test_odd_status_is_not_kept(
    tmp_path: Path, state: ServerState, session: requests.Session
) -> None:
    results, diags = run([state.base + "odd-status"], tmp_path, state, session)
    assert results == [] and codes(diags) == ["fetch.unexpected-status"]


def test_connection_refused_is_a_diagnostic(tmp_path: Path, session: requests.Session) -> None:
    import socket

    with socket.socket() as probe:  # a loopback port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    s = quick(f"http://127.0.0.1:{port}/", retries=1)
    out = list(fetch(["10RABAT34"], tmp_path, s, session))
    assert [d.code for d in out if isinstance(d, Diagnostic)] == [
        "fetch.retried",
        "fetch.robots-unreachable",
    ]


def test_sidecar_loader_is_total(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_bytes(b"x")
    assert load_sidecar(page) is None
    for junk in ("[]", "{}", '{"format": "cablerdf-fetch/1"}', "\xff", "1" * 10000):
        sidecar_path(page).write_text(junk, encoding="utf-8", errors="surrogateescape")
        got = load_sidecar(page)
        assert isinstance(got, Diagnostic) and got.code == "fetch.sidecar-unreadable"


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c, max_size=4),
        max_leaves=12,
    )
)
def test_sidecar_records_never_raise(obj: Any) -> None:
    assert FetchRecord.from_json(obj) is None or isinstance(FetchRecord.from_json(obj), FetchRecord)


def test_record_round_trips_through_json() -> None:
    record = FetchRecord(
        "u", "f", "10RABAT34", 200, (("ETag", '"x"'),), "0" * 64, 3, "t", "c", "ua"
    )
    assert FetchRecord.from_json(json.loads(json.dumps(record.to_json()))) == record


def test_every_code_is_documented() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "fetch.md").read_text(encoding="utf-8")
    for code in DIAGNOSTIC_CODES:
        assert f"`{code}`" in text, code


# ---- the command ------------------------------------------------------------------------------


def test_cli_fetch(tmp_path: Path, state: ServerState) -> None:
    runner = CliRunner()
    args = [
        "fetch",
        "10RABAT34",
        "--to",
        str(tmp_path),
        "--base-url",
        state.base,
        "--rate",
        "1000",
    ]
    result = runner.invoke(main, args, env={"NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"})
    assert result.exit_code == 0, result.output
    page = Path(result.stdout.strip())
    assert page.is_file() and sidecar_path(page).is_file()
    assert "kept 1 page(s), 0 of them unchanged" in result.stderr
    again = runner.invoke(main, args, env={"NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"})
    assert again.exit_code == 0 and "1 of them unchanged (304)" in again.stderr


def test_cli_fetch_reads_items_from_stdin(tmp_path: Path, state: ServerState) -> None:
    result = CliRunner().invoke(
        main,
        ["fetch", "-", "--to", str(tmp_path), "--base-url", state.base, "--rate", "1000"],
        input="10RABAT34\n\n10BERLIN180\n",
        env={"NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"},
    )
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2


def test_cli_fetch_exit_codes(tmp_path: Path, state: ServerState) -> None:
    runner = CliRunner()
    env = {"NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    failed = runner.invoke(
        main,
        [
            "fetch",
            state.base + "missing",
            "--to",
            str(tmp_path),
            "--base-url",
            state.base,
            "--rate",
            "1000",
            "--diagnostics",
            "json",
        ],
        env=env,
    )
    assert failed.exit_code == 1
    assert failed.stdout == ""
    line = json.loads(failed.stderr.splitlines()[0])
    assert line["code"] == "fetch.http-error" and line["severity"] == "error"
    usage = runner.invoke(
        main, ["fetch", "10RABAT34", "--to", str(tmp_path), "--base-url", "ftp://x/"]
    )
    assert usage.exit_code == 2 and "must start with http://" in usage.stderr
    missing_to = runner.invoke(main, ["fetch", "10RABAT34"])
    assert missing_to.exit_code == 2
    cannot = runner.invoke(
        main,
        [
            "fetch",
            "10RABAT34",
            "--to",
            "/dev/null/cache",
            "--base-url",
            state.base,
            "--rate",
            "1000",
        ],
        env=env,
    )
    assert cannot.exit_code == 3 and "cannot write the cache folder" in cannot.stderr


def test_cli_help_has_an_example() -> None:
    result = CliRunner().invoke(main, ["fetch", "--help"])
    assert result.exit_code == 0 and "Example:" in result.stdout and "--base-url" in result.stdout


def test_no_temporary_files_left(
    tmp_path: Path, state: ServerState, session: requests.Session
) -> None:
    run(
        [state.base + "truncated", state.base + "huge-stream", "10RABAT34"],
        tmp_path,
        state,
        session,
        max_bytes=1024 * 1024,
    )
    leftovers = [p for p in tmp_path.rglob(".fetch.*")]
    assert leftovers == []
    names = sorted(
        PurePosixPath(p.relative_to(tmp_path).as_posix()).name
        for p in tmp_path.rglob("*")
        if p.is_file()
    )
    assert names == [".10RABAT34.html.fetch.json", "10RABAT34.html"]
