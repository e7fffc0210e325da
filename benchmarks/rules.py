"""Benchmark: the CPU time of each SPARQL-based shape of ``cablerdf-rules.ttl``, per cable.

The corpus is read, parsed and mapped once; then every cable graph is validated once by the
native engine with the Core shapes and a rules file, recording each call of a shape's
``sh:sparql`` constraint (``_SparqlConstraint.validate``, with its graph and focus node).
Those calls are then replayed shape by shape, ``--rounds`` times, and the fastest CPU time
of each shape is kept: replaying one constraint at a time is far steadier than timing it
inside whole validations. With ``--old RULES`` a second rules file (for instance the
committed one, written out with ``git show HEAD:shapes/cablerdf-rules.ttl``) is captured and
replayed the same way, each file first in every other round; the script prints both files'
times by shape, the ratio old/new, and exits 1 when the two files give different results
(the set of results of each graph).
Usage::

    .venv/bin/python benchmarks/rules.py [INPUT ...] [--rules RULES] [--old OLD_RULES]
        [--rounds R] [--limit N]

INPUT defaults to ``../shared/corpus``; ``--rules`` defaults to ``shapes/cablerdf-rules.ttl``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox
import rdflib

from cablerdf import _shacl
from cablerdf.cable_ids import default_index
from cablerdf.mapping import map_records
from cablerdf.parsing import parse_documents
from cablerdf.readers import read_inputs
from cablerdf.settings import Settings

REPO = Path(__file__).resolve().parent.parent
CORE = REPO / "shapes" / "cablerdf-shapes.ttl"


def engine_of(rules: Path) -> _shacl.Engine:
    """The native engine of the Core shapes and ``rules``."""
    shapes = rdflib.Graph()
    shapes.parse(str(CORE), format="turtle")
    shapes.parse(str(rules), format="turtle")
    return _shacl.Engine(shapes)


Call = tuple[_shacl._SparqlConstraint, _shacl._Run, _shacl.Shape, _shacl.Term]


def capture(
    engine: _shacl.Engine, graphs: Sequence[Sequence[ox.Quad]]
) -> tuple[dict[str, list[Call]], str]:
    """Every call of a SPARQL constraint made in validating ``graphs``, by shape (to be
    replayed), and a digest of the set of results of each graph."""
    calls: dict[str, list[Call]] = defaultdict(list)
    original = _shacl._SparqlConstraint.validate

    def record(
        self: _shacl._SparqlConstraint,
        run: _shacl._Run,
        shape: _shacl.Shape,
        focus: _shacl.Term,
        out: list[_shacl.Result],
    ) -> None:
        calls[shape.text].append((self, run, shape, focus))
        original(self, run, shape, focus, out)

    digest = hashlib.sha256()
    _shacl._SparqlConstraint.validate = record  # type: ignore[method-assign]
    try:
        for quads in graphs:
            found, _ = engine.validate(quads)
            digest.update(repr(sorted(set(map(repr, found)))).encode())
    finally:
        _shacl._SparqlConstraint.validate = original  # type: ignore[method-assign]
    return dict(calls), digest.hexdigest()


def replay(calls: Sequence[Call]) -> float:
    """CPU seconds of making ``calls`` again (each graph's memo emptied first)."""
    for _, run, _, _ in calls:
        run.memo.clear()
    out: list[_shacl.Result] = []
    gc.collect()
    start = time.process_time()
    for constraint, run, shape, focus in calls:
        constraint.validate(run, shape, focus, out)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("inputs", nargs="*", default=[str(REPO.parent / "shared" / "corpus")])
    parser.add_argument("--rules", type=Path, default=REPO / "shapes" / "cablerdf-rules.ttl")
    parser.add_argument("--old", type=Path, help="a second rules file to time against")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()

    records = [
        r.record for r in parse_documents(read_inputs(args.inputs), default_index()) if r.record
    ]
    quads = map_records(records, Settings()).quads
    by_graph: dict[object, list[ox.Quad]] = {}
    for q in quads:
        by_graph.setdefault(q.graph_name, []).append(q)
    graphs = list(by_graph.values())[: args.limit or None]
    cables = len(graphs)
    files = {"new": args.rules} | ({"old": args.old} if args.old else {})
    captured = {name: capture(engine_of(path), graphs) for name, path in files.items()}
    outcome = {name: digest for name, (_, digest) in captured.items()}
    best: dict[str, dict[str, float]] = {name: {} for name in files}
    for k in range(max(args.rounds, 1)):
        order = list(files) if k % 2 else list(reversed(files))  # old first, then new first
        for shape in captured["new"][0]:
            for name in order:
                seconds = replay(captured[name][0].get(shape, []))
                best[name][shape] = min(best[name].get(shape, float("inf")), seconds)
    shapes = sorted(best["new"], key=lambda s: -best["new"][s])
    header = f"{'shape':<60} {'new ms/cable':>12}"
    print(header + (f" {'old ms/cable':>12} {'old/new':>8}" if args.old else ""))
    for shape in shapes:
        new = 1000 * best["new"][shape] / cables
        text = f"{shape:<60} {new:12.4f}"
        if args.old:
            old = 1000 * best["old"].get(shape, 0.0) / cables
            text += f" {old:12.4f} {old / new if new else 0:8.2f}"
        print(text)
    total_new = 1000 * sum(best["new"].values()) / cables
    print(f"{'all SPARQL rules':<60} {total_new:12.4f}", end="")
    if args.old:
        total_old = 1000 * sum(best["old"].values()) / cables
        print(f" {total_old:12.4f} {total_old / total_new:8.2f}")
        same = outcome["old"] == outcome["new"]
        print(f"{cables} cables; results: " + ("identical" if same else "DIFFERENT"))
        sys.exit(0 if same else 1)
    print(f"\n{cables} cables")


if __name__ == "__main__":
    main()
