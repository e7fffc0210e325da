"""The transmission header: DE line, precedence and date-time group, FM, TO, INFO, XMT.

A header looks like this (lines before the DE line and routing-office blocks vary)::

    VZCZCXRO8185
    PP RUEHLMC
    DE RUEHLP #3400/01 3522107
    ZNY SSSSS ZZH
    P 182107Z DEC 06
    FM AMEMBASSY LA PAZ
    TO RUEHC/SECSTATE WASHDC PRIORITY 1676
    INFO RUEHAC/AMEMBASSY ASUNCION 6399

Only the date-time group (DTG) gives ``created``: relay stamps (``---EE9C66 240653Z /38``),
page lines (``PAGE 01 HARARE 05461 01 OF 02 271458Z``), the DE line's time and e-mail or
newspaper dates are never read as one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator

from cablerdf.model import Diagnostic, Recipient, Role, Severity, TransmissionHeader
from cablerdf.parsing.classification import looks_like_banner
from cablerdf.routing import RoutingTable, routing_table

PRECEDENCES = {"R": "ROUTINE", "P": "PRIORITY", "O": "IMMEDIATE", "Z": "FLASH"}
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
        start=1,
    )
}

_DTG_CORE = (
    r"(?:(?P<prec>[ROPZ](?:[ \t]+[ROPZ])?)[ \t]+)?"
    r"(?P<day>\d{2})(?P<hour>\d{2})(?P<minute>\d{2})Z[ \t]+"
    r"(?P<month>[A-Za-z]{3})[ \t]+(?P<year>\d{4}|\d{2})(?!\d)"
)
_DTG = re.compile(_DTG_CORE)
# A DTG line: the DTG, then at most service prosigns ("ZDK", "ZDK CTG RUEHDO #3763").
_DTG_LINE = re.compile(rf"^[ \t]*{_DTG_CORE}(?:[ \t]+Z[A-Z]{{2}}\b.*)?[ \t]*$")
_DE_LINE = re.compile(
    r"^[ \t]*DE[ \t]+(?P<ri>R[A-Z]{3,6})[ \t]+#[ \t]?(?P<seq>\d{1,6}(?:/\d{1,3})?)"
    r"(?:[ \t]+(?P<julian>\d{7}))?"
)
_FM_LINE = re.compile(r"^[ \t]*FM[ \t]+(?:(?P<ri>R[A-Z]{3,6})/)?(?P<name>\S.*?)[ \t]*$")
_ROLE_LINE = re.compile(r"^[ \t]*(?P<role>TO|INFO)(?:[ \t]+(?P<rest>.*?))?[ \t]*$")
_XMT = re.compile(r"^XMT(?:[ \t]+|/)(?P<rest>.*)$|^XMT$")
_OFFICE_CODES = re.compile(r"^(?:[A-Z]{1,6}-\d{2}\b[ \t]*)+(?:/\d{3}[A-Z])?[ \t]*$|^/\d{3}[A-Z]$")
_OFFICE_START = re.compile(r"^[ \t]*(?:ACTION|ORIGIN|INFO)[ \t]+[A-Z]{1,6}-\d{2}\b")
_PAGE = re.compile(
    r"PAGE[ \t]+\d{2,3}[ \t]+[A-Z][A-Z .'-]*?[ \t]+\d{3,6}(?:[ \t]+\d{2}[ \t]+OF[ \t]+\d{2})?"
    r"[ \t]+\d{6}Z"
)
_RELAY_STAMP = re.compile(r"^[ \t]*-{3,}.*\d{6}Z.*$")
_PROSIGNS = re.compile(r"^[ \t]*Z[A-Z]{2}(?:[ \t]+(?:Z[A-Z]{2}|[UCSET]{5}))*[ \t]*$")
_BT = re.compile(r"^[ \t]*BT[ \t]*$")
_ADDRESSEE = re.compile(
    r"^(?:(?P<ri>R[A-Z]{3,6}|Z[A-Z]{2})/)?(?P<name>.*?)"
    r"(?:[ \t]+(?P<prec>NIACT[ \t]+IMMEDIATE|IMMEDIATE|PRIORITY|ROUTINE|FLASH))?"
    r"(?:[ \t]+(?P<serial>\d{4}))?$"
)
_BANNER_LINE = re.compile(
    r"^[ \t]*(?:UNCLAS(?:SIFIED)?|CONFIDENTIAL|SECRET|TOP[ \t]+SECRET|LIMITED[ \t]+OFFICIAL"
    r"|C O N F I D E N T I A L|S E C R E T|T O P|U N C L A S)\b"
)
_BODY_START = re.compile(
    r"^[ \t]*(?:E\.[ \t]?O\.|EO[ \t]+1\d{4}|TAGS\b|SUBJECT[ \t]*:|SUBJ[ \t]*:"
    r"|Classified[ \t]+By\b|CLASSIFIED[ \t]+BY\b)"
)
_VZCZC = re.compile(r"^[ \t]*VZCZC[A-Z0-9]+[ \t]*$")
_ADDRESS_LIKE = re.compile(r"^[ \t]*[A-Z0-9][A-Z0-9 \t/&.,()'#:+-]*$")
_UPPER_FM = re.compile(r"^[ \t]*FM[ \t]+(?:R[A-Z]{3,6}/)?[A-Z][A-Z0-9 \t/&.,()'-]*$")

# Glue: texts whose line breaks were lost run keywords into the previous word.
_KNOWN_ADDRESSEE = (
    r"(?:R[A-Z]{3,6}/|SECSTATE\b|AMEMBASSY\b|AMCONSUL\b|USMISSION\b|USDEL\b|USEU\b|USINT\b"
    r"|USLO\b|USOFFICE\b|CIA\b|DIA\b|NSC\b|SECDEF\b|JOINT STAFF\b|ALL\b|XMT\b)"
)
# Each rule with the strings a line must hold for it to match at all (any one of them): the
# rules try every position of a line, the strings are found in C time.
_GLUE_RULES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"(?<=\S)(?=DE[ \t]+R[A-Z]{3,6}[ \t]+#)"), ("#",)),
    (
        re.compile(r"(?<=#\d{4}/\d{2}[ \t]\d{7})(?=\S)|(?<=#\d{4}[ \t]\d{7})(?=\S)"),
        ("#",),
    ),
    (
        re.compile(r"(?<=\S)(?=[ROPZ](?:[ \t][ROPZ])?[ \t]\d{6}Z[ \t][A-Z]{3}[ \t]\d{2}(?!\d))"),
        ("Z ", "Z\t"),
    ),
    (re.compile(r"(?<=\d{6}Z[ \t][A-Z]{3}[ \t]\d{2})(?=FM[ \t])"), ("FM",)),
    (re.compile(r"(?<=[ \t]ZDK)(?=FM[ \t])"), ("ZDKFM",)),
    (re.compile(r"(?<=\d)(?=(?:TO|INFO)[ \t])"), ("TO", "INFO")),
    (re.compile(rf"(?<=[A-Z])(?=(?:TO|INFO)[ \t]{_KNOWN_ADDRESSEE})"), ("TO", "INFO")),
    (
        re.compile(r"(?:(?<=[ \t]IMMEDIATE)|(?<=[ \t]PRIORITY)|(?<=[ \t]ROUTINE))(?=[A-Z]{2})"),
        ("IMMEDIATE", "PRIORITY", "ROUTINE"),
    ),
    (re.compile(r"(?<=[ \t]\d{4})(?=[A-Z]{3})"), ("",)),
)
# A header flattened onto one line with spaces: DE line, DTG and FM in one physical line.
_FLAT_HEADER = re.compile(
    r"\bDE[ \t]+R[A-Z]{3,6}[ \t]+#\S+.*?\d{6}Z[ \t]+[A-Za-z]{3}[ \t]+\d{2}.*?\bFM[ \t]"
)
_FLAT_RULES = (
    re.compile(r"[ \t]+(?=DE[ \t]+R[A-Z]{3,6}[ \t]+#)"),
    re.compile(r"[ \t]+(?=ZN[RY][ \t])"),
    re.compile(
        r"(?<![ \t][ROPZ])[ \t]+(?=[ROPZ](?:[ \t][ROPZ])?[ \t]\d{6}Z[ \t][A-Za-z]{3}[ \t]\d{2})"
    ),
    re.compile(r"[ \t]+(?=FM[ \t]+(?:R[A-Z]{3,6}/)?[A-Z])"),
    re.compile(r"[ \t]+(?=(?:TO|INFO|XMT)[ \t]+[A-Z])"),
    re.compile(r"[ \t]+(?=R[A-Z]{3,6}/)"),
    re.compile(r"[ \t]+(?=BT\b)"),
    re.compile(
        r"[ \t]+(?=(?:UNCLAS|CONFIDENTIAL|SECRET|C O N F I D E N T I A L|S E C R E T)"
        r"(?:[ \t]+SECTION[ \t]+\d+[ \t]+OF[ \t]+\d+)?[ \t]+[A-Z][A-Z ]*[ \t]\d{3,6}\b)"
    ),
)
_GLUED_RI = re.compile(r"(?<=[A-Z0-9/])R[A-Z]{3,6}/")
_COMMON_RI_PREFIXES = ("RU", "RH", "RC", "RK", "RX", "RZ", "RB", "RN", "RI", "RA")


def _unglue_addressees(line: str, table: RoutingTable) -> str:
    """Break a line before routing indicators run into the previous addressee."""
    if "/" not in line:  # _GLUED_RI ends with a slash
        return line
    out: list[str] = []
    last = 0
    for match in _GLUED_RI.finditer(line):
        if match.start() < last:
            continue
        run = match.group()[:-1]
        # The indicator is a suffix of the run of capitals; pick the likeliest start.
        candidates = [run[i:] for i in range(len(run) - 3) if run[i] == "R"]
        known = [c for c in candidates if c in table]
        common = [c for c in candidates if c.startswith(_COMMON_RI_PREFIXES)]
        best = (known or common or candidates or [run])[0]
        split_at = match.end() - 1 - len(best)
        before = line[split_at - 1] if split_at > 0 else " "
        if before == "/" and best not in table and not best.startswith(("RU", "RH")):
            continue
        out.append(line[last:split_at])
        last = split_at
    out.append(line[last:])
    return "\n".join(part for part in out if part)


def _unglue(line: str, table: RoutingTable) -> list[str]:
    """Split one physical line where header keywords were glued to the previous word, or
    where a whole header was flattened onto it with spaces."""
    if "#" in line and "FM" in line and _FLAT_HEADER.search(line):
        for rule in _FLAT_RULES:
            line = rule.sub("\n", line)
    for rule, needles in _GLUE_RULES:
        for needle in needles:
            if needle in line:
                line = rule.sub("\n", line)
                break
    pieces: list[str] = []
    for piece in line.split("\n"):
        pieces.extend(_unglue_addressees(piece, table).split("\n"))
    return pieces or [""]


_TABS = re.compile(r"\t+")
_CREATED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]Z")


def _pieces(line: str) -> list[tuple[int, str]]:
    """A physical line without its line break and a trailing backslash (database rows), cut
    where a tab is followed by the start of a header or of a banner: (start, text) pairs."""
    if "\t" not in line:  # one piece
        piece = line.rstrip("\r\n").rstrip(" \t")
        if piece.endswith("\\"):
            piece = piece[:-1].rstrip(" \t")
        return [(0, piece)]
    cuts = [0]
    for tab in _TABS.finditer(line):
        rest = line[tab.end() :]
        if rest.startswith("VZCZC") or looks_like_banner(rest):
            cuts.append(tab.end())
    cuts.append(len(line))
    found: list[tuple[int, str]] = []
    for start, end in itertools.pairwise(cuts):
        piece = line[start:end].rstrip("\r\n").rstrip(" \t")
        if piece.endswith("\\"):
            piece = piece[:-1].rstrip(" \t")
        found.append((start, piece))
    return found


def _lines(header: str, table: RoutingTable) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(header.splitlines(), start=1):
        for _, cut in _pieces(raw):
            for piece in _unglue(cut, table):
                yield number, piece


def _year(printed: str) -> int:
    value = int(printed)
    if len(printed) == 4:
        return value
    return 1900 + value if value >= 66 else 2000 + value


def _created(match: re.Match[str]) -> str | None:
    month = _MONTHS.get(match.group("month").upper())
    if month is None:
        return None
    try:
        moment = dt.datetime(
            _year(match.group("year")),
            month,
            int(match.group("day")),
            int(match.group("hour")),
            int(match.group("minute")),
        )
    except ValueError:
        return None
    # four digits for any year (strftime's %Y left "0606" as "606" here, which no reader of
    # created accepts) and no strftime call
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}Z"
    )


def created_from_dtg(dtg: str) -> str | None:
    """``"R 020347Z NOV 06"`` -> ``"2006-11-02T03:47Z"``; None when not a real date-time.

    Two-digit years 66..99 are 19xx, 00..65 are 20xx.
    """
    match = _DTG.search(dtg)
    return _created(match) if match else None


def _fold(text: str) -> str:
    return " ".join(text.split())


def _addressee(text: str, role: Role) -> Recipient | None:
    match = _ADDRESSEE.match(_fold(text))
    if match is None or not match.group("name"):
        return None
    precedence = match.group("prec")
    return Recipient(
        role=role,
        name=match.group("name"),
        precedence=_fold(precedence) if precedence else None,
        routing_indicator=match.group("ri"),
        serial=match.group("serial"),
    )


def _diagnostic(
    severity: Severity, code: str, message: str, line: int | None, hint: str
) -> Diagnostic:
    return Diagnostic(severity=severity, code=code, message=message, line=line, hint=hint)


class _Addresses:
    """Collects TO/INFO recipients and XMT exclusions from the lines after FM."""

    def __init__(self) -> None:
        self.recipients: list[Recipient] = []
        self.xmt: list[str] = []
        self.role: Role | None = None
        self.in_xmt = False
        self.in_office_block = False
        self.lines: list[int] = []

    def add(self, number: int, line: str) -> bool:
        """Read one line; False when the line ends the address block."""
        stripped = _PAGE.sub(" ", line).strip()
        ends = _BT.match(line) or _is_banner(line) or _BODY_START.match(line)
        if ends:
            return self.role is None
        if not stripped or _RELAY_STAMP.match(line) or _PROSIGNS.match(stripped):
            return True
        if _OFFICE_START.match(line):
            self.in_office_block = True
            return True
        if self.in_office_block and _OFFICE_CODES.match(stripped):
            return True
        self.in_office_block = False
        role = _ROLE_LINE.match(stripped)
        if role:
            self.role = Role.TO if role.group("role") == "TO" else Role.INFO
            self.in_xmt = False
            stripped = (role.group("rest") or "").strip()
            if not stripped:
                return True
        if self.role is None:
            return True
        xmt = _XMT.match(stripped)
        if xmt:
            self.in_xmt = True
            stripped = (xmt.group("rest") or "").strip()
            if not stripped:
                return True
        found = _addressee(stripped, self.role)
        if found is None:
            return True
        if self.in_xmt:
            self.xmt.append(found.name)
        else:
            self.recipients.append(found)
            self.lines.append(number)
        return True


def _check_routing(
    recipients: list[Recipient], lines: list[int], table: RoutingTable
) -> list[Diagnostic]:
    """Info diagnostics where the table names an indicator differently from the header."""
    found: list[Diagnostic] = []
    for recipient, number in zip(recipients, lines, strict=True):
        ri = recipient.routing_indicator
        known = table.name_of(ri) if ri else None
        if known is None or _same_station(recipient.name, known):
            continue
        found.append(
            _diagnostic(
                Severity.INFO,
                "header.routing-name-differs",
                f"addressee '{recipient.name}' is routed to {ri}, which the routing table "
                f"names '{known}'",
                number,
                "kept as printed; check the addressee line and the routing table",
            )
        )
    return found


_POST_TYPES = ("AMEMBASSY", "AMCONSUL", "USMISSION", "USOFFICE", "USINT", "USLO", "AIT")


def _same_station(printed: str, known: str) -> bool:
    """Whether a printed post name agrees with the table's name for the same indicator.

    Only embassy, consulate and mission names are compared (agency names are written in
    many ways: ``NSC WASHDC`` for ``WHITE HOUSE NATIONAL SECURITY COUNCIL WASHINGTON DC``).
    """
    printed_words = printed.replace("/", " ").split()
    known_words = known.split()
    if not printed_words or printed_words[0] not in _POST_TYPES:
        return True
    if not known_words or known_words[0] not in _POST_TYPES:
        return True
    printed_place, known_place = printed_words[1:], known_words[1:]
    # The table may add a suffix ("MEXICO CITY", "USUN NEW YORK NY"); a mission may name
    # itself before the host post's place ("USAU ADDIS ABABA" on the embassy's indicator).
    return (
        known_place[: len(printed_place)] == printed_place
        or printed_place[len(printed_place) - len(known_place) :] == known_place
    )


def _julian_agrees(julian: str, created: str) -> bool:
    """Whether the DE line's day of year lies within two days of the DTG's date."""
    day_of_year = int(julian[:3])
    if _CREATED.fullmatch(created):  # what _created writes: read without strptime
        moment = dt.datetime(int(created[:4]), int(created[5:7]), int(created[8:10]))
    else:
        moment = dt.datetime.strptime(created, "%Y-%m-%dT%H:%MZ")
    for year in (moment.year, moment.year - 1, moment.year + 1):
        if not 1 <= day_of_year <= (366 if year % 4 == 0 else 365):
            continue
        sent = dt.datetime(year, 1, 1) + dt.timedelta(days=day_of_year - 1)
        if abs((sent.date() - moment.date()).days) <= 2:
            return True
    return False


def parse_header(header: str) -> tuple[TransmissionHeader, list[Diagnostic]]:
    """Read a transmission header. Diagnostics carry the 1-based line within ``header``."""
    if not header.strip():
        return TransmissionHeader(), []
    table = routing_table()
    lines = list(_lines(header, table))
    diagnostics: list[Diagnostic] = []

    de = next((m for _, line in lines if (m := _DE_LINE.match(line))), None)
    dtg_at = next((i for i, (_, line) in enumerate(lines) if _DTG_LINE.match(line)), None)
    dtg: str | None = None
    precedence: str | None = None
    created: str | None = None
    if dtg_at is not None:
        number, line = lines[dtg_at]
        match = _DTG.search(line)
        if match:
            dtg = _fold(match.group())
            if match.group("prec"):
                precedence = PRECEDENCES[match.group("prec")[0]]
            created = _created(match)
            if created is None:
                diagnostics.append(
                    _diagnostic(
                        Severity.WARNING,
                        "header.dtg-invalid",
                        f"date-time group '{dtg}' is not a real date and time "
                        "(expected DDHHMMZ MON YY)",
                        number,
                        "created is left empty; compare the DE line's julian date and the "
                        "metadata date",
                    )
                )
    else:
        diagnostics.append(
            _diagnostic(
                Severity.INFO,
                "header.dtg-missing",
                "no date-time group (such as 'R 020347Z NOV 06') in the header",
                None,
                "created falls back to the metadata date",
            )
        )

    fm_search = lines[dtg_at + 1 :] if dtg_at is not None else lines
    fm_at = next((i for i, (_, line) in enumerate(lines) if _FM_LINE.match(line)), None)
    after_dtg = next((i for i, (_, line) in enumerate(fm_search) if _FM_LINE.match(line)), None)
    if after_dtg is not None and dtg_at is not None:
        fm_at = dtg_at + 1 + after_dtg
    sender: str | None = None
    sender_ri: str | None = None
    if fm_at is not None:
        fm = _FM_LINE.match(lines[fm_at][1])
        if fm:
            sender, sender_ri = _fold(fm.group("name")), fm.group("ri")
    elif dtg_at is not None or de is not None:
        diagnostics.append(
            _diagnostic(
                Severity.INFO,
                "header.sender-missing",
                "no FM line in the header",
                None,
                "sender is left empty",
            )
        )

    addresses = _Addresses()
    for number, line in lines[fm_at + 1 if fm_at is not None else 0 :]:
        if not addresses.add(number, line):
            break
    diagnostics.extend(_check_routing(addresses.recipients, addresses.lines, table))

    julian = de.group("julian") if de else None
    if julian and created and not _julian_agrees(julian, created):
        diagnostics.append(
            _diagnostic(
                Severity.INFO,
                "header.julian-date-differs",
                f"the DE line's julian date {julian} is more than two days from the "
                f"date-time group '{dtg}'",
                None,
                "created follows the date-time group",
            )
        )

    return (
        TransmissionHeader(
            routing_indicator=de.group("ri") if de else None,
            sequence=de.group("seq") if de else None,
            julian_date=julian,
            precedence=precedence,
            dtg=dtg,
            created=created,
            sender=sender,
            sender_routing_indicator=sender_ri,
            recipients=tuple(addresses.recipients),
            xmt=tuple(dict.fromkeys(addresses.xmt)),
        ),
        diagnostics,
    )


def _is_banner(line: str) -> bool:
    return bool(_BANNER_LINE.match(line)) or looks_like_banner(line)


def _is_header_marker(line: str) -> bool:
    return bool(
        _VZCZC.match(line)
        or _DE_LINE.match(line)
        or _DTG_LINE.match(line)
        or _UPPER_FM.match(line)
        or _FLAT_HEADER.search(line)
    )


def _text_pieces(text: str) -> Iterator[tuple[int, str]]:
    """The :func:`_pieces` of every line of ``text``, with their offsets in ``text``."""
    offset = 0
    for line in text.splitlines(keepends=True):
        for start, piece in _pieces(line):
            yield offset + start, piece
        offset += len(line)


def split_header(text: str) -> int:
    """For a text that holds header and body together (plain text, PlusD printouts, some
    partial-extract pages): the offset where the body starts (0 if no header is found).

    The lines are cut into pieces only as far as they are looked at: up to the first line
    that starts the body, and the blank ones after the header."""
    pieces: list[tuple[int, str]] = []
    source = _text_pieces(text)
    for item in source:
        pieces.append(item)
        if _BODY_START.match(item[1]):
            break
    limit = len(pieces) - 1 if pieces and _BODY_START.match(pieces[-1][1]) else len(pieces)
    markers = [i for i in range(limit) if _is_header_marker(pieces[i][1])]
    if not markers:
        return 0
    end = markers[-1] + 1
    in_addresses = any(_UPPER_FM.match(pieces[i][1]) for i in markers)
    while end < limit:
        piece = pieces[end][1]
        if not piece.strip() or _is_banner(piece):
            break
        if _BT.match(piece):
            end += 1
            break
        if _ROLE_LINE.match(piece) and in_addresses:
            end += 1
            continue
        if not in_addresses or not _ADDRESS_LIKE.match(piece):
            break
        end += 1
    while True:
        if end == len(pieces):
            more = next(source, None)
            if more is None:
                return len(text)
            pieces.append(more)
        if pieces[end][1].strip():
            return pieces[end][0]
        end += 1
