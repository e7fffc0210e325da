"""Loading into a real SPARQL server: the Oxigraph server (PyPI ``oxigraph``), started on
loopback by these tests, and a small authenticating proxy of our own in front of it.

Checks: loading the dump gives one graph per cable and every quad; loading again changes
nothing; a changed graph replaces the old one; the example queries answer alike on the
server and the embedded store; a server that is down, refuses us (401) or fails (404, 500)
gives exit 3 with the URL, the status and the server's words, and retries are bounded.
"""

from __future__ import annotations

import base64
import http.client
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
import requests
from test_queries import NAMES, QUERIES, golden, read_csv
from test_store import (
    build_store,
    by_graph,
    cli,
    corpus_quads,
    corpus_records,
    vocabulary_quads,
    write_dump,
)

COUNT = "SELECT (COUNT(DISTINCT ?g) AS ?graphs) (COUNT(*) AS ?quads) { GRAPH ?g { ?s ?p ?o } }"


def oxigraph_command() -> str:
    """The ``oxigraph`` command of the PyPI package, beside this Python or on PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    assert found, "the Oxigraph server is missing: pip install oxigraph (the test extras)"
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An Oxigraph server on loopback whose default graph is the union of its graphs."""
    folder = tmp_path_factory.mktemp("oxigraph")
    port = free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [
            oxigraph_command(),
            "serve",
            "--location",
            str(folder / "data"),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (folder / "server.log").read_text()
            try:
                requests.get(url + "/", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the Oxigraph server did not start in 30 s"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def server_counts(url: str) -> tuple[int, int]:
    response = requests.post(
        url + "/query",
        data=COUNT,
        headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    row = response.text.splitlines()[1].split(",")
    return int(row[0]), int(row[1])


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dump(tmp_path_factory.mktemp("dump") / "cables.nq.gz", corpus_quads())


@pytest.fixture(scope="module")
def loaded(server: str, dump: Path) -> str:
    code, out, err = cli("load", "--endpoint", server + "/store", str(dump))
    assert (code, out) == (0, ""), err
    return server


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("embedded") / "store")


def expected_counts() -> tuple[int, int]:
    cables = len({r.reference_id for r in corpus_records()})
    return cables + 1, len(corpus_quads()) + len(vocabulary_quads())


# ---- loading -------------------------------------------------------------------------------


def test_the_dump_loads_one_graph_per_cable(loaded: str, dump: Path) -> None:
    assert server_counts(loaded) == expected_counts()


def test_loading_again_gives_the_same_counts(loaded: str, dump: Path) -> None:
    code, _, err = cli("load", "--endpoint", loaded + "/store", str(dump))
    assert code == 0, err
    graphs, quads = expected_counts()
    assert err.strip().splitlines()[-1] == (
        f"loaded {graphs} graph(s), {quads} quad(s) into {loaded}/store; 0 error(s), 0 warning(s)"
    )
    assert server_counts(loaded) == expected_counts()


def test_a_changed_graph_replaces_the_old_one(loaded: str, tmp_path: Path) -> None:
    graph, quads = list(by_graph(corpus_quads()).items())[5]
    smaller = tmp_path / "one.nq"
    ox.serialize(quads[1:], str(smaller), ox.RdfFormat.N_QUADS)
    code, _, err = cli("load", "--endpoint", loaded + "/store", "--no-vocabulary", str(smaller))
    assert code == 0, err
    graphs, total = expected_counts()
    assert server_counts(loaded) == (graphs, total - 1)
    answer = requests.get(
        loaded + "/store", params={"graph": graph.value}, headers={"Accept": "application/n-quads"}
    )
    assert set(ox.parse(answer.content, ox.RdfFormat.N_TRIPLES)) == {
        ox.Quad(q.subject, q.predicate, q.object) for q in quads[1:]
    }
    whole = tmp_path / "whole.nq"
    ox.serialize(quads, str(whole), ox.RdfFormat.N_QUADS)
    assert cli("load", "--endpoint", loaded + "/store", "--no-vocabulary", str(whole))[0] == 0
    assert server_counts(loaded) == expected_counts()


# ---- queries on the server and the embedded store ------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_example_queries_answer_alike_on_the_server_and_the_embedded_store(
    name: str, loaded: str, embedded: Path
) -> None:
    path = str(QUERIES / f"{name}.rq")
    on_server = cli("query", path, "--endpoint", loaded + "/query", "--format", "csv")
    on_disk = cli("query", path, "--store", str(embedded), "--format", "csv")
    assert on_server[0] == 0, on_server[2]
    assert read_csv(on_server[1]) == read_csv(on_disk[1]) == golden(name)


def test_ask_and_construct_on_the_server(loaded: str, embedded: Path) -> None:
    ask = "ASK { GRAPH ?g { ?c a <https://w3id.org/cablegate/ontology#Cable> } }"
    assert cli("query", ask, "--endpoint", loaded + "/query") == (0, "true\n", "")
    construct = (
        "CONSTRUCT { ?c <http://purl.org/dc/terms/title> ?t } "
        "WHERE { GRAPH ?g { ?c <http://purl.org/dc/terms/title> ?t } }"
    )
    on_server = cli("query", construct, "--endpoint", loaded + "/query", "--format", "nt")
    on_disk = cli("query", construct, "--store", str(embedded), "--format", "nt")
    assert on_server[0] == on_disk[0] == 0
    assert set(on_server[1].splitlines()) == set(on_disk[1].splitlines()) != set()


def test_a_query_the_server_refuses_exits_1_with_its_words(loaded: str) -> None:
    code, out, err = cli("query", "SELECT * { ?s ?p", "--endpoint", loaded + "/query")
    assert (code, out) == (1, "")
    assert "error [query.rejected]" in err
    assert f"the server at {loaded}/query refused the query: error at 1:" in err


# ---- failures ------------------------------------------------------------------------------


def one_graph_file(tmp_path: Path) -> Path:
    path = tmp_path / "one.nq"
    ox.serialize(next(iter(by_graph(corpus_quads()).values())), str(path), ox.RdfFormat.N_QUADS)
    return path


def test_a_server_that_is_down_exits_3_quickly(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/store"
    started = time.monotonic()
    code, out, err = cli("load", "--endpoint", url, "--retries", "2", str(one_graph_file(tmp_path)))
    assert (code, out) == (3, "")
    assert err.startswith(f"cablerdf: error: PUT {url}: could not reach the server (after 2 ")
    assert "Connection refused" in err and "Traceback" not in err
    assert time.monotonic() - started < 20
    code, _, err = cli(
        "query", "ASK {}", "--endpoint", url.replace("/store", "/query"), "--retries", "0"
    )
    assert code == 3 and "could not reach the server" in err


def test_an_error_answer_exits_3_with_status_and_body(loaded: str, tmp_path: Path) -> None:
    url = loaded + "/no-such-service"
    code, out, err = cli(
        "load", "--endpoint", url, "--no-vocabulary", str(one_graph_file(tmp_path))
    )
    assert (code, out) == (3, "")
    assert f"PUT {url} (graph https://w3id.org/cablegate/graph/" in err
    assert "the server answered 404 Not Found: PUT /no-such-service is not supported" in err


class Proxy(ThreadingHTTPServer):
    """A loopback proxy in front of the server: it checks the Authorization header, and can
    answer the first ``fail`` requests with ``fail_status``; it counts requests."""

    def __init__(self, upstream: str, authorization: str | None) -> None:
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.upstream = urlsplit(upstream)
        self.authorization = authorization
        self.fail = 0
        self.fail_status = 503
        self.requests = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class ProxyHandler(BaseHTTPRequestHandler):
    server: Proxy

    def log_message(self, format: str, *args: object) -> None:
        return

    def _answer(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Bearer realm="test"')
        self.end_headers()
        self.wfile.write(body)

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.server.lock:
            self.server.requests += 1
            failing = self.server.fail > 0
            self.server.fail -= 1 if failing else 0
        if failing:
            self._answer(self.server.fail_status, b"database on fire:   disk\nfull")
            return
        if self.headers.get("Authorization") != self.server.authorization:
            self._answer(401, b"unauthorized: bad credentials")
            return
        up = self.server.upstream
        connection = http.client.HTTPConnection(up.hostname or "", up.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")}
        connection.request(self.command, self.path, body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        connection.close()
        self._answer(answer.status, data, answer.getheader("Content-Type") or "text/plain")

    do_GET = do_PUT = do_POST = do_DELETE = _forward


@pytest.fixture
def proxy(loaded: str) -> Iterator[Proxy]:
    server = Proxy(loaded, "Bearer s3cret")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_a_bearer_token_is_sent_and_a_wrong_one_refused(
    proxy: Proxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = str(one_graph_file(tmp_path))
    url = proxy.url + "/store"
    code, out, err = cli("load", "--endpoint", url, "--token", "wrong", "--no-vocabulary", data)
    assert (code, out) == (3, "")
    assert f"PUT {url} (graph https://w3id.org/cablegate/graph/" in err
    assert "was refused: 401 Unauthorized: unauthorized: bad credentials" in err
    assert "--token" in err and "Traceback" not in err
    assert proxy.requests == 1  # a refusal is not tried again
    monkeypatch.setenv("CABLERDF_TOKEN", "s3cret")
    code, _, err = cli("load", "--endpoint", url, "--no-vocabulary", data)
    assert code == 0, err
    code, out, _ = cli("query", "ASK { ?s ?p ?o }", "--endpoint", proxy.url + "/query")
    assert (code, out) == (0, "true\n")


def test_basic_authentication_is_sent(
    proxy: Proxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy.authorization = "Basic " + base64.b64encode(b"editor:pass word").decode()
    data = str(one_graph_file(tmp_path))
    url = proxy.url + "/store"
    monkeypatch.setenv("CABLERDF_PASSWORD", "pass word")
    assert cli("load", "--endpoint", url, "--user", "editor", "--no-vocabulary", data)[0] == 0
    code, _, err = cli(
        "load", "--endpoint", url, "--user", "editor", "--password", "x", "--no-vocabulary", data
    )
    assert code == 3 and "401" in err


def test_failures_are_retried_a_bounded_number_of_times(proxy: Proxy, tmp_path: Path) -> None:
    data = str(one_graph_file(tmp_path))
    url = proxy.url + "/store"
    proxy.fail = 2
    code, _, err = cli("load", "--endpoint", url, "--token", "s3cret", "--no-vocabulary", data)
    assert code == 0, err
    assert proxy.requests == 3
    proxy.requests, proxy.fail, proxy.fail_status = 0, 100, 500
    code, out, err = cli(
        "load", "--endpoint", url, "--token", "s3cret", "--retries", "2", "--no-vocabulary", data
    )
    assert (code, out) == (3, "")
    assert (
        "failed: the server answered 500 Internal Server Error: database on fire: disk full" in err
    )
    assert proxy.requests == 3
