"""HTML pages of the linked-data edition, shared by the server and the static site.

Pages are made from RDF only: a cable's page from the triples of its graph (the file
``cables/{yy}/{ID}.ttl`` of the output folder), lists from a :class:`Catalogue` of cables.
Every page is one self-contained HTML document (inline CSS, no script, no external resource)
that embeds its JSON-LD, escapes every text of the data, and links to other pages with
relative URLs, so that the same bytes work on the server and on any static host.

Page paths are the data IRIs' paths after the base (``cable/06ASTANA395``), so a page's
path is also its IRI: see ``docs/serving.md``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import pyoxigraph as ox

from cablerdf import export, iris, vocab
from cablerdf.export import cable_file
from cablerdf.settings import VOCAB_BASE

__all__ = [
    "CSS",
    "PAGE_SIZE",
    "CableView",
    "Catalogue",
    "CatalogueEntry",
    "Page",
    "ParagraphView",
    "Problem",
    "anchor_for",
    "cable_view",
    "catalogue_entry",
    "citations",
    "json_for_script",
    "relative",
]

PAGE_SIZE: Final = 1000
"""Cables per page of a list."""

SITE_NAME: Final = "Cablegate: the US diplomatic cables as linked data"

CSS: Final = """\
:root{color-scheme:light dark;--fg:#1b1c1e;--bg:#fff;--muted:#5b6068;--line:#d5d9de;\
--soft:#f4f5f7;--mark:#fff3c4;--accent:#b26b00;--link:#0b57d0}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8eb;--bg:#15171a;--muted:#a0a6ae;\
--line:#3a3f45;--soft:#1f2226;--mark:#3a3200;--accent:#f0b44c;--link:#8ab4f8}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;color:var(--fg);background:var(--bg);\
font:1rem/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif}
a{color:var(--link)}
.bar,main,.foot{max-width:54rem;margin:0 auto;padding:0 1rem}
.bar{padding-top:.6rem;padding-bottom:.6rem;border-bottom:1px solid var(--line);\
display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:baseline}
.bar .home{font-weight:600;text-decoration:none;color:var(--fg)}
.bar nav a{margin-right:.8rem}
h1{font-size:1.45rem;line-height:1.3;margin:1.2rem 0 .4rem;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:1.6rem 0 .5rem;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:1rem 0 .3rem}
.sub{color:var(--muted);margin:.2rem 0 1rem;overflow-wrap:anywhere}
.iri{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88rem;\
overflow-wrap:anywhere}
.wrap{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid var(--line)}
th{font-weight:600;white-space:nowrap}
td{overflow-wrap:anywhere}
.meta th{width:11rem;color:var(--muted)}
.num{text-align:right;font-variant-numeric:tabular-nums}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--soft);padding:.6rem .7rem;\
border-radius:4px;font:.85rem/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.para{margin:.8rem 0;padding:.3rem .7rem;border-left:3px solid transparent;\
scroll-margin-top:1rem}
.para:target{border-left-color:var(--accent);background:var(--mark)}
.para p{margin:.2rem 0;overflow-wrap:anywhere}
.phead{display:flex;gap:.5rem;align-items:baseline;color:var(--muted);font-size:.9rem}
.pnum{font-weight:700;color:var(--fg)}
.marking{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
a.pil{text-decoration:none;font-weight:700;padding:0 .3rem;border-radius:3px}
a.pil:hover,a.pil:focus{background:var(--soft)}
details{margin:.3rem 0}
summary{cursor:pointer;color:var(--muted);font-size:.9rem}
.cite h3{font-size:.85rem;color:var(--muted);margin:.6rem 0 .2rem}
.tags a{margin-right:.5rem}
ul.plain{padding-left:1.2rem}
.pager{margin:1rem 0;display:flex;gap:1rem;flex-wrap:wrap}
.note{background:var(--soft);padding:.6rem .8rem;border-radius:4px}
textarea{width:100%;min-height:12rem;font:.9rem/1.4 ui-monospace,SFMono-Regular,Menlo,\
Consolas,monospace}
.foot{color:var(--muted);font-size:.85rem;border-top:1px solid var(--line);\
margin-top:2rem;padding-top:.8rem;padding-bottom:2rem}
@media (max-width:40rem){h1{font-size:1.25rem}.meta th{width:auto;white-space:normal}\
th,td{padding:.3rem .35rem}}
"""

CSS_HASH: Final = "sha256-" + base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode(
    "ascii"
)
"""The CSP source of the inline style sheet."""

CONTENT_SECURITY_POLICY: Final = (
    f"default-src 'none'; style-src '{CSS_HASH}'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'"
)
"""The policy every page carries: nothing runs, nothing is fetched but its own style."""

_RDF_TYPE: Final = vocab.RDF.type.value
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATETIME_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})")
_SLUG_RE = re.compile(r"[^a-z0-9]+")
_ASCII_INTEGER = re.compile(r"-?[0-9]+")
MONTHS: Final = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


# ---- small helpers -------------------------------------------------------------------------


def e(text: object) -> str:
    """HTML-escape any value (quotes included), for text and attribute values alike."""
    return html.escape(str(text), quote=True)


def json_for_script(value: Any) -> str:
    """JSON text safe inside ``<script>``: sorted keys, ``<``, ``>``, ``&`` and line
    separators escaped, so that no data can close the element."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def relative(from_path: str, to_path: str) -> str:
    """The relative URL from the page at ``from_path`` to ``to_path`` (site paths without a
    leading ``/``; ``to_path`` may end in ``#fragment``). ``""`` is the home page."""
    target, hash_mark, fragment = to_path.partition("#")
    from_dir = from_path.split("/")[:-1]
    to_parts = target.split("/")
    common = 0
    while (
        common < len(from_dir)
        and common < len(to_parts) - 1
        and from_dir[common] == to_parts[common]
    ):
        common += 1
    rest = "/".join(to_parts[common:])
    url = "../" * (len(from_dir) - common) + rest
    if url == "" or ":" in url.split("/", 1)[0]:
        url = "./" + url
    return url + (hash_mark + fragment if hash_mark else "")


def slug(text: str) -> str:
    """A readable path segment for a printed value: lower case, runs of other characters as
    ``-`` (``SECRET//NOFORN`` -> ``secret-noforn``); ``unknown`` when nothing is left."""
    return _SLUG_RE.sub("-", text.lower()).strip("-") or "unknown"


def anchor_for(key: str) -> str:
    """The HTML id of a part of a cable page, from the IRI tail after the cable's IRI:
    ``p/8`` -> ``p-8``, ``p/12,2`` -> ``p-12,2``, ``u/1`` -> ``u-1``; deeper tails
    (``p/8/span``) give their paragraph's id, other parts their first two segments."""
    parts = key.split("/")
    if parts[0] in ("p", "u", "ref", "recipient", "version") and len(parts) >= 2:
        return f"{parts[0]}-{parts[1]}"
    return parts[0] or "top"


def _date_words(value: str | None) -> str | None:
    """``2006-11-02...`` as ``2 November 2006``; None when it is not a date."""
    if value is None:
        return None
    m = _DATE_RE.match(value)
    if m is None or not 1 <= int(m[2]) <= 12:
        return None
    return f"{int(m[3])} {MONTHS[int(m[2]) - 1]} {m[1]}"


def show_time(value: str | None) -> str:
    """A date-time of the data for people: ``2006-11-02 03:47 UTC``; other text as is."""
    if value is None:
        return ""
    m = _DATETIME_RE.match(value)
    if m is not None and value.endswith("Z"):
        return f"{m[1]}-{m[2]}-{m[3]} {m[4]}:{m[5]} UTC"
    return value


def _term_text(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    return term.value if isinstance(term, ox.NamedNode | ox.Literal | ox.BlankNode) else str(term)


def _last_segment(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


class GraphIndex:
    """The triples of a graph by subject and predicate (outgoing) and by object (incoming).

    Built once from triples and only read afterwards. Values come sorted, so that pages do
    not depend on the order of the input.
    """

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        out: dict[str, dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]]]
        out = defaultdict(lambda: defaultdict(list))
        incoming: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for t in triples:
            s = _term_text(t.subject)
            out[s][t.predicate.value].append(t.object)
            if isinstance(t.object, ox.NamedNode):
                incoming[t.object.value].append((s, t.predicate.value))
        self._out = {
            s: {p: sorted(set(vs), key=str) for p, vs in preds.items()} for s, preds in out.items()
        }
        self._in = {o: sorted(set(v)) for o, v in incoming.items()}

    def subjects(self) -> list[str]:
        return sorted(self._out)

    def properties(
        self, subject: str
    ) -> Mapping[str, list[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]]:
        return self._out.get(subject, {})

    def values(
        self, subject: str, predicate: ox.NamedNode
    ) -> list[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]:
        return self._out.get(subject, {}).get(predicate.value, [])

    def texts(self, subject: str, predicate: ox.NamedNode) -> list[str]:
        return [_term_text(v) for v in self.values(subject, predicate)]

    def text(self, subject: str, predicate: ox.NamedNode) -> str | None:
        found = self.texts(subject, predicate)
        return found[0] if found else None

    def iris(self, subject: str, predicate: ox.NamedNode) -> list[str]:
        return [v.value for v in self.values(subject, predicate) if isinstance(v, ox.NamedNode)]

    def iri(self, subject: str, predicate: ox.NamedNode) -> str | None:
        found = self.iris(subject, predicate)
        return found[0] if found else None

    def incoming(self, obj: str) -> list[tuple[str, str]]:
        """(subject, predicate) of the triples whose object is the IRI ``obj``."""
        return self._in.get(obj, [])

    def has_type(self, subject: str, cls: ox.NamedNode) -> bool:
        return cls.value in self.iris(subject, vocab.RDF.type)

    def position(self, subject: str) -> int:
        text = self.text(subject, vocab.SCHEMA.position)
        return int(text) if text is not None and _ASCII_INTEGER.fullmatch(text) else 1 << 30

    def notation(self, concept: str) -> str:
        """A concept's ``skos:notation``, else the last segment of its IRI, decoded."""
        found = self.text(concept, vocab.SKOS.notation)
        return found if found is not None else iris_unquote(_last_segment(concept))


def iris_unquote(segment: str) -> str:
    """A path segment decoded (``!`` of the dot segments removed), never raising."""
    from urllib.parse import unquote

    return unquote(segment.removeprefix("!"), errors="replace")


# ---- what a cable page shows --------------------------------------------------------------


@dataclass(frozen=True)
class ParagraphView:
    iri: str
    key: str  # the IRI tail after the cable's IRI: "p/8", "p/12,2", "u/1"
    number: str | None
    marking: str | None
    text: str
    position: int

    @property
    def anchor(self) -> str:
        return anchor_for(self.key)

    @property
    def label(self) -> str:
        """``paragraph 8``, ``paragraph 12 (second)``, ``unnumbered paragraph 1``."""
        if self.key.startswith("u/"):
            return f"unnumbered paragraph {self.key[2:]}"
        number = self.number if self.number is not None else self.key[2:]
        head, _, k = self.key[2:].partition(",")
        if k:
            return f"paragraph {number} (occurrence {k})"
        return f"paragraph {number}" if number else f"paragraph {head}"


@dataclass(frozen=True)
class ReferenceView:
    iri: str
    label: str | None
    text: str | None
    cited: str | None  # the cited cable's IRI
    kind: str | None


@dataclass(frozen=True)
class RecipientView:
    iri: str
    role: str  # "to" or "info"
    name: str
    station: str | None
    precedence: str | None
    routing_indicator: str | None
    serial: str | None


@dataclass(frozen=True)
class HeaderView:
    dtg: str | None = None
    dtg_time: str | None = None
    precedence: str | None = None
    routing_indicator: str | None = None
    sequence: str | None = None
    julian_date: str | None = None
    sender: str | None = None
    sender_station: str | None = None
    sender_routing_indicator: str | None = None
    xmt: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArticleView:
    iri: str
    url: str | None
    headline: str | None


@dataclass(frozen=True)
class VersionView:
    iri: str
    key: str
    primary: bool
    form: str | None
    sha256: str | None
    printed_id: str | None
    created: str | None
    released: tuple[str, ...]
    classification: str | None
    page_title: str | None
    partial_extract: bool
    body: str | None
    copies: tuple[tuple[str, str], ...]  # (path, line)


@dataclass(frozen=True)
class CableView:
    """Everything a cable's page shows, read from the cable's graph."""

    iri: str
    reference_id: str
    title: str | None
    created: str | None
    released: tuple[str, ...]
    classification: str | None
    level: str | None
    controls: tuple[str, ...]
    handling: tuple[str, ...]
    origin: str | None  # the post's IRI
    origin_label: str | None
    tags: tuple[tuple[str, str], ...]  # (concept IRI, notation), in printed order
    tags_printed: str | None
    subject_marking: str | None
    summary: str | None
    comment: str | None
    signer: str | None
    eo: str | None
    declassify_on: str | None
    classified_by: str | None
    reasons: tuple[str, ...]
    header: HeaderView
    recipients: tuple[RecipientView, ...]
    references: tuple[ReferenceView, ...]
    paragraphs: tuple[ParagraphView, ...]
    versions: tuple[VersionView, ...]
    articles: tuple[ArticleView, ...]
    aliases: tuple[str, ...]
    graph: str | None = None

    @property
    def primary(self) -> VersionView | None:
        return next((v for v in self.versions if v.primary), None)


def _paragraphs(g: GraphIndex, cable: str) -> tuple[ParagraphView, ...]:
    found: list[ParagraphView] = []
    prefix = cable + "/"
    for iri in g.iris(cable, vocab.PO.contains):
        if not iri.startswith(prefix):
            continue
        found.append(
            ParagraphView(
                iri=iri,
                key=iri[len(prefix) :],
                number=g.text(iri, vocab.FABIO.hasSequenceIdentifier),
                marking=g.text(iri, vocab.CR.portionMarking),
                text=g.text(iri, vocab.C4O.hasContent) or "",
                position=g.position(iri),
            )
        )
    return tuple(sorted(found, key=lambda p: (p.position, p.iri)))


def _versions(g: GraphIndex, cable: str) -> tuple[VersionView, ...]:
    primary = g.iri(cable, vocab.CR.primaryVersion)
    members = [
        s
        for s, p in g.incoming(cable)
        if p == vocab.PROV.specializationOf.value and s.startswith(cable + "/version/")
    ]

    def depth(version: str) -> int:
        seen: set[str] = set()
        current: str | None = version
        while current is not None and current not in seen:
            seen.add(current)
            current = g.iri(current, vocab.PROV.wasRevisionOf)
        return len(seen)

    views = []
    for v in members:
        copies = [
            (g.text(c, vocab.CR.sourcePath) or "", g.text(c, vocab.CR.sourceLine) or "")
            for c in g.iris(v, vocab.CR.sourceCopy)
        ]
        form = g.iri(v, vocab.CR.sourceForm)
        views.append(
            VersionView(
                iri=v,
                key=_last_segment(v),
                primary=v == primary,
                form=g.notation(form) if form else None,
                sha256=g.text(v, vocab.CR.sha256),
                printed_id=g.text(v, vocab.CR.printedId),
                created=g.text(v, vocab.DCT.created),
                released=tuple(g.texts(v, vocab.DCT.issued)),
                classification=g.text(v, vocab.CR.classification),
                page_title=g.text(v, vocab.CR.pageTitle),
                partial_extract=g.text(v, vocab.CR.partialExtract) == "true",
                body=g.text(v, vocab.C4O.hasContent),
                copies=tuple(sorted(copies)),
            )
        )
    return tuple(sorted(views, key=lambda v: (depth(v.iri), v.iri)))


def _header(g: GraphIndex, cable: str) -> HeaderView:
    h = g.iri(cable, vocab.CR.transmissionHeader)
    sender = g.iri(cable, vocab.SCHEMA.sender)
    if h is None:
        return HeaderView(sender_station=sender)
    precedence = g.iri(h, vocab.CR.precedence)
    return HeaderView(
        dtg=g.text(h, vocab.CR.dateTimeGroup),
        dtg_time=g.text(h, vocab.CR.dateTimeGroupTime),
        precedence=g.notation(precedence) if precedence else None,
        routing_indicator=g.text(h, vocab.CR.routingIndicator),
        sequence=g.text(h, vocab.CR.sequence),
        julian_date=g.text(h, vocab.CR.julianDate),
        sender=g.text(h, vocab.CR.senderName),
        sender_station=sender,
        sender_routing_indicator=g.text(h, vocab.CR.senderRoutingIndicator),
        xmt=tuple(g.texts(h, vocab.CR.xmt)),
    )


def _tags(g: GraphIndex, cable: str, printed: str | None) -> tuple[tuple[str, str], ...]:
    tags = [(c, g.notation(c)) for c in g.iris(cable, vocab.DCT.subject)]
    words = [iris.fold(w) for w in re.split(r"[\s,;]+", printed or "") if w]

    def order(tag: tuple[str, str]) -> tuple[int, str]:
        folded = iris.fold(tag[1])
        return (words.index(folded) if folded in words else len(words), tag[1])

    return tuple(sorted(tags, key=order))


def cable_view(triples: Iterable[ox.Triple], cable: str) -> CableView | None:
    """What the page of the cable with IRI ``cable`` shows, read from its graph's triples;
    None when the triples say nothing of it as a cable."""
    g = GraphIndex(triples)
    return cable_view_of(g, cable)


def cable_view_of(g: GraphIndex, cable: str) -> CableView | None:
    """:func:`cable_view` over an index already built."""
    if not g.has_type(cable, vocab.CR.Cable):
        return None
    origin = g.iri(cable, vocab.CR.origin)
    level = g.iri(cable, vocab.CR.classificationLevel)
    printed_tags = g.text(cable, vocab.CR.tagsAsPrinted)
    recipients = []
    for r in g.iris(cable, vocab.CR.recipient):
        role = g.iri(r, vocab.CR.role)
        precedence = g.iri(r, vocab.CR.precedence)
        recipients.append(
            (
                g.position(r),
                RecipientView(
                    iri=r,
                    role=g.notation(role) if role else "",
                    name=g.text(r, vocab.CR.addresseeName) or "",
                    station=g.iri(r, vocab.CR.station),
                    precedence=g.notation(precedence) if precedence else None,
                    routing_indicator=g.text(r, vocab.CR.routingIndicator),
                    serial=g.text(r, vocab.CR.serial),
                ),
            )
        )
    references = []
    for r in g.iris(cable, vocab.CR.referenceEntry):
        kind = g.iri(r, vocab.CR.referenceKind)
        references.append(
            (
                g.position(r),
                ReferenceView(
                    iri=r,
                    label=g.text(r, vocab.CR.entryLabel),
                    text=g.text(r, vocab.C4O.hasContent),
                    cited=g.iri(r, vocab.CITO.hasCitedEntity),
                    kind=g.notation(kind) if kind else None,
                ),
            )
        )
    articles = [
        ArticleView(a, g.text(a, vocab.SCHEMA.url), g.text(a, vocab.SCHEMA.headline))
        for a in g.iris(cable, vocab.DCT.isReferencedBy)
    ]
    aliases = [s for s, p in g.incoming(cable) if p == vocab.OWL.sameAs.value]
    graphs = [s for s in g.subjects() if s.endswith("/graph/" + _last_segment(cable))]
    return CableView(
        iri=cable,
        reference_id=g.text(cable, vocab.DCT.identifier) or iris_unquote(_last_segment(cable)),
        title=g.text(cable, vocab.DCT.title),
        created=g.text(cable, vocab.DCT.created),
        released=tuple(g.texts(cable, vocab.DCT.issued)),
        classification=g.text(cable, vocab.CR.classification),
        level=g.notation(level) if level else None,
        controls=tuple(g.notation(c) for c in g.iris(cable, vocab.CR.disseminationControl)),
        handling=tuple(g.notation(c) for c in g.iris(cable, vocab.CR.handling)),
        origin=origin,
        origin_label=(g.text(origin, vocab.RDFS.label) if origin else None),
        tags=_tags(g, cable, printed_tags),
        tags_printed=printed_tags,
        subject_marking=g.text(cable, vocab.CR.subjectPortionMarking),
        summary=g.text(cable, vocab.DCT.abstract),
        comment=g.text(cable, vocab.CR.commentText),
        signer=g.text(cable, vocab.CR.signer),
        eo=g.text(cable, vocab.CR.executiveOrder),
        declassify_on=g.text(cable, vocab.CR.declassifyOn),
        classified_by=g.text(cable, vocab.CR.classifiedBy),
        reasons=tuple(g.notation(c) for c in g.iris(cable, vocab.CR.classificationReason)),
        header=_header(g, cable),
        recipients=tuple(v for _, v in sorted(recipients, key=lambda x: (x[0], x[1].iri))),
        references=tuple(v for _, v in sorted(references, key=lambda x: (x[0], x[1].iri))),
        paragraphs=_paragraphs(g, cable),
        versions=_versions(g, cable),
        articles=tuple(sorted(articles, key=lambda a: a.iri)),
        aliases=tuple(sorted(aliases)),
        graph=graphs[0] if graphs else None,
    )


# ---- citations ------------------------------------------------------------------------------

_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}


