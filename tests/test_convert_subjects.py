"""What a cable's conversion counts (its own subjects, the other IRIs it describes, its
source versions) is the same read off the mapping's N-Triples lines as off its quads."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cablerdf import convert as cv
from cablerdf.cable_ids import default_index
from cablerdf.iris import Minter
from cablerdf.mapping import map_records
from cablerdf.model import SourceDocument
from cablerdf.parsing import parse_document
from cablerdf.readers import read_inputs
from cablerdf.settings import Settings


@pytest.fixture(scope="module")
def mapped_corpus(corpus_dir: Path) -> list[tuple[str, object]]:
    index = default_index()
    settings = Settings()
    out = []
    for doc in read_inputs([str(corpus_dir)]):
        if not isinstance(doc, SourceDocument):
            continue
        record = parse_document(doc, index).record
        if record is not None:
            out.append((record.reference_id, map_records([record], settings)))
    return out


def test_lines_and_quads_agree_on_the_corpus(mapped_corpus: list[tuple[str, object]]) -> None:
    minter = Minter.for_settings(Settings())
    assert len(mapped_corpus) > 300
    for reference_id, mapped in mapped_corpus:
        assert mapped.ntriples is not None  # type: ignore[attr-defined]
        from_quads = cv._subjects(reference_id, list(mapped.quads), minter)  # type: ignore[attr-defined]
        from_lines = cv._subjects_of_lines(reference_id, mapped.ntriples, minter)  # type: ignore[attr-defined]
        assert from_lines == from_quads, reference_id


_SEGMENT = st.text("AZaz09!_-.~/?#", min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["cable", "alias", "graph", "post", "x"]), _SEGMENT, _SEGMENT),
        max_size=12,
    )
)
def test_own_and_shared_matches_reading_every_iri(parts: list[tuple[str, str, str]]) -> None:
    """The short cut for IRIs below the cable's own gives what reading each one gives."""
    minter = Minter.for_settings(Settings())
    reference_id = "06ASTANA395"
    cable = minter.cable(reference_id).value
    subjects = {cable, cable + "/p/1", cable + "/x?y", cable + "/x#y", cable + "x"}
    subjects |= {f"{minter.base}{kind}/{a}/{b}" for kind, a, b in parts}
    subjects |= {f"{cable}/{a}" for _, a, _ in parts}
    own, shared = 0, set()
    for subject in subjects:
        parsed = minter.parse(subject)
        if parsed is None:
            continue
        if parsed.kind == "alias" or (
            parsed.kind in ("cable", "graph") and parsed.key == reference_id
        ):
            own += 1
        else:
            shared.add(subject)
    assert cv._own_and_shared(reference_id, subjects, minter) == (own, tuple(sorted(shared)))
