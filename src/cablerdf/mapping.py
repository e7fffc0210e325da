"""Mapping: cable records become quads, one named graph per cable. Model: ``docs/data-model.md``.

Records are grouped by reference ID; each group is one cable with one or more source
versions (the same cable read from a 2010 page, a 2011 page, a CSV row...). A cable's graph
is built from its own records only, so it does not depend on what else is converted in the
same run, and the output is sorted, so the same records always give the same bytes.

Which version's values the cable carries (:func:`primary_version`): versions are put in
revision order by (latest release date shown, form, hash) (:func:`order_versions`); the
primary is the last one that is not a partial extract (the last one when all are).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Final

from pyoxigraph import NamedNode, Quad, RdfFormat, parse

from cablerdf import iris
from cablerdf.iris import Minter
from cablerdf.model import (
    CableRecord,
    Classification,
    Diagnostic,
    Level,
    Paragraph,
    Role,
    Severity,
    SourceForm,
)
from cablerdf.settings import Settings
from cablerdf.vocab import (
    C4O,
    CITO,
    CR,
    DCT,
    DOCO,
    FABIO,
    OA,
    ORG,
    OWL,
    PO,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    VOCABULARIES,
    VOID,
    XSD,
    declared_terms,
)

__all__ = [
    "Country",
    "MappingResult",
    "SourceVersion",
    "cable_to_quads",
    "control_code",
    "countries",
    "handling_code",
    "map_records",
    "marking_parts",
    "order_versions",
    "post_countries",
    "primary_version",
]

# ---- code tables (their concepts are described in ontology/schemes.ttl) ------------------

LEVEL_CODES: Final[Mapping[Level, str]] = {
    Level.UNCLASSIFIED: "U",
    Level.CONFIDENTIAL: "C",
    Level.SECRET: "S",
    Level.TOP_SECRET: "TS",
}
"""Classification levels by ISM code."""

LEVEL_RANKS: Final[Mapping[str, int]] = {"U": 0, "C": 1, "S": 2, "TS": 3}
"""The order of the levels (``cr:rank``), for comparing a paragraph's marking with the banner."""

LEVEL_TOKENS: Final[Mapping[str, str]] = {
    "U": "U",
    "UNCLAS": "U",
    "UNCLASSIFIED": "U",
    "C": "C",
    "CONFIDENTIAL": "C",
    "S": "S",
    "SECRET": "S",
    "TS": "TS",
    "TOP SECRET": "TS",
}
"""How a level is written inside a portion marking."""

CONTROL_SPELLINGS: Final[Mapping[str, str]] = {
    "NF": "NF",
    "NOFORN": "NF",
    "NOT RELEASABLE TO FOREIGN NATIONALS": "NF",
    "FOUO": "FOUO",
    "FOR OFFICIAL USE ONLY": "FOUO",
    "SBU": "SBU",
    "SENSITIVE BUT UNCLASSIFIED": "SBU",
    "OC": "OC",
    "ORCON": "OC",
    "REL": "REL",
    "XD": "XD",
    "EXDIS": "XD",
    "ND": "ND",
    "NODIS": "ND",
    "DS": "DS",
    "LIMDIS": "DS",
}
"""Dissemination controls by ISM code (``REL TO ...`` is ``REL`` too)."""

IMPLY_UNCLASSIFIED: Final = frozenset({"SBU", "FOUO"})
"""Controls that make a marking without a level token an UNCLASSIFIED one (``(SBU)``)."""

HANDLING_CODES: Final = frozenset({"SIPDIS", "EFTO"})
"""State Department handling captions without an ISM code."""

FORM_ORDER: Final[Mapping[SourceForm, int]] = {
    SourceForm.TEXT: 0,
    SourceForm.PLUSD: 1,
    SourceForm.JSONL: 2,
    SourceForm.CSV: 3,
    SourceForm.HTML_2010: 4,
    SourceForm.HTML_2011: 5,
}
"""Tie-break of the revision order between versions showing the same latest release date."""

SCHEME_LEVEL: Final = "level"
SCHEME_CONTROL: Final = "dissemination-control"
SCHEME_HANDLING: Final = "handling"
SCHEME_MARKING: Final = "portion-marking"
SCHEME_REASON: Final = "reason"
SCHEME_PRECEDENCE: Final = "precedence"
SCHEME_TAG: Final = "tag"
SCHEME_FORM: Final = "source-form"
SCHEME_ROLE: Final = "recipient-role"
SCHEME_REF_KIND: Final = "reference-kind"

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?Z")
_URL = re.compile(r"[^\s<>\"{}|\\^`]+")

# ---- reference tables -------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    """A country of the packaged table: ISO 3166-1 alpha-2 code, English name, Wikidata ID."""

    iso: str
    name: str
    wikidata: str | None


def _read_tsv(name: str) -> list[dict[str, str]]:
    text = resources.files("cablerdf").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


@functools.lru_cache(maxsize=1)
def post_countries() -> Mapping[str, str]:
    """The country (ISO code) of each post, by origin name as the metadata prints it."""
    return {
        " ".join(r["origin"].split()): r["country"] for r in _read_tsv("posts.tsv") if r["country"]
    }


