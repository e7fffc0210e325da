"""The mapping of cable records to quads: every key mapped, versions, determinism, no blank nodes.

Records are built by hand, from the hand-checked gold records of the shared corpus, and by
hypothesis. Set CABLERDF_UPDATE_GOLDEN=1 to rewrite tests/data/mapping/*.nq after a reviewed
change of the mapping.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import CORPUS, GOLD
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cablerdf import iris
from cablerdf.iris import Minter
from cablerdf.mapping import (
    cable_to_quads,
    map_records,
    marking_parts,
    order_versions,
    primary_version,
)
from cablerdf.model import (
    Article,
    CableRecord,
    Classification,
    Level,
    Paragraph,
    Recipient,
    Reference,
    RefKind,
    Role,
    SourceForm,
    SourceInfo,
    Span,
    TransmissionHeader,
)
from cablerdf.settings import Settings

SETTINGS = Settings()
MINTER = Minter.for_settings(SETTINGS)
DATA = Path(__file__).parent / "data" / "mapping"
B = SETTINGS.base

PREFIXES = f"""
PREFIX cr: <https://w3id.org/cablegate/ontology#>
PREFIX sch: <https://w3id.org/cablegate/scheme/>
PREFIX d: <{B}>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX cito: <http://purl.org/spar/cito/>
PREFIX c4o: <http://purl.org/spar/c4o/>
PREFIX fabio: <http://purl.org/spar/fabio/>
PREFIX po: <http://www.essepuntato.it/2008/12/pattern#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX void: <http://rdfs.org/ns/void#>
"""

BODY = (
    "1. (C) First paragraph.\n\n"
    "2. (S/NF) Second paragraph,\nASTANA 00000395  002 OF 002\ncontinued.\n\n"
    "ORDWAY\n"
)


def full_record(**changes: Any) -> CableRecord:
    """A record with every field set (each to a value the tests look for)."""
    second = BODY.index("2. (S/NF)")
    brk = BODY.index("ASTANA 0000")
    record = CableRecord(
        reference_id="06ASTANA395",
        source_id="06ASTANA395",
        created="2006-11-02T03:47Z",
        released=("2010-12-03",),
        classification=Classification(
            "SECRET//NOFORN", Level.SECRET, ("NOFORN", "ORCON"), ("SIPDIS", "EXDIS")
        ),
        origin="Embassy Astana",
        subject="KAZAKHSTAN: A SUBJECT",
        subject_marking="C",
        tags=("PREL", "PGOV", "KZ"),
        references=(
            Reference("A", "06 ASTANA 100", "06ASTANA100"),
            Reference("B", "EMAIL FROM X, 1 NOV", None, RefKind.EMAIL),
        ),
        header=TransmissionHeader(
            routing_indicator="RUEHTA",
            sequence="0395/01",
            julian_date="3060347",
            precedence="ROUTINE",
            dtg="R 020347Z NOV 06",
            created="2006-11-02T03:47Z",
            sender="AMEMBASSY ASTANA",
            sender_routing_indicator="RUEHTA",
            recipients=(
                Recipient(Role.TO, "SECSTATE WASHDC", "PRIORITY", "RUEHC", "1676"),
                Recipient(Role.INFO, "AMEMBASSY MOSCOW", "ROUTINE", "RUEHMO", "0012"),
            ),
            xmt=("AMCONSUL ALMATY",),
        ),
        eo="12958",
        declassify_on="2016-11-02",
        classified_by="Ambassador John Ordway, reasons 1.4 (b) and (d)",
        reasons=("b", "d"),
        signer="ORDWAY",
        summary="A summary.",
        comment="A comment.",
        paragraphs=(
            Paragraph("1", "C", "First paragraph.", Span(0, second - 2)),
            Paragraph(
                "2",
                "S/NF",
                "Second paragraph, continued.",
                Span(second, BODY.index("ORDWAY") - 2),
                (Span(brk, brk + len("ASTANA 00000395  002 OF 002\n")),),
            ),
        ),
        body=BODY,
        title="KAZAKHSTAN: A SUBJECT",
        articles=(Article("http://example.org/news/1", "A newspaper story"),),
        partial_extract=False,
        source=SourceInfo("html2010/06ASTANA395.html", 1, SourceForm.HTML_2010, "a" * 64),
    )
    return dataclasses.replace(record, **changes)


def nquads(quads: Iterable[ox.Quad]) -> str:
    return ox.serialize(list(quads), format=ox.RdfFormat.N_QUADS).decode("utf-8")


def store_of(quads: Iterable[ox.Quad]) -> ox.Store:
    store = ox.Store()
    store.extend(list(quads))
    return store


def ask(store: ox.Store, where: str) -> bool:
    result = store.query(PREFIXES + "ASK { GRAPH ?g { " + where + " } }")
    assert isinstance(result, ox.QueryBoolean)
    return bool(result)


def select(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    result = store.query(PREFIXES + query)
    assert isinstance(result, ox.QuerySolutions)
    return [tuple(term.value if term is not None else "" for term in row) for row in result]


# ---- every key of the record is mapped ---------------------------------------------------

C = "d:cable\\/06ASTANA395"
KEY_CHECKS: dict[str, str] = {
    "reference_id": f'{C} a cr:Cable ; dct:identifier "06ASTANA395" .',
    "source_id": '?v cr:printedId "06ASTANA395" ; prov:specializationOf ?c .',
    "created": f'{C} dct:created "2006-11-02T03:47:00Z"^^xsd:dateTime .',
    "released": f'{C} dct:issued "2010-12-03"^^xsd:date .',
    "classification": f'{C} cr:classification "SECRET//NOFORN" .',
    "classification_level": f"{C} cr:classificationLevel <{iris.concept('level', 'S').value}> .",
    "caveats": f"{C} cr:disseminationControl sch:dissemination-control\\/NF,"
    " sch:dissemination-control\\/OC .",
    "handling": f"{C} cr:handling sch:handling\\/SIPDIS ;"
    " cr:disseminationControl sch:dissemination-control\\/XD .",
    "origin": f'{C} cr:origin ?p . ?p a cr:Post ; rdfs:label "Embassy Astana" .',
    "subject": f'{C} dct:title "KAZAKHSTAN: A SUBJECT" .',
    "subject_marking": f'{C} cr:subjectPortionMarking "C" ;'
    " cr:subjectMarking sch:portion-marking\\/C .",
    "tags": f'{C} dct:subject ?t ; cr:tagsAsPrinted "PREL PGOV KZ" .'
    ' ?t skos:notation "PGOV" ; skos:inScheme sch:tag .',
    "references.label": f'{C} cr:referenceEntry ?r . ?r cr:entryLabel "B" ; schema:position 2 .',
    "references.text": '?r c4o:hasContent "EMAIL FROM X, 1 NOV" .',
    "references.reference_id": f"{C} cito:cites d:cable\\/06ASTANA100 ."
    f" ?r cito:hasCitedEntity d:cable\\/06ASTANA100 ; cito:hasCitingEntity {C} .",
    "references.kind": "?r cr:referenceKind sch:reference-kind\\/email .",
    "sender": f'{C} schema:sender ?s . ?s a cr:Station ; rdfs:label "AMEMBASSY ASTANA" .',
    "recipients.role": f"{C} schema:ccRecipient d:station\\/AMEMBASSY_MOSCOW ; cr:recipient ?r ."
    " ?r cr:role sch:recipient-role\\/info ; cr:station d:station\\/AMEMBASSY_MOSCOW .",
    "recipients.name": f"{C} schema:toRecipient ?s . ?r cr:station ?s ;"
    ' cr:addresseeName "SECSTATE WASHDC" .',
    "recipients.precedence": "?r cr:addresseeName 'SECSTATE WASHDC' ;"
    " cr:precedence sch:precedence\\/PRIORITY .",
    "recipients.routing_indicator": '?r cr:addresseeName "SECSTATE WASHDC" ;'
    ' cr:routingIndicator "RUEHC" .',
    "recipients.serial": '?r cr:addresseeName "SECSTATE WASHDC" ; cr:serial "1676" .',
    "transmission.routing_indicator": f"{C} cr:transmissionHeader ?h ."
    ' ?h cr:routingIndicator "RUEHTA" .',
    "transmission.sequence": '?h cr:sequence "0395/01" .',
    "transmission.julian_date": '?h cr:julianDate "3060347" .',
    "transmission.precedence": "?h a cr:TransmissionHeader ;"
    " cr:precedence sch:precedence\\/ROUTINE .",
    "transmission.dtg": '?h cr:dateTimeGroup "R 020347Z NOV 06" ;'
    ' cr:dateTimeGroupTime "2006-11-02T03:47:00Z"^^xsd:dateTime .',
    "transmission.sender_routing_indicator": '?h cr:senderRoutingIndicator "RUEHTA" ;'
    ' cr:senderName "AMEMBASSY ASTANA" .',
    "transmission.xmt": '?h cr:xmt "AMCONSUL ALMATY" .',
    "eo": f'{C} cr:executiveOrder "12958" .',
    "declassify_on": f'{C} cr:declassifyOn "2016-11-02"^^xsd:date .',
    "classified_by": f'{C} cr:classifiedBy "Ambassador John Ordway, reasons 1.4 (b) and (d)" .',
    "reasons": f"{C} cr:classificationReason sch:reason\\/b, sch:reason\\/d .",
    "signer": f'{C} cr:signer "ORDWAY" .',
    "summary": f'{C} dct:abstract "A summary." .',
    "comment": f'{C} cr:commentText "A comment." .',
    "paragraphs.number": f'{C} po:contains ?p . ?p fabio:hasSequenceIdentifier "2" ;'
    " schema:position 2 ; dct:isPartOf ?c .",
    "paragraphs.marking": '?p cr:portionMarking "S/NF" ; cr:marking ?m .'
    " ?m cr:level sch:level\\/S ; cr:control sch:dissemination-control\\/NF .",
    "paragraphs.text": '?p c4o:hasContent "Second paragraph, continued." .',
    "paragraphs.span": "?p cr:textPosition ?s . ?s a oa:TextPositionSelector ;"
    " oa:start 25 ; cr:inBodyOf ?v . ?v c4o:hasContent ?body .",
    "paragraphs.removed": "?s cr:removedSpan ?r . ?r oa:start ?a ; oa:end ?b ."
    " FILTER(?b - ?a = 28)",
    "title": '?v cr:pageTitle "KAZAKHSTAN: A SUBJECT" .',
    "articles.url": f"{C} dct:isReferencedBy ?a . ?v dct:isReferencedBy ?a ."
    ' ?a schema:url "http://example.org/news/1"^^xsd:anyURI .',
    "articles.title": '?a schema:headline "A newspaper story" .',
    "partial_extract": "?v cr:partialExtract false .",
    "body": f"{C} cr:primaryVersion ?v . ?v c4o:hasContent ?b . FILTER(STRLEN(?b) = {len(BODY)})",
    "source.path": '?v cr:sourceCopy ?x . ?x cr:sourcePath "html2010/06ASTANA395.html" .',
    "source.line": "?x cr:sourceLine 1 .",
    "source.form": "?v cr:sourceForm sch:source-form\\/html2010 .",
    "source.sha256": f'?v cr:sha256 "{"a" * 64}" .',
}


def _flat_keys(data: dict[str, Any]) -> set[str]:
    keys: set[str] = set()
    for key, value in data.items():
        inner = value[0] if isinstance(value, list) and value else value
        if isinstance(inner, dict):
            keys.update(f"{key}.{k}" for k in inner)
        else:
            keys.add(key)
    return keys


def test_the_checks_cover_every_key_of_the_record() -> None:
    assert set(KEY_CHECKS) == _flat_keys(full_record().to_json())


@pytest.mark.parametrize("key", sorted(KEY_CHECKS))
def test_every_key_is_mapped(key: str) -> None:
    store = store_of(cable_to_quads([full_record()], SETTINGS))
    assert ask(store, KEY_CHECKS[key]), KEY_CHECKS[key]


def test_levels_and_controls_are_separate_axes() -> None:
    store = store_of(cable_to_quads([full_record()], SETTINGS))
    levels = select(store, "SELECT ?l WHERE { GRAPH ?g { ?c cr:classificationLevel ?l } }")
    assert levels == [(iris.concept("level", "S").value,)]
    assert not ask(store, "?x cr:classificationLevel sch:dissemination-control\\/NF .")


@pytest.mark.parametrize(
    ("marking", "level", "controls", "notation"),
    [
        ("S/NF", "S", ("NF",), "S//NF"),
        ("C//NF", "C", ("NF",), "C//NF"),
        ("SBU", "U", ("SBU",), "SBU"),
        ("U", "U", (), "U"),
        ("FOUO", "U", ("FOUO",), "FOUO"),
        ("S/REL NATO", "S", ("REL",), "S//REL NATO"),
        ("SBU-NF", "U", ("SBU", "NF"), "SBU//NF"),
        ("TS", "TS", (), "TS"),
        ("XYZ", None, (), "XYZ"),
    ],
)
def test_portion_markings_split_into_level_and_controls(
    marking: str, level: str | None, controls: tuple[str, ...], notation: str
) -> None:
    parts = marking_parts(marking)
    assert (parts.level, parts.controls, parts.notation) == (level, controls, notation)


# ---- IRIs: aliases, REFs, posts ----------------------------------------------------------


def test_a_malformed_printed_id_gets_an_alias() -> None:
    quads = cable_to_quads([full_record(source_id="06ASTAN395")], SETTINGS)
    store = store_of(quads)
    assert ask(store, f"d:alias\\/06ASTAN395 owl:sameAs {C} .")
    assert ask(store, '?v cr:printedId "06ASTAN395" .')
    plain = store_of(cable_to_quads([full_record()], SETTINGS))
    assert not ask(plain, f"?a owl:sameAs {C} .")


def test_a_ref_yields_the_cited_cables_iri_held_or_not() -> None:
    citing = full_record()
    cited = full_record(reference_id="06ASTANA100", source_id="06ASTANA100", references=())
    together = store_of(cable_to_quads([citing, cited], SETTINGS))
    alone = store_of(cable_to_quads([citing], SETTINGS))
    for store in (together, alone):
        assert ask(store, f"{C} cito:cites d:cable\\/06ASTANA100 .")
        # the backlink lives in the citing cable's graph
        assert ask(
            store, f"d:cable\\/06ASTANA100 cito:isCitedBy {C} . FILTER(?g = d:graph\\/06ASTANA395)"
        )
    assert MINTER.cable("06ASTANA100") == MINTER.cable(cited.reference_id)


def test_posts_link_their_country_and_wikidata_only_where_known() -> None:
    store = store_of(cable_to_quads([full_record()], SETTINGS))
    assert ask(
        store,
        "d:post\\/Embassy_Astana schema:location d:country\\/KZ ."
        ' d:country\\/KZ rdfs:label "Kazakhstan" ; dct:identifier "KZ" ;'
        " owl:sameAs <http://www.wikidata.org/entity/Q232> .",
    )
    jerusalem = store_of(cable_to_quads([full_record(origin="Consulate Jerusalem")], SETTINGS))
    assert ask(jerusalem, 'd:post\\/Consulate_Jerusalem rdfs:label "Consulate Jerusalem" .')
    assert not ask(jerusalem, "?p schema:location ?c .")
    unknown = store_of(cable_to_quads([full_record(origin="Embassy Nowhere")], SETTINGS))
    assert ask(unknown, "d:post\\/Embassy_Nowhere a cr:Post .")
    assert not ask(unknown, "?p schema:location ?c .")


# ---- versions ----------------------------------------------------------------------------

REDACTED = BODY.replace("Second paragraph,", "XXXXXXXXXXXX")


def _page(form: SourceForm, released: tuple[str, ...], sha: str, **changes: Any) -> CableRecord:
    return full_record(
        released=released,
        source=SourceInfo(f"{form.value}/06ASTANA395", 1, form, sha * 64),
        **changes,
    )


def _versions() -> list[CableRecord]:
    r2010 = _page(SourceForm.HTML_2010, ("2010-12-03",), "1")
    r2011 = _page(
        SourceForm.HTML_2011,
        ("2011-08-30",),
        "2",
        body=REDACTED,
        paragraphs=(
            full_record().paragraphs[0],
            dataclasses.replace(full_record().paragraphs[1], text="XXXXXXXXXXXX continued."),
        ),
    )
    csv_row = _page(SourceForm.CSV, (), "3", title=None, articles=())
    return [r2010, r2011, csv_row]


def test_one_cable_many_versions_in_revision_order() -> None:
    versions = order_versions(_versions())
    assert [v.record.source.form for v in versions if v.record.source] == [
        SourceForm.CSV,
        SourceForm.HTML_2010,
        SourceForm.HTML_2011,
    ]
    assert primary_version(versions).record.source == _versions()[1].source
    store = store_of(cable_to_quads(_versions(), SETTINGS))
    cables = select(store, "SELECT DISTINCT ?c WHERE { GRAPH ?g { ?c a cr:Cable } }")
    assert cables == [(MINTER.cable("06ASTANA395").value,)]
    chain = select(
        store,
        "SELECT ?a ?b WHERE { GRAPH ?g { ?a prov:wasRevisionOf ?b } } ORDER BY ?a",
    )
    v = {k: MINTER.version("06ASTANA395", k * 16).value for k in "123"}
    assert sorted(chain) == sorted([(v["1"], v["3"]), (v["2"], v["1"])])
    assert ask(store, f"{C} cr:primaryVersion <{v['2']}> .")
    # every version keeps its own body
    bodies = select(
        store, "SELECT ?v ?b WHERE { GRAPH ?g { ?v a cr:SourceVersion ; c4o:hasContent ?b } }"
    )
    assert sorted(bodies) == sorted([(v["1"], BODY), (v["2"], REDACTED), (v["3"], BODY)])
    # the cable carries the primary's text and every release date
    assert ask(
        store,
        f"{C} po:contains d:cable\\/06ASTANA395\\/p\\/2 ."
        ' d:cable\\/06ASTANA395\\/p\\/2 c4o:hasContent "XXXXXXXXXXXX continued." .',
    )
    issued = select(store, f"SELECT ?d WHERE {{ GRAPH ?g {{ {C} dct:issued ?d }} }} ORDER BY ?d")
    assert issued == [("2010-12-03",), ("2011-08-30",)]


def test_paragraph_iris_are_the_same_for_the_2010_and_2011_pages() -> None:
    r2010, r2011, _ = _versions()
    only2010 = store_of(cable_to_quads([r2010], SETTINGS))
    only2011 = store_of(cable_to_quads([r2011], SETTINGS))
    query = "SELECT ?p WHERE { GRAPH ?g { ?c a cr:Cable ; po:contains ?p } } ORDER BY ?p"
    assert select(only2010, query) == select(only2011, query)
    both = store_of(cable_to_quads([r2010, r2011], SETTINGS))
    # the other version's paragraphs specialise the cable's paragraphs
    version = MINTER.version("06ASTANA395", "1" * 16).value
    assert ask(
        both,
        f"<{version}/p/2> prov:specializationOf d:cable\\/06ASTANA395\\/p\\/2 ;"
        ' c4o:hasContent "Second paragraph, continued." .',
    )


def test_a_partial_extract_is_not_primary_when_a_full_text_exists() -> None:
    r2010, r2011, _ = _versions()
    partial = dataclasses.replace(r2011, partial_extract=True)
    assert primary_version(order_versions([r2010, partial])).record.source == r2010.source
    assert primary_version(order_versions([partial])).record.source == partial.source


def test_the_same_bytes_read_twice_are_one_version_with_two_copies() -> None:
    a = full_record()
    assert a.source is not None
    b = full_record(source=dataclasses.replace(a.source, path="mirror/06ASTANA395.html"))
    store = store_of(cable_to_quads([a, b], SETTINGS))
    rows = select(
        store,
        "SELECT ?v ?p WHERE { GRAPH ?g { ?v cr:sourceCopy ?x . ?x cr:sourcePath ?p } }",
    )
    assert len({v for v, _ in rows}) == 1
    assert sorted(p for _, p in rows) == ["html2010/06ASTANA395.html", "mirror/06ASTANA395.html"]


def test_provenance_has_tool_version_and_no_clock_time() -> None:
    quads = cable_to_quads([full_record()], Settings(tool_version="9.9.9"))
    store = store_of(quads)
    assert ask(
        store,
        "d:graph\\/06ASTANA395 prov:wasGeneratedBy ?a ; prov:wasDerivedFrom ?v ;"
        " dct:conformsTo <https://w3id.org/cablegate/ontology/0.1.0> ."
        ' ?a prov:used ?v ; prov:wasAssociatedWith ?s . ?s schema:softwareVersion "9.9.9" .',
    )
    assert not ask(store, "?s prov:generatedAtTime ?t .")
    assert not ask(store, "?s prov:startedAtTime ?t .")


# ---- bad values are diagnostics, not exceptions ------------------------------------------


def test_unreadable_dates_are_kept_as_strings_with_a_warning() -> None:
    result = map_records([full_record(declassify_on="2016-02-30", created="soon")], SETTINGS)
    codes = [d.code for d in result.diagnostics]
    assert codes.count("mapping.date-unparsed") == 2
    assert all(d.reference_id == "06ASTANA395" and d.hint for d in result.diagnostics)
    store = store_of(result.quads)
    assert ask(store, f'{C} cr:declassifyOn "2016-02-30" ; dct:created "soon" .')


def test_undecodable_characters_are_repaired_with_a_warning() -> None:
    result = map_records([full_record(signer="OR\udcffDWAY")], SETTINGS)
    assert [d.code for d in result.diagnostics] == ["mapping.text-repaired"]
    assert ask(store_of(result.quads), f'{C} cr:signer "OR\ufffdDWAY" .')


def test_spans_outside_the_body_are_kept_with_a_warning() -> None:
    bad = Paragraph("1", None, "x", Span(5, 10_000))
    result = map_records([full_record(paragraphs=(bad,))], SETTINGS)
    assert [d.code for d in result.diagnostics] == ["mapping.span-out-of-range"]


# ---- real cables: the gold records of the shared corpus ----------------------------------


def _split_banner(printed: str) -> Classification:
    head, *rest = printed.split("//")
    level = {lv.value: lv for lv in Level}.get(head)
    return Classification(printed, level, tuple(rest), ())


def gold_record(gold: dict[str, Any], source: SourceInfo) -> CableRecord:
    """A record holding a gold record's values (paragraph texts are the gold's first words)."""
    body = ""
    paragraphs = []
    for p in gold["paragraphs"]:
        number = f"{p['number']}. " if p["number"] else ""
        marking = f"({p['marking']}) " if p["marking"] else ""
        start = len(body)
        body += f"{number}{marking}{p['starts']}\n\n"
        paragraphs.append(
            Paragraph(p["number"], p["marking"], p["starts"], Span(start, len(body) - 2))
        )
    return CableRecord(
        reference_id=gold["reference_id"],
        source_id=gold["reference_id"],
        created=gold["created"],
        released=tuple(gold["released"]),
        classification=_split_banner(gold["classification"]),
        origin=gold["origin"],
        subject=gold["subject"],
        subject_marking=None,
        tags=tuple(gold["tags"]),
        references=tuple(Reference(None, r, r) for r in gold["references"]),
        header=TransmissionHeader(sender=gold["sender"]),
        eo=None,
        declassify_on=gold["declassify_on"],
        classified_by=None,
        reasons=tuple(gold["reasons"]),
        signer=gold["signer"],
        summary=None,
        comment=None,
        paragraphs=tuple(paragraphs),
        body=body,
        source=source,
    )


def _gold_files() -> list[Path]:
    return sorted(GOLD.glob("*.json"))


FORM_OF_DIRECTORY = {
    "csv": SourceForm.CSV,
    "html2010": SourceForm.HTML_2010,
    "html2011": SourceForm.HTML_2011,
    "other": SourceForm.JSONL,
    "text": SourceForm.TEXT,
}


def _form(directory: str) -> SourceForm:
    return FORM_OF_DIRECTORY[directory]


@pytest.mark.parametrize("path", _gold_files(), ids=lambda p: p.name[:40])
def test_gold_values_survive_the_mapping(path: Path) -> None:
    gold = json.loads(path.read_text(encoding="utf-8"))
    gold_source = SourceInfo(
        gold["file"],
        gold.get("line", 1),
        _form(gold["file"].split("/")[0]),
        hashlib.sha256((CORPUS / gold["file"]).read_bytes()).hexdigest(),
    )
    record = gold_record(gold, gold_source)
    rid = record.reference_id
    cable = MINTER.cable(rid).value
    store = store_of(cable_to_quads([record], SETTINGS))

    def values(prop: str) -> list[str]:
        q = f"SELECT ?o WHERE {{ GRAPH ?g {{ <{cable}> {prop} ?o }} }} ORDER BY ?o"
        return [row[0] for row in select(store, q)]

    created = gold["created"]
    assert values("dct:created") == ([created[:-1] + ":00Z"] if created else [])
    assert values("dct:issued") == sorted(gold["released"])
    assert values("cr:classification") == [gold["classification"]]
    level = gold["classification"].split("//")[0]
    code = {"UNCLASSIFIED": "U", "CONFIDENTIAL": "C", "SECRET": "S"}[level]
    assert values("cr:classificationLevel") == [iris.concept("level", code).value]
    if "NOFORN" in gold["classification"]:
        assert values("cr:disseminationControl") == [
            iris.code_concept("dissemination-control", "NF").value
        ]
    assert values("cr:origin/rdfs:label") == ([gold["origin"]] if gold["origin"] else [])
    assert values("dct:title") == ([gold["subject"]] if gold["subject"] else [])
    assert values("dct:subject/skos:notation") == sorted(set(gold["tags"]))
    assert values("cito:cites") == sorted({MINTER.cable(r).value for r in gold["references"]})
    assert values("schema:sender/rdfs:label") == ([gold["sender"]] if gold["sender"] else [])
    assert values("cr:declassifyOn") == ([gold["declassify_on"]] if gold["declassify_on"] else [])
    assert values("cr:classificationReason/skos:notation") == sorted(set(gold["reasons"]))
    assert values("cr:signer") == ([gold["signer"]] if gold["signer"] else [])

    rows = select(
        store,
        "SELECT ?pos ?p ?n ?m ?t WHERE { GRAPH ?g { "
        f"<{cable}> po:contains ?p . ?p schema:position ?pos ; c4o:hasContent ?t ."
        " OPTIONAL { ?p fabio:hasSequenceIdentifier ?n } OPTIONAL { ?p cr:portionMarking ?m } }}"
        " ORDER BY ?pos",
    )
    expected = gold["paragraphs"]
    assert [int(r[0]) for r in rows] == list(range(1, len(expected) + 1))
    assert len({r[1] for r in rows}) == len(expected)  # duplicated numbers get their own IRI
    keys = iris.paragraph_keys([p["number"] for p in expected])
    assert [r[1] for r in rows] == [MINTER.paragraph(rid, k).value for k in keys]
    for row, p in zip(rows, expected, strict=True):
        assert row[2:] == (p["number"] or "", p["marking"] or "", p["starts"])


def _manifest_files(reference_id: str) -> list[tuple[str, str]]:
    rows = (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return sorted(
        (cols[0], cols[2]) for cols in (r.split("\t") for r in rows) if cols[1] == reference_id
    )


@pytest.mark.parametrize("reference_id", ["04OTTAWA3115", "05MADRID4026", "08USNATO453"])
def test_a_cable_held_in_several_corpus_files_is_one_cable(reference_id: str) -> None:
    gold = next(
        json.loads(p.read_text(encoding="utf-8"))
        for p in _gold_files()
        if json.loads(p.read_text(encoding="utf-8"))["reference_id"] == reference_id
    )
    files = _manifest_files(reference_id)
    assert len(files) >= 2
    records = [
        gold_record(
            gold,
            SourceInfo(
                name, 1, _form(form), hashlib.sha256((CORPUS / name).read_bytes()).hexdigest()
            ),
        )
        for name, form in files
    ]
    store = store_of(cable_to_quads(records, SETTINGS))
    assert select(
        store, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { GRAPH ?g { ?c a cr:Cable } }"
    ) == [("1",)]
    versions = select(store, "SELECT ?v WHERE { GRAPH ?g { ?v a cr:SourceVersion } }")
    assert len(versions) == len(
        {hashlib.sha256((CORPUS / n).read_bytes()).digest() for n, _ in files}
    )
    graphs = select(store, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert graphs == [(MINTER.graph(reference_id).value,)]


# ---- properties over arbitrary records ---------------------------------------------------

text = st.text(max_size=12)
opt_text = st.none() | text
spans = st.builds(Span, st.integers(-3, 60), st.integers(-3, 60))
records = st.builds(
    CableRecord,
    reference_id=st.text(min_size=1, max_size=12),
    source_id=text,
    created=opt_text | st.just("2006-11-02T03:47Z"),
    released=st.lists(text | st.just("2010-12-03"), max_size=2).map(tuple),
    classification=st.none()
    | st.builds(
        Classification,
        printed=text,
        level=st.none() | st.sampled_from(Level),
        caveats=st.lists(text, max_size=2).map(tuple),
        handling=st.lists(text, max_size=2).map(tuple),
    ),
    origin=opt_text | st.just("Embassy Astana"),
    subject=opt_text,
    subject_marking=opt_text,
    tags=st.lists(text, max_size=3).map(tuple),
    references=st.lists(
        st.builds(
            Reference,
            label=opt_text,
            text=text,
            reference_id=opt_text,
            kind=st.sampled_from(RefKind),
        ),
        max_size=3,
    ).map(tuple),
    header=st.builds(
        TransmissionHeader,
        routing_indicator=opt_text,
        sequence=opt_text,
        julian_date=opt_text,
        precedence=opt_text,
        dtg=opt_text,
        created=opt_text,
        sender=opt_text,
        sender_routing_indicator=opt_text,
        recipients=st.lists(
            st.builds(
                Recipient,
                role=st.sampled_from(Role),
                name=text,
                precedence=opt_text,
                routing_indicator=opt_text,
                serial=opt_text,
            ),
            max_size=3,
        ).map(tuple),
        xmt=st.lists(text, max_size=2).map(tuple),
    ),
    eo=opt_text,
    declassify_on=opt_text,
    classified_by=opt_text,
    reasons=st.lists(text, max_size=2).map(tuple),
    signer=opt_text,
    summary=opt_text,
    comment=opt_text,
    paragraphs=st.lists(
        st.builds(
            Paragraph,
            number=st.none() | st.sampled_from(["1", "2", "2", "x y"]),
            marking=opt_text,
            text=text,
            span=spans,
            removed=st.lists(spans, max_size=2).map(tuple),
        ),
        max_size=4,
    ).map(tuple),
    body=st.text(max_size=60),
    title=opt_text,
    articles=st.lists(st.builds(Article, url=text, title=text), max_size=2).map(tuple),
    partial_extract=st.booleans(),
    source=st.none()
    | st.builds(
        SourceInfo,
        path=text,
        line=st.integers(0, 10_000),
        form=st.sampled_from(SourceForm),
        sha256=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64) | text,
    ),
)
"""Arbitrary records: any text in every field, duplicated paragraph numbers, bad spans."""

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.lists(records, min_size=1, max_size=3))
def test_any_records_map_without_blank_nodes_and_round_trip(rs: list[CableRecord]) -> None:
    result = map_records(rs, SETTINGS)
    assert list(result.quads) == sorted(
        set(result.quads), key=lambda q: (str(q.graph_name), str(q))
    )
    graphs = {MINTER.graph(r.reference_id) for r in rs}
    for q in result.quads:
        assert not isinstance(q.subject, ox.BlankNode)
        assert not isinstance(q.object, ox.BlankNode)
        assert q.graph_name in graphs
    text_out = nquads(result.quads)
    back = list(ox.parse(text_out.encode("utf-8"), format=ox.RdfFormat.N_QUADS))
    assert set(back) == set(result.quads)


@PROPERTY
@given(st.lists(records, min_size=1, max_size=4), st.randoms())
def test_the_output_is_deterministic_whatever_the_input_order(
    rs: list[CableRecord], rnd: random.Random
) -> None:
    first = nquads(cable_to_quads(rs, SETTINGS))
    shuffled = list(rs)
    rnd.shuffle(shuffled)
    assert nquads(cable_to_quads(shuffled, SETTINGS)) == first
    assert nquads(cable_to_quads(list(rs), SETTINGS)) == first


@PROPERTY
@given(records, records)
def test_a_cables_graph_does_not_depend_on_the_other_cables(a: CableRecord, b: CableRecord) -> None:
    if a.reference_id == b.reference_id:
        b = dataclasses.replace(b, reference_id=b.reference_id + "X")
    graph = MINTER.graph(a.reference_id)
    alone = [q for q in cable_to_quads([a], SETTINGS) if q.graph_name == graph]
    together = [q for q in cable_to_quads([b, a], SETTINGS) if q.graph_name == graph]
    assert alone == together


@PROPERTY
@given(records)
def test_every_paragraph_gets_a_distinct_iri_and_dense_position(record: CableRecord) -> None:
    store = store_of(cable_to_quads([record], SETTINGS))
    cable = MINTER.cable(record.reference_id).value
    rows = select(
        store,
        f"SELECT ?p ?pos WHERE {{ GRAPH ?g {{ <{cable}> po:contains ?p . ?p schema:position ?pos }} }}",
    )
    assert len({p for p, _ in rows}) == len(record.paragraphs)
    assert sorted(int(pos) for _, pos in rows) == list(range(1, len(record.paragraphs) + 1))


# ---- golden file -------------------------------------------------------------------------


def _check_golden(name: str, quads: Sequence[ox.Quad]) -> None:
    path = DATA / name
    actual = nquads(quads)
    if os.environ.get("CABLERDF_UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        only_expected = sorted(set(expected.splitlines()) - set(actual.splitlines()))
        only_actual = sorted(set(actual.splitlines()) - set(expected.splitlines()))
        pytest.fail(
            f"{name} differs.\nonly in expected:\n"
            + "\n".join(only_expected)
            + "\nonly in actual:\n"
            + "\n".join(only_actual)
        )


def test_golden_full_record() -> None:
    _check_golden("full-record.nq", cable_to_quads([full_record()], SETTINGS))


def test_golden_three_versions() -> None:
    _check_golden("three-versions.nq", cable_to_quads(_versions(), SETTINGS))


def test_the_documented_rank_query_finds_paragraphs_marked_above_the_banner() -> None:
    low = full_record(
        classification=Classification("CONFIDENTIAL", Level.CONFIDENTIAL, (), ()),
    )
    store = ox.Store()
    store.extend(cable_to_quads([low, full_record(reference_id="06ASTANA396")], SETTINGS))
    rows = store.query(
        PREFIXES
        + """SELECT ?cable ?p WHERE { GRAPH ?g {
          ?cable cr:classificationLevel/cr:rank ?banner ; po:contains ?p .
          ?p cr:marking/cr:level/cr:rank ?portion .
          FILTER(?portion > ?banner) } }"""
    )
    assert isinstance(rows, ox.QuerySolutions)
    found = [(row[0].value, row[1].value) for row in rows if row[0] and row[1]]
    assert found == [
        (MINTER.cable("06ASTANA395").value, MINTER.paragraph("06ASTANA395", "p/2").value)
    ]
