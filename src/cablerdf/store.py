"""The store: cable graphs loaded into a SPARQL store, and SPARQL queries over them.

Two kinds of store, one rule: **one named graph per cable, replaced whole when loaded again**,
so loading the same data twice leaves the same store.

* Embedded: an on-disk pyoxigraph :class:`~pyoxigraph.Store` (:func:`open_store`,
  :func:`load_quads`, :func:`run_query`).
* A server: any SPARQL 1.1 Graph Store HTTP Protocol endpoint, one ``PUT ?graph=G`` per
  cable (:func:`push_graphs`), and any SPARQL 1.1 Protocol endpoint for queries
  (:func:`query_endpoint`).

Inputs are RDF files (:func:`read_graphs`): N-Quads (the dump), TriG, Turtle, N-Triples,
optionally gzipped. The ontology and the concept schemes go into a graph of their own,
:data:`VOCABULARY_GRAPH` (:func:`read_vocabulary`). Bad input and bad queries are results
(:class:`~cablerdf.model.Diagnostic`); a store or server that cannot be used raises
:class:`StoreError` or :class:`EndpointError`. See ``docs/triplestores.md``.
"""

from __future__ import annotations

import functools
import gzip
import io
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO, Final, TypeAlias, cast
from urllib.parse import urlsplit

import requests
from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Store,
    Triple,
    Variable,
    parse,
    parse_query_results,
    serialize,
)
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from cablerdf import __version__, iris, vocab
from cablerdf.iris import Minter
from cablerdf.model import Diagnostic, Severity
from cablerdf.settings import Settings

__all__ = [
    "DEFAULT_STORE",
    "OUTPUT_FORMATS",
    "VOCABULARY_GRAPH",
    "Endpoint",
    "EndpointError",
    "GraphChunk",
    "LoadReport",
    "QueryResults",
    "StoreError",
    "endpoint_session",
    "input_files",
    "load_quads",
    "open_store",
    "push_graphs",
    "query_endpoint",
    "query_prefixes",
    "rdf_format",
    "read_graphs",
    "read_vocabulary",
    "render_table",
    "run_query",
    "store_counts",
    "syntax_excerpt",
    "write_results",
]

DEFAULT_STORE: Final = "output/store"
"""Where the CLI keeps the embedded store when ``--store`` is not given."""

VOCABULARY_GRAPH: Final = iris.ontology()
"""The named graph that holds the ontology and the concept schemes (labels, ranks)."""

RDF_FORMATS: Final[Mapping[str, RdfFormat]] = {
    ".nq": RdfFormat.N_QUADS,
    ".nquads": RdfFormat.N_QUADS,
    ".trig": RdfFormat.TRIG,
    ".nt": RdfFormat.N_TRIPLES,
    ".ntriples": RdfFormat.N_TRIPLES,
    ".ttl": RdfFormat.TURTLE,
}
"""The RDF formats read, by file extension (each may also end in ``.gz``)."""

_VOCABULARY_FILES: Final = ("cablerdf.ttl", "schemes.ttl")
_BATCH_QUADS: Final = 50_000
_EXCERPT: Final = 300
_QUERY_ERROR = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)
_PREFIX_DECL = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^<>\s]*)>", re.IGNORECASE)
_LOCAL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.,/%-]*")  # readable, not Turtle syntax
_WHITE = re.compile(r"\s+")


class StoreError(Exception):
    """The embedded store could not be opened, read or written (broken machinery)."""


class EndpointError(Exception):
    """A server could not be reached, refused us, or answered with an error."""


def _diagnostic(
    severity: Severity, code: str, message: str, hint: str, path: str | None, line: int | None
) -> Diagnostic:
    return Diagnostic(severity, code, message, path=path, line=line, hint=hint)


# ---- reading RDF files ---------------------------------------------------------------------


@dataclass(frozen=True)
class GraphChunk:
    """Quads of one named graph read in one go (a graph may come in several chunks)."""

    graph: NamedNode
    quads: tuple[Quad, ...]
    path: str | None = None


def rdf_format(path: str) -> RdfFormat | None:
    """The RDF format of a file by its extension (``.nq``, ``.ttl.gz``...), or None."""
    name = path.lower().removesuffix(".gz")
    dot = name.rfind(".")
    return RDF_FORMATS.get(name[dot:]) if dot >= 0 else None


