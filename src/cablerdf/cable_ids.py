"""Reference IDs: the published index and the one canonicaliser for cable IDs and REFs.

A reference ID is a two-digit year, a station and a serial number: ``06ASTANA395``. The
same function canonicalises the ID of a cable and the target of a REF entry, so that a REF
to ``TAIPEI 2654`` and the cable ``06TAIPEI2654`` get the same ID.

Rules, in order (every one general; the published index confirms where it can):

1. Squeeze: upper case, keep only letters and digits (``PORT-OF-SPAIN`` -> ``PORTOFSPAIN``).
2. Structure: a doubled year (``7575LIBREVILLE1895``), a garbled ``SECTION nn OF nn``
   marker glued after the year (``08ECTION01OF02MANAMA492``), and a second number glued
   after the serial (``06MADRID002583ZFR2585``, ``90STATE255195TOSEC140301``) are removed.
   Leading zeros of the serial are dropped.
3. Station: caption and post-type words glued in front are removed (``EFTO``, ``NOFORN``,
   ``AMEMBASSY``...); known abbreviations are expanded (``SECSTATE`` -> ``STATE``,
   ``USUN`` -> ``USUNNEWYORK``); a station that is no known post is read as the known station
   whose ID with the same year and number is published in the same month (``10AQNA272`` ->
   ``10ASTANA272``), else as the one closest in spelling (``BRASILA`` -> ``BRASILIA``), else as
   the one it begins (``HALIF`` -> ``HALIFAX``); otherwise it is kept.
4. Spelling variants of one post (``TAIPEI``/``AITTAIPEI``, ``KIEV``/``KYIV``...): the
   variant under which the ID is published wins, else the variant most used that year, else
   the printed one.
5. A published malformed ID whose repair is not published, while exactly one published ID
   of the same year and month has a station ending in the repaired one
   (``09SECTION01OF03BRUSSELS1234`` -> ``09USEUBRUSSELS1234``) or a number ending in the
   repaired one (``08SECTION01GF02BISHIEK21`` -> ``08BISHKEK1021``), is read as that ID.
"""

from __future__ import annotations

import gzip
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType

from cablerdf.model import Diagnostic, Severity

CABLE_ID_PATTERN = r"^[0-9]{2}[A-Z]+[1-9][0-9]*$"
"""A canonical reference ID: year, station, serial without leading zeros (XSD and Python)."""

_CABLE_ID_RE = re.compile(CABLE_ID_PATTERN)
_WELL_FORMED = re.compile(r"^([0-9]{2})([A-Z]+)([0-9]+)$")
_SECTION_GARBLE = re.compile(
    r"^(?P<word>[A-Z]{0,8}?)[0-9Q]{1,2}(?:OF|GF|QF|O|F)[0-9Q]{1,2}(?=[A-Z])"
)
_TAIL_NUMBER = re.compile(r"^([A-Z]+)0*([0-9]{1,9})$")
_NOT_ASCII_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_YEAR_AND_REST = re.compile(r"^([0-9]{2})(.*)$")
_STATION_SERIAL_REST = re.compile(r"^([A-Z]+)0*([0-9]{1,9})(.*)$")

# Caption and post-type words found glued in front of a station in published IDs and REFs
# (``09EFTOLONDON2468``, ``85NOFORNMOGADISHU1643``, ``09SIFIEDABUJA1673`` from
# "UNCLASSIFIED", ``09AMEMBASSYHANOI1284``, ``EMBASSY VIENNA 1450``).
_JUNK_PREFIXES = (
    "AMEMBASSY",
    "EMBASSY",
    "AMCONSUL",
    "CONSULATE",
    "USMISSION",
    "UNCLASSIFIED",
    "CLASSIFIED",
    "SIFIED",
    "UNCLAS",
    "CONFIDENTIAL",
    "NOFORN",
    "SIPDIS",
    "EFTO",
)

