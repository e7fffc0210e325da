"""The small fields of the cable preamble: TAGS, SUBJECT, the E.O. line, Classified By.

Each parser takes the field's text (its keyword may be left on), continuation lines included,
and stops at the next field's keyword, a blank line, or a page break it finds on the way.
They never raise.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass

_MAX_FIELD = 3000  # a preamble field is never longer; the rest of a longer text is ignored

# -- shared cleaning --------------------------------------------------------------------


def _spaced(word: str) -> str:
    return r"\s?".join(word)


_BANNER = "|".join(_spaced(w) for w in ("UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "UNCLAS"))
# a repeated page head: "C O N F I D E N T I A L MOSCOW 001704 ..." (the rest of its line)
_BANNER_LINE = re.compile(rf"(?im)^[ \t]*(?:{_BANNER})\b[^\n]*?\b0\d{{5}}\b[^\n]*$")
# a printout page head: "CONFIDENTIAL PAGE 02 ROME 01196 01 OF 02 082030Z"
_PAGE_HEADER = re.compile(
    r"(?i)(?:\b(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)\s+)?"
    r"\bPAGE\s+\d{2,3}\s+[A-Z][A-Z .'-]*?\s+\d{5,6}\s+(?:\d{2}\s+OF\s+\d{2}\s+)?\d{6}Z\b"
)
# a page break of the cable viewer: "PRETORIA 00000954  001.2 OF 004"
_PAGE_MARKER = re.compile(
    r"(?i)\b(?:[A-Z][A-Z'.-]*[ \t]+){1,4}0\d{7}\s+\d{3}(?:\.\d+)?\s+OF\s+\d{3}\b"
)
_NUMERIC_ENTITY = re.compile(r"&#(?:(\d{1,7})|[xX]([0-9A-Fa-f]{1,6}));")
_ESCAPED_LINE_END = re.compile(r"[ \t]*\\[ \t]*(?=\n|$)")
_TAG_SEPARATORS = re.compile(r"[\s,;]+")
_HYPHEN_END = re.compile(r"\w-$")
_SLASH = re.compile(r"\s*/\s*")
_WHO_LEAD = re.compile(r"^\s*(?:\(\s*[A-Z/]{1,5}\s*\)|\d\.)\s*", re.IGNORECASE)
_THIS_MESSAGE = re.compile(r"(?i)^\s*this message (?:is )?classified by\s*:?")
_INITIAL_END = re.compile(r"(?i)(?:\b[A-Z]|\bJR|\bSR|\bA\.I)\.$")
_NOT_WHO = re.compile(r"(?i)^(?:SECTION|REASONS?|E\.?\s?O\.?)\b")
_REASONS_STOP = re.compile(r"[A-Ha-h)]\s*\.\s")


def _entity(m: re.Match[str]) -> str:
    code = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
    return chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else m.group(0)


def strip_page_debris(text: str) -> str:
    """Remove page heads and page-break markers; each becomes a line break."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPED_LINE_END.sub("", text)  # line ends escaped with a backslash
    for pattern in (_BANNER_LINE, _PAGE_HEADER, _PAGE_MARKER):
        text = pattern.sub("\n", text)
    return text


def _fold(text: str) -> str:
    return " ".join(text.split())


# -- TAGS -------------------------------------------------------------------------------

_TAGS_KEYWORD = re.compile(r"(?i)^\s*(?:TAGS?\b)?\s*[:;,.]?")
# the next field, maybe glued to the last tag when line breaks were lost ("IRSUBJECT:")
_AFTER_TAGS = re.compile(
    r"(?i)(?:SUBJECT|SUBJ|E\.\s?O\.|REFS?|REFTELS?|CLASSIFIED\s+BY)\s*:"
    r"|(?m:^[ \t]*(?:SUBJECT|SUBJ|E\.?\s?O\.?\s+1\d{4})\b)"
    r"|\n[ \t]*\n"
)
_SUBJECT_CODE = re.compile(r"^[ACEKMOPST][A-Z]{3}$")


_CAPTIONS = frozenset({"SIPDIS", "NOFORN", "EXDIS", "NODIS", "LIMDIS"})
_CODE_LINE = re.compile(r"^[\s,;]*(?:[A-Z][A-Z0-9/&-]*[\s,;]*)+$")