def _bibtex_text(text: str) -> str:
    return "".join(_BIBTEX_SPECIAL.get(c, c) for c in " ".join(text.split()))


def _bibtex_key(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


@dataclass(frozen=True)
class Citation:
    """One citation in three forms: plain text, BibTeX and CSL-JSON (text)."""

    plain: str
    bibtex: str
    csl_json: str


def citations(view: CableView, paragraph: ParagraphView | None = None) -> Citation:
    """How to cite the cable, or one of its paragraphs, by its stable IRI."""
    author = view.origin_label or (view.header.sender or None)
    date = view.created or (view.primary.created if view.primary else None)
    words = _date_words(date)
    iri = paragraph.iri if paragraph is not None else view.iri
    where = f", {paragraph.label}" if paragraph is not None else ""
    title = " ".join(view.title.split()) if view.title else None
    parts = []
    if author:
        parts.append(f"{author}.")
    if title:
        parts.append(f"\u201c{title}.\u201d")
    parts.append(f"Diplomatic cable {view.reference_id}, {words or 'undated'}{where}.")
    parts.append("Cablegate, published by WikiLeaks.")
    parts.append(iri)
    plain = " ".join(parts)

    key = _bibtex_key(
        f"cable-{view.reference_id}" + (f"-{paragraph.key}" if paragraph is not None else "")
    )
    fields: list[tuple[str, str]] = []
    if author:
        fields.append(("author", "{" + _bibtex_text(author) + "}"))
    bib_title = _bibtex_text(title) if title else f"Diplomatic cable {view.reference_id}"
    if paragraph is not None:
        bib_title += f", {paragraph.label}"
    fields.append(("title", "{" + bib_title + "}"))
    fields.append(("howpublished", f"Diplomatic cable {_bibtex_text(view.reference_id)}"))
    m = _DATE_RE.match(date or "")
    if m is not None and words is not None:
        fields.append(("year", m[1]))
        fields.append(("month", MONTHS[int(m[2]) - 1][:3].lower()))
        fields.append(("date", f"{m[1]}-{m[2]}-{m[3]}"))
    fields.append(("note", "Cablegate, published by WikiLeaks"))
    fields.append(("url", iri))
    body = ",\n".join(
        f"  {name} = {value}" if name == "month" else f"  {name} = {{{value}}}"
        for name, value in fields
    )
    bibtex = f"@misc{{{key},\n{body}\n}}"

    item: dict[str, Any] = {
        "id": key,
        "type": "document",
        "genre": "Diplomatic cable",
        "number": view.reference_id,
        "title": title or f"Diplomatic cable {view.reference_id}",
        "archive": "Cablegate, published by WikiLeaks",
        "URL": iri,
    }
    if author:
        item["author"] = [{"literal": author}]
    if m is not None and words is not None:
        item["issued"] = {"date-parts": [[int(m[1]), int(m[2]), int(m[3])]]}
    if paragraph is not None:
        item["section"] = paragraph.label
    csl = json.dumps([item], ensure_ascii=False, sort_keys=True, indent=1)
    return Citation(plain, bibtex, csl)


# ---- the catalogue of cables (for lists) ---------------------------------------------------


@dataclass(frozen=True)
class CatalogueEntry:
    """What a list of cables shows of one cable."""

    reference_id: str
    created: str | None
    classification: str | None
    level: str | None
    origin: str | None  # the post's IRI
    origin_label: str | None
    tags: tuple[tuple[str, str], ...]  # (key segment, notation)
    title: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "reference_id": self.reference_id,
            "created": self.created,
            "classification": self.classification,
            "level": self.level,
            "origin": self.origin,
            "origin_label": self.origin_label,
            "tags": [list(t) for t in self.tags],
            "title": self.title,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], shared: dict[str, str]) -> CatalogueEntry:
        """An entry from :meth:`to_json`; repeated texts (posts, tags...) are stored once
        through ``shared``. Raises ``KeyError``, ``TypeError`` or ``ValueError`` on bad data."""

        def one(value: Any) -> str | None:
            if value is None:
                return None
            if not isinstance(value, str):
                raise TypeError(f"expected a text, not {value!r}")
            return shared.setdefault(value, value)

        tags = []
        for tag in data["tags"]:
            key, notation = tag
            tags.append((one(key) or "", one(notation) or ""))
        return cls(
            reference_id=str(data["reference_id"]),
            created=one(data["created"]),
            classification=one(data["classification"]),
            level=one(data["level"]),
            origin=one(data["origin"]),
            origin_label=one(data["origin_label"]),
            tags=tuple(tags),
            title=None if data["title"] is None else str(data["title"]),
        )

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.created or "~", self.reference_id)

    @property
    def year_month(self) -> tuple[str, str] | None:
        m = _DATE_RE.match(self.created or "")
        if m is None or not 1 <= int(m[2]) <= 12:
            return None
        return (m[1], m[2])


