"""The embedded store: reading RDF files into graphs, loading with replacement, queries, and
the ``load`` and ``query`` commands on the embedded store.

The corpus helpers here (:func:`corpus_records`, :func:`corpus_quads`, :func:`build_store`)
are shared with ``test_queries.py`` and ``test_server_load.py``.
"""

from __future__ import annotations

import functools
import gzip
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import CORPUS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cablerdf import iris
from cablerdf.cable_ids import default_index
from cablerdf.cli import main
from cablerdf.mapping import map_records
from cablerdf.model import CableRecord, Diagnostic, Severity
from cablerdf.parsing import parse_documents
from cablerdf.readers import read_inputs
from cablerdf.settings import Settings
from cablerdf.store import (
    VOCABULARY_GRAPH,
    GraphChunk,
    StoreError,
    input_files,
    load_quads,
    open_store,
    query_prefixes,
    read_graphs,
    read_vocabulary,
    render_table,
    run_query,
    store_counts,
    syntax_excerpt,
    vocabulary_dir,
    write_results,
)
from cablerdf.vocab import CR, RDF

SETTINGS = Settings()
MINTER = iris.Minter.for_settings(SETTINGS)

# ---- shared corpus helpers -----------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def corpus_records() -> tuple[CableRecord, ...]:
    """Every record parsed from the shared corpus."""
    assert CORPUS.is_dir(), f"the shared corpus is missing at {CORPUS}; set CABLERDF_SHARED"
    results = parse_documents(read_inputs([str(CORPUS)]), default_index())
    return tuple(r.record for r in results if r.record is not None)


@functools.lru_cache(maxsize=1)
def corpus_quads() -> tuple[ox.Quad, ...]:
    """The corpus mapped to quads (one graph per cable), sorted."""
    return map_records(corpus_records(), SETTINGS).quads


def by_graph(quads: tuple[ox.Quad, ...] | list[ox.Quad]) -> dict[ox.NamedNode, list[ox.Quad]]:
    groups: dict[ox.NamedNode, list[ox.Quad]] = {}
    for q in quads:
        assert isinstance(q.graph_name, ox.NamedNode)
        groups.setdefault(q.graph_name, []).append(q)
    return groups


@functools.lru_cache(maxsize=1)
def vocabulary_quads() -> tuple[ox.Quad, ...]:
    """The ontology and schemes, parsed directly, in the vocabulary graph."""
    folder = vocabulary_dir()
    assert folder is not None
    quads: list[ox.Quad] = []
    for name in ("cablerdf.ttl", "schemes.ttl"):
        for q in ox.parse(path=str(folder / name)):
            quads.append(ox.Quad(q.subject, q.predicate, q.object, VOCABULARY_GRAPH))
    return tuple(quads)


def write_dump(path: Path, quads: tuple[ox.Quad, ...] | list[ox.Quad]) -> Path:
    """Write quads as gzipped N-Quads, as the exporter's dump is written."""
    data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    assert data is not None
    path.write_bytes(gzip.compress(data))
    return path


def build_store(path: Path) -> Path:
    """An embedded store at ``path`` holding the corpus and the vocabulary."""
    store = open_store(path)
    chunks = [(c.graph, c.quads) for c in read_vocabulary(SETTINGS) if isinstance(c, GraphChunk)]
    load_quads(store, [*chunks, *by_graph(corpus_quads()).items()])
    del store
    return path


def all_quads(store: ox.Store) -> set[ox.Quad]:
    return set(store.quads_for_pattern(None, None, None, None))


def cli(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout_bytes.decode("utf-8"), result.stderr


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("store") / "store")


# ---- load_quads ----------------------------------------------------------------------------


def test_load_gives_one_graph_per_cable_and_every_quad(tmp_path: Path) -> None:
    quads = corpus_quads()
    groups = by_graph(quads)
    store = open_store(tmp_path / "s")
    report = load_quads(store, groups.items())
    cables = {r.reference_id for r in corpus_records()}
    assert report.graphs == len(groups) == len(cables)
    assert report.unchanged == 0
    assert report.quads == len(quads)
    assert store_counts(store).graphs == len(cables)
    assert all_quads(store) == set(quads)
    assert {g.value for g in store.named_graphs()} == {MINTER.graph(c).value for c in cables}


