"""A SHACL engine for the part of SHACL Core and SHACL-SPARQL that the cablerdf shapes use.

:class:`Engine` compiles a shapes graph once (an rdflib graph, as the validator reads it) and
validates one data graph at a time (pyoxigraph terms, as the mapping writes them) into
:class:`Result` values. It follows the W3C recommendation (https://www.w3.org/TR/shacl/) for
what it implements and refuses what it does not: compiling a shapes graph that uses any other
SHACL feature raises :class:`UnsupportedShapes`, naming the feature, so that no constraint is
ever skipped silently.

What is implemented:

* targets (sh:targetNode, sh:targetClass with rdfs:subClassOf in the data graph,
  sh:targetSubjectsOf, sh:targetObjectsOf) and every kind of property path;
* Core constraints: sh:class, sh:datatype, sh:nodeKind, sh:minCount, sh:maxCount, the four
  range bounds, sh:minLength, sh:maxLength, sh:pattern (no sh:flags), sh:equals,
  sh:disjoint, sh:lessThan, sh:lessThanOrEquals, sh:not, sh:and, sh:or, sh:xone, sh:node,
  sh:in, sh:hasValue; sh:severity, sh:message and sh:deactivated;
* SPARQL-based constraints (sh:sparql with sh:select, sh:prefixes / sh:declare, sh:message
  with ``{?var}`` / ``{$var}`` templates, ``$this`` and ``$currentShape`` pre-bound,
  ``$PATH`` substituted).

The data graph is indexed in Python dicts and every Core constraint is evaluated in Python.
SPARQL queries are parsed once (rdflib's parser and algebra) and compiled into a small
evaluator over the same dicts, with ``$this`` pre-bound as an initial solution, which is what
SHACL's pre-binding means (https://www.w3.org/TR/shacl/#pre-binding). Values are compared
with SPARQL's operators (the XSD value spaces of integers, decimals, booleans, strings,
dates and date-times are evaluated here); any other case is handed to Oxigraph, the SPARQL
engine that pyshacl-turbo also uses, one operation at a time, so the semantics stay
Oxigraph's. A query whose algebra the evaluator does not cover (OPTIONAL, subqueries,
aggregates, GRAPH...) is run by Oxigraph as a whole, one pre-bound query per focus node.

Literals are taken as Oxigraph's store keeps them (``"02"^^xsd:integer`` is stored as
``"2"``, ``xsd:int`` as ``xsd:integer``), so that this engine sees the same graph as the
engines that are given a ``pyoxigraph.Store``.

Where pySHACL and pyshacl-turbo agree with each other rather than with the letter of the
specifications, this engine gives their results (``tests/test_shacl_engine.py`` compares
them): regular expressions (sh:pattern and REGEX) are Python's, as pySHACL compiles them
(``$`` also matches before a final newline); SUBSTR with a start before 1 or a negative
length is an error (the SPARQL engine pyshacl-turbo embeds, Oxigraph 0.5.11, has it so);
``{$currentShape}`` is not filled in messages. Results carry no default messages: every
shape that reports results needs an sh:message.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar, Final, NamedTuple, TypeAlias

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection as RdfList
from rdflib.term import BNode, Node, URIRef

__all__ = ["Engine", "Result", "UnsupportedShapes"]

_SH: Final = "http://www.w3.org/ns/shacl#"
_RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS: Final = "http://www.w3.org/2000/01/rdf-schema#"
_XSD: Final = "http://www.w3.org/2001/XMLSchema#"
_OWL: Final = "http://www.w3.org/2002/07/owl#"
_RDF_TYPE: Final = _RDF + "type"
_SUBCLASS_OF: Final = _RDFS + "subClassOf"
_XSD_STRING: Final = _XSD + "string"
_XSD_INTEGER: Final = _XSD + "integer"
_XSD_DECIMAL: Final = _XSD + "decimal"
_XSD_BOOLEAN: Final = _XSD + "boolean"
_XSD_DATE: Final = _XSD + "date"
_XSD_DATETIME: Final = _XSD + "dateTime"
_XSD_ANYURI: Final = _XSD + "anyURI"
_LANG_STRING: Final = _RDF + "langString"

_SEVERITIES: Final = {
    _SH + "Violation": "Violation",
    _SH + "Warning": "Warning",
    _SH + "Info": "Info",
}


class UnsupportedShapes(ValueError):
    """The shapes graph uses a SHACL feature this engine does not implement (or that SHACL
    forbids); the message names the feature and the shape."""


# ---- terms ------------------------------------------------------------------------------

# kinds of terms for SPARQL's operators; _K_OTHER: an ill-formed literal, or a datatype whose
# values this module does not evaluate (Oxigraph does)
_K_IRI, _K_BLANK, _K_STRING, _K_LANG, _K_NUMBER, _K_BOOLEAN, _K_DATETIME, _K_DATE, _K_OTHER = range(
    9
)
# An IRI is a str; blank nodes and literals are small tuples. Terms compare as RDF terms.


class Blank(NamedTuple):
    """A blank node, by its label."""

    id: str


class Lit(NamedTuple):
    """A literal: lexical form, datatype IRI, language tag (``""`` when none), and what
    SPARQL's operators make of it (``kind``, which follows from the rest: see :func:`lit`)."""

    lexical: str
    datatype: str
    language: str
    kind: int


Term: TypeAlias = str | Blank | Lit
Solution: TypeAlias = dict[str, Term]

_TRUE: Final = Lit("true", _XSD_BOOLEAN, "", _K_BOOLEAN)
_FALSE: Final = Lit("false", _XSD_BOOLEAN, "", _K_BOOLEAN)