def input_files(paths: Iterable[str]) -> Iterator[str | Diagnostic]:
    """The RDF files named or found (recursively, sorted) under the folders named."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(
                str(p) for p in path.rglob("*") if p.is_file() and rdf_format(p.name) is not None
            )
            if not found:
                yield _diagnostic(
                    Severity.ERROR,
                    "store.no-rdf-files",
                    "no RDF file found in this folder",
                    "expected files ending in " + ", ".join(RDF_FORMATS) + " (or .gz)",
                    name,
                    None,
                )
            yield from found
        elif path.is_file():
            yield name
        else:
            yield _diagnostic(
                Severity.ERROR,
                "store.input-missing",
                "no such file or folder",
                "check the path",
                name,
                None,
            )


def _open_bytes(path: str) -> IO[bytes]:
    if path.lower().endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")


def read_graphs(
    path: str, settings: Settings, graph: NamedNode | None = None
) -> Iterator[GraphChunk | Diagnostic]:
    """The named graphs of an RDF file, one chunk per run of quads in the same graph.

    Triples outside any named graph (a Turtle or N-Triples file, or the default graph of an
    N-Quads or TriG file) go into ``graph`` when given, else into the graph of the one cable
    they describe (``a cr:Cable``, its IRI under ``settings.base``); otherwise they are
    refused with a diagnostic. A syntax error ends the file: the graphs read before it are
    kept, the graph being read when it came is dropped. Never raises on bad input.
    """
    fmt = rdf_format(path)
    if fmt is None:
        yield _diagnostic(
            Severity.ERROR,
            "store.unknown-format",
            "not a known RDF file name",
            "expected a name ending in " + ", ".join(RDF_FORMATS) + " (or .gz); "
            "JSON-LD is not read here: load the N-Quads dump instead",
            path,
            None,
        )
        return
    current: NamedNode | None = None
    quads: list[Quad] = []
    loose: list[Triple] = []
    cables: set[str] = set()
    try:
        with _open_bytes(path) as stream:
            for quad in parse(input=stream, format=fmt):
                name = quad.graph_name
                if isinstance(name, DefaultGraph):
                    if graph is None:
                        if len(cables) <= 1:  # past two cables, the triples are refused anyway
                            if quad.predicate == vocab.RDF.type and quad.object == vocab.CR.Cable:
                                cables.add(str(quad.subject))
                            loose.append(quad.triple)
                        continue
                    name = graph
                    quad = Quad(quad.subject, quad.predicate, quad.object, graph)
                elif not isinstance(name, NamedNode):
                    yield _diagnostic(
                        Severity.ERROR,
                        "store.blank-graph-name",
                        "a graph named by a blank node cannot be replaced when loaded again",
                        "name every graph with an IRI",
                        path,
                        None,
                    )
                    return
                if name != current:
                    if current is not None and quads:
                        yield GraphChunk(current, tuple(quads), path)
                    current, quads = name, []
                quads.append(quad)
    except SyntaxError as error:
        dropped = f"; graph {current.value} was not loaded" if current is not None else ""
        yield _diagnostic(
            Severity.ERROR,
            "store.syntax-error",
            f"not valid {fmt.name}: {error.msg}{dropped}",
            "the graphs before this line were loaded; fix the file and load it again",
            path,
            error.lineno,
        )
        return
    except (OSError, EOFError, zlib.error, UnicodeError) as error:
        yield _diagnostic(
            Severity.ERROR,
            "store.unreadable",
            f"could not read the file: {error}",
            "check that the file is complete (and gzipped when its name ends in .gz)",
            path,
            None,
        )
        return
    if current is not None and quads:
        yield GraphChunk(current, tuple(quads), path)
    if loose:
        yield from _place_loose(path, loose, cables, settings)


def _place_loose(
    path: str, loose: list[Triple], cables: set[str], settings: Settings
) -> Iterator[GraphChunk | Diagnostic]:
    """Put triples outside any named graph into the graph of the one cable they describe."""
    if len(cables) != 1:
        what = "several cables" if cables else "no cable (nothing is a cr:Cable)"
        yield _diagnostic(
            Severity.ERROR,
            "store.no-graph",
            f"the triples outside any named graph describe {what}, so their graph is unknown; "
            "they were not loaded",
            "load the N-Quads dump, one file per cable, or give --graph IRI",
            path,
            None,
        )
        return
    cable = next(iter(cables)).strip("<>")
    minter = Minter.for_settings(settings)
    parsed = minter.parse(cable)
    if parsed is None or parsed.kind != "cable" or parsed.rest:
        yield _diagnostic(
            Severity.ERROR,
            "store.no-graph",
            f"the cable {cable} is not a cable IRI under the base {settings.base}; "
            "its triples were not loaded",
            "give the base the data was made with (--base) or the graph (--graph IRI)",
            path,
            None,
        )
        return
    target = minter.graph(parsed.key)
    yield GraphChunk(
        target, tuple(Quad(t.subject, t.predicate, t.object, target) for t in loose), path
    )


@functools.lru_cache(maxsize=1)
def vocabulary_dir() -> Path | None:
    """The folder holding ``cablerdf.ttl`` and ``schemes.ttl``: packaged, else the checkout's."""
    packaged = resources.files("cablerdf").joinpath("data", "ontology")
    candidates = [Path(str(packaged)), Path(__file__).resolve().parents[2] / "ontology"]
    for folder in candidates:
        if all((folder / name).is_file() for name in _VOCABULARY_FILES):
            return folder
    return None


