"""Benchmark: SHACL validation of every cable graph, against parsing the same graphs.

The corpus is read, parsed and mapped once; then each stage is timed over the same graphs:

* baseline: parse each graph's N-Triples into an rdflib graph (the cheapest rdflib work);
* parse: read and parse the corpus into cable records (for scale: the pipeline's first step);
* each SHACL engine (``turbo``, ``pyshacl``), one run per named graph, as the library does;
* batch: the same engine run once over the union of a batch of graphs (results would then
  have to be split by cable), to show whether batching pays.

Figures are milliseconds per cable and seconds for the corpus, with the ratio to the baseline
measured in the same run (machines are shared and noisy), and the time projected to the
251,287 published cables. Usage::

    .venv/bin/python benchmarks/validate.py [INPUT ...] [--engines turbo,pyshacl] [--limit N]
        [--batch N]

INPUT defaults to ``../shared/corpus``; ``--limit`` validates the first N graphs only.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox
import rdflib

from cablerdf.cable_ids import default_index
from cablerdf.mapping import map_records
from cablerdf.parsing import parse_documents
from cablerdf.readers import read_inputs
from cablerdf.settings import Settings
from cablerdf.validation import Validator

REPO = Path(__file__).resolve().parent.parent
PUBLISHED = 251_287

Graph = tuple[str, list[ox.Triple]]


def graphs_of(quads: Sequence[ox.Quad]) -> list[Graph]:
    graphs: dict[str, list[ox.Triple]] = {}
    for q in quads:
        name = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
        graphs.setdefault(name, []).append(ox.Triple(q.subject, q.predicate, q.object))
    return list(graphs.items())


def baseline(graphs: Sequence[Graph]) -> None:
    for _, triples in graphs:
        data = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")
        rdflib.Graph().parse(data=data, format="nt")


def per_graph(validator: Validator, graphs: Sequence[Graph]) -> int:
    violations = 0
    for name, triples in graphs:
        violations += not validator.validate_triples(name, triples).conforms
    return violations


def batched(validator: Validator, graphs: Sequence[Graph], size: int) -> None:
    for k in range(0, len(graphs), size):
        union = [t for _, triples in graphs[k : k + size] for t in triples]
        validator.validate_triples("", union)


def line(what: str, seconds: float, cables: int, base: float) -> str:
    per = 1000 * seconds / cables
    projected = per * PUBLISHED / 1000 / 3600
    return (
        f"{what:<26} {per:8.1f} ms/cable  {seconds:7.1f} s for {cables} cables  "
        f"x{seconds / base:7.1f} baseline  ~{projected:5.1f} h for {PUBLISHED:,} cables"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("inputs", nargs="*", default=[str(REPO.parent / "shared" / "corpus")])
    parser.add_argument("--engines", default="turbo,pyshacl")
    parser.add_argument("--limit", type=int, default=0, help="validate the first N graphs only")
    parser.add_argument("--batch", type=int, default=50, help="graphs per batched run (0: none)")
    args = parser.parse_args()

    start = time.perf_counter()
    results = list(parse_documents(read_inputs(args.inputs), default_index()))
    parse_seconds = time.perf_counter() - start
    records = [r.record for r in results if r.record]
    graphs = graphs_of(map_records(records, Settings()).quads)
    if args.limit:
        graphs = graphs[: args.limit]
    cables = len(graphs)
    triples = sum(len(t) for _, t in graphs)
    print(f"{len(records)} records, {len(graphs)} cable graphs, {triples} triples")

    start = time.perf_counter()
    baseline(graphs)
    base = time.perf_counter() - start
    print(line("baseline (N-Triples->rdflib)", base, cables, base))
    all_cables = len({r.reference_id for r in records})
    parsing = parse_seconds * cables / max(all_cables, 1)  # the share of these cables
    print(line("read and parse", parsing, cables, base))
    for engine in [e for e in args.engines.split(",") if e]:
        validator = Validator.load(engine)
        start = time.perf_counter()
        failing = per_graph(validator, graphs)
        seconds = time.perf_counter() - start
        print(line(f"{engine}, one run per cable", seconds, cables, base))
        print(f"{'':<26} {failing} graph(s) not conforming")
        if args.batch:
            start = time.perf_counter()
            batched(validator, graphs, args.batch)
            print(
                line(
                    f"{engine}, batches of {args.batch}", time.perf_counter() - start, cables, base
                )
            )


if __name__ == "__main__":
    main()
