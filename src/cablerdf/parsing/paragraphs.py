"""Lines, removed lines, headings and numbered paragraph starts of a cable body.

The building blocks of :mod:`cablerdf.parsing.body`. Everything here works on character
offsets into the body text and never changes the text: a "line" is a span of the body
(between line breaks, or cut at a keyword glued into a line), and what is not cable text
(page-break lines, repeated banners, page headers) is a list of removed spans.
"""

from __future__ import annotations

import bisect
import itertools
import re
import string
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from cablerdf.model import Span

# ---------------------------------------------------------------------------------------------
# Text helpers


def fold(text: str) -> str:
    """Fold every run of white space to one space and strip both ends."""
    return " ".join(text.split())


def merge_spans(spans: list[Span]) -> list[Span]:
    """Sort spans and merge the ones that overlap or touch."""
    out: list[Span] = []
    for sp in sorted(spans, key=lambda x: (x.start, x.end)):
        if sp.end <= sp.start:
            continue
        if out and sp.start <= out[-1].end:
            out[-1] = Span(out[-1].start, max(out[-1].end, sp.end))
        else:
            out.append(sp)
    return out


def _span_end(span: Span) -> int:
    return span.end


def overlapping(removed: Sequence[Span], start: int, end: int) -> Sequence[Span]:
    """The spans of a sorted, non-overlapping list that meet ``[start, end)``."""
    lo = bisect.bisect_right(removed, start, key=_span_end)
    hi = lo
    while hi < len(removed) and removed[hi].start < end:
        hi += 1
    return removed[lo:hi]


def covering(removed: Sequence[Span], pos: int) -> Span | None:
    """The span of a sorted, non-overlapping list that holds offset ``pos``, if any."""
    i = bisect.bisect_right(removed, pos, key=_span_end)
    if i < len(removed) and removed[i].start <= pos:
        return removed[i]
    return None


def cut(body: str, start: int, end: int, removed: Sequence[Span]) -> str:
    """The text of ``body[start:end]`` without the removed spans (each replaced by a space).

    ``removed`` must be sorted and non-overlapping (see :func:`merge_spans`).
    """
    if not removed:
        return body[start:end]
    lo = bisect.bisect_right(removed, start, key=_span_end)
    if lo == len(removed) or removed[lo].start >= end:
        return body[start:end]  # nothing removed in the range
    parts: list[str] = []
    pos = start
    for span in overlapping(removed, start, end):
        s, e = max(span.start, start), min(span.end, end)
        if e <= s or s < pos:
            continue
        parts.append(body[pos:s])
        parts.append(" ")
        pos = e
    parts.append(body[pos:end])
    return "".join(parts)


_DIGIT_BYTES = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_DIGIT = b"0"
_EIGHT_DIGITS = b"0" * 8


def digit_mask(text: str) -> bytes:
    """One byte per character of ``text``: ``0`` where it is a decimal digit (what ``\\d``
    matches), a space elsewhere. ``mask.find(b"0", start, end)`` then tells in C time whether
    ``text[start:end]`` holds a digit, where a regular expression would try every position."""
    raw = text.encode("ascii", "replace")  # one byte per character: "?" for non-ASCII ones
    mask = raw.translate(_DIGIT_BYTES)
    if text.isascii():
        return mask
    # a non-ASCII character may be a decimal digit too (U+0660 ARABIC-INDIC DIGIT ZERO)
    fixed = bytearray(mask)
    pos = raw.find(b"?")
    while pos >= 0:
        if text[pos].isdecimal():
            fixed[pos] = 0x30
        pos = raw.find(b"?", pos + 1)
    return bytes(fixed)


@dataclass(frozen=True, slots=True)
class Line:
    """A line of the body: ``[start, end)``, without its line break (with slots: its fields
    are read very often)."""

    start: int
    end: int

    def text(self, body: str) -> str:
        return body[self.start : self.end]

    def is_blank(self, body: str) -> bool:
        return not body[self.start : self.end].strip()


def _line_start(line: Line) -> int:
    return line.start


def _line_end(line: Line) -> int:
    return line.end


def split_lines(body: str, cuts: set[int] | frozenset[int] = frozenset()) -> list[Line]:
    """Cut the body at its line breaks and at the extra ``cuts`` offsets."""
    if not cuts:
        return _split_at_breaks(body)
    lines: list[Line] = []
    pos = 0
    extra = sorted(cuts)
    k = 0
    while pos <= len(body):
        nl = body.find("\n", pos)
        end = len(body) if nl < 0 else nl
        while k < len(extra) and extra[k] <= pos:
            k += 1
        start = pos
        while k < len(extra) and extra[k] < end:
            lines.append(Line(start, extra[k]))
            start = extra[k]
            k += 1
        lines.append(Line(start, end))
        if nl < 0:
            break
        pos = nl + 1
    return lines


