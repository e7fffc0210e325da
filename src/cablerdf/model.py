"""Typed, frozen data models of the pipeline.

The flow is: a reader turns bytes into :class:`SourceDocument` values (one per cable as a
source printed it); parsing turns a source document into a :class:`CableRecord`; mapping turns
a record into a graph. Diagnostics (:class:`Diagnostic`) travel beside the values, never
inside exceptions.

Where a value came from (file, line, hash) is kept in :class:`SourceInfo`, which is excluded
from equality, so the same cable read from a page, a CSV row and a text file compares equal
when its content is equal.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(str, enum.Enum):
    """How bad a diagnostic is. ``ERROR``: input could not be read as a cable."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Diagnostic:
    """A finding about the input: what, where, and what next.

    ``code`` is stable and documented in ``docs/diagnostics.md``.
    """

    severity: Severity
    code: str
    message: str
    path: str | None = None
    line: int | None = None
    reference_id: str | None = None
    hint: str | None = None

    def render(self) -> str:
        """Render like a compiler message: ``file:line: severity [code] ID: message; hint``."""
        where = self.path or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        who = f" {self.reference_id}:" if self.reference_id else ""
        hint = f"; {self.hint}" if self.hint else ""
        return f"{where}: {self.severity.value} [{self.code}]{who} {self.message}{hint}"

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "reference_id": self.reference_id,
            "hint": self.hint,
        }


class SourceForm(str, enum.Enum):
    """The published form a cable was read from."""

    HTML_2010 = "html2010"  # Cable Viewer page, 2010 template (js.js)
    HTML_2011 = "html2011"  # Cable Viewer page, 2011 template (cables.js), incl. full release
    CSV = "csv"  # a row of cables.csv
    TEXT = "text"  # a body scraped from a page, or a repost
    PLUSD = "plusd"  # a PlusD printout (Latin-1, CRLF)
    JSONL = "jsonl"  # the mongoexport JSON lines of the first release


@dataclass(frozen=True)
class Article:
    """A newspaper article listed on a page under "Appears in these articles"."""

    url: str
    title: str


@dataclass(frozen=True)
class SourceInfo:
    """Where a record was read from. Kept out of record equality."""

    path: str
    line: int
    form: SourceForm
    sha256: str  # of the bytes of this record in its source (page, row, line, file)


@dataclass(frozen=True)
class SourceDocument:
    """One cable as one source printed it, before any parsing of the cable text.

    Readers fill what the source's own metadata says, verbatim (white space folded), and
    split the cable text into the transmission ``header`` and the ``body`` where the source
    separates them. Where it does not (plain text), ``header`` is ``""`` and ``body`` holds
    the whole text; parsing then finds the header inside it.
    """

    source: SourceInfo
    source_id: str | None  # the reference ID as the metadata prints it
    created: str | None  # the metadata's creation date-time, as printed
    released: tuple[str, ...]  # the metadata's release date-times, as printed
    classification: str | None  # the metadata's classification, as printed (link text)
    origin: str | None  # the metadata's origin, as printed
    title: str | None  # the page's "Viewing cable ID, SUBJECT" subject, as printed
    header: str  # the transmission header text ("" when the source has none apart)
    body: str  # the cable body text, entities and line breaks decoded
    body_line: int = 1  # the line of the source file where the body starts
    header_line: int = 1  # the line of the source file where the header starts
    articles: tuple[Article, ...] = ()
    partial_extract: bool = False  # the page says it holds a partial extract only
    full_release: bool = False  # a page of the 2011-08-30 full release (table times right)
    metadata_references: tuple[str, ...] = ()  # a references column (cables.csv)
    diagnostics: tuple[Diagnostic, ...] = ()  # what the reader noticed


class Role(str, enum.Enum):
    TO = "to"
    INFO = "info"


@dataclass(frozen=True)
class Recipient:
    """An addressee on a TO or INFO line of the transmission header."""

    role: Role
    name: str  # e.g. "SECSTATE WASHDC"
    precedence: str | None = None  # e.g. "PRIORITY", "IMMEDIATE"
    routing_indicator: str | None = None  # e.g. "RUEHC"
    serial: str | None = None  # the station serial number after the name, e.g. "1676"

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role.value,
            "name": self.name,
            "precedence": self.precedence,
            "routing_indicator": self.routing_indicator,
            "serial": self.serial,
        }


@dataclass(frozen=True)
class TransmissionHeader:
    """The telegram header: routing, DE line, precedence, DTG, FM, TO, INFO."""

    routing_indicator: str | None = None  # from "DE RUEHTA #0395 3060347": "RUEHTA"
    sequence: str | None = None  # "0395" (and "/01" section, kept verbatim: "0395/01")
    julian_date: str | None = None  # "3060347": day of year 306, 03:47
    precedence: str | None = None  # of the DTG line: "ROUTINE", "PRIORITY", ...
    dtg: str | None = None  # the date-time group as printed: "R 020347Z NOV 06"
    created: str | None = None  # the DTG as ISO 8601 UTC minute: "2006-11-02T03:47Z"
    sender: str | None = None  # the FM line: "AMEMBASSY ASTANA"
    sender_routing_indicator: str | None = None
    recipients: tuple[Recipient, ...] = ()
    xmt: tuple[str, ...] = ()  # XMT exclusions: addressees excluded from a collective