def catalogue_entry(g: GraphIndex, cable: str) -> CatalogueEntry | None:
    """The catalogue entry of a cable from the triples about it (its graph, or the store's
    description of it with the labels and notations of the nodes it names)."""
    if not g.has_type(cable, vocab.CR.Cable):
        return None
    origin = g.iri(cable, vocab.CR.origin)
    level = g.iri(cable, vocab.CR.classificationLevel)
    tags = _tags(g, cable, g.text(cable, vocab.CR.tagsAsPrinted))
    return CatalogueEntry(
        reference_id=g.text(cable, vocab.DCT.identifier) or iris_unquote(_last_segment(cable)),
        created=g.text(cable, vocab.DCT.created),
        classification=g.text(cable, vocab.CR.classification),
        level=g.notation(level) if level else None,
        origin=origin,
        origin_label=g.text(origin, vocab.RDFS.label) if origin else None,
        tags=tuple((_last_segment(c), n) for c, n in tags),
        title=g.text(cable, vocab.DCT.title),
    )


CATALOGUE_PREDICATES: Final = (
    vocab.RDF.type,
    vocab.DCT.identifier,
    vocab.DCT.created,
    vocab.CR.classification,
    vocab.CR.classificationLevel,
    vocab.CR.origin,
    vocab.DCT.subject,
    vocab.CR.tagsAsPrinted,
    vocab.DCT.title,
)
"""The properties of a cable its catalogue entry reads (plus the labels and notations of
the post and concepts they name)."""