def to_ox(term: Term) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A term as a pyoxigraph term."""
    if isinstance(term, str):
        return ox.NamedNode(term)
    if isinstance(term, Blank):
        return ox.BlankNode(term.id)
    if term.language:
        return ox.Literal(term.lexical, language=term.language)
    return ox.Literal(term.lexical, datatype=ox.NamedNode(term.datatype))


def node_text(term: Term) -> str:
    """A term as a report names a focus node: the IRI, ``_:`` and the label of a blank
    node, or the N-Triples form of a literal."""
    if isinstance(term, str):
        return term
    if isinstance(term, Blank):
        return "_:" + term.id
    return str(to_ox(term))


def value_text(term: Term) -> str:
    """A term in N-Triples syntax (``<iri>``, ``_:label``, ``"text"^^<datatype>``)."""
    if isinstance(term, Blank):
        return "_:" + term.id
    return str(to_ox(term))


def _template_text(term: Term) -> str:
    """A term as message templates show it: the IRI, the lexical form, or the label."""
    if isinstance(term, str):
        return term
    if isinstance(term, Blank):
        return term.id
    return term.lexical


def _from_rdflib(node: Node) -> Term:
    """An rdflib term (of the shapes graph or a query) as a term."""
    if isinstance(node, URIRef):
        return str(node)
    if isinstance(node, BNode):
        return Blank(str(node))
    if isinstance(node, rdflib.Literal):
        if node.language:
            return lit(str(node), _LANG_STRING, node.language.lower())
        return lit(str(node), str(node.datatype) if node.datatype else _XSD_STRING)
    raise UnsupportedShapes(f"unexpected RDF term {node!r}")


# ---- literals as Oxigraph stores them ------------------------------------------------------

_CANONICAL: Final = {
    # lexical forms that Oxigraph's store keeps unchanged (canonical, or not a value at all)
    _XSD_INTEGER: re.compile(r"0|-?[1-9][0-9]*"),
    _XSD_BOOLEAN: re.compile(r"true|false"),
    _XSD_DATE: re.compile(r"(?!0000)[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"),
    _XSD_DATETIME: re.compile(
        r"(?!0000)[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
        r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z"
    ),
}
_CACHE_LIMIT: Final = 10_000


@dataclass
class _Canonicaliser:
    """Turns pyoxigraph literals into :class:`Lit` values as an Oxigraph store keeps them.

    Oxigraph stores the literals of the XSD types it knows as values (``"02"^^xsd:integer``
    is read back as ``"2"``, ``xsd:int`` as ``xsd:integer``); the other engines are given a
    store, so this engine reads the same terms. Literals whose lexical form is known to be
    kept are converted directly; the others are put through a store once (and cached).
    """

    cache: dict[tuple[str, str], Lit] = field(default_factory=dict)

    def pending(self, literal: ox.Literal) -> Lit | None:
        """``literal`` as stored, when that is known without a store; else None."""
        language = literal.language
        if language:
            return lit(literal.value, _LANG_STRING, language)
        datatype = literal.datatype.value
        lexical = literal.value
        if datatype == _XSD_STRING:
            return lit(lexical, datatype)
        pattern = _CANONICAL.get(datatype)
        if pattern is not None and pattern.fullmatch(lexical):
            return lit(lexical, datatype)
        return self.cache.get((lexical, datatype))

    def stored(self, literals: Sequence[ox.Literal]) -> list[Lit]:
        """``literals`` as an Oxigraph store keeps them (one store for all)."""
        store = ox.Store()
        subject = ox.NamedNode("urn:x-cablerdf:literal")
        store.bulk_extend(
            ox.Quad(subject, ox.NamedNode(f"urn:x-cablerdf:{k}"), literal)
            for k, literal in enumerate(literals)
        )
        out: list[Lit | None] = [None] * len(literals)
        for quad in store:
            obj = quad.object
            assert isinstance(obj, ox.Literal)
            k = int(quad.predicate.value.rsplit(":", 1)[1])
            out[k] = (
                lit(obj.value, _LANG_STRING, obj.language)
                if obj.language
                else lit(obj.value, obj.datatype.value)
            )
        if len(self.cache) > _CACHE_LIMIT:
            self.cache.clear()
        result: list[Lit] = []
        for literal, found in zip(literals, out, strict=True):
            assert found is not None
            self.cache[(literal.value, literal.datatype.value)] = found
            result.append(found)
        return result


# ---- XSD values (https://www.w3.org/TR/xmlschema11-2/) ---------------------------------------

_INTEGER_TYPES: Final = frozenset(
    _XSD + t
    for t in [
        "integer", "nonPositiveInteger", "negativeInteger", "long", "int", "short", "byte",
        "nonNegativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
        "positiveInteger",
    ]
)  # fmt: skip
_INTEGER_RE: Final = re.compile(r"[+-]?[0-9]+")
_DECIMAL_RE: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_TIMEZONE: Final = r"(Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
_DATE_RE: Final = re.compile(
    r"(-?(?:[1-9][0-9]{4,}|[0-9]{4}))-(0[1-9]|1[0-2])-([0-3][0-9])" + _TIMEZONE
)
_DATETIME_RE: Final = re.compile(
    r"(-?(?:[1-9][0-9]{4,}|[0-9]{4}))-(0[1-9]|1[0-2])-([0-3][0-9])"
    r"T(?:([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9](?:\.[0-9]+)?)|(24):(00):(00(?:\.0+)?))"
    + _TIMEZONE
)


def _valid_day(year: str, month: str, day: str) -> bool:
    """Whether the day exists in that month of that (proleptic Gregorian) year."""
    number = int(month)
    if number == 2:
        last = 29 if calendar.isleap(int(year)) else 28
    else:
        last = 30 if number in (4, 6, 9, 11) else 31
    return 1 <= int(day) <= last


def wellformed(literal: Lit) -> bool:
    """Whether the literal's lexical form is in its datatype's lexical space (for the
    datatypes :data:`CHECKED_DATATYPES` lists; literals of other datatypes count as
    well-formed)."""
    if literal.datatype in _VALUE_TYPES:
        return literal.kind != _K_OTHER
    if literal.datatype in _INTEGER_TYPES:
        return _INTEGER_RE.fullmatch(literal.lexical) is not None
    return True


_VALUE_TYPES: Final = frozenset(
    {_XSD_INTEGER, _XSD_DECIMAL, _XSD_BOOLEAN, _XSD_DATE, _XSD_DATETIME}
)
CHECKED_DATATYPES: Final = frozenset(
    {_XSD_STRING, _LANG_STRING, _XSD_ANYURI, _XSD_INTEGER, _XSD_DECIMAL, _XSD_BOOLEAN}
    | {_XSD_DATE, _XSD_DATETIME}
)
"""The datatypes whose lexical spaces :func:`wellformed` knows (sh:datatype accepts these)."""


class _Defer(Exception):
    """An operation on values this module does not evaluate itself: ask Oxigraph."""


class _ExprError(Exception):
    """A SPARQL expression error (https://www.w3.org/TR/sparql11-query/#evaluation)."""


def _kind(term: Term) -> int:
    """What SPARQL's operators make of ``term`` (one of the ``_K_`` kinds)."""
    if isinstance(term, str):
        return _K_IRI
    if isinstance(term, Blank):
        return _K_BLANK
    return term.kind


def _kind_of(lexical: str, datatype: str) -> int:
    """The kind of a literal that is not language-tagged."""
    if datatype == _XSD_STRING:
        return _K_STRING
    if datatype == _XSD_INTEGER:
        return _K_NUMBER if _INTEGER_RE.fullmatch(lexical) else _K_OTHER
    if datatype == _XSD_DECIMAL:
        return _K_NUMBER if _DECIMAL_RE.fullmatch(lexical) else _K_OTHER
    if datatype == _XSD_BOOLEAN:
        return _K_BOOLEAN if lexical in ("true", "false", "1", "0") else _K_OTHER
    if datatype == _XSD_DATETIME or datatype == _XSD_DATE:
        date = datatype == _XSD_DATE
        match = (_DATE_RE if date else _DATETIME_RE).fullmatch(lexical)
        if match is None or not _valid_day(match[1], match[2], match[3]):
            return _K_OTHER
        return _K_DATE if date else _K_DATETIME
    return _K_OTHER


_new_tuple: Final = tuple.__new__  # builds a Lit without the call of its generated __new__


def _integer_lit(value: int) -> Lit:
    return _new_tuple(Lit, (str(value), _XSD_INTEGER, "", _K_NUMBER))


def _string_lit(text: str) -> Lit:
    return _new_tuple(Lit, (text, _XSD_STRING, "", _K_STRING))


def lit(lexical: str, datatype: str, language: str = "") -> Lit:
    """The literal ``lexical`` of ``datatype`` (``rdf:langString`` with a ``language``)."""
    if language:
        return Lit(lexical, _LANG_STRING, language, _K_LANG)
    return Lit(lexical, datatype, "", _kind_of(lexical, datatype))


def _number(literal: Lit) -> int | Decimal:
    return int(literal.lexical) if literal.datatype == _XSD_INTEGER else Decimal(literal.lexical)


def _moment(literal: Lit) -> tuple[bool, tuple[object, ...]]:
    """A date or date-time as (has a timezone, sortable value); defers what it cannot order
    exactly (years outside 1-9999, the hour 24)."""
    text = literal.lexical
    if literal.datatype == _XSD_DATE:
        match = _DATE_RE.fullmatch(text)
        assert match is not None
        year, month, day, zone = match[1], match[2], match[3], match[4]
        hour, minute, second = "00", "00", "0"
    else:
        match = _DATETIME_RE.fullmatch(text)
        assert match is not None
        if match[7]:
            raise _Defer
        year, month, day = match[1], match[2], match[3]
        hour, minute, second, zone = match[4], match[5], match[6], match[10]
    if year.startswith("-") or len(year) != 4 or year == "0000":
        raise _Defer
    days = calendar.timegm((int(year), int(month), int(day), 0, 0, 0, 0, 0, 0)) // 86400
    seconds = Decimal(days * 86400 + int(hour) * 3600 + int(minute) * 60) + Decimal(second)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "+" else 1
        seconds += sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return bool(zone), (seconds,)


def compare(a: Term, b: Term) -> int:
    """SPARQL's order of two terms (https://www.w3.org/TR/sparql11-query/#OperatorMapping):
    -1, 0 or 1; raises :class:`_ExprError` when they are not comparable and
    :class:`_Defer` for values this module does not order."""
    if (
        type(a) is Lit
        and type(b) is Lit
        and a.kind == _K_NUMBER
        and b.kind == _K_NUMBER
        and a.datatype == _XSD_INTEGER
        and b.datatype == _XSD_INTEGER
    ):
        x0, y0 = int(a.lexical), int(b.lexical)
        return -1 if x0 < y0 else (1 if x0 > y0 else 0)
    ka, kb = _kind(a), _kind(b)
    if ka == _K_OTHER or kb == _K_OTHER or ka == _K_LANG or kb == _K_LANG:
        raise _Defer
    if ka != kb or ka in (_K_IRI, _K_BLANK):
        raise _ExprError
    assert isinstance(a, Lit) and isinstance(b, Lit)
    if ka == _K_NUMBER:
        x: object = _number(a)
        y: object = _number(b)
    elif ka == _K_STRING:
        x, y = a.lexical, b.lexical
    elif ka == _K_BOOLEAN:
        x, y = a.lexical in ("true", "1"), b.lexical in ("true", "1")
    else:
        if a.datatype != b.datatype:
            raise _ExprError
        zone_a, x = _moment(a)
        zone_b, y = _moment(b)
        if zone_a != zone_b:
            raise _Defer  # XSD's partial order of zoned and unzoned values
    return -1 if x < y else (1 if x > y else 0)  # type: ignore[operator]


def equal(a: Term, b: Term) -> bool:
    """SPARQL's ``=`` (https://www.w3.org/TR/sparql11-query/#func-RDFterm-equal, with the
    value comparisons of the operator mapping); raises :class:`_Defer` where Oxigraph
    decides (ill-formed literals, unknown datatypes, zones)."""
    if a == b:
        return True
    ka, kb = _kind(a), _kind(b)
    if ka in (_K_IRI, _K_BLANK) or kb in (_K_IRI, _K_BLANK):
        return False
    if ka == _K_OTHER or kb == _K_OTHER:
        raise _Defer
    if ka != kb:
        return False
    if ka in (_K_STRING, _K_LANG):
        return False
    return compare(a, b) == 0


def ebv(term: Term) -> bool:
    """The effective boolean value (https://www.w3.org/TR/sparql11-query/#ebv)."""
    kind = _kind(term)
    if kind == _K_BOOLEAN:
        assert isinstance(term, Lit)
        return term.lexical in ("true", "1")
    if kind == _K_STRING:
        assert isinstance(term, Lit)
        return term.lexical != ""
    if kind == _K_NUMBER:
        assert isinstance(term, Lit)
        return _number(term) != 0
    if kind == _K_OTHER:
        raise _Defer
    raise _ExprError


# ---- regular expressions (https://www.w3.org/TR/xpath-functions/#regex-syntax) ----------------

_REGEX_ESCAPES: Final = frozenset("\\|.-^?*+{}()[]$nrt" + "d")


def python_regex(pattern: str, flags: str = "") -> re.Pattern[str]:
    """A regular expression of sh:pattern or SPARQL's REGEX as Python's ``re`` compiles it,
    which is how pySHACL evaluates both and what pyshacl-turbo reproduces (``$`` also
    matches before a final newline). Only syntax that reads the same in XPath and Python
    is accepted: characters, classes with ranges, ``\\d``, quantifiers, groups,
    alternatives, ``^`` and ``$``; anything else raises :class:`UnsupportedShapes`."""
    if flags not in ("", "i"):
        raise UnsupportedShapes(f"regular expression flags {flags!r} are not supported")
    out: list[str] = []
    in_class = False
    k = 0
    while k < len(pattern):
        c = pattern[k]
        if c == "\\":
            nxt = pattern[k + 1 : k + 2]
            if nxt not in _REGEX_ESCAPES or not nxt:
                raise UnsupportedShapes(
                    f"regular expression {pattern!r}: the escape \\{nxt} is not supported"
                )
            out.append("\\" + nxt)
            k += 2
            continue
        if in_class:
            if c == "[":
                raise UnsupportedShapes(f"regular expression {pattern!r}: nested classes")
            if c == "]":
                in_class = False
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
            if pattern[k + 1 : k + 2] == "^":
                out.append("^")
                k += 1
            if pattern[k + 1 : k + 2] == "]":
                raise UnsupportedShapes(f"regular expression {pattern!r}: a class starts with ]")
        elif c == "(" and pattern[k + 1 : k + 2] == "?":
            raise UnsupportedShapes(f"regular expression {pattern!r}: (? groups")
        elif c == "{" and re.match(r"\{[0-9]+(,[0-9]*)?\}", pattern[k:]) is None:
            raise UnsupportedShapes(f"regular expression {pattern!r}: a lone {{")
        else:
            out.append(c)
        k += 1
    if in_class:
        raise UnsupportedShapes(f"regular expression {pattern!r}: an unclosed class")
    try:
        return re.compile("".join(out), re.IGNORECASE if flags == "i" else 0)
    except re.error as e:
        raise UnsupportedShapes(f"regular expression {pattern!r}: {e}") from e


# ---- the data graph ------------------------------------------------------------------------


class Graph:
    """One data graph, indexed: predicate -> subject -> objects, and the inverse and
    subject-first indexes built when first needed."""

    __slots__ = ("_inverse", "_objects_first", "_subjects_first", "pso")

    def __init__(self, pso: dict[str, dict[Term, set[Term]]]) -> None:
        self.pso = pso
        self._inverse: dict[str, dict[Term, set[Term]]] = {}
        self._subjects_first: dict[Term, dict[str, set[Term]]] | None = None
        self._objects_first: dict[Term, dict[str, set[Term]]] | None = None

    def objects(self, subject: Term, predicate: str) -> Collection[Term]:
        """The objects of ``subject`` for ``predicate``."""
        by_subject = self.pso.get(predicate)
        if by_subject is None:
            return ()
        return by_subject.get(subject, ())

    def inverse(self, predicate: str) -> dict[Term, set[Term]]:
        """``predicate``'s object -> subjects index."""
        index = self._inverse.get(predicate)
        if index is None:
            index = {}
            for subject, objects in self.pso.get(predicate, {}).items():
                for obj in objects:
                    found = index.get(obj)
                    if found is None:
                        index[obj] = {subject}
                    else:
                        found.add(subject)
            self._inverse[predicate] = index
        return index

    def subjects(self, predicate: str, obj: Term) -> Collection[Term]:
        """The subjects that have ``obj`` for ``predicate``."""
        return self.inverse(predicate).get(obj, ())

    def outgoing(self, subject: Term) -> dict[str, set[Term]]:
        """Every predicate of ``subject`` with its objects."""
        if self._subjects_first is None:
            index: dict[Term, dict[str, set[Term]]] = {}
            for predicate, by_subject in self.pso.items():
                for s, objects in by_subject.items():
                    index.setdefault(s, {})[predicate] = objects
            self._subjects_first = index
        return self._subjects_first.get(subject, {})

    def incoming(self, obj: Term) -> dict[str, set[Term]]:
        """Every predicate that points at ``obj``, with its subjects."""
        if self._objects_first is None:
            index: dict[Term, dict[str, set[Term]]] = {}
            for predicate in self.pso:
                for o, subjects in self.inverse(predicate).items():
                    index.setdefault(o, {})[predicate] = subjects
            self._objects_first = index
        return self._objects_first.get(obj, {})

    def triples(self) -> Iterator[tuple[Term, str, Term]]:
        """Every triple."""
        for predicate, by_subject in self.pso.items():
            for subject, objects in by_subject.items():
                for obj in objects:
                    yield subject, predicate, obj

    def nodes(self) -> set[Term]:
        """Every subject and object."""
        found: set[Term] = set()
        for by_subject in self.pso.values():
            found.update(by_subject)
            for objects in by_subject.values():
                found.update(objects)
        return found

    def instances(self, cls: str) -> set[Term]:
        """The SHACL instances of ``cls``: its rdf:type values and those of its subclasses
        (rdfs:subClassOf in the data graph), https://www.w3.org/TR/shacl/#shacl-instance."""
        found: set[Term] = set()
        for c in self.subclasses(cls):
            found.update(self.subjects(_RDF_TYPE, c))
        return found

    def subclasses(self, cls: str) -> set[Term]:
        """``cls`` and its SHACL subclasses (rdfs:subClassOf*, in the data graph)."""
        found: set[Term] = {cls}
        if _SUBCLASS_OF not in self.pso:
            return found
        todo: list[Term] = [cls]
        while todo:
            for sub in self.subjects(_SUBCLASS_OF, todo.pop()):
                if sub not in found:
                    found.add(sub)
                    todo.append(sub)
        return found

    def is_instance(self, node: Term, cls: str) -> bool:
        """Whether ``node`` is a SHACL instance of ``cls``."""
        types = self.objects(node, _RDF_TYPE)
        if not types:
            return False
        if cls in types:
            return True
        if _SUBCLASS_OF not in self.pso:
            return False
        return not self.subclasses(cls).isdisjoint(types)


def read_graph(quads: Iterable[Iterable[object]], canon: _Canonicaliser) -> Graph:
    """The :class:`Graph` of pyoxigraph quads (or ``(subject, predicate, object, graph)``
    tuples; the graph name is not read), with literals as an Oxigraph store keeps them."""
    named, blank, literal = ox.NamedNode, ox.BlankNode, ox.Literal
    string, integer, canonical, cache = _XSD_STRING, _XSD_INTEGER, _CANONICAL, canon.cache
    pso: dict[str, dict[Term, set[Term]]] = {}
    later: list[tuple[Term, str, ox.Literal]] = []
    for s, p, o, _ in quads:
        kind = type(s)
        if kind is named:
            subject: Term = s.value  # type: ignore[attr-defined]
        elif kind is blank:
            subject = Blank(s.value)  # type: ignore[attr-defined]
        else:
            raise ValueError(f"not an RDF 1.1 subject: {s!r}")
        predicate: str = p.value  # type: ignore[attr-defined]
        kind = type(o)
        obj: Term
        if kind is named:
            obj = o.value  # type: ignore[attr-defined]
        elif kind is literal:
            lexical: str = o.value  # type: ignore[attr-defined]
            language: str | None = o.language  # type: ignore[attr-defined]
            if language:
                obj = Lit(lexical, _LANG_STRING, language, _K_LANG)
            else:
                datatype: str = o.datatype.value  # type: ignore[attr-defined]
                if datatype == string:
                    obj = Lit(lexical, string, "", _K_STRING)
                else:
                    pattern = canonical.get(datatype)
                    if pattern is not None and pattern.fullmatch(lexical):
                        if datatype == integer:
                            obj = Lit(lexical, integer, "", _K_NUMBER)
                        else:
                            obj = lit(lexical, datatype)
                    else:
                        found = cache.get((lexical, datatype))
                        if found is None:
                            later.append((subject, predicate, o))  # type: ignore[arg-type]
                            continue
                        obj = found
        elif kind is blank:
            obj = Blank(o.value)  # type: ignore[attr-defined]
        else:
            raise ValueError(f"not an RDF 1.1 object: {o!r}")
        by_subject = pso.get(predicate)
        if by_subject is None:
            pso[predicate] = {subject: {obj}}
            continue
        objects = by_subject.get(subject)
        if objects is None:
            by_subject[subject] = {obj}
        else:
            objects.add(obj)
    if later:
        stored = canon.stored([o for _, _, o in later])
        for (subject, predicate, _), obj in zip(later, stored, strict=True):
            pso.setdefault(predicate, {}).setdefault(subject, set()).add(obj)
    return Graph(pso)


# ---- Oxigraph for the values this module does not evaluate ------------------------------------


@dataclass
class _Oracle:
    """Evaluates single SPARQL operations with Oxigraph, on values read from a store (as
    the other engines read them), and remembers the answers."""

    cache: dict[tuple[str, tuple[Term, ...]], Term | None] = field(default_factory=dict)

    def evaluate(self, expression: str, args: Sequence[Term]) -> Term:
        """The value of ``expression`` (over ``?a0``, ``?a1``...) for ``args``; raises
        :class:`_ExprError` when Oxigraph gives an error."""
        key = (expression, tuple(args))
        if key in self.cache:
            found = self.cache[key]
        else:
            store = ox.Store()
            subject = ox.NamedNode("urn:x-cablerdf:args")
            store.bulk_extend(
                ox.Quad(subject, ox.NamedNode(f"urn:x-cablerdf:a{k}"), to_ox(arg))
                for k, arg in enumerate(args)
            )
            where = " ".join(
                f"<urn:x-cablerdf:args> <urn:x-cablerdf:a{k}> ?a{k} ." for k in range(len(args))
            )
            answer = store.query(f"SELECT ({expression} AS ?r) WHERE {{ {where} }}")
            assert isinstance(answer, ox.QuerySolutions)
            solutions = list(answer)
            found = None
            if solutions:
                value = solutions[0]["r"]
                found = None if value is None else _from_ox(value)
            if len(self.cache) > _CACHE_LIMIT:
                self.cache.clear()
            self.cache[key] = found
        if found is None:
            raise _ExprError
        return found

    def compare(self, op: str, a: Term, b: Term) -> bool:
        """``a op b`` with SPARQL's comparison ``op`` (``=``, ``<``, ``<=``...); raises
        :class:`_ExprError` on an error."""
        return ebv(self.evaluate(f"(?a0 {op} ?a1)", (a, b)))


def _from_ox(term: object) -> Term:
    """A pyoxigraph term (from a store or a query) as a term."""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return Blank(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return lit(term.value, _LANG_STRING, term.language)
        return lit(term.value, term.datatype.value)
    raise ValueError(f"not an RDF 1.1 term: {term!r}")


def compare_values(oracle: _Oracle, op: str, a: Term, b: Term) -> bool:
    """Whether ``a op b`` holds for SPARQL's ``op`` (``<``, ``<=``, ``>``, ``>=``, ``=``),
    False on an error (https://www.w3.org/TR/shacl/#core-components-range)."""
    try:
        if op == "=":
            return equal(a, b)
        order = compare(a, b)
    except _ExprError:
        return False
    except _Defer:
        try:
            return oracle.compare(op, a, b)
        except _ExprError:
            return False
    if op == "<":
        return order < 0
    if op == "<=":
        return order <= 0
    if op == ">":
        return order > 0
    return order >= 0


# ---- property paths (https://www.w3.org/TR/shacl/#property-paths) ---------------------------


class Path:
    """A property path: the nodes it reaches from a node, or leads to a node.

    ``text`` is how a report writes it (the predicate IRI, or a SPARQL property path
    such as ``^<iri>`` or ``(<a>/<b>)``); ``sparql`` is its SPARQL syntax.
    """

    inner_text: str = ""

    @property
    def text(self) -> str:
        return self.inner_text

    @property
    def sparql(self) -> str:
        return self.inner_text

    def forward(self, graph: Graph, node: Term) -> Collection[Term]:
        """The nodes the path reaches from ``node``."""
        raise NotImplementedError

    def backward(self, graph: Graph, node: Term) -> Collection[Term]:
        """The nodes from which the path reaches ``node``."""
        raise NotImplementedError

    def pairs(self, graph: Graph) -> Iterator[tuple[Term, Term]]:
        """Every (start, end) the path connects."""
        for node in graph.nodes():
            for end in self.forward(graph, node):
                yield node, end


@dataclass(frozen=True)
class PredicatePath(Path):
    iri: str

    @property
    def inner_text(self) -> str:  # type: ignore[override]
        return f"<{self.iri}>"

    @property
    def text(self) -> str:
        return self.iri

    def forward(self, graph: Graph, node: Term) -> Collection[Term]:
        return graph.objects(node, self.iri)

    def backward(self, graph: Graph, node: Term) -> Collection[Term]:
        return graph.subjects(self.iri, node)

    def pairs(self, graph: Graph) -> Iterator[tuple[Term, Term]]:
        for subject, objects in graph.pso.get(self.iri, {}).items():
            for obj in objects:
                yield subject, obj


@dataclass(frozen=True)
class InversePath(Path):
    path: Path

    @property
    def inner_text(self) -> str:  # type: ignore[override]
        return "^" + self.path.inner_text

    @property
    def sparql(self) -> str:
        return f"^({self.path.sparql})"

    def forward(self, graph: Graph, node: Term) -> Collection[Term]:
        return self.path.backward(graph, node)

    def backward(self, graph: Graph, node: Term) -> Collection[Term]:
        return self.path.forward(graph, node)

    def pairs(self, graph: Graph) -> Iterator[tuple[Term, Term]]:
        for start, end in self.path.pairs(graph):
            yield end, start


@dataclass(frozen=True)
class SequencePath(Path):
    steps: tuple[Path, ...]

    @property
    def inner_text(self) -> str:  # type: ignore[override]
        return "(" + "/".join(p.inner_text for p in self.steps) + ")"

    @property
    def sparql(self) -> str:
        return "(" + "/".join(f"({p.sparql})" for p in self.steps) + ")"

    def forward(self, graph: Graph, node: Term) -> Collection[Term]:
        frontier: Collection[Term] = (node,)
        for step in self.steps:
            reached: set[Term] = set()
            for n in frontier:
                reached.update(step.forward(graph, n))
            frontier = reached
        return frontier

    def backward(self, graph: Graph, node: Term) -> Collection[Term]:
        frontier: Collection[Term] = (node,)
        for step in reversed(self.steps):
            reached: set[Term] = set()
            for n in frontier:
                reached.update(step.backward(graph, n))
            frontier = reached
        return frontier


@dataclass(frozen=True)
class AlternativePath(Path):
    options: tuple[Path, ...]

    @property
    def inner_text(self) -> str:  # type: ignore[override]
        return "(" + "|".join(p.inner_text for p in self.options) + ")"

    @property
    def sparql(self) -> str:
        return "(" + "|".join(f"({p.sparql})" for p in self.options) + ")"

    def forward(self, graph: Graph, node: Term) -> Collection[Term]:
        reached: set[Term] = set()
        for option in self.options:
            reached.update(option.forward(graph, node))
        return reached

    def backward(self, graph: Graph, node: Term) -> Collection[Term]:
        reached: set[Term] = set()
        for option in self.options:
            reached.update(option.backward(graph, node))
        return reached


@dataclass(frozen=True)
class RepeatPath(Path):
    """``path*`` (``least`` 0, ``unbounded``), ``path+`` (1, unbounded), ``path?`` (0, not)."""

    path: Path
    least: int
    unbounded: bool

    @property
    def mark(self) -> str:
        return "*" if self.unbounded and self.least == 0 else ("+" if self.unbounded else "?")

    @property
    def inner_text(self) -> str:  # type: ignore[override]
        return "(" + self.path.inner_text + ")" + self.mark

    @property
    def sparql(self) -> str:
        return "(" + self.path.sparql + ")" + self.mark

    def _walk(self, node: Term, step: Callable[[Term], Collection[Term]]) -> set[Term]:
        reached: set[Term] = {node} if self.least == 0 else set()
        frontier = list(step(node))
        if not self.unbounded:
            reached.update(frontier)
            return reached
        seen: set[Term] = set()
        while frontier:
            n = frontier.pop()
            if n in seen:
                continue
            seen.add(n)
            reached.add(n)
            frontier.extend(step(n))
        return reached

    def forward(self, graph: Graph, node: Term) -> Collection[Term]:
        return self._walk(node, lambda n: self.path.forward(graph, n))

    def backward(self, graph: Graph, node: Term) -> Collection[Term]:
        return self._walk(node, lambda n: self.path.backward(graph, n))


def _sh(local: str) -> URIRef:
    return URIRef(_SH + local)


def _list(shapes: rdflib.Graph, node: Node, what: str) -> list[Node]:
    """The members of the RDF list ``node``."""
    if node != rdflib.RDF.nil and shapes.value(node, rdflib.RDF.first) is None:
        raise UnsupportedShapes(f"{what} is not an RDF list")
    return list(RdfList(shapes, node))


def compile_path(shapes: rdflib.Graph, node: Node) -> Path:
    """The path that the SHACL path node ``node`` describes
    (https://www.w3.org/TR/shacl/#property-paths)."""
    if isinstance(node, URIRef):
        return PredicatePath(str(node))
    if not isinstance(node, BNode):
        raise UnsupportedShapes(f"{node!r} is not a SHACL property path")
    if shapes.value(node, rdflib.RDF.first) is not None:
        steps = _list(shapes, node, "a sequence path")
        if len(steps) < 2:
            raise UnsupportedShapes("a sequence path has fewer than two members")
        return SequencePath(tuple(compile_path(shapes, s) for s in steps))
    kinds = [
        (p, o)
        for p, o in shapes.predicate_objects(node)
        if p
        in (
            _sh("inversePath"),
            _sh("alternativePath"),
            _sh("zeroOrMorePath"),
            _sh("oneOrMorePath"),
            _sh("zeroOrOnePath"),
        )
    ]
    if len(kinds) != 1:
        raise UnsupportedShapes(f"the path node {node} is not a SHACL property path")
    ((predicate, inner),) = kinds
    if predicate == _sh("inversePath"):
        return InversePath(compile_path(shapes, inner))
    if predicate == _sh("alternativePath"):
        options = _list(shapes, inner, "an alternative path")
        if len(options) < 2:
            raise UnsupportedShapes("an alternative path has fewer than two members")
        return AlternativePath(tuple(compile_path(shapes, o) for o in options))
    path = compile_path(shapes, inner)
    if predicate == _sh("zeroOrMorePath"):
        return RepeatPath(path, 0, True)
    if predicate == _sh("oneOrMorePath"):
        return RepeatPath(path, 1, True)
    return RepeatPath(path, 0, False)


# ---- results -------------------------------------------------------------------------------


class Result(NamedTuple):
    """One validation result (https://www.w3.org/TR/shacl/#results-validation-result).

    ``path`` is the result path as a report names it (see :class:`Path`), ``component``
    the IRI of the constraint component, ``shape`` the source shape (an IRI, or ``_:``
    and a blank node label).
    """

    focus: Term
    path: str | None
    severity: str
    shape: str
    message: str
    value: Term | None
    component: str


@dataclass
class _Run:
    """One validation of one data graph: the graph and what evaluation needs at hand."""

    graph: Graph
    oracle: _Oracle
    store: ox.Store | None = None
    memo: dict[object, object] = field(default_factory=dict)

    def oxigraph(self) -> ox.Store:
        """The data graph in an Oxigraph store (made when first asked for)."""
        if self.store is None:
            self.store = ox.Store()
            self.store.bulk_extend(
                ox.Quad(to_ox(s), ox.NamedNode(p), to_ox(o))  # type: ignore[arg-type]
                for s, p, o in self.graph.triples()
            )
        return self.store


# ---- Core constraint components (https://www.w3.org/TR/shacl/#core-components) -------------


class _Check:
    """A constraint of a shape: the value nodes (or no value) that fail it. ``code`` tells
    :meth:`Shape.validate` which common checks it can run inline (0: none)."""

    component: str = ""
    code: ClassVar[int] = 0

    @property
    def vacuous(self) -> bool:
        """Whether it holds whenever there is no value node."""
        return False

    def failures(self, run: _Run, focus: Term, values: Collection[Term]) -> Sequence[Term | None]:
        raise NotImplementedError


class _ValueCheck(_Check):
    """A constraint that every value node must pass on its own."""

    @property
    def vacuous(self) -> bool:
        return True

    def ok(self, run: _Run, value: Term) -> bool:
        raise NotImplementedError

    def failures(self, run: _Run, focus: Term, values: Collection[Term]) -> Sequence[Term | None]:
        ok = self.ok
        failed: list[Term | None] | None = None
        for value in values:
            if not ok(run, value):
                if failed is None:
                    failed = [value]
                else:
                    failed.append(value)
        return failed or ()


@dataclass(frozen=True)
class _Class(_ValueCheck):
    """https://www.w3.org/TR/shacl/#ClassConstraintComponent"""

    code: ClassVar[int] = 4

    cls: str
    component: str = _SH + "ClassConstraintComponent"

    def ok(self, run: _Run, value: Term) -> bool:
        return not isinstance(value, Lit) and run.graph.is_instance(value, self.cls)


@dataclass(frozen=True)
class _Datatype(_ValueCheck):
    """https://www.w3.org/TR/shacl/#DatatypeConstraintComponent: a literal of the datatype,
    well-formed."""

    code: ClassVar[int] = 3

    datatype: str
    component: str = _SH + "DatatypeConstraintComponent"

    def ok(self, run: _Run, value: Term) -> bool:
        return isinstance(value, Lit) and value.datatype == self.datatype and wellformed(value)


_NODE_KINDS: Final = {
    _SH + "IRI": (True, False, False),
    _SH + "BlankNode": (False, True, False),
    _SH + "Literal": (False, False, True),
    _SH + "BlankNodeOrIRI": (True, True, False),
    _SH + "BlankNodeOrLiteral": (False, True, True),
    _SH + "IRIOrLiteral": (True, False, True),
}


@dataclass(frozen=True)
class _NodeKind(_ValueCheck):
    """https://www.w3.org/TR/shacl/#NodeKindConstraintComponent"""

    iri: bool
    blank: bool
    literal: bool
    component: str = _SH + "NodeKindConstraintComponent"

    def ok(self, run: _Run, value: Term) -> bool:
        if isinstance(value, str):
            return self.iri
        if isinstance(value, Blank):
            return self.blank
        return self.literal


@dataclass(frozen=True)
class _MinCount(_Check):
    """https://www.w3.org/TR/shacl/#MinCountConstraintComponent (a result without value)"""

    code: ClassVar[int] = 1

    count: int
    component: str = _SH + "MinCountConstraintComponent"

    @property
    def vacuous(self) -> bool:
        return self.count <= 0

    def failures(self, run: _Run, focus: Term, values: Collection[Term]) -> Sequence[Term | None]:
        return (None,) if len(values) < self.count else ()


@dataclass(frozen=True)
class _MaxCount(_Check):
    """https://www.w3.org/TR/shacl/#MaxCountConstraintComponent (a result without value)"""

    code: ClassVar[int] = 2

    count: int
    component: str = _SH + "MaxCountConstraintComponent"

    @property
    def vacuous(self) -> bool:
        return self.count >= 0

    def failures(self, run: _Run, focus: Term, values: Collection[Term]) -> Sequence[Term | None]:
        return (None,) if len(values) > self.count else ()


@dataclass(frozen=True)
class _Range(_ValueCheck):
    """https://www.w3.org/TR/shacl/#core-components-range: ``bound op value`` must be true
    (an error, as between a date and a date-time, fails)."""

    bound: Term
    op: str
    component: str

    def ok(self, run: _Run, value: Term) -> bool:
        return compare_values(run.oracle, self.op, self.bound, value)


@dataclass(frozen=True)
class _Length(_ValueCheck):
    """https://www.w3.org/TR/shacl/#MinLengthConstraintComponent and MaxLength: the length
    of the IRI or lexical form; a blank node fails."""

    length: int
    least: bool
    component: str

    def ok(self, run: _Run, value: Term) -> bool:
        if isinstance(value, Blank):
            return False
        size = len(value if isinstance(value, str) else value.lexical)
        return size >= self.length if self.least else size <= self.length


@dataclass(frozen=True)
class _Pattern(_ValueCheck):
    """https://www.w3.org/TR/shacl/#PatternConstraintComponent: the regular expression
    matches the IRI or lexical form; a blank node fails."""

    regex: re.Pattern[str]
    component: str = _SH + "PatternConstraintComponent"

    def ok(self, run: _Run, value: Term) -> bool:
        if isinstance(value, Blank):
            return False
        return self.regex.search(value if isinstance(value, str) else value.lexical) is not None


@dataclass(frozen=True)
class _In(_ValueCheck):
    """https://www.w3.org/TR/shacl/#InConstraintComponent (RDF term equality)"""

    code: ClassVar[int] = 5

    members: frozenset[Term]
    component: str = _SH + "InConstraintComponent"

    def ok(self, run: _Run, value: Term) -> bool:
        return value in self.members


@dataclass(frozen=True)
class _HasValue(_Check):
    """https://www.w3.org/TR/shacl/#HasValueConstraintComponent (a result without value)"""

    value: Term
    component: str = _SH + "HasValueConstraintComponent"

    def failures(self, run: _Run, focus: Term, values: Collection[Term]) -> Sequence[Term | None]:
        return () if self.value in values else (None,)


@dataclass(frozen=True)
class _Pair(_Check):
    """The property pair components (https://www.w3.org/TR/shacl/#core-components-property-pairs):
    sh:equals, sh:disjoint, sh:lessThan, sh:lessThanOrEquals against the values of
    ``predicate`` at the focus node."""

    predicate: str
    kind: str  # equals, disjoint, lessThan, lessThanOrEquals
    component: str

    @property
    def vacuous(self) -> bool:
        return self.kind != "equals"  # the other values must then be absent too

    def failures(self, run: _Run, focus: Term, values: Collection[Term]) -> Sequence[Term | None]:
        others = run.graph.objects(focus, self.predicate)
        if self.kind == "equals":
            return [v for v in values if v not in others] + [o for o in others if o not in values]
        if self.kind == "disjoint":
            return [v for v in values if v in others]
        op = "<" if self.kind == "lessThan" else "<="
        oracle = run.oracle
        return [v for v in values if any(not compare_values(oracle, op, v, o) for o in others)]


@dataclass(frozen=True)
class _Logical(_ValueCheck):
    """https://www.w3.org/TR/shacl/#core-components-logical and #NodeConstraintComponent:
    how many of ``shapes`` a value node conforms to."""

    shapes: tuple[Shape, ...]
    kind: str  # not, and, or, xone, node
    component: str

    def ok(self, run: _Run, value: Term) -> bool:
        key = (id(self), value)
        found = run.memo.get(key)
        if found is None:
            found = self._ok(run, value)
            run.memo[key] = found
        return found is True

    def _ok(self, run: _Run, value: Term) -> bool:
        if self.kind == "or":
            return any(s.conforms(run, value) for s in self.shapes)
        if self.kind == "not":
            return not self.shapes[0].conforms(run, value)
        if self.kind == "xone":
            return sum(1 for s in self.shapes if s.conforms(run, value)) == 1
        return all(s.conforms(run, value) for s in self.shapes)  # and, node


# ---- shapes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Targets:
    """https://www.w3.org/TR/shacl/#targets"""

    nodes: tuple[Term, ...] = ()
    classes: tuple[str, ...] = ()
    subjects_of: tuple[str, ...] = ()
    objects_of: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.nodes or self.classes or self.subjects_of or self.objects_of)

    def focus_nodes(self, graph: Graph) -> set[Term]:
        """The focus nodes of these targets in ``graph``."""
        found: set[Term] = set(self.nodes)
        for cls in self.classes:
            found.update(graph.instances(cls))
        for predicate in self.subjects_of:
            found.update(graph.pso.get(predicate, {}))
        for predicate in self.objects_of:
            for objects in graph.pso.get(predicate, {}).values():
                found.update(objects)
        return found


@dataclass(frozen=True)
class Shape:
    """A compiled node or property shape (``path`` None for a node shape); ``message`` is
    what a result of it says (its sh:message values, sorted, joined by ``; ``)."""

    node: Term
    text: str
    severity: str
    message: str
    path: Path | None
    path_text: str | None
    checks: tuple[_Check, ...]
    properties: tuple[Shape, ...]
    sparql: tuple[_SparqlConstraint, ...]
    targets: _Targets
    deactivated: bool
    # a property shape that reports nothing for a focus node without value nodes: its
    # constraints all hold then, and it has no SPARQL constraint (those read the focus node)
    vacuous: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        vacuous = self.path is not None and not self.sparql and all(c.vacuous for c in self.checks)
        object.__setattr__(self, "vacuous", vacuous)

    def validate(self, run: _Run, focus: Term, out: list[Result]) -> None:
        """Validate ``focus`` against this shape, adding the results to ``out``
        (https://www.w3.org/TR/shacl/#validation-definition)."""
        if self.deactivated:
            return
        path = self.path
        values: Collection[Term]
        if path is None:
            values = (focus,)
        elif type(path) is PredicatePath:
            by_subject = run.graph.pso.get(path.iri)
            if by_subject is None:
                if self.vacuous:
                    return
                values = ()
            else:
                values = by_subject.get(focus, ())
                if not values and self.vacuous:
                    return
        else:
            values = path.forward(run.graph, focus)
            if not values and self.vacuous:
                return
        for check in self.checks:
            code = check.code
            failed: Sequence[Term | None]
            if code == 1:  # sh:minCount
                if len(values) >= check.count:  # type: ignore[attr-defined]
                    continue
                failed = (None,)
            elif code == 2:  # sh:maxCount
                if len(values) <= check.count:  # type: ignore[attr-defined]
                    continue
                failed = (None,)
            elif code == 3:  # sh:datatype
                datatype = check.datatype  # type: ignore[attr-defined]
                for v in values:
                    if not (type(v) is Lit and v.datatype == datatype and wellformed(v)):
                        break
                else:
                    continue
                failed = [
                    v
                    for v in values
                    if not (type(v) is Lit and v.datatype == datatype and wellformed(v))
                ]
            elif code == 5:  # sh:in
                members = check.members  # type: ignore[attr-defined]
                if members.issuperset(values):
                    continue
                failed = [v for v in values if v not in members]
            elif code == 4:  # sh:class
                cls = check.cls  # type: ignore[attr-defined]
                graph = run.graph
                failed = [v for v in values if type(v) is Lit or not graph.is_instance(v, cls)]
            else:
                failed = check.failures(run, focus, values)
            if failed:
                for value in failed:
                    out.append(
                        Result(
                            focus,
                            self.path_text,
                            self.severity,
                            self.text,
                            self.message,
                            value,
                            check.component,
                        )
                    )
        if path is None:
            for prop in self.properties:
                prop.validate(run, focus, out)
        else:
            for prop in self.properties:
                for value in values:
                    prop.validate(run, value, out)
        for constraint in self.sparql:
            constraint.validate(run, self, focus, out)

    def conforms(self, run: _Run, node: Term) -> bool:
        """Whether ``node`` conforms to this shape (no result of any severity)."""
        scratch: list[Result] = []
        self.validate(run, node, scratch)
        return not scratch


# ---- SPARQL-based constraints (https://www.w3.org/TR/shacl/#sparql-constraints) -------------
# A query is parsed once with rdflib (its parser and SPARQL algebra) and compiled into the
# operators below, which evaluate it over the Graph indexes. Evaluation starts from an initial
# solution that binds $this (and $currentShape): every operator is evaluated with the
# solution it is given, so the pre-bound variables are seen everywhere, inside FILTER,
# BIND and EXISTS too, which is SHACL's pre-binding (https://www.w3.org/TR/shacl/#pre-binding).
# A join passes the solutions of its left side into its right side only where that cannot
# change the result (see _Op.safe); otherwise both sides are evaluated on their own and
# joined (https://www.w3.org/TR/sparql11-query/#sparqlAlgebraEval).

_THIS: Final = "this"
_CURRENT_SHAPE: Final = "currentShape"


class _CompileDefer(Exception):
    """The query uses algebra this evaluator does not cover: Oxigraph runs it."""


class _Var:
    """A query variable (blank nodes of a query are variables too)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


Expr: TypeAlias = Callable[[_Run, Solution], Term]


class _Compiled(NamedTuple):
    """A compiled expression and the variables it reads (EXISTS patterns included)."""

    fn: Expr
    vars: frozenset[str]
    # the variable it is (an expression that reads one variable and nothing else), or None
    var: str | None = None
    # its value when it is a constant, or None
    constant: Term | None = None


def _holds(run: _Run, fn: Expr, solution: Solution) -> bool:
    """Whether a FILTER expression is true for ``solution`` (an error is false)."""
    try:
        value = fn(run, solution)
        if value is _TRUE:
            return True
        if value is _FALSE:
            return False
        return _ebv(run, value)
    except _ExprError:
        return False


def _ebv(run: _Run, term: Term) -> bool:
    try:
        return ebv(term)
    except _Defer:
        return ebv(run.oracle.evaluate("IF(?a0, true, false)", (term,)))


class _Op:
    """A SPARQL algebra operator: the solutions of a pattern, given an initial solution."""

    certain: frozenset[str] = frozenset()  # bound in every solution
    maybe: frozenset[str] = frozenset()  # bound in some solution

    def solutions(self, run: _Run, mu: Solution) -> Iterator[Solution]:
        raise NotImplementedError

    def safe(self, passed: frozenset[str]) -> bool:
        """Whether evaluating with ``passed`` already bound gives the solutions that the
        pattern gives on its own, joined with them (FILTER and BIND see only their group)."""
        raise NotImplementedError


Slot: TypeAlias = "_Var | Term"


class Pattern(NamedTuple):
    """A triple pattern: each position a variable (its name) or a term; the predicate an
    IRI, a variable or a property path."""

    s_name: str | None
    s: Term | None
    p_name: str | None
    p: str | None
    path: Path | None
    o_name: str | None
    o: Term | None
    names: frozenset[str]

    @classmethod
    def of(cls, s: Slot, p: _Var | str | Path, o: Slot) -> Pattern:
        names = frozenset(x.name for x in (s, p, o) if isinstance(x, _Var))
        return cls(
            s.name if isinstance(s, _Var) else None,
            None if isinstance(s, _Var) else s,
            p.name if isinstance(p, _Var) else None,
            p if isinstance(p, str) else None,
            p if isinstance(p, Path) else None,
            o.name if isinstance(o, _Var) else None,
            None if isinstance(o, _Var) else o,
            names,
        )


class _Conjunct(NamedTuple):
    fn: Expr
    needs: frozenset[str]  # the pattern's variables it reads (checked once all are bound)
    vars: frozenset[str]
    node: object = None  # the expression, as rdflib's algebra has it


Lookup: TypeAlias = Callable[["Graph", Solution], tuple[tuple[str, ...], Collection[object]]]


class _Step(NamedTuple):
    """One step of a basic graph pattern's plan: the pattern matched next, the patterns
    after it, the conjuncts to check after it, the conjuncts still waiting, and how its
    candidates are found (None: :func:`_candidates`)."""

    pattern: Pattern
    rest: tuple[Pattern, ...]
    ready: tuple[_Conjunct, ...]
    later: tuple[_Conjunct, ...]
    lookup: Lookup | None


def _lookups(pattern: Pattern) -> dict[tuple[bool, bool], Lookup | None]:
    """The specialised lookups of a pattern by (subject bound, object bound)."""
    return {(s, o): _lookup(pattern, s, o) for s in (False, True) for o in (False, True)}


def _lookup(pattern: Pattern, s_known: bool, o_known: bool) -> Lookup | None:
    """A specialised :func:`_candidates` for a pattern with a fixed predicate, when its
    subject (``s_known``) or object (``o_known``) is a constant or a bound variable (None
    for the other cases)."""
    predicate = pattern.p
    if predicate is None:
        return None
    s_name, o_name = pattern.s_name, pattern.o_name
    s_known = s_known or s_name is None
    o_known = o_known or o_name is None
    s_const, o_const = pattern.s, pattern.o
    if s_known and not o_known:
        assert o_name is not None
        names: tuple[str, ...] = (o_name,)

        def objects(graph: Graph, solution: Solution) -> tuple[tuple[str, ...], Collection[object]]:
            by_subject = graph.pso.get(predicate)
            if by_subject is None:
                return names, ()
            subject = s_const if s_name is None else solution[s_name]
            return names, by_subject.get(subject, ())  # type: ignore[arg-type]

        return objects
    if o_known and not s_known:
        assert s_name is not None
        names = (s_name,)

        def subjects(
            graph: Graph, solution: Solution
        ) -> tuple[tuple[str, ...], Collection[object]]:
            obj = o_const if o_name is None else solution[o_name]
            return names, graph.inverse(predicate).get(obj, ())  # type: ignore[arg-type]

        return subjects
    if s_known and o_known:

        def check(graph: Graph, solution: Solution) -> tuple[tuple[str, ...], Collection[object]]:
            by_subject = graph.pso.get(predicate)
            if by_subject is None:
                return (), ()
            subject = s_const if s_name is None else solution[s_name]
            obj = o_const if o_name is None else solution[o_name]
            found = by_subject.get(subject)  # type: ignore[arg-type]
            return (), (_ONE_EMPTY_ROW if found is not None and obj in found else ())

        return check
    return None


class _BGP(_Op):
    """A basic graph pattern (https://www.w3.org/TR/sparql11-query/#BasicGraphPattern),
    matched one triple pattern at a time, the one with the fewest candidates next, with the
    FILTER conjuncts of its group checked as soon as the variables they read are bound.

    ``domains``: IRIs that a predicate variable must be one of, when a conjunct says so
    (``FILTER (?p IN (<a>, <b>))``, ``FILTER (?p = <a>)``): only those are tried.
    """

    def __init__(
        self,
        patterns: Sequence[Pattern],
        filters: Sequence[_Conjunct] = (),
        domains: dict[str, frozenset[str]] | None = None,
    ) -> None:
        self.patterns = tuple(patterns)
        self.filters = tuple(filters)
        self.domains = domains or {}
        self.certain = self.maybe = frozenset().union(*(p.names for p in self.patterns))
        # the IRIs of the patterns' fixed predicates: with one of them absent from the data
        # graph, no triple matches that pattern and the pattern has no solution
        self.required = tuple(dict.fromkeys(p.p for p in self.patterns if p.p is not None))
        self.lookups = {p: _lookups(p) for p in self.patterns}

    def with_filters(
        self, conjuncts: Sequence[_Conjunct], domains: dict[str, frozenset[str]]
    ) -> _BGP:
        merged = dict(self.domains)
        for name, values in domains.items():
            merged[name] = merged[name] & values if name in merged else values
        return _BGP(self.patterns, (*self.filters, *conjuncts), merged)

    def safe(self, passed: frozenset[str]) -> bool:
        return all(not ((c.vars & passed) - self.certain) for c in self.filters)

    def solutions(self, run: _Run, mu: Solution) -> Iterator[Solution]:
        return iter(self.collect(run, mu, False))

    def collect(self, run: _Run, mu: Solution, first: bool) -> list[Solution]:
        """The solutions extending ``mu`` (only the first one when ``first``)."""
        pso = run.graph.pso
        for predicate in self.required:
            if predicate not in pso:
                return []
        solution = dict(mu)
        waiting = []
        for conjunct in self.filters:
            if all(v in solution for v in conjunct.needs):
                if not _holds(run, conjunct.fn, solution):
                    return []
            else:
                waiting.append(conjunct)
        out: list[Solution] = []
        self._search(run, solution, self.patterns, tuple(waiting), {}, out, first)
        return out

    def _search(
        self,
        run: _Run,
        solution: Solution,
        remaining: tuple[Pattern, ...],
        waiting: tuple[_Conjunct, ...],
        plan: dict[int, _Step],
        out: list[Solution],
        first: bool,
    ) -> bool:
        """Add to ``out`` the solutions that match ``remaining`` from ``solution``; True
        when done early (``first``). ``plan`` remembers, by the number of patterns left,
        which one is matched next (chosen from the counts of the first partial solution
        that gets there) and which waiting conjuncts can be checked after it."""
        graph = run.graph
        while True:
            left = len(remaining)
            if not left:
                out.append(dict(solution))
                return first
            step = plan.get(left)
            if step is None:
                k = 0
                if left > 1:
                    costs = [_estimate(graph, p, solution, self.domains) for p in remaining]
                    k = costs.index(min(costs))
                before = set(solution)
                bound = before | remaining[k].names
                ready = tuple(c for c in waiting if c.needs <= bound)
                later = tuple(c for c in waiting if not c.needs <= bound)
                rest = remaining[:k] + remaining[k + 1 :]
                chosen = remaining[k]
                lookup = self.lookups[chosen][
                    (chosen.s_name is None or chosen.s_name in before),
                    (chosen.o_name is None or chosen.o_name in before),
                ]
                step = plan[left] = _Step(remaining[k], rest, ready, later, lookup)
            pattern, rest, ready, later, lookup = step
            if lookup is not None:
                names, rows = lookup(graph, solution)
            else:
                names, rows = _candidates(graph, pattern, solution, self.domains)
            if names or len(rows) > 1:
                break
            # a pattern without a variable left to bind: it holds once or not at all
            if not rows or (ready and not _all_hold(run, ready, solution)):
                return False
            remaining, waiting = rest, later
        search = self._search
        if len(names) == 1:
            name = names[0]
            for value in rows:
                solution[name] = value  # type: ignore[assignment]
                if ready and not _all_hold(run, ready, solution):
                    continue
                if rest:
                    if search(run, solution, rest, later, plan, out, first):
                        del solution[name]
                        return True
                else:
                    out.append(dict(solution))
                    if first:
                        del solution[name]
                        return True
            solution.pop(name, None)
            return False
        for row in rows:
            for name, value in zip(names, row, strict=True):  # type: ignore[call-overload]
                solution[name] = value
            if ready and not _all_hold(run, ready, solution):
                continue
            if search(run, solution, rest, later, plan, out, first):
                for name in names:
                    del solution[name]
                return True
        for name in names:
            solution.pop(name, None)
        return False


def _all_hold(run: _Run, conjuncts: tuple[_Conjunct, ...], solution: Solution) -> bool:
    """Whether every FILTER conjunct is true for ``solution`` (an error is false)."""
    for conjunct in conjuncts:
        try:
            value = conjunct.fn(run, solution)
        except _ExprError:
            return False
        if value is _TRUE:
            continue
        if value is _FALSE:
            return False
        try:
            if not _ebv(run, value):
                return False
        except _ExprError:
            return False
    return True


def _estimate(
    graph: Graph, pattern: Pattern, solution: Solution, domains: dict[str, frozenset[str]]
) -> int:
    """How many candidates the triple pattern has now (roughly)."""
    subject = pattern.s if pattern.s_name is None else solution.get(pattern.s_name)
    obj = pattern.o if pattern.o_name is None else solution.get(pattern.o_name)
    predicate = pattern.p
    if pattern.p_name is not None:
        bound = solution.get(pattern.p_name)
        if bound is None:
            domain = domains.get(pattern.p_name)
            if domain is not None:
                return sum(_estimate_predicate(graph, q, subject, obj) for q in domain)
            if subject is not None:
                return 4 * len(graph.outgoing(subject))
            if obj is not None:
                return 4 * len(graph.incoming(obj))
            return 1_000_000
        predicate = bound if isinstance(bound, str) else ""
    if predicate is not None:
        return _estimate_predicate(graph, predicate, subject, obj)
    if subject is not None or obj is not None:
        return 10
    return 100_000


def _estimate_predicate(graph: Graph, p: str, subject: Term | None, obj: Term | None) -> int:
    if subject is not None:
        return len(graph.objects(subject, p))
    if obj is not None:
        return len(graph.subjects(p, obj))
    return 2 * len(graph.pso.get(p, ())) + 1


_ONE_EMPTY_ROW: Final[tuple[tuple[()], ...]] = ((),)


def _candidates(
    graph: Graph, pattern: Pattern, solution: Solution, domains: dict[str, frozenset[str]]
) -> tuple[tuple[str, ...], Collection[object]]:
    """The unbound variables of a triple pattern and the values each match gives them:
    with one variable, the values; else tuples of values."""
    s_name, o_name = pattern.s_name, pattern.o_name
    subject = pattern.s if s_name is None else solution.get(s_name)
    obj = pattern.o if o_name is None else solution.get(o_name)
    predicate = pattern.p
    if pattern.p_name is not None:
        bound = solution.get(pattern.p_name)
        if bound is None:
            return _any_predicate(graph, pattern, subject, obj, solution, domains)
        if type(bound) is not str:
            return (), ()
        predicate = bound
    if predicate is not None:
        if subject is not None:
            objects = graph.objects(subject, predicate)
            if obj is not None:
                return (), (_ONE_EMPTY_ROW if obj in objects else ())
            return (o_name,), objects  # type: ignore[return-value]
        if obj is not None:
            return (s_name,), graph.subjects(predicate, obj)  # type: ignore[return-value]
        by_subject = graph.pso.get(predicate, {})
        if s_name == o_name:
            return (s_name,), [x for x, ys in by_subject.items() if x in ys]  # type: ignore[return-value]
        return (s_name, o_name), [(x, y) for x, ys in by_subject.items() for y in ys]  # type: ignore[return-value]
    path = pattern.path
    assert path is not None
    if subject is not None:
        ends = path.forward(graph, subject)
        if obj is not None:
            return (), (_ONE_EMPTY_ROW if obj in ends else ())
        return (o_name,), ends  # type: ignore[return-value]
    if obj is not None:
        return (s_name,), path.backward(graph, obj)  # type: ignore[return-value]
    if s_name == o_name:
        return (s_name,), [x for x, y in path.pairs(graph) if x == y]  # type: ignore[return-value]
    return (s_name, o_name), list(path.pairs(graph))  # type: ignore[return-value]


def _any_predicate(
    graph: Graph,
    pattern: Pattern,
    subject: Term | None,
    obj: Term | None,
    solution: Solution,
    domains: dict[str, frozenset[str]],
) -> tuple[tuple[str, ...], Collection[object]]:
    """:func:`_candidates` for an unbound predicate variable."""
    p_name = pattern.p_name
    assert p_name is not None
    domain = domains.get(p_name)
    if domain is not None and subject is not None and pattern.o_name != p_name:
        if obj is not None:
            return (p_name,), [q for q in domain if obj in graph.objects(subject, q)]
        return (p_name, pattern.o_name), [  # type: ignore[return-value]
            (q, y) for q in domain for y in graph.objects(subject, q)
        ]
    triples: Iterable[tuple[Term, str, Term]]
    if domain is not None:
        triples = [(x, q, y) for q in domain for x, y in _pairs(graph, q, subject, obj)]
    elif subject is not None:
        outgoing = graph.outgoing(subject)
        if obj is not None:
            triples = [(subject, q, obj) for q, ys in outgoing.items() if obj in ys]
        else:
            triples = [(subject, q, y) for q, ys in outgoing.items() for y in ys]
    elif obj is not None:
        triples = [(x, q, obj) for q, xs in graph.incoming(obj).items() for x in xs]
    else:
        triples = list(graph.triples())
    slots = (pattern.s_name, pattern.p_name, pattern.o_name)
    names = tuple(dict.fromkeys(n for n in slots if n is not None and n not in solution))
    rows: list[object] = []
    for triple in triples:
        values: dict[str, Term] = {}
        for name, value in zip(slots, triple, strict=True):
            if name in names and values.setdefault(name, value) != value:
                break
        else:
            row = tuple(values[n] for n in names)
            rows.append(row[0] if len(names) == 1 else row)
    return names, rows


def _pairs(
    graph: Graph, predicate: str, subject: Term | None, obj: Term | None
) -> Iterable[tuple[Term, Term]]:
    if subject is not None:
        objects = graph.objects(subject, predicate)
        if obj is not None:
            return [(subject, obj)] if obj in objects else []
        return [(subject, y) for y in objects]
    if obj is not None:
        return [(x, obj) for x in graph.subjects(predicate, obj)]
    return [(x, y) for x, ys in graph.pso.get(predicate, {}).items() for y in ys]


class _Filter(_Op):
    """https://www.w3.org/TR/sparql11-query/#defn_algFilter"""

    def __init__(self, conjuncts: Sequence[_Conjunct], inner: _Op) -> None:
        self.conjuncts = tuple(conjuncts)
        self.inner = inner
        self.certain, self.maybe = inner.certain, inner.maybe

    def safe(self, passed: frozenset[str]) -> bool:
        return self.inner.safe(passed) and all(
            not ((c.vars & passed) - self.inner.certain) for c in self.conjuncts
        )

    def solutions(self, run: _Run, mu: Solution) -> Iterator[Solution]:
        for solution in self.inner.solutions(run, mu):
            if all(_holds(run, c.fn, solution) for c in self.conjuncts):
                yield solution


class _Extend(_Op):
    """BIND (https://www.w3.org/TR/sparql11-query/#defn_extend): an error leaves the
    variable unbound."""

    def __init__(self, inner: _Op, var: str, expr: _Compiled) -> None:
        self.inner, self.var, self.expr = inner, var, expr
        self.certain, self.maybe = inner.certain, inner.maybe | {var}

    def safe(self, passed: frozenset[str]) -> bool:
        return (
            self.var not in passed
            and self.inner.safe(passed)
            and not ((self.expr.vars & passed) - self.inner.certain)
        )

    def solutions(self, run: _Run, mu: Solution) -> Iterator[Solution]:
        fn, var = self.expr.fn, self.var
        for solution in self.inner.solutions(run, mu):
            try:
                value = fn(run, solution)
            except _ExprError:
                yield solution
                continue
            solution[var] = value
            yield solution


class _Union(_Op):
    def __init__(self, left: _Op, right: _Op) -> None:
        self.left, self.right = left, right
        self.certain = left.certain & right.certain
        self.maybe = left.maybe | right.maybe

    def safe(self, passed: frozenset[str]) -> bool:
        return self.left.safe(passed) and self.right.safe(passed)

    def solutions(self, run: _Run, mu: Solution) -> Iterator[Solution]:
        yield from self.left.solutions(run, mu)
        yield from self.right.solutions(run, mu)


class _Join(_Op):
    """https://www.w3.org/TR/sparql11-query/#defn_algJoin: the right side is evaluated with
    each left solution when that is safe, else on its own and joined by compatibility."""

    def __init__(self, left: _Op, right: _Op, entry: frozenset[str]) -> None:
        self.left, self.right = left, right
        self.sideways = right.safe(left.maybe - entry)
        self.certain = left.certain | right.certain
        self.maybe = left.maybe | right.maybe

    def safe(self, passed: frozenset[str]) -> bool:
        if not self.left.safe(passed):
            return False
        return (
            self.right.safe(passed | self.left.maybe) if self.sideways else self.right.safe(passed)
        )

    def solutions(self, run: _Run, mu: Solution) -> Iterator[Solution]:
        if self.sideways:
            for solution in self.left.solutions(run, mu):
                yield from self.right.solutions(run, solution)
            return
        rights = list(self.right.solutions(run, mu))
        for solution in self.left.solutions(run, mu):
            for other in rights:
                if all(solution.get(k, v) == v for k, v in other.items()):
                    yield {**solution, **other}


class _Project(_Op):
    def __init__(self, inner: _Op, names: Sequence[str], distinct: bool) -> None:
        self.inner, self.names, self.distinct = inner, tuple(names), distinct
        self.certain = inner.certain & frozenset(names)
        self.maybe = inner.maybe & frozenset(names)

    def safe(self, passed: frozenset[str]) -> bool:
        return not (passed & self.inner.maybe) and self.inner.safe(frozenset())

    def solutions(self, run: _Run, mu: Solution) -> Iterator[Solution]:
        seen: set[frozenset[tuple[str, Term]]] = set()
        names = self.names
        for solution in self.inner.solutions(run, mu):
            out = {n: solution[n] for n in names if n in solution}
            if self.distinct:
                key = frozenset(out.items())
                if key in seen:
                    continue
                seen.add(key)
            yield out


class _Exists(NamedTuple):
    """EXISTS and NOT EXISTS (https://www.w3.org/TR/sparql11-query/#func-filter-exists):
    the pattern evaluated with the solution's bindings."""

    pattern: _Op
    negated: bool

    def __call__(self, run: _Run, solution: Solution) -> Term:
        pattern = self.pattern
        if isinstance(pattern, _BGP):
            found = bool(pattern.collect(run, solution, True))
        else:
            found = next(iter(pattern.solutions(run, solution)), None) is not None
        return _FALSE if found == self.negated else _TRUE


def _equality_key(term: Term) -> object:
    """A key equal for two terms exactly when SPARQL's ``=`` says they are equal (and
    without error); None for terms whose equality this module does not decide alone."""
    if isinstance(term, str | Blank):
        return term
    kind = _kind(term)
    if kind == _K_STRING:
        return ("s", term.lexical)
    if kind == _K_LANG:
        return ("l", term.lexical, term.language)
    if kind == _K_NUMBER:
        return ("n", _number(term))
    if kind == _K_BOOLEAN:
        return ("b", term.lexical in ("true", "1"))
    return None


class _SemiJoin(NamedTuple):
    """EXISTS { P FILTER (... && a = b) } where ``a`` reads only P's own variables and ``b``
    only outer ones: P (without that conjunct) is evaluated once for each binding of
    the outer variables it reads, the values of ``a`` are hashed by
    :func:`_equality_key`, and each outer solution looks its ``b`` up. Rows whose ``a``
    has no key, or an outer ``b`` without key, are checked with the conjunct itself."""

    pattern: _BGP
    inner: _Compiled
    outer: _Compiled
    conjunct: Expr
    keys: tuple[str, ...]
    negated: bool

    def __call__(self, run: _Run, solution: Solution) -> Term:
        memo_key = (id(self), tuple(solution.get(v) for v in self.keys))
        found = run.memo.get(memo_key)
        if found is None:
            mu = {v: solution[v] for v in self.keys if v in solution}
            rows = self.pattern.collect(run, mu, False)
            index: set[object] = set()
            loose: list[Solution] = []
            for row in rows:
                try:
                    key = _equality_key(self.inner.fn(run, row))
                except _ExprError:
                    continue
                if key is None:
                    loose.append(row)
                else:
                    index.add(key)
            found = (index, loose, rows)
            run.memo[memo_key] = found
        index, loose, rows = found  # type: ignore[misc]
        try:
            key = _equality_key(self.outer.fn(run, solution))
        except _ExprError:
            exists = False
        else:
            candidates = loose if key is not None else rows
            exists = (key is not None and key in index) or any(
                _holds(run, self.conjunct, {**solution, **row}) for row in candidates
            )
        return _FALSE if exists == self.negated else _TRUE


# ---- SPARQL expressions (https://www.w3.org/TR/sparql11-query/#expressions) ----------------


def _strict(template: str, impl: Callable[..., Term], args: Sequence[_Compiled]) -> _Compiled:
    """A function of the values of ``args`` (an error in any of them is an error):
    ``impl`` evaluates it, or Oxigraph (``template`` over ``?a0``...) where ``impl``
    defers."""
    names = frozenset().union(*(a.vars for a in args)) if args else frozenset()
    if len(args) == 1 and args[0].var is not None:
        v0 = args[0].var

        def call1v(run: _Run, solution: Solution) -> Term:
            a = solution.get(v0)
            if a is None:
                raise _ExprError
            try:
                return impl(a)
            except _Defer:
                return run.oracle.evaluate(template, (a,))

        return _Compiled(call1v, names)
    if len(args) == 2 and args[1].constant is not None:
        f0, b0 = args[0].fn, args[1].constant

        def call2c(run: _Run, solution: Solution) -> Term:
            a = f0(run, solution)
            try:
                return impl(a, b0)
            except _Defer:
                return run.oracle.evaluate(template, (a, b0))

        return _Compiled(call2c, names)
    if len(args) == 2 and args[0].constant is not None:
        a0, f1 = args[0].constant, args[1].fn

        def call2k(run: _Run, solution: Solution) -> Term:
            b = f1(run, solution)
            try:
                return impl(a0, b)
            except _Defer:
                return run.oracle.evaluate(template, (a0, b))

        return _Compiled(call2k, names)
    if len(args) == 1:
        f0 = args[0].fn

        def call1(run: _Run, solution: Solution) -> Term:
            a = f0(run, solution)
            try:
                return impl(a)
            except _Defer:
                return run.oracle.evaluate(template, (a,))

        return _Compiled(call1, names)
    if len(args) == 2:
        f0, f1 = args[0].fn, args[1].fn

        def call2(run: _Run, solution: Solution) -> Term:
            a = f0(run, solution)
            b = f1(run, solution)
            try:
                return impl(a, b)
            except _Defer:
                return run.oracle.evaluate(template, (a, b))

        return _Compiled(call2, names)
    fns = tuple(a.fn for a in args)

    def call(run: _Run, solution: Solution) -> Term:
        values = [f(run, solution) for f in fns]
        try:
            return impl(*values)
        except _Defer:
            return run.oracle.evaluate(template, values)

    return _Compiled(call, names)


def _string(term: Term) -> Lit:
    """A string literal argument (simple, xsd:string or language-tagged), else an error."""
    kind = _kind(term)
    if kind == _K_STRING or kind == _K_LANG:
        assert isinstance(term, Lit)
        return term
    raise _ExprError


def _compatible(a: Term, b: Term) -> tuple[Lit, Lit]:
    """https://www.w3.org/TR/sparql11-query/#func-arg-compatibility"""
    x, y = _string(a), _string(b)
    if y.language and y.language != x.language:
        raise _ExprError
    return x, y


def _integer(term: Term) -> int:
    """An xsd:integer argument; other numbers are Oxigraph's to handle."""
    kind = _kind(term)
    if kind == _K_NUMBER:
        assert isinstance(term, Lit)
        if term.datatype == _XSD_INTEGER:
            return int(term.lexical)
        raise _Defer
    if kind == _K_OTHER:
        raise _Defer
    raise _ExprError


def _f_str(a: Term) -> Term:
    if isinstance(a, str):
        return _string_lit(a)
    if isinstance(a, Blank):
        raise _ExprError
    return _string_lit(a.lexical)


def _f_strlen(a: Term) -> Term:
    return _integer_lit(len(_string(a).lexical))


def _f_substr(a: Term, start: Term, length: Term | None = None) -> Term:
    """SUBSTR (https://www.w3.org/TR/sparql11-query/#func-substr) as the Oxigraph that
    pyshacl-turbo embeds has it: a start before 1 or a negative length is an error."""
    text = _string(a)
    begin = _integer(start)
    count = None if length is None else _integer(length)
    if begin < 1 or (count is not None and count < 0):
        raise _ExprError
    chars = text.lexical
    part = chars[begin - 1 :] if count is None else chars[begin - 1 : begin - 1 + count]
    return lit(part, text.datatype, text.language)


def _f_strstarts(a: Term, b: Term) -> Term:
    x, y = _compatible(a, b)
    return _TRUE if x.lexical.startswith(y.lexical) else _FALSE


def _f_strends(a: Term, b: Term) -> Term:
    x, y = _compatible(a, b)
    return _TRUE if x.lexical.endswith(y.lexical) else _FALSE


def _f_contains(a: Term, b: Term) -> Term:
    x, y = _compatible(a, b)
    return _TRUE if y.lexical in x.lexical else _FALSE


def _f_concat(*args: Term) -> Term:
    parts = [_string(a) for a in args]
    languages = {p.language for p in parts}
    if len(languages) == 1 and parts and parts[0].language:
        return lit("".join(p.lexical for p in parts), _LANG_STRING, parts[0].language)
    return _string_lit("".join(p.lexical for p in parts))


def _f_datatype(a: Term) -> Term:
    if not isinstance(a, Lit):
        raise _ExprError
    return a.datatype


def _f_lang(a: Term) -> Term:
    if not isinstance(a, Lit):
        raise _ExprError
    return lit(a.language, _XSD_STRING)


def _f_integer(a: Term) -> Term:
    """xsd:integer(a) from a string or an integer; Oxigraph casts the rest."""
    kind = _kind(a)
    if kind == _K_STRING:
        assert isinstance(a, Lit)
        if _INTEGER_RE.fullmatch(a.lexical):
            return _integer_lit(int(a.lexical))
        raise _Defer
    if kind == _K_NUMBER:
        assert isinstance(a, Lit)
        if a.datatype == _XSD_INTEGER:
            return a
    if kind in (_K_IRI, _K_BLANK):
        raise _ExprError
    raise _Defer


def _f_string(a: Term) -> Term:
    """xsd:string(a) from an IRI or a string; Oxigraph casts the rest."""
    if isinstance(a, str) or _kind(a) == _K_STRING:
        return _f_str(a)
    if isinstance(a, Blank):
        raise _ExprError
    raise _Defer


def _arithmetic(op: str) -> Callable[[Term, Term], Term]:
    def apply(a: Term, b: Term) -> Term:
        ka, kb = _kind(a), _kind(b)
        if ka != _K_NUMBER or kb != _K_NUMBER:
            if _K_OTHER in (ka, kb):
                raise _Defer
            raise _ExprError
        assert isinstance(a, Lit) and isinstance(b, Lit)
        if a.datatype != _XSD_INTEGER or b.datatype != _XSD_INTEGER or op == "/":
            raise _Defer
        x, y = int(a.lexical), int(b.lexical)
        return _integer_lit(x + y if op == "+" else (x - y if op == "-" else x * y))

    return apply


def _negate(a: Term) -> Term:
    if _kind(a) == _K_NUMBER:
        assert isinstance(a, Lit)
        if a.datatype == _XSD_INTEGER:
            return _integer_lit(-int(a.lexical))
        raise _Defer
    if _kind(a) == _K_OTHER:
        raise _Defer
    raise _ExprError


def _comparison(op: str) -> Callable[[Term, Term], Term]:
    if op in ("=", "!="):
        same_value = _TRUE if op == "=" else _FALSE
        other_value = _FALSE if op == "=" else _TRUE

        def equality(a: Term, b: Term) -> Term:
            if a == b:
                return same_value
            if isinstance(a, str) or isinstance(b, str):
                return other_value  # an IRI equals only itself
            return same_value if equal(a, b) else other_value

        return equality

    def order(a: Term, b: Term) -> Term:
        found = compare(a, b)
        if op == "<":
            holds = found < 0
        elif op == ">":
            holds = found > 0
        elif op == "<=":
            holds = found <= 0
        else:
            holds = found >= 0
        return _TRUE if holds else _FALSE

    return order


def _compare_variables(op: str, a: str, b: str) -> _Compiled:
    """``?a op ?b``: :func:`_comparison` on two variables, without the calls."""
    impl = _comparison(op)
    template = f"(?a0 {op} ?a1)"

    def apply(run: _Run, solution: Solution) -> Term:
        x = solution.get(a)
        y = solution.get(b)
        if x is None or y is None:
            raise _ExprError
        try:
            return impl(x, y)
        except _Defer:
            return run.oracle.evaluate(template, (x, y))

    return _Compiled(apply, frozenset({a, b}))


_STRICT_BUILTINS: Final[dict[str, tuple[str, Callable[..., Term] | None, tuple[str, ...]]]] = {
    # rdflib's name: (SPARQL name, implementation or None for Oxigraph, argument names)
    "Builtin_STR": ("STR", _f_str, ("arg",)),
    "Builtin_STRLEN": ("STRLEN", _f_strlen, ("arg",)),
    "Builtin_SUBSTR": ("SUBSTR", _f_substr, ("arg", "start", "length")),
    "Builtin_STRSTARTS": ("STRSTARTS", _f_strstarts, ("arg1", "arg2")),
    "Builtin_STRENDS": ("STRENDS", _f_strends, ("arg1", "arg2")),
    "Builtin_CONTAINS": ("CONTAINS", _f_contains, ("arg1", "arg2")),
    "Builtin_DATATYPE": ("DATATYPE", _f_datatype, ("arg",)),
    "Builtin_LANG": ("LANG", _f_lang, ("arg",)),
    "Builtin_UCASE": ("UCASE", None, ("arg",)),
    "Builtin_LCASE": ("LCASE", None, ("arg",)),
    "Builtin_STRBEFORE": ("STRBEFORE", None, ("arg1", "arg2")),
    "Builtin_STRAFTER": ("STRAFTER", None, ("arg1", "arg2")),
    "Builtin_ENCODE_FOR_URI": ("ENCODE_FOR_URI", None, ("arg",)),
    "Builtin_LANGMATCHES": ("LANGMATCHES", None, ("arg1", "arg2")),
    "Builtin_STRLANG": ("STRLANG", None, ("arg1", "arg2")),
    "Builtin_STRDT": ("STRDT", None, ("arg1", "arg2")),
    "Builtin_ABS": ("ABS", None, ("arg",)),
    "Builtin_CEIL": ("CEIL", None, ("arg",)),
    "Builtin_FLOOR": ("FLOOR", None, ("arg",)),
    "Builtin_ROUND": ("ROUND", None, ("arg",)),
    "Builtin_YEAR": ("YEAR", None, ("arg",)),
    "Builtin_MONTH": ("MONTH", None, ("arg",)),
    "Builtin_DAY": ("DAY", None, ("arg",)),
    "Builtin_HOURS": ("HOURS", None, ("arg",)),
    "Builtin_MINUTES": ("MINUTES", None, ("arg",)),
    "Builtin_SECONDS": ("SECONDS", None, ("arg",)),
    "Builtin_TIMEZONE": ("TIMEZONE", None, ("arg",)),
    "Builtin_TZ": ("TZ", None, ("arg",)),
    "Builtin_MD5": ("MD5", None, ("arg",)),
    "Builtin_SHA1": ("SHA1", None, ("arg",)),
    "Builtin_SHA256": ("SHA256", None, ("arg",)),
    "Builtin_SHA384": ("SHA384", None, ("arg",)),
    "Builtin_SHA512": ("SHA512", None, ("arg",)),
    "Builtin_isNUMERIC": ("isNUMERIC", None, ("arg",)),
}


def _defer_all(*args: Term) -> Term:
    raise _Defer


@dataclass
class _Compiler:
    """Compiles rdflib's SPARQL algebra into operators and expressions."""

    canon: _Canonicaliser

    # -- terms

    def constant(self, node: Node) -> Term:
        term = _from_rdflib(node)
        if isinstance(term, Lit):
            found = self.canon.pending(
                ox.Literal(term.lexical, datatype=ox.NamedNode(term.datatype))
                if not term.language
                else ox.Literal(term.lexical, language=term.language)
            )
            if found is None:
                found = self.canon.stored([to_ox(term)])[0]  # type: ignore[list-item]
            return found
        return term

    def slot(self, node: Node) -> _Var | Term:
        if isinstance(node, rdflib.Variable):
            return _Var(str(node))
        if isinstance(node, BNode):
            return _Var("_:" + str(node))
        return self.constant(node)

    def predicate(self, node: object) -> _Var | str | Path:
        from rdflib import paths

        if isinstance(node, rdflib.Variable):
            return _Var(str(node))
        if isinstance(node, URIRef):
            return str(node)
        if isinstance(node, paths.Path):
            return self.path(node)
        raise _CompileDefer

    def path(self, node: object) -> Path:
        from rdflib import paths

        if isinstance(node, URIRef):
            return PredicatePath(str(node))
        if isinstance(node, paths.InvPath):
            return InversePath(self.path(node.arg))
        if isinstance(node, paths.SequencePath):
            return SequencePath(tuple(self.path(a) for a in node.args))
        if isinstance(node, paths.AlternativePath):
            return AlternativePath(tuple(self.path(a) for a in node.args))
        if isinstance(node, paths.MulPath):
            least = 1 if node.mod == paths.OneOrMore else 0
            return RepeatPath(self.path(node.path), least, node.mod != paths.ZeroOrOne)
        raise _CompileDefer  # negated property sets

    # -- patterns

    def pattern(self, node: object, entry: frozenset[str]) -> _Op:
        """The operator of an algebra node; ``entry``: the variables an initial solution
        may bind."""
        from rdflib.plugins.sparql.parserutils import CompValue

        if not isinstance(node, CompValue):
            raise _CompileDefer
        name = node.name
        if name == "BGP":
            return _BGP(
                [
                    Pattern.of(self.slot(s), self.predicate(p), self.slot(o))
                    for s, p, o in node.triples
                ]
            )
        if name == "Filter":
            inner = self.pattern(node.p, entry)
            scope = entry | inner.maybe
            return self.push(self.conjuncts(node.expr, scope), inner, entry)
        if name == "Extend":
            inner = self.pattern(node.p, entry)
            var = str(node.var)
            if var in inner.maybe or var in entry:
                raise _CompileDefer
            return _Extend(inner, var, self.expression(node.expr, entry | inner.maybe))
        if name == "Join":
            left = self.pattern(node.p1, entry)
            right = self.pattern(node.p2, entry)
            plain = isinstance(left, _BGP) and isinstance(right, _BGP)
            if plain and not (left.filters or right.filters):  # type: ignore[attr-defined]
                return _BGP(left.patterns + right.patterns)  # type: ignore[attr-defined]
            return _Join(left, right, entry)
        if name == "Union":
            return _Union(self.pattern(node.p1, entry), self.pattern(node.p2, entry))
        raise _CompileDefer  # OPTIONAL, GRAPH, subqueries, aggregates, ordering...

    def conjuncts(self, expr: object, scope: frozenset[str]) -> list[tuple[object, _Compiled]]:
        """The ``&&`` operands of a FILTER expression, each with its compiled form."""
        from rdflib.plugins.sparql.parserutils import CompValue

        if isinstance(expr, CompValue) and expr.name == "ConditionalAndExpression":
            parts = [expr.expr, *(expr.other or [])]
            return [c for p in parts for c in self.conjuncts(p, scope)]
        return [(expr, self.expression(expr, scope))]

    def push(
        self, conjuncts: Sequence[tuple[object, _Compiled]], inner: _Op, entry: frozenset[str]
    ) -> _Op:
        """FILTER conjuncts over ``inner``: into its basic graph pattern where they read
        none of the variables bound above it."""
        if isinstance(inner, _Extend):
            below = [c for c in conjuncts if inner.var not in c[1].vars]
            above = [c[1] for c in conjuncts if inner.var in c[1].vars]
            if below:
                inner = _Extend(self.push(below, inner.inner, entry), inner.var, inner.expr)
            return _Filter(self.conjoin(above, inner), inner) if above else inner
        if isinstance(inner, _BGP):
            own = inner.maybe
            pushed = []
            domains: dict[str, frozenset[str]] = {}
            for node, c in conjuncts:
                needs = c.vars & own
                if c.vars - own - entry:
                    needs = own  # reads a variable nothing binds: check at the end
                pushed.append(_Conjunct(c.fn, needs, c.vars, node))
                found = _domain(node)
                if found is not None:
                    name, values = found
                    domains[name] = domains[name] & values if name in domains else values
            return inner.with_filters(pushed, domains)
        return _Filter(self.conjoin([c for _, c in conjuncts], inner), inner)

    @staticmethod
    def conjoin(conjuncts: Sequence[_Compiled], inner: _Op) -> list[_Conjunct]:
        return [_Conjunct(c.fn, c.vars & inner.maybe, c.vars) for c in conjuncts]

    # -- expressions

    def expression(self, node: object, scope: frozenset[str]) -> _Compiled:
        """A compiled expression; ``scope``: the variables that may be bound where it is
        evaluated (EXISTS patterns see them)."""
        from rdflib.plugins.sparql.parserutils import CompValue

        if isinstance(node, rdflib.Variable):
            name = str(node)

            def variable(run: _Run, solution: Solution) -> Term:
                value = solution.get(name)
                if value is None:
                    raise _ExprError
                return value

            return _Compiled(variable, frozenset({name}), var=name)
        if isinstance(node, URIRef | rdflib.Literal):
            term = self.constant(node)
            return _Compiled(lambda run, solution: term, frozenset(), constant=term)
        if not isinstance(node, CompValue):
            raise _CompileDefer
        name = node.name
        if name in ("ConditionalAndExpression", "ConditionalOrExpression"):
            parts = [self.expression(p, scope) for p in [node.expr, *(node.other or [])]]
            return self.logical(parts, name == "ConditionalAndExpression")
        if name == "UnaryNot":
            inner = self.expression(node.expr, scope)

            def negation(run: _Run, solution: Solution) -> Term:
                return _FALSE if _ebv(run, inner.fn(run, solution)) else _TRUE

            return _Compiled(negation, inner.vars)
        if name == "UnaryMinus":
            return _strict("(-?a0)", _negate, [self.expression(node.expr, scope)])
        if name == "UnaryPlus":
            return _strict("(+?a0)", _defer_all, [self.expression(node.expr, scope)])
        if name == "RelationalExpression":
            return self.relational(node, scope)
        if name in ("AdditiveExpression", "MultiplicativeExpression"):
            result = self.expression(node.expr, scope)
            for op, other in zip(node.op or [], node.other or [], strict=True):
                result = _strict(
                    f"(?a0 {op} ?a1)", _arithmetic(op), [result, self.expression(other, scope)]
                )
            return result
        if name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
            return self.exists(node, scope)
        if name == "Builtin_IF":
            return self.conditional(node, scope)
        if name == "Builtin_BOUND":
            var = str(node.arg)
            return _Compiled(
                lambda run, solution: _TRUE if var in solution else _FALSE, frozenset({var})
            )
        if name == "Builtin_COALESCE":
            return self.coalesce([self.expression(a, scope) for a in node.arg], scope)
        if name in ("Builtin_sameTerm",):
            args = [self.expression(node.arg1, scope), self.expression(node.arg2, scope)]
            return _strict("sameTerm(?a0, ?a1)", lambda a, b: _TRUE if a == b else _FALSE, args)
        if name in ("Builtin_isIRI", "Builtin_isURI", "Builtin_isBLANK", "Builtin_isLITERAL"):
            kind = {"Builtin_isBLANK": Blank, "Builtin_isLITERAL": Lit}.get(name, str)
            return _strict(
                "isIRI(?a0)",
                lambda a: _TRUE if isinstance(a, kind) else _FALSE,
                [self.expression(node.arg, scope)],
            )
        if name == "Builtin_CONCAT":
            args = [self.expression(a, scope) for a in node.arg]
            template = "CONCAT(" + ", ".join(f"?a{k}" for k in range(len(args))) + ")"
            return _strict(template, _f_concat, args)
        if name == "Builtin_REGEX":
            return self.regex(node, scope)
        if name == "Function":
            iri = str(node.iri)
            args = [self.expression(a, scope) for a in node.expr]
            impl = {_XSD_INTEGER: _f_integer, _XSD_STRING: _f_string}.get(iri, _defer_all)
            template = f"<{iri}>(" + ", ".join(f"?a{k}" for k in range(len(args))) + ")"
            return _strict(template, impl, args)
        builtin = _STRICT_BUILTINS.get(name)
        if builtin is None:
            raise _CompileDefer  # NOW, RAND, BNODE, IRI, REPLACE...
        sparql_name, found, params = builtin
        args = [self.expression(node[p], scope) for p in params if p in node]
        template = sparql_name + "(" + ", ".join(f"?a{k}" for k in range(len(args))) + ")"
        return _strict(template, found or _defer_all, args)

    def logical(self, parts: Sequence[_Compiled], conjunction: bool) -> _Compiled:
        """``&&`` and ``||`` with SPARQL's error rules
        (https://www.w3.org/TR/sparql11-query/#evaluation)."""
        fns = tuple(p.fn for p in parts)
        names = frozenset().union(*(p.vars for p in parts))
        decisive = not conjunction  # the value that decides: false for &&, true for ||

        def apply(run: _Run, solution: Solution) -> Term:
            error = False
            for fn in fns:
                try:
                    value = _ebv(run, fn(run, solution))
                except _ExprError:
                    error = True
                    continue
                if value == decisive:
                    return _TRUE if decisive else _FALSE
            if error:
                raise _ExprError
            return _FALSE if decisive else _TRUE

        return _Compiled(apply, names)

    def relational(self, node: object, scope: frozenset[str]) -> _Compiled:
        op = node.op  # type: ignore[attr-defined]
        left = self.expression(node.expr, scope)  # type: ignore[attr-defined]
        if op in ("IN", "NOT IN"):
            members = [self.expression(m, scope) for m in node.other]  # type: ignore[attr-defined]
            negated = op == "NOT IN"
            if node.other and all(isinstance(m, URIRef) for m in node.other):  # type: ignore[attr-defined]
                # IRIs are equal only to themselves, and no comparison with one errs
                iris = frozenset(str(m) for m in node.other)  # type: ignore[attr-defined]
                first = left.fn

                def among(run: _Run, solution: Solution) -> Term:
                    return _TRUE if (first(run, solution) in iris) != negated else _FALSE

                return _Compiled(among, left.vars)
            fns = tuple(m.fn for m in members)
            names = left.vars.union(*(m.vars for m in members))

            def member(run: _Run, solution: Solution) -> Term:
                value = left.fn(run, solution)
                error = False
                for fn in fns:
                    try:
                        other = fn(run, solution)
                        try:
                            same = equal(value, other)
                        except _Defer:
                            same = run.oracle.compare("=", value, other)
                    except _ExprError:
                        error = True
                        continue
                    if same:
                        return _FALSE if negated else _TRUE
                if error:
                    raise _ExprError
                return _TRUE if negated else _FALSE

            return _Compiled(member, names)
        right = self.expression(node.other, scope)  # type: ignore[attr-defined]
        if isinstance(node.expr, rdflib.Variable) and isinstance(node.other, rdflib.Variable):  # type: ignore[attr-defined]
            return _compare_variables(op, str(node.expr), str(node.other))  # type: ignore[attr-defined]
        return _strict(f"(?a0 {op} ?a1)", _comparison(op), [left, right])

    def exists(self, node: object, scope: frozenset[str]) -> _Compiled:
        from rdflib.plugins.sparql.algebra import translateGroupGraphPattern

        graph = node.graph  # type: ignore[attr-defined]
        if graph.name == "GroupGraphPatternSub":
            graph = translateGroupGraphPattern(graph)
        pattern = self.pattern(graph, scope)
        negated = node.name == "Builtin_NOTEXISTS"  # type: ignore[attr-defined]
        names = frozenset(pattern.maybe) | _mentioned(pattern)
        if isinstance(pattern, _BGP):
            semijoin = self.semijoin(pattern, scope, negated)
            if semijoin is not None:
                return _Compiled(semijoin.__call__, names)
        return _Compiled(_Exists(pattern, negated).__call__, names)

    def semijoin(self, pattern: _BGP, scope: frozenset[str], negated: bool) -> _SemiJoin | None:
        """An EXISTS over a basic graph pattern whose FILTER has a conjunct ``a = b`` with
        ``a`` over the pattern's own variables and ``b`` over the outer ones: its
        solutions are found once per binding of the outer variables the rest reads, and
        the values of ``a`` hashed (see :class:`_SemiJoin`)."""
        from rdflib.plugins.sparql.parserutils import CompValue

        own = pattern.certain - scope
        for conjunct in pattern.filters:
            node = conjunct.node
            if not (
                isinstance(node, CompValue)
                and node.name == "RelationalExpression"
                and node.op == "="
            ):
                continue
            left, right = self.expression(node.expr, scope), self.expression(node.other, scope)
            if right.vars and right.vars <= own and left.vars <= scope - pattern.maybe:
                left, right = right, left
            if not (left.vars and left.vars <= own and right.vars <= scope - pattern.maybe):
                continue
            rest = _BGP(
                pattern.patterns,
                [c for c in pattern.filters if c is not conjunct],
                pattern.domains,
            )
            reads = set(rest.maybe)
            for c in rest.filters:
                reads |= c.vars
            return _SemiJoin(rest, left, right, conjunct.fn, tuple(sorted(reads & scope)), negated)
        return None

    def conditional(self, node: object, scope: frozenset[str]) -> _Compiled:
        test = self.expression(node.arg1, scope)  # type: ignore[attr-defined]
        then = self.expression(node.arg2, scope)  # type: ignore[attr-defined]
        other = self.expression(node.arg3, scope)  # type: ignore[attr-defined]

        def choose(run: _Run, solution: Solution) -> Term:
            branch = then if _ebv(run, test.fn(run, solution)) else other
            return branch.fn(run, solution)

        return _Compiled(choose, test.vars | then.vars | other.vars)

    def coalesce(self, args: Sequence[_Compiled], scope: frozenset[str]) -> _Compiled:
        def first(run: _Run, solution: Solution) -> Term:
            for arg in args:
                try:
                    return arg.fn(run, solution)
                except _ExprError:
                    continue
            raise _ExprError

        return _Compiled(first, frozenset().union(*(a.vars for a in args)))

    def regex(self, node: object, scope: frozenset[str]) -> _Compiled:
        text = self.expression(node.text, scope)  # type: ignore[attr-defined]
        pattern_node = node.pattern  # type: ignore[attr-defined]
        flags_node = node.flags  # type: ignore[attr-defined]
        if not isinstance(pattern_node, rdflib.Literal) or not (
            flags_node is None or isinstance(flags_node, rdflib.Literal)
        ):
            raise _CompileDefer
        try:
            compiled = python_regex(str(pattern_node), str(flags_node or ""))
        except UnsupportedShapes as e:
            raise _CompileDefer from e

        def matches(a: Term) -> Term:
            return _TRUE if compiled.search(_string(a).lexical) else _FALSE

        pattern_term = self.constant(pattern_node)
        flag_terms = [self.constant(flags_node)] if flags_node is not None else []
        template = "REGEX(?a0, ?a1" + (", ?a2)" if flag_terms else ")")

        def call(run: _Run, solution: Solution) -> Term:
            value = text.fn(run, solution)
            try:
                return matches(value)
            except _Defer:
                return run.oracle.evaluate(template, [value, pattern_term, *flag_terms])

        return _Compiled(call, text.vars)


def _domain(node: object) -> tuple[str, frozenset[str]] | None:
    """``(variable, IRIs)`` when the expression ``node`` is true only if the variable is one
    of those IRIs (``?v IN (<a>, <b>)``, ``?v = <a>``): IRIs are equal only to themselves."""
    from rdflib.plugins.sparql.parserutils import CompValue

    if not (isinstance(node, CompValue) and node.name == "RelationalExpression"):
        return None
    if node.op == "IN" and isinstance(node.expr, rdflib.Variable):
        members = list(node.other)
        if members and all(isinstance(m, URIRef) for m in members):
            return str(node.expr), frozenset(str(m) for m in members)
    if node.op == "=":
        left, right = node.expr, node.other
        if isinstance(right, rdflib.Variable) and isinstance(left, URIRef):
            left, right = right, left
        if isinstance(left, rdflib.Variable) and isinstance(right, URIRef):
            return str(left), frozenset({str(right)})
    return None


def _mentioned(op: _Op) -> frozenset[str]:
    """Every variable an operator reads, its filters and nested EXISTS included."""
    found: set[str] = set(op.maybe)
    if isinstance(op, _BGP):
        for c in op.filters:
            found |= c.vars
    elif isinstance(op, _Filter):
        found |= _mentioned(op.inner)
        for c in op.conjuncts:
            found |= c.vars
    elif isinstance(op, _Extend):
        found |= _mentioned(op.inner) | op.expr.vars
    elif isinstance(op, _Union | _Join):
        found |= _mentioned(op.left) | _mentioned(op.right)
    elif isinstance(op, _Project):
        found |= _mentioned(op.inner)
    return frozenset(found)


# ---- SPARQL-based constraints ---------------------------------------------------------------

_SPARQL_COMPONENT: Final = _SH + "SPARQLConstraintComponent"
_FORBIDDEN: Final = {
    # https://www.w3.org/TR/shacl/#pre-binding: what a pre-bound query must not contain
    "Minus": "MINUS",
    "values": "VALUES",
    "ServiceGraphPattern": "SERVICE",
}


@dataclass(frozen=True)
class _SparqlConstraint:
    """One sh:sparql constraint of a shape (https://www.w3.org/TR/shacl/#SPARQLConstraintComponent):
    ``plan`` evaluates the query here; when it is None Oxigraph runs ``query``, pre-bound
    through its substitutions."""

    messages: tuple[str, ...]
    query: str
    projection: tuple[str, ...]
    plan: _Op | None
    shape_node: Term
    uses_shape: bool

    def validate(self, run: _Run, shape: Shape, focus: Term, out: list[Result]) -> None:
        """The results of the query for ``focus``, one per solution
        (https://www.w3.org/TR/shacl/#sparql-constraints-validation)."""
        mu: Solution = {_THIS: focus}
        if self.uses_shape:
            mu[_CURRENT_SHAPE] = self.shape_node
        solutions = (
            self.plan.solutions(run, mu) if self.plan is not None else self._oxigraph(run, mu)
        )
        path = shape.path
        for solution in solutions:
            failure = solution.get("failure")
            if failure is not None and failure == _TRUE:
                raise RuntimeError(f"the SPARQL constraint of {shape.text} reported a failure")
            bound_path = solution.get("path")
            path_text = (
                bound_path if isinstance(bound_path, str) else (None if path is None else path.text)
            )
            value = solution.get("value", focus if path is None else None)
            messages = {self._fill(m, solution) for m in self.messages}
            out.append(
                Result(
                    solution.get(_THIS, focus),
                    path_text,
                    shape.severity,
                    shape.text,
                    "; ".join(sorted(messages)),
                    value,
                    _SPARQL_COMPONENT,
                )
            )

    def _oxigraph(self, run: _Run, mu: Solution) -> Iterator[Solution]:
        substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(k): to_ox(v) for k, v in mu.items()
        }
        answer = run.oxigraph().query(self.query, substitutions=substitutions)
        assert isinstance(answer, ox.QuerySolutions)
        for row in answer:
            solution: Solution = {}
            for name in self.projection:
                value = row[name]
                if value is not None:
                    solution[name] = _from_ox(value)
            yield solution

    def _fill(self, message: str, solution: Solution) -> str:
        """The message with ``{?var}`` and ``{$var}`` replaced by the values of the projected
        variables (https://www.w3.org/TR/shacl/#sparql-constraints-validation)."""
        if "{" not in message:
            return message
        for name in self.projection:
            if name == _CURRENT_SHAPE:
                continue  # pre-bound, and not filled in by pyshacl-turbo either
            value = solution.get(name)
            if value is not None:
                text = _template_text(value)
                message = message.replace("{?" + name + "}", text).replace("{$" + name + "}", text)
        return message


# ---- compiling a shapes graph ------------------------------------------------------------------

_TARGETS: Final = ("targetNode", "targetClass", "targetSubjectsOf", "targetObjectsOf")
_IGNORED: Final = frozenset(
    # non-validating properties (https://www.w3.org/TR/shacl/#nonValidation)
    _SH + n
    for n in ("name", "description", "order", "group", "defaultValue")
)
_KNOWN: Final = _IGNORED | frozenset(
    _SH + n
    for n in (
        *_TARGETS,
        "severity", "message", "deactivated", "property", "sparql", "path",
        "class", "datatype", "nodeKind", "minCount", "maxCount",
        "minInclusive", "maxInclusive", "minExclusive", "maxExclusive",
        "minLength", "maxLength", "pattern", "in", "hasValue",
        "equals", "disjoint", "lessThan", "lessThanOrEquals",
        "not", "and", "or", "xone", "node",
    )
)  # fmt: skip
_SPARQL_KNOWN: Final = frozenset(_SH + n for n in ("select", "message", "prefixes", "deactivated"))


@dataclass
class _ShapeCompiler:
    """Reads the shapes of an rdflib shapes graph into :class:`Shape` values."""

    graph: rdflib.Graph
    canon: _Canonicaliser
    compiled: dict[Node, Shape] = field(default_factory=dict)
    building: set[Node] = field(default_factory=set)
    silent: set[str] = field(default_factory=set)  # shapes that would report no message

    def roots(self) -> tuple[Shape, ...]:
        """The shapes with targets (their focus nodes are where validation starts)."""
        g = self.graph
        candidates: set[Node] = set()
        for kind in ("NodeShape", "PropertyShape"):
            candidates.update(g.subjects(rdflib.RDF.type, _sh(kind)))
        for target in _TARGETS:
            candidates.update(g.subjects(_sh(target), None))
        for other in ("targetShape", "target"):
            if (None, _sh(other), None) in g:
                raise UnsupportedShapes(f"sh:{other} is not supported")
        shapes = [self.shape(node) for node in sorted(candidates, key=str)]
        roots = tuple(s for s in shapes if s.targets and not s.deactivated)
        for root in roots:
            self.check_messages(root)
        return roots

    def check_messages(self, shape: Shape) -> None:
        """Every shape that reports results (a root and its property shapes) has a
        message: this engine writes no default messages."""
        if shape.text in self.silent:
            raise UnsupportedShapes(
                f"the shape {shape.text} has no sh:message (this engine writes no default messages)"
            )
        for prop in shape.properties:
            self.check_messages(prop)

    def text(self, node: Node) -> str:
        return str(node) if isinstance(node, URIRef) else "_:" + str(node)

    def one(self, node: Node, key: str) -> Node | None:
        values = list(self.graph.objects(node, _sh(key)))
        if len(values) > 1:
            raise UnsupportedShapes(f"the shape {self.text(node)} has several sh:{key}")
        return values[0] if values else None

    def integer(self, node: Node, value: Node, key: str) -> int:
        if not (isinstance(value, rdflib.Literal) and isinstance(value.value, int)):
            raise UnsupportedShapes(f"sh:{key} of {self.text(node)} is not an integer")
        return int(value.value)

    def iri(self, node: Node, value: Node, key: str) -> str:
        if not isinstance(value, URIRef):
            raise UnsupportedShapes(f"sh:{key} of {self.text(node)} is not an IRI")
        return str(value)

    def term(self, node: Node) -> Term:
        term = _from_rdflib(node)
        if isinstance(term, Lit):
            return _Compiler(self.canon).constant(node)
        return term

    def shape(self, node: Node) -> Shape:
        """The compiled shape ``node`` (https://www.w3.org/TR/shacl/#shapes)."""
        if node in self.compiled:
            return self.compiled[node]
        if node in self.building:
            raise UnsupportedShapes(f"the shape {self.text(node)} refers to itself (recursion)")
        self.building.add(node)
        g = self.graph
        text = self.text(node)
        keys = {str(p) for p in g.predicates(node, None) if str(p).startswith(_SH)}
        unknown = sorted(keys - _KNOWN)
        if unknown:
            names = ", ".join("sh:" + k[len(_SH) :] for k in unknown)
            raise UnsupportedShapes(f"the shape {text} uses {names}, which this engine lacks")
        types = set(g.objects(node, rdflib.RDF.type))
        if types & {rdflib.RDFS.Class, rdflib.OWL.Class}:
            raise UnsupportedShapes(f"the shape {text} is a class (implicit class targets)")
        severity_node = self.one(node, "severity")
        deactivated = self.one(node, "deactivated")
        path_node = self.one(node, "path")
        path = None if path_node is None else compile_path(g, path_node)
        messages = []
        for m in g.objects(node, _sh("message")):
            if not isinstance(m, rdflib.Literal):
                raise UnsupportedShapes(f"sh:message of {text} is not a literal")
            messages.append(str(m))
        checks = tuple(self.checks(node, path is not None))
        properties = tuple(self.property(p) for p in g.objects(node, _sh("property")))
        sparql = tuple(self.sparql(node, path, messages, c) for c in g.objects(node, _sh("sparql")))
        shape = Shape(
            node=_from_rdflib(node),
            text=text,
            severity=_SEVERITIES.get(str(severity_node), "Violation")
            if severity_node is not None
            else "Violation",
            message="; ".join(sorted(set(messages))),
            path=path,
            path_text=None if path is None else path.text,
            checks=checks,
            properties=properties,
            sparql=sparql,
            targets=_Targets(
                nodes=tuple(self.term(n) for n in g.objects(node, _sh("targetNode"))),
                classes=tuple(
                    self.iri(node, c, "targetClass") for c in g.objects(node, _sh("targetClass"))
                ),
                subjects_of=tuple(
                    self.iri(node, p, "targetSubjectsOf")
                    for p in g.objects(node, _sh("targetSubjectsOf"))
                ),
                objects_of=tuple(
                    self.iri(node, p, "targetObjectsOf")
                    for p in g.objects(node, _sh("targetObjectsOf"))
                ),
            ),
            deactivated=isinstance(deactivated, rdflib.Literal) and deactivated.value is True,
        )
        if (checks and not messages) or any(not c.messages for c in sparql):
            self.silent.add(text)
        self.building.discard(node)
        self.compiled[node] = shape
        return shape

    def property(self, node: Node) -> Shape:
        shape = self.shape(node)
        if shape.path is None:
            raise UnsupportedShapes(f"the property shape {shape.text} has no sh:path")
        return shape

    def shapes_list(self, node: Node, value: Node, key: str) -> tuple[Shape, ...]:
        return tuple(self.shape(m) for m in _list(self.graph, value, f"sh:{key} of {node}"))

    def checks(self, node: Node, has_path: bool) -> Iterator[_Check]:
        """The Core constraints of the shape ``node``, one per parameter value."""
        g = self.graph
        text = self.text(node)

        def values(key: str) -> list[Node]:
            return list(g.objects(node, _sh(key)))

        for cls in values("class"):
            yield _Class(self.iri(node, cls, "class"))
        for datatype in values("datatype"):
            iri = self.iri(node, datatype, "datatype")
            if iri not in CHECKED_DATATYPES:
                raise UnsupportedShapes(
                    f"sh:datatype <{iri}> of {text}: this engine checks the lexical forms of "
                    "xsd:string, rdf:langString, xsd:anyURI, xsd:integer, xsd:decimal, "
                    "xsd:boolean, xsd:date and xsd:dateTime only"
                )
            yield _Datatype(iri)
        for kind in values("nodeKind"):
            flags = _NODE_KINDS.get(str(kind))
            if flags is None:
                raise UnsupportedShapes(f"sh:nodeKind {kind} of {text} is not a node kind")
            yield _NodeKind(*flags)
        for count in values("minCount"):
            if not has_path:
                raise UnsupportedShapes(f"sh:minCount on the node shape {text}")
            yield _MinCount(self.integer(node, count, "minCount"))
        for count in values("maxCount"):
            if not has_path:
                raise UnsupportedShapes(f"sh:maxCount on the node shape {text}")
            yield _MaxCount(self.integer(node, count, "maxCount"))
        for key, op in (
            ("minInclusive", "<="),
            ("minExclusive", "<"),
            ("maxInclusive", ">="),
            ("maxExclusive", ">"),
        ):
            for bound in values(key):
                if not isinstance(bound, rdflib.Literal):
                    raise UnsupportedShapes(f"sh:{key} of {text} is not a literal")
                component = _SH + key[0].upper() + key[1:] + "ConstraintComponent"
                yield _Range(self.term(bound), op, component)
        for key in ("minLength", "maxLength"):
            for length in values(key):
                component = _SH + key[0].upper() + key[1:] + "ConstraintComponent"
                yield _Length(self.integer(node, length, key), key == "minLength", component)
        for pattern in values("pattern"):
            yield _Pattern(python_regex(str(pattern)))
        for members in values("in"):
            items = _list(g, members, f"sh:in of {text}")
            yield _In(frozenset(self.term(m) for m in items))
        for value in values("hasValue"):
            yield _HasValue(self.term(value))
        for key in ("equals", "disjoint", "lessThan", "lessThanOrEquals"):
            for predicate in values(key):
                if key.startswith("less") and not has_path:
                    raise UnsupportedShapes(f"sh:{key} on the node shape {text}")
                component = _SH + key[0].upper() + key[1:] + "ConstraintComponent"
                yield _Pair(self.iri(node, predicate, key), key, component)
        for key in ("and", "or", "xone"):
            for members in values(key):
                component = _SH + key[0].upper() + key[1:] + "ConstraintComponent"
                yield _Logical(self.shapes_list(node, members, key), key, component)
        for inner in values("not"):
            yield _Logical((self.shape(inner),), "not", _SH + "NotConstraintComponent")
        for inner in values("node"):
            yield _Logical((self.shape(inner),), "node", _SH + "NodeConstraintComponent")

    def prefixes(self, node: Node) -> dict[str, str]:
        """The prefixes that the sh:prefixes of ``node`` declare, following owl:imports
        (https://www.w3.org/TR/shacl/#sparql-prefixes)."""
        g = self.graph
        found: dict[str, str] = {}
        todo = list(g.objects(node, _sh("prefixes")))
        seen: set[Node] = set()
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            todo.extend(g.objects(current, rdflib.OWL.imports))
            for declaration in g.objects(current, _sh("declare")):
                prefix = g.value(declaration, _sh("prefix"))
                namespace = g.value(declaration, _sh("namespace"))
                if prefix is None or namespace is None:
                    raise UnsupportedShapes(
                        f"a sh:declare of {current} lacks a prefix or namespace"
                    )
                if found.get(str(prefix), str(namespace)) != str(namespace):
                    raise UnsupportedShapes(f"the prefix {prefix} is declared twice")
                found[str(prefix)] = str(namespace)
        return found

    def sparql(
        self, owner: Node, path: Path | None, own_messages: Sequence[str], node: Node
    ) -> _SparqlConstraint:
        """A SPARQL-based constraint (https://www.w3.org/TR/shacl/#sparql-constraints)."""
        g = self.graph
        text = self.text(owner)
        keys = {str(p) for p in g.predicates(node, None) if str(p).startswith(_SH)}
        unknown = sorted(keys - _SPARQL_KNOWN)
        if unknown:
            names = ", ".join("sh:" + k[len(_SH) :] for k in unknown)
            raise UnsupportedShapes(
                f"the sh:sparql of {text} uses {names}, which this engine lacks"
            )
        if (node, _sh("deactivated"), rdflib.Literal(True)) in g:
            raise UnsupportedShapes(f"a deactivated sh:sparql on {text}")
        selects = list(g.objects(node, _sh("select")))
        if len(selects) != 1:
            raise UnsupportedShapes(f"the sh:sparql of {text} has no single sh:select")
        select = str(selects[0])
        if "$shapesGraph" in select or "?shapesGraph" in select:
            raise UnsupportedShapes(f"the query of {text} uses $shapesGraph")
        if path is not None:
            path_sparql = path.sparql
            select = re.sub(r"\$PATH\b", lambda _: path_sparql, select)
        header = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(self.prefixes(node).items()))
        query = header + select
        from rdflib.plugins.sparql import prepareQuery

        try:
            parsed = prepareQuery(query)
        except Exception as e:  # rdflib raises pyparsing's errors, among others
            raise UnsupportedShapes(f"the query of {text} does not parse: {e}") from e
        algebra = parsed.algebra
        if algebra.name != "SelectQuery" or algebra.get("datasetClause"):
            raise UnsupportedShapes(f"the query of {text} is not a SELECT query without FROM")
        _check_prebinding(algebra, text)
        projection = tuple(str(v) for v in algebra["PV"])
        uses_shape = re.search(r"[?$]currentShape\b", select) is not None
        compiler = _Compiler(self.canon)
        entry = frozenset({_THIS, _CURRENT_SHAPE} if uses_shape else {_THIS})
        plan: _Op | None
        try:
            plan = self.plan(compiler, algebra.p, projection, entry)
        except _CompileDefer:
            plan = None
            needed = {_THIS, _CURRENT_SHAPE} if uses_shape else {_THIS}
            if not needed <= set(projection):
                raise UnsupportedShapes(
                    f"the query of {text} uses SPARQL that this engine hands to Oxigraph, "
                    "which pre-binds only projected variables: SELECT $this"
                ) from None
        messages = [str(m) for m in g.objects(node, _sh("message"))]
        return _SparqlConstraint(
            messages=tuple(dict.fromkeys([*own_messages, *messages])),
            query=query,
            projection=projection,
            plan=plan,
            shape_node=_from_rdflib(owner),
            uses_shape=uses_shape,
        )

    @staticmethod
    def plan(
        compiler: _Compiler, node: object, projection: Sequence[str], entry: frozenset[str]
    ) -> _Op:
        from rdflib.plugins.sparql.parserutils import CompValue

        distinct = False
        if isinstance(node, CompValue) and node.name in ("Distinct", "Reduced"):
            distinct = node.name == "Distinct"
            node = node.p
        if not (isinstance(node, CompValue) and node.name == "Project"):
            raise _CompileDefer
        return _Project(compiler.pattern(node.p, entry), projection, distinct)


