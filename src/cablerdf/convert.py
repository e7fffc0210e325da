"""The convert pipeline: read, parse, group by cable, then map, validate and write one cable
at a time. The output folder is described in ``docs/output.md``.

:func:`convert` is the one entry point. It runs in two passes, in memory that does not grow
with the corpus:

1. Every source record is read and parsed, and spooled on disk by canonical reference ID
   (:class:`cablerdf._state.Spool`), so a cable read from several sources is one cable whose
   records are all its versions.
2. The cables are taken in reference-ID order; each is mapped, validated, serialised
   (:func:`convert_cable`, pure) and written. Its lines are appended to the dumps, whose
   gzip members are one per cable.

Runs are incremental. The state of a finished run (``OUT/.cablerdf/state.sqlite``) keys each
source record by its content and each cable by the keys of its records and a fingerprint of
the code and settings. A record seen before is not parsed again unless its cable changed; a
cable whose key is unchanged and whose files are still those written is not converted again:
its files stay, and its gzip members are copied from the previous dumps. The output is the
same, byte for byte, as a run from scratch.

With ``jobs > 1``, parsing and per-cable work run in worker processes (forked where the
platform allows, so they share the loaded index of reference IDs); results are written in
reference-ID order, so the bytes do not depend on ``jobs``. The time of the run appears in
``provenance.ttl`` only.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import functools
import gc
import hashlib
import itertools
import multiprocessing
import platform
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO, Final, Protocol, TypeVar

import isal
from isal import igzip
from pyoxigraph import NamedNode, Quad, Triple

from cablerdf import _state, export, iris, vocab
from cablerdf._state import CableState, Entry, FileStamp, Span, Spool, State, pack, unpack
from cablerdf.cable_ids import default_index
from cablerdf.iris import Minter
from cablerdf.mapping import map_records
from cablerdf.model import CableRecord, Diagnostic, Severity, SourceDocument
from cablerdf.parsing import parse_document
from cablerdf.readers import read_inputs
from cablerdf.settings import Settings
from cablerdf.vocab import CR, RDF

if TYPE_CHECKING:
    from cablerdf.validation import Validator

__all__ = [
    "DEFAULT_LICENSE",
    "CableCheck",
    "CableOutput",
    "Checker",
    "ConvertOptions",
    "ConvertSummary",
    "ShaclChecker",
    "convert",
    "convert_cable",
    "shacl_checker",
]

DEFAULT_LICENSE: Final = "https://creativecommons.org/publicdomain/zero/1.0/"
"""The licence the dataset description states unless told otherwise (CC0 1.0)."""

DUMP_NQUADS: Final = PurePosixPath("dumps/cables.nq.gz")
DUMP_NTRIPLES: Final = PurePosixPath("dumps/cables.nt.gz")
REPORT: Final = PurePosixPath("validation/report.ttl")
SUMMARY: Final = PurePosixPath("validation/summary.txt")
VOID: Final = PurePosixPath("void.ttl")
PROVENANCE: Final = PurePosixPath("provenance.ttl")
MANIFEST: Final = PurePosixPath("MANIFEST.sha256")
EXAMPLES: Final = 3
"""How many cables the dataset description names as examples (the first, by ID)."""

_PACKAGE_DATA = Path(__file__).resolve().parent / "data"


# ---- validation, behind one small interface ----------------------------------------------


@dataclass(frozen=True)
class CableCheck:
    """The SHACL verdict on one cable's graph: whether it conforms (no Violation), its
    report(s) as Turtle, its results for people and as diagnostics."""

    conforms: bool
    reports: tuple[bytes, ...]
    results: tuple[export.ResultLine, ...]
    diagnostics: tuple[Diagnostic, ...]


class Checker(Protocol):
    """Validates the quads of one cable."""

    def check(self, quads: Sequence[Quad]) -> CableCheck: ...


CheckerFactory = Callable[[], Checker]
"""Builds a checker; a module-level function, so that worker processes can build their own."""


@dataclass(frozen=True)
class ShaclChecker:
    """A :class:`Checker` over :class:`cablerdf.validation.Validator` (imported when used:
    loading rdflib and the SHACL engine is slow, and only ``convert`` needs them)."""

    validator: Validator

    def check(self, quads: Sequence[Quad]) -> CableCheck:
        from cablerdf.validation import results_to_diagnostics

        validations = self.validator.validate_quads(list(quads))
        results = [
            export.ResultLine(r.severity, r.focus, r.path or "", r.shape, r.message)
            for v in validations
            for r in v.results
        ]
        return CableCheck(
            conforms=all(v.conforms for v in validations),
            reports=tuple(v.report_turtle for v in validations if v.results),
            results=tuple(results),
            diagnostics=tuple(d for v in validations for d in results_to_diagnostics(v)),
        )


def shacl_checker() -> Checker:
    """The checker of cablerdf's SHACL shapes (:meth:`Validator.load`)."""
    from cablerdf.validation import Validator

    return ShaclChecker(Validator.load())


