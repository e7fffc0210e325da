"""JSON-LD compaction with cablerdf's own context, without a general JSON-LD processor, and a
fast writer of the JSON text.

The context (``data/context-v1.jsonld``) is fixed and versioned, so every choice the JSON-LD 1.1
compaction algorithm makes with it can be made once: :func:`compile_context` reads the context
document and precomputes the term that term selection picks for each IRI and each kind of
value, each term's type coercion, and the prefixes that make compact IRIs. A
:class:`Compactor` then compacts IRIs, node references and literals with dictionary look-ups.

Only the context features cablerdf's context uses are handled: terms that are a string (an
absolute IRI or a compact IRI), and expanded term definitions with ``@id`` and ``@type``
(``@id`` or a datatype IRI). Anything else (``@vocab``, ``@base``, ``@language``,
``@container``, ``@reverse``, scoped contexts, keyword aliases, ...) raises
:class:`UnsupportedContext` when the context is compiled: the compactor never guesses. The
reference implementation remains pyld (``export.jsonld_document_pyld``); the tests compare the
two on every corpus cable and on generated graphs.

The choices, for values in expanded form (JSON-LD 1.1 Compaction Algorithms, sections 6.2 IRI
Compaction, 6.2.1 Term Selection, 6.3 Value Compaction), with no default language, no
``@vocab``, no containers and an empty document base:

* a property IRI with a node reference picks the term coerced to ``@id``, else the term with
  no coercion; a value with a datatype picks the term coerced to that datatype, else the term
  with no coercion; any other value (plain, with a language) the term with no coercion;
  several candidates: the shortest term, then the least. Without a term: a compact IRI;
* a node's ``@id``, and a reference's ``@id``, becomes a compact IRI when a prefix matches
  (the shortest, then the least), else stays as it is; ``@type`` values and datatypes use a
  term for the IRI first (coerced to ``@id``, else uncoerced);
* a value that matches its term's coercion becomes its bare value; a node reference under a
  term coerced to ``@id`` becomes the compacted IRI string; a plain value (string, number,
  boolean) its bare value; otherwise an object with ``@language`` or ``@type``;
* an IRI that has no compact form but starts with a prefix term and a colon is an error
  ("IRI confused with prefix"), as it is in pyld.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "CompactionError",
    "Compactor",
    "TermDefinition",
    "TripleTermFound",
    "UnsupportedContext",
    "compact_nodes",
    "compactor_for",
    "compile_context",
    "dumps",
    "unescape_ntriples",
]

ID: Final = "@id"
"""The type coercion of a term whose values are node references."""

_GEN_DELIM_END = re.compile(r".*[:/\?#\[\]@]$")  # a term usable as a prefix (JSON-LD 1.1)
_TERM_KEYS: Final = frozenset({"@id", "@type"})


class UnsupportedContext(ValueError):
    """The context uses a JSON-LD feature this compactor does not implement."""


class CompactionError(ValueError):
    """A value JSON-LD compaction refuses (the same cases pyld refuses)."""


@dataclass(frozen=True)
class TermDefinition:
    """One term of the context: its IRI, its type coercion (``@id``, a datatype IRI or none),
    and whether it may be the prefix of a compact IRI."""

    name: str
    iri: str
    coercion: str | None
    prefix: bool


@dataclass(frozen=True)
class _Selection:
    """The terms term selection picks for one IRI, by the kind of value."""

    plain: str | None  # the term with no coercion: plain values, languages, other datatypes
    reference: str | None  # the term coerced to @id: node references
    typed: Mapping[str, str]  # datatype IRI -> the term coerced to it


@dataclass(frozen=True)
class Compactor:
    """Compaction of IRIs and values with one compiled context (see :func:`compile_context`).

    Every method is pure; results depend only on the context and the arguments.
    """

    terms: Mapping[str, TermDefinition]
    selections: Mapping[str, _Selection]
    prefixes: tuple[tuple[str, str], ...]  # (namespace IRI, term) of every prefix term
    confusable: frozenset[str]  # every prefix term
    # the prefixes by the first `opening` characters of their namespace (all as long)
    opening: int
    prefixes_by_opening: Mapping[str, tuple[tuple[str, str], ...]]

    def compact_iri(self, iri: str, *, vocab: bool) -> str:
        """``iri`` compacted: with ``vocab`` (a type, a datatype) a term for it if there is
        one; else a compact IRI with the shortest (then least) matching prefix; else ``iri``.

        Raises :class:`CompactionError` when ``iri`` has no compact form but starts with a
        prefix term and a colon (it would read back as a compact IRI).
        """
        if vocab:
            selection = self.selections.get(iri)
            if selection is not None:
                term = selection.reference or selection.plain
                if term is not None:
                    return term
        return self._compact_form(iri)

    def _compact_form(self, iri: str) -> str:
        """``iri`` as a compact IRI with the shortest (then least) matching prefix, else as
        it is; the error of :meth:`compact_iri` when it reads as a compact IRI."""
        best: str | None = None
        for namespace, name in self.prefixes_by_opening.get(iri[: self.opening], ()):
            if iri.startswith(namespace) and iri != namespace:
                curie = f"{name}:{iri[len(namespace) :]}"
                if best is None or (len(curie), curie) < (len(best), best):
                    best = curie
        if best is not None:
            return best
        head, colon, _ = iri.partition(":")
        if colon and head in self.confusable:
            raise CompactionError(
                f"JSON-LD compaction: the IRI {iri!r} would read as a compact IRI with "
                f"the prefix {head!r} (IRI confused with prefix)"
            )
        return iri

    def reference_key(self, predicate: str) -> tuple[str, bool]:
        """The key of node references under ``predicate``, and whether the key's term is
        coerced to ``@id`` (its values are then bare compacted IRIs)."""
        selection = self.selections.get(predicate)
        if selection is not None:
            if selection.reference is not None:
                return selection.reference, True
            if selection.plain is not None:
                return selection.plain, False
        return self._compact_form(predicate), False

    def plain_key(self, predicate: str) -> str:
        """The key of values with no datatype coercion (plain values, language-tagged
        strings, values of a datatype no term is coerced to) under ``predicate``."""
        selection = self.selections.get(predicate)
        if selection is not None and selection.plain is not None:
            return selection.plain
        return self._compact_form(predicate)

    def typed_key(self, predicate: str, datatype: str) -> tuple[str, bool]:
        """The key of values of ``datatype`` under ``predicate``, and whether the key's term
        is coerced to that datatype (the value is then its bare lexical form)."""
        selection = self.selections.get(predicate)
        if selection is not None:
            term = selection.typed.get(datatype)
            if term is not None:
                return term, True
        return self.plain_key(predicate), False


def _expand(value: str, context: Mapping[str, Any], seen: tuple[str, ...]) -> str:
    """The absolute IRI a term definition's ``value`` (an absolute or compact IRI) stands for."""
    prefix, colon, suffix = value.partition(":")
    if not colon or not prefix or value.startswith("@") or prefix == "_":
        raise UnsupportedContext(
            f"{value!r}: only absolute IRIs and compact IRIs are handled as term IRIs"
        )
    if suffix.startswith("//") or prefix not in context:
        return value
    if prefix in seen:
        raise UnsupportedContext(f"{value!r}: the prefix {prefix!r} is defined in a cycle")
    definition = context[prefix]
    if not isinstance(definition, str):
        raise UnsupportedContext(f"{value!r}: the prefix {prefix!r} is not a simple term")
    namespace = _expand(definition, context, (*seen, prefix))
    if not _GEN_DELIM_END.match(namespace):
        raise UnsupportedContext(f"{value!r}: {prefix!r} is a term but not a prefix")
    return namespace + suffix


