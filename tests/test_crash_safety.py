"""Killing convert at any moment (kill -9) leaves no truncated or half-written file, and a
re-run finishes the job: every file is written to a temporary name and renamed when whole.

A reference run gives the expected bytes of every file. Then runs into one folder are killed
after growing delays; after each kill, every file in the folder that is not one of the
writer's temporary files must be byte-identical to the reference (the output is
deterministic under SOURCE_DATE_EPOCH, so a whole file has exactly those bytes). A final
run to completion must give exactly the reference folder, temporary files removed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import REPO

SAMPLE = REPO / "sample"
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1300000000"}


def convert(out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cablerdf.cli",
            "convert",
            str(SAMPLE),
            "--out",
            str(out),
            "--quiet",
        ],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def files(folder: Path) -> dict[str, bytes]:
    """The output files (not the state of incremental runs in .cablerdf/, a cache that is
    checked against the files before it is trusted)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).parts[0] != ".cablerdf"
    }


def is_partial(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base.startswith(".") and base.endswith(".tmp")


def test_killed_runs_leave_only_whole_files_and_a_rerun_finishes(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    started = time.monotonic()
    assert convert(reference).wait(timeout=600) == 0
    full_time = time.monotonic() - started
    expected = files(reference)
    assert "MANIFEST.sha256" in expected and len(expected) > 20

    out = tmp_path / "killed"
    kills = 0
    for fraction in (0.2, 0.4, 0.55, 0.7, 0.85, 0.95):
        proc = convert(out)
        time.sleep(full_time * fraction)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
        for name, data in files(out).items():
            if is_partial(name):
                continue
            assert name in expected, f"{name}: a file the finished run does not write"
            assert data == expected[name], f"{name}: truncated or half-written after kill -9"
    assert kills >= 3, "the runs finished before they could be killed; the test proved nothing"

    assert convert(out).wait(timeout=600) == 0
    assert files(out) == expected
