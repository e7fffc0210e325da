"""The IRI policy (docs/uris.md): stable, unique, IRI-safe, depending only on what they name."""

from __future__ import annotations

import gzip
import json
import re
from importlib import resources
from urllib.parse import unquote

import pytest
from conftest import GOLD, PEER_CASES
from hypothesis import given
from hypothesis import strategies as st

from cablerdf import iris
from cablerdf.iris import Minter
from cablerdf.settings import DEFAULT_BASE, Settings

MINTER = Minter.for_settings(Settings())

# What a minted IRI may hold: ASCII letters, digits, unreserved marks, the sub-delims we use
# as separators, '/', ':' and '#' of the structure, and percent escapes.
IRI_SAFE = re.compile(r"https?://(?:[A-Za-z0-9\-._~!,/:#]|%[0-9A-F]{2})+")
SEGMENT = re.compile(r"(?:[A-Za-z0-9\-._~!]|%[0-9A-F]{2})+")

texts = st.text(max_size=40)
ids = st.text(min_size=1, max_size=30)


def _all_reference_ids() -> list[str]:
    raw = resources.files("cablerdf").joinpath("data", "reference-ids.csv.gz").read_bytes()
    return [line.split(",")[0] for line in gzip.decompress(raw).decode().splitlines() if line]


# ---- segments ----------------------------------------------------------------------------


@given(texts)
def test_segment_is_a_safe_nonempty_segment(text: str) -> None:
    seg = iris.segment(text)
    assert SEGMENT.fullmatch(seg)
    assert seg not in ("", ".", "..")
    assert "/" not in seg and "," not in seg


@given(texts, texts)
def test_segment_is_injective(a: str, b: str) -> None:
    assert (iris.segment(a) == iris.segment(b)) == (a == b)


@given(texts)
def test_segment_decodes_back(text: str) -> None:
    seg = iris.segment(text)
    body = seg.removeprefix("!")
    assert unquote(body, errors="surrogatepass") == text


@pytest.mark.parametrize(
    ("text", "segment"),
    [
        ("06ASTANA395", "06ASTANA395"),
        ("", "!"),
        (".", "!."),
        ("..", "!.."),
        ("a b/c,d!", "a%20b%2Fc%2Cd%21"),
        ("Ä", "%C3%84"),
    ],
)
def test_segment_examples(text: str, segment: str) -> None:
    assert iris.segment(text) == segment


def test_name_segment_folds_white_space_to_underscores() -> None:
    assert iris.name_segment("Embassy  Port Au\tPrince ") == "Embassy_Port_Au_Prince"
    assert iris.name_segment("American Institute Taiwan, Taipei") == (
        "American_Institute_Taiwan%2C_Taipei"
    )


# ---- cables, aliases, references ---------------------------------------------------------


@given(ids)
def test_cable_iri_depends_only_on_the_id(reference_id: str) -> None:
    a = MINTER.cable(reference_id)
    b = Minter(DEFAULT_BASE).cable(reference_id)
    assert a == b
    assert IRI_SAFE.fullmatch(a.value)
    assert MINTER.parse(a.value) == iris.ParsedIri("cable", reference_id, ())


@given(ids, ids)
def test_cable_iris_are_unique(a: str, b: str) -> None:
    assert (MINTER.cable(a) == MINTER.cable(b)) == (a == b)


@given(ids, ids)
def test_an_alias_never_collides_with_a_cable(a: str, b: str) -> None:
    assert MINTER.alias(a) != MINTER.cable(b)


def test_every_published_id_has_its_own_cable_iri() -> None:
    reference_ids = _all_reference_ids()
    assert len(reference_ids) == 251_287
    minted = {MINTER.cable(r).value for r in reference_ids}
    assert len(minted) == len(set(reference_ids))
    assert all(IRI_SAFE.fullmatch(value) for value in minted)
    # the malformed IDs of the published set are IRI-safe too
    assert MINTER.cable("08ECTION01OF02MANAMA492").value == DEFAULT_BASE + (
        "cable/08ECTION01OF02MANAMA492"
    )


