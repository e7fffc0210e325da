"""``cablerdf archive``: package a release as a BagIt bag, or verify a bag."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from cablerdf.archive import archive as make_archive
from cablerdf.archive import verify
from cablerdf.cli._common import (
    EXIT_CANNOT_RUN,
    EXIT_FAILED,
    DiagnosticSink,
    diagnostics_option,
    quiet_option,
)
from cablerdf.model import Severity
from cablerdf.settings import Settings

EPOCH_ENV = "SOURCE_DATE_EPOCH"


def _quiet_bagit() -> None:
    """bagit logs what :func:`verify` reports as diagnostics; keep it off standard error."""
    logger = logging.getLogger("bagit")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


def _epoch() -> int | None:
    text = os.environ.get(EPOCH_ENV, "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise click.UsageError(f"{EPOCH_ENV} must be a whole number of seconds, not {text!r}")
    return int(text)


@click.command()
@click.argument(
    "output_dir",
    required=False,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--to",
    "bag",
    type=click.Path(path_type=Path),
    help="The bag to write: a new folder (or an empty one).",
)
@click.option(
    "--sources",
    "sources",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Input files or folders to include under data/sources/ (repeat for several).",
)
@click.option(
    "--verify",
    "verify_bag",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Check the fixity of an existing bag instead; exit 1 when anything is wrong.",
)
@diagnostics_option
@quiet_option
def archive(
    output_dir: Path | None,
    bag: Path | None,
    sources: tuple[Path, ...],
    verify_bag: Path | None,
    diagnostics_format: str,
    quiet: bool,
) -> None:
    """Package an output folder as a BagIt bag (RFC 8493), or verify a bag.

    The bag holds OUTPUT_DIR under data/output/, each --sources under data/sources/, a PROV
    record of the run in metadata/provenance.ttl, and SHA-256 and SHA-512 manifests. With
    SOURCE_DATE_EPOCH set, the bag's bytes are the same on every run. --verify names every
    file that changed, is missing, or is in no manifest.

    \b
    Example:
        cablerdf archive output/ --to cablegate-2024.bag --sources cache/
        cablerdf archive --verify cablegate-2024.bag
    """
    _quiet_bagit()
    sink = DiagnosticSink(sys.stderr, diagnostics_format, quiet)
    ctx = click.get_current_context()
    if verify_bag is not None:
        if output_dir is not None or bag is not None or sources:
            raise click.UsageError(
                "--verify takes only the bag; give no OUTPUT_DIR, --to or --sources"
            )
        result = verify(verify_bag)
        for d in result.diagnostics:
            sink.emit(d)
        if result.valid:
            click.echo(
                f"bag {verify_bag} is valid: {result.files} payload file(s), {result.bytes} bytes",
                err=True,
            )
            return
        click.echo(f"bag {verify_bag} is NOT valid: {len(result.diagnostics)} problem(s)", err=True)
        ctx.exit(EXIT_FAILED)
    if output_dir is None or bag is None:
        raise click.UsageError("give OUTPUT_DIR and --to BAG, or --verify BAG")
    try:
        settings = Settings.from_env(os.environ)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    epoch = _epoch()
    try:
        made = make_archive(output_dir, bag, settings, sources=sources, source_date_epoch=epoch)
    except (FileExistsError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc
    except OSError as exc:
        click.echo(f"cablerdf archive: could not write the bag: {exc}", err=True)
        ctx.exit(EXIT_CANNOT_RUN)
    for d in made.diagnostics:
        sink.emit(d)
    if made.bag is None:
        click.echo("no bag was written", err=True)
        ctx.exit(EXIT_FAILED)
    click.echo(str(made.bag))
    click.echo(f"bagged {made.files} file(s), {made.bytes} bytes into {made.bag}", err=True)
    if sink.counts[Severity.ERROR]:
        ctx.exit(EXIT_FAILED)
