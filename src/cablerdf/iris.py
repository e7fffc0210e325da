"""The one IRI minter: every IRI in cablerdf's output is built here. Policy: ``docs/uris.md``.

Data IRIs hang off :attr:`Settings.base` (``https://w3id.org/cablegate/`` by default)::

    cable/{ID}                         a cable, by its canonical reference ID only
    cable/{ID}/p/{n}                   a numbered paragraph, by its printed number
    cable/{ID}/p/{n},{k}               the k-th paragraph printed with number n (k >= 2)
    cable/{ID}/u/{k}                   the k-th unnumbered paragraph
    cable/{ID}/p/{n}/span              where the paragraph stands in the body
    cable/{ID}/p/{n}/span/removed/{k}  a page-break or banner line inside that span
    cable/{ID}/ref/{k}                 the k-th entry of the REF line
    cable/{ID}/header                  the transmission header
    cable/{ID}/recipient/{k}           the k-th addressee of the TO and INFO lines
    cable/{ID}/version/{h}             a source version, by the hash of its source bytes
    cable/{ID}/version/{h}/source/{k}  the k-th place those bytes were read from
    cable/{ID}/version/{h}/p/...       the paragraphs of a version other than the primary
    alias/{printed ID}                 a malformed ID as printed, owl:sameAs the cable
    graph/{ID}                         the named graph holding a cable's triples
    graph/{ID}/conversion              the conversion that produced that graph
    post/{Name}  station/{NAME}  country/{ISO}  article/{h}  software/cablerdf/{version}
    dataset

Vocabulary IRIs are fixed, under :data:`~cablerdf.settings.VOCAB_BASE`: ``ontology``,
``ontology#Term``, ``ontology/{version}``, ``scheme/{scheme}``, ``scheme/{scheme}/{key}``.

Every variable part is made a path segment by :func:`segment`: UTF-8 percent-encoding of all
but ``A-Z a-z 0-9 - . _ ~``, so minted IRIs hold ASCII IRI characters only, and never a
``/``, ``,``, ``!`` or space of the input. Nothing here raises on any text.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote

from pyoxigraph import NamedNode

from cablerdf.settings import VOCAB_BASE, Settings

ONTOLOGY_IRI = VOCAB_BASE + "ontology"
"""The ontology's IRI (``owl:Ontology``); its terms are ``ONTOLOGY_IRI + '#' + name``."""

TERM_NAMESPACE = ONTOLOGY_IRI + "#"
SCHEME_NAMESPACE = VOCAB_BASE + "scheme/"

_WHITE = re.compile(r"\s+")
_HEX64 = re.compile(r"[0-9a-f]{64}")


@functools.lru_cache(maxsize=65536)
def segment(text: str) -> str:
    """``text`` as one IRI path segment: percent-encoded UTF-8, unreserved characters kept.

    Injective. The segments that path normalisation would remove or empty (``""``, ``.``,
    ``..``) get a ``!`` in front, which no other segment starts with. Pure, so memoised.
    """
    encoded = quote(text.encode("utf-8", "surrogatepass"), safe="-._~")
    if encoded in ("", ".", ".."):
        return "!" + encoded
    return encoded


def name_segment(name: str) -> str:
    """A name as a readable segment: white space folded, spaces as ``_``, then :func:`segment`.

    Names differing only in white space, or in ``_`` against a space, share a segment.
    """
    return segment(" ".join(name.split()).replace(" ", "_"))


def fold(text: str) -> str:
    """Upper case with runs of white space folded to one space: the key of a printed code."""
    return _WHITE.sub(" ", text).strip().upper()