@functools.lru_cache(maxsize=4)
def _checker(factory: CheckerFactory) -> Checker:
    """One checker per factory and process: loading shapes is slow, checking is not."""
    return factory()


# ---- options and results -----------------------------------------------------------------


@dataclass(frozen=True)
class ConvertOptions:
    """How to convert. ``checker``: builds the SHACL checker (``None``: no validation).
    ``source_date_epoch``: fixes the run's time (seconds since 1970, UTC), as reproducible
    builds do. ``ontology_dir``, ``shapes_dir``: what to copy beside the data (default: the
    project's ``ontology/`` and ``shapes/`` folders, when present). Raises ``ValueError`` on
    a licence that is not an IRI or ``jobs`` below 1 (usage errors)."""

    settings: Settings = field(default_factory=Settings)
    jobs: int = 1
    license: str = DEFAULT_LICENSE
    source_date_epoch: int | None = None
    checker: CheckerFactory | None = shacl_checker
    ontology_dir: Path | None = _PACKAGE_DATA / "ontology"
    shapes_dir: Path | None = _PACKAGE_DATA / "shapes"

    def __post_init__(self) -> None:
        try:
            NamedNode(self.license)
        except ValueError as err:
            raise ValueError(f"the licence {self.license!r} is not an IRI: {err}") from None
        if self.jobs < 1:
            raise ValueError(f"jobs must be 1 or more, not {self.jobs}")


@dataclass(frozen=True)
class CableOutput:
    """Everything one cable gives: its file bytes, dump lines, counts and findings."""

    reference_id: str
    turtle: bytes
    jsonld: bytes
    nquads: bytes
    ntriples: bytes
    triples: int
    entities: int  # subjects that only this cable's graph describes (its own IRIs)
    shared: tuple[str, ...]  # other data IRIs it describes (posts, stations, cited cables)
    versions: tuple[str, ...]  # IRIs of its source versions
    diagnostics: tuple[Diagnostic, ...]
    conforms: bool  # no SHACL Violation
    results: tuple[export.ResultLine, ...]  # SHACL results, violations first
    report: bytes  # the results as N-Triples lines of validation/report.ttl

    @property
    def violations(self) -> int:
        return sum(1 for r in self.results if r.severity == "Violation")


@dataclass(frozen=True)
class ConvertSummary:
    """What a run did, for the summary line and the exit code."""

    records: int
    cables: int
    triples: int
    files: int
    errors: int
    warnings: int
    violations: int
    nonconforming: tuple[str, ...]  # reference IDs of cables with a SHACL Violation
    unchanged: int = 0  # cables taken as the previous run wrote them

    def line(self) -> str:
        kept = (
            f"; {self.unchanged} cable(s) unchanged since the previous run"
            if self.unchanged
            else ""
        )
        return (
            f"converted {self.cables} cable(s) from {self.records} record(s): "
            f"{self.triples} triples, {self.files} files; {self.errors} error(s), "
            f"{self.warnings} warning(s); {self.violations} violation(s) in "
            f"{len(self.nonconforming)} cable(s){kept}"
        )


# ---- the stages --------------------------------------------------------------------------


def convert_cable(
    reference_id: str,
    records: Sequence[CableRecord],
    settings: Settings,
    checker: Checker | None,
    loader: export.OfflineLoader,
) -> CableOutput:
    """Map one cable's records (all with ``reference_id``), validate, serialise. Pure."""
    mapped = map_records(records, settings)
    quads = list(mapped.quads)
    minter = Minter.for_settings(settings)
    diagnostics = list(mapped.diagnostics)
    verdict = checker.check(quads) if checker is not None else CableCheck(True, (), (), ())
    diagnostics += verdict.diagnostics
    report, unreadable = _report(reference_id, verdict.reports)
    diagnostics += unreadable
    if mapped.ntriples is not None and b"<<" not in mapped.ntriples:
        entities, shared, versions = _subjects_of_lines(reference_id, mapped.ntriples, minter)
    else:
        entities, shared, versions = _subjects(reference_id, quads, minter)
    text = export.serialisations(
        quads, minter.cable(reference_id), loader, ntriples=mapped.ntriples
    )
    return CableOutput(
        reference_id=reference_id,
        turtle=text.turtle,
        jsonld=text.jsonld,
        nquads=text.nquads,
        ntriples=text.ntriples,
        triples=len(quads),
        entities=entities,
        shared=shared,
        versions=tuple(versions),
        diagnostics=tuple(diagnostics),
        conforms=verdict.conforms,
        results=tuple(sorted(verdict.results, key=_result_order)),
        report=report,
    )


