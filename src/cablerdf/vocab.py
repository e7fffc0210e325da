"""Every RDF term cablerdf emits, declared once, so that a typo is an error, not a new predicate.

One class per vocabulary; its attributes are the terms we use (``DCT.title``, ``CR.Cable``).
``CR`` is our own ontology (``ontology/cablerdf.ttl``); the others are reused vocabularies,
and only the terms listed here may be used from them (``tests/test_ontology.py`` checks the
mapping's output and these lists against the ontology and the vocabularies' published terms).
Concept schemes and their concepts are minted by :mod:`cablerdf.iris`.
"""

from __future__ import annotations

from typing import Final

from pyoxigraph import NamedNode

from cablerdf.iris import TERM_NAMESPACE


class RDF:
    NS: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    type: Final = NamedNode(NS + "type")


class RDFS:
    NS: Final = "http://www.w3.org/2000/01/rdf-schema#"
    label: Final = NamedNode(NS + "label")


class XSD:
    NS: Final = "http://www.w3.org/2001/XMLSchema#"
    string: Final = NamedNode(NS + "string")
    integer: Final = NamedNode(NS + "integer")
    boolean: Final = NamedNode(NS + "boolean")
    date: Final = NamedNode(NS + "date")
    dateTime: Final = NamedNode(NS + "dateTime")
    anyURI: Final = NamedNode(NS + "anyURI")


class OWL:
    NS: Final = "http://www.w3.org/2002/07/owl#"
    sameAs: Final = NamedNode(NS + "sameAs")


class DCT:
    """DCMI Metadata Terms."""

    NS: Final = "http://purl.org/dc/terms/"
    identifier: Final = NamedNode(NS + "identifier")
    title: Final = NamedNode(NS + "title")
    abstract: Final = NamedNode(NS + "abstract")
    created: Final = NamedNode(NS + "created")
    issued: Final = NamedNode(NS + "issued")
    subject: Final = NamedNode(NS + "subject")
    isPartOf: Final = NamedNode(NS + "isPartOf")
    isReferencedBy: Final = NamedNode(NS + "isReferencedBy")
    conformsTo: Final = NamedNode(NS + "conformsTo")


class SCHEMA:
    """schema.org (``http://schema.org/``, as most linked data writes it)."""

    NS: Final = "http://schema.org/"
    Message: Final = NamedNode(NS + "Message")
    GovernmentOrganization: Final = NamedNode(NS + "GovernmentOrganization")
    Country: Final = NamedNode(NS + "Country")
    Article: Final = NamedNode(NS + "Article")
    sender: Final = NamedNode(NS + "sender")
    toRecipient: Final = NamedNode(NS + "toRecipient")
    ccRecipient: Final = NamedNode(NS + "ccRecipient")
    position: Final = NamedNode(NS + "position")
    location: Final = NamedNode(NS + "location")
    url: Final = NamedNode(NS + "url")
    headline: Final = NamedNode(NS + "headline")
    softwareVersion: Final = NamedNode(NS + "softwareVersion")


class FABIO:
    NS: Final = "http://purl.org/spar/fabio/"
    ArchivalDocument: Final = NamedNode(NS + "ArchivalDocument")
    hasSequenceIdentifier: Final = NamedNode(NS + "hasSequenceIdentifier")


class DOCO:
    NS: Final = "http://purl.org/spar/doco/"
    Paragraph: Final = NamedNode(NS + "Paragraph")


class PO:
    """The Pattern Ontology."""

    NS: Final = "http://www.essepuntato.it/2008/12/pattern#"
    contains: Final = NamedNode(NS + "contains")


class C4O:
    NS: Final = "http://purl.org/spar/c4o/"
    hasContent: Final = NamedNode(NS + "hasContent")


class CITO:
    NS: Final = "http://purl.org/spar/cito/"
    Citation: Final = NamedNode(NS + "Citation")
    cites: Final = NamedNode(NS + "cites")
    isCitedBy: Final = NamedNode(NS + "isCitedBy")
    hasCitingEntity: Final = NamedNode(NS + "hasCitingEntity")
    hasCitedEntity: Final = NamedNode(NS + "hasCitedEntity")


class PROV:
    NS: Final = "http://www.w3.org/ns/prov#"
    Entity: Final = NamedNode(NS + "Entity")
    Activity: Final = NamedNode(NS + "Activity")
    SoftwareAgent: Final = NamedNode(NS + "SoftwareAgent")
    specializationOf: Final = NamedNode(NS + "specializationOf")
    wasRevisionOf: Final = NamedNode(NS + "wasRevisionOf")
    wasDerivedFrom: Final = NamedNode(NS + "wasDerivedFrom")
    wasGeneratedBy: Final = NamedNode(NS + "wasGeneratedBy")
    used: Final = NamedNode(NS + "used")
    wasAssociatedWith: Final = NamedNode(NS + "wasAssociatedWith")


class SKOS:
    NS: Final = "http://www.w3.org/2004/02/skos/core#"
    Concept: Final = NamedNode(NS + "Concept")
    inScheme: Final = NamedNode(NS + "inScheme")
    notation: Final = NamedNode(NS + "notation")


class ORG:
    """W3C Organization Ontology."""

    NS: Final = "http://www.w3.org/ns/org#"
    Organization: Final = NamedNode(NS + "Organization")