def read_vocabulary(settings: Settings) -> Iterator[GraphChunk | Diagnostic]:
    """The ontology and the concept schemes, as chunks of :data:`VOCABULARY_GRAPH`."""
    folder = vocabulary_dir()
    if folder is None:
        yield _diagnostic(
            Severity.WARNING,
            "store.vocabulary-missing",
            "the ontology files (ontology/cablerdf.ttl, ontology/schemes.ttl) were not found; "
            "labels and ranks of the schemes are not loaded",
            "run from a cablerdf checkout, or load them with --graph " + VOCABULARY_GRAPH.value,
            None,
            None,
        )
        return
    quads: list[Quad] = []
    for name in _VOCABULARY_FILES:  # one chunk, so that an unchanged vocabulary is left alone
        for item in read_graphs(str(folder / name), settings, VOCABULARY_GRAPH):
            if isinstance(item, Diagnostic):
                yield item
            else:
                quads.extend(item.quads)
    yield GraphChunk(VOCABULARY_GRAPH, tuple(quads), str(folder))


# ---- the embedded store --------------------------------------------------------------------


@dataclass(frozen=True)
class LoadReport:
    """What a load did: graphs written (new or replaced), graphs found unchanged, quads read."""

    graphs: int
    unchanged: int
    quads: int


def open_store(path: str | Path, *, read_only: bool = False) -> Store:
    """The embedded store in folder ``path`` (created when missing, unless ``read_only``)."""
    try:
        return Store.read_only(str(path)) if read_only else Store(str(path))
    except OSError as error:
        raise StoreError(
            f"could not open the store at {path}: {error} (is another cablerdf process using it?)"
        ) from error


def load_quads(
    store: Store,
    quads_by_graph: Iterable[tuple[NamedNode, Iterable[Quad]]],
    *,
    batch_quads: int = _BATCH_QUADS,
) -> LoadReport:
    """Load graphs into ``store``, each replacing the graph of the same name.

    Every quad is stored in the graph it is given with. A graph met again in the same call
    is added to, not replaced, so a graph may come in several chunks. A graph that already
    holds exactly the quads given is left alone. Raises :class:`StoreError` when the store
    cannot be written; a load cut short leaves some graphs old or missing: load again.
    """
    seen: set[NamedNode] = set()
    pending: list[Quad] = []
    written = unchanged = total = 0
    try:
        for graph, quads in quads_by_graph:
            new = [
                q if q.graph_name == graph else Quad(q.subject, q.predicate, q.object, graph)
                for q in quads
            ]
            total += len(new)
            if graph not in seen:
                seen.add(graph)
                if store.contains_named_graph(graph):
                    if _holds_exactly(store, graph, new):
                        unchanged += 1
                        continue
                    store.remove_graph(graph)
                written += 1
                if not new:
                    store.add_graph(graph)
            pending.extend(new)
            if len(pending) >= batch_quads:
                store.bulk_extend(pending)
                pending = []
        if pending:
            store.bulk_extend(pending)
        store.flush()
    except OSError as error:
        raise StoreError(f"could not write the store: {error}") from error
    return LoadReport(written, unchanged, total)