@functools.lru_cache(maxsize=1)
def countries() -> Mapping[str, Country]:
    """The countries of the packaged table, by ISO code."""
    return {
        r["iso"]: Country(r["iso"], r["name"], r["wikidata"] or None)
        for r in _read_tsv("countries.tsv")
    }


# ---- codes -------------------------------------------------------------------------------

_fold = functools.lru_cache(maxsize=16384)(iris.fold)
""":func:`cablerdf.iris.fold`, memoised: the same codes and names recur from cable to cable."""


def control_code(printed: str) -> str | None:
    """The ISM code of a dissemination control as printed (``NOFORN`` -> ``NF``), or None."""
    key = _fold(printed)
    if key in CONTROL_SPELLINGS:
        return CONTROL_SPELLINGS[key]
    if key.startswith("REL "):
        return "REL"
    return None


def handling_code(printed: str) -> str | None:
    """The code of a handling caption as printed (``SIPDIS``), or None."""
    key = _fold(printed)
    return key if key in HANDLING_CODES else None


@dataclass(frozen=True)
class MarkingParts:
    """A portion marking read: its notation (parts joined by ``//``), level and controls."""

    notation: str
    level: str | None
    controls: tuple[str, ...]
    unknown: tuple[str, ...]


@functools.lru_cache(maxsize=4096)
def marking_parts(marking: str) -> MarkingParts:
    """Read a portion marking: ``S/NF`` -> level S, control NF; ``SBU`` -> level U, control SBU."""
    parts = iris.marking_key(marking)
    level: str | None = None
    controls: list[str] = []
    unknown: list[str] = []
    for part in parts:
        if level is None and part in LEVEL_TOKENS:
            level = LEVEL_TOKENS[part]
            continue
        code = control_code(part)
        if code is None:
            unknown.append(part)
        elif code not in controls:
            controls.append(code)
    if level is None and IMPLY_UNCLASSIFIED.intersection(controls):
        level = "U"
    return MarkingParts("//".join(parts), level, tuple(controls), tuple(unknown))


# ---- versions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceVersion:
    """One source version of a cable: the records read from the same source bytes."""

    key: str
    record: CableRecord
    copies: tuple[tuple[str, int], ...]  # (path, line) of every record with these bytes

    @property
    def form_rank(self) -> int:
        src = self.record.source
        return FORM_ORDER.get(src.form, -1) if src is not None else -1

    @property
    def latest_release(self) -> str:
        return max(self.record.released, default="")


def _content_key(record: CableRecord) -> str:
    data = record.to_json()
    data.pop("source", None)
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def order_versions(records: Sequence[CableRecord]) -> tuple[SourceVersion, ...]:
    """The distinct source versions of one cable's records, in revision order.

    Records with the same source bytes (same SHA-256) are one version; without a SHA-256 a
    record's content stands in. Order: latest release date shown (none first), then form
    (text, PlusD, JSON lines, CSV, 2010 page, 2011 page), then version key.
    """
    grouped: dict[str, list[CableRecord]] = {}
    for record in records:
        sha = record.source.sha256 if record.source is not None else None
        fallback = "" if iris.usable_sha256(sha) else _content_key(record)
        grouped.setdefault(iris.version_key(sha, fallback), []).append(record)
    versions: list[SourceVersion] = []
    for key, group in grouped.items():
        first = group[0]
        if len(group) > 1:
            first = min(
                group,
                key=lambda r: (
                    (r.source.path, r.source.line) if r.source else ("", 0),
                    _content_key(r),
                ),
            )
        copies = tuple(sorted({(r.source.path, r.source.line) for r in group if r.source}))
        versions.append(SourceVersion(key, first, copies))
    return tuple(sorted(versions, key=lambda v: (v.latest_release, v.form_rank, v.key)))


def primary_version(versions: Sequence[SourceVersion]) -> SourceVersion:
    """The version whose values the cable carries: the last full text in revision order."""
    full = [v for v in versions if not v.record.partial_extract]
    return (full or list(versions))[-1]


# ---- the builder -------------------------------------------------------------------------
#
# A graph is collected as statements keyed by their N-Quads line (UTF-8) without the graph
# name and the final dot, i.e. ``str(quad)`` up to the graph, so that duplicates fall together
# and sorting the quads by their N-Quads text is sorting these keys (UTF-8 bytes sort as the
# code points they encode): each is ``<s> <p> object``; IRIs hold no space nor ``>`` and a
# literal's closing quote is its first unescaped ``"``, so no key is a proper prefix of another
# save a plain literal of a typed one (``"x"``, ``"x"^^<t>``), which sorts first either way;
# the graph name, the same on every line, changes no order.
#
# A statement with an IRI object is made a ``Quad`` at once. One with a literal object costs
# pyoxigraph several times more made so (its argument conversion tries the IRI and the blank
# node types before the literal one), so those are read back from their N-Quads lines in one
# parser call (:meth:`_Graph.quads`).

_NT_ESCAPES: Final[Mapping[str, str]] = {
    **{chr(c): f"\\u{c:04X}" for c in range(0x20)},
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
    "\x7f": "\\u007F",
    "\ufffe": "\\uFFFE",
    "\uffff": "\\uFFFF",
}
"""How pyoxigraph's ``str()`` of a literal (and its N-Quads writer) escapes a character."""