def _split_at_breaks(body: str) -> list[Line]:
    """The lines of ``body`` between its line breaks (one split, no per-line search)."""
    # each line ends where the previous one's break is passed, plus its own length
    ends = list(itertools.accumulate(map(len, body.split("\n")), _next_end))
    return list(map(Line, itertools.chain((0,), map((1).__add__, ends)), ends))


def _next_end(end: int, size: int) -> int:
    """The end of the line of ``size`` characters that follows a line ending at ``end``."""
    return end + 1 + size


# ---------------------------------------------------------------------------------------------
# Portion markings

_MARK_CORE = (
    r"(?:TS|SBU|U|C|S)"
    r"(?:[ \t]*//?[ \t]*(?:REL(?:[ \t]+(?:TO[ \t]+)?[A-Z]{2,}(?:[ \t]*(?:,|/|AND)[ \t]*[A-Z]{2,})*)?"
    r"|NF|NOFORN|FOUO|OC|ORCON|PROPIN|SBU|[A-Z]{2,8}))*"
)
#: A portion marking after a paragraph number: case-insensitive, "(" may be missing.
NUMBER_MARKING = re.compile(r"\(?[ \t]*(?P<m>" + _MARK_CORE + r")[ \t]*\)", re.IGNORECASE)
#: A portion marking opening an unnumbered block: upper case, in parentheses.
BLOCK_MARKING = re.compile(r"[ \t]*\([ \t]*(?P<m>" + _MARK_CORE + r")[ \t]*\)")


def normalize_marking(raw: str) -> str:
    """Upper-case a marking and fold its white space: ``C/Rel Aus`` -> ``C/REL AUS``."""
    return fold(raw).upper()


# ---------------------------------------------------------------------------------------------
# Lines that are not cable text

_CLASS_WORD = (
    r"(?:T[ ]?O[ ]?P[ ]S[ ]?E[ ]?C[ ]?R[ ]?E[ ]?T|S[ ]?E[ ]?C[ ]?R[ ]?E[ ]?T"
    r"|C[ ]?O[ ]?N[ ]?F[ ]?I[ ]?D[ ]?E[ ]?N[ ]?T[ ]?I[ ]?A[ ]?L"
    r"|U[ ]?N[ ]?C[ ]?L[ ]?A[ ]?S[ ]?S[ ]?I[ ]?F[ ]?I[ ]?E[ ]?D|UNCLAS|LIMITED[ ]OFFICIAL[ ]USE)"
)
_SPACED_CLASS = r"(?:S E C R E T|C O N F I D E N T I A L|U N C L A S S I F I E D|T O P S E C R E T)"
_HANDLING = (
    r"(?:E[ ]?F[ ]?T[ ]?O|SENSITIVE|NOFORN|SIPDIS|EXDIS|NODIS|LIMDIS|FOR[ ]OFFICIAL[ ]USE[ ]ONLY)"
)
#: A classification banner line: ``S E C R E T SECTION 01 OF 05 LA PAZ 003400``.
BANNER = re.compile(
    r"[ \t]*(?:"
    r"(?:" + _SPACED_CLASS + r"|UNCLAS(?:SIFIED)?|LIMITED OFFICIAL USE)"
    r"(?:[ \t]+" + _HANDLING + r")*(?:[ \t]+SECTION[ \t]+\d+[ \t]+OF[ \t]+\d+)?"
    r"(?:[ \t]+[A-Z][A-Z .'/-]*?)?(?:[ \t]+\d+)?"
    r"|" + _CLASS_WORD + r"(?:[ \t]+" + _HANDLING + r")*"
    r"(?:[ \t]+SECTION[ \t]+\d+[ \t]+OF[ \t]+\d+)?[ \t]+[A-Z][A-Z .'/-]*?[ \t]+\d+"
    r"|"
    + _CLASS_WORD
    + r"(?:[ \t]+"
    + _HANDLING
    + r")*(?:[ \t]+SECTION[ \t]+\d+[ \t]+OF[ \t]+\d+)?"
    r")[ \t]*\\?[ \t]*"
)
_BANNER_NUMBER = re.compile(r"(\d+)[ \t]*\\?[ \t]*$")

