"""Mapping: cable records become quads, one named graph per cable. Model: ``docs/data-model.md``.

Records are grouped by reference ID; each group is one cable with one or more source
versions (the same cable read from a 2010 page, a 2011 page, a CSV row...). A cable's graph
is built from its own records only, so it does not depend on what else is converted in the
same run, and the output is sorted, so the same records always give the same bytes.

Which version's values the cable carries (:func:`primary_version`): versions are put in
revision order by (latest release date shown, form, hash) (:func:`order_versions`); the
primary is the last one that is not a partial extract (the last one when all are).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Final

from pyoxigraph import Literal, NamedNode, Quad

from cablerdf import iris
from cablerdf.iris import Minter
from cablerdf.model import (
    CableRecord,
    Classification,
    Diagnostic,
    Level,
    Paragraph,
    Role,
    Severity,
    SourceForm,
)
from cablerdf.settings import Settings
from cablerdf.vocab import (
    C4O,
    CITO,
    CR,
    DCT,
    DOCO,
    FABIO,
    OA,
    ORG,
    OWL,
    PO,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    VOID,
    XSD,
)

__all__ = [
    "Country",
    "MappingResult",
    "SourceVersion",
    "cable_to_quads",
    "control_code",
    "countries",
    "handling_code",
    "map_records",
    "marking_parts",
    "order_versions",
    "post_countries",
    "primary_version",
]

# ---- code tables (their concepts are described in ontology/schemes.ttl) ------------------

LEVEL_CODES: Final[Mapping[Level, str]] = {
    Level.UNCLASSIFIED: "U",
    Level.CONFIDENTIAL: "C",
    Level.SECRET: "S",
    Level.TOP_SECRET: "TS",
}
"""Classification levels by ISM code."""

LEVEL_RANKS: Final[Mapping[str, int]] = {"U": 0, "C": 1, "S": 2, "TS": 3}
"""The order of the levels (``cr:rank``), for comparing a paragraph's marking with the banner."""

LEVEL_TOKENS: Final[Mapping[str, str]] = {
    "U": "U",
    "UNCLAS": "U",
    "UNCLASSIFIED": "U",
    "C": "C",
    "CONFIDENTIAL": "C",
    "S": "S",
    "SECRET": "S",
    "TS": "TS",
    "TOP SECRET": "TS",
}
"""How a level is written inside a portion marking."""

CONTROL_SPELLINGS: Final[Mapping[str, str]] = {
    "NF": "NF",
    "NOFORN": "NF",
    "NOT RELEASABLE TO FOREIGN NATIONALS": "NF",
    "FOUO": "FOUO",
    "FOR OFFICIAL USE ONLY": "FOUO",
    "SBU": "SBU",
    "SENSITIVE BUT UNCLASSIFIED": "SBU",
    "OC": "OC",
    "ORCON": "OC",
    "REL": "REL",
    "XD": "XD",
    "EXDIS": "XD",
    "ND": "ND",
    "NODIS": "ND",
    "DS": "DS",
    "LIMDIS": "DS",
}
"""Dissemination controls by ISM code (``REL TO ...`` is ``REL`` too)."""

IMPLY_UNCLASSIFIED: Final = frozenset({"SBU", "FOUO"})
"""Controls that make a marking without a level token an UNCLASSIFIED one (``(SBU)``)."""

HANDLING_CODES: Final = frozenset({"SIPDIS", "EFTO"})
"""State Department handling captions without an ISM code."""

FORM_ORDER: Final[Mapping[SourceForm, int]] = {
    SourceForm.TEXT: 0,
    SourceForm.PLUSD: 1,
    SourceForm.JSONL: 2,
    SourceForm.CSV: 3,
    SourceForm.HTML_2010: 4,
    SourceForm.HTML_2011: 5,
}
"""Tie-break of the revision order between versions showing the same latest release date."""

