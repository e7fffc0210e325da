"""``cablerdf validate``: check existing Turtle, JSON-LD or N-Quads output against the shapes."""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import click
import pyoxigraph as ox
from pyld import jsonld  # type: ignore[import-untyped]

from cablerdf.cli._common import EXIT_CANNOT_RUN, EXIT_FAILED, quiet_option
from cablerdf.validation import (
    ENGINES,
    CableValidation,
    ValidationResult,
    Validator,
    report_turtle,
)

FORMATS: dict[str, ox.RdfFormat | None] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": None,  # JSON-LD: expanded with pyld and its offline loader
}
"""The file extensions read (each also with ``.gz``), and their RDF format."""

FORMAT_NAMES: dict[str, str] = {
    ".ttl": "Turtle",
    ".nt": "N-Triples",
    ".nq": "N-Quads",
    ".trig": "TriG",
    ".jsonld": "JSON-LD",
}

PACKAGED_CONTEXT = "context-v1.jsonld"
"""The JSON-LD context (version 1) packaged in ``cablerdf/data``."""

SHORT: dict[str, str] = {
    "https://w3id.org/cablegate/ontology#": "cr:",
    "https://w3id.org/cablegate/scheme/": "sch:",
    "https://w3id.org/cablegate/shapes#": "",
    "http://purl.org/dc/terms/": "dct:",
    "http://schema.org/": "schema:",
    "http://www.w3.org/ns/prov#": "prov:",
    "http://purl.org/spar/cito/": "cito:",
    "http://purl.org/spar/c4o/": "c4o:",
    "http://purl.org/spar/fabio/": "fabio:",
    "http://www.essepuntato.it/2008/12/pattern#": "po:",
    "http://www.w3.org/ns/oa#": "oa:",
    "http://www.w3.org/2004/02/skos/core#": "skos:",
    "http://www.w3.org/2001/XMLSchema#": "xsd:",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf:",
    "http://www.w3.org/2000/01/rdf-schema#": "rdfs:",
    "http://rdfs.org/ns/void#": "void:",
}
"""Prefixes used to shorten IRIs in the text summary."""


class InputError(Exception):
    """An input file that cannot be read as RDF."""


# ---- JSON-LD without network --------------------------------------------------------------


@dataclass(frozen=True)
class OfflineLoader:
    """A pyld document loader that never goes to the network.

    It serves, in this order: the contexts given as ``IRI=PATH`` (``mapping``); for a
    context IRI ending in ``/context/NAME``, a ``context/NAME`` file in one of ``search`` (the
    JSON-LD file's folder and its parents, as the exporter lays out its output); and for
    ``/context/v1.jsonld``, the context packaged with cablerdf. Anything else fails.
    """

    mapping: Mapping[str, Path] = field(default_factory=dict)
    search: tuple[Path, ...] = ()

    def __call__(self, url: str, options: Any = None) -> dict[str, Any]:
        path = self.mapping.get(url)
        name = url.rsplit("/context/", 1)[1] if "/context/" in url else ""
        if path is None and name and "/" not in name:
            found = [d / "context" / name for d in self.search if (d / "context" / name).is_file()]
            packaged = Path(str(resources.files("cablerdf").joinpath("data", PACKAGED_CONTEXT)))
            if found:
                path = found[0]
            elif name == "v1.jsonld" and packaged.is_file():
                path = packaged
        if path is None:
            raise jsonld.JsonLdError(
                f"the context {url} is not available offline; pass --context {url}=PATH",
                "jsonld.LoadDocumentError",
                code="loading document failed",
            )
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise jsonld.JsonLdError(
                f"could not read the context file {path}: {e}",
                "jsonld.LoadDocumentError",
                code="loading document failed",
            ) from e
        return {"contextUrl": None, "documentUrl": url, "document": document}


# ---- reading files ------------------------------------------------------------------------


