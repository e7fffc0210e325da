"""The mapping's invariants on cables and on variants made to reach its faster paths
(paragraphs and selectors written directly, merged sorting, cached post, station and
country nodes).

Cables of the shared corpus, and variants of them with paragraph spans out of the body, removed
spans and a second source version, are mapped; each cable's quads must be sorted by their
N-Quads text and distinct, ``ntriples`` must be pyoxigraph's N-Triples of them, and each
out-of-range span is warned about once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from conftest import CORPUS

from cablerdf import mapping
from cablerdf.cable_ids import default_index
from cablerdf.model import CableRecord, Span
from cablerdf.parsing import parse_documents
from cablerdf.readers import read_inputs
from cablerdf.settings import Settings

SETTINGS = Settings()
LIMIT = 80


def _corpus_cables() -> list[list[CableRecord]]:
    groups: dict[str, list[CableRecord]] = {}
    for result in parse_documents(read_inputs([str(CORPUS)]), default_index()):
        if result.record is not None:
            groups.setdefault(result.record.reference_id, []).append(result.record)
    return [groups[rid] for rid in sorted(groups)][:LIMIT]


def _variants(cable: list[CableRecord]) -> Iterator[list[CableRecord]]:
    """The cable, then its records mutated: spans out of the body, removed spans, a copy as a
    second version with its paragraphs reversed (so other keys, numbers repeated)."""
    yield cable
    first = cable[0]
    length = len(first.body)
    shifted = tuple(
        dataclasses.replace(
            p,
            span=Span(p.span.start + length // 2, p.span.end + length // 2),
            removed=(Span(p.span.start, p.span.start + 1), Span(length + 5, length + 2)),
        )
        for p in first.paragraphs
    )
    yield [dataclasses.replace(first, paragraphs=shifted), *cable[1:]]
    assert first.source is not None
    other = dataclasses.replace(
        first,
        paragraphs=tuple(reversed(first.paragraphs)) + first.paragraphs[:2],
        source=dataclasses.replace(first.source, sha256="", line=first.source.line + 1),
        released=(*first.released, "2011-09-01"),
        body=first.body + "\n",
    )
    yield [*cable, other]


@pytest.fixture(scope="module")
def cables() -> list[list[CableRecord]]:
    return [v for cable in _corpus_cables() for v in _variants(cable)]


def test_quads_sorted_and_ntriples_as_pyoxigraph_writes_them(
    cables: list[list[CableRecord]],
) -> None:
    assert cables
    for cable in cables:
        result = mapping.map_records(cable, SETTINGS)
        lines = [str(q) for q in result.quads]
        assert lines == sorted(lines, key=lambda line: line.encode())
        assert len(set(lines)) == len(lines)
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in result.quads]
        expected = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        assert result.ntriples == expected


def test_spans_out_of_the_body_warned_in_order(cables: list[list[CableRecord]]) -> None:
    warned = 0
    for cable in cables:
        result = mapping.map_records(cable, SETTINGS)
        codes = [d.message for d in result.diagnostics if d.code == "mapping.span-out-of-range"]
        assert len(codes) == len(set(codes))
        warned += len(codes)
    assert warned > 0
