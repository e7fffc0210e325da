"""Helpers shared by the readers: diagnostics, decoding, IDs, a peekable byte source."""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

from cablerdf.model import Diagnostic, Severity

#: Every diagnostic code the readers emit, with its meaning.
DIAGNOSTIC_CODES: Mapping[str, str] = MappingProxyType(
    {
        "reader.missing-input": "an input path or glob matches nothing",
        "reader.unreadable-input": "an input could not be opened or read",
        "reader.gzip-corrupt": "a .gz input is truncated or corrupt; what came before was read",
        "reader.empty-input": "an input holds no bytes",
        "reader.input-too-large": "a page or text input is larger than the readers hold in memory",
        "reader.not-a-cable": "an input (or JSON object) holds no cable; it was skipped",
        "reader.not-utf8": "bytes were not UTF-8 and were decoded as Latin-1",
        "reader.page-unparsed": "an HTML page could not be parsed",
        "reader.page-no-id": "a Cable Viewer page has no Reference ID cell",
        "reader.page-missing-text": "a Cable Viewer page has fewer than two <pre> blocks",
        "reader.page-extra-text": "a Cable Viewer page has more than two <pre> blocks",
        "reader.tab-row-body": "a page body held a raw tab-separated row; it was unpacked",
        "reader.csv-row-columns": "a cables.csv row does not have 8 columns",
        "reader.csv-row-broken": "a cables.csv row has text after a closing quote",
        "reader.csv-row-unterminated": "a cables.csv row has a quoted field that never closes",
        "reader.line-too-long": "a line is longer than the readers accept",
        "reader.jsonl-bad-json": "a JSON line is not valid JSON",
        "reader.jsonl-not-object": "a JSON line is not a JSON object",
        "reader.json-field-type": "a JSON field has an unexpected type; it was ignored",
        "reader.jsonl-line-breaks-restored": "line breaks removed by the export were put back",
        "reader.html-leftovers-removed": "HTML tags left in a text file were reduced to their text",
        "reader.mojibake-repaired": "double-encoded UTF-8 (e.g. 'Â¶') was repaired",
        "reader.text-metadata": "metadata printed in a text file was read and cut from the body",
        "reader.leading-text-removed": "text before the telegram's first line was cut",
        "reader.boilerplate-removed": "site boilerplate after the cable was cut",
        "reader.id-from-file-name": "a text file's reference ID was taken from its file name",
        "reader.no-reference-id": "no reference ID in the text, its metadata or its file name",
    }
)

#: A reference ID as printed: two year digits, then letters and digits (malformed IDs included).
ID_RE = re.compile(r"\d{2}[A-Z0-9]*[A-Z][A-Z0-9]*")

#: A classification as the metadata prints it.
CLASSIFICATION_RE = re.compile(
    r"(?:TOP SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED)"
    r"(?://(?:NOFORN|FOR OFFICIAL USE ONLY|[A-Z]+))*"
)

_WS = re.compile(r"\s+")
_PATH_SEPARATOR = re.compile(r"[\\/]")
_FILE_ID = re.compile(r"(\d{2}[A-Z0-9]*[A-Z][A-Z0-9]*?)(?:__.*)?")

#: How many bytes are looked at to tell the form of an input.
SNIFF_BYTES = 64 * 1024
#: Pages and text files are read whole up to this size.
MAX_WHOLE_BYTES = 256 * 1024 * 1024
_CHUNK = 4096
_MAX_INFLATE = 1024 * 1024
#: Longest line accepted in CSV and JSON-lines inputs.
MAX_LINE_BYTES = 32 * 1024 * 1024


def fold(text: str) -> str:
    """Fold runs of white space to one space and strip both ends."""
    return _WS.sub(" ", text).strip()


def fold_or_none(text: str | None) -> str | None:
    """Like :func:`fold`, with ``None`` for a missing or blank value."""
    if text is None:
        return None
    folded = fold(text)
    return folded or None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode(data: bytes) -> tuple[str, bool]:
    """Decode UTF-8 (BOM dropped); fall back to Latin-1. Returns the text and whether it fell back."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("latin-1"), True


def id_from_file_name(path: str) -> str | None:
    """The reference ID a file is named for (``<ID>.txt``, ``<ID>__anything.txt``), if any."""
    name = _PATH_SEPARATOR.split(path)[-1]
    name = name.removesuffix(".gz")
    stem = name.split(".", 1)[0]
    match = _FILE_ID.fullmatch(stem)
    return match.group(1) if match else None


def diag(
    severity: Severity,
    code: str,
    message: str,
    path: str | None,
    line: int | None = None,
    *,
    reference_id: str | None = None,
    hint: str | None = None,
) -> Diagnostic:
    """Build a :class:`Diagnostic` (a short form used throughout the readers)."""
    return Diagnostic(severity, code, message, path, line, reference_id, hint)


def not_utf8(path: str, line: int | None = None, reference_id: str | None = None) -> Diagnostic:
    return diag(
        Severity.INFO,
        "reader.not-utf8",
        "the bytes are not UTF-8; decoded as Latin-1 (ISO-8859-1)",
        path,
        line,
        reference_id=reference_id,
        hint="re-encode the file as UTF-8 if Latin-1 is not its encoding",
    )


class Readable(Protocol):
    """What the readers need of a byte stream (files, stdin, gzip, BytesIO)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def readline(self, size: int = -1, /) -> bytes: ...


