"""Readers: input bytes -> :class:`~cablerdf.model.SourceDocument` values, one per cable.

The form of an input (Cable Viewer page, cables.csv, JSON lines, text) is told from its
content, never from its name. Bad input is a :class:`~cablerdf.model.Diagnostic` in the
stream of results, never an exception; reading goes on with the rest of the batch.

>>> import io
>>> [type(r).__name__ for r in read_stream(io.BytesIO(b"hello"), "x.txt")]
['Diagnostic']
"""

from __future__ import annotations

import glob
import io
import os
import sys
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from cablerdf.model import Diagnostic, Severity, SourceDocument
from cablerdf.readers.cables_csv import read_csv
from cablerdf.readers.common import (
    DIAGNOSTIC_CODES,
    MAX_WHOLE_BYTES,
    SNIFF_BYTES,
    ByteSource,
    Gunzip,
    diag,
)
from cablerdf.readers.detect import Kind, sniff
from cablerdf.readers.html import read_page
from cablerdf.readers.jsonl import (
    parses_as_json,
    read_json_document,
    read_json_lines,
    restore_line_breaks,
)
from cablerdf.readers.text import read_text

__all__ = [
    "DIAGNOSTIC_CODES",
    "read_inputs",
    "read_stream",
    "restore_line_breaks",
]

STDIN_PATH = "<stdin>"
_MAX_GZIP_DEPTH = 3
_GLOB_CHARS = frozenset("*?[")


def read_inputs(
    inputs: Sequence[str], *, stdin: BinaryIO | None = None
) -> Iterator[SourceDocument | Diagnostic]:
    """Read files, folders (recursively, in sorted order), globs and ``-`` (standard input).

    Hidden entries (names starting with ``.``) inside folders are not walked. A path that
    matches nothing is an error diagnostic ``reader.missing-input``.
    """
    for item in inputs:
        if item == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield from read_stream(stream, STDIN_PATH)
            continue
        paths = _expand(item)
        if not paths:
            yield diag(
                Severity.ERROR,
                "reader.missing-input",
                "no such file or folder"
                + (", and the glob matches nothing" if _is_glob(item) else ""),
                item,
                hint="check the path; use '-' for standard input",
            )
            continue
        for path in paths:
            yield from _read_path(path)


def read_stream(stream: BinaryIO, path: str) -> Iterator[SourceDocument | Diagnostic]:
    """Read one input stream (gzip is unpacked on the fly); ``path`` names it in the results."""
    yield from _read_source(ByteSource(stream), path, 0)


def _is_glob(item: str) -> bool:
    return any(char in _GLOB_CHARS for char in item)


def _walk(folder: str) -> list[str]:
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(os.path.join(root, f) for f in sorted(files) if not f.startswith("."))
    return found


def _expand(item: str) -> list[str]:
    if os.path.isdir(item):
        return _walk(item)
    if os.path.exists(item):
        return [item]
    if not _is_glob(item):
        return []
    paths: list[str] = []
    for match in sorted(glob.glob(item, recursive=True)):
        paths.extend(_walk(match) if os.path.isdir(match) else [match])
    return paths


def _read_path(path: str) -> Iterator[SourceDocument | Diagnostic]:
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after a lazy read
    except OSError as exc:
        yield diag(
            Severity.ERROR,
            "reader.unreadable-input",
            f"could not open the input: {exc.strerror or exc}",
            path,
            hint="check the file's permissions",
        )
        return
    with handle:
        yield from read_stream(handle, path)


def _read_source(
    source: ByteSource, path: str, depth: int
) -> Iterator[SourceDocument | Diagnostic]:
    head = source.peek(SNIFF_BYTES)
    if not head:
        if source.error is None:
            yield diag(Severity.WARNING, "reader.empty-input", "the input is empty", path)
        yield from _stream_error(source, path)
        return
    kind = sniff(head)
    if kind is Kind.GZIP and depth < _MAX_GZIP_DEPTH:
        gunzip = Gunzip(source)
        yield from _read_source(ByteSource(io.BufferedReader(gunzip)), path, depth + 1)
        yield from _stream_error(source, path)
        if gunzip.error is not None:
            yield diag(
                Severity.ERROR,
                "reader.gzip-corrupt",
                f"{gunzip.error}; what came before it was read",
                path,
                hint="fetch the file again",
            )
        return
    if kind is Kind.CSV:
        yield from read_csv(source, path)
    elif kind is Kind.JSON_LINES:
        yield from read_json_lines(source, path)
    else:
        data = source.read_all(MAX_WHOLE_BYTES)
        if data is None:
            yield diag(
                Severity.ERROR,
                "reader.input-too-large",
                f"the input is larger than {MAX_WHOLE_BYTES // (1024 * 1024)} MiB and is not "
                "cables.csv or JSON lines; skipped",
                path,
                hint="split it into one file per cable",
            )
        elif kind is Kind.PAGE:
            yield from read_page(data, path)
        elif kind is Kind.JSON and parses_as_json(data):
            yield from read_json_document(data, path)
        else:
            yield from read_text(data, path)
    yield from _stream_error(source, path)


def _stream_error(source: ByteSource, path: str) -> Iterator[Diagnostic]:
    if source.error is not None:
        yield diag(
            Severity.ERROR,
            "reader.unreadable-input",
            f"reading stopped early: {source.error}; what came before it was read",
            path,
            hint="check the file and the device it is on",
        )