#: A page-break line: ``LA PAZ 00003400 002 OF 005``, ``ASTANA 00000395  001.2 OF 002``.
PAGE_BREAK_LINE = re.compile(
    r"[ \t]*[A-Z][A-Z .'/-]*?[ \t]+\d{8}[ \t]+\d{3}(?:\.\d)?[ \t]+OF[ \t]+\d{3}[ \t]*\\?[ \t]*"
)
#: A page-break printed inside a line (text flattened onto one line).
PAGE_BREAK_INLINE = re.compile(
    r"(?<![\w])(?:[A-Z][A-Z.'/-]*[ \t]){1,3}[ \t]*\d{8}[ \t]+\d{3}(?:\.\d)?[ \t]+OF[ \t]+\d{3}\b"
)
#: A printout page header: ``PAGE 03 HARARE 05461 01 OF 02 271458Z``.
PAGE_HEADER = re.compile(
    r"[ \t]*PAGE[ \t]+\d+[ \t]+[A-Z][A-Z .'/-]*?[ \t]+\d+(?:[ \t]+\d+[ \t]+OF[ \t]+\d+)?"
    r"[ \t]+\d{6}Z\b[ \t]*"
)
_SECTION_LINE = re.compile(r"[ \t]*SECTION[ \t]+\d+[ \t]+OF[ \t]+\d+[ \t]*\\?[ \t]*")
_ROUTING_LINE = re.compile(
    r"[ \t]*(?:(?:INFO|ACTION|ORIGIN)[ \t]+[A-Z]{1,5}-\d\d\b.*"
    r"|-{6,}[0-9A-F]{6}[ \t]+\d{6}Z?[ \t]*/\d+.*|[A-Z]{3}\d{4}[ \t]*)"
)
#: A preamble printed again on one line inside the body (newspaper edits, lower case).
_PREAMBLE_AGAIN = re.compile(
    r"[ \t]*(?:c o n f i d e n t i a l|s e c r e t|u n c l a s|unclas\w*|confidential|secret)\b"
    r".{0,200}?\b(?:e\.o\.|tags:|subject:)",
    re.IGNORECASE,
)
_CAPTION_WORD_LINE = re.compile(
    r"[ \t]*(?:SIPDIS|NOFORN|SENSITIVE|EXDIS|NODIS|LIMDIS)[ \t]*\\?[ \t]*"
)
_CLASS_ONLY_LINE = re.compile(r"[ \t]*(?:" + _CLASS_WORD + r")(?:[ \t]+[A-Z0-9]+)?[ \t]*\\?[ \t]*")
# The blank run is taken from its first blank only, and the blanks around the optional
# backslash are matched one way only: a long run of blanks fails in linear time.
_FOOTER_TAIL = re.compile(r"(?<![ \t])[ \t]{2,}(?:" + _CLASS_WORD + r")[ \t]*(?:\\[ \t]*)?$")
_BACKSLASH_TAIL = re.compile(r"[ \t]*\\[ \t]*$")
#: A line of dashes (or "=", or spaced dashes) under or around a heading.
DASH_LINE = re.compile(r"[ \t]*(?:[-=_\u2010-\u2015][ \t]*){3,}")
_PUNCT_LINE = re.compile(r"[ \t]*+(?:[.\-_=*~#\u2010-\u2015]++[ \t]*+)++")


def banner_match(text: str) -> re.Match[str] | None:
    """Match a whole line as a classification banner."""
    if len(text) > 160:
        return None
    return BANNER.fullmatch(text)


def banner_number(text: str) -> int | None:
    """The cable number printed at the end of a banner line, if any."""
    m = _BANNER_NUMBER.search(text)
    return int(m.group(1)) if m else None


def is_page_break(text: str) -> bool:
    return PAGE_BREAK_LINE.fullmatch(text) is not None


# The characters of DASH_LINE and _PUNCT_LINE: testing a line with str.strip is exact (both
# match a string of blanks and such characters whole) and costs no pattern call.
_DASH_CHARS = "-=_" + "".join(map(chr, range(0x2010, 0x2016)))
_PUNCT_CHARS = ".-_=*~#" + "".join(map(chr, range(0x2010, 0x2016)))
_DASH_OR_BLANK = " \t" + _DASH_CHARS
_PUNCT_OR_BLANK = " \t" + _PUNCT_CHARS


def is_dash_line(text: str) -> bool:
    """A line of three or more dashes (``-``, ``=``, ``_``, Unicode dashes) and blanks: what
    :data:`DASH_LINE` matches whole."""
    if text.strip(_DASH_OR_BLANK):
        return False
    return len(text) - text.count(" ") - text.count("\t") >= 3


