"""``cablerdf.archive`` and ``cablerdf archive``: BagIt bags of a release, and their fixity."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import bagit  # type: ignore[import-untyped]
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import CORPUS, REPO
from rdfcheck import check_serdi

from cablerdf import vocab
from cablerdf.archive import (
    ALGORITHMS,
    DIAGNOSTIC_CODES,
    PROVENANCE_TAG_FILE,
    archive,
    verify,
)
from cablerdf.cli import main
from cablerdf.model import Severity
from cablerdf.settings import Settings

EPOCH = 1700000000  # 2023-11-14T22:13:20Z


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture
def output(tmp_path: Path) -> Path:
    """A small output folder laid out as convert writes one, with its MANIFEST.sha256."""
    out = tmp_path / "output"
    turtle = b'<https://w3id.org/cablegate/cable/10RABAT34> <http://purl.org/dc/terms/identifier> "10RABAT34" .\n'
    _write(out / "cables" / "10" / "10RABAT34.ttl", turtle)
    _write(out / "cables" / "10" / "10RABAT34.jsonld", b'{"@id": "cable/10RABAT34"}\n')
    _write(out / "dumps" / "cables.nq.gz", gzip.compress(turtle, mtime=0))
    for name in ("cablerdf.ttl", "schemes.ttl"):
        _write(out / "ontology" / name, (REPO / "ontology" / name).read_bytes())
    for name in ("cablerdf-shapes.ttl", "cablerdf-rules.ttl"):
        _write(out / "shapes" / name, (REPO / "shapes" / name).read_bytes())
    _write(out / "validation" / "report.ttl", b"")
    _write(out / "void.ttl", b"")
    _write(out / "provenance.ttl", b"")
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    manifest = "".join(
        f"{hashlib.sha256((out / f).read_bytes()).hexdigest()}  {f}\n" for f in files
    )
    _write(out / "MANIFEST.sha256", manifest.encode())
    return out


@pytest.fixture
def sources(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "cache"
    page = CORPUS / "html2011" / next(p.name for p in sorted((CORPUS / "html2011").iterdir()))
    _write(folder / "host" / "cable" / page.name, page.read_bytes())
    _write(folder / "host" / "cable" / f".{page.name}.fetch.json", b'{"format": "x"}\n')
    return [folder, CORPUS / "csv" / "cables_sample.row2.csv"]


@pytest.fixture
def bag(tmp_path: Path, output: Path, sources: list[Path]) -> Path:
    result = archive(
        output, tmp_path / "release.bag", Settings(), sources=sources, source_date_epoch=EPOCH
    )
    assert result.bag is not None
    return result.bag


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# ---- archive ----------------------------------------------------------------------------------


def test_bag_holds_the_output_the_sources_and_the_provenance(
    bag: Path, output: Path, sources: list[Path]
) -> None:
    files = tree(bag)
    for name, data in tree(output).items():
        assert files[f"data/output/{name}"] == data
    assert (
        files[
            "data/sources/cache/host/cable/."
            + next(n for n in tree(sources[0]) if n.endswith(".html")).rsplit("/", 1)[1]
            + ".fetch.json"
        ]
        == b'{"format": "x"}\n'
    )  # hidden sidecars too
    assert files["data/sources/cables_sample.row2.csv"] == sources[1].read_bytes()
    assert files["bagit.txt"] == b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    for algorithm in ALGORITHMS:
        listed = files[f"manifest-{algorithm}.txt"].decode().splitlines()
        assert sorted(line.split("  ", 1)[1] for line in listed) == sorted(
            n for n in files if n.startswith("data/")
        )
        for line in listed:
            digest, name = line.split("  ", 1)
            assert hashlib.new(algorithm, files[name]).hexdigest() == digest
        tags = files[f"tagmanifest-{algorithm}.txt"].decode().splitlines()
        assert [t.split("  ", 1)[1] for t in tags] == [
            "bag-info.txt",
            "bagit.txt",
            "manifest-sha256.txt",
            "manifest-sha512.txt",
            PROVENANCE_TAG_FILE.as_posix(),
        ]
    info = files["bag-info.txt"].decode()
    assert "Bagging-Date: 2023-11-14\n" in info
    assert (
        f"Payload-Oxum: {sum(len(d) for n, d in files.items() if n.startswith('data/'))}." in info
    )
    bagit.Bag(str(bag)).validate()  # the bagit library agrees


def test_provenance_record(bag: Path) -> None:
    path = bag / PROVENANCE_TAG_FILE
    check_serdi(path, "ttl")
    store = ox.Store()
    store.load(path.read_bytes(), ox.RdfFormat.TURTLE)
    runs = [q.subject for q in store.quads_for_pattern(None, vocab.RDF.type, vocab.PROV.Activity)]
    assert len(runs) == 1
    run = runs[0]
    assert isinstance(run, ox.NamedNode) and run.value.startswith(
        Settings().base + "dataset#archive-"
    )
    times = {
        q.predicate.value.rsplit("#", 1)[1]: q.object.value
        for q in store.quads_for_pattern(run, None, None)
        if q.predicate.value.endswith("AtTime")
    }
    assert times == {"startedAtTime": "2023-11-14T22:13:20Z", "endedAtTime": "2023-11-14T22:13:20Z"}
    used = [q.object for q in store.quads_for_pattern(run, vocab.PROV.used, None)]
    assert used == [ox.NamedNode(Settings().base + "dataset")]
    assert not any(
        isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) for q in store
    )


def test_same_epoch_same_bytes(tmp_path: Path, output: Path, sources: list[Path]) -> None:
    one = archive(output, tmp_path / "one", Settings(), sources=sources, source_date_epoch=EPOCH)
    two = archive(output, tmp_path / "two", Settings(), sources=sources, source_date_epoch=EPOCH)
    assert one.bag and two.bag
    assert tree(one.bag) == tree(two.bag)
    three = archive(
        output, tmp_path / "three", Settings(), sources=sources, source_date_epoch=EPOCH + 86400
    )
    assert three.bag and tree(three.bag) != tree(one.bag)


def test_without_epoch_the_date_is_today(tmp_path: Path, output: Path) -> None:
    result = archive(output, tmp_path / "bag", Settings())
    assert result.bag is not None
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    assert f"Bagging-Date: {today}" in (result.bag / "bag-info.txt").read_text()


def test_corrupt_output_is_not_archived(tmp_path: Path, output: Path) -> None:
    (output / "void.ttl").write_bytes(b"changed after convert")
    (output / "dumps" / "cables.nq.gz").unlink()
    result = archive(output, tmp_path / "bag", Settings())
    assert result.bag is None
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert [d.code for d in errors] == ["archive.output-corrupt", "archive.output-corrupt"]
    assert "dumps/cables.nq.gz is listed but missing" in errors[0].message
    assert "void.ttl does not match" in errors[1].message
    assert errors[0].line is not None
    assert not (tmp_path / "bag").exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".bag")] == []


def test_leftovers_and_unlisted_files_are_reported(tmp_path: Path, output: Path) -> None:
    _write(output / "cables" / "10" / ".10RABAT34.ttl.abc.tmp", b"half")
    _write(output / "notes.txt", b"added by hand")
    shutil.rmtree(output / "validation")
    manifest = (output / "MANIFEST.sha256").read_text()
    (output / "MANIFEST.sha256").write_text(
        "".join(line + "\n" for line in manifest.splitlines() if "validation/" not in line)
    )
    result = archive(output, tmp_path / "bag", Settings())
    assert result.bag is not None
    got = sorted((d.code, Path(d.path or "").name) for d in result.diagnostics)
    assert got == [
        ("archive.output-part-missing", "output"),
        ("archive.output-unlisted", "notes.txt"),
        ("archive.partial-file-skipped", ".10RABAT34.ttl.abc.tmp"),
    ]
    assert not (result.bag / "data/output/cables/10/.10RABAT34.ttl.abc.tmp").exists()
    assert (result.bag / "data/output/notes.txt").exists()


def test_refuses_to_overwrite(tmp_path: Path, output: Path) -> None:
    taken = tmp_path / "taken"
    _write(taken / "x", b"x")
    with pytest.raises(FileExistsError):
        archive(output, taken, Settings())
    empty = tmp_path / "empty"
    empty.mkdir()
    assert archive(output, empty, Settings()).bag == empty


def test_refuses_a_bag_inside_what_it_archives(tmp_path: Path, output: Path) -> None:
    for target in (output / "release.bag", output / "cables" / "b"):
        with pytest.raises(ValueError, match="must not be inside"):
            archive(output, target, Settings())
    source = tmp_path / "src"
    source.mkdir()
    with pytest.raises(ValueError, match="must not be inside"):
        archive(output, source / "b", Settings(), sources=[source])
    result = CliRunner().invoke(main, ["archive", str(output), "--to", str(output / "b")])
    assert result.exit_code == 2 and "must not be inside" in result.stderr
    assert not (output / "b").exists()


def test_a_crash_leaves_no_half_bag(
    tmp_path: Path, output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(bagit, "make_bag", boom)
    with pytest.raises(OSError, match="disk full"):
        archive(output, tmp_path / "bag", Settings())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"]


def test_every_code_is_documented() -> None:
    text = (REPO / "docs" / "archive.md").read_text(encoding="utf-8")
    for code in DIAGNOSTIC_CODES:
        assert f"`{code}`" in text, code


# ---- verify -----------------------------------------------------------------------------------


def test_verify_a_good_bag(bag: Path) -> None:
    result = verify(bag)
    assert result.valid and result.diagnostics == ()
    assert result.files == len([p for p in (bag / "data").rglob("*") if p.is_file()])


def test_verify_names_every_changed_missing_and_extra_file(bag: Path) -> None:
    (bag / "data/output/void.ttl").write_bytes(b"tampered")
    (bag / "data/output/cables/10/10RABAT34.ttl").unlink()
    _write(bag / "data/output/extra.ttl", b"")
    _write(bag / "metadata/notes.txt", b"")
    with (bag / "bag-info.txt").open("a") as f:
        f.write("Contact-Name: someone\n")
    result = verify(bag)
    assert not result.valid
    got = sorted(
        (d.code, Path(d.path or "").relative_to(bag).as_posix()) for d in result.diagnostics
    )
    assert got == [
        ("archive.file-changed", "bag-info.txt"),
        ("archive.file-changed", "data/output/void.ttl"),
        ("archive.file-missing", "data/output/cables/10/10RABAT34.ttl"),
        ("archive.file-unexpected", "data/output/extra.ttl"),
        ("archive.file-unexpected", "metadata/notes.txt"),
    ]
    assert all(d.severity is Severity.ERROR and d.hint for d in result.diagnostics)


def test_verify_catches_a_same_size_change_and_a_manifest_edit(bag: Path) -> None:
    page = bag / "data/output/ontology/cablerdf.ttl"
    data = bytearray(page.read_bytes())
    data[100] ^= 1
    page.write_bytes(bytes(data))
    manifest = bag / "manifest-sha512.txt"
    manifest.write_text(
        "".join(line + "\n" for line in manifest.read_text().splitlines() if "void.ttl" not in line)
    )
    got = sorted((d.code, d.message.split(" ", 1)[0]) for d in verify(bag).diagnostics)
    assert got == [
        ("archive.file-changed", "data/output/ontology/cablerdf.ttl"),
        ("archive.file-changed", "manifest-sha512.txt"),
        ("archive.manifest-incomplete", "data/output/void.ttl"),
    ]


@pytest.mark.parametrize(
    "damage",
    ["no-bagit-txt", "empty-folder", "unsafe-path", "garbage-manifest", "bad-version"],
)
def test_verify_is_total_on_broken_bags(bag: Path, damage: str) -> None:
    if damage == "no-bagit-txt":
        (bag / "bagit.txt").unlink()
    elif damage == "empty-folder":
        shutil.rmtree(bag)
        bag.mkdir()
    elif damage == "unsafe-path":
        with (bag / "manifest-sha256.txt").open("a") as f:
            f.write("0" * 64 + "  ../../../etc/passwd\n")
    elif damage == "garbage-manifest":
        (bag / "manifest-sha256.txt").write_bytes(b"\xff\xfe garbage \x00 lines\nno-hash\n")
    else:
        (bag / "bagit.txt").write_text("BagIt-Version: x.y\nTag-File-Character-Encoding: UTF-8\n")
    result = verify(bag)
    assert not result.valid
    assert result.diagnostics and all(d.severity is Severity.ERROR for d in result.diagnostics)


# ---- the command ------------------------------------------------------------------------------


def test_cli_archive_and_verify(tmp_path: Path, output: Path, sources: list[Path]) -> None:
    runner = CliRunner()
    target = tmp_path / "cli.bag"
    args = ["archive", str(output), "--to", str(target)]
    for source in sources:
        args += ["--sources", str(source)]
    made = runner.invoke(main, args, env={"SOURCE_DATE_EPOCH": str(EPOCH)})
    assert made.exit_code == 0, made.output
    assert made.stdout == f"{target}\n"
    assert "bagged" in made.stderr
    ok = runner.invoke(main, ["archive", "--verify", str(target)])
    assert ok.exit_code == 0 and "is valid" in ok.stderr and ok.stdout == ""
    (target / "data/output/void.ttl").write_bytes(b"x")
    (target / "data/output/provenance.ttl").unlink()
    bad = runner.invoke(main, ["archive", "--verify", str(target)])
    assert bad.exit_code == 1
    assert "[archive.file-changed]" in bad.stderr and "data/output/void.ttl" in bad.stderr
    assert "[archive.file-missing]" in bad.stderr and "data/output/provenance.ttl" in bad.stderr
    assert "WARNING" not in bad.stderr  # bagit's own log lines stay quiet


def test_cli_usage_errors(tmp_path: Path, output: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["archive"]).exit_code == 2
    assert runner.invoke(main, ["archive", str(output)]).exit_code == 2
    both = runner.invoke(main, ["archive", str(output), "--verify", str(output)])
    assert both.exit_code == 2
    epoch = runner.invoke(
        main,
        ["archive", str(output), "--to", str(tmp_path / "b")],
        env={"SOURCE_DATE_EPOCH": "soon"},
    )
    assert epoch.exit_code == 2 and "SOURCE_DATE_EPOCH" in epoch.stderr
    _write(tmp_path / "taken" / "x", b"")
    taken = runner.invoke(main, ["archive", str(output), "--to", str(tmp_path / "taken")])
    assert taken.exit_code == 2 and "already exists" in taken.stderr


def test_cli_corrupt_output_exits_1(tmp_path: Path, output: Path) -> None:
    (output / "void.ttl").write_bytes(b"changed")
    result = CliRunner().invoke(main, ["archive", str(output), "--to", str(tmp_path / "b")])
    assert result.exit_code == 1
    assert "[archive.output-corrupt]" in result.stderr and result.stdout == ""


def test_cli_help_has_an_example() -> None:
    result = CliRunner().invoke(main, ["archive", "--help"])
    assert result.exit_code == 0 and "Example:" in result.stdout and "--verify" in result.stdout


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A real output folder: ``cablerdf convert`` on two corpus files."""
    base = tmp_path_factory.mktemp("convert")
    inputs = [
        next((CORPUS / "html2011").glob("10RABAT34__*.html")),
        CORPUS / "csv" / "cables_sample.row2.csv",
    ]
    out = base / "output"
    result = CliRunner().invoke(
        main,
        ["convert", *map(str, inputs), "--out", str(out), "-q"],
        env={"SOURCE_DATE_EPOCH": str(EPOCH)},
    )
    assert result.exit_code == 0, result.output
    yield out


def test_archive_a_real_convert_output(tmp_path: Path, converted: Path) -> None:
    result = archive(converted, tmp_path / "bag", Settings(), source_date_epoch=EPOCH)
    assert result.bag is not None
    assert [d.code for d in result.diagnostics] == []  # every part there, MANIFEST matches
    assert verify(result.bag).valid
    state = {name for name in tree(converted) if name.startswith(".cablerdf/")}
    assert state == {".cablerdf/state.sqlite"}  # convert's cache of incremental runs ...
    published = {k: v for k, v in tree(converted).items() if k not in state}
    assert tree(result.bag / "data" / "output") == published  # ... is not archived
