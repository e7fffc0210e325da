"""Writers: a cable's quads become Turtle, JSON-LD, N-Triples and N-Quads bytes; files are
written atomically; dumps are gzipped deterministically; the dataset-level files (joined SHACL
report, VoID and DCAT description, run provenance) are built here. Layout: ``docs/output.md``.

Everything here is deterministic: the same quads give the same bytes. Turtle uses the fixed
prefixes of :data:`PREFIXES`. JSON-LD is compacted with the packaged, versioned context
(:func:`context_document`), served by an :class:`OfflineLoader` that serves that context and
nothing else, passed on every call; it is then framed into trees, breadth first from the cable
(:func:`jsonld_document`). The compaction is cablerdf's own (:mod:`cablerdf._jsonld`: the
context compiled once into look-up tables); pyld's compaction stays as the reference it is
tested against (:func:`jsonld_document_pyld`).
"""

from __future__ import annotations

import bisect
import functools
import gzip
import hashlib
import itertools
import json
import operator
import os
import re
import tempfile
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, Any, Final, Self

import pyoxigraph as ox
from pyld import jsonld  # type: ignore[import-untyped]

from cablerdf import _jsonld, iris, vocab
from cablerdf.iris import Minter

__all__ = [
    "CONTEXT_FILE",
    "CONTEXT_PATH",
    "DCAT",
    "PREFIXES",
    "SH",
    "TERMS",
    "VOIDD",
    "AtomicWriter",
    "DatasetStats",
    "DumpFile",
    "OfflineLoader",
    "ResultLine",
    "Serialisations",
    "cable_file",
    "context_bytes",
    "context_document",
    "context_iri",
    "dataset_description",
    "dataset_part",
    "description_turtle",
    "jsonld_bytes",
    "jsonld_document",
    "jsonld_document_pyld",
    "nquads_bytes",
    "ntriples_bytes",
    "published_iri",
    "report_closing",
    "report_lines",
    "report_opening",
    "run_provenance",
    "serialisations",
    "sha256_file",
    "sha256_manifest",
    "sorted_triples",
    "turtle_bytes",
    "write_atomic",
]

PREFIXES: Final[Mapping[str, str]] = {
    **{v.__name__.lower(): str(v.NS) for v in vocab.VOCABULARIES},  # type: ignore[attr-defined]
    "sch": iris.SCHEME_NAMESPACE,
}
"""The fixed Turtle prefixes: one per vocabulary of :mod:`cablerdf.vocab`, and ``sch:``."""

CONTEXT_FILE: Final = "context-v1.jsonld"
"""The packaged JSON-LD context (``src/cablerdf/data/``), version 1."""

CONTEXT_PATH: Final = "context/v1.jsonld"
"""Where the context is published, relative to the base IRI and to the output folder."""

POSITION_TERM: Final = "position"
"""The context's term for ``schema:position``, the order of paragraphs, addressees, REFs."""

_RDF_TYPE: Final = vocab.RDF.type.value
_XSD_STRING: Final = vocab.XSD.string.value
_XSD_INTEGER: Final = vocab.XSD.integer.value
_XSD_BOOLEAN: Final = vocab.XSD.boolean.value
_SAFE_INTEGER = re.compile(r"0|-?[1-9][0-9]{0,14}")  # exact as a JSON number everywhere


# ---- RDF text ----------------------------------------------------------------------------

_TYPE: Final = f"<{_RDF_TYPE}> "


def _serialize(
    terms: Iterable[ox.Triple] | Iterable[ox.Quad],
    fmt: ox.RdfFormat,
    prefixes: Mapping[str, str] | None = None,
) -> bytes:
    return ox.serialize(terms, format=fmt, prefixes=dict(prefixes or {})) or b""


def _split(text: str) -> list[str]:
    """The lines of N-Triples or N-Quads ``text``, without their newline (``\\u2028`` and
    the like are in the text as they are: only a newline ends a line)."""
    lines = text.split("\n")
    lines.pop()  # after the last newline
    return lines


def _sorted_distinct(lines: list[str]) -> tuple[list[str], list[int]]:
    """The distinct ``lines`` sorted, and the position in ``lines`` of each."""
    order = sorted(range(len(lines)), key=lines.__getitem__)
    ordered = [lines[k] for k in order]
    if any(map(operator.eq, ordered, itertools.islice(ordered, 1, None))):
        order = [k for i, k in enumerate(order) if i == 0 or ordered[i] != ordered[i - 1]]
        ordered = [lines[k] for k in order]
    return ordered, order


def _text(lines: list[str]) -> bytes:
    """``lines`` as UTF-8 text, each ending with a newline."""
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


