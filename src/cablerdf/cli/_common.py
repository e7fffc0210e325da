"""What every command shares: exit codes, diagnostics on standard error, common options.

Standard output carries data; standard error carries diagnostics and progress. Exit codes:

* 0: done (warnings allowed);
* 1: done, but nothing could be read, or (with ``--strict``) a record was rejected;
* 2: usage error (click);
* 3: could not run (broken machinery, e.g. an unwritable output folder).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import TextIO

import click

from cablerdf.cable_ids import default_index
from cablerdf.model import Diagnostic, Severity
from cablerdf.parsing import ParseResult, parse_documents
from cablerdf.readers import read_inputs

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CANNOT_RUN = 3


class DiagnosticSink:
    """Writes diagnostics to standard error as text or JSON lines, and counts them."""

    def __init__(self, stream: TextIO, fmt: str, quiet: bool) -> None:
        self.stream = stream
        self.fmt = fmt
        self.quiet = quiet
        self.counts = {s: 0 for s in Severity}

    def emit(self, d: Diagnostic) -> None:
        self.counts[d.severity] += 1
        if self.quiet and d.severity is Severity.INFO:
            return
        if self.fmt == "json":
            self.stream.write(json.dumps(d.to_json(), ensure_ascii=False, sort_keys=True) + "\n")
        else:
            self.stream.write(d.render() + "\n")


def _parse_inputs(inputs: tuple[str, ...]) -> Iterator[ParseResult]:
    stdin = sys.stdin.buffer if "-" in inputs else None
    return parse_documents(read_inputs(list(inputs), stdin=stdin), default_index())


diagnostics_option = click.option(
    "--diagnostics",
    "diagnostics_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to write diagnostics on standard error.",
)
quiet_option = click.option(
    "--quiet", "-q", is_flag=True, help="Do not show info diagnostics (corrections applied)."
)
strict_option = click.option(
    "--strict", is_flag=True, help="Exit 1 when any input gives an error diagnostic."
)