_NT_SPECIAL = re.compile("[" + "".join(map(re.escape, _NT_ESCAPES)) + "]")
_RARE_BYTES: Final = bytes(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)) + b"\x7f"
"""The UTF-8 bytes of the escaped characters other than tab, line feed, carriage return,
``"`` and ``\\``, which :func:`_quoted` replaces one by one (U+FFFE and U+FFFF aside)."""

_SHORT: Final = 48
"""Values shorter than this (names, codes, dates: they recur) are escaped by a regular
expression, and the results cached; longer ones are looked through as bytes."""

_AS_INTEGER: Final = f"^^<{XSD.integer.value}>"
_AS_DATE: Final = f"^^<{XSD.date.value}>"
_AS_DATE_TIME: Final = f"^^<{XSD.dateTime.value}>"
_AS_ANY_URI: Final = f"^^<{XSD.anyURI.value}>".encode()
_TRUE: Final = f'"true"^^<{XSD.boolean.value}>'.encode()
_FALSE: Final = f'"false"^^<{XSD.boolean.value}>'.encode()

_TERM_TEXT: Final[Mapping[int, bytes]] = {
    id(node): f" <{node.value}> ".encode()
    for vocabulary in VOCABULARIES
    for node in declared_terms(vocabulary).values()
}
"""The N-Triples text of every term of :mod:`cablerdf.vocab` with a space on either side (the
middle of a key, between subject and object), by the identity of its constant (hashing a
``NamedNode`` hashes its IRI; the constants live as long as the program). Only those constants
are predicates and classes here; any other term is a ``KeyError``."""

_RDF_TYPE: Final = RDF.type

_IS_A: Final[Mapping[int, bytes]] = {
    id(node): f" <{RDF.type.value}> <{node.value}>".encode()
    for vocabulary in VOCABULARIES
    for node in declared_terms(vocabulary).values()
}
"""The tail of the key of ``s rdf:type C`` (all but the subject), by the identity of the
constant ``C`` of :mod:`cablerdf.vocab`."""


def _has_rare(data: bytes) -> bool:
    """Whether ``data`` holds one of :data:`_RARE_BYTES`."""
    if len(data) < 2048:
        return len(data.translate(None, _RARE_BYTES)) != len(data)
    return any(byte in data for byte in _RARE_BYTES)  # one memchr each: faster on long texts


def _escaped_match(m: re.Match[str]) -> str:
    """The escape of the character matched."""
    return _NT_ESCAPES[m.group()]


@functools.lru_cache(maxsize=16384)
def _quoted_short(value: str) -> bytes | None:
    """:func:`_quoted` of a value shorter than :data:`_SHORT`."""
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError:  # only a lone surrogate cannot be encoded
        return None
    if _NT_SPECIAL.search(value) is None:
        return b'"' + data + b'"'
    return f'"{_NT_SPECIAL.sub(_escaped_match, value)}"'.encode()


def _quoted(value: str) -> bytes | None:
    """``value`` as an N-Triples string in UTF-8 (quoted, escaped as pyoxigraph's ``str()``
    escapes it, so that keys sort as ``str(quad)``), or None if it holds a lone surrogate."""
    if len(value) < _SHORT:
        return _quoted_short(value)
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    if _has_rare(data) or (len(data) != len(value) and ("\ufffe" in value or "\uffff" in value)):
        return f'"{_NT_SPECIAL.sub(_escaped_match, value)}"'.encode()
    # These characters' bytes only ever stand for them in UTF-8. (An int is looked for in bytes
    # directly; a bytes object is first tried as an int, an exception raised and cleared.)
    if 0x5C in data:
        data = data.replace(b"\\", b"\\\\")
    if 0x22 in data:
        data = data.replace(b'"', b'\\"')
    if 0x0A in data:
        data = data.replace(b"\n", b"\\n")
    if 0x0D in data:
        data = data.replace(b"\r", b"\\r")
    if 0x09 in data:
        data = data.replace(b"\t", b"\\t")
    return b'"' + data + b'"'


@functools.lru_cache(maxsize=4096, typed=True)
def _integer(value: int) -> bytes:
    """``value`` as an ``xsd:integer`` literal in N-Triples (UTF-8)."""
    return f'"{value}"{_AS_INTEGER}'.encode()


_Node = tuple[bytes, NamedNode]
"""An IRI of a cable's graph: its N-Triples text, of which keys are made, and its term. (A
plain tuple: one is made for every node of every cable.)"""


def _node(term: NamedNode) -> _Node:
    """An IRI term with its N-Triples text."""
    return (f"<{term.value}>".encode(), term)


# The vocabulary's own IRIs recur in every cable: minted once (NamedNode checks each IRI).


@functools.lru_cache(maxsize=64)
def _scheme_node(name: str) -> _Node:
    """:func:`cablerdf.iris.scheme` as a node."""
    return _node(iris.scheme(name))


@functools.lru_cache(maxsize=4096)
def _concept_node(scheme_name: str, key: str) -> _Node:
    """:func:`cablerdf.iris.concept` as a node."""
    return _node(iris.concept(scheme_name, key))