SCHEME_LEVEL: Final = "level"
SCHEME_CONTROL: Final = "dissemination-control"
SCHEME_HANDLING: Final = "handling"
SCHEME_MARKING: Final = "portion-marking"
SCHEME_REASON: Final = "reason"
SCHEME_PRECEDENCE: Final = "precedence"
SCHEME_TAG: Final = "tag"
SCHEME_FORM: Final = "source-form"
SCHEME_ROLE: Final = "recipient-role"
SCHEME_REF_KIND: Final = "reference-kind"

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?Z")
_URL = re.compile(r"[^\s<>\"{}|\\^`]+")

# ---- reference tables -------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    """A country of the packaged table: ISO 3166-1 alpha-2 code, English name, Wikidata ID."""

    iso: str
    name: str
    wikidata: str | None


def _read_tsv(name: str) -> list[dict[str, str]]:
    text = resources.files("cablerdf").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


@functools.lru_cache(maxsize=1)
def post_countries() -> Mapping[str, str]:
    """The country (ISO code) of each post, by origin name as the metadata prints it."""
    return {
        " ".join(r["origin"].split()): r["country"] for r in _read_tsv("posts.tsv") if r["country"]
    }


@functools.lru_cache(maxsize=1)
def countries() -> Mapping[str, Country]:
    """The countries of the packaged table, by ISO code."""
    return {
        r["iso"]: Country(r["iso"], r["name"], r["wikidata"] or None)
        for r in _read_tsv("countries.tsv")
    }


# ---- codes -------------------------------------------------------------------------------


def control_code(printed: str) -> str | None:
    """The ISM code of a dissemination control as printed (``NOFORN`` -> ``NF``), or None."""
    key = iris.fold(printed)
    if key in CONTROL_SPELLINGS:
        return CONTROL_SPELLINGS[key]
    if key.startswith("REL "):
        return "REL"
    return None


def handling_code(printed: str) -> str | None:
    """The code of a handling caption as printed (``SIPDIS``), or None."""
    key = iris.fold(printed)
    return key if key in HANDLING_CODES else None


@dataclass(frozen=True)
class MarkingParts:
    """A portion marking read: its notation (parts joined by ``//``), level and controls."""

    notation: str
    level: str | None
    controls: tuple[str, ...]
    unknown: tuple[str, ...]


def marking_parts(marking: str) -> MarkingParts:
    """Read a portion marking: ``S/NF`` -> level S, control NF; ``SBU`` -> level U, control SBU."""
    parts = iris.marking_key(marking)
    level: str | None = None
    controls: list[str] = []
    unknown: list[str] = []
    for part in parts:
        if level is None and part in LEVEL_TOKENS:
            level = LEVEL_TOKENS[part]
            continue
        code = control_code(part)
        if code is None:
            unknown.append(part)
        elif code not in controls:
            controls.append(code)
    if level is None and IMPLY_UNCLASSIFIED.intersection(controls):
        level = "U"
    return MarkingParts("//".join(parts), level, tuple(controls), tuple(unknown))


# ---- versions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceVersion:
    """One source version of a cable: the records read from the same source bytes."""

    key: str
    record: CableRecord
    copies: tuple[tuple[str, int], ...]  # (path, line) of every record with these bytes

    @property
    def form_rank(self) -> int:
        src = self.record.source
        return FORM_ORDER.get(src.form, -1) if src is not None else -1

    @property
    def latest_release(self) -> str:
        return max(self.record.released, default="")


def _content_key(record: CableRecord) -> str:
    data = record.to_json()
    data.pop("source", None)
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def order_versions(records: Sequence[CableRecord]) -> tuple[SourceVersion, ...]:
    """The distinct source versions of one cable's records, in revision order.

    Records with the same source bytes (same SHA-256) are one version; without a SHA-256 a
    record's content stands in. Order: latest release date shown (none first), then form
    (text, PlusD, JSON lines, CSV, 2010 page, 2011 page), then version key.
    """
    grouped: dict[str, list[CableRecord]] = {}
    for record in records:
        sha = record.source.sha256 if record.source is not None else None
        fallback = "" if iris.usable_sha256(sha) else _content_key(record)
        grouped.setdefault(iris.version_key(sha, fallback), []).append(record)
    versions: list[SourceVersion] = []
    for key, group in grouped.items():
        located = sorted(
            group,
            key=lambda r: (
                (r.source.path, r.source.line) if r.source else ("", 0),
                _content_key(r),
            ),
        )
        copies = tuple(sorted({(r.source.path, r.source.line) for r in group if r.source}))
        versions.append(SourceVersion(key, located[0], copies))
    return tuple(sorted(versions, key=lambda v: (v.latest_release, v.form_rank, v.key)))


