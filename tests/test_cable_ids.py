"""The reference index and the one canonicaliser of cable IDs and REF targets."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from conftest import PEER_CASES
from hypothesis import given, settings
from hypothesis import strategies as st

from cablerdf.cable_ids import (
    CABLE_ID_PATTERN,
    ReferenceIndex,
    cable_id,
    canonical_id,
    canonical_station,
    default_index,
    is_cable_id,
    repair_id,
)
from cablerdf.model import Severity


@pytest.fixture(scope="module")
def index() -> ReferenceIndex:
    return default_index()


def _cases(name: str) -> list[dict[str, object]]:
    path = PEER_CASES / name
    assert path.is_file(), f"missing peer cases {path}"
    cases: list[dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))["cases"]
    return cases


# -- the index ----------------------------------------------------------------------------


def test_index_holds_every_published_id(index: ReferenceIndex) -> None:
    assert len(index) == 251_287
    assert "06ASTANA395" in index
    assert "08ECTION01OF02MANAMA492" in index  # malformed IDs are listed as printed
    assert "06ASTANA396000" not in index
    assert index.month("72TEHRAN1164") == 2
    assert index.month("06ASTANA396000") is None


def test_default_index_is_loaded_once() -> None:
    assert default_index() is default_index()


# -- the malformed IDs the issue and the corpus README name ------------------------------

MALFORMED = [
    ("7575LIBREVILLE1895", "75LIBREVILLE1895"),
    ("08ECTION01OF02MANAMA492", "08MANAMA492"),
    ("08SCTION02OF02SAOPAULO335", "08SAOPAULO335"),
    # The issue suggested 08BISHKEK21. The index says otherwise: 08SECTION01GF02BISHIEK21 was
    # created in October 2008, 08BISHKEK21 is not published, and 08BISHKEK1021 is, created
    # that month; the station's serials reached 1000 in October. The garble ate "0010" of
    # "001021"; the lost-digits rule (same station, year and month, same ending) finds it.
    ("08SECTION01GF02BISHIEK21", "08BISHKEK1021"),
    ("09SECTION01OF03SANJOSE525", "09SANJOSE525"),
    ("09SECTION02OF03QRIPOLI583", "09TRIPOLI583"),
    ("10AQNA272", "10ASTANA272"),
    ("09EFTOLONDON2468", "09LONDON2468"),
    ("85NOFORNMOGADISHU1643", "85MOGADISHU1643"),
    ("09AMEMBASSYHANOI1284", "09HANOI1284"),
    ("09SIFIEDABUJA1673", "09ABUJA1673"),
    ("06MADRID002583ZFR2585", "06MADRID2583"),
    ("90STATE255195TOSEC140301", "90STATE255195"),
    ("07QXICO3307", "07MEXICO3307"),
    ("06DAMASCCUS4435", "06DAMASCUS4435"),
]


@pytest.mark.parametrize(("raw", "expected"), MALFORMED)
def test_malformed_ids_are_repaired(raw: str, expected: str, index: ReferenceIndex) -> None:
    repaired, diagnostic = repair_id(raw, index)
    assert repaired == expected
    assert diagnostic is not None
    assert diagnostic.code == "id.repaired"
    assert diagnostic.severity is Severity.INFO
    assert diagnostic.reference_id == expected
    assert diagnostic.hint  # names the rule applied


@pytest.mark.parametrize("raw", ["06ASTANA395", "06TAIPEI2654", "09BRUSSELS1292", "88BONN31258"])
def test_a_published_well_formed_id_is_kept(raw: str, index: ReferenceIndex) -> None:
    assert repair_id(raw, index) == (raw, None)


@pytest.mark.parametrize("raw", ["06ASTANA", "092OF5", "", "ASTANA395", "06ASTANA0"])
def test_an_id_without_year_station_and_number_is_a_warning(
    raw: str, index: ReferenceIndex
) -> None:
    kept, diagnostic = repair_id(raw, index)
    assert kept == re.sub(r"[^0-9A-Z]", "", raw.upper())
    assert diagnostic is not None
    assert diagnostic.code == "id.unreadable"
    assert diagnostic.severity is Severity.WARNING


def test_scan_of_the_whole_index(index: ReferenceIndex) -> None:
    """Every published ID: what the canonicaliser changes, and that it changes nothing else."""
    well_formed = re.compile(r"^([0-9]{2})([A-Z]+)([1-9][0-9]*)$")
    rules: Counter[str] = Counter()
    unreadable = []
    for raw in sorted(index._months):  # the test reads the table it scans
        canonical, diagnostic = repair_id(raw, index)
        assert canonical_id(canonical, index) == canonical, raw  # idempotent
        if diagnostic is not None and diagnostic.code == "id.unreadable":
            unreadable.append(raw)
            continue
        assert is_cable_id(canonical), (raw, canonical)
        m = well_formed.match(raw)
        junk = ("EFTO", "AMEMBASSY")
        if m and index.station_count(m.group(2)) >= 3 and not m.group(2).startswith(junk):
            assert canonical == raw, (raw, canonical)  # a good ID is never touched
        if canonical != raw:
            assert diagnostic is not None, raw
            hint = diagnostic.hint or ""
            for rule in (
                "doubled year",
                "section marker",
                "glued",
                "EFTO",
                "NOFORN",
                "SIFIED",
                "AMEMBASSY",
                "station",
                "number",
            ):
                if rule in hint:
                    rules[rule] += 1
    # the patterns of malformed IDs in the published index
    assert unreadable == ["06ASTANA", "092OF5"]
    assert rules == {
        "doubled year": 1,
        "section marker": 41,
        "glued": 9,
        "EFTO": 87,
        "NOFORN": 1,
        "SIFIED": 1,
        "AMEMBASSY": 11,
        "station": 54,
        "number": 1,
    }


# -- one canonicaliser for cables and REFs -----------------------------------------------


@pytest.mark.parametrize(
    ("year", "station", "number", "expected"),
    [
        (2006, "TAIPEI", "2654", "06TAIPEI2654"),  # published as 06TAIPEI2654
        (2006, "AIT TAIPEI", "2654", "06TAIPEI2654"),  # the same cable, the other spelling
        (2010, "TAIPEI", "9", "10AITTAIPEI9"),  # published as 10AITTAIPEI9
        (2007, "LA PAZ", "03178", "07LAPAZ3178"),
        (2008, "SECSTATE", "74879", "08STATE74879"),
        (2009, "RPO DUBAI", "384", "09RPODUBAI384"),
        (2008, "USNATO", "453", "08USNATO453"),
        (2009, "USEU BRUSSELS", "1234", "09USEUBRUSSELS1234"),
        (2009, "BRUSSELS", "1234", "09BRUSSELS1234"),  # the embassy: another post
        (2007, "PORT-OF-SPAIN", "220", "07PORTOFSPAIN220"),
        (2009, "USUN NE YORK", "609", "09USUNNEWYORK609"),
        (2008, "RIO DE JAN", "138", "08RIODEJANEIRO138"),
        (2004, "VAT", "3810", "04VATICAN3810"),
        (2066, "NOWHERE", "12", "66NOWHERE12"),  # an unknown post still gets an ID
    ],
)
def test_cable_id_from_ref_parts(
    year: int, station: str, number: str, expected: str, index: ReferenceIndex
) -> None:
    assert cable_id(year, station, number, index) == expected
    assert canonical_id(expected, index) == expected  # the cable's own ID agrees


def test_variant_spellings_follow_the_index() -> None:
    """The index decides between spellings of one post, whichever way it points."""
    a = ReferenceIndex({"06AITTAIPEI2654": 8, "06TAIPEI1": 1, "06TAIPEI2": 1, "06TAIPEI3": 1})
    assert cable_id(2006, "TAIPEI", "2654", a) == "06AITTAIPEI2654"
    b = ReferenceIndex({"06TAIPEI2654": 8, "06AITTAIPEI1": 1})
    assert cable_id(2006, "AIT TAIPEI", "2654", b) == "06TAIPEI2654"
    # not published: the spelling used most that year
    assert cable_id(2006, "AIT TAIPEI", "77", a) == "06TAIPEI77"
    # no cable of the post that year: the printed spelling
    assert cable_id(2001, "AIT TAIPEI", "77", a) == "01AITTAIPEI77"


@pytest.mark.parametrize(
    ("year", "station", "number"),
    [(2009, "", "12"), (2009, "ROME", ""), (2009, "ROME", "0"), (2009, "ROME", "123456789")],
)
def test_cable_id_needs_a_station_and_a_number(
    year: int, station: str, number: str, index: ReferenceIndex
) -> None:
    assert cable_id(year, station, number, index) is None


def test_canonical_station(index: ReferenceIndex) -> None:
    assert canonical_station("SAO PAULO", index) == "SAOPAULO"
    assert canonical_station("EMBASSY VIENNA", index) == "VIENNA"
    assert canonical_station("BRASILA", index) == "BRASILIA"
    assert canonical_station("BRASILA", index, guess=False) is None
    assert canonical_station("PARA", index) is None
    assert canonical_station("JULY", index) is None
    assert canonical_station("OSC EUP", index) is None


def test_cable_id_pattern() -> None:
    assert CABLE_ID_PATTERN.startswith("^") and CABLE_ID_PATTERN.endswith("$")
    assert is_cable_id("06ASTANA395")
    assert not is_cable_id("06ASTANA0395")
    assert not is_cable_id("06ASTANA")
    assert not is_cable_id("6ASTANA395")
    assert not is_cable_id("06astana395")


# -- the peer's tables -------------------------------------------------------------------

# Where our rules differ from cablemap's expectation, on purpose:
CANONICAL_DIFFERENCES = {
    # cablemap maps every PARISFR and TAIPEI to the UNESCO/AIT spelling; we keep the printed
    # spelling when no cable of the post is published that year (2002, 2005), and follow the
    # index otherwise: 2008-2009 UNESCO cables are published as PARISFR, 2005 Taipei as TAIPEI.
    "05PARISFR1": "05PARISFR1",
    "02TAIPEI12": "02TAIPEI12",
}
CORRECTION_DIFFERENCES = {
    # 06TAIPEI2654 is published (August 2006, like the malformed ID); 06AITTAIPEI2654 is not.
    "06AITTAIPIE2654": "06TAIPEI2654",
    # no number at all: no rule can know the serial (cablemap lists it by hand)
    "06ASTANA": "06ASTANA",
    "092OF5": "092OF5",
    # neither 1382 nor 1392 is published; like the ZFR/ZDK tails, the zero-padded serial
    # printed first is the cable's own, the glued number the one it duplicates
    "08ACCRA001382SUSPECTEDDUPLICATE1392": "08ACCRA1382",
    # FSC CHARLESTON is a post of its own (the routing table's "USOFFICE FSC CHARLESTON")
    "08FSCCHARLESTON1712": "08FSCCHARLESTON1712",
    # 09RPODUBAI288 is published: the Iran regional presence office, not the consulate
    "0901OF02RPODUBAI288": "09RPODUBAI288",
    # 09BRUSSELS1292 is published, created the same month; 09USEUBRUSSELS1292 is not
    "09BRUSELS1292": "09BRUSSELS1292",
}


@pytest.mark.parametrize("case", _cases("canonical_ids.json"), ids=lambda c: str(c["case_id"]))
def test_peer_canonical_ids(case: dict[str, object], index: ReferenceIndex) -> None:
    raw = str(case["input"])
    expected = CANONICAL_DIFFERENCES.get(raw, case["expected"])
    assert canonical_id(raw, index) == expected


@pytest.mark.parametrize("case", _cases("id_corrections.json"), ids=lambda c: str(c["case_id"]))
def test_peer_id_corrections(case: dict[str, object], index: ReferenceIndex) -> None:
    raw = str(case["input"])
    expected = CORRECTION_DIFFERENCES.get(raw, case["expected_canonical"])
    assert canonical_id(raw, index) == expected


def test_peer_id_scores(index: ReferenceIndex) -> None:
    for name, key, differences, floor in (
        ("canonical_ids.json", "expected", CANONICAL_DIFFERENCES, 53),
        ("id_corrections.json", "expected_canonical", CORRECTION_DIFFERENCES, 196),
    ):
        cases = _cases(name)
        agree = sum(canonical_id(str(c["input"]), index) == c[key] for c in cases)
        print(
            f"\n{name}: {agree}/{len(cases)} as cablemap expects (cablemap: all); "
            f"{len(differences)} differ on purpose"
        )
        assert agree + len(differences) == len(cases)
        assert agree >= floor


# -- properties --------------------------------------------------------------------------

_ID_LIKE = st.from_regex(r"\A[0-9]{2,4}[A-Z0-9 -]{0,20}[0-9]{0,8}\Z", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), _ID_LIKE))
def test_canonical_id_is_total_and_idempotent(raw: str) -> None:
    index = default_index()
    once = canonical_id(raw, index)
    assert canonical_id(once, index) == once
    repaired, diagnostic = repair_id(raw, index)
    assert repaired == once
    assert diagnostic is None or diagnostic.code in {"id.repaired", "id.unreadable"}


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-10, max_value=3000), st.text(max_size=30), st.text(max_size=12))
def test_cable_id_is_total(year: int, station: str, number: str) -> None:
    index = default_index()
    result = cable_id(year, station, number, index)
    assert result is None or canonical_id(result, index) == result
