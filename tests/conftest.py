"""Shared fixtures: where the shared corpus and reference data live.

The real corpus lives beside the repository in ``../shared`` (CI lays a copy there). Set
``CABLERDF_SHARED`` to point elsewhere. Tests that need it fail, never skip, when it is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CABLERDF_SHARED", REPO.parent / "shared")).resolve()
CORPUS = SHARED / "corpus"
GOLD = CORPUS / "gold"
PEER_CASES = SHARED / "peer-cases"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    assert CORPUS.is_dir(), f"the shared corpus is missing at {CORPUS}; set CABLERDF_SHARED"
    return CORPUS


@pytest.fixture(scope="session")
def peer_cases_dir() -> Path:
    assert PEER_CASES.is_dir(), f"the peer cases are missing at {PEER_CASES}; set CABLERDF_SHARED"
    return PEER_CASES