def parse_tags(text: str) -> tuple[str, ...]:
    """TAGS in printed order, upper case, each once; split on spaces and commas.

    A next line continues the TAGS when the line before ends with a comma or when it holds
    only upper-case codes. Handling captions (``SIPDIS``) are not tags. A token glued from
    tags of the same line (``VTPREL`` beside ``VT`` and ``PREL``) is split; so is a run of
    three or more codes whose space was lost (``ETRDEINVECINPGOVCS``), when every piece has
    the shape of a four-letter subject code and the run may end in a two-letter country.
    """
    text = _TAGS_KEYWORD.sub("", text[:_MAX_FIELD], count=1)
    m = _AFTER_TAGS.search(text)
    if m:
        text = text[: m.start()]
    lines = [ln for ln in strip_page_debris(text).split("\n") if ln.strip()]
    kept = lines[:1]
    for line in lines[1:]:
        if not (kept[-1].rstrip().endswith(",") or _CODE_LINE.match(line)):
            break
        kept.append(line)
    tokens = [
        t
        for raw in _TAG_SEPARATORS.split(" ".join(kept).upper())
        if (t := raw.strip(".:;()'\"")) and any(c.isalnum() for c in t)
    ]
    seen = set(tokens)
    tags: list[str] = []
    for token in tokens:
        for tag in _split_glued(token, seen - {token}):
            if tag not in tags and tag not in _CAPTIONS:
                tags.append(tag)
    return tuple(tags)


def _split_glued(token: str, others: set[str]) -> list[str]:
    parts = _split_known(token, others)
    if parts:
        return parts
    if not token.isalpha() or len(token) < 12:
        return [token]
    body, tail = (token, "") if len(token) % 4 == 0 else (token[:-2], token[-2:])
    if len(body) % 4:
        return [token]
    pieces = [body[i : i + 4] for i in range(0, len(body), 4)]
    if all(_SUBJECT_CODE.match(p) for p in pieces):
        return pieces + ([tail] if tail else [])
    return [token]


def _split_known(token: str, others: set[str]) -> list[str] | None:
    """``token`` as two or more of ``others`` glued together, or None (word break)."""
    if len(token) > 40:
        return None
    best: list[list[str] | None] = [[]] + [None] * len(token)
    for end in range(2, len(token) + 1):
        for start in range(end - 2, -1, -1):
            head = best[start]
            if head is not None and token[start:end] in others:
                best[end] = [*head, token[start:end]]
                break
    found = best[len(token)]
    return found if found is not None and len(found) >= 2 else None


# -- SUBJECT ----------------------------------------------------------------------------

_SUBJECT_KEYWORD = re.compile(r"(?i)^\s*(?:S?UBJ(?:ECT)?\s*:|:)")
_SUBJECT_STOP_LINE = re.compile(
    r"(?i)^[ \t]*(?:REF(?:S|TELS?|\(S\)|ERENCES?)?\b|CLASSIFIED\s+BY\b|E\.?\s?O\.?\s+1\d{4}"
    r"|TAGS\b|SUMMARY\b|¶|\(?\d{1,2}\s*[.)]|\([A-Z/ ]{1,10}\)\s|-{3,}|={3,}|_{3,}"
    r"|SENSITIVE BUT UNCLASSIFIED|C O R R E C T E D|BEGIN SUMMARY|PAGE\s+\d"
    r"|(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)[ \t]*$)"
)
_SUBJECT_STOP_INLINE = re.compile(
    r"(?i)REF(?:S|TELS?|\(S\))?\s*:|CLASSIFIED\s+BY\b|(?<=\s)SENSITIVE\s+BUT\b"
    r"|(?<=\s)¶?\d{1,2}\.\s*\((?:U|C|S|SBU)\)"
)
_MARKING = re.compile(
    r"^\(\s*((?:U|C|S|TS|SBU|FOUO|LOU|CUI)(?:\s*/{1,2}\s*[A-Z][A-Z ]{0,12}?)?)\s*\)\s*",
    re.IGNORECASE,
)


