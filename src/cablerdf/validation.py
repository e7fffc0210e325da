"""Validation: each cable's named graph is checked against the SHACL shapes of ``shapes/``.

A :class:`Validator` holds the parsed shapes (and the ontology and concept schemes) once and
validates one graph at a time: one SHACL run per named graph, so a cable's report depends
on its own graph only. (Validating many graphs in one run was measured slower, not faster:
``benchmarks/validate.py``.) Results are split into :class:`ValidationResult` values, the
per-cable :class:`CableValidation`, and :class:`~cablerdf.model.Diagnostic` values
(:func:`results_to_diagnostics`).

Severity: ``Violation`` means the pipeline produced a bad graph (the run fails); ``Warning``
and ``Info`` mean the source itself is odd (shown and kept). See ``docs/validation.md``.

Three SHACL engines give the same results on our shapes (``tests/test_shacl_engine.py``
compares them on every test graph, every corpus cable and mutated cable graphs):
``native`` (:mod:`cablerdf._shacl`, this project's engine for the part of SHACL Core and
SHACL-SPARQL the shapes use: the graph indexed in Python dicts, the SPARQL rules compiled
once into an evaluator over them; several times faster than the others here, see
``benchmarks/validate.py``), ``turbo`` (the ``pyshacl-turbo`` package, Rust) and
``pyshacl``. ``Validator.load()`` takes ``native``; the other two stay selectable.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote

import pyoxigraph as ox
import rdflib
from rdflib.term import BNode, Node, URIRef

from cablerdf import _shacl
from cablerdf.model import Diagnostic, Severity

__all__ = [
    "ENGINES",
    "SHAPES_NAMESPACE",
    "CableValidation",
    "ShapeFiles",
    "ValidationResult",
    "Validator",
    "report_turtle",
    "results_to_diagnostics",
    "shape_files",
    "shape_severities",
]

SHAPES_NAMESPACE: Final = "https://w3id.org/cablegate/shapes#"
"""The namespace of our shapes; a result's code is ``shacl.`` + the shape's local name."""

ENGINES: Final = ("native", "turbo", "pyshacl")
"""The SHACL engines; ``engine="auto"`` is the first."""

SHAPE_FILE_NAMES: Final = ("cablerdf-shapes.ttl", "cablerdf-rules.ttl")
ONTOLOGY_FILE_NAMES: Final = ("cablerdf.ttl", "schemes.ttl")

_SH: Final = "http://www.w3.org/ns/shacl#"
_SH_NS = rdflib.Namespace(_SH)
_RDF_TYPE: Final = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_CABLE: Final = ox.NamedNode("https://w3id.org/cablegate/ontology#Cable")
_SEVERITIES: Final = {
    _SH + "Violation": "Violation",
    _SH + "Warning": "Warning",
    _SH + "Info": "Info",
}
_DIAGNOSTIC_SEVERITY: Final = {
    "Violation": Severity.ERROR,
    "Warning": Severity.WARNING,
    "Info": Severity.INFO,
}
_HINTS: Final = {
    "Violation": "the pipeline made a graph that breaks the shapes: a bug to report, with the "
    "cable's source",
    "Warning": "the source itself is odd; the value is kept as printed",
    "Info": "the source itself is odd; the value is kept as printed",
}


# ---- values ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL result.

    ``focus``, ``shape`` and ``cable`` are IRIs; ``path`` is the predicate IRI, or a SPARQL
    property path (``^<iri>``, ``<a>/<b>``) for other paths; ``value`` is an N-Triples term
    (``<iri>`` or ``"text"^^<datatype>``); ``severity`` is ``Violation``, ``Warning`` or
    ``Info``; ``cable`` is the cable the focus node belongs to (None when it cannot be told).
    ``component`` is the SHACL constraint component that failed.
    """

    focus: str
    path: str | None
    severity: str
    shape: str
    message: str
    value: str | None
    cable: str | None
    component: str | None = None

    @property
    def code(self) -> str:
        """The diagnostic code: ``shacl.`` + the shape's local name (``shacl.cable-level``)."""
        return "shacl." + local_name(self.shape)

    def to_json(self) -> dict[str, Any]:
        return {
            "focus": self.focus,
            "path": self.path,
            "severity": self.severity,
            "shape": self.shape,
            "code": self.code,
            "message": self.message,
            "value": self.value,
            "cable": self.cable,
            "component": self.component,
        }


