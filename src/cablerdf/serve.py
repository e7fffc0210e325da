"""The linked-data server: every IRI under the base, dereferenced (``cablerdf serve``).

A WSGI application (:class:`LinkedDataApp`) over an output folder of ``cablerdf convert``
and an embedded, read-only SPARQL store built from its N-Quads dump, and a small threaded
HTTP server for it (:func:`make_server`). The path of a request after ``/`` is the path of
an IRI after the base; see ``docs/serving.md`` for every route, the formats and the limits.

* Content negotiation (HTML, Turtle, JSON-LD, N-Triples; q-values; ``.ttl`` ``.jsonld``
  ``.nt`` ``.html`` extensions), 406 when nothing fits, ``Vary: Accept``.
* Paragraph IRIs: an RDF client gets the paragraph's triples; a browser is sent (303) to
  the cable's page at the paragraph's anchor (``cable/ID#p-8``).
* ``/sparql``: SPARQL 1.1 Protocol over the store; each query runs in a worker process that
  is killed past the time limit; results are bounded in rows and bytes.
* Read-only, one error shape (:class:`~cablerdf.pages.Problem`), request limits.
"""

from __future__ import annotations

import functools
import hashlib
import http
import json
import logging
import multiprocessing
import queue
import re
import shutil
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from socketserver import BaseServer
from typing import IO, Any, Final
from urllib.parse import parse_qs, unquote_to_bytes
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

import pyoxigraph as ox

from cablerdf import export, iris, pages, store, vocab
from cablerdf.cable_ids import canonical_id, default_index
from cablerdf.export import cable_file
from cablerdf.iris import Minter
from cablerdf.model import Diagnostic
from cablerdf.pages import Catalogue, GraphIndex, Problem
from cablerdf.settings import VOCAB_BASE, Settings

__all__ = [
    "HTML",
    "JSONLD",
    "NTRIPLES",
    "TURTLE",
    "LinkedDataApp",
    "QueryPool",
    "ServeOptions",
    "StoreBuild",
    "catalogue_from_store",
    "close_ids",
    "default_store_dir",
    "ensure_store",
    "make_server",
    "negotiate",
    "path_problem",
]

HTML: Final = "text/html"
TURTLE: Final = "text/turtle"
JSONLD: Final = "application/ld+json"
NTRIPLES: Final = "application/n-triples"
PROBLEM_JSON: Final = "application/problem+json"

RDF_OFFERS: Final = (HTML, TURTLE, JSONLD, NTRIPLES)
"""What a resource is offered as, in the server's order of preference (ties go to HTML)."""

EXTENSIONS: Final[Mapping[str, str]] = {
    ".html": HTML,
    ".ttl": TURTLE,
    ".jsonld": JSONLD,
    ".nt": NTRIPLES,
}
"""An explicit extension picks the format, whatever the Accept header says."""

ALIASES: Final[Mapping[str, str]] = {
    "application/xhtml+xml": HTML,
    "application/x-turtle": TURTLE,
    "application/json": JSONLD,
    "text/plain": NTRIPLES,
}
"""Media types read as one of the offers (``text/plain`` was N-Triples' registered type)."""

SPARQL_JSON: Final = "application/sparql-results+json"
SPARQL_XML: Final = "application/sparql-results+xml"
CSV: Final = "text/csv"
TSV: Final = "text/tab-separated-values"
SELECT_OFFERS: Final = (SPARQL_JSON, SPARQL_XML, CSV, TSV, HTML)
GRAPH_OFFERS: Final = (TURTLE, NTRIPLES, HTML)
SPARQL_ALIASES: Final[Mapping[str, str]] = {"application/json": SPARQL_JSON}

FILE_FOLDERS: Final = frozenset({"cables", "context", "dumps", "ontology", "shapes", "validation"})
FILE_NAMES: Final = frozenset({"void.ttl", "provenance.ttl", "MANIFEST.sha256"})
FILE_TYPES: Final[Mapping[str, str]] = {
    ".ttl": "text/turtle; charset=utf-8",
    ".jsonld": "application/ld+json",
    ".nt": "application/n-triples",
    ".gz": "application/gzip",
    ".txt": "text/plain; charset=utf-8",
    ".sha256": "text/plain; charset=utf-8",
}
_FILE_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_WELL_FORMED = re.compile(r"([0-9]{2})([A-Z]+)([0-9]+)")
_STORE_MARK: Final = "cablerdf-store.json"
_log = logging.getLogger("cablerdf.serve")


# ---- content negotiation -----------------------------------------------------------------


def _ranges(accept: str) -> list[tuple[str, str, float]]:
    """The media ranges of an Accept header as (type, subtype, q); malformed parts skipped."""
    found = []
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        kind, _, sub = media.partition("/")
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        if kind and sub and not (kind == "*" and sub != "*"):
            found.append((kind, sub, q))
    return found


def negotiate(
    accept: str | None, offers: Sequence[str], aliases: Mapping[str, str] | None = None
) -> str | None:
    """The offer the Accept header prefers (RFC 9110: the most specific range that matches
    an offer gives its q; ties go to the earlier offer); None when nothing is acceptable.
    No header, or an empty one, accepts anything. ``aliases`` maps other media types onto
    offers (``application/json`` for JSON-LD)."""
    if accept is None or not accept.strip():
        return offers[0] if offers else None
    ranges = _ranges(accept)
    names = dict(aliases or {})
    best: tuple[float, int] | None = None
    chosen: str | None = None
    for rank, offer in enumerate(offers):
        kind = offer.partition("/")[0]
        quality: float | None = None
        specificity = -1
        for r_kind, r_sub, q in ranges:
            exact = names.get(f"{r_kind}/{r_sub}", f"{r_kind}/{r_sub}") == offer
            if exact:
                level = 3 if f"{r_kind}/{r_sub}" == offer else 2
            elif r_kind == kind and r_sub == "*":
                level = 1
            elif r_kind == "*" and r_sub == "*":
                level = 0
            else:
                continue
            if level > specificity or (
                level == specificity and quality is not None and q > quality
            ):
                specificity, quality = level, q
        if quality is None or quality <= 0:
            continue
        if best is None or (quality, -rank) > best:
            best, chosen = (quality, -rank), offer
    return chosen


# ---- requests: paths and limits ----------------------------------------------------------


def path_problem(raw_path: str) -> str | None:
    """What is wrong with a request path, or None: it must start with one ``/``, hold no
    empty, ``.`` or ``..`` segment (percent-encoded or not), no backslash, no control
    character and no encoded NUL or slash in a dot segment."""
    if not raw_path.startswith("/"):
        return "the path must start with '/'"
    if raw_path.startswith("//"):
        return "the path must not start with '//' (an absolute path or another host)"
    if "\\" in raw_path or "%5c" in raw_path.lower():
        return "the path must not hold a backslash"
    body = raw_path[1:]
    segments = body.split("/")
    for k, segment in enumerate(segments):
        decoded = unquote_to_bytes(segment)
        if segment == "" and k != len(segments) - 1:
            return "the path must not hold an empty segment ('//')"
        if decoded in (b".", b".."):
            return "the path must not hold '.' or '..' segments (encoded or not)"
        if any(b < 0x20 or b == 0x7F for b in decoded):
            return "the path must not hold control characters"
        if decoded.startswith(b"/") or b"/../" in b"/" + decoded + b"/":
            return "the path must not hold an encoded absolute path or '..'"
    return None


