"""Classifications: split a printed classification, read one from a body banner, read
portion markings.

A classification has three axes (see :class:`~cablerdf.model.Classification`): the level
(UNCLASSIFIED, CONFIDENTIAL, SECRET, TOP SECRET), dissemination controls (NOFORN, FOR OFFICIAL
USE ONLY, SBU, REL ...) and State handling marks (SIPDIS, EXDIS, NODIS, LIMDIS, ...). NOFORN
is never a level.
"""

from __future__ import annotations

import re

from cablerdf.model import Classification, Level

FOUO = "FOR OFFICIAL USE ONLY"
LOU = "LIMITED OFFICIAL USE"

# Words that name a level, white space removed: "C O N F I D E N T I A L" -> "CONFIDENTIAL".
_LEVEL_WORDS: dict[str, Level] = {
    "UNCLASSIFIED": Level.UNCLASSIFIED,
    "UNCLAS": Level.UNCLASSIFIED,
    "CONFIDENTIAL": Level.CONFIDENTIAL,
    "SECRET": Level.SECRET,
    "TOPSECRET": Level.TOP_SECRET,
}
# Abbreviations of portion markings (and of some printed banners).
_LEVEL_ABBREVIATIONS: dict[str, Level] = {
    "U": Level.UNCLASSIFIED,
    "C": Level.CONFIDENTIAL,
    "S": Level.SECRET,
    "TS": Level.TOP_SECRET,
}
# Unclassified markings that carry a control of their own: "(SBU)" is U plus SBU.
_UNCLASSIFIED_WITH_CONTROL: dict[str, str] = {
    "SBU": "SBU",
    "SENSITIVEBUTUNCLASSIFIED": "SBU",
    "FOUO": FOUO,
    "FOROFFICIALUSEONLY": FOUO,
    "LOU": LOU,
    "LIMITEDOFFICIALUSE": LOU,
}
_CONTROLS: dict[str, str] = {
    "NF": "NOFORN",
    "NOFORN": "NOFORN",
    "FOUO": FOUO,
    "FOROFFICIALUSEONLY": FOUO,
    "SBU": "SBU",
    "SENSITIVEBUTUNCLASSIFIED": "SBU",
    "LOU": LOU,
    "LIMITEDOFFICIALUSE": LOU,
    "OC": "ORCON",
    "ORCON": "ORCON",
    "PROPIN": "PROPIN",
    "NOCONTRACT": "NOCONTRACT",
}
HANDLING_MARKS = ("SIPDIS", "EXDIS", "NODIS", "LIMDIS", "STADIS", "EFTO")

_SLASHES = re.compile(r"\s*/+\s*")
_BLANKS = re.compile(r"\s+")
_REL = re.compile(r"REL(?:\s+TO)?\b.*")
_MARK_WITH_DASH = re.compile(r"(SBU|U|C|S|TS)-(NF)")


def _squeeze(part: str) -> str:
    return _BLANKS.sub("", part.upper())


def _control(part: str) -> str | None:
    """The canonical name of a dissemination control, or None when it is not one."""
    folded = " ".join(part.upper().split())
    if _REL.fullmatch(folded):
        return folded
    return _CONTROLS.get(_squeeze(folded))


def _handling(part: str) -> str | None:
    squeezed = _squeeze(part)
    return squeezed if squeezed in HANDLING_MARKS else None


