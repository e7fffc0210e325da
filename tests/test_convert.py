"""``cablerdf convert`` on the whole shared corpus, and the command line.

The corpus is converted twice per session (``jobs=2`` and ``jobs=1``, the same
SOURCE_DATE_EPOCH) and every file is checked with strict, independent parsers: serdi and N3.js
for every Turtle, N-Triples and N-Quads file, Jena riot for the dumps, the dataset files and
(as JSON-LD 1.0) every JSON-LD file, jsonld.js in safe mode for every JSON-LD file. The
checkers take many files per run (``tools/`` wrappers), so each runs a few times only.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import importlib
import json
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import CORPUS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld
from rdfcheck import REPO, TIMEOUT, check_n3, check_riot, check_serdi

from cablerdf import export
from cablerdf._state import Spool, pack, unpack
from cablerdf.cable_ids import default_index
from cablerdf.cli import main
from cablerdf.convert import (
    MANIFEST,
    CableCheck,
    Checker,
    ConvertOptions,
    ConvertSummary,
    convert,
)
from cablerdf.iris import Minter
from cablerdf.mapping import cable_to_quads
from cablerdf.model import Diagnostic, Severity
from cablerdf.parsing import parse_documents
from cablerdf.readers import read_inputs
from cablerdf.settings import Settings
from cablerdf.vocab import CR, DCT, PO, RDF, SCHEMA

EPOCH = 1291161600  # 2010-12-01T00:00:00Z
EPOCH_TEXT = "2010-12-01T00:00:00Z"
MINTER = Minter.for_settings(Settings())
LOADER = export.OfflineLoader.for_minter(MINTER)
CONTEXT_IRI = export.context_iri(MINTER)
SUMMARY_LINE = re.compile(
    r"converted (\d+) cable\(s\) from (\d+) record\(s\): (\d+) triples, (\d+) files; "
    r"(\d+) error\(s\), (\d+) warning\(s\); (\d+) violation\(s\) in (\d+) cable\(s\)"
)


def manifest_rows() -> list[dict[str, str]]:
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def files_by_cable() -> dict[str, dict[str, list[str]]]:
    """The corpus files of each cable, by form (from the corpus MANIFEST.tsv)."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in manifest_rows():
        found[row["reference_id"]][row["form"]].append(row["file"])
    return found


FILES = files_by_cable()
PAGE_PAIRS = sorted(rid for rid, forms in FILES.items() if {"html2010", "html2011"} <= set(forms))
MULTI_SOURCE = sorted(
    rid for rid, forms in FILES.items() if sum(len(f) for f in forms.values()) > 1
)


@dataclass(frozen=True)
class Run:
    out: Path
    summary: ConvertSummary
    diagnostics: tuple[Diagnostic, ...]

    def files(self, pattern: str) -> list[Path]:
        return sorted(self.out.glob(pattern))

    def cables(self) -> dict[str, Path]:
        """The Turtle file of each cable, by reference ID."""
        return {p.stem: p for p in self.files("cables/*/*.ttl")}


def run_convert(inputs: Sequence[str], out: Path, **options: object) -> Run:
    diagnostics: list[Diagnostic] = []
    summary = convert(
        list(inputs),
        out,
        ConvertOptions(**options),
        on_diagnostic=diagnostics.append,  # type: ignore[arg-type]
    )
    return Run(out, summary, tuple(diagnostics))


