"""The linked-data server, for real on loopback: content negotiation against the files of the
output folder, paragraph IRIs, aliases, helpful 404s, SPARQL with its limits, the request
limits, and the one error shape.

The output folder is the shared corpus and the two invented texts of ``tests/data/serve/``,
converted once per session (:func:`build_output`); ``test_site.py`` and ``test_browser.py``
use the same helpers.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import lxml.html
import pyoxigraph as ox
import pytest
import requests
from conftest import CORPUS, REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cablerdf import iris, pages
from cablerdf.convert import ConvertOptions, convert
from cablerdf.export import cable_file
from cablerdf.serve import (
    HTML,
    JSONLD,
    NTRIPLES,
    RDF_OFFERS,
    TURTLE,
    LinkedDataApp,
    ServeOptions,
    catalogue_from_store,
    ensure_store,
    make_server,
    negotiate,
    path_problem,
    serve_in_thread,
)
from cablerdf.settings import DEFAULT_BASE, Settings
from cablerdf.store import open_store

DATA = REPO / "tests" / "data" / "serve"
BASE = DEFAULT_BASE
HOSTILE = "06ASTANA605"  # tests/data/serve: a cable text full of markup
ALIAS = "08ECTION01OF02MANAMA492"  # tests/data/serve: a misprinted ID of 08MANAMA492
PROBLEM_KEYS = {"type", "status", "title", "code", "detail", "hint", "instance", "suggestions"}


# ---- shared helpers (also used by test_site.py and test_browser.py) -----------------------


def build_output(factory: pytest.TempPathFactory) -> Path:
    """The corpus and the serve fixtures converted into one output folder, once a session."""
    folder = factory.getbasetemp() / "serve-output"
    if not (folder / "void.ttl").is_file():
        options = ConvertOptions(checker=None, jobs=2, source_date_epoch=0)
        summary = convert([str(CORPUS), str(DATA)], folder, options)
        assert summary.cables > 270, summary.line()
    return folder


def build_store(factory: pytest.TempPathFactory, output: Path) -> Path:
    store_dir = factory.getbasetemp() / "serve-output.store"
    ensure_store(output, store_dir, Settings())
    return store_dir


@contextlib.contextmanager
def running_server(
    output: Path, store_dir: Path, **limits: Any
) -> Iterator[tuple[str, LinkedDataApp]]:
    """The server on a free loopback port, in a thread; yields its URL and the app."""
    options = ServeOptions(output, store_dir, Settings(), **limits)
    app = LinkedDataApp.open(options)
    server = make_server(app, "127.0.0.1", 0, threads=8, base=BASE)
    serve_in_thread(server)
    try:
        yield f"http://127.0.0.1:{server.server_port}/", app
    finally:
        server.shutdown()
        server.server_close()
        app.close()


def cable_ids(output: Path) -> list[str]:
    return sorted(pages.iris_unquote(p.stem) for p in (output / "cables").glob("*/*.ttl"))


def graph_of(data: bytes, fmt: ox.RdfFormat) -> set[ox.Triple]:
    return {q.triple for q in ox.parse(data, fmt)}


def file_graph(output: Path, reference_id: str) -> set[ox.Triple]:
    return graph_of((output / cable_file(reference_id, ".ttl")).read_bytes(), ox.RdfFormat.TURTLE)


def jsonld_graph(data: bytes) -> set[ox.Triple]:
    """A JSON-LD document as triples, its context read from the packaged file."""
    from cablerdf.export import context_document

    document = json.loads(data)
    document["@context"] = context_document()["@context"]
    return graph_of(json.dumps(document).encode(), ox.RdfFormat.JSON_LD)


def raw_request(url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes (no client-side path normalisation) and read the whole answer."""
    host, port = url.split("//")[1].rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(request)
        chunks = []
        while True:
            block = s.recv(65536)
            if not block:
                break
            chunks.append(block)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    return status, headers, body


def raw_get(
    url: str, path: str, accept: str = "application/json"
) -> tuple[int, dict[str, str], bytes]:
    return raw_request(url, f"GET {path} HTTP/1.0\r\nAccept: {accept}\r\n\r\n".encode("latin-1"))