def primary_version(versions: Sequence[SourceVersion]) -> SourceVersion:
    """The version whose values the cable carries: the last full text in revision order."""
    full = [v for v in versions if not v.record.partial_extract]
    return (full or list(versions))[-1]


# ---- the builder -------------------------------------------------------------------------


@dataclass
class _Graph:
    """Collects the quads of one cable's graph and the diagnostics met on the way."""

    graph: NamedNode
    minter: Minter
    reference_id: str
    record: CableRecord
    quads: set[Quad] = field(default_factory=set)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add(self, s: NamedNode, p: NamedNode, o: NamedNode | Literal) -> None:
        self.quads.add(Quad(s, p, o, self.graph))

    def warn(self, code: str, message: str, hint: str, record: CableRecord | None = None) -> None:
        src = (record or self.record).source
        diagnostic = Diagnostic(
            Severity.WARNING,
            code,
            message,
            path=src.path if src else None,
            line=src.line if src else None,
            reference_id=self.reference_id,
            hint=hint,
        )
        if diagnostic not in self.diagnostics:  # a value seen on the cable and its version
            self.diagnostics.append(diagnostic)

    def text(self, s: NamedNode, p: NamedNode, value: str | None) -> None:
        """A plain string literal; lone surrogates (undecodable bytes) become U+FFFD."""
        if value is None:
            return
        if _SURROGATE.search(value):
            self.warn(
                "mapping.text-repaired",
                f"a value of {p.value} holds undecodable characters; written as U+FFFD",
                "check the input's encoding (e.g. --encoding latin-1)",
            )
            value = _SURROGATE.sub("\ufffd", value)
        self.add(s, p, Literal(value))

    def integer(self, s: NamedNode, p: NamedNode, value: int) -> None:
        self.add(s, p, Literal(str(value), datatype=XSD.integer))

    def boolean(self, s: NamedNode, p: NamedNode, value: bool) -> None:
        self.add(s, p, Literal("true" if value else "false", datatype=XSD.boolean))

    def date(self, s: NamedNode, p: NamedNode, value: str | None, what: str) -> None:
        """An ``xsd:date`` (or ``xsd:dateTime`` for ``YYYY-MM-DDTHH:MMZ``); a string otherwise."""
        if value is None:
            return
        typed = _typed_date(value)
        if typed is None:
            self.warn(
                "mapping.date-unparsed",
                f"{what} {value!r} is not a date (expected YYYY-MM-DD or YYYY-MM-DDTHH:MMZ)",
                "kept as a plain string; fix the parser or the record",
            )
            self.text(s, p, value)
        else:
            self.add(s, p, typed)

    def concept(self, scheme: str, node: NamedNode, notation: str) -> NamedNode:
        """Declare ``node`` a concept of ``scheme`` with its notation, and return it."""
        self.add(node, RDF.type, SKOS.Concept)
        self.add(node, SKOS.inScheme, iris.scheme(scheme))
        self.text(node, SKOS.notation, notation)
        return node


def _typed_date(value: str) -> Literal | None:
    m = _DATETIME.fullmatch(value)
    if m is not None:
        y, mo, d, h, mi, sec = (int(x) if x else 0 for x in m.groups())
        try:
            moment = dt.datetime(y, mo, d, h, mi, sec)
        except ValueError:
            return None
        return Literal(moment.strftime("%Y-%m-%dT%H:%M:%SZ"), datatype=XSD.dateTime)
    m = _DATE.fullmatch(value)
    if m is not None:
        try:
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
        return Literal(day.isoformat(), datatype=XSD.date)
    return None