@dataclass(frozen=True)
class CableValidation:
    """The validation of one named graph: ``conforms`` is True when no result is a Violation.

    ``graph`` is the graph's IRI (``""`` for a default graph); ``report_turtle`` is the
    SHACL validation report of this graph as Turtle (deterministic bytes).
    """

    graph: str
    conforms: bool
    results: tuple[ValidationResult, ...]
    report_turtle: bytes


@dataclass(frozen=True)
class ShapeFiles:
    """Where the shapes, the ontology and the concept schemes are read from."""

    shapes: tuple[Path, ...]
    ontology: tuple[Path, ...]


# ---- locating the files ------------------------------------------------------------------


def _packaged(folder: str, names: Sequence[str]) -> tuple[Path, ...] | None:
    base = resources.files("cablerdf").joinpath("data", folder)
    paths = [Path(str(base.joinpath(name))) for name in names]
    return tuple(paths) if all(p.is_file() for p in paths) else None


def shape_files() -> ShapeFiles:
    """The shape and ontology files: the packaged copies (``cablerdf/data/shapes``,
    ``cablerdf/data/ontology``) when installed, else the repository's ``shapes/`` and
    ``ontology/`` folders beside ``src/``."""
    repo = Path(__file__).resolve().parent.parent.parent
    shapes = _packaged("shapes", SHAPE_FILE_NAMES) or tuple(
        repo / "shapes" / n for n in SHAPE_FILE_NAMES
    )
    ontology = _packaged("ontology", ONTOLOGY_FILE_NAMES) or tuple(
        repo / "ontology" / n for n in ONTOLOGY_FILE_NAMES
    )
    return ShapeFiles(shapes, ontology)


def _read_graph(paths: Iterable[Path]) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in paths:
        graph.parse(str(path), format="turtle")
    return graph


def local_name(iri: str) -> str:
    """What follows the last ``#`` or ``/`` of ``iri``."""
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def shape_severities(shapes: rdflib.Graph) -> dict[str, str]:
    """Every named shape of ``shapes`` (node and property shapes), by IRI, with its severity."""
    names: dict[str, str] = {}
    for kind in (_SH_NS.NodeShape, _SH_NS.PropertyShape):
        for shape in shapes.subjects(rdflib.RDF.type, kind):
            if isinstance(shape, URIRef):
                severity = shapes.value(shape, _SH_NS.severity)
                names[str(shape)] = _SEVERITIES.get(str(severity), "Violation")
    return names


# ---- reading a report graph --------------------------------------------------------------


def _nt(term: Node) -> str:
    """An rdflib term in N-Triples syntax."""
    if isinstance(term, URIRef):
        return str(ox.NamedNode(str(term)))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return str(ox.Literal(str(term), language=term.language))
        datatype = str(term.datatype) if term.datatype else None
        if datatype is None:
            return str(ox.Literal(str(term)))
        return str(ox.Literal(str(term), datatype=ox.NamedNode(datatype)))
    return "_:" + str(term)


def _path(report: rdflib.Graph, node: Node) -> str:
    """A result path: the predicate IRI, or a SPARQL property path."""
    if isinstance(node, URIRef):
        return str(node)
    return _sparql_path(report, node)