def _split_extension(segment: str) -> tuple[str, str | None]:
    for ext in EXTENSIONS:
        if segment.endswith(ext) and len(segment) > len(ext):
            return segment[: -len(ext)], ext
    return segment, None


# ---- the store ---------------------------------------------------------------------------


def default_store_dir(output: Path) -> Path:
    """Where ``serve`` keeps the store of an output folder: beside it, ``{output}.store``."""
    resolved = output.resolve()
    return resolved.with_name(resolved.name + ".store")


@dataclass(frozen=True)
class StoreBuild:
    """What :func:`ensure_store` did: built (and how many graphs and quads) or reused."""

    path: Path
    built: bool
    graphs: int = 0
    quads: int = 0
    diagnostics: tuple[Diagnostic, ...] = ()


def _dump_fingerprint(dump: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with dump.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"dump": dump.name, "sha256": digest.hexdigest(), "version": 2}


def ensure_store(
    output: Path,
    store_dir: Path,
    settings: Settings,
    *,
    on_progress: Callable[[str], None] | None = None,
) -> StoreBuild:
    """Make sure ``store_dir`` holds the store of ``output/dumps/cables.nq.gz``.

    A store this function built before for the same dump (its SHA-256 is recorded in
    ``cablerdf-store.json``) is reused; a folder without that record is used as it is
    (a store made by ``cablerdf load``). Otherwise the store is built in a temporary folder
    beside it and renamed into place. Raises :class:`~cablerdf.store.StoreError` when the
    dump is missing or the store cannot be written.
    """
    dump = output / "dumps" / "cables.nq.gz"
    mark = store_dir / _STORE_MARK
    if store_dir.is_dir() and any(store_dir.iterdir()):
        if not mark.is_file():
            return StoreBuild(store_dir, built=False)
        if not dump.is_file():
            return StoreBuild(store_dir, built=False)
        try:
            recorded = json.loads(mark.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            recorded = None
        if recorded == _dump_fingerprint(dump):
            return StoreBuild(store_dir, built=False)
    if not dump.is_file():
        raise store.StoreError(
            f"{dump} is missing: serve needs the N-Quads dump of `cablerdf convert` "
            "to build its SPARQL store (or give --store with a store made by `cablerdf load`)"
        )
    temporary = store_dir.with_name(store_dir.name + ".building")
    diagnostics: list[Diagnostic] = []
    try:
        shutil.rmtree(temporary, ignore_errors=True)
        temporary.mkdir(parents=True)
        db = store.open_store(temporary)

        entries: list[pages.CatalogueEntry] = []
        minter = Minter.for_settings(settings)

        def chunks() -> Iterator[tuple[ox.NamedNode, tuple[ox.Quad, ...]]]:
            count = 0
            for source in (store.read_vocabulary(settings), store.read_graphs(str(dump), settings)):
                for item in source:
                    if isinstance(item, Diagnostic):
                        diagnostics.append(item)
                        continue
                    count += 1
                    if on_progress is not None and count % 10_000 == 0:
                        on_progress(f"store: {count} graphs loaded")
                    entries.extend(_entries_of(item.quads, minter))
                    yield item.graph, item.quads

        report = store.load_quads(db, chunks())
        del db
        write_catalogue(temporary / CATALOGUE_FILE, Catalogue(entries))
        (temporary / _STORE_MARK).write_text(
            json.dumps(_dump_fingerprint(dump), sort_keys=True) + "\n", encoding="utf-8"
        )
        if store_dir.exists():
            shutil.rmtree(store_dir)
        temporary.rename(store_dir)
    except OSError as error:
        raise store.StoreError(f"could not build the store in {store_dir}: {error}") from error
    return StoreBuild(store_dir, True, report.graphs, report.quads, tuple(diagnostics))


CATALOGUE_FILE: Final = "catalogue.jsonl"
"""The catalogue of the cables, written beside the store when serve builds it."""


def _entries_of(quads: Sequence[ox.Quad], minter: Minter) -> Iterator[pages.CatalogueEntry]:
    """The catalogue entries of the cables a graph describes (one, for a cable graph)."""
    g = GraphIndex(q.triple for q in quads)
    for q in quads:
        subject = q.subject
        if q.predicate != vocab.RDF.type or q.object != vocab.CR.Cable:
            continue
        if not isinstance(subject, ox.NamedNode):
            continue
        parsed = minter.parse(subject.value)
        if parsed is not None and parsed.kind == "cable" and not parsed.rest:
            entry = pages.catalogue_entry(g, subject.value)
            if entry is not None:
                yield entry


def write_catalogue(path: Path, catalogue: Catalogue) -> None:
    """The catalogue as JSON lines, one entry a line, in catalogue order."""
    lines = (json.dumps(e.to_json(), ensure_ascii=False, sort_keys=True) for e in catalogue.entries)
    export.write_atomic(path, "".join(f"{line}\n" for line in lines).encode("utf-8"))


def read_catalogue(path: Path) -> Catalogue | None:
    """The catalogue written by :func:`write_catalogue`; None when missing or unreadable."""
    shared: dict[str, str] = {}
    entries = []
    try:
        with path.open(encoding="utf-8") as f:
            for line in f:
                entries.append(pages.CatalogueEntry.from_json(json.loads(line), shared))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Catalogue(entries)


_NAMED: Final = frozenset({vocab.CR.origin, vocab.CR.classificationLevel, vocab.DCT.subject})


def catalogue_from_store(db: ox.Store, settings: Settings) -> Catalogue:
    """The catalogue of every cable in the store: one scan per property of
    :data:`~cablerdf.pages.CATALOGUE_PREDICATES`, and one label or notation for each post
    and concept named (they are the same in every graph)."""
    minter = Minter.for_settings(settings)
    triples: dict[str, list[ox.Triple]] = {}
    for q in db.quads_for_pattern(None, vocab.RDF.type, vocab.CR.Cable):
        if isinstance(q.subject, ox.NamedNode) and q.subject.value not in triples:
            parsed = minter.parse(q.subject.value)
            if parsed is not None and parsed.kind == "cable" and not parsed.rest:
                triples[q.subject.value] = [q.triple]
    named: dict[str, list[ox.Triple]] = {}
    for predicate in pages.CATALOGUE_PREDICATES:
        if predicate == vocab.RDF.type:
            continue
        for q in db.quads_for_pattern(None, predicate, None):
            found = triples.get(q.subject.value) if isinstance(q.subject, ox.NamedNode) else None
            if found is None:
                continue
            found.append(q.triple)
            if predicate in _NAMED and isinstance(q.object, ox.NamedNode):
                named.setdefault(q.object.value, [])
    for iri, labels in named.items():
        node = ox.NamedNode(iri)
        for predicate in (vocab.RDFS.label, vocab.SKOS.notation):
            first = next(iter(db.quads_for_pattern(node, predicate, None)), None)
            if first is not None:
                labels.append(first.triple)
    entries = []
    for cable, found in triples.items():
        extra = [
            t
            for o in {t.object.value for t in found if isinstance(t.object, ox.NamedNode)}
            for t in named.get(o, ())
        ]
        entry = pages.catalogue_entry(GraphIndex([*found, *extra]), cable)
        if entry is not None:
            entries.append(entry)
    return Catalogue(entries)


# ---- SPARQL in worker processes -----------------------------------------------------------


@dataclass(frozen=True)
class QueryRequest:
    query: str
    accept: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueryAnswer:
    """A worker's answer: ``media`` and ``body``, or a problem (``status`` >= 400)."""

    status: int
    media: str
    body: bytes
    code: str = ""
    detail: str = ""
    hint: str = ""


@dataclass(frozen=True)
class QueryLimits:
    timeout: float = 10.0
    max_rows: int = 10_000
    max_bytes: int = 32 * 1024 * 1024


def _nt_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    return str(term)


def _json_term(term: object) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != vocab.XSD.string.value:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": str(term)}


def _xml_term(term: object) -> str:
    from xml.sax.saxutils import escape, quoteattr

    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != vocab.XSD.string.value:
            return (
                f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
            )
        return f"<literal>{escape(term.value)}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def _csv_cell(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        text = f"_:{term.value}"
    elif isinstance(term, ox.NamedNode | ox.Literal):
        text = term.value
    else:
        text = str(term)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


class _TooBig(Exception):
    pass


def _bounded_rows(
    results: ox.QuerySolutions, limits: QueryLimits
) -> tuple[list[str], list[list[object]]]:
    names = [v.value for v in results.variables]
    rows: list[list[object]] = []
    size = 0
    for solution in results:
        if len(rows) >= limits.max_rows:
            raise _TooBig(f"more than {limits.max_rows} rows")
        row = [solution[k] for k in range(len(names))]
        size += sum(len(str(t)) for t in row if t is not None)
        if size > limits.max_bytes:
            raise _TooBig(f"more than {limits.max_bytes} bytes")
        rows.append(row)
    return names, rows


def _write_solutions(names: list[str], rows: list[list[object]], media: str, base: str) -> bytes:
    if media == SPARQL_JSON:
        bindings = [
            {n: _json_term(t) for n, t in zip(names, row, strict=True) if t is not None}
            for row in rows
        ]
        doc = {"head": {"vars": names}, "results": {"bindings": bindings}}
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
    if media == SPARQL_XML:
        out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
        out.append("<head>" + "".join(f'<variable name="{n}"/>' for n in names) + "</head>")
        out.append("<results>")
        for row in rows:
            cells = "".join(
                f'<binding name="{n}">{_xml_term(t)}</binding>'
                for n, t in zip(names, row, strict=True)
                if t is not None
            )
            out.append(f"<result>{cells}</result>")
        out.append("</results></sparql>\n")
        return "".join(out).encode("utf-8")
    if media == CSV:
        lines = [",".join(names)] + [",".join(_csv_cell(t) for t in row) for row in rows]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")
    if media == TSV:
        lines = ["\t".join("?" + n for n in names)]
        lines += ["\t".join("" if t is None else _nt_term(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    shown = [[None if t is None else _cell_text(t) for t in row] for row in rows]
    return pages.results_table(names, shown, base).encode("utf-8")


def _cell_text(term: object) -> str:
    """A term for an HTML table: ``<IRI>``, a literal's text (with its language), ``_:b``."""
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    if isinstance(term, ox.Literal):
        return f"{term.value} @{term.language}" if term.language else term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term)


def answer_query(
    db: ox.Store, request: QueryRequest, limits: QueryLimits, base: str
) -> QueryAnswer:
    """Run one query on ``db`` and write its results in the negotiated format (bounded)."""
    kwargs: dict[str, Any] = {}
    if request.default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in request.default_graphs]
    else:
        kwargs["use_default_graph_as_union"] = True
    if request.named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in request.named_graphs]
    try:
        results = db.query(request.query, **kwargs)
    except SyntaxError:
        found = store.run_query(db, request.query, path="<query>")
        detail = found.message if isinstance(found, Diagnostic) else "the query is not valid"
        hint = (found.hint or "") if isinstance(found, Diagnostic) else "fix the query"
        return QueryAnswer(400, "", b"", "sparql.syntax-error", detail, hint)
    except (OSError, ValueError, TypeError, RuntimeError) as error:
        return QueryAnswer(
            400, "", b"", "sparql.failed", f"the query could not be run: {error}", "check the query"
        )
    try:
        if isinstance(results, ox.QueryBoolean):
            media = negotiate(request.accept, SELECT_OFFERS, SPARQL_ALIASES)
            if media is None:
                return _not_acceptable(SELECT_OFFERS)
            if media == HTML:
                value = "true" if bool(results) else "false"
                return QueryAnswer(200, HTML, f'<p class="note">ASK: {value}</p>'.encode())
            fmt = {
                SPARQL_JSON: ox.QueryResultsFormat.JSON,
                SPARQL_XML: ox.QueryResultsFormat.XML,
                CSV: ox.QueryResultsFormat.CSV,
                TSV: ox.QueryResultsFormat.TSV,
            }[media]
            return QueryAnswer(200, media, results.serialize(format=fmt) or b"")
        if isinstance(results, ox.QuerySolutions):
            media = negotiate(request.accept, SELECT_OFFERS, SPARQL_ALIASES)
            if media is None:
                return _not_acceptable(SELECT_OFFERS)
            names, rows = _bounded_rows(results, limits)
            return QueryAnswer(200, media, _write_solutions(names, rows, media, base))
        media = negotiate(request.accept, GRAPH_OFFERS, ALIASES)
        if media is None:
            return _not_acceptable(GRAPH_OFFERS)
        triples: list[ox.Triple] = []
        size = 0
        for t in results:
            if len(triples) >= limits.max_rows:
                raise _TooBig(f"more than {limits.max_rows} triples")
            size += len(str(t))
            if size > limits.max_bytes:
                raise _TooBig(f"more than {limits.max_bytes} bytes")
            triples.append(t)
        if media == NTRIPLES:
            return QueryAnswer(
                200, media, ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
            )
        body = (
            ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=dict(export.PREFIXES)) or b""
        )
        if media == HTML:
            return QueryAnswer(200, HTML, f"<pre>{pages.e(body.decode('utf-8'))}</pre>".encode())
        return QueryAnswer(200, media, body)
    except _TooBig as big:
        return QueryAnswer(
            422,
            "",
            b"",
            "sparql.too-many-results",
            f"the results are too large ({big}); nothing was sent rather than a silent cut",
            "add LIMIT and OFFSET to the query and page through the results",
        )
    except (OSError, ValueError, TypeError, RuntimeError, SyntaxError) as error:
        return QueryAnswer(
            400,
            "",
            b"",
            "sparql.failed",
            f"the query failed while running: {error}",
            "check the query",
        )