def is_punct_line(text: str) -> bool:
    """A line of punctuation only (``.``, ``-``): debris between paragraphs (what
    :data:`_PUNCT_LINE` matches whole)."""
    return not text.strip(_PUNCT_OR_BLANK) and bool(text.strip(" \t"))


def _ends_with_backslash(text: str) -> bool:
    """``_BACKSLASH_TAIL.search(text)`` without trying every position: a backslash, then only
    blanks (``$`` also matches before a final line break)."""
    return text.removesuffix("\n").rstrip(" \t").endswith("\\")


def tab_row_body(body: str, lines: list[Line]) -> bool:
    """True when most lines end with a backslash (a database row with escaped newlines)."""
    if "\\" not in body:
        return False  # no line ends with a backslash: never most of four or more
    filled = 0
    tails = 0
    for ln in lines:
        text = body[ln.start : ln.end]
        if text.strip():
            filled += 1
            if _ends_with_backslash(text):
                tails += 1
    if filled < 4:
        return False
    return tails * 2 >= filled


# The whole-line tests of removed_in_line as one expression (one call instead of eight):
# the preamble printed again (a prefix, in any case), and the lines that are removed when a
# pattern matches them whole (``\Z``), the banner only up to 160 characters, the others up
# to 200. The patterns that need a digit, or eight in a row, are left out of the expressions
# for lines without: they would try (and fail) at length on a line of capitals.
_PREAMBLE_AGAIN_ANY_CASE = f"(?i:{_PREAMBLE_AGAIN.pattern})"


def _whole_line(digits: int, banner: bool) -> re.Pattern[str]:
    """The whole-line expression for a line with no digit (0), a digit (1) or eight digits in
    a row (8); ``banner``: the line is short enough for a banner."""
    needs = (
        (PAGE_BREAK_LINE, 8),
        (_SECTION_LINE, 1),
        (_CLASS_ONLY_LINE, 0),
        (_ROUTING_LINE, 1),
        (_CAPTION_WORD_LINE, 0),
        (PAGE_HEADER, 1),
    )
    whole = [rx.pattern for rx, need in needs if need <= digits]
    if banner:
        whole.append(BANNER.pattern)
    ends = "|".join(f"(?:{pattern})" for pattern in whole)
    return re.compile(f"{_PREAMBLE_AGAIN_ANY_CASE}|(?:{ends})\\Z")


#: The whole-line expressions by (digits: 0, 1 or 8; up to 160 characters).
_WHOLE_LINE = {
    (digits, banner): _whole_line(digits, banner)
    for digits in (0, 1, 8)
    for banner in (False, True)
}
#: The ASCII characters a line that a whole-line expression matches can begin with after its
#: blanks, by digits (as in :data:`_WHOLE_LINE`): a classification or caption word, or the
#: preamble printed again (in any case); with a digit, also a page break's place name, a page
#: header, a SECTION line or a routing line (office symbols, or a run of dashes).
_PREAMBLE_FIRST = frozenset("CSUcsu")
_WHOLE_FIRST = {
    0: frozenset("TSCULNE") | _PREAMBLE_FIRST,
    1: frozenset(string.ascii_uppercase + "-") | _PREAMBLE_FIRST,
    8: frozenset(string.ascii_uppercase + "-") | _PREAMBLE_FIRST,
}
#: The last letter of each classification word (:data:`_FOOTER_TAIL` ends with one).
_CLASS_WORD_LAST = frozenset("TDSLE")
#: What a line that :data:`_FOOTER_TAIL` matches can end with.
_FOOTER_LAST = frozenset("TDSLE \t\\\n")


def _footer_tail_possible(text: str) -> bool:
    """False when :data:`_FOOTER_TAIL` cannot match ``text``: it ends with a classification
    word, then blanks, an optional backslash and blanks (``$``: or a final line break)."""
    text = text.removesuffix("\n").rstrip(" \t")
    if text.endswith("\\"):
        text = text[:-1].rstrip(" \t")
    return text[-1:] in _CLASS_WORD_LAST