def assert_problem(
    status: int, headers: dict[str, str], body: bytes, expected: int
) -> dict[str, Any]:
    """The one error shape: problem+json with exactly the pinned keys."""
    assert status == expected, body[:300]
    assert headers["content-type"].startswith("application/problem+json"), headers
    problem: dict[str, Any] = json.loads(body)
    assert set(problem) == PROBLEM_KEYS
    assert problem["status"] == expected
    assert re.fullmatch(r"(http|sparql)\.[a-z-]+", problem["code"]), problem["code"]
    assert problem["detail"] and problem["hint"] and problem["title"]
    assert isinstance(problem["suggestions"], list)
    return problem


# ---- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def output_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_output(tmp_path_factory)


@pytest.fixture(scope="session")
def store_dir(tmp_path_factory: pytest.TempPathFactory, output_dir: Path) -> Path:
    return build_store(tmp_path_factory, output_dir)


@pytest.fixture(scope="module")
def server(output_dir: Path, store_dir: Path) -> Iterator[tuple[str, LinkedDataApp]]:
    with running_server(
        output_dir,
        store_dir,
        query_timeout=3.0,
        max_results=500,
        max_body=64 * 1024,
        max_uri=4096,
    ) as running:
        yield running


@pytest.fixture(scope="module")
def url(server: tuple[str, LinkedDataApp]) -> str:
    return server[0]


