"""Hostile input: the readers and the parser neither crash, hang, expand entities, reach the
network, nor hold a huge input in memory.

* Mutated corpus: every corpus file, mutated (byte flips, truncation, deleted and duplicated
  lines, other line ends, nested tags, entity soup), is read and parsed without an exception
  and within :data:`BUDGET` seconds of CPU per file. Each kind runs in a child process with a
  wall-clock limit, so a hang fails the test instead of stalling the run.
* Crafted inputs that once made a function take time quadratic in the input's size (each
  named after the function): they must now take linear time. Eight times the input may take
  at most :data:`GROWTH_LIMIT` times the CPU time, both measured in one child process.
* Hypothesis: arbitrary bytes behind each form's opening, and recombined corpus lines.
* lxml: a page with a "billion laughs" entity bomb and external entities (a file, and a
  listener on loopback that must see no connection).
* A 1 GiB single-line input (sparse, made in a moment) read in a child process: a diagnostic,
  and a peak RSS far below 1 GiB.
"""

from __future__ import annotations

import gc
import gzip
import io
import json
import multiprocessing
import os
import random
import re
import resource
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
from conftest import CORPUS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cablerdf.cable_ids import default_index
from cablerdf.model import Diagnostic, SourceDocument, SourceForm, SourceInfo
from cablerdf.parsing import parse_document
from cablerdf.parsing.body import lay_out_body
from cablerdf.readers import read_stream
from cablerdf.readers.detect import cable_evidence

BUDGET = 1.0
"""Seconds of CPU allowed to read and parse one (mutated) input file of the corpus."""

KIND_WALL_LIMIT = 240.0
"""Seconds of wall-clock time for one kind of mutation over its share of the corpus."""


def corpus_files() -> list[Path]:
    return sorted(
        p
        for p in CORPUS.rglob("*")
        if p.is_file()
        and "gold" not in p.relative_to(CORPUS).parts
        and p.suffix not in (".md", ".tsv")
    )


FILES = corpus_files()

# ---- mutations ------------------------------------------------------------------------------

_LINE = re.compile(rb"(\n|&#x000A;)")  # physical lines, and the lines inside a page's <pre>


def _pieces(data: bytes) -> list[bytes]:
    parts = _LINE.split(data)
    return [
        parts[i] + (parts[i + 1] if i + 1 < len(parts) else b"") for i in range(0, len(parts), 2)
    ]


def flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(max(1, len(out) // 500)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def delete_lines(data: bytes, rng: random.Random) -> bytes:
    return b"".join(p for p in _pieces(data) if rng.random() > 0.2)


def duplicate_lines(data: bytes, rng: random.Random) -> bytes:
    out: list[bytes] = []
    for piece in _pieces(data):
        out.append(piece)
        if rng.random() < 0.1:
            out.extend([piece] * rng.randint(1, 3))
    return b"".join(out)


def line_ends(data: bytes, rng: random.Random) -> bytes:
    end = rng.choice([b"\r", b"\r\n", b"\n\n", b"\x0b", b"\x1c", "\u2028".encode(), b"\xc2\x85"])
    return data.replace(b"\n", end)


def nested_tags(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    tag = rng.choice([b"b", b"a", b"pre", b"code", b"div", b"table", b"td", b"span"])
    depth = 2000
    closing = b"</" + tag + b">" if rng.random() < 0.5 else b""
    return data[:at] + (b"<" + tag + b">") * depth + b"x" + closing * depth + data[at:]


def entity_soup(data: bytes, rng: random.Random) -> bytes:
    soup = [
        b"&#x000A;",
        b"&amp;",
        b"&#0;",
        b"&#xD800;",
        b"&bogus;",
        b"&#x110000;",
        b"&",
        b"&#;",
        b"<![CDATA[",
        b"]]>",
        b"<!--",
        b"<?pi?>",
    ]
    at = rng.randrange(len(data) + 1)
    return data[:at] + b"".join(rng.choice(soup) for _ in range(3000)) + data[at:]


MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    f.__name__: f
    for f in (flip, truncate, delete_lines, duplicate_lines, line_ends, nested_tags, entity_soup)
}


def mutated(path: Path, kind: str) -> bytes:
    rng = random.Random(f"{path.relative_to(CORPUS).as_posix()}:{kind}")
    return MUTATIONS[kind](path.read_bytes(), rng)


def share(kind: str) -> list[Path]:
    """The corpus files a kind mutates: each file gets three of the kinds, in rotation."""
    k = list(MUTATIONS).index(kind)
    n = len(MUTATIONS)
    return [f for i, f in enumerate(FILES) if k in {i % n, (i + 2) % n, (i + 4) % n}]


# ---- running one input, bounded ---------------------------------------------------------------


def read_and_parse(data: bytes, name: str) -> int:
    """Read ``data`` and parse every document; the number of documents."""
    index = default_index()
    docs = 0
    for item in read_stream(io.BytesIO(data), name):
        if isinstance(item, SourceDocument):
            parse_document(item, index)
            docs += 1
    return docs


def _kind_worker(kind: str, names: list[str], out: Connection) -> None:
    default_index()
    for name in names:
        data = mutated(CORPUS / name, kind)
        out.send(("start", name, 0.0, ""))
        started = time.process_time()
        error = ""
        try:
            read_and_parse(data, name)
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            error = f"{type(exc).__name__}: {exc}"
        out.send(("done", name, time.process_time() - started, error))
    out.send(("end", "", 0.0, ""))


def run_kind(kind: str) -> tuple[dict[str, tuple[float, str]], str | None]:
    """Results per file (CPU seconds, error) and the file being read if the limit struck."""
    names = [f.relative_to(CORPUS).as_posix() for f in share(kind)]
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=_kind_worker, args=(kind, names, child), daemon=True)
    worker.start()
    child.close()
    results: dict[str, tuple[float, str]] = {}
    current: str | None = None
    deadline = time.monotonic() + KIND_WALL_LIMIT
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not parent.poll(left):
                return results, current or "?"
            try:
                what, name, cpu, error = parent.recv()
            except EOFError:
                return results, f"{current} (the worker died)"
            if what == "start":
                current = name
            elif what == "done":
                results[name] = (cpu, error)
                current = None
            else:
                return results, None
    finally:
        worker.kill()
        worker.join(5)
        parent.close()


@pytest.mark.parametrize("kind", list(MUTATIONS))
def test_mutated_corpus_never_crashes_or_hangs(kind: str) -> None:
    results, stuck = run_kind(kind)
    assert stuck is None, f"{kind}: reading {stuck} took over {KIND_WALL_LIMIT} s"
    assert len(results) == len(share(kind)) > 30
    crashes = {n: e for n, (_, e) in results.items() if e}
    slow = {n: round(c, 2) for n, (c, _) in results.items() if c > BUDGET}
    worst = max(results.items(), key=lambda item: item[1][0])
    print(f"{kind}: worst {worst[1][0]:.3f} s CPU on {worst[0]}")
    assert crashes == {}, f"{kind}: an exception escaped read_stream/parse_document"
    assert slow == {}, f"{kind}: over {BUDGET} s of CPU"


# ---- crafted inputs: one per function whose time once grew with the square of the input -------

GROWTH_FACTOR = 8
"""The crafted inputs are timed at a size ``n`` and at ``GROWTH_FACTOR * n``."""

GROWTH_LIMIT = 20.0
"""Time at the larger size over time at the smaller one: linear work gives about 8, quadratic
work 64. A ratio, measured in one process, and not a number of seconds: a loaded machine slows
both sizes alike."""

GROWTH_WALL_LIMIT = 60.0
"""Seconds of wall-clock time for one crafted case at both sizes; a hang fails the test."""


def _growth_worker(build: Callable[[int], Callable[[], object]], n: int, out: Connection) -> None:
    default_index()
    small, large = build(n), build(GROWTH_FACTOR * n)
    best = [float("inf"), float("inf")]
    try:
        gc.collect()
        gc.disable()
        for _ in range(5):  # alternate the sizes, so that a busy moment hits both
            for k, fn in enumerate((small, large)):
                started = time.process_time()
                fn()
                best[k] = min(best[k], time.process_time() - started)
        out.send((best[0], best[1], ""))
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        out.send((best[0], best[1], f"{type(exc).__name__}: {exc}"))


def growth(build: Callable[[int], Callable[[], object]], n: int) -> tuple[float, float]:
    """Best CPU seconds of ``build(n)`` and of ``build(GROWTH_FACTOR * n)``, in a child process.

    The larger is ``inf`` when the child has not answered within :data:`GROWTH_WALL_LIMIT`.
    """
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=_growth_worker, args=(build, n, child), daemon=True)
    worker.start()
    child.close()
    try:
        if not parent.poll(GROWTH_WALL_LIMIT):
            return float("nan"), float("inf")
        small, large, error = parent.recv()
        assert error == "", error
        return float(small), float(large)
    finally:
        worker.kill()
        worker.join(5)
        parent.close()