def _definition(name: str, value: Any, context: Mapping[str, Any]) -> TermDefinition:
    if not name or name.startswith("@") or ":" in name or "/" in name:
        raise UnsupportedContext(f"{name!r}: only terms without ':' and '/' are handled")
    if isinstance(value, str):
        iri = _expand(value, context, (name,))
        return TermDefinition(name, iri, None, bool(_GEN_DELIM_END.match(iri)))
    if not isinstance(value, dict) or "@id" not in value or not set(value) <= _TERM_KEYS:
        raise UnsupportedContext(
            f"{name!r}: only string terms and term definitions with @id and @type are handled"
        )
    if not isinstance(value["@id"], str):
        raise UnsupportedContext(f"{name!r}: @id must be a string")
    iri = _expand(value["@id"], context, (name,))
    coercion = value.get("@type")
    if coercion is not None and coercion != ID:
        if not isinstance(coercion, str):
            raise UnsupportedContext(f"{name!r}: @type must be a string")
        coercion = _expand(coercion, context, (name,))  # a datatype; @vocab, @none refused
    return TermDefinition(name, iri, coercion, False)


def compile_context(document: Mapping[str, Any]) -> Compactor:
    """The :class:`Compactor` of a context document ``{"@context": {...}}``.

    Term selection's inverse context is built as JSON-LD 1.1 builds it: terms taken shortest
    first, then least, the first one for each IRI and kind of value kept. Raises
    :class:`UnsupportedContext` for any feature the compactor does not implement.
    """
    if set(document) != {"@context"} or not isinstance(document["@context"], dict):
        raise UnsupportedContext("the document must be one object with one local @context")
    context: dict[str, Any] = document["@context"]
    keywords = sorted(k for k in context if k.startswith("@"))
    if keywords:
        raise UnsupportedContext(f"context keywords are not handled: {', '.join(keywords)}")
    terms = {name: _definition(name, value, context) for name, value in context.items()}
    plain: dict[str, str] = {}
    reference: dict[str, str] = {}
    typed: dict[str, dict[str, str]] = {}
    for name in sorted(terms, key=lambda t: (len(t), t)):
        term = terms[name]
        if term.coercion is None:
            plain.setdefault(term.iri, name)
        elif term.coercion == ID:
            reference.setdefault(term.iri, name)
        else:
            typed.setdefault(term.iri, {}).setdefault(term.coercion, name)
    selections = {
        iri: _Selection(plain.get(iri), reference.get(iri), typed.get(iri, {}))
        for iri in sorted({*plain, *reference, *typed})
    }
    prefixes = tuple((t.iri, t.name) for t in terms.values() if t.prefix)
    confusable = frozenset(t.name for t in terms.values() if t.prefix)
    opening = min((len(namespace) for namespace, _ in prefixes), default=0)
    by_opening: dict[str, tuple[tuple[str, str], ...]] = {}
    for namespace, name in prefixes:
        start = namespace[:opening]
        by_opening[start] = (*by_opening.get(start, ()), (namespace, name))
    return Compactor(terms, selections, prefixes, confusable, opening, by_opening)