@functools.lru_cache(maxsize=4096)
def _code_node(scheme_name: str, code: str) -> _Node:
    """:func:`cablerdf.iris.code_concept` as a node."""
    return _node(iris.code_concept(scheme_name, code))


@functools.lru_cache(maxsize=4096)
def _marking_node(marking: str) -> _Node:
    """:func:`cablerdf.iris.marking_concept` as a node."""
    return _node(iris.marking_concept(marking))


@functools.lru_cache(maxsize=4096)
def _wikidata_node(qid: str) -> _Node | None:
    """:func:`cablerdf.iris.wikidata` as a node (None when ``qid`` is no item ID)."""
    term = iris.wikidata(qid)
    return _node(term) if term is not None else None


# Posts, stations and countries recur from cable to cable: their nodes are minted once per base.


@functools.lru_cache(maxsize=4096)
def _post_node(minter: Minter, name: str) -> _Node:
    """:meth:`cablerdf.iris.Minter.post` as a node."""
    return _node(minter.post(name))


@functools.lru_cache(maxsize=8192)
def _station_node(minter: Minter, name: str) -> _Node:
    """:meth:`cablerdf.iris.Minter.station` as a node."""
    return _node(minter.station(name))


@functools.lru_cache(maxsize=1024)
def _country_node(minter: Minter, iso: str) -> _Node:
    """:meth:`cablerdf.iris.Minter.country` as a node."""
    return _node(minter.country(iso))


@dataclass
class _Graph:
    """Collects the statements of one cable's graph and the diagnostics met on the way."""

    graph: NamedNode
    minter: Minter
    reference_id: str
    record: CableRecord
    links: dict[bytes, Quad] = field(default_factory=dict)  # statements with an IRI object
    literals: list[bytes] = field(default_factory=list)  # the others, repeats included
    diagnostics: list[Diagnostic] = field(default_factory=list)
    done: set[tuple[str | bytes, ...]] = field(default_factory=set)  # concepts, markings written

    def add(self, s: _Node, p: NamedNode, o: _Node) -> None:
        """The statement ``s p o`` (an IRI object)."""
        key = s[0] + _TERM_TEXT[id(p)] + o[0]
        links = self.links
        if key not in links:
            links[key] = Quad(s[1], p, o[1], self.graph)

    def a(self, s: _Node, cls: NamedNode) -> None:
        """The statement ``s rdf:type cls``, ``cls`` a class of the vocabulary."""
        key = s[0] + _IS_A[id(cls)]
        links = self.links
        if key not in links:
            links[key] = Quad(s[1], _RDF_TYPE, cls, self.graph)

    def literal(self, s: _Node, p: NamedNode, written: bytes) -> None:
        """The statement ``s p L``, ``written`` the literal L as N-Triples writes it (UTF-8)."""
        self.literals.append(s[0] + _TERM_TEXT[id(p)] + written)

    def quads(self) -> list[Quad]:
        """The quads of the graph, sorted by their N-Quads text, each once."""
        return self.quads_and_lines()[0]

    def quads_and_lines(self) -> tuple[list[Quad], list[bytes]]:
        """The quads of the graph, sorted by their N-Quads text, each once; and their keys
        in the same order (each quad's N-Triples line without its final `` .``).

        The literal statements are kept in a list (their keys hold whole texts: a dictionary
        would hash them each time one is added), sorted, their repeats dropped, and read back
        in one parser call; then both kinds are put in key order by one more sort, which
        merges the two sorted runs (a literal key never equals an IRI key: its object starts
        with ``"``, an IRI's with ``<``).
        """
        lines = list(dict.fromkeys(sorted(self.literals)))  # sorted, each once
        tail = f" <{self.graph.value}> .\n".encode()
        read = list(
            parse(
                tail.join(lines) + tail if lines else b"",
                format=RdfFormat.N_QUADS,
                lenient=True,  # its IRIs were all made by NamedNode, which checks them
            )
        )
        links = self.links
        if not lines:
            merged = sorted(links)
            return [links[key] for key in merged], merged
        table = dict(zip(lines, read, strict=True))
        table.update(links)
        merged = sorted(links)
        merged += lines
        merged.sort()  # two sorted runs: one merge
        return [table[key] for key in merged], merged

    def warn(self, code: str, message: str, hint: str, record: CableRecord | None = None) -> None:
        src = (record or self.record).source
        diagnostic = Diagnostic(
            Severity.WARNING,
            code,
            message,
            path=src.path if src else None,
            line=src.line if src else None,
            reference_id=self.reference_id,
            hint=hint,
        )
        if diagnostic not in self.diagnostics:  # a value seen on the cable and its version
            self.diagnostics.append(diagnostic)

    def text(self, s: _Node, p: NamedNode, value: str | None) -> None:
        """A plain string literal; lone surrogates (undecodable bytes) become U+FFFD."""
        if value is None:
            return
        written = _quoted_short(value) if len(value) < _SHORT else _quoted(value)
        if written is None:
            self.warn(
                "mapping.text-repaired",
                f"a value of {p.value} holds undecodable characters; written as U+FFFD",
                "check the input's encoding (e.g. --encoding latin-1)",
            )
            written = _quoted(_SURROGATE.sub("\ufffd", value)) or b'""'
        self.literals.append(s[0] + _TERM_TEXT[id(p)] + written)

    def integer(self, s: _Node, p: NamedNode, value: int) -> None:
        self.literals.append(s[0] + _TERM_TEXT[id(p)] + _integer(value))

    def boolean(self, s: _Node, p: NamedNode, value: bool) -> None:
        self.literal(s, p, _TRUE if value else _FALSE)

    def date(self, s: _Node, p: NamedNode, value: str | None, what: str) -> None:
        """An ``xsd:date`` (or ``xsd:dateTime`` for ``YYYY-MM-DDTHH:MMZ``); a string otherwise."""
        if value is None:
            return
        typed = _typed_date(value)
        if typed is None:
            self.warn(
                "mapping.date-unparsed",
                f"{what} {value!r} is not a date (expected YYYY-MM-DD or YYYY-MM-DDTHH:MMZ)",
                "kept as a plain string; fix the parser or the record",
            )
            self.text(s, p, value)
        else:
            self.literal(s, p, typed)

    def concept(self, scheme: str, node: _Node, notation: str) -> _Node:
        """Declare ``node`` a concept of ``scheme`` with its notation, and return it."""
        done = (scheme, node[0], notation)
        if done not in self.done:  # the same statements again (a warning is kept once)
            self.done.add(done)
            self.a(node, SKOS.Concept)
            self.add(node, SKOS.inScheme, _scheme_node(scheme))
            self.text(node, SKOS.notation, notation)
        return node


