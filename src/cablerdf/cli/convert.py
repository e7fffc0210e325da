"""``cablerdf convert``: cables to Turtle, JSON-LD and N-Quads, validated, in one folder."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from cablerdf.cli._common import (
    EXIT_CANNOT_RUN,
    EXIT_FAILED,
    DiagnosticSink,
    diagnostics_option,
    quiet_option,
)
from cablerdf.convert import DEFAULT_LICENSE, ConvertOptions
from cablerdf.convert import convert as run_convert
from cablerdf.settings import BASE_ENV, Settings, base_problem

EPOCH_ENV = "SOURCE_DATE_EPOCH"
"""Fixes the time recorded in ``provenance.ttl`` (seconds since 1970, UTC)."""


def _epoch() -> int | None:
    text = os.environ.get(EPOCH_ENV, "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise click.UsageError(
            f"{EPOCH_ENV}={text!r} is not a whole number of seconds since 1970-01-01 UTC"
        )
    return int(text)


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The output folder (created if needed).",
)
@click.option(
    "--base",
    metavar="IRI",
    help=f"Base of the data IRIs (default: ${BASE_ENV}, else https://w3id.org/cablegate/).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Worker processes (0: one per CPU). The output does not depend on it.",
)
@click.option(
    "--license",
    "license_iri",
    metavar="IRI",
    default=DEFAULT_LICENSE,
    show_default=True,
    help="The licence the dataset description (void.ttl) states.",
)
@click.option(
    "--strict", is_flag=True, help="Exit 1 when an input is rejected or a cable has a violation."
)
@diagnostics_option
@quiet_option
def convert(
    inputs: tuple[str, ...],
    out: Path,
    base: str | None,
    jobs: int,
    license_iri: str,
    strict: bool,
    diagnostics_format: str,
    quiet: bool,
) -> None:
    """Convert cables into linked data: per-cable Turtle and JSON-LD, N-Quads and N-Triples
    dumps, a SHACL report, a VoID description, provenance and a SHA-256 manifest.

    INPUTS are files, folders, globs, .gz files or - for standard input, as for parse. A
    cable read from several sources is one cable. Every cable is written, valid or not; a
    violation is listed in OUT/validation/summary.txt. SOURCE_DATE_EPOCH fixes the time
    recorded in OUT/provenance.ttl, so that two runs give identical files.

    \b
    Example:
        cablerdf convert sample/ --out output/ --jobs 2
    """
    settings = Settings.from_env(os.environ)
    if base is not None:
        problem = base_problem(base)
        if problem is not None:
            raise click.BadParameter(problem, param_hint="--base")
        settings = Settings(base=base)
    try:
        options = ConvertOptions(
            settings=settings,
            jobs=jobs or os.cpu_count() or 1,
            license=license_iri,
            source_date_epoch=_epoch(),
        )
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--license") from None
    sink = DiagnosticSink(sys.stderr, diagnostics_format, quiet)
    stdin = sys.stdin.buffer if "-" in inputs else None
    show_progress = sys.stderr.isatty()
    with contextlib.ExitStack() as stack:
        bars: list[Any] = []  # the bar, made when the number of cables is known

        def progress(done: int, total: int) -> None:
            if not show_progress:
                return
            if not bars:
                bar = click.progressbar(length=total, label="converting", file=sys.stderr)
                bars.append(stack.enter_context(bar))
            bars[0].update(1)

        try:
            summary = run_convert(
                list(inputs),
                out,
                options,
                stdin=stdin,
                on_diagnostic=sink.emit,
                on_progress=progress,
            )
        except OSError as err:
            click.echo(f"error: could not write the output folder {out}: {err}", err=True)
            click.get_current_context().exit(EXIT_CANNOT_RUN)
    click.echo(summary.line(), err=True)
    if summary.cables == 0 or (strict and (summary.errors or summary.violations)):
        click.get_current_context().exit(EXIT_FAILED)
