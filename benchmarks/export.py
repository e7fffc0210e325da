"""Benchmark: the export writers (Turtle, framed JSON-LD, N-Quads, N-Triples) of every cable,
old against new, against a baseline measured in the same run.

The corpus is read, parsed, grouped by cable and mapped once, one cable at a time as convert
maps it; then each stage is timed over the same cable graphs, stages taking turns for
``--rounds`` rounds (the best round of each is kept: machines are shared and noisy):

* baseline: pyoxigraph's N-Triples serialisation of each cable's triples, unsorted (the
  least any writer here does: every one serialises the triples at least once);
* old: the writers as they were before this benchmark: Turtle and N-Triples from triples
  sorted by a Python key, N-Quads from a set of quads, JSON-LD compacted by pyld
  (:func:`cablerdf.export.jsonld_document_pyld`) and written by ``json.dumps``;
* new: :func:`cablerdf.export.turtle_bytes`, ``jsonld_bytes(jsonld_document(...))``,
  ``nquads_bytes``, ``ntriples_bytes``, each called alone, and ``serialisations`` (all four
  at once, the triples serialised and sorted once), also given the N-Triples text the
  mapping hands over (``MappingResult.ntriples``), as convert can pass it;
* revision: ``serialisations`` of the export module of a git revision (``--rev``, ``HEAD``
  by default: ``git show REV:src/cablerdf/export.py`` imported from a temporary folder; or
  ``--previous PATH``), so that a change of the writers is measured against the writers
  it changes, in the same run; of a revision, its JSON-LD compaction module
  (``src/cablerdf/_jsonld.py``) is imported with it;
* the JSON-LD part of ``serialisations`` given the mapping's lines (compaction, framing and
  writing), new and of the revision, alone.

Old, revision and new bytes (and the JSON-LD part's) are compared for every cable first; the
script exits 1 if one differs.
Figures are CPU milliseconds per cable (``time.process_time``, which a busy machine disturbs
less than wall time), with the ratio to the baseline. Usage::

    .venv/bin/python benchmarks/export.py [INPUT ...] [--rounds N] [--old-rounds N]
        [--limit N] [--rev REV | --previous PATH]

INPUT defaults to ``../shared/corpus``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pyoxigraph as ox

from cablerdf import export
from cablerdf.cable_ids import default_index
from cablerdf.iris import Minter
from cablerdf.mapping import map_records
from cablerdf.model import CableRecord
from cablerdf.parsing import parse_documents
from cablerdf.readers import read_inputs
from cablerdf.settings import Settings

REPO = Path(__file__).resolve().parent.parent

Cable = tuple[ox.NamedNode, list[ox.Quad], bytes | None]
"""A cable's IRI, its quads, and the N-Triples text the mapping handed over with them."""


# ---- the writers as they were (the comparison's "old") ------------------------------------