class OA:
    """W3C Web Annotation vocabulary."""

    NS: Final = "http://www.w3.org/ns/oa#"
    TextPositionSelector: Final = NamedNode(NS + "TextPositionSelector")
    start: Final = NamedNode(NS + "start")
    end: Final = NamedNode(NS + "end")


class VOID:
    NS: Final = "http://rdfs.org/ns/void#"
    inDataset: Final = NamedNode(NS + "inDataset")


class CR:
    """cablerdf's own terms, declared with label and comment in ``ontology/cablerdf.ttl``."""

    NS: Final = TERM_NAMESPACE
    # classes
    Cable: Final = NamedNode(NS + "Cable")
    SourceVersion: Final = NamedNode(NS + "SourceVersion")
    SourceCopy: Final = NamedNode(NS + "SourceCopy")
    Paragraph: Final = NamedNode(NS + "Paragraph")
    TransmissionHeader: Final = NamedNode(NS + "TransmissionHeader")
    Recipient: Final = NamedNode(NS + "Recipient")
    ReferenceEntry: Final = NamedNode(NS + "ReferenceEntry")
    Post: Final = NamedNode(NS + "Post")
    Station: Final = NamedNode(NS + "Station")
    # cable and version
    primaryVersion: Final = NamedNode(NS + "primaryVersion")
    printedId: Final = NamedNode(NS + "printedId")
    classification: Final = NamedNode(NS + "classification")
    classificationLevel: Final = NamedNode(NS + "classificationLevel")
    disseminationControl: Final = NamedNode(NS + "disseminationControl")
    handling: Final = NamedNode(NS + "handling")
    origin: Final = NamedNode(NS + "origin")
    subjectPortionMarking: Final = NamedNode(NS + "subjectPortionMarking")
    subjectMarking: Final = NamedNode(NS + "subjectMarking")
    tagsAsPrinted: Final = NamedNode(NS + "tagsAsPrinted")
    executiveOrder: Final = NamedNode(NS + "executiveOrder")
    declassifyOn: Final = NamedNode(NS + "declassifyOn")
    classifiedBy: Final = NamedNode(NS + "classifiedBy")
    classificationReason: Final = NamedNode(NS + "classificationReason")
    signer: Final = NamedNode(NS + "signer")
    commentText: Final = NamedNode(NS + "commentText")
    pageTitle: Final = NamedNode(NS + "pageTitle")
    partialExtract: Final = NamedNode(NS + "partialExtract")
    sourceForm: Final = NamedNode(NS + "sourceForm")
    sha256: Final = NamedNode(NS + "sha256")
    sourceCopy: Final = NamedNode(NS + "sourceCopy")
    sourcePath: Final = NamedNode(NS + "sourcePath")
    sourceLine: Final = NamedNode(NS + "sourceLine")
    # paragraphs and spans
    portionMarking: Final = NamedNode(NS + "portionMarking")
    marking: Final = NamedNode(NS + "marking")
    textPosition: Final = NamedNode(NS + "textPosition")
    inBodyOf: Final = NamedNode(NS + "inBodyOf")
    removedSpan: Final = NamedNode(NS + "removedSpan")
    # marking concepts and levels
    level: Final = NamedNode(NS + "level")
    control: Final = NamedNode(NS + "control")
    rank: Final = NamedNode(NS + "rank")
    # transmission header and recipients
    transmissionHeader: Final = NamedNode(NS + "transmissionHeader")
    routingIndicator: Final = NamedNode(NS + "routingIndicator")
    sequence: Final = NamedNode(NS + "sequence")
    julianDate: Final = NamedNode(NS + "julianDate")
    precedence: Final = NamedNode(NS + "precedence")
    dateTimeGroup: Final = NamedNode(NS + "dateTimeGroup")
    dateTimeGroupTime: Final = NamedNode(NS + "dateTimeGroupTime")
    senderName: Final = NamedNode(NS + "senderName")
    senderRoutingIndicator: Final = NamedNode(NS + "senderRoutingIndicator")
    xmt: Final = NamedNode(NS + "xmt")
    recipient: Final = NamedNode(NS + "recipient")
    role: Final = NamedNode(NS + "role")
    station: Final = NamedNode(NS + "station")
    addresseeName: Final = NamedNode(NS + "addresseeName")
    serial: Final = NamedNode(NS + "serial")
    # REF entries
    referenceEntry: Final = NamedNode(NS + "referenceEntry")
    entryLabel: Final = NamedNode(NS + "entryLabel")
    referenceKind: Final = NamedNode(NS + "referenceKind")


VOCABULARIES: Final[tuple[type, ...]] = (
    RDF,
    RDFS,
    XSD,
    OWL,
    DCT,
    SCHEMA,
    FABIO,
    DOCO,
    PO,
    C4O,
    CITO,
    PROV,
    SKOS,
    ORG,
    OA,
    VOID,
    CR,
)
"""Every vocabulary class above, for the declaration checks."""


def declared_terms(vocabulary: type) -> dict[str, NamedNode]:
    """The terms a vocabulary class declares, by local name."""
    return {name: value for name, value in vars(vocabulary).items() if isinstance(value, NamedNode)}


def all_declared_terms() -> frozenset[str]:
    """Every IRI declared in this module."""
    return frozenset(
        node.value for vocabulary in VOCABULARIES for node in declared_terms(vocabulary).values()
    )