def test_loading_twice_changes_nothing(tmp_path: Path) -> None:
    groups = by_graph(corpus_quads())
    store = open_store(tmp_path / "s")
    load_quads(store, groups.items())
    before = all_quads(store)
    report = load_quads(store, groups.items())
    assert (report.graphs, report.unchanged) == (0, len(groups))
    assert all_quads(store) == before
    assert store_counts(store) == store_counts(store)


def test_a_graph_loaded_again_is_replaced_not_merged(tmp_path: Path) -> None:
    groups = by_graph(corpus_quads())
    graph, quads = next(iter(groups.items()))
    store = open_store(tmp_path / "s")
    load_quads(store, groups.items())
    dropped = quads[0]
    added = ox.Quad(ox.NamedNode("https://example.org/s"), RDF.type, CR.Cable, graph)
    changed = [*quads[1:], added]
    report = load_quads(store, [(graph, changed)])
    assert (report.graphs, report.unchanged) == (1, 0)
    assert set(store.quads_for_pattern(None, None, None, graph)) == set(changed)
    assert dropped not in all_quads(store)
    others = [q for g, qs in groups.items() if g != graph for q in qs]
    assert all_quads(store) == set(others) | set(changed)


def test_chunks_of_one_graph_in_one_load_are_added_together(tmp_path: Path) -> None:
    graph, quads = next(iter(by_graph(corpus_quads()).items()))
    store = open_store(tmp_path / "s")
    half = len(quads) // 2
    report = load_quads(store, [(graph, quads[:half]), (graph, quads[half:])])
    assert report.graphs == 1
    assert set(store.quads_for_pattern(None, None, None, graph)) == set(quads)
    # a later load with one chunk replaces the whole graph
    load_quads(store, [(graph, quads[:half])])
    assert set(store.quads_for_pattern(None, None, None, graph)) == set(quads[:half])


def test_quads_are_stored_in_the_graph_they_are_given_with(tmp_path: Path) -> None:
    target = ox.NamedNode("https://example.org/graph")
    s, p = ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p")
    quads = [ox.Quad(s, p, ox.Literal("a")), ox.Quad(s, p, ox.Literal("b"), ox.NamedNode("x:y"))]
    store = open_store(tmp_path / "s")
    load_quads(store, [(target, quads)])
    assert {q.graph_name for q in all_quads(store)} == {target}
    assert len(store) == 2


def test_small_batches_give_the_same_store(tmp_path: Path) -> None:
    groups = dict(list(by_graph(corpus_quads()).items())[:20])
    store = open_store(tmp_path / "s")
    load_quads(store, groups.items(), batch_quads=500)
    assert all_quads(store) == {q for quads in groups.values() for q in quads}


def test_an_empty_graph_is_still_named(tmp_path: Path) -> None:
    graph = ox.NamedNode("https://example.org/empty")
    store = open_store(tmp_path / "s")
    report = load_quads(store, [(graph, [])])
    assert report.graphs == 1
    assert store.contains_named_graph(graph)


def test_a_store_in_use_is_a_store_error(tmp_path: Path) -> None:
    held = open_store(tmp_path / "s")
    with pytest.raises(StoreError, match="another cablerdf process"):
        open_store(tmp_path / "s")
    del held


# ---- reading files -------------------------------------------------------------------------


def chunks_and_diagnostics(
    items: Iterator[GraphChunk | Diagnostic],
) -> tuple[list[GraphChunk], list[Diagnostic]]:
    chunks: list[GraphChunk] = []
    diagnostics: list[Diagnostic] = []
    for item in items:
        (diagnostics if isinstance(item, Diagnostic) else chunks).append(item)  # type: ignore[arg-type]
    return chunks, diagnostics


def test_the_gzipped_dump_reads_back_as_one_chunk_per_graph(tmp_path: Path) -> None:
    dump = write_dump(tmp_path / "cables.nq.gz", corpus_quads())
    chunks, diagnostics = chunks_and_diagnostics(read_graphs(str(dump), SETTINGS))
    assert diagnostics == []
    groups = by_graph(corpus_quads())
    assert [c.graph for c in chunks] == list(groups)
    assert {c.graph: set(c.quads) for c in chunks} == {g: set(q) for g, q in groups.items()}


