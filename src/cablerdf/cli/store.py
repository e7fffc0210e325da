"""``cablerdf load`` and ``cablerdf query``: fill a SPARQL store or a server, and query it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click
from pyoxigraph import NamedNode, Quad

from cablerdf.cli._common import (
    EXIT_CANNOT_RUN,
    EXIT_FAILED,
    DiagnosticSink,
    diagnostics_option,
    quiet_option,
)
from cablerdf.model import Diagnostic, Severity
from cablerdf.settings import BASE_ENV, DEFAULT_BASE, Settings
from cablerdf.store import (
    DEFAULT_STORE,
    OUTPUT_FORMATS,
    PASSWORD_ENV,
    TOKEN_ENV,
    USER_ENV,
    Endpoint,
    EndpointError,
    GraphChunk,
    LoadReport,
    StoreError,
    endpoint_session,
    input_files,
    load_quads,
    open_store,
    push_graphs,
    query_endpoint,
    query_prefixes,
    read_graphs,
    read_vocabulary,
    run_query,
    write_results,
)

PROGRESS_EVERY = 10_000
"""Graphs between two progress lines of ``cablerdf load``."""

F = TypeVar("F", bound=Callable[..., Any])


def _server_options(func: F) -> F:
    """Authentication, retries and timeout of a server."""
    options = [
        click.option("--user", envvar=USER_ENV, help=f"HTTP basic user name (or ${USER_ENV})."),
        click.option(
            "--password",
            envvar=PASSWORD_ENV,
            help=f"HTTP basic password (better: ${PASSWORD_ENV}).",
        ),
        click.option("--token", envvar=TOKEN_ENV, help=f"Bearer token (better: ${TOKEN_ENV})."),
        click.option(
            "--retries",
            type=click.IntRange(0, 10),
            default=4,
            show_default=True,
            help="Tries again after a connection error, 408, 429 or 5xx, with backoff.",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0.1),
            default=60.0,
            show_default=True,
            help="Seconds to wait for each answer.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


base_option = click.option(
    "--base",
    envvar=BASE_ENV,
    default=DEFAULT_BASE,
    show_default=True,
    help=f"The base of the data IRIs (or ${BASE_ENV}).",
)


def _settings(base: str) -> Settings:
    try:
        return Settings(base=base)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--base") from error


def _endpoint(
    url: str,
    user: str | None,
    password: str | None,
    token: str | None,
    retries: int,
    timeout: float,
) -> Endpoint:
    try:
        return Endpoint(
            url, user=user, password=password, token=token, retries=retries, timeout=timeout
        )
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--endpoint") from error


def _cannot_run(message: str) -> None:
    click.echo(f"cablerdf: error: {message}", err=True)
    click.get_current_context().exit(EXIT_CANNOT_RUN)


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--store",
    "store_dir",
    help=f"Fill the embedded store in this folder (default: {DEFAULT_STORE}).",
)
@click.option(
    "--endpoint",
    help="Push to this SPARQL 1.1 Graph Store Protocol URL instead "
    "(Oxigraph: http://HOST:7878/store; Fuseki: http://HOST:3030/DATASET/data).",
)
@click.option(
    "--graph",
    "graph_iri",
    help="The named graph for triples outside any named graph "
    "(default: the graph of the one cable a file describes).",
)
@click.option(
    "--vocabulary/--no-vocabulary",
    default=True,
    show_default=True,
    help="Also load the ontology and the concept schemes into their own graph.",
)
@base_option
@_server_options
@diagnostics_option
@quiet_option
def load(
    inputs: tuple[str, ...],
    store_dir: str | None,
    endpoint: str | None,
    graph_iri: str | None,
    vocabulary: bool,
    base: str,
    user: str | None,
    password: str | None,
    token: str | None,
    retries: int,
    timeout: float,
    diagnostics_format: str,
    quiet: bool,
) -> None:
    """Load RDF files into the embedded store, or push them to a server.

    INPUTS are N-Quads (the dump), TriG, Turtle or N-Triples files, optionally gzipped, or
    folders holding them. Each named graph (one per cable) replaces the graph of the same
    name, so loading again gives the same store. Exit 1 when an input could not be loaded;
    3 when the store or the server cannot be used.

    \b
    Examples:
        cablerdf load --store output/store output/dumps/cables.nq.gz
        CABLERDF_TOKEN=... cablerdf load --endpoint http://127.0.0.1:7878/store \\
            output/dumps/cables.nq.gz
    """
    if store_dir is not None and endpoint is not None:
        raise click.UsageError("give either --store or --endpoint, not both")
    settings = _settings(base)
    graph: NamedNode | None = None
    if graph_iri is not None:
        if not urlsplit(graph_iri).scheme:
            raise click.BadParameter("the graph must be an absolute IRI", param_hint="--graph")
        try:
            graph = NamedNode(graph_iri)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--graph") from error
    sink = DiagnosticSink(sys.stderr, diagnostics_format, quiet)

    def chunks() -> Iterator[tuple[NamedNode, tuple[Quad, ...]]]:
        count = 0
        for item in _sources(inputs, settings, graph, vocabulary):
            if isinstance(item, Diagnostic):
                sink.emit(item)
                continue
            count += 1
            if not quiet and count % PROGRESS_EVERY == 0:
                click.echo(f"load: {count} graph chunk(s) so far", err=True)
            yield item.graph, item.quads

    report: LoadReport | None = None
    where = endpoint
    try:
        if endpoint is not None:
            target = _endpoint(endpoint, user, password, token, retries, timeout)
            report = push_graphs(target, chunks())
        else:
            where = store_dir or DEFAULT_STORE
            Path(where).mkdir(parents=True, exist_ok=True)
            report = load_quads(open_store(where), chunks())
    except (StoreError, EndpointError) as error:
        _cannot_run(str(error))
        return
    except OSError as error:
        _cannot_run(f"could not create the store folder {where}: {error}")
        return
    errors = sink.counts[Severity.ERROR]
    unchanged = f" ({report.unchanged} unchanged)" if endpoint is None else ""
    click.echo(
        f"loaded {report.graphs + report.unchanged} graph(s){unchanged}, {report.quads} "
        f"quad(s) into {where}; {errors} error(s), {sink.counts[Severity.WARNING]} warning(s)",
        err=True,
    )
    if errors or report.graphs + report.unchanged == 0:
        click.get_current_context().exit(EXIT_FAILED)


def _sources(
    inputs: tuple[str, ...], settings: Settings, graph: NamedNode | None, vocabulary: bool
) -> Iterator[GraphChunk | Diagnostic]:
    """The vocabulary graph (unless left out), then the graphs of every input file."""
    if vocabulary:
        yield from read_vocabulary(settings)
    for item in input_files(inputs):
        if isinstance(item, Diagnostic):
            yield item
        else:
            yield from read_graphs(item, settings, graph)


def _read_query(query: str) -> tuple[str, str | None]:
    """The query text and the file it came from: ``-`` is standard input, a file its text."""
    if query == "-":
        return sys.stdin.read(), "<stdin>"
    path = Path(query)
    if "\n" not in query and len(query) < 4096 and path.is_file():
        try:
            return path.read_text(encoding="utf-8"), query
        except (OSError, UnicodeError) as error:
            raise click.BadParameter(f"could not read {query}: {error}") from error
    if path.suffix.lower() in (".rq", ".sparql") and " " not in query:
        raise click.BadParameter(f"no such query file: {query}")
    return query, None


@click.command()
@click.argument("query_text", metavar="QUERY")
@click.option(
    "--store",
    "store_dir",
    help=f"Query the embedded store in this folder (default: {DEFAULT_STORE}).",
)
@click.option(
    "--endpoint",
    help="Query this SPARQL 1.1 Protocol URL instead "
    "(Oxigraph: http://HOST:7878/query; Fuseki: http://HOST:3030/DATASET/sparql).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(OUTPUT_FORMATS),
    default="table",
    show_default=True,
    help="table: readable text; csv, tsv, json, xml: SPARQL 1.1 results (SELECT, ASK); "
    "nt, ttl: N-Triples or Turtle (CONSTRUCT, DESCRIBE).",
)
@click.option(
    "--union/--no-union",
    default=True,
    show_default=True,
    help="The default graph is the union of all graphs (embedded store only).",
)
@click.option(
    "--max-width",
    type=click.IntRange(min=0),
    default=80,
    show_default=True,
    help="Cut table cells to this many characters (0: never).",
)
@base_option
@_server_options
@diagnostics_option
def query(
    query_text: str,
    store_dir: str | None,
    endpoint: str | None,
    fmt: str,
    union: bool,
    max_width: int,
    base: str,
    user: str | None,
    password: str | None,
    token: str | None,
    retries: int,
    timeout: float,
    diagnostics_format: str,
) -> None:
    """Run a SPARQL 1.1 query on the embedded store or a server.

    QUERY is the query text, a file (queries/*.rq), or - for standard input. SELECT and ASK
    results print as a table or as SPARQL 1.1 CSV, TSV, JSON or XML; CONSTRUCT and DESCRIBE
    results as a table, N-Triples or Turtle. Exit 1 when the query is not valid SPARQL
    (the message gives the line and column); 3 when the store or server cannot be used.

    \b
    Examples:
        cablerdf query queries/counts-by-year.rq
        cablerdf query 'SELECT (COUNT(*) AS ?n) WHERE { ?c a <https://w3id.org/cablegate/ontology#Cable> }' --format csv
    """
    if store_dir is not None and endpoint is not None:
        raise click.UsageError("give either --store or --endpoint, not both")
    settings = _settings(base)
    text, path = _read_query(query_text)
    sink = DiagnosticSink(sys.stderr, diagnostics_format, quiet=False)
    results: Any
    try:
        if endpoint is not None:
            target = _endpoint(endpoint, user, password, token, retries, timeout)
            results = query_endpoint(target, text, session=endpoint_session(target), path=path)
        else:
            where = store_dir or DEFAULT_STORE
            if not Path(where).is_dir():
                raise click.UsageError(
                    f"no store at {where}; fill one first: cablerdf load --store {where} INPUT..."
                )
            results = run_query(open_store(where, read_only=True), text, union=union, path=path)
    except (StoreError, EndpointError) as error:
        _cannot_run(str(error))
        return
    if isinstance(results, Diagnostic):
        sink.emit(results)
        click.get_current_context().exit(EXIT_FAILED)
        return
    out = sys.stdout.buffer
    problem = write_results(results, out, fmt, query_prefixes(text, settings), max_width=max_width)
    out.flush()
    if problem is not None:
        sink.emit(problem)
        if problem.severity is Severity.ERROR:
            click.get_current_context().exit(EXIT_FAILED)