def parse_subject(text: str) -> tuple[str | None, str | None]:
    """(subject without its portion marking, the marking upper case) from SUBJECT text."""
    text = _NUMERIC_ENTITY.sub(_entity, text[:_MAX_FIELD])
    text = _SUBJECT_KEYWORD.sub("", text, count=1)
    text = strip_page_debris(text)
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    kept: list[str] = []
    for i, line in enumerate(lines):
        if not line.strip():
            break
        if i > 0 and _SUBJECT_STOP_LINE.match(line):
            break
        if i > 0 and _mostly_upper(" ".join(kept)) and _mostly_lower(line):
            break  # a sentence after an upper-case subject ("This is an action request.")
        kept.append(line)
    joined = ""
    for line in kept:
        glue = "" if _HYPHEN_END.search(joined) else " "
        joined = (joined.rstrip() + glue + line.strip()) if joined else line.strip()
    m = _SUBJECT_STOP_INLINE.search(joined)
    if m and m.start() > 0:
        joined = joined[: m.start()]
    subject = _fold(joined)
    marking: str | None = None
    mk = _MARKING.match(subject)
    if mk:
        marking = _SLASH.sub("/", _fold(mk.group(1))).upper()
        subject = subject[mk.end() :]
    subject = subject.strip()
    return (subject or None), marking


def _mostly_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 8 and sum(c.isupper() for c in letters) >= 0.9 * len(letters)


