"""The convert pipeline: read, parse, group by cable, then map, validate and write one cable
at a time. The output folder is described in ``docs/output.md``.

:func:`convert` is the one entry point. Records are grouped by canonical reference ID
(:func:`group_by_cable`), so a cable read from several sources is one cable whose records
are all its versions. Each cable is then mapped, validated, serialised (:func:`convert_cable`,
pure) and written before the next one; with ``jobs > 1`` parsing and per-cable work run in
worker processes, and results are written in reference-ID order, so the bytes do not depend
on ``jobs``. The time of the run appears in ``provenance.ttl`` only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO, Final, Protocol

from pyoxigraph import NamedNode, Quad

from cablerdf import export, iris
from cablerdf.cable_ids import default_index
from cablerdf.iris import Minter
from cablerdf.mapping import map_records
from cablerdf.model import CableRecord, Diagnostic, Severity, SourceDocument
from cablerdf.parsing import ParseResult, parse_document
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
    "group_by_cable",
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

    def line(self) -> str:
        return (
            f"converted {self.cables} cable(s) from {self.records} record(s): "
            f"{self.triples} triples, {self.files} files; {self.errors} error(s), "
            f"{self.warnings} warning(s); {self.violations} violation(s) in "
            f"{len(self.nonconforming)} cable(s)"
        )


# ---- the stages --------------------------------------------------------------------------


def _parse_item(item: SourceDocument | Diagnostic) -> ParseResult:
    if isinstance(item, Diagnostic):
        return ParseResult(None, (item,))
    return parse_document(item, default_index())


def group_by_cable(
    records: Iterable[CableRecord],
) -> list[tuple[str, tuple[CableRecord, ...]]]:
    """The records of each cable, by canonical reference ID, in ID order (records in input
    order). Holds the records in memory; an on-disk spool may replace it, same contract."""
    groups: dict[str, list[CableRecord]] = {}
    for record in records:
        groups.setdefault(record.reference_id, []).append(record)
    return [(rid, tuple(groups[rid])) for rid in sorted(groups)]


@dataclass(frozen=True)
class _Task:
    reference_id: str
    records: tuple[CableRecord, ...]
    settings: Settings
    checker: CheckerFactory | None


def _run_task(task: _Task) -> CableOutput:
    checker = _checker(task.checker) if task.checker is not None else None
    loader = export.OfflineLoader.for_minter(Minter.for_settings(task.settings))
    return convert_cable(task.reference_id, task.records, task.settings, checker, loader)


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
    entities, shared = _subjects(reference_id, quads, minter)
    versions = sorted(
        q.subject.value
        for q in quads
        if isinstance(q.subject, NamedNode)
        and q.predicate == RDF.type
        and q.object == CR.SourceVersion
    )
    return CableOutput(
        reference_id=reference_id,
        turtle=export.turtle_bytes(quads),
        jsonld=export.jsonld_bytes(
            export.jsonld_document(quads, minter.cable(reference_id), loader)
        ),
        nquads=export.nquads_bytes(quads),
        ntriples=export.ntriples_bytes(quads),
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


def _subjects(
    reference_id: str, quads: Sequence[Quad], minter: Minter
) -> tuple[int, tuple[str, ...]]:
    """How many subjects are the cable's own IRIs, and which other data IRIs it describes."""
    own = 0
    shared: set[str] = set()
    for subject in {q.subject for q in quads if isinstance(q.subject, NamedNode)}:
        parsed = minter.parse(subject.value)
        if parsed is None:
            continue
        if parsed.kind == "alias" or (
            parsed.kind in ("cable", "graph") and parsed.key == reference_id
        ):
            own += 1
        else:
            shared.add(subject.value)
    return own, tuple(sorted(shared))


# ---- the run -----------------------------------------------------------------------------


