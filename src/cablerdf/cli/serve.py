"""``cablerdf serve``: every IRI of an output folder, dereferenced over HTTP."""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path

import click

from cablerdf.cli._common import EXIT_CANNOT_RUN
from cablerdf.serve import (
    LinkedDataApp,
    ServeOptions,
    default_store_dir,
    ensure_store,
    make_server,
    read_base,
)
from cablerdf.settings import BASE_ENV, Settings, base_problem
from cablerdf.store import StoreError


def _settings(output: Path, base: str | None) -> Settings:
    """The base: ``--base``, else the one the folder was made with, else the environment."""
    chosen = base or read_base(output) or Settings.from_env(os.environ).base
    problem = base_problem(chosen)
    if problem is not None:
        raise click.BadParameter(problem, param_hint="--base")
    made_with = read_base(output)
    if made_with is not None and made_with != chosen:
        click.echo(
            f"serve: warning: {output} was made with the base {made_with}, not {chosen}; "
            "its IRIs will not match the paths served",
            err=True,
        )
    return Settings(base=chosen)


def _cannot_run(message: str) -> None:
    click.echo(f"cablerdf: error: {message}", err=True)
    click.get_current_context().exit(EXIT_CANNOT_RUN)


@click.command()
@click.argument(
    "output", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="OUTPUT"
)
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option(
    "--base",
    metavar="IRI",
    help="The base of the data IRIs (default: the one OUTPUT was made with, "
    f"from its void.ttl; else ${BASE_ENV}).",
)
@click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The SPARQL store folder (default: OUTPUT.store beside OUTPUT; built from "
    "OUTPUT/dumps/cables.nq.gz when missing).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=16,
    show_default=True,
    help="Requests handled at once.",
)
@click.option(
    "--query-timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds a SPARQL query may run before it is stopped.",
)
@click.option(
    "--max-results",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Rows (or triples) a SPARQL query may return.",
)
@click.option(
    "--query-workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="SPARQL queries run at once (one process each).",
)
@click.option("--quiet", "-q", is_flag=True, help="Do not log each request.")
def serve(
    output: Path,
    host: str,
    port: int,
    base: str | None,
    store_dir: Path | None,
    threads: int,
    query_timeout: float,
    max_results: int,
    query_workers: int,
    quiet: bool,
) -> None:
    """Serve OUTPUT (a folder of `cablerdf convert`) as linked data: every IRI under the
    base resolves at the same path here, as HTML, Turtle, JSON-LD or N-Triples by content
    negotiation; SPARQL at /sparql; the VoID description at /.well-known/void.

    Read-only; binds to 127.0.0.1 unless --host says otherwise. Stop it with Ctrl-C.
    Exit 3 when the store cannot be built or the port cannot be bound.

    \b
    Example:
        cablerdf serve output/ --port 8080
        curl -H 'Accept: text/turtle' http://127.0.0.1:8080/cable/06ASTANA395
    """
    settings = _settings(output, base)
    store_path = store_dir or default_store_dir(output)
    try:
        if not ipaddress.ip_address(host).is_loopback:
            click.echo(f"serve: warning: binding {host}, reachable from other machines", err=True)
    except ValueError:
        click.echo(f"serve: warning: binding the host name {host}", err=True)
    try:
        built = ensure_store(
            output, store_path, settings, on_progress=lambda m: click.echo(m, err=True)
        )
    except StoreError as error:
        _cannot_run(str(error))
        return
    for d in built.diagnostics:
        click.echo(d.render(), err=True)
    if built.built:
        click.echo(
            f"serve: built the store {store_path}: {built.graphs} graph(s), {built.quads} quad(s)",
            err=True,
        )
    options = ServeOptions(
        output=output,
        store=store_path,
        settings=settings,
        query_timeout=query_timeout,
        max_results=max_results,
        query_workers=query_workers,
    )
    try:
        app = LinkedDataApp.open(options)
    except StoreError as error:
        _cannot_run(str(error))
        return
    try:
        server = make_server(
            app, host, port, threads=threads, log=None if quiet else sys.stderr, base=settings.base
        )
    except OSError as error:
        app.close()
        _cannot_run(f"could not listen on {host}:{port}: {error}")
        return
    click.echo(
        f"serve: {len(app.catalogue)} cable(s) of {output} at http://{host}:{server.server_port}/ "
        f"(IRIs under {settings.base}); Ctrl-C to stop",
        err=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("serve: stopped", err=True)
    finally:
        server.server_close()
        app.close()
