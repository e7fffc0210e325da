"""Package a release of the dataset as a BagIt bag (RFC 8493), and verify a bag's fixity.

:func:`archive` copies an output folder (and, optionally, the input files) into a new bag:
``data/output/`` holds the output folder, ``data/sources/{name}/`` each source, and the tag
file ``metadata/provenance.ttl`` a PROV-O record of the archiving run. Manifests and tag
manifests carry SHA-256 and SHA-512. The bag is built in a hidden folder beside its target
and renamed into place when complete, so a crash never leaves a half bag under its name.
With ``SOURCE_DATE_EPOCH`` (passed as ``source_date_epoch``) the bag's bytes are the same on
every run.

:func:`verify` re-reads a bag and names every file that changed, is missing, or is not in
its manifests. See ``docs/archive.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Final

import bagit  # type: ignore[import-untyped]
import pyoxigraph as ox

from cablerdf import vocab
from cablerdf.export import TERMS, dataset_part, description_turtle
from cablerdf.iris import Minter
from cablerdf.model import Diagnostic, Severity
from cablerdf.settings import Settings

__all__ = [
    "ALGORITHMS",
    "BAGIT_VERSION",
    "DIAGNOSTIC_CODES",
    "PROVENANCE_TAG_FILE",
    "ArchiveResult",
    "VerifyResult",
    "archive",
    "archive_provenance",
    "verify",
]

ALGORITHMS: Final = ("sha256", "sha512")
"""The checksum algorithms of the manifests and tag manifests."""

BAGIT_VERSION: Final = "1.0"
"""The ``BagIt-Version`` written to ``bagit.txt`` (RFC 8493)."""

PROVENANCE_TAG_FILE: Final = PurePosixPath("metadata/provenance.ttl")
"""The tag file with the PROV-O record of the archiving run."""

OUTPUT_PARTS: Final = (
    "cables",
    "dumps",
    "ontology",
    "shapes",
    "validation",
    "void.ttl",
    "provenance.ttl",
    "MANIFEST.sha256",
)
"""What an output folder of ``cablerdf convert`` holds; a missing part is a warning."""

OUTPUT_CACHE: Final = ".cablerdf"
"""The folder of convert's incremental state in an output folder: a cache, never archived."""

RFC_8493: Final = ox.NamedNode("https://www.rfc-editor.org/rfc/rfc8493")

#: Every diagnostic code of this module, with its meaning.
DIAGNOSTIC_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "archive.output-part-missing": "the output folder lacks a part convert writes",
        "archive.output-corrupt": "a file of the output folder does not match MANIFEST.sha256",
        "archive.output-unlisted": "a file of the output folder is not in MANIFEST.sha256",
        "archive.partial-file-skipped": "a temporary file of an interrupted write was left out",
        "archive.special-file-skipped": "a file that is not a regular file was left out",
        "archive.not-a-bag": "a folder is not a readable BagIt bag",
        "archive.file-changed": "a file's checksum differs from its manifest's",
        "archive.file-missing": "a file listed in a manifest is not in the bag",
        "archive.file-unexpected": "a file in the bag is in no manifest",
        "archive.manifest-incomplete": "a file is listed for some algorithms but not all",
        "archive.invalid": "the bag fails a BagIt check (bagit.txt, Payload-Oxum, structure)",
    }
)

_BLOCK = 1 << 20
_PARTIAL_NAME = re.compile(r"\..+\.(?:tmp|part)")  # AtomicWriter and fetch temporary files
_MANIFEST_LINE = re.compile(r"([0-9a-fA-F]{64})\s+\*?(.+)")


@dataclass(frozen=True)
class ArchiveResult:
    """The bag written (``None`` when nothing was written) and what was noticed."""

    bag: Path | None
    files: int
    bytes: int
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True)
class VerifyResult:
    """Whether a bag is complete and every checksum matches; the problems as diagnostics."""

    valid: bool
    files: int
    bytes: int
    diagnostics: tuple[Diagnostic, ...]


# ---- archive --------------------------------------------------------------------------------