@dataclass(frozen=True)
class Group:
    """A group of cables in a facet (an origin, a TAG, a month, a classification)."""

    key: str  # the path segment
    label: str
    entries: tuple[CatalogueEntry, ...]


class Catalogue:
    """Every cable of an edition, sorted by creation time, grouped for the browse pages."""

    def __init__(self, entries: Iterable[CatalogueEntry]) -> None:
        self.entries: tuple[CatalogueEntry, ...] = tuple(sorted(entries, key=lambda c: c.sort_key))
        self.ids: frozenset[str] = frozenset(c.reference_id for c in self.entries)
        origin: dict[str, list[CatalogueEntry]] = defaultdict(list)
        origin_label: dict[str, str] = {}
        tag: dict[str, list[CatalogueEntry]] = defaultdict(list)
        tag_label: dict[str, str] = {}
        month: dict[str, list[CatalogueEntry]] = defaultdict(list)
        classification: dict[str, list[CatalogueEntry]] = defaultdict(list)
        class_label: dict[str, str] = {}
        for c in self.entries:
            if c.origin is not None:
                origin[c.origin].append(c)
                origin_label.setdefault(c.origin, c.origin_label or iris_unquote(c.origin))
            for key, notation in c.tags:
                tag[key].append(c)
                tag_label.setdefault(key, notation)
            ym = c.year_month
            month["/".join(ym) if ym else "unknown"].append(c)
            k = slug(c.classification) if c.classification else "unknown"
            classification[k].append(c)
            class_label.setdefault(k, c.classification or "unknown")
        self.origins: Mapping[str, Group] = MappingProxyType(
            {k: Group(k, origin_label[k], tuple(v)) for k, v in sorted(origin.items())}
        )
        self.tags: Mapping[str, Group] = MappingProxyType(
            {k: Group(k, tag_label[k], tuple(v)) for k, v in sorted(tag.items())}
        )
        self.months: Mapping[str, Group] = MappingProxyType(
            {k: Group(k, k, tuple(v)) for k, v in sorted(month.items())}
        )
        self.classifications: Mapping[str, Group] = MappingProxyType(
            {k: Group(k, class_label[k], tuple(v)) for k, v in sorted(classification.items())}
        )

    def __len__(self) -> int:
        return len(self.entries)

    def years(self) -> dict[str, int]:
        """Cables per year (``unknown`` for those without a creation date)."""
        counts: dict[str, int] = {}
        for key, group in self.months.items():
            year = key.split("/")[0]
            counts[year] = counts.get(year, 0) + len(group.entries)
        return counts


# ---- pages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """A page: where it lives (its path after the base), under which base, and its HTML."""

    path: str
    html: str


@dataclass(frozen=True)
class Problem:
    """The one error shape (RFC 9457 problem details, with a stable ``code`` and a hint)."""

    status: int
    title: str
    code: str
    detail: str
    hint: str
    instance: str
    suggestions: tuple[tuple[str, str, bool], ...] = ()  # (ID, path, held here)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "about:blank",
            "status": self.status,
            "title": self.title,
            "code": self.code,
            "detail": self.detail,
            "hint": self.hint,
            "instance": self.instance,
            "suggestions": [
                {"reference_id": rid, "path": path, "in_this_edition": held}
                for rid, path, held in self.suggestions
            ],
        }


@dataclass(frozen=True)
class PageContext:
    """Where a page lives: its path after the base, and the base of the data IRIs."""

    base: str
    path: str
    formats: tuple[tuple[str, str, str], ...] = field(default=())  # (label, media, href)

    def link(self, to_path: str) -> str:
        return relative(self.path, to_path)

    def path_of(self, iri: str) -> str | None:
        """The site path of an IRI under the base (or the fixed vocabulary base)."""
        for base in (self.base, VOCAB_BASE):
            if iri.startswith(base) and "#" not in iri[len(base) :]:
                return iri[len(base) :]
        return None

    def href(self, iri: str) -> str:
        """A link to an IRI: relative when it is served here, else the IRI itself."""
        path = self.path_of(iri)
        return self.link(path) if path is not None else iri


def _layout(
    ctx: PageContext,
    title: str,
    body: str,
    *,
    jsonld: Any = None,
    description: str | None = None,
    canonical: str | None = None,
) -> str:
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{e(CONTENT_SECURITY_POLICY)}">',
        '<meta name="referrer" content="no-referrer">',
        '<link rel="icon" href="data:,">',
        f"<title>{e(title)}</title>",
    ]
    if description:
        head.append(f'<meta name="description" content="{e(description)}">')
    if canonical:
        head.append(f'<link rel="canonical" href="{e(canonical)}">')
    for label, media, href in ctx.formats:
        head.append(f'<link rel="alternate" type="{e(media)}" href="{e(href)}" title="{e(label)}">')
    head.append(f"<style>{CSS}</style>")
    if jsonld is not None:
        head.append(f'<script type="application/ld+json">\n{json_for_script(jsonld)}\n</script>')
    head.append("</head>")
    nav = (
        f'<div class="bar"><a class="home" href="{e(ctx.link(""))}">Cablegate linked data</a>'
        f'<nav><a href="{e(ctx.link("browse"))}">Browse</a>'
        f'<a href="{e(ctx.link("sparql"))}">SPARQL</a>'
        f'<a href="{e(ctx.link("dataset"))}">Dataset</a></nav></div>'
    )
    foot = (
        '<div class="foot">The US diplomatic cables published by WikiLeaks (Cablegate), '
        "as linked data. Every page is also available as RDF: ask for Turtle, JSON-LD or "
        "N-Triples.</div>"
    )
    return "\n".join([*head, "<body>", nav, "<main>", body, "</main>", foot, "</body>", "</html>"])