_GRAPH_SIZE: Final = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def _holds_exactly(store: Store, graph: NamedNode, quads: list[Quad]) -> bool:
    """Whether ``graph`` holds exactly ``quads``: as many quads, and each of them."""
    distinct = set(quads)
    found = store.query(_GRAPH_SIZE, substitutions={Variable("g"): graph})
    assert isinstance(found, QuerySolutions)
    rows = list(found)
    size = int(rows[0]["n"].value) if rows else 0
    return size == len(distinct) and all(q in store for q in distinct)


@dataclass(frozen=True)
class StoreCounts:
    """How many named graphs and quads a store holds."""

    graphs: int
    quads: int


def store_counts(store: Store) -> StoreCounts:
    """Count the named graphs and the quads of ``store`` (a full scan)."""
    try:
        return StoreCounts(sum(1 for _ in store.named_graphs()), len(store))
    except OSError as error:
        raise StoreError(f"could not read the store: {error}") from error


# ---- queries -------------------------------------------------------------------------------

QueryResults: TypeAlias = QuerySolutions | QueryBoolean | QueryTriples | list[Triple]
"""What a query gives: solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT, DESCRIBE)."""

OUTPUT_FORMATS: Final = ("table", "csv", "tsv", "json", "xml", "nt", "ttl")
"""Output formats: a text table, SPARQL 1.1 results (CSV, TSV, JSON, XML), or RDF."""

_RESULT_FORMATS: Final[Mapping[str, QueryResultsFormat]] = {
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
    "json": QueryResultsFormat.JSON,
    "xml": QueryResultsFormat.XML,
}
_GRAPH_FORMATS: Final[Mapping[str, RdfFormat]] = {
    "nt": RdfFormat.N_TRIPLES,
    "ttl": RdfFormat.TURTLE,
}


def syntax_excerpt(query: str, line: int, column: int) -> str:
    """The query line ``line`` with a caret under ``column`` (both from 1)."""
    lines = query.splitlines() or [""]
    text = lines[min(max(line, 1), len(lines)) - 1].replace("\t", " ")
    gutter = f"{line} | "
    return f"{gutter}{text}\n{' ' * (len(gutter) - 2)}| {' ' * max(column - 1, 0)}^"


def _clause_location(query: str) -> tuple[int, int] | None:
    """Where rdflib's SPARQL parser stops: the start of the clause at fault, or None.

    Oxigraph reports the furthest place its parser reached, often the end of the query;
    this second opinion points at the clause a person has to fix.
    """
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        parseQuery(query.replace("\t", " "))  # pyparsing would expand tabs
    except ParseBaseException as error:
        return error.lineno, error.col
    except (ValueError, TypeError, LookupError, AttributeError, RecursionError):
        return None
    return None


def _syntax_diagnostic(query: str, error: SyntaxError, path: str | None) -> Diagnostic:
    text = str(error.msg if error.msg else error)
    m = _QUERY_ERROR.fullmatch(text)
    if m is None:
        return _diagnostic(
            Severity.ERROR,
            "query.syntax-error",
            f"the query is not valid SPARQL 1.1: {' '.join(text.split())}",
            "fix the query",
            path or "<query>",
            None,
        )
    line, column, what = int(m[1]), int(m[2]), " ".join(m[3].split())
    message = f"the query is not valid SPARQL 1.1 at line {line}, column {column}: {what}"
    clause = _clause_location(query)
    if clause is not None and clause < (line, column):
        message = (
            f"the query is not valid SPARQL 1.1 at line {clause[0]}, column {clause[1]} "
            f"(the parser read on to line {line}, column {column}: {what})"
        )
        line, column = clause
    return _diagnostic(
        Severity.ERROR,
        "query.syntax-error",
        message,
        "fix the query here:\n" + syntax_excerpt(query, line, column),
        path or "<query>",
        line,
    )


def run_query(
    store: Store, query: str, *, union: bool = True, path: str | None = None
) -> QueryResults | Diagnostic:
    """Run a SPARQL 1.1 query on ``store``; a diagnostic when it is not valid SPARQL.

    With ``union`` (the default) the default graph is the union of all graphs (Oxigraph
    keeps duplicates: a triple in two graphs matches twice; see ``docs/triplestores.md``).
    ``path`` names the query file in diagnostics.
    """
    try:
        return store.query(query, use_default_graph_as_union=union)
    except SyntaxError as error:
        return _syntax_diagnostic(query, error, path)
    except (OSError, ValueError, TypeError, RuntimeError) as error:
        return _diagnostic(
            Severity.ERROR,
            "query.failed",
            f"the query could not be run: {error}",
            "check the query",
            path or "<query>",
            None,
        )