def _timestamp(epoch: int | None) -> dt.datetime:
    if epoch is None:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def archive_provenance(
    settings: Settings, started: str, ended: str, payload_oxum: str
) -> list[ox.Triple]:
    """The archiving run as a PROV-O activity that used the dataset and generated the bag.

    ``started`` and ``ended`` are ``xsd:dateTime`` text; the IRIs are parts of the dataset's
    description keyed by ``started`` (``{dataset}#archive-20240501T000000Z``).
    """
    minter = Minter.for_settings(settings)
    key = re.sub(r"[^0-9A-Za-z]", "", started)
    run = dataset_part(minter, f"archive-{key}")
    bag = dataset_part(minter, f"bag-{key}")
    software = minter.software(settings.tool_version)
    dataset = minter.dataset()
    T = ox.Triple
    rdf_type = vocab.RDF.type
    return [
        T(run, rdf_type, vocab.PROV.Activity),
        T(run, vocab.RDFS.label, ox.Literal("packaging the dataset as a BagIt bag")),
        T(run, TERMS.startedAtTime, ox.Literal(started, datatype=vocab.XSD.dateTime)),
        T(run, TERMS.endedAtTime, ox.Literal(ended, datatype=vocab.XSD.dateTime)),
        T(run, vocab.PROV.used, dataset),
        T(run, vocab.PROV.wasAssociatedWith, software),
        T(run, TERMS.generated, bag),
        T(bag, rdf_type, vocab.PROV.Entity),
        T(bag, vocab.RDFS.label, ox.Literal(f"BagIt bag, Payload-Oxum {payload_oxum}")),
        T(bag, vocab.DCT.conformsTo, RFC_8493),
        T(bag, vocab.PROV.wasGeneratedBy, run),
        T(bag, vocab.PROV.wasDerivedFrom, dataset),
        T(software, rdf_type, vocab.PROV.SoftwareAgent),
        T(software, vocab.RDFS.label, ox.Literal(f"cablerdf {settings.tool_version}")),
        T(software, vocab.SCHEMA.softwareVersion, ox.Literal(settings.tool_version)),
    ]


def archive(
    output_dir: Path,
    bag: Path,
    settings: Settings,
    *,
    sources: Sequence[Path] = (),
    source_date_epoch: int | None = None,
) -> ArchiveResult:
    """Copy ``output_dir`` (and ``sources``) into a new BagIt bag at ``bag``.

    ``bag`` must not exist, or be an empty folder. When the output folder's
    ``MANIFEST.sha256`` does not match its files, nothing is written and the mismatches are
    error diagnostics. Raises ``FileExistsError`` when ``bag`` is taken, ``NotADirectoryError``
    when ``output_dir`` is not a folder, ``FileNotFoundError`` for a missing source,
    ``ValueError`` when ``bag`` is inside the output folder or a source, and ``OSError`` when
    the bag cannot be written.
    """
    if not output_dir.is_dir():
        raise NotADirectoryError(f"the output folder {str(output_dir)!r} is not a folder")
    for source in sources:
        if not source.exists():
            raise FileNotFoundError(f"the source {str(source)!r} does not exist")
    if bag.exists() and (not bag.is_dir() or any(bag.iterdir())):
        raise FileExistsError(f"{str(bag)!r} already exists; give a new folder for the bag")
    target = bag.resolve()
    for folder in (output_dir, *sources):
        if target.is_relative_to(folder.resolve()):
            raise ValueError(f"the bag {str(bag)!r} must not be inside {str(folder)!r}")
    started = _timestamp(source_date_epoch)
    diagnostics = list(_check_output(output_dir))
    if any(d.severity is Severity.ERROR for d in diagnostics):
        return ArchiveResult(None, 0, 0, tuple(diagnostics))

    parent = bag.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{bag.name}.partial-"))
    try:
        os.chmod(staging, 0o755)
        diagnostics += _copy_tree(output_dir, staging / "output", skip_dirs={OUTPUT_CACHE})
        for name, source in _source_names(sources):
            target = staging / "sources" / name
            if source.is_dir():
                diagnostics += _copy_tree(source, target, skip_partial=False)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
        made = _make_bag(staging, settings, started, source_date_epoch)
        _publish(staging, bag)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ArchiveResult(bag, made[1], made[0], tuple(diagnostics))


def _make_bag(
    staging: Path, settings: Settings, started: dt.datetime, epoch: int | None
) -> tuple[int, int]:
    """Turn ``staging`` into a bag; returns the payload's byte and file counts."""
    info = {
        "Bag-Software-Agent": f"cablerdf {settings.tool_version} (bagit.py {bagit.VERSION})",
        "Bagging-Date": started.strftime("%Y-%m-%d"),
        "External-Description": "A release of the linked-data edition of the Cablegate "
        "cables: the cablerdf output folder (RDF, dumps, ontology, validation report) and "
        "its sources.",
        "External-Identifier": Minter.for_settings(settings).dataset().value,
    }
    made = bagit.make_bag(str(staging), info, processes=1, checksums=list(ALGORITHMS))
    oxum = str(made.info.get("Payload-Oxum", "0.0"))
    size_text, _, count_text = oxum.partition(".")
    (staging / "bagit.txt").write_bytes(
        f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n".encode()
    )
    ended = started if epoch is not None else _timestamp(None)
    turtle = description_turtle(archive_provenance(settings, _iso(started), _iso(ended), oxum))
    prov = staging / PROVENANCE_TAG_FILE
    prov.parent.mkdir(parents=True, exist_ok=True)
    prov.write_bytes(turtle)
    _write_tag_manifests(staging)
    problems = list(verify(staging).diagnostics)
    if problems:
        raise OSError(f"the bag just written does not verify: {problems[0].render()}")
    return int(size_text or 0), int(count_text or 0)


