"""The body layout against the gold records, the peer cases, the whole corpus and properties.

Bodies are taken from the sources by a small helper of this file (the second ``<pre>`` of a
page, a text file without its leftover tags, the CSV row's last column, the JSON object's
``body`` with its line breaks put back before the keywords), so that these tests do not
depend on the readers. ``pytest -s tests/test_body.py`` prints the gold score table.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from conftest import CORPUS, GOLD, PEER_CASES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cablerdf.model import Paragraph, Span
from cablerdf.parsing.body import BodyLayout, _line_no, lay_out_body, rebuild_body
from cablerdf.parsing.paragraphs import split_lines

DATA = Path(__file__).parent / "data" / "body"
LABELS = {
    "header", "banner", "caption", "eo", "tags", "subject", "ref", "classified_by",
    "derived_from", "paragraph", "heading", "removed", "debris", "boilerplate", "signature",
    "trailer", "appended", "gap",
}  # fmt: skip
THRESHOLD = 34  # of the 35 gold records, on paragraphs and on signer


# ---------------------------------------------------------------------------------------------
# Bodies from the sources

_LEFTOVER_TAGS = re.compile(r"</?(?:code|pre|a)\b[^>]*>")
_JSON_BREAKS = re.compile(r"(?<!\n)(?=¶\d+\.|TAGS:|SUBJECT:|REF:|Classified By:)")


def body_from_source(rel: str, line: int | None = None) -> str:
    """The cable body of a corpus file (``line``: the JSON-lines object, 1-based)."""
    path = CORPUS / rel
    if rel.startswith("html"):
        pres = lxml.html.fromstring(path.read_bytes()).findall(".//pre")
        return str(pres[-1].text_content())
    if rel.startswith("csv"):
        raw = path.read_text(encoding="utf-8")
        last = raw[raw.rfind('","') + 3 :].rstrip("\n")
        assert last.endswith('"'), f"{rel}: the row does not end with a quoted field"
        return last[:-1].replace('\\"', '"').replace("\\'", "'")
    if rel.startswith("other"):
        assert line is not None, "a JSON-lines source needs a line number"
        obj = json.loads(path.read_text(encoding="utf-8").splitlines()[line - 1])
        return _JSON_BREAKS.sub("\n", str(obj["body"]))
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return _LEFTOVER_TAGS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def corpus_sources() -> list[tuple[str, int | None]]:
    out: list[tuple[str, int | None]] = []
    for path in sorted(CORPUS.glob("*/*")):
        rel = str(path.relative_to(CORPUS))
        if rel.startswith("gold/"):
            continue
        if rel.startswith("other/"):
            lines = path.read_text(encoding="utf-8").splitlines()
            out.extend((rel, n) for n in range(1, len(lines) + 1) if lines[n - 1].strip())
        else:
            out.append((rel, None))
    return out


@cache
def layout_of(rel: str, line: int | None = None) -> tuple[str, BodyLayout, tuple[str, ...]]:
    body = body_from_source(rel, line)
    layout, diags = lay_out_body(body)
    return body, layout, tuple(sorted({d.code for d in diags}))


def fold(text: str) -> str:
    return " ".join(text.split())


def or_missing(items: list[Any]) -> list[Any]:
    """A parameter list that fails (never skips) when the shared corpus is missing."""
    return items or [None]


# ---------------------------------------------------------------------------------------------
# Invariants


def _without(body: str, span: Span, removed: tuple[Span, ...]) -> str:
    parts, pos = [], span.start
    for r in removed:
        parts.append(body[pos : r.start])
        parts.append(" ")
        pos = r.end
    parts.append(body[pos : span.end])
    return "".join(parts)


def expected_text(body: str, p: Paragraph) -> str:
    """The paragraph text from its span: removed spans out, number and marking stripped."""
    text = _without(body, p.span, p.removed)
    marked_before = False
    if p.number is not None:
        number = re.compile(r"\s*(?P<pre>\([^)]*\)\s*)?(?:Â?¶)?\s*" + p.number + r"\s*[.)]?\s*")
        m = number.match(text)
        assert m, f"paragraph {p.number} does not start with its number: {text[:40]!r}"
        text = text[m.end() :]
        marked_before = m.group("pre") is not None
    if p.marking is not None and not marked_before:
        mark = r"\s*".join(re.escape(part) for part in p.marking.split())
        m = re.compile(r"\s*\(?\s*" + mark + r"\s*\)", re.IGNORECASE).match(text)
        assert m, f"paragraph {p.number} does not show its marking {p.marking}: {text[:40]!r}"
        text = text[m.end() :]
    return fold(text)


def check_layout(body: str, layout: BodyLayout) -> None:
    assert rebuild_body(layout, body) == body
    pos = 0
    for label, span in layout.segments:
        assert label in LABELS, label
        assert span.start == pos and span.end > span.start, (label, span, pos)
        pos = span.end
    assert pos == len(body)
    segment_spans = {span for label, span in layout.segments if label == "paragraph"}
    last_end = 0
    for p in layout.paragraphs:
        assert p.span in segment_spans
        assert last_end <= p.span.start < p.span.end <= len(body)
        last_end = p.span.end
        for r in p.removed:
            assert p.span.start <= r.start < r.end <= p.span.end
        assert p.text == expected_text(body, p)
        assert p.text == fold(p.text)
        assert p.marking is None or p.marking == p.marking.upper()


# ---------------------------------------------------------------------------------------------
# Gold records


def gold_records() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(GOLD.glob("*.json"))]


def actual(layout: BodyLayout) -> dict[str, Any]:
    subject = layout.subject_text
    if subject is not None:
        subject = fold(re.sub(r"^\s*\((?:U|SBU|C|S|TS)[^)]*\)", "", subject))
    return {
        "paragraphs": [
            {"number": p.number, "marking": p.marking, "starts": p.text[:30]}
            for p in layout.paragraphs
        ],
        "signer": layout.signer,
        "subject": subject,
        "tags": [t.upper() for t in re.split(r"[\s,]+", layout.tags_text or "") if t],
    }


SCORED = ("paragraphs", "signer", "subject", "tags")


def gold_id(gold: dict[str, Any] | None) -> str:
    return "missing" if gold is None else f"{gold['reference_id']}-{gold['file'].split('/')[0]}"


@pytest.mark.parametrize("gold", or_missing(gold_records()), ids=gold_id)
def test_gold_record(gold: dict[str, Any] | None) -> None:
    assert gold is not None, f"no gold records in {GOLD}"
    body, layout, _ = layout_of(gold["file"], gold.get("line"))
    check_layout(body, layout)
    got = actual(layout)
    for key in SCORED:
        if key not in gold.get("uncertain", []):
            assert got[key] == gold[key], key


def test_gold_scores() -> None:
    """At least 34 of 35 records exactly right on paragraphs and on signer."""
    golds = gold_records()
    assert len(golds) == 35
    right = dict.fromkeys(SCORED, 0)
    rows = []
    for gold in golds:
        got = actual(layout_of(gold["file"], gold.get("line"))[1])
        marks = []
        for key in SCORED:
            ok = got[key] == gold[key]
            right[key] += ok or key in gold.get("uncertain", [])
            marks.append("ok" if ok else ("unc" if key in gold.get("uncertain", []) else "FAIL"))
        rows.append(f"{gold_id(gold):28} " + " ".join(f"{m:>10}" for m in marks))
    print("\n" + f"{'record':28} " + " ".join(f"{k:>10}" for k in SCORED))
    print("\n".join(rows))
    print(f"{'total':28} " + " ".join(f"{right[k]:>7}/35" for k in SCORED))
    assert right["paragraphs"] >= THRESHOLD
    assert right["signer"] >= THRESHOLD
    assert right["subject"] == right["tags"] == 35


# ---------------------------------------------------------------------------------------------
# Peer cases (cablemap's own expectations)


def peer_cases(name: str) -> list[dict[str, Any]]:
    path = PEER_CASES / f"{name}.json"
    if not path.is_file():
        return []
    return list(json.loads(path.read_text(encoding="utf-8"))["cases"])


def case_id(case: dict[str, Any] | None) -> str:
    return "missing" if case is None else str(case["case_id"])


@pytest.mark.parametrize("case", or_missing(peer_cases("signers")), ids=case_id)
def test_peer_signer(case: dict[str, Any] | None) -> None:
    assert case is not None, f"no peer cases in {PEER_CASES}"
    layout, _ = lay_out_body(case["input"])
    assert ([layout.signer] if layout.signer else []) == case["expected"]


@pytest.mark.parametrize("case", or_missing(peer_cases("summary")), ids=case_id)
def test_peer_summary(case: dict[str, Any] | None) -> None:
    """Compared folded: our record folds white space; cablemap keeps line breaks."""
    assert case is not None, f"no peer cases in {PEER_CASES}"
    layout, _ = lay_out_body(case["input"])
    assert layout.summary == fold(case["expected"])


# ---------------------------------------------------------------------------------------------
# The whole corpus, regressions and hand-made cases


def source_id(src: tuple[str, int | None] | None) -> str:
    return "missing" if src is None else src[0] + (f":{src[1]}" if src[1] else "")


@pytest.mark.parametrize("src", or_missing(corpus_sources()), ids=source_id)
def test_corpus_body(src: tuple[str, int | None] | None) -> None:
    """Every body of the corpus: no exception, segments rebuild it, paragraph texts agree."""
    assert src is not None, f"no corpus in {CORPUS}"
    body, layout, _ = layout_of(*src)
    check_layout(body, layout)


def regressions() -> list[dict[str, Any]]:
    lines = (DATA / "corpus_regressions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(x) for x in lines if x.strip()]


@pytest.mark.parametrize(
    "case", regressions(), ids=lambda c: f"{c['file'].split('__')[0]}:{c['line'] or ''}"
)
def test_corpus_regression(case: dict[str, Any]) -> None:
    _, layout, codes = layout_of(case["file"], case["line"])
    assert [p.number for p in layout.paragraphs] == case["numbers"], case["why"]
    assert [p.marking for p in layout.paragraphs] == case["markings"], case["why"]
    assert layout.signer == case["signer"], case["why"]
    assert list(codes) == case["diagnostics"], case["why"]


def made_cases() -> list[dict[str, Any]]:
    return list(json.loads((DATA / "cases.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize("case", made_cases(), ids=lambda c: str(c["name"]))
def test_made_case(case: dict[str, Any]) -> None:
    layout, diags = lay_out_body(case["body"])
    check_layout(case["body"], layout)
    exp = case["expect"]
    got = {
        "numbers": [p.number for p in layout.paragraphs],
        "markings": [p.marking for p in layout.paragraphs],
        "starts": [p.text[:30] for p in layout.paragraphs],
        "signer": layout.signer,
        "summary": layout.summary,
        "comment": layout.comment,
        "subject_text": layout.subject_text,
        "tags_text": layout.tags_text,
        "ref_text": layout.ref_text,
        "classified_by_text": layout.classified_by_text,
        "captions": list(layout.captions),
        "diagnostics": sorted({d.code for d in diags}),
    }
    assert got == exp, case["why"]


def test_empty_body() -> None:
    layout, diags = lay_out_body("  \n ")
    assert layout.paragraphs == () and layout.signer is None
    assert [d.code for d in diags] == ["body.empty"]
    assert rebuild_body(layout, "  \n ") == "  \n "


def test_paragraph_spans_and_removed_page_break() -> None:
    body = (
        "UNCLAS ASTANA 000395\n\nE.O. 12958: N/A\nTAGS: PGOV KZ\nSUBJECT: TEST\n\n"
        "1. (SBU) First part of the text\n\nASTANA 00000395  002.2 OF 002\n\n"
        "and its end.\n\n2. (U) Second.\n\nORDWAY\n"
    )
    layout, _ = lay_out_body(body)
    first, second = layout.paragraphs
    assert body[first.span.start : first.span.end].startswith("1. (SBU) First")
    assert body[first.span.start : first.span.end].endswith("and its end.")
    assert [body[r.start : r.end] for r in first.removed] == ["ASTANA 00000395  002.2 OF 002"]
    assert first.text == "First part of the text and its end."
    assert (second.number, second.marking, second.text) == ("2", "U", "Second.")
    assert layout.signer == "ORDWAY"
    assert ("signature", Span(body.index("ORDWAY"), body.index("ORDWAY") + 6)) in layout.segments


# ---------------------------------------------------------------------------------------------
# Properties

_FRAGMENTS = [
    "S E C R E T SECTION 01 OF 02 LA PAZ 003400", "UNCLAS STATE 100153", "CONFIDENTIAL",
    "SIPDIS", "NOFORN", "DEPT FOR WHA/AND", "E.O. 12958: DECL: 08/18/2036", "EO 12958 DECL:",
    "TAGS: PGOV PREL", "TAGS PREL, BL", "SUBJECT: WILL THE REAL LEADER STAND UP?", "SUBJ: X",
    "REF: A. LA PAZ 03178", "¶B. 04 STATE 135930", "Classified By: Counselor for reason 1.4 (d).",
    "¶1. (C) Summary: text here. End Summary.", "2. (S//NF) More text", "3.(U) x", "4 (C) y",
    "(C) 5. z", "12) (SBU) w", "¶1990.", "¶24.", "-------", "SUMMARY", "- - - - -",
    "LA PAZ 00003400 002 OF 005", "PAGE 02 HARARE 05461 01 OF 02 271458Z", "Comment: it is.",
    "END COMMENT.", "BEGIN SUMMARY", "Visit London's Classified Website: http://x.y/z cfm",
    "REID", "Nealon", "... population. REID", "SELECT * FROM `cable`", ">", "NNNN",
    "08STATE15228", "XXXXXXXXXXXX", "-- a bullet", "A. an item", "\\", " \\", "\t", "",
    "Post a comment", "Thursday, 25 October 2007, 16:38", "1.", "¶", "(", ")", "Ã", "***",
]  # fmt: skip
_SEPARATORS = ["\n", "\n\n", "  ", " ", "", "\t", "\n \n"]


@st.composite
def cable_like(draw: st.DrawFn) -> str:
    parts = draw(
        st.lists(
            st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=12)), min_size=0, max_size=40
        )
    )
    seps = draw(st.lists(st.sampled_from(_SEPARATORS), min_size=len(parts), max_size=len(parts)))
    return "".join(p + s for p, s in zip(parts, seps, strict=True))


PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(st.text())
def test_arbitrary_text_never_raises(text: str) -> None:
    layout, _ = lay_out_body(text)
    check_layout(text, layout)


@PROPERTY_SETTINGS
@given(cable_like())
def test_cable_like_text_lays_out(text: str) -> None:
    layout, _ = lay_out_body(text)
    check_layout(text, layout)


@PROPERTY_SETTINGS
@given(cable_like())
def test_line_ending_variants_give_the_same_paragraphs(text: str) -> None:
    """Trailing spaces at line ends do not change numbers, markings or texts."""
    spaced = text.replace("\n", " \n")
    a, _ = lay_out_body(text)
    b, _ = lay_out_body(spaced)
    assert [(p.number, p.marking) for p in a.paragraphs] == [
        (p.number, p.marking) for p in b.paragraphs
    ]


@given(st.text(alphabet="a\n\r ", max_size=60), st.lists(st.integers(0, 70), max_size=8))
def test_line_numbers_count_the_newlines_before_an_offset(body: str, offsets: list[int]) -> None:
    lines = split_lines(body)
    for pos in offsets:
        assert _line_no(lines, pos) == body.count("\n", 0, pos) + 1