def _formats(last: str) -> tuple[tuple[str, str, str], ...]:
    return (
        ("Turtle", "text/turtle", f"{last}.ttl"),
        ("JSON-LD", "application/ld+json", f"{last}.jsonld"),
        ("N-Triples", "application/n-triples", f"{last}.nt"),
    )


def _format_links(ctx: PageContext) -> str:
    if not ctx.formats:
        return ""
    links = " · ".join(f'<a href="{e(h)}" type="{e(m)}">{e(lbl)}</a>' for lbl, m, h in ctx.formats)
    return f'<p class="sub">As data: {links}</p>'


def _cite_block(c: Citation, heading: str) -> str:
    return (
        f'<div class="cite"><h3>{e(heading)}: plain text</h3><pre>{e(c.plain)}</pre>'
        f"<h3>BibTeX</h3><pre>{e(c.bibtex)}</pre>"
        f"<h3>CSL-JSON</h3><pre>{e(c.csl_json)}</pre></div>"
    )


def _row(label: str, value_html: str) -> str:
    return f'<tr><th scope="row">{e(label)}</th><td>{value_html}</td></tr>' if value_html else ""


def _link_or_text(ctx: PageContext, iri: str | None, text: str | None) -> str:
    shown = text or (iri or "")
    if iri is None:
        return e(shown)
    return f'<a href="{e(ctx.href(iri))}">{e(shown)}</a>'


def cable_page(view: CableView, base: str, jsonld: Any) -> Page:
    """The page of a cable: metadata, header, paragraphs with their markings and ¶ links,
    the text as published, versions, and citations for the cable and each paragraph."""
    path = view.iri[len(base) :] if view.iri.startswith(base) else cable_path(view.reference_id)
    last = path.rsplit("/", 1)[-1]
    ctx = PageContext(base, path, _formats(last))
    title = f"{view.reference_id}: {view.title}" if view.title else view.reference_id
    out: list[str] = []
    out.append(f"<h1>{e(view.reference_id)}</h1>")
    if view.title:
        marking = (
            f'<span class="marking">({e(view.subject_marking)})</span> '
            if (view.subject_marking)
            else ""
        )
        out.append(f'<p class="sub">{marking}{e(view.title)}</p>')
    out.append(
        f'<p class="sub">Stable IRI: <a class="iri" href="{e(view.iri)}">{e(view.iri)}</a></p>'
    )
    out.append(_format_links(ctx))

    level_path = (
        f"browse/classification/{slug(view.classification)}" if view.classification else None
    )
    ym = _DATE_RE.match(view.created or "")
    created_html = e(show_time(view.created))
    if ym is not None:
        created_html = (
            f'<a href="{e(ctx.link(f"browse/created/{ym[1]}/{ym[2]}"))}">{created_html}</a>'
        )
    rows = [
        _row("Reference ID", e(view.reference_id)),
        _row("Created", created_html),
        _row("Released", ", ".join(e(r) for r in view.released)),
        _row(
            "Classification",
            f'<a href="{e(ctx.link(level_path))}">{e(view.classification)}</a>'
            if level_path and view.classification
            else "",
        ),
        _row("Origin", _link_or_text(ctx, view.origin, view.origin_label) if view.origin else ""),
    ]
    out.append('<h2 id="metadata">Metadata</h2>')
    out.append('<div class="wrap"><table class="meta">' + "".join(rows) + "</table></div>")

    out.append(_header_section(ctx, view))
    out.append(_paragraph_section(ctx, view))
    out.append(_versions_section(ctx, view))
    if view.articles:
        items = "".join(
            f'<li id="article-{e(_last_segment(a.iri))}">'
            + (
                f'<a href="{e(a.url)}" rel="nofollow noopener">{e(a.headline or a.url)}</a>'
                if a.url and a.url.startswith(("http://", "https://"))
                else e(a.headline or a.url or a.iri)
            )
            + "</li>"
            for a in view.articles
        )
        out.append(
            f'<h2 id="articles">Appears in these articles</h2><ul class="plain">{items}</ul>'
        )
    if view.aliases:
        items = "".join(f'<li class="iri">{e(a)}</li>' for a in view.aliases)
        out.append(
            '<h2 id="aliases">Also printed as</h2><p>Sources printed this ID differently; '
            f'these IRIs redirect here:</p><ul class="plain">{items}</ul>'
        )
    out.append('<h2 id="cite">Cite this cable</h2>')
    out.append(_cite_block(citations(view), "The cable"))
    if view.graph:
        out.append(
            f'<p id="provenance" class="sub">Named graph: <span class="iri">{e(view.graph)}</span>'
            "</p>"
        )
    description = view.summary or view.title
    return Page(
        path,
        _layout(
            ctx,
            title,
            "\n".join(x for x in out if x),
            jsonld=jsonld,
            description=description,
            canonical=view.iri,
        ),
    )


def cable_path(reference_id: str) -> str:
    """The site path of a cable's page: ``cable/{ID}`` (the ID as an IRI segment)."""
    return f"cable/{iris.segment(reference_id)}"


def _header_section(ctx: PageContext, view: CableView) -> str:
    h = view.header
    rows: list[str] = []
    if h.dtg or h.dtg_time:
        when = f" ({e(show_time(h.dtg_time))})" if h.dtg_time else ""
        rows.append(_row("Date-time group", f"{e(h.dtg or '')}{when}"))
    if h.precedence:
        rows.append(_row("Precedence", e(h.precedence)))
    if h.sender or h.sender_station:
        ri = f" ({e(h.sender_routing_indicator)})" if h.sender_routing_indicator else ""
        rows.append(_row("From", _link_or_text(ctx, h.sender_station, h.sender) + ri))
    for role, label in (("to", "To"), ("info", "Info")):
        names = []
        for r in view.recipients:
            if r.role != role:
                continue
            extra = " ".join(x for x in (r.precedence, r.serial) if x)
            ri = f" ({e(r.routing_indicator)})" if r.routing_indicator else ""
            names.append(
                f'<span id="{e(anchor_for(r.iri[len(view.iri) + 1 :]))}">'
                + _link_or_text(ctx, r.station, r.name)
                + (f" {e(extra)}" if extra else "")
                + ri
                + "</span>"
            )
        if names:
            rows.append(_row(label, "<br>".join(names)))
    if h.xmt:
        rows.append(_row("XMT (excluded)", "<br>".join(e(x) for x in h.xmt)))
    route = " ".join(
        x
        for x in (
            f"DE {h.routing_indicator}" if h.routing_indicator else "",
            f"#{h.sequence}" if h.sequence else "",
            h.julian_date or "",
        )
        if x
    )
    if route:
        rows.append(_row("Routing", e(route)))
    if view.eo:
        rows.append(_row("E.O.", e(view.eo)))
    if view.tags or view.tags_printed:
        links = " ".join(
            f'<a href="{e(ctx.link("browse/tag/" + _last_segment(c)))}">{e(n)}</a>'
            for c, n in view.tags
        )
        printed = (
            f' <span class="sub">(as printed: {e(view.tags_printed)})</span>'
            if view.tags_printed
            else ""
        )
        rows.append(_row("TAGS", f'<span class="tags">{links}</span>{printed}'))
    if view.title:
        rows.append(_row("Subject", e(view.title)))
    if view.references:
        items = []
        for ref in view.references:
            label = f"{ref.label}. " if ref.label else ""
            target = (
                f' → <a href="{e(ctx.href(ref.cited))}">'
                f"{e(iris_unquote(_last_segment(ref.cited)))}</a>"
                if ref.cited
                else ""
            )
            kind = (
                f' <span class="sub">({e(ref.kind)})</span>'
                if ref.kind and ref.kind != "cable"
                else ""
            )
            items.append(
                f'<li id="{e(anchor_for(ref.iri[len(view.iri) + 1 :]))}">'
                f"{e(label)}{e(ref.text or '')}{target}{kind}</li>"
            )
        rows.append(_row("REF", f'<ul class="plain">{"".join(items)}</ul>'))
    if view.classified_by:
        rows.append(_row("Classified by", e(view.classified_by)))
    if view.reasons:
        rows.append(_row("Reasons", e(", ".join(f"1.4 ({r})" for r in view.reasons))))
    if view.declassify_on:
        rows.append(_row("Declassify on", e(view.declassify_on)))
    controls = [*view.controls, *view.handling]
    if controls:
        rows.append(_row("Controls and handling", e(", ".join(controls))))
    if view.signer:
        rows.append(_row("Signed", e(view.signer)))
    if not rows:
        return ""
    return (
        '<h2 id="header">Header</h2><div class="wrap"><table class="meta">'
        + "".join(rows)
        + "</table></div>"
    )