def _gold_reference_ids() -> list[str]:
    found: set[str] = set()
    for path in sorted(GOLD.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        found.add(record["reference_id"])
        found.update(record["references"])
    return sorted(found)


@pytest.mark.parametrize("reference_id", _gold_reference_ids())
def test_gold_ids_and_their_refs_mint_plain_iris(reference_id: str) -> None:
    # canonical IDs are letters and digits: their IRIs carry them unchanged
    assert MINTER.cable(reference_id).value == f"{DEFAULT_BASE}cable/{reference_id}"


def _peer_canonical_ids() -> list[str]:
    data = json.loads((PEER_CASES / "canonical_ids.json").read_text(encoding="utf-8"))
    return sorted({str(case["expected"]) for case in data["cases"]})


def test_peer_canonical_ids_give_distinct_parseable_iris() -> None:
    expected = _peer_canonical_ids()
    assert len(expected) > 20
    iris_ = [MINTER.cable(x) for x in expected]
    assert len({i.value for i in iris_}) == len(expected)
    for reference_id, iri in zip(expected, iris_, strict=True):
        parsed = MINTER.parse(iri.value)
        assert parsed is not None and parsed.key == reference_id


# ---- paragraphs --------------------------------------------------------------------------


def test_paragraph_keys_rule() -> None:
    numbers = [None, "1", "2", "12", "12", None, "12", "1.A", ""]
    assert iris.paragraph_keys(numbers) == (
        "u/1",
        "p/1",
        "p/2",
        "p/12",
        "p/12,2",
        "u/2",
        "p/12,3",
        "p/1.A",
        "p/!",
    )


@given(st.lists(st.one_of(st.none(), st.text(max_size=4)), max_size=30))
def test_paragraph_keys_are_unique_and_deterministic(numbers: list[str | None]) -> None:
    keys = iris.paragraph_keys(numbers)
    assert len(keys) == len(numbers)
    assert len(set(keys)) == len(keys)
    assert keys == iris.paragraph_keys(list(numbers))
    for key in keys:
        assert re.fullmatch(
            r"u/[1-9][0-9]*|p/(?:[A-Za-z0-9\-._~!]|%[0-9A-F]{2})+(?:,[1-9][0-9]*)?", key
        )


@given(st.lists(st.one_of(st.none(), st.text(max_size=4)), max_size=20))
def test_paragraph_keys_depend_on_the_numbers_only(numbers: list[str | None]) -> None:
    # two sources printing the same numbers (a 2010 and a 2011 page) get the same IRIs
    a = [MINTER.paragraph("06ASTANA395", k) for k in iris.paragraph_keys(numbers)]
    b = [MINTER.paragraph("06ASTANA395", k) for k in iris.paragraph_keys(tuple(numbers))]
    assert a == b


def test_paragraph_iri_form() -> None:
    p = MINTER.paragraph("06ASTANA395", "p/8")
    assert p.value == DEFAULT_BASE + "cable/06ASTANA395/p/8"
    assert MINTER.span(p).value == p.value + "/span"
    assert MINTER.removed_span(p, 2).value == p.value + "/span/removed/2"
    parsed = MINTER.parse(p.value)
    assert parsed == iris.ParsedIri("cable", "06ASTANA395", ("p", "8"))


# ---- other nodes -------------------------------------------------------------------------


def test_node_iris_hang_off_the_cable() -> None:
    rid = "06ASTANA395"
    cable = MINTER.cable(rid).value
    assert MINTER.reference(rid, 1).value == cable + "/ref/1"
    assert MINTER.recipient(rid, 3).value == cable + "/recipient/3"
    assert MINTER.header(rid).value == cable + "/header"
    assert MINTER.version(rid, "0123456789abcdef").value == cable + "/version/0123456789abcdef"
    assert MINTER.source_copy(rid, "0123456789abcdef", 1).value.startswith(cable + "/version/")
    assert MINTER.graph(rid).value == DEFAULT_BASE + "graph/06ASTANA395"
    assert MINTER.conversion(rid).value == DEFAULT_BASE + "graph/06ASTANA395/conversion"
    assert MINTER.dataset().value == DEFAULT_BASE + "dataset"


def test_version_key_uses_the_source_hash() -> None:
    sha = "ABCDEF0123456789" + "0" * 48
    assert iris.version_key(sha, "whatever") == "abcdef0123456789"
    assert iris.version_key(None, "content") == iris.short_hash("content")
    assert iris.version_key("not a hash", "content") == iris.short_hash("content")


@given(texts)
def test_names_round_trip_through_post_and_station_iris(name: str) -> None:
    post = MINTER.post(name)
    assert IRI_SAFE.fullmatch(post.value)
    parsed = MINTER.parse(post.value)
    assert parsed is not None and parsed.kind == "post"
    assert parsed.key == " ".join(name.split()).replace("_", " ")
    assert MINTER.station(name) == MINTER.station(name.lower())


def test_post_and_station_examples() -> None:
    assert MINTER.post("Embassy Astana").value == DEFAULT_BASE + "post/Embassy_Astana"
    assert MINTER.station("SECSTATE  WASHDC").value == DEFAULT_BASE + "station/SECSTATE_WASHDC"
    assert MINTER.country("kz").value == DEFAULT_BASE + "country/KZ"


@given(texts, texts)
def test_articles_are_keyed_by_url(a: str, b: str) -> None:
    assert (MINTER.article(a) == MINTER.article(b)) == (a == b)


def test_parse_rejects_foreign_iris() -> None:
    assert MINTER.parse("http://example.org/cable/X") is None
    assert MINTER.parse(DEFAULT_BASE + "nothing/X") is None
    assert MINTER.parse(DEFAULT_BASE + "cable/") is None
    assert MINTER.parse(DEFAULT_BASE + "cable/X?y=1") is None
    assert MINTER.parse(DEFAULT_BASE + "dataset") == iris.ParsedIri("dataset", "", ())


# ---- vocabulary IRIs ---------------------------------------------------------------------


def test_vocabulary_iris_are_fixed_whatever_the_base() -> None:
    assert iris.ontology().value == "https://w3id.org/cablegate/ontology"
    assert iris.ontology_version("0.1.0").value == "https://w3id.org/cablegate/ontology/0.1.0"
    assert iris.term("Cable").value == "https://w3id.org/cablegate/ontology#Cable"
    assert iris.scheme("level").value == "https://w3id.org/cablegate/scheme/level"
    assert iris.concept("level", "TS").value == "https://w3id.org/cablegate/scheme/level/TS"


@pytest.mark.parametrize(
    ("marking", "key"),
    [
        ("S/NF", "S-NF"),
        ("S//NF", "S-NF"),
        (" s / nf ", "S-NF"),
        ("C//NF", "C-NF"),
        ("SBU", "SBU"),
        ("SBU-NF", "SBU-NF"),
        ("S/REL NATO", "S-REL_NATO"),
        ("", "!"),
    ],
)
def test_marking_concepts_normalise_separators(marking: str, key: str) -> None:
    node = iris.marking_concept(marking)
    assert node.value == "https://w3id.org/cablegate/scheme/portion-marking/" + key


@given(st.text(max_size=12))
def test_marking_concepts_are_iri_safe(marking: str) -> None:
    assert IRI_SAFE.fullmatch(iris.marking_concept(marking).value)


@given(texts)
def test_code_concepts_fold_case_and_space(code: str) -> None:
    node = iris.code_concept("tag", code)
    assert IRI_SAFE.fullmatch(node.value)
    assert node == iris.code_concept("tag", "  " + code.lower() + " ")


def test_wikidata_iris_only_for_item_ids() -> None:
    node = iris.wikidata("Q232")
    assert node is not None and node.value == "http://www.wikidata.org/entity/Q232"
    assert iris.wikidata("Q0") is None
    assert iris.wikidata("P31") is None
    assert iris.wikidata("Q1 ") is None


# ---- settings ----------------------------------------------------------------------------


def test_the_base_is_configurable() -> None:
    minter = Minter.for_settings(Settings(base="http://localhost:8000/data/"))
    assert minter.cable("06ASTANA395").value == "http://localhost:8000/data/cable/06ASTANA395"
    assert MINTER.parse(minter.cable("06ASTANA395").value) is None


@pytest.mark.parametrize(
    "base",
    [
        "https://w3id.org/cablegate",  # no trailing slash
        "w3id.org/cablegate/",  # not absolute
        "ftp://example.org/",
        "https://example.org/a b/",
        "https://example.org/?q=1/",
        "https://example.org/#x/",
        "https://example.org//",
        "https://exämple.org/",
    ],
)
def test_unusable_bases_are_refused(base: str) -> None:
    with pytest.raises(ValueError, match="base IRI"):
        Settings(base=base)


def test_settings_from_environment() -> None:
    assert Settings.from_env({}).base == DEFAULT_BASE
    assert Settings.from_env({"CABLERDF_BASE": "  "}).base == DEFAULT_BASE
    assert Settings.from_env({"CABLERDF_BASE": "https://example.org/c/"}).base == (
        "https://example.org/c/"
    )
