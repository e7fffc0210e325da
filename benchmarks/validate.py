"""Benchmark: SHACL validation of every cable graph, against parsing the same graphs.

The corpus is read, parsed and mapped once; then each stage is timed over the same graphs:

* baseline: parse each graph's N-Triples into an rdflib graph (the cheapest rdflib work);
* parse: read and parse the corpus into cable records (for scale: the pipeline's first step);
* each SHACL engine (``native``, ``turbo``, ``pyshacl``), one run per named graph, as the
  library does (``Validator.validate_quads`` on the graph's quads);
* batch: the same engine run once over the union of a batch of graphs (results would then
  have to be split by cable), to show whether batching pays;
* ``--oxigraph-rules``: the SPARQL rules run in pyoxigraph instead of the native engine's
  evaluator (each graph loaded into a fresh ``Store``, or into one store emptied with
  ``clear()``; each ``sh:select`` run for each focus node, ``$this`` pre-bound through
  pyoxigraph's substitutions), the design the native engine was measured against.

Figures are milliseconds per cable (wall time, and the process's CPU time beside it: on a
shared machine the wall time also counts waiting for a core) and seconds for the corpus, with
the ratio to the baseline measured in the same run (machines are shared and noisy), and the
time projected to the 251,287 published cables. ``--repeat N`` times each stage N times and
keeps the fastest run. The last lines compare each engine's CPU time with the first
engine's. Usage::

    .venv/bin/python benchmarks/validate.py [INPUT ...] [--engines native,turbo,pyshacl]
        [--limit N] [--batch N] [--repeat N] [--oxigraph-rules]

INPUT defaults to ``../shared/corpus``; ``--limit`` validates the first N graphs only.
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pyoxigraph as ox
import rdflib

from cablerdf import _shacl
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


def quads_of(graphs: Sequence[Graph]) -> list[list[ox.Quad]]:
    """Each graph's triples as quads in that named graph (what ``convert`` validates)."""
    return [
        [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(name)) for t in triples]
        for name, triples in graphs
    ]


def per_graph(validator: Validator, graphs: Sequence[Sequence[ox.Quad]]) -> int:
    violations = 0
    for quads in graphs:
        (validation,) = validator.validate_quads(quads)
        violations += not validation.conforms
    return violations


def timed(work: Callable[[], object], repeat: int) -> tuple[float, float]:
    """The fastest wall time and the fastest CPU time (seconds) of ``repeat`` runs."""
    wall = cpu = float("inf")
    for _ in range(max(repeat, 1)):
        start, start_cpu = time.perf_counter(), time.process_time()
        work()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu


def batched(validator: Validator, graphs: Sequence[Graph], size: int) -> None:
    for k in range(0, len(graphs), size):
        union = [t for _, triples in graphs[k : k + size] for t in triples]
        validator.validate_triples("", union)


def oxigraph_rules(
    graphs: Sequence[Sequence[ox.Quad]], repeat: int
) -> list[tuple[str, float, float]]:
    """(stage, wall seconds, CPU seconds) of the SPARQL rules run in pyoxigraph: loading
    each graph into a fresh store, into one store emptied with ``clear()``, and running
    every ``sh:select`` for each of its focus nodes in the fresh stores."""
    engine = _shacl.Engine(Validator.load("native").shapes)
    rules = [(shape, c) for shape in engine.roots for c in shape.sparql]
    triples = [[ox.Quad(q.subject, q.predicate, q.object) for q in quads] for quads in graphs]
    focus: list[list[tuple[str, dict[ox.Variable, object]]]] = []
    for quads in graphs:
        _, graph = engine.validate(quads)
        focus.append(
            [
                (c.query, {ox.Variable("this"): _shacl.to_ox(node)})
                for shape, c in rules
                for node in shape.targets.focus_nodes(graph)
            ]
        )
    stores: list[ox.Store] = []

    def fresh() -> None:
        stores.clear()
        for quads in triples:
            store = ox.Store()
            store.bulk_extend(quads)
            stores.append(store)

    def reused() -> None:
        store = ox.Store()
        for quads in triples:
            store.clear()
            store.bulk_extend(quads)

    def queries() -> None:
        for store, runs in zip(stores, focus, strict=True):
            for query, substitutions in runs:
                list(store.query(query, substitutions=substitutions))  # type: ignore[arg-type]

    out = []
    for what, work in (("fresh store per graph", fresh), ("one store, clear()", reused)):
        wall, cpu = timed(work, repeat)
        out.append((f"oxigraph: {what}", wall, cpu))
    wall, cpu = timed(queries, repeat)
    out.append(("oxigraph: the 17 rules", wall, cpu))
    return out


def line(what: str, seconds: float, cables: int, base: float, cpu: float | None = None) -> str:
    per = 1000 * seconds / cables
    projected = per * PUBLISHED / 1000 / 3600
    cpu_text = f" (cpu {1000 * cpu / cables:6.2f})" if cpu is not None else " " * 13
    return (
        f"{what:<28} {per:8.2f} ms/cable{cpu_text}  {seconds:7.1f} s for {cables} cables  "
        f"x{seconds / base:7.2f} baseline  ~{projected:5.1f} h for {PUBLISHED:,} cables"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("inputs", nargs="*", default=[str(REPO.parent / "shared" / "corpus")])
    parser.add_argument("--engines", default="native,turbo,pyshacl")
    parser.add_argument("--limit", type=int, default=0, help="validate the first N graphs only")
    parser.add_argument("--batch", type=int, default=50, help="graphs per batched run (0: none)")
    parser.add_argument("--repeat", type=int, default=1, help="keep the fastest of N runs")
    parser.add_argument(
        "--oxigraph-rules", action="store_true", help="time the SPARQL rules in pyoxigraph"
    )
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

    base, base_cpu = timed(lambda: baseline(graphs), args.repeat)
    print(line("baseline (N-Triples->rdflib)", base, cables, base, base_cpu))
    all_cables = len({r.reference_id for r in records})
    parsing = parse_seconds * cables / max(all_cables, 1)  # the share of these cables
    print(line("read and parse", parsing, cables, base))
    cpu_of: dict[str, float] = {}
    quads = quads_of(graphs)
    for engine in [e for e in args.engines.split(",") if e]:
        validator = Validator.load(engine)
        failing: list[int] = []
        run = functools.partial(lambda v, out: out.append(per_graph(v, quads)), validator, failing)
        seconds, cpu = timed(run, args.repeat)
        cpu_of[engine] = cpu
        print(line(f"{engine}, one run per cable", seconds, cables, base, cpu))
        print(f"{'':<28} {failing[-1]} graph(s) not conforming")
        if args.batch:
            seconds, cpu = timed(functools.partial(batched, validator, graphs, args.batch), 1)
            print(line(f"{engine}, batches of {args.batch}", seconds, cables, base, cpu))
    if args.oxigraph_rules:
        for what, seconds, cpu in oxigraph_rules(quads, args.repeat):
            print(line(what, seconds, cables, base, cpu))
    first = next(iter(cpu_of), None)
    for engine, cpu in cpu_of.items():
        if first is not None and engine != first:
            print(f"{engine} CPU time / {first} CPU time: {cpu / cpu_of[first]:.1f}")


if __name__ == "__main__":
    main()