@pytest.mark.parametrize("suffix", [".nq", ".trig", ".nq.gz"])
def test_quad_formats_read_alike(tmp_path: Path, suffix: str) -> None:
    groups = by_graph(corpus_quads())
    graph, quads = next(iter(groups.items()))
    fmt = ox.RdfFormat.TRIG if suffix == ".trig" else ox.RdfFormat.N_QUADS
    data = ox.serialize(quads, format=fmt)
    assert data is not None
    path = tmp_path / f"one{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    chunks, diagnostics = chunks_and_diagnostics(read_graphs(str(path), SETTINGS))
    assert diagnostics == []
    assert [(c.graph, set(c.quads)) for c in chunks] == [(graph, set(quads))]


def one_cable() -> tuple[str, list[ox.Triple]]:
    graph, quads = next(iter(by_graph(corpus_quads()).items()))
    parsed = MINTER.parse(graph.value)
    assert parsed is not None
    return parsed.key, [q.triple for q in quads]


@pytest.mark.parametrize(
    "fmt,suffix", [(ox.RdfFormat.TURTLE, ".ttl"), (ox.RdfFormat.N_TRIPLES, ".nt")]
)
def test_triples_of_one_cable_go_into_its_graph(
    tmp_path: Path, fmt: ox.RdfFormat, suffix: str
) -> None:
    reference_id, triples = one_cable()
    path = tmp_path / f"cable{suffix}"
    ox.serialize(triples, str(path), fmt, prefixes={"cr": CR.NS})
    chunks, diagnostics = chunks_and_diagnostics(read_graphs(str(path), SETTINGS))
    assert diagnostics == []
    assert [c.graph for c in chunks] == [MINTER.graph(reference_id)]
    assert {q.triple for q in chunks[0].quads} == set(triples)


def test_triples_under_another_base_need_the_base_or_a_graph(tmp_path: Path) -> None:
    _, triples = one_cable()
    path = tmp_path / "cable.ttl"
    ox.serialize(triples, str(path), ox.RdfFormat.TURTLE)
    other = Settings(base="http://localhost:8000/")
    _, diagnostics = chunks_and_diagnostics(read_graphs(str(path), other))
    assert [d.code for d in diagnostics] == ["store.no-graph"]
    assert "--base" in (diagnostics[0].hint or "")
    target = ox.NamedNode("https://example.org/g")
    chunks, diagnostics = chunks_and_diagnostics(read_graphs(str(path), other, target))
    assert diagnostics == []
    assert [c.graph for c in chunks] == [target]


def test_triples_of_several_cables_or_none_are_refused(tmp_path: Path) -> None:
    groups = list(by_graph(corpus_quads()).values())
    two = tmp_path / "two.nt"
    ox.serialize([q.triple for q in groups[0] + groups[1]], str(two), ox.RdfFormat.N_TRIPLES)
    none = tmp_path / "none.ttl"
    none.write_text('<https://example.org/a> <https://example.org/b> "c" .\n')
    for path, what in ((two, "several cables"), (none, "no cable")):
        chunks, diagnostics = chunks_and_diagnostics(read_graphs(str(path), SETTINGS))
        assert chunks == []
        assert [d.code for d in diagnostics] == ["store.no-graph"]
        assert what in diagnostics[0].message
        assert diagnostics[0].severity is Severity.ERROR


def test_default_graph_triples_beside_named_graphs_keep_the_named_graphs(tmp_path: Path) -> None:
    graph, quads = next(iter(by_graph(corpus_quads()).items()))
    stray = ox.Quad(ox.NamedNode("https://example.org/a"), RDF.type, ox.NamedNode("x:T"))
    path = tmp_path / "mixed.nq"
    ox.serialize([stray, *quads], str(path), ox.RdfFormat.N_QUADS)
    chunks, diagnostics = chunks_and_diagnostics(read_graphs(str(path), SETTINGS))
    assert [(c.graph, set(c.quads)) for c in chunks] == [(graph, set(quads))]
    assert [d.code for d in diagnostics] == ["store.no-graph"]