def _not_acceptable(offers: Sequence[str]) -> QueryAnswer:
    return QueryAnswer(
        406,
        "",
        b"",
        "http.not-acceptable",
        "none of the formats these results can be written in is acceptable",
        "accept one of: " + ", ".join(offers),
    )


def _query_worker(conn: Connection, store_path: str, base: str, limits: QueryLimits) -> None:
    """A worker process: opens the store read-only and answers queries until told to stop."""
    try:
        db = ox.Store.read_only(store_path)
    except OSError as error:
        conn.send(("error", str(error)))
        return
    conn.send(("ready", ""))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        try:
            conn.send(answer_query(db, request, limits, base))
        except (OSError, ValueError):
            return


class _Worker:
    def __init__(self, store_path: str, base: str, limits: QueryLimits) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_query_worker, args=(child, store_path, base, limits), daemon=True
        )
        self.process.start()
        child.close()
        self.ready = False

    def wait_ready(self, timeout: float) -> bool:
        if self.ready:
            return True
        if self.conn.poll(timeout):
            try:
                status, _ = self.conn.recv()
            except (EOFError, OSError):
                return False
            self.ready = status == "ready"
        return self.ready

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class QueryPool:
    """SPARQL queries in worker processes, each killed when it runs past the time limit.

    ``workers`` processes open the store read-only; a query waits at most the time limit
    for a free worker (then: busy). A worker killed on time-out is replaced on next use.
    """

    def __init__(self, store_path: Path, base: str, limits: QueryLimits, workers: int = 2) -> None:
        self.store_path = str(store_path)
        self.base = base
        self.limits = limits
        self._idle: queue.Queue[_Worker | None] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        for _ in range(max(1, workers)):
            self._idle.put(self._start())

    def _start(self) -> _Worker:
        worker = _Worker(self.store_path, self.base, self.limits)
        with self._lock:
            self._all.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)

    def run(self, request: QueryRequest) -> QueryAnswer:
        """Run a query on a free worker; its time limit counts from when the worker has it."""
        try:
            worker = self._idle.get(timeout=self.limits.timeout)
        except queue.Empty:
            return QueryAnswer(
                503,
                "",
                b"",
                "sparql.busy",
                "every query worker stayed busy for the whole time limit",
                "try again in a moment",
            )
        if worker is None or not worker.process.is_alive():
            if worker is not None:
                self._retire(worker)
            worker = self._start()
        if not worker.wait_ready(60.0):
            self._retire(worker)
            self._idle.put(None)
            return QueryAnswer(
                500,
                "",
                b"",
                "sparql.unavailable",
                "a query worker could not open the store",
                "check the store folder; restart the server",
            )
        try:
            worker.conn.send(request)
            if worker.conn.poll(self.limits.timeout):
                answer: QueryAnswer = worker.conn.recv()
                self._idle.put(worker)
                return answer
        except (EOFError, OSError, ValueError):
            self._retire(worker)
            self._idle.put(None)
            return QueryAnswer(
                500,
                "",
                b"",
                "sparql.unavailable",
                "the query worker stopped while running the query",
                "try again; the query may use too much memory",
            )
        self._retire(worker)
        self._idle.put(None)
        return QueryAnswer(
            503,
            "",
            b"",
            "sparql.timeout",
            f"the query ran longer than the limit of {self.limits.timeout:g} s and was stopped",
            "make the query more selective (a narrower pattern, LIMIT) or run it on your own "
            "copy of the dump",
        )

    def close(self) -> None:
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            try:
                worker.conn.send(None)
            except (OSError, ValueError):
                pass
            worker.kill()


