"""Benchmark: mapping cable records to quads, against the mapping of a git revision and a baseline.

The input is read and parsed once into cable records, grouped by reference ID as ``convert``
maps them (one ``map_records`` call per cable). The mapping of a git revision (``HEAD`` by
default: ``git show REV:src/cablerdf/mapping.py``, copied to a temporary folder and imported
from there) maps the same cables, and every cable's quads (in order), diagnostics and
N-Triples text must be the same as those of the working tree's mapping, or the script stops.

Then, in rounds, each of these runs over every cable in turn, so that the load of a shared
machine falls on all of them alike:

* ``baseline``: create the same number of pyoxigraph quads from prepared strings: each term
  made with ``NamedNode`` or ``Literal``, then ``Quad`` (the least a mapping that builds its
  quads term by term does);
* ``parse``: the same quads read back from their prepared N-Quads bytes (``pyoxigraph.parse``,
  lenient), the cheapest bulk way to get them as objects;
* ``old``: ``map_records`` of the revision;
* ``new``: ``map_records`` of the working tree.

Figures are milliseconds per cable (the best and the median round, wall and CPU time), with
ratios to the baseline measured in the same run. ``--pickle`` also reports the size of a
record pickled and the time to pickle and unpickle it (records travel between processes).
Usage::

    .venv/bin/python benchmarks/mapping.py [INPUT ...] [--rounds N] [--rev REV]
        [--old PATH] [--limit N] [--pickle]

INPUT defaults to ``../shared/corpus``. Once the mapping measured is committed, ``HEAD`` holds it
too: pass ``--rev`` the commit to compare with (or ``--old`` a copy of its mapping).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

import pyoxigraph as ox

from cablerdf import mapping
from cablerdf.cable_ids import default_index
from cablerdf.model import CableRecord
from cablerdf.parsing import parse_documents
from cablerdf.readers import read_inputs
from cablerdf.settings import Settings

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
MAPPING = "src/cablerdf/mapping.py"

Cable = list[CableRecord]
Term = tuple[str, str | None]  # an IRI (datatype None) or a literal's value and datatype
Prepared = list[tuple[str, str, Term, str]]  # subject, predicate, object, graph


def load_module(path: Path, name: str) -> ModuleType:
    """Import the Python file at ``path`` as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def old_mapping(rev: str, path: Path | None, folder: Path) -> ModuleType:
    """The mapping module of a git revision (or of a file), imported from a copy."""
    if path is None:
        path = folder / "mapping_old.py"
        source = subprocess.run(
            ["git", "show", f"{rev}:{MAPPING}"], cwd=REPO, check=True, capture_output=True
        ).stdout
        path.write_bytes(source)
    return load_module(path, "cablerdf_mapping_old")


def read_cables(inputs: Sequence[str], limit: int | None) -> list[Cable]:
    """The records of the input, grouped by reference ID, in ID order."""
    groups: dict[str, Cable] = {}
    for result in parse_documents(read_inputs(list(inputs)), default_index()):
        if result.record is not None:
            groups.setdefault(result.record.reference_id, []).append(result.record)
    cables = [groups[rid] for rid in sorted(groups)]
    return cables[:limit] if limit is not None else cables


def prepare(quads: Sequence[ox.Quad]) -> Prepared:
    """The strings of each quad's terms (subject, predicate, object, graph)."""
    out: Prepared = []
    for q in quads:
        o = q.object
        obj: Term
        if isinstance(o, ox.Literal):
            dt = o.datatype.value
            obj = (o.value, None if dt.endswith("#string") else dt)
        else:
            assert isinstance(o, ox.NamedNode)
            obj = (o.value, None)
        assert isinstance(q.subject, ox.NamedNode) and isinstance(q.graph_name, ox.NamedNode)
        out.append((q.subject.value, q.predicate.value, obj, q.graph_name.value))
    return out


def baseline(prepared: Sequence[Prepared], literal: Sequence[list[bool]]) -> int:
    """Create every prepared quad from its strings, term by term."""
    made = 0
    for quads, is_literal in zip(prepared, literal, strict=True):
        for (s, p, (o, dt), g), lit in zip(quads, is_literal, strict=True):
            if lit:
                term: ox.NamedNode | ox.Literal = (
                    ox.Literal(o) if dt is None else ox.Literal(o, datatype=ox.NamedNode(dt))
                )
            else:
                term = ox.NamedNode(o)
            ox.Quad(ox.NamedNode(s), ox.NamedNode(p), term, ox.NamedNode(g))
            made += 1
    return made


def parse_back(documents: Sequence[bytes]) -> int:
    """Read every cable's quads back from its N-Quads bytes."""
    return sum(len(list(ox.parse(d, format=ox.RdfFormat.N_QUADS, lenient=True))) for d in documents)


def mapper(module: ModuleType, cables: Sequence[Cable], settings: Settings) -> Callable[[], int]:
    def run() -> int:
        return sum(len(module.map_records(c, settings).quads) for c in cables)

    return run