def removed_in_line(
    body: str, line: Line, tab_row: bool, digits: bytes | None = None
) -> list[Span]:
    """What of one line of the paragraph zone is not cable text.

    Whole lines: page breaks, SECTION lines, banners and bare classification words, page
    headers, routing-office lines, bare caption words (SIPDIS). Parts of lines: a page
    header at the start, a page-footer classification glued at the end, a page break
    printed inline, and the escaped-newline backslash of tab-row bodies. ``digits`` is the
    body's :func:`digit_mask` (made from the line when not given).
    """
    text = body[line.start : line.end]
    if not text or text.isspace():
        return []
    if digits is None:
        digits, base = digit_mask(text), 0
    else:
        base = line.start
    size = len(text)
    end = base + size
    if digits.find(_DIGIT, base, end) < 0:
        in_digits = 0
    else:
        in_digits = 8 if digits.find(_EIGHT_DIGITS, base, end) >= 0 else 1
    if size <= 200:
        whole, first_chars = _WHOLE_LINE[in_digits, size <= 160], _WHOLE_FIRST[in_digits]
    else:
        whole, first_chars = _PREAMBLE_AGAIN, _PREAMBLE_FIRST
    first = text[0]
    if first == " " or first == "\t":
        first = text.lstrip(" \t")[:1]  # not empty: the line is not blank
    if (first in first_chars or not first.isascii()) and whole.match(text):
        return [Span(line.start, line.end)]
    spans: list[Span] = []
    head = PAGE_HEADER.match(text) if "PAGE" in text else None
    lead = 0
    if head:
        lead = head.end()
        rest = _ROUTING_LINE.fullmatch(text, lead)
        if rest:
            return [Span(line.start, line.end)]
        spans.append(Span(line.start, line.start + lead))
    # an inline page break holds eight digits in a row
    if in_digits == 8 and digits.find(_EIGHT_DIGITS, base + lead, end) >= 0:
        for m in PAGE_BREAK_INLINE.finditer(text, lead):
            spans.append(Span(line.start + m.start(), line.start + m.end()))
    tail_end = len(text)
    if tab_row and _ends_with_backslash(text):
        m_bs = _BACKSLASH_TAIL.search(text)
        if m_bs:
            spans.append(Span(line.start + m_bs.start(), line.end))
            tail_end = m_bs.start()
    if (
        tail_end
        and text[tail_end - 1] in _FOOTER_LAST
        and ("  " in text or "\t" in text)  # the footer follows two blanks or more
        and _footer_tail_possible(text[:tail_end])
    ):
        m_ft = _FOOTER_TAIL.search(text[:tail_end])
        if m_ft and text[: m_ft.start()].strip():
            spans.append(Span(line.start + m_ft.start(), line.start + tail_end))
    return spans


# ---------------------------------------------------------------------------------------------
# Numbered paragraph starts

#: A paragraph number: optional pilcrow, number, then "." or ")" or a marking.
PARA_START = re.compile(
    r"(?:(?P<pre>\([ \t]*" + _MARK_CORE + r"[ \t]*\))[ \t]*(?=\d))?"
    r"(?P<pil>Â?¶[ \t]*)?(?<![\w.,/$%:#&+=-])(?P<num>\d{1,3})"
    r"(?:(?P<sep>[ \t]*\.(?!\d)|[ \t]*\))[ \t]*|[ \t]*(?=\(|[A-Za-z/]{1,12}\)))"
    r"(?P<mark>\(?[ \t]*" + _MARK_CORE + r"[ \t]*\))?",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?:;\"'”’)\]][ \t]+$|[ \t]{2,}$|-{3,}[ \t]*$|^[ \t]*$")
_SENTENCE_END_WINDOW = 16
"""Characters before a candidate that decide :data:`_SENTENCE_END` (any number from 5 on
gives the same answer as the whole text before it: a longer blank tail ends a sentence)."""