def _check_prebinding(node: object, text: str) -> None:
    """Raise when the query breaks SHACL's restrictions on pre-bound queries
    (https://www.w3.org/TR/shacl/#pre-binding): no MINUS, VALUES or SERVICE, no
    ``AS $this``."""
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        feature = _FORBIDDEN.get(node.name)
        if feature is not None:
            raise UnsupportedShapes(f"the query of {text} uses {feature}, which SHACL forbids")
        if node.name == "Extend" and str(node.var) in (_THIS, _CURRENT_SHAPE):
            raise UnsupportedShapes(f"the query of {text} binds ${node.var} with AS")
        for value in node.values():
            _check_prebinding(value, text)
    elif isinstance(node, list | tuple):
        for value in node:
            _check_prebinding(value, text)


# ---- the engine ------------------------------------------------------------------------------


class Engine:
    """The compiled shapes of a shapes graph, validating one data graph at a time."""

    def __init__(self, shapes: rdflib.Graph) -> None:
        self._canon = _Canonicaliser()
        self._oracle = _Oracle()
        self.roots = _ShapeCompiler(shapes, self._canon).roots()

    def validate(self, quads: Iterable[Iterable[object]]) -> tuple[list[Result], Graph]:
        """The results of validating the graph of pyoxigraph quads (or ``(subject,
        predicate, object, graph)`` tuples; graph names are not read) against every shape
        with targets, and the indexed graph."""
        graph = read_graph(quads, self._canon)
        run = _Run(graph, self._oracle)
        results: list[Result] = []
        for shape in self.roots:
            for focus in shape.targets.focus_nodes(graph):
                shape.validate(run, focus, results)
        return results, graph