def test_a_syntax_error_keeps_the_graphs_before_it_and_names_the_line(tmp_path: Path) -> None:
    groups = list(by_graph(corpus_quads()).items())[:3]
    lines: list[bytes] = []
    for _, quads in groups:
        data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
        assert data is not None
        lines.extend(data.splitlines(keepends=True))
    broken = len(groups[0][1]) + 3  # a line inside the second graph (1-based)
    lines[broken - 1] = b'<https://example.org/a> <https://example.org/b> "unclosed .\n'
    path = tmp_path / "broken.nq"
    path.write_bytes(b"".join(lines))
    chunks, diagnostics = chunks_and_diagnostics(read_graphs(str(path), SETTINGS))
    assert [c.graph for c in chunks] == [groups[0][0]]
    assert [(d.code, d.line) for d in diagnostics] == [("store.syntax-error", broken)]
    assert groups[1][0].value in diagnostics[0].message


@pytest.mark.parametrize(
    "name,content,code",
    [
        ("data.jsonld", b"{}", "store.unknown-format"),
        ("data.txt", b"", "store.unknown-format"),
        ("cut.nq.gz", gzip.compress(b"<a:b> <a:c> <a:d> <a:g> .\n" * 100)[:40], "store.unreadable"),
        ("plain.nq.gz", b"<a:b> <a:c> <a:d> <a:g> .\n", "store.unreadable"),
        ("latin1.nq", '<a:b> <a:c> "caf\u00e9" <a:g> .\n'.encode("latin-1"), "store.syntax-error"),
        ("blank.nq", b"<a:b> <a:c> <a:d> _:g .\n", "store.blank-graph-name"),
    ],
)
def test_bad_files_are_diagnosed(tmp_path: Path, name: str, content: bytes, code: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    chunks, diagnostics = chunks_and_diagnostics(read_graphs(str(path), SETTINGS))
    assert chunks == []
    assert [d.code for d in diagnostics] == [code]
    assert diagnostics[0].path == str(path)
    assert diagnostics[0].hint


def test_input_files_walk_folders_and_report_missing_paths(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.nq").write_text("")
    (tmp_path / "a" / "y.ttl.gz").write_bytes(gzip.compress(b""))
    (tmp_path / "a" / "notes.md").write_text("")
    (tmp_path / "empty").mkdir()
    found = list(
        input_files([str(tmp_path / "a"), str(tmp_path / "missing"), str(tmp_path / "empty")])
    )
    assert found[:2] == [str(tmp_path / "a" / "x.nq"), str(tmp_path / "a" / "y.ttl.gz")]
    assert [d.code for d in found[2:] if isinstance(d, Diagnostic)] == [
        "store.input-missing",
        "store.no-rdf-files",
    ]


def test_the_vocabulary_is_one_chunk_of_its_own_graph() -> None:
    chunks, diagnostics = chunks_and_diagnostics(read_vocabulary(SETTINGS))
    assert diagnostics == []
    assert [c.graph for c in chunks] == [VOCABULARY_GRAPH]
    assert set(chunks[0].quads) == set(vocabulary_quads())
    rank = ox.NamedNode(CR.NS + "rank")
    secret = iris.concept("level", "S")
    assert (
        ox.Quad(
            secret,
            rank,
            ox.Literal("2", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
            VOCABULARY_GRAPH,
        )
        in chunks[0].quads
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8")),
    suffix=st.sampled_from([".nq", ".nt", ".ttl", ".trig", ".nq.gz"]),
)
def test_reading_never_raises_on_arbitrary_bytes(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"x{suffix}"
        path.write_bytes(data)
        for item in read_graphs(str(path), SETTINGS):
            assert isinstance(item, GraphChunk | Diagnostic)


# ---- queries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query,line,column,excerpt",
    [
        (
            "SELECT ?s\nWHERE {\n  ?s ?p ?o\n  FILTER(?o = )\n}",
            4,
            3,
            "4 |   FILTER(?o = )\n  |   ^",
        ),
        (
            "SELECT ?s WHERE { ?s ?p ?o } ORDER ?s",
            1,
            30,
            "1 | SELECT ?s WHERE { ?s ?p ?o } ORDER ?s\n  | " + " " * 29 + "^",
        ),
        (
            "SELECT ?s\nWHERE {\n\t?s ?q 'x' 'y' .\n}",
            3,
            12,
            "3 |  ?s ?q 'x' 'y' .\n  |            ^",
        ),
        ("SELEC * {}", 1, 1, "1 | SELEC * {}\n  | ^"),
    ],
)
def test_a_syntax_error_gives_line_column_and_a_caret(
    query: str, line: int, column: int, excerpt: str
) -> None:
    result = run_query(ox.Store(), query, path="q.rq")
    assert isinstance(result, Diagnostic)
    assert (result.code, result.path, result.line) == ("query.syntax-error", "q.rq", line)
    assert f"at line {line}, column {column}" in result.message
    assert result.hint == "fix the query here:\n" + excerpt
    assert syntax_excerpt(query, line, column) == excerpt


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200) | st.sampled_from(["SELECT * {", "ASK {}", "CONSTRUCT WHERE {}"]))
def test_queries_never_raise_on_arbitrary_text(text: str) -> None:
    store = ox.Store()
    store.add(
        ox.Quad(ox.NamedNode("x:s"), ox.NamedNode("x:p"), ox.Literal("o"), ox.NamedNode("x:g"))
    )
    result = run_query(store, text)
    if isinstance(result, Diagnostic):
        assert result.severity is Severity.ERROR
        return
    problem = write_results(result, io.BytesIO(), "table", query_prefixes(text, SETTINGS))
    assert problem is None or problem.code in ("query.failed", "query.cell-cut")


def small_store() -> ox.Store:
    store = ox.Store()
    g1, g2 = ox.NamedNode("https://example.org/g1"), ox.NamedNode("https://example.org/g2")
    a, b = ox.NamedNode("https://example.org/a"), ox.NamedNode("https://example.org/b")
    store.add(ox.Quad(a, CR.origin, b, g1))
    store.add(
        ox.Quad(
            b,
            ox.NamedNode(CR.NS + "rank"),
            ox.Literal("2", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
            g2,
        )
    )
    store.add(ox.Quad(a, ox.NamedNode(CR.NS + "commentText"), ox.Literal("line one\nline two"), g1))
    return store


def written(query: str, fmt: str, *, union: bool = True) -> tuple[str, Diagnostic | None]:
    result = run_query(small_store(), query, union=union)
    assert not isinstance(result, Diagnostic), result
    out = io.BytesIO()
    problem = write_results(result, out, fmt, query_prefixes(query, SETTINGS), max_width=12)
    return out.getvalue().decode("utf-8"), problem


def test_the_default_graph_is_the_union_of_the_graphs_unless_asked_not_to() -> None:
    query = f"SELECT ?r WHERE {{ ?a <{CR.origin.value}> ?b . ?b <{CR.NS}rank> ?r }}"
    assert written(query, "csv")[0] == "r\r\n2\r\n"
    assert written(query, "csv", union=False)[0] == "r\r\n"


@pytest.mark.parametrize(
    "fmt,expected",
    [
        ("csv", 'a,c\r\nhttps://example.org/a,"line one\nline two"\r\n'),
        ("tsv", '?a\t?c\n<https://example.org/a>\t"line one\\nline two"\n'),
        (
            "json",
            (
                '{"head":{"vars":["a","c"]},"results":{"bindings":[{"a":{"type":"uri","value":'
                '"https://example.org/a"},"c":{"type":"literal","value":"line one\\nline two"}}]}}'
            ),
        ),
        (
            "table",
            "a            | c\n-------------+-------------\n<https://ex… | line one\\nl…\n(1 row)\n",
        ),
    ],
)
def test_select_results_in_each_format(fmt: str, expected: str) -> None:
    text, problem = written(f"SELECT ?a ?c WHERE {{ ?a <{CR.NS}commentText> ?c }}", fmt)
    assert text == expected
    assert (problem.code if problem else None) == ("query.cell-cut" if fmt == "table" else None)


def test_ask_and_construct_results() -> None:
    assert written("ASK { ?s ?p ?o }", "table") == ("true\n", None)
    assert written("ASK { ?s ?p 42 }", "json") == ('{"head":{},"boolean":false}', None)
    assert written("ASK { ?s ?p ?o }", "csv") == ("true\n", None)
    construct = f"CONSTRUCT {{ ?a <{CR.NS}origin> ?b }} WHERE {{ ?a <{CR.NS}origin> ?b }}"
    nt, _ = written(construct, "nt")
    assert nt == f"<https://example.org/a> <{CR.origin.value}> <https://example.org/b> .\n"
    ttl, _ = written(construct, "ttl")
    assert "cr:origin" in ttl and "@prefix cr:" in ttl
    assert ox.Dataset(ox.parse(ttl.encode(), ox.RdfFormat.TURTLE)) == ox.Dataset(
        ox.parse(nt.encode(), ox.RdfFormat.N_TRIPLES)
    )


@pytest.mark.parametrize(
    "query,fmt",
    [("SELECT * { ?s ?p ?o }", "nt"), ("ASK { ?s ?p ?o }", "ttl"), ("DESCRIBE <x:y>", "csv")],
)
def test_a_format_that_does_not_fit_is_a_diagnostic(query: str, fmt: str) -> None:
    text, problem = written(query, fmt)
    assert text == ""
    assert problem is not None and problem.code == "query.format-mismatch"


def test_tables_shorten_iris_with_the_known_and_the_declared_prefixes() -> None:
    query = "PREFIX ex: <https://example.org/> SELECT * {}"
    prefixes = query_prefixes(query, SETTINGS)
    rows = [
        (ox.NamedNode("https://example.org/a"), CR.Cable, iris.concept("level", "S")),
        (MINTER.paragraph("06ASTANA395", "p/8"), ox.NamedNode("urn:x:unknown"), None),
    ]
    text, cut = render_table(("a", "b", "c"), rows, prefixes, max_width=0)
    assert not cut
    assert text.splitlines() == [
        "a                       | b               | c",
        "------------------------+-----------------+------------",
        "ex:a                    | cr:Cable        | sch:level/S",
        "d:cable/06ASTANA395/p/8 | <urn:x:unknown> |",
        "(2 rows)",
    ]


# ---- the commands on the embedded store ----------------------------------------------------


def test_load_and_query_commands_round_trip(tmp_path: Path) -> None:
    dump = write_dump(tmp_path / "cables.nq.gz", corpus_quads())
    store = tmp_path / "store"
    code, out, err = cli("load", "--store", str(store), str(dump))
    cables = len({r.reference_id for r in corpus_records()})
    quads = len(corpus_quads()) + len(vocabulary_quads())
    assert (code, out) == (0, "")
    assert err.strip().splitlines()[-1] == (
        f"loaded {cables + 1} graph(s) (0 unchanged), {quads} quad(s) into {store}; "
        "0 error(s), 0 warning(s)"
    )
    count = "SELECT (COUNT(DISTINCT ?g) AS ?graphs) (COUNT(*) AS ?quads) { GRAPH ?g { ?s ?p ?o } }"
    code, out, err = cli("query", "--store", str(store), count, "--format", "csv")
    assert (code, out, err) == (0, f"graphs,quads\r\n{cables + 1},{quads}\r\n", "")
    code, _, err = cli("load", "--store", str(store), str(dump))
    assert code == 0
    assert f"({cables + 1} unchanged)" in err
    assert cli("query", "--store", str(store), count, "--format", "csv")[1] == out


def test_load_without_the_vocabulary(tmp_path: Path) -> None:
    dump = write_dump(tmp_path / "cables.nq.gz", next(iter(by_graph(corpus_quads()).values())))
    code, _, err = cli("load", "--store", str(tmp_path / "s"), "--no-vocabulary", str(dump))
    assert code == 0
    assert "loaded 1 graph(s)" in err
    store = open_store(tmp_path / "s")
    assert not store.contains_named_graph(VOCABULARY_GRAPH)


def test_load_reports_bad_input_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.nq"
    bad.write_text("<a:b> <a:c> .\n")
    code, out, err = cli("load", "--store", str(tmp_path / "s"), "--no-vocabulary", str(bad))
    assert (code, out) == (1, "")
    assert f"{bad}:1: error [store.syntax-error]" in err
    assert "Traceback" not in err


def test_load_with_an_explicit_graph(tmp_path: Path) -> None:
    ttl = tmp_path / "notes.ttl"
    ttl.write_text('<https://example.org/a> <https://example.org/b> "c" .\n')
    code, _, err = cli(
        "load",
        "--store",
        str(tmp_path / "s"),
        "--no-vocabulary",
        "--graph",
        "https://example.org/notes",
        str(ttl),
    )
    assert code == 0, err
    store = open_store(tmp_path / "s")
    assert [g.value for g in store.named_graphs()] == ["https://example.org/notes"]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--store", "S", "--endpoint", "http://127.0.0.1:1/store", "x.nq"], "not both"),
        (["--graph", "not an iri", "x.nq"], "absolute IRI"),
        (["--base", "http://example.org/no-slash", "x.nq"], "must end with '/'"),
        (["--endpoint", "ftp://example.org/", "x.nq"], "not an http(s) URL"),
        (["--endpoint", "http://127.0.0.1:1/", "--user", "u", "--token", "t", "x.nq"], "not both"),
    ],
)
def test_load_usage_errors_exit_2(args: list[str], message: str) -> None:
    code, _, err = cli("load", *args)
    assert code == 2
    assert message in err