# ---- close IDs for the 404 page -----------------------------------------------------------


def _digit_edits(number: str) -> Iterator[str]:
    digits = "0123456789"
    for k in range(len(number)):
        for d in digits:
            if d != number[k]:
                yield number[:k] + d + number[k + 1 :]
        yield number[:k] + number[k + 1 :]
        if k + 1 < len(number):
            yield number[:k] + number[k + 1] + number[k] + number[k + 2 :]
    for k in range(len(number) + 1):
        for d in digits:
            yield number[:k] + d + number[k:]


def close_ids(raw: str, held: Callable[[str], bool], limit: int = 8) -> list[tuple[str, bool]]:
    """Published or held IDs close to ``raw``: its canonical form, one-digit edits of its
    number, the same station and number a year before or after. Held ones first."""
    index = default_index()
    squeezed = re.sub(r"[^A-Z0-9]", "", raw.upper())
    canonical = canonical_id(raw, index)
    candidates: list[str] = [canonical, squeezed]
    m = _WELL_FORMED.fullmatch(canonical)
    if m is not None:
        yy, station, number = m.groups()
        for edit in _digit_edits(number):
            stripped = edit.lstrip("0")
            if stripped:
                candidates.append(f"{yy}{station}{stripped}")
        for dy in (-1, 1):
            candidates.append(f"{(int(yy) + dy) % 100:02d}{station}{number}")
    seen: set[str] = {raw}
    found: list[tuple[str, bool]] = []
    for c in candidates:
        if c in seen or len(found) >= 4 * limit:
            continue
        seen.add(c)
        is_held = held(c)
        if is_held or c in index:
            found.append((c, is_held))
    found.sort(key=lambda x: not x[1])
    return found[:limit]


def _created_words(reference_id: str) -> str | None:
    month = default_index().month(reference_id)
    if month is None or not reference_id[:2].isdigit():
        return None
    yy = int(reference_id[:2])
    year = 1900 + yy if yy >= 66 else 2000 + yy
    return f"{pages.MONTHS[month - 1]} {year}"


# ---- the application ----------------------------------------------------------------------


@dataclass(frozen=True)
class ServeOptions:
    """How the server runs. ``store``: the SPARQL store folder (built from the dump when
    missing); limits on query time and results, on URI length and request body size."""

    output: Path
    store: Path
    settings: Settings = field(default_factory=Settings)
    query_timeout: float = 10.0
    max_results: int = 10_000
    max_result_bytes: int = 32 * 1024 * 1024
    query_workers: int = 2
    max_uri: int = 8192
    max_body: int = 256 * 1024


@dataclass(frozen=True)
class Response:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    file: Path | None = None


StartResponse = Callable[..., Any]


def _status_line(status: int) -> str:
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Error"


_SECURITY_HEADERS: Final = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)