def all_cables() -> list[str]:
    """The cables of the output, known before the output exists: the corpus manifest's IDs
    and the fixtures' canonical IDs."""
    rows = (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    ids = {r.split("\t")[1] for r in rows if "\t" in r}
    return sorted(ids | {HOSTILE, "08MANAMA492"})


CABLES = all_cables()


def test_the_output_holds_every_cable_of_the_corpus_and_the_fixtures(output_dir: Path) -> None:
    assert cable_ids(output_dir) == CABLES


# ---- content negotiation -------------------------------------------------------------------

NEGOTIATION = [
    (None, HTML),
    ("", HTML),
    ("*/*", HTML),
    ("text/html", HTML),
    ("text/turtle", TURTLE),
    ("application/ld+json", JSONLD),
    ("application/n-triples", NTRIPLES),
    ("application/json", JSONLD),
    ("text/plain", NTRIPLES),
    ("application/xhtml+xml", HTML),
    ("text/*", HTML),
    ("text/turtle;q=0.5, application/ld+json;q=0.9", JSONLD),
    ("text/html;q=0.1, text/turtle", TURTLE),
    ("text/turtle, */*;q=0.1", TURTLE),
    ("*/*;q=0.1, application/n-triples;q=0.2", NTRIPLES),
    ("text/*;q=0.9, text/html;q=0", TURTLE),
    ("text/turtle;q=0, */*", HTML),
    ('application/ld+json; profile="x"; q=0.7, text/turtle; q=0.7', TURTLE),
    ("TEXT/TURTLE", TURTLE),
    ("image/png", None),
    ("text/html;q=0", None),
    ("application/rdf+xml", None),
    ("text/turtle;q=bogus", None),
    ("garbage", None),
    (",,;;", None),
]


@pytest.mark.parametrize(("accept", "expected"), NEGOTIATION)
def test_negotiation_reads_q_values_and_specificity(
    accept: str | None, expected: str | None
) -> None:
    from cablerdf.serve import ALIASES

    assert negotiate(accept, RDF_OFFERS, ALIASES) == expected


@given(st.text(max_size=200))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_negotiation_never_raises(accept: str) -> None:
    assert negotiate(accept, RDF_OFFERS) in (*RDF_OFFERS, None)


@pytest.mark.parametrize("reference_id", CABLES)
def test_each_cable_in_each_format_is_the_graph_of_its_files(
    url: str, output_dir: Path, reference_id: str
) -> None:
    path = f"cable/{iris.segment(reference_id)}"
    ttl = (output_dir / cable_file(reference_id, ".ttl")).read_bytes()
    jsonld = (output_dir / cable_file(reference_id, ".jsonld")).read_bytes()
    expected = graph_of(ttl, ox.RdfFormat.TURTLE)
    with requests.Session() as http:
        r = http.get(url + path, headers={"Accept": "text/turtle"})
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/turtle")
        assert r.content == ttl and "Accept" in r.headers["Vary"]
        r = http.get(url + path, headers={"Accept": "application/ld+json"})
        assert r.headers["Content-Type"] == "application/ld+json" and r.content == jsonld
        assert jsonld_graph(r.content) == expected
        r = http.get(url + path, headers={"Accept": "application/n-triples"})
        assert r.headers["Content-Type"] == "application/n-triples"
        assert graph_of(r.content, ox.RdfFormat.N_TRIPLES) == expected
        r = http.get(url + path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        assert r.status_code == 200 and r.headers["Content-Type"] == "text/html; charset=utf-8"
        doc = lxml.html.fromstring(r.content)
        embedded = doc.xpath('//script[@type="application/ld+json"]/text()')
        assert len(embedded) == 1 and json.loads(embedded[0]) == json.loads(jsonld)
        assert reference_id in doc.xpath("string(//h1)")
        for ext, media in ((".ttl", "text/turtle"), (".jsonld", JSONLD), (".nt", NTRIPLES)):
            r = http.get(url + path + ext, headers={"Accept": "text/html"})
            assert r.status_code == 200 and r.headers["Content-Type"].startswith(media)
            assert "Vary" not in r.headers
        assert (
            http.get(url + path + ".html", headers={"Accept": "text/turtle"})
            .headers["Content-Type"]
            .startswith("text/html")
        )


def test_nothing_acceptable_is_406_with_vary(url: str) -> None:
    r = requests.get(
        url + "cable/06ASTANA395", headers={"Accept": "image/png, application/rdf+xml"}
    )
    problem = assert_problem(
        r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content, 406
    )
    assert problem["code"] == "http.not-acceptable" and "text/turtle" in problem["hint"]
    assert r.headers["Vary"] == "Accept"


def test_an_unknown_extension_is_not_found(url: str) -> None:
    assert requests.get(url + "cable/06ASTANA395.xml").status_code == 404


def test_head_gives_the_headers_of_get_without_a_body(url: str) -> None:
    got = requests.get(url + "cable/06ASTANA395", headers={"Accept": "text/turtle"})
    head = requests.head(url + "cable/06ASTANA395", headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == got.headers["Content-Length"]
    assert head.headers["Content-Type"] == got.headers["Content-Type"]


# ---- paragraphs and other parts of a cable -------------------------------------------------


def paragraphs_of(output: Path, reference_id: str) -> list[str]:
    cable = iris.Minter(BASE).cable(reference_id)
    return sorted(
        t.object.value
        for t in file_graph(output, reference_id)
        if t.subject == cable
        and t.predicate.value.endswith("pattern#contains")
        and isinstance(t.object, ox.NamedNode)
    )


@pytest.mark.parametrize("reference_id", CABLES)
def test_paragraph_iris_serve_people_and_rdf_clients(
    url: str, output_dir: Path, reference_id: str
) -> None:
    graph = file_graph(output_dir, reference_id)
    page_path = f"cable/{iris.segment(reference_id)}"
    with requests.Session() as http:
        page = lxml.html.fromstring(http.get(url + page_path).content)
        for paragraph in paragraphs_of(output_dir, reference_id):
            path = paragraph[len(BASE) :]
            r = http.get(url + path, allow_redirects=False, headers={"Accept": "text/html"})
            assert r.status_code == 303 and r.headers["Vary"] == "Accept"
            target = urljoin(url + path, r.headers["Location"])
            anchor = pages.anchor_for(paragraph[len(BASE + page_path) + 1 :])
            assert target == f"{url}{page_path}#{anchor}"
            section = page.get_element_by_id(anchor)
            links = section.xpath('.//a[@class="pil"]/@href')
            assert links == [paragraph]
            r = http.get(url + path, headers={"Accept": "text/turtle"})
            assert r.status_code == 200
            served = graph_of(r.content, ox.RdfFormat.TURTLE)
            own = {t for t in graph if t.subject == ox.NamedNode(paragraph)}
            assert own and own <= served
            assert served <= graph, "a paragraph's triples come from its cable's graph"


def test_parts_of_a_cable_redirect_people_to_their_anchor(url: str) -> None:
    cases = {
        "cable/06ASTANA395/header": "cable/06ASTANA395#header",
        "cable/06ASTANA395/ref/1": "cable/06ASTANA395#ref-1",
        "cable/06ASTANA395/p/8/span": "cable/06ASTANA395#p-8",
        "graph/06ASTANA395": "cable/06ASTANA395",
    }
    for path, expected in cases.items():
        r = requests.get(url + path, allow_redirects=False)
        assert r.status_code == 303, path
        assert urljoin(url + path, r.headers["Location"]) == url + expected
    r = requests.get(url + "graph/06ASTANA395", headers={"Accept": "text/turtle"})
    assert r.content == requests.get(url + "cable/06ASTANA395.ttl").content
    r = requests.get(url + "cable/06ASTANA395/p/99", headers={"Accept": "text/turtle"})
    assert r.status_code == 404


# ---- aliases and unknown IDs ----------------------------------------------------------------


def test_an_alias_redirects_permanently_to_the_canonical_cable(url: str) -> None:
    for ext in ("", ".ttl"):
        r = requests.get(url + f"alias/{ALIAS}{ext}", allow_redirects=False)
        assert r.status_code == 301
        assert urljoin(url + "alias/x", r.headers["Location"]) == url + f"cable/08MANAMA492{ext}"
    r = requests.get(url + f"cable/{ALIAS}", allow_redirects=False)
    assert r.status_code == 301
    r = requests.get(url + "cable/06astana395", allow_redirects=False)
    assert r.status_code == 301 and r.headers["Location"] == "06ASTANA395"
    page = requests.get(url + "cable/08MANAMA492").text
    assert f"{BASE}alias/{ALIAS}" in page


def test_a_published_id_missing_here_says_so(url: str) -> None:
    r = requests.get(url + "cable/06ASTANA30")
    problem = assert_problem(
        r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content, 404
    )
    assert problem["code"] == "http.cable-not-in-edition"
    assert "06ASTANA30 is a published cable ID (created" in problem["detail"]


def test_an_unknown_id_suggests_close_ids(url: str) -> None:
    r = requests.get(url + "cable/06ASTANA305", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.headers["Content-Type"].startswith("text/html")
    doc = lxml.html.fromstring(r.content)
    problem = json.loads(doc.get_element_by_id("problem").text)
    assert problem["code"] == "http.unknown-cable"
    held = [s for s in problem["suggestions"] if s["in_this_edition"]]
    assert {
        "reference_id": "06ASTANA395",
        "path": "cable/06ASTANA395",
        "in_this_edition": True,
    } in held
    assert doc.xpath('//a[text()="06ASTANA395"]/@href') == ["06ASTANA395"]


# ---- other resources ------------------------------------------------------------------------


def test_the_void_description_is_at_the_well_known_path(url: str, output_dir: Path) -> None:
    r = requests.get(url + ".well-known/void", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.content == (output_dir / "void.ttl").read_bytes()
    graph = graph_of(r.content, ox.RdfFormat.TURTLE)
    assert (
        ox.Triple(
            ox.NamedNode(BASE + "dataset"),
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode("http://rdfs.org/ns/void#Dataset"),
        )
        in graph
    )
    r = requests.get(url + ".well-known/void", headers={"Accept": "application/ld+json"})
    assert jsonld_graph(r.content) == graph
    assert requests.get(url + "dataset", headers={"Accept": "text/html"}).status_code == 200


@pytest.mark.parametrize(
    "path",
    ["post/Embassy_Astana", "station/SECSTATE_WASHDC", "country/KZ", "software/cablerdf/0.1.0"],
)
def test_other_data_iris_resolve_in_every_format(url: str, path: str) -> None:
    for media in RDF_OFFERS:
        r = requests.get(url + path, headers={"Accept": media})
        assert r.status_code == 200 and r.headers["Content-Type"].startswith(media)
    triples = graph_of(requests.get(url + path + ".ttl").content, ox.RdfFormat.TURTLE)
    assert any(t.subject == ox.NamedNode(BASE + path) for t in triples)


def test_files_of_the_output_are_served_at_their_paths(url: str, output_dir: Path) -> None:
    for path in ("context/v1.jsonld", "void.ttl", "ontology/cablerdf.ttl", "dumps/cables.nq.gz"):
        r = requests.get(url + path)
        assert r.status_code == 200 and r.content == (output_dir / path).read_bytes(), path
    assert (
        requests.get(url + "ontology", headers={"Accept": "text/turtle"}).content
        == (output_dir / "ontology/cablerdf.ttl").read_bytes()
    )
    page = lxml.html.fromstring(requests.get(url + "ontology").content)
    assert page.get_element_by_id("Cable") is not None


def test_the_catalogue_from_the_store_is_the_catalogue_of_the_files(
    server: tuple[str, LinkedDataApp], output_dir: Path
) -> None:
    app = server[1]
    from_files = []
    for rid in cable_ids(output_dir):
        g = pages.GraphIndex(file_graph(output_dir, rid))
        entry = pages.catalogue_entry(g, iris.Minter(BASE).cable(rid).value)
        assert entry is not None
        from_files.append(entry)
    assert app.catalogue.entries == pages.Catalogue(from_files).entries
    db = open_store(app.options.store, read_only=True)
    assert catalogue_from_store(db, Settings()).entries == app.catalogue.entries


def test_browse_pages_list_the_cables_of_each_group(server: tuple[str, LinkedDataApp]) -> None:
    url, app = server
    catalogue = app.catalogue
    groups = [
        *(f"browse/tag/{k}" for k in catalogue.tags),
        *(f"browse/created/{k}" for k in catalogue.months),
        *(f"browse/classification/{k}" for k in catalogue.classifications),
        *(k[len(BASE) :] for k in catalogue.origins),
    ]
    entries = [
        *catalogue.tags.values(),
        *catalogue.months.values(),
        *catalogue.classifications.values(),
        *catalogue.origins.values(),
    ]
    with requests.Session() as http:
        for path, group in zip(groups, entries, strict=True):
            r = http.get(url + path)
            assert r.status_code == 200, path
            doc = lxml.html.fromstring(r.content)
            links = doc.xpath("//table[thead]/tbody/tr/td[1]/a/@href")
            listed = [urljoin(url + path, h) for h in links]
            expected = [url + pages.cable_path(c.reference_id) for c in group.entries]
            assert listed == expected[: pages.PAGE_SIZE], path
        for facet in pages.FACETS:
            assert http.get(url + f"browse/{facet}").status_code == 200
        assert http.get(url + "browse").status_code == 200
        assert http.get(url + "browse/tag/NO_SUCH_TAG").status_code == 404


# ---- escaping -------------------------------------------------------------------------------


def test_cable_text_is_escaped_everywhere_on_its_page(url: str) -> None:
    r = requests.get(url + f"cable/{HOSTILE}")
    assert r.status_code == 200
    assert b"<script>alert" not in r.content and b"<img" not in r.content
    assert b"</textarea><" not in r.content
    doc = lxml.html.fromstring(r.content)
    scripts = doc.xpath("//script")
    assert [s.get("type") for s in scripts] == ["application/ld+json"]
    assert not doc.xpath("//*[@*[starts-with(name(), 'on')]]")
    text = doc.text_content()
    assert "<script>alert(1)</script>" in text and '<script>alert("subject")</script>' in text
    jsonld = json.loads(scripts[0].text)
    assert jsonld == requests.get(url + f"cable/{HOSTILE}.jsonld").json()
    assert (
        "Content-Security-Policy" in r.headers
        and "script-src" not in r.headers["Content-Security-Policy"]
    )
    assert r.headers["X-Content-Type-Options"] == "nosniff"


# ---- SPARQL ---------------------------------------------------------------------------------

SELECT = (
    "PREFIX dct: <http://purl.org/dc/terms/> SELECT ?c ?id WHERE { ?c dct:identifier ?id . "
    "FILTER(STRSTARTS(STR(?c), 'https://w3id.org/cablegate/cable/')) } ORDER BY ?id LIMIT 40"
)
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def direct_rows(store_dir: Path, query: str) -> list[tuple[str, ...]]:
    db = open_store(store_dir, read_only=True)
    results = db.query(query, use_default_graph_as_union=True)
    assert isinstance(results, ox.QuerySolutions)
    return [tuple(str(s[v]) for v in results.variables) for s in results]


def parsed_rows(data: bytes, fmt: ox.QueryResultsFormat) -> list[tuple[str, ...]]:
    results = ox.parse_query_results(data, fmt)
    assert isinstance(results, ox.QuerySolutions)
    return [tuple(str(s[v]) for v in results.variables) for s in results]


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
        ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
        ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
    ],
)
def test_sparql_get_and_post_answer_like_the_store(
    url: str, store_dir: Path, accept: str, fmt: ox.QueryResultsFormat
) -> None:
    expected = direct_rows(store_dir, SELECT)
    assert len(expected) == 40
    answers = [
        requests.get(url + "sparql", params={"query": SELECT}, headers={"Accept": accept}),
        requests.post(url + "sparql", data={"query": SELECT}, headers={"Accept": accept}),
        requests.post(
            url + "sparql",
            data=SELECT.encode(),
            headers={"Accept": accept, "Content-Type": "application/sparql-query"},
        ),
    ]
    for r in answers:
        assert r.status_code == 200, r.text[:300]
        assert r.headers["Content-Type"].startswith(accept)
        assert parsed_rows(r.content, fmt) == expected


def test_sparql_csv_ask_and_construct(url: str) -> None:
    r = requests.get(url + "sparql", params={"query": SELECT}, headers={"Accept": "text/csv"})
    lines = r.text.splitlines()
    assert lines[0] == "c,id" and len(lines) == 41 and lines[1].startswith(BASE + "cable/")
    r = requests.get(url + "sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert r.json() == {"head": {}, "boolean": True}
    construct = "CONSTRUCT { ?c ?p ?o } WHERE { ?c a <https://w3id.org/cablegate/ontology#Cable> ; ?p ?o } LIMIT 30"
    r = requests.get(url + "sparql", params={"query": construct}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and len(graph_of(r.content, ox.RdfFormat.TURTLE)) == 30
    r = requests.get(url + "sparql", params={"query": construct}, headers={"Accept": "text/html"})
    assert r.status_code == 200 and "<pre>" in r.text
    r = requests.get(url + "sparql", params={"query": SELECT}, headers={"Accept": "text/html"})
    assert len(lxml.html.fromstring(r.content).xpath("//table/tbody/tr")) == 40


def test_sparql_result_size_is_bounded(url: str) -> None:
    r = requests.get(url + "sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    problem = assert_problem(
        r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content, 422
    )
    assert problem["code"] == "sparql.too-many-results" and "LIMIT" in problem["hint"]
    r = requests.get(url + "sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 500"})
    assert r.status_code == 200 and len(r.json()["results"]["bindings"]) == 500


def test_sparql_query_time_is_bounded_and_the_endpoint_recovers(url: str) -> None:
    started = time.monotonic()
    r = requests.get(url + "sparql", params={"query": HEAVY})
    elapsed = time.monotonic() - started
    problem = assert_problem(
        r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content, 503
    )
    assert problem["code"] == "sparql.timeout"
    assert 2.5 < elapsed < 10, elapsed
    r = requests.get(url + "sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert r.status_code == 200 and r.json()["boolean"] is True
    r = requests.get(url + "cable/06ASTANA395", headers={"Accept": "text/turtle"})
    assert r.status_code == 200


def test_sparql_errors_and_updates(url: str) -> None:
    r = requests.get(url + "sparql", params={"query": "SELECT * WHERE { ?s ?p"})
    problem = assert_problem(
        r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content, 400
    )
    assert problem["code"] == "sparql.syntax-error" and "^" in problem["hint"]
    r = requests.get(url + "sparql", headers={"Accept": "application/json"})
    assert (
        assert_problem(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content, 400)[
            "code"
        ]
        == "sparql.missing-query"
    )
    assert requests.get(url + "sparql", headers={"Accept": "text/html"}).status_code == 200
    r = requests.post(url + "sparql", data={"update": "DROP ALL"})
    assert r.status_code == 405
    r = requests.post(url + "sparql", data=b"x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    r = requests.get(url + "sparql", params={"query": SELECT}, headers={"Accept": "image/png"})
    assert r.status_code == 406


# ---- limits ---------------------------------------------------------------------------------

TRAVERSALS = [
    "/../../etc/passwd",
    "/cable/../../etc/passwd",
    "/cable/%2e%2e/%2e%2e/etc/passwd",
    "/cable/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/dumps/..%2f..%2fetc%2fpasswd",
    "/context/%2e%2e",
    "/context/.",
    "/cables/%2Fetc%2Fpasswd",
    "/dumps/..\\..\\etc\\passwd",
    "/dumps/%5c..%5cetc",
    "/void.ttl%00.html",
    "/cable//06ASTANA395",
    "etc/passwd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_rejected(url: str, path: str) -> None:
    status, headers, body = raw_get(url, path)
    problem = assert_problem(status, headers, body, 400)
    assert problem["code"] in ("http.bad-path", "http.bad-request")
    assert b"root:" not in body


def test_a_doubled_leading_slash_never_reaches_a_file(url: str) -> None:
    status, headers, body = raw_get(url, "//etc/passwd")
    assert status in (400, 404) and b"root:" not in body
    assert_problem(status, headers, body, status)


def test_absolute_form_targets_are_read_as_their_path(url: str) -> None:
    status, headers, body = raw_get(url, "http://example.org/../etc/passwd")
    assert_problem(status, headers, body, 400)
    status, headers, body = raw_get(url, "http://example.org/cable/06ASTANA395", "text/turtle")
    assert status == 200 and body.startswith(b"@prefix")


@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=60))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_path_problem_never_raises(path: str) -> None:
    found = path_problem("/" + path)
    assert found is None or isinstance(found, str)
    if ".." in path.split("/"):
        assert found is not None


def test_oversized_requests_are_rejected(url: str) -> None:
    r = requests.get(url + "cable/" + "A" * 5000)
    problem = assert_problem(
        r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content, 414
    )
    assert problem["code"] == "http.uri-too-long"
    r = requests.post(
        url + "sparql", data=b"#" * 100_000, headers={"Content-Type": "application/sparql-query"}
    )
    assert (
        assert_problem(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content, 413)[
            "code"
        ]
        == "http.body-too-large"
    )
    status, headers, body = raw_request(
        url, b"POST /sparql HTTP/1.0\r\nContent-Type: application/sparql-query\r\n\r\n"
    )
    assert_problem(status, headers, body, 411)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "POST", "PROPFIND"])
def test_the_server_is_read_only(url: str, method: str) -> None:
    r = requests.request(method, url + "cable/06ASTANA395", data=b"x")
    problem = assert_problem(
        r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content, 405
    )
    assert problem["code"] == "http.method-not-allowed"
    assert "GET" in r.headers["Allow"]
    assert requests.get(url + "cable/06ASTANA395.ttl").status_code == 200


# ---- the one error shape --------------------------------------------------------------------

ERRORS = [
    ("GET", "/nothing/here", 404),
    ("GET", "/cable/06ASTANA395/p/99", 404),
    ("GET", "/cable/06ASTANA30", 404),
    ("GET", "/browse/nothing", 404),
    ("GET", "/../x", 400),
    ("DELETE", "/cable/06ASTANA395", 405),
    ("GET", "/sparql?query=SELECT", 400),
]


@pytest.mark.parametrize(("method", "path", "status"), ERRORS)
def test_every_error_has_the_one_shape_as_json_and_as_html(
    url: str, method: str, path: str, status: int
) -> None:
    got = raw_request(url, f"{method} {path} HTTP/1.0\r\nAccept: application/json\r\n\r\n".encode())
    problem = assert_problem(*got, status)
    assert problem["instance"] == path.partition("?")[0]
    code, headers, body = raw_request(
        url, f"{method} {path} HTTP/1.0\r\nAccept: text/html\r\n\r\n".encode()
    )
    assert code == status and headers["content-type"].startswith("text/html")
    embedded = json.loads(lxml.html.fromstring(body).get_element_by_id("problem").text)
    assert embedded == problem
    status_b, headers_b, body_b = raw_request(url, b"GET /a b HTTP/1.0\r\n\r\n")
    assert_problem(status_b, headers_b, body_b, 400)


def test_internal_errors_use_the_one_shape(output_dir: Path, store_dir: Path) -> None:
    app = LinkedDataApp.open(ServeOptions(output_dir, store_dir, Settings()), start_queries=False)

    def broken(environ: Any) -> Any:
        raise RuntimeError("boom")

    app.handle = broken  # type: ignore[method-assign]
    seen: list[Any] = []
    body = b"".join(
        app({"REQUEST_METHOD": "GET", "PATH_INFO": "/x"}, lambda s, h: seen.append((s, h)))
    )
    assert seen[0][0] == "500 Internal Server Error"
    problem = json.loads(body)
    assert set(problem) == PROBLEM_KEYS and problem["code"] == "http.internal-error"
    assert "boom" not in body.decode()


@given(
    path=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=40),
    accept=st.text(max_size=40),
)
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_the_app_answers_any_path_without_failing(
    server: tuple[str, LinkedDataApp], path: str, accept: str
) -> None:
    app = server[1]
    from urllib.parse import quote

    raw = "/" + quote(path, safe="/%!,;=:@")
    seen: list[str] = []
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": raw, "HTTP_ACCEPT": accept}
    body = b"".join(app(environ, lambda s, h: seen.append(s)))
    status = int(seen[0].split()[0])
    assert status in (200, 301, 303, 400, 404, 406, 414), (raw, seen)
    if status >= 400 and body.startswith(b"{"):
        assert set(json.loads(body)) == PROBLEM_KEYS


# ---- the command ----------------------------------------------------------------------------


def test_the_command_builds_its_store_binds_loopback_and_serves(
    output_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "fresh.store"
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "cablerdf"),
            "serve",
            str(output_dir),
            "--port",
            "0",
            "--store",
            str(store),
            "-q",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        lines = []
        while True:
            line = process.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
            if "Ctrl-C" in line:
                break
        assert any("built the store" in x for x in lines)
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", lines[-1])
        assert found, lines[-1]
        r = requests.get(found.group(0) + "cable/06ASTANA395", headers={"Accept": "text/turtle"})
        assert r.status_code == 200
        assert (store / "cablerdf-store.json").is_file()
    finally:
        process.terminate()
        process.wait(20)


def test_concurrent_requests_are_all_answered(url: str) -> None:
    paths = [f"cable/{rid}" for rid in CABLES[:60]] * 2
    with concurrent.futures.ThreadPoolExecutor(24) as pool:
        codes = list(pool.map(lambda p: requests.get(url + p).status_code, paths))
    assert codes == [200] * len(paths)


def test_the_command_refuses_a_bad_base_and_a_missing_dump(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cablerdf.cli import main

    runner = CliRunner()
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(main, ["serve", str(empty), "--base", "ftp://x/"])
    assert result.exit_code == 2 and "--base" in result.stderr
    result = runner.invoke(main, ["serve", str(empty), "--port", "0"])
    assert result.exit_code == 3
    assert "dumps/cables.nq.gz is missing" in result.stderr


def test_the_catalogue_is_kept_beside_the_store_and_read_back(
    store_dir: Path, server: tuple[str, LinkedDataApp], tmp_path: Path
) -> None:
    from cablerdf.serve import CATALOGUE_FILE, read_catalogue

    kept = read_catalogue(store_dir / CATALOGUE_FILE)
    assert kept is not None and kept.entries == server[1].catalogue.entries
    broken = tmp_path / CATALOGUE_FILE
    broken.write_text('{"reference_id": "X"}\nnot json\n')
    assert read_catalogue(broken) is None
    assert read_catalogue(tmp_path / "missing.jsonl") is None