@dataclass(frozen=True)
class _Lines:
    """The triples of some quads, their N-Triples lines, and the distinct lines sorted.

    Sorted N-Triples lines are the order of every writer here: N-Triples itself; JSON-LD
    reads its nodes off them (:func:`_jsonld.compact_nodes`); Turtle takes its order from
    them (:func:`_turtle_positions`). Strings sort as their UTF-8 bytes do.
    """

    quads: Sequence[ox.Quad]
    sorted: list[str]  # the distinct lines, sorted
    positions: list[int] | None  # sorted[i] is the line of quads[positions[i]]; None: of quads[i]
    triple_terms: bool  # whether "<<(" is in the text: maybe a triple term

    @classmethod
    def of(cls, quads: Sequence[ox.Quad]) -> _Lines:
        """The lines of the triples of ``quads``."""
        text = _serialize([q.triple for q in quads], ox.RdfFormat.N_TRIPLES).decode("utf-8")
        lines = _split(text)
        if all(map(operator.lt, lines, itertools.islice(lines, 1, None))):
            return cls(quads, lines, None, "<<(" in text)  # sorted already, as mapped quads are
        ordered, positions = _sorted_distinct(lines)
        return cls(quads, ordered, positions, "<<(" in text)

    @classmethod
    def given(cls, quads: Sequence[ox.Quad], ntriples: bytes) -> _Lines:
        """The lines of ``quads`` whose N-Triples text, line ``i`` that of ``quads[i]``,
        sorted and distinct, is ``ntriples``."""
        text = ntriples.decode("utf-8")
        lines = _split(text) if text else []
        if len(lines) != len(quads):
            raise ValueError(f"{len(lines)} N-Triples lines given for {len(quads)} quads")
        return cls(quads, lines, None, "<<(" in text)

    def turtle_order(self) -> list[ox.Triple]:
        """The distinct triples as :func:`sorted_triples` orders them."""
        order = None if self.triple_terms else _turtle_positions(self.sorted)
        quads = self.quads
        positions = self.positions
        if positions is None:
            if order is None:
                return sorted({q.triple for q in quads}, key=_sort_key)
            return [quads[i].triple for i in order]
        if order is None:
            return sorted({quads[k].triple for k in positions}, key=_sort_key)
        return [quads[positions[i]].triple for i in order]

    def graph(self) -> ox.NamedNode | ox.BlankNode | ox.DefaultGraph | None:
        """The one graph all the quads are in; None if none or several."""
        quads = self.quads
        if not quads or len(set(map(_GRAPH_NAME, quads))) != 1:
            return None
        graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph = quads[0].graph_name
        return graph

    def turtle(self, graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph | None) -> bytes:
        """:func:`turtle_bytes` of the quads, all of them in ``graph`` (None: not known to
        be in one graph).

        The quads of one named graph are written as TriG in :func:`sorted_triples` order,
        without making their triples: a TriG graph block is ``G {``, then the Turtle of the
        triples with one more tab at the start of each line, then ``}``, and no term holds a
        line feed. Else the triples are written as Turtle.
        """
        order = None if self.triple_terms else _turtle_positions(self.sorted)
        if order is None or not isinstance(graph, ox.NamedNode):
            return _turtle(self.turtle_order(), PREFIXES)
        quads = self.quads
        positions = self.positions
        if positions is None:
            ordered = [quads[i] for i in order]
        else:
            ordered = [quads[positions[i]] for i in order]
        text = _serialize(ordered, ox.RdfFormat.TRIG, _PREFIX_MAP)
        body = 0
        while text.startswith(b"@prefix ", body):  # pyoxigraph's own, in an order of its own
            body = text.find(b"\n", body) + 1
        start = text.index(b" {\n", body) + 3  # after the graph name
        if b"\n" in text[body : start - 1] or not text.endswith(b"\n}\n"):
            raise ValueError("pyoxigraph wrote TriG of one graph other than as one block")
        inner = (b"\n" + text[start:-2]).replace(b"\n\t", b"\n")
        return _PREFIX_HEAD + inner[1:]

    def nquads(
        self, ntriples: bytes, graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph | None
    ) -> bytes:
        """:func:`nquads_bytes` of the quads, all of them in ``graph`` (None: not known to
        be in one graph), whose :func:`ntriples_bytes` are ``ntriples``.

        The N-Quads lines of one graph's quads are their N-Triples lines with the graph
        name before the final `` .``: distinct and sorted alike (what follows a line's
        object, `` .`` or `` <g> .``, starts with a space either way, and no object is a
        proper prefix of another followed by a space). Quads of several graphs, of a blank
        node graph, or maybe with triple terms are written apart.
        """
        if self.triple_terms:
            return nquads_bytes(self.quads)
        if isinstance(graph, ox.DefaultGraph):
            return ntriples
        if isinstance(graph, ox.NamedNode):
            return ntriples.replace(b" .\n", f" <{graph.value}> .\n".encode())
        return nquads_bytes(self.quads)


_GRAPH_NAME: Final = operator.attrgetter("graph_name")
_PREFIX_MAP: Final = dict(PREFIXES)
_PREFIX_HEAD: Final = "".join(f"@prefix {n}: <{ns}> .\n" for n, ns in PREFIXES.items()).encode()


