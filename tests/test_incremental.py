"""Incremental runs: a re-run skips unchanged cables, a change rewrites only what depends on
it (the dumps included), and the folder is always byte-identical to a run from scratch.

Every test converts the bundled sample (real cables in every form) into a folder, changes
the inputs or the folder, converts again, and compares with a fresh run on the same inputs.
"""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO

from cablerdf.convert import ConvertOptions, ConvertSummary, convert
from cablerdf.model import Diagnostic
from cablerdf.settings import Settings

SAMPLE = REPO / "sample"
EPOCH = 1291161600
STATE = Path(".cablerdf/state.sqlite")
PAGE = "html2011/97WELLINGTON1656__avilaroman_Wikileaks-Mirror__ae11afa5.html"
PAGE_ID = "97WELLINGTON1656"
OLD_PAGE = "html2010/08USNATO453__anarchivist_cablegate-data__ad43b7ce.html"  # 2 sources


@dataclass(frozen=True)
class Run:
    summary: ConvertSummary
    diagnostics: tuple[Diagnostic, ...]


def run(inputs: Path, out: Path, jobs: int = 1, **options: object) -> Run:
    found: list[Diagnostic] = []
    summary = convert(
        [str(inputs)],
        out,
        ConvertOptions(jobs=jobs, source_date_epoch=EPOCH, **options),  # type: ignore[arg-type]
        on_diagnostic=found.append,
    )
    return Run(summary, tuple(found))