class LinkedDataApp:
    """The WSGI application. Build it with :meth:`open` (opens the store and the catalogue);
    call :meth:`close` to stop the query workers."""

    def __init__(
        self,
        options: ServeOptions,
        db: ox.Store,
        catalogue: Catalogue,
        queries: QueryPool | None,
    ) -> None:
        self.options = options
        self.base = options.settings.base
        self.minter = Minter.for_settings(options.settings)
        self.loader = export.OfflineLoader.for_minter(self.minter)
        self.output = options.output
        self.db = db
        self.catalogue = catalogue
        self.queries = queries
        self._describe: Callable[[str], tuple[ox.Triple, ...]] = functools.lru_cache(maxsize=2048)(
            self._describe_uncached
        )
        self._triples: Callable[[str, tuple[int, int]], tuple[ox.Triple, ...] | None] = (
            functools.lru_cache(maxsize=256)(self._triples_uncached)
        )
        self._render: Callable[[str, str, str, tuple[int, int]], bytes | None] = (
            functools.lru_cache(maxsize=512)(self._render_uncached)
        )
        self._browse: Callable[[tuple[str, ...]], pages.Page | None] = functools.lru_cache(
            maxsize=256
        )(lambda rest: pages.browse_page(self.base, self.catalogue, rest))
        self._void = self._read_void()

    @classmethod
    def open(cls, options: ServeOptions, *, start_queries: bool = True) -> LinkedDataApp:
        """Open the store read-only, read the catalogue, start the query workers."""
        db = store.open_store(options.store, read_only=True)
        catalogue = read_catalogue(options.store / CATALOGUE_FILE)
        if catalogue is None:
            catalogue = catalogue_from_store(db, options.settings)
        default_index()  # loaded now rather than on the first unknown ID
        limits = QueryLimits(options.query_timeout, options.max_results, options.max_result_bytes)
        pool = (
            QueryPool(options.store, options.settings.base, limits, options.query_workers)
            if start_queries
            else None
        )
        return cls(options, db, catalogue, pool)

    def close(self) -> None:
        if self.queries is not None:
            self.queries.close()

    # -- WSGI entry point --------------------------------------------------------------

    def __call__(
        self, environ: Mapping[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        try:
            response = self.handle(environ)
        except Exception as error:  # noqa: BLE001 - the one error handler: never a traceback out
            _log.exception("internal error on %s", _raw_uri(environ)[:200], exc_info=error)
            response = self.problem(
                environ,
                500,
                "http.internal-error",
                "the server failed on this request",
                "try again; if it persists, report the URL",
                vary=False,
            )
        headers = list(response.headers)
        if response.file is not None:
            headers.append(("Content-Length", str(response.file.stat().st_size)))
        else:
            headers.append(("Content-Length", str(len(response.body))))
        start_response(_status_line(response.status), headers)
        if environ.get("REQUEST_METHOD") == "HEAD":
            return [b""]
        if response.file is not None:
            f: IO[bytes] = response.file.open("rb")
            wrapper = environ.get("wsgi.file_wrapper")
            if wrapper is not None:
                return wrapper(f, 1 << 16)  # type: ignore[no-any-return]
            return _chunks(f)
        return [response.body]

    def handle(self, environ: Mapping[str, Any]) -> Response:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        raw = _raw_uri(environ)
        if len(raw) > self.options.max_uri:
            return self.problem(
                environ,
                414,
                "http.uri-too-long",
                f"the request URI is longer than {self.options.max_uri} characters",
                "shorten it; send long SPARQL queries with POST",
            )
        raw_path, _, query_string = raw.partition("?")
        problem = path_problem(raw_path)
        if problem is not None:
            return self.problem(
                environ,
                400,
                "http.bad-path",
                problem,
                "ask for an IRI's path under the base, such as /cable/06ASTANA395",
            )
        segments = raw_path[1:].split("/")
        if segments[0] == "sparql" and len(segments) == 1:
            return self.sparql(environ, method, query_string)
        if method == "OPTIONS":
            return Response(204, (("Allow", "GET, HEAD, OPTIONS"),))
        if method not in ("GET", "HEAD"):
            return self.problem(
                environ,
                405,
                "http.method-not-allowed",
                f"{method} is not allowed: this server is read-only",
                "use GET or HEAD (POST only for /sparql)",
                extra=(("Allow", "GET, HEAD, OPTIONS"),),
            )
        return self.route(environ, raw_path, segments)

    # -- routing -----------------------------------------------------------------------

    def route(self, environ: Mapping[str, Any], raw_path: str, segments: list[str]) -> Response:
        head = segments[0]
        if raw_path == "/" or (head in ("dataset", "index") and len(segments) == 1):
            return self.dataset(environ, None)
        if head.startswith("dataset.") and len(segments) == 1:
            return self.dataset(environ, _split_extension(head)[1] or "?")
        if segments == [".well-known", "void"]:
            return self.dataset(environ, None)
        if head == "browse":
            return self.browse(environ, segments[1:])
        if head in FILE_NAMES and len(segments) == 1:
            return self.file(environ, segments)
        if head in FILE_FOLDERS and len(segments) > 1 and head != "ontology":
            return self.file(environ, segments)
        if head == "ontology":
            if len(segments) == 2 and (self.output / "ontology" / segments[1]).is_file():
                return self.file(environ, segments)
            return self.ontology(environ, segments)
        if head == "scheme":
            return self.concept(environ, segments)
        return self.data_iri(environ, segments)

    def data_iri(self, environ: Mapping[str, Any], segments: list[str]) -> Response:
        last, ext = _split_extension(segments[-1])
        plain = [*segments[:-1], last]
        parsed = self.minter.parse(self.base + "/".join(segments))
        if ext is not None:
            with_ext = parsed
            parsed = self.minter.parse(self.base + "/".join(plain))
            if parsed is None or (with_ext is not None and self._exists(with_ext, segments)):
                parsed, ext = with_ext, None
        if parsed is None:
            return self.not_found(environ)
        path = "/".join(plain if ext else segments)
        iri = self.base + path
        if parsed.kind == "cable":
            return self.cable(environ, parsed.key, parsed.rest, iri, ext)
        if parsed.kind == "graph":
            return self.graph(environ, parsed.key, parsed.rest, iri, ext)
        if parsed.kind == "alias":
            return self.alias(environ, parsed.key, parsed.rest, ext)
        if parsed.kind == "dataset":
            return self.dataset(environ, ext)
        if parsed.kind == "post" and len(parsed.rest) == 2 and parsed.rest[0] == "page":
            return self.post_page(environ, iri, parsed.rest[1], ext)
        return self.resource(environ, iri, ext, parsed.kind)

    def post_page(
        self, environ: Mapping[str, Any], iri: str, number: str, ext: str | None
    ) -> Response:
        """Page 2, 3... of the cables of a post (``post/{Name}/page/{n}``)."""
        post = iri.rsplit("/page/", 1)[0]
        group = self.catalogue.origins.get(post)
        if group is None or ext not in (None, ".html") or not number.isdigit() or number[0] == "0":
            return self.not_found(environ)
        if self.pick(environ, ext, (HTML,)) is None:
            return self.not_acceptable(environ, (HTML,))
        page = pages.cable_list_page(
            self.base,
            post[len(self.base) :],
            f"Cables from {group.label}",
            group.entries,
            int(number),
        )
        if page is None or int(number) < 2:
            return self.not_found(environ)
        return self.ok(HTML, page.html.encode("utf-8"), ext)

    def _exists(self, parsed: iris.ParsedIri, segments: list[str]) -> bool:
        if parsed.kind in ("cable", "graph") and not parsed.rest:
            return (self.output / cable_file(parsed.key, ".ttl")).is_file()
        return bool(self._describe(self.base + "/".join(segments)))

    def pick(
        self, environ: Mapping[str, Any], ext: str | None, offers: Sequence[str]
    ) -> str | None:
        if ext is not None:
            media = EXTENSIONS.get(ext)
            return media if media in offers else None
        return negotiate(environ.get("HTTP_ACCEPT"), offers, ALIASES)

    def not_acceptable(self, environ: Mapping[str, Any], offers: Sequence[str]) -> Response:
        return self.problem(
            environ,
            406,
            "http.not-acceptable",
            "none of the formats this resource is offered in is acceptable",
            "accept one of: "
            + ", ".join(offers)
            + " (or add .html, .ttl, .jsonld or .nt to the path)",
        )

    # -- cables and their parts ----------------------------------------------------------

    def _stamp(self, reference_id: str) -> tuple[int, int]:
        """When and how big the cable's Turtle file is: the key of the caches below."""
        try:
            info = (self.output / cable_file(reference_id, ".ttl")).stat()
        except OSError:
            return (0, 0)
        return (info.st_mtime_ns, info.st_size)

    def cable_triples(self, reference_id: str) -> tuple[ox.Triple, ...] | None:
        """The triples of a cable's file (cached while the file is unchanged)."""
        return self._triples(reference_id, self._stamp(reference_id))

    def _triples_uncached(
        self, reference_id: str, stamp: tuple[int, int]
    ) -> tuple[ox.Triple, ...] | None:
        found = pages.read_cable_triples(self.output, reference_id)
        return tuple(found) if found is not None else None

    def _render_uncached(
        self, reference_id: str, iri: str, media: str, stamp: tuple[int, int]
    ) -> bytes | None:
        """A cable as N-Triples or as its page; None when its files cannot be read."""
        triples = self._triples(reference_id, stamp)
        if triples is None:
            return None
        quads = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
        if media == NTRIPLES:
            return export.ntriples_bytes(quads)
        view = pages.cable_view(triples, iri)
        if view is None:
            return None
        try:
            jsonld = json.loads((self.output / cable_file(reference_id, ".jsonld")).read_bytes())
        except (OSError, ValueError):
            jsonld = export.jsonld_document(quads, ox.NamedNode(iri), self.loader)
        return pages.cable_page(view, self.base, jsonld).html.encode("utf-8")

    def cable(
        self,
        environ: Mapping[str, Any],
        reference_id: str,
        rest: tuple[str, ...],
        iri: str,
        ext: str | None,
    ) -> Response:
        ttl = self.output / cable_file(reference_id, ".ttl")
        if not ttl.is_file():
            return self.missing_cable(environ, reference_id, rest, ext)
        if rest:
            return self.part(environ, reference_id, iri, "/".join(rest), ext)
        media = self.pick(environ, ext, RDF_OFFERS)
        if media is None:
            return self.not_acceptable(environ, RDF_OFFERS)
        if media == TURTLE:
            return self.ok(media, ttl.read_bytes(), ext)
        if media == JSONLD:
            return self.ok(
                media, (self.output / cable_file(reference_id, ".jsonld")).read_bytes(), ext
            )
        body = self._render(reference_id, iri, media, self._stamp(reference_id))
        if body is None:
            return self.unreadable(environ, ttl)
        return self.ok(media, body, ext)

    def part(
        self, environ: Mapping[str, Any], reference_id: str, iri: str, key: str, ext: str | None
    ) -> Response:
        """A node inside a cable's graph (paragraph, version, header...): its triples for RDF
        clients; for people, 303 to the cable's page at the part's anchor."""
        triples = self.cable_triples(reference_id) or ()
        selected = [
            t
            for t in triples
            if (
                isinstance(t.subject, ox.NamedNode)
                and (t.subject.value == iri or t.subject.value.startswith(iri + "/"))
            )
            or (isinstance(t.object, ox.NamedNode) and t.object.value == iri)
        ]
        if not any(
            isinstance(t.subject, ox.NamedNode) and t.subject.value == iri for t in selected
        ):
            return self.not_found(environ)
        media = self.pick(environ, ext, RDF_OFFERS)
        if media is None:
            return self.not_acceptable(environ, RDF_OFFERS)
        if media == HTML:
            page = pages.cable_path(reference_id) + "#" + pages.anchor_for(key)
            return self.see_other(environ, page)
        return self.rdf(media, selected, iri, ext)

    def graph(
        self,
        environ: Mapping[str, Any],
        reference_id: str,
        rest: tuple[str, ...],
        iri: str,
        ext: str | None,
    ) -> Response:
        ttl = self.output / cable_file(reference_id, ".ttl")
        if not ttl.is_file():
            return self.not_found(environ)
        if rest:
            return self.part(environ, reference_id, iri, "/".join(rest), ext)
        media = self.pick(environ, ext, RDF_OFFERS)
        if media is None:
            return self.not_acceptable(environ, RDF_OFFERS)
        if media == HTML:
            return self.see_other(environ, pages.cable_path(reference_id))
        return self.cable(
            environ,
            reference_id,
            (),
            self.minter.cable(reference_id).value,
            {TURTLE: ".ttl", JSONLD: ".jsonld", NTRIPLES: ".nt"}[media],
        )

    def alias(
        self, environ: Mapping[str, Any], printed: str, rest: tuple[str, ...], ext: str | None
    ) -> Response:
        alias_iri = self.minter.alias(printed)
        target: str | None = None
        for q in self.db.quads_for_pattern(alias_iri, vocab.OWL.sameAs, None):
            if isinstance(q.object, ox.NamedNode):
                target = q.object.value
                break
        if target is None:
            canonical = canonical_id(printed)
            if (self.output / cable_file(canonical, ".ttl")).is_file():
                target = self.minter.cable(canonical).value
        if target is None or not target.startswith(self.base) or rest:
            return self.missing_cable(environ, printed, rest, ext)
        return self.moved(environ, target[len(self.base) :] + (ext or ""))

    def missing_cable(
        self, environ: Mapping[str, Any], raw: str, rest: tuple[str, ...], ext: str | None
    ) -> Response:
        """A cable this edition does not hold: 301 to the canonical ID when that one is
        held, else a 404 that says whether the ID is published and suggests close IDs."""
        canonical = canonical_id(raw)
        if canonical != raw and (self.output / cable_file(canonical, ".ttl")).is_file():
            tail = "/" + "/".join(rest) if rest else ""
            return self.moved(environ, pages.cable_path(canonical) + tail + (ext or ""))
        index = default_index()
        suggestions = close_ids(raw, lambda rid: (self.output / cable_file(rid, ".ttl")).is_file())
        shown = tuple((rid, pages.cable_path(rid), held) for rid, held in suggestions)
        for rid in (raw, canonical):
            if rid in index:
                when = _created_words(rid)
                return self.problem(
                    environ,
                    404,
                    "http.cable-not-in-edition",
                    f"{rid} is a published cable ID"
                    + (f" (created {when})" if when else "")
                    + ", but this edition does not hold it",
                    "this edition was converted from part of the published cables; convert the "
                    "cable's sources to add it",
                    suggestions=shown,
                )
        return self.problem(
            environ,
            404,
            "http.unknown-cable",
            f"no published cable has the reference ID {raw}",
            "a reference ID is a two-digit year, a station and a number, as in 06ASTANA395; "
            "check it, or pick one of the close IDs",
            suggestions=shown,
        )

    # -- other resources -----------------------------------------------------------------

    def _describe_uncached(self, iri: str) -> tuple[ox.Triple, ...]:
        node = ox.NamedNode(iri)
        found = {q.triple for q in self.db.quads_for_pattern(node, None, None)}
        return tuple(sorted(found, key=str))

    def resource(
        self, environ: Mapping[str, Any], iri: str, ext: str | None, kind: str
    ) -> Response:
        triples = self._describe(iri)
        if not triples:
            return self.not_found(environ)
        media = self.pick(environ, ext, RDF_OFFERS)
        if media is None:
            return self.not_acceptable(environ, RDF_OFFERS)
        if media != HTML:
            return self.rdf(media, list(triples), iri, ext)
        page = pages.resource_page(self.base, iri, list(triples), self.catalogue, self.loader)
        return self.ok(HTML, page.html.encode("utf-8"), ext)

    def concept(self, environ: Mapping[str, Any], segments: list[str]) -> Response:
        last, ext = _split_extension(segments[-1])
        iri = VOCAB_BASE + "/".join([*segments[:-1], last])
        if ext is not None and not self._describe(iri):
            iri, ext = VOCAB_BASE + "/".join(segments), None
        return self.resource(environ, iri, ext, "concept")

    def ontology(self, environ: Mapping[str, Any], segments: list[str]) -> Response:
        ext = _split_extension(segments[-1])[1]
        if len(segments) > 2:
            return self.not_found(environ)
        path = self.output / "ontology" / "cablerdf.ttl"
        if not path.is_file():
            return self.not_found(environ)
        media = self.pick(environ, ext, RDF_OFFERS)
        if media is None:
            return self.not_acceptable(environ, RDF_OFFERS)
        if media == TURTLE:
            return self.ok(TURTLE, path.read_bytes(), ext)
        try:
            triples = [q.triple for q in ox.parse(path.read_bytes(), ox.RdfFormat.TURTLE)]
        except SyntaxError:
            return self.unreadable(environ, path)
        if media != HTML:
            return self.rdf(media, triples, iris.ONTOLOGY_IRI, ext)
        page = pages.ontology_page(self.base, triples)
        return self.ok(HTML, page.html.encode("utf-8"), ext)

    def dataset(self, environ: Mapping[str, Any], ext: str | None) -> Response:
        if ext == "?":
            return self.not_found(environ)
        media = self.pick(environ, ext, RDF_OFFERS)
        if media is None:
            return self.not_acceptable(environ, RDF_OFFERS)
        void_path = self.output / "void.ttl"
        if media == TURTLE and void_path.is_file():
            return self.ok(TURTLE, void_path.read_bytes(), ext)
        dataset_iri = self.minter.dataset().value
        if media != HTML:
            return self.rdf(media, list(self._void), dataset_iri, ext)
        page = pages.home_page(self.base, self.catalogue, self._void, self.loader)
        return self.ok(HTML, page.html.encode("utf-8"), ext)

    def _read_void(self) -> tuple[ox.Triple, ...]:
        try:
            data = (self.output / "void.ttl").read_bytes()
            return tuple(q.triple for q in ox.parse(data, ox.RdfFormat.TURTLE))
        except (OSError, SyntaxError):
            return ()

    def browse(self, environ: Mapping[str, Any], rest: list[str]) -> Response:
        page = self._browse(tuple(rest))
        if page is None:
            return self.not_found(environ)
        if self.pick(environ, None, (HTML,)) is None:
            return self.not_acceptable(environ, (HTML,))
        return self.ok(HTML, page.html.encode("utf-8"), None)

    def file(self, environ: Mapping[str, Any], segments: list[str]) -> Response:
        if not all(_FILE_SEGMENT.fullmatch(s) for s in segments):
            return self.not_found(environ)
        root = self.output.resolve()
        path = root.joinpath(*segments).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return self.not_found(environ)
        suffix = path.suffix if path.suffix in FILE_TYPES else ""
        media = FILE_TYPES.get(suffix, "application/octet-stream")
        return Response(
            200,
            (("Content-Type", media), ("Access-Control-Allow-Origin", "*"), *_SECURITY_HEADERS),
            file=path,
        )

    # -- SPARQL --------------------------------------------------------------------------

    def sparql(self, environ: Mapping[str, Any], method: str, query_string: str) -> Response:
        if method == "OPTIONS":
            return Response(
                204,
                (
                    ("Allow", "GET, HEAD, POST, OPTIONS"),
                    ("Access-Control-Allow-Origin", "*"),
                    ("Access-Control-Allow-Methods", "GET, POST"),
                    ("Access-Control-Allow-Headers", "Content-Type, Accept"),
                ),
            )
        if method not in ("GET", "HEAD", "POST"):
            return self.problem(
                environ,
                405,
                "http.method-not-allowed",
                f"{method} is not allowed on the SPARQL endpoint",
                "use GET or POST with a query; updates are not accepted",
                extra=(("Allow", "GET, HEAD, POST, OPTIONS"),),
            )
        params = parse_qs(query_string, keep_blank_values=True)
        query: str | None = params.get("query", [None])[0]
        if "update" in params:
            return self.problem(
                environ,
                405,
                "http.method-not-allowed",
                "SPARQL updates are not accepted: this server is read-only",
                "send queries only",
            )
        if method == "POST":
            body = self._body(environ)
            if isinstance(body, Response):
                return body
            media = str(environ.get("CONTENT_TYPE", "")).split(";")[0].strip().lower()
            if media == "application/sparql-query":
                query = body.decode("utf-8", "replace")
            elif media == "application/x-www-form-urlencoded":
                form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
                if "update" in form:
                    return self.problem(
                        environ,
                        405,
                        "http.method-not-allowed",
                        "SPARQL updates are not accepted: this server is read-only",
                        "send queries only",
                    )
                query = form.get("query", [query])[0]
                for key in ("default-graph-uri", "named-graph-uri"):
                    params.setdefault(key, []).extend(form.get(key, []))
            else:
                return self.problem(
                    environ,
                    415,
                    "sparql.unsupported-media-type",
                    f"a POST to /sparql must be application/sparql-query or "
                    f"application/x-www-form-urlencoded, not {media or 'nothing'}",
                    "see the SPARQL 1.1 Protocol, section 2.1",
                )
        accept = environ.get("HTTP_ACCEPT")
        if query is None or not query.strip():
            if negotiate(accept, (HTML, SPARQL_JSON)) == HTML:
                page = pages.sparql_form_page(self.base, _EXAMPLE_QUERY)
                return self.ok(HTML, page.html.encode("utf-8"), None)
            return self.problem(
                environ,
                400,
                "sparql.missing-query",
                "no query: give it as ?query=... or in a POST body",
                "see the SPARQL 1.1 Protocol",
            )
        if self.queries is None:
            return self.problem(
                environ,
                503,
                "sparql.unavailable",
                "the SPARQL endpoint is not running",
                "start the server with it",
            )
        request = QueryRequest(
            query,
            accept,
            tuple(params.get("default-graph-uri", [])),
            tuple(params.get("named-graph-uri", [])),
        )
        try:
            for g in (*request.default_graphs, *request.named_graphs):
                ox.NamedNode(g)
        except ValueError as error:
            return self.problem(
                environ,
                400,
                "sparql.failed",
                f"a graph IRI is not valid: {error}",
                "give absolute IRIs",
            )
        answer = self.queries.run(request)
        if answer.status >= 400:
            return self.problem(environ, answer.status, answer.code, answer.detail, answer.hint)
        headers = [
            ("Content-Type", _with_charset(answer.media)),
            ("Vary", "Accept"),
            ("Access-Control-Allow-Origin", "*"),
            *_SECURITY_HEADERS,
        ]
        if answer.media == HTML:
            page = pages.sparql_form_page(self.base, query, answer.body.decode("utf-8"))
            return Response(
                200,
                (*headers, ("Content-Security-Policy", pages.CONTENT_SECURITY_POLICY)),
                page.html.encode("utf-8"),
            )
        return Response(200, tuple(headers), answer.body)

    def _body(self, environ: Mapping[str, Any]) -> bytes | Response:
        length_text = str(environ.get("CONTENT_LENGTH") or "").strip()
        if not length_text:
            return self.problem(
                environ,
                411,
                "http.length-required",
                "a POST must say its Content-Length",
                "send the length",
            )
        if not length_text.isdigit():
            return self.problem(
                environ,
                400,
                "http.bad-request",
                "the Content-Length is not a number",
                "send a valid length",
            )
        length = int(length_text)
        if length > self.options.max_body:
            return self.problem(
                environ,
                413,
                "http.body-too-large",
                f"the request body is larger than {self.options.max_body} bytes",
                "send a shorter query",
            )
        stream: IO[bytes] = environ["wsgi.input"]
        return stream.read(length)

    # -- responses -----------------------------------------------------------------------

    def rdf(self, media: str, triples: Sequence[ox.Triple], root: str, ext: str | None) -> Response:
        quads = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
        if media == TURTLE:
            return self.ok(media, export.turtle_bytes(quads), ext)
        if media == NTRIPLES:
            return self.ok(media, export.ntriples_bytes(quads), ext)
        document = export.jsonld_document(quads, ox.NamedNode(root), self.loader)
        return self.ok(media, export.jsonld_bytes(document), ext)

    def ok(self, media: str, body: bytes, ext: str | None) -> Response:
        headers = [
            ("Content-Type", _with_charset(media)),
            ("Access-Control-Allow-Origin", "*"),
            *_SECURITY_HEADERS,
        ]
        if ext is None:
            headers.append(("Vary", "Accept"))
        if media == HTML:
            headers.append(("Content-Security-Policy", pages.CONTENT_SECURITY_POLICY))
        return Response(200, tuple(headers), body)

    def see_other(self, environ: Mapping[str, Any], target_path: str) -> Response:
        here = _raw_uri(environ).partition("?")[0][1:]
        return Response(
            303,
            (
                ("Location", pages.relative(here, target_path)),
                ("Vary", "Accept"),
                ("Content-Type", "text/plain; charset=utf-8"),
            ),
            f"See {target_path}\n".encode(),
        )

    def moved(self, environ: Mapping[str, Any], target_path: str) -> Response:
        here = _raw_uri(environ).partition("?")[0][1:]
        return Response(
            301,
            (
                ("Location", pages.relative(here, target_path)),
                ("Content-Type", "text/plain; charset=utf-8"),
            ),
            f"Moved to {target_path}\n".encode(),
        )

    def not_found(self, environ: Mapping[str, Any]) -> Response:
        return self.problem(
            environ,
            404,
            "http.not-found",
            "nothing is published at this IRI",
            "check the path; cables live at /cable/ID, paragraphs at "
            "/cable/ID/p/N; browse them at /browse",
        )

    def unreadable(self, environ: Mapping[str, Any], path: Path) -> Response:
        return self.problem(
            environ,
            500,
            "http.unreadable-file",
            f"the file {path.name} of the output folder could not be read",
            "convert the cable again",
        )

    def problem(
        self,
        environ: Mapping[str, Any],
        status: int,
        code: str,
        detail: str,
        hint: str,
        *,
        suggestions: tuple[tuple[str, str, bool], ...] = (),
        extra: tuple[tuple[str, str], ...] = (),
        vary: bool = True,
    ) -> Response:
        """The one error response: a :class:`~cablerdf.pages.Problem` as problem+json, or as
        an HTML page carrying the same JSON for clients that prefer HTML."""
        path = _raw_uri(environ).partition("?")[0]
        problem = Problem(status, _status_line(status)[4:], code, detail, hint, path, suggestions)
        return problem_response(problem, environ.get("HTTP_ACCEPT"), self.base, extra, vary)


def problem_response(
    problem: Problem,
    accept: str | None,
    base: str,
    extra: tuple[tuple[str, str], ...] = (),
    vary: bool = True,
) -> Response:
    """A problem as a response: HTML when the client prefers it to JSON, else problem+json."""
    headers: list[tuple[str, str]] = [*extra, *_SECURITY_HEADERS]
    if vary:
        headers.append(("Vary", "Accept"))
    prefers_html = (
        accept is not None
        and negotiate(accept, (PROBLEM_JSON, HTML), {"application/json": PROBLEM_JSON}) == HTML
    )
    if prefers_html:
        here = problem.instance.lstrip("/")
        body = pages.problem_page(base, here, problem).encode("utf-8")
        headers += [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Security-Policy", pages.CONTENT_SECURITY_POLICY),
        ]
    else:
        body = (json.dumps(problem.to_json(), ensure_ascii=False, sort_keys=True) + "\n").encode()
        headers.append(("Content-Type", PROBLEM_JSON))
    return Response(problem.status, tuple(headers), body)


_EXAMPLE_QUERY: Final = """\
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX cr: <https://w3id.org/cablegate/ontology#>
SELECT ?cable ?created ?title WHERE {
  ?cable a cr:Cable ; dct:created ?created .
  OPTIONAL { ?cable dct:title ?title }
}
ORDER BY ?created
LIMIT 20
"""


def _with_charset(media: str) -> str:
    if media.startswith("text/") or media in (SPARQL_JSON, SPARQL_XML):
        return f"{media}; charset=utf-8"
    return media


def _raw_uri(environ: Mapping[str, Any]) -> str:
    """The request target as sent (undecoded): ``RAW_URI`` or ``REQUEST_URI`` when the
    server gives it, else rebuilt from ``PATH_INFO`` and ``QUERY_STRING``."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        text = str(raw)
        if text.startswith(("http://", "https://")):
            rest = text.split("://", 1)[1]
            text = "/" + rest.partition("/")[2]
        return text
    from urllib.parse import quote

    path = str(environ.get("PATH_INFO", "/")).encode("latin-1", "replace")
    query = str(environ.get("QUERY_STRING", ""))
    return quote(path, safe="/!$&'()*+,;=:@-._~%") + (f"?{query}" if query else "")


def _chunks(f: IO[bytes]) -> Iterator[bytes]:
    with f:
        yield from iter(lambda: f.read(1 << 16), b"")


# ---- the HTTP server ------------------------------------------------------------------------


class _Handler(WSGIRequestHandler):
    """Keeps the raw request target, answers low-level errors in the one error shape, and
    logs one line per request (or nothing)."""

    timeout = 30
    log_stream: IO[str] | None = None
    base: str = ""

    def get_environ(self) -> dict[str, Any]:
        env: dict[str, Any] = super().get_environ()
        env["RAW_URI"] = self.path
        return env

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        codes = {
            400: "http.bad-request",
            414: "http.uri-too-long",
            431: "http.headers-too-large",
            501: "http.method-not-allowed",
            505: "http.bad-request",
        }
        problem = Problem(
            code,
            _status_line(code)[4:],
            codes.get(code, "http.bad-request"),
            message or "the request could not be read",
            explain or "send a valid HTTP/1.1 request",
            (self.path if hasattr(self, "path") else "") or "/",
        )
        response = problem_response(problem, None, self.base)
        try:
            self.send_response(code, _status_line(code)[4:])
            for name, value in response.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if getattr(self, "command", None) != "HEAD":
                self.wfile.write(response.body)
        except OSError:
            pass
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        if self.log_stream is not None:
            self.log_stream.write(f"{self.address_string()} - {format % args}\n")


class PooledWSGIServer(WSGIServer):
    """A WSGI server that handles requests on a fixed pool of threads; when every thread is
    busy, new connections wait in the listen queue."""

    request_queue_size = 128
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[WSGIRequestHandler], threads: int
    ) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="serve")
        self._slots = threading.BoundedSemaphore(threads * 2)
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self._slots.acquire()
        try:
            self._pool.submit(self._work, request, client_address)
        except RuntimeError:
            self._slots.release()
            self.shutdown_request(request)

    def _work(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - a broken connection must not kill the server
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        _log.error("error on a request from %s: %r", client_address, exc)

    def server_close(self) -> None:
        super().server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)


def make_server(
    app: Callable[..., Iterable[bytes]],
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    threads: int = 16,
    log: IO[str] | None = None,
    base: str = "",
) -> PooledWSGIServer:
    """An HTTP server for ``app`` on ``host:port`` (port 0: any free port), not yet serving:
    call ``serve_forever()`` (and ``shutdown()`` from another thread)."""
    handler = type("Handler", (_Handler,), {"log_stream": log, "base": base})
    server = PooledWSGIServer((host, port), handler, threads)
    server.set_app(app)
    return server


def serve_in_thread(server: BaseServer) -> threading.Thread:
    """Run ``server.serve_forever`` in a daemon thread (for tests and embedding)."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


def read_base(output: Path) -> str | None:
    """The base IRI an output folder was made with (``void:uriSpace`` of its ``void.ttl``)."""
    try:
        data = (output / "void.ttl").read_bytes()
        for q in ox.parse(data, ox.RdfFormat.TURTLE):
            if q.predicate.value == "http://rdfs.org/ns/void#uriSpace" and isinstance(
                q.object, ox.Literal
            ):
                return q.object.value
    except (OSError, SyntaxError):
        return None
    return None
