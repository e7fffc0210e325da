"""The parser's shortcuts give what the patterns they stand for give.

Each fast path of the body layout (a test that skips a pattern where it cannot match, a search
split into cheaper ones, lines found by bisection) is checked against the plain pattern or scan
on generated lines and bodies, with the characters that make the edge cases: blanks, digits
outside ASCII, the long s and the dotted capital I (which match letters in any case), pilcrows.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from cablerdf.parsing import body as B
from cablerdf.parsing import paragraphs as P

PIECES = [
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n",
    "1",
    "12",
    "123",
    "1234",
    "1.",
    "2)",
    "(C)",
    "(SBU)",
    "(U)",
    "¶",
    "Â¶",
    "â¶",
    "\u0660",  # ARABIC-INDIC DIGIT ZERO: a decimal digit outside ASCII
    "\u017f",  # LATIN SMALL LETTER LONG S: matches "s" in any case
    "\u0130",  # LATIN CAPITAL LETTER I WITH DOT ABOVE: lowers to two characters
    "\u212a",  # KELVIN SIGN
    "SECRET",
    "secret",
    "C O N F I D E N T I A L",
    "UNCLAS",
    "SIPDIS",
    "SECTION 01 OF 02",
    "ASTANA 00000395  002.2 OF 002",
    "PAGE 03 HARARE 05461 01 OF 02 271458Z",
    "INFO LOG-00",
    "-------",
    "TAGS:",
    "tags",
    "Subj",
    "SUBJECT:",
    "END SUMMARY",
    "end comment",
    "eNd",
    "x",
    "The",
    "$",
    ".",
    ",",
    ":",
    "/",
    "-",
    "\\",
]
text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=40).map("".join)
common = settings(max_examples=300, deadline=None)


@common
@given(text)
def test_number_prefilter_refuses_only_where_para_start_fails(line: str) -> None:
    digits = P.digit_mask(line)
    for at in range(len(line)):
        first_of_run = digits[at] == 0x30 and (at == 0 or digits[at - 1] != 0x30)
        if first_of_run and not P._number_may_start(line, 0, at, len(line), digits):
            assert P.PARA_START.match(line, at) is None, (line, at)


@common
@given(text, st.sampled_from([0, 1, 8]), st.booleans())
def test_whole_line_prefilter_refuses_only_where_the_expression_fails(
    line: str, in_digits: int, banner: bool
) -> None:
    first = line.lstrip(" \t")[:1]
    if first and first.isascii() and first not in P._WHOLE_FIRST[in_digits]:
        assert P._WHOLE_LINE[in_digits, banner].match(line) is None
    if first and first.isascii() and first not in P._PREAMBLE_FIRST:
        assert P._PREAMBLE_AGAIN.match(line) is None


@common
@given(text)
def test_removed_in_line_is_unchanged_by_its_prefilter(line: str) -> None:
    """With the prefilter taken away (every first character allowed) the spans are the same."""
    body = "x\n" + line + "\ny"
    ln = P.Line(2, 2 + len(line))
    digits = P.digit_mask(body)
    fast = P.removed_in_line(body, ln, tab_row=True, digits=digits)
    saved = dict(P._WHOLE_FIRST), P._PREAMBLE_FIRST
    try:
        everything = frozenset(chr(c) for c in range(128))
        P._WHOLE_FIRST.update(dict.fromkeys(P._WHOLE_FIRST, everything))
        P._PREAMBLE_FIRST = everything
        slow = P.removed_in_line(body, ln, tab_row=True, digits=digits)
    finally:
        P._WHOLE_FIRST.update(saved[0])
        P._PREAMBLE_FIRST = saved[1]
    assert fast == slow


@common
@given(text)
def test_zone_end_is_the_first_match_of_the_zone_end_pattern(body: str) -> None:
    m = B._ZONE_END.search(body)
    assert B._zone_end(body) == (m.start() if m else len(body))


@common
@given(text, st.integers(0, 40), st.integers(0, 80))
def test_end_marks_are_the_pattern_matches(body: str, lo: int, hi: int) -> None:
    for ender in (B._END_SUMMARY, B._END_COMMENT):
        fast = B._end_marks(ender, body, B._ascii_lowered(body), lo, hi)
        slow = list(ender.finditer(body, lo, hi))
        assert [m.span() for m in fast] == [m.span() for m in slow]


@common
@given(text, st.sets(st.integers(1, 200)), st.integers(0, 30))
def test_subject_or_tags_lines_are_the_lines_the_pattern_matches(
    body: str, cuts: set[int], first: int
) -> None:
    cuts = {c for c in cuts if c < len(body) and body[c - 1] != "\n" and body[c] != "\n"}
    lines = P.split_lines(body, cuts)
    first = min(first, len(lines))
    slow = [
        i
        for i in range(first, len(lines))
        if B._SUBJECT_OR_TAGS.match(body, lines[i].start, lines[i].end)
    ]
    assert B._subject_or_tags_lines(body, lines, first, B._ascii_lowered(body)) == slow


@common
@given(text, st.sets(st.integers(1, 200)), st.integers(-2, 120), st.integers(-2, 120))
def test_lines_meeting_a_range_are_found_by_bisection(
    body: str, cuts: set[int], lo: int, hi: int
) -> None:
    cuts = {c for c in cuts if c < len(body) and body[c - 1] != "\n" and body[c] != "\n"}
    lines = P.split_lines(body, cuts)
    slow = [i for i, ln in enumerate(lines) if ln.end > lo and ln.start < hi]
    assert list(B._lines_meeting(lines, lo, hi)) == slow


@common
@given(text)
def test_lines_split_at_breaks(body: str) -> None:
    pos = 0
    expected = []
    for piece in body.split("\n"):
        expected.append(P.Line(pos, pos + len(piece)))
        pos += len(piece) + 1
    assert P.split_lines(body) == expected


def test_no_character_outside_ascii_lowers_to_e_n_or_d() -> None:
    """What :func:`cablerdf.parsing.body._ascii_lowered` relies on (and U+0130 alone lowers
    to two characters)."""
    import sys

    odd = [chr(c) for c in range(128, sys.maxunicode + 1) if chr(c).lower() in ("e", "n", "d")]
    assert odd == []
    two = [chr(c) for c in range(sys.maxunicode + 1) if len(chr(c).lower()) != 1]
    assert two == ["\u0130"]
    letters = [
        chr(c)
        for c in range(128, sys.maxunicode + 1)
        if re.match("(?i)[tagsubj]", chr(c)) is not None
    ]
    assert letters == ["\u017f"]