def _result_order(r: export.ResultLine) -> tuple[bool, str, str, str, str]:
    return (r.severity != "Violation", r.focus, r.path, r.shape, r.message)


def _report(reference_id: str, reports: Sequence[bytes]) -> tuple[bytes, list[Diagnostic]]:
    """The N-Triples lines of the cable's reports for the joined report, and any problem."""
    label = "c" + iris.short_hash(reference_id)
    parts: list[bytes] = []
    problems: list[Diagnostic] = []
    for k, turtle in enumerate(reports):
        try:
            parts.append(export.report_lines(turtle, f"{label}r{k}"))
        except SyntaxError as err:
            problems.append(
                Diagnostic(
                    Severity.ERROR,
                    "convert.report-unreadable",
                    f"the SHACL report of the cable is not Turtle ({err}); it is left out of "
                    "validation/report.ttl",
                    reference_id=reference_id,
                    hint="report it as a bug of the validator",
                )
            )
    return b"".join(parts), problems


_Subjects = tuple[int, tuple[str, ...], list[str]]


def _subjects(reference_id: str, quads: Sequence[Quad], minter: Minter) -> _Subjects:
    """How many subjects are the cable's own IRIs, which other data IRIs it describes, and
    its source versions (sorted, once per ``rdf:type`` quad)."""
    subjects = {q.subject.value for q in quads if isinstance(q.subject, NamedNode)}
    versions = sorted(
        q.subject.value
        for q in quads
        if isinstance(q.subject, NamedNode)
        and q.predicate == RDF.type
        and q.object == CR.SourceVersion
    )
    return (*_own_and_shared(reference_id, subjects, minter), versions)


def _subjects_of_lines(reference_id: str, ntriples: bytes, minter: Minter) -> _Subjects:
    """:func:`_subjects` read off the N-Triples lines of the quads, one line per quad, with
    no triple term (an IRI is written ``<IRI>``, as it is: it has no space nor ``>``; a
    line holds no newline)."""
    text = "\n" + ntriples.decode("utf-8")
    subjects = set(_SUBJECT_IRI.findall(text))
    ending = f"> <{RDF.type.value}> <{CR.SourceVersion.value}> .\n"
    versions = []
    at = text.find(ending)
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        if text.startswith("<", start):  # not a blank node
            versions.append(text[start + 1 : at])
        at = text.find(ending, at + 1)
    versions.sort()
    return (*_own_and_shared(reference_id, subjects, minter), versions)


_SUBJECT_IRI: Final = re.compile("\n<([^>]*)> ")


def _own_and_shared(
    reference_id: str, subjects: Iterable[str], minter: Minter
) -> tuple[int, tuple[str, ...]]:
    """How many of ``subjects`` are the cable's own IRIs, and the other data IRIs."""
    cable = minter.cable(reference_id).value
    parsed = minter.parse(cable)
    # IRIs below the cable's own read back as the cable's, as the cable's IRI does.
    mine = parsed is not None and parsed.kind == "cable" and parsed.key == reference_id
    below = cable + "/" if mine else None
    own = 0
    shared: set[str] = set()
    for subject in subjects:
        if (
            below is not None
            and subject.startswith(below)
            and not _QUERY_OR_FRAGMENT.search(subject)
        ):
            own += 1
            continue
        parsed = minter.parse(subject)
        if parsed is None:
            continue
        if parsed.kind == "alias" or (
            parsed.kind in ("cable", "graph") and parsed.key == reference_id
        ):
            own += 1
        else:
            shared.add(subject)
    return own, tuple(sorted(shared))


_QUERY_OR_FRAGMENT: Final = re.compile("[?#]")


# ---- the run -----------------------------------------------------------------------------