@dataclass(frozen=True)
class Start:
    """An accepted numbered paragraph start."""

    start: int  # where the pilcrow or number begins
    body_start: int  # after the number and marking
    number: str
    marking: str | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A place that looks like a paragraph number."""

    start: int
    body_start: int
    number: int
    pilcrow: bool
    marking: str | None
    separator: str | None
    line_start: bool
    inline_ok: bool
    empty: bool = False  # nothing follows the number on its line


_PARA_START_CHARS = ("(", "¶", "Â", "â")


def _para_start_matches(
    body: str, start: int, end: int, digits: bytes, chars: str
) -> Iterator[re.Match[str]]:
    """``PARA_START.finditer(body[start:end])``, trying only the offsets where a match may
    begin (the pattern fails slowly at every other one): a match begins with "(", a pilcrow
    ("Â¶", either case) or its number, whose first digit follows no digit (the pattern's
    look-behind). ``chars`` are the first of these characters that the body holds at all.
    The next offset of each kind is kept until passed, so the line is searched once."""
    text = body[start:end]
    ahead = {char: body.find(char, start, end) for char in chars}  # -1: none left
    digit = -2  # the next first digit of a run; -2: to find, -1: none left
    pos = start
    while pos < end:
        if -1 < digit < pos or digit == -2:
            if pos > start and digits[pos - 1] == 0x30:
                run = digits.find(b" 0", pos - 1, end)  # the next run of digits
                digit = run + 1 if run >= 0 else -1
            else:
                digit = digits.find(_DIGIT, pos, end)
        at = digit
        for char in chars:
            found = ahead[char]
            if -1 < found < pos:
                found = ahead[char] = body.find(char, pos, end)
            if found >= 0 and (at < 0 or found < at):
                at = found
        if at < 0:
            return
        if at == digit and not _number_may_start(body, start, at, end, digits):
            pos = at + 1
            continue
        m = PARA_START.match(text, at - start)
        if m:
            yield m
            pos = start + m.end()  # a match is never empty
        else:
            pos = at + 1


#: What may follow the digits of a paragraph number (in ASCII): a blank, ".", ")", "(", "/"
#: or a letter (before a marking such as ``SBU)``).
_AFTER_NUMBER = frozenset(" \t.)(/" + string.ascii_letters)
#: What :data:`PARA_START`'s look-behind refuses before a number, besides ``\w``.
_BEFORE_NUMBER = frozenset("_.,/$%:#&+=-")


def _number_may_start(body: str, start: int, at: int, end: int, digits: bytes) -> bool:
    """False when :data:`PARA_START` cannot match ``body[start:end]`` at ``at``, the first
    digit of a run: the run has more than three digits, or what follows it cannot follow a
    number, or what precedes it is refused by the look-behind (the pattern tried there fails
    only after trying every way; these tests are exact)."""
    run_end = digits.find(b" ", at, end)
    if run_end < 0:
        run_end = end
    if run_end - at > 3 or run_end >= end:
        return False
    after = body[run_end]
    if after.isascii() and after not in _AFTER_NUMBER:
        return False
    if at > start:
        before = body[at - 1]
        if before.isalnum() or before in _BEFORE_NUMBER:
            return False
    return True


def find_candidates(
    body: str,
    lines: list[Line],
    zone: tuple[int, int],
    removed: list[Span],
    digits: bytes | None = None,
) -> list[Candidate]:
    """Every place in the zone that looks like a paragraph number (``digits``: the body's
    :func:`digit_mask`, made here when not given)."""
    out: list[Candidate] = []
    zs, ze = zone
    if digits is None:
        digits = digit_mask(body)
    chars = "".join(char for char in _PARA_START_CHARS if char in body)
    # the lines that meet the zone (end > zs, start < ze): lines come in order, their starts
    # and ends never go back
    first = bisect.bisect_right(lines, zs, key=_line_end)
    last = bisect.bisect_left(lines, ze, key=_line_start)
    for line in lines[first:last]:
        offset, line_end = line.start, min(line.end, ze)
        if digits.find(_DIGIT, offset, line_end) < 0:
            continue  # a paragraph number has a digit
        text = body[offset:line_end]
        text_end = len(text.rstrip())
        # The text before each candidate, kept as it grows along the line: whether it has
        # any non-blank character, and its last characters (enough for _SENTENCE_END).
        # Candidates are never inside a removed span, so the cut can be taken piecewise.
        seen = offset
        nonblank = False
        tail = ""
        for m in _para_start_matches(body, offset, line_end, digits, chars):
            pos = offset + m.start()
            if pos < zs or covering(removed, pos) is not None:
                continue
            mark_raw = m.group("mark")
            sep = m.group("sep")
            if m.group("pre"):
                if mark_raw or sep is None or sep.strip() != ".":
                    continue
                mark_raw = m.group("pre")
            if sep is None and not mark_raw:
                continue
            if sep is not None and sep.strip() == ")" and not mark_raw:
                continue
            piece = cut(body, seen, pos, removed)
            seen = pos
            nonblank = nonblank or bool(piece.strip())
            tail = (tail + piece)[-_SENTENCE_END_WINDOW:]
            line_start = not nonblank
            inline_ok = bool(_SENTENCE_END.search(tail))
            marking = None
            if mark_raw:
                mm = NUMBER_MARKING.fullmatch(mark_raw.strip())
                marking = normalize_marking(mm.group("m")) if mm else None
            out.append(
                Candidate(
                    start=pos,
                    body_start=offset + m.end(),
                    number=int(m.group("num")),
                    pilcrow=m.group("pil") is not None,
                    marking=marking,
                    separator=sep.strip() if sep else None,
                    line_start=line_start,
                    inline_ok=inline_ok,
                    empty=not mark_raw and m.end() >= text_end,
                )
            )
    return out


def accept_starts(
    cands: list[Candidate],
) -> tuple[list[Start], list[tuple[int, str, int, int]]]:
    """Keep the candidates that continue the paragraph sequence.

    Numbers go up by one; a gap of up to two is allowed for a marked or pilcrowed number,
    and a number may repeat or go back only when it carries a portion marking at the start
    of a line. A lower unmarked number opens a list inside the current paragraph, whose
    items then are not paragraphs. Returns the starts and notes
    ``(offset, kind, expected number, printed number)`` about
    gaps and repeats.
    """
    starts: list[Start] = []
    notes: list[tuple[int, str, int, int]] = []
    last: int | None = None
    sub: int | None = None
    prev: Candidate | None = None
    for k, c in enumerate(cands):
        strong = c.marking is not None or c.pilcrow
        ok = False
        kind = ""
        if not c.line_start:
            ok = (
                strong
                and (c.pilcrow or c.inline_ok)
                and (c.number == (last + 1 if last is not None else 1))
            )
        elif last is None:
            ok = c.number == 1 or (strong and c.number <= 9)
            if not ok and strong:
                # a text that begins in mid-cable: the next number must follow
                ok = any(
                    d.line_start and d.number == c.number + 1 and (d.marking or d.pilcrow)
                    for d in cands[k + 1 : k + 40]
                )
        elif c.number == last + 1:
            in_list = sub is not None and c.number == sub + 1
            ok = not (in_list and (c.marking is None or not _same_style(c, prev)))
        elif last + 1 < c.number <= last + 3:
            ok = strong and not c.empty and _same_style(c, prev)
            kind = "gap"
        elif c.number <= last:
            ok = c.marking is not None and _same_style(c, prev)
            kind = "repeat"
            if not ok:
                sub = c.number
                continue
        if sub is not None and not ok and c.line_start and c.number == sub + 1:
            sub = c.number
            continue
        if ok:
            if kind:
                notes.append((c.start, kind, (last or 0) + 1, c.number))
            starts.append(Start(c.start, c.body_start, str(c.number), c.marking))
            last = c.number
            sub = None
            prev = c
    return starts, notes


def _same_style(c: Candidate, prev: Candidate | None) -> bool:
    """The number is printed like the previous paragraph's (pilcrow, "." or ")")."""
    if prev is None:
        return True
    return (c.separator or "") == (prev.separator or "") and (c.pilcrow or not prev.pilcrow)