def test_load_into_a_store_in_use_exits_3(tmp_path: Path) -> None:
    nq = tmp_path / "x.nq"
    nq.write_text("<a:b> <a:c> <a:d> <a:g> .\n")
    held = open_store(tmp_path / "s")
    code, out, err = cli("load", "--store", str(tmp_path / "s"), str(nq))
    del held
    assert (code, out) == (3, "")
    assert err.startswith(f"cablerdf: error: could not open the store at {tmp_path / 's'}")
    assert "Traceback" not in err


def test_query_syntax_error_exits_1_with_line_and_column(corpus_store: Path) -> None:
    code, out, err = cli("query", "--store", str(corpus_store), "SELECT ?x\nWHERE { ?x ?p }")
    assert (code, out) == (1, "")
    assert (
        "<query>:2: error [query.syntax-error] the query is not valid SPARQL 1.1 at line 2" in err
    )
    assert "2 | WHERE { ?x ?p }" in err
    assert "Traceback" not in err


def test_query_from_a_file_and_from_standard_input(corpus_store: Path, tmp_path: Path) -> None:
    text = "ASK { GRAPH ?g { ?c a <https://w3id.org/cablegate/ontology#Cable> } }"
    rq = tmp_path / "ask.rq"
    rq.write_text(text)
    assert cli("query", "--store", str(corpus_store), str(rq)) == (0, "true\n", "")
    assert cli("query", "--store", str(corpus_store), "-", input=text) == (0, "true\n", "")
    code, _, err = cli("query", "--store", str(corpus_store), str(tmp_path / "missing.rq"))
    assert code == 2 and "no such query file" in err