def _turtle_positions(lines: list[str]) -> list[int] | None:
    """Positions of sorted distinct N-Triples ``lines`` (no triple terms) in the order of
    :func:`sorted_triples`: each subject's ``rdf:type`` lines moved before its other lines.
    None when the lines' order differs otherwise.

    A line is ``S P O .``. Subjects and objects compare as their N-Triples text, as in
    :func:`sorted_triples`, since neither is ever followed by a character below a space.
    Predicates compare by their IRI, which their bracketed text does too, unless one IRI is
    a prefix of another followed by a character below ``>`` (then None).
    """
    predicates = sorted({line[(i := line.find(" ")) + 2 : line.find(">", i)] for line in lines})
    for a, b in itertools.pairwise(predicates):
        if b.startswith(a) and b[len(a)] < ">":
            return None
    order: list[int] = []
    start, end = 0, len(lines)
    while start < end:
        opening = lines[start][: lines[start].index(" ") + 1]  # the subject and a space
        stop = bisect.bisect_left(lines, opening[:-1] + "!", start)
        types = bisect.bisect_left(lines, opening + _TYPE, start, stop)
        after = bisect.bisect_left(lines, opening + _TYPE[:-1] + "!", types, stop)
        order += range(types, after)
        order += range(start, types)
        order += range(after, stop)
        start = stop
    return order


def _sort_key(t: ox.Triple) -> tuple[str, bool, str, str]:
    return (str(t.subject), t.predicate.value != _RDF_TYPE, t.predicate.value, str(t.object))


