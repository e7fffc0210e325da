"""``provenance.ttl`` is written streamed (its list of source versions grows with the
corpus): the bytes must be those of the file made in one piece by the export functions."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cablerdf import convert as cv
from cablerdf import export
from cablerdf._state import Spool, State

STARTED = "2020-01-01T00:00:00Z"
ENDED = "2020-01-01T00:00:01Z"

# Characters of IRIs, some of them below ">" (they decide how "<IRI>" texts sort), some
# that make a prefixed name impossible, one beyond ASCII.
_ALPHABET = "aA0/!$&()*+,-.:;=@_~é"


def _streamed_and_whole(folder: Path, versions: list[str]) -> tuple[bytes, bytes, str]:
    run = cv._Run(
        folder,
        cv.ConvertOptions(),
        lambda d: None,
        Spool(folder / "spool.sqlite"),
        State(folder, "x"),
    )
    half = len(versions) // 2  # tallied by two cables, as a run does
    run.spool.tally("A", "a", (), versions[:half], ())
    run.spool.tally("B", "b", (), versions[half:], ())
    cv._write_provenance(run, STARTED, ENDED)
    streamed = (folder / "provenance.ttl").read_bytes()
    whole = export.description_turtle(
        export.run_provenance(
            run.minter, run.options.settings.tool_version, STARTED, ENDED, versions
        )
    )
    listed = dict(run.spool.files())["provenance.ttl"]
    run.spool.close()
    return streamed, whole, listed


def _random_versions(n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    base = "https://w3id.org/cablegate/cable/"
    return [
        base + "".join(rnd.choice(_ALPHABET) for _ in range(rnd.randint(0, 8))) + "/version/1"
        for _ in range(n)
    ]


@pytest.mark.parametrize("n", [0, 1, 2, cv._USED_CHUNK - 1, cv._USED_CHUNK, 2 * cv._USED_CHUNK + 3])
def test_streamed_provenance_equals_the_whole(tmp_path: Path, n: int) -> None:
    versions = _random_versions(n, n)
    versions += versions[:5]  # a version read twice is listed once
    streamed, whole, listed = _streamed_and_whole(tmp_path, versions)
    assert streamed == whole
    assert listed == hashlib.sha256(streamed).hexdigest()


def test_versions_the_writer_abbreviates(tmp_path: Path) -> None:
    # IRIs in a namespace of the file's prefixes are written as prefixed names.
    versions = [
        "http://schema.org/name",
        "http://schema.org/",
        "http://schema.org/a.b",
        "http://purl.org/dc/terms/x%20y",
        "https://w3id.org/cablegate/cable/A/version/1",
        "https://w3id.org/cablegate/cable/A!/version/1",
        "https://w3id.org/cablegate/cable/A",
    ]
    streamed, whole, _ = _streamed_and_whole(tmp_path, versions)
    assert streamed == whole


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(_ALPHABET, max_size=6), max_size=40))
def test_streamed_provenance_any_versions(
    tmp_path_factory: pytest.TempPathFactory, names: list[str]
) -> None:
    versions = [f"https://w3id.org/cablegate/cable/{n}" for n in names]
    streamed, whole, _ = _streamed_and_whole(tmp_path_factory.mktemp("p"), versions)
    assert streamed == whole