def _paragraph_section(ctx: PageContext, view: CableView) -> str:
    if not view.paragraphs:
        return '<h2 id="paragraphs">Text</h2><p class="sub">No paragraphs were read.</p>'
    out = ['<h2 id="paragraphs">Text</h2>']
    for p in view.paragraphs:
        number = f'<span class="pnum">{e(p.number)}.</span>' if p.number else ""
        marking = f'<span class="marking">({e(p.marking)})</span>' if p.marking else ""
        out.append(
            f'<section class="para" id="{e(p.anchor)}">'
            f'<div class="phead">{number}{marking}'
            f'<a class="pil" href="{e(p.iri)}" title="Stable IRI of {e(p.label)}: {e(p.iri)}"'
            f' aria-label="Stable IRI of {e(p.label)}">¶</a></div>'
            f"<p>{e(p.text)}</p>"
            f"<details><summary>Cite {e(p.label)}</summary>"
            f"{_cite_block(citations(view, p), 'This paragraph')}</details>"
            "</section>"
        )
    return "\n".join(out)


def _versions_section(ctx: PageContext, view: CableView) -> str:
    if not view.versions:
        return ""
    out = ['<h2 id="versions">The text as published</h2>']
    if len(view.versions) > 1:
        out.append(
            f"<p>{len(view.versions)} sources print this cable differently; the paragraphs "
            "above are those of the primary version.</p>"
        )
    for v in view.versions:
        facts = [
            _row("Version IRI", f'<span class="iri">{e(v.iri)}</span>'),
            _row("Form", e(v.form or "")),
            _row("Printed ID", e(v.printed_id or "")),
            _row("Created (as printed)", e(show_time(v.created))),
            _row("Released", ", ".join(e(r) for r in v.released)),
            _row("Classification", e(v.classification or "")),
            _row("Page title", e(v.page_title or "")),
            _row("Partial extract", "yes" if v.partial_extract else ""),
            _row("SHA-256", f'<span class="iri">{e(v.sha256)}</span>' if v.sha256 else ""),
            _row("Read from", "<br>".join(e(f"{p}:{ln}") for p, ln in v.copies)),
        ]
        kind = "primary version" if v.primary else "version"
        open_attr = " open" if v.primary and len(view.versions) == 1 else ""
        out.append(
            f'<details id="{e("version-" + v.key)}"{open_attr}>'
            f"<summary>{e(kind)} {e(v.key)} ({e(v.form or 'unknown form')})</summary>"
            f'<div class="wrap"><table class="meta">{"".join(facts)}</table></div>'
            f"<pre>{e(v.body or '')}</pre></details>"
        )
    return "\n".join(out)


# ---- lists ----------------------------------------------------------------------------------


def _cable_rows(ctx: PageContext, entries: Sequence[CatalogueEntry]) -> str:
    rows = []
    for c in entries:
        origin = (
            f'<a href="{e(ctx.href(c.origin))}">{e(c.origin_label or "")}</a>' if c.origin else ""
        )
        rows.append(
            f'<tr><td><a href="{e(ctx.link(cable_path(c.reference_id)))}">'
            f"{e(c.reference_id)}</a></td><td>{e(show_time(c.created)[:10])}</td>"
            f"<td>{e(c.classification or '')}</td><td>{origin}</td>"
            f"<td>{e(c.title or '')}</td></tr>"
        )
    return (
        '<div class="wrap"><table><thead><tr><th>Reference ID</th><th>Created</th>'
        "<th>Classification</th><th>Origin</th><th>Subject</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div>"
    )