def _sparql_path(report: rdflib.Graph, node: Node) -> str:
    if isinstance(node, URIRef):
        return f"<{node}>"
    inverse = report.value(node, _SH_NS.inversePath)
    if inverse is not None:
        return "^" + _sparql_path(report, inverse)
    if report.value(node, rdflib.RDF.first) is not None:
        items = list(rdflib.collection.Collection(report, node))
        return "(" + "/".join(_sparql_path(report, i) for i in items) + ")"
    for key, mark in (("zeroOrMorePath", "*"), ("oneOrMorePath", "+"), ("zeroOrOnePath", "?")):
        inner = report.value(node, _SH_NS[key])
        if inner is not None:
            return "(" + _sparql_path(report, inner) + ")" + mark
    alternatives = report.value(node, _SH_NS.alternativePath)
    if alternatives is not None:
        items = list(rdflib.collection.Collection(report, alternatives))
        return "(" + "|".join(_sparql_path(report, i) for i in items) + ")"
    return "_:" + str(node)


def _text(value: Node | None) -> str | None:
    return None if value is None else str(value)


def _results_of(report: rdflib.Graph, cable_of: Any) -> list[ValidationResult]:
    results: list[ValidationResult] = []
    for node in report.objects(None, _SH_NS.result):
        focus = report.value(node, _SH_NS.focusNode)
        path = report.value(node, _SH_NS.resultPath)
        value = report.value(node, _SH_NS.value)
        messages = sorted(str(m) for m in report.objects(node, _SH_NS.resultMessage))
        focus_text = _focus_text(focus)
        results.append(
            ValidationResult(
                focus=focus_text,
                path=_path(report, path) if path is not None else None,
                severity=_SEVERITIES.get(
                    str(report.value(node, _SH_NS.resultSeverity)), "Violation"
                ),
                shape=_text(report.value(node, _SH_NS.sourceShape)) or "",
                message="; ".join(messages),
                value=_nt(value) if value is not None else None,
                cable=cable_of(focus_text),
                component=_text(report.value(node, _SH_NS.sourceConstraintComponent)),
            )
        )
    return sorted(set(results), key=_result_key)


def _focus_text(focus: Node | None) -> str:
    """A focus node as :attr:`ValidationResult.focus` names it: the IRI, ``_:`` and the
    blank node's label, or a literal in N-Triples syntax (a target can be a literal)."""
    if focus is None:
        return ""
    if isinstance(focus, BNode):
        return "_:" + str(focus)
    if isinstance(focus, rdflib.Literal):
        return _nt(focus)
    return str(focus)


def _result_key(r: ValidationResult) -> tuple[str, ...]:
    return (
        r.cable or "",
        r.focus,
        r.shape,
        r.path or "",
        r.value or "",
        r.message,
        r.severity,
        r.component or "",
    )


# ---- the report as Turtle ----------------------------------------------------------------

_RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDF_FIRST: Final = ox.NamedNode(_RDF + "first")
_RDF_REST: Final = ox.NamedNode(_RDF + "rest")
_RDF_NIL: Final = ox.NamedNode(_RDF + "nil")


def _sh(local: str) -> ox.NamedNode:
    return ox.NamedNode(_SH + local)


_REPORT_PREFIXES: Final = {
    "sh": _SH,
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "crsh": SHAPES_NAMESPACE,
}


def _iri_list(text: str) -> list[str] | None:
    """The IRIs of ``<a>/<b>/...`` (None when the text is anything else)."""
    parts = text.split(">/<")
    if not (text.startswith("<") and text.endswith(">")):
        return None
    iris = [p.strip("<>") for p in parts]
    return None if any("<" in i or ">" in i for i in iris) else iris


