"""The native SHACL engine (:mod:`cablerdf._shacl`) against pyshacl-turbo and pySHACL.

The same results and the same report (``CableValidation`` equality: results sorted by
``_result_key``, and ``report_turtle``) on every breaking and passing graph of
``tests/test_shapes.py``, on every cable of the shared corpus, and on cable graphs mutated
by hypothesis (triples dropped, duplicated, moved, retyped, given other literals or other
nodes); pySHACL on a sample (it is slow). Small shapes graphs check the SHACL features the
engine implements that the cablerdf shapes do not use, against pyshacl-turbo too; shapes
with features it lacks are refused, by name.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import cache

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_shapes import CASES, base_triples, broken, outcome, validator
from test_validation import corpus_quads, corpus_validation

from cablerdf import _shacl
from cablerdf.validation import CableValidation, Validator

pytestmark = [
    pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Dataset.identifier is deprecated:DeprecationWarning"),
    # pyshacl-turbo reads its report back with rdflib, which warns about odd booleans
    pytest.mark.filterwarnings("ignore:Parsing weird boolean:UserWarning"),
]

XSD = "http://www.w3.org/2001/XMLSchema#"
SH = "http://www.w3.org/ns/shacl#"


def seen(v: CableValidation) -> set[tuple[str | None, ...]]:
    """The results without their constraint component: on a value comparable with neither
    bound of a range, pySHACL reports one of the two range components, the others both."""
    return {(r.shape, r.focus, r.path, r.value, r.severity, r.message) for r in v.results}


# ---- every test graph of the shapes tests ----------------------------------------------------


@pytest.mark.parametrize("which", ["full", "three"])
def test_the_base_graphs_give_the_same_report(which: str) -> None:
    native = validator("native").validate_triples("", base_triples(which))
    assert native == validator("turbo").validate_triples("", base_triples(which))


@pytest.mark.parametrize(
    "update", [u for _, _, u in CASES], ids=[f"{s}:{why}" for s, why, _ in CASES]
)
def test_every_breaking_graph_gives_the_same_report(update: str) -> None:
    assert outcome("native", update) == outcome("turbo", update)


@pytest.mark.parametrize(
    "update", [u for _, _, u in CASES[::12]], ids=[f"{s}:{why}" for s, why, _ in CASES[::12]]
)
def test_a_sample_of_breaking_graphs_gives_pyshacls_results(update: str) -> None:
    native, reference = outcome("native", update), outcome("pyshacl", update)
    assert native.conforms == reference.conforms
    assert seen(native) == seen(reference)


# ---- the corpus -------------------------------------------------------------------------------


def test_every_corpus_cable_gives_the_same_report() -> None:
    quads = list(corpus_quads())
    native = corpus_validation()  # Validator.load(): the native engine
    assert validator("native").engine == "native" == Validator.load().engine
    turbo = validator("turbo").validate_quads(quads)
    assert len(native) == len(turbo) >= 270
    for a, b in zip(native, turbo, strict=True):
        assert a == b, a.graph


# ---- mutated cable graphs ---------------------------------------------------------------------

LEXICAL = [
    "", "0", "01", "-1", "+5", " 5", "5.5", "1e3", "abc", "true", "1", "S", "12", "12\n",
    "2006-11-02", "2006-11-02Z", "2006-02-30", "2006-11-02T03:47:00Z", "2006-11-02T03:47:00",
    "2010-02-28T23:00:00", "2006-11-02T24:00:00Z", "2010-03-01T01:00:00+02:00",
    "1966-12-01T00:00:00Z", "2011-08-30", "0000-01-01", "06ASTANA395", "http://x", "NaN",
]  # fmt: skip
DATATYPES = [
    None, "string", "integer", "decimal", "boolean", "date", "dateTime", "int", "anyURI",
    "double", "gYear", "nonNegativeInteger", "@en", "@EN-gb",
]  # fmt: skip


def literal(lexical: str, datatype: str | None) -> ox.Literal:
    if datatype is None:
        return ox.Literal(lexical)
    if datatype.startswith("@"):
        return ox.Literal(lexical, language=datatype[1:])
    return ox.Literal(lexical, datatype=ox.NamedNode(XSD + datatype))


literals = st.builds(
    literal, st.sampled_from(LEXICAL) | st.text(max_size=6), st.sampled_from(DATATYPES)
)
# (operation, which triple, which node, a literal)
mutations = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 10_000), st.integers(0, 10_000), literals),
    min_size=1,
    max_size=5,
)


@cache
def corpus_graphs() -> tuple[tuple[ox.Triple, ...], ...]:
    graphs: dict[str, list[ox.Triple]] = {}
    for q in corpus_quads():
        assert isinstance(q.graph_name, ox.NamedNode)
        graphs.setdefault(q.graph_name.value, []).append(
            ox.Triple(q.subject, q.predicate, q.object)
        )
    return tuple(tuple(t) for t in graphs.values())


def mutate(
    triples: Sequence[ox.Triple], changes: Sequence[tuple[int, int, int, ox.Literal]]
) -> list[ox.Triple]:
    """``triples`` with each change applied: drop a triple, duplicate it, give it a literal,
    another node or another subject, keep its lexical form under another datatype, add a
    triple between nodes of the graph, or add an rdfs:subClassOf between its classes."""
    out = list(triples)
    for op, k, j, lit in changes:
        nodes = sorted({t.subject for t in out} | {t.object for t in out if isinstance(t.object, ox.NamedNode)}, key=str)  # fmt: skip
        predicates = sorted({t.predicate for t in out}, key=str)
        if not out or not nodes:
            break
        t = out[k % len(out)]
        node = nodes[j % len(nodes)]
        if op == 0:
            out.remove(t)
        elif op == 1:
            out.append(t)
        elif op == 2:
            out[k % len(out)] = ox.Triple(t.subject, t.predicate, lit)
        elif op == 3:
            out[k % len(out)] = ox.Triple(t.subject, t.predicate, node)
        elif op == 4:
            out[k % len(out)] = ox.Triple(node, t.predicate, t.object)
        elif op == 5 and isinstance(t.object, ox.Literal):
            retyped = (
                ox.Literal(t.object.value, language=lit.language)
                if lit.language
                else ox.Literal(t.object.value, datatype=lit.datatype)
            )
            out[k % len(out)] = ox.Triple(t.subject, t.predicate, retyped)
        elif op == 6:
            out.append(ox.Triple(node, predicates[j % len(predicates)], nodes[k % len(nodes)]))
        else:
            classes = sorted({t.object for t in out if t.predicate.value.endswith("#type")}, key=str)  # fmt: skip
            if classes:
                sub = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
                out.append(ox.Triple(classes[k % len(classes)], sub, classes[j % len(classes)]))
    return out


sources = st.sampled_from(["full", "three"]) | st.integers(0, 10_000)


def source(which: str | int) -> Sequence[ox.Triple]:
    if isinstance(which, str):
        return base_triples(which)
    graphs = corpus_graphs()
    return graphs[which % len(graphs)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sources, mutations)
def test_mutated_cable_graphs_give_the_same_report(
    which: str | int, changes: list[tuple[int, int, int, ox.Literal]]
) -> None:
    triples = mutate(source(which), changes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        turbo = validator("turbo").validate_triples("", triples)
    assert validator("native").validate_triples("", triples) == turbo


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["full", "three"]), mutations)
def test_mutated_graphs_give_pyshacls_results(
    which: str, changes: list[tuple[int, int, int, ox.Literal]]
) -> None:
    triples = mutate(base_triples(which), changes)
    native = validator("native").validate_triples("", triples)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = validator("pyshacl").validate_triples("", triples)
    assert native.conforms == reference.conforms
    assert seen(native) == seen(reference)


def test_a_literal_focus_node_is_reported_as_a_literal() -> None:
    """A literal can be a focus node (sh:targetObjectsOf cr:classificationLevel)."""
    triples = broken(
        "DELETE { ?c <https://w3id.org/cablegate/ontology#classificationLevel> ?l } "
        'INSERT { ?c <https://w3id.org/cablegate/ontology#classificationLevel> "S" } '
        "WHERE { ?c <https://w3id.org/cablegate/ontology#classificationLevel> ?l }"
    )
    native = validator("native").validate_triples("", triples)
    assert native == validator("turbo").validate_triples("", triples)
    assert any(r.focus == '"S"' for r in native.results)
    assert b'sh:focusNode "S"' in native.report_turtle


# ---- SPARQL values: Python against Oxigraph -------------------------------------------------


def stored(lit: ox.Literal) -> _shacl.Term:
    """A literal as the engine reads it from a graph (as an Oxigraph store keeps it)."""
    quad = ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), lit)
    (term,) = _shacl.read_graph([quad], _shacl._Canonicaliser()).objects("urn:s", "urn:p")
    return term


@settings(max_examples=300, deadline=None)
@given(literals, literals | st.sampled_from([ox.NamedNode("urn:x")]), st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))  # fmt: skip
def test_comparisons_are_oxigraphs(a: ox.Literal, b: ox.Literal | ox.NamedNode, op: str) -> None:
    """Where the engine compares values itself, it gives Oxigraph's answer (or error)."""
    x = stored(a)
    y = stored(b) if isinstance(b, ox.Literal) else b.value
    oracle = _shacl._Oracle()
    try:
        expected: bool | None = oracle.compare(op, x, y)
    except _shacl._ExprError:
        expected = None
    try:
        if op in ("=", "!="):
            found: bool | None = _shacl.equal(x, y) == (op == "=")
        else:
            order = _shacl.compare(x, y)
            found = {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[op]
    except _shacl._ExprError:
        found = None
    except _shacl._Defer:
        return  # Oxigraph decides these
    assert found == expected, (x, op, y)


def test_regular_expressions_read_as_pyshacl_reads_them() -> None:
    """pySHACL hands patterns to Python's ``re`` (where ``$`` also matches before a final
    newline) and pyshacl-turbo follows it; syntax that XPath reads otherwise is refused."""
    assert _shacl.python_regex("^[0-9]{5}$").search("12958")
    assert _shacl.python_regex("^[0-9]{5}$").search("12958\n")
    assert not _shacl.python_regex("^[0-9]{5}$").search("12958\n\n")
    for pattern in ("\\w+", "(?i)a", "[a-z-[aeiou]]", "a{,3}"):
        with pytest.raises(_shacl.UnsupportedShapes):
            _shacl.python_regex(pattern)


# ---- features the cablerdf shapes do not use, against pyshacl-turbo ---------------------------

PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <urn:ex:> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
"""
DATA = """
ex:a a ex:Thing ; ex:p ex:b , "x" , 3 ; ex:q ex:c ; ex:n 5 ; ex:m 2 ; ex:label "a\\n"@en .
ex:b a ex:Sub ; ex:p ex:c ; ex:q ex:a ; ex:n 1 ; ex:m 7 ; ex:label "bee" .
ex:c ex:p ex:d ; ex:n "7"^^xsd:decimal ; ex:m "x" .
ex:d ex:p ex:a .
ex:Sub rdfs:subClassOf ex:Thing .
_:x ex:p ex:a .
"""
FEATURES = {
    "targets": """
        ex:s a sh:NodeShape ; sh:targetNode ex:a , ex:zz ; sh:targetSubjectsOf ex:q ;
          sh:targetObjectsOf ex:p ; sh:nodeKind sh:IRI ; sh:message "an IRI" .""",
    "class-with-subclasses": """
        ex:s sh:targetClass ex:Thing ; sh:property ex:s-p .
        ex:s-p sh:path ex:q ; sh:class ex:Thing ; sh:message "a thing" .""",
    "node-kinds": """
        ex:s sh:targetNode ex:a ; sh:property ex:s1 , ex:s2 , ex:s3 , ex:s4 , ex:s5 .
        ex:s1 sh:path ex:p ; sh:nodeKind sh:BlankNodeOrIRI ; sh:message "1" .
        ex:s2 sh:path ex:p ; sh:nodeKind sh:Literal ; sh:message "2" .
        ex:s3 sh:path ex:p ; sh:nodeKind sh:IRIOrLiteral ; sh:message "3" .
        ex:s4 sh:path [ sh:inversePath ex:p ] ; sh:nodeKind sh:BlankNode ; sh:message "4" .
        ex:s5 sh:path [ sh:inversePath ex:p ] ; sh:nodeKind sh:BlankNodeOrLiteral ; sh:message "5" .""",
    "paths": """
        ex:s sh:targetNode ex:a , ex:b ; sh:property ex:s1 , ex:s2 , ex:s3 , ex:s4 , ex:s5 .
        ex:s1 sh:path [ sh:alternativePath ( ex:p ex:q ) ] ; sh:maxCount 2 ; sh:message "1" .
        ex:s2 sh:path [ sh:zeroOrMorePath ex:p ] ; sh:maxCount 3 ; sh:message "2" .
        ex:s3 sh:path [ sh:oneOrMorePath ex:p ] ; sh:nodeKind sh:IRI ; sh:message "3" .
        ex:s4 sh:path [ sh:zeroOrOnePath ex:q ] ; sh:minCount 3 ; sh:message "4" .
        ex:s5 sh:path [ sh:inversePath ( ex:p ex:p ) ] ; sh:hasValue ex:b ; sh:message "5" .""",
    "strings": """
        ex:s sh:targetSubjectsOf ex:p ; sh:property ex:s1 , ex:s2 , ex:s3 , ex:s4 .
        ex:s1 sh:path ex:p ; sh:minLength 2 ; sh:message "1" .
        ex:s2 sh:path ex:p ; sh:maxLength 5 ; sh:message "2" .
        ex:s3 sh:path ex:label ; sh:pattern "^[a-z]+$" ; sh:message "3" .
        ex:s4 sh:path ex:label ; sh:datatype rdf:langString ; sh:message "4" .""",
    "ranges": """
        ex:s sh:targetSubjectsOf ex:n ; sh:property ex:s1 , ex:s2 , ex:s3 .
        ex:s1 sh:path ex:n ; sh:minExclusive 1 ; sh:message "1" .
        ex:s2 sh:path ex:n ; sh:maxExclusive "6.5"^^xsd:decimal ; sh:message "2" .
        ex:s3 sh:path ex:m ; sh:maxInclusive 5 ; sh:severity sh:Info ; sh:message "3" .""",
    "pairs": """
        ex:s sh:targetSubjectsOf ex:n ; sh:property ex:s1 , ex:s2 , ex:s3 , ex:s4 .
        ex:s1 sh:path ex:n ; sh:lessThan ex:m ; sh:message "1" .
        ex:s2 sh:path ex:p ; sh:disjoint ex:q ; sh:message "2" .
        ex:s3 sh:path ex:q ; sh:equals ex:p ; sh:message "3" .
        ex:s4 sh:path ex:m ; sh:lessThanOrEquals ex:n ; sh:severity sh:Warning ; sh:message "4" .""",
    "logic": """
        ex:s sh:targetSubjectsOf ex:p ; sh:property ex:s1 , ex:s2 , ex:s3 , ex:s4 .
        ex:s1 sh:path ex:p ; sh:not [ sh:datatype xsd:integer ] ; sh:message "1" .
        ex:s2 sh:path ex:p ; sh:and ( [ sh:nodeKind sh:IRI ] [ sh:class ex:Thing ] ) ; sh:message "2" .
        ex:s3 sh:path ex:p ; sh:xone ( [ sh:nodeKind sh:IRI ] [ sh:class ex:Sub ] ) ; sh:message "3" .
        ex:s4 sh:path ex:q ; sh:node ex:inner ; sh:message "4" .
        ex:inner sh:property [ sh:path ex:n ; sh:minInclusive 2 ] .""",
    "in-and-has-value": """
        ex:s sh:targetSubjectsOf ex:n ; sh:property ex:s1 , ex:s2 .
        ex:s1 sh:path ex:n ; sh:in ( 1 5 "7" ) ; sh:message "1" .
        ex:s2 sh:path ex:m ; sh:hasValue 7 ; sh:message "2" .""",
    "deactivated": """
        ex:s sh:targetSubjectsOf ex:n ; sh:property ex:s1 , ex:s2 .
        ex:s1 sh:path ex:n ; sh:maxCount 0 ; sh:deactivated true ; sh:message "1" .
        ex:s2 sh:path ex:n ; sh:maxCount 0 ; sh:message "2" .
        ex:t sh:targetNode ex:a ; sh:deactivated true ; sh:nodeKind sh:Literal ; sh:message "t" .""",
    "sparql-messages-and-paths": """
        ex:s sh:targetSubjectsOf ex:n ; sh:message "shape says {$this}" ;
          sh:sparql [ sh:prefixes ex:decl ; sh:message "{$this} has {?value} ({?unbound})" ;
            sh:select "SELECT $this ?value ?path WHERE { $this ex:p ?value . BIND (ex:p AS ?path) }" ] .
        ex:decl sh:declare [ sh:prefix "ex" ; sh:namespace "urn:ex:"^^xsd:anyURI ] .
        ex:t sh:targetNode ex:a ; sh:property ex:t-p .
        ex:t-p sh:path ex:p ; sh:message "{?value} via $PATH" ;
          sh:sparql [ sh:select "SELECT $this ?value WHERE { $this $PATH ?value . FILTER (isLiteral(?value)) }" ] .""",
    "sparql-handed-to-oxigraph": """
        ex:s sh:targetSubjectsOf ex:n ;
          sh:sparql [ sh:message "{?value} {?other}" ;
            sh:select "SELECT $this ?value ?other WHERE { $this <urn:ex:p> ?value OPTIONAL { ?value <urn:ex:n> ?other } }" ] .""",
    "values-absent": """
        ex:s sh:targetSubjectsOf ex:n ; sh:property ex:s1 , ex:s2 , ex:s3 , ex:s4 , ex:s5 , ex:s6 .
        ex:s1 sh:path ex:absent ; sh:equals ex:q ; sh:message "1" .
        ex:s2 sh:path ex:absent ; sh:minCount 0 ; sh:maxCount 0 ; sh:class ex:Thing ; sh:message "2" .
        ex:s3 sh:path ex:q ; sh:hasValue ex:a ; sh:message "3" .
        ex:s4 sh:path ex:absent ; sh:disjoint ex:p ; sh:lessThan ex:n ; sh:message "4" .
        ex:s5 sh:path ex:absent ; sh:minCount 1 ; sh:message "5" .
        ex:s6 sh:path ex:absent ; sh:message "6 {?value}" ;
          sh:sparql [ sh:select "SELECT $this ?value WHERE { $this <urn:ex:n> ?value }" ] .""",
    "sparql-join-steps": """
        ex:s sh:targetSubjectsOf ex:p ;
          sh:sparql [ sh:prefixes ex:decl ; sh:message "{?value} {?why}" ;
            sh:select \"\"\"SELECT $this ?value ?why WHERE {
              { $this ex:absent ?value . BIND ("absent" AS ?why) }
              UNION { $this ex:q ?x . ?value ex:q ?x . BIND ("shared" AS ?why) }
              UNION { $this ex:p ex:b ; ex:p ?value . ?value ex:n ?n . FILTER (?n < 2)
                      BIND ("bound" AS ?why) }
              UNION { ?value ex:p $this . FILTER NOT EXISTS { $this ex:q ?value }
                      BIND ("inverse" AS ?why) }
              UNION { ?value ex:p ?z . ?z ex:p ?w . ?w ex:p ?u . ?u ex:p ?value .
                      FILTER (?value = $this)
                      BIND ("cycle" AS ?why) }
            }\"\"\" ] .
        ex:decl sh:declare [ sh:prefix "ex" ; sh:namespace "urn:ex:"^^xsd:anyURI ] .""",
    "sparql-current-shape": """
        ex:s sh:targetNode ex:a ;
          sh:sparql [ sh:message "{$currentShape}" ;
            sh:select "SELECT $this $currentShape WHERE { FILTER (isIRI($currentShape)) }" ] .""",
}


def run_feature(shapes_text: str, engine: str) -> CableValidation:
    shapes = rdflib.Graph().parse(data=PREFIXES + shapes_text, format="turtle")
    data = list(ox.parse((PREFIXES + DATA).encode(), format=ox.RdfFormat.TURTLE))
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in data]
    return Validator(shapes, rdflib.Graph(), engine).validate_triples("", triples)


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_features_beyond_the_cablerdf_shapes_give_turbos_report(feature: str) -> None:
    native = run_feature(FEATURES[feature], "native")
    assert native.results, "the case raises nothing"
    assert native == run_feature(FEATURES[feature], "turbo")


# ---- what the engine refuses ------------------------------------------------------------------

REFUSED = {
    "qualifiedValueShape": 'ex:s sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:qualifiedValueShape [ sh:class ex:T ] ; sh:qualifiedMinCount 1 ; sh:message "m" ] .',
    "closed": 'ex:s sh:targetNode ex:a ; sh:closed true ; sh:message "m" .',
    "flags": 'ex:s sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:pattern "a" ; sh:flags "i" ; sh:message "m" ] .',
    "languageIn": 'ex:s sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:languageIn ( "en" ) ; sh:message "m" ] .',
    "no sh:message": "ex:s sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .",
    "sh:datatype <http://www.w3.org/2001/XMLSchema#gYear>": 'ex:s sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:datatype xsd:gYear ; sh:message "m" ] .',
    "MINUS": 'ex:s sh:targetNode ex:a ; sh:sparql [ sh:message "m" ; sh:select "SELECT $this WHERE { $this ?p ?o MINUS { $this ?p 1 } }" ] .',
    "VALUES": 'ex:s sh:targetNode ex:a ; sh:sparql [ sh:message "m" ; sh:select "SELECT $this WHERE { VALUES ?o { 1 } $this ?p ?o }" ] .',
    "binds $this": 'ex:s sh:targetNode ex:a ; sh:sparql [ sh:message "m" ; sh:select "SELECT ?x WHERE { BIND (1 AS ?this) }" ] .',
    "$shapesGraph": 'ex:s sh:targetNode ex:a ; sh:sparql [ sh:message "m" ; sh:select "SELECT $this WHERE { GRAPH $shapesGraph { ?s ?p ?o } }" ] .',
    "recursion": 'ex:s sh:targetNode ex:a ; sh:node ex:s ; sh:message "m" .',
    "escape \\w": 'ex:s sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:pattern "\\\\w" ; sh:message "m" ] .',
}


@pytest.mark.parametrize("feature", sorted(REFUSED))
def test_shapes_with_features_the_engine_lacks_are_refused_by_name(feature: str) -> None:
    shapes = rdflib.Graph().parse(data=PREFIXES + REFUSED[feature], format="turtle")
    with pytest.raises(_shacl.UnsupportedShapes) as caught:
        Validator(shapes, rdflib.Graph(), "native")
    assert feature.split()[-1].strip("$") in str(caught.value)
