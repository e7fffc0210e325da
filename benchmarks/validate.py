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
engine's.

``--compare OLD_SRC`` times the native engine of this tree against the one of another source
tree instead (``OLD_SRC`` is put first on ``PYTHONPATH`` of a child process; make one from a
commit without touching the work tree with ``git archive HEAD src | tar -x -C /tmp/old``):
the graphs are written once to a temporary N-Quads file, then each tree validates every
graph in its own child process, the trees alternating for ``--rounds`` rounds. Each child
reports its CPU time per cable (the fastest of ``--repeat`` passes) and a digest of every
result and report byte; the script prints both trees' times, the ratio old/new, and exits 1
when the digests differ. Usage::

    .venv/bin/python benchmarks/validate.py [INPUT ...] [--engines native,turbo,pyshacl]
        [--limit N] [--batch N] [--repeat N] [--oxigraph-rules]
    .venv/bin/python benchmarks/validate.py [INPUT ...] --compare OLD_SRC [--rounds R]
        [--repeat N] [--limit N]

INPUT defaults to ``../shared/corpus``; ``--limit`` validates the first N graphs only.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
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
from cablerdf.validation import SHAPE_FILE_NAMES, Validator

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


COMPARE_CHILD = r"""
import hashlib, json, sys, time
import pyoxigraph as ox
import rdflib
from cablerdf.validation import Validator

data, shapes, repeat = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
graphs = {}
for quad in ox.parse(open(data, "rb").read(), format=ox.RdfFormat.N_QUADS):
    graphs.setdefault(quad.graph_name.value, []).append(quad)
shape_graph = rdflib.Graph()
for path in shapes:
    shape_graph.parse(path, format="turtle")
validator = Validator(shape_graph, rdflib.Graph(), "native")
digest = hashlib.sha256()
for quads in graphs.values():
    for v in validator.validate_quads(quads):
        results = [r.to_json() for r in v.results]
        digest.update(json.dumps([v.graph, v.conforms, results]).encode() + v.report_turtle)
cpu = float("inf")
for _ in range(repeat):
    start = time.process_time()
    for quads in graphs.values():
        validator.validate_quads(quads)
    cpu = min(cpu, time.process_time() - start)
print(json.dumps({"cables": len(graphs), "cpu": cpu, "digest": digest.hexdigest()}))
"""


def compare_child(src: str, data: str, repeat: int) -> dict[str, object]:
    """One child process validating every graph of ``data`` with the tree ``src``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    shapes = ",".join(str(REPO / "shapes" / name) for name in SHAPE_FILE_NAMES)
    out = subprocess.run(
        [sys.executable, "-c", COMPARE_CHILD, data, shapes, str(repeat)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def compare(graphs: Sequence[Graph], old_src: str, rounds: int, repeat: int) -> int:
    """Time this tree's native engine against ``old_src``'s, alternating; 1 when their
    results or reports differ."""
    trees = {"old": old_src, "new": str(REPO / "src")}
    best: dict[str, float] = {}
    digests: dict[str, set[object]] = {name: set() for name in trees}
    with tempfile.TemporaryDirectory(prefix="cablerdf-validate-") as tmp:
        data = os.path.join(tmp, "graphs.nq")
        with open(data, "wb") as f:
            f.write(
                ox.serialize(
                    [q for quads in quads_of(graphs) for q in quads], format=ox.RdfFormat.N_QUADS
                )
                or b""
            )
        for k in range(rounds):
            for name, src in trees.items():
                r = compare_child(src, data, repeat)
                per = 1000 * float(r["cpu"]) / int(r["cables"])  # type: ignore[arg-type]
                best[name] = min(best.get(name, float("inf")), per)
                digests[name].add(r["digest"])
                print(f"round {k + 1}: {name} {per:.3f} ms/cable (cpu)")
    old, new = best["old"], best["new"]
    print(f"old {old_src}: {old:.3f} ms/cable; new: {new:.3f} ms/cable (cpu, best of {rounds})")
    print(f"ratio old/new: {old / new:.2f}x")
    same = len(digests["old"] | digests["new"]) == 1
    print("results and reports: " + ("identical" if same else "DIFFERENT"))
    return 0 if same else 1


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
    parser.add_argument("--compare", metavar="OLD_SRC", help="time against another source tree")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of --compare")
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
    if args.compare:
        sys.exit(compare(graphs, args.compare, args.rounds, args.repeat))

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
