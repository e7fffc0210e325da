"""The SHACL shapes themselves: they are valid SHACL, they cover the ontology, their value
lists agree with the concept schemes and the ID canonicaliser, and every shape can fail.

Every shape has breaking cases (:data:`CASES`): a SPARQL update applied to a graph that
conforms with no result at all (the mapping of a record with every field set, and of a cable
with three versions); the broken graph must give a result from that shape, with the
shape's severity, under both SHACL engines. A meta-test checks that no shape lacks a case.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from conftest import REPO
from rdflib.collection import Collection
from test_mapping import SETTINGS, _versions, full_record

from cablerdf.cable_ids import CABLE_ID_PATTERN
from cablerdf.mapping import map_records
from cablerdf.validation import (
    ENGINES,
    SHAPES_NAMESPACE,
    CableValidation,
    Validator,
    local_name,
    shape_files,
    shape_severities,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Dataset.identifier is deprecated:DeprecationWarning"),
]

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
CR = rdflib.Namespace("https://w3id.org/cablegate/ontology#")
SCHEME = "https://w3id.org/cablegate/scheme/"
SHAPES_DIR = REPO / "shapes"
SHSH = Path(__file__).parent / "data" / "shapes" / "shacl-shacl.ttl"

D = SETTINGS.base
C = f"<{D}cable/06ASTANA395>"
P1 = f"<{D}cable/06ASTANA395/p/1>"
P2 = f"<{D}cable/06ASTANA395/p/2>"
SPAN1 = f"<{D}cable/06ASTANA395/p/1/span>"
SPAN2 = f"<{D}cable/06ASTANA395/p/2/span>"
REMOVED = f"<{D}cable/06ASTANA395/p/2/span/removed/1>"
HEADER = f"<{D}cable/06ASTANA395/header>"
R1 = f"<{D}cable/06ASTANA395/recipient/1>"
REF1 = f"<{D}cable/06ASTANA395/ref/1>"
REF2 = f"<{D}cable/06ASTANA395/ref/2>"
VERSION = f"<{D}cable/06ASTANA395/version/aaaaaaaaaaaaaaaa>"
COPY = f"<{D}cable/06ASTANA395/version/aaaaaaaaaaaaaaaa/source/1>"
GRAPH = f"<{D}graph/06ASTANA395>"
CONVERSION = f"<{D}graph/06ASTANA395/conversion>"
POST = f"<{D}post/Embassy_Astana>"
STATION = f"<{D}station/SECSTATE_WASHDC>"
COUNTRY = f"<{D}country/KZ>"
SOFTWARE = f"<{D}software/cablerdf/0.1.0>"
CITED = f"<{D}cable/06ASTANA100>"
NEW = f"<{D}cable/06ASTANA395/new/1>"  # a node no shape expects

PREFIXES = f"""
PREFIX cr: <https://w3id.org/cablegate/ontology#>
PREFIX sch: <{SCHEME}>
PREFIX level: <{SCHEME}level/>
PREFIX pm: <{SCHEME}portion-marking/>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX cito: <http://purl.org/spar/cito/>
PREFIX c4o: <http://purl.org/spar/c4o/>
PREFIX fabio: <http://purl.org/spar/fabio/>
PREFIX doco: <http://purl.org/spar/doco/>
PREFIX po: <http://www.essepuntato.it/2008/12/pattern#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX void: <http://rdfs.org/ns/void#>
"""


def replace(subject: str, predicate: str, value: str) -> str:
    """An update that gives ``subject`` the single value ``value`` for ``predicate``."""
    return (
        f"DELETE {{ {subject} {predicate} ?old }} INSERT {{ {subject} {predicate} {value} }} "
        f"WHERE {{ OPTIONAL {{ {subject} {predicate} ?old }} }}"
    )


def delete(subject: str, predicate: str) -> str:
    return f"DELETE WHERE {{ {subject} {predicate} ?old }}"


def add(triples: str) -> str:
    return f"INSERT DATA {{ {triples} }}"


# (shape, what the case does, the update). The base graph is the full record's, or "three"
# (a cable with three versions) when the update's text starts with "three:".
CASES: list[tuple[str, str, str]] = [
    # ---- cable
    ("cable-type", "not a schema:Message", f"DELETE DATA {{ {C} a schema:Message }}"),
    ("cable-identifier", "no identifier", delete(C, "dct:identifier")),
    ("cable-identifier", "leading zeros", replace(C, "dct:identifier", '"06ASTANA0395"')),
    ("cable-identifier", "two identifiers", add(f'{C} dct:identifier "06ASTANA396"')),
    ("cable-label", "label is not the ID", replace(C, "rdfs:label", '"Astana 395"')),
    ("cable-level", "no level", delete(C, "cr:classificationLevel")),
    ("cable-level", "two levels", add(f"{C} cr:classificationLevel level:C")),
    ("cable-level", "a control as level", replace(C, "cr:classificationLevel", "pm:C")),
    ("cable-classification", "no banner", delete(C, "cr:classification")),
    ("cable-classification", "banner not a string", replace(C, "cr:classification", "1")),
    ("cable-control", "control as text", add(f'{C} cr:disseminationControl "NOFORN"')),
    (
        "cable-control-scheme",
        "a handling caption as control",
        add(f"{C} cr:disseminationControl <{SCHEME}handling/SIPDIS>"),
    ),
    ("cable-handling", "caption as text", add(f'{C} cr:handling "SIPDIS"')),
    (
        "cable-handling-scheme",
        "a control as handling",
        add(f"{C} cr:handling <{SCHEME}dissemination-control/NF>"),
    ),
    ("cable-created", "created as text", replace(C, "dct:created", '"2006-11-02 03:47"')),
    ("cable-created", "created as a date", replace(C, "dct:created", '"2006-11-02"^^xsd:date')),
    ("cable-created-missing", "no creation date", delete(C, "dct:created")),
    (
        "cable-created-range",
        "created in 1950",
        replace(C, "dct:created", '"1950-01-01T00:00:00Z"^^xsd:dateTime'),
    ),
    (
        "cable-created-range",
        "created in 2011",
        replace(C, "dct:created", '"2011-01-01T00:00:00Z"^^xsd:dateTime'),
    ),
    ("cable-issued", "released as text", add(f'{C} dct:issued "3 December 2010"')),
    ("cable-issued-range", "released in 2009", add(f'{C} dct:issued "2009-12-01"^^xsd:date')),
    ("cable-issued-range", "released in 2012", add(f'{C} dct:issued "2012-01-01"^^xsd:date')),
    ("cable-origin", "two origins", add(f"{C} cr:origin <{D}post/Embassy_Moscow>")),
    ("cable-origin-missing", "no origin", delete(C, "cr:origin")),
    ("cable-title", "two titles", add(f'{C} dct:title "ANOTHER"')),
    ("cable-subject-portion-marking", "two", add(f'{C} cr:subjectPortionMarking "S"')),
    ("cable-subject-marking", "two markings", add(f"{C} cr:subjectMarking pm:S-NF")),
    ("cable-subject-marking-scheme", "a level", replace(C, "cr:subjectMarking", "level:S")),
    ("cable-tag", "TAG as text", add(f'{C} dct:subject "PREL"')),
    ("cable-tag-scheme", "a level as TAG", add(f"{C} dct:subject level:S")),
    ("cable-tags-as-printed", "two", add(f'{C} cr:tagsAsPrinted "PREL"')),
    ("cable-reference-entry", "untyped entry", add(f"{C} cr:referenceEntry {NEW}")),
    ("cable-cites", "cites a literal", add(f'{C} cito:cites "06ASTANA100"')),
    ("cable-cites", "cites a web page", add(f"{C} cito:cites <https://example.org/page>")),
    ("cable-sender", "two senders", add(f"{C} schema:sender {NEW}")),
    ("cable-to-recipient", "untyped", add(f"{C} schema:toRecipient {NEW}")),
    ("cable-cc-recipient", "untyped", add(f"{C} schema:ccRecipient {NEW}")),
    ("cable-recipient", "untyped entry", add(f"{C} cr:recipient {NEW}")),
    ("cable-header", "two headers", add(f"{C} cr:transmissionHeader {NEW}")),
    ("cable-executive-order", "as printed", replace(C, "cr:executiveOrder", '"E.O. 12958"')),
    ("cable-executive-order-known", "unknown order", replace(C, "cr:executiveOrder", '"12345"')),
    ("cable-declassify-on", "as text", replace(C, "cr:declassifyOn", '"OADR"')),
    ("cable-classified-by", "two", add(f'{C} cr:classifiedBy "SOMEONE"')),
    ("cable-reason", "letter x", add(f"{C} cr:classificationReason <{SCHEME}reason/x>")),
    ("cable-reason", "a section", add(f"{C} cr:classificationReason <{SCHEME}reason/1.4b>")),
    ("cable-signer", "two", add(f'{C} cr:signer "SOMEONE"')),
    ("cable-abstract", "two", add(f'{C} dct:abstract "Another."')),
    ("cable-comment", "two", add(f'{C} cr:commentText "Another."')),
    ("cable-article", "untyped", add(f"{C} dct:isReferencedBy {NEW}")),
    ("cable-dataset", "no dataset", delete(C, "void:inDataset")),
    ("cable-primary-version", "no primary version", delete(C, "cr:primaryVersion")),
    (
        "cable-version",
        "no version",
        (
            f"DELETE {{ ?v prov:specializationOf {C} }} "
            f"WHERE {{ ?v a cr:SourceVersion ; prov:specializationOf {C} }}"
        ),
    ),
    ("cable-paragraph", "untyped paragraph", add(f"{C} po:contains {NEW}")),
    # ---- source version
    ("version-type", "not a prov:Entity", f"DELETE DATA {{ {VERSION} a prov:Entity }}"),
    ("version-cable", "specialises nothing", delete(VERSION, "prov:specializationOf")),
    ("version-revision", "revises an untyped node", add(f"{VERSION} prov:wasRevisionOf {NEW}")),
    ("version-printed-id", "no printed ID", delete(VERSION, "cr:printedId")),
    ("version-created", "as text", replace(VERSION, "dct:created", '"2 Nov 2006"')),
    ("version-issued", "as text", add(f'{VERSION} dct:issued "3 Dec 2010"')),
    ("version-classification", "two", add(f'{VERSION} cr:classification "SECRET"')),
    ("version-origin", "untyped", add(f"{VERSION} cr:origin {NEW}")),
    ("version-page-title", "two", add(f'{VERSION} cr:pageTitle "ANOTHER"')),
    ("version-partial-extract", "none", delete(VERSION, "cr:partialExtract")),
    ("version-partial-extract", "as text", replace(VERSION, "cr:partialExtract", '"no"')),
    ("version-body", "no body", delete(VERSION, "c4o:hasContent")),
    (
        "version-form",
        "unknown form",
        replace(VERSION, "cr:sourceForm", f"<{SCHEME}source-form/pdf>"),
    ),
    ("version-form", "no form", delete(VERSION, "cr:sourceForm")),
    ("version-sha256", "upper case", replace(VERSION, "cr:sha256", '"' + "A" * 64 + '"')),
    ("version-sha256", "too short", replace(VERSION, "cr:sha256", '"abc"')),
    ("version-source-copy", "no copy", delete(VERSION, "cr:sourceCopy")),
    ("version-article", "untyped", add(f"{VERSION} dct:isReferencedBy {NEW}")),
    ("version-paragraph", "untyped", add(f"{VERSION} po:contains {NEW}")),
    # ---- source copy
    (
        "copy-of",
        "a copy of nothing",
        add(f'{NEW} a cr:SourceCopy ; cr:sourcePath "x" ; cr:sourceLine 1'),
    ),
    ("copy-path", "no path", delete(COPY, "cr:sourcePath")),
    ("copy-line", "line 0", replace(COPY, "cr:sourceLine", "0")),
    # ---- paragraph
    ("paragraph-type", "not doco", f"DELETE DATA {{ {P1} a doco:Paragraph }}"),
    ("paragraph-whole", "part of nothing", delete(P1, "dct:isPartOf")),
    ("paragraph-whole", "part of an untyped node", replace(P1, "dct:isPartOf", NEW)),
    ("paragraph-contained", "not contained", f"DELETE DATA {{ {C} po:contains {P1} }}"),
    ("paragraph-position", "position 0", replace(P1, "schema:position", "0")),
    ("paragraph-position", "no position", delete(P1, "schema:position")),
    ("paragraph-number", "two numbers", add(f'{P1} fabio:hasSequenceIdentifier "1A"')),
    ("paragraph-portion-marking", "two", add(f'{P1} cr:portionMarking "S"')),
    ("paragraph-marking", "two", add(f"{P1} cr:marking pm:S-NF")),
    ("paragraph-marking-scheme", "a level", replace(P1, "cr:marking", "level:C")),
    ("paragraph-text", "no text", delete(P1, "c4o:hasContent")),
    ("paragraph-text-position", "no span", delete(P1, "cr:textPosition")),
    ("paragraph-specialises", "untyped", add(f"{P1} prov:specializationOf {NEW}")),
    # ---- text position
    ("text-position-start", "start after end", replace(SPAN1, "oa:start", "99")),
    ("text-position-start", "negative", replace(SPAN1, "oa:start", "-1")),
    ("text-position-end", "no end", delete(SPAN1, "oa:end")),
    ("text-position-body", "no body", delete(SPAN1, "cr:inBodyOf")),
    ("text-position-removed", "untyped", add(f"{SPAN1} cr:removedSpan {NEW}")),
    # ---- transmission header
    ("header-of", "of no cable", f"DELETE DATA {{ {C} cr:transmissionHeader {HEADER} }}"),
    ("header-routing-indicator", "two", add(f'{HEADER} cr:routingIndicator "RUEHC"')),
    ("header-sequence", "two", add(f'{HEADER} cr:sequence "0001"')),
    ("header-julian-date", "two", add(f'{HEADER} cr:julianDate "0010000"')),
    ("header-precedence", "two", add(f"{HEADER} cr:precedence <{SCHEME}precedence/PRIORITY>")),
    ("header-precedence-scheme", "a level", replace(HEADER, "cr:precedence", "level:S")),
    (
        "header-precedence-known",
        "an unheard-of precedence",
        replace(HEADER, "cr:precedence", f"<{SCHEME}precedence/SOMEDAY>")
        + f" ; INSERT DATA {{ <{SCHEME}precedence/SOMEDAY> a skos:Concept ;"
        f' skos:inScheme sch:precedence ; skos:notation "SOMEDAY" }}',
    ),
    ("header-dtg", "two", add(f'{HEADER} cr:dateTimeGroup "O 010101Z JAN 06"')),
    ("header-dtg-time", "as text", replace(HEADER, "cr:dateTimeGroupTime", '"020347Z NOV 06"')),
    ("header-sender-name", "two", add(f'{HEADER} cr:senderName "AMEMBASSY MOSCOW"')),
    ("header-sender-routing-indicator", "two", add(f'{HEADER} cr:senderRoutingIndicator "X"')),
    ("header-xmt", "not a string", add(f"{HEADER} cr:xmt 1")),
    # ---- addressee entry
    ("recipient-of", "of no cable", f"DELETE DATA {{ {C} cr:recipient {R1} }}"),
    ("recipient-position", "as text", replace(R1, "schema:position", '"first"')),
    ("recipient-role", "bcc", replace(R1, "cr:role", f"<{SCHEME}recipient-role/bcc>")),
    ("recipient-station", "no station", delete(R1, "cr:station")),
    ("recipient-name", "no name", delete(R1, "cr:addresseeName")),
    ("recipient-precedence", "two", add(f"{R1} cr:precedence <{SCHEME}precedence/ROUTINE>")),
    ("recipient-precedence-scheme", "a level", replace(R1, "cr:precedence", "level:S")),
    (
        "recipient-precedence-known",
        "an unheard-of precedence",
        replace(R1, "cr:precedence", f"<{SCHEME}precedence/SOMEDAY>")
        + f" ; INSERT DATA {{ <{SCHEME}precedence/SOMEDAY> a skos:Concept ;"
        f' skos:inScheme sch:precedence ; skos:notation "SOMEDAY" }}',
    ),
    ("recipient-routing-indicator", "two", add(f'{R1} cr:routingIndicator "RUEHX"')),
    ("recipient-serial", "two", add(f'{R1} cr:serial "0002"')),
    # ---- REF entry
    ("reference-type", "not a citation", f"DELETE DATA {{ {REF2} a cito:Citation }}"),
    ("reference-of", "of no cable", f"DELETE DATA {{ {C} cr:referenceEntry {REF2} }}"),
    ("reference-citing", "cited by another", replace(REF2, "cito:hasCitingEntity", CITED)),
    ("reference-position", "none", delete(REF2, "schema:position")),
    ("reference-label", "two", add(f'{REF2} cr:entryLabel "C"')),
    ("reference-text", "none", delete(REF2, "c4o:hasContent")),
    ("reference-kind", "a fax", replace(REF2, "cr:referenceKind", f"<{SCHEME}reference-kind/fax>")),
    (
        "reference-cited",
        "cites a web page",
        replace(REF1, "cito:hasCitedEntity", "<https://example.org/x>"),
    ),
    # ---- posts, stations, countries
    ("post-type", "not schema", f"DELETE DATA {{ {POST} a schema:GovernmentOrganization }}"),
    ("post-label", "no label", delete(POST, "rdfs:label")),
    ("post-location", "untyped", add(f"{POST} schema:location {NEW}")),
    ("station-type", "not an organization", f"DELETE DATA {{ {STATION} a org:Organization }}"),
    ("station-label", "two labels", add(f'{STATION} rdfs:label "SECSTATE_WASHDC"')),
    ("country-label", "none", delete(COUNTRY, "rdfs:label")),
    ("country-code", "alpha-3", replace(COUNTRY, "dct:identifier", '"KAZ"')),
    (
        "country-same-as",
        "a web page",
        replace(COUNTRY, "owl:sameAs", "<https://www.wikidata.org/wiki/Q232>"),
    ),
    # ---- concepts
    ("concept-scheme", "no scheme", delete(f"<{SCHEME}tag/PREL>", "skos:inScheme")),
    (
        "concept-scheme",
        "another scheme",
        replace(f"<{SCHEME}tag/PREL>", "skos:inScheme", "<https://example.org/s>"),
    ),
    ("concept-notation", "no notation", delete(f"<{SCHEME}tag/PREL>", "skos:notation")),
    ("concept-level", "two levels", add("pm:C cr:level level:S")),
    ("concept-control", "a handling caption", add(f"pm:C cr:control <{SCHEME}handling/SIPDIS>")),
    ("level-rank", "no rank", delete("level:S", "cr:rank")),
    ("level-rank", "rank 7", replace("level:S", "cr:rank", "7")),
    ("marking-level-missing", "marking with no level", delete("pm:C", "cr:level")),
    # ---- articles
    (
        "article-url",
        "no URL",
        "DELETE { ?a schema:url ?u } WHERE { ?a a schema:Article ; schema:url ?u }",
    ),
    (
        "article-url-malformed",
        "a broken link",
        (
            "DELETE { ?a schema:url ?u } INSERT { ?a schema:url "
            '"http://bad link" } WHERE { ?a a schema:Article ; schema:url ?u }'
        ),
    ),
    (
        "article-headline",
        "no headline",
        "DELETE { ?a schema:headline ?h } WHERE { ?a a schema:Article ; schema:headline ?h }",
    ),
    # ---- provenance
    ("graph-type", "not an entity", f"DELETE DATA {{ {GRAPH} a prov:Entity }}"),
    ("graph-generated-by", "two activities", add(f"{GRAPH} prov:wasGeneratedBy {NEW}")),
    (
        "graph-conforms-to",
        "another ontology",
        replace(GRAPH, "dct:conformsTo", "<https://example.org/o>"),
    ),
    ("graph-derived-from", "no versions", delete(GRAPH, "prov:wasDerivedFrom")),
    ("conversion-used", "used nothing", delete(CONVERSION, "prov:used")),
    ("conversion-agent", "no agent", delete(CONVERSION, "prov:wasAssociatedWith")),
    ("software-label", "no label", delete(SOFTWARE, "rdfs:label")),
    ("software-version", "no version", delete(SOFTWARE, "schema:softwareVersion")),
    # ---- SPARQL rules: violations
    (
        "cable-iri",
        "the ID is not the IRI's",
        replace(C, "dct:identifier", '"06ASTANA396"')
        + " ; "
        + replace(C, "rdfs:label", '"06ASTANA396"'),
    ),
    ("cable-iri", "a paragraph of another cable", add(f"{C} po:contains <{D}cable/07X1/p/1>")),
    (
        "cable-cites-target",
        "another base",
        add(f"{C} cito:cites <http://example.org/cable/06ASTANA100>"),
    ),
    ("cable-cites-target", "no backlink", delete(CITED, "cito:isCitedBy")),
    (
        "cable-cites-target",
        "no REF entry",
        add(f"{C} cito:cites <{D}cable/07X1> . <{D}cable/07X1> cito:isCitedBy {C}"),
    ),
    ("cable-cites-target", "an entry not in cites", f"DELETE DATA {{ {C} cito:cites {CITED} }}"),
    (
        "cable-versions",
        "primary of another cable",
        replace(C, "cr:primaryVersion", f"<{D}cable/07X1/version/bbbbbbbbbbbbbbbb>"),
    ),
    (
        "cable-versions",
        "two first versions",
        (
            "three:DELETE { ?v prov:wasRevisionOf ?w } WHERE { ?v prov:wasRevisionOf ?w "
            "FILTER NOT EXISTS { ?x prov:wasRevisionOf ?v } }"
        ),
    ),
    (
        "cable-versions",
        "a cycle",
        (
            "three:INSERT { ?first prov:wasRevisionOf ?last } WHERE { ?first a cr:SourceVersion "
            "FILTER NOT EXISTS { ?first prov:wasRevisionOf ?any } ?last a cr:SourceVersion "
            "FILTER NOT EXISTS { ?later prov:wasRevisionOf ?last } }"
        ),
    ),
    (
        "cable-versions",
        "two revisions of one version",
        (
            "three:DELETE { ?last prov:wasRevisionOf ?middle } INSERT { ?last prov:wasRevisionOf ?first }"
            " WHERE { ?last prov:wasRevisionOf ?middle . ?middle prov:wasRevisionOf ?first }"
        ),
    ),
    ("position-order", "two paragraphs at 1", replace(P2, "schema:position", "1")),
    ("position-order", "paragraph positions 1, 3", replace(P2, "schema:position", "3")),
    ("position-order", "addressee positions 2, 2", replace(R1, "schema:position", "2")),
    ("position-order", "REF positions 1, 3", replace(REF2, "schema:position", "3")),
    ("position-order", "paragraph positions 3, 2", replace(P1, "schema:position", "3")),
    ("position-order", "a paragraph at 1 and 2", add(f"{P2} schema:position 1")),
    (
        "position-order",
        "a paragraph at 1 as 01",
        replace(P2, "schema:position", '"01"^^xsd:integer'),
    ),
    (
        "position-order",
        "a shared position and a gap on two paths",
        replace(P2, "schema:position", "1") + " ; " + replace(REF2, "schema:position", "3"),
    ),
    (
        "position-order",
        "a version's paragraphs at 1, 1",
        (
            "three:DELETE { ?p schema:position 2 } INSERT { ?p schema:position 1 } "
            "WHERE { ?v a cr:SourceVersion ; po:contains ?p . ?p schema:position 2 }"
        ),
    ),
    (
        "created-before-released",
        "released before created",
        add(f'{C} dct:issued "2005-01-01"^^xsd:date'),
    ),
    (
        "created-before-released",
        "a version too",
        add(f'{VERSION} dct:issued "2005-01-01"^^xsd:date'),
    ),
    ("version-metadata", "a page without creation date", delete(VERSION, "dct:created")),
    ("version-metadata", "a page without origin", delete(VERSION, "cr:origin")),
    ("text-position-in-body", "span past the body", replace(SPAN2, "oa:end", "100000")),
    ("text-position-in-body", "removed span outside", replace(REMOVED, "oa:start", "0")),
    ("level-rank-value", "S ranked 1", replace("level:S", "cr:rank", "1")),
    (
        "reference-cable-kind",
        "a cable cited by an e-mail entry",
        replace(REF1, "cr:referenceKind", f"<{SCHEME}reference-kind/email>"),
    ),
    # ---- SPARQL rules: warnings and infos
    ("reference-cable-unresolved", "a cable REF without ID", delete(REF1, "cito:hasCitedEntity")),
    (
        "paragraph-marking-above-banner",
        "banner C, paragraph S",
        replace(C, "cr:classificationLevel", "level:C"),
    ),
    (
        "subject-marking-above-banner",
        "banner C, subject S",
        replace(C, "cr:classificationLevel", "level:C")
        + " ; "
        + replace(C, "cr:subjectMarking", "pm:S-NF"),
    ),
    (
        "paragraph-number-duplicated",
        "two paragraphs 1",
        replace(P2, "fabio:hasSequenceIdentifier", '"1"'),
    ),
    ("paragraph-number-missing", "1 then 3", replace(P2, "fabio:hasSequenceIdentifier", '"3"')),
    ("paragraph-number-missing", "starts at 2", replace(P1, "fabio:hasSequenceIdentifier", '"7"')),
    (
        "declassified-after-created",
        "DECL in 2001",
        replace(C, "cr:declassifyOn", '"2001-01-01"^^xsd:date'),
    ),
    (
        "header-time-matches-created",
        "DTG a day later",
        replace(HEADER, "cr:dateTimeGroupTime", '"2006-11-03T03:47:00Z"^^xsd:dateTime'),
    ),
    (
        "reference-id-year",
        "created in 2007",
        replace(C, "dct:created", '"2007-01-02T00:00:00Z"^^xsd:dateTime'),
    ),
]


# ---- helpers -----------------------------------------------------------------------------


@cache
def validator(engine: str) -> Validator:
    return Validator.load(engine)


@cache
def base_triples(which: str) -> tuple[ox.Triple, ...]:
    records = _versions() if which == "three" else [full_record()]
    quads = map_records(records, SETTINGS).quads
    return tuple(ox.Triple(q.subject, q.predicate, q.object) for q in quads)


def broken(update: str) -> list[ox.Triple]:
    which = "three" if update.startswith("three:") else "full"
    store = ox.Store()
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in base_triples(which))
    store.update(PREFIXES + update.removeprefix("three:"))
    return [ox.Triple(q.subject, q.predicate, q.object) for q in store]


@cache
def outcome(engine: str, update: str) -> CableValidation:
    """The validation of the base graph broken by ``update`` (memoised: two tests use it)."""
    return validator(engine).validate_triples("", broken(update))


@cache
def shapes_graph() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted(SHAPES_DIR.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@cache
def severities() -> dict[str, str]:
    """The shapes that report results themselves, by local name, with their severity.

    Those are the property shapes and the SPARQL-based node shapes; a node shape that only
    groups property shapes reports through them.
    """
    graph = shapes_graph()
    reporting = {
        str(s)
        for s in graph.subjects(rdflib.RDF.type, SH.PropertyShape)
        if isinstance(s, rdflib.URIRef)
    } | {str(s) for s in graph.subjects(SH.sparql, None)}
    return {local_name(k): v for k, v in shape_severities(graph).items() if k in reporting}


def show(v: CableValidation) -> str:
    return "\n".join(
        f"{r.severity} {r.code} {r.focus} {r.path} {r.value}: {r.message}" for r in v.results
    )


# ---- every shape can fail, and the base graphs pass every shape ----------------------------


def test_every_shape_has_a_breaking_case() -> None:
    graph = shapes_graph()
    for shape in graph.subjects(rdflib.RDF.type, SH.NodeShape):
        own = set(graph.predicates(shape, None)) - {
            rdflib.RDF.type,
            rdflib.RDFS.comment,
            SH.property,
            SH.targetClass,
            SH.targetSubjectsOf,
            SH.targetObjectsOf,
            SH.targetNode,
        }
        assert own or graph.value(shape, SH.property) is not None, f"{shape} checks nothing"
    named = set(severities())
    covered = {shape for shape, _, _ in CASES}
    assert covered - named == set(), "cases name shapes that do not exist"
    assert named - covered == set(), "shapes without a breaking case"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("which", ["full", "three"])
def test_the_base_graphs_give_no_result_at_all(engine: str, which: str) -> None:
    v = validator(engine).validate_triples("", base_triples(which))
    assert v.conforms and v.results == (), show(v)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("shape", "update"), [(s, u) for s, _, u in CASES], ids=[f"{s}:{why}" for s, why, _ in CASES]
)
def test_a_broken_graph_fails_the_shape(engine: str, shape: str, update: str) -> None:
    v = outcome(engine, update)
    hits = [r for r in v.results if r.shape == SHAPES_NAMESPACE + shape]
    assert hits, f"{shape} did not fire; results:\n{show(v)}"
    expected = severities()[shape]
    assert {r.severity for r in hits} == {expected}
    assert v.conforms == all(r.severity != "Violation" for r in v.results)
    assert all(r.message for r in hits)


@pytest.mark.parametrize(
    "update", [u for _, _, u in CASES], ids=[f"{s}:{why}" for s, why, _ in CASES]
)
def test_both_engines_give_the_same_results(update: str) -> None:
    """The same results, but for the constraint component: on a value that compares with
    neither bound (a date against dateTime bounds) pySHACL reports one of sh:minInclusive
    and sh:maxExclusive, pyshacl-turbo both."""
    turbo, pyshacl_ = (outcome(e, update) for e in ("turbo", "pyshacl"))
    assert turbo.conforms == pyshacl_.conforms

    def seen(v: CableValidation) -> set[tuple[str | None, ...]]:
        return {(r.shape, r.focus, r.path, r.value, r.severity, r.message) for r in v.results}

    assert seen(turbo) == seen(pyshacl_), f"turbo:\n{show(turbo)}\npyshacl:\n{show(pyshacl_)}"


# ---- the shapes are valid SHACL ----------------------------------------------------------


def test_the_shapes_conform_to_shacl_for_shacl() -> None:
    conforms, _, text = pyshacl.validate(shapes_graph(), shacl_graph=str(SHSH))
    assert conforms, text


def test_shacl_for_shacl_rejects_a_broken_shape() -> None:
    graph = rdflib.Graph()
    graph += shapes_graph()
    shape = rdflib.URIRef(SHAPES_NAMESPACE + "cable-identifier")
    graph.set((shape, SH.minCount, rdflib.Literal("one")))
    conforms, _, _ = pyshacl.validate(graph, shacl_graph=str(SHSH))
    assert not conforms


def test_severity_stands_on_shapes_never_on_sparql_nodes() -> None:
    graph = shapes_graph()
    for node in graph.objects(None, SH.sparql):
        assert graph.value(node, SH.severity) is None, node


def test_the_validator_reads_the_repository_shapes_and_ontology() -> None:
    files = shape_files()
    assert {p.name for p in SHAPES_DIR.glob("*.ttl")} == {p.name for p in files.shapes}
    for path in files.shapes:
        assert path.read_bytes() == (SHAPES_DIR / path.name).read_bytes()
    for path in files.ontology:
        assert path.read_bytes() == (REPO / "ontology" / path.name).read_bytes()


# ---- the shapes agree with the ontology, the schemes and the canonicaliser -------------------


@cache
def ontology() -> rdflib.Graph:
    graph = rdflib.Graph()
    for name in ("cablerdf.ttl", "schemes.ttl"):
        graph.parse(REPO / "ontology" / name, format="turtle")
    return graph


def test_every_class_of_the_ontology_has_a_shape() -> None:
    classes = {c for c in ontology().subjects(rdflib.RDF.type, rdflib.OWL.Class)}
    targets = set(shapes_graph().objects(None, SH.targetClass))
    assert classes and classes - targets == set()


def test_every_type_the_mapping_writes_is_checked() -> None:
    """Every typed node is a target (the other types are reused supertypes)."""
    shapes = shapes_graph()
    classes = set(shapes.objects(None, SH.targetClass))
    subjects_of = set(shapes.objects(None, SH.targetSubjectsOf))
    graph = rdflib.Graph()
    for t in (*base_triples("full"), *base_triples("three")):
        graph.parse(data=str(t) + " .", format="nt")
    for node in set(graph.subjects(rdflib.RDF.type, None)):
        types = set(graph.objects(node, rdflib.RDF.type))
        predicates = set(graph.predicates(node, None))
        assert types & classes or predicates & subjects_of, f"{node} ({types}) is not checked"


def _in_values(shape: str) -> list[str]:
    graph = shapes_graph()
    values = graph.value(rdflib.URIRef(SHAPES_NAMESPACE + shape), SH["in"])
    assert values is not None, shape
    return sorted(str(v) for v in Collection(graph, values))


def _scheme_concepts(scheme: str) -> list[str]:
    graph = ontology()
    return sorted(
        str(c)
        for c in graph.subjects(
            rdflib.URIRef("http://www.w3.org/2004/02/skos/core#inScheme"),
            rdflib.URIRef(SCHEME + scheme),
        )
    )


@pytest.mark.parametrize(
    ("shape", "scheme"),
    [
        ("cable-level", "level"),
        ("concept-level", "level"),
        ("version-form", "source-form"),
        ("recipient-role", "recipient-role"),
        ("reference-kind", "reference-kind"),
        ("cable-reason", "reason"),
        ("header-precedence-known", "precedence"),
        ("recipient-precedence-known", "precedence"),
    ],
)
def test_closed_value_lists_are_the_schemes_concepts(shape: str, scheme: str) -> None:
    assert _in_values(shape) == _scheme_concepts(scheme)


def test_the_id_patterns_are_the_canonicalisers() -> None:
    graph = shapes_graph()

    def pattern(shape: str) -> str:
        return str(graph.value(rdflib.URIRef(SHAPES_NAMESPACE + shape), SH.pattern))

    assert pattern("cable-identifier") == CABLE_ID_PATTERN
    tail = CABLE_ID_PATTERN.removeprefix("^")
    assert pattern("cable-cites") == "/cable/" + tail
    assert pattern("reference-cited") == "/cable/" + tail
    rules = (SHAPES_DIR / "cablerdf-rules.ttl").read_text(encoding="utf-8")
    assert f'"{CABLE_ID_PATTERN}"' in rules


def test_level_ranks_in_the_rule_are_the_schemes() -> None:
    graph = ontology()
    ranks = {str(c).rsplit("/", 1)[1]: int(r) for c, r in graph.subject_objects(CR.rank)}
    rules = (SHAPES_DIR / "cablerdf-rules.ttl").read_text(encoding="utf-8")
    for code, rank in ranks.items():
        assert f"$this = level:{code}, {rank}" in rules


def test_no_chained_subtraction_in_sparql() -> None:
    """pyshacl-turbo 0.6.5 reads ``a - b - c`` as ``a - (b - c)``: write ``a - (b + c)``."""
    graph = shapes_graph()
    for query in graph.objects(None, SH.select):
        for line in str(query).splitlines():
            assert not re.search(r"\s-\s[^()\n]*?\s-\s", line), line


def test_shape_names_are_codes() -> None:
    """Shape local names become diagnostic codes: lower case words joined by hyphens."""
    for name in severities():
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", name), name


def _shapes_of(graph: rdflib.Graph) -> Sequence[str]:
    return sorted(local_name(str(s)) for s in graph.subjects(rdflib.RDF.type, SH.NodeShape))


def test_every_node_shape_says_what_it_checks() -> None:
    graph = shapes_graph()
    for name in _shapes_of(graph):
        assert graph.value(rdflib.URIRef(SHAPES_NAMESPACE + name), rdflib.RDFS.comment), name
    for shape in graph.subjects(rdflib.RDF.type, SH.PropertyShape):
        assert graph.value(shape, SH.message), shape


def test_every_shape_is_documented() -> None:
    text = (REPO / "docs" / "validation.md").read_text(encoding="utf-8")
    graph = shapes_graph()
    names = {local_name(k) for k in shape_severities(graph)}
    missing = sorted(n for n in names if f"`{n}`" not in text)
    assert missing == []