class RefKind(str, enum.Enum):
    CABLE = "cable"
    EMAIL = "email"
    TELCON = "telcon"
    MEMO = "memo"
    MEETING = "meeting"
    AIRGRAM = "airgram"
    DOCUMENT = "document"  # another numbered document (intel report, letter, ...)
    OTHER = "other"


@dataclass(frozen=True)
class Reference:
    """One entry of a REF line."""

    label: str | None  # "A", "B", ... or None
    text: str  # the entry as printed, white space folded
    reference_id: str | None  # the canonical cable ID, None when not a cable
    kind: RefKind = RefKind.CABLE

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "text": self.text,
            "reference_id": self.reference_id,
            "kind": self.kind.value,
        }


@dataclass(frozen=True)
class Span:
    """A half-open character range ``[start, end)`` of a record's ``body``."""

    start: int
    end: int


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of the body, with its sub-paragraphs and continuation blocks."""

    number: str | None  # the printed number, "1"; None for an unnumbered block
    marking: str | None  # what stands inside the portion marking, upper case: "SBU", "S/NF"
    text: str  # the text after number and marking, page breaks removed, white space folded
    span: Span  # where the paragraph (number and marking included) stands in the body
    # what page rendering put inside ``span`` and the text leaves out: page-break, SECTION
    # and banner lines, page headers and footers, stray pilcrows, tab-row line-end backslashes
    removed: tuple[Span, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "marking": self.marking,
            "text": self.text,
            "span": [self.span.start, self.span.end],
            "removed": [[s.start, s.end] for s in self.removed],
        }


class Level(str, enum.Enum):
    """Classification levels, in rank order."""

    UNCLASSIFIED = "UNCLASSIFIED"
    CONFIDENTIAL = "CONFIDENTIAL"
    SECRET = "SECRET"
    TOP_SECRET = "TOP SECRET"


@dataclass(frozen=True)
class Classification:
    """A classification split into its axes: level, dissemination controls, handling."""

    printed: str  # as the source's metadata prints it: "SECRET//NOFORN"
    level: Level | None
    caveats: tuple[str, ...] = ()  # dissemination controls: "NOFORN", "FOR OFFICIAL USE ONLY"
    handling: tuple[str, ...] = ()  # handling marks: "SIPDIS", "EXDIS", "NODIS", "LIMDIS"


@dataclass(frozen=True)
class CableRecord:
    """Everything read from one cable in one source. See ``docs/cable-record.md``."""

    reference_id: str
    source_id: str
    created: str | None
    released: tuple[str, ...]
    classification: Classification | None
    origin: str | None
    subject: str | None
    subject_marking: str | None
    tags: tuple[str, ...]
    references: tuple[Reference, ...]
    header: TransmissionHeader
    eo: str | None  # "12958" or "13526" as printed on the E.O. line
    declassify_on: str | None
    classified_by: str | None
    reasons: tuple[str, ...]
    signer: str | None
    summary: str | None
    comment: str | None
    paragraphs: tuple[Paragraph, ...]
    body: str
    title: str | None = None
    articles: tuple[Article, ...] = ()
    partial_extract: bool = False
    source: SourceInfo | None = field(default=None, compare=False)

    @property
    def sender(self) -> str | None:
        return self.header.sender

    @property
    def recipients(self) -> tuple[Recipient, ...]:
        return self.header.recipients

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the cable-record contract (plus richer keys)."""
        c = self.classification
        h = self.header
        return {
            "reference_id": self.reference_id,
            "source_id": self.source_id,
            "created": self.created,
            "released": list(self.released),
            "classification": c.printed if c else None,
            "classification_level": c.level.value if c and c.level else None,
            "caveats": list(c.caveats) if c else [],
            "handling": list(c.handling) if c else [],
            "origin": self.origin,
            "subject": self.subject,
            "subject_marking": self.subject_marking,
            "tags": list(self.tags),
            "references": [r.to_json() for r in self.references],
            "sender": h.sender,
            "recipients": [r.to_json() for r in h.recipients],
            "transmission": {
                "routing_indicator": h.routing_indicator,
                "sequence": h.sequence,
                "julian_date": h.julian_date,
                "precedence": h.precedence,
                "dtg": h.dtg,
                "sender_routing_indicator": h.sender_routing_indicator,
                "xmt": list(h.xmt),
            },
            "eo": self.eo,
            "declassify_on": self.declassify_on,
            "classified_by": self.classified_by,
            "reasons": list(self.reasons),
            "signer": self.signer,
            "summary": self.summary,
            "comment": self.comment,
            "paragraphs": [p.to_json() for p in self.paragraphs],
            "title": self.title,
            "articles": [{"url": a.url, "title": a.title} for a in self.articles],
            "partial_extract": self.partial_extract,
            "body": self.body,
            "source": (
                {
                    "path": self.source.path,
                    "line": self.source.line,
                    "form": self.source.form.value,
                    "sha256": self.source.sha256,
                }
                if self.source
                else None
            ),
        }
