"""``cablerdf fetch``: download Cable Viewer pages into a cache folder."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cablerdf.cli._common import (
    EXIT_CANNOT_RUN,
    EXIT_FAILED,
    DiagnosticSink,
    diagnostics_option,
    quiet_option,
)
from cablerdf.fetch import DEFAULT_BASE_URL, FetchResult, FetchSettings
from cablerdf.fetch import fetch as fetch_pages
from cablerdf.model import Diagnostic, Severity


def _items(arguments: tuple[str, ...]) -> list[str]:
    """The arguments, with ``-`` replaced by the lines of standard input."""
    items: list[str] = []
    for argument in arguments:
        if argument == "-":
            items += [line.strip() for line in sys.stdin if line.strip()]
        else:
            items.append(argument)
    return items


@click.command()
@click.argument("items", nargs=-1, required=True)
@click.option(
    "--to",
    "to",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The cache folder: pages go to HOST/PATH, each with a hidden sidecar JSON.",
)
@click.option(
    "--base-url",
    default=DEFAULT_BASE_URL,
    show_default=True,
    help="The Cable Viewer site reference IDs are fetched from (/cable/YYYY/MM/ID.html).",
)
@click.option(
    "--rate",
    type=float,
    default=1.0,
    show_default=True,
    help="At most this many requests per second (robots.txt and retries included).",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 10),
    default=3,
    show_default=True,
    help="Further tries after a timeout, a broken connection, a truncated body or a 5xx.",
)
@click.option(
    "--backoff",
    type=float,
    default=1.0,
    show_default=True,
    help="Seconds before the first retry; doubled for each next one.",
)
@click.option(
    "--connect-timeout",
    type=float,
    default=10.0,
    show_default=True,
    help="Seconds to wait for a connection.",
)
@click.option(
    "--read-timeout",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds to wait for each read.",
)
@click.option(
    "--max-seconds",
    type=float,
    default=300.0,
    show_default=True,
    help="Seconds for a whole download.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(1),
    default=32 * 1024 * 1024,
    show_default=True,
    help="The size cap of a page; a larger body is abandoned.",
)
@click.option("--contact", default=None, help="An e-mail address or URL added to the User-Agent.")
@diagnostics_option
@quiet_option
def fetch(
    items: tuple[str, ...],
    to: Path,
    base_url: str,
    rate: float,
    retries: int,
    backoff: float,
    connect_timeout: float,
    read_timeout: float,
    max_seconds: float,
    max_bytes: int,
    contact: str | None,
    diagnostics_format: str,
    quiet: bool,
) -> None:
    """Download cable pages (reference IDs or URLs) into a cache folder.

    ITEMS are reference IDs (06ASTANA395), http(s) URLs, or - to read them from standard
    input, one per line. Each page is kept byte for byte, with its URL, status, headers,
    SHA-256 and retrieval time in a hidden sidecar JSON beside it; a later run asks the
    server whether the page changed (a 304 keeps the cached copy). robots.txt is obeyed.
    The path of each page kept is written to standard output.

    \b
    Example:
        cablerdf fetch 06ASTANA395 10BERLIN180 --to cache/ --rate 0.5
        cablerdf parse cache/
    """
    try:
        settings = FetchSettings(
            base_url=base_url,
            requests_per_second=rate,
            retries=retries,
            backoff=backoff,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_seconds=max_seconds,
            max_bytes=max_bytes,
            contact=contact,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    sink = DiagnosticSink(sys.stderr, diagnostics_format, quiet)
    kept = unchanged = 0
    try:
        for item in fetch_pages(_items(items), to, settings):
            if isinstance(item, Diagnostic):
                sink.emit(item)
                continue
            kept += 1
            unchanged += isinstance(item, FetchResult) and item.not_modified
            click.echo(str(item.path))
    except OSError as exc:
        click.echo(f"cablerdf fetch: cannot write the cache folder {to}: {exc}", err=True)
        click.get_current_context().exit(EXIT_CANNOT_RUN)
    errors = sink.counts[Severity.ERROR]
    click.echo(
        f"kept {kept} page(s), {unchanged} of them unchanged (304); {errors} error(s), "
        f"{sink.counts[Severity.WARNING]} warning(s), {sink.counts[Severity.INFO]} info",
        err=True,
    )
    if errors:
        click.get_current_context().exit(EXIT_FAILED)