def _write_tag_manifests(bag: Path) -> None:
    """``tagmanifest-{alg}.txt`` for every tag file, sorted by path (deterministic)."""
    tag_files = sorted(
        p.relative_to(bag).as_posix()
        for p in bag.rglob("*")
        if p.is_file()
        and p.relative_to(bag).parts[0] != "data"
        and not p.name.startswith("tagmanifest-")
    )
    for algorithm in ALGORITHMS:
        lines = [
            f"{_file_digests(bag / name, (algorithm,))[algorithm]}  {name}\n" for name in tag_files
        ]
        (bag / f"tagmanifest-{algorithm}.txt").write_bytes("".join(lines).encode("utf-8"))


def _publish(staging: Path, bag: Path) -> None:
    if bag.is_dir():
        bag.rmdir()  # an empty folder given as the target
    os.rename(staging, bag)


def _source_names(sources: Sequence[Path]) -> Iterator[tuple[str, Path]]:
    """Each source with a distinct folder name under ``data/sources/``."""
    taken: set[str] = set()
    for source in sources:
        base = source.resolve().name or "source"
        name, k = base, 2
        while name in taken:
            name, k = f"{base}-{k}", k + 1
        taken.add(name)
        yield name, source


def _copy_tree(
    source: Path,
    target: Path,
    *,
    skip_partial: bool = True,
    skip_dirs: frozenset[str] | set[str] = frozenset(),
) -> list[Diagnostic]:
    """Copy the regular files under ``source`` (links followed to files), sorted, but not
    the folders of ``source`` named in ``skip_dirs``."""
    notes: list[Diagnostic] = []
    target.mkdir(parents=True, exist_ok=True)
    for root, dirs, files in os.walk(source):
        if Path(root) == source:
            dirs[:] = [d for d in dirs if d not in skip_dirs]
        dirs.sort()
        rel_root = Path(root).relative_to(source)
        for name in sorted(files):
            path = Path(root) / name
            if skip_partial and _PARTIAL_NAME.fullmatch(name):
                notes.append(
                    Diagnostic(
                        Severity.WARNING,
                        "archive.partial-file-skipped",
                        "a temporary file left by an interrupted write; not archived",
                        str(path),
                        hint="run convert again to finish the output folder",
                    )
                )
                continue
            if not path.is_file():
                notes.append(
                    Diagnostic(
                        Severity.WARNING,
                        "archive.special-file-skipped",
                        "not a regular file (a broken link, socket or device); not archived",
                        str(path),
                    )
                )
                continue
            destination = target / rel_root / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
        for name in dirs:
            (target / rel_root / name).mkdir(parents=True, exist_ok=True)
    return notes


def _check_output(output_dir: Path) -> Iterator[Diagnostic]:
    """Warnings for missing parts; errors where ``MANIFEST.sha256`` does not match."""
    for part in OUTPUT_PARTS:
        if not (output_dir / part).exists():
            yield Diagnostic(
                Severity.WARNING,
                "archive.output-part-missing",
                f"the output folder has no {part}",
                str(output_dir),
                hint="archive the folder 'cablerdf convert' wrote, after it finished",
            )
    manifest = output_dir / "MANIFEST.sha256"
    if not manifest.is_file():
        return
    text = manifest.read_bytes().decode("utf-8", "replace")
    listed: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _MANIFEST_LINE.fullmatch(line.strip())
        if match is None:
            yield _corrupt(manifest, number, "a line that is not 'SHA256  path'")
            continue
        expected, name = match.group(1).lower(), match.group(2)
        listed.add(name)
        path = output_dir / name
        if ".." in PurePosixPath(name).parts or PurePosixPath(name).is_absolute():
            yield _corrupt(manifest, number, f"{name!r} points outside the output folder")
        elif not path.is_file():
            yield _corrupt(manifest, number, f"{name} is listed but missing")
        elif _file_digests(path, ("sha256",))["sha256"] != expected:
            yield _corrupt(manifest, number, f"{name} does not match its SHA-256")
    for path in sorted(p for p in output_dir.rglob("*") if p.is_file()):
        name = path.relative_to(output_dir).as_posix()
        if (
            path.relative_to(output_dir).parts[0] != OUTPUT_CACHE
            and name not in listed
            and name != "MANIFEST.sha256"
            and not _PARTIAL_NAME.fullmatch(path.name)
        ):
            yield Diagnostic(
                Severity.WARNING,
                "archive.output-unlisted",
                f"{name} is not in MANIFEST.sha256 (added after convert?); archived all the same",
                str(path),
                hint="remove it if it does not belong to the release",
            )


