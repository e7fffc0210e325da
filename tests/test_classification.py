"""Classifications: printed metadata values, body banners and captions, portion markings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, GOLD
from hypothesis import given
from hypothesis import strategies as st
from test_header import HTML_PAGES, csv_row, json_lines, read_page, read_text

from cablerdf.model import Classification, Level
from cablerdf.parsing.classification import (
    classification_from_banner,
    looks_like_banner,
    marking_caveats,
    marking_level,
    split_classification,
)

FOUO = "FOR OFFICIAL USE ONLY"

# --- split_classification ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("printed", "level", "caveats", "handling"),
    [
        # The six values the Cablegate metadata prints.
        ("UNCLASSIFIED", Level.UNCLASSIFIED, (), ()),
        ("UNCLASSIFIED//FOR OFFICIAL USE ONLY", Level.UNCLASSIFIED, (FOUO,), ()),
        ("CONFIDENTIAL", Level.CONFIDENTIAL, (), ()),
        ("CONFIDENTIAL//NOFORN", Level.CONFIDENTIAL, ("NOFORN",), ()),
        ("SECRET", Level.SECRET, (), ()),
        ("SECRET//NOFORN", Level.SECRET, ("NOFORN",), ()),
        # Other printed forms.
        ("TOP SECRET//NOFORN", Level.TOP_SECRET, ("NOFORN",), ()),
        ("SECRET//EXDIS", Level.SECRET, (), ("EXDIS",)),
        ("SECRET//NOFORN//SIPDIS", Level.SECRET, ("NOFORN",), ("SIPDIS",)),
        ("CONFIDENTIAL//NODIS", Level.CONFIDENTIAL, (), ("NODIS",)),
        ("LIMITED OFFICIAL USE", Level.UNCLASSIFIED, ("LIMITED OFFICIAL USE",), ()),
        ("C O N F I D E N T I A L", Level.CONFIDENTIAL, (), ()),
        ("secret//noforn", Level.SECRET, ("NOFORN",), ()),  # the link titles' case
        ("NOFORN", None, ("NOFORN",), ()),  # NOFORN is never a level
        ("", None, (), ()),
    ],
)
def test_split_classification(
    printed: str, level: Level | None, caveats: tuple[str, ...], handling: tuple[str, ...]
) -> None:
    assert split_classification(printed) == Classification(printed, level, caveats, handling)


def test_printed_is_kept_with_white_space_folded() -> None:
    split = split_classification("  SECRET //\n NOFORN ")
    assert split.printed == "SECRET // NOFORN"
    assert (split.level, split.caveats) == (Level.SECRET, ("NOFORN",))


@pytest.mark.parametrize("path", HTML_PAGES, ids=lambda p: p.name)
def test_every_metadata_classification_has_a_level(path: Path) -> None:
    printed = read_page(path).meta["Classification"]
    split = split_classification(printed)
    assert split.printed == printed
    assert split.level is not None
    assert "NOFORN" not in split.level.value
    assert set(split.caveats) <= {"NOFORN", FOUO}


# --- classification_from_banner --------------------------------------------------------------

# Pages whose banner disagrees with their own metadata; the banner rule cannot know better.
BANNER_DISAGREES = {
    # The metadata says NOFORN; the banner and captions do not (SIPDIS, SENSITIVE only).
    "06SEOUL2238": ("CONFIDENTIAL//NOFORN", "CONFIDENTIAL"),
    # The banner reads C O N F I D E N T I A L; the metadata SECRET (both captures).
    "08RABAT727": ("SECRET", "CONFIDENTIAL"),
    # The page named for a Mexico cable holds an Islamabad cable (corpus README, case 8).
    "10MEXICO614": ("UNCLASSIFIED//FOR OFFICIAL USE ONLY", "SECRET"),
}


def _banner_cases() -> list[tuple[str, str, str]]:
    """(name, metadata classification, body) for every page, the JSON lines and the CSV."""
    cases = [(p.name, read_page(p).meta["Classification"], read_page(p).body) for p in HTML_PAGES]
    for number, line in enumerate(json_lines(), start=1):
        cases.append((f"jsonl-{number}-{line['_id']}", line["classification"], line["body"]))
    row = csv_row()
    cases.append((f"csv-{row[2]}", row[4], row[7]))
    return cases


BANNER_CASES = _banner_cases()


@pytest.mark.parametrize(
    ("name", "metadata", "body"), BANNER_CASES, ids=[c[0] for c in BANNER_CASES]
)
def test_banner_agrees_with_metadata(name: str, metadata: str, body: str) -> None:
    found = classification_from_banner(body)
    assert found is not None
    expected_metadata, expected_banner = BANNER_DISAGREES.get(
        name.split("__")[0], (metadata, metadata)
    )
    assert metadata == expected_metadata
    assert found.printed == expected_banner
    # The banner's reading is the split of its own printed form, plus handling marks.
    split = split_classification(found.printed)
    assert (found.level, found.caveats) == (split.level, split.caveats)


def test_banner_agreement_rate() -> None:
    agree = sum(
        1
        for _, metadata, body in BANNER_CASES
        if (c := classification_from_banner(body)) and c.printed == metadata
    )
    assert len(BANNER_CASES) == 297
    assert agree == 297 - 4  # the four pages of the three cables of BANNER_DISAGREES


GOLD_TEXT_FILES = [
    "text__06NEWDELHI5237__paul-mathieu_cablegate-cia-analysis.txt.json",
    "text__07KINGSTON482__paul-mathieu_cablegate-cia-analysis.txt.json",
    "text__09KABUL3326__tathagata_reveal.txt.json",
    "text__09REYKJAVIK214__tathagata_reveal.txt.json",
    "text__09TRIPOLI212__tathagata_reveal.txt.json",
]


@pytest.mark.parametrize("gold_name", GOLD_TEXT_FILES)
def test_gold_classification_of_text_files(gold_name: str) -> None:
    gold: dict[str, Any] = json.loads((GOLD / gold_name).read_text(encoding="utf-8"))
    found = classification_from_banner(read_text(CORPUS / gold["file"]))
    assert found is not None
    assert found.printed == gold["classification"]


@pytest.mark.parametrize(
    ("body", "printed", "handling"),
    [
        (
            "UNCLAS REYKJAVIK 000214 \n \nSENSITIVE \n \nSIPDIS \n \nE.O. 12958: N/A",
            f"UNCLASSIFIED//{FOUO}",
            ("SIPDIS",),
        ),
        (
            "S E C R E T SECTION 01 OF 03 TRIPOLI 000212 \n \nNOFORN \nSIPDIS \n",
            "SECRET//NOFORN",
            ("SIPDIS",),
        ),
        (
            "C O N F I D E N T I A L SECTION 01 OF 04 BRASILIA 001859 \n\nSIPDIS \n\nSENSITIVE \n",
            "CONFIDENTIAL",
            ("SIPDIS",),
        ),
        ("SECRET STATE 123456\n\nNODIS\n\nE.O. 12958: DECL: 01/01/2019", "SECRET", ("NODIS",)),
        ("CONFIDENTIAL SECTION 01 OF 02 PARIS 000123\n\nEXDIS\n", "CONFIDENTIAL", ("EXDIS",)),
        ("UNCLAS E F T O ROME 000456\n\nTAGS: PREL", "UNCLASSIFIED", ("EFTO",)),
        ("LIMITED OFFICIAL USE TEHRAN 01234\n\nLIMDIS\n", "LIMITED OFFICIAL USE", ("LIMDIS",)),
        # Glued (JSON lines lost their newlines) and prefixed with page debris.
        (
            "Cable dated:2005-07-15T15:24:00S E C R E T SECTION 01 OF 03 TEL AVIV 004403SIPDISE.O.",
            "SECRET",
            ("SIPDIS",),
        ),
        (
            "Friday, 23 May 2008, 13:58\nS E C R E T LONDON 001452 \nSIPDIS \nEO 12958 DECL: 05/22/2018",
            "SECRET",
            ("SIPDIS",),
        ),
        ("SS E C R E T SECTION 01 OF 03 ISLAMABAD 000428 \n\nSIPDIS \n", "SECRET", ("SIPDIS",)),
        # Captions after the subject line are not captions.
        ("UNCLAS KAMPALA 000111\n\nSUBJECT: NOFORN AND SENSITIVE MATTERS\n", "UNCLASSIFIED", ()),
    ],
)
def test_banner_examples(body: str, printed: str, handling: tuple[str, ...]) -> None:
    found = classification_from_banner(body)
    assert found is not None
    assert (found.printed, found.handling) == (printed, handling)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Tuesday, 02 November 2004, 08:39\nThe minister said so.",
        "CLASSIFICATION: CONFIDENTIAL\nMISC: 10BERLIN128",  # a metadata line, no banner
        "Embassy Bern\tCONFIDENTIAL\t\tVZCZCXRO0211",  # a database row
    ],
)
def test_no_banner(text: str) -> None:
    assert classification_from_banner(text) is None


def test_a_lone_level_line_is_a_banner_when_nothing_better_exists() -> None:
    found = classification_from_banner("230142\n2009-10-18\nCONFIDENTIAL\n09KABUL3095\n")
    assert found is not None and found.printed == "CONFIDENTIAL"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("C O N F I D E N T I A L SECTION 01 OF 04 GENEVA 002030 \\", True),
        ("UNCLAS KINGSTON 000482", True),
        ("SS E C R E T SECTION 01 OF 03 ISLAMABAD 000428", True),
        ("SECRET", True),
        ("RUEHC/SECSTATE WASHDC PRIORITY 1676", False),
        ("SECRETARY RICE WILL VISIT 2 CAPITALS", False),
        ("", False),
    ],
)
def test_looks_like_banner(line: str, expected: bool) -> None:
    assert looks_like_banner(line) is expected


# --- portion markings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("marking", "level", "caveats"),
    [
        ("U", Level.UNCLASSIFIED, ()),
        ("SBU", Level.UNCLASSIFIED, ("SBU",)),
        ("SBU)", Level.UNCLASSIFIED, ("SBU",)),  # a missing parenthesis
        ("C", Level.CONFIDENTIAL, ()),
        ("S", Level.SECRET, ()),
        ("TS", Level.TOP_SECRET, ()),
        ("S/NF", Level.SECRET, ("NOFORN",)),
        ("S//NF", Level.SECRET, ("NOFORN",)),
        ("C/NF", Level.CONFIDENTIAL, ("NOFORN",)),
        ("C//NF", Level.CONFIDENTIAL, ("NOFORN",)),
        ("(S//NF)", Level.SECRET, ("NOFORN",)),
        ("S/REL NATO", Level.SECRET, ("REL NATO",)),
        ("S/REL TO USA, NATO", Level.SECRET, ("REL TO USA, NATO",)),
        ("SBU/NF", Level.UNCLASSIFIED, ("SBU", "NOFORN")),
        ("SBU-NF", Level.UNCLASSIFIED, ("SBU", "NOFORN")),
        ("U/FOUO", Level.UNCLASSIFIED, (FOUO,)),
        ("C/NF/ORCON", Level.CONFIDENTIAL, ("NOFORN", "ORCON")),
        ("NF", None, ("NOFORN",)),
        ("A", None, ()),
        ("", None, ()),
    ],
)
def test_portion_markings(marking: str, level: Level | None, caveats: tuple[str, ...]) -> None:
    assert marking_level(marking) == level
    assert marking_caveats(marking) == caveats


def test_gold_paragraph_markings_all_read() -> None:
    markings = {
        paragraph["marking"]
        for path in GOLD.glob("*.json")
        for paragraph in json.loads(path.read_text(encoding="utf-8"))["paragraphs"]
        if paragraph["marking"]
    }
    assert markings == {"C", "U", "SBU", "S/REL NATO", "C/NF", "S//NF", "S/NF", "S"}
    for marking in markings:
        assert marking_level(marking) is not None
        assert ("NOFORN" in marking_caveats(marking)) == ("NF" in marking)


# --- never raises ---------------------------------------------------------------------------

CLASSIFIED = st.text(alphabet="UNCLASIFEDOTRPBSNFGH /()-\n\t.0123456789", max_size=300)


@given(st.one_of(st.text(max_size=300), CLASSIFIED))
def test_never_raises(text: str) -> None:
    split = split_classification(text)
    assert split.printed == " ".join(text.split())
    assert split.level is None or isinstance(split.level, Level)
    found = classification_from_banner(text)
    if found is not None:
        assert found.level is not None
        again = split_classification(found.printed)
        assert (again.level, again.caveats) == (found.level, found.caveats)
    assert marking_level(text) is None or isinstance(marking_level(text), Level)
    assert isinstance(marking_caveats(text), tuple)
    assert isinstance(looks_like_banner(text), bool)