def test_query_construct_as_ntriples(corpus_store: Path) -> None:
    cable = MINTER.cable(corpus_records()[0].reference_id).value
    query = f"CONSTRUCT {{ <{cable}> ?p ?o }} WHERE {{ GRAPH ?g {{ <{cable}> ?p ?o }} }}"
    code, out, err = cli("query", "--store", str(corpus_store), query, "--format", "nt")
    assert (code, err) == (0, "")
    expected = {q.triple for q in corpus_quads() if q.subject == ox.NamedNode(cable)}
    assert set(ox.parse(out.encode(), ox.RdfFormat.N_TRIPLES)) == {
        ox.Quad(t.subject, t.predicate, t.object) for t in expected
    }


def test_query_without_a_store_exits_2(tmp_path: Path) -> None:
    code, _, err = cli("query", "--store", str(tmp_path / "none"), "ASK {}")
    assert code == 2
    assert f"no store at {tmp_path / 'none'}" in err


def test_the_commands_are_registered_and_documented() -> None:
    for command in ("load", "query"):
        code, out, _ = cli(command, "--help")
        assert code == 0
        assert "Example" in out


def test_environment_variables_name_the_credentials() -> None:
    # the names are documented in docs/triplestores.md
    doc = (Path(__file__).resolve().parent.parent / "docs" / "triplestores.md").read_text()
    for name in ("CABLERDF_TOKEN", "CABLERDF_USER", "CABLERDF_PASSWORD"):
        assert name in doc