@functools.lru_cache(maxsize=4096)
def _typed_date(value: str) -> bytes | None:
    """``value`` as an ``xsd:dateTime`` or ``xsd:date`` literal in N-Triples, or None."""
    m = _DATETIME.fullmatch(value)
    if m is not None:
        y, mo, d, h, mi, sec = (int(x) if x else 0 for x in m.groups())
        try:
            moment = dt.datetime(y, mo, d, h, mi, sec)
        except ValueError:
            return None
        return f'"{moment.strftime("%Y-%m-%dT%H:%M:%SZ")}"{_AS_DATE_TIME}'.encode()
    m = _DATE.fullmatch(value)
    if m is not None:
        try:
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
        return f'"{day.isoformat()}"{_AS_DATE}'.encode()
    return None


# ---- parts of a cable --------------------------------------------------------------------


def _level(g: _Graph, code: str) -> _Node:
    node = g.concept(SCHEME_LEVEL, _concept_node(SCHEME_LEVEL, code), code)
    g.integer(node, CR.rank, LEVEL_RANKS[code])
    return node


def _control(g: _Graph, code: str) -> _Node:
    return g.concept(SCHEME_CONTROL, _code_node(SCHEME_CONTROL, code), code)


def _marking(g: _Graph, marking: str) -> _Node:
    node = _marking_node(marking)
    done = (SCHEME_MARKING, marking)
    if done in g.done:  # its statements are all in the graph already
        return node
    g.done.add(done)
    parts = marking_parts(marking)
    g.concept(SCHEME_MARKING, node, parts.notation)
    if parts.level is not None:
        g.add(node, CR.level, _level(g, parts.level))
    for code in parts.controls:
        g.add(node, CR.control, _control(g, code))
    return node


def _classification(g: _Graph, subject: _Node, c: Classification) -> None:
    g.text(subject, CR.classification, c.printed)
    if c.level is not None:
        g.add(subject, CR.classificationLevel, _level(g, LEVEL_CODES[c.level]))
    for printed in (*c.caveats, *c.handling):
        code = control_code(printed)
        if code is not None:
            g.add(subject, CR.disseminationControl, _control(g, code))
            continue
        key = _fold(printed)
        if printed in c.handling or handling_code(printed) is not None:
            node = _code_node(SCHEME_HANDLING, key)
            g.add(subject, CR.handling, g.concept(SCHEME_HANDLING, node, key))
        else:
            g.add(subject, CR.disseminationControl, _control(g, key))


def _post(g: _Graph, subject: _Node, origin: str) -> None:
    name = " ".join(origin.split())
    post = _post_node(g.minter, name)
    g.add(subject, CR.origin, post)
    g.a(post, CR.Post)
    g.a(post, ORG.Organization)
    g.a(post, SCHEMA.GovernmentOrganization)
    g.text(post, RDFS.label, name)
    iso = post_countries().get(name)
    country = countries().get(iso) if iso else None
    if country is None:
        return
    node = _country_node(g.minter, country.iso)
    g.add(post, SCHEMA.location, node)
    g.a(node, SCHEMA.Country)
    g.text(node, RDFS.label, country.name)
    g.text(node, DCT.identifier, country.iso)
    same = _wikidata_node(country.wikidata) if country.wikidata else None
    if same is not None:
        g.add(node, OWL.sameAs, same)


def _station(g: _Graph, name: str) -> _Node:
    node = _station_node(g.minter, name)
    g.a(node, CR.Station)
    g.a(node, ORG.Organization)
    g.text(node, RDFS.label, _fold(name))
    return node