def _path_term(path: str, triples: list[ox.Triple], key: str) -> ox.NamedNode | ox.BlankNode | None:
    """The SHACL path node of a path as :func:`_path` writes it: an IRI, ``^<iri>`` or a
    sequence ``(<a>/<b>)``; None for other paths (not used by our shapes)."""
    if not path.startswith(("<", "^", "(")):
        return ox.NamedNode(path)
    inverse = _iri_list(path[1:]) if path.startswith("^") else None
    if inverse is not None and len(inverse) == 1:
        node = ox.BlankNode(key)
        triples.append(ox.Triple(node, _sh("inversePath"), ox.NamedNode(inverse[0])))
        return node
    sequence = _iri_list(path[1:-1]) if path.startswith("(") and path.endswith(")") else None
    if not sequence:
        return None
    cells = [ox.BlankNode(f"{key}_{k}") for k in range(len(sequence))]
    for k, (cell, iri) in enumerate(zip(cells, sequence, strict=True)):
        triples.append(ox.Triple(cell, _RDF_FIRST, ox.NamedNode(iri)))
        triples.append(ox.Triple(cell, _RDF_REST, cells[k + 1] if k + 1 < len(cells) else _RDF_NIL))
    return cells[0]


def _term_of(nt: str) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    """The term of an N-Triples term string (as :func:`_nt` writes it)."""
    if nt.startswith("_:"):
        return ox.BlankNode(nt[2:])
    quad = next(iter(ox.parse(f"<urn:s> <urn:p> {nt} .\n".encode(), format=ox.RdfFormat.N_TRIPLES)))
    obj = quad.object
    assert isinstance(obj, ox.NamedNode | ox.Literal | ox.BlankNode)
    return obj


