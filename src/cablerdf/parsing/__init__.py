"""Parsing: a :class:`~cablerdf.model.SourceDocument` becomes a :class:`~cablerdf.model.CableRecord`.

The stage is pure: it takes a document and the reference index, and returns the record with
the diagnostics found on the way. It never raises on bad data; a document from which no cable
can be read gives ``record=None`` and an error diagnostic.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cablerdf.cable_ids import ReferenceIndex, cable_id, repair_id
from cablerdf.model import (
    CableRecord,
    Classification,
    Diagnostic,
    Reference,
    Severity,
    SourceDocument,
)
from cablerdf.parsing.body import lay_out_body
from cablerdf.parsing.classification import classification_from_banner, split_classification
from cablerdf.parsing.fields import (
    parse_classified_by,
    parse_eo_line,
    parse_subject,
    parse_tags,
)
from cablerdf.parsing.header import parse_header, split_header
from cablerdf.parsing.references import parse_references

__all__ = ["ParseResult", "parse_document", "parse_documents"]

_ID_IN_TEXT = re.compile(r"\b(\d{2}[A-Z][A-Z0-9]{2,}\d+)\b")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2}))?")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2}))?")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ParseResult:
    """A record (or ``None`` when no cable could be read) and what was noticed."""

    record: CableRecord | None
    diagnostics: tuple[Diagnostic, ...]


def parse_documents(
    items: Iterable[SourceDocument | Diagnostic], index: ReferenceIndex
) -> Iterator[ParseResult]:
    """Parse a stream of reader output; reader diagnostics pass through as record-less results."""
    for item in items:
        if isinstance(item, Diagnostic):
            yield ParseResult(None, (item,))
        else:
            yield parse_document(item, index)


def parse_document(doc: SourceDocument, index: ReferenceIndex) -> ParseResult:
    """Read every field of the cable in ``doc``."""
    diags: list[Diagnostic] = list(doc.diagnostics)
    src = doc.source

    header_text, body = doc.header, doc.body
    body_line = doc.body_line
    header_line = doc.header_line
    if not header_text.strip():
        cut = split_header(body)
        if cut:
            header_text = body[:cut]
            body = body[cut:]
            header_line = doc.body_line
            body_line = doc.body_line + header_text.count("\n")
    header, header_diags = parse_header(header_text)
    diags += [_locate(d, src.path, header_line) for d in header_diags]

    layout, body_diags = lay_out_body(body)
    diags += [_locate(d, src.path, body_line) for d in body_diags]

    source_id = (doc.source_id or "").strip() or _id_from_text(header_text + "\n" + body)
    if not source_id and header.created:
        source_id = _id_from_banner(layout.banner, int(header.created[:4]), index)
        if source_id:
            diags.append(
                Diagnostic(
                    Severity.INFO,
                    "parse.id-from-banner",
                    f"no reference ID printed; {source_id} read from the banner's station "
                    "and serial number and the year of the date-time group",
                    src.path,
                    body_line,
                )
            )
    if not source_id:
        diags.append(
            Diagnostic(
                Severity.ERROR,
                "parse.no-reference-id",
                "no reference ID in the metadata, the text or the file name",
                src.path,
                src.line,
                hint="name the file <REFERENCE_ID>.txt",
            )
        )
        return ParseResult(None, tuple(diags))
    reference_id, repair = repair_id(source_id, index)
    if repair is not None:
        diags.append(_locate(repair, src.path, src.line))

    created = header.created or _created_from_table(doc)
    if header.created is None and doc.created:
        diags.append(
            Diagnostic(
                Severity.INFO,
                "parse.created-from-table",
                f"no date-time group in the header; created taken from the metadata "
                f"{doc.created!r}"
                + ("" if doc.full_release else " (date only: its time is unreliable)"),
                src.path,
                src.line,
                reference_id,
            )
        )
    year = _year(created, reference_id)

    classification = _classification(doc, layout.banner, layout.captions)
    if classification is None:
        diags.append(
            Diagnostic(
                Severity.WARNING,
                "parse.no-classification",
                "no classification in the metadata nor a banner in the body",
                src.path,
                body_line,
                reference_id,
            )
        )

    subject, subject_marking = (
        parse_subject(layout.subject_text) if layout.subject_text else (None, None)
    )
    tags = parse_tags(layout.tags_text) if layout.tags_text else ()
    eo = parse_eo_line(layout.eo_text) if layout.eo_text else None
    classified_by, reasons = (
        parse_classified_by(layout.classified_by_text) if layout.classified_by_text else (None, ())
    )
    references: tuple[Reference, ...] = ()
    if layout.ref_text:
        refs, ref_diags = parse_references(
            layout.ref_text, year=year, citing_id=reference_id, index=index
        )
        references = tuple(refs)
        diags += [_locate(d, src.path, body_line) for d in ref_diags]

    record = CableRecord(
        reference_id=reference_id,
        source_id=source_id,
        created=created,
        released=_released(doc.released),
        classification=classification,
        origin=_fold(doc.origin),
        subject=subject,
        subject_marking=subject_marking,
        tags=tags,
        references=references,
        header=header,
        eo=eo.eo if eo else None,
        declassify_on=eo.declassify_on if eo else None,
        classified_by=classified_by,
        reasons=reasons,
        signer=layout.signer,
        summary=layout.summary,
        comment=layout.comment,
        paragraphs=layout.paragraphs,
        body=body,
        title=_fold(doc.title),
        articles=doc.articles,
        partial_extract=doc.partial_extract,
        source=src,
    )
    diags = [
        d if d.reference_id else dataclasses.replace(d, reference_id=reference_id) for d in diags
    ]
    return ParseResult(record, tuple(diags))


def _locate(d: Diagnostic, path: str, line: int) -> Diagnostic:
    """Give a diagnostic from a pure parser its file; its line is relative to ``line``."""
    if d.path is not None:
        return d
    return dataclasses.replace(d, path=path, line=line + (d.line - 1 if d.line else 0))


def _fold(text: str | None) -> str | None:
    if text is None:
        return None
    folded = _SPACE.sub(" ", text).strip()
    return folded or None


def _id_from_text(text: str) -> str | None:
    m = _ID_IN_TEXT.search(text)
    return m.group(1) if m else None


_BANNER_SERIAL = re.compile(r"([A-Z][A-Z .']*?)\s+0*(\d{1,7})\s*$")
_BANNER_NOISE = re.compile(
    r"^(?:(?:[A-Z] ){3,}[A-Z]|UNCLAS(?:SIFIED)?|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)\b"
    r"|\bSECTION\s+\d+\s+OF\s+\d+\b|\b(?:E F T O|EFTO|SENSITIVE|NOFORN|SIPDIS)\b"
)


def _id_from_banner(banner: str | None, year: int, index: ReferenceIndex) -> str | None:
    """``C O N F I D E N T I A L SECTION 01 OF 04 CARACAS 003356`` in 2006 -> 06CARACAS3356."""
    if not banner:
        return None
    for line in banner.splitlines():
        m = _BANNER_SERIAL.search(_BANNER_NOISE.sub(" ", line).strip())
        if m:
            return cable_id(year, m.group(1), m.group(2), index)
    return None


def _created_from_table(doc: SourceDocument) -> str | None:
    """The metadata date: with its time only on full-release pages, else at ``T00:00Z``."""
    if not doc.created:
        return None
    m = _DATE.search(doc.created)
    if m:
        y, mo, d, hh, mm = m.groups()
    else:
        u = _US_DATE.search(doc.created)
        if not u:
            return None
        mo, d, y, hh, mm = u.groups()
    if doc.full_release and hh is not None and mm is not None:
        return f"{int(y):04d}-{int(mo):02d}-{int(d):02d}T{int(hh):02d}:{mm}Z"
    return f"{int(y):04d}-{int(mo):02d}-{int(d):02d}T00:00Z"


def _released(printed: tuple[str, ...]) -> tuple[str, ...]:
    dates = set()
    for value in printed:
        m = _DATE.search(value)
        if m:
            dates.add(f"{m.group(1)}-{m.group(2)}-{m.group(3)}")
    return tuple(sorted(dates))


def _year(created: str | None, reference_id: str) -> int | None:
    if created:
        return int(created[:4])
    if reference_id[:2].isdigit():
        yy = int(reference_id[:2])
        return 1900 + yy if yy >= 66 else 2000 + yy
    return None


def _classification(
    doc: SourceDocument, banner: str | None, captions: tuple[str, ...]
) -> Classification | None:
    if doc.classification and doc.classification.strip():
        return split_classification(doc.classification)
    text = "\n".join([banner or "", *captions])
    return classification_from_banner(text) if text.strip() else None
