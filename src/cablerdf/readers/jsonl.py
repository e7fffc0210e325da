"""JSON lines (the mongoexport of the first release) and whole JSON documents.

The export removed the line breaks of ``header`` and ``body`` with nothing in their place, so
words are glued across line ends (``ZZHR 271548Z FEB 09FM AMEMBASSY ANKARATO RUEHC/...``).
:func:`restore_line_breaks` puts breaks back where a general rule is sure.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

from cablerdf.model import Diagnostic, Severity, SourceDocument, SourceForm, SourceInfo
from cablerdf.readers.common import (
    ByteSource,
    RawLine,
    decode,
    diag,
    fold_or_none,
    iter_lines,
    not_utf8,
    sha256,
    strip_eol,
)

_CABLE_KEYS = ("body", "header")

# Header: each pattern marks where a line starts (the match start). Applied once each, in order,
# each after the previous one's position.
_VZCZC_END = re.compile(r"VZCZC[A-Z]{3}\d{4}(?=\S)")
_DE = re.compile(r"DE (?=R[A-Z]{2,6} ?#)")
_ZNY = re.compile(r"ZN[YR] (?=[A-Z]{5}\b)")
_DTG = re.compile(r"(?:[A-Z] )?\d{6}Z ?[A-Z]{3} ?\d{2}(?!\d)")
_FM = re.compile(r"FM (?=[A-Z])")
_TO = re.compile(r"TO (?=R[A-Z]{2,6}/)")
_INFO = re.compile(r"INFO (?=R[A-Z]{2,6}/)")
_SLASH = re.compile(r"/")

# Body: markers of the opening block (before the first paragraph), each taken once.
_FIRST_PARAGRAPH = re.compile(r"¶ ?\d|(?<![\d./])1\. {0,4}\([A-Z]")
_OPENING_MARKERS = (
    re.compile(r"(?<=\d)SIPDIS"),
    re.compile(r"E\.O\. ?1\d{4}"),
    re.compile(r"TAGS:"),
    re.compile(r"SUBJ(?:ECT)?:"),
    re.compile(r"REFS?:"),
    re.compile(r"(?:Classified [Bb]y|CLASSIFIED BY):?"),
)
_DECL = re.compile(r"DECL:")
_EO_LINE = re.compile(r"\s*E\.? ?O\.? ?1\d{4}:?\s*")
_PILCROW = re.compile(r"¶(?=\d{1,3}\.)")
# A paragraph number with its portion marking, after the two spaces a removed blank line leaves.
_NUMBERED = re.compile(r"(?<=  )\d{1,2}\. {0,4}\((?:U|SBU|C|S|TS)(?:/{1,2}[A-Z]{1,6})?\)")
# A page-break line: station, 8-digit serial, page ``002.2 OF 004``.
_PAGE_BREAK = re.compile(r"(?<=  )[A-Z][A-Z .]{0,30}? \d{8} {1,3}\d{3}(?:\.\d)? OF \d{3}\b")


@functools.lru_cache(maxsize=1)
def routing_indicators() -> frozenset[str]:
    """The routing indicators listed in the packaged ``routing-indicators.tsv``."""
    text = resources.files("cablerdf").joinpath("data/routing-indicators.tsv").read_text("utf-8")
    return frozenset(line.split("\t", 1)[0] for line in text.splitlines()[1:] if line)


def _addressee_starts(header: str, start: int) -> list[int]:
    """Where each ``RIxxxx/`` addressee after ``start`` begins a line."""
    known = routing_indicators()
    starts: list[int] = []
    for slash in _SLASH.finditer(header, start):
        end = slash.start()
        run = end
        while run > start and header[run - 1].isupper() and header[run - 1].isascii():
            run -= 1
        if end - run < 4:
            continue
        candidates = [s for s in range(max(run, end - 7), end - 3) if header[s] == "R"]
        if not candidates:
            continue
        if candidates[0] == run:
            choice = run  # not glued to the word before
        else:
            in_table = [s for s in candidates if header[s:end] in known]
            routing_like = [s for s in candidates if header[s + 1] in "UH"]
            if in_table:
                choice = in_table[0]
            elif routing_like:
                choice = routing_like[0]
            else:
                continue
        before = header[max(0, choice - 5) : choice]
        if before.endswith(("TO ", "INFO ")):
            continue
        starts.append(choice)
    return starts


def _header_breaks(header: str) -> set[int]:
    cuts: set[int] = set()
    pos = 0
    vzczc = _VZCZC_END.match(header)
    if vzczc:
        cuts.add(vzczc.end())
        pos = vzczc.end()
    for pattern in (_DE, _ZNY, _DTG, _FM, _TO, _INFO):
        match = pattern.search(header, pos)
        if match:
            cuts.add(match.start())
            pos = match.end()
    to = _TO.search(header)
    if to:
        cuts.update(_addressee_starts(header, to.end()))
    return cuts


def _body_breaks(body: str) -> set[int]:
    cuts: set[int] = set()
    first = _FIRST_PARAGRAPH.search(body)
    opening = first.start() if first else len(body)
    for pattern in _OPENING_MARKERS:
        match = pattern.search(body, 0, opening)
        if match:
            cuts.add(match.start())
    decl = _DECL.search(body, 0, opening)
    if decl:
        line_start = max([0] + [c for c in cuts if c <= decl.start()])
        if not _EO_LINE.fullmatch(body[line_start : decl.start()]):
            cuts.add(decl.start())
    cuts.update(m.start() for m in _PILCROW.finditer(body))
    cuts.update(m.start() for m in _NUMBERED.finditer(body))
    for page_break in _PAGE_BREAK.finditer(body):
        cuts.update((page_break.start(), page_break.end()))
    return cuts


def _insert_breaks(text: str, cuts: set[int]) -> tuple[str, int]:
    points = sorted(c for c in cuts if 0 < c < len(text) and text[c - 1] != "\n")
    if not points:
        return text, 0
    parts = []
    last = 0
    for point in points:
        parts.append(text[last:point])
        last = point
    parts.append(text[last:])
    return "\n".join(parts), len(points)


def restore_line_breaks(header: str, body: str) -> tuple[str, str, int]:
    """Put back line breaks the export removed. Returns header, body and how many were added.

    Texts that still hold a line break are left as they are.
    """
    added = 0
    if "\n" not in header:
        header, n = _insert_breaks(header, _header_breaks(header))
        added += n
    if "\n" not in body:
        body, n = _insert_breaks(body, _body_breaks(body))
        added += n
    return header, body, added


def _string(obj: dict[str, Any], keys: tuple[str, ...], issues: list[str]) -> str | None:
    for key in keys:
        if key in obj and obj[key] is not None:
            value = obj[key]
            if isinstance(value, str):
                return value
            issues.append(f"{key!r} is a {type(value).__name__}, not a string")
    return None


def _strings(obj: dict[str, Any], key: str, issues: list[str]) -> tuple[str, ...]:
    value = obj.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split("|") if v.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v for v in value if v)
    issues.append(f"{key!r} is neither a string nor a list of strings")
    return ()


def _record(obj: Any, path: str, line: int, raw: bytes, latin: bool) -> SourceDocument | Diagnostic:
    if not isinstance(obj, dict):
        return diag(
            Severity.ERROR,
            "reader.jsonl-not-object",
            f"expected a JSON object, found a {type(obj).__name__}",
            path,
            line,
            hint="each line of a JSON-lines file must be one object",
        )
    if not any(key in obj for key in _CABLE_KEYS):
        return diag(
            Severity.WARNING,
            "reader.not-a-cable",
            "a JSON object without 'body' or 'header': not a cable; skipped",
            path,
            line,
            hint="cable objects carry 'body' and 'header' (and 'reference_id', 'origin'...)",
        )
    issues: list[str] = []
    source_id = fold_or_none(_string(obj, ("reference_id", "_id"), issues))
    header = _string(obj, ("header",), issues) or ""
    body = _string(obj, ("body",), issues) or ""
    header = header.replace("\r\n", "\n")
    body = body.replace("\r\n", "\n")
    diagnostics: list[Diagnostic] = []
    if latin:
        diagnostics.append(not_utf8(path, line, source_id))
    header, body, added = restore_line_breaks(header, body)
    if added:
        diagnostics.append(
            diag(
                Severity.INFO,
                "reader.jsonl-line-breaks-restored",
                f"the export had removed line breaks; {added} were put back before header "
                "lines, TAGS/SUBJECT/REF/E.O./Classified By and numbered paragraphs",
                path,
                line,
                reference_id=source_id,
            )
        )
    created = fold_or_none(_string(obj, ("date_time", "created", "date"), issues))
    classification = fold_or_none(_string(obj, ("classification",), issues))
    origin = fold_or_none(_string(obj, ("origin",), issues))
    released = _strings(obj, "released", issues)
    references = _strings(obj, "references", issues)
    for issue in issues:
        diagnostics.append(
            diag(
                Severity.WARNING,
                "reader.json-field-type",
                f"{issue}; the value was ignored",
                path,
                line,
                reference_id=source_id,
                hint="cable fields are strings",
            )
        )
    return SourceDocument(
        source=SourceInfo(path=path, line=line, form=SourceForm.JSONL, sha256=sha256(raw)),
        source_id=source_id,
        created=created,
        released=tuple(r for r in (fold_or_none(v) for v in released) if r),
        classification=classification,
        origin=origin,
        title=None,
        header=header,
        body=body,
        body_line=line,
        header_line=line,
        metadata_references=references,
        diagnostics=tuple(diagnostics),
    )


def _bad_json(path: str, line: int, exc: Exception) -> Diagnostic:
    return diag(
        Severity.ERROR,
        "reader.jsonl-bad-json",
        f"expected one JSON object on the line: {exc}",
        path,
        line,
        hint="repair the line, or remove it; the other lines were read",
    )


def _read_line(raw: RawLine, path: str) -> SourceDocument | Diagnostic | None:
    if raw.overlong:
        return diag(
            Severity.ERROR,
            "reader.line-too-long",
            "the line is longer than the readers accept; skipped",
            path,
            raw.number,
            hint="split the input; no cable is that long",
        )
    data = strip_eol(raw.data)
    if not data.strip():
        return None
    text, latin = decode(data)
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return _bad_json(path, raw.number, exc)
    return _record(obj, path, raw.number, data, latin)


def read_json_lines(source: ByteSource, path: str) -> Iterator[SourceDocument | Diagnostic]:
    """Read a JSON-lines input one line at a time."""
    for raw in iter_lines(source):
        result = _read_line(raw, path)
        if result is not None:
            yield result


def parses_as_json(data: bytes) -> bool:
    """Whether bytes are one JSON document, or their first non-blank line is a JSON value."""
    text, _ = decode(data)
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        first = next((line for line in text.splitlines() if line.strip()), "")
        try:
            json.loads(first)
        except (ValueError, RecursionError):
            return False
    return True


def read_json_document(data: bytes, path: str) -> Iterator[SourceDocument | Diagnostic]:
    """Read a whole JSON document: an object, or an array of objects.

    When the bytes are not one JSON document, they are read as JSON lines.
    """
    text, latin = decode(data)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        for number, line in enumerate(data.splitlines(keepends=True), start=1):
            result = _read_line(RawLine(number, line), path)
            if result is not None:
                yield result
        return
    items = value if isinstance(value, list) else [value]
    for item in items:
        yield _record(item, path, 1, data, latin)