def rdf_extension(path: Path) -> str | None:
    """The RDF extension of a file (``.ttl``, ``.jsonld``...; ``.gz`` looked through), or
    None when it is not one of :data:`FORMATS`."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes and suffixes[-1] in FORMATS else None


def find_files(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """(RDF files, files of unknown format named directly) under ``paths``, folders walked."""
    found: list[Path] = []
    unknown: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and rdf_extension(p)))
        elif rdf_extension(path):
            found.append(path)
        else:
            unknown.append(path)
    return found, unknown


def read_quads(path: Path, loader: OfflineLoader) -> list[ox.Quad]:
    """The quads of one file (Turtle and N-Triples give default-graph triples)."""
    extension = rdf_extension(path)
    if extension is None:
        raise InputError(f"cannot tell the RDF format of {path}")
    try:
        data = path.read_bytes()
        if path.suffix.lower() == ".gz":
            data = gzip.decompress(data)
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise InputError(f"could not read {path}: {e}") from e
    fmt = FORMATS[extension]
    if fmt is None:
        data = _jsonld_to_nquads(path, data, loader)
        fmt = ox.RdfFormat.N_QUADS
    try:
        return list(ox.parse(data, format=fmt, base_iri=path.resolve().as_uri()))
    except (SyntaxError, ValueError) as e:
        raise InputError(f"{path} is not valid {FORMAT_NAMES[extension]}: {e}") from e


def _jsonld_to_nquads(path: Path, data: bytes, loader: OfflineLoader) -> bytes:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise InputError(f"{path} is not JSON: {e}") from e
    options = {
        "format": "application/n-quads",
        "documentLoader": loader,
        "base": path.resolve().as_uri(),
    }
    try:
        nquads = jsonld.to_rdf(document, options)
    except jsonld.JsonLdError as e:
        raise InputError(f"could not expand the JSON-LD of {path}: {_jsonld_reason(e)}") from e
    return str(nquads).encode("utf-8")


def _jsonld_reason(error: BaseException) -> str:
    """The message of the innermost JSON-LD error (pyld wraps the loader's error)."""
    reason = str(error.args[0]) if error.args else str(error)
    cause = error.__cause__ or error.__context__
    seen = 0
    while cause is not None and seen < 20:
        if isinstance(cause, jsonld.JsonLdError) and cause.args:
            reason = str(cause.args[0])
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return reason


def graphs_of(quads: Sequence[ox.Quad]) -> Iterator[tuple[str, list[ox.Triple]]]:
    """The quads grouped by graph name (``""`` for the default graph), in order."""
    graphs: dict[str, list[ox.Triple]] = {}
    for q in quads:
        name = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
        graphs.setdefault(name, []).append(ox.Triple(q.subject, q.predicate, q.object))
    yield from graphs.items()


# ---- the text summary ---------------------------------------------------------------------


def short(iri: str) -> str:
    """An IRI shortened for reading: known prefixes, and data IRIs from ``cable/`` on."""
    for namespace, prefix in SHORT.items():
        if iri.startswith(namespace):
            return prefix + iri[len(namespace) :]
    for marker in ("/cable/", "/graph/", "/post/", "/station/", "/country/"):
        if marker in iri:
            return marker[1:] + iri.rsplit(marker, 1)[1]
    return iri


def short_term(nt: str) -> str:
    """An N-Triples term shortened for reading."""
    if nt.startswith("<") and nt.endswith(">"):
        return short(nt[1:-1])
    if nt.startswith('"') and '"^^<' in nt:
        lexical, datatype = nt.rsplit('"^^<', 1)
        return f'{lexical}"^^{short(datatype[:-1])}'
    return nt


def short_path(path: str) -> str:
    if path.startswith(("<", "^", "(")):
        for namespace, prefix in SHORT.items():
            path = path.replace("<" + namespace, prefix)
        return path.replace(">", "")
    return short(path)


def describe(r: ValidationResult) -> str:
    where = short(r.focus) + (f" {short_path(r.path)}" if r.path else "")
    value = f" [value {short_term(r.value)}]" if r.value is not None else ""
    return f"  {r.severity:<9} {short(r.shape):<34} {where}: {r.message}{value}"


@dataclass
class _Tally:
    graphs: int = 0
    conforming: int = 0
    by_severity: dict[str, int] = field(
        default_factory=lambda: {"Violation": 0, "Warning": 0, "Info": 0}
    )


# ---- the command --------------------------------------------------------------------------


def _contexts(values: Sequence[str]) -> dict[str, Path]:
    mapping: dict[str, Path] = {}
    for value in values:
        iri, sep, path = value.partition("=")
        if not sep or not iri or not path:
            raise click.BadParameter(
                f"{value!r} is not IRI=PATH (e.g. https://w3id.org/cablegate/context/v1.jsonld="
                "out/context/v1.jsonld)",
                param_hint="--context",
            )
        if not Path(path).is_file():
            raise click.BadParameter(f"no such file: {path}", param_hint="--context")
        mapping[iri] = Path(path)
    return mapping


def _search_dirs(file: Path, roots: Sequence[Path]) -> tuple[Path, ...]:
    here = file.resolve().parent
    dirs = [here, *here.parents]
    tops = {r.resolve() if r.is_dir() else r.resolve().parent for r in roots}
    kept: list[Path] = []
    for d in dirs:
        kept.append(d)
        if d in tops:
            break
    return tuple(kept)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the SHACL validation report (Turtle) of every graph to this file.",
)
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on violations.")
@click.option(
    "--context",
    "contexts",
    multiple=True,
    metavar="IRI=PATH",
    help="Read the JSON-LD context IRI from a local file (repeatable; no network is used).",
)
@click.option(
    "--engine",
    type=click.Choice(["auto", *ENGINES]),
    default="auto",
    show_default=True,
    help="The SHACL engine (auto: native, cablerdf's own; turbo: pyshacl-turbo; pyshacl: "
    "pySHACL, the reference). They give the same results on cablerdf's shapes.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: a summary per cable; json: one result per line (JSON Lines).",
)
@quiet_option
def validate(
    paths: tuple[Path, ...],
    report_path: Path | None,
    strict: bool,
    contexts: tuple[str, ...],
    engine: str,
    fmt: str,
    quiet: bool,
) -> None:
    """Validate Turtle, JSON-LD or N-Quads output against the cablerdf SHACL shapes.

    PATHS are files or folders (walked for .ttl, .nt, .nq, .trig and .jsonld files, each
    also as .gz). Each named graph is validated on its own; the default graph of a file is
    validated as one graph. Nothing is written unless --report is given.

    Exit codes: 0 conforms (warnings allowed), 1 violations (or warnings with --strict),
    2 usage error, 3 could not run (unreadable input, missing engine).

    \b
    Example:
        cablerdf validate out/cables.nq --report out/report.ttl
    """
    mapping = _contexts(contexts)
    files, unknown = find_files(paths)
    if unknown:
        raise click.UsageError(
            f"cannot tell the RDF format of {unknown[0]}: expected .ttl, .nt, .nq, .trig or "
            ".jsonld (optionally .gz)"
        )
    if not files:
        raise click.UsageError(
            "no .ttl, .nt, .nq, .trig or .jsonld file found in " + ", ".join(str(p) for p in paths)
        )
    try:
        validator = Validator.load(engine)
    except (ImportError, OSError, SyntaxError, ValueError) as e:
        click.echo(f"error: could not load the shapes or the SHACL engine: {e}", err=True)
        click.get_current_context().exit(EXIT_CANNOT_RUN)
        return

    out = sys.stdout
    tally = _Tally()
    unreadable = 0
    everything: list[ValidationResult] = []
    for file in files:
        loader = OfflineLoader(mapping, _search_dirs(file, paths))
        try:
            quads = read_quads(file, loader)
        except InputError as e:
            unreadable += 1
            click.echo(f"error: {e}", err=True)
            continue
        for name, triples in graphs_of(quads):
            v = validator.validate_triples(name, triples)
            tally.graphs += 1
            tally.conforming += v.conforms
            for r in v.results:
                tally.by_severity[r.severity] += 1
            everything.extend(v.results)
            _write(out, fmt, quiet, v, file)

    if report_path is not None:
        try:
            report_path.write_bytes(report_turtle(everything))
        except OSError as e:
            click.echo(f"error: could not write the report {report_path}: {e}", err=True)
            click.get_current_context().exit(EXIT_CANNOT_RUN)
            return
    counts = tally.by_severity
    click.echo(
        f"validated {tally.graphs} graph(s) in {len(files) - unreadable} file(s) with "
        f"{validator.engine}: {tally.conforming} conform; {counts['Violation']} violation(s), "
        f"{counts['Warning']} warning(s), {counts['Info']} info",
        err=True,
    )
    if unreadable:
        click.get_current_context().exit(EXIT_CANNOT_RUN)
    if counts["Violation"] or (strict and counts["Warning"]):
        click.get_current_context().exit(EXIT_FAILED)


def _write(out: Any, fmt: str, quiet: bool, v: CableValidation, file: Path) -> None:
    shown = [r for r in v.results if not (quiet and r.severity == "Info")]
    if fmt == "json":
        for r in shown:
            record = {"file": str(file), "graph": v.graph, **r.to_json()}
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        return
    if not shown:
        return
    cables = sorted({r.cable for r in shown if r.cable})
    title = ", ".join(short(c) for c in cables) or short(v.graph) or str(file)
    graph = f"graph {v.graph}" if v.graph else "default graph"
    out.write(f"{title} ({graph} of {file})\n")
    for r in shown:
        out.write(describe(r) + "\n")
