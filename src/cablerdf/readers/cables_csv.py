"""cables.csv, read row by row from a stream (the real file is 1.6 GB).

No header row; 8 quoted columns: row number, date ``M/D/YYYY H:MM``, reference ID, origin,
classification, references joined by ``|``, header, body. Quotes inside fields are escaped
with a backslash (``\\"``, ``\\'``), not doubled, and fields hold raw line breaks, so RFC 4180
readers break on it. A small state machine reads it one physical line at a time.
"""

from __future__ import annotations

import enum
import operator
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from cablerdf.model import Diagnostic, Severity, SourceDocument, SourceForm, SourceInfo
from cablerdf.readers.common import (
    MAX_LINE_BYTES,
    ByteSource,
    decode,
    diag,
    fold_or_none,
    iter_lines,
    not_utf8,
    sha256,
    strip_eol,
)

COLUMNS = 8
#: The start of a row: a quoted row number and a quoted date.
ROW_START = re.compile(r'"\d+","\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}",')
_QUOTED = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
_UNQUOTED = re.compile(r'[^,"\r\n]*')
_UNESCAPE = re.compile(r"\\([\"'\\])")
_MAX_ROW_BYTES = MAX_LINE_BYTES


class _State(enum.Enum):
    FIELD_START = "field-start"
    QUOTED = "quoted"
    AFTER_FIELD = "after-field"


class _Status(enum.Enum):
    MORE = "more"  # the row goes on on the next line
    DONE = "done"
    BROKEN = "broken"


@dataclass
class _Row:
    """The row being read (mutable: it grows line by line)."""

    start: int
    raw: list[bytes] = field(default_factory=list)
    size: int = 0
    fields: list[str] = field(default_factory=list)
    field_lines: list[int] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    state: _State = _State.FIELD_START
    latin: bool = False


def _feed(row: _Row, text: str, number: int) -> _Status:
    """Advance the state machine over one physical line."""
    if row.state is _State.QUOTED and '"' not in text and "\\" not in text:
        row.current.append(text)  # the whole line is text of the quoted field
        return _Status.MORE
    pos = 0
    end = len(text)
    while True:
        if row.state is _State.FIELD_START:
            row.field_lines.append(number)
            if pos < end and text[pos] == '"':
                row.state = _State.QUOTED
                pos += 1
            else:
                match = _UNQUOTED.match(text, pos)
                row.current = [match.group()] if match else []
                pos = match.end() if match else pos
                row.state = _State.AFTER_FIELD
        if row.state is _State.QUOTED:
            match = _QUOTED.match(text, pos)
            if match:
                row.current.append(match.group())
                pos = match.end()
            if pos >= end:
                return _Status.MORE
            if text[pos] != '"':  # a backslash at the very end of the input
                row.current.append(text[pos:])
                return _Status.MORE
            pos += 1
            row.state = _State.AFTER_FIELD
        if pos < end and text[pos] == ",":
            row.fields.append("".join(row.current))
            row.current = []
            row.state = _State.FIELD_START
            pos += 1
            continue
        if end - pos <= 2 and text[pos:] in ("", "\n", "\r\n", "\r"):
            row.fields.append("".join(row.current))
            row.current = []
            return _Status.DONE
        return _Status.BROKEN


def _unescape(text: str) -> str:
    if "\\" in text:  # the escaped character itself (a C-level callable, no template)
        text = _UNESCAPE.sub(operator.itemgetter(1), text)
    return text.replace("\r\n", "\n")


def _finish(row: _Row, path: str) -> SourceDocument | Diagnostic:
    if len(row.fields) != COLUMNS:
        return diag(
            Severity.ERROR,
            "reader.csv-row-columns",
            f"expected {COLUMNS} columns (row number, date, ID, origin, classification, "
            f"references, header, body), found {len(row.fields)}; row skipped",
            path,
            row.start,
            hint='check the quoting of this row; quotes inside fields must be written \\"',
        )
    values = [_unescape(value) for value in row.fields]
    source_id = fold_or_none(values[2])
    raw = b"".join(row.raw)
    diagnostics: tuple[Diagnostic, ...] = ()
    if row.latin:
        diagnostics = (not_utf8(path, row.start, source_id),)
    return SourceDocument(
        source=SourceInfo(
            path=path, line=row.start, form=SourceForm.CSV, sha256=sha256(strip_eol(raw))
        ),
        source_id=source_id,
        created=fold_or_none(values[1]),
        released=(),
        classification=fold_or_none(values[4]),
        origin=fold_or_none(values[3]),
        title=None,
        header=values[6],
        body=values[7],
        body_line=row.field_lines[7],
        header_line=row.field_lines[6],
        metadata_references=tuple(r.strip() for r in values[5].split("|") if r.strip()),
        diagnostics=diagnostics,
    )


def _broken(row: _Row, path: str, code: str, message: str, line: int) -> Diagnostic:
    return diag(
        Severity.ERROR,
        code,
        f"{message} (row starting on line {row.start}); row skipped",
        path,
        line,
        hint="repair the quoting of this row; the following rows were read",
    )


def read_csv(source: ByteSource, path: str) -> Iterator[SourceDocument | Diagnostic]:
    """Read cables.csv rows one at a time. A broken row is reported and skipped, never swallows
    the rows after it: reading resumes at the next line that starts a row."""
    row: _Row | None = None
    resync = False
    last = 0
    for raw in iter_lines(source):
        last = raw.number
        if raw.overlong:
            yield diag(
                Severity.ERROR,
                "reader.line-too-long",
                "the line is longer than the readers accept; its row is skipped",
                path,
                raw.number,
                hint="split the line; no cable line is that long",
            )
            row, resync = None, True
            continue
        text, latin = decode(raw.data)
        if row is None:
            if resync and not ROW_START.match(text):
                continue
            resync = False
            if not text.strip():
                continue
            row = _Row(start=raw.number)
        elif row.state is _State.QUOTED and text.startswith('"') and ROW_START.match(text):
            yield _broken(
                row,
                path,
                "reader.csv-row-unterminated",
                f"a quoted field (column {len(row.fields) + 1}) never closes before the next row",
                raw.number - 1,
            )
            row = _Row(start=raw.number)
        row.raw.append(raw.data)
        row.size += len(raw.data)
        row.latin = row.latin or latin
        status = _feed(row, text, raw.number)
        if status is _Status.DONE:
            result = _finish(row, path)
            yield result
            row, resync = None, isinstance(result, Diagnostic)
        elif status is _Status.BROKEN:
            yield _broken(
                row,
                path,
                "reader.csv-row-broken",
                f"text after the closing quote of column {len(row.fields) + 1}; expected ',' "
                "or the end of the row",
                raw.number,
            )
            row, resync = None, True
        elif row.size > _MAX_ROW_BYTES:
            yield _broken(
                row, path, "reader.csv-row-unterminated", "the row is too long", raw.number
            )
            row, resync = None, True
    if row is not None:
        yield _broken(
            row,
            path,
            "reader.csv-row-unterminated",
            f"a quoted field (column {len(row.fields) + 1}) never closes before the end of the input",
            last,
        )