# ---- parts of a cable --------------------------------------------------------------------


def _level(g: _Graph, code: str) -> NamedNode:
    node = g.concept(SCHEME_LEVEL, iris.concept(SCHEME_LEVEL, code), code)
    g.integer(node, CR.rank, LEVEL_RANKS[code])
    return node


def _control(g: _Graph, code: str) -> NamedNode:
    return g.concept(SCHEME_CONTROL, iris.code_concept(SCHEME_CONTROL, code), code)


def _marking(g: _Graph, marking: str) -> NamedNode:
    parts = marking_parts(marking)
    node = g.concept(SCHEME_MARKING, iris.marking_concept(marking), parts.notation)
    if parts.level is not None:
        g.add(node, CR.level, _level(g, parts.level))
    for code in parts.controls:
        g.add(node, CR.control, _control(g, code))
    return node


def _classification(g: _Graph, subject: NamedNode, c: Classification) -> None:
    g.text(subject, CR.classification, c.printed)
    if c.level is not None:
        g.add(subject, CR.classificationLevel, _level(g, LEVEL_CODES[c.level]))
    for printed in (*c.caveats, *c.handling):
        code = control_code(printed)
        if code is not None:
            g.add(subject, CR.disseminationControl, _control(g, code))
            continue
        key = iris.fold(printed)
        if printed in c.handling or handling_code(printed) is not None:
            node = iris.code_concept(SCHEME_HANDLING, key)
            g.add(subject, CR.handling, g.concept(SCHEME_HANDLING, node, key))
        else:
            g.add(subject, CR.disseminationControl, _control(g, key))


def _post(g: _Graph, subject: NamedNode, origin: str) -> None:
    name = " ".join(origin.split())
    post = g.minter.post(name)
    g.add(subject, CR.origin, post)
    g.add(post, RDF.type, CR.Post)
    g.add(post, RDF.type, ORG.Organization)
    g.add(post, RDF.type, SCHEMA.GovernmentOrganization)
    g.text(post, RDFS.label, name)
    iso = post_countries().get(name)
    country = countries().get(iso) if iso else None
    if country is None:
        return
    node = g.minter.country(country.iso)
    g.add(post, SCHEMA.location, node)
    g.add(node, RDF.type, SCHEMA.Country)
    g.text(node, RDFS.label, country.name)
    g.text(node, DCT.identifier, country.iso)
    same = iris.wikidata(country.wikidata) if country.wikidata else None
    if same is not None:
        g.add(node, OWL.sameAs, same)


def _station(g: _Graph, name: str) -> NamedNode:
    node = g.minter.station(name)
    g.add(node, RDF.type, CR.Station)
    g.add(node, RDF.type, ORG.Organization)
    g.text(node, RDFS.label, iris.fold(name))
    return node


def _precedence(g: _Graph, printed: str) -> NamedNode:
    key = iris.fold(printed)
    return g.concept(SCHEME_PRECEDENCE, iris.code_concept(SCHEME_PRECEDENCE, key), key)