@functools.lru_cache(maxsize=8)
def compactor_for(context_text: str) -> Compactor:
    """The compiled :class:`Compactor` of a context document given as JSON text (cached: the
    context is fixed, and compiling it is done once per process)."""
    return compile_context(json.loads(context_text))


# ---- N-Triples terms ---------------------------------------------------------------------

_scan_json_string = json.decoder.scanstring  # type: ignore[attr-defined]
# the escapes JSON strings lack or read otherwise: \U, \', \/ and surrogates (\ud800-\udfff)
_NOT_JSON = re.compile(r"\\(?:[U'/]|u[dD])")
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_ECHAR: Final = {
    "t": "\t",
    "b": "\b",
    "n": "\n",
    "r": "\r",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
}


def _unescape_one(match: re.Match[str]) -> str:
    short, long, char = match.groups()
    if char is None:
        return chr(int(short or long, 16))
    if char not in _ECHAR:
        raise ValueError(f"not an N-Triples escape: \\{char}")
    return _ECHAR[char]


def unescape_ntriples(text: str) -> str:
    """The string an N-Triples literal's quoted ``text`` stands for (``\\n``, ``\\"``,
    ``\\uXXXX``, ``\\UXXXXXXXX``, ... replaced).

    JSON strings escape alike but for ``\\'``, ``\\U`` and surrogates (which JSON pairs):
    without them, the C decoder of JSON strings reads the text."""
    if "\\" not in text:
        return text
    if _NOT_JSON.search(text) is not None:
        return _ESCAPE.sub(_unescape_one, text)
    try:
        return _scan_json_string(text + '"', 0)[0]  # type: ignore[no-any-return]
    except ValueError:
        return _ESCAPE.sub(_unescape_one, text)  # not N-Triples: say where