def _time(epoch: int | None) -> str:
    moment = (
        dt.datetime.fromtimestamp(epoch, dt.UTC) if epoch is not None else dt.datetime.now(dt.UTC)
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _old_manifest(out: Path) -> set[PurePosixPath]:
    """The files a previous run listed in ``out/MANIFEST.sha256`` (safe relative paths)."""
    path = out / MANIFEST
    if not path.is_file():
        return set()
    files: set[PurePosixPath] = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        name = PurePosixPath(line.partition("  ")[2])
        if name.parts and not name.is_absolute() and ".." not in name.parts:
            files.add(name)
    return files


class _Run:
    """The writing side of one run: files, dumps, report, counts."""

    def __init__(self, out: Path, options: ConvertOptions, emit: Callable[[Diagnostic], None]):
        self.out = out
        self.options = options
        self.emit = emit
        self.minter = Minter.for_settings(options.settings)
        self.hashes: dict[PurePosixPath, str] = {}
        self.counts = {s: 0 for s in Severity}
        self.cables = 0
        self.triples = 0
        self.entities = 0
        self.shared: set[str] = set()
        self.cable_iris: set[str] = set()
        self.versions: list[str] = []
        self.examples: list[str] = []
        self.violations = 0
        self.nonconforming: list[str] = []
        self.results: list[tuple[str, export.ResultLine]] = []

    def note(self, d: Diagnostic) -> None:
        self.counts[d.severity] += 1
        self.emit(d)

    def write(self, path: PurePosixPath, data: bytes) -> None:
        self.hashes[path] = export.write_atomic(self.out / path, data)

    def copy(self, source: Path, path: PurePosixPath) -> None:
        self.write(path, source.read_bytes())

    def take(
        self,
        c: CableOutput,
        nquads: export.AtomicWriter,
        ntriples: export.AtomicWriter,
        report: export.AtomicWriter,
    ) -> None:
        for d in c.diagnostics:
            self.note(d)
        self.write(export.cable_file(c.reference_id, ".ttl"), c.turtle)
        self.write(export.cable_file(c.reference_id, ".jsonld"), c.jsonld)
        nquads.write(c.nquads)
        ntriples.write(c.ntriples)
        self.cables += 1
        self.triples += c.triples
        self.entities += c.entities
        self.shared.update(c.shared)
        self.cable_iris.add(self.minter.cable(c.reference_id).value)
        self.versions += c.versions
        if len(self.examples) < EXAMPLES:
            self.examples.append(c.reference_id)
        report.write(c.report)
        self.results += [(c.reference_id, r) for r in c.results]
        if not c.conforms:
            self.violations += c.violations
            self.nonconforming.append(c.reference_id)

    def summary_text(self) -> bytes:
        """The readable summary: counts, then every result by cable, violations first."""
        if self.options.checker is None:
            return b"No SHACL validation was run (no checker).\n"
        others = [rid for rid, r in self.results if r.severity != "Violation"]
        quiet = self.cables - len({rid for rid, _ in self.results})
        head = (
            f"SHACL validation of {self.cables} cable(s): {self.violations} violation(s) in "
            f"{len(self.nonconforming)} cable(s); {len(others)} warning(s) and note(s) in "
            f"{len(set(others))} cable(s); {quiet} cable(s) without any result."
        )
        lines = [head, "Every cable is written, whatever its results."]
        for title, violation in (("Violations", True), ("Warnings and notes", False)):
            chosen = sorted(
                (rid, r) for rid, r in self.results if (r.severity == "Violation") == violation
            )
            if chosen:
                lines += ["", f"{title}:"]
                lines += [f"{rid}: {r.render()}" for rid, r in chosen]
        return ("\n".join(lines) + "\n").encode("utf-8")


def _copy_folder(run: _Run, folder: Path | None, target: str) -> list[Path]:
    """Copy the ``*.ttl`` files of ``folder`` to ``target/``; return the files copied."""
    files = sorted(folder.glob("*.ttl")) if folder is not None and folder.is_dir() else []
    for source in files:
        run.copy(source, PurePosixPath(target, source.name))
    return files


def _mapper(pool: Any) -> Callable[..., Iterator[Any]]:
    if pool is None:
        return map
    return functools.partial(pool.imap, chunksize=4)


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
    (as listed in ``out/MANIFEST.sha256``) are removed. Raises ``OSError`` when ``out``
    cannot be written. With ``jobs > 1`` worker processes are spawned: a script that calls
    this must do so under ``if __name__ == "__main__":``.
    """
    options = options or ConvertOptions()
    started = _time(options.source_date_epoch)
    run = _Run(out, options, on_diagnostic or (lambda d: None))
    previous = _old_manifest(out)
    out.mkdir(parents=True, exist_ok=True)
    for partial in export.remove_partial_files(out):
        run.note(
            Diagnostic(
                Severity.INFO,
                "convert.partial-file-removed",
                "a temporary file left by an interrupted run was removed",
                str(partial),
            )
        )
    with contextlib.ExitStack() as stack:
        pool = None
        if options.jobs > 1:
            pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(options.jobs))
        each = _mapper(pool)
        records: list[CableRecord] = []
        for result in each(_parse_item, read_inputs(list(inputs), stdin=stdin)):
            for d in result.diagnostics:
                run.note(d)
            if result.record is not None:
                records.append(result.record)
        groups = group_by_cable(records)
        del records
        if not groups:
            run.note(
                Diagnostic(
                    Severity.ERROR,
                    "convert.no-cables",
                    "no cable could be read from the inputs",
                    hint="check the paths; `cablerdf parse` shows what is read",
                )
            )
        tasks = (_Task(rid, recs, options.settings, options.checker) for rid, recs in groups)
        with (
            export.AtomicWriter(out / DUMP_NQUADS, compress=True) as nquads,
            export.AtomicWriter(out / DUMP_NTRIPLES, compress=True) as ntriples,
            export.AtomicWriter(out / REPORT) as report,
        ):
            report.write(export.report_opening())
            for done, output in enumerate(each(_run_task, tasks), 1):
                run.take(output, nquads, ntriples, report)
                if on_progress is not None:
                    on_progress(done, len(groups))
            report.write(export.report_closing(not run.nonconforming))
    for path in (DUMP_NQUADS, DUMP_NTRIPLES, REPORT):
        run.hashes[path] = export.sha256_file(out / path)
    _finish(run, started, previous)
    return ConvertSummary(
        records=sum(len(recs) for _, recs in groups),
        cables=run.cables,
        triples=run.triples,
        files=len(run.hashes) + 1,
        errors=run.counts[Severity.ERROR],
        warnings=run.counts[Severity.WARNING],
        violations=run.violations,
        nonconforming=tuple(run.nonconforming),
    )


def _finish(run: _Run, started: str, previous: set[PurePosixPath]) -> None:
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
    entities = run.entities + len(run.shared - run.cable_iris)
    stats = export.DatasetStats(run.cables, run.triples, entities, tuple(run.examples))
    description = export.dataset_description(
        minter, options.settings.ontology_version, stats, dumps, options.license
    )
    run.write(VOID, export.description_turtle(description))
    provenance = export.run_provenance(
        minter,
        options.settings.tool_version,
        started,
        _time(options.source_date_epoch),
        sorted(run.versions),
    )
    run.write(PROVENANCE, export.description_turtle(provenance))
    export.write_atomic(out / MANIFEST, export.sha256_manifest(run.hashes))
    for stale in sorted(previous - set(run.hashes) - {MANIFEST}):
        (out / stale).unlink(missing_ok=True)
        for parent in (out / stale).parents:
            if parent == out or out not in parent.parents:
                break
            with contextlib.suppress(OSError):
                parent.rmdir()
