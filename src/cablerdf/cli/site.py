"""``cablerdf site``: the server's pages and data as a static site."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from cablerdf.cli._common import EXIT_CANNOT_RUN, EXIT_FAILED
from cablerdf.serve import read_base
from cablerdf.settings import BASE_ENV, Settings, base_problem
from cablerdf.site import SiteOptions, write_site


@click.command()
@click.argument(
    "output", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="OUTPUT"
)
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The site folder (created if needed).",
)
@click.option(
    "--base",
    metavar="IRI",
    help="The base of the data IRIs (default: the one OUTPUT was made with, "
    f"from its void.ttl; else ${BASE_ENV}).",
)
@click.option(
    "--site-url",
    metavar="URL",
    help="Where the site will be published, ending in / (default: the base); used by the "
    "sitemap and the server configuration.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Worker processes for the cable pages (0: one per CPU). The site does not depend on it.",
)
def site(output: Path, out: Path, base: str | None, site_url: str | None, jobs: int) -> None:
    """Write OUTPUT (a folder of `cablerdf convert`) as a static site for any static host:
    a page, Turtle, JSON-LD and N-Triples for every cable at the path of its IRI, pages for
    posts and browsing, the dumps, sitemap.xml, and a configuration for Apache (.htaccess)
    and nginx (nginx-cablerdf.conf) that does content negotiation and paragraph IRIs.

    The same OUTPUT gives the same bytes. Files a previous run wrote into OUT and this one
    does not are removed. Exit 1 when a cable could not be read; 3 when OUT cannot be
    written.

    \b
    Example:
        cablerdf site output/ --out site/ --jobs 2
    """
    chosen = base or read_base(output) or Settings.from_env(os.environ).base
    problem = base_problem(chosen)
    if problem is not None:
        raise click.BadParameter(problem, param_hint="--base")
    if site_url is not None and (
        not site_url.startswith(("http://", "https://")) or not site_url.endswith("/")
    ):
        raise click.BadParameter(
            "the site URL must be an http(s) URL ending in /", param_hint="--site-url"
        )
    options = SiteOptions(Settings(base=chosen), site_url, jobs or os.cpu_count() or 1)
    show_progress = sys.stderr.isatty()
    with contextlib.ExitStack() as stack:
        bars: list[Any] = []

        def progress(done: int, total: int) -> None:
            if not show_progress:
                return
            if not bars:
                bar = click.progressbar(length=total, label="writing pages", file=sys.stderr)
                bars.append(stack.enter_context(bar))
            bars[0].update(1)

        try:
            summary = write_site(output, out, options, on_progress=progress)
        except OSError as error:
            click.echo(f"cablerdf: error: could not write the site folder {out}: {error}", err=True)
            click.get_current_context().exit(EXIT_CANNOT_RUN)
            return
    for d in summary.diagnostics:
        click.echo(d.render(), err=True)
    click.echo(f"site: {summary.line()}", err=True)
    if summary.diagnostics:
        click.get_current_context().exit(EXIT_FAILED)