def sorted_triples(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    """The distinct triples of ``quads``: by subject, ``rdf:type`` first, then predicate, object.

    Subjects and objects compare as their N-Triples text, predicates as their IRI. The order
    is read off the sorted N-Triples lines of the triples (:func:`_turtle_positions`); where
    it would differ, the triples are sorted by that key itself.
    """
    return _Lines.of(list(quads)).turtle_order()


def _turtle(triples: Sequence[ox.Triple], prefixes: Mapping[str, str]) -> bytes:
    """Turtle of ``triples`` in their order, opening with ``prefixes`` in their order."""
    text = _serialize(triples, ox.RdfFormat.TURTLE, prefixes)
    body = 0
    while text.startswith(b"@prefix ", body):  # pyoxigraph's own, in an order of its own
        body = text.find(b"\n", body) + 1 or len(text)
    head = "".join(f"@prefix {name}: <{ns}> .\n" for name, ns in prefixes.items())
    return head.encode("utf-8") + text[body:]


def turtle_bytes(quads: Iterable[ox.Quad]) -> bytes:
    """Turtle of the triples of ``quads``, sorted, with the fixed :data:`PREFIXES`."""
    return _turtle(sorted_triples(quads), PREFIXES)


def _sorted_lines(text: bytes) -> bytes:
    """The distinct lines of N-Triples or N-Quads ``text``, sorted."""
    lines = text.split(b"\n")
    lines.pop()  # after the last newline
    lines.sort()
    if any(map(operator.eq, lines, itertools.islice(lines, 1, None))):
        lines = [line for i, line in enumerate(lines) if i == 0 or line != lines[i - 1]]
    return b"\n".join(lines) + b"\n" if lines else b""


def ntriples_bytes(quads: Iterable[ox.Quad]) -> bytes:
    """N-Triples of the triples of ``quads``, one line each, sorted."""
    return _sorted_lines(_serialize((q.triple for q in quads), ox.RdfFormat.N_TRIPLES))


def nquads_bytes(quads: Iterable[ox.Quad]) -> bytes:
    """N-Quads of ``quads``, one line each, sorted."""
    return _sorted_lines(_serialize(quads, ox.RdfFormat.N_QUADS))


# ---- JSON-LD -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def context_bytes() -> bytes:
    """The packaged JSON-LD context, byte for byte as it is published."""
    return resources.files("cablerdf").joinpath("data", CONTEXT_FILE).read_bytes()


def context_document() -> dict[str, Any]:
    """A fresh copy of the packaged JSON-LD context document."""
    document: dict[str, Any] = json.loads(context_bytes())
    return document


def context_iri(minter: Minter) -> str:
    """The IRI the context is published at: ``{base}context/v1.jsonld``."""
    return minter.base + CONTEXT_PATH


@dataclass(frozen=True)
class OfflineLoader:
    """A pyld document loader that serves fixed documents (JSON text by IRI) and nothing else.

    No network, no state: every call parses its document afresh, so pyld can never change it.
    """

    documents: tuple[tuple[str, str], ...]

    @classmethod
    def for_minter(cls, minter: Minter) -> OfflineLoader:
        """The loader of cablerdf's context, at its IRI under ``minter``'s base."""
        return cls(((context_iri(minter), context_bytes().decode("utf-8")),))

    @property
    def context(self) -> str:
        """The IRI of the first document: the context that :func:`jsonld_document` uses."""
        return self.documents[0][0]

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        for iri, text in self.documents:
            if iri == url:
                return {
                    "contentType": "application/ld+json",
                    "contextUrl": None,
                    "documentUrl": url,
                    "document": json.loads(text),
                }
        raise jsonld.JsonLdError(
            f"no local copy of {url}; cablerdf never loads documents from the network",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading document failed",
        )


def _id(term: ox.NamedNode | ox.BlankNode | ox.Triple) -> str:
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return str(term)


def _value_object(term: ox.Literal) -> dict[str, Any]:
    datatype = term.datatype.value
    if datatype == _XSD_STRING:
        return {"@value": term.value}
    if datatype == _XSD_INTEGER and _SAFE_INTEGER.fullmatch(term.value):
        return {"@value": int(term.value)}
    if datatype == _XSD_BOOLEAN and term.value in ("true", "false"):
        return {"@value": term.value == "true"}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    return {"@value": term.value, "@type": datatype}


def _node_objects(quads: Iterable[ox.Quad]) -> dict[str, dict[str, Any]]:
    """Expanded JSON-LD node objects of the triples of ``quads``, by subject IRI."""
    nodes: dict[str, dict[str, Any]] = {}
    for t in sorted_triples(quads):
        subject = _id(t.subject)
        node = nodes.get(subject)
        if node is None:
            node = nodes[subject] = {"@id": subject}
        o = t.object
        if t.predicate.value == _RDF_TYPE and isinstance(o, ox.NamedNode):
            node.setdefault("@type", []).append(o.value)
        elif isinstance(o, ox.Literal):
            node.setdefault(t.predicate.value, []).append(_value_object(o))
        else:
            node.setdefault(t.predicate.value, []).append({"@id": _id(o)})
    return nodes


def _links(nodes: Mapping[str, dict[str, Any]]) -> dict[str, list[str]]:
    """For each subject, the subjects its values point at, in property order (types left out)."""
    links: dict[str, list[str]] = {}
    for subject, node in nodes.items():
        targets: list[str] = []
        for key in sorted(k for k in node if not k.startswith("@")):
            targets += [v["@id"] for v in node[key] if "@id" in v and v["@id"] in nodes]
        links[subject] = targets
    return links


def _tree(root: str, links: Mapping[str, list[str]]) -> tuple[list[str], list[tuple[str, str]]]:
    """The trees that hold every subject of ``links`` (subject -> the subjects its values
    point at): roots, and (parent, child) edges in the order found.

    Breadth first from ``root``, so that a node hangs where it is nearest to the cable (a
    paragraph under the cable, not under a version that also points at it); then from the
    least subject not yet reached that no other unreached subject points at (else, on a
    cycle, the least one), and so on.
    """
    seen: set[str] = set()
    roots: list[str] = []
    edges: list[tuple[str, str]] = []

    def grow(start: str) -> None:
        roots.append(start)
        seen.add(start)
        queue = deque([start])
        while queue:
            parent = queue.popleft()
            for child in links[parent]:
                if child not in seen:
                    seen.add(child)
                    edges.append((parent, child))
                    queue.append(child)

    if root in links:
        grow(root)
    while len(seen) < len(links):
        rest = sorted(s for s in links if s not in seen)
        pointed = {t for s in rest for t in links[s] if t != s}
        grow(next((s for s in rest if s not in pointed), rest[0]))
    return roots, edges


def _first_references(
    node: Mapping[str, Any], wanted: Mapping[str, str]
) -> dict[str, tuple[str, int]]:
    """Where each of the ``wanted`` references is first found among ``node``'s values: a
    string, or ``{"@id": ...}``, equal to it; keys in order (not ``@id``, ``@type``), then
    array positions (-1 for a single value)."""
    lengths = {len(ref) for ref in wanted}  # most values are not references: skip them cheaply
    found: dict[str, tuple[str, int]] = {}
    for key in sorted(node):
        if key.startswith("@"):
            continue
        value = node[key]
        items = enumerate(value) if isinstance(value, list) else ((-1, value),)
        for i, item in items:
            if isinstance(item, dict):
                if len(item) != 1:
                    continue
                item = item.get("@id")
            if (
                isinstance(item, str)
                and len(item) in lengths
                and item in wanted
                and item not in found
            ):
                found[item] = (key, i)
                if len(found) == len(wanted):
                    return found
    return found


def _embed(
    edges: Sequence[tuple[str, str]], by_id: Mapping[str, dict[str, Any]]
) -> tuple[list[str], list[list[Any]]]:
    """Put each child in place of the first reference to it among its parent's values (a
    string or ``{"@id": ...}`` equal to its ``@id``, keys in order, then positions).

    Returns the children no reference was found for, in edge order, and the arrays children
    were put in. A child never takes the place of another's reference, nor becomes one, so
    each parent's values are searched once for all its children.
    """
    children: dict[str, dict[str, str]] = {}  # parent -> child @id -> child
    for parent, child in edges:
        children.setdefault(parent, {})[by_id[child]["@id"]] = child
    placed: set[str] = set()
    arrays: list[list[Any]] = []
    for parent, wanted in children.items():
        node = by_id[parent]
        for ref, (key, i) in _first_references(node, wanted).items():
            child = wanted[ref]
            placed.add(child)
            if i < 0:
                node[key] = by_id[child]
            else:
                node[key][i] = by_id[child]
                arrays.append(node[key])
    return [child for _, child in edges if child not in placed], arrays


def _position_key(item: Any) -> tuple[int, int, str]:
    """Nodes with an integer position first, by position; then the rest, by IRI."""
    if isinstance(item, dict):
        position = item.get(POSITION_TERM)
        if isinstance(position, int) and not isinstance(position, bool):
            return (0, position, str(item.get("@id", "")))
        return (1, 0, str(item.get("@id", "")))
    return (1, 0, str(item))


def _framed(
    context: str,
    root: str,
    by_id: Mapping[str, dict[str, Any]],
    links: Mapping[str, list[str]],
) -> dict[str, Any]:
    """The document of the compacted nodes ``by_id`` (by subject), each embedded in the node
    that reaches it first, breadth first from ``root`` (:func:`_tree`); arrays of nodes
    with a position sorted by it (only arrays that nodes were put in can hold nodes)."""
    roots, edges = _tree(root, links)
    lost, arrays = _embed(edges, by_id)
    graph = [by_id[r] for r in roots + lost]  # never lose a node: it stands on its own
    for array in {id(a): a for a in [graph, *arrays]}.values():
        if any(isinstance(item, dict) and POSITION_TERM in item for item in array):
            array.sort(key=_position_key)  # paragraphs, addressees, REF entries by position
    return {"@context": context, "@graph": graph}


def jsonld_document(
    quads: Iterable[ox.Quad], root: ox.NamedNode, loader: OfflineLoader
) -> dict[str, Any]:
    """The triples of ``quads`` as one compacted JSON-LD document, framed as trees.

    Every node is compacted with the loader's context, by :mod:`cablerdf._jsonld` (the
    context compiled once; the same document as pyld makes, :func:`jsonld_document_pyld`);
    each node is then embedded in the node that reaches it first, breadth first from
    ``root`` (:func:`_tree`): ``@graph`` holds the tree of ``root`` (the cable), then a tree
    for each node it does not reach (the graph's provenance, aliases), so that no triple is
    left out. Arrays of nodes with a position (paragraphs, addressees, REF entries) are
    sorted by it. The nodes are read off the sorted N-Triples lines of the triples; a graph
    with triple terms is left to :func:`jsonld_document_pyld`.
    """
    quads = list(quads)
    return _jsonld_document(_Lines.of(quads), quads, root, loader)


def _jsonld_document(
    lines: _Lines, quads: Sequence[ox.Quad], root: ox.NamedNode, loader: OfflineLoader
) -> dict[str, Any]:
    """:func:`jsonld_document` of ``quads``, whose lines are ``lines``."""
    compactor = _jsonld.compactor_for(dict(loader.documents)[loader.context])
    try:
        by_id, links = _jsonld.compact_nodes(lines.sorted, compactor)
    except _jsonld.TripleTermFound:
        return jsonld_document_pyld(quads, root, loader)
    return _framed(loader.context, root.value, by_id, links)


def jsonld_document_pyld(
    quads: Iterable[ox.Quad], root: ox.NamedNode, loader: OfflineLoader
) -> dict[str, Any]:
    """:func:`jsonld_document` with pyld's compaction: the reference it is tested against.

    The expanded node objects of the triples (RDF to JSON-LD with native types) are compacted
    by pyld with the context, through ``loader``, then framed alike.
    """
    nodes = _node_objects(quads)
    if not nodes:
        return {"@context": loader.context, "@graph": []}
    options = {"documentLoader": loader, "graph": True, "skipExpansion": True}
    compacted = jsonld.compact(list(nodes.values()), loader.context, options)
    by_id = dict(zip(nodes, compacted["@graph"], strict=True))  # pyld keeps the order
    return _framed(loader.context, root.value, by_id, _links(nodes))


def jsonld_bytes(document: Mapping[str, Any]) -> bytes:
    """JSON text of ``document``: UTF-8, keys sorted, one-space indent, final newline
    (``json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1)``)."""
    return (_jsonld.dumps(document) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Serialisations:
    """One graph's files: Turtle, framed JSON-LD, N-Quads and N-Triples bytes."""

    turtle: bytes
    jsonld: bytes
    nquads: bytes
    ntriples: bytes


def serialisations(
    quads: Iterable[ox.Quad],
    root: ox.NamedNode,
    loader: OfflineLoader,
    *,
    ntriples: bytes | None = None,
) -> Serialisations:
    """:func:`turtle_bytes`, :func:`jsonld_bytes` of :func:`jsonld_document` (from ``root``),
    :func:`nquads_bytes` and :func:`ntriples_bytes` of ``quads``: the same bytes, with the
    triples serialised and sorted once, the other writers reading the sorted lines.

    ``ntriples``, when given, is what the caller knows of ``quads``: they are one graph's,
    distinct, sorted as their N-Triples lines, and those lines are ``ntriples`` (line ``i``
    that of ``quads[i]``), as :func:`cablerdf.mapping.map_records` gives them for one cable
    (``MappingResult.ntriples``); nothing is then serialised twice. A count of lines other
    than of quads is a ``ValueError``.
    """
    quads = list(quads)
    if ntriples is None:
        lines = _Lines.of(quads)
        text = _text(lines.sorted)
        graph = lines.graph()
    else:
        lines = _Lines.given(quads, ntriples)
        text = ntriples
        graph = quads[0].graph_name if quads else None
    return Serialisations(
        turtle=lines.turtle(graph),
        jsonld=jsonld_bytes(_jsonld_document(lines, quads, root, loader)),
        nquads=lines.nquads(text, graph),
        ntriples=text,
    )


# ---- files -------------------------------------------------------------------------------

_SHARD = re.compile(r"[0-9]{2}")


def cable_file(reference_id: str, suffix: str) -> PurePosixPath:
    """A cable's file in the output folder: ``cables/{yy}/{ID}{suffix}``.

    Sharded by the two-digit year the ID starts with (``other`` when it does not start with
    one); the name is the ID as an IRI segment, so it never holds a ``/`` of the input.
    """
    name = iris.segment(reference_id)
    shard = reference_id[:2] if _SHARD.fullmatch(reference_id[:2]) else "other"
    return PurePosixPath("cables", shard, name + suffix)


def remove_partial_files(folder: Path) -> list[Path]:
    """Remove the temporary files an interrupted run left (``.NAME.*.tmp``), and name them.

    :class:`AtomicWriter` writes nothing else with that pattern, so nothing else is touched.
    """
    removed = []
    for tmp in sorted(folder.rglob(".*.tmp")):
        if tmp.is_file() and not tmp.is_symlink():
            tmp.unlink()
            removed.append(tmp)
    return removed


def write_atomic(path: Path, data: bytes) -> str:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename,
    so that ``path`` is either absent, the old file, or the whole new file. Returns the
    SHA-256 of ``data``."""
    with AtomicWriter(path) as f:
        f.write(data)
    return hashlib.sha256(data).hexdigest()


class AtomicWriter:
    """A file written in pieces and published atomically when the ``with`` block ends.

    The bytes go to a temporary file in the same folder, renamed to ``path`` only when the
    block ends without an exception (else removed). With ``compress``, the file is gzipped
    with no time stamp and no file name in its header, so the same bytes give the same file.
    """

    def __init__(self, path: Path, *, compress: bool = False, compresslevel: int = 6) -> None:
        self.path = path
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        except FileNotFoundError:  # the folder is new
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        self._tmp = Path(tmp)
        self._raw: IO[bytes] = os.fdopen(fd, "wb")
        self._gzip = (
            gzip.GzipFile(
                filename="", mode="wb", fileobj=self._raw, mtime=0, compresslevel=compresslevel
            )
            if compress
            else None
        )

    def write(self, data: bytes) -> None:
        (self._gzip or self._raw).write(data)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        published = False
        try:
            if self._gzip is not None:
                self._gzip.close()
            self._raw.close()
            if exc_type is None:
                os.chmod(self._tmp, 0o644)
                os.replace(self._tmp, self.path)
                published = True
        finally:
            self._raw.close()
            if not published:
                self._tmp.unlink(missing_ok=True)


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_manifest(hashes: Mapping[PurePosixPath, str]) -> bytes:
    """``sha256sum -c`` lines (``HEX  path``), sorted by path."""
    lines = [f"{hashes[f]}  {f.as_posix()}\n" for f in sorted(hashes)]
    return "".join(lines).encode("utf-8")


# ---- dataset-level files: validation report, VoID and DCAT, provenance --------------------


class SH:
    """SHACL terms of the joined validation report. (Not in :mod:`cablerdf.vocab` yet.)"""

    NS: Final = "http://www.w3.org/ns/shacl#"
    ValidationReport: Final = ox.NamedNode(NS + "ValidationReport")
    conforms: Final = ox.NamedNode(NS + "conforms")
    result: Final = ox.NamedNode(NS + "result")


class DCAT:
    """DCAT 3 terms of the dataset description. (Not in :mod:`cablerdf.vocab` yet.)"""

    NS: Final = "http://www.w3.org/ns/dcat#"
    Dataset: Final = ox.NamedNode(NS + "Dataset")
    Distribution: Final = ox.NamedNode(NS + "Distribution")
    distribution: Final = ox.NamedNode(NS + "distribution")
    downloadURL: Final = ox.NamedNode(NS + "downloadURL")
    mediaType: Final = ox.NamedNode(NS + "mediaType")
    compressFormat: Final = ox.NamedNode(NS + "compressFormat")
    byteSize: Final = ox.NamedNode(NS + "byteSize")


class VOIDD:
    """VoID terms of the dataset description. (Not in :mod:`cablerdf.vocab` yet.)"""

    NS: Final = vocab.VOID.NS
    Dataset: Final = ox.NamedNode(NS + "Dataset")
    triples: Final = ox.NamedNode(NS + "triples")
    entities: Final = ox.NamedNode(NS + "entities")
    classPartition: Final = ox.NamedNode(NS + "classPartition")
    class_: Final = ox.NamedNode(NS + "class")
    uriSpace: Final = ox.NamedNode(NS + "uriSpace")
    exampleResource: Final = ox.NamedNode(NS + "exampleResource")
    vocabulary: Final = ox.NamedNode(NS + "vocabulary")
    dataDump: Final = ox.NamedNode(NS + "dataDump")


class TERMS:
    """Other terms of the dataset description and the run's provenance (not in vocab yet)."""

    title: Final = ox.NamedNode(vocab.DCT.NS + "title")
    description: Final = ox.NamedNode(vocab.DCT.NS + "description")
    license: Final = ox.NamedNode(vocab.DCT.NS + "license")
    startedAtTime: Final = ox.NamedNode(vocab.PROV.NS + "startedAtTime")
    endedAtTime: Final = ox.NamedNode(vocab.PROV.NS + "endedAtTime")
    generated: Final = ox.NamedNode(vocab.PROV.NS + "generated")
    nonNegativeInteger: Final = ox.NamedNode(vocab.XSD.NS + "nonNegativeInteger")


DESCRIPTION_PREFIXES: Final[Mapping[str, str]] = {
    **PREFIXES,
    "dcat": DCAT.NS,
    "sh": SH.NS,
}
"""The prefixes of the dataset-level Turtle files."""

MEDIA_TYPES: Final = "https://www.iana.org/assignments/media-types/"


def description_turtle(triples: Iterable[ox.Triple]) -> bytes:
    """Turtle of dataset-level triples, sorted, with :data:`DESCRIPTION_PREFIXES`."""
    quads = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
    return _turtle(sorted_triples(quads), DESCRIPTION_PREFIXES)


def published_iri(minter: Minter, path: PurePosixPath | str) -> ox.NamedNode:
    """Where a file of the output folder is published: the folder is served at the base."""
    return ox.NamedNode(minter.base + str(path))


def dataset_part(minter: Minter, name: str) -> ox.NamedNode:
    """A part of the dataset's description (a distribution, the run): ``{dataset}#{name}``."""
    return ox.NamedNode(f"{minter.dataset().value}#{iris.segment(name)}")


@dataclass(frozen=True, order=True)
class ResultLine:
    """One SHACL result, for people: severity, focus node, path, shape, message."""

    severity: str  # Violation, Warning or Info
    focus: str
    path: str
    shape: str
    message: str

    def render(self) -> str:
        where = f" {self.path}" if self.path else ""
        return f"{self.severity}: {self.focus}{where}: {self.message} [shape {self.shape}]"


REPORT_NODE: Final = ox.BlankNode("report")
"""The one report node of ``validation/report.ttl``."""


def report_lines(report_turtle: bytes, label: str) -> bytes:
    """One cable's SHACL report (Turtle) as N-Triples lines to join a report of many cables.

    The report node's own triples are dropped and its results linked from
    :data:`REPORT_NODE`; the other blank nodes are named canonically (RDFC-1.0) and prefixed
    with ``label`` (letters and digits), so parts of different cables never share one.
    Raises ``SyntaxError`` when ``report_turtle`` is not Turtle.
    """
    dataset = ox.Dataset(ox.parse(report_turtle, format=ox.RdfFormat.TURTLE))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    reports = {
        q.subject
        for q in dataset
        if q.predicate == vocab.RDF.type and q.object == SH.ValidationReport
    }

    def rename(term: Any) -> Any:
        if isinstance(term, ox.BlankNode):
            return REPORT_NODE if term in reports else ox.BlankNode(f"{label}x{term.value}")
        return term

    triples = [
        ox.Triple(rename(q.subject), q.predicate, rename(q.object))
        for q in dataset
        if q.subject not in reports or q.predicate == SH.result
    ]
    return b"".join(sorted(_serialize(triples, ox.RdfFormat.N_TRIPLES).splitlines(True)))


def report_closing(conforms: bool) -> bytes:
    """The lines that declare ``_:report`` and whether every cable conforms."""
    value = "true" if conforms else "false"
    return (
        f"{REPORT_NODE} <{vocab.RDF.type.value}> <{SH.ValidationReport.value}> .\n"
        f'{REPORT_NODE} <{SH.conforms.value}> "{value}"^^<{vocab.XSD.boolean.value}> .\n'
    ).encode("ascii")


def report_opening() -> bytes:
    """The first lines of ``validation/report.ttl``: a comment and the SHACL prefix."""
    return (
        "# SHACL validation report of every cable converted: one sh:ValidationReport,\n"
        "# its results grouped by cable. See docs/output.md.\n"
        f"@prefix sh: <{SH.NS}> .\n"
    ).encode("ascii")


@dataclass(frozen=True)
class DumpFile:
    """A dump in the output folder: where, what, how big."""

    path: PurePosixPath
    name: str  # the key of its distribution IRI: nquads, ntriples
    title: str
    media_type: str  # e.g. "application/n-quads"
    byte_size: int


@dataclass(frozen=True)
class DatasetStats:
    """What the dataset description counts."""

    cables: int
    triples: int
    entities: int
    examples: tuple[str, ...]  # reference IDs of example cables


def _integer(value: int, datatype: ox.NamedNode = vocab.XSD.integer) -> ox.Literal:
    return ox.Literal(str(value), datatype=datatype)


def dataset_description(
    minter: Minter,
    ontology_version: str,
    stats: DatasetStats,
    dumps: Sequence[DumpFile],
    license_iri: str,
) -> list[ox.Triple]:
    """The VoID and DCAT description of the dataset (``void.ttl``)."""
    T = ox.Triple
    rdf_type = vocab.RDF.type
    d = minter.dataset()
    license_node = ox.NamedNode(license_iri)
    out = [
        T(d, rdf_type, VOIDD.Dataset),
        T(d, rdf_type, DCAT.Dataset),
        T(d, TERMS.title, ox.Literal("Cablegate: the US diplomatic cables as linked data")),
        T(
            d,
            TERMS.description,
            ox.Literal(
                "The US State Department cables published by WikiLeaks (Cablegate), one "
                "named graph per cable, converted by cablerdf."
            ),
        ),
        T(d, TERMS.license, license_node),
        T(d, vocab.DCT.conformsTo, iris.ontology_version(ontology_version)),
        T(d, VOIDD.uriSpace, ox.Literal(minter.base)),
        T(d, VOIDD.triples, _integer(stats.triples)),
        T(d, VOIDD.entities, _integer(stats.entities)),
    ]
    cables = dataset_part(minter, "cables")
    out += [
        T(d, VOIDD.classPartition, cables),
        T(cables, VOIDD.class_, vocab.CR.Cable),
        T(cables, VOIDD.entities, _integer(stats.cables)),
    ]
    out += [T(d, VOIDD.exampleResource, minter.cable(rid)) for rid in stats.examples]
    out += [
        T(d, VOIDD.vocabulary, ox.NamedNode(ns))
        for ns in sorted({*PREFIXES.values(), iris.TERM_NAMESPACE} - {vocab.XSD.NS, vocab.RDF.NS})
    ]
    for dump in dumps:
        node = dataset_part(minter, dump.name)
        url = published_iri(minter, dump.path)
        out += [
            T(d, VOIDD.dataDump, url),
            T(d, DCAT.distribution, node),
            T(node, rdf_type, DCAT.Distribution),
            T(node, TERMS.title, ox.Literal(dump.title)),
            T(node, DCAT.downloadURL, url),
            T(node, DCAT.mediaType, ox.NamedNode(MEDIA_TYPES + dump.media_type)),
            T(node, DCAT.compressFormat, ox.NamedNode(MEDIA_TYPES + "application/gzip")),
            T(node, DCAT.byteSize, _integer(dump.byte_size, TERMS.nonNegativeInteger)),
            T(node, TERMS.license, license_node),
        ]
    return out


def run_provenance(
    minter: Minter,
    tool_version: str,
    started: str,
    ended: str,
    used: Iterable[str],
) -> list[ox.Triple]:
    """The run as a PROV-O activity (``provenance.ttl``): its times (``xsd:dateTime``
    text), the source versions it used, the software, the dataset it generated."""
    T = ox.Triple
    rdf_type = vocab.RDF.type
    run = dataset_part(minter, "conversion")
    software = minter.software(tool_version)
    d = minter.dataset()
    out = [
        T(run, rdf_type, vocab.PROV.Activity),
        T(run, TERMS.startedAtTime, ox.Literal(started, datatype=vocab.XSD.dateTime)),
        T(run, TERMS.endedAtTime, ox.Literal(ended, datatype=vocab.XSD.dateTime)),
        T(run, vocab.PROV.wasAssociatedWith, software),
        T(run, TERMS.generated, d),
        T(d, vocab.PROV.wasGeneratedBy, run),
        T(software, rdf_type, vocab.PROV.SoftwareAgent),
        T(software, vocab.RDFS.label, ox.Literal(f"cablerdf {tool_version}")),
        T(software, vocab.SCHEMA.softwareVersion, ox.Literal(tool_version)),
    ]
    out += [T(run, vocab.PROV.used, ox.NamedNode(iri)) for iri in used]
    return out