DUMPS: Final = (DUMP_NQUADS, DUMP_NTRIPLES)
DUMP_LEVEL: Final = 1
"""Level of the dumps' gzip members, written with ISA-L (``isal``): at this level it is
about four times as fast as zlib's level 3, for 4 % more bytes."""

PARSE_BATCH: Final = 32
"""Source records a worker parses per task."""

CABLE_BATCH: Final = 8
"""Cables a worker converts per task."""

_PACKAGE = Path(__file__).resolve().parent
_Ctx = TypeVar("_Ctx")
_Work = TypeVar("_Work")
_Res = TypeVar("_Res")


def _time(epoch: int | None) -> str:
    moment = (
        dt.datetime.fromtimestamp(epoch, dt.UTC) if epoch is not None else dt.datetime.now(dt.UTC)
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _fingerprint(options: ConvertOptions) -> str:
    """What a cable's output depends on besides its records: code, data, settings, checker."""
    checker = options.checker
    name = "none" if checker is None else f"{checker.__module__}.{checker.__qualname__}"
    parts = [
        repr(options.settings),
        f"checker={name}",
        f"gzip=isal {isal.__version__} ISA-L {isal.ISAL_VERSION} {platform.machine()}",
        f"level={DUMP_LEVEL}",
    ]
    return _state.fingerprint(parts, _PACKAGE)


def _record_key(doc: SourceDocument) -> str:
    """A source record's key: where it was read and the SHA-256 of its bytes there."""
    s = doc.source
    text = f"{s.path}\0{s.line}\0{s.form.value}\0{s.sha256}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _cable_key(reference_id: str, entries: Sequence[Entry]) -> str:
    """A cable's key: its ID and the keys of its records, in input order."""
    text = "\0".join([reference_id, *(e.key for e in entries)])
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _member(data: bytes) -> bytes:
    """One gzip member (no time, no name: the same bytes give the same member)."""
    return igzip.compress(data, compresslevel=DUMP_LEVEL, mtime=0)


def _ordered(
    pool: Executor | None,
    fn: Callable[[list[_Work]], list[_Res]],
    batches: Iterable[tuple[list[_Ctx], list[_Work]]],
    window: int,
) -> Iterator[tuple[list[_Ctx], list[_Res]]]:
    """``(context, fn(work))`` for each batch, in order; at most ``window`` batches in
    flight, so that a long input is never queued in memory. ``work`` runs in ``pool``."""
    if pool is None:
        for context, work in batches:
            yield context, fn(work) if work else []
        return
    pending: collections.deque[tuple[list[_Ctx], Future[list[_Res]] | None]] = collections.deque()
    for context, work in batches:
        pending.append((context, pool.submit(fn, work) if work else None))
        if len(pending) >= window:
            context, future = pending.popleft()
            yield context, future.result() if future is not None else []
    while pending:
        context, future = pending.popleft()
        yield context, future.result() if future is not None else []


# -- pass 1: read, parse, spool --


@dataclass(frozen=True)
class _Parsed:
    """A parsed source record, as a worker returns it."""

    reference_id: str | None
    record: bytes  # packed CableRecord (empty without a record)
    diagnostics: bytes  # packed tuple of Diagnostic


def _parse_batch(docs: list[SourceDocument]) -> list[_Parsed]:
    index = default_index()
    out = []
    for doc in docs:
        result = parse_document(doc, index)
        record = result.record
        out.append(
            _Parsed(
                record.reference_id if record is not None else None,
                pack(record) if record is not None else b"",
                pack(tuple(result.diagnostics)),
            )
        )
    return out


_Item = tuple[Diagnostic | SourceDocument, str | None, tuple[str | None, bytes] | None]


def _read_batches(
    items: Iterable[SourceDocument | Diagnostic], state: State
) -> Iterator[tuple[list[_Item], list[SourceDocument]]]:
    """Batches of (item, its key, what the previous run knew of it), with the documents
    that need parsing."""
    context: list[_Item] = []
    work: list[SourceDocument] = []
    for item in items:
        if isinstance(item, Diagnostic):
            context.append((item, None, None))
            continue
        key = _record_key(item)
        known = state.old_record(key)
        context.append((item, key, known))
        if known is None:
            work.append(item)
        if len(work) >= PARSE_BATCH or len(context) >= 4 * PARSE_BATCH:
            yield context, work
            context, work = [], []
    if context:
        yield context, work


# -- pass 2: map, validate, write --


@dataclass(frozen=True)
class _CableInfo:
    """What a cable's conversion tells the run (kept in the state for unchanged cables)."""

    triples: int
    entities: int
    shared: tuple[str, ...]
    versions: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]
    conforms: bool
    violations: int
    results: tuple[export.ResultLine, ...]
    report: bytes


