"""``cablerdf parse``: cable records as JSON Lines."""

from __future__ import annotations

import json
import sys

import click

from cablerdf.cli._common import (
    EXIT_FAILED,
    DiagnosticSink,
    _parse_inputs,
    diagnostics_option,
    quiet_option,
    strict_option,
)
from cablerdf.model import Severity


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "summary"]),
    default="json",
    show_default=True,
    help="json: one cable record per line (JSON Lines); summary: one line per cable.",
)
@diagnostics_option
@quiet_option
@strict_option
def parse(
    inputs: tuple[str, ...], fmt: str, diagnostics_format: str, quiet: bool, strict: bool
) -> None:
    """Parse cables into cable records.

    INPUTS are files, folders, globs, .gz files or - for standard input; the form of each
    (Cable Viewer page, cables.csv, text, JSON lines) is detected from its content.

    \b
    Example:
        cablerdf parse sample/ --format json > cables.jsonl
    """
    sink = DiagnosticSink(sys.stderr, diagnostics_format, quiet)
    out = sys.stdout
    records = 0
    for result in _parse_inputs(inputs):
        for d in result.diagnostics:
            sink.emit(d)
        rec = result.record
        if rec is None:
            continue
        records += 1
        if fmt == "json":
            out.write(json.dumps(rec.to_json(), ensure_ascii=False, sort_keys=True) + "\n")
        else:
            level = rec.classification.printed if rec.classification else "-"
            out.write(
                f"{rec.reference_id}\t{rec.created or '-'}\t{level}\t{rec.origin or '-'}\t"
                f"{len(rec.paragraphs)} paragraphs\t{rec.source.path if rec.source else '-'}\n"
            )
    errors = sink.counts[Severity.ERROR]
    click.echo(
        f"parsed {records} cable(s); {errors} error(s), "
        f"{sink.counts[Severity.WARNING]} warning(s), {sink.counts[Severity.INFO]} info",
        err=True,
    )
    if records == 0 or (strict and errors):
        click.get_current_context().exit(EXIT_FAILED)
