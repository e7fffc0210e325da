"""Tell the form of an input from its content (never from its file name)."""

from __future__ import annotations

import enum
import json
import re

from cablerdf.model import SourceForm
from cablerdf.readers.common import SNIFF_BYTES


class Kind(str, enum.Enum):
    """What the first bytes of an input look like."""

    GZIP = "gzip"
    PAGE = "page"  # an HTML document (a Cable Viewer page or some other page)
    CSV = "csv"  # cables.csv rows
    JSON_LINES = "jsonl"  # one JSON object per line
    JSON = "json"  # one JSON document (object or array) over several lines
    TEXT = "text"  # anything else: judged by its content


_HTML_START = re.compile(
    rb"\A\s*(?:<\?xml[^>]{0,200}\?>\s*)?(?:<!DOCTYPE\s+html|<html)", re.IGNORECASE
)
_CABLES_JS = re.compile(r"src=['\"][^'\"]*/cables\.js['\"]")
_CSV_START = re.compile(rb'\A"?\d+"?,"?\d{1,2}/\d{1,2}/\d{4}[ "]')

# Markers a cable's text has at the start of a line; a text needs two different ones.
_MARKERS = tuple(
    re.compile(pattern, re.MULTILINE)
    for pattern in (
        r"^[ \t]*(?:<code><pre>)?VZCZC",
        (
            r"^[ \t]*(?:<code><pre>)?(?:UNCLAS(?:SIFIED)?|C O N F I D E N T I A L|CONFIDENTIAL"
            r"|S E C R E T|SECRET|TOP SECRET|LIMITED OFFICIAL USE)"
            r"(?:[ \t]+SECTION[ \t]+\d+[ \t]+OF[ \t]+\d+)?[ \t]+[A-Z][A-Z .]{0,30}[ \t]\d{1,6}\b"
        ),
        r"^[ \t]*TAGS:?[ \t]+\S",
        r"^[ \t]*SUBJ(?:ECT)?:",
        r"^[ \t]*E\.? ?O\.?[ \t]*1[23]\d{3}",
        r"^[ \t]*DE[ \t]+R[A-Z]{2,6}[ \t]+#",
        r"^[ \t]*(?:[A-Z][ \t]+)?\d{6}Z[ \t]+[A-Z]{3}[ \t]+\d{2}\b",
        r"^[ \t]*FM[ \t]+[A-Z]{2,}",
        r"^[ \t]*REF(?:S|TEL)?:",
        r"^[ \t]*(?i:classified[ \t]+by)\b",
        # Each blank before the number can be matched one way only (no backtracking over a
        # run of blanks): the optional anchor and pilcrow come with their own blanks.
        r"^[ \t]*(?:<a [^>\n]{0,80}>¶?[ \t]*|¶[ \t]*)?\d{1,2}\.[ \t]*\([A-Z/ ]{1,12}\)",
        r"<a id='par\w{1,4}'",
    )
)


def sniff(head: bytes) -> Kind:
    """The kind of an input from its first bytes (up to ``SNIFF_BYTES``)."""
    if head.startswith(b"\x1f\x8b"):
        return Kind.GZIP
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if _HTML_START.match(body):
        return Kind.PAGE
    if _CSV_START.match(body):
        return Kind.CSV
    stripped = body.lstrip()
    if stripped[:1] in (b"{", b"["):
        first, newline, _ = stripped.partition(b"\n")
        if not newline and len(head) >= SNIFF_BYTES:
            return Kind.JSON_LINES  # a first line longer than the look-ahead
        try:
            value = json.loads(first)
        except (ValueError, RecursionError):
            return Kind.JSON
        return Kind.JSON_LINES if isinstance(value, dict) else Kind.JSON
    return Kind.TEXT


def cable_evidence(text: str) -> int:
    """How many different cable markers (banner, TAGS, SUBJECT, DTG...) start a line of ``text``."""
    return sum(1 for marker in _MARKERS if marker.search(text))


def looks_like_cable(text: str) -> bool:
    """Whether a text holds a cable: at least two different markers at line starts."""
    return cable_evidence(text) >= 2


def page_form(html: str) -> SourceForm:
    """Which Cable Viewer template a page was built with."""
    if _CABLES_JS.search(html) or "rdate_" in html:
        return SourceForm.HTML_2011
    return SourceForm.HTML_2010