def query_prefixes(query: str, settings: Settings) -> dict[str, str]:
    """Prefixes for display: the vocabularies', ``sch:``, ``d:`` (data base), the query's own."""
    prefixes = {cls.__name__.lower(): str(vars(cls)["NS"]) for cls in vocab.VOCABULARIES}
    prefixes["sch"] = iris.SCHEME_NAMESPACE
    prefixes["d"] = settings.base
    for name, namespace in _PREFIX_DECL.findall(query):
        prefixes[name] = namespace
    return prefixes


def _term_text(term: object, prefixes: Mapping[str, str]) -> str:
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        best: tuple[str, str] | None = None
        for name, namespace in prefixes.items():
            if not namespace or not term.value.startswith(namespace):
                continue
            local = term.value[len(namespace) :]
            if (local == "" or _LOCAL_NAME.fullmatch(local)) and (
                best is None or len(namespace) > len(prefixes[best[0]])
            ):
                best = (name, local)
        return f"{best[0]}:{best[1]}" if best is not None else f"<{term.value}>"
    if isinstance(term, Literal):
        return term.value
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    return str(term)


def _cell(text: str, width: int) -> tuple[str, bool]:
    text = text.replace("\r\n", "\n").replace("\n", "\\n").replace("\t", " ")
    if width and len(text) > width:
        return text[: max(width - 1, 0)] + "…", True
    return text, False


