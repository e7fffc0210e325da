"""The static site: the server's pages and data as files for any static host (``cablerdf site``).

Reads an output folder of ``cablerdf convert`` and writes, at the paths of the IRIs after
the base: ``cable/{ID}.html`` (the page), ``.ttl``, ``.jsonld`` and ``.nt`` (the graph);
pages and data of posts, stations, countries and articles; the browse pages; the home page
(``index.html``, also ``dataset.html``); the ontology page; copies of the dumps, the context,
the ontology, the shapes and the VoID description; ``sitemap.xml``; ``404.html``; and a
server configuration for content negotiation (``.htaccess`` for Apache,
``nginx-cablerdf.conf`` for nginx). Deterministic: the same output folder gives the same
bytes. See ``docs/serving.md``.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final
from urllib.parse import unquote, urlsplit

import pyoxigraph as ox

from cablerdf import export, pages, vocab
from cablerdf.iris import Minter
from cablerdf.model import Diagnostic, Severity
from cablerdf.pages import Catalogue, CatalogueEntry, GraphIndex
from cablerdf.settings import Settings

__all__ = ["SiteOptions", "SiteSummary", "render_cable_file", "write_site"]

LISTING: Final = ".cablerdf-site"
"""The list of files a run wrote, so that the next run can remove those it no longer writes."""

SITEMAP_LIMIT: Final = 50_000
"""URLs per sitemap file (the sitemaps.org limit)."""

COPIED: Final = ("context", "dumps", "ontology", "shapes", "void.ttl", "provenance.ttl")
"""What is copied from the output folder as it is."""

DESCRIBED_KINDS: Final = frozenset({"post", "station", "country", "article", "software"})
"""Data IRIs outside the cables that get a page and data files of their own."""


@dataclass(frozen=True)
class SiteOptions:
    """``settings``: the base the output was made with; ``site_url``: where the site is
    published (for the sitemap and the server configuration; default: the base);
    ``jobs``: worker processes that render cable pages."""

    settings: Settings
    site_url: str | None = None
    jobs: int = 1

    @property
    def url(self) -> str:
        return self.site_url or self.settings.base


@dataclass(frozen=True)
class SiteSummary:
    cables: int
    pages: int
    files: int
    removed: int
    diagnostics: tuple[Diagnostic, ...]

    def line(self) -> str:
        return (
            f"wrote {self.files} file(s): {self.cables} cable(s), {self.pages} page(s); "
            f"removed {self.removed} stale file(s); {len(self.diagnostics)} problem(s)"
        )


@dataclass(frozen=True)
class CableFiles:
    """What one cable gives the site: its files, catalogue entry, aliases and the triples
    of the other resources its graph describes (posts, stations...)."""

    reference_id: str
    files: tuple[tuple[str, bytes], ...]
    entry: CatalogueEntry | None
    aliases: tuple[tuple[str, str], ...]  # (alias path, cable path)
    described: tuple[tuple[str, tuple[ox.Triple, ...]], ...]
    diagnostics: tuple[Diagnostic, ...]


def render_cable_file(ttl: Path, base: str) -> CableFiles:
    """Read one cable's Turtle file (and the JSON-LD beside it) and make its site files."""
    minter = Minter(base)
    name = ttl.name.removesuffix(".ttl")
    reference_id = pages.iris_unquote(name)
    try:
        data = ttl.read_bytes()
        triples = [q.triple for q in ox.parse(data, ox.RdfFormat.TURTLE)]
    except (OSError, SyntaxError) as error:
        return _failed(reference_id, ttl, f"could not read the cable's Turtle: {error}")
    g = GraphIndex(triples)
    cables = [
        s
        for s in g.subjects()
        if g.has_type(s, vocab.CR.Cable)
        and (p := minter.parse(s)) is not None
        and p.kind == "cable"
        and not p.rest
    ]
    if len(cables) != 1:
        return _failed(reference_id, ttl, f"the file describes {len(cables)} cables, not one")
    cable = cables[0]
    view = pages.cable_view_of(g, cable)
    if view is None:
        return _failed(reference_id, ttl, "the cable could not be read")
    jsonld_path = ttl.with_suffix(".jsonld")
    try:
        jsonld_bytes = jsonld_path.read_bytes()
        jsonld = json.loads(jsonld_bytes)
    except (OSError, ValueError) as error:
        return _failed(reference_id, jsonld_path, f"could not read the cable's JSON-LD: {error}")
    page = pages.cable_page(view, base, jsonld)
    quads = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
    files = (
        (page.path + ".html", page.html.encode("utf-8")),
        (page.path + ".ttl", data),
        (page.path + ".jsonld", jsonld_bytes),
        (page.path + ".nt", export.ntriples_bytes(quads)),
    )
    aliases = tuple((a[len(base) :], page.path) for a in view.aliases if a.startswith(base))
    described: dict[str, list[ox.Triple]] = {}
    for t in triples:
        if isinstance(t.subject, ox.NamedNode):
            parsed = minter.parse(t.subject.value)
            if parsed is not None and parsed.kind in DESCRIBED_KINDS:
                described.setdefault(t.subject.value, []).append(t)
    return CableFiles(
        view.reference_id,
        files,
        pages.catalogue_entry(g, cable),
        aliases,
        tuple((k, tuple(v)) for k, v in sorted(described.items())),
        (),
    )