def _header(g: _Graph, cable: NamedNode, record: CableRecord) -> None:
    h = record.header
    rid = g.reference_id
    for k, r in enumerate(h.recipients, 1):
        node = g.minter.recipient(rid, k)
        station = _station(g, r.name)
        g.add(cable, SCHEMA.toRecipient if r.role is Role.TO else SCHEMA.ccRecipient, station)
        g.add(cable, CR.recipient, node)
        g.add(node, RDF.type, CR.Recipient)
        g.integer(node, SCHEMA.position, k)
        role = iris.concept(SCHEME_ROLE, r.role.value)
        g.add(node, CR.role, g.concept(SCHEME_ROLE, role, r.role.value))
        g.add(node, CR.station, station)
        g.text(node, CR.addresseeName, r.name)
        if r.precedence is not None:
            g.add(node, CR.precedence, _precedence(g, r.precedence))
        g.text(node, CR.routingIndicator, r.routing_indicator)
        g.text(node, CR.serial, r.serial)
    if h.sender is not None:
        g.add(cable, SCHEMA.sender, _station(g, h.sender))
    values = (h.routing_indicator, h.sequence, h.julian_date, h.precedence, h.dtg, h.created)
    if all(v is None for v in values) and h.sender is None and not h.xmt and not h.recipients:
        return
    node = g.minter.header(rid)
    g.add(cable, CR.transmissionHeader, node)
    g.add(node, RDF.type, CR.TransmissionHeader)
    g.text(node, CR.routingIndicator, h.routing_indicator)
    g.text(node, CR.sequence, h.sequence)
    g.text(node, CR.julianDate, h.julian_date)
    if h.precedence is not None:
        g.add(node, CR.precedence, _precedence(g, h.precedence))
    g.text(node, CR.dateTimeGroup, h.dtg)
    g.date(node, CR.dateTimeGroupTime, h.created, "the date-time group's time")
    g.text(node, CR.senderName, h.sender)
    g.text(node, CR.senderRoutingIndicator, h.sender_routing_indicator)
    for excluded in h.xmt:
        g.text(node, CR.xmt, excluded)


def _references(g: _Graph, cable: NamedNode, record: CableRecord) -> None:
    for k, ref in enumerate(record.references, 1):
        node = g.minter.reference(g.reference_id, k)
        g.add(cable, CR.referenceEntry, node)
        g.add(node, RDF.type, CR.ReferenceEntry)
        g.add(node, RDF.type, CITO.Citation)
        g.add(node, CITO.hasCitingEntity, cable)
        g.integer(node, SCHEMA.position, k)
        g.text(node, CR.entryLabel, ref.label)
        g.text(node, C4O.hasContent, ref.text)
        kind = iris.concept(SCHEME_REF_KIND, ref.kind.value)
        g.add(node, CR.referenceKind, g.concept(SCHEME_REF_KIND, kind, ref.kind.value))
        if ref.reference_id:
            cited = g.minter.cable(ref.reference_id)
            g.add(node, CITO.hasCitedEntity, cited)
            g.add(cable, CITO.cites, cited)
            g.add(cited, CITO.isCitedBy, cable)


def _paragraphs(
    g: _Graph,
    whole: NamedNode,
    version: NamedNode,
    record: CableRecord,
    iri_of: dict[str, NamedNode],
) -> None:
    """The paragraphs of ``record``, parts of ``whole``, anchored in ``version``'s body."""
    paragraphs: Sequence[Paragraph] = record.paragraphs
    keys = iris.paragraph_keys([p.number for p in paragraphs])
    for position, (key, p) in enumerate(zip(keys, paragraphs, strict=True), 1):
        node = iri_of[key]
        g.add(whole, PO.contains, node)
        g.add(node, DCT.isPartOf, whole)
        g.add(node, RDF.type, CR.Paragraph)
        g.add(node, RDF.type, DOCO.Paragraph)
        g.integer(node, SCHEMA.position, position)
        g.text(node, FABIO.hasSequenceIdentifier, p.number)
        if p.marking is not None:
            g.text(node, CR.portionMarking, p.marking)
            g.add(node, CR.marking, _marking(g, p.marking))
        g.text(node, C4O.hasContent, p.text)
        span = g.minter.span(node)
        g.add(node, CR.textPosition, span)
        _selector(g, span, p.span.start, p.span.end, version, record)
        for k, removed in enumerate(p.removed, 1):
            r = g.minter.removed_span(node, k)
            g.add(span, CR.removedSpan, r)
            _selector(g, r, removed.start, removed.end, version, record)