PREAMBLE = (
    "UNCLAS SECTION 01 OF 02 ASTANA 000395\n\nSIPDIS\n\nE.O. 12958: N/A\n"
    "TAGS: PREL, PGOV, KZ\nSUBJECT: A TEST\n\nREF: A. STATE 1234\n\n1. (U) Summary text.\n\n"
)


def _lay_out(make: Callable[[int], str]) -> Callable[[int], Callable[[], object]]:
    """Builds, for a size, a call that lays out a body of the preamble and ``make(size)``."""

    def build(n: int) -> Callable[[], object]:
        text = PREAMBLE + make(n)
        return lambda: lay_out_body(text)

    return build


def _detect(make: Callable[[int], str]) -> Callable[[int], Callable[[], object]]:
    """Builds, for a size, a call that looks for cable evidence in ``make(size)``."""

    def build(n: int) -> Callable[[], object]:
        text = make(n)
        return lambda: cable_evidence(text)

    return build


# Each: the input as a function of a size, and a size at which the smaller input takes some
# milliseconds, so that the clock's resolution does not matter.
QUADRATIC = [
    pytest.param(
        _detect(lambda n: "x\n" + " " * n + "\n"),
        40_000,
        id="readers/detect.py cable_evidence: paragraph marker regex on a run of blanks",
    ),
    pytest.param(
        _lay_out(lambda n: " " * n + "\n"),
        40_000,
        id="parsing/body.py _keyword_at (_ANY_KEYWORD) on a line of blanks",
    ),
    pytest.param(
        _lay_out(lambda n: "A" * n + "\t" * n + "\n"),
        20_000,
        id="parsing/paragraphs.py removed_in_line (_FOOTER_TAIL) on a run of tabs",
    ),
    pytest.param(
        _lay_out(lambda n: "PARA 1. " * n + "\n"),
        1_000,
        id="parsing/paragraphs.py find_candidates (_SENTENCE_END on the text before) on one long line",
    ),
    pytest.param(
        _lay_out(lambda n: "1. (C) x\n" * n),
        1_000,
        id="parsing/body.py _headings and _numbered: scans of all lines per paragraph start",
    ),
    pytest.param(
        # lines of some length: the cost of counting the newlines before each diagnostic
        # then outgrows the rest of the work at sizes that are quick to time
        _lay_out(lambda n: "".join(f"{k % 3 + 1}. (C) " + "word " * 40 + "\n" for k in range(n))),
        1_000,
        id="parsing/body.py lay_out_body: line numbers of many paragraph-number diagnostics",
    ),
]


@pytest.mark.parametrize(("build", "n"), QUADRATIC)
def test_crafted_inputs_take_linear_time(
    build: Callable[[int], Callable[[], object]], n: int
) -> None:
    small, large = growth(build, n)
    assert large != float("inf"), f"over {GROWTH_WALL_LIMIT} s of wall-clock time"
    assert small > 0.002, f"size {n} takes {small:.4f} s: too small to time; raise it"
    ratio = large / small
    assert ratio <= GROWTH_LIMIT, (
        f"{GROWTH_FACTOR}x the input took {ratio:.1f}x the time ({small:.4f} s, {large:.4f} s): "
        "time grows faster than the input"
    )


CONTROL_AFTER_BR = (
    b"<html><body><table class='cable'><tr><th>Reference ID</th></tr>"
    b"<tr><td><a>06ASTANA395</a></td></tr></table>"
    b"<code><pre>R 020347Z NOV 06<br/>\x0cFM AMEMBASSY ASTANA</pre></code>"
    b"<code><pre>SUBJECT: X<br/>\x0c1. (C) text</pre></code></body></html>"
)


def test_page_with_a_control_character_after_a_br() -> None:
    """A control character XML forbids, after a ``<br>``, is kept as text (no exception)."""
    assert read_and_parse(CONTROL_AFTER_BR, "page.html") == 1
    (doc,) = [d for d in read_stream(io.BytesIO(CONTROL_AFTER_BR), "page.html")]
    assert isinstance(doc, SourceDocument)
    assert doc.header == "R 020347Z NOV 06\n\x0cFM AMEMBASSY ASTANA"
    assert doc.body == "SUBJECT: X\n\x0c1. (C) text"


# ---- hypothesis -------------------------------------------------------------------------------

