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
        for first, last, name in self.ranges:
            if len(code) == len(first) and first <= code <= last:
                return name
        return None

    def __contains__(self, ri: object) -> bool:
        return isinstance(ri, str) and self.name_of(ri) is not None


@functools.lru_cache(maxsize=1)
def routing_table() -> RoutingTable:
    """The packaged routing-indicator table, loaded once."""
    data = resources.files("cablerdf").joinpath("data", "routing-indicators.tsv")
    return RoutingTable.from_tsv(data.read_text(encoding="utf-8"))