@dataclass(frozen=True)
class _CableTask:
    reference_id: str
    entries: tuple[Entry, ...]
    out: Path
    settings: Settings
    checker: CheckerFactory | None


@dataclass(frozen=True)
class _Converted:
    """A converted cable, as a worker returns it: files written, dump members, info."""

    files: tuple[FileStamp, ...]
    members: tuple[bytes, ...]  # in the order of DUMPS
    info: bytes  # packed _CableInfo


def _records_of(entries: Sequence[Entry]) -> list[CableRecord]:
    index = default_index()
    records = []
    for e in entries:
        if e.parsed:
            records.append(unpack(e.blob))
        else:
            record = parse_document(unpack(e.blob), index).record  # seen before: its
            if record is not None:  # diagnostics were given from the state
                records.append(record)
    return records


def _convert_batch(tasks: list[_CableTask]) -> list[_Converted]:
    done = []
    loaders: dict[Settings, export.OfflineLoader] = {}  # one per batch: settings are the run's
    for t in tasks:
        checker = _checker(t.checker) if t.checker is not None else None
        loader = loaders.get(t.settings)
        if loader is None:
            loader = loaders[t.settings] = export.OfflineLoader.for_minter(
                Minter.for_settings(t.settings)
            )
        c = convert_cable(t.reference_id, _records_of(t.entries), t.settings, checker, loader)
        files = []
        for suffix, data in ((".ttl", c.turtle), (".jsonld", c.jsonld)):
            path = export.cable_file(c.reference_id, suffix)
            files.append(FileStamp.of(t.out, path, export.write_atomic(t.out / path, data)))
        info = _CableInfo(
            triples=c.triples,
            entities=c.entities,
            shared=c.shared,
            versions=c.versions,
            diagnostics=c.diagnostics,
            conforms=c.conforms,
            violations=c.violations,
            results=c.results,
            report=c.report,
        )
        done.append(_Converted(tuple(files), (_member(c.nquads), _member(c.ntriples)), pack(info)))
    return done


_Pending = tuple[str, str, CableState | None]  # reference ID, key, state to reuse


class _Run:
    """The writing side of one run: dumps, report, counts; tallies go to the spool."""

    def __init__(
        self,
        out: Path,
        options: ConvertOptions,
        emit: Callable[[Diagnostic], None],
        spool: Spool,
        state: State,
    ) -> None:
        self.out = out
        self.options = options
        self.emit = emit
        self.spool = spool
        self.state = state
        self.minter = Minter.for_settings(options.settings)
        self.counts = {s: 0 for s in Severity}
        self.cables = 0
        self.converted = 0
        self.triples = 0
        self.entities = 0
        self.examples: list[str] = []
        self.violations = 0
        self.nonconforming: list[str] = []
        self.dump_sizes = [0 for _ in DUMPS]

    def note(self, d: Diagnostic) -> None:
        self.counts[d.severity] += 1
        self.emit(d)

    def write(self, path: PurePosixPath, data: bytes) -> None:
        self.spool.file(path, export.write_atomic(self.out / path, data))

    def copy(self, source: Path, path: PurePosixPath) -> None:
        self.write(path, source.read_bytes())

    def take(
        self,
        reference_id: str,
        key: str,
        files: Sequence[FileStamp],
        members: Sequence[bytes],
        info_blob: bytes,
        dumps: Sequence[export.AtomicWriter],
        report: export.AtomicWriter,
    ) -> None:
        info: _CableInfo = unpack(info_blob)
        for d in info.diagnostics:
            self.note(d)
        for stamp in files:
            self.spool.file(stamp.path, stamp.sha256)
        spans = []
        for k, (writer, member) in enumerate(zip(dumps, members, strict=True)):
            spans.append(Span(self.dump_sizes[k], len(member)))
            writer.write(member)
            self.dump_sizes[k] += len(member)
        self.state.cable(reference_id, CableState(key, info_blob, tuple(files), tuple(spans)))
        self.cables += 1
        self.triples += info.triples
        self.entities += info.entities
        self.spool.tally(
            reference_id,
            self.minter.cable(reference_id).value,
            info.shared,
            info.versions,
            ((r.severity, r.focus, r.path, r.shape, r.message) for r in info.results),
        )
        if len(self.examples) < EXAMPLES:
            self.examples.append(reference_id)
        report.write(info.report)
        if not info.conforms:
            self.violations += info.violations
            self.nonconforming.append(reference_id)

    def summary_text(self) -> bytes:
        """The readable summary: counts, then every result by cable, violations first."""
        if self.options.checker is None:
            return b"No SHACL validation was run (no checker).\n"
        with_any, others, other_cables = self.spool.result_counts()
        quiet = self.cables - with_any
        head = (
            f"SHACL validation of {self.cables} cable(s): {self.violations} violation(s) in "
            f"{len(self.nonconforming)} cable(s); {others} warning(s) and note(s) in "
            f"{other_cables} cable(s); {quiet} cable(s) without any result."
        )
        lines = [head, "Every cable is written, whatever its results."]
        for title, violation in (("Violations", True), ("Warnings and notes", False)):
            chosen = [
                f"{rid}: {export.ResultLine(*fields).render()}"
                for rid, fields in self.spool.results(violation)
            ]
            if chosen:
                lines += ["", f"{title}:", *chosen]
        return ("\n".join(lines) + "\n").encode("utf-8")