def _mostly_lower(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 8 and sum(c.islower() for c in letters) >= 0.6 * len(letters)


# -- E.O. line and DECL date ------------------------------------------------------------

# Executive orders that govern classification: 12065 (1978), 12356 (1982), 12958 (1995),
# 13292 (2003, amending 12958), 13526 (2009).
_EXECUTIVE_ORDERS = frozenset({"12065", "12356", "12958", "13292", "13526"})
_EO_NUMBER = re.compile(r"(?i)\bE\.?\s?O\.?\s*:?\s*(\d{4,5})\b")
_DECL = re.compile(r"(?i)\bDECL(?:ASSIFY)?\b\s*(?:ON)?\s*[:.]?")


@dataclass(frozen=True)
class EOLine:
    """The E.O. line: ``E.O. 12958: DECL: 08/18/2036``."""

    eo: str | None  # the executive order as printed: "12958", "13526"; None when unreadable
    declassify_on: str | None  # YYYY-MM-DD
    raw: str  # the line as given, white space folded


def parse_eo_line(text: str) -> EOLine:
    """Read the executive order and the declassification date of an E.O. line."""
    text = text[:_MAX_FIELD]
    m = _EO_NUMBER.search(text)
    eo = m.group(1) if m and m.group(1) in _EXECUTIVE_ORDERS else None
    d = _DECL.search(text)
    declassify_on = parse_decl_date(text[d.end() :]) if d else None
    return EOLine(eo, declassify_on, _fold(text))


_MDY = re.compile(r"(?<![\d/])(\d{1,2})\s?/\s?(\d{1,2})\s?/\s?(\d{4}|\d{2})(?![\d/])")
_YMD = re.compile(r"(?<![\d/])(\d{4})\s?[/-]\s?(\d{1,2})\s?[/-]\s?(\d{1,2})(?![\d/])")
_NOT_A_DATE = re.compile(r"(?i)\b(?:N/?A|OADR|GDS|AS AMENDED|DECLASSIFIED)\b")


def parse_decl_date(text: str) -> str | None:
    """The DECL date as ``YYYY-MM-DD``: ``08/18/2036``, `` 9/24/2019``, ``12/20/07``,
    ``2035/01/07``. None for ``N/A``, ``OADR``, ``GDS``, notes, and impossible dates."""
    head = text.strip()[:40]
    lead = _NOT_A_DATE.match(head)
    if lead:
        return None
    for pattern, order in ((_YMD, "ymd"), (_MDY, "mdy")):
        m = pattern.search(head)
        if m is None:
            continue
        if _NOT_A_DATE.search(head[: m.start()]):
            return None
        a, b, c = (int(g) for g in m.groups())
        year, month, day = (a, b, c) if order == "ymd" else (c, a, b)
        if len(m.group(3 if order == "mdy" else 1)) == 2:
            year += 2000 if year < 70 else 1900
        try:
            return dt.date(year, month, day).isoformat()
        except ValueError:
            return None
    return None


# -- Classified By ----------------------------------------------------------------------

_WRAP_WIDTH = 71  # the cable viewer hard-wraps body lines at this width, even mid-word
_CLASSIFIED_BY = re.compile(r"(?i)\bCLASS?I?F?I?E?D\s*BY\b\s*:?")
_SECTION = re.compile(r"(?i)(?<![\d.])1\s*[.,]\s*([1-6])(?!\d)")
_REASON_WORD = r"(?:reasons?|rea?sons?|resons?|reaons?|raesons?|reas)"
_WHO_END = re.compile(
    r"(?i)\b(?:for|fr|f0r|per)\s+(?:for\s+)?(?:the\s+)?r[eason]{0,6}\b"
    rf"|\b{_REASON_WORD}\b"
    r"|\b(?:for|per|under|due\s+to|based\s+(?:on|upon))\s+"
    r"(?:E\.?\s?O\.?|section|1\s*[.,]\s*[1-6]|12958|13526)"
    r"|\bE\.?\s?O\.?\s*:?\s*1\d{4}"
    r"|(?<![\d.])1\s*[.,]\s*[1-6]\s*(?:\(|[A-H]\b|\.)"
    r"|\n[ \t]*\n"
    r"|(?<=\s)(?:¶\s*)?\d\s*\.\s*\((?:U|C|S|SBU)\)"
)
_WHO_TRAIL = re.compile(r"(?i)[\s,;:-]+(?:(?:for|fr|per)(?:\s+r[eason]{0,6})?)?\s*$")
_LETTERS = re.compile(r"(?i)(?<![A-Z])([A-H])(?![A-Z])")
_REASON_EXPR = re.compile(r"(?i)(?:[\s(),/&+.]|\bAND\b|\bOR\b|(?<![A-Z])[A-H](?![A-Z]))+")


def _unwrap(text: str) -> str:
    """Join lines the viewer wrapped mid-word: a full-width line and a next line that goes on."""
    lines = text.split("\n")
    out = lines[0] if lines else ""
    for prev, line in itertools.pairwise(lines):
        if (
            len(prev.rstrip()) >= _WRAP_WIDTH
            and prev.rstrip()[-1:].isalnum()
            and line[:1].isalnum()
        ):
            out = out.rstrip() + line
        else:
            out += "\n" + line
    return out


def parse_classified_by(text: str) -> tuple[str | None, tuple[str, ...]]:
    """(who classified, as printed; the section 1.4/1.5 reason letters, lower case)."""
    text = _unwrap(strip_page_debris(text[:_MAX_FIELD]))
    who_text = text
    first_section = _SECTION.search(text)
    limit = first_section.start() if first_section else len(text)
    keywords = [m for m in _CLASSIFIED_BY.finditer(text) if m.start() < limit]
    if keywords:
        who_text = text[keywords[-1].end() :]  # "Classified By: Classified by DCM ..."
    who = _who(who_text)
    return who, _reasons(text)


def _who(text: str) -> str | None:
    text = _WHO_LEAD.sub("", text)
    text = _THIS_MESSAGE.sub("", text)
    m = _WHO_END.search(text)
    who = text[: m.start()] if m else text.split("\n\n")[0]
    who = _WHO_TRAIL.sub("", _fold(who).rstrip(" ,;:-"))
    if who.endswith(".") and not _INITIAL_END.search(who):
        who = _WHO_TRAIL.sub("", who[:-1])
    if not who or _NOT_WHO.match(who):
        return None
    return who


def _reasons(text: str) -> tuple[str, ...]:
    letters: list[str] = []
    for sec in _SECTION.finditer(text):
        expr = _REASON_EXPR.match(text, sec.end())
        if expr is None:
            continue
        chunk = expr.group(0)
        stop = _REASONS_STOP.search(chunk)
        if stop:
            chunk = chunk[: stop.end()]
        for letter in _LETTERS.findall(chunk):
            low = letter.lower()
            if low not in letters:
                letters.append(low)
        if letters:
            break
    return tuple(letters)