def _corrupt(manifest: Path, line: int, what: str) -> Diagnostic:
    return Diagnostic(
        Severity.ERROR,
        "archive.output-corrupt",
        f"MANIFEST.sha256: {what}; nothing was archived",
        str(manifest),
        line,
        hint="run convert again; an output folder is archived only when it is whole",
    )


# ---- verify -------------------------------------------------------------------------------


def _file_digests(path: Path, algorithms: Iterable[str]) -> dict[str, str]:
    hashers = {a: hashlib.new(a) for a in algorithms}
    with path.open("rb") as f:
        for block in iter(lambda: f.read(_BLOCK), b""):
            for h in hashers.values():
                h.update(block)
    return {a: h.hexdigest() for a, h in hashers.items()}


def _bag_problem(bag: Path, code: str, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, message, str(bag), hint=hint)


def verify(bag: Path) -> VerifyResult:
    """Check a bag's completeness and every checksum of its manifests and tag manifests.

    Every changed, missing or unlisted file is one error diagnostic naming it; a folder that
    is not a bag gives ``archive.not-a-bag``. Never raises on the bag's content.
    """
    try:
        opened = bagit.Bag(str(bag))
    except (bagit.BagError, OSError, UnicodeError, ValueError) as exc:
        hint = (
            "the bag's tag files are damaged; restore it from another copy"
            if (bag / "bagit.txt").is_file()
            else "give the folder that holds bagit.txt"
        )
        problem = _bag_problem(bag, "archive.not-a-bag", f"not a readable BagIt bag: {exc}", hint)
        return VerifyResult(False, 0, 0, (problem,))
    problems: list[Diagnostic] = []
    entries: dict[str, dict[str, str]] = {
        PurePosixPath(Path(k).as_posix()).as_posix(): dict(v) for k, v in opened.entries.items()
    }
    payload_algorithms = [a for a in opened.algorithms if (bag / f"manifest-{a}.txt").is_file()]
    files = size = 0
    for name in sorted(entries):
        hashes = entries[name]
        path = bag / name
        in_payload = name.startswith("data/")
        if in_payload:
            absent = [a for a in payload_algorithms if a not in hashes]
            if absent:
                problems.append(
                    _bag_problem(
                        bag / name,
                        "archive.manifest-incomplete",
                        f"{name} is not in manifest-{absent[0]}.txt",
                        "the manifests disagree; re-create the bag from its source",
                    )
                )
        if not path.is_file():
            problems.append(
                _bag_problem(
                    bag / name,
                    "archive.file-missing",
                    f"{name} is listed in the manifests but is not in the bag",
                    "restore it from another copy of the bag",
                )
            )
            continue
        try:
            found = _file_digests(path, [a for a in hashes if a in hashlib.algorithms_available])
        except OSError as exc:
            problems.append(
                _bag_problem(
                    bag / name,
                    "archive.file-missing",
                    f"{name} could not be read: {exc.strerror or exc}",
                    "check the file's permissions and the disk",
                )
            )
            continue
        if in_payload:
            files += 1
            size += path.stat().st_size
        for algorithm in sorted(found):
            if found[algorithm] != hashes[algorithm].lower():
                problems.append(
                    _bag_problem(
                        bag / name,
                        "archive.file-changed",
                        f"{name} changed: its {algorithm} is {found[algorithm]}, the manifest "
                        f"says {hashes[algorithm].lower()}",
                        "restore it from another copy of the bag",
                    )
                )
                break
    problems += _unlisted(bag, entries, bool(list(opened.tagmanifest_files())))
    if not problems:
        try:
            opened.validate(processes=1, completeness_only=True)
        except (bagit.BagError, OSError, ValueError) as exc:
            problems.append(_bag_problem(bag, "archive.invalid", f"BagIt check failed: {exc}"))
    return VerifyResult(not problems, files, size, tuple(problems))


def _unlisted(bag: Path, entries: Mapping[str, object], has_tag_manifest: bool) -> list[Diagnostic]:
    """Files in the bag that no manifest lists (tag files only when there is a tag manifest)."""
    found: list[Diagnostic] = []
    for root, dirs, names in os.walk(bag):
        dirs.sort()
        for file_name in sorted(names):
            rel = (Path(root) / file_name).relative_to(bag).as_posix()
            payload = rel.startswith("data/")
            if rel in entries or file_name.startswith("tagmanifest-"):
                continue
            if not payload and (not has_tag_manifest or re.fullmatch(r"manifest-\w+\.txt", rel)):
                continue
            where = "its payload manifests" if payload else "its tag manifests"
            found.append(
                _bag_problem(
                    bag / rel,
                    "archive.file-unexpected",
                    f"{rel} is in the bag but not in {where}",
                    "remove it, or re-create the bag if it belongs there",
                )
            )
    return found