# Abbreviations and short forms of stations that no spelling rule can recover. Source: the
# station table of heuer/cablemap (cablemap.core/cablemap/core/c14n.py, BSD licence),
# keeping only entries whose target is a post; typos are left to the spelling rules.
STATION_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "SECSTATE": "STATE",
        "SECSTATEWASHDC": "STATE",
        "SECTSTATE": "STATE",
        "SECTATE": "STATE",
        "SECTATWASHDC": "STATE",
        "SECSATATE": "STATE",
        "SECDEFWASH": "SECDEF",
        "SECDEFWASHDC": "SECDEF",
        "USUN": "USUNNEWYORK",
        "USUNNY": "USUNNEWYORK",
        "USUNNEW": "USUNNEWYORK",
        "NEWYORK": "USUNNEWYORK",
        "USEU": "USEUBRUSSELS",
        "USEUBRUSS": "USEUBRUSSELS",
        "UNVIE": "UNVIEVIENNA",
        "UNVIENNA": "UNVIEVIENNA",
        "USUNESCOPARISFR": "UNESCOPARISFR",
        "USUNESCO": "UNESCOPARISFR",
        "RIO": "RIODEJANEIRO",
        "PAUP": "PORTAUPRINCE",
        "PAP": "PORTAUPRINCE",
        "POS": "PORTOFSPAIN",
        "BKK": "BANGKOK",
        "BA": "BUENOSAIRES",
        "BSB": "BANDARSERIBEGAWAN",
        "HCMC": "HOCHIMINHCITY",
        "HCM": "HOCHIMINHCITY",
        "HK": "HONGKONG",
        "KL": "KUALALUMPUR",
        "MVD": "MONTEVIDEO",
        "SD": "SANTODOMINGO",
        "SDO": "SANTODOMINGO",
        "TGG": "TEGUCIGALPA",
        "DAR": "DARESSALAAM",
        "ADDIS": "ADDISABABA",
        "TANA": "ANTANANARIVO",
        "VAT": "VATICAN",
        "HAGUE": "THEHAGUE",
        "DELHI": "NEWDELHI",
        "PETERSBURG": "STPETERSBURG",
        "PAULO": "SAOPAULO",
        "BRAZIL": "BRASILIA",
        "MEXICOCITY": "MEXICO",
        "MEX": "MEXICO",
        "PANAMACITY": "PANAMA",
        "GUATEMALACITY": "GUATEMALA",
        "VATICANCITY": "VATICAN",
        "QUEBECCITY": "QUEBEC",
        "MADRIDSP": "MADRID",
        "BRUSSELSBE": "BRUSSELS",
        "BEIJINGCH": "BEIJING",
        "USDA": "USDAFAS",
        "USDAFASWASHDC": "USDAFAS",
        "USDOCWASHDC": "USDOC",
        "DEPTOFCOMMERCE": "USDOC",
        "DEPTOFJUST": "USDOJ",
        "USCUSTOMSA": "USCBP",
        "CDC": "CDCATLANTAGA",
        "CDCATLANTA": "CDCATLANTAGA",
        "ATLANTAGA": "CDCATLANTAGA",
    }
)

# Senders that are no post abroad but cite and are cited like one.
_EXTRA_STATIONS = frozenset(
    {"STATE", "SECDEF", "USDOC", "USDAFAS", "USDOJ", "USCBP", "CDCATLANTAGA", "JCS", "CIA"}
)

# Spellings of one post that share one serial sequence (renamed posts, AIT Taipei, the
# UNESCO mission, the Iran regional presence office). Checked against the index: their
# numbers interleave month by month and hardly collide.
STATION_VARIANTS: tuple[frozenset[str], ...] = (
    frozenset({"TAIPEI", "AITTAIPEI"}),
    frozenset({"KIEV", "KYIV"}),
    frozenset({"CALCUTTA", "KOLKATA"}),
    frozenset({"MADRAS", "CHENNAI"}),
    frozenset({"BOMBAY", "MUMBAI"}),
    frozenset({"PARISFR", "UNESCOPARISFR", "UNESCOPARIS"}),
    frozenset({"RPODUBAI", "IRANRPODUBAI"}),
)