def _selector(
    g: _Graph, node: NamedNode, start: int, end: int, version: NamedNode, record: CableRecord
) -> None:
    g.add(node, RDF.type, OA.TextPositionSelector)
    g.integer(node, OA.start, start)
    g.integer(node, OA.end, end)
    g.add(node, CR.inBodyOf, version)
    if not 0 <= start <= end <= len(record.body):
        g.warn(
            "mapping.span-out-of-range",
            f"span [{start}, {end}) does not lie in the body ({len(record.body)} characters)",
            "kept as given; the parser's offsets are wrong",
            record,
        )


def _articles(g: _Graph, subject: NamedNode, record: CableRecord) -> None:
    for article in record.articles:
        node = g.minter.article(article.url)
        g.add(subject, DCT.isReferencedBy, node)
        g.add(node, RDF.type, SCHEMA.Article)
        if _URL.fullmatch(article.url) and not _SURROGATE.search(article.url):
            g.add(node, SCHEMA.url, Literal(article.url, datatype=XSD.anyURI))
        else:
            g.text(node, SCHEMA.url, article.url)
        g.text(node, SCHEMA.headline, article.title)


def _version(
    g: _Graph,
    cable: NamedNode,
    v: SourceVersion,
    node: NamedNode,
    previous: NamedNode | None,
) -> None:
    r = v.record
    g.add(node, RDF.type, CR.SourceVersion)
    g.add(node, RDF.type, PROV.Entity)
    g.add(node, PROV.specializationOf, cable)
    if previous is not None:
        g.add(node, PROV.wasRevisionOf, previous)
    g.text(node, CR.printedId, r.source_id)
    g.date(node, DCT.created, r.created, "the creation date")
    for released in r.released:
        g.date(node, DCT.issued, released, "a release date")
    if r.classification is not None:
        g.text(node, CR.classification, r.classification.printed)
    if r.origin is not None:
        _post(g, node, r.origin)
    g.text(node, CR.pageTitle, r.title)
    g.boolean(node, CR.partialExtract, r.partial_extract)
    g.text(node, C4O.hasContent, r.body)
    _articles(g, node, r)
    src = r.source
    if src is not None:
        form = iris.concept(SCHEME_FORM, src.form.value)
        g.add(node, CR.sourceForm, g.concept(SCHEME_FORM, form, src.form.value))
        g.text(node, CR.sha256, src.sha256)
    for k, (path, line) in enumerate(v.copies, 1):
        copy = g.minter.source_copy(g.reference_id, v.key, k)
        g.add(node, CR.sourceCopy, copy)
        g.add(copy, RDF.type, CR.SourceCopy)
        g.text(copy, CR.sourcePath, path)
        g.integer(copy, CR.sourceLine, line)