def pages_of(count: int) -> int:
    """How many pages a list of ``count`` cables takes (at least one)."""
    return max(1, -(-count // PAGE_SIZE))


def page_path(list_path: str, page: int) -> str:
    """The path of page ``page`` (from 1) of the list at ``list_path``."""
    return list_path if page == 1 else f"{list_path}/page/{page}"


def cable_list_page(
    base: str,
    list_path: str,
    title: str,
    entries: Sequence[CatalogueEntry],
    page: int,
    *,
    intro: str = "",
    jsonld_id: str | None = None,
) -> Page | None:
    """Page ``page`` of a list of cables (:data:`PAGE_SIZE` a page); None past the end."""
    total = pages_of(len(entries))
    if not 1 <= page <= total:
        return None
    path = page_path(list_path, page)
    ctx = PageContext(base, path)
    shown = entries[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    pager = []
    if page > 1:
        pager.append(
            f'<a href="{e(ctx.link(page_path(list_path, page - 1)))}" rel="prev">← previous</a>'
        )
    if total > 1:
        pager.append(f"<span>page {page} of {total}</span>")
    if page < total:
        pager.append(
            f'<a href="{e(ctx.link(page_path(list_path, page + 1)))}" rel="next">next →</a>'
        )
    body = [
        f"<h1>{e(title)}</h1>",
        intro,
        f'<p class="sub">{len(entries)} cable{"s" if len(entries) != 1 else ""}</p>',
        f'<div class="pager">{"".join(pager)}</div>' if pager else "",
        _cable_rows(ctx, shown),
        f'<div class="pager">{"".join(pager)}</div>' if pager else "",
    ]
    jsonld = {
        "@id": jsonld_id or base + path,
        "@type": "http://schema.org/CollectionPage",
        "http://schema.org/name": title,
        "http://schema.org/hasPart": [{"@id": base + cable_path(c.reference_id)} for c in shown],
    }
    return Page(path, _layout(ctx, title, "\n".join(b for b in body if b), jsonld=jsonld))


def _count_table(ctx: PageContext, heading: str, rows: Iterable[tuple[str, str, int]]) -> str:
    body = "".join(
        f'<tr><td><a href="{e(ctx.link(path))}">{e(label)}</a></td>'
        f'<td class="num">{count}</td></tr>'
        for path, label, count in rows
    )
    return (
        f'<div class="wrap"><table><thead><tr><th>{e(heading)}</th><th class="num">Cables</th>'
        f"</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _simple_page(base: str, path: str, title: str, body: str, jsonld: Any = None) -> Page:
    ctx = PageContext(base, path)
    if jsonld is None:
        jsonld = {
            "@id": base + path,
            "@type": "http://schema.org/WebPage",
            "http://schema.org/name": title,
        }
    return Page(path, _layout(ctx, title, body, jsonld=jsonld))


FACETS: Final = {
    "origin": "Origin",
    "tag": "TAG",
    "created": "Year and month",
    "classification": "Classification",
}
"""The browse facets, by path segment."""


def browse_index_page(base: str, catalogue: Catalogue) -> Page:
    """``browse``: the facets, with how many groups each has."""
    ctx = PageContext(base, "browse")
    counts = {
        "origin": len(catalogue.origins),
        "tag": len(catalogue.tags),
        "created": len(catalogue.years()),
        "classification": len(catalogue.classifications),
    }
    items = "".join(
        f'<li><a href="{e(ctx.link("browse/" + k))}">By {e(label.lower())}</a> '
        f'<span class="sub">({counts[k]})</span></li>'
        for k, label in FACETS.items()
    )
    body = f'<h1>Browse {len(catalogue)} cables</h1><ul class="plain">{items}</ul>'
    return _simple_page(base, "browse", "Browse the cables", body)


def facet_page(base: str, catalogue: Catalogue, facet: str) -> Page | None:
    """``browse/{facet}``: the groups of a facet with their counts."""
    path = f"browse/{facet}"
    ctx = PageContext(base, path)
    if facet == "origin":
        rows = [
            (ctx.path_of(k) or k, g.label, len(g.entries)) for k, g in catalogue.origins.items()
        ]
        rows.sort(key=lambda r: (r[1].lower(), r[0]))
        table = _count_table(ctx, "Origin", rows)
    elif facet == "tag":
        rows = [(f"browse/tag/{k}", g.label, len(g.entries)) for k, g in catalogue.tags.items()]
        table = _count_table(ctx, "TAG", rows)
    elif facet == "created":
        rows = [(f"browse/created/{y}", y, n) for y, n in sorted(catalogue.years().items())]
        table = _count_table(ctx, "Year", rows)
    elif facet == "classification":
        rows = [
            (f"browse/classification/{k}", g.label, len(g.entries))
            for k, g in catalogue.classifications.items()
        ]
        table = _count_table(ctx, "Classification", rows)
    else:
        return None
    title = f"Cables by {FACETS[facet].lower()}"
    return _simple_page(base, path, title, f"<h1>{e(title)}</h1>{table}")


def year_page(base: str, catalogue: Catalogue, year: str) -> Page | None:
    """``browse/created/{yyyy}``: the months of a year with their counts."""
    if year == "unknown":
        return None
    months = [
        (f"browse/created/{k}", f"{MONTHS[int(k[5:]) - 1]} {year}", len(g.entries))
        for k, g in catalogue.months.items()
        if k.startswith(year + "/")
    ]
    if not months:
        return None
    path = f"browse/created/{year}"
    ctx = PageContext(base, path)
    title = f"Cables created in {year}"
    return _simple_page(
        base, path, title, f"<h1>{e(title)}</h1>{_count_table(ctx, 'Month', months)}"
    )


def _home_html(base: str, catalogue: Catalogue, dataset: Mapping[str, str], jsonld: Any) -> Page:
    """The home page (and the dataset's page): what the edition holds and where to go."""
    ctx = PageContext(base, "", _formats("dataset"))
    title = dataset.get("title") or SITE_NAME
    body = [
        f"<h1>{e(title)}</h1>",
        f"<p>{e(dataset.get('description', ''))}</p>" if dataset.get("description") else "",
        (
            f"<p>This edition holds <strong>{len(catalogue)}</strong> cables from "
            f"{len(catalogue.origins)} origins.</p>"
        ),
        f'<p class="sub">Dataset IRI: <span class="iri">{e(base + "dataset")}</span></p>',
        _format_links(PageContext(base, "", _formats("dataset"))),
        '<h2>Browse</h2><ul class="plain">'
        + "".join(
            f'<li><a href="{e(ctx.link("browse/" + k))}">By {e(v.lower())}</a></li>'
            for k, v in FACETS.items()
        )
        + "</ul>",
        '<h2>Data</h2><ul class="plain">'
        + f'<li><a href="{e(ctx.link("sparql"))}">SPARQL endpoint</a> (on the server)</li>'
        f'<li><a href="{e(ctx.link("dumps/cables.nq.gz"))}">Every cable as N-Quads</a></li>'
        f'<li><a href="{e(ctx.link("dumps/cables.nt.gz"))}">Every cable as N-Triples</a></li>'
        f'<li><a href="{e(ctx.link("void.ttl"))}">VoID description</a></li>'
        f'<li><a href="{e(ctx.link("ontology/cablerdf.ttl"))}">The ontology</a> and '
        f'<a href="{e(ctx.link("ontology/schemes.ttl"))}">the concept schemes</a></li>'
        f'<li><a href="{e(ctx.link("context/v1.jsonld"))}">The JSON-LD context</a></li>'
        "</ul>",
        "<h2>The latest cables</h2>",
        _cable_rows(ctx, [c for c in catalogue.entries if c.created][-10:][::-1]),
    ]
    return Page("", _layout(ctx, title, "\n".join(b for b in body if b), jsonld=jsonld))


def _resource_html(
    base: str,
    iri: str,
    g: GraphIndex,
    jsonld: Any,
    *,
    cables: Sequence[CatalogueEntry] = (),
    list_path: str | None = None,
) -> Page:
    """The page of another resource (a post, a station, a country, an article, a concept):
    its label, types and properties, and for a post the first page of its cables."""
    path = iri[len(base) :] if iri.startswith(base) else (PageContext(base, "").path_of(iri) or "")
    last = path.rsplit("/", 1)[-1]
    ctx = PageContext(base, path, _formats(last))
    label = g.text(iri, vocab.RDFS.label) or g.text(iri, vocab.SKOS.notation) or iris_unquote(last)
    props = g.properties(iri)
    rows = []
    for predicate in sorted(props):
        values = []
        for v in props[predicate]:
            if isinstance(v, ox.NamedNode):
                values.append(f'<a href="{e(ctx.href(v.value))}" class="iri">{e(v.value)}</a>')
            else:
                values.append(e(_term_text(v)))
        rows.append(_row(_short(predicate), "<br>".join(values)))
    body = [
        f"<h1>{e(label)}</h1>",
        f'<p class="sub">Stable IRI: <a class="iri" href="{e(iri)}">{e(iri)}</a></p>',
        _format_links(ctx),
        '<div class="wrap"><table class="meta">' + "".join(rows) + "</table></div>",
    ]
    if list_path is not None:
        shown = cables[:PAGE_SIZE]
        more = (
            f'<p><a href="{e(ctx.link(page_path(list_path, 2)))}">All {len(cables)} cables, '
            "page 2 →</a></p>"
            if len(cables) > PAGE_SIZE
            else ""
        )
        body.append(f'<h2 id="cables">{len(cables)} cables</h2>' + _cable_rows(ctx, shown) + more)
    return Page(
        path, _layout(ctx, label, "\n".join(b for b in body if b), jsonld=jsonld, canonical=iri)
    )


_SHORT = {
    vocab.RDF.NS: "rdf:",
    vocab.RDFS.NS: "rdfs:",
    vocab.OWL.NS: "owl:",
    vocab.DCT.NS: "dct:",
    vocab.SCHEMA.NS: "schema:",
    vocab.SKOS.NS: "skos:",
    vocab.PROV.NS: "prov:",
    vocab.ORG.NS: "org:",
    vocab.CR.NS: "cr:",
    "http://rdfs.org/ns/void#": "void:",
    "http://www.w3.org/ns/dcat#": "dcat:",
}


def _short(iri: str) -> str:
    for ns, prefix in _SHORT.items():
        if iri.startswith(ns):
            return prefix + iri[len(ns) :]
    return iri


def problem_page(base: str, path: str, problem: Problem) -> str:
    """The HTML form of a :class:`Problem`: the same fields, and the JSON embedded."""
    ctx = PageContext(base, path)
    items = []
    for rid, target, held in problem.suggestions:
        where = "in this edition" if held else "published, not in this edition"
        link = f'<a href="{e(ctx.link(target))}">{e(rid)}</a>' if held else e(rid)
        items.append(f'<li>{link} <span class="sub">({e(where)})</span></li>')
    suggestions = f'<h2>Close IDs</h2><ul class="plain">{"".join(items)}</ul>' if items else ""
    body = (
        f"<h1>{problem.status} {e(problem.title)}</h1>"
        f'<p id="detail">{e(problem.detail)}</p>'
        f'<p class="note" id="hint">{e(problem.hint)}</p>'
        f"{suggestions}"
        f'<p class="sub">Error code <code>{e(problem.code)}</code> for '
        f'<span class="iri">{e(problem.instance)}</span></p>'
        f'<script type="application/json" id="problem">{json_for_script(problem.to_json())}'
        "</script>"
    )
    return _layout(ctx, f"{problem.status} {problem.title}", body)


def redirect_page(base: str, path: str, target_path: str, target_iri: str) -> Page:
    """A page that sends people on to ``target_path`` (for static hosts without rewrites)."""
    ctx = PageContext(base, path)
    href = ctx.link(target_path)
    html_text = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta http-equiv="refresh" content="0; url={e(href)}">',
            f'<link rel="canonical" href="{e(target_iri)}">',
            f"<title>Moved to {e(target_iri)}</title></head>",
            (
                f'<body><p>This IRI names the same cable as <a href="{e(href)}">'
                f"{e(target_iri)}</a>.</p></body></html>"
            ),
        ]
    )
    return Page(path, html_text)


def sparql_form_page(base: str, query: str, result_html: str = "", note: str = "") -> Page:
    """``sparql``: a form to run a query, with the results of the last one below it."""
    ctx = PageContext(base, "sparql")
    body = (
        "<h1>SPARQL</h1>"
        "<p>A SPARQL 1.1 Protocol endpoint over every cable graph (the default graph is their "
        "union). Results are bounded in time and size.</p>"
        f'<form method="post" action="{e(ctx.link("sparql"))}">'
        f'<textarea name="query" aria-label="SPARQL query" spellcheck="false">{e(query)}</textarea>'
        '<p><button type="submit">Run</button></p></form>'
        + (f'<p class="note">{e(note)}</p>' if note else "")
        + result_html
    )
    return _simple_page(base, "sparql", "SPARQL", body)


def results_table(header: Sequence[str], rows: Iterable[Sequence[str | None]], base: str) -> str:
    """An HTML table of query results (IRIs served here become links)."""
    ctx = PageContext(base, "sparql")
    out = ['<div class="wrap"><table><thead><tr>']
    out.extend(f"<th>{e(h)}</th>" for h in header)
    out.append("</tr></thead><tbody>")
    count = 0
    for row in rows:
        count += 1
        out.append("<tr>")
        for cell in row:
            if cell is None:
                out.append("<td></td>")
            elif cell.startswith("<") and cell.endswith(">"):
                iri = cell[1:-1]
                out.append(f'<td><a class="iri" href="{e(ctx.href(iri))}">{e(iri)}</a></td>')
            else:
                out.append(f"<td>{e(cell)}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return f'<p class="sub">{count} result{"s" if count != 1 else ""}</p>' + "".join(out)


def not_found_page_for_site(site_url: str) -> str:
    """``404.html`` of the static site: says what is missing and links home. Paragraph IRIs
    are mapped to their cable's page by the server configuration, not here."""
    ctx = PageContext(site_url, "404")
    body = (
        "<h1>404 Not Found</h1><p>Nothing is published at this address.</p>"
        '<p class="note">A cable lives at <span class="iri">cable/ID</span>, a paragraph at '
        '<span class="iri">cable/ID/p/N</span>. Check the reference ID, or '
        f'<a href="{e(site_url)}browse">browse the cables</a>.</p>'
    )
    return _layout(ctx, "404 Not Found", body)


def read_cable_triples(output: Path, reference_id: str) -> list[ox.Triple] | None:
    """The triples of a cable's Turtle file in an output folder; None when it is missing or
    unreadable."""
    path = output / cable_file(reference_id, ".ttl")
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        return [q.triple for q in ox.parse(data, ox.RdfFormat.TURTLE)]
    except SyntaxError:
        return None


# ---- pages from RDF and the catalogue -------------------------------------------------------


def browse_page(base: str, catalogue: Catalogue, rest: Sequence[str]) -> Page | None:
    """The browse page at ``browse/{rest}``, or None when there is none."""
    parts = list(rest)
    page = 1
    if len(parts) >= 2 and parts[-2] == "page":
        if not parts[-1].isdigit() or parts[-1].startswith("0") or parts[-1] == "1":
            return None
        page = int(parts[-1])
        parts = parts[:-2]
    if not parts or parts == [""]:
        return browse_index_page(base, catalogue) if page == 1 else None
    facet = parts[0]
    if len(parts) == 1:
        return facet_page(base, catalogue, facet) if page == 1 else None
    key = "/".join(parts[1:])
    if facet == "tag" and len(parts) == 2:
        group = catalogue.tags.get(parts[1])
        if group is None:
            return None
        return cable_list_page(
            base, f"browse/tag/{parts[1]}", f"Cables tagged {group.label}", group.entries, page
        )
    if facet == "classification" and len(parts) == 2:
        group = catalogue.classifications.get(parts[1])
        if group is None:
            return None
        return cable_list_page(
            base,
            f"browse/classification/{parts[1]}",
            f"Cables classified {group.label}",
            group.entries,
            page,
        )
    if facet == "created" and parts[1:] == ["unknown"]:
        group = catalogue.months.get("unknown")
        if group is None:
            return None
        return cable_list_page(
            base, "browse/created/unknown", "Cables without a date", group.entries, page
        )
    if facet == "created" and len(parts) == 2:
        return year_page(base, catalogue, parts[1]) if page == 1 else None
    if facet == "created" and len(parts) == 3:
        group = catalogue.months.get(key)
        if group is None:
            return None
        year, month = parts[1], parts[2]
        title = (
            f"Cables created in {MONTHS[int(month) - 1]} {year}"
            if _ASCII_INTEGER.fullmatch(month) and 1 <= int(month) <= 12
            else f"Cables created in {key}"
        )
        return cable_list_page(base, f"browse/created/{key}", title, group.entries, page)
    return None


def resource_page(
    base: str,
    iri: str,
    triples: Sequence[ox.Triple],
    catalogue: Catalogue,
    loader: export.OfflineLoader,
) -> Page:
    """The page of a post, station, country, article or concept (a post lists its cables)."""
    quads = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
    jsonld = export.jsonld_document(quads, ox.NamedNode(iri), loader)
    group = catalogue.origins.get(iri)
    path = iri.removeprefix(base)
    return _resource_html(
        base,
        iri,
        GraphIndex(triples),
        jsonld,
        cables=group.entries if group else (),
        list_path=path if group else None,
    )


def home_page(
    base: str, catalogue: Catalogue, void: Sequence[ox.Triple], loader: export.OfflineLoader
) -> Page:
    """The home page, which is also the dataset's page."""
    g = GraphIndex(void)
    dataset = base + "dataset"
    facts = {
        "title": g.text(dataset, vocab.DCT.title) or "",
        "description": g.text(dataset, ox.NamedNode(vocab.DCT.NS + "description")) or "",
    }
    quads = [ox.Quad(t.subject, t.predicate, t.object) for t in void]
    jsonld = export.jsonld_document(quads, ox.NamedNode(dataset), loader) if quads else None
    return _home_html(base, catalogue, facts, jsonld)


def ontology_page(base: str, triples: Sequence[ox.Triple]) -> Page:
    """``ontology``: every class and property of the ontology with its label and comment,
    each at the anchor of its local name (so ``ontology#Cable`` opens at ``Cable``)."""
    g = GraphIndex(triples)
    ontology = iris.ONTOLOGY_IRI
    comment = ox.NamedNode(vocab.RDFS.NS + "comment")
    kinds = {
        "http://www.w3.org/2002/07/owl#Class": "Classes",
        "http://www.w3.org/2002/07/owl#ObjectProperty": "Object properties",
        "http://www.w3.org/2002/07/owl#DatatypeProperty": "Datatype properties",
        "http://www.w3.org/2002/07/owl#AnnotationProperty": "Annotation properties",
    }
    sections = []
    for kind, heading in kinds.items():
        terms = [
            s
            for s in g.subjects()
            if s.startswith(iris.TERM_NAMESPACE) and kind in g.iris(s, vocab.RDF.type)
        ]
        if not terms:
            continue
        items = []
        for term in terms:
            name = term[len(iris.TERM_NAMESPACE) :]
            label = g.text(term, vocab.RDFS.label) or name
            items.append(
                f'<section class="para" id="{e(name)}"><h3>{e(label)} '
                f'<span class="sub iri">cr:{e(name)}</span></h3>'
                f"<p>{e(g.text(term, comment) or '')}</p></section>"
            )
        sections.append(f"<h2>{e(heading)}</h2>" + "".join(items))
    title = (
        g.text(ontology, ox.NamedNode(vocab.DCT.NS + "title"))
        or g.text(ontology, vocab.RDFS.label)
        or "The cablerdf ontology"
    )
    path = "ontology"
    ctx = PageContext(base, path, _formats("ontology"))
    body = [
        f"<h1>{e(title)}</h1>",
        f'<p class="sub">IRI: <span class="iri">{e(ontology)}</span></p>',
        f"<p>{e(g.text(ontology, comment) or '')}</p>",
        _format_links(ctx),
        *sections,
    ]
    return Page(path, _layout(ctx, title, "\n".join(b for b in body if b)))
