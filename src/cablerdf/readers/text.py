"""Plain-text cables: page scrapes, PlusD printouts, reposts.

The whole cable text goes to ``body`` (header lines included) and ``header`` stays ``""``: the
parsing stage finds the header inside the body. Metadata the text prints (a flattened page
table, cables.csv-style lines, an "Appears in these articles" list) is read and cut from the
body; so are HTML leftovers, site text before the telegram and blog boilerplate after it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

from cablerdf.model import Article, Diagnostic, Severity, SourceDocument, SourceForm, SourceInfo
from cablerdf.readers.common import (
    CLASSIFICATION_RE,
    ID_RE,
    decode,
    diag,
    fold,
    id_from_file_name,
    not_utf8,
    sha256,
)
from cablerdf.readers.detect import cable_evidence, looks_like_cable

_HTML_LEFTOVER = re.compile(r"</?(?:code|pre)>|<a\s+(?:id|href)\s*=\s*['\"]|</a\s*>", re.IGNORECASE)
_TAG = re.compile(r"</?(?:a|b|code|div|em|font|i|p|pre|span|strong|tt|u)\b[^<>\n]*>", re.IGNORECASE)
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|amp|lt|gt|quot|apos|nbsp);")
_MOJIBAKE = re.compile("\u00c2([\u00a0-\u00bf])|\u00c3([\u0080-\u00bf])")

_DATE = (
    r"\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}/\d{1,2}/\d{4}(?: \d{1,2}:\d{2})?"
)
_DATE_LINE = re.compile(_DATE)
_ROW_NUMBER = re.compile(r"\d{1,7}")
_ORIGIN_LINE = re.compile(r"[A-Z][A-Za-z .,'()/&-]{1,80}")
_REFERENCES_LINE = re.compile(rf"{ID_RE.pattern}(?:\|{ID_RE.pattern})*")
_TABLE_HEAD = re.compile(
    r"\s*Reference ID\s+(?:Created|Date)\s+(?:Released\s+)?Classification\s+Origin\s*"
)
_TABLE_ROW = re.compile(
    r"\s*(?P<id>\S+)\s+(?P<created>\d{4}-\d{2}-\d{2}(?: \d{1,2}:\d{2})?)"
    r"(?P<released>(?:\s+\d{4}-\d{2}-\d{2}(?: \d{1,2}:\d{2})?)*)"
    rf"\s+(?P<classification>{CLASSIFICATION_RE.pattern})\s+(?P<origin>\S.*?)\s*"
)
_RELEASED = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{1,2}:\d{2})?")
_ARTICLES_HEAD = re.compile(r"\s*Appears in these articles:?\s*")
_URL_LINE = re.compile(r"\s*((?:https?://|www\.)\S+)\s*")
_TELEGRAM_START = re.compile(r"\s*VZCZC")
_PLUSD_HEADER = re.compile(r"^[ \t]*(?:VZCZC|FM[ \t]+[A-Z])", re.MULTILINE)
_BOILERPLATE = re.compile(
    r"\s*(?:Post a comment or leave a trackback|Leave a (?:Reply|Comment|comment)\b"
    r"|Share this:|Like this:|Fill in your details below|You are commenting using"
    r"|Connecting to %s|%d bloggers like this|Comments are closed|Trackback URL)"
)
_FULL_RELEASE_DATE = "2011-08-30"


@dataclass(frozen=True)
class _Metadata:
    """Metadata a text prints about its cable."""

    source_id: str | None = None
    created: str | None = None
    released: tuple[str, ...] = ()
    classification: str | None = None
    origin: str | None = None
    references: tuple[str, ...] = ()


def _repair_mojibake(text: str) -> tuple[str, int]:
    """UTF-8 read as Latin-1 and written again as UTF-8 (``Â¶`` -> ``¶``, ``Ã©`` -> ``é``)."""

    def fix(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(1)
        return chr(ord(match.group(2)) + 0x40)

    return _MOJIBAKE.subn(fix, text)


def _unentity(match: re.Match[str]) -> str:
    decoded = html.unescape(match.group())
    return match.group() if decoded.startswith("&") or "\x00" in decoded else decoded


def _strip_html(text: str) -> str:
    """Reduce HTML leftovers to the text a browser shows (links to their text)."""
    text = _BR.sub("\n", text)
    text = _TAG.sub("", text)
    return _REFERENCE.sub(_unentity, text)


def _first_filled(lines: list[str], start: int) -> int:
    while start < len(lines) and not lines[start].strip():
        start += 1
    return start


def _flattened_table(lines: list[str]) -> tuple[_Metadata, int, int] | None:
    """A page table flattened to a head line and a value line, with only site text before it.

    Returns the metadata, the head line's index and the body's first index.
    """
    for index, line in enumerate(lines):
        if "Reference ID" not in line or not _TABLE_HEAD.fullmatch(line):
            continue
        value_index = _first_filled(lines, index + 1)
        if value_index >= len(lines):
            return None
        row = _TABLE_ROW.fullmatch(lines[value_index])
        if not row or cable_evidence("\n".join(lines[:index])):
            return None  # not a table, or cable text before it
        meta = _Metadata(
            source_id=row.group("id"),
            created=row.group("created"),
            released=tuple(_RELEASED.findall(row.group("released"))),
            classification=row.group("classification"),
            origin=fold(row.group("origin")),
        )
        return meta, index, value_index + 1
    return None


def _metadata_lines(lines: list[str]) -> tuple[_Metadata, int, int] | None:
    """cables.csv-style lines at the top: [row number], date, ID, origin, classification,
    [references]. Returns metadata, first and body index."""
    first = _first_filled(lines, 0)
    index = first
    values = [line.strip() for line in lines[index : index + 7]]
    if values and _ROW_NUMBER.fullmatch(values[0]):
        values = values[1:]
        index += 1
    if len(values) < 4:
        return None
    date, source_id, origin, classification = values[:4]
    if not (
        _DATE_LINE.fullmatch(date)
        and ID_RE.fullmatch(source_id)
        and _ORIGIN_LINE.fullmatch(origin)
        and not CLASSIFICATION_RE.fullmatch(origin)
        and CLASSIFICATION_RE.fullmatch(classification)
    ):
        return None
    index += 4
    references: tuple[str, ...] = ()
    if len(values) > 4 and _REFERENCES_LINE.fullmatch(values[4]):
        references = tuple(values[4].split("|"))
        index += 1
    meta = _Metadata(
        source_id=source_id,
        created=date,
        classification=classification,
        origin=origin,
        references=references,
    )
    return meta, first, index


def _articles(lines: list[str], start: int) -> tuple[tuple[Article, ...], int]:
    """An "Appears in these articles:" list of URLs at ``start``; returns it and the next index."""
    index = _first_filled(lines, start)
    if index >= len(lines) or not _ARTICLES_HEAD.fullmatch(lines[index]):
        return (), start
    found: list[Article] = []
    index += 1
    while index < len(lines):
        url = _URL_LINE.fullmatch(lines[index])
        if not url:
            break
        found.append(Article(url=url.group(1), title=url.group(1)))
        index += 1
    return tuple(found), index


def read_text(data: bytes, path: str) -> Iterator[SourceDocument | Diagnostic]:
    """Read one text file holding one cable (or say why it holds none)."""
    text, latin = decode(data)
    crlf = text.count("\r\n")
    line_ends = text.count("\n")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text, repaired = _repair_mojibake(text)
    leftovers = bool(_HTML_LEFTOVER.search(text))
    if leftovers:
        text = _strip_html(text)
    if not looks_like_cable(text):
        yield diag(
            Severity.WARNING,
            "reader.not-a-cable",
            "no cable text found (expected lines such as a classification banner, TAGS, "
            "SUBJECT, a date-time group or FM); skipped",
            path,
            hint="pass Cable Viewer pages, cables.csv, JSON lines or cable text",
        )
        return
    notes: list[Diagnostic] = []
    if latin:
        notes.append(not_utf8(path, 1))
    if repaired:
        notes.append(
            diag(
                Severity.INFO,
                "reader.mojibake-repaired",
                f"{repaired} double-encoded characters (such as 'Â¶' for '¶') were repaired",
                path,
                1,
            )
        )
    if leftovers:
        notes.append(
            diag(
                Severity.INFO,
                "reader.html-leftovers-removed",
                "HTML tags left in the text (<code><pre>, links, paragraph anchors) were "
                "reduced to the text a browser shows",
                path,
                1,
            )
        )

    lines = text.split("\n")
    start, end = 0, len(lines)
    meta = _Metadata()
    found = _flattened_table(lines) or _metadata_lines(lines)
    if found:
        meta, head, start = found
        notes.append(
            diag(
                Severity.INFO,
                "reader.text-metadata",
                f"metadata printed on lines {head + 1}-{start} was read"
                + (f"; {head} lines of site text before it were cut" if head else ""),
                path,
                head + 1,
                reference_id=meta.source_id,
            )
        )
    articles, start = _articles(lines, start)
    if not found:
        telegram = next(
            (
                i
                for i in range(start, end)
                if "VZCZC" in lines[i] and _TELEGRAM_START.match(lines[i])
            ),
            None,
        )
        first = _first_filled(lines, start)
        if telegram is not None and telegram > first:
            before = "\n".join(lines[start:telegram])
            if cable_evidence(before) == 0:
                notes.append(
                    diag(
                        Severity.INFO,
                        "reader.leading-text-removed",
                        f"{telegram - start} lines before the telegram's first line "
                        "(VZCZC...) hold no cable text and were cut",
                        path,
                        start + 1,
                    )
                )
                start = telegram
    for index in range(start, end):
        if _BOILERPLATE.match(lines[index]):
            notes.append(
                diag(
                    Severity.INFO,
                    "reader.boilerplate-removed",
                    f"site text from line {index + 1} on (comments, share buttons) was cut",
                    path,
                    index + 1,
                )
            )
            end = index
            while end > start and not lines[end - 1].strip():
                end -= 1
            break

    source_id = meta.source_id
    if source_id is None:
        source_id = id_from_file_name(path)
        if source_id is not None:
            notes.append(
                diag(
                    Severity.INFO,
                    "reader.id-from-file-name",
                    f"the text prints no reference ID; {source_id} was taken from the file name",
                    path,
                    1,
                    reference_id=source_id,
                )
            )
        else:
            notes.append(
                diag(
                    Severity.WARNING,
                    "reader.no-reference-id",
                    "no reference ID in the text, its metadata or its file name",
                    path,
                    1,
                    hint="the parsing stage derives one from the banner and date; or name the "
                    "file <ID>.txt",
                )
            )

    plusd = (
        not leftovers
        and not found
        and (latin or (line_ends > 0 and 2 * crlf >= line_ends))
        and bool(_PLUSD_HEADER.search(text))
    )
    released = meta.released
    document = SourceDocument(
        source=SourceInfo(
            path=path,
            line=1,
            form=SourceForm.PLUSD if plusd else SourceForm.TEXT,
            sha256=sha256(data),
        ),
        source_id=source_id,
        created=meta.created,
        released=released,
        classification=meta.classification,
        origin=meta.origin,
        title=None,
        header="",
        body="\n".join(lines[start:end]),
        body_line=start + 1,
        header_line=start + 1,
        articles=articles,
        full_release=any(r.startswith(_FULL_RELEASE_DATE) for r in released),
        metadata_references=meta.references,
        diagnostics=tuple(
            d if d.reference_id or source_id is None else _with_id(d, source_id) for d in notes
        ),
    )
    yield document


def _with_id(note: Diagnostic, reference_id: str) -> Diagnostic:
    return Diagnostic(
        note.severity, note.code, note.message, note.path, note.line, reference_id, note.hint
    )
