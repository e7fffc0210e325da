"""Time the strict RDF checkers on a generated N-Triples file (1 M triples by default).

Usage: .venv/bin/python benchmarks/checkers.py [--triples N] [--jsonld-triples N] [--dir DIR]

The file imitates cablerdf output: 100 triples a synthetic cable (IRIs, escaped multi-line
paragraph text, language tags, typed literals). Each checker runs as the tests run it, through
``tests/rdfcheck.py``. jsonld.js reads JSON-LD, not N-Triples, so it is timed on the first
``--jsonld-triples`` triples converted to JSON-LD by pyoxigraph. Prints one line a checker:
wall time, and CPU time (user + system, all threads, so it may exceed wall time for Java),
which says more than wall time on a busy machine.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from rdfcheck import check_jsonld_safe, check_n3, check_riot, check_serdi

BASE = "https://cables.example.org/"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
SCHEMA = "http://schema.org/"
C4O = "http://purl.org/spar/c4o/"
PO = "http://www.essepuntato.it/2008/12/pattern#"
PARAGRAPHS = 24  # 4 triples a paragraph + 4 for the cable = 100 triples a cable
TEXT = (
    '1. (C) Ambassador met the Minister on {n} March; the Minister said \\"we will see\\".'
    "\\nSECOND LINE: caf\\u00E9, Malm\\u00F6, \\u00AB\\u00A0quoted\\u00A0\\u00BB and a tab\\t."
)


def cable_triples(n: int) -> Iterator[str]:
    """The 100 N-Triples lines of synthetic cable number ``n``."""
    cable = f"<{BASE}cable/{n:02d}SYNTHETIC{n}>"
    yield f'{cable} <{DCT}identifier> "{n:02d}SYNTHETIC{n}" .\n'
    yield f'{cable} <{DCT}title> "SUBJECT OF CABLE {n}: \\"QUOTED\\" WORDS"@en .\n'
    yield f'{cable} <{DCT}created> "2009-03-{1 + n % 28:02d}T10:22:00Z"^^<{XSD}dateTime> .\n'
    yield f"{cable} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{SCHEMA}Message> .\n"
    for p in range(1, PARAGRAPHS + 1):
        para = f"<{BASE}cable/{n:02d}SYNTHETIC{n}/p/{p}>"
        yield f"{para} <{PO}isContainedBy> {cable} .\n"
        yield f'{para} <{SCHEMA}position> "{p}"^^<{XSD}integer> .\n'
        yield f'{para} <{C4O}hasContent> "{TEXT.format(n=n)}"@en .\n'
        yield f"{cable} <{PO}contains> {para} .\n"


def write_ntriples(path: Path, triples: int) -> int:
    """Write at least ``triples`` triples (whole cables); return how many were written."""
    written = 0
    with path.open("w", encoding="utf-8") as out:
        n = 0
        while written < triples:
            lines = list(cable_triples(n))
            out.writelines(lines)
            written += len(lines)
            n += 1
    return written


def write_jsonld(source: Path, target: Path, triples: int) -> int:
    """Convert the first ``triples`` lines of ``source`` to JSON-LD; return the triple count."""
    with source.open(encoding="utf-8") as lines:
        head = "".join(line for _, line in zip(range(triples), lines, strict=False))
    parsed = list(ox.parse(head.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))
    data = ox.serialize(parsed, format=ox.RdfFormat.JSON_LD)
    assert data is not None
    target.write_bytes(data)
    return len(parsed)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(label: str, triples: int, check: Callable[[], None]) -> None:
    """Run one check; print wall time, the checker's CPU time (user + system) and the rate."""
    start, cpu_start = time.perf_counter(), _children_cpu()
    check()
    seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu_start
    rate = triples / seconds / 1000
    print(
        f"{label:<34} {triples:>9,} triples {seconds:7.2f} s wall {cpu:7.2f} s CPU "
        f"{rate:6.0f} k triples/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--jsonld-triples", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, help="where to write the files (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.dir or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        nt = directory / "synthetic.nt"
        start = time.perf_counter()
        triples = write_ntriples(nt, args.triples)
        print(
            f"wrote {nt.name}: {triples:,} triples, {nt.stat().st_size / 1e6:.0f} MB "
            f"in {time.perf_counter() - start:.1f} s"
        )
        timed("serdi (-i ntriples)", triples, lambda: check_serdi(nt, "nt"))
        timed("Jena riot (tools/riot-validate nt)", triples, lambda: check_riot(nt, "nt"))
        timed("N3.js (tools/n3-validate)", triples, lambda: check_n3(nt))
        jsonld = directory / "synthetic.jsonld"
        small = write_jsonld(nt, jsonld, args.jsonld_triples)
        timed("jsonld.js safe (tools/jsonld-safe)", small, lambda: check_jsonld_safe(jsonld, {}))
        timed("Jena riot (jsonld10)", small, lambda: check_riot(jsonld, "jsonld"))


if __name__ == "__main__":
    main()
