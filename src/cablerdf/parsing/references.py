"""REF entries: split the REF block into entries, type them, resolve cables to IDs.

The input is the text after ``REF:`` (continuation lines included). Entries are split on
their labels (``A.``, ``(B)``, ``C)``, ``¶D.``, ``[E]``, ``F:``, doubled ``A. A)``) and, without
labels, on semicolons and on the start of each cited cable. A cable is a station that
:mod:`cablerdf.cable_ids` knows, followed by a number: ``06 TBILISI 0619``, ``SECSTATE 74879``,
``09CAIRO0561``, ``ASUNCION 701 (08)``, ``QUITO 4525-91``, ``STATE 41252 AND 44603``. The year
is the entry's own, else the citing cable's. Other entries are typed by their words
(e-mail, telcon, memo, meeting, airgram, document) and get no ID.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from cablerdf.cable_ids import ReferenceIndex, canonical_id, canonical_station, default_index
from cablerdf.model import Diagnostic, Reference, RefKind, Severity

_MAX_STATION_WORDS = 5
_WINDOW = 80  # how far back from a number its station and year are looked for

# -- cleaning ---------------------------------------------------------------------------

_PAGE_HEADER = re.compile(
    r"(?:(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)\s+)?"
    r"\bPAGE\s+\d{2,3}\s+[A-Z][A-Z .'-]*?\s+\d{5,6}\s+(?:\d{2}\s+OF\s+\d{2}\s+)?\d{6}Z\b"
)
_PAGE_MARKER = re.compile(r"\b(?:[A-Z][A-Z'.-]*[ \t]+){1,4}0\d{7}\s+\d{3}(?:\.\d+)?\s+OF\s+\d{3}\b")


def _spaced(word: str) -> str:
    return r"\s?".join(word)


_BANNER_LINE = re.compile(
    r"(?m)^[ \t]*(?:"
    + "|".join(_spaced(w) for w in ("UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "UNCLAS"))
    + r")\b[^\n]*?\b0\d{5}\b[^\n]*$"
)
_CLASSIFIED_BY = re.compile(r"CLASSIFIED\s+BY\b")
_LEADING_REF = re.compile(r"^\s*(?:(?:REF(?:ERENCE)?S?|REFTELS?|REF\(S\))\s*[:.]?\s*)+")


def _mask(upper: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: " " * len(m.group(0)), upper)


def _upper_same_length(text: str) -> str:
    return "".join(u if len(u := c.upper()) == 1 else c for c in text)


def _fix_digit_letters(upper: str) -> str:
    """``SANTIAG0`` -> ``SANTIAGO``, ``0TTAWA`` -> ``OTTAWA``, ``O4`` -> ``04`` (same length)."""
    chars = list(upper)
    n = len(chars)
    for i, c in enumerate(upper):
        before = upper[i - 1] if i > 0 else " "
        after = upper[i + 1] if i + 1 < n else " "
        if c == "0" and not before.isdigit() and not after.isdigit():
            if (before.isalpha() and (after.isalpha() or after.isspace())) or (
                not before.isalnum() and after.isalpha() and i + 2 < n and upper[i + 2].isalpha()
            ):
                chars[i] = "O"
        elif c == "O" and not before.isalpha() and after.isdigit():
            chars[i] = "0"
    return "".join(chars)


def _prepare(text: str) -> tuple[str, str]:
    """The text with pilcrows and line-end backslashes blanked, and its masked upper case."""
    text = text.replace("\r", " ").replace("\u00c2\u00b6", "  ").replace("\u00b6", " ")
    text = _ESCAPED_LINE_END.sub(" ", text)
    text = text.replace("\\n", "\n ")  # line breaks escaped in exported text
    upper = _upper_same_length(text)
    for pattern in (_BANNER_LINE, _PAGE_HEADER, _PAGE_MARKER):
        upper = _mask(upper, pattern)
    end = _CLASSIFIED_BY.search(upper)
    if end:  # the REF block ends where "Classified By" begins, even when glued to it
        upper = upper[: end.start()] + " " * (len(upper) - end.start())
    m = _LEADING_REF.match(upper)
    if m:
        upper = " " * m.end() + upper[m.end() :]
    upper = _fix_digit_letters(upper)
    # the original text, with the masked spans blanked too
    text = "".join(t if u != " " or t.isspace() else " " for t, u in zip(text, upper))
    return text, upper


# -- labels -----------------------------------------------------------------------------

_LABEL = re.compile(
    r"(?P<ref>REF\s+)?(?:"
    r"\((?P<p>[A-Z]|\d{1,2})\)"  # (A) (1)
    r"|\[(?P<b>[A-Z])\]"  # [A]
    r"|(?P<c>[A-Z])\.?\)"  # A) A.)
    r"|(?P<d>[A-Z])\.(?![A-Z]\.)"  # A.
    r"|(?P<e>[A-Z]):"  # A:
    r"|(?P<f>[A-Z])[ \t]+-[ \t]"  # A -
    r"|(?P<g>[A-Z])(?=[ \t]+\S)"  # A (bare)
    r")"
)


@dataclass(frozen=True)
class _Label:
    start: int
    end: int
    key: str


def _label_value(key: str) -> int:
    return int(key) if key.isascii() and key.isdigit() else ord(key[:1] or "A") - ord("A") + 1


def _find_labels(upper: str) -> list[_Label]:
    labels: list[_Label] = []
    first_text = len(upper) - len(upper.lstrip())
    pos = 0
    while True:
        m = _LABEL.search(upper, pos)
        if m is None:
            return labels
        pos = m.start() + 1
        before = upper[m.start() - 1] if m.start() > 0 else " "
        if before.isalnum() or before in "'/&-.":
            continue
        key = next(v for k, v in m.groupdict().items() if k != "ref" and v)
        weak = m.group("g") is not None
        if (m.group("p") is None and not key.isalpha()) or key.startswith("0"):
            continue  # "(01)" is a year
        value = _label_value(key)
        prev = labels[-1] if labels else None
        gap = upper[prev.end : m.start()] if prev else upper[first_text : m.start()]
        doubled = prev is not None and prev.key == key and not gap.strip()
        if doubled and prev is not None:
            labels[-1] = _Label(prev.start, m.end(), key)
            pos = m.end()
            continue
        if prev is None:
            # a list starts at A (or 1), or mid-list at the start of a line
            line_start = not upper[upper.rfind("\n", 0, m.start()) + 1 : m.start()].strip()
            expected = value == 1 or (line_start and not weak and first_text < m.start())
        elif prev.key.isdigit() != key.isdigit():
            expected = False
        else:
            expected = value == _label_value(prev.key) + 1 or (
                value == _label_value(prev.key) and not weak
            )
            # a label printed out of order ("D. GENEVA 1675 C. GENEVA 1673") right after a
            # cited number, in the A. or A) style
            if not expected and (m.group("c") or m.group("d")) and key.isalpha():
                expected = gap.rstrip()[-1:].isdigit() and upper[m.end() : m.end() + 1].isspace()
        if not expected:
            continue
        if weak:
            # a bare letter only at the start, after a separator, or after a number
            tail = gap.rstrip()
            ok = (prev is None and not gap.strip()) or (
                prev is not None
                and (not tail or tail[-1] in ";,\n" or tail[-1].isdigit() or tail[-1] in ").")
            )
            if not ok or m.group("ref"):
                continue
        if m.group("p") is not None and key.isdigit() and prev is None and value != 1:
            continue
        labels.append(_Label(m.start(), m.end(), key))
        pos = m.end()


# -- cable citations --------------------------------------------------------------------

_WORD_AT_END = re.compile(r"([A-Z][A-Z'.&]*(?:-[A-Z]+)*)[-.]?[ \t\n]*$")
_GAP_AT_END = re.compile(
    r"(?:[ \t\n#,:-]|\((?:\d{2}|[A-Z/]{1,4})\)|\b(?:CABLES?|TELS?|TELEGRAMS?|NO\.?|NR\.?)\b)*$"
)
_NUMBER = re.compile(r"\d+")
_ESCAPED_LINE_END = re.compile(r"\\(?=[ \t]*(?:\n|$))")
_YEAR_IN_PARENS = re.compile(r"\((\d{2})\)")
_FILLER = re.compile(r"\b(?:AND|ALSO|SEE|REF|'?\d{2}|\d{4})\b|[\s;,:&()'.\[\]-]")
_COMMA_OR_BREAK = re.compile(r"[,\n]")
_YEAR_BEFORE = re.compile(
    r"(?:^|(?<=[\s(:;,.)\]]))(?:'(\d{2})|\((\d{2})\)|(\d{4})|(\d{3})|(\d{2}))[\s-]*$"
)
_YEAR_AFTER = re.compile(r"^(?:-(\d{2})(?![\d/])|/(\d{2})(?![\d/])|\s*\((\d{2}|\d{4})\))")
_PADDED_YEAR_AFTER = re.compile(r"^[ \t]+(\d{2})(?=[ \t]*(?:[,;]|$))")
_CONTINUATION = re.compile(
    r"(?:\s*(?:,|&|\bAND\b)\s*(\d{1,7})|/(\d{3,7}))(?!\d|\.\d|[A-Z]|/\d{1,2}(?!\d))"
)
_NEXT_IS_CITATION = re.compile(
    r"[ \t\n]*[A-Z][A-Z'.&-]*(?:[ \t\n]+[A-Z][A-Z'.&-]*){0,4}[ \t\n#,:]*\d"
)
_DESIGNATOR = re.compile(r"(?<![A-Z'])[A-Z]{1,3}-$")
_DATE_LIKE = re.compile(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?(?![\d/])")


@dataclass(frozen=True)
class _Citation:
    start: int  # where the year or station begins
    end: int  # after the last number or year suffix
    ids: tuple[str | None, ...]
    station: str


def _year_of(groups: tuple[str | None, ...]) -> int | None:
    for g in groups:
        if g:
            y = int(g)
            if len(g) == 4:
                return y if 1940 <= y <= 2039 else None
            return y % 100
    return None


def _station_before(
    upper: str, end: int, floor: int, year: int | None, number: str, index: ReferenceIndex
) -> tuple[int, str] | None:
    """The station words ending at ``end``: (start, canonical station)."""
    words: list[tuple[int, str]] = []
    pos = end
    while len(words) < _MAX_STATION_WORDS:
        m = _WORD_AT_END.search(upper, max(floor, pos - _WINDOW), pos)
        if m is None:
            break
        words.insert(0, (m.start(1), m.group(1)))
        pos = m.start(1)
    for k in range(len(words), 0, -1):
        start = words[-k][0]
        text = " ".join(w for _, w in words[-k:])
        station = canonical_station(text, index, year=year, number=number, guess=False)
        if station is None:
            station = canonical_station(text, index, year=year, number=number)
            # "STATE CA-3400": a known station and a stray word is no misspelt station
            head = " ".join(w for _, w in words[-k:-1])
            if (
                station is not None
                and head
                and (canonical_station(head, index, guess=False) or "'S " in text + " ")
            ):
                station = None
        if station is not None:
            return start, station
    return None


def _find_citations(
    upper: str, lo: int, hi: int, year: int | None, index: ReferenceIndex
) -> list[_Citation]:
    cites: list[_Citation] = []
    floor = lo
    for m in _NUMBER.finditer(upper, lo, hi):
        if m.start() < floor:
            continue
        digits = m.group(0)
        before = upper[m.start() - 1] if m.start() > lo else " "
        after = upper[m.end()] if m.end() < hi else " "
        if len(digits.lstrip("0")) > 7 or after.isalpha() or before.isdigit() or before in "./":
            continue
        if _DESIGNATOR.search(upper, max(lo, m.start() - 4), m.start()):
            continue  # an airgram or report number: A-077, CA-3400, TD-314
        if after == "/" and _DATE_LIKE.match(upper, m.start(), hi):
            continue
        if after == "." and m.end() + 1 < hi and upper[m.end() + 1].isdigit():
            continue
        gap = _GAP_AT_END.search(upper, max(floor, m.start() - _WINDOW), m.start())
        gap_start = gap.start() if gap else m.start()
        mid_year = _YEAR_IN_PARENS.search(upper[gap_start : m.start()])
        found = _station_before(upper, gap_start, floor, year, digits, index)
        if found is None:
            continue
        st_start, station = found
        if _looks_like_year(digits) and _words_between(upper, floor, st_start):
            continue  # "INCSR BRAZIL 2008": a title with a year, not a cable
        y = _YEAR_BEFORE.search(upper, max(floor, st_start - _WINDOW), st_start)
        own_year: int | None = None
        start = st_start
        if y:
            own_year = _year_of(y.groups()[0:5])
            if own_year is not None:
                start = y.start()
        if mid_year:
            own_year = int(mid_year.group(1))
        numbers: list[tuple[str, int | None]] = []
        end = m.end()
        suffix_year, end = _year_suffix(upper, end, hi, digits)
        numbers.append((digits, suffix_year if suffix_year is not None else own_year))
        while True:
            c = _CONTINUATION.match(upper, end, hi)
            if c is None or _NEXT_IS_CITATION.match(upper, c.end(), hi):
                break  # no number, or the number is the year of the next citation
            more = c.group(1) or c.group(2)
            sy, num_end = _year_suffix(upper, c.end(), hi, more)
            numbers.append((more, sy if sy is not None else own_year))
            end = num_end
        ids = tuple(
            _make_id(station, n, y2 if y2 is not None else year, index) for n, y2 in numbers
        )
        cites.append(_Citation(start, end, ids, station))
        floor = end
    return cites


def _looks_like_year(digits: str) -> bool:
    return len(digits) == 4 and not digits.startswith("0") and 1940 <= int(digits) <= 2039


def _words_between(upper: str, lo: int, hi: int) -> bool:
    """Whether words other than a year, connectors and separators stand in ``upper[lo:hi]``."""
    rest = _FILLER.sub("", upper[lo:hi])
    return bool(rest)


def _year_suffix(upper: str, end: int, hi: int, digits: str) -> tuple[int | None, int]:
    m = _YEAR_AFTER.match(upper[end:hi])
    if m:
        return _year_of(m.groups()), end + m.end()
    if digits.startswith("0") and len(digits) >= 4:
        p = _PADDED_YEAR_AFTER.match(upper[end:hi])
        if p:
            return int(p.group(1)), end + p.end()
    return None, end


def _make_id(station: str, number: str, year: int | None, index: ReferenceIndex) -> str | None:
    if year is None or int(number) == 0:
        return None
    return canonical_id(f"{year % 100:02d}{station}{int(number)}", index)


# -- kinds ------------------------------------------------------------------------------

_KINDS: tuple[tuple[RefKind, re.Pattern[str]], ...] = (
    (RefKind.EMAIL, re.compile(r"\bE-?\s?MAILS?\b|\bEMAILED\b")),
    (RefKind.TELCON, re.compile(r"\bTELE?CONS?\b|\bTELECONFERENCE\b|\bPHONE\b|\bTELEPHONE\b")),
    (RefKind.MEMO, re.compile(r"\bMEMO(?:RANDUM|RANDA|S)?\b|\bMEMCONS?\b|\bNON-?PAPER\b")),
    (RefKind.MEETING, re.compile(r"\bMEETINGS?\b|\bMTGS?\b|\bCONVERSATIONS?\b")),
    (RefKind.AIRGRAM, re.compile(r"\bC?A-\d+|\bAIRGRAMS?\b")),
    (
        RefKind.DOCUMENT,
        re.compile(
            r"\bTDX?-\d+/|\bIIRS?\b|\bOSC\b|\b\d+/[A-Z]{1,4}/\d+|\b[A-Z]{2,4}-[A-Z]{1,3}-\d+-\d+"
            r"|\bREPORTS?\b|\bFAM\b|\bFAH\b|\bUNSCR\b|\bLETTER\b|\bDIP(?:LOMATIC)? NOTE\b"
            r"|\bDOCUMENT\b|\bSTATEMENT\b|\bMSG\b|\bMESSAGE\b|\bDTG\b|\bLIC\b"
        ),
    ),
)


def _kind_of(upper_text: str) -> RefKind:
    for kind, pattern in _KINDS:
        if pattern.search(upper_text):
            return kind
    return RefKind.OTHER


# -- entries ----------------------------------------------------------------------------

_EDGE = " \t\n,;:-&"


def _fold(text: str) -> str:
    return " ".join(text.split()).strip(_EDGE).strip()


@dataclass(frozen=True)
class _Chunk:
    label: str | None
    lo: int
    hi: int


def _chunks(upper: str) -> list[_Chunk]:
    labels = _find_labels(upper)
    chunks: list[_Chunk] = []
    first = labels[0].start if labels else len(upper)
    if upper[:first].strip():
        chunks.append(_Chunk(None, 0, first))
    for i, lab in enumerate(labels):
        hi = labels[i + 1].start if i + 1 < len(labels) else len(upper)
        chunks.append(_Chunk(lab.key, lab.end, hi))
    return chunks


def _pieces(upper: str, chunk: _Chunk, cites: list[_Citation]) -> list[tuple[int, int]]:
    """Split a chunk at semicolons, where a new citation starts, and before a typed entry."""
    bounds = sorted(
        {chunk.lo, chunk.hi}
        | {chunk.lo + i for i, ch in enumerate(upper[chunk.lo : chunk.hi]) if ch == ";"}
    )
    pieces: list[tuple[int, int]] = []
    for lo, hi in itertools.pairwise(bounds):
        starts = [c.start for c in cites if lo <= c.start < hi]
        cuts = [lo] + starts[1:]
        # a typed entry before the first citation is an entry of its own
        if starts and _kind_of(upper[lo : starts[0]]) is not RefKind.OTHER:
            cuts.append(starts[0])
        # after a citation, a comma or line break opens a typed non-cable entry
        for c in cites:
            if not lo <= c.start < hi:
                continue
            nxt = min([s for s in starts if s > c.start] + [hi])
            for m in _COMMA_OR_BREAK.finditer(upper[c.end : min(nxt, c.end + _WINDOW)]):
                tail = upper[c.end + m.end() : min(nxt, c.end + m.end() + _WINDOW)]
                if tail.strip() and _kind_of(tail) is not RefKind.OTHER:
                    cuts.append(c.end + m.start())
                    break
        cuts = sorted(set(cuts))
        pieces.extend(zip(cuts, cuts[1:] + [hi]))
    return pieces


def parse_references(
    ref_text: str,
    *,
    year: int | None,
    citing_id: str | None = None,
    index: ReferenceIndex | None = None,
) -> tuple[list[Reference], list[Diagnostic]]:
    """One :class:`Reference` per REF entry (per cited cable), self-references dropped."""
    idx = index if index is not None else default_index()
    diagnostics: list[Diagnostic] = []
    text, upper = _prepare(ref_text)
    own = canonical_id(citing_id, idx) if citing_id else None
    own_station = own[2:].rstrip("0123456789") if own else None
    refs: list[Reference] = []
    last_station: str | None = None
    for chunk in _chunks(upper):
        cites = _find_citations(upper, chunk.lo, chunk.hi, year, idx)
        for lo, hi in _pieces(upper, chunk, cites):
            printed = _fold(text[lo:hi])
            if not printed:
                continue
            inner = [c for c in cites if lo <= c.start < hi]
            if not inner:
                bare = _bare_number(
                    upper[lo:hi], year, chunk.label, last_station or own_station, idx
                )
                if bare is not None:
                    refs.append(Reference(chunk.label, printed, bare, RefKind.CABLE))
                    continue
                refs.append(Reference(chunk.label, printed, None, _kind_of(upper[lo:hi])))
                continue
            for cite in inner:
                last_station = cite.station
                for rid in cite.ids:
                    if rid is None:
                        diagnostics.append(
                            Diagnostic(
                                Severity.WARNING,
                                "references.year-missing",
                                f"REF entry {printed!r} cites a cable without a year",
                                reference_id=citing_id,
                                hint="pass the citing cable's year; the entry is kept without ID",
                            )
                        )
                    if rid is not None and rid == own:
                        continue
                    refs.append(Reference(chunk.label, printed, rid, RefKind.CABLE))
    if ref_text.strip() and not refs:
        diagnostics.append(
            Diagnostic(
                Severity.INFO,
                "references.empty",
                "REF text holds no entry",
                reference_id=citing_id,
                hint="expected entries like 'A. 06 ASTANA 395'",
            )
        )
    return refs, diagnostics


_BARE = re.compile(r"^\s*(\d{1,6})(?:[ \t]+([A-Z][A-Z' .-]*?))?[\s.,;]*$")
_AND_PREVIOUS = re.compile(r"\bAND\s+PREVIOUS\b[\s.]*$")


def _bare_number(
    piece: str, year: int | None, label: str | None, station: str | None, index: ReferenceIndex
) -> str | None:
    """A labelled entry that is only a number (``B. 2962``) or ``870 ULAANBAATAR``."""
    if len(piece) > _WINDOW:
        return None
    m = _BARE.match(_AND_PREVIOUS.sub("", piece.strip()))
    if m is None or year is None:
        return None
    if m.group(2):
        named = canonical_station(m.group(2), index, year=year, number=m.group(1))
        if named is None:
            return None
        station = named
    elif label is None:
        return None
    if station is None or int(m.group(1)) == 0:
        return None
    return canonical_id(f"{year % 100:02d}{station}{int(m.group(1))}", index)