def _copy_folder(run: _Run, folder: Path | None, target: str) -> list[Path]:
    """Copy the ``*.ttl`` files of ``folder`` to ``target/``; return the files copied."""
    files = sorted(folder.glob("*.ttl")) if folder is not None and folder.is_dir() else []
    for source in files:
        run.copy(source, PurePosixPath(target, source.name))
    return files


def _start_method() -> str:
    """How worker processes start: forked where the platform can, spawned elsewhere."""
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def _pool(jobs: int) -> ProcessPoolExecutor:
    """``jobs`` worker processes (:func:`_start_method`)."""
    context = multiprocessing.get_context(_start_method())
    return ProcessPoolExecutor(jobs, mp_context=context, initializer=_worker_started)


def _worker_started() -> None:
    """In a new worker: what it inherited from the parent (the index of reference IDs, the
    checker) lives as long as the worker, so the garbage collector leaves it out of its
    scans (which would also copy the parent's shared pages)."""
    gc.freeze()


def convert(
    inputs: Sequence[str],
    out: Path,
    options: ConvertOptions | None = None,
    *,
    stdin: BinaryIO | None = None,
    on_diagnostic: Callable[[Diagnostic], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ConvertSummary:
    """Convert ``inputs`` (files, folders, globs, ``-``) into the output folder ``out``.

    Diagnostics go to ``on_diagnostic`` as they are found; ``on_progress(done, total)``
    follows the cables written. Files of a previous run that this run does not write again
    (as listed in ``out/MANIFEST.sha256``) are removed; cables unchanged since the previous
    run are not converted again (see the module's description). Raises ``OSError`` when
    ``out`` cannot be written. Where worker processes cannot be forked (not Linux), a script
    that calls this with ``jobs > 1`` must do so under ``if __name__ == "__main__":``.
    """
    options = options or ConvertOptions()
    started = _time(options.source_date_epoch)
    emit = on_diagnostic or (lambda d: None)
    out.mkdir(parents=True, exist_ok=True)
    fingerprint = _fingerprint(options)
    default_index()  # loaded once, before workers are forked
    if options.jobs > 1 and options.checker is not None and _start_method() == "fork":
        _checker(options.checker)  # likewise: forked workers share the loaded shapes
    removed = export.remove_partial_files(out) + _state.remove_leftovers(out)
    state = State(out, fingerprint)
    spool = Spool(out / _state.SPOOL_FILE)
    run = _Run(out, options, emit, spool, state)
    for partial in removed:
        run.note(
            Diagnostic(
                Severity.INFO,
                "convert.partial-file-removed",
                "a temporary file left by an interrupted run was removed",
                str(partial),
            )
        )
    try:
        with contextlib.ExitStack() as stack:
            pool = stack.enter_context(_pool(options.jobs)) if options.jobs > 1 else None
            window = 4 * options.jobs
            _spool_records(run, pool, window, read_inputs(list(inputs), stdin=stdin))
            _write_cables(run, pool, window, on_progress)
        _finish(run, started)
    except BaseException:
        state.abandon()
        spool.close()
        raise
    summary = ConvertSummary(
        records=spool.records(),
        cables=run.cables,
        triples=run.triples,
        files=sum(1 for _ in spool.files()) + 1,
        errors=run.counts[Severity.ERROR],
        warnings=run.counts[Severity.WARNING],
        violations=run.violations,
        nonconforming=tuple(run.nonconforming),
        unchanged=run.cables - run.converted,
    )
    state.commit()
    spool.close()
    return summary


def _spool_records(
    run: _Run,
    pool: Executor | None,
    window: int,
    items: Iterable[SourceDocument | Diagnostic],
) -> None:
    """Pass 1: parse what the previous run did not see, spool every record by cable."""
    for context, parsed in _ordered(pool, _parse_batch, _read_batches(items, run.state), window):
        fresh = iter(parsed)
        for item, key, known in context:
            if isinstance(item, Diagnostic):
                run.note(item)
                continue
            assert key is not None
            if known is not None:
                reference_id, diagnostics = known
                blob, is_parsed = pack(item), False
            else:
                p = next(fresh)
                reference_id, diagnostics = p.reference_id, p.diagnostics
                blob, is_parsed = p.record, True
            for d in unpack(diagnostics):
                run.note(d)
            run.state.record(key, reference_id, diagnostics)
            if reference_id is not None:
                run.spool.add(reference_id, key, is_parsed, blob)


def _write_cables(
    run: _Run,
    pool: Executor | None,
    window: int,
    on_progress: Callable[[int, int], None] | None,
) -> None:
    """Pass 2: each cable in reference-ID order, converted or, unchanged, taken as it was."""
    out, options, state = run.out, run.options, run.state
    total = run.spool.cables()
    if total == 0:
        run.note(
            Diagnostic(
                Severity.ERROR,
                "convert.no-cables",
                "no cable could be read from the inputs",
                hint="check the paths; `cablerdf parse` shows what is read",
            )
        )
    old_dumps = [state.old_dump(path) for path in DUMPS]
    reusable = all(d is not None for d in old_dumps)

    def batches() -> Iterator[tuple[list[_Pending], list[_CableTask]]]:
        context: list[_Pending] = []
        work: list[_CableTask] = []
        for reference_id, entries in run.spool.groups():
            key = _cable_key(reference_id, entries)
            old = state.old_cable(reference_id) if reusable else None
            if old is not None and old.key == key and all(f.matches(out) for f in old.files):
                context.append((reference_id, key, old))
            else:
                context.append((reference_id, key, None))
                work.append(
                    _CableTask(reference_id, tuple(entries), out, options.settings, options.checker)
                )
            if len(work) >= CABLE_BATCH or len(context) >= 64 * CABLE_BATCH:
                yield context, work
                context, work = [], []
        if context:
            yield context, work

    with contextlib.ExitStack() as stack:
        previous = [
            stack.enter_context((out / path).open("rb")) if reusable else None for path in DUMPS
        ]
        dumps = [stack.enter_context(export.AtomicWriter(out / path)) for path in DUMPS]
        report = stack.enter_context(export.AtomicWriter(out / REPORT))
        report.write(export.report_opening())
        done = 0
        for context, converted in _ordered(pool, _convert_batch, batches(), window):
            fresh = iter(converted)
            for reference_id, key, old in context:
                if old is None:
                    c = next(fresh)
                    run.converted += 1
                    run.take(reference_id, key, c.files, c.members, c.info, dumps, report)
                else:
                    members = []
                    for handle, span in zip(previous, old.dumps, strict=True):
                        assert handle is not None
                        handle.seek(span.offset)
                        members.append(handle.read(span.length))
                    run.take(reference_id, key, old.files, members, old.info, dumps, report)
                done += 1
                if on_progress is not None:
                    on_progress(done, total)
        report.write(export.report_closing(not run.nonconforming))
    for path in DUMPS:
        stamp = FileStamp.of(out, path, export.sha256_file(out / path))
        state.dump(stamp)
        run.spool.file(path, stamp.sha256)
    run.spool.file(REPORT, export.sha256_file(out / REPORT))


def _finish(run: _Run, started: str) -> None:
    """Write the dataset-level files, the manifest, and remove the stale files."""
    out, options, minter = run.out, run.options, run.minter
    run.write(PurePosixPath(export.CONTEXT_PATH), export.context_bytes())
    if not _copy_folder(run, options.ontology_dir, "ontology"):
        run.note(
            Diagnostic(
                Severity.WARNING,
                "convert.ontology-missing",
                f"no ontology files (*.ttl) in {options.ontology_dir}; the output has no "
                "ontology/ folder",
                hint="run from a cablerdf checkout, or set ConvertOptions.ontology_dir",
            )
        )
    _copy_folder(run, options.shapes_dir, "shapes")
    run.write(SUMMARY, run.summary_text())
    dumps = [
        export.DumpFile(
            DUMP_NQUADS,
            "nquads",
            "Every cable as N-Quads, one named graph per cable, gzipped",
            "application/n-quads",
            (out / DUMP_NQUADS).stat().st_size,
        ),
        export.DumpFile(
            DUMP_NTRIPLES,
            "ntriples",
            "Every cable as N-Triples (the union of the cable graphs), gzipped",
            "application/n-triples",
            (out / DUMP_NTRIPLES).stat().st_size,
        ),
    ]
    entities = run.entities + run.spool.other_entities()
    stats = export.DatasetStats(run.cables, run.triples, entities, tuple(run.examples))
    description = export.dataset_description(
        minter, options.settings.ontology_version, stats, dumps, options.license
    )
    run.write(VOID, export.description_turtle(description))
    _write_provenance(run, started, _time(options.source_date_epoch))
    _remove_stale(run)
    with export.AtomicWriter(out / MANIFEST) as manifest:
        for path, sha in run.spool.files():
            manifest.write(f"{sha}  {path}\n".encode())


_USED_PLACEHOLDER: Final = "urn:cablerdf:source-versions"
_USED_CHUNK: Final = 4096


def _write_provenance(run: _Run, started: str, ended: str) -> None:
    """Write ``provenance.ttl``: the Turtle of :func:`export.run_provenance`, streamed.

    The run uses every source version, so its ``prov:used`` objects grow with the corpus.
    They are the one object list of the file: the file is made with a placeholder in their
    place, and the placeholder's text is replaced by the versions, read from the spool in
    their order in the file, rendered in chunks by the same writer and joined as it joins
    objects (``" , "``). The bytes are those of the whole file made in one piece.
    """
    settings = run.options.settings
    versions = run.spool.versions()
    first = list(itertools.islice(versions, 1))

    def turtle(used: Iterable[str]) -> bytes:
        return export.description_turtle(
            export.run_provenance(run.minter, settings.tool_version, started, ended, used)
        )

    if not first:
        run.write(PROVENANCE, turtle(()))
        return
    placeholder = f"<{_USED_PLACEHOLDER}>".encode()
    head, found, tail = turtle([_USED_PLACEHOLDER]).partition(placeholder)
    if not found or placeholder in tail:
        raise RuntimeError("provenance.ttl: the placeholder of the source versions is lost")
    activity = export.dataset_part(run.minter, "conversion")
    used = vocab.PROV.used
    digest = hashlib.sha256()
    with export.AtomicWriter(run.out / PROVENANCE) as f:

        def put(data: bytes) -> None:
            digest.update(data)
            f.write(data)

        put(head)
        chunks = itertools.chain(
            [first], iter(lambda: list(itertools.islice(versions, _USED_CHUNK)), [])
        )
        for k, chunk in enumerate(chunks):
            text = export.description_turtle(
                [Triple(activity, used, NamedNode(iri)) for iri in chunk]
            )
            # The prefixes, then one line: "S P O1 , O2 , ... ."
            lines = [x for x in text.split(b"\n") if x and not x.startswith(b"@prefix ")]
            if len(lines) != 1 or not lines[0].endswith(b" .") or lines[0].count(b" ") < 3:
                raise RuntimeError("provenance.ttl: unexpected Turtle of the source versions")
            statement = lines[0]
            start = statement.index(b" ", statement.index(b" ") + 1) + 1  # after "S P "
            put((b" , " if k else b"") + statement[start:-2])
        put(tail)
    run.spool.file(PROVENANCE, digest.hexdigest())


def _remove_stale(run: _Run) -> None:
    """Remove the files the previous run listed in ``MANIFEST.sha256`` that this run did
    not write (safe relative paths only), and the folders they leave empty."""
    out = run.out
    path = out / MANIFEST
    if not path.is_file():
        return
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            name = PurePosixPath(line.rstrip("\n").partition("  ")[2])
            if (
                not name.parts
                or name.is_absolute()
                or ".." in name.parts
                or name == MANIFEST
                or run.spool.has_file(name.as_posix())
            ):
                continue
            (out / name).unlink(missing_ok=True)
            for parent in (out / name).parents:
                if parent == out or out not in parent.parents:
                    break
                with contextlib.suppress(OSError):
                    parent.rmdir()