@pytest.fixture(scope="session")
def corpus_run(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("convert") / "out"
    return run_convert([str(corpus_dir)], out, jobs=2, source_date_epoch=EPOCH)


@pytest.fixture(scope="session")
def corpus_run_again(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("convert-again") / "out"
    return run_convert([str(corpus_dir)], out, jobs=1, source_date_epoch=EPOCH)


def chunks(items: Sequence[Path], size: int = 100) -> Iterator[list[Path]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def run_tool(command: list[str]) -> None:
    """Run a tools/ checker on many files at once; fail with its messages."""
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT, check=False, cwd=REPO
    )
    assert result.returncode == 0, f"{command[0]} (exit {result.returncode}):\n{result.stderr}"


def triples(data: bytes, fmt: ox.RdfFormat) -> set[str]:
    return {str(q.triple) for q in ox.parse(data, format=fmt)}


# ---- the corpus run ----------------------------------------------------------------------


def test_every_cable_is_converted(corpus_run: Run) -> None:
    """One Turtle and one JSON-LD file per cable of the corpus MANIFEST, nothing more."""
    assert set(corpus_run.cables()) == set(FILES)
    jsonld_names = {p.name.removesuffix(".jsonld") for p in corpus_run.files("cables/*/*.jsonld")}
    assert jsonld_names == set(FILES)
    s = corpus_run.summary
    assert s.cables == len(FILES)
    assert s.records >= len(manifest_rows())
    for path in corpus_run.cables().values():
        assert path.parent.name == path.stem[:2]  # sharded by year


def test_turtle_files_pass_serdi_and_n3(corpus_run: Run) -> None:
    files = corpus_run.files("cables/*/*.ttl") + corpus_run.files("*.ttl")
    files += corpus_run.files("validation/*.ttl") + corpus_run.files("ontology/*.ttl")
    for path in files:
        check_serdi(path, "ttl")
    for group in chunks(files):
        run_tool([str(REPO / "tools" / "n3-validate"), *map(str, group)])


def test_turtle_files_pass_riot(corpus_run: Run) -> None:
    files = corpus_run.files("cables/*/*.ttl") + corpus_run.files("*.ttl")
    files += corpus_run.files("validation/*.ttl")
    assert len(files) > 277, "the corpus run wrote too few Turtle files to check"
    run_tool([str(REPO / "tools" / "riot-validate"), "ttl", *map(str, files)])


@pytest.mark.parametrize(("name", "syntax"), [("cables.nq.gz", "nq"), ("cables.nt.gz", "nt")])
def test_dumps_pass_serdi_n3_and_riot(corpus_run: Run, name: str, syntax: str) -> None:
    path = corpus_run.out / "dumps" / name
    check_serdi(path, syntax)
    check_n3(path)
    check_riot(path, syntax)


def test_jsonld_files_pass_jsonld_js_safe_mode(corpus_run: Run) -> None:
    context = corpus_run.out / export.CONTEXT_PATH
    files = corpus_run.files("cables/*/*.jsonld")
    assert len(files) == 277, "every cable of the corpus has a JSON-LD file to check"
    for group in chunks(files):
        tool = str(REPO / "tools" / "jsonld-safe")
        run_tool([tool, "--context", f"{CONTEXT_IRI}={context}", *map(str, group)])


def test_jsonld_files_pass_riot_as_jsonld_1_0(corpus_run: Run) -> None:
    context = corpus_run.out / export.CONTEXT_PATH
    files = corpus_run.files("cables/*/*.jsonld")
    assert len(files) == 277, "every cable of the corpus has a JSON-LD file to check"
    tool = str(REPO / "tools" / "riot-validate")
    run_tool([tool, "--context", f"{CONTEXT_IRI}={context}", "jsonld", *map(str, files)])


def test_published_context_is_the_packaged_one(corpus_run: Run) -> None:
    assert (corpus_run.out / export.CONTEXT_PATH).read_bytes() == export.context_bytes()


def test_jsonld_is_the_same_graph_as_turtle(corpus_run: Run) -> None:
    """Each cable's JSON-LD, read back by pyld, is its Turtle (equal as sorted N-Triples)."""
    mismatched: list[str] = []
    for rid, ttl in corpus_run.cables().items():
        document = ttl.with_suffix(".jsonld").read_text(encoding="utf-8")
        nquads = jsonld.to_rdf(
            json.loads(document), {"documentLoader": LOADER, "format": "application/n-quads"}
        )
        got = triples(nquads.encode("utf-8"), ox.RdfFormat.N_QUADS)
        want = triples(ttl.read_bytes(), ox.RdfFormat.TURTLE)
        if got != want:
            mismatched.append(
                f"{rid}: only in JSON-LD {sorted(got - want)[:3]}, "
                f"only in Turtle {sorted(want - got)[:3]}"
            )
    assert not mismatched, "\n".join(mismatched)


def test_jsonld_is_a_tree_per_cable_with_paragraphs_in_order(corpus_run: Run) -> None:
    for rid, ttl in corpus_run.cables().items():
        document = json.loads(ttl.with_suffix(".jsonld").read_bytes())
        assert document["@context"] == CONTEXT_IRI
        cable = document["@graph"][0]
        assert cable["@id"] == MINTER.cable(rid).value
        parts = cable.get("contains", [])
        parts = parts if isinstance(parts, list) else [parts]
        positions = [p["position"] for p in parts]
        assert positions == list(range(1, len(parts) + 1)), rid


def test_dumps_hold_every_cable_graph(corpus_run: Run) -> None:
    by_graph: dict[str, set[str]] = defaultdict(set)
    nquads = gzip.decompress((corpus_run.out / "dumps/cables.nq.gz").read_bytes())
    for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS):
        assert isinstance(q.graph_name, ox.NamedNode)
        by_graph[q.graph_name.value].add(str(q.triple))
    cables = corpus_run.cables()
    assert set(by_graph) == {MINTER.graph(rid).value for rid in cables}
    union: set[str] = set()
    for rid, ttl in cables.items():
        want = triples(ttl.read_bytes(), ox.RdfFormat.TURTLE)
        assert by_graph[MINTER.graph(rid).value] == want, rid
        union |= want
    assert len(nquads.splitlines()) == corpus_run.summary.triples
    ntriples = gzip.decompress((corpus_run.out / "dumps/cables.nt.gz").read_bytes())
    assert triples(ntriples, ox.RdfFormat.N_TRIPLES) == union
    assert len(ntriples.splitlines()) == corpus_run.summary.triples


@pytest.mark.parametrize("name", ["cables.nq.gz", "cables.nt.gz"])
def test_dump_gzip_headers_have_no_time_and_no_name(corpus_run: Run, name: str) -> None:
    head = (corpus_run.out / "dumps" / name).read_bytes()[:10]
    assert head[:3] == b"\x1f\x8b\x08" and head[3] & 0x08 == 0 and head[4:8] == b"\0\0\0\0"


def test_manifest_lists_every_file_and_checks(corpus_run: Run) -> None:
    out = corpus_run.out
    text = (out / MANIFEST).read_text(encoding="utf-8")
    names = [line.split("  ", 1)[1] for line in text.splitlines()]
    assert names == sorted(names)
    on_disk = sorted(
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and p.relative_to(out).parts[0] != ".cablerdf"
    )
    assert sorted([*names, MANIFEST.as_posix()]) == on_disk  # no temporary file left either
    state = sorted(p.name for p in (out / ".cablerdf").iterdir())
    assert state == ["state.sqlite"]  # the cache of incremental runs; no spool left
    assert corpus_run.summary.files == len(on_disk)
    tool = shutil.which("sha256sum")
    assert tool is not None, "sha256sum (coreutils) is needed"
    result = subprocess.run(
        [tool, "-c", "--strict", "--quiet", MANIFEST.as_posix()],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_converting_twice_gives_identical_bytes(corpus_run: Run, corpus_run_again: Run) -> None:
    """jobs=2 and jobs=1, the same SOURCE_DATE_EPOCH: every file identical, provenance too."""
    one = (corpus_run.out / MANIFEST).read_bytes()
    assert one == (corpus_run_again.out / MANIFEST).read_bytes()
    assert "provenance.ttl" in one.decode()


def test_epoch_fixes_the_run_time(corpus_run: Run) -> None:
    data = (corpus_run.out / "provenance.ttl").read_bytes()
    graph = triples(data, ox.RdfFormat.TURTLE)
    for what in ("startedAtTime", "endedAtTime"):
        line = (
            f"<{MINTER.dataset().value}#conversion> <http://www.w3.org/ns/prov#{what}> "
            f'"{EPOCH_TEXT}"^^<http://www.w3.org/2001/XMLSchema#dateTime>'
        )
        assert line in graph
    versions = [t for t in graph if "<http://www.w3.org/ns/prov#used>" in t]
    s = corpus_run.summary
    assert s.cables <= len(versions) <= s.records  # one per source version


def test_per_cable_files_carry_no_run_time(corpus_run: Run) -> None:
    for path in corpus_run.files("cables/*/*"):
        assert EPOCH_TEXT.encode() not in path.read_bytes(), path


def test_dataset_description_counts(corpus_run: Run) -> None:
    graph = triples((corpus_run.out / "void.ttl").read_bytes(), ox.RdfFormat.TURTLE)
    d = f"<{MINTER.dataset().value}>"
    integer = "<http://www.w3.org/2001/XMLSchema#integer>"
    s = corpus_run.summary
    assert f'{d} <http://rdfs.org/ns/void#triples> "{s.triples}"^^{integer}' in graph
    cables = f"<{MINTER.dataset().value}#cables>"
    assert f'{cables} <http://rdfs.org/ns/void#entities> "{s.cables}"^^{integer}' in graph
    for name, key in (("cables.nq.gz", "nquads"), ("cables.nt.gz", "ntriples")):
        size = (corpus_run.out / "dumps" / name).stat().st_size
        line = (
            f"<{MINTER.dataset().value}#{key}> <http://www.w3.org/ns/dcat#byteSize> "
            f'"{size}"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>'
        )
        assert line in graph
    entities = [t for t in graph if t.startswith(f"{d} <http://rdfs.org/ns/void#entities>")]
    assert len(entities) == 1
    count = int(entities[0].split('"')[1])
    subjects: set[str] = set()
    for ttl in corpus_run.cables().values():
        for q in ox.parse(ttl.read_bytes(), format=ox.RdfFormat.TURTLE):
            if isinstance(q.subject, ox.NamedNode) and MINTER.parse(q.subject.value):
                subjects.add(q.subject.value)
    assert count == len(subjects)


def test_ontology_and_shapes_are_copied(corpus_run: Run) -> None:
    for folder in ("ontology", "shapes"):
        copies = corpus_run.files(f"{folder}/*.ttl")
        assert [p.name for p in copies] == sorted(p.name for p in (REPO / folder).glob("*.ttl"))
        for path in copies:
            assert path.read_bytes() == (REPO / folder / path.name).read_bytes()


def test_validation_report_and_summary(corpus_run: Run) -> None:
    s = corpus_run.summary
    report = (corpus_run.out / "validation/report.ttl").read_bytes()
    graph = triples(report, ox.RdfFormat.TURTLE)
    verdicts = [
        q.object.value
        for q in ox.parse(report, format=ox.RdfFormat.TURTLE)
        if q.predicate.value == "http://www.w3.org/ns/shacl#conforms"
    ]
    assert verdicts == ["false" if s.nonconforming else "true"]
    results = [t for t in graph if "<http://www.w3.org/ns/shacl#result>" in t]
    text = (corpus_run.out / "validation/summary.txt").read_text(encoding="utf-8")
    listed = [
        line for line in text.splitlines() if re.match(r"\S+: (Violation|Warning|Info): ", line)
    ]
    assert len(listed) == len(results)
    shacl = [d for d in corpus_run.diagnostics if d.code.startswith("shacl.")]
    assert len(shacl) == len(results)
    assert s.violations == sum(1 for line in listed if ": Violation: " in line)
    assert text.startswith(f"SHACL validation of {s.cables} cable(s): {s.violations} violation(s)")


# ---- paragraphs --------------------------------------------------------------------------


def test_paragraph_iris_are_unique(corpus_run: Run) -> None:
    """Every paragraph of a cable (or version) has its own IRI: one position, one whole."""
    for rid, ttl in corpus_run.cables().items():
        quads = list(ox.parse(ttl.read_bytes(), format=ox.RdfFormat.TURTLE))
        positions: dict[str, list[str]] = defaultdict(list)
        wholes: dict[str, list[str]] = defaultdict(list)
        contained: dict[str, list[str]] = defaultdict(list)
        for q in quads:
            if q.predicate == SCHEMA.position:
                positions[str(q.subject)].append(q.object.value)
            if q.predicate == DCT.isPartOf:
                wholes[str(q.subject)].append(str(q.object))
            if q.predicate == PO.contains:
                contained[str(q.subject)].append(str(q.object))
        paragraphs = {
            str(q.subject) for q in quads if q.predicate == RDF.type and q.object == CR.Paragraph
        }
        for p in paragraphs:
            assert len(positions[p]) == 1 and len(wholes[p]) == 1, (rid, p)
        for whole, parts in contained.items():
            assert len(parts) == len(set(parts)), (rid, whole)
            numbers = sorted(int(positions[p][0]) for p in parts)
            assert numbers == list(range(1, len(parts) + 1)), (rid, whole)


def paragraph_iris(path: Path, reference_id: str) -> list[str]:
    records = [
        r.record
        for r in parse_documents(read_inputs([str(path)]), default_index())
        if r.record is not None and r.record.reference_id == reference_id
    ]
    assert records, f"{path} holds no cable {reference_id}"
    cable = MINTER.cable(reference_id)
    quads = cable_to_quads(records, Settings())
    return sorted(
        q.object.value for q in quads if q.subject == cable and q.predicate == PO.contains
    )


@pytest.mark.parametrize("reference_id", PAGE_PAIRS)
def test_2010_and_2011_pages_give_the_same_paragraph_iris(reference_id: str) -> None:
    forms = FILES[reference_id]
    old = paragraph_iris(CORPUS / forms["html2010"][0], reference_id)
    new = paragraph_iris(CORPUS / forms["html2011"][0], reference_id)
    assert old == new
    assert len(old) == len(set(old))


@pytest.mark.parametrize("reference_id", MULTI_SOURCE)
def test_a_cable_alone_gives_the_same_graph(
    reference_id: str, corpus_run: Run, tmp_path: Path
) -> None:
    """Converting only the files of one cable gives its graph byte for byte as in the corpus."""
    inputs = sorted(str(CORPUS / f) for files in FILES[reference_id].values() for f in files)
    alone = run_convert(inputs, tmp_path / "out", source_date_epoch=EPOCH)
    for suffix in (".ttl", ".jsonld"):
        name = export.cable_file(reference_id, suffix)
        assert (alone.out / name).read_bytes() == (corpus_run.out / name).read_bytes(), name


# ---- behaviour ---------------------------------------------------------------------------

SMALL = [
    str(CORPUS / FILES["72TEHRAN1164"]["csv"][0]),
    str(CORPUS / FILES["72TEHRAN1164"]["html2010"][0]),
    str(CORPUS / FILES["08USNATO453"]["html2011"][0]),
]


def manifest_lines(out: Path) -> dict[str, str]:
    text = (out / MANIFEST).read_text(encoding="utf-8")
    return {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in text.splitlines()}


def test_without_epoch_only_the_provenance_differs(tmp_path: Path) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    one = run_convert(SMALL, tmp_path / "one")
    two = run_convert(SMALL, tmp_path / "two")
    after = dt.datetime.now(dt.UTC)
    a, b = manifest_lines(one.out), manifest_lines(two.out)
    assert a.keys() == b.keys()
    assert {k for k in a if a[k] != b[k]} <= {"provenance.ttl"}
    graph = triples((one.out / "provenance.ttl").read_bytes(), ox.RdfFormat.TURTLE)
    times = [dt.datetime.fromisoformat(t.split('"')[1]) for t in graph if "AtTime>" in t]
    assert len(times) == 2 and all(before <= moment <= after for moment in times)


def test_jobs_do_not_change_the_bytes(tmp_path: Path) -> None:
    one = run_convert(SMALL, tmp_path / "one", jobs=2, source_date_epoch=EPOCH)
    two = run_convert(SMALL, tmp_path / "two", jobs=1, source_date_epoch=EPOCH)
    assert manifest_lines(one.out) == manifest_lines(two.out)


def test_files_of_an_earlier_run_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run_convert(SMALL, out, source_date_epoch=EPOCH)
    assert set(first.cables()) == {"72TEHRAN1164", "08USNATO453"}
    (out / "README.txt").write_text("mine")
    second = run_convert(SMALL[:1], out, source_date_epoch=EPOCH)
    assert set(second.cables()) == {"72TEHRAN1164"}
    assert not (out / "cables" / "08").exists(), "an emptied shard folder is removed"
    assert (out / "README.txt").read_text() == "mine", "a file no run wrote is kept"


# A checker for the tests: reports a Violation on one cable, a Warning on another.


def odd_checker() -> Checker:
    return OddChecker()


@dataclass(frozen=True)
class OddChecker:
    def check(self, quads: Sequence[ox.Quad]) -> CableCheck:
        cable = next(q.subject for q in quads if q.predicate == RDF.type and q.object == CR.Cable)
        assert isinstance(cable, ox.NamedNode)
        severity = "Violation" if "TEHRAN" in cable.value else "Warning"
        result = export.ResultLine(severity, cable.value, DCT.title.value, "urn:shape", "odd")
        report = (
            "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
            f"[] a sh:ValidationReport ; sh:conforms {str(severity != 'Violation').lower()} ;\n"
            f"  sh:result [ a sh:ValidationResult ; sh:focusNode <{cable.value}> ;\n"
            f"    sh:resultSeverity sh:{severity} ; sh:sourceShape <urn:shape> ;\n"
            '    sh:resultMessage "odd" ] .\n'
        ).encode()
        diagnostic = Diagnostic(
            Severity.ERROR if severity == "Violation" else Severity.WARNING, "shacl.odd", "odd"
        )
        return CableCheck(severity != "Violation", (report,), (result,), (diagnostic,))


def broken_checker() -> Checker:
    return BrokenChecker()


@dataclass(frozen=True)
class BrokenChecker:
    def check(self, quads: Sequence[ox.Quad]) -> CableCheck:
        if any("TEHRAN" in str(q.subject) for q in quads):  # the second cable, by ID
            raise RuntimeError("the validator broke")
        return CableCheck(True, (), (), ())


def test_a_cable_with_a_violation_is_written_and_listed(tmp_path: Path) -> None:
    run = run_convert(SMALL, tmp_path / "out", checker=odd_checker, source_date_epoch=EPOCH)
    assert run.summary.violations == 1
    assert run.summary.nonconforming == ("72TEHRAN1164",)
    assert set(run.cables()) == {"72TEHRAN1164", "08USNATO453"}
    text = (run.out / "validation/summary.txt").read_text(encoding="utf-8")
    assert (
        f"72TEHRAN1164: Violation: {MINTER.cable('72TEHRAN1164').value} "
        f"{DCT.title.value}: odd [shape urn:shape]"
    ) in text.splitlines()
    assert text.index("Violations:") < text.index("Warnings and notes:")
    graph = triples((run.out / "validation/report.ttl").read_bytes(), ox.RdfFormat.TURTLE)
    assert sum(1 for t in graph if "#result>" in t) == 2
    assert any(
        t.endswith('#conforms> "false"^^<http://www.w3.org/2001/XMLSchema#boolean>') for t in graph
    )
    check_serdi(run.out / "validation/report.ttl", "ttl")


def test_a_broken_run_leaves_only_whole_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        run_convert(SMALL, out, checker=broken_checker)
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == ["cables/08/08USNATO453.jsonld", "cables/08/08USNATO453.ttl"]
    check_serdi(out / written[1], "ttl")


def test_the_spool_groups_by_reference_id_in_order(tmp_path: Path) -> None:
    records = [
        r.record
        for r in parse_documents(read_inputs(list(reversed(SMALL))), default_index())
        if r.record is not None
    ]
    spool = Spool(tmp_path / "spool.sqlite")
    for k, record in enumerate(records):
        spool.add(record.reference_id, f"key{k}", True, pack(record))
    groups = list(spool.groups())
    assert [rid for rid, _ in groups] == ["08USNATO453", "72TEHRAN1164"]
    assert [len(entries) for _, entries in groups] == [1, 2]
    tehran = [unpack(e.blob) for e in groups[1][1]]
    assert tehran == [r for r in records if r.reference_id == "72TEHRAN1164"]  # input order
    assert [e.key for e in groups[1][1]] == sorted(e.key for e in groups[1][1])
    assert (spool.records(), spool.cables()) == (3, 2)
    spool.close()
    assert not (tmp_path / "spool.sqlite").exists()


def test_a_missing_ontology_is_a_warning(tmp_path: Path) -> None:
    run = run_convert(SMALL[2:], tmp_path / "out", checker=None, ontology_dir=tmp_path / "none")
    codes = [d.code for d in run.diagnostics if d.severity is Severity.WARNING]
    assert "convert.ontology-missing" in codes
    assert not (run.out / "ontology").exists()
    assert run.summary.cables == 1


def test_options_refuse_bad_values() -> None:
    with pytest.raises(ValueError, match="licence"):
        ConvertOptions(license="not an IRI")
    with pytest.raises(ValueError, match="jobs"):
        ConvertOptions(jobs=0)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=300))