def render_table(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    prefixes: Mapping[str, str],
    max_width: int = 80,
) -> tuple[str, bool]:
    """A text table of terms (IRIs shortened with ``prefixes``), and whether a cell was cut."""
    cut = False
    cells: list[list[str]] = []
    for row in rows:
        line: list[str] = []
        for term in row:
            text, was_cut = _cell(_term_text(term, prefixes), max_width)
            cut = cut or was_cut
            line.append(text)
        cells.append(line)
    widths = [len(h) for h in header]
    for line in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, line, strict=True)]
    out = io.StringIO()
    out.write(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip() + "\n")
    out.write("-+-".join("-" * w for w in widths) + "\n")
    for line in cells:
        out.write(" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        out.write("\n")
    out.write(f"({len(cells)} row{'' if len(cells) == 1 else 's'})\n")
    return out.getvalue(), cut


def write_results(
    results: QueryResults,
    out: IO[bytes],
    fmt: str,
    prefixes: Mapping[str, str],
    *,
    max_width: int = 80,
) -> Diagnostic | None:
    """Write query results to ``out`` in ``fmt`` (one of :data:`OUTPUT_FORMATS`).

    SELECT and ASK results: ``table``, ``csv``, ``tsv``, ``json``, ``xml``; CONSTRUCT and
    DESCRIBE results: ``table``, ``nt`` (N-Triples), ``ttl`` (Turtle). Returns a diagnostic
    when the format does not fit the results or the query fails while running; an info
    diagnostic when a table cell was cut to ``max_width`` characters.
    """
    try:
        if isinstance(results, QuerySolutions):
            return _write_solutions(results, out, fmt, prefixes, max_width)
        if isinstance(results, QueryBoolean):
            if fmt in _RESULT_FORMATS:
                results.serialize(out, _RESULT_FORMATS[fmt])
                if fmt in ("csv", "tsv"):
                    out.write(b"\n")
                return None
            if fmt == "table":
                out.write(b"true\n" if bool(results) else b"false\n")
                return None
            return _mismatch("an ASK query", fmt, "table, csv, tsv, json or xml")
        triples = list(results)
        if fmt in _GRAPH_FORMATS:
            graph_prefixes = {k: v for k, v in prefixes.items() if v and k not in ("d", "sch")}
            serialize(triples, out, _GRAPH_FORMATS[fmt], prefixes=graph_prefixes)
            return None
        if fmt == "table":
            rows = [(t.subject, t.predicate, t.object) for t in triples]
            text, cut = render_table(("subject", "predicate", "object"), rows, prefixes, max_width)
            out.write(text.encode("utf-8"))
            return _cut_notice(max_width) if cut else None
        return _mismatch("a CONSTRUCT or DESCRIBE query", fmt, "table, nt or ttl")
    except (OSError, ValueError, RuntimeError, TypeError, SyntaxError) as error:
        return _diagnostic(
            Severity.ERROR,
            "query.failed",
            f"the query failed while running: {error}",
            "check the query",
            "<query>",
            None,
        )


def _write_solutions(
    results: QuerySolutions,
    out: IO[bytes],
    fmt: str,
    prefixes: Mapping[str, str],
    max_width: int,
) -> Diagnostic | None:
    if fmt in _RESULT_FORMATS:
        results.serialize(out, _RESULT_FORMATS[fmt])
        return None
    if fmt != "table":
        return _mismatch("a SELECT query", fmt, "table, csv, tsv, json or xml")
    header = [v.value for v in results.variables]
    rows = [[solution[k] for k in range(len(header))] for solution in results]
    text, cut = render_table(header, rows, prefixes, max_width)
    out.write(text.encode("utf-8"))
    return _cut_notice(max_width) if cut else None


def _mismatch(what: str, fmt: str, fits: str) -> Diagnostic:
    return _diagnostic(
        Severity.ERROR,
        "query.format-mismatch",
        f"the results of {what} cannot be written as {fmt}",
        f"choose --format {fits}",
        "<query>",
        None,
    )


def _cut_notice(max_width: int) -> Diagnostic:
    return _diagnostic(
        Severity.INFO,
        "query.cell-cut",
        f"some values were cut to {max_width} characters in the table",
        "use --format csv, tsv or json (or --max-width 0) for full values",
        "<query>",
        None,
    )


# ---- a server: SPARQL 1.1 Graph Store Protocol and SPARQL Protocol -------------------------

TOKEN_ENV: Final = "CABLERDF_TOKEN"
USER_ENV: Final = "CABLERDF_USER"
PASSWORD_ENV: Final = "CABLERDF_PASSWORD"

_RETRY_STATUSES: Final = (408, 429, 500, 502, 503, 504)


@dataclass(frozen=True)
class Endpoint:
    """A server URL and how to talk to it.

    ``url``: the Graph Store Protocol URL for loads (Oxigraph ``…/store``, Fuseki
    ``…/DATASET/data``) or the SPARQL query URL for queries (``…/query``, ``…/DATASET/sparql``).
    Authentication: HTTP basic (``user``, ``password``) or a bearer ``token``, not both.
    Failed requests (connection errors, 408, 429, 5xx) are tried again ``retries`` times,
    waiting ``backoff`` seconds, doubled each time, at most 30 s (``Retry-After`` honoured).
    Raises ``ValueError`` on an unusable URL or both kinds of authentication.
    """

    url: str
    user: str | None = None
    password: str | None = None
    token: str | None = None
    timeout: float = 60.0
    retries: int = 4
    backoff: float = 0.5

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"the endpoint {self.url!r} is not an http(s) URL")
        if self.token is not None and self.user is not None:
            raise ValueError("give either a user and password or a token, not both")
        if self.retries < 0 or self.timeout <= 0 or self.backoff < 0:
            raise ValueError("retries and backoff must not be negative; timeout must be positive")