# Words that may precede a number in a REF without being a station.
_NOT_STATION_WORDS = """PARA PARAS PARAGRAPH PAGE SECTION ITEM NO NR NUMBER AND OR OF THE TO FOR REF REFS
    REFTEL SEE ALSO PREVIOUS JAN FEB MAR APR MAY JUN JUL AUG SEP SEPT OCT NOV DEC JANUARY
    FEBRUARY MARCH APRIL JUNE JULY AUGUST SEPTEMBER OCTOBER NOVEMBER DECEMBER TEL CABLE
    CABLES MSG DTG UNSCR RES RESOLUTION ARTICLE ART CHAPTER ANNEX FAM FAH USC"""
_NOT_STATIONS = frozenset(_NOT_STATION_WORDS.split())

_MEMO_SIZE = 100_000  # station readings remembered per index
_MIN_COUNT = 3  # a station with fewer published cables must be attested otherwise


def _squeeze(text: str) -> str:
    """Upper case, letters and digits only (ASCII ones: what upper-casing makes of others,
    ``ﬀ`` -> ``FF``, counts)."""
    return _NOT_ASCII_ALNUM.sub("", text.upper())


def _osa(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance of ``a`` and ``b`` (``limit + 1`` when larger)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _lcs(a: str, b: str) -> int:
    """Length of the longest common subsequence of ``a`` and ``b``."""
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0]
        for j, cb in enumerate(b):
            cur.append(prev[j] + 1 if ca == cb else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def _century(yy: str) -> int:
    """A four-digit year for a two-digit cable year (cables run from 1966 to 2010)."""
    y = int(yy)
    return 2000 + y if y < 40 else 1900 + y


def _typo_limit(station: str) -> int:
    return 1 if len(station) <= 6 else 2


@dataclass(frozen=True)
class StationReading:
    """A printed station read as a canonical one; ``rule`` says what was changed."""

    station: str
    known: bool
    rule: str | None  # what was changed, for a diagnostic; None when nothing


class ReferenceIndex:
    """The published reference IDs (as WikiLeaks printed them) with their creation months.

    Also knows the stations: a station of at least three published cables, a post named in
    the routing-indicator table, or an alias target, is a known station.
    """

    def __init__(self, months: Mapping[str, int], posts: Iterable[str] = ()) -> None:
        self._months: dict[str, int] = dict(months)
        per_year: dict[str, Counter[str]] = defaultdict(Counter)
        numbers: dict[tuple[str, str], list[int]] = defaultdict(list)
        for rid in self._months:
            m = _WELL_FORMED.match(rid)
            if m:
                per_year[m.group(2)][m.group(1)] += 1
                numbers[(m.group(1), m.group(2))].append(int(m.group(3)))
        self._per_year: dict[str, Counter[str]] = dict(per_year)
        self._numbers: dict[tuple[str, str], tuple[int, ...]] = {
            k: tuple(sorted(v)) for k, v in numbers.items()
        }
        known = {
            s
            for s, years in self._per_year.items()
            if sum(years.values()) >= _MIN_COUNT and not _junk_prefixed(s)
        }
        frequent = frozenset(known)
        for post in posts:
            p = _squeeze(post)
            # the routing table has its own typos (COLUMBO, QUINTO): skip near-duplicates
            if p and p not in frequent and not any(_osa(p, f, 2) <= 2 for f in frequent):
                known.add(p)
        known.update(STATION_ALIASES.values())
        known.update(_EXTRA_STATIONS)
        for group in STATION_VARIANTS:
            known.update(group)
        self._known: frozenset[str] = frozenset(known)
        self._targets: tuple[str, ...] = tuple(sorted(frequent | set(STATION_ALIASES.values())))
        self._bases: dict[str, StationReading] = {}
        self._guesses: dict[tuple[str, str, int, int | None], tuple[str, str] | None] = {}
        self._variant_of: dict[str, frozenset[str]] = {
            s: group for group in STATION_VARIANTS for s in group
        }

    @classmethod
    def load(cls) -> ReferenceIndex:
        """Load the packaged ID table and the posts of the routing-indicator table."""
        data = resources.files("cablerdf") / "data"
        raw = gzip.decompress((data / "reference-ids.csv.gz").read_bytes()).decode("ascii")
        months: dict[str, int] = {}
        for line in raw.splitlines():
            rid, _, month = line.partition(",")
            if rid:
                months[rid.strip()] = int(month) if month.strip().isdigit() else 0
        posts: list[str] = []
        routing = (data / "routing-indicators.tsv").read_text(encoding="utf-8")
        for line in routing.splitlines()[1:]:
            _, _, name = line.partition("\t")
            words = name.split()
            if len(words) > 1 and words[0] in {"AMEMBASSY", "AMCONSUL", "USINT", "AIT"}:
                posts.append("".join(words[1:]))
        return cls(months, posts)

    def __contains__(self, reference_id: object) -> bool:
        return isinstance(reference_id, str) and reference_id in self._months

    def __len__(self) -> int:
        return len(self._months)

    def month(self, reference_id: str) -> int | None:
        """The creation month (1-12) of a published ID, None when not published."""
        m = self._months.get(reference_id)
        return m if m else None

    def is_known_station(self, station: str) -> bool:
        return station in self._known

    def station_count(self, station: str, yy: str | None = None) -> int:
        """How many published well-formed IDs have this station (in year ``yy``)."""
        years = self._per_year.get(station)
        if not years:
            return 0
        return years[yy] if yy is not None else sum(years.values())

    def __repr__(self) -> str:
        return f"ReferenceIndex({len(self._months)} IDs, {len(self._known)} stations)"

    # -- station resolution -------------------------------------------------------------

    def _published(self, yy: str, station: str, number: int, month: int | None) -> bool:
        rid = f"{yy}{station}{number}"
        if rid not in self._months:
            return False
        return month is None or self.month(rid) in (None, month)

    def resolve_station(
        self, station: str, yy: str, number: int, month: int | None = None
    ) -> StationReading:
        """Read a squeezed station as a known one (see the module rules)."""
        base = self._bases.get(station)
        if base is None:
            base = self._base(station)
            if len(self._bases) < _MEMO_SIZE:
                self._bases[station] = base
        st, rules = base.station, [base.rule] if base.rule else []
        if not base.known:
            key = (st, yy, number, month)
            if key in self._guesses:
                guess = self._guesses[key]
            else:
                guess = self._guess(st, yy, number, month)
                if len(self._guesses) < _MEMO_SIZE:
                    self._guesses[key] = guess
            if guess is None:
                return base
            rules.append(f"station {st} read as {guess[0]} ({guess[1]})")
            st = guess[0]
        group = self._variant_of.get(st)
        if group is not None:
            st = self._pick_variant(st, group, yy, number)
        return StationReading(st, True, "; ".join(rules) if rules else None)

    def _base(self, station: str) -> StationReading:
        """The station without glued caption words, aliases expanded; known or not."""
        rules: list[str] = []
        st = station
        stripped = True
        while stripped:
            stripped = False
            for prefix in _JUNK_PREFIXES:
                if st.startswith(prefix) and len(st) > len(prefix) + 1:
                    st = st[len(prefix) :]
                    rules.append(f"{prefix} removed")
                    stripped = True
        st = STATION_ALIASES.get(st, st)
        return StationReading(st, st in self._known, "; ".join(rules) if rules else None)

    def _guess(self, st: str, yy: str, number: int, month: int | None) -> tuple[str, str] | None:
        limit = _typo_limit(st)
        # a published twin: same year and number, same month when the month is known
        twins = [t for t in self._targets if self._published(yy, t, number, month)]
        close = [(d, t) for t in twins if (d := _osa(st, t, limit)) <= limit]
        if close:
            return _best(close, self), "published ID with the closest spelling"
        if month is not None and len(st) >= 3:
            # the ID itself is published: a looser likeness to a same-month twin will do
            alike = []
            for t in twins:
                common = _lcs(st, t)
                if common >= 0.75 * len(st) and common >= 0.5 * len(t):
                    alike.append((_osa(st, t, len(st) + len(t)) * 100 - common, t))
            if alike:
                return _best(alike, self), "published ID of the same month, alike in spelling"
        if len(st) >= 5 or month is not None:
            near = [(d, t) for t in self._targets if (d := _osa(st, t, limit)) <= limit]
            if near:
                best_d = min(d for d, _ in near)
                best = [t for d, t in near if d == best_d]
                if len(best) == 1:
                    return best[0], "closest in spelling"
        if len(st) >= 4 and st not in _NOT_STATIONS:
            longer = [t for t in self._targets if t.startswith(st) and t != st]
            if len(longer) == 1:
                return longer[0], "abbreviation"
        return None

    def _pick_variant(self, st: str, group: frozenset[str], yy: str, number: int) -> str:
        if f"{yy}{st}{number}" in self._months:
            return st
        published = sorted(v for v in group if f"{yy}{v}{number}" in self._months)
        if len(published) == 1:
            return published[0]
        # the variant used most that year; the printed one when the year has none
        counts = {v: self.station_count(v, yy) for v in group}
        top = max(counts.values())
        if top == 0:
            return st
        leaders = sorted(v for v, c in counts.items() if c == top)
        return st if st in leaders else leaders[0]

    def lost_prefix(self, yy: str, station: str, number: int, month: int) -> str | None:
        """The one known station ending in ``station`` with this ID published that month."""
        found = [
            t
            for t in self._targets
            if t != station and t.endswith(station) and self._published(yy, t, number, month)
        ]
        return found[0] if len(found) == 1 else None

    def lost_digits(self, yy: str, station: str, number: int, month: int) -> int | None:
        """The one published number of this station, year and month ending in ``number``."""
        tail = str(number)
        found = [
            n
            for n in self._numbers.get((yy, station), ())
            if n != number and str(n).endswith(tail) and self.month(f"{yy}{station}{n}") == month
        ]
        return found[0] if len(found) == 1 else None


def _best(scored: list[tuple[int, str]], index: ReferenceIndex) -> str:
    """The lowest score; ties go to the station with more published cables."""
    return min(scored, key=lambda dt: (dt[0], -index.station_count(dt[1]), dt[1]))[1]


def _junk_prefixed(station: str) -> bool:
    return any(station.startswith(p) and len(station) > len(p) + 1 for p in _JUNK_PREFIXES)


@lru_cache(maxsize=1)
def default_index() -> ReferenceIndex:
    """The packaged index, loaded once."""
    return ReferenceIndex.load()


# -- the canonicaliser -----------------------------------------------------------------


@dataclass(frozen=True)
class _Parts:
    yy: str
    station: str
    numbers: tuple[str, ...]  # the serial, then a glued second number if any
    rules: tuple[str, ...]


def _split(squeezed: str) -> _Parts | None:
    """Year, station and number(s) of a squeezed ID; None when it has no such parts."""
    m = _YEAR_AND_REST.match(squeezed)
    if not m:
        return None
    yy, rest = m.group(1), m.group(2)
    rules: list[str] = []
    if rest.startswith(yy) and len(rest) > 2 and rest[2].isalpha():
        rest = rest[2:]
        rules.append("doubled year removed")
    g = _SECTION_GARBLE.match(rest)
    if g and (not g.group("word") or _osa(g.group("word"), "SECTION", 2) <= 2):
        rest = rest[g.end() :]
        rules.append("section marker removed")
    m2 = _STATION_SERIAL_REST.match(rest)
    if not m2:
        return None
    station, number, tail = m2.group(1), m2.group(2), m2.group(3)
    if not tail:
        return _Parts(yy, station, (number,), tuple(rules))
    t = _TAIL_NUMBER.match(tail)
    if t:
        rules.append(f"glued {t.group(1)}{t.group(2)} removed")
        return _Parts(yy, station, (number, t.group(2)), tuple(rules))
    return None


def repair_id(raw: str, index: ReferenceIndex) -> tuple[str, Diagnostic | None]:
    """Canonicalise an ID; say what was repaired (info ``id.repaired``).

    An ID without year, station and number is returned squeezed, with a warning
    ``id.unreadable``.
    """
    squeezed = _squeeze(raw)
    month = index.month(squeezed) if squeezed in index else None
    parts = _split(squeezed)
    if parts is None:
        return squeezed, Diagnostic(
            Severity.WARNING,
            "id.unreadable",
            f"reference ID {raw!r} is not a year, a station and a number",
            reference_id=squeezed or None,
            hint="expected an ID like 06ASTANA395; kept as printed",
        )
    first = int(parts.numbers[0])
    resolved = index.resolve_station(parts.station, parts.yy, first, month)
    number = first
    rules = list(parts.rules)
    if resolved.rule:
        rules.append(resolved.rule)
    if len(parts.numbers) > 1:
        second = int(parts.numbers[1])
        if f"{parts.yy}{resolved.station}{first}" not in index and (
            f"{parts.yy}{resolved.station}{second}" in index
        ):
            number = second
            rules.append(f"the second number {second} is the published one")
    canonical = f"{parts.yy}{resolved.station}{number}"
    if month is not None and canonical not in index and canonical != squeezed:
        fuller = index.lost_prefix(parts.yy, resolved.station, number, month)
        longer = index.lost_digits(parts.yy, resolved.station, number, month)
        if fuller is not None:
            rules.append(f"station {resolved.station} read as {fuller} (published, same month)")
            canonical = f"{parts.yy}{fuller}{number}"
        elif longer is not None:
            rules.append(f"number {number} read as {longer} (published, same month)")
            canonical = f"{parts.yy}{resolved.station}{longer}"
    if number == 0:
        return squeezed, Diagnostic(
            Severity.WARNING,
            "id.unreadable",
            f"reference ID {raw!r} has serial number 0",
            reference_id=squeezed,
            hint="kept as printed",
        )
    if canonical == squeezed or not rules:
        return canonical, None
    return canonical, Diagnostic(
        Severity.INFO,
        "id.repaired",
        f"reference ID {squeezed} read as {canonical}",
        reference_id=canonical,
        hint="; ".join(rules),
    )


def canonical_id(raw: str, index: ReferenceIndex | None = None) -> str:
    """The canonical form of a reference ID (idempotent). Uses the packaged index by default."""
    return repair_id(raw, index if index is not None else default_index())[0]


def canonical_station(
    station: str,
    index: ReferenceIndex | None = None,
    *,
    year: int | None = None,
    number: str | int | None = None,
    guess: bool = True,
) -> str | None:
    """The canonical station for printed station words (``LA PAZ``), None when unknown.

    With ``guess=False`` only known stations, their aliases and variants are read, no
    misspelling or abbreviation.
    """
    idx = index if index is not None else default_index()
    st = _squeeze(station)
    if not st or not st.isalpha() or st in _NOT_STATIONS:
        return None
    yy = f"{year % 100:02d}" if year is not None else "00"
    digits = str(number).lstrip("0") if number is not None else ""
    num = int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 9 else 0
    resolved = idx.resolve_station(st, yy, num)
    if not resolved.known or (not guess and resolved.rule and " read as " in resolved.rule):
        return None
    return resolved.station


def cable_id(
    year: int, station: str, number: str, index: ReferenceIndex | None = None
) -> str | None:
    """The canonical ID of ``year`` (2 or 4 digits), station words and serial number.

    Unknown stations still give an ID (squeezed as printed). None when there is no station
    or no non-zero number of at most seven digits.
    """
    idx = index if index is not None else default_index()
    st = _squeeze(station)
    digits = "".join(c for c in number if c.isascii() and c.isdigit()).lstrip("0")
    if not st or not st.isalpha() or not digits or len(digits) > 7 or year < 0:
        return None
    yy = f"{year % 100:02d}"
    resolved = idx.resolve_station(st, yy, int(digits))
    return f"{yy}{resolved.station}{int(digits)}"


def is_cable_id(text: str) -> bool:
    """Whether ``text`` matches :data:`CABLE_ID_PATTERN`."""
    return _CABLE_ID_RE.match(text) is not None