def _failed(reference_id: str, path: Path, message: str) -> CableFiles:
    d = Diagnostic(
        Severity.ERROR,
        "store.unreadable",
        message,
        path=str(path),
        reference_id=reference_id,
        hint="convert the cable again; its page was not written",
    )
    return CableFiles(reference_id, (), None, (), (), (d,))


class _Writer:
    """Writes files under the site folder and remembers what it wrote."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: set[str] = set()

    def write(self, path: str, data: bytes) -> None:
        target = self.root / PurePosixPath(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_bytes() != data:
            export.write_atomic(target, data)
        self.written.add(path)

    def page(self, page: pages.Page) -> None:
        self.write((page.path or "index") + ".html", page.html.encode("utf-8"))

    def copy(self, source: Path, path: str) -> None:
        if source.is_dir():
            for child in sorted(source.rglob("*")):
                if child.is_file():
                    self.copy(child, f"{path}/{child.relative_to(source).as_posix()}")
            return
        target = self.root / PurePosixPath(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_bytes() != source.read_bytes():
            shutil.copyfile(source, target)
        self.written.add(path)


def _cable_files(output: Path) -> list[Path]:
    return sorted((output / "cables").glob("*/*.ttl"))


def _rendered(files: list[Path], base: str, jobs: int) -> Iterator[CableFiles]:
    render = functools.partial(render_cable_file, base=base)
    if jobs <= 1:
        yield from map(render, files)
        return
    executor: Executor = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
    with executor:
        yield from executor.map(render, files, chunksize=16)


def write_site(
    output: Path,
    out: Path,
    options: SiteOptions,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> SiteSummary:
    """Write the static site of ``output`` into ``out``; files of a previous run that this
    run does not write again are removed. Raises ``OSError`` when ``out`` cannot be written."""
    base = options.settings.base
    minter = Minter(base)
    loader = export.OfflineLoader.for_minter(minter)
    out.mkdir(parents=True, exist_ok=True)
    previous = _listing(out)
    w = _Writer(out)
    entries: list[CatalogueEntry] = []
    aliases: dict[str, str] = {}
    described: dict[str, set[ox.Triple]] = {}
    diagnostics: list[Diagnostic] = []
    files = _cable_files(output)
    for done, result in enumerate(_rendered(files, base, options.jobs), 1):
        diagnostics.extend(result.diagnostics)
        for path, data in result.files:
            w.write(path, data)
        if result.entry is not None:
            entries.append(result.entry)
        aliases.update(result.aliases)
        for iri, found in result.described:
            described.setdefault(iri, set()).update(found)
        if on_progress is not None:
            on_progress(done, len(files))
    catalogue = Catalogue(entries)
    page_paths = [pages.cable_path(c.reference_id) for c in catalogue.entries]

    for iri in sorted(described):
        triples = sorted(described[iri], key=str)
        page = pages.resource_page(base, iri, triples, catalogue, loader)
        w.page(page)
        page_paths.append(page.path)
        quads = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
        w.write(page.path + ".ttl", export.turtle_bytes(quads))
        w.write(page.path + ".nt", export.ntriples_bytes(quads))
        document = export.jsonld_document(quads, ox.NamedNode(iri), loader)
        w.write(page.path + ".jsonld", export.jsonld_bytes(document))
        group = catalogue.origins.get(iri)
        if group is not None:
            for k in range(2, pages.pages_of(len(group.entries)) + 1):
                more = pages.cable_list_page(
                    base, page.path, f"Cables from {group.label}", group.entries, k
                )
                if more is not None:
                    w.page(more)
                    page_paths.append(more.path)

    for path in _browse_paths(catalogue):
        browse = pages.browse_page(base, catalogue, path.split("/")[1:])
        if browse is not None:
            w.page(browse)
            page_paths.append(browse.path)

    void = _void(output)
    home = pages.home_page(base, catalogue, void, loader)
    w.page(home)
    page_paths.append("")
    w.page(pages.Page("dataset", home.html))
    page_paths.append("dataset")
    if void:
        quads = [ox.Quad(t.subject, t.predicate, t.object) for t in void]
        w.write("dataset.ttl", (output / "void.ttl").read_bytes())
        w.write("dataset.nt", export.ntriples_bytes(quads))
        document = export.jsonld_document(quads, minter.dataset(), loader)
        w.write("dataset.jsonld", export.jsonld_bytes(document))
        w.write(".well-known/void", (output / "void.ttl").read_bytes())
    ontology = output / "ontology" / "cablerdf.ttl"
    if ontology.is_file():
        terms = [q.triple for q in ox.parse(ontology.read_bytes(), ox.RdfFormat.TURTLE)]
        w.page(pages.ontology_page(base, terms))
        page_paths.append("ontology")
    for name in COPIED:
        source = output / name
        if source.exists():
            w.copy(source, name)
    for alias_path, cable_path in sorted(aliases.items()):
        w.page(pages.redirect_page(base, alias_path, cable_path, base + cable_path))

    w.write("404.html", pages.not_found_page_for_site(options.url).encode("utf-8"))
    for path, data in _sitemaps(options.url, page_paths):
        w.write(path, data)
    w.write("robots.txt", f"User-agent: *\nSitemap: {options.url}sitemap.xml\n".encode())
    w.write(".htaccess", apache_config(options.url, aliases).encode("utf-8"))
    w.write("nginx-cablerdf.conf", nginx_config(options.url, aliases).encode("utf-8"))

    removed = 0
    for stale in sorted(previous - w.written - {LISTING}):
        target = out / PurePosixPath(stale)
        if target.is_file():
            target.unlink()
            removed += 1
    listing = "".join(f"{p}\n" for p in sorted(w.written | {LISTING}))
    export.write_atomic(out / LISTING, listing.encode("utf-8"))
    return SiteSummary(
        cables=len(catalogue),
        pages=len(page_paths),
        files=len(w.written) + 1,
        removed=removed,
        diagnostics=tuple(diagnostics),
    )


def _listing(out: Path) -> set[str]:
    try:
        text = (out / LISTING).read_text(encoding="utf-8")
    except OSError:
        return set()
    return {line for line in text.splitlines() if line and ".." not in line.split("/")}


def _void(output: Path) -> list[ox.Triple]:
    try:
        return [q.triple for q in ox.parse((output / "void.ttl").read_bytes(), ox.RdfFormat.TURTLE)]
    except (OSError, SyntaxError):
        return []


def _browse_paths(catalogue: Catalogue) -> Iterator[str]:
    """Every browse page path, pages of long lists included."""
    yield "browse"
    for facet in pages.FACETS:
        yield f"browse/{facet}"
    groups: list[tuple[str, int]] = []
    groups += [(f"browse/tag/{k}", len(g.entries)) for k, g in catalogue.tags.items()]
    groups += [
        (f"browse/classification/{k}", len(g.entries)) for k, g in catalogue.classifications.items()
    ]
    groups += [(f"browse/created/{k}", len(g.entries)) for k, g in catalogue.months.items()]
    for year in sorted(catalogue.years()):
        if year != "unknown":
            yield f"browse/created/{year}"
    for path, count in groups:
        for k in range(1, pages.pages_of(count) + 1):
            yield pages.page_path(path, k)


def _sitemaps(site_url: str, paths: Iterable[str]) -> Iterator[tuple[str, bytes]]:
    """``sitemap.xml``: the URLs of every page; an index of parts past 50,000 URLs."""
    from xml.sax.saxutils import escape

    urls = sorted({site_url + p for p in paths})
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'

    def urlset(chunk: list[str]) -> bytes:
        body = "".join(f"<url><loc>{escape(u)}</loc></url>\n" for u in chunk)
        return f"{head}<urlset {ns}>\n{body}</urlset>\n".encode()

    if len(urls) <= SITEMAP_LIMIT:
        yield "sitemap.xml", urlset(urls)
        return
    parts = []
    for k in range(0, len(urls), SITEMAP_LIMIT):
        name = f"sitemap-{k // SITEMAP_LIMIT + 1}.xml"
        parts.append(name)
        yield name, urlset(urls[k : k + SITEMAP_LIMIT])
    body = "".join(f"<sitemap><loc>{escape(site_url + n)}</loc></sitemap>\n" for n in parts)
    yield "sitemap.xml", f"{head}<sitemapindex {ns}>\n{body}</sitemapindex>\n".encode()


# ---- server configuration -------------------------------------------------------------------

_PARTS = r"(p|u|ref|recipient|version)"
_REGEX_SPECIAL = re.compile(r"([.^$*+?()\[\]{}|\\])")


def _rx(text: str) -> str:
    """A path as a regular expression of Apache and nginx, which match decoded paths."""
    return _REGEX_SPECIAL.sub(r"\\\1", unquote(text)).replace(" ", "\\x20")


def apache_config(site_url: str, aliases: dict[str, str]) -> str:
    """``.htaccess`` for Apache 2.4 (mod_rewrite, mod_headers, mod_mime): extension-less
    paths, content negotiation by Accept (without q-values), paragraph IRIs (303 to the
    cable's page at the anchor, or to the cable's graph for RDF clients), aliases (301)."""
    prefix = urlsplit(site_url).path or "/"
    lines = [
        "# cablerdf static site: serve every IRI path (see docs/serving.md)",
        "Options -MultiViews -Indexes",
        "DirectorySlash Off",
        "AddType text/turtle .ttl",
        "AddType application/ld+json .jsonld",
        "AddType application/n-triples .nt",
        "AddCharset utf-8 .html .ttl .nt",
        '<Files "void">',
        "  ForceType text/turtle",
        "</Files>",
        "ErrorDocument 404 " + prefix + "404.html",
        'Header merge Vary "Accept"',
        'Header set Access-Control-Allow-Origin "*"',
        "RewriteEngine On",
        f"RewriteBase {prefix}",
        "# the format an RDF client asks for (q-values are not read: the server does that)",
        "RewriteRule ^ - [E=CR_EXT:.html]",
        r"RewriteCond %{HTTP_ACCEPT} application/n-triples",
        "RewriteRule ^ - [E=CR_EXT:.nt]",
        r"RewriteCond %{HTTP_ACCEPT} application/ld\+json|application/json",
        "RewriteRule ^ - [E=CR_EXT:.jsonld]",
        r"RewriteCond %{HTTP_ACCEPT} text/turtle",
        "RewriteCond %{HTTP_ACCEPT} !text/html",
        "RewriteRule ^ - [E=CR_EXT:.ttl]",
        "# misprinted IDs: 301 to the cable",
    ]
    for alias_path, cable_path in sorted(aliases.items()):
        lines.append(
            f"RewriteRule ^{_rx(alias_path)}(\\.html|\\.ttl|\\.jsonld|\\.nt)?$ "
            f"{prefix}{cable_path}$1 [R=301,L]"
        )
    lines += [
        "# parts of a cable: people to the page at the anchor, RDF clients to the graph",
        "RewriteCond %{ENV:CR_EXT} =.html",
        f"RewriteRule ^cable/([^/]+)/{_PARTS}/([^/]+)(/.*)?$ {prefix}cable/$1#$2-$3 [R=303,NE,L]",
        "RewriteCond %{ENV:CR_EXT} =.html",
        f"RewriteRule ^cable/([^/]+)/header$ {prefix}cable/$1#header [R=303,NE,L]",
        (
            f"RewriteRule ^cable/([^/]+)/{_PARTS}/([^/]+)(/.*)?$ "
            f"{prefix}cable/$1%{{ENV:CR_EXT}} [R=303,L]"
        ),
        f"RewriteRule ^cable/([^/]+)/header$ {prefix}cable/$1%{{ENV:CR_EXT}} [R=303,L]",
        f"RewriteRule ^graph/([^/]+)(/.*)?$ {prefix}cable/$1%{{ENV:CR_EXT}} [R=303,L]",
        "# an extension-less path: the file of the negotiated format, else the page",
        "RewriteCond %{REQUEST_FILENAME} !-f",
        "RewriteCond %{REQUEST_FILENAME}%{ENV:CR_EXT} -f",
        "RewriteRule ^(.+)$ $1%{ENV:CR_EXT} [L]",
        "RewriteCond %{REQUEST_FILENAME} !-f",
        "RewriteCond %{REQUEST_FILENAME}.html -f",
        "RewriteRule ^(.+)$ $1.html [L]",
        "",
    ]
    return "\n".join(lines)


def nginx_config(site_url: str, aliases: dict[str, str]) -> str:
    """An nginx snippet for the ``server`` block whose ``root`` is the site folder (the
    ``map`` goes in the ``http`` block): the same rules as :func:`apache_config`."""
    prefix = urlsplit(site_url).path or "/"
    lines = [
        "# cablerdf static site for nginx (see docs/serving.md).",
        "# 1. In the http { } block:",
        "#    map $http_accept $cablerdf_ext {",
        '#        default ".html";',
        '#        "~*application/n-triples" ".nt";',
        '#        "~*application/ld\\+json|application/json" ".jsonld";',
        '#        "~*text/html" ".html";',
        '#        "~*text/turtle" ".ttl";',
        "#    }",
        "# 2. In the server { } block, with root set to the site folder: include this file.",
        "types {",
        "    text/html html;",
        "    text/turtle ttl;",
        "    application/ld+json jsonld;",
        "    application/n-triples nt;",
        "    application/gzip gz;",
        "    text/plain txt;",
        "    application/xml xml;",
        "}",
        "charset utf-8;",
        "charset_types text/turtle application/n-triples text/plain;",
        f"error_page 404 {prefix}404.html;",
        f"location = {prefix}.well-known/void {{ default_type text/turtle; }}",
    ]
    for alias_path, cable_path in sorted(aliases.items()):
        lines.append(
            f"location ~ ^{_rx(prefix + alias_path)}(\\.html|\\.ttl|\\.jsonld|\\.nt)?$ "
            f"{{ return 301 {prefix}{cable_path}$1; }}"
        )
    lines += [
        f"location ~ ^{_rx(prefix)}cable/([^/]+)/{_PARTS}/([^/]+)(/.*)?$ {{",
        '    add_header Vary "Accept" always;',
        f'    if ($cablerdf_ext = ".html") {{ return 303 {prefix}cable/$1#$2-$3; }}',
        f"    return 303 {prefix}cable/$1$cablerdf_ext;",
        "}",
        f"location ~ ^{_rx(prefix)}cable/([^/]+)/header$ {{",
        '    add_header Vary "Accept" always;',
        f'    if ($cablerdf_ext = ".html") {{ return 303 {prefix}cable/$1#header; }}',
        f"    return 303 {prefix}cable/$1$cablerdf_ext;",
        "}",
        f"location ~ ^{_rx(prefix)}graph/([^/]+)(/.*)?$ {{",
        '    add_header Vary "Accept" always;',
        f"    return 303 {prefix}cable/$1$cablerdf_ext;",
        "}",
        f"location {prefix} {{",
        '    add_header Vary "Accept" always;',
        '    add_header Access-Control-Allow-Origin "*" always;',
        "    try_files $uri$cablerdf_ext $uri.html $uri =404;",
        "}",
        "",
    ]
    return "\n".join(lines)