# ---------------------------------------------------------------------------------------------
# Headings

_FLAT_HEADING = re.compile(
    r"[ \t]*(?:(?:[-=]{3,}+[ \t]*+)++(?P<h1>[^-=\s].{0,90}?)[ \t]*(?:[-=]{3,}+[ \t]*+)*+"
    r"|(?P<h2>[^-=\s].{0,90}?)[ \t]*(?:[-=]{3,}+[ \t]*+)++)"
)
_TRAILING_FRAMED = re.compile(
    r"[ \t]+(?:[-=]{3,}+[ \t]*+)++[^-=\n]{0,40}?[A-Za-z][^-=\n]{0,80}?(?:[ \t]*+[-=]{3,}+)++[ \t]*$"
)
_AFTER_SENTENCE = r"(?:(?<=[.!?\"”)])|(?<=END SUMMARY)|(?<=END COMMENT))[ \t]+"
_TRAILING_UNDERLINED = re.compile(
    _AFTER_SENTENCE + r"(?P<h>(?:[A-Z]\.|[^.!?\n]){3,90}?\??)[ \t]+(?:[-=]{3,}+[ \t]*+)++$"
)
_TRAILING_OVERLINED = re.compile(
    _AFTER_SENTENCE + r"(?P<d>(?:[-=]{3,}+[ \t]*+)++)(?P<h>(?:[A-Z]\.|[^.!?\n-]){3,90}?\??)[ \t]*$"
)
_BULLET = re.compile(r"[ \t]*(?:[-*•o][ \t]|--|[A-Za-z][.)][ \t]|\([A-Za-z0-9]{1,3}\)[ \t])")
_REDACTION_ONLY = re.compile(r"[ \t]*[Xx]{5,}[ \t]*")
_ABBREVIATION_END = re.compile(r"\b(?:[A-Z]\.){2,}$")
_END_WORDS = re.compile(r"(?:END|BEGIN)\b", re.IGNORECASE)
_HEAD_TAIL = re.compile(
    r"(?:[.!?\"”)\]]|END\s+SUMMARY\.?|END\s+COMMENT\.?)[ \t]+(?P<h>[^.!?\n]+?)[ \t]*$"
)


_DASHES = re.compile(r"[-=]{3}")