#: Errors a failing byte stream can raise (I/O, truncated or corrupt gzip).
STREAM_ERRORS = (OSError, EOFError, zlib.error)


@dataclass
class ByteSource:
    """A byte stream with a look-ahead buffer; read errors end the stream and are kept.

    Mutable on purpose: it is the reading position of one input, owned by one reader.
    """

    stream: Readable
    buffer: bytes = b""
    pos: int = 0
    error: BaseException | None = None
    eof: bool = False

    def _call(self, read: Callable[[int], bytes], size: int) -> bytes:
        if self.eof:
            return b""
        try:
            chunk = read(size)
        except STREAM_ERRORS as exc:
            self.error = exc
            self.eof = True
            return b""
        if not chunk:
            self.eof = True
        return chunk or b""

    def peek(self, size: int) -> bytes:
        """Up to ``size`` bytes from the current position, without consuming them."""
        while len(self.buffer) - self.pos < size and not self.eof:
            # small reads: a stream that fails (truncated gzip) keeps what came before
            want = min(_CHUNK, size - len(self.buffer) + self.pos)
            self.buffer = self.buffer[self.pos :] + self._call(self.stream.read, want)
            self.pos = 0
        return self.buffer[self.pos : self.pos + size]

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all when negative); fewer only at the end."""
        if size < 0:
            return self.read_all(MAX_WHOLE_BYTES * 64) or b""
        held = self.buffer[self.pos : self.pos + size]
        self.pos += len(held)
        if len(held) < size:
            held += self._call(self.stream.read, size - len(held))
        return held

    def readline(self, limit: int) -> bytes:
        """One line with its ``\\n`` (or the rest of the stream), at most ``limit`` bytes."""
        if self.pos < len(self.buffer):
            cut = self.buffer.find(b"\n", self.pos, self.pos + limit)
            if cut >= 0:
                line = self.buffer[self.pos : cut + 1]
                self.pos = cut + 1
                return line
            line = self.buffer[self.pos : self.pos + limit]
            self.pos += len(line)
            if len(line) < limit and not line.endswith(b"\n"):
                line += self._call(self.stream.readline, limit - len(line))
            return line
        return self._call(self.stream.readline, limit)

    def read_all(self, limit: int) -> bytes | None:
        """The rest of the stream, or ``None`` when it is longer than ``limit``."""
        parts = [self.buffer[self.pos :]]
        size = len(parts[0])
        self.buffer, self.pos = b"", 0
        while not self.eof:
            chunk = self._call(self.stream.read, SNIFF_BYTES * 16)
            size += len(chunk)
            if size > limit:
                return None
            parts.append(chunk)
        return b"".join(parts)


@dataclass(frozen=True)
class RawLine:
    """One physical line of a line-oriented input."""

    number: int  # 1-based
    data: bytes  # with its line terminator
    overlong: bool = False  # longer than MAX_LINE_BYTES: ``data`` holds only its start


def iter_lines(source: ByteSource, limit: int = MAX_LINE_BYTES) -> Iterator[RawLine]:
    """The lines of a source, one at a time; an overlong line is cut and flagged."""
    number = 0
    while True:
        line = source.readline(limit)
        if not line:
            return
        number += 1
        if len(line) >= limit and not line.endswith(b"\n"):
            rest = line
            while rest and not rest.endswith(b"\n"):
                rest = source.readline(limit)
            yield RawLine(number, line[:200], overlong=True)
            continue
        yield RawLine(number, line)


def strip_eol(data: bytes) -> bytes:
    """The bytes of a line without its terminator."""
    if data.endswith(b"\r\n"):
        return data[:-2]
    if data.endswith((b"\n", b"\r")):
        return data[:-1]
    return data


class Gunzip(io.RawIOBase):
    """Gzip data from a :class:`ByteSource`, unpacked as it is read; never raises.

    Corrupt or truncated data ends the stream early; the reason is kept in ``error``.
    Concatenated gzip members are read one after another.
    """

    def __init__(self, source: ByteSource) -> None:
        super().__init__()
        self.source = source
        self.error: str | None = None
        self._inflater = zlib.decompressobj(wbits=31)
        self._input = b""
        self._pending = b""
        self._in_member = False
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending and not self._done:
            self._inflate()
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _inflate(self) -> None:
        if not self._input:
            self._input = self.source.read(_CHUNK * 16)
            if not self._input:
                if self._in_member or self.source.error is not None:
                    self.error = "the gzip data ends before its end marker (truncated)"
                self._done = True
                return
        if not self._in_member and not self._input.strip(b"\x00"):
            self._input = b""  # zero padding after the last member
            return
        try:
            self._pending = self._inflater.decompress(self._input, _MAX_INFLATE)
        except zlib.error as exc:
            self.error = f"corrupt gzip data ({exc})"
            self._done = True
            return
        self._in_member = True
        self._input = self._inflater.unconsumed_tail
        if self._inflater.eof:
            self._input = self._inflater.unused_data + self._input
            self._inflater = zlib.decompressobj(wbits=31)
            self._in_member = False