def _precedence(g: _Graph, printed: str) -> _Node:
    key = _fold(printed)
    return g.concept(SCHEME_PRECEDENCE, _code_node(SCHEME_PRECEDENCE, key), key)


def _header(g: _Graph, cable: _Node, record: CableRecord) -> None:
    h = record.header
    rid = g.reference_id
    for k, r in enumerate(h.recipients, 1):
        node = _node(g.minter.recipient(rid, k))
        station = _station(g, r.name)
        g.add(cable, SCHEMA.toRecipient if r.role is Role.TO else SCHEMA.ccRecipient, station)
        g.add(cable, CR.recipient, node)
        g.a(node, CR.Recipient)
        g.integer(node, SCHEMA.position, k)
        role = _concept_node(SCHEME_ROLE, r.role.value)
        g.add(node, CR.role, g.concept(SCHEME_ROLE, role, r.role.value))
        g.add(node, CR.station, station)
        g.text(node, CR.addresseeName, r.name)
        if r.precedence is not None:
            g.add(node, CR.precedence, _precedence(g, r.precedence))
        g.text(node, CR.routingIndicator, r.routing_indicator)
        g.text(node, CR.serial, r.serial)
    if h.sender is not None:
        g.add(cable, SCHEMA.sender, _station(g, h.sender))
    values = (h.routing_indicator, h.sequence, h.julian_date, h.precedence, h.dtg, h.created)
    if all(v is None for v in values) and h.sender is None and not h.xmt and not h.recipients:
        return
    node = _node(g.minter.header(rid))
    g.add(cable, CR.transmissionHeader, node)
    g.a(node, CR.TransmissionHeader)
    g.text(node, CR.routingIndicator, h.routing_indicator)
    g.text(node, CR.sequence, h.sequence)
    g.text(node, CR.julianDate, h.julian_date)
    if h.precedence is not None:
        g.add(node, CR.precedence, _precedence(g, h.precedence))
    g.text(node, CR.dateTimeGroup, h.dtg)
    g.date(node, CR.dateTimeGroupTime, h.created, "the date-time group's time")
    g.text(node, CR.senderName, h.sender)
    g.text(node, CR.senderRoutingIndicator, h.sender_routing_indicator)
    for excluded in h.xmt:
        g.text(node, CR.xmt, excluded)


def _references(g: _Graph, cable: _Node, record: CableRecord) -> None:
    for k, ref in enumerate(record.references, 1):
        node = _node(g.minter.reference(g.reference_id, k))
        g.add(cable, CR.referenceEntry, node)
        g.a(node, CR.ReferenceEntry)
        g.a(node, CITO.Citation)
        g.add(node, CITO.hasCitingEntity, cable)
        g.integer(node, SCHEMA.position, k)
        g.text(node, CR.entryLabel, ref.label)
        g.text(node, C4O.hasContent, ref.text)
        kind = _concept_node(SCHEME_REF_KIND, ref.kind.value)
        g.add(node, CR.referenceKind, g.concept(SCHEME_REF_KIND, kind, ref.kind.value))
        if ref.reference_id:
            cited = _node(g.minter.cable(ref.reference_id))
            g.add(node, CITO.hasCitedEntity, cited)
            g.add(cable, CITO.cites, cited)
            g.add(cited, CITO.isCitedBy, cable)


def _paragraphs(
    g: _Graph,
    whole: _Node,
    version: _Node,
    record: CableRecord,
    iri_of: dict[str, _Node],
) -> None:
    """The paragraphs of ``record``, parts of ``whole``, anchored in ``version``'s body.

    The statements of :meth:`_Graph.add`, :meth:`_Graph.a` and :meth:`_Graph.integer`, made
    here directly (a cable has many paragraphs), with the keys' fixed parts made once.
    """
    paragraphs: Sequence[Paragraph] = record.paragraphs
    keys = iris.paragraph_keys([p.number for p in paragraphs])
    links = g.links
    literal = g.literals.append
    graph = g.graph
    whole_text, whole_term = whole
    contains = whole_text + _TERM_TEXT[id(PO.contains)]
    part_of = _TERM_TEXT[id(DCT.isPartOf)] + whole_text
    a_paragraph = _IS_A[id(CR.Paragraph)]
    a_doco = _IS_A[id(DOCO.Paragraph)]
    position_of = _TERM_TEXT[id(SCHEMA.position)]
    text_position = _TERM_TEXT[id(CR.textPosition)]
    removed_span = _TERM_TEXT[id(CR.removedSpan)]
    selector = _Selector(g, version, record)
    for position, (key, p) in enumerate(zip(keys, paragraphs, strict=True), 1):
        node = iri_of[key]
        text, term = node
        k = contains + text
        if k not in links:
            links[k] = Quad(whole_term, PO.contains, term, graph)
        k = text + part_of
        if k not in links:
            links[k] = Quad(term, DCT.isPartOf, whole_term, graph)
        k = text + a_paragraph
        if k not in links:
            links[k] = Quad(term, _RDF_TYPE, CR.Paragraph, graph)
        k = text + a_doco
        if k not in links:
            links[k] = Quad(term, _RDF_TYPE, DOCO.Paragraph, graph)
        literal(text + position_of + _integer(position))
        g.text(node, FABIO.hasSequenceIdentifier, p.number)
        if p.marking is not None:
            g.text(node, CR.portionMarking, p.marking)
            g.add(node, CR.marking, _marking(g, p.marking))
        g.text(node, C4O.hasContent, p.text)
        span = _node(g.minter.span(term))
        k = text + text_position + span[0]
        if k not in links:
            links[k] = Quad(term, CR.textPosition, span[1], graph)
        selector.add(span, p.span.start, p.span.end)
        for n, removed in enumerate(p.removed, 1):
            r = _node(g.minter.removed_span(term, n))
            k = span[0] + removed_span + r[0]
            if k not in links:
                links[k] = Quad(span[1], CR.removedSpan, r[1], graph)
            selector.add(r, removed.start, removed.end)