def _dedupe(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _split_parts(parts: list[str], abbreviations: bool) -> Classification:
    """Level from the first part, controls and handling marks from all parts."""
    level: Level | None = None
    caveats: list[str] = []
    handling: list[str] = []
    rest = parts
    if parts:
        first = _squeeze(parts[0])
        if first in _LEVEL_WORDS:
            level, rest = _LEVEL_WORDS[first], parts[1:]
        elif first in _UNCLASSIFIED_WITH_CONTROL:
            level, rest = Level.UNCLASSIFIED, parts[1:]
            caveats.append(_UNCLASSIFIED_WITH_CONTROL[first])
        elif abbreviations and first in _LEVEL_ABBREVIATIONS:
            level, rest = _LEVEL_ABBREVIATIONS[first], parts[1:]
    for part in rest:
        dash = _MARK_WITH_DASH.fullmatch(_squeeze(part))
        for piece in dash.groups() if dash else (part,):
            control = _control(piece)
            mark = _handling(piece)
            if control:
                caveats.append(control)
            elif mark:
                handling.append(mark)
    return Classification(
        printed="", level=level, caveats=_dedupe(caveats), handling=_dedupe(handling)
    )


def split_classification(printed: str) -> Classification:
    """Split a printed classification such as ``SECRET//NOFORN`` into its axes.

    ``printed`` is kept verbatim with white space folded. Parts that are neither a level, a
    known dissemination control nor a handling mark are left in ``printed`` only.
    """
    folded = " ".join(printed.split())
    parts = [p for p in _SLASHES.split(folded) if p]
    split = _split_parts(parts, abbreviations=True)
    return Classification(
        printed=folded, level=split.level, caveats=split.caveats, handling=split.handling
    )


def _marking_parts(marking: str) -> list[str]:
    inner = marking.strip().strip("()").strip()
    return [p for p in _SLASHES.split(inner) if p]


def marking_level(marking: str) -> Level | None:
    """The level of a portion marking: ``S/NF`` -> SECRET, ``SBU`` -> UNCLASSIFIED."""
    parts = _marking_parts(marking)
    if parts:
        dash = _MARK_WITH_DASH.fullmatch(_squeeze(parts[0]))
        if dash:
            parts = [dash.group(1), dash.group(2), *parts[1:]]
    return _split_parts(parts, abbreviations=True).level


def marking_caveats(marking: str) -> tuple[str, ...]:
    """The dissemination controls of a portion marking: ``S/NF`` -> ``("NOFORN",)``."""
    parts = _marking_parts(marking)
    if parts:
        dash = _MARK_WITH_DASH.fullmatch(_squeeze(parts[0]))
        if dash:
            parts = [dash.group(1), dash.group(2), *parts[1:]]
    split = _split_parts(parts, abbreviations=True)
    return split.caveats


# --- banners -------------------------------------------------------------------------------


def _spaced(word: str) -> str:
    return " ?".join(word)


_LEVEL_PATTERN = "|".join(
    [
        _spaced("TOPSECRET"),
        "UNCLASSIFIED",
        "UNCLAS",
        _spaced("CONFIDENTIAL"),
        _spaced("SECRET"),
        "LIMITED OFFICIAL USE",
    ]
)
# A banner line: level, optional captions, optional "SECTION nn OF nn", post, number.
_BANNER = re.compile(
    rf"(?P<level>{_LEVEL_PATTERN})"
    r"(?:[ ]+(?:E ?F ?T ?O|SENSITIVE|NOFORN|SIPDIS))*"
    r"(?:[ ]+SECTION[ ]+\d{1,2}[ ]+OF[ ]+\d{1,2})?"
    r"[ ]+[A-Z][A-Za-z .'-]{1,40}?[ ]?\d{1,6}",
    re.IGNORECASE,
)
# A level word alone on its line ("SECRET", "C O N F I D E N T I A L").
_LONE_LEVEL = re.compile(rf"^[ \t]*(?P<level>{_LEVEL_PATTERN})[ \t]*$", re.MULTILINE)
# Where captions end: the E.O. line, TAGS, SUBJECT, or the first numbered paragraph.
_CAPTIONS_END = re.compile(
    r"E\.\s?O\.\s*1\d{4}|\bEO\s+1\d{4}|\bTAGS\b|SUBJECT\s*:|\bSUBJ\s*:"
    r"|\bClassified\s+By\b|\bCLASSIFIED\s+BY\b|^\s*\u00b6?\s*1\s*\.",
    re.MULTILINE,
)
_CAPTION_WORD = re.compile(
    r"(?<![A-Z])(SIPDIS|NOFORN|SENSITIVE|EXDIS|NODIS|LIMDIS|STADIS|EFTO|E F T O)(?![a-z])"
)
_SEARCH_LIMIT = 4000
_CAPTION_LIMIT = 800


def looks_like_banner(line: str) -> bool:
    """Whether a line starts with a classification banner (``S E C R E T SECTION 01 OF 03
    ISLAMABAD 000428``, ``UNCLAS KINGSTON 000482``, a garbled ``SS E C R E T ...``)."""
    head = line.lstrip()[:120]
    # the leftmost match starts at 0, 1 or 2 exactly when one of these three tries matches
    if any(_BANNER.match(head, start) for start in range(3)):
        return True
    return bool(_LONE_LEVEL.fullmatch(head.rstrip()))


def classification_from_banner(text: str) -> Classification | None:
    """Read the classification from a body's banner line and its caption lines.

    ``UNCLAS`` + ``SENSITIVE`` gives ``UNCLASSIFIED//FOR OFFICIAL USE ONLY``;
    ``S E C R E T`` + ``NOFORN`` gives ``SECRET//NOFORN``; caption handling marks (SIPDIS,
    EXDIS, NODIS, LIMDIS, ...) go to ``handling``. None when no banner is found.
    """
    end_match = _CAPTIONS_END.search(text, 0, _SEARCH_LIMIT)
    region_end = end_match.start() if end_match else min(len(text), _SEARCH_LIMIT)
    banner = _BANNER.search(text, 0, region_end) or _LONE_LEVEL.search(text, 0, region_end)
    if banner is None:
        return None
    word = _squeeze(banner.group("level"))
    if word == _squeeze(LOU):
        level, caveats = Level.UNCLASSIFIED, [LOU]
    else:
        level, caveats = _LEVEL_WORDS[word], []
    zone_end = max(banner.end(), min(region_end, banner.end() + _CAPTION_LIMIT))
    zone = text[banner.start() + len(banner.group("level")) : zone_end]
    handling: list[str] = []
    for found in _CAPTION_WORD.finditer(zone):
        caption = found.group(1).replace(" ", "")
        if caption == "NOFORN":
            caveats.append("NOFORN")
        elif caption == "SENSITIVE":
            if level is Level.UNCLASSIFIED:
                caveats.insert(0, FOUO)
        else:
            handling.append(caption)
    caveat_tuple = _dedupe(caveats)
    if caveat_tuple == (LOU,):
        printed = LOU
    else:
        printed = "//".join([level.value, *caveat_tuple])
    return Classification(
        printed=printed, level=level, caveats=caveat_tuple, handling=_dedupe(handling)
    )