# ---- compacted nodes from N-Triples lines ------------------------------------------------

_RDF_TYPE: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_XSD_INTEGER: Final = "http://www.w3.org/2001/XMLSchema#integer"
_XSD_BOOLEAN: Final = "http://www.w3.org/2001/XMLSchema#boolean"
_SAFE_INTEGER = re.compile(r"0|-?[1-9][0-9]{0,14}")  # exact as a JSON number everywhere


class TripleTermFound(Exception):
    """An object is an RDF 1.2 triple term, which :func:`compact_nodes` does not handle."""


def compact_nodes(
    lines: list[str], compactor: Compactor
) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]]]:
    """Compacted JSON-LD node objects of N-Triples ``lines``, by subject, and for each subject
    the subjects its values point at (types left out, by predicate IRI, then in line order).

    ``lines`` are distinct N-Triples lines without their newline, sorted: so each subject's
    lines are together, and each predicate's objects in the order of their N-Triples text.
    Each node is what JSON-LD compaction makes of the expanded node object of those triples:
    ``@id``, ``@type`` (IRI objects of ``rdf:type``), and one key per predicate and kind of
    value, a single value or an array in line order. Literals become value objects as RDF to
    JSON-LD makes them with native types: ``xsd:string`` a plain string, an ``xsd:integer``
    of at most 15 digits a number, ``xsd:boolean`` ``true``/``false`` a boolean. Raises
    :class:`TripleTermFound` on a triple term object.
    """
    nodes: dict[str, dict[str, Any]] = {}
    refs: dict[str, list[tuple[str, str]]] = {}
    ids: dict[str, str] = {}  # expanded IRI -> compacted, as an @id
    names: dict[str, str] = {}  # expanded IRI -> compacted, as a type or datatype
    reference_keys: dict[str, tuple[str, bool]] = {}
    plain_keys: dict[str, str] = {}
    typed_keys: dict[tuple[str, str], tuple[str, bool]] = {}
    node: dict[str, Any] = {}
    node_refs: list[tuple[str, str]] = []
    types: list[str] = []

    def name(iri: str) -> str:
        found = names.get(iri)
        if found is None:
            found = names[iri] = compactor.compact_iri(iri, vocab=True)
        return found

    def finish() -> None:
        if types:
            node["@type"] = name(types[0]) if len(types) == 1 else [name(t) for t in types]
            types.clear()

    value: Any
    opening = "\n"  # the current subject and a space; no line starts with a newline
    after = 0  # where the current lines' predicate IRI starts
    for line in lines:
        if not line.startswith(opening):
            finish()
            start = line.index(" ")
            opening = line[: start + 1]
            after = start + 2
            sid = line[1 : start - 1] if line[0] == "<" else line[:start]
            compacted = ids.get(sid)
            if compacted is None:
                compacted = ids[sid] = compactor.compact_iri(sid, vocab=False)
            node = nodes[sid] = {"@id": compacted}
            node_refs = refs[sid] = []
        end = line.index("> ", after)
        p = line[after:end]
        first = line[end + 2]
        if first == '"':
            close = line.rindex('"')
            lexical = line[end + 3 : close]
            if "\\" in lexical:
                lexical = unescape_ntriples(lexical)
            tail = line[close + 1 : -2]
            if not tail or tail[0] == "@":
                key = plain_keys.get(p)
                if key is None:
                    key = plain_keys[p] = compactor.plain_key(p)
                value = {"@language": tail[1:], "@value": lexical} if tail else lexical
            else:
                datatype = tail[3:-1]
                if datatype == _XSD_INTEGER and _SAFE_INTEGER.fullmatch(lexical):
                    key = plain_keys.get(p)
                    if key is None:
                        key = plain_keys[p] = compactor.plain_key(p)
                    value = int(lexical)
                elif datatype == _XSD_BOOLEAN and lexical in ("true", "false"):
                    key = plain_keys.get(p)
                    if key is None:
                        key = plain_keys[p] = compactor.plain_key(p)
                    value = lexical == "true"
                else:
                    typed = typed_keys.get((p, datatype))
                    if typed is None:
                        typed = typed_keys[(p, datatype)] = compactor.typed_key(p, datatype)
                    key = typed[0]
                    value = lexical if typed[1] else {"@type": name(datatype), "@value": lexical}
        else:
            if first == "<":
                if line[end + 3] == "<":
                    raise TripleTermFound(line)
                oid = line[end + 3 : -3]  # <IRI> .
                if p == _RDF_TYPE:
                    types.append(oid)
                    continue
            else:
                oid = line[end + 2 : -2]  # a blank node, _:label
            reference = reference_keys.get(p)
            if reference is None:
                reference = reference_keys[p] = compactor.reference_key(p)
            key = reference[0]
            compacted = ids.get(oid)
            if compacted is None:
                compacted = ids[oid] = compactor.compact_iri(oid, vocab=False)
            value = compacted if reference[1] else {"@id": compacted}
            node_refs.append((p, oid))
        old = node.get(key)
        if old is None:
            node[key] = value
        elif type(old) is list:
            old.append(value)
        else:
            node[key] = [old, value]
    finish()
    links: dict[str, list[str]] = {}
    for sid, pairs in refs.items():
        if len(pairs) > 1:
            pairs.sort(key=_first)  # stable: by predicate, then in line order
        links[sid] = [oid for _, oid in pairs if oid in nodes]
    return nodes, links