def files(out: Path) -> dict[str, bytes]:
    """Every file of the output (not the state), by path."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.relative_to(out).parts[0] != ".cablerdf"
    }


def stamps(out: Path) -> dict[str, int]:
    """The modification time of every cable file, by path."""
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.glob("cables/*/*")}


def rewritten(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {name for name, mtime in after.items() if before.get(name) != mtime}


def cable_files(*ids: str) -> set[str]:
    return {f"cables/{rid[:2]}/{rid}.{ext}" for rid in ids for ext in ("ttl", "jsonld")}


def fresh(inputs: Path, tmp_path: Path, **options: object) -> dict[str, bytes]:
    out = tmp_path / "fresh"
    shutil.rmtree(out, ignore_errors=True)
    run(inputs, out, **options)
    return files(out)


@pytest.fixture()
def inputs(tmp_path: Path) -> Path:
    copy = tmp_path / "sample"
    shutil.copytree(SAMPLE, copy)
    return copy


def test_an_unchanged_rerun_converts_nothing_and_writes_the_same_bytes(
    inputs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = run(inputs, out)
    before, mtimes = files(out), stamps(out)
    second = run(inputs, out)
    assert first.summary.unchanged == 0
    assert second.summary.unchanged == second.summary.cables == first.summary.cables == 21
    assert "21 cable(s) unchanged since the previous run" in second.summary.line()
    assert files(out) == before
    assert rewritten(mtimes, stamps(out)) == set()  # no cable file written again
    # the same findings, in the same order: parse results come from the state
    assert second.diagnostics == first.diagnostics
    assert (second.summary.triples, second.summary.files) == (
        first.summary.triples,
        first.summary.files,
    )


def test_changing_one_input_rewrites_its_cable_and_the_dumps_only(
    inputs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run(inputs, out)
    before, mtimes = files(out), stamps(out)
    page = inputs / PAGE
    text = page.read_text(encoding="utf-8")
    assert text.count("Wellington") > 1
    page.write_text(text.replace("Wellington", "WELLINGTON", 1), encoding="utf-8")
    again = run(inputs, out)
    assert again.summary.unchanged == 20
    assert rewritten(mtimes, stamps(out)) == cable_files(PAGE_ID)
    after = files(out)
    changed = {name for name in after if before.get(name) != after[name]}
    assert {"dumps/cables.nq.gz", "dumps/cables.nt.gz", "MANIFEST.sha256"} <= changed
    assert changed <= cable_files(PAGE_ID) | {
        "dumps/cables.nq.gz",
        "dumps/cables.nt.gz",
        "MANIFEST.sha256",
        "void.ttl",  # the dumps' sizes
        "provenance.ttl",  # the source versions used
        "validation/report.ttl",
        "validation/summary.txt",
    }
    assert after == fresh(inputs, tmp_path)


def test_a_new_source_of_a_cable_converts_that_cable_again(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    moved = tmp_path / "later" / Path(OLD_PAGE).name
    moved.parent.mkdir()
    shutil.move(inputs / OLD_PAGE, moved)
    run(inputs, out)
    mtimes = stamps(out)
    shutil.move(moved, inputs / OLD_PAGE)
    again = run(inputs, out)
    assert again.summary.unchanged == 20
    assert rewritten(mtimes, stamps(out)) == cable_files("08USNATO453")
    assert files(out) == fresh(inputs, tmp_path)


def test_a_removed_input_removes_its_cable(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(inputs, out)
    (inputs / PAGE).unlink()
    again = run(inputs, out)
    assert again.summary.cables == again.summary.unchanged == 20
    assert not (out / "cables/97/97WELLINGTON1656.ttl").exists()
    assert files(out) == fresh(inputs, tmp_path)


def test_a_cable_file_changed_in_the_folder_is_written_again(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(inputs, out)
    before = files(out)
    victim = out / "cables/97/97WELLINGTON1656.ttl"
    victim.write_bytes(b"# edited by hand\n")
    (out / "cables/06/06LAPAZ3400.jsonld").unlink()
    again = run(inputs, out)
    assert again.summary.unchanged == 19
    assert files(out) == before


def test_lost_dumps_make_a_full_run(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(inputs, out)
    before = files(out)
    (out / "dumps/cables.nq.gz").unlink()
    again = run(inputs, out)
    assert again.summary.unchanged == 0
    assert files(out) == before


def test_other_settings_or_a_broken_state_make_a_full_run(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(inputs, out)
    other = run(inputs, out, settings=Settings(base="https://example.org/cables/"))
    assert other.summary.unchanged == 0
    assert b"https://example.org/cables/" in (out / "cables/97/97WELLINGTON1656.ttl").read_bytes()
    assert run(inputs, out).summary.unchanged == 0  # back to the default base: all again
    (out / STATE).write_bytes(b"not a database")
    broken = run(inputs, out)
    assert broken.summary.unchanged == 0
    assert files(out) == fresh(inputs, tmp_path)
    with sqlite3.connect(out / STATE) as db:  # the state is whole again
        assert db.execute("SELECT COUNT(*) FROM cables").fetchone() == (21,)


def test_workers_and_incremental_runs_agree(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(inputs, out, jobs=2)
    page = inputs / PAGE
    page.write_text(page.read_text(encoding="utf-8").replace("Wellington", "Welly", 1))
    again = run(inputs, out, jobs=2)
    assert again.summary.unchanged == 20
    assert files(out) == fresh(inputs, tmp_path)


def test_the_dumps_are_one_gzip_member_per_cable(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = run(inputs, out).summary
    data = (out / "dumps/cables.nq.gz").read_bytes()
    members = data.count(b"\x1f\x8b\x08\x00\x00\x00\x00\x00")  # magic, deflate, no flags/time
    assert members == summary.cables
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    assert len(lines) == summary.triples
    graphs = [line.rsplit(" ", 2)[-2] for line in lines]
    assert graphs == sorted(graphs, key=graphs.index)  # each cable's lines together


def no_state(out: Path) -> Sequence[Path]:
    return [p for p in (out / ".cablerdf").iterdir() if p.name != "state.sqlite"]


def test_a_failed_run_keeps_the_previous_state(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(inputs, out)
    state = (out / STATE).read_bytes()

    def broken() -> object:
        raise RuntimeError("the checker cannot start")

    with pytest.raises(RuntimeError):
        run(inputs, out, checker=broken)
    assert (out / STATE).read_bytes() == state
    assert no_state(out) == []  # no spool, no half state left
    assert run(inputs, out).summary.unchanged == 21