def check_same(old: ModuleType, cables: Sequence[Cable], settings: Settings) -> int:
    """Stop unless old and new give the same quads, in the same order, diagnostics and
    N-Triples texts."""
    for cable in cables:
        a = old.map_records(cable, settings)
        b = mapping.map_records(cable, settings)
        if a.quads != b.quads or [str(q) for q in a.quads] != [str(q) for q in b.quads]:
            raise SystemExit(f"{cable[0].reference_id}: the quads differ")
        if a.diagnostics != b.diagnostics:
            raise SystemExit(f"{cable[0].reference_id}: the diagnostics differ")
        if a.ntriples != b.ntriples:
            raise SystemExit(f"{cable[0].reference_id}: the N-Triples texts differ")
    return len(cables)


def pickle_report(cables: Sequence[Cable], rounds: int) -> None:
    records = [r for c in cables for r in c]
    blobs = [pickle.dumps(r, protocol=pickle.HIGHEST_PROTOCOL) for r in records]
    texts = sum(len(r.body) + sum(len(p.text) for p in r.paragraphs) for r in records)
    dumps, loads = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for r in records:
            pickle.dumps(r, protocol=pickle.HIGHEST_PROTOCOL)
        t1 = time.perf_counter()
        for b in blobs:
            pickle.loads(b)
        t2 = time.perf_counter()
        dumps.append(t1 - t0)
        loads.append(t2 - t1)
    n = len(records)
    print(
        f"pickle: {sum(map(len, blobs)) / n / 1024:.1f} KiB a record (largest "
        f"{max(map(len, blobs)) / 1024:.1f} KiB; body and paragraph texts "
        f"{texts / n / 1024:.1f} Ki characters), dumps {1000 * min(dumps) / n:.3f} ms, "
        f"loads {1000 * min(loads) / n:.3f} ms a record (best round)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="*", default=[str(CORPUS)])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--rev", default="HEAD", help="git revision of the old mapping")
    parser.add_argument("--old", type=Path, help="a file holding the old mapping instead")
    parser.add_argument("--limit", type=int, help="map the first N cables only")
    parser.add_argument("--pickle", action="store_true", help="also time pickling records")
    args = parser.parse_args()

    settings = Settings()
    cables = read_cables(args.inputs, args.limit)
    with tempfile.TemporaryDirectory(prefix="cablerdf-mapping-") as folder:
        old = old_mapping(args.rev, args.old, Path(folder))
        checked = check_same(old, cables, settings)
    quads = [mapping.map_records(c, settings).quads for c in cables]
    prepared = [prepare(q) for q in quads]
    literal = [[isinstance(q.object, ox.Literal) for q in qs] for qs in quads]
    documents = [ox.serialize(list(q), format=ox.RdfFormat.N_QUADS) or b"" for q in quads]
    total = sum(map(len, quads))
    print(
        f"{len(cables)} cables, {sum(map(len, cables))} records, {total} quads "
        f"({total / len(cables):.0f} a cable, {sum(map(sum, literal)) / total:.0%} with a "
        f"literal object); old and new give the same quads and diagnostics for all {checked}"
    )

    runs: dict[str, Callable[[], int]] = {
        "baseline": lambda: baseline(prepared, literal),
        "parse": lambda: parse_back(documents),
        "old": mapper(old, cables, settings),
        "new": mapper(mapping, cables, settings),
    }
    wall: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for name, run in runs.items():  # warm up (caches, lazy tables)
        if run() != total:
            raise SystemExit(f"{name} made a different number of quads")
    gc.collect()
    gc.freeze()  # the prepared data is no garbage: no collection need scan it again
    for _ in range(args.rounds):
        for name, run in runs.items():
            w0, c0 = time.perf_counter(), time.process_time()
            run()
            wall[name].append(time.perf_counter() - w0)
            cpu[name].append(time.process_time() - c0)

    def ms(seconds: float) -> float:
        return 1000 * seconds / len(cables)

    base = min(wall["baseline"])
    print(f"ms per cable over {args.rounds} rounds (best / median), ratio of the best to baseline")
    for name in runs:
        print(
            f"  {name:9} wall {ms(min(wall[name])):6.3f} / {ms(statistics.median(wall[name])):6.3f}"
            f"   CPU {ms(min(cpu[name])):6.3f} / {ms(statistics.median(cpu[name])):6.3f}"
            f"   x{min(wall[name]) / base:5.2f} baseline"
        )
    speedups = [o / n for o, n in zip(wall["old"], wall["new"], strict=True)]
    print(
        f"old/new: {min(wall['old']) / min(wall['new']):.2f} (best rounds), "
        f"{statistics.median(speedups):.2f} (median of the rounds' ratios)"
    )
    if args.pickle:
        pickle_report(cables, args.rounds)


if __name__ == "__main__":
    main()
