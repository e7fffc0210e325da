"""Load test of ``cablerdf serve``, on loopback only, bounded in requests and time.

Starts ``cablerdf serve OUTPUT --port 0`` in a process of its own, sends a mix of requests
from many threads at once (cable pages, Turtle, JSON-LD and N-Triples by Accept, paragraph
IRIs, browse pages, unknown IDs, small SPARQL queries), checks that every answer has the
expected status and that the server is still up at the end, and prints requests per second
and latency percentiles, overall and per kind. Usage::

    .venv/bin/python benchmarks/serve.py [OUTPUT] [--requests 4000] [--concurrency 32]
        [--threads 16] [--max-seconds 300]

Without OUTPUT, the shared corpus is converted into a temporary folder first (about a
minute).
"""

from __future__ import annotations

import argparse
import http.client
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
SPARQL = "PREFIX dct: <http://purl.org/dc/terms/> SELECT ?c ?t WHERE { ?c dct:title ?t } LIMIT 20"


@dataclass(frozen=True)
class Probe:
    kind: str
    path: str
    accept: str
    expected: int


@dataclass(frozen=True)
class Result:
    kind: str
    status: int
    seconds: float
    ok: bool


def probes(output: Path, rng: random.Random, count: int) -> list[Probe]:
    """A shuffled mix of requests over the cables of ``output``."""
    cables = sorted(p for p in (output / "cables").glob("*/*.ttl"))
    ids = [p.stem for p in cables]
    paragraphs: list[str] = []
    for p in cables[:200]:
        text = p.read_text(encoding="utf-8")
        paragraphs += re.findall(r"<https://[^>]*/cable/[^/>]+/p/[^/>]+>(?= a )", text)
    kinds = [
        ("page", 30, lambda: Probe("page", f"/cable/{rng.choice(ids)}", "text/html", 200)),
        ("turtle", 15, lambda: Probe("turtle", f"/cable/{rng.choice(ids)}", "text/turtle", 200)),
        (
            "jsonld",
            10,
            lambda: Probe("jsonld", f"/cable/{rng.choice(ids)}", "application/ld+json", 200),
        ),
        (
            "ntriples",
            10,
            lambda: Probe("ntriples", f"/cable/{rng.choice(ids)}", "application/n-triples", 200),
        ),
        (
            "paragraph",
            15,
            lambda: Probe(
                "paragraph",
                "/" + rng.choice(paragraphs).strip("<>").split("/", 4)[4],
                rng.choice(["text/html", "text/turtle"]),
                0,
            ),
        ),
        ("browse", 10, lambda: Probe("browse", "/browse/tag/PREL", "text/html", 200)),
        ("unknown", 5, lambda: Probe("unknown", "/cable/06NOWHERE123", "application/json", 404)),
        ("sparql", 5, lambda: Probe("sparql", "/sparql?query=" + quote(SPARQL), "*/*", 200)),
    ]
    weights = [w for _, w, _ in kinds]
    makers = [m for _, _, m in kinds]
    return [rng.choices(makers, weights)[0]() for _ in range(count)]


def send(host: str, port: int, probe: Probe) -> Result:
    started = time.perf_counter()
    try:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        conn.request("GET", probe.path, headers={"Accept": probe.accept})
        response = conn.getresponse()
        response.read()
        conn.close()
        status = response.status
    except OSError:
        status = 0
    seconds = time.perf_counter() - started
    expected = (303, 200) if probe.kind == "paragraph" else (probe.expected,)
    return Result(probe.kind, status, seconds, status in expected)


def start_server(output: Path, store: Path, threads: int) -> tuple[subprocess.Popen[str], int]:
    command = [
        str(Path(sys.executable).parent / "cablerdf"),
        "serve",
        str(output),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--store",
        str(store),
        "--threads",
        str(threads),
        "--quiet",
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    while True:
        line = process.stderr.readline()
        if not line:
            raise SystemExit(f"the server did not start (exit {process.wait()})")
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if found:
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return process, int(found.group(1))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(results: list[Result], elapsed: float) -> None:
    print(f"{len(results)} requests in {elapsed:.1f} s: {len(results) / elapsed:.0f} requests/s")
    by_kind: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_kind[r.kind].append(r)
    print(f"{'kind':<10} {'n':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}  failed")
    for kind, rows in [("all", results), *sorted(by_kind.items())]:
        ms = [r.seconds * 1000 for r in rows]
        failed = sum(not r.ok for r in rows)
        print(
            f"{kind:<10} {len(rows):>6} {percentile(ms, 0.5):>8.1f} {percentile(ms, 0.9):>8.1f} "
            f"{percentile(ms, 0.99):>8.1f} {max(ms):>8.1f}  {failed}"
        )
    statuses = Counter(r.status for r in results)
    print("statuses:", dict(sorted(statuses.items())))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", nargs="?", type=Path)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        output = args.output
        if output is None:
            from cablerdf.convert import ConvertOptions, convert

            output = Path(tmp) / "output"
            print(f"converting {CORPUS} ...", file=sys.stderr)
            convert([str(CORPUS)], output, ConvertOptions(checker=None, jobs=2))
        process, port = start_server(output, Path(tmp) / "store", args.threads)
        try:
            work = probes(output, random.Random(args.seed), args.requests)
            deadline = time.monotonic() + args.max_seconds
            results: list[Result] = []
            lock = threading.Lock()

            def one(probe: Probe) -> None:
                if time.monotonic() > deadline:
                    return
                result = send("127.0.0.1", port, probe)
                with lock:
                    results.append(result)

            started = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                list(pool.map(one, work))
            elapsed = time.perf_counter() - started
            report(results, elapsed)
            alive = send("127.0.0.1", port, Probe("check", "/", "text/html", 200))
            up = alive.ok and process.poll() is None
            print(f"server still up after the load: {'yes' if up else 'NO'}")
            failed = sum(not r.ok for r in results)
            print(
                f"concurrency {args.concurrency}, server threads {args.threads}; "
                f"median of all: {statistics.median(r.seconds for r in results) * 1000:.1f} ms"
            )
            return 0 if up and failed == 0 else 1
        finally:
            process.terminate()
            process.wait(30)


if __name__ == "__main__":
    raise SystemExit(main())