def test_convert_never_raises_on_arbitrary_text(text: str, tmp_path: Path) -> None:
    path = tmp_path / "input.txt"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    run = run_convert([str(path)], tmp_path / "out", checker=None, source_date_epoch=EPOCH)
    assert run.summary.cables == len(run.cables())
    assert (tmp_path / "out" / MANIFEST).is_file()


# ---- the command line --------------------------------------------------------------------


def invoke(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_cli_converts_and_prints_a_summary(tmp_path: Path) -> None:
    code, out, err = invoke(
        ["convert", *SMALL, "--out", str(tmp_path / "out"), "-q"], {"SOURCE_DATE_EPOCH": str(EPOCH)}
    )
    assert code == 0, err
    assert out == ""
    last = err.strip().splitlines()[-1]
    m = SUMMARY_LINE.fullmatch(last)
    assert m is not None, last
    assert m.group(1) == "2" and m.group(2) == "3"
    assert "converting" not in err, "no progress bar when standard error is not a terminal"
    assert (tmp_path / "out" / "cables/72/72TEHRAN1164.ttl").is_file()


def test_cli_base_option_and_environment(tmp_path: Path) -> None:
    code, _, err = invoke(
        ["convert", SMALL[2], "--out", str(tmp_path / "a"), "--base", "http://localhost:8000/"]
    )
    assert code == 0, err
    data = (tmp_path / "a" / "cables/08/08USNATO453.jsonld").read_text(encoding="utf-8")
    assert '"@context": "http://localhost:8000/context/v1.jsonld"' in data
    assert '"@id": "http://localhost:8000/cable/08USNATO453"' in data
    code, _, err = invoke(
        ["convert", SMALL[2], "--out", str(tmp_path / "b")],
        {"CABLERDF_BASE": "http://example.org/data/"},
    )
    assert code == 0, err
    data = (tmp_path / "b" / "cables/08/08USNATO453.ttl").read_text(encoding="utf-8")
    assert "<http://example.org/data/cable/08USNATO453>" in data


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--base", "ftp://x/"], {}, "--base"),
        (["--base", "http://x"], {}, "must end with '/'"),
        (["--jobs", "-1"], {}, "--jobs"),
        (["--license", "not an iri"], {}, "--license"),
        ([], {"SOURCE_DATE_EPOCH": "yesterday"}, "SOURCE_DATE_EPOCH"),
    ],
)
def test_cli_usage_errors_exit_2(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    code, _, err = invoke(["convert", SMALL[2], "--out", str(tmp_path / "o"), *args], env)
    assert code == 2
    assert message in err


def test_cli_needs_an_output_folder() -> None:
    code, _, err = invoke(["convert", SMALL[2]])
    assert code == 2 and "--out" in err


def test_cli_exit_1_when_nothing_is_converted(tmp_path: Path) -> None:
    code, _, err = invoke(["convert", str(CORPUS / "README.md"), "--out", str(tmp_path / "o")])
    assert code == 1
    assert "converted 0 cable(s)" in err
    assert "[convert.no-cables]" in err


def test_cli_strict_fails_on_a_rejected_input(tmp_path: Path) -> None:
    args = ["convert", SMALL[2], str(tmp_path / "missing.html"), "--out", str(tmp_path / "o")]
    code, _, err = invoke(args)
    assert code == 0 and "[reader.missing-input]" in err
    code, _, err = invoke([*args, "--strict"])
    assert code == 1


def test_cli_strict_fails_on_a_violation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    command = importlib.import_module("cablerdf.cli.convert")  # the module, not the command

    def options(**kwargs: object) -> ConvertOptions:
        return ConvertOptions(checker=odd_checker, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(command, "ConvertOptions", options)
    args = ["convert", *SMALL, "--out", str(tmp_path / "o")]
    code, _, err = invoke(args)
    assert code == 0
    assert "1 violation(s) in 1 cable(s)" in err.strip().splitlines()[-1]
    code, _, _ = invoke([*args, "--strict"])
    assert code == 1
    assert (tmp_path / "o" / "cables/72/72TEHRAN1164.ttl").is_file()


def test_cli_exit_3_when_the_output_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    code, _, err = invoke(["convert", SMALL[2], "--out", str(blocker / "out")])
    assert code == 3
    assert "could not write the output folder" in err


def test_cli_help_has_an_example() -> None:
    code, out, _ = invoke(["convert", "--help"])
    assert code == 0
    assert "cablerdf convert sample/ --out output/" in out


def test_output_doc_names_every_top_level_entry(corpus_run: Run) -> None:
    doc = (REPO / "docs" / "output.md").read_text(encoding="utf-8")
    for entry in sorted(p.name for p in corpus_run.out.iterdir()):
        assert f"`{entry}" in doc, entry
    assert PurePosixPath(export.CONTEXT_PATH).as_posix() in doc
