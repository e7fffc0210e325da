"""The ontology and concept schemes: they parse, every term is documented and declared, and
every term the mapping emits is ours (declared in ontology/) or a published term of a reused
vocabulary."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import rdflib.namespace as ns
from conftest import GOLD, REPO
from hypothesis import given
from test_mapping import PROPERTY, SETTINGS, _versions, full_record, records

from cablerdf import iris, vocab
from cablerdf.mapping import (
    CONTROL_SPELLINGS,
    HANDLING_CODES,
    LEVEL_CODES,
    LEVEL_RANKS,
    SCHEME_CONTROL,
    SCHEME_FORM,
    SCHEME_HANDLING,
    SCHEME_LEVEL,
    SCHEME_MARKING,
    SCHEME_PRECEDENCE,
    SCHEME_REASON,
    SCHEME_REF_KIND,
    SCHEME_ROLE,
    SCHEME_TAG,
    cable_to_quads,
    countries,
    marking_parts,
    post_countries,
)
from cablerdf.model import RefKind, Role, SourceForm
from cablerdf.settings import ONTOLOGY_VERSION

ONTOLOGY = REPO / "ontology" / "cablerdf.ttl"
SCHEMES = REPO / "ontology" / "schemes.ttl"
DATA = REPO / "src" / "cablerdf" / "data"

RDF_TYPE = ox.NamedNode(str(ns.RDF.type))
LABEL = ox.NamedNode(str(ns.RDFS.label))
COMMENT = ox.NamedNode(str(ns.RDFS.comment))
OWL_CLASSES = {
    ox.NamedNode(str(ns.OWL.Class)),
    ox.NamedNode(str(ns.OWL.ObjectProperty)),
    ox.NamedNode(str(ns.OWL.DatatypeProperty)),
}

# Published term lists of the reused vocabularies. rdflib ships the closed term lists of the
# W3C and DCMI vocabularies (generated from their published documents); SPAR and Web
# Annotation terms are listed here from their published ontologies:
#   FaBiO  SPAROntologies/fabio docs/current/fabio.ttl (fabio:ArchivalDocument,
#          fabio:hasSequenceIdentifier)
#   DoCO   SPAROntologies/doco docs/2026-06-25/resources/doco/Paragraph.ttl
#   PO     SPAROntologies/po docs/2026-09-21/resources/po/contains.ttl
#   C4O    SPAROntologies/c4o docs/2026-08-14/resources/c4o/hasContent.ttl
#   CiTO   SPAROntologies/cito docs/2026-06-22/resources/cito/{Citation,cites,isCitedBy,
#          hasCitingEntity,hasCitedEntity}
#   OA     W3C Web Annotation Vocabulary, Recommendation 2017-02-23, section 4.2.3
PUBLISHED: dict[type, frozenset[str]] = {
    vocab.RDF: frozenset(ns.RDF.__annotations__),
    vocab.RDFS: frozenset(ns.RDFS.__annotations__),
    vocab.XSD: frozenset(ns.XSD.__annotations__),
    vocab.OWL: frozenset(ns.OWL.__annotations__),
    vocab.DCT: frozenset(ns.DCTERMS.__annotations__),
    vocab.SCHEMA: frozenset(ns.SDO.__annotations__),
    vocab.PROV: frozenset(ns.PROV.__annotations__),
    vocab.SKOS: frozenset(ns.SKOS.__annotations__),
    vocab.ORG: frozenset(ns.ORG.__annotations__),
    vocab.VOID: frozenset(ns.VOID.__annotations__),
    vocab.FABIO: frozenset({"ArchivalDocument", "hasSequenceIdentifier"}),
    vocab.DOCO: frozenset({"Paragraph"}),
    vocab.PO: frozenset({"contains", "isContainedBy"}),
    vocab.C4O: frozenset({"hasContent"}),
    vocab.CITO: frozenset({"Citation", "cites", "isCitedBy", "hasCitingEntity", "hasCitedEntity"}),
    vocab.OA: frozenset({"TextPositionSelector", "start", "end"}),
}
NAMESPACES: dict[type, str] = {
    vocab.RDF: str(ns.RDF),
    vocab.RDFS: str(ns.RDFS),
    vocab.XSD: str(ns.XSD),
    vocab.OWL: str(ns.OWL),
    vocab.DCT: str(ns.DCTERMS),
    vocab.SCHEMA: "http://schema.org/",  # rdflib's SDO is the https form of the same terms
    vocab.PROV: str(ns.PROV),
    vocab.SKOS: str(ns.SKOS),
    vocab.ORG: str(ns.ORG),
    vocab.VOID: str(ns.VOID),
    vocab.FABIO: "http://purl.org/spar/fabio/",
    vocab.DOCO: "http://purl.org/spar/doco/",
    vocab.PO: "http://www.essepuntato.it/2008/12/pattern#",
    vocab.C4O: "http://purl.org/spar/c4o/",
    vocab.CITO: "http://purl.org/spar/cito/",
    vocab.OA: "http://www.w3.org/ns/oa#",
}


def _triples(path: Path) -> list[ox.Triple]:
    return list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))


def _objects(triples: Iterable[ox.Triple], s: ox.NamedNode, p: ox.NamedNode) -> list[str]:
    return sorted(str(t.object.value) for t in triples if t.subject == s and t.predicate == p)


def ontology_terms() -> dict[str, list[str]]:
    """Our terms declared in the ontology, with their OWL types."""
    declared: dict[str, list[str]] = {}
    for t in _triples(ONTOLOGY):
        if t.predicate == RDF_TYPE and t.object in OWL_CLASSES:
            assert isinstance(t.subject, ox.NamedNode)
            declared.setdefault(t.subject.value, []).append(str(t.object.value))
    return declared


# ---- the files ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ONTOLOGY, SCHEMES], ids=lambda p: p.name)
def test_the_files_parse_and_hold_no_blank_nodes(path: Path) -> None:
    triples = _triples(path)
    assert len(triples) > 100
    for t in triples:
        assert not isinstance(t.subject, ox.BlankNode)
        assert not isinstance(t.object, ox.BlankNode)
    rdflib.NORMALIZE_LITERALS = False
    try:
        graph = rdflib.Graph().parse(path, format="turtle")
    finally:
        rdflib.NORMALIZE_LITERALS = True
    assert len(graph) == len(set(triples))


def test_the_ontology_has_a_version_iri() -> None:
    triples = _triples(ONTOLOGY)
    onto = iris.ontology()
    assert _objects(triples, onto, RDF_TYPE) == [str(ns.OWL.Ontology)]
    assert _objects(triples, onto, ox.NamedNode(str(ns.OWL.versionIRI))) == [
        iris.ontology_version(ONTOLOGY_VERSION).value
    ]
    assert _objects(triples, onto, ox.NamedNode(str(ns.OWL.versionInfo))) == [ONTOLOGY_VERSION]
    assert _objects(triples, onto, LABEL) and _objects(triples, onto, COMMENT)


def test_every_term_of_the_ontology_has_a_label_and_a_comment() -> None:
    triples = _triples(ONTOLOGY)
    terms = ontology_terms()
    assert len(terms) > 50
    for term in terms:
        node = ox.NamedNode(term)
        assert len(_objects(triples, node, LABEL)) == 1, term
        assert len(_objects(triples, node, COMMENT)) == 1, term
        assert _objects(triples, node, ox.NamedNode(str(ns.RDFS.isDefinedBy))) == [
            iris.ontology().value
        ]


def test_the_vocabulary_module_and_the_ontology_declare_the_same_terms() -> None:
    assert set(ontology_terms()) == {n.value for n in vocab.declared_terms(vocab.CR).values()}
    for name, node in vocab.declared_terms(vocab.CR).items():
        assert node == iris.term(name)


def test_every_term_the_ontology_files_use_from_our_namespace_is_declared() -> None:
    declared = set(ontology_terms())
    for path in (ONTOLOGY, SCHEMES):
        for t in _triples(path):
            for node in (t.subject, t.predicate, t.object):
                if isinstance(node, ox.NamedNode) and node.value.startswith(iris.TERM_NAMESPACE):
                    assert node.value in declared, (path.name, node.value)


@pytest.mark.parametrize("vocabulary", list(PUBLISHED), ids=lambda v: v.__name__)
def test_reused_terms_are_published_terms(vocabulary: type) -> None:
    namespace = NAMESPACES[vocabulary]
    assert vars(vocabulary)["NS"] == namespace
    for name, node in vocab.declared_terms(vocabulary).items():
        assert node.value == namespace + name
        assert name in PUBLISHED[vocabulary], f"{node.value} is not a published term"


def test_every_vocabulary_is_checked() -> None:
    assert set(vocab.VOCABULARIES) == set(PUBLISHED) | {vocab.CR}


# ---- what the mapping emits is declared --------------------------------------------------


def _emitted_terms(quads: Iterable[ox.Quad]) -> set[str]:
    used: set[str] = set()
    for q in quads:
        used.add(q.predicate.value)
        if q.predicate == RDF_TYPE:
            assert isinstance(q.object, ox.NamedNode)
            used.add(q.object.value)
        if isinstance(q.object, ox.Literal):
            used.add(q.object.datatype.value)
    return used


def _assert_declared(used: set[str]) -> None:
    allowed = set(ontology_terms()) | {
        node.value for v in PUBLISHED for node in vocab.declared_terms(v).values()
    }
    assert used - allowed == set()


def test_every_term_emitted_for_the_full_record_is_declared() -> None:
    used = _emitted_terms(cable_to_quads([full_record(), *_versions()], SETTINGS))
    _assert_declared(used)
    # and the mapping uses every term it declares (no dead vocabulary)
    assert {n.value for n in vocab.declared_terms(vocab.CR).values()} - used == set()


@PROPERTY
@given(records)
def test_every_term_emitted_for_any_record_is_declared(record: object) -> None:
    from cablerdf.model import CableRecord

    assert isinstance(record, CableRecord)
    _assert_declared(_emitted_terms(cable_to_quads([record], SETTINGS)))


# ---- concept schemes ---------------------------------------------------------------------

SKOS_NOTATION = ox.NamedNode(str(ns.SKOS.notation))
SKOS_IN_SCHEME = ox.NamedNode(str(ns.SKOS.inScheme))


def _schemes() -> tuple[list[ox.Triple], dict[str, str], dict[str, str]]:
    """The triples, the concepts' notations and the concepts' schemes of schemes.ttl."""
    triples = _triples(SCHEMES)
    notation = {t.subject.value: t.object.value for t in triples if t.predicate == SKOS_NOTATION}
    scheme = {t.subject.value: t.object.value for t in triples if t.predicate == SKOS_IN_SCHEME}
    return triples, notation, scheme


def test_every_scheme_and_concept_is_documented() -> None:
    triples, _, _ = _schemes()
    concept = ox.NamedNode(str(ns.SKOS.Concept))
    scheme = ox.NamedNode(str(ns.SKOS.ConceptScheme))
    pref = ox.NamedNode(str(ns.SKOS.prefLabel))
    definition = ox.NamedNode(str(ns.SKOS.definition))
    schemes = [t.subject for t in triples if t.predicate == RDF_TYPE and t.object == scheme]
    concepts = [t.subject for t in triples if t.predicate == RDF_TYPE and t.object == concept]
    assert {s.value for s in schemes} == {
        iris.scheme(n).value
        for n in (
            SCHEME_LEVEL,
            SCHEME_CONTROL,
            SCHEME_HANDLING,
            SCHEME_MARKING,
            SCHEME_REASON,
            SCHEME_PRECEDENCE,
            SCHEME_TAG,
            SCHEME_FORM,
            SCHEME_ROLE,
            SCHEME_REF_KIND,
        )
    }
    for s in schemes:
        assert isinstance(s, ox.NamedNode)
        assert len(_objects(triples, s, pref)) == 1 and len(_objects(triples, s, definition)) == 1
    for c in concepts:
        assert isinstance(c, ox.NamedNode)
        assert len(_objects(triples, c, pref)) == 1, c
        assert len(_objects(triples, c, SKOS_NOTATION)) == 1, c
        assert len(_objects(triples, c, SKOS_IN_SCHEME)) == 1, c
        assert c.value.startswith(_objects(triples, c, SKOS_IN_SCHEME)[0] + "/")


def _known_concepts() -> list[tuple[str, ox.NamedNode, str]]:
    """(scheme, concept, notation) of every code the mapping knows by name."""
    known: list[tuple[str, ox.NamedNode, str]] = []
    known += [(SCHEME_LEVEL, iris.concept(SCHEME_LEVEL, c), c) for c in LEVEL_CODES.values()]
    known += [
        (SCHEME_CONTROL, iris.code_concept(SCHEME_CONTROL, c), c)
        for c in sorted(set(CONTROL_SPELLINGS.values()))
    ]
    known += [(SCHEME_HANDLING, iris.code_concept(SCHEME_HANDLING, c), c) for c in HANDLING_CODES]
    known += [(SCHEME_REASON, iris.concept(SCHEME_REASON, c), c) for c in "abcdefgh"]
    known += [
        (SCHEME_PRECEDENCE, iris.code_concept(SCHEME_PRECEDENCE, w), w)
        for w in ("FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE", "NIACT IMMEDIATE")
    ]
    known += [(SCHEME_FORM, iris.concept(SCHEME_FORM, f.value), f.value) for f in SourceForm]
    known += [(SCHEME_ROLE, iris.concept(SCHEME_ROLE, r.value), r.value) for r in Role]
    known += [(SCHEME_REF_KIND, iris.concept(SCHEME_REF_KIND, k.value), k.value) for k in RefKind]
    return known


@pytest.mark.parametrize(("scheme", "node", "notation"), _known_concepts(), ids=lambda x: str(x))
def test_known_codes_are_concepts_of_the_schemes(
    scheme: str, node: ox.NamedNode, notation: str
) -> None:
    _, notations, schemes = _schemes()
    assert notations.get(node.value) == notation
    assert schemes[node.value] == iris.scheme(scheme).value


def test_marking_concepts_of_the_schemes_agree_with_the_marking_reader() -> None:
    triples, notations, schemes = _schemes()
    level = ox.NamedNode(iris.TERM_NAMESPACE + "level")
    control = ox.NamedNode(iris.TERM_NAMESPACE + "control")
    markings = [c for c, s in schemes.items() if s == iris.scheme(SCHEME_MARKING).value]
    assert len(markings) >= 10
    for concept in markings:
        parts = marking_parts(notations[concept])
        assert iris.marking_concept(notations[concept]).value == concept
        node = ox.NamedNode(concept)
        expected_level = [iris.concept(SCHEME_LEVEL, parts.level).value] if parts.level else []
        assert _objects(triples, node, level) == expected_level
        assert _objects(triples, node, control) == sorted(
            iris.code_concept(SCHEME_CONTROL, c).value for c in parts.controls
        )


def test_concepts_the_mapping_emits_carry_the_schemes_notation() -> None:
    _, notations, schemes = _schemes()
    quads = cable_to_quads([full_record(), *_versions()], SETTINGS)
    emitted_notation = {
        q.subject.value: q.object.value for q in quads if q.predicate == SKOS_NOTATION
    }
    emitted_scheme = {
        q.subject.value: q.object.value for q in quads if q.predicate == SKOS_IN_SCHEME
    }
    checked = 0
    for concept, notation in emitted_notation.items():
        if concept in notations:
            checked += 1
            assert notation == notations[concept]
            assert emitted_scheme[concept] == schemes[concept]
    assert checked >= 15


def test_tag_labels_are_the_packaged_table() -> None:
    triples, _, schemes = _schemes()
    pref = ox.NamedNode(str(ns.SKOS.prefLabel))
    with (DATA / "tags.tsv").open(encoding="utf-8") as f:
        table = {row["tag"]: row["label"] for row in csv.DictReader(f, delimiter="\t")}
    tags = {c for c, s in schemes.items() if s == iris.scheme(SCHEME_TAG).value}
    assert tags == {iris.code_concept(SCHEME_TAG, t).value for t in table}
    for tag, label in table.items():
        assert _objects(triples, iris.code_concept(SCHEME_TAG, tag), pref) == [label]


# ---- posts and countries -----------------------------------------------------------------


def test_every_gold_origin_is_a_known_post_with_its_country() -> None:
    origins = {
        json.loads(p.read_text(encoding="utf-8"))["origin"] for p in sorted(GOLD.glob("*.json"))
    }
    origins.discard(None)
    assert len(origins) > 20
    table = post_countries()
    expected = {
        "Embassy La Paz": "BO",
        "Mission USNATO": "BE",
        "Iran RPO Dubai": "AE",
        "US Mission Geneva": "CH",
        "Secretary of State": "US",
        "Consulate Istanbul": "TR",
    }
    for origin in origins:
        assert origin in table, origin
    for origin, iso in expected.items():
        assert table[origin] == iso


def test_the_country_table_is_well_formed() -> None:
    table = countries()
    assert set(post_countries().values()) <= set(table)
    for iso, country in table.items():
        assert len(iso) == 2 and iso.isupper() and country.name
        assert country.wikidata is None or iris.wikidata(country.wikidata) is not None
    assert table["KZ"].wikidata == "Q232" and table["US"].wikidata == "Q30"


def test_level_ranks_of_the_schemes_are_the_mappings() -> None:
    triples, _, _ = _schemes()
    rank = ox.NamedNode(iris.TERM_NAMESPACE + "rank")
    for code, value in LEVEL_RANKS.items():
        assert _objects(triples, iris.concept(SCHEME_LEVEL, code), rank) == [str(value)]
    assert sorted(LEVEL_RANKS, key=LEVEL_RANKS.__getitem__) == ["U", "C", "S", "TS"]
