"""Routing indicators: the station codes before the slash of a header address (``RUEHC/``).

The packaged table ``data/routing-indicators.tsv`` (columns ``routing_indicator`` and
``name``) was made by hand and may hold errors, so it is used to check what a header prints,
never to replace it. Rows such as ``RHFJAAA THRU RHFJAAZ`` name a range of indicators.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

ROUTING_INDICATOR = re.compile(r"R[A-Z]{3,6}")
_RANGE = re.compile(r"(R[A-Z]{3,6})\s+THRU\s+(R[A-Z]{3,6})")
_HEAD = 4  # letters of a code that index the ranges

_Range = tuple[int, str, str, str]  # (order in the table, first, last, name)
_RangeIndex = dict[tuple[int, str], tuple[_Range, ...]]


@dataclass(frozen=True, eq=False)
class RoutingTable:
    """Names of routing indicators, with ``A THRU B`` ranges of equal length."""

    names: dict[str, str]
    ranges: tuple[tuple[str, str, str], ...] = ()  # (first, last, name)

    @classmethod
    def from_tsv(cls, text: str) -> RoutingTable:
        """Read the two-column TSV text (a header row is skipped; bad rows are ignored)."""
        names: dict[str, str] = {}
        ranges: list[tuple[str, str, str]] = []
        for line in text.splitlines():
            key, sep, name = line.partition("\t")
            key, name = key.strip(), " ".join(name.split())
            if not sep or not name:
                continue
            span = _RANGE.fullmatch(key)
            if span and len(span.group(1)) == len(span.group(2)):
                ranges.append((span.group(1), span.group(2), name))
            elif ROUTING_INDICATOR.fullmatch(key):
                names.setdefault(key, name)
        return cls(names=names, ranges=tuple(ranges))

    def name_of(self, ri: str) -> str | None:
        """The station name of a routing indicator, or None when the table lacks it."""
        code = ri.strip().upper()
        if code in self.names:
            return self.names[code]
        # the first range (in table order) that holds the code: only the ranges of its length
        # and first four letters, and those whose ends differ in them, can
        narrow, wide = self._range_index
        found: tuple[int, str] | None = None
        for ranges in (narrow.get((len(code), code[:_HEAD])), wide.get(len(code))):
            for order, first, last, name in ranges or ():
                if first <= code <= last:
                    if found is None or order < found[0]:
                        found = (order, name)
                    break  # ranges are kept in table order: the first hit is the earliest
        return found[1] if found is not None else None

    @functools.cached_property
    def _range_index(self) -> tuple[_RangeIndex, dict[int, tuple[_Range, ...]]]:
        """The ranges by length and first four letters (when both ends share them: every
        code between them does too), and by length alone otherwise; each in table order."""
        narrow: dict[tuple[int, str], list[_Range]] = {}
        wide: dict[int, list[_Range]] = {}
        for order, (first, last, name) in enumerate(self.ranges):
            entry = (order, first, last, name)
            if first[:_HEAD] == last[:_HEAD] and len(first) == len(last):
                narrow.setdefault((len(first), first[:_HEAD]), []).append(entry)
            else:
                wide.setdefault(len(first), []).append(entry)
        return (
            {key: tuple(v) for key, v in narrow.items()},
            {key: tuple(v) for key, v in wide.items()},
        )

    def __contains__(self, ri: object) -> bool:
        return isinstance(ri, str) and self.name_of(ri) is not None


@functools.lru_cache(maxsize=1)
def routing_table() -> RoutingTable:
    """The packaged routing-indicator table, loaded once."""
    data = resources.files("cablerdf").joinpath("data", "routing-indicators.tsv")
    return RoutingTable.from_tsv(data.read_text(encoding="utf-8"))