class _Selector:
    """Writes the text position selectors of spans of one record's body into a graph."""

    __slots__ = ("a", "end", "g", "in_body", "length", "record", "start", "version")

    def __init__(self, g: _Graph, version: _Node, record: CableRecord) -> None:
        self.g = g
        self.record = record
        self.version = version[1]
        self.a = _IS_A[id(OA.TextPositionSelector)]
        self.start = _TERM_TEXT[id(OA.start)]
        self.end = _TERM_TEXT[id(OA.end)]
        self.in_body = _TERM_TEXT[id(CR.inBodyOf)] + version[0]
        self.length = len(record.body)

    def add(self, node: _Node, start: int, end: int) -> None:
        """``node`` a selector of ``[start, end)`` in the body (a warning if it lies outside)."""
        g = self.g
        links = g.links
        text, term = node
        k = text + self.a
        if k not in links:
            links[k] = Quad(term, _RDF_TYPE, OA.TextPositionSelector, g.graph)
        literal = g.literals.append
        literal(text + self.start + _integer(start))
        literal(text + self.end + _integer(end))
        k = text + self.in_body
        if k not in links:
            links[k] = Quad(term, CR.inBodyOf, self.version, g.graph)
        if not 0 <= start <= end <= self.length:
            g.warn(
                "mapping.span-out-of-range",
                f"span [{start}, {end}) does not lie in the body ({self.length} characters)",
                "kept as given; the parser's offsets are wrong",
                self.record,
            )


def _articles(g: _Graph, subject: _Node, record: CableRecord) -> None:
    for article in record.articles:
        node = _node(g.minter.article(article.url))
        g.add(subject, DCT.isReferencedBy, node)
        g.a(node, SCHEMA.Article)
        url = _quoted(article.url)  # None when it holds a lone surrogate
        if url is not None and _URL.fullmatch(article.url):
            g.literal(node, SCHEMA.url, url + _AS_ANY_URI)
        else:
            g.text(node, SCHEMA.url, article.url)
        g.text(node, SCHEMA.headline, article.title)


def _version(
    g: _Graph,
    cable: _Node,
    v: SourceVersion,
    node: _Node,
    previous: _Node | None,
) -> None:
    r = v.record
    g.a(node, CR.SourceVersion)
    g.a(node, PROV.Entity)
    g.add(node, PROV.specializationOf, cable)
    if previous is not None:
        g.add(node, PROV.wasRevisionOf, previous)
    g.text(node, CR.printedId, r.source_id)
    g.date(node, DCT.created, r.created, "the creation date")
    for released in r.released:
        g.date(node, DCT.issued, released, "a release date")
    if r.classification is not None:
        g.text(node, CR.classification, r.classification.printed)
    if r.origin is not None:
        _post(g, node, r.origin)
    g.text(node, CR.pageTitle, r.title)
    g.boolean(node, CR.partialExtract, r.partial_extract)
    g.text(node, C4O.hasContent, r.body)
    _articles(g, node, r)
    src = r.source
    if src is not None:
        form = _concept_node(SCHEME_FORM, src.form.value)
        g.add(node, CR.sourceForm, g.concept(SCHEME_FORM, form, src.form.value))
        g.text(node, CR.sha256, src.sha256)
    for k, (path, line) in enumerate(v.copies, 1):
        copy = _node(g.minter.source_copy(g.reference_id, v.key, k))
        g.add(node, CR.sourceCopy, copy)
        g.a(copy, CR.SourceCopy)
        g.text(copy, CR.sourcePath, path)
        g.integer(copy, CR.sourceLine, line)


