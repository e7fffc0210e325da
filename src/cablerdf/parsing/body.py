"""The layout of a cable body: preamble, paragraphs, headings, signature, trailer.

:func:`lay_out_body` finds where each part of a body stands, without changing the text:
the classification banner and caption lines, the E.O./TAGS/SUBJECT/REF/Classified-by
lines (located, not parsed), the paragraphs with their numbers, portion markings and spans,
the signature, the summary and the comment. ``segments`` cuts the whole body into
contiguous labelled spans, so that :func:`rebuild_body` gives back the body exactly.

Segment labels: ``header`` (lines before the banner: a telegram header or page debris),
``banner``, ``caption``, ``eo``, ``tags``, ``subject``, ``ref``, ``classified_by``,
``derived_from`` (the preamble), ``paragraph``, ``heading``, ``removed`` (page-break,
SECTION, banner and page-header lines outside paragraphs), ``debris`` (stray punctuation
lines), ``boilerplate`` (a post's "Visit our Classified Website" line), ``signature``,
``trailer`` (debris after the cable text), ``appended`` (an unrelated cable pasted after
this one) and ``gap`` (white space).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from dataclasses import dataclass, field

from cablerdf.model import Diagnostic, Paragraph, Severity, Span
from cablerdf.parsing.paragraphs import (
    BLOCK_MARKING,
    PAGE_BREAK_INLINE,
    PAGE_HEADER,
    PARA_START,
    Line,
    Start,
    accept_starts,
    banner_match,
    banner_number,
    covering,
    cut,
    digit_mask,
    find_candidates,
    flat_heading,
    fold,
    heading_like,
    is_dash_line,
    is_page_break,
    is_punct_line,
    merge_spans,
    normalize_marking,
    overlapping,
    redaction_only,
    removed_in_line,
    split_lines,
    tab_row_body,
    trailing_heading,
)

#: The segment labels that belong to the preamble (everything before the paragraphs).
PREAMBLE_LABELS = frozenset(
    {"header", "banner", "caption", "eo", "tags", "subject", "ref", "classified_by", "derived_from"}
)


@dataclass(frozen=True)
class BodyLayout:
    """Where each part of a cable body stands. Texts are as printed, lines joined by ``\\n``."""

    banner: str | None  # the classification banner line(s) as printed
    captions: tuple[str, ...]  # caption lines: SIPDIS, NOFORN, "DEPT FOR ...", ...
    eo_text: str | None  # the E.O. line's text from "E.O." on
    tags_text: str | None  # the text after "TAGS:" / "TAGS "
    subject_text: str | None  # the text after "SUBJECT:" / "SUBJ:" (marking kept)
    ref_text: str | None  # the REF block after "REF:" (page-break lines removed)
    classified_by_text: str | None  # the text after "Classified By:"
    paragraphs: tuple[Paragraph, ...]
    signer: str | None
    summary: str | None  # the summary's text, folded
    comment: str | None  # the comment section's text, folded
    segments: tuple[tuple[str, Span], ...] = field(default=())


# ---------------------------------------------------------------------------------------------
# Preamble keywords

_KEYWORD_AT_LINE = {
    "eo": re.compile(r"[ \t]*(?:¶[ \t]*)?(?:E\.?[ \t]?O\.?)[ \t]*\d{4,5}", re.IGNORECASE),
    "tags": re.compile(r"[ \t]*(?:(?i:TAGS?)[ \t]*:|TAGS?[ \t]+(?=[A-Z]))"),
    "subject": re.compile(r"[ \t]*SUBJ(?:ECT)?[ \t]*:", re.IGNORECASE),
    "ref": re.compile(
        r"[ \t]*(?:(?i:REF(?:S|TELS?)?)[ \t]*:|REF[ \t]+[A-Z][ \t]*:|REFS?[ \t]+(?=[A-Z]\.|\([A-Z]\)))"
    ),
    "classified_by": re.compile(
        r"[ \t]*(?:\([A-Z/ ]{1,12}\)[ \t]*)?CLASSIFIED[ \t]+BY\b[ \t]*:?", re.IGNORECASE
    ),
    "derived_from": re.compile(r"[ \t]*DERIVED[ \t]+FROM[ \t]*:", re.IGNORECASE),
}
_KEYWORD_GLUED = {
    "eo": re.compile(r"E\.[ \t]?O\.[ \t]*\d{4,5}|(?<![A-Za-z])EO[ \t]+\d{4,5}"),
    "tags": re.compile(r"TAGS[ \t]*:"),
    "subject": re.compile(r"SUBJ(?:ECT)?[ \t]*:"),
    "ref": re.compile(r"REF(?:S|TELS?)?[ \t]*:"),
    "classified_by": re.compile(r"(?:Classified|CLASSIFIED)[ \t]+(?:By|BY)\b"),
}
_ZONE_END = re.compile(
    r"¶[ \t]*\d|^[ \t]*1[ \t]*\.[ \t]+\S"
    r"|^[ \t]*\d{1,3}[ \t]*(?:[.)][ \t]*)?\((?:U|SBU|C|S|TS)[)/]"
    r"|(?<=[ \t]{2})1[ \t]*(?:[.)][ \t]*)?\((?:U|SBU|C|S|TS)[)/]",
    re.MULTILINE,
)
# The alternatives of _ZONE_END apart, each searched the fast way (see _zone_end).
_ZONE_END_PILCROW = re.compile(r"¶[ \t]*\d")
_ZONE_END_AT_LINE = re.compile(
    r"^[ \t]*1[ \t]*\.[ \t]+\S"
    r"|^[ \t]*\d{1,3}[ \t]*(?:[.)][ \t]*)?\((?:U|SBU|C|S|TS)[)/]",
    re.MULTILINE,
)
_ZONE_END_GLUED = re.compile(r"(?<=[ \t]{2})1[ \t]*(?:[.)][ \t]*)?\((?:U|SBU|C|S|TS)[)/]")
_GLUED_CAPTION = re.compile(r"(?<=\d)[ \t]*(?=SIPDIS|NOFORN|SENSITIVE|EXDIS|NODIS|LIMDIS)")
_CAPTION_WORD = re.compile(r"[ \t]*(?:SIPDIS|NOFORN|SENSITIVE|EXDIS|NODIS|LIMDIS)\b")
_TAG_LIST = re.compile(
    r"[ \t]*[A-Z0-9][A-Z0-9_&/-]{0,11}(?:[ \t,]+[A-Z0-9][A-Z0-9_&/-]{0,11})*[ \t,]*"
)
_REF_LABEL = re.compile(r"[ \t]*(?:¶[ \t]*)?(?:\([A-Z]\)|[A-Z][.)])[ \t]")
_NUMBERS_ONLY = re.compile(r"[\d \t.,;:/-]+")
_REASON_START = re.compile(r"\(?[a-hA-H](?:[ \t]*(?:,|/|and|AND)[ \t]*[a-hA-H])*\)|1\.[45]\b")
_BACKSLASH = re.compile(r"[ \t]*\\[ \t]*$")
#: A newspaper's date line: "Thursday, 25 October 2007, 16:38".
_DATE_LINE = re.compile(
    r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,[ \t]+\d{1,2}[ \t]+[A-Z][a-z]+[ \t]+\d{4}"
    r"(?:,[ \t]+\d{1,2}:\d{2})?"
)
_AND_OR = re.compile(r"(?:and|or|AND|OR|And|Or)\b")
#: A portion-marked text glued after the Classified-by reasons: "... (d) (C) On July 21, ..."
_MARKED_PROSE = re.compile(
    r"(?<=\s)\((?:U|SBU|C|S|TS)(?:/{1,2}[A-Z ]+)?\)[ \t]+(?!(?:and|or|AND|OR|And|Or)\b)[A-Z][a-z]"
)


_GLUED_DASHES = re.compile(r"[ \t]{2,}(?=-{4,})")
_REASON_WORD = re.compile(r"\bREASONS?\b", re.IGNORECASE)
_COLON = re.compile(r"[ \t]*:")
_CLASSIFIED_BY_TEXT = re.compile(r"CLASSIFIED\s+BY\s*:?", re.IGNORECASE)
_TOKEN = re.compile(r"[ \t]+(\S+)")
_URL_NEXT_LINE = re.compile(r"[ \t]*\n[ \t]*([a-z0-9][^\s]*[./][^\s]*)[ \t]*(?=\n|$)")
_STARS = re.compile(r"\*{3,}")
_FRAME_LINE = re.compile(r"[ \t]*\n[ \t]*[-=*]{3,}[-=* \t]*(?=\n|$)")
_SIGNATURE_TAIL = re.compile(r"[ \t]*(?:\.|##)?[ \t]*\\?")
_BLANK_LINE = re.compile(r"\n[ \t\\]*\n")
_PILCROW = re.compile("¶")
#: A line that opens like a banner (spaced letters or a level word), for glued captions.
_BANNER_START = re.compile(r"[ \t]*(?:[A-Z] ){4}|[ \t]*(?:UNCLAS|CONFIDENTIAL|SECRET)")

# Blanks around an optional token are written so that each blank is matched one way only
# (``[ \t]*(?:¶[ \t]*)?``, not ``[ \t]*¶?[ \t]*``): a long run of blanks then fails in linear time.
_ANY_KEYWORD = re.compile(
    r"[ \t]*(?:¶[ \t]*)?(?:E\.?[ \t]?O|TAG|SUBJ|REF|\(|CLASSIFIED|DERIVED)", re.IGNORECASE
)


_SUBJECT_OR_TAGS = re.compile(r"[ \t]*(?:TAG|SUBJ)", re.IGNORECASE)


def _zone_end(body: str) -> int:
    """Where :data:`_ZONE_END` first matches in ``body`` (its length if nowhere), found as the
    first match of each alternative: the pilcrow by its literal, the line-start ones only up to
    the end of the line where the first is known to stand by then (no alternative matches
    across a line break), the glued "1" only where a "1" stands."""
    m = _ZONE_END_PILCROW.search(body)
    best = m.start() if m else len(body)
    stop = body.find("\n", best)
    m = _ZONE_END_AT_LINE.search(body, 0, len(body) if stop < 0 else stop)
    if m and m.start() < best:
        best = m.start()
    pos = body.find("1", 2, best)
    while pos >= 0:
        if _ZONE_END_GLUED.match(body, pos):
            return pos
        pos = body.find("1", pos + 1, best)
    return best


def _keyword_at(text: str) -> tuple[str, int] | None:
    """The keyword kind a line starts with and where its text begins (E.O.: the keyword)."""
    if not _ANY_KEYWORD.match(text):
        return None
    for kind, rx in _KEYWORD_AT_LINE.items():
        m = rx.match(text)
        if m:
            lead = len(text) - len(text.lstrip(" \t¶"))
            return kind, (lead if kind == "eo" else m.end())
    return None


def _zone_cuts(body: str, lines: list[Line], zone_end: int, digits: bytes) -> set[int]:
    """Offsets where lines of the preamble zone are cut: glued keywords, page breaks, tabs
    (``digits``: the body's :func:`digit_mask`)."""
    cuts: set[int] = set()
    zone = body[:zone_end]
    first_at: dict[str, int] = {}
    for kind, rx in _KEYWORD_GLUED.items():
        m = rx.search(zone)
        if m:
            first_at[kind] = m.start()
    later = [first_at[k] for k in ("tags", "subject") if k in first_at]
    for kind, pos in first_at.items():
        if kind == "eo" and later and pos > min(later):
            continue
        line_start = body.rfind("\n", 0, pos) + 1
        if body[line_start:pos].strip(" \t¶"):
            cuts.add(pos)
    if "classified_by" in first_at:
        cb = first_at["classified_by"]
        line_end = body.find("\n", cb)
        line_end = min(len(body) if line_end < 0 else line_end, zone_end)
        prose = _MARKED_PROSE.search(body, cb, line_end)
        if prose:
            cuts.add(prose.start())
        dashes = _GLUED_DASHES.search(body, cb, line_end)
        if dashes:
            cuts.add(dashes.end())
    # an inline page break holds eight digits in a row
    breaks = PAGE_BREAK_INLINE.finditer(zone) if digits.find(b"0" * 8, 0, zone_end) >= 0 else ()
    for m in breaks:
        ls = body.rfind("\n", 0, m.start()) + 1
        le = body.find("\n", m.end())
        le = len(body) if le < 0 else le
        if body[ls : m.start()].strip():
            cuts.add(m.start())
        if body[m.end() : le].strip():
            cuts.add(m.end())
    if 0 < zone_end < len(body) and body[zone_end - 1] != "\n":
        cuts.add(zone_end)
    for line in lines:
        if line.start >= zone_end:
            break
        text = line.text(body)
        if "\t" in text:
            tab = text.rfind("\t")
            if banner_match(text[tab + 1 :]):
                cuts.add(line.start + tab + 1)
        if _BANNER_START.match(text) and banner_match(text) is None:
            for m in _GLUED_CAPTION.finditer(text):
                cuts.add(line.start + m.end())
    # a cut must not fall on a line start or end already
    return {c for c in cuts if 0 < c < len(body) and body[c - 1] != "\n" and body[c] != "\n"}


@dataclass
class _Preamble:
    end: int = 0
    banner_lines: list[int] = field(default_factory=list)
    caption_lines: list[list[int]] = field(default_factory=list)
    header_lines: list[int] = field(default_factory=list)
    blocks: list[tuple[str, list[int]]] = field(default_factory=list)
    removed_lines: list[int] = field(default_factory=list)
    text_start: dict[int, int] = field(default_factory=dict)  # line -> offset of keyword text


def _strip_tail(text: str) -> str:
    # without a backslash the pattern has nothing to remove
    return _BACKSLASH.sub("", text).strip() if "\\" in text else text.strip()


def _ref_like(text: str, after_blank: bool) -> bool:
    s = _strip_tail(text)
    if not s or len(s) > 100:
        return False
    if _NUMBERS_ONLY.fullmatch(s):
        return any(ch.isdigit() for ch in s)
    has_digit = any(ch.isdigit() for ch in s)
    tokens = s.split()
    if _REF_LABEL.match(s) and has_digit and len(tokens) <= 12:
        return True
    m = BLOCK_MARKING.match(s)
    if m and len(m.group("m")) > 1:
        return False
    upper = not any(c.islower() for c in s)
    if after_blank:
        return has_digit and len(tokens) <= 8 and len(s) <= 60 and upper
    return (has_digit and len(tokens) <= 8) or (upper and len(s) <= 60)


def _classified_continues(prev: str, text: str) -> bool:
    s = _strip_tail(text)
    if not s or len(s) > 120 or is_dash_line(s):
        return False
    m = BLOCK_MARKING.match(s)
    if m and not (len(m.group("m")) == 1 and m.group("m") in "ABCDEFGH" and len(s) <= 30):
        return False
    pm = PARA_START.match(s)
    if pm and (pm.group("sep") or pm.group("mark")) and not _REASON_START.match(s):
        return False
    if s[0].islower() or s[0].isdigit() or _REASON_START.match(s) or _AND_OR.match(s):
        return True
    p = _strip_tail(prev)
    if p.endswith((",", ";", "(", "/")) or _REASON_WORD.search(s):
        return True
    return bool(p) and p[-1] not in ".)" and not heading_like(s)


def _parse_preamble(
    body: str, lines: list[Line], zone_end: int, first: int = 0, banner_at: int | None = None
) -> _Preamble:
    """Read the banner, captions and keyword blocks from line ``first`` on (``banner_at``:
    the banner line, when already known)."""
    pre = _Preamble()
    n = len(lines)
    limit = bisect.bisect_left(lines, zone_end, key=_line_start)
    start = banner_at + 1 if banner_at is not None else first
    first_kw = next(
        (i for i in range(start, limit) if _keyword_at(lines[i].text(body)) is not None), None
    )
    if banner_at is not None:
        banner_idx: int | None = banner_at
    else:
        if first_kw is not None:
            search_to = first_kw
        else:
            filled = [i for i in range(first, limit) if not lines[i].is_blank(body)]
            search_to = filled[2] + 1 if len(filled) > 2 else limit
        banner_idx = next(
            (i for i in range(first, search_to) if banner_match(lines[i].text(body))), None
        )
    head_to = (
        banner_idx if banner_idx is not None else (first_kw if first_kw is not None else first)
    )
    pre.header_lines = [i for i in range(first, head_to) if not lines[i].is_blank(body)]
    last = head_to - 1 if pre.header_lines else first - 1
    if banner_idx is not None:
        pre.banner_lines.append(banner_idx)
        last = banner_idx
        cap_to = first_kw if first_kw is not None else limit
        for i in range(banner_idx + 1, cap_to):
            text = lines[i].text(body)
            if not _strip_tail(text):
                continue
            if banner_match(text):
                pre.banner_lines.append(i)
            elif is_page_break(text):
                pre.removed_lines.append(i)
            elif first_kw is None and not _caption_like(text):
                break
            elif pre.caption_lines and _strip_tail(
                lines[pre.caption_lines[-1][-1]].text(body)
            ).endswith(","):
                pre.caption_lines[-1].append(i)
            else:
                pre.caption_lines.append([i])
            last = i
    if first_kw is None:
        pre.end = lines[last].end if last >= 0 else (lines[first].start if first < n else 0)
        return pre
    i = first_kw
    blanks = 0
    kind: str | None = None
    count = 0
    while i < limit:
        text = lines[i].text(body)
        if not _strip_tail(text):
            blanks += 1
            i += 1
            continue
        kw = _keyword_at(text)
        if kw is not None:
            kind = kw[0]
            pre.blocks.append((kind, [i]))
            pre.text_start[i] = lines[i].start + kw[1]
            count = 0
        elif (
            is_page_break(text)
            or banner_match(text)
            or PAGE_HEADER.fullmatch(text)
            or _DATE_LINE.fullmatch(text.strip())
        ):
            pre.removed_lines.append(i)
            i += 1
            continue
        elif _CAPTION_WORD.fullmatch(_strip_tail(text)):
            pre.caption_lines.append([i])
        elif kind is not None and (
            _continues(body, lines, pre.blocks[-1][1], kind, text, blanks, count)
            or (kind == "ref" and len(text) <= 80 and _keyword_follows(body, lines, i, limit))
        ):
            pre.blocks[-1][1].append(i)
            count += 1
        else:
            break
        last = i
        blanks = 0
        i += 1
    pre.end = lines[last].end
    return pre


def _keyword_follows(body: str, lines: list[Line], i: int, limit: int) -> bool:
    """A keyword line follows within the next two lines of text (so line ``i`` still
    belongs to the preamble: an odd REF or caption continuation)."""
    seen = 0
    for j in range(i + 1, limit):
        text = lines[j].text(body)
        if not _strip_tail(text):
            continue
        if _keyword_at(text) is not None:
            return True
        pm = PARA_START.match(text)
        if pm and (pm.group("sep") or pm.group("mark")):
            return False
        seen += 1
        if seen >= 2:
            return False
    return False


def _caption_like(text: str) -> bool:
    s = _strip_tail(text)
    return bool(s) and len(s) <= 80 and not any(ch.islower() for ch in s) and s[-1] not in ".!?"


def _continues(
    body: str, lines: list[Line], block: list[int], kind: str, text: str, blanks: int, count: int
) -> bool:
    prev = lines[block[-1]].text(body)
    s = _strip_tail(text)
    if kind == "ref":
        return count < 8 and blanks <= 1 and _ref_like(text, blanks > 0)
    if blanks:
        return False
    if kind == "eo":
        datelike = s[:1].isdigit() or s.upper().startswith("DECL")
        short_caps = len(s) <= 40 and not any(c.islower() for c in s)
        return count < 1 and (datelike or (short_caps and _strip_tail(prev).endswith((":", ","))))
    if kind == "tags":
        return count < 2 and _TAG_LIST.fullmatch(s) is not None and not _CAPTION_WORD.match(s)
    if kind == "subject":
        if count >= 3 or is_dash_line(s) or is_punct_line(s) or banner_match(s):
            return False
        if _DATE_LINE.fullmatch(s):
            return False
        pm = PARA_START.match(s)
        if pm and (pm.group("sep") or pm.group("mark")):
            return False
        m = BLOCK_MARKING.match(s)
        return not (m and len(m.group("m")) > 1)
    if kind in ("classified_by", "derived_from"):
        return count < 3 and _classified_continues(prev, text)
    return False


# ---------------------------------------------------------------------------------------------
# Appended cable, signature and trailer

_ID_LINE = re.compile(r"[ \t]*\d{2}[A-Z]{3,}\d+[ \t]*")
_BANNER_IN_LINE = re.compile(
    r"(?:S E C R E T|C O N F I D E N T I A L|U N C L A S S I F I E D|UNCLAS(?:SIFIED)?"
    r"|CONFIDENTIAL|SECRET)(?:[ \t]+SECTION[ \t]+\d+[ \t]+OF[ \t]+\d+)?"
    r"[ \t]+[A-Z][A-Z .'/-]*?[ \t]+(?P<n>\d{3,})\b"
)


@dataclass(frozen=True)
class _Second:
    """A second preamble after the first one: a repeat of this cable or another cable."""

    kind: str  # "repeat" or "appended"
    start: int  # where the text that is not this cable's body begins
    banner_line: int  # the line holding the second banner


def _subject_or_tags_lines(
    body: str, lines: list[Line], first: int, lowered: bytes | None
) -> list[int]:
    """The indices, from ``first`` on, of the lines that open with the letters TAG or SUBJ (in
    any case) after blanks (what :data:`_SUBJECT_OR_TAGS` matches), found where ``lowered``
    (the body's :func:`_ascii_lowered`) reads them rather than by trying every line."""
    if first >= len(lines):
        return []
    if lowered is None or "\u017f" in body:  # the long s matches "S" in any case
        return [
            i
            for i in range(first, len(lines))
            if _SUBJECT_OR_TAGS.match(body, lines[i].start, lines[i].end)
        ]
    found: set[int] = set()
    for word in (b"tag", b"subj"):
        pos = lowered.find(word, lines[first].start)
        while pos >= 0:
            k = bisect.bisect_right(lines, pos, key=_line_start) - 1
            line = lines[k]
            if pos + len(word) <= line.end and not body[line.start : pos].strip(" \t"):
                found.add(k)
            pos = lowered.find(word, pos + 1)
    return sorted(found)


def _find_second(
    body: str,
    lines: list[Line],
    pre: _Preamble,
    first_banner: str | None,
    lowered: bytes | None,
) -> _Second | None:
    """A second banner with its own SUBJECT or TAGS after the preamble: a repeated (complete)
    preamble of the same cable, as mirror pages print after a cut preview, or the start of
    an unrelated cable pasted after this one (``lowered``: the body's :func:`_ascii_lowered`)."""
    if not pre.blocks:
        return None
    own = banner_number(first_banner) if first_banner else None
    idx = range(bisect.bisect_left(lines, pre.end, key=_line_start), len(lines))
    # a SUBJECT or TAGS line opens with those letters (in any case) after blanks
    for i in _subject_or_tags_lines(body, lines, idx.start, lowered):
        k = i - idx.start
        kw = _keyword_at(lines[i].text(body))
        if kw is None or kw[0] not in ("subject", "tags"):
            continue
        for j in idx[max(0, k - 15) : k + 1][::-1]:
            bm = _BANNER_IN_LINE.search(lines[j].text(body))
            if bm is None:
                continue
            number = int(bm.group("n"))
            if own is not None and number == own:
                if _ZONE_END.search(body[pre.end : lines[j].start]):
                    return None  # a later section's header inside the body
                return _Second("repeat", lines[j].start, j)
            start = j
            for m in idx[max(0, idx.index(j) - 3) : idx.index(j)][::-1]:
                if _ID_LINE.fullmatch(lines[m].text(body)):
                    start = m
            between = body[pre.end : lines[start].start]
            if not _ZONE_END.search(between):
                first_text = next((m for m in idx if not lines[m].is_blank(body)), start)
                start = min(start, first_text)
            return _Second("appended", lines[start].start, j)
        return None
    return None


_UP_NAME = r"[A-Z][A-Z'’.-]*[A-Z]"
_MIXED_NAME = r"(?:Mc|Mac|Le|La|De|Di|Du|Van|O['’])?[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)?"
_SIGNER_ALONE = re.compile(
    r"[ \t]*(?P<n>" + _UP_NAME + r"(?:[ \t]+" + _UP_NAME + r"){0,2}"
    r"|" + _MIXED_NAME + r"(?:[ \t]+" + _MIXED_NAME + r")?)"
    r"[ \t]*(?:\.|##)?[ \t]*\\?[ \t]*"
)
_SIGNER_GLUED = [
    # "... END TEXT. BAKER", "... CONSIDERED.  EAGLETON", "CLINTON UNQUOTE CLINTON"
    re.compile(
        r"(?:(?<=[.!?\"”')\]])[ \t]+|[ \t]{2,}|(?<=UNQUOTE)[ \t]+)"
        r"(?P<n>" + _UP_NAME + r"(?:[ \t]" + _UP_NAME + r")?)[ \t]*\.?[ \t]*\\?[ \t]*$"
    ),
    # "... in Nativ Ha’asara.KURTZER"
    re.compile(r"(?<=[a-z]\.)(?P<n>[A-Z]{4,})[ \t]*$"),
    # "... report as warranted. McMullen"
    re.compile(r"(?<=[.!?\"”)])[ \t]+(?P<n>" + _MIXED_NAME + r")[ \t]*\\?[ \t]*$"),
    # "... Treasury DAS Nancy Lee KENNY", "... at xxxxxxxxxxxx CHRITTON"
    re.compile(r"(?<=[a-z])[ \t](?P<n>[A-Z]{5,})[ \t]*$"),
]
#: Words that end a cable text but are not a signature (and common acronyms).
_NOT_NAMES = frozenset(
    re.split(
        r"\s+",
        """END TEXT COMMENT SUMMARY QUOTE UNQUOTE NNNN BT SIPDIS NOFORN CONFIDENTIAL SECRET
        UNCLASSIFIED UNCLAS SENSITIVE REGARDS THANKS MINIMIZE CONSIDERED NOTE FYI ACTION INFO
        REF TAGS SUBJECT THE A AN IN ON OF TO AND OR FOR BY AT AS IS IT BE WE US USG YYY OK NO
        YES LIMITED OFFICIAL USE EXDIS NODIS LIMDIS CLASSIFIED PRT BEGIN ENDS CABLE SECTION PAGE
        USAID UNHCR ASEAN OSCE NATO OPEC UNSC IAEA UNDP UNICEF INTERPOL EUCOM CENTCOM AFRICOM
        SOUTHCOM PACOM NORTHCOM MINUSTAH UNMIK UNAMA ISAF""".strip(),
    )
)
_URL = r"\(?https?://\S+"
_BOILERPLATE = re.compile(
    r"(?:Please[ \t]+)?[Vv]isit[ \t]+(?:"
    r"[^\n]{0,80}?Classified[ \t]+Web[ \t]*[Ss]ite(?:[ \t]+at)?[ \t]*[:;]?(?:\s*(?P<url>"
    + _URL
    + r"))?"
    r"|[^\n]{0,80}?[ \t]at[ \t]*:?\s*(?P<url2>" + _URL + r"))"
    r"(?:\s+and\s(?:[^\n]|\n(?![ \t]*\n)){0,120}?\sat\s+" + _URL + r")*"
)
_BOILERPLATE_LEAD = re.compile(r"[^\n]{0,80}\bvisit:?[ \t]*|[ \t]*[*=]{3,}[ \t*=]*", re.IGNORECASE)
_BOILERPLATE_BEFORE = re.compile(r"(?:[\"“*][ \t*\"“]*)$")
_BOILERPLATE_MORE = re.compile(r"[ \t]*(?:\*{3,}|[Xx]{5,}\**(?:[ \t]+[a-z]{1,4}\b)?)")
_URL_TAIL = re.compile(r"[a-z0-9_./?=&%#:\"”<>-]+|.*[_/].*")
_CAMEL = re.compile(r"(?P<tail>[a-z]+)(?P<n>[A-Z][A-Za-z'’-]+)")
# Searched along a line: starting only where a run of blanks starts keeps the same leftmost match
# and makes a long run of blanks fail in linear time.
_TAIL_DEBRIS = re.compile(
    r"(?<![ \t])(?:[ \t]+(?:NNNN|BT)\b.*|[ \t]+\d{4}[A-Z]{3,}\d+[ \t]*-.*|(?:[ \t]++[\d/:.-]++)++|[ \t]*[\"”])"
    r"[ \t]*$"
)
_TRAILER_DEBRIS = [
    re.compile(p)
    for p in (
        r"[ \t]*[>\"”'*]+[ \t]*",
        r"[ \t]*(?:NNNN|BT)[ \t]*",
        r".*SELECT \* FROM .*",
        r"[^@\n]{1,60}[ \t]@[ \t][^@\n]{1,60}",
        r"[ \t]*Declassified/Released\b.*",
        r"[ \t]*Review[ \t]+\d{1,2}[ \t]+[A-Z]{3}[ \t]+\d{4}[ \t]*",
        r"[ \t]*NOTE BY [A-Z/]+:.*",
        r"[ \t]*NOTE: NOT PASSED.*",
        r"[ \t]*\d{4}[A-Z]{3,}\d+[ \t]*-[ \t]*.*",
        r"[ \t]*[=*]{3,}[^\n]*[=*]{3,}[ \t]*",
        r"[ \t]*\*[^\n]*\*[ \t]*",
        # comment forms of blogs that repost cables
        r"[ \t]*Post a comment\b.*",
        r"[ \t]*Leave a (?:Reply|Comment)\b.*",
        r"[ \t]*Fill in your details\b.*",
        r"[ \t]*You are commenting using\b.*",
        r"[ \t]*Connecting to %s[ \t]*",
        r"[ \t]*%d bloggers like this:?[ \t]*",
        r"[ \t]*(?:WordPress\.com|Google\+|Twitter|Facebook)[ \t]+(?:Logo|photo|picture)[ \t]*",
        r"[ \t]*(?:Share this|Like this|Related)[ \t]*:?[ \t]*",
    )
]


def _trailer_debris(body: str, line: Line, tab_row: bool, digits: bytes) -> bool:
    text = line.text(body)
    if not text.strip() or is_punct_line(text):
        return True
    if any(rx.fullmatch(text) for rx in _TRAILER_DEBRIS):
        return True
    removed = removed_in_line(body, line, tab_row, digits)
    return bool(removed) and removed[0] == Span(line.start, line.end)


def _name_alone(text: str) -> str | None:
    m = _SIGNER_ALONE.fullmatch(text)
    if not m:
        return None
    words = m.group("n").split()
    if any(w.upper().strip(".") in _NOT_NAMES or redaction_only(w) for w in words):
        return None
    return m.group("n")


def _signer_in(body: str, start: int, end: int) -> Span | None:
    """The signature ending the text ``body[start:end]`` (a line or its glued end), if any."""
    text = body[start:end]
    if not text.strip():
        return None
    ls = text.rfind("\n") + 1
    line = text[ls:]
    name = _name_alone(line)
    if name:
        s = start + ls + line.index(name)
        return Span(s, s + len(name))
    for rx in _SIGNER_GLUED:
        g = rx.search(line)
        if g and not any(w.upper() in _NOT_NAMES for w in g.group("n").split()):
            return Span(start + ls + g.start("n"), start + ls + g.end("n"))
    return None


def _boilerplate(body: str, lo: int, end: int) -> Span | None:
    """The last "Visit our Classified Website" block in ``[lo, end)`` with its URL."""
    found: Span | None = None
    if body.find("isit", lo, end) < 0:
        return found  # every match holds "Visit" or "visit"
    for m in _BOILERPLATE.finditer(body, lo, end):
        start = m.start()
        ls = body.rfind("\n", lo, start) + 1
        before = _BOILERPLATE_BEFORE.search(body[ls:start].rstrip())
        if before:
            start = ls + before.start()
        for _ in range(2):
            if body[ls:start].strip() or ls <= lo:
                break
            pls = body.rfind("\n", lo, ls - 1) + 1
            if body[pls : ls - 1].strip() and _BOILERPLATE_LEAD.fullmatch(body[pls : ls - 1]):
                start = ls = pls
            else:
                break
        pos = m.end()
        line_end = body.find("\n", pos)
        line_end = len(body) if line_end < 0 else line_end
        if m.group("url") or m.group("url2"):
            for tok in _TOKEN.finditer(body[pos:line_end]):
                word = tok.group(1)
                camel = _CAMEL.fullmatch(word)
                if _URL_TAIL.fullmatch(word) and not camel:
                    pos = m.end() + tok.end()
                    continue
                if camel:
                    pos = m.end() + tok.start(1) + len(camel.group("tail"))
                break
            nxt = _URL_NEXT_LINE.match(body, pos)
            if nxt and not body[pos:line_end].strip() and _name_alone(nxt.group(1)) is None:
                pos = nxt.end(1)
        more = _BOILERPLATE_MORE.match(body, pos)
        while more:
            pos = more.end()
            more = _BOILERPLATE_MORE.match(body, pos)
        stars = [x.end() for x in _STARS.finditer(body[pos:end])]
        if stars:
            pos += stars[-1]
        frame = _FRAME_LINE.match(body, pos, end)
        if frame:
            pos = frame.end()
        found = Span(start, min(pos, end))
    return found


@dataclass(frozen=True)
class _Trailer:
    body_end: int
    signer: str | None = None
    signature: Span | None = None
    boilerplate: Span | None = None
    trailer: Span | None = None


def _line_start(line: Line) -> int:
    return line.start


def _line_end(line: Line) -> int:
    return line.end


def _lines_meeting(lines: list[Line], lo: int, hi: int) -> range:
    """The indices of the lines that meet ``[lo, hi)`` (``end > lo`` and ``start < hi``):
    the starts and the ends of lines never go back, so they are a range found by bisection."""
    return range(
        bisect.bisect_right(lines, lo, key=_line_end),
        bisect.bisect_left(lines, hi, key=_line_start),
    )


def _find_trailer(
    body: str, lines: list[Line], lo: int, hi: int, tab_row: bool, digits: bytes
) -> _Trailer:
    """The signature, post boilerplate and trailing debris at the end of ``[lo, hi)``."""
    # the lines inside [lo, hi): lines come in order, their starts and ends never go back
    idx = range(
        bisect.bisect_left(lines, lo, key=_line_start),
        bisect.bisect_right(lines, hi, key=_line_end),
    )
    k = len(idx) - 1
    while k >= 0 and _trailer_debris(body, lines[idx[k]], tab_row, digits):
        k -= 1
    if k < 0:
        return _Trailer(hi)
    if k > 0 and lines[idx[k]].text(body).rstrip().endswith("..."):
        j = k - 1
        while j >= 0 and lines[idx[j]].is_blank(body):
            j -= 1
        if j >= 0 and _name_alone(lines[idx[j]].text(body)):
            k = j
    last = lines[idx[k]]
    tail = _TAIL_DEBRIS.search(last.text(body))
    last_end = last.start + tail.start() if tail and tail.start() > 0 else last.end
    window = lines[idx[max(0, k - 8)]].start
    bp = _boilerplate(body, window, last_end)
    if bp is not None:
        after = [t for t in body[bp.end : last_end].split("\n") if t.strip()]
        if len(after) > 1:
            bp = None
    sig: Span | None = None
    if bp is not None:
        rest = body[bp.end : last_end]
        if rest.strip():
            sig = _signer_in(body, bp.end, last_end)
            if sig is not None and body[bp.end : sig.start].strip():
                sig = None
        else:
            before_end = len(body[: bp.start].rstrip())
            before_start = max(lo, body.rfind("\n", lo, before_end) + 1)
            sig = _signer_in(body, before_start, before_end)
    else:
        sig = _signer_in(body, last.start, last_end)
    if sig is not None:
        sig = Span(sig.start, _skip_sig_tail(body, sig.end, last_end))
    done = max([x.end for x in (sig, bp) if x is not None] + [last_end])
    rest_text = body[done:hi]
    trailer = None
    if rest_text.strip():
        trailer = _tight(body, done, hi)
    starts = [x.start for x in (sig, bp) if x is not None]
    body_end = min(starts) if starts else (trailer.start if trailer else hi)
    signer = body[sig.start : sig.end].rstrip(".#\\ \t") if sig else None
    return _Trailer(body_end, signer, sig, bp, trailer)


def _skip_sig_tail(body: str, pos: int, end: int) -> int:
    """Extend a signature span over its trailing ``.``/``##``/backslash."""
    m = _SIGNATURE_TAIL.match(body, pos, end)
    stop = m.end() if m else pos
    return pos + len(body[pos:stop].rstrip())


# ---------------------------------------------------------------------------------------------
# Paragraphs


@dataclass(frozen=True)
class _Zone:
    body: str
    lines: list[Line]
    lo: int
    hi: int
    removed: list[Span]
    tab_row: bool

    @functools.cached_property
    def line_idx(self) -> range:
        """The indices of the lines that meet ``[lo, hi)`` (worked out once)."""
        return _lines_meeting(self.lines, self.lo, self.hi)

    def fully_removed(self, line: Line) -> bool:
        hit = covering(self.removed, line.start)
        return line.start >= line.end or (hit is not None and line.end <= hit.end)

    def content(self, line: Line) -> bool:
        if line.is_blank(self.body) or self.fully_removed(line):
            return False
        return bool(cut(self.body, line.start, line.end, self.removed).strip())


def _zone_removed(
    body: str, lines: list[Line], lo: int, hi: int, tab_row: bool, digits: bytes
) -> list[Span]:
    removed: list[Span] = []
    idx = _lines_meeting(lines, lo, hi)
    in_zone = idx
    whole: set[int] = set()
    for i in idx:
        spans = removed_in_line(body, lines[i], tab_row, digits)
        if spans and spans[0] == Span(lines[i].start, lines[i].end):
            whole.add(i)
        removed.extend(spans)
    for i in list(whole):
        if not is_page_break(lines[i].text(body)):
            continue
        for j in (i - 1, i + 1):
            if j in in_zone and j not in whole and is_dash_line(lines[j].text(body)):
                removed.append(Span(lines[j].start, lines[j].end))
    return merge_spans([Span(max(r.start, lo), min(r.end, hi)) for r in removed])


def _newlines(zone: _Zone, a: int, b: int) -> int:
    """Line breaks between two lines; a removed page break in between counts as one gap."""
    n = zone.body.count("\n", a, b)
    if n > 2 and overlapping(zone.removed, a, b):
        return 2
    return n


def _start_lines(zone: _Zone, idx: list[int], starts: list[Start]) -> dict[int, bool]:
    """For each content line (``idx``, in order): whether a paragraph start stands on it with
    only blanks or dashes before it. Content lines do not overlap, so each start is looked
    up on the one line that holds it."""
    found = dict.fromkeys(idx, False)
    line_starts = [zone.lines[i].start for i in idx]
    for st in starts:
        k = bisect.bisect_right(line_starts, st.start) - 1
        if k < 0:
            continue
        line = zone.lines[idx[k]]
        if st.start >= max(line.end, line.start + 1) or found[idx[k]]:
            continue
        before = cut(zone.body, line.start, st.start, zone.removed)
        if not before.strip() or is_dash_line(before):
            found[idx[k]] = True
    return found


def _headings(zone: _Zone, starts: list[Start]) -> list[Span]:
    """Section headings of the paragraph zone (dash-framed, flattened or short lines)."""
    body = zone.body
    # the lines with cable text, and that text (removed spans cut out), taken once
    idx: list[int] = []
    texts: dict[int, str] = {}
    removed = zone.removed
    r = 0  # the first removed span that ends after the line's start (lines come in order)
    for i in zone.line_idx:
        line = zone.lines[i]
        while r < len(removed) and removed[r].end <= line.start:
            r += 1
        if r == len(removed) or removed[r].start >= line.end:
            content = body[line.start : line.end]
        else:
            content = cut(body, line.start, line.end, removed)
        if content and not content.isspace():
            idx.append(i)
            texts[i] = content
    first_start = starts[0].start if starts else zone.hi
    is_start = _start_lines(zone, idx, starts)
    heads: dict[int, bool] = {}
    text = texts.__getitem__
    plain_like: dict[int, bool] = {}

    def like(i: int) -> bool:
        """``heading_like`` of content line ``i`` (asked of most lines twice), worked out once."""
        found = plain_like.get(i)
        if found is None:
            found = plain_like[i] = heading_like(texts[i])
        return found

    def next_ok(k: int) -> bool:
        """What follows content line idx[k] allows a heading before it."""
        if k + 1 >= len(idx):
            return not starts
        j = idx[k + 1]
        if is_start[j] or is_dash_line(text(j)) or flat_heading(text(j)):
            return True
        if zone.lines[j].start < first_start:
            return True
        return (
            k + 2 < len(idx)
            and (like(j) or redaction_only(text(j)))
            and (is_dash_line(text(idx[k + 2])) or is_start[idx[k + 2]])
        )

    for k, i in enumerate(idx):
        t = text(i)
        if is_start[i]:
            continue
        # a dash line or a flat heading holds "-", "=", "_" or a Unicode dash (not ASCII)
        dashes = "-" in t or "=" in t or "_" in t or not t.isascii()
        if dashes and is_dash_line(t):
            overline = (
                k + 2 < len(idx)
                and (
                    heading_like(text(idx[k + 1]), framed=True) or redaction_only(text(idx[k + 1]))
                )
                and is_dash_line(text(idx[k + 2]))
            )
            if overline and k > 0:
                j = idx[k - 1]
                loose = body.count("\n", zone.lines[j].end, zone.lines[i].start) >= 2
                framed_above = (
                    k >= 2
                    and not loose
                    and heading_like(text(j), framed=True)
                    and is_dash_line(text(idx[k - 2]))
                )
                overline = not framed_above and (
                    loose or heads.get(j, False) or _ends_sentence(text(j))
                )
            if (
                not overline
                and k + 2 < len(idx)
                and (like(idx[k + 1]) or redaction_only(text(idx[k + 1])))
                and is_start[idx[k + 2]]
                and not (
                    k > 0
                    and body.count("\n", zone.lines[idx[k - 1]].end, zone.lines[i].start) < 2
                    and heading_like(text(idx[k - 1]), framed=True)
                )
            ):
                heads[i] = True
                heads[idx[k + 1]] = True
                continue
            if overline or not next_ok(k):
                continue
            above: list[int] = []
            m = k - 1
            while m >= 0:
                j = idx[m]
                tj = text(j)
                blank_lines = _newlines(zone, zone.lines[j].end, zone.lines[idx[m + 1]].start)
                if is_start[j] or blank_lines > 2 or (above and blank_lines > 1):
                    break
                if is_dash_line(tj):
                    if above:
                        heads[j] = True
                    break
                if len(above) == 2:
                    break
                framed = redaction_only(tj) and (
                    not above or (m > 0 and is_dash_line(text(idx[m - 1])))
                )
                if not (heading_like(tj, allow_comma=True, framed=True) or framed):
                    break
                above.append(j)
                m -= 1
            if above and m >= 0 and not heads.get(idx[m], False):
                top = above[-1]
                j = idx[m]
                tight = body.count("\n", zone.lines[j].end, zone.lines[top].start) < 2
                if tight and not is_dash_line(text(j)) and not _ends_sentence(text(j)):
                    above = []
            if above or zone.lines[i].start < first_start:
                heads[i] = True
                for j in above:
                    heads[j] = True
            continue
        if dashes and flat_heading(t) and next_ok(k):
            heads[i] = True
            continue
        before = body.count("\n", zone.lines[idx[k - 1]].end, zone.lines[i].start) if k else 2
        if zone.lines[i].start < first_start:
            label_only = _LABEL_ONLY.fullmatch(t) is not None
            if not (like(i) or label_only):
                continue
            after = (
                body.count("\n", zone.lines[i].end, zone.lines[idx[k + 1]].start)
                if k + 1 < len(idx)
                else 2
            )
            alone = before >= 2 and (after >= 2 or (k + 1 < len(idx) and is_start[idx[k + 1]]))
            if alone and (label_only or len(t.split()) <= 10) and not _END_MARK.search(t):
                heads[i] = True
            continue
        # After the first paragraph start a heading is heading-like (a bare label is not
        # enough) and follows a sentence end, a blank line or another heading; the cheap
        # tests go first.
        prev_ok = (
            k == 0
            or before >= 2
            or heads.get(idx[k - 1], False)
            or _ends_sentence(text(idx[k - 1]))
        )
        if prev_ok and k + 1 < len(idx) and like(i) and next_ok(k) and not _END_WORD.match(t):
            heads[i] = True
    spans: list[Span] = []
    for i in sorted(heads):
        sp = _tight(body, zone.lines[i].start, zone.lines[i].end)
        if (
            spans
            and not body[spans[-1].end : sp.start].strip()
            and body.count("\n", spans[-1].end, sp.start) <= 2
        ):
            spans[-1] = Span(spans[-1].start, sp.end)
        else:
            spans.append(sp)
    # dashes printed before a run-on paragraph number
    idx_starts = [zone.lines[i].start for i in idx]
    for st in starts:
        at = bisect.bisect_right(idx_starts, st.start) - 1
        hit = zone.lines[idx[at]] if at >= 0 else None
        if hit is not None and st.start < hit.end:
            lead = body[hit.start : st.start]
            if lead.strip() and is_dash_line(lead):
                spans.append(_tight(body, hit.start, st.start))
    return sorted(spans, key=lambda h: h.start)


_LABEL_ONLY = re.compile(
    r"[ \t]*(?:\([A-Z/ ]{1,12}\)[ \t]*)?(?:SUMMARY|COMMENT|BACKGROUND|INTRODUCTION)"
    r"(?:[ \t]+(?:AND|&)[ \t]+[A-Z]+)?[ \t]*[.:]?[ \t]*",
    re.IGNORECASE,
)
_END_MARK = re.compile(r"\bEND[ \t]+(?:OF[ \t]+)?(?:SUMMARY|COMMENT|TEXT)\b", re.IGNORECASE)
_END_WORD = re.compile(r"[ \t]*END\b", re.IGNORECASE)


def _ends_sentence(text: str) -> bool:
    s = text.rstrip()
    return not s or s[-1] in ".!?:\"”')]"


def _trim_end(zone: _Zone, start: int, end: int) -> int:
    """The end of the last cable text in ``[start, end)``: no trailing space, removed or
    punctuation-only lines."""
    body = zone.body
    pos = end
    while pos > start:
        while pos > start and body[pos - 1].isspace():
            pos -= 1
        r = covering(zone.removed, pos - 1)
        if r is not None:
            pos = max(r.start, start)
            continue
        ls = body.rfind("\n", start, pos) + 1
        ls = max(ls, start)
        seg = body[ls:pos]
        if is_punct_line(seg) and ls > start:
            pos = ls
            continue
        break
    return pos


def _para(
    zone: _Zone, start: int, text_start: int, end: int, number: str | None, marking: str | None
) -> Paragraph:
    removed = tuple(
        Span(max(r.start, start), min(r.end, end)) for r in overlapping(zone.removed, start, end)
    )
    text = fold(cut(zone.body, text_start, end, removed))
    return Paragraph(number, marking, text, Span(start, end), removed)


def _cover_index(spans: list[Span]) -> tuple[list[int], list[int]]:
    """The starts of ``spans`` in order and the running maximum of their ends, so that
    :func:`_covered` asks "does a span hold this offset?" with one bisection."""
    ordered = sorted(spans, key=_span_start)
    return [sp.start for sp in ordered], list(itertools.accumulate((sp.end for sp in ordered), max))


def _covered(index: tuple[list[int], list[int]], pos: int) -> bool:
    """Some span of the :func:`_cover_index` holds ``pos`` (``start <= pos < end``)."""
    starts, ends = index
    k = bisect.bisect_right(starts, pos)
    return k > 0 and ends[k - 1] > pos


def _span_start(span: Span) -> int:
    return span.start


def _blocks(zone: _Zone, lo: int, hi: int, heads: list[Span]) -> list[tuple[int, int]]:
    """Blank-line separated blocks of cable text in ``[lo, hi)``, headings left out."""
    body = zone.body
    blocks: list[list[Line]] = []
    prev_end: int | None = None
    in_head = _cover_index(heads)
    for i in zone.line_idx:
        ln = zone.lines[i]
        if ln.end <= lo or ln.start >= hi:
            continue
        ln = Line(max(ln.start, lo), min(ln.end, hi))
        if not zone.content(ln) or is_punct_line(body[ln.start : ln.end]):
            continue
        text = body[ln.start : ln.end]
        if _covered(in_head, ln.start + (len(text) - len(text.lstrip()))):
            prev_end = None
            continue
        gap = body[prev_end : ln.start] if prev_end is not None else "\n\n"
        joined = prev_end is not None and gap.count("\n") < 2
        if not joined and blocks and prev_end is not None:
            last_text = cut(body, blocks[-1][-1].start, blocks[-1][-1].end, zone.removed).rstrip()
            between = cut(body, prev_end, ln.start, zone.removed)
            if (
                not between.strip()
                and any(r.start >= prev_end for r in overlapping(zone.removed, prev_end, ln.start))
                and last_text
                and last_text[-1] not in '.!?:"”'
            ):
                joined = True
        if joined:
            blocks[-1].append(ln)
        else:
            blocks.append([ln])
        prev_end = ln.end
    out = []
    for b in blocks:
        s = _content_start(zone, b[0].start, b[-1].end)
        out.append((s, _trim_end(zone, s, b[-1].end)))
    return out


def _content_start(zone: _Zone, start: int, end: int) -> int:
    """The first offset in ``[start, end)`` that is neither white space nor removed."""
    pos = start
    while pos < end:
        r = covering(zone.removed, pos)
        if r is not None:
            pos = r.end
        elif zone.body[pos].isspace():
            pos += 1
        else:
            break
    return pos


_HANDLING_NOTICE = re.compile(
    r"[^\n]{0,40}\b(?:SENSITIVE BUT UNCLASSIFIED|HANDLE ACCORDINGLY|PROTECT ACCORDINGLY"
    r"|NOT FOR (?:INTERNET|PUBLIC) DISTRIBUTION)\b[^\n]{0,80}",
    re.IGNORECASE,
)


def _notices(zone: _Zone, lo: int, hi: int, heads: list[Span]) -> list[Span]:
    """One-line handling notices before the first paragraph ("Sensitive but unclassified.
    Please handle accordingly."): captions, not paragraphs."""
    return [
        Span(s, e)
        for s, e in _blocks(zone, lo, hi, heads)
        if "\n" not in zone.body[s:e] and _HANDLING_NOTICE.fullmatch(zone.body[s:e])
    ]


def _unnumbered(zone: _Zone, lo: int, hi: int, heads: list[Span]) -> list[Paragraph]:
    paras: list[Paragraph] = []
    for s, e in _blocks(zone, lo, hi, heads):
        m = BLOCK_MARKING.match(zone.body, s, e)
        marking = normalize_marking(m.group("m")) if m else None
        ts = m.end() if m else s
        paras.append(_para(zone, s, ts, e, None, marking))
    return paras


def _has_lower(body: str, start: int, end: int) -> bool:
    """``body[start:end]`` holds a lower-case letter."""
    return any(ch.islower() for ch in body[start:end])


def _numbered(
    zone: _Zone, starts: list[Start], heads: list[Span]
) -> tuple[list[Paragraph], list[Span]]:
    body = zone.body
    paras: list[Paragraph] = []
    extra_heads: list[Span] = []
    bounds = sorted({st.start for st in starts} | {h.start for h in heads} | {zone.hi})
    head_at: dict[int, Span] = {}
    for head in heads:
        head_at.setdefault(head.start, head)
    for st in starts:
        nxt = bounds[bisect.bisect_right(bounds, st.start)]
        end = _trim_end(zone, st.body_start, nxt)
        end = max(end, st.body_start)
        followed = nxt < zone.hi
        dash_head = head_at.get(nxt)
        look_end = end
        if (
            dash_head is not None
            and is_dash_line(body[dash_head.start : dash_head.end])
            and not body[end : dash_head.start].strip()
            and "\n" not in body[end : dash_head.start]
        ):
            look_end = dash_head.end
        if followed and end > st.body_start:
            ls = body.rfind("\n", st.body_start, end) + 1
            ls = max(ls, st.body_start)
            line_text = body[ls:look_end]
            h = trailing_heading(line_text, functools.partial(_has_lower, body, st.body_start, end))
            if h is not None and ls + h < end:
                hs = ls + h
                hs += len(body[hs:end]) - len(body[hs:end].lstrip())
                extra_heads.append(Span(hs, end))
                end = _trim_end(zone, st.body_start, hs)
        para = _para(zone, st.start, st.body_start, end, st.number, st.marking)
        if para.text or para.marking:
            paras.append(para)
    return paras, extra_heads


# ---------------------------------------------------------------------------------------------
# Summary and comment

_SUMMARY_LABEL = re.compile(
    r"[ \t]*(?:BEGIN[ \t]+)?SUMMARY(?:[ \t]*(?:AND|&|/)[ \t]*[A-Z][A-Za-z ]*?)?[ \t]*(?:[:.-]|$)",
    re.IGNORECASE,
)
_SUMMARY_HEADING = re.compile(r"[-=\s\u2010-\u2015]*(?:BEGIN\s+)?SUMMARY\b", re.IGNORECASE)
_END_SUMMARY = re.compile(r"\bEND\s+(?:OF\s+)?SUMMARY\b", re.IGNORECASE)
_COMMENT_LABEL = re.compile(
    r"[ \t]*(?:BEGIN[ \t]+)?COMMENT(?:[ \t]*(?:AND|&|/)[ \t]*[A-Z][A-Za-z ]*?)?[ \t]*(?:[:.-]|$)",
    re.IGNORECASE,
)
_CONT = re.compile(r"cont", re.IGNORECASE)
_CONTINUED_LABEL = re.compile(
    r"[ \t]*(?:SUMMARY|COMMENT)[ \t]+CONT(?:INUED|\.|D)?[ \t]*[:.]", re.IGNORECASE
)
_COMMENT_CONTINUED = re.compile(r"[ \t]*COMMENT[ \t]+CONT(?:INUED|\.|D)?[ \t]*[:.]", re.IGNORECASE)
_COMMENT_HEADING = re.compile(r"[-=\s\u2010-\u2015]*COMMENT\b", re.IGNORECASE)
_END_COMMENT = re.compile(r"\bEND\s+(?:OF\s+)?COMMENT\b", re.IGNORECASE)


def _prefix(p: Paragraph, body: str) -> int:
    """Where a paragraph's text begins (after its number and marking)."""
    if p.number is None and p.marking is None:
        return p.span.start
    raw = body[p.span.start : min(p.span.end, p.span.start + 120)]
    if p.number is not None:
        m = PARA_START.match(raw)
        if m:
            return p.span.start + m.end()
    m2 = BLOCK_MARKING.match(raw)
    return p.span.start + (m2.end() if m2 else 0)


def _extract(
    body: str, a: int, b: int, paras: list[Paragraph], text_starts: list[int], excluded: list[Span]
) -> str:
    skip = list(excluded)
    for p, ts in zip(paras, text_starts, strict=True):
        if a < p.span.start < b:
            label = _CONTINUED_LABEL.match(body, ts, p.span.end)
            skip.append(Span(p.span.start, label.end() if label else ts))
        skip.extend(p.removed)
    return fold(cut(body, a, b, merge_spans([s for s in skip if s.end > a and s.start < b])))


def _end_marks(
    ender: re.Pattern[str], body: str, lowered: bytes | None, lo: int, hi: int
) -> list[re.Match[str]]:
    """``list(ender.finditer(body, lo, hi))`` for an end mark that begins with the word END in
    any case (``lowered``: :func:`_ascii_lowered` of the body). The pattern is tried only where
    ``lowered`` reads "end", not at every offset (a case-blind pattern has no fast scan)."""
    if lowered is None:
        return list(ender.finditer(body, lo, hi))
    marks: list[re.Match[str]] = []
    pos = lowered.find(b"end", lo, hi)
    while pos >= 0:
        m = ender.match(body, pos, hi)
        if m:
            marks.append(m)
            pos = lowered.find(b"end", m.end(), hi)
        else:
            pos = lowered.find(b"end", pos + 1, hi)
    return marks


def _ascii_lowered(body: str) -> bytes | None:
    """The body as one byte per character, ASCII letters in lower case and every other
    character ``?``: where it reads "end" the body reads END in some case (no character
    outside ASCII lowers to "e", "n" or "d"). Much cheaper than ``body.lower()`` on a body
    that is not ASCII. ``None`` when the body holds U+0130, the one character that lowers to
    two (a case-blind pattern may then match it as "i" at an offset the bytes do not tell)."""
    if "\u0130" in body:
        return None
    return body.encode("ascii", "replace").lower()


def _label_end(rx: re.Pattern[str], body: str, pos: int, end: int) -> int | None:
    m = rx.match(body, pos, end)
    if not m:
        return None
    e = m.end()
    mk = BLOCK_MARKING.match(body, e, end)
    return mk.end() if mk else e


def _first_block_end(body: str, start: int, end: int) -> int:
    m = _BLANK_LINE.search(body, start, end)
    return m.start() if m else end


def _section(
    body: str,
    paras: list[Paragraph],
    heads: list[Span],
    removed: list[Span],
    label: re.Pattern[str],
    heading: re.Pattern[str],
    ender: re.Pattern[str],
    lo: int,
    hi: int,
    *,
    last_before_end: bool,
    continued: re.Pattern[str] | None = None,
    lowered: bytes | None = None,
    text_starts: list[int] | None = None,
) -> str | None:
    """The text of a labelled section (summary or comment), folded (``lowered``: the body's
    :func:`_ascii_lowered`, to find the end marks fast; ``text_starts``: the paragraphs' :func:`_prefix`)."""
    if text_starts is None:
        text_starts = [_prefix(p, body) for p in paras]
    cands: list[tuple[int, int, str]] = []  # (position, text start, kind)
    for h in heads:
        if heading.match(body, h.start, h.end) and not _CONT.search(body, h.start, h.end):
            k = next((k for k, p in enumerate(paras) if p.span.start >= h.end), None)
            if k is not None:
                ts = text_starts[k]
                le = _label_end(label, body, ts, paras[k].span.end)
                cands.append((h.start, le if le is not None else ts, "heading"))
    for p, ts in zip(paras, text_starts, strict=True):
        if continued is not None and continued.match(body, ts, p.span.end):
            continue
        le = _label_end(label, body, ts, p.span.end)
        if le is not None:
            cands.append((p.span.start, le, "label"))
    cands.sort()
    ends = _end_marks(ender, body, lowered if lowered is not None else _ascii_lowered(body), lo, hi)
    excluded = list(heads) + list(removed)
    if ends and last_before_end:
        e = ends[0].start()
        before = [c for c in cands if c[1] <= e]
        if before:
            start = before[-1][1]
        else:
            first = next((k for k, p in enumerate(paras) if p.span.start < e), None)
            if first is None:
                return None
            start = text_starts[first]
        text = _extract(body, start, e, paras, text_starts, excluded)
        return text or None
    if not cands:
        return None
    _, start, kind = cands[0]
    owner = next((p for p in paras if p.span.start <= start <= p.span.end), None)
    if owner is None:
        return None
    after = [m for m in ends if m.start() > start]
    if after:
        stop = after[0].start()
    elif kind == "heading":
        stop = next((h.start for h in heads if h.start > start), hi)
        stop = min(stop, paras[-1].span.end)
    elif continued is not None:
        stop = owner.span.end
        for p, ts in zip(paras, text_starts, strict=True):
            if p.span.start > owner.span.start and continued.match(body, ts, p.span.end):
                stop = p.span.end
    else:
        stop = _first_block_end(body, start, owner.span.end)
    text = _extract(body, start, stop, paras, text_starts, excluded)
    return text or None


# ---------------------------------------------------------------------------------------------
# Segments


def _segments(
    body: str, labelled: list[tuple[str, Span]], tab_row: bool = False
) -> tuple[tuple[str, Span], ...]:
    def kind(hole: str) -> str:
        rest = hole.replace("\\", "") if tab_row else hole
        return "gap" if not rest.strip() else "debris"

    out: list[tuple[str, Span]] = []
    pos = 0
    for label, span in sorted(labelled, key=lambda x: (x[1].start, -x[1].end)):
        s, e = max(span.start, pos), span.end
        if e <= s:
            continue
        if s > pos:
            out.append((kind(body[pos:s]), Span(pos, s)))
        out.append((label, Span(s, e)))
        pos = e
    if pos < len(body):
        out.append((kind(body[pos:]), Span(pos, len(body))))
    return tuple(out)


def _tight(body: str, start: int, end: int) -> Span:
    t = body[start:end]
    s = start + len(t) - len(t.lstrip())
    return Span(s, max(s, start + len(t.rstrip())))


def rebuild_body(layout: BodyLayout, body: str) -> str:
    """The body put back together from the layout's segments (equal to ``body`` when the
    segments are contiguous and cover it)."""
    return "".join(body[span.start : span.end] for _, span in layout.segments)


# ---------------------------------------------------------------------------------------------
# The layout


def _field(body: str, lines: list[Line], idx: list[int], start: int, removed: list[Span]) -> str:
    parts: list[str] = []
    for n, i in enumerate(idx):
        ln = lines[i]
        s = start if n == 0 else ln.start
        text = cut(body, s, ln.end, removed)
        text = _strip_tail(text)
        if text:
            parts.append(text)
    return "\n".join(parts)


def _diag(
    code: str,
    message: str,
    hint: str,
    severity: Severity = Severity.INFO,
    line: int | None = None,
) -> Diagnostic:
    return Diagnostic(severity=severity, code=code, message=message, line=line, hint=hint)


def _line_no(raw_lines: list[Line], pos: int) -> int:
    """The 1-based line of offset ``pos``, given the body's lines between its line breaks
    (:func:`split_lines` without cuts): a bisection, not a count of the newlines before it,
    which would take quadratic time for a diagnostic on each of many lines."""
    return bisect.bisect_right(raw_lines, pos, key=_line_start)


def lay_out_body(body: str) -> tuple[BodyLayout, list[Diagnostic]]:
    """Find the preamble lines, paragraphs, headings, signature, summary and comment of a body.

    Never raises; what looks odd is reported as diagnostics (``body.*`` codes) whose ``line``
    is the 1-based line within the body: ``body.empty``, ``body.no-paragraphs``,
    ``body.appended-text``, ``body.preamble-repeated``, ``body.paragraph-number-gap`` and
    ``body.paragraph-number-repeat``.
    """
    diags: list[Diagnostic] = []
    if not body.strip():
        layout = BodyLayout(
            None, (), None, None, None, None, None, (), None, None, None, _segments(body, [])
        )
        return layout, [
            _diag(
                "body.empty",
                "the cable body is empty",
                "nothing to lay out; check the reader's body split",
            )
        ]
    digits = digit_mask(body)
    raw_lines = split_lines(body)
    zone_end = _zone_end(body)
    cuts = _zone_cuts(body, raw_lines, zone_end, digits)
    lines = split_lines(body, cuts) if cuts else raw_lines
    tab_row = tab_row_body(body, lines)
    pre = _parse_preamble(body, lines, zone_end)
    labelled: list[tuple[str, Span]] = []

    def label_line(label: str, i: int) -> None:
        ln = lines[i]
        sp = _tight(body, ln.start, ln.end)
        if sp.end > sp.start:
            labelled.append((label, sp))

    banner_texts = [_strip_tail(lines[i].text(body)) for i in pre.banner_lines]
    banner = "\n".join(banner_texts) if banner_texts else None
    captions = tuple(
        " ".join(_strip_tail(lines[i].text(body)) for i in group) for group in pre.caption_lines
    )
    lowered = _ascii_lowered(body)
    second = _find_second(body, lines, pre, banner_texts[0] if banner_texts else None, lowered)
    preambles = [pre]
    hi = len(body)
    if second is not None and second.kind == "repeat":
        again = _parse_preamble(body, lines, zone_end, banner_at=second.banner_line)
        gap_end = lines[second.banner_line].start
        if body[pre.end : gap_end].strip():
            labelled.append(("header", _tight(body, pre.end, gap_end)))
        preambles.append(again)
        diags.append(
            _diag(
                "body.preamble-repeated",
                f"the preamble is printed again at body line {_line_no(raw_lines, gap_end)}",
                "the fields are read from the second, complete copy",
                line=_line_no(raw_lines, gap_end),
            )
        )
    elif second is not None:
        hi = second.start
        labelled.append(("appended", _tight(body, hi, len(body))))
        diags.append(
            _diag(
                "body.appended-text",
                f"another cable's text begins at body line {_line_no(raw_lines, hi)}",
                "only the text before it is laid out as this cable",
                Severity.WARNING,
                line=_line_no(raw_lines, hi),
            )
        )
    fields: dict[str, str] = {}
    for pa in preambles:
        for i in pa.header_lines:
            label_line("header", i)
        for i in pa.banner_lines:
            label_line("banner", i)
        for group in pa.caption_lines:
            for i in group:
                label_line("caption", i)
        for i in pa.removed_lines:
            label_line("removed", i)
        pre_removed: list[Span] = []
        for kind, idx in pa.blocks:
            for i in idx:
                spans = removed_in_line(body, lines[i], tab_row, digits)
                pre_removed.extend(x for x in spans if x != Span(lines[i].start, lines[i].end))
                label_line(kind, i)
        seen: set[str] = set()
        for kind, idx in pa.blocks:
            if kind in seen:
                continue
            seen.add(kind)
            first = lines[idx[0]]
            start = pa.text_start.get(idx[0], first.start)
            if kind != "eo":
                colon = _COLON.match(body[start : first.end])
                if colon:
                    start += colon.end()
            fields[kind] = _field(body, lines, idx, start, merge_spans(pre_removed))
    lo = min(max(p.end for p in preambles), hi)
    tr = _find_trailer(body, lines, lo, hi, tab_row, digits)
    if tr.boilerplate:
        labelled.append(("boilerplate", _tight(body, tr.boilerplate.start, tr.boilerplate.end)))
    if tr.signature:
        labelled.append(("signature", tr.signature))
    if tr.trailer:
        labelled.append(("trailer", tr.trailer))
    body_end = tr.body_end
    removed = _zone_removed(body, lines, lo, body_end, tab_row, digits)
    zone = _Zone(body, lines, lo, body_end, removed, tab_row)
    cands = find_candidates(body, lines, (lo, body_end), removed, digits)
    starts, notes = accept_starts(cands)
    for pos, kind, expected, printed in notes:
        word = "skips" if kind == "gap" else "repeats or goes back"
        diags.append(
            _diag(
                f"body.paragraph-number-{kind}",
                f"paragraph numbering {word} at body line {_line_no(raw_lines, pos)}: "
                f"expected {expected}, found {printed}",
                "the number is kept as printed",
                line=_line_no(raw_lines, pos),
            )
        )
    # pilcrows outside the number prefixes of the starts (which are in order and disjoint)
    prefix_at = [st.start for st in starts]
    strays = []
    for pilcrow in _PILCROW.finditer(body[:body_end]):
        at = pilcrow.start()
        k = bisect.bisect_right(prefix_at, at) - 1
        if at >= lo and not (k >= 0 and at < starts[k].body_start):
            strays.append(Span(at, pilcrow.end()))
    if strays:
        zone = _Zone(body, lines, lo, body_end, merge_spans(removed + strays), tab_row)
    heads = _headings(zone, starts)
    first_start = starts[0].start if starts else body_end
    notices = _notices(zone, lo, first_start, heads)
    for n in notices:
        labelled.append(("caption", n))
    captions = captions + tuple(fold(body[n.start : n.end]) for n in notices)
    paras = _unnumbered(zone, lo, first_start, heads + notices)
    numbered, extra_heads = _numbered(zone, starts, heads)
    paras.extend(numbered)
    heads = sorted(heads + extra_heads, key=lambda h: h.start)
    if not paras:
        diags.append(
            _diag(
                "body.no-paragraphs",
                "no paragraph found in the body",
                "expected numbered paragraphs or text blocks after the preamble",
                Severity.WARNING,
            )
        )
    for p in paras:
        labelled.append(("paragraph", p.span))
    in_para = _cover_index([p.span for p in paras])
    for h in heads:
        if not _covered(in_para, h.start):
            labelled.append(("heading", h))
    for r in removed:
        if body[r.start : r.end].replace("\\", "").strip() and not _covered(in_para, r.start):
            labelled.append(("removed", r))
    # the lines inside [lo, body_end): lines come in order, their starts and ends never go back
    for ln in lines[
        bisect.bisect_left(lines, lo, key=_line_start) : bisect.bisect_right(
            lines, body_end, key=_line_end
        )
    ]:
        if (
            lo <= ln.start
            and ln.end <= body_end
            and is_punct_line(body[ln.start : ln.end])
            and not _covered(in_para, ln.start)
        ):
            labelled.append(("debris", _tight(body, ln.start, ln.end)))
    text_starts = [_prefix(p, body) for p in paras]
    summary = _section(
        body,
        paras,
        heads,
        removed,
        _SUMMARY_LABEL,
        _SUMMARY_HEADING,
        _END_SUMMARY,
        lo,
        body_end,
        last_before_end=True,
        lowered=lowered,
        text_starts=text_starts,
    )
    comment = _section(
        body,
        paras,
        heads,
        removed,
        _COMMENT_LABEL,
        _COMMENT_HEADING,
        _END_COMMENT,
        lo,
        body_end,
        last_before_end=False,
        continued=_COMMENT_CONTINUED,
        lowered=lowered,
        text_starts=text_starts,
    )
    classified_by = fields.get("classified_by")
    if classified_by is None and paras:
        m = _CLASSIFIED_BY_TEXT.search(paras[0].text)
        if m and m.start() < 5:
            classified_by = paras[0].text[m.end() :].strip()
    layout = BodyLayout(
        banner=banner,
        captions=captions,
        eo_text=fields.get("eo"),
        tags_text=fields.get("tags"),
        subject_text=fields.get("subject"),
        ref_text=fields.get("ref"),
        classified_by_text=classified_by,
        paragraphs=tuple(paras),
        signer=tr.signer,
        summary=summary,
        comment=comment,
        segments=_segments(body, labelled, tab_row),
    )
    return layout, diags