def _node_of(iri: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The term of a focus or shape as :class:`ValidationResult` names it."""
    if iri.startswith('"'):
        return _term_of(iri)
    return ox.BlankNode(iri[2:]) if iri.startswith("_:") else ox.NamedNode(iri)


def report_turtle(results: Sequence[ValidationResult]) -> bytes:
    """A SHACL validation report (``sh:ValidationReport``) of ``results`` as Turtle.

    The bytes depend on the results only: results in their given order, blank nodes named by
    position.
    """
    if not results:
        return _empty_report()
    return _report_turtle(results)


@functools.cache
def _empty_report() -> bytes:
    """The report of a conforming graph without any result (the same bytes every time)."""
    return _report_turtle(())


def _report_turtle(results: Sequence[ValidationResult]) -> bytes:
    """The report of ``results`` as Turtle (see :func:`report_turtle`)."""
    sh = _sh
    report = ox.BlankNode("report")
    conforms = all(r.severity != "Violation" for r in results)
    triples: list[ox.Triple] = [
        ox.Triple(report, _RDF_TYPE, sh("ValidationReport")),
        ox.Triple(
            report,
            sh("conforms"),
            ox.Literal(
                "true" if conforms else "false",
                datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"),
            ),
        ),
    ]
    for k, r in enumerate(results, 1):
        node = ox.BlankNode(f"result{k}")
        triples.append(ox.Triple(report, sh("result"), node))
        triples.append(ox.Triple(node, _RDF_TYPE, sh("ValidationResult")))
        triples.append(ox.Triple(node, sh("focusNode"), _node_of(r.focus)))
        triples.append(ox.Triple(node, sh("resultSeverity"), sh(r.severity)))
        triples.append(ox.Triple(node, sh("sourceShape"), _node_of(r.shape)))
        triples.append(ox.Triple(node, sh("resultMessage"), ox.Literal(r.message)))
        if r.component:
            triples.append(
                ox.Triple(node, sh("sourceConstraintComponent"), ox.NamedNode(r.component))
            )
        path = _path_term(r.path, triples, f"path{k}") if r.path is not None else None
        if path is not None:
            triples.append(ox.Triple(node, sh("resultPath"), path))
        if r.value is not None:
            triples.append(ox.Triple(node, sh("value"), _term_of(r.value)))
    data = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=_REPORT_PREFIXES)
    return data or b""


# ---- engines -----------------------------------------------------------------------------


class _PyshaclEngine:
    """pySHACL, with the shapes compiled once and reused for every graph."""

    def __init__(self, shapes: rdflib.Graph) -> None:
        from pyshacl.shapes_graph import ShapesGraph

        self._shapes = ShapesGraph(shapes)
        _ = self._shapes.shapes  # harvest the shapes now, once

    def run(self, store: ox.Store) -> rdflib.Graph:
        from pyshacl.graph_abstraction import DataGraph

        try:
            return self._run(DataGraph.from_oxigraph_store(store))
        except TypeError:
            # pySHACL's Oxigraph adapter fails where a path steps from a literal (a value
            # of the wrong kind, e.g. a control written as text); rdflib's graph does not.
            graph = rdflib.Graph()
            data = ox.serialize(store, format=ox.RdfFormat.N_TRIPLES) or b""
            graph.parse(data=data.decode("utf-8"), format="nt")
            return self._run(DataGraph.from_rdflib(graph))

    def _run(self, data: Any) -> rdflib.Graph:
        from pyshacl import Validator as PyshaclValidator

        validator = PyshaclValidator(
            data,
            shacl_graph=rdflib.Graph(),  # replaced below; an empty graph costs nothing
            options={"inplace": True},
        )
        validator.shacl_graph = self._shapes  # reuse the compiled shapes
        # pySHACL turns the data's terms into rdflib terms, and rdflib rewrites literals
        # ("...Z" dateTimes become "+00:00") unless NORMALIZE_LITERALS is off: switch it off
        # for the run, so that values and messages keep the data's lexical forms.
        normalize = rdflib.NORMALIZE_LITERALS
        rdflib.NORMALIZE_LITERALS = False
        try:
            _conforms, report, _text = validator.run()  # type: ignore[no-untyped-call]
        finally:
            rdflib.NORMALIZE_LITERALS = normalize
        assert isinstance(report, rdflib.Graph)
        return report


class _TurboEngine:
    """pyshacl-turbo, with the shapes compiled once."""

    def __init__(self, shapes: rdflib.Graph) -> None:
        module = importlib.import_module("pyshacl_turbo")
        self._program = module.compile_shapes(shapes)

    def run(self, store: ox.Store) -> rdflib.Graph:
        _conforms, report, _text = self._program.validate(store)
        assert isinstance(report, rdflib.Graph)
        return report


class _NativeEngine:
    """:mod:`cablerdf._shacl`, with the shapes compiled once."""

    def __init__(self, shapes: rdflib.Graph) -> None:
        self._engine = _shacl.Engine(shapes)

    def validate(self, quads: Sequence[Iterable[object]]) -> list[ValidationResult]:
        """The results for one graph of quads (graph names are not read)."""
        found, graph = self._engine.validate(quads)
        if not found:
            return []
        cables = sorted(
            c for c in graph.subjects(_RDF_TYPE.value, _CABLE.value) if isinstance(c, str)
        )
        results = {
            ValidationResult(
                focus=focus,
                path=r.path,
                severity=r.severity,
                shape=r.shape,
                message=r.message,
                value=None if r.value is None else _shacl.value_text(r.value),
                cable=_cable_of(cables, focus),
                component=r.component,
            )
            for r in found
            for focus in (_shacl.node_text(r.focus),)
        }
        return sorted(results, key=_result_key)


# ---- the validator -----------------------------------------------------------------------


class Validator:
    """The parsed shapes, ontology and schemes, held once and reused for every cable.

    ``engine`` is ``native``, ``turbo`` or ``pyshacl``; ``shapes`` and ``ontology`` are the
    parsed files. The ontology is not mixed into the data graphs: the mapping types every
    node itself.
    """

    def __init__(
        self, shapes: rdflib.Graph, ontology: rdflib.Graph, engine: str = "native"
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(f"unknown SHACL engine {engine!r}; expected one of {ENGINES}")
        self.shapes = shapes
        self.ontology = ontology
        self.engine = engine
        self._native: _NativeEngine | None = None
        self._engine: _PyshaclEngine | _TurboEngine | None = None
        if engine == "native":
            self._native = _NativeEngine(shapes)
        elif engine == "pyshacl":
            self._engine = _PyshaclEngine(shapes)
        else:
            self._engine = _TurboEngine(shapes)

    @classmethod
    def load(cls, engine: str = "auto") -> Validator:
        """Read the shapes, the ontology and the schemes (see :func:`shape_files`).

        ``engine``: ``native``, ``turbo``, ``pyshacl``, or ``auto`` (``native``).
        ``turbo`` raises ImportError when ``pyshacl-turbo`` is missing.
        """
        if engine == "auto":
            engine = ENGINES[0]
        files = shape_files()
        return cls(_read_graph(files.shapes), _read_graph(files.ontology), engine)

    def validate_quads(self, quads: Sequence[ox.Quad]) -> list[CableValidation]:
        """Validate every named graph of ``quads`` on its own; one result per graph, in order
        of first appearance. Triples of the default graph are validated together as graph ``""``.
        """
        graphs: dict[str, list[ox.Quad]] = {}
        named = ox.NamedNode
        last: object = None
        current: list[ox.Quad] = []
        for quad in quads:
            g = quad.graph_name
            if g != last:  # quads come grouped by graph: look the name up on a change only
                name = g.value if type(g) is named else ""
                current = graphs.setdefault(name, [])
                last = g
            current.append(quad)
        return [self._validate(name, graph) for name, graph in graphs.items()]

    def validate_triples(self, graph: str, triples: Iterable[ox.Triple]) -> CableValidation:
        """Validate one graph, named ``graph`` in the result."""
        return self._validate(graph, [(t.subject, t.predicate, t.object, None) for t in triples])

    def _validate(self, graph: str, quads: Sequence[Iterable[object]]) -> CableValidation:
        """Validate the triples of ``quads`` (their graph names are not read) as one graph."""
        if self._native is not None:
            results = tuple(self._native.validate(quads))
        else:
            assert self._engine is not None
            store = ox.Store()
            store.bulk_extend(ox.Quad(s, p, o) for s, p, o, _ in quads)  # type: ignore[arg-type]
            cables = sorted(
                q.subject.value
                for q in store.quads_for_pattern(None, _RDF_TYPE, _CABLE)
                if isinstance(q.subject, ox.NamedNode)
            )
            report = self._engine.run(store)
            results = tuple(_results_of(report, functools.partial(_cable_of, cables)))
        conforms = all(r.severity != "Violation" for r in results)
        return CableValidation(graph, conforms, results, report_turtle(results))


def _cable_of(cables: Sequence[str], focus: str) -> str | None:
    """The cable a focus node belongs to: itself, the cable its IRI hangs off, or the graph's
    only cable."""
    best: str | None = None
    for cable in cables:
        inside = focus == cable or focus.startswith(cable + "/")
        if inside and (best is None or len(cable) > len(best)):
            best = cable
    if best is None and len(cables) == 1:
        return cables[0]
    return best


# ---- diagnostics -------------------------------------------------------------------------


def _reference_id(cable: str | None, graph: str) -> str | None:
    for iri, marker in ((cable, "/cable/"), (graph, "/graph/")):
        if iri and marker in iri:
            key = iri.rsplit(marker, 1)[1].split("/", 1)[0]
            return unquote(key.removeprefix("!"))
    return None


def results_to_diagnostics(v: CableValidation) -> list[Diagnostic]:
    """The results of ``v`` as diagnostics: code ``shacl.<shape-local-name>``, keyed by cable
    (``reference_id``); a Violation is an error, a Warning a warning, an Info an info."""
    diagnostics: list[Diagnostic] = []
    for r in v.results:
        where = r.focus if r.path is None else f"{r.focus} {r.path}"
        value = f" (value {r.value})" if r.value is not None else ""
        diagnostics.append(
            Diagnostic(
                _DIAGNOSTIC_SEVERITY.get(r.severity, Severity.ERROR),
                r.code,
                f"{where}: {r.message}{value}",
                path=v.graph or None,
                reference_id=_reference_id(r.cable, v.graph),
                hint=_HINTS.get(r.severity),
            )
        )
    return diagnostics
