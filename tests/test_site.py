"""The static site and the pages it shares with the server: the same bytes as the server's
pages, the data files of the output, determinism, the sitemap and the server configuration,
citations, escaping and page hygiene (phone viewport, no external resources)."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import lxml.etree
import lxml.html
import pyoxigraph as ox
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from test_serve import (
    ALIAS,
    BASE,
    CABLES,
    HOSTILE,
    build_output,
    build_store,
    file_graph,
    graph_of,
    jsonld_graph,
    running_server,
)

from cablerdf import iris, pages
from cablerdf.export import cable_file
from cablerdf.settings import Settings
from cablerdf.site import LISTING, SiteOptions, SiteSummary, write_site

SITE_URL = "https://cables.example.org/"


@pytest.fixture(scope="module")
def output_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_output(tmp_path_factory)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, output_dir: Path) -> tuple[Path, SiteSummary]:
    out = tmp_path_factory.mktemp("site")
    summary = write_site(output_dir, out, SiteOptions(Settings(), SITE_URL, jobs=2))
    return out, summary


@pytest.fixture(scope="module")
def site_dir(site: tuple[Path, SiteSummary]) -> Path:
    return site[0]


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def html_pages(folder: Path) -> Iterator[tuple[str, Path]]:
    """Every page of the site and its path on the server (``index`` is the home page)."""
    for p in sorted(folder.rglob("*.html")):
        rel = p.relative_to(folder).as_posix().removesuffix(".html")
        if rel == "404" or rel.startswith("alias/"):
            continue
        yield ("" if rel == "index" else rel), p


def test_the_site_is_written_without_problems(site: tuple[Path, SiteSummary]) -> None:
    summary = site[1]
    assert summary.diagnostics == ()
    assert summary.cables == len(CABLES)
    assert summary.line().startswith("wrote ")


@pytest.mark.parametrize("reference_id", CABLES)
def test_each_cable_has_its_page_and_the_data_of_the_output(
    site_dir: Path, output_dir: Path, reference_id: str
) -> None:
    stem = site_dir / "cable" / iris.segment(reference_id)
    assert (stem.with_name(stem.name + ".ttl")).read_bytes() == (
        output_dir / cable_file(reference_id, ".ttl")
    ).read_bytes()
    jsonld = stem.with_name(stem.name + ".jsonld").read_bytes()
    assert jsonld == (output_dir / cable_file(reference_id, ".jsonld")).read_bytes()
    graph = file_graph(output_dir, reference_id)
    assert graph_of(stem.with_name(stem.name + ".nt").read_bytes(), ox.RdfFormat.N_TRIPLES) == graph
    assert jsonld_graph(jsonld) == graph
    page = lxml.html.fromstring(stem.with_name(stem.name + ".html").read_bytes())
    assert json.loads(page.xpath('//script[@type="application/ld+json"]/text()')[0]) == json.loads(
        jsonld
    )


def test_the_site_pages_are_the_server_pages(
    tmp_path_factory: pytest.TempPathFactory, output_dir: Path, site_dir: Path
) -> None:
    store = build_store(tmp_path_factory, output_dir)
    compared = 0
    with running_server(output_dir, store) as (url, _), requests.Session() as http:
        for path, file in html_pages(site_dir):
            r = http.get(url + path, headers={"Accept": "text/html"})
            assert r.status_code == 200, path
            assert r.content == file.read_bytes(), path
            compared += 1
        for path in ("cable/06ASTANA395", "post/Embassy_Astana", "dataset"):
            for ext in (".ttl", ".jsonld", ".nt"):
                local = (site_dir / (path + ext)).read_bytes()
                served = http.get(url + path + ext).content
                if ext == ".jsonld":
                    assert jsonld_graph(local) == jsonld_graph(served), path + ext
                else:
                    assert graph_of(local, _fmt(ext)) == graph_of(served, _fmt(ext)), path + ext
    assert compared > len(CABLES) + 100


def _fmt(ext: str) -> ox.RdfFormat:
    return ox.RdfFormat.TURTLE if ext == ".ttl" else ox.RdfFormat.N_TRIPLES


def test_the_site_is_deterministic_and_removes_stale_files(
    tmp_path: Path, output_dir: Path, site_dir: Path
) -> None:
    again = tmp_path / "again"
    write_site(output_dir, again, SiteOptions(Settings(), SITE_URL, jobs=1))
    first, second = tree(site_dir), tree(again)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    stale = again / "cable" / "99STALE1.html"
    stale.write_text("old")
    with (again / LISTING).open("a", encoding="utf-8") as f:
        f.write("cable/99STALE1.html\n")
    (again / "mine.txt").write_text("not ours")
    summary = write_site(output_dir, again, SiteOptions(Settings(), SITE_URL, jobs=1))
    assert summary.removed == 1 and not stale.exists() and (again / "mine.txt").exists()
    (again / "mine.txt").unlink()
    assert tree(again) == first


def test_the_sitemap_lists_every_page(site_dir: Path) -> None:
    root = lxml.etree.fromstring((site_dir / "sitemap.xml").read_bytes())
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = root.xpath("//s:url/s:loc/text()", namespaces=ns)
    assert locs == sorted(locs)
    expected = {SITE_URL + path for path, _ in html_pages(site_dir)}
    assert set(locs) == expected
    assert (
        site_dir / "robots.txt"
    ).read_text() == f"User-agent: *\nSitemap: {SITE_URL}sitemap.xml\n"


def test_the_server_configuration_covers_aliases_parts_and_negotiation(site_dir: Path) -> None:
    apache = (site_dir / ".htaccess").read_text()
    assert (
        f"RewriteRule ^alias/{ALIAS}(\\.html|\\.ttl|\\.jsonld|\\.nt)?$ /cable/08MANAMA492$1 [R=301,L]"
        in apache
    )
    assert (
        "RewriteRule ^cable/([^/]+)/(p|u|ref|recipient|version)/([^/]+)(/.*)?$ /cable/$1#$2-$3 [R=303,NE,L]"
        in apache
    )
    assert (
        "RewriteCond %{HTTP_ACCEPT} text/turtle" in apache and "AddType text/turtle .ttl" in apache
    )
    nginx = (site_dir / "nginx-cablerdf.conf").read_text()
    assert (
        f"location ~ ^/alias/{ALIAS}(\\.html|\\.ttl|\\.jsonld|\\.nt)?$ {{ return 301 /cable/08MANAMA492$1; }}"
        in nginx
    )
    assert "return 303 /cable/$1#$2-$3;" in nginx
    assert "try_files $uri$cablerdf_ext $uri.html $uri =404;" in nginx
    alias_page = lxml.html.fromstring((site_dir / "alias" / f"{ALIAS}.html").read_bytes())
    assert alias_page.xpath("//meta[@http-equiv='refresh']/@content") == [
        "0; url=../cable/08MANAMA492"
    ]
    assert alias_page.xpath("//link[@rel='canonical']/@href") == [BASE + "cable/08MANAMA492"]


def test_a_site_under_a_sub_path_configures_that_path(tmp_path: Path) -> None:
    from cablerdf.site import apache_config, nginx_config

    apache = apache_config("https://example.org/cablegate/", {"alias/X": "cable/Y"})
    assert "RewriteBase /cablegate/" in apache and "/cablegate/cable/Y$1 [R=301,L]" in apache
    nginx = nginx_config("https://example.org/cablegate/", {})
    assert "location /cablegate/ {" in nginx and "error_page 404 /cablegate/404.html;" in nginx


# ---- the pages themselves -------------------------------------------------------------------


@pytest.mark.parametrize("reference_id", CABLES)
def test_each_page_cites_the_cable_and_each_paragraph(
    site_dir: Path, output_dir: Path, reference_id: str
) -> None:
    page = lxml.html.fromstring(
        (site_dir / "cable" / f"{iris.segment(reference_id)}.html").read_bytes()
    )
    cable = BASE + f"cable/{iris.segment(reference_id)}"
    paragraphs = [
        t.object.value
        for t in file_graph(output_dir, reference_id)
        if t.subject == ox.NamedNode(cable) and t.predicate.value.endswith("pattern#contains")
    ]
    blocks = page.xpath('//div[@class="cite"]')
    assert len(blocks) == 1 + len(paragraphs)
    cited = []
    for block in blocks:
        plain, bibtex, csl = (pre.text_content() for pre in block.xpath("./pre"))
        items = json.loads(csl)
        assert len(items) == 1 and items[0]["number"] == reference_id
        iri = items[0]["URL"]
        cited.append(iri)
        assert plain.endswith(" " + iri) and reference_id in plain
        assert bibtex.startswith("@misc{cable-") and f"  url = {{{iri}}}" in bibtex
        depth = 0
        for c in bibtex.replace("\\{", "").replace("\\}", ""):
            depth += {"{": 1, "}": -1}.get(c, 0)
            assert depth >= 0
        assert depth == 0
    assert sorted(cited) == sorted([cable, *paragraphs])
    sections = page.xpath('//section[@class="para"]')
    assert [s.xpath('.//a[@class="pil"]/@href')[0] for s in sections] == [
        c for c in cited if c != cable
    ]
    ids = page.xpath("//@id")
    assert len(ids) == len(set(ids)), "ids are unique"


def test_the_hostile_cable_is_text_on_the_page(site_dir: Path) -> None:
    data = (site_dir / "cable" / f"{HOSTILE}.html").read_bytes()
    assert b"<script>alert" not in data and b"<img" not in data and b"</textarea><" not in data
    page = lxml.html.fromstring(data)
    assert [s.get("type") for s in page.xpath("//script")] == ["application/ld+json"]
    text = page.text_content()
    assert "<script>alert(1)</script>" in text and "</textarea><img src=x onerror=alert(2)>" in text
    assert "\u2028" not in page.xpath("//script")[0].text
    assert "KAZAKHSTAN: <script>" in page.xpath("string(//title)")


def test_every_page_is_self_contained_and_readable_on_a_phone(site_dir: Path) -> None:
    count = 0
    for _, file in html_pages(site_dir):
        page = lxml.html.fromstring(file.read_bytes())
        count += 1
        assert page.get("lang") == "en"
        assert page.xpath("//meta[@name='viewport']/@content") == [
            "width=device-width, initial-scale=1"
        ], file
        assert page.xpath("//meta[@http-equiv='Content-Security-Policy']/@content") == [
            pages.CONTENT_SECURITY_POLICY
        ]
        assert [s.text for s in page.xpath("//style")] == [pages.CSS]
        assert not page.xpath("//script[@src] | //link[@rel='stylesheet'] | //img | //iframe")
        assert {s.get("type") for s in page.xpath("//script")} <= {"application/ld+json"}
        assert len(page.xpath("//h1")) == 1, file
        for script in page.xpath("//script"):
            json.loads(script.text)
    assert count > len(CABLES)
    assert "@media (max-width:40rem)" in pages.CSS and "url(" not in pages.CSS


def test_the_404_page_links_home_absolutely(site_dir: Path) -> None:
    page = lxml.html.fromstring((site_dir / "404.html").read_bytes())
    assert SITE_URL + "browse" in page.xpath("//a/@href")


# ---- helpers --------------------------------------------------------------------------------

RELATIVE = [
    ("cable/06ASTANA395", "cable/06ASTANA395#p-8", "06ASTANA395#p-8"),
    ("cable/06ASTANA395", "post/Embassy_Astana", "../post/Embassy_Astana"),
    ("cable/06ASTANA395/p/8", "cable/06ASTANA395#p-8", "../../06ASTANA395#p-8"),
    ("", "browse", "browse"),
    ("browse", "", "./"),
    ("browse/tag/PREL", "browse/tag", "../tag"),
    ("browse/tag/PREL/page/2", "browse/tag/PREL", "../../PREL"),
    ("cable/X", "a:b", "../a:b"),
    ("x", "a:b", "./a:b"),
]


@pytest.mark.parametrize(("here", "there", "expected"), RELATIVE)
def test_relative_links(here: str, there: str, expected: str) -> None:
    assert pages.relative(here, there) == expected


SEGMENT = st.text(alphabet="abcXYZ09-_.,%!:", min_size=1, max_size=6).filter(
    lambda s: s not in (".", "..")
)


@given(st.lists(SEGMENT, max_size=4), st.lists(SEGMENT, max_size=4))
@settings(max_examples=400)
def test_relative_links_resolve_to_their_target(here: list[str], there: list[str]) -> None:
    root = "http://h/site/"
    from_path, to_path = "/".join(here), "/".join(there)
    assert urljoin(root + from_path, pages.relative(from_path, to_path)) == root + to_path


@pytest.mark.parametrize(
    ("key", "anchor"),
    [
        ("p/8", "p-8"),
        ("p/12,2", "p-12,2"),
        ("u/1", "u-1"),
        ("p/8/span/removed/1", "p-8"),
        ("header", "header"),
        ("ref/2", "ref-2"),
        ("version/abc/p/3", "version-abc"),
    ],
)
def test_anchors(key: str, anchor: str) -> None:
    assert pages.anchor_for(key) == anchor


def test_json_in_a_script_cannot_close_it() -> None:
    text = pages.json_for_script({"a": "</script><script>alert(1)</script>&\u2028\u2029"})
    assert "</" not in text and "<" not in text and "\u2028" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><script>alert(1)</script>&\u2028\u2029"}


def test_a_citation_without_title_origin_or_date_still_names_the_cable(output_dir: Path) -> None:
    triples = file_graph(output_dir, "06ASTANA395")
    view = pages.cable_view(triples, BASE + "cable/06ASTANA395")
    assert view is not None
    bare = dataclasses.replace(
        view, title=None, origin_label=None, created=None, versions=(), header=pages.HeaderView()
    )
    c = pages.citations(bare, bare.paragraphs[0])
    assert c.plain == (
        f"Diplomatic cable 06ASTANA395, undated, paragraph 1. Cablegate, published by WikiLeaks. "
        f"{BASE}cable/06ASTANA395/p/1"
    )
    assert "year" not in c.bibtex and "issued" not in json.loads(c.csl_json)[0]


@given(st.text(max_size=80))
@settings(max_examples=200)
def test_slugs_are_safe_segments(text: str) -> None:
    s = pages.slug(text)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s) or s == "unknown"


def test_a_site_of_an_empty_output_is_only_the_frame(tmp_path: Path) -> None:
    output = tmp_path / "output"
    (output / "cables").mkdir(parents=True)
    summary = write_site(output, tmp_path / "site", SiteOptions(Settings()))
    assert summary.cables == 0 and summary.diagnostics == ()
    assert (tmp_path / "site" / "index.html").is_file()


def test_an_unreadable_cable_file_is_reported_and_skipped(tmp_path: Path, output_dir: Path) -> None:
    output = tmp_path / "output"
    shutil.copytree(output_dir / "cables" / "06", output / "cables" / "06")
    (output / "cables" / "06" / "06ASTANA395.ttl").write_text("this is not turtle")
    summary = write_site(output, tmp_path / "site", SiteOptions(Settings()))
    assert [d.code for d in summary.diagnostics] == ["store.unreadable"]
    assert summary.diagnostics[0].reference_id == "06ASTANA395"
    assert not (tmp_path / "site" / "cable" / "06ASTANA395.html").exists()
    assert summary.cables == len(list((output / "cables" / "06").glob("*.ttl"))) - 1


# ---- any graph: pages never fail and always escape ---------------------------------------------

TEXT = st.text(max_size=40)
CR = "https://w3id.org/cablegate/ontology#"


@st.composite
def cable_graphs(draw: st.DrawFn) -> tuple[str, list[ox.Triple]]:
    """A cable graph with arbitrary texts where the mapping writes literals, and paragraphs
    with arbitrary numbers, markings, positions and texts."""
    from cablerdf import vocab

    cable = ox.NamedNode(BASE + "cable/" + iris.segment(draw(st.text(min_size=1, max_size=12))))
    triples = [ox.Triple(cable, vocab.RDF.type, vocab.CR.Cable)]
    for predicate in (
        vocab.DCT.identifier,
        vocab.DCT.title,
        vocab.DCT.created,
        vocab.DCT.issued,
        vocab.CR.classification,
        vocab.CR.tagsAsPrinted,
        vocab.CR.signer,
        vocab.DCT.abstract,
        vocab.CR.classifiedBy,
        vocab.CR.executiveOrder,
        vocab.CR.subjectPortionMarking,
    ):
        for value in draw(st.lists(TEXT, max_size=2)):
            triples.append(ox.Triple(cable, predicate, ox.Literal(value)))
    for k, (number, marking, text, position) in enumerate(
        draw(st.lists(st.tuples(TEXT, TEXT, TEXT, TEXT), max_size=4))
    ):
        paragraph = ox.NamedNode(f"{cable.value}/p/{iris.segment(number)},{k + 2}")
        triples += [
            ox.Triple(cable, vocab.PO.contains, paragraph),
            ox.Triple(paragraph, vocab.FABIO.hasSequenceIdentifier, ox.Literal(number)),
            ox.Triple(paragraph, vocab.CR.portionMarking, ox.Literal(marking)),
            ox.Triple(paragraph, vocab.C4O.hasContent, ox.Literal(text)),
            ox.Triple(paragraph, vocab.SCHEMA.position, ox.Literal(position)),
        ]
    origin = ox.NamedNode(BASE + "post/" + iris.name_segment(draw(TEXT)))
    triples += [
        ox.Triple(cable, vocab.CR.origin, origin),
        ox.Triple(origin, vocab.RDFS.label, ox.Literal(draw(TEXT))),
    ]
    return cable.value, triples


@given(cable_graphs())
@settings(max_examples=150, deadline=None)
def test_any_cable_graph_gives_a_page_that_escapes_its_texts(
    graph: tuple[str, list[ox.Triple]],
) -> None:
    cable, triples = graph
    view = pages.cable_view(triples, cable)
    assert view is not None
    page = pages.cable_page(view, BASE, {"@id": cable, "text": "</script><script>x()</script>"})
    doc = lxml.html.fromstring(page.html)
    assert [s.get("type") for s in doc.xpath("//script")] == ["application/ld+json"]
    assert not doc.xpath("//img | //iframe | //*[@*[starts-with(name(), 'on')]]")
    assert json.loads(doc.xpath("//script")[0].text)["text"] == "</script><script>x()</script>"
    for p in view.paragraphs:
        assert json.loads(pages.citations(view, p).csl_json)[0]["URL"] == p.iri
    catalogue = pages.Catalogue(
        [e for e in [pages.catalogue_entry(pages.GraphIndex(triples), cable)] if e]
    )
    for rest in (["tag"], ["created"], ["classification"], ["origin"], []):
        assert pages.browse_page(BASE, catalogue, rest) is not None
    for key in catalogue.classifications:
        listed = pages.browse_page(BASE, catalogue, ["classification", key])
        assert listed is not None and pages.cable_path(view.reference_id) in listed.html


def test_the_site_command(tmp_path: Path, output_dir: Path) -> None:
    from click.testing import CliRunner

    from cablerdf.cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["site", str(output_dir), "--out", str(tmp_path / "s"), "-j", "2"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert re.search(r"site: wrote \d+ file\(s\): 279 cable\(s\)", result.stderr)
    bad = runner.invoke(
        main, ["site", str(output_dir), "--out", str(tmp_path / "t"), "--site-url", "ftp://x"]
    )
    assert bad.exit_code == 2 and "--site-url" in bad.stderr
    blocked = tmp_path / "file"
    blocked.write_text("a file, not a folder")
    failed = runner.invoke(main, ["site", str(output_dir), "--out", str(blocked / "sub")])
    assert failed.exit_code == 3 and "could not write the site folder" in failed.stderr