def endpoint_session(endpoint: Endpoint) -> requests.Session:
    """A keep-alive HTTP session with the endpoint's authentication and bounded retries."""
    session = requests.Session()
    retry = Retry(
        total=endpoint.retries,
        connect=endpoint.retries,
        read=endpoint.retries,
        status=endpoint.retries,
        other=0,
        backoff_factor=endpoint.backoff,
        backoff_max=30.0,
        status_forcelist=_RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD", "PUT", "POST", "DELETE"}),
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = f"cablerdf/{__version__}"
    if endpoint.token is not None:
        session.headers["Authorization"] = f"Bearer {endpoint.token}"
    elif endpoint.user is not None:
        session.auth = (endpoint.user, endpoint.password or "")
    return session


def _excerpt(text: str) -> str:
    folded = _WHITE.sub(" ", text).strip()
    return folded if len(folded) <= _EXCERPT else folded[: _EXCERPT - 1] + "…"


def _send(
    session: requests.Session,
    method: str,
    endpoint: Endpoint,
    *,
    params: Mapping[str, str] | None = None,
    data: bytes,
    headers: Mapping[str, str],
) -> requests.Response:
    """Send one request; raise :class:`EndpointError` when the server cannot be reached."""
    try:
        return session.request(
            method,
            endpoint.url,
            params=params,
            data=data,
            headers=dict(headers),
            timeout=endpoint.timeout,
        )
    except requests.exceptions.Timeout as error:
        raise EndpointError(
            f"{method} {endpoint.url}: no answer within {endpoint.timeout:g} s "
            f"(after {endpoint.retries} retries): {error}"
        ) from error
    except requests.exceptions.RequestException as error:
        raise EndpointError(
            f"{method} {endpoint.url}: could not reach the server "
            f"(after {endpoint.retries} retries): {_reason(error)}; is it running?"
        ) from error


def _reason(error: requests.exceptions.RequestException) -> str:
    """The innermost reason of a failed request, without urllib3's object dumps."""
    reason: object = error
    if error.args and isinstance(error.args[0], MaxRetryError) and error.args[0].reason:
        reason = error.args[0].reason
    return str(reason).rsplit(">: ", 1)[-1]


def _raise_for(
    method: str, endpoint: Endpoint, graph: str | None, response: requests.Response
) -> None:
    if response.status_code < 300:
        return
    target = f"{method} {endpoint.url}" + (f" (graph {graph})" if graph else "")
    body = _excerpt(response.text)
    said = f": {body}" if body else ""
    status = f"{response.status_code} {response.reason or ''}".strip()
    if response.status_code in (401, 403):
        raise EndpointError(
            f"{target} was refused: {status}{said}; check --user and --password, or --token"
        )
    raise EndpointError(f"{target} failed: the server answered {status}{said}")


def push_graphs(
    endpoint: Endpoint,
    quads_by_graph: Iterable[tuple[NamedNode, Iterable[Quad]]],
    *,
    session: requests.Session | None = None,
) -> LoadReport:
    """Replace each graph on a Graph Store Protocol endpoint: ``PUT url?graph=G`` (N-Triples).

    A graph met again in the same call is added to with ``POST``. Requests go one after
    the other over one keep-alive connection (parallel requests were slower on Oxigraph).
    Raises :class:`EndpointError` at the first request that fails for good.
    """
    http = session if session is not None else endpoint_session(endpoint)
    seen: set[NamedNode] = set()
    graphs = total = 0
    for graph, quads in quads_by_graph:
        triples = [q.triple for q in quads]
        total += len(triples)
        method = "POST" if graph in seen else "PUT"
        if method == "PUT":
            seen.add(graph)
            graphs += 1
        body = serialize(triples, format=RdfFormat.N_TRIPLES)
        response = _send(
            http,
            method,
            endpoint,
            params={"graph": graph.value},
            data=body if body is not None else b"",
            headers={"Content-Type": "application/n-triples"},
        )
        _raise_for(method, endpoint, graph.value, response)
    return LoadReport(graphs, 0, total)


_ACCEPT: Final = "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8"


def query_endpoint(
    endpoint: Endpoint,
    query: str,
    *,
    session: requests.Session | None = None,
    path: str | None = None,
) -> QueryResults | Diagnostic:
    """Run a query on a SPARQL 1.1 Protocol endpoint (POST, ``application/sparql-query``).

    A query the server rejects (400) is a diagnostic carrying the server's message; a
    server that cannot be reached or fails otherwise raises :class:`EndpointError`.
    """
    http = session if session is not None else endpoint_session(endpoint)
    response = _send(
        http,
        "POST",
        endpoint,
        data=query.encode("utf-8"),
        headers={"Content-Type": "application/sparql-query; charset=utf-8", "Accept": _ACCEPT},
    )
    if response.status_code == 400:
        return _diagnostic(
            Severity.ERROR,
            "query.rejected",
            f"the server at {endpoint.url} refused the query: {_excerpt(response.text)}",
            "fix the query",
            path or "<query>",
            None,
        )
    _raise_for("POST", endpoint, None, response)
    media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    try:
        if media == "application/sparql-results+json":
            return parse_query_results(response.content, QueryResultsFormat.JSON)
        if media in ("application/n-triples", "text/turtle"):
            fmt = RdfFormat.N_TRIPLES if media == "application/n-triples" else RdfFormat.TURTLE
            return [q.triple for q in parse(response.content, fmt)]
    except SyntaxError as error:
        raise EndpointError(
            f"POST {endpoint.url}: the server's answer ({media}) could not be read: {error}"
        ) from error
    raise EndpointError(
        f"POST {endpoint.url}: the server answered in {media or 'no media type'}, "
        "expected SPARQL results JSON, N-Triples or Turtle"
    )