OPENINGS = [
    b"",
    b"<!DOCTYPE html><html><body><table class='cable'><tr><th>Reference ID</th></tr><tr><td>",
    b'"1","12/28/2006 9:42","06ASTANA395","Embassy Astana","UNCLASSIFIED","","',
    b'{"_id": 1, "header": "',
    b"[\n",
    b"\xef\xbb\xbf",
]


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.sampled_from(OPENINGS), st.binary(max_size=3000), st.booleans())
def test_any_bytes_behind_any_opening(opening: bytes, tail: bytes, gz: bool) -> None:
    data = opening + tail
    if gz:
        data = gzip.compress(data, mtime=0)[: max(10, len(data))]  # possibly cut short
    read_and_parse(data, "fuzz")


def _corpus_lines() -> list[str]:
    lines: set[str] = set()
    for path in FILES[::7]:
        text = path.read_bytes().decode("utf-8", "replace").replace("&#x000A;", "\n")
        lines.update(line for line in text.splitlines() if len(line) < 300)
    return sorted(lines)


CORPUS_LINES = _corpus_lines()
PAGE_OPEN = (
    "<?xml version='1.0'?><!DOCTYPE html><html><body><h3>Viewing cable 06ASTANA395, X</h3>"
    "<table class='cable'><tr><th>Reference ID</th><th>Created</th></tr><tr><td><a>06ASTANA395"
    "</a></td><td><a>2006-11-02 03:47</a></td></tr></table><code><pre>"
)


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.lists(st.sampled_from(CORPUS_LINES), max_size=60),
    st.sampled_from(["\n", "\r\n", "\r", "&#x000A;"]),
    st.sampled_from(["text", "page", "jsonl"]),
)
def test_recombined_corpus_lines(lines: list[str], end: str, form: str) -> None:
    text = end.join(lines)
    if form == "page":
        text = (
            PAGE_OPEN
            + text.replace(end, "&#x000A;")
            + "</pre></code><code><pre>"
            + text
            + "</pre></code></body></html>"
        )
    elif form == "jsonl":
        text = json.dumps({"_id": 1, "header": "", "body": text.replace(end, " ")}) + "\n"
    read_and_parse(text.encode("utf-8"), "fuzz")


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(max_size=2000), st.text(max_size=600))
def test_parse_document_on_arbitrary_fields(body: str, header: str) -> None:
    doc = SourceDocument(
        source=SourceInfo("fuzz", 1, SourceForm.TEXT, "0" * 64),
        source_id=header[:20] or None,
        created=header[:16] or None,
        released=(header[:10],),
        classification=body[:20] or None,
        origin=header[:30] or None,
        title=body[:40] or None,
        header=header,
        body=body,
    )
    parse_document(doc, default_index())


# ---- lxml: no entity expansion, no network ------------------------------------------------------


class Listener:
    """A TCP listener on loopback that records every connection (and answers nothing)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    served = Listener()
    yield served
    served.close()


def hostile_page(port: int) -> bytes:
    laughs = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    ]
    url = f"http://127.0.0.1:{port}"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "{url}/xhtml1-strict.dtd" [
{chr(10).join(laughs)}
<!ENTITY xxe SYSTEM "file:///etc/passwd">
<!ENTITY net SYSTEM "{url}/entity">
<!ENTITY % remote SYSTEM "{url}/parameter-entity">
%remote;
]>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:xi="http://www.w3.org/2001/XInclude">
<head><title>Cable Viewer</title><link rel="stylesheet" href="{url}/style.css"/>
<script src="{url}/cables.js"></script></head><body>
<h3>Viewing cable 06ASTANA395, &lol9; &xxe; &net;</h3>
<table class='cable'><tr><th>Reference ID</th><th>Created</th><th>Released</th>
<th>Classification</th><th>Origin</th></tr><tr><td><a href='/cable/2006/11/06ASTANA395.html'
>06ASTANA395</a></td><td><a>2006-11-02 03:47</a></td><td><a>2010-11-28 18:06</a></td>
<td><a>CONFIDENTIAL</a></td><td><a>Embassy Astana</a></td></tr></table>
<code><pre>R 020347Z NOV 06&#x000A;FM AMEMBASSY ASTANA&#x000A;TO SECSTATE WASHDC &xxe; &lol9;</pre></code>
<code><pre>C O N F I D E N T I A L ASTANA 000395 &#x000A;&#x000A;SUBJECT: &lol9; &net;&#x000A;&#x000A;
1. (C) &xxe; <xi:include href="{url}/xinclude"/><img src="{url}/img.png"/>&#x000A;</pre></code>
</body></html>""".encode()