def short_hash(text: str) -> str:
    """The first 16 hex digits of the SHA-256 of ``text`` (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def paragraph_keys(numbers: Sequence[str | None]) -> tuple[str, ...]:
    """The IRI tails (``p/8``, ``p/12,2``, ``u/1``) of paragraphs with these printed numbers.

    The rule reads only the sequence of printed numbers, so two sources that print the same
    paragraphs give the same keys: a number seen for the first time gives ``p/{n}``, its k-th
    occurrence ``p/{n},{k}``; the k-th paragraph without a number gives ``u/{k}``.
    """
    seen: dict[str, int] = {}
    unnumbered = 0
    keys: list[str] = []
    for number in numbers:
        if number is None:
            unnumbered += 1
            keys.append(f"u/{unnumbered}")
            continue
        count = seen.get(number, 0) + 1
        seen[number] = count
        keys.append(f"p/{segment(number)}" if count == 1 else f"p/{segment(number)},{count}")
    return tuple(keys)


def usable_sha256(sha256: str | None) -> bool:
    """Whether ``sha256`` is a SHA-256 in hex (64 digits, either case)."""
    return sha256 is not None and _HEX64.fullmatch(sha256.lower()) is not None


def version_key(sha256: str | None, fallback: str) -> str:
    """The key of a source version: its source bytes' SHA-256 (first 16 hex digits).

    Without a usable SHA-256, the hash of ``fallback`` (the record's content) stands in.
    """
    if sha256 is not None and usable_sha256(sha256):
        return sha256.lower()[:16]
    return short_hash(fallback)


# ---- vocabulary IRIs (fixed) -------------------------------------------------------------


def term(name: str) -> NamedNode:
    """An ontology term, e.g. ``term("Cable")``. Prefer the constants of :mod:`cablerdf.vocab`."""
    return NamedNode(TERM_NAMESPACE + segment(name))


def ontology() -> NamedNode:
    return NamedNode(ONTOLOGY_IRI)


def ontology_version(version: str) -> NamedNode:
    """The ``owl:versionIRI`` of an ontology version."""
    return NamedNode(f"{ONTOLOGY_IRI}/{segment(version)}")


def scheme(name: str) -> NamedNode:
    """A concept scheme, e.g. ``scheme("level")``."""
    return NamedNode(SCHEME_NAMESPACE + segment(name))


def concept(scheme_name: str, key: str) -> NamedNode:
    """A concept of a scheme by its key (already a segment or made one here)."""
    return NamedNode(f"{SCHEME_NAMESPACE}{segment(scheme_name)}/{segment(key)}")


def marking_key(marking: str) -> tuple[str, ...]:
    """The parts of a portion marking: upper case, split on ``/`` and ``-``, white space folded.

    ``S/NF``, ``S//NF`` and ``s / nf`` give ``("S", "NF")``; ``SBU-NF`` gives ``("SBU", "NF")``.
    """
    parts = re.split(r"[/\-]+", marking.upper())
    return tuple(p for p in (" ".join(x.split()) for x in parts) if p)


def marking_concept(marking: str) -> NamedNode:
    """The portion-marking concept: parts joined by ``-``, spaces as ``_`` (``S-REL_NATO``)."""
    parts = marking_key(marking)
    key = "-".join(name_segment(p) for p in parts) if parts else segment("")
    return NamedNode(f"{SCHEME_NAMESPACE}portion-marking/{key}")


def wikidata(qid: str) -> NamedNode | None:
    """The Wikidata entity ``Q…``; ``None`` when ``qid`` is not a Wikidata item ID."""
    if re.fullmatch(r"Q[1-9][0-9]*", qid) is None:
        return None
    return NamedNode("http://www.wikidata.org/entity/" + qid)


def code_concept(scheme_name: str, code: str) -> NamedNode:
    """A concept keyed by a printed code or name (folded, spaces as ``_``): tags, controls."""
    return NamedNode(f"{SCHEME_NAMESPACE}{segment(scheme_name)}/{name_segment(fold(code))}")


# ---- data IRIs (under the configurable base) ---------------------------------------------


@dataclass(frozen=True)
class ParsedIri:
    """What a data IRI names: ``kind`` (``cable``, ``alias``, ``graph``, ``post``...), the
    decoded reference ID or name it carries, and the rest of its path, still encoded."""

    kind: str
    key: str
    rest: tuple[str, ...]


@dataclass(frozen=True)
class Minter:
    """Mints data IRIs under one base. Build it with :meth:`for_settings`."""

    base: str

    @classmethod
    def for_settings(cls, settings: Settings) -> Minter:
        return cls(settings.base)

    def _iri(self, path: str) -> NamedNode:
        return NamedNode(self.base + path)

    def cable(self, reference_id: str) -> NamedNode:
        """The cable with this canonical reference ID (also for REFs to cables not held)."""
        return self._iri(f"cable/{segment(reference_id)}")

    def alias(self, printed_id: str) -> NamedNode:
        """The IRI of an ID as a source printed it, when it differs from the canonical one."""
        return self._iri(f"alias/{segment(printed_id)}")

    def paragraph(self, reference_id: str, key: str) -> NamedNode:
        """A paragraph of the cable; ``key`` comes from :func:`paragraph_keys`."""
        return self._iri(f"cable/{segment(reference_id)}/{key}")

    def version_paragraph(self, reference_id: str, version: str, key: str) -> NamedNode:
        """A paragraph as one (non-primary) source version prints it."""
        return self._iri(f"cable/{segment(reference_id)}/version/{segment(version)}/{key}")

    def span(self, paragraph: NamedNode) -> NamedNode:
        """The text position selector of a paragraph (cable-level or version-level)."""
        return NamedNode(paragraph.value + "/span")

    def removed_span(self, paragraph: NamedNode, k: int) -> NamedNode:
        return NamedNode(f"{paragraph.value}/span/removed/{k}")

    def reference(self, reference_id: str, k: int) -> NamedNode:
        """The k-th (1-based) entry of the cable's REF line."""
        return self._iri(f"cable/{segment(reference_id)}/ref/{k}")

    def header(self, reference_id: str) -> NamedNode:
        return self._iri(f"cable/{segment(reference_id)}/header")

    def recipient(self, reference_id: str, k: int) -> NamedNode:
        """The k-th (1-based) addressee of the TO and INFO lines, in header order."""
        return self._iri(f"cable/{segment(reference_id)}/recipient/{k}")

    def version(self, reference_id: str, key: str) -> NamedNode:
        """A source version of the cable; ``key`` comes from :func:`version_key`."""
        return self._iri(f"cable/{segment(reference_id)}/version/{segment(key)}")

    def source_copy(self, reference_id: str, key: str, k: int) -> NamedNode:
        return self._iri(f"cable/{segment(reference_id)}/version/{segment(key)}/source/{k}")

    def graph(self, reference_id: str) -> NamedNode:
        """The named graph that holds everything said about one cable."""
        return self._iri(f"graph/{segment(reference_id)}")

    def conversion(self, reference_id: str) -> NamedNode:
        return self._iri(f"graph/{segment(reference_id)}/conversion")

    def post(self, origin: str) -> NamedNode:
        """A post as the metadata names it (``Embassy Astana`` -> ``post/Embassy_Astana``)."""
        return self._iri(f"post/{name_segment(origin)}")

    def station(self, name: str) -> NamedNode:
        """A telegraphic addressee as printed (``SECSTATE WASHDC`` -> ``station/SECSTATE_WASHDC``)."""
        return self._iri(f"station/{name_segment(fold(name))}")

    def country(self, iso_code: str) -> NamedNode:
        """A country by its ISO 3166-1 alpha-2 code."""
        return self._iri(f"country/{segment(iso_code.upper())}")

    def article(self, url: str) -> NamedNode:
        """A newspaper article, by the hash of its URL as printed."""
        return self._iri(f"article/{short_hash(url)}")

    def software(self, version: str) -> NamedNode:
        """cablerdf at one version, the software agent of every conversion."""
        return self._iri(f"software/cablerdf/{segment(version)}")

    def dataset(self) -> NamedNode:
        return self._iri("dataset")

    def parse(self, iri: str) -> ParsedIri | None:
        """Read back a data IRI minted under this base; ``None`` when it is not one."""
        if not iri.startswith(self.base):
            return None
        path = iri[len(self.base) :]
        if "?" in path or "#" in path:
            return None
        parts = path.split("/")
        if parts == ["dataset"]:
            return ParsedIri("dataset", "", ())
        kinds = {"cable", "alias", "graph", "post", "station", "country", "article", "software"}
        if len(parts) < 2 or parts[0] not in kinds or parts[1] == "":
            return None
        head = parts[1]
        key = unquote(head.removeprefix("!"), errors="surrogatepass")
        if parts[0] in ("post", "station"):
            key = key.replace("_", " ")
        return ParsedIri(parts[0], key, tuple(parts[2:]))