def _first(pair: tuple[str, str]) -> str:
    return pair[0]


# ---- JSON text ---------------------------------------------------------------------------

_encode_string = json.encoder.encode_basestring


class _NotPlainJson(Exception):
    """A value the fast writer leaves to :func:`json.dumps`."""


def _write(value: Any, newline: str, out: list[str]) -> None:
    """Append the JSON text of ``value`` to ``out`` in pieces, as ``json.dumps(indent=1,
    sort_keys=True, ensure_ascii=False)`` writes it, for dicts with string keys, lists,
    strings, integers, booleans and None; raise :class:`_NotPlainJson` on anything else."""
    kind = type(value)
    if kind is dict:
        if not value:
            out.append("{}")
            return
        inner = newline + " "
        separator = "{" + inner
        for key in sorted(value):
            if type(key) is not str:
                raise _NotPlainJson
            item = value[key]
            if type(item) is str:
                out.append(f"{separator}{_encode_string(key)}: {_encode_string(item)}")
            else:
                out.append(f"{separator}{_encode_string(key)}: ")
                _write(item, inner, out)
            separator = "," + inner
        out.append(newline + "}")
    elif kind is list:
        if not value:
            out.append("[]")
            return
        inner = newline + " "
        separator = "[" + inner
        for item in value:
            if type(item) is str:
                out.append(separator + _encode_string(item))
            else:
                out.append(separator)
                _write(item, inner, out)
            separator = "," + inner
        out.append(newline + "]")
    elif kind is str:
        out.append(_encode_string(value))
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif kind is int:
        out.append(int.__repr__(value))
    else:
        raise _NotPlainJson


def dumps(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1)``, the same text,
    faster for the plain JSON of documents (other values are left to :func:`json.dumps`)."""
    out: list[str] = []
    try:
        _write(value, "\n", out)
    except (_NotPlainJson, RecursionError):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1)
    return "".join(out)