def _three_dashes(text: str) -> bool:
    """``text`` holds three "-" or "=" in a row (what :data:`_DASHES` finds), told with
    substring tests where they suffice."""
    if "---" in text or "===" in text:
        return True
    return "-" in text and "=" in text and _DASHES.search(text) is not None


def _ends_with_dashes(text: str) -> bool:
    """``text`` ends with three "-" or "=" before blanks (or a final line break)."""
    tail = text.removesuffix("\n").rstrip(" \t")[-3:]
    return len(tail) == 3 and not tail.strip("-=")


def redaction_only(text: str) -> bool:
    """A line that holds only a redaction mark (``XXXXXXXXXXXX``): what
    :data:`_REDACTION_ONLY` matches whole."""
    mark = text.strip(" \t")
    return len(mark) >= 5 and not mark.strip("Xx")


def heading_like(text: str, *, allow_comma: bool = False, framed: bool = False) -> bool:
    """A short line that could be a section heading (``framed``: dashes under it)."""
    s = text.strip()
    if not s or len(s) > 100:
        return False
    last = s[-1]
    if last == "," and not allow_comma:
        return False
    if last in ".;" or last in "!?":
        ellipsis = framed and (s.endswith("...") or _ABBREVIATION_END.search(s) is not None)
        if (last in ".;" and not ellipsis) or (last in "!?" and not framed):
            return False
    if len(s.split()) > 14:
        return False
    # _BULLET opens with "(", or has a blank, "-", "." or ")" second (``s`` is stripped)
    if (s[0] == "(" or s[1:2] in _BULLET_SECOND) and _BULLET.match(s):
        return False
    if redaction_only(s):
        return False
    # PARA_START matches from a "(", a pilcrow or a digit only
    numbered = PARA_START.match(s) if s[0] in _PARA_START_CHARS or s[0].isdecimal() else None
    if numbered and numbered.group("sep"):
        return False
    return s[0].isalpha() or any(ch.isalpha() for ch in s)


_BULLET_SECOND = frozenset(" \t-.)")


def flat_heading(text: str) -> bool:
    """A heading flattened onto one line with its dashes: ``OBJECTIVES ----------``."""
    if not _three_dashes(text):
        return False  # the pattern holds three dashes in a row
    m = _FLAT_HEADING.fullmatch(text)
    return m is not None and heading_like(m.group("h1") or m.group("h2"), allow_comma=True)


def trailing_framed(text: str) -> re.Match[str] | None:
    """A dash-framed heading at the end of a line: ``... [...]. -------- Training --------``."""
    return _TRAILING_FRAMED.search(text)


def trailing_heading(text: str, paragraph_has_lower: Callable[[], bool]) -> int | None:
    """Where a heading flattened onto the end of a paragraph's last line begins, if any
    (``paragraph_has_lower`` tells, when asked, whether the paragraph has a lower-case letter).

    ``... End Summary. SAME FACES, FEWER CHAIRS: CONGRESS GIVES CABINET LINEUP`` (capitals
    after a sentence in a mixed-case paragraph), or a short phrase set off by two or more
    spaces after the last sentence (``...him.    First Meeting since the Election``).
    """
    # The searches below try every position of the line; each is skipped when the line lacks
    # what any match of it holds: three dashes in a row, or a last character that is no
    # sentence end (before blanks; ``$`` also matches before a final line break).
    if _three_dashes(text):
        framed = trailing_framed(text)
        if framed:
            return framed.start()
        if _ends_with_dashes(text):
            underlined = _TRAILING_UNDERLINED.search(text)
            if underlined and heading_like(underlined.group("h"), allow_comma=True, framed=True):
                return underlined.start("h")
        overlined = _TRAILING_OVERLINED.search(text)
        if overlined and heading_like(overlined.group("h"), allow_comma=True, framed=True):
            return overlined.start("d")
    last = text.removesuffix("\n").rstrip(" \t")[-1:]
    if not last or last in ".!?":
        return None
    m = _HEAD_TAIL.search(text)
    if not m:
        return None
    head = m.group("h")
    words = head.split()
    if not 2 <= len(words) <= 12 or _END_WORDS.match(head.strip()):
        return None
    if head.strip()[-1] in ",;":
        return None
    gap = text[m.start("h") - 2 : m.start("h")]
    upper = not any(ch.islower() for ch in head) and sum(ch.isupper() for ch in head) >= 4
    if upper and paragraph_has_lower():
        return m.start("h")
    if gap == "  " and any(ch.isupper() for ch in head[:1]):
        return m.start("h")
    return None