def _old_sorted_triples(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    triples = {q.triple for q in quads}
    rdf_type = export.vocab.RDF.type.value
    return sorted(
        triples,
        key=lambda t: (
            str(t.subject),
            t.predicate.value != rdf_type,
            t.predicate.value,
            str(t.object),
        ),
    )


def _old_serialize(terms: Iterable[Any], fmt: ox.RdfFormat) -> bytes:
    return ox.serialize(terms, format=fmt, prefixes={}) or b""


def old_turtle(quads: list[ox.Quad]) -> bytes:
    text = (
        ox.serialize(
            _old_sorted_triples(quads), format=ox.RdfFormat.TURTLE, prefixes=dict(export.PREFIXES)
        )
        or b""
    )
    lines = text.splitlines(keepends=True)
    body = 0
    while body < len(lines) and lines[body].startswith(b"@prefix "):
        body += 1
    head = "".join(f"@prefix {name}: <{ns}> .\n" for name, ns in export.PREFIXES.items())
    return head.encode("utf-8") + b"".join(lines[body:])


def old_ntriples(quads: list[ox.Quad]) -> bytes:
    lines = _old_serialize(_old_sorted_triples(quads), ox.RdfFormat.N_TRIPLES)
    return b"".join(sorted(lines.splitlines(keepends=True)))


def old_nquads(quads: list[ox.Quad]) -> bytes:
    lines = _old_serialize(set(quads), ox.RdfFormat.N_QUADS)
    return b"".join(sorted(lines.splitlines(keepends=True)))


def old_jsonld(root: ox.NamedNode, quads: list[ox.Quad], loader: export.OfflineLoader) -> bytes:
    document = export.jsonld_document_pyld(quads, root, loader)
    return (json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()


# ---- the corpus --------------------------------------------------------------------------


def cables_of(inputs: Sequence[str], settings: Settings) -> list[Cable]:
    """Each cable's quads, mapped from its records alone, as convert maps them."""
    records: dict[str, list[CableRecord]] = {}
    for result in parse_documents(read_inputs(list(inputs)), default_index()):
        if result.record is not None:
            records.setdefault(result.record.reference_id, []).append(result.record)
    minter = Minter.for_settings(settings)
    cables: list[Cable] = []
    for rid in sorted(records):
        mapped = map_records(records[rid], settings)
        cables.append((minter.cable(rid), list(mapped.quads), mapped.ntriples))
    return cables


def _import_apart(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def revision_export(rev: str, path: Path | None, folder: Path) -> ModuleType:
    """The export module of git revision ``rev`` (or the file ``path``), imported apart; of
    a revision, with the JSON-LD compaction module (``_jsonld``) of that revision too."""
    if path is not None:
        return _import_apart("cablerdf_export_revision", path)
    for name in ("export", "_jsonld"):
        text = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{rev}:src/cablerdf/{name}.py"],
            check=True,
            capture_output=True,
        ).stdout
        (folder / f"{name}_revision.py").write_bytes(text)
    module = _import_apart("cablerdf_export_revision", folder / "export_revision.py")
    module._jsonld = _import_apart("cablerdf_jsonld_revision", folder / "_jsonld_revision.py")
    return module


def jsonld_part(module: ModuleType, loader: Any) -> Callable[[Cable], bytes]:
    """The JSON-LD part of ``module``'s ``serialisations`` given the mapping's lines: the
    nodes compacted off the lines, framed, and written."""

    def stage(cable: Cable) -> bytes:
        root, quads, ntriples = cable
        assert ntriples is not None
        lines = module._Lines.given(quads, ntriples)
        return bytes(module.jsonld_bytes(module._jsonld_document(lines, quads, root, loader)))

    return stage


def best_of(
    stages: dict[str, Callable[[Cable], object]], cables: Sequence[Cable], rounds: int
) -> dict[str, float]:
    """The least CPU seconds each stage took over ``cables`` in ``rounds`` turns (in
    reverse order every other turn: a stage's place in a turn sways its time)."""
    best = dict.fromkeys(stages, float("inf"))
    for turn in range(rounds):
        for name, stage in list(stages.items())[:: 1 if turn % 2 == 0 else -1]:
            start = time.process_time()
            for cable in cables:
                stage(cable)
            best[name] = min(best[name], time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("inputs", nargs="*", default=[str(REPO.parent / "shared" / "corpus")])
    parser.add_argument("--rounds", type=int, default=7, help="turns of the fast stages")
    parser.add_argument("--old-rounds", type=int, default=2, help="turns of old JSON-LD")
    parser.add_argument("--limit", type=int, default=0, help="the first N cables only")
    parser.add_argument("--rev", default="HEAD", help="git revision of the previous writers")
    parser.add_argument("--previous", type=Path, help="a file holding the previous export.py")
    args = parser.parse_args()

    settings = Settings()
    loader = export.OfflineLoader.for_minter(Minter.for_settings(settings))
    cables = cables_of(args.inputs, settings)
    if args.limit:
        cables = cables[: args.limit]
    triples = sum(len(c[1]) for c in cables)
    print(f"{len(cables)} cables, {triples} quads ({triples / len(cables):.0f} a cable)")
    with tempfile.TemporaryDirectory(prefix="cablerdf-export-") as folder:
        previous = revision_export(args.rev, args.previous, Path(folder))
    previous_loader = previous.OfflineLoader.for_minter(Minter.for_settings(settings))

    differ = 0
    for root, quads, ntriples in cables:
        both = export.serialisations(quads, root, loader)
        given = export.serialisations(quads, root, loader, ntriples=ntriples)
        before = previous.serialisations(quads, root, previous_loader)
        if ntriples is not None:
            cable = (root, quads, ntriples)
            part = jsonld_part(export, loader)(cable)
            if not part == both.jsonld == jsonld_part(previous, previous_loader)(cable):
                differ += 1
                print(f"DIFFERENT: {root.value} jsonld part", file=sys.stderr)
        for what, old, new in (
            ("turtle", old_turtle(quads), export.turtle_bytes(quads)),
            (
                "jsonld",
                old_jsonld(root, quads, loader),
                export.jsonld_bytes(export.jsonld_document(quads, root, loader)),
            ),
            ("nquads", old_nquads(quads), export.nquads_bytes(quads)),
            ("ntriples", old_ntriples(quads), export.ntriples_bytes(quads)),
        ):
            if not old == new == getattr(both, what) == getattr(given, what):
                differ += 1
                print(f"DIFFERENT: {root.value} {what}", file=sys.stderr)
            if getattr(before, what) != new:
                differ += 1
                print(f"DIFFERENT from the revision: {root.value} {what}", file=sys.stderr)
    print(
        f"old, revision and new bytes compared for {len(cables)} cables x 4 writers: "
        f"{differ} differ"
    )

    def baseline(cable: Cable) -> None:
        ox.serialize((q.triple for q in cable[1]), format=ox.RdfFormat.N_TRIPLES)

    fast: dict[str, Callable[[Cable], object]] = {
        "baseline": baseline,
        "old turtle": lambda c: old_turtle(c[1]),
        "old nquads": lambda c: old_nquads(c[1]),
        "old ntriples": lambda c: old_ntriples(c[1]),
        "new turtle": lambda c: export.turtle_bytes(c[1]),
        "new jsonld": lambda c: export.jsonld_bytes(export.jsonld_document(c[1], c[0], loader)),
        "new nquads": lambda c: export.nquads_bytes(c[1]),
        "new ntriples": lambda c: export.ntriples_bytes(c[1]),
        "new all four, serialisations()": lambda c: export.serialisations(c[1], c[0], loader),
        "new all four, given the lines": lambda c: export.serialisations(
            c[1], c[0], loader, ntriples=c[2]
        ),
        "revision all four, serialisations()": lambda c: previous.serialisations(
            c[1], c[0], previous_loader
        ),
        "new jsonld part, given the lines": jsonld_part(export, loader),
        "revision jsonld part, given the lines": jsonld_part(previous, previous_loader),
    }
    seconds = best_of(fast, cables, args.rounds)
    seconds |= best_of(
        {"old jsonld (pyld)": lambda c: old_jsonld(c[0], c[1], loader)}, cables, args.old_rounds
    )
    seconds["old all four"] = sum(seconds[f"old {w}"] for w in ("turtle", "nquads", "ntriples"))
    seconds["old all four"] += seconds["old jsonld (pyld)"]
    seconds["new all four (each alone)"] = sum(
        seconds[f"new {w}"] for w in ("turtle", "jsonld", "nquads", "ntriples")
    )
    base = seconds["baseline"]
    print(f"{'stage':<32} {'ms/cable':>9} {'x baseline':>11}")
    for writer in ("baseline", "turtle", "jsonld", "nquads", "ntriples", "all four"):
        for name in [n for n in seconds if n.split(" ", 1)[-1].startswith(writer)]:
            per = 1000 * seconds[name] / len(cables)
            print(f"{name:<32} {per:9.3f} {seconds[name] / base:11.1f}")
    for writer in ("turtle", "jsonld", "nquads", "ntriples"):
        old = next(v for k, v in seconds.items() if k.startswith(f"old {writer}"))
        print(f"speed-up, {writer:<22} {old / seconds[f'new {writer}']:9.1f}x")
    for new in ("new all four, serialisations()", "new all four (each alone)"):
        print(f"speed-up, {new[4:]:<22} {seconds['old all four'] / seconds[new]:9.1f}x")
    revision = seconds["revision all four, serialisations()"]
    for new in ("new all four, serialisations()", "new all four, given the lines"):
        print(f"revision/new, {new[4:]:<32} {revision / seconds[new]:6.2f}x")
    part = "jsonld part, given the lines"
    print(f"revision/new, {part:<32} {seconds[f'revision {part}'] / seconds[f'new {part}']:6.2f}x")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