def _cable(reference_id: str, records: Sequence[CableRecord], settings: Settings) -> _Graph:
    minter = Minter.for_settings(settings)
    versions = order_versions(records)
    primary = primary_version(versions)
    record = primary.record
    g = _Graph(minter.graph(reference_id), minter, reference_id, record)
    cable = _node(minter.cable(reference_id))
    version_iri = {v.key: _node(minter.version(reference_id, v.key)) for v in versions}

    g.a(cable, CR.Cable)
    g.a(cable, FABIO.ArchivalDocument)
    g.a(cable, SCHEMA.Message)
    g.text(cable, DCT.identifier, reference_id)
    g.text(cable, RDFS.label, reference_id)
    g.add(cable, VOID.inDataset, _node(minter.dataset()))
    g.add(cable, CR.primaryVersion, version_iri[primary.key])
    for v in versions:
        printed = v.record.source_id
        if printed.strip() and printed != reference_id:
            g.add(_node(minter.alias(printed)), OWL.sameAs, cable)

    g.date(cable, DCT.created, record.created, "the creation date")
    for released in sorted({d for v in versions for d in v.record.released}):
        g.date(cable, DCT.issued, released, "a release date")
    if record.classification is not None:
        _classification(g, cable, record.classification)
    if record.origin is not None:
        _post(g, cable, record.origin)
    g.text(cable, DCT.title, record.subject)
    if record.subject_marking is not None:
        g.text(cable, CR.subjectPortionMarking, record.subject_marking)
        g.add(cable, CR.subjectMarking, _marking(g, record.subject_marking))
    for tag in record.tags:
        node = _code_node(SCHEME_TAG, tag)
        g.add(cable, DCT.subject, g.concept(SCHEME_TAG, node, _fold(tag)))
    if record.tags:
        g.text(cable, CR.tagsAsPrinted, " ".join(record.tags))
    _references(g, cable, record)
    _header(g, cable, record)
    g.text(cable, CR.executiveOrder, record.eo)
    g.date(cable, CR.declassifyOn, record.declassify_on, "the declassification date")
    g.text(cable, CR.classifiedBy, record.classified_by)
    for reason in record.reasons:
        key = " ".join(reason.split()).lower()
        node = _concept_node(SCHEME_REASON, key)
        g.add(cable, CR.classificationReason, g.concept(SCHEME_REASON, node, key))
    g.text(cable, CR.signer, record.signer)
    g.text(cable, DCT.abstract, record.summary)
    g.text(cable, CR.commentText, record.comment)
    for v in versions:
        _articles(g, cable, v.record)

    keys = iris.paragraph_keys([p.number for p in record.paragraphs])
    cable_paragraphs = {k: _node(minter.paragraph(reference_id, k)) for k in keys}
    _paragraphs(g, cable, version_iri[primary.key], record, cable_paragraphs)

    previous: _Node | None = None
    for v in versions:
        node = version_iri[v.key]
        _version(g, cable, v, node, previous)
        previous = node
        if v is primary:
            continue
        own = iris.paragraph_keys([p.number for p in v.record.paragraphs])
        own_iri = {k: _node(minter.version_paragraph(reference_id, v.key, k)) for k in own}
        _paragraphs(g, node, node, v.record, own_iri)
        for k, p_node in own_iri.items():
            if k in cable_paragraphs:
                g.add(p_node, PROV.specializationOf, cable_paragraphs[k])

    graph = _node(g.graph)
    conversion = _node(minter.conversion(reference_id))
    software = _node(minter.software(settings.tool_version))
    g.a(graph, PROV.Entity)
    g.add(graph, PROV.wasGeneratedBy, conversion)
    g.add(graph, DCT.conformsTo, _node(iris.ontology_version(settings.ontology_version)))
    g.a(conversion, PROV.Activity)
    g.add(conversion, PROV.wasAssociatedWith, software)
    for v in versions:
        g.add(graph, PROV.wasDerivedFrom, version_iri[v.key])
        g.add(conversion, PROV.used, version_iri[v.key])
    g.a(software, PROV.SoftwareAgent)
    g.text(software, RDFS.label, f"cablerdf {settings.tool_version}")
    g.text(software, SCHEMA.softwareVersion, settings.tool_version)
    return g


# ---- entry points ------------------------------------------------------------------------


@dataclass(frozen=True)
class MappingResult:
    """The quads of the cables mapped, sorted by graph IRI, then by N-Quads text; diagnostics.

    ``ntriples``: when the quads are one graph's (one cable mapped), their N-Triples text,
    line ``i`` that of ``quads[i]`` (so sorted, and distinct), as pyoxigraph writes it; else
    None. ``export.serialisations(quads, root, loader, ntriples=...)`` reads it.
    """

    quads: tuple[Quad, ...]
    diagnostics: tuple[Diagnostic, ...]
    ntriples: bytes | None = None


def map_records(records: Iterable[CableRecord], settings: Settings) -> MappingResult:
    """Map records to quads: one graph per reference ID, all of its records as versions."""
    groups: dict[str, list[CableRecord]] = {}
    for record in records:
        groups.setdefault(record.reference_id, []).append(record)
    minter = Minter.for_settings(settings)
    quads: list[Quad] = []
    diagnostics: list[Diagnostic] = []
    keys: list[bytes] = []
    for reference_id in sorted(groups, key=lambda r: minter.graph(r).value):
        g = _cable(reference_id, groups[reference_id], settings)
        graph_quads, keys = g.quads_and_lines()
        quads.extend(graph_quads)  # one graph: its N-Quads lines in order
        diagnostics.extend(g.diagnostics)
    ntriples = None
    if len(groups) == 1:
        ntriples = b" .\n".join(keys) + b" .\n" if keys else b""
    return MappingResult(tuple(quads), tuple(diagnostics), ntriples)


def cable_to_quads(records: Sequence[CableRecord], settings: Settings) -> list[Quad]:
    """The sorted quads of :func:`map_records` (diagnostics dropped)."""
    return list(map_records(records, settings).quads)
