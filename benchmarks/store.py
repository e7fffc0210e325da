"""Benchmark: loading the corpus into each store, and the example queries on each.

Stores: the embedded store (an on-disk pyoxigraph Store, as ``cablerdf load --store``) and
the Oxigraph server (``oxigraph serve`` on loopback, as ``cablerdf load --endpoint``). For
each: the first load, the second load of the same data (graphs replaced or left alone), and
the median time of each query in ``queries/``.

Figures are quoted as a ratio to a baseline measured in the same run (machines are shared
and noisy): parsing the same N-Quads with ``pyoxigraph.parse``. Usage::

    .venv/bin/python benchmarks/store.py [INPUT ...] [--copies N] [--repeat N]

INPUT defaults to ``../shared/corpus``; ``--copies`` loads the corpus N times under other
graph names (a bigger store, same queries).
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox
import requests

from cablerdf.cable_ids import default_index
from cablerdf.mapping import map_records
from cablerdf.model import Diagnostic
from cablerdf.parsing import parse_documents
from cablerdf.readers import read_inputs
from cablerdf.settings import Settings
from cablerdf.store import (
    Endpoint,
    GraphChunk,
    load_quads,
    open_store,
    push_graphs,
    query_endpoint,
    read_graphs,
    read_vocabulary,
    run_query,
)

REPO = Path(__file__).resolve().parent.parent
SETTINGS = Settings()


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def write_dump(inputs: list[str], copies: int, path: Path) -> int:
    """Parse and map the inputs; write them ``copies`` times as gzipped N-Quads."""
    records = [
        r.record
        for r in parse_documents(read_inputs(inputs), default_index())
        if r.record is not None
    ]
    quads = map_records(records, SETTINGS).quads
    with cast(IO[bytes], gzip.open(path, "wb")) as out:
        for k in range(copies):
            if k == 0:
                ox.serialize(quads, out, ox.RdfFormat.N_QUADS)
                continue
            renamed = (
                ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(f"{q.graph_name}/copy/{k}"))
                for q in quads
            )
            ox.serialize(renamed, out, ox.RdfFormat.N_QUADS)
    return len(quads) * copies


def graphs(path: Path) -> Iterator[tuple[ox.NamedNode, tuple[ox.Quad, ...]]]:
    for item in [*read_vocabulary(SETTINGS), *read_graphs(str(path), SETTINGS)]:
        if isinstance(item, GraphChunk):
            yield item.graph, item.quads
        elif isinstance(item, Diagnostic):
            raise SystemExit(item.render())


def oxigraph_server(folder: Path) -> tuple[subprocess.Popen[bytes], str] | None:
    command = Path(sys.executable).parent / "oxigraph"
    found = str(command) if command.is_file() else shutil.which("oxigraph")
    if found is None:
        return None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [
            found,
            "serve",
            "--location",
            str(folder),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/", timeout=1)
            return process, url
        except requests.ConnectionError:
            time.sleep(0.1)
    process.terminate()
    return None


def consume(result: object) -> int:
    if isinstance(result, Diagnostic):
        raise SystemExit(result.render())
    if isinstance(result, ox.QueryBoolean):
        return 1
    return sum(1 for _ in cast(Iterable[object], result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="*", default=[str(REPO.parent / "shared" / "corpus")])
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    queries = sorted((REPO / "queries").glob("*.rq"))

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        dump = work / "cables.nq.gz"
        total = write_dump(args.inputs, args.copies, dump)

        def parse_dump() -> int:
            with cast(IO[bytes], gzip.open(dump, "rb")) as stream:
                return sum(1 for _ in ox.parse(stream, ox.RdfFormat.N_QUADS))

        baseline = statistics.median(timed(parse_dump) for _ in range(3))
        print(f"{total} quads; baseline: pyoxigraph.parse of the dump {baseline:.3f} s\n")
        print(f"{'stage':<44} {'seconds':>9} {'x baseline':>11}")

        def row(name: str, seconds: float) -> None:
            print(f"{name:<44} {seconds:>9.3f} {seconds / baseline:>11.2f}")

        store = open_store(work / "embedded")
        row("embedded: first load", timed(lambda: load_quads(store, graphs(dump))))
        row("embedded: load again (unchanged)", timed(lambda: load_quads(store, graphs(dump))))
        for q in queries:
            text = q.read_text(encoding="utf-8")
            t = statistics.median(
                timed(lambda text=text: consume(run_query(store, text)))  # type: ignore[misc]
                for _ in range(args.repeat)
            )
            row(f"embedded: {q.stem}", t)

        started = oxigraph_server(work / "server")
        if started is None:
            print("\nthe Oxigraph server is not installed (pip install oxigraph): skipped")
            return
        process, url = started
        try:
            gsp = Endpoint(url + "/store")
            sparql = Endpoint(url + "/query")
            row("server: first load (PUT per graph)", timed(lambda: push_graphs(gsp, graphs(dump))))
            row("server: load again", timed(lambda: push_graphs(gsp, graphs(dump))))
            for q in queries:
                text = q.read_text(encoding="utf-8")
                t = statistics.median(
                    timed(lambda text=text: consume(query_endpoint(sparql, text)))  # type: ignore[misc]
                    for _ in range(args.repeat)
                )
                row(f"server: {q.stem}", t)
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