def test_no_entity_expansion_and_no_network(listener: Listener) -> None:
    page = hostile_page(listener.port)
    started = time.process_time()
    items = list(read_stream(io.BytesIO(page), "hostile.html"))
    docs = [i for i in items if isinstance(i, SourceDocument)]
    assert len(docs) == 1
    records = [parse_document(d, default_index()) for d in docs]
    elapsed = time.process_time() - started
    time.sleep(0.2)  # a connection attempt, had there been one, reaches the listener
    assert listener.connections == 0
    doc = docs[0]
    everything = " ".join(
        [
            doc.header,
            doc.body,
            doc.title or "",
            json.dumps(records[0].record.to_json() if records[0].record else {}),
        ]
    )
    assert "root:" not in everything  # /etc/passwd was not read
    assert "lollollol" not in everything  # the bomb was not expanded
    assert len(everything) < 20_000
    assert elapsed < BUDGET
    assert doc.source_id == "06ASTANA395"


# ---- a 1 GiB single-line input -------------------------------------------------------------------

GIB = 1 << 30
_CHILD = """
import json, sys, time
from collections import Counter
from cablerdf.readers import read_inputs
started = time.monotonic()
codes = Counter(getattr(item, "code", "document") for item in read_inputs([sys.argv[1]]))
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec from the forked parent (a large
# test runner), while VmHWM belongs to this process image alone.
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"codes": codes, "seconds": time.monotonic() - started,
                  "max_rss_mib": int(hwm.split()[1]) / 1024}))
"""

HEADS = {
    "text": b"",
    "page": b"<!DOCTYPE html><html><body><code><pre>",
    "csv": b'"1","12/28/2006 9:42","06ASTANA395","Embassy Astana","UNCLASSIFIED","","',
    "jsonl": b'{"_id": 1, "body": "',
}
EXPECTED = {
    "text": "reader.input-too-large",
    "page": "reader.input-too-large",
    "csv": "reader.line-too-long",
    "jsonl": "reader.line-too-long",
    "gzip": "reader.input-too-large",
}


def _make_gigabyte(folder: Path, kind: str) -> Path:
    """One line of 1 GiB: the opening, then NUL bytes (a sparse file); or its gzip (~1 MiB)."""
    path = folder / f"{kind}.bin"
    if kind == "gzip":
        packer = zlib.compressobj(1, zlib.DEFLATED, 31)
        block = bytes(1 << 20)
        with path.open("wb") as f:
            for _ in range(GIB // len(block)):
                f.write(packer.compress(block))
            f.write(packer.flush())
        return path
    with path.open("wb") as f:
        f.write(HEADS[kind])
        f.truncate(GIB)
    return path


def test_one_gigabyte_line_is_a_diagnostic_in_bounded_memory(tmp_path: Path) -> None:
    paths = {kind: _make_gigabyte(tmp_path, kind) for kind in EXPECTED}
    assert all(p.stat().st_size == GIB for k, p in paths.items() if k != "gzip")
    children = {
        kind: subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for kind, path in paths.items()
    }
    baseline = subprocess.run(
        [sys.executable, "-c", _CHILD, str(CORPUS / "csv" / "cables_sample.row2.csv")],
        capture_output=True,
        check=True,
        timeout=120,
    )
    figures = {"baseline": json.loads(baseline.stdout)}
    for kind, child in children.items():
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err.decode()
        figures[kind] = json.loads(out)
    print(json.dumps({k: (v["max_rss_mib"], round(v["seconds"], 1)) for k, v in figures.items()}))
    for kind, code in EXPECTED.items():
        assert figures[kind]["codes"] == {code: 1}, kind
        assert figures[kind]["max_rss_mib"] < 400, kind  # well under 1 GiB
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 < 2048
    assert os.path.getsize(paths["gzip"]) < 8 * 1024 * 1024


def test_mutations_are_deterministic() -> None:
    path = FILES[0]
    for kind in MUTATIONS:
        assert mutated(path, kind) == mutated(path, kind)


def test_every_reader_form_is_in_the_corpus() -> None:
    forms: set[str] = set()
    for path in FILES:
        for item in read_stream(io.BytesIO(path.read_bytes()), str(path)):
            if isinstance(item, SourceDocument):
                forms.add(item.source.form.value)
            else:
                assert isinstance(item, Diagnostic)
    assert forms >= {"html2010", "html2011", "csv", "text", "plusd", "jsonl"}