def _cable(reference_id: str, records: Sequence[CableRecord], settings: Settings) -> _Graph:
    minter = Minter.for_settings(settings)
    versions = order_versions(records)
    primary = primary_version(versions)
    record = primary.record
    g = _Graph(minter.graph(reference_id), minter, reference_id, record)
    cable = minter.cable(reference_id)
    version_iri = {v.key: minter.version(reference_id, v.key) for v in versions}

    g.add(cable, RDF.type, CR.Cable)
    g.add(cable, RDF.type, FABIO.ArchivalDocument)
    g.add(cable, RDF.type, SCHEMA.Message)
    g.text(cable, DCT.identifier, reference_id)
    g.text(cable, RDFS.label, reference_id)
    g.add(cable, VOID.inDataset, minter.dataset())
    g.add(cable, CR.primaryVersion, version_iri[primary.key])
    for v in versions:
        printed = v.record.source_id
        if printed.strip() and printed != reference_id:
            g.add(minter.alias(printed), OWL.sameAs, cable)

    g.date(cable, DCT.created, record.created, "the creation date")
    for released in sorted({d for v in versions for d in v.record.released}):
        g.date(cable, DCT.issued, released, "a release date")
    if record.classification is not None:
        _classification(g, cable, record.classification)
    if record.origin is not None:
        _post(g, cable, record.origin)
    g.text(cable, DCT.title, record.subject)
    if record.subject_marking is not None:
        g.text(cable, CR.subjectPortionMarking, record.subject_marking)
        g.add(cable, CR.subjectMarking, _marking(g, record.subject_marking))
    for tag in record.tags:
        node = iris.code_concept(SCHEME_TAG, tag)
        g.add(cable, DCT.subject, g.concept(SCHEME_TAG, node, iris.fold(tag)))
    if record.tags:
        g.text(cable, CR.tagsAsPrinted, " ".join(record.tags))
    _references(g, cable, record)
    _header(g, cable, record)
    g.text(cable, CR.executiveOrder, record.eo)
    g.date(cable, CR.declassifyOn, record.declassify_on, "the declassification date")
    g.text(cable, CR.classifiedBy, record.classified_by)
    for reason in record.reasons:
        key = " ".join(reason.split()).lower()
        node = iris.concept(SCHEME_REASON, key)
        g.add(cable, CR.classificationReason, g.concept(SCHEME_REASON, node, key))
    g.text(cable, CR.signer, record.signer)
    g.text(cable, DCT.abstract, record.summary)
    g.text(cable, CR.commentText, record.comment)
    for v in versions:
        _articles(g, cable, v.record)

    keys = iris.paragraph_keys([p.number for p in record.paragraphs])
    cable_paragraphs = {k: minter.paragraph(reference_id, k) for k in keys}
    _paragraphs(g, cable, version_iri[primary.key], record, cable_paragraphs)

    previous: NamedNode | None = None
    for v in versions:
        node = version_iri[v.key]
        _version(g, cable, v, node, previous)
        previous = node
        if v is primary:
            continue
        own = iris.paragraph_keys([p.number for p in v.record.paragraphs])
        own_iri = {k: minter.version_paragraph(reference_id, v.key, k) for k in own}
        _paragraphs(g, node, node, v.record, own_iri)
        for k, p_node in own_iri.items():
            if k in cable_paragraphs:
                g.add(p_node, PROV.specializationOf, cable_paragraphs[k])

    conversion = minter.conversion(reference_id)
    software = minter.software(settings.tool_version)
    g.add(g.graph, RDF.type, PROV.Entity)
    g.add(g.graph, PROV.wasGeneratedBy, conversion)
    g.add(g.graph, DCT.conformsTo, iris.ontology_version(settings.ontology_version))
    g.add(conversion, RDF.type, PROV.Activity)
    g.add(conversion, PROV.wasAssociatedWith, software)
    for v in versions:
        g.add(g.graph, PROV.wasDerivedFrom, version_iri[v.key])
        g.add(conversion, PROV.used, version_iri[v.key])
    g.add(software, RDF.type, PROV.SoftwareAgent)
    g.text(software, RDFS.label, f"cablerdf {settings.tool_version}")
    g.text(software, SCHEMA.softwareVersion, settings.tool_version)
    return g


# ---- entry points ------------------------------------------------------------------------


@dataclass(frozen=True)
class MappingResult:
    """The quads of the cables mapped, sorted by graph IRI, then by N-Quads text; diagnostics."""

    quads: tuple[Quad, ...]
    diagnostics: tuple[Diagnostic, ...]


def map_records(records: Iterable[CableRecord], settings: Settings) -> MappingResult:
    """Map records to quads: one graph per reference ID, all of its records as versions."""
    groups: dict[str, list[CableRecord]] = {}
    for record in records:
        groups.setdefault(record.reference_id, []).append(record)
    minter = Minter.for_settings(settings)
    quads: list[Quad] = []
    diagnostics: list[Diagnostic] = []
    for reference_id in sorted(groups, key=lambda r: minter.graph(r).value):
        g = _cable(reference_id, groups[reference_id], settings)
        quads.extend(sorted(g.quads, key=str))  # one graph: its N-Quads lines in order
        diagnostics.extend(g.diagnostics)
    return MappingResult(tuple(quads), tuple(diagnostics))


def cable_to_quads(records: Sequence[CableRecord], settings: Settings) -> list[Quad]:
    """The sorted quads of :func:`map_records` (diagnostics dropped)."""
    return list(map_records(records, settings).quads)
