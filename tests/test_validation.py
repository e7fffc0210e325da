"""Validation of graphs: the library API (results, per-cable splitting, diagnostics, reports),
the whole real corpus, any generated record, and the ``cablerdf validate`` command."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
import re
from collections import Counter
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from conftest import CORPUS, REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld  # type: ignore[import-untyped]
from rdfcheck import check_serdi
from test_mapping import SETTINGS, full_record, records
from test_shapes import P1, PREFIXES, C, base_triples, broken, validator

from cablerdf.cable_ids import default_index
from cablerdf.cli import main
from cablerdf.cli._common import EXIT_CANNOT_RUN, EXIT_FAILED, EXIT_OK, EXIT_USAGE
from cablerdf.mapping import map_records
from cablerdf.model import (
    Classification,
    Level,
    Paragraph,
    Recipient,
    Reference,
    RefKind,
    Role,
    Severity,
    SourceForm,
    SourceInfo,
    Span,
    TransmissionHeader,
)
from cablerdf.parsing import parse_documents
from cablerdf.readers import read_inputs
from cablerdf.validation import (
    ENGINES,
    SHAPES_NAMESPACE,
    CableValidation,
    ValidationResult,
    Validator,
    report_turtle,
    results_to_diagnostics,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Dataset.identifier is deprecated:DeprecationWarning"),
]

DOC = REPO / "docs" / "validation.md"
SH = "http://www.w3.org/ns/shacl#"


def quads_of(triples: Sequence[ox.Triple], graph: str) -> list[ox.Quad]:
    return [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph)) for t in triples]


# ---- the whole real corpus ---------------------------------------------------------------


@cache
def corpus_quads() -> tuple[ox.Quad, ...]:
    assert CORPUS.is_dir(), f"the shared corpus is missing at {CORPUS}"
    results = parse_documents(read_inputs([str(CORPUS)]), default_index())
    return map_records([r.record for r in results if r.record], SETTINGS).quads


@cache
def corpus_validation() -> tuple[CableValidation, ...]:
    return tuple(Validator.load().validate_quads(list(corpus_quads())))


def test_the_corpus_conforms_with_no_violation() -> None:
    validations = corpus_validation()
    graphs = {q.graph_name for q in corpus_quads()}
    assert len(validations) == len(graphs) >= 270
    violations = [r for v in validations for r in v.results if r.severity == "Violation"]
    assert violations == [], "\n".join(f"{r.code} {r.focus}: {r.message}" for r in violations)
    assert all(v.conforms for v in validations)


def documented_counts() -> dict[str, int]:
    """The table of docs/validation.md that lists what the corpus raises: | `code` | n |."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## What the real corpus raises", 1)[1].split("\n## ", 1)[0]
    return {
        m[1]: int(m[2])
        for m in re.finditer(r"^\| `(shacl\.[a-z0-9-]+)` \| (\d+) \|", section, re.MULTILINE)
    }


def test_the_documented_corpus_results_are_the_real_ones() -> None:
    counts = Counter(r.code for v in corpus_validation() for r in v.results)
    assert dict(counts) == documented_counts()


def test_every_corpus_result_names_its_cable() -> None:
    for v in corpus_validation():
        for r in v.results:
            assert r.cable is not None and v.graph.endswith("/graph/" + r.cable.rsplit("/", 1)[1])


@cache
def sample_graphs() -> tuple[tuple[str, tuple[ox.Triple, ...]], ...]:
    """Every corpus graph with a result, and ten more."""
    flagged = {v.graph for v in corpus_validation() if v.results}
    others = sorted({v.graph for v in corpus_validation()} - flagged)[::25][:10]
    chosen = flagged | set(others)
    graphs: dict[str, list[ox.Triple]] = {}
    for q in corpus_quads():
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in chosen:
            graphs.setdefault(q.graph_name.value, []).append(
                ox.Triple(q.subject, q.predicate, q.object)
            )
    return tuple((g, tuple(ts)) for g, ts in sorted(graphs.items()))


def test_every_engine_agrees_on_real_cables() -> None:
    for graph, triples in sample_graphs():
        reference = validator("pyshacl").validate_triples(graph, triples)
        for engine in ENGINES:
            assert validator(engine).validate_triples(graph, triples) == reference, (engine, graph)


# ---- the library API ---------------------------------------------------------------------


def test_load_picks_an_engine() -> None:
    assert Validator.load().engine == "native"
    assert Validator.load("turbo").engine == "turbo"
    assert Validator.load("pyshacl").engine == "pyshacl"
    with pytest.raises(ValueError, match="unknown SHACL engine"):
        Validator.load("jena")


def test_one_validation_per_named_graph_in_order() -> None:
    one = quads_of(base_triples("full"), "urn:x:g2")
    two = quads_of(
        broken(f"DELETE WHERE {{ {C} <http://purl.org/dc/terms/identifier> ?i }}"), "urn:x:g1"
    )
    default = [ox.Quad(t.subject, t.predicate, t.object) for t in base_triples("three")]
    result = validator("turbo").validate_quads([*one, *two, *default])
    assert [v.graph for v in result] == ["urn:x:g2", "urn:x:g1", ""]
    assert [v.conforms for v in result] == [True, False, True]
    assert result[0].results == () and result[2].results == ()
    assert {r.code for r in result[1].results} >= {"shacl.cable-identifier"}


def test_results_carry_focus_path_value_and_cable() -> None:
    update = f'DELETE {{ {P1} <http://schema.org/position> ?p }} INSERT {{ {P1} <http://schema.org/position> "x" }} WHERE {{ {P1} <http://schema.org/position> ?p }}'
    v = validator("turbo").validate_triples("urn:x:g", broken(update))
    hit = next(r for r in v.results if r.code == "shacl.paragraph-position")
    assert hit.focus == P1[1:-1]
    assert hit.path == "http://schema.org/position"
    assert hit.value == '"x"'
    assert hit.severity == "Violation"
    assert hit.shape == SHAPES_NAMESPACE + "paragraph-position"
    assert hit.cable == C[1:-1]
    assert hit.component == SH + "DatatypeConstraintComponent"
    assert "schema:position" in hit.message
    assert not v.conforms


def test_inverse_and_sequence_paths_are_written_as_sparql_paths() -> None:
    v = validator("turbo").validate_triples(
        "",
        broken(f"DELETE DATA {{ {C} <http://www.essepuntato.it/2008/12/pattern#contains> {P1} }}"),
    )
    inverse = next(r for r in v.results if r.code == "shacl.paragraph-contained")
    assert inverse.path == "^<http://www.essepuntato.it/2008/12/pattern#contains>"
    v = validator("turbo").validate_triples(
        "",
        broken(
            PREFIXES
            + f"INSERT DATA {{ {C} dct:subject <https://w3id.org/cablegate/scheme/level/S> }}"
        ),
    )
    sequence = next(r for r in v.results if r.code == "shacl.cable-tag-scheme")
    assert (
        sequence.path
        == "(<http://purl.org/dc/terms/subject>/<http://www.w3.org/2004/02/skos/core#inScheme>)"
    )
    report = rdflib.Graph().parse(data=report_turtle(v.results), format="turtle")
    paths = set(report.objects(None, rdflib.URIRef(SH + "resultPath")))
    lists = [p for p in paths if isinstance(p, rdflib.BNode)]
    assert lists and [str(x) for x in rdflib.collection.Collection(report, lists[0])] == [
        "http://purl.org/dc/terms/subject",
        "http://www.w3.org/2004/02/skos/core#inScheme",
    ]


def test_warnings_keep_a_graph_conforming() -> None:
    v = validator("turbo").validate_triples(
        "", broken(f"DELETE WHERE {{ {C} <https://w3id.org/cablegate/ontology#origin> ?o }}")
    )
    assert v.conforms
    assert [r.code for r in v.results] == ["shacl.cable-origin-missing"]
    assert v.results[0].severity == "Warning"


def test_diagnostics_are_keyed_by_cable_with_shape_codes() -> None:
    v = validator("turbo").validate_triples(
        "https://w3id.org/cablegate/graph/06ASTANA395",
        broken(
            f"DELETE WHERE {{ {C} <https://w3id.org/cablegate/ontology#classificationLevel> ?l ; <https://w3id.org/cablegate/ontology#origin> ?o }}"
        ),
    )
    diagnostics = results_to_diagnostics(v)
    assert {(d.code, d.severity) for d in diagnostics} == {
        ("shacl.cable-level", Severity.ERROR),
        ("shacl.cable-origin-missing", Severity.WARNING),
    }
    for d in diagnostics:
        assert d.reference_id == "06ASTANA395"
        assert d.path == v.graph
        assert d.hint
        assert C[1:-1] in d.message
    info = dataclasses.replace(v.results[0], severity="Info")
    assert (
        results_to_diagnostics(dataclasses.replace(v, results=(info,)))[0].severity is Severity.INFO
    )


def test_the_reference_id_comes_from_the_graph_when_no_cable_is_known() -> None:
    result = ValidationResult(
        "urn:x", None, "Violation", SHAPES_NAMESPACE + "post-label", "m", None, None
    )
    v = CableValidation("https://w3id.org/cablegate/graph/09STATE1", False, (result,), b"")
    assert results_to_diagnostics(v)[0].reference_id == "09STATE1"


def test_the_report_is_shacl_turtle_and_deterministic(tmp_path: Path) -> None:
    v = validator("turbo").validate_triples(
        "", broken(f"DELETE WHERE {{ {C} <http://purl.org/dc/terms/identifier> ?i }}")
    )
    assert v.report_turtle == report_turtle(v.results)
    assert (
        v.report_turtle
        == validator("turbo")
        .validate_triples(
            "", broken(f"DELETE WHERE {{ {C} <http://purl.org/dc/terms/identifier> ?i }}")
        )
        .report_turtle
    )
    path = tmp_path / "report.ttl"
    path.write_bytes(v.report_turtle)
    check_serdi(path, "ttl")
    report = rdflib.Graph().parse(path, format="turtle")
    conforms = next(report.objects(None, rdflib.URIRef(SH + "conforms")))
    assert isinstance(conforms, rdflib.Literal) and conforms.toPython() is False
    results = list(report.objects(None, rdflib.URIRef(SH + "result")))
    assert len(results) == len(v.results)
    shapes = {str(report.value(r, rdflib.URIRef(SH + "sourceShape"))) for r in results}
    assert shapes == {r.shape for r in v.results}
    empty = rdflib.Graph().parse(data=report_turtle(()), format="turtle")
    (conforms,) = empty.objects(None, rdflib.URIRef(SH + "conforms"))
    assert isinstance(conforms, rdflib.Literal) and conforms.toPython() is True
    assert list(empty.objects(None, rdflib.URIRef(SH + "result"))) == []


# ---- properties ---------------------------------------------------------------------------

METADATA_FORMS = {SourceForm.HTML_2010, SourceForm.HTML_2011, SourceForm.CSV, SourceForm.JSONL}
ids = st.from_regex(r"\A[0-9]{2}[A-Z]{2,10}[1-9][0-9]{0,4}\Z")
texts = st.text(max_size=20)
dates = st.dates(min_value=dt.date(1967, 1, 1), max_value=dt.date(2010, 2, 27))


@st.composite
def valid_records(draw: st.DrawFn) -> object:
    """Records as the parser gives them: canonical IDs, ISO dates, known levels; any text
    elsewhere (names, subjects, markings, captions, TAGS, paragraphs)."""
    day = draw(dates)
    form = draw(st.sampled_from(SourceForm))
    # a page, a CSV row and a JSON line always print the origin; texts may not
    named = st.text(min_size=1, max_size=20).filter(lambda t: t.strip() != "")
    origins = named if form in METADATA_FORMS else st.none() | named
    created = f"{day.isoformat()}T{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}Z"
    rid = f"{day.year % 100:02d}" + draw(ids)[2:]
    body = draw(st.text(max_size=80))
    spans = st.integers(0, len(body)).flatmap(
        lambda a: st.integers(a, len(body)).map(lambda b: Span(a, b))
    )
    numbers = draw(st.lists(st.none() | st.integers(1, 30).map(str), max_size=5))
    paragraphs = tuple(
        Paragraph(
            n,
            draw(st.none() | st.sampled_from(["C", "S/NF", "U", "SBU", "TS", "X Y"])),
            draw(texts),
            draw(spans),
        )
        for n in numbers
    )
    record = full_record(
        reference_id=rid,
        source_id=rid,
        created=created,
        released=tuple(
            draw(st.lists(st.sampled_from(["2010-11-28", "2011-01-05", "2011-08-30"]), max_size=2))
        ),
        classification=Classification(
            draw(texts),
            draw(st.sampled_from(Level)),
            tuple(
                draw(
                    st.lists(
                        st.sampled_from(["NOFORN", "ORCON", "FOR OFFICIAL USE ONLY"]) | texts,
                        max_size=2,
                    )
                )
            ),
            tuple(draw(st.lists(st.sampled_from(["SIPDIS", "EXDIS"]) | texts, max_size=2))),
        ),
        origin=draw(origins),
        subject=draw(st.none() | texts),
        subject_marking=draw(st.none() | st.sampled_from(["C", "S", "U", "SBU", "S/NF"])),
        tags=tuple(draw(st.lists(st.from_regex(r"\A[A-Z]{2,5}\Z"), max_size=3, unique=True))),
        references=tuple(
            draw(
                st.lists(
                    st.builds(
                        Reference,
                        st.none() | st.sampled_from("ABC"),
                        texts,
                        st.none(),
                        st.sampled_from([RefKind.EMAIL, RefKind.MEMO]),
                    )
                    | ids.map(lambda i: Reference("A", i, i)),
                    max_size=3,
                )
            )
        ),
        header=TransmissionHeader(
            precedence=draw(st.none() | st.sampled_from(["ROUTINE", "PRIORITY", "IMMEDIATE"])),
            created=draw(st.none() | st.just(created)),
            sender=draw(st.none() | st.from_regex(r"\A[A-Z]{3,10}( [A-Z]{3,8})?\Z")),
            recipients=tuple(
                draw(
                    st.lists(
                        st.builds(
                            Recipient,
                            st.sampled_from(Role),
                            st.from_regex(r"\A[A-Z]{3,10}( [A-Z]{3,8})?\Z"),
                            st.none() | st.sampled_from(["ROUTINE", "PRIORITY"]),
                            st.none() | texts,
                            st.none() | texts,
                        ),
                        max_size=3,
                    )
                )
            ),
        ),
        eo=draw(st.none() | st.sampled_from(["12958", "13526"])),
        declassify_on=draw(st.none() | st.just("2030-01-01")),
        classified_by=draw(st.none() | texts),
        reasons=tuple(draw(st.lists(st.sampled_from("abcdefgh"), max_size=3, unique=True))),
        signer=draw(st.none() | texts),
        summary=draw(st.none() | texts),
        comment=draw(st.none() | texts),
        paragraphs=paragraphs,
        body=body,
        title=draw(st.none() | texts),
        articles=(),
        partial_extract=draw(st.booleans()),
        source=SourceInfo(
            draw(texts),
            draw(st.integers(1, 10_000)),
            form,
            draw(st.text("0123456789abcdef", min_size=64, max_size=64)),
        ),
    )
    return record


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(valid_records())
def test_any_record_the_parser_can_give_maps_to_a_conforming_graph(record: object) -> None:
    quads = map_records([record], SETTINGS).quads  # type: ignore[list-item]
    (v,) = validator("turbo").validate_quads(list(quads))
    assert v.conforms, "\n".join(f"{r.code} {r.focus} {r.value}: {r.message}" for r in v.results)


@PROPERTY
@given(st.lists(records, min_size=1, max_size=2))
def test_validation_never_raises_on_any_mapped_record(rs: list[object]) -> None:
    quads = map_records(rs, SETTINGS).quads  # type: ignore[arg-type]
    for v in validator("turbo").validate_quads(list(quads)):
        assert v.conforms == all(r.severity != "Violation" for r in v.results)
        assert all(d.code.startswith("shacl.") for d in results_to_diagnostics(v))


# ---- the command ---------------------------------------------------------------------------


def write_nquads(path: Path, quads: Sequence[ox.Quad]) -> Path:
    path.write_bytes(ox.serialize(list(quads), format=ox.RdfFormat.N_QUADS) or b"")
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["validate", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


GOOD = "https://w3id.org/cablegate/graph/06ASTANA395"


def test_cli_a_conforming_file_exits_0_and_writes_nothing(tmp_path: Path) -> None:
    nq = write_nquads(tmp_path / "cables.nq", quads_of(base_triples("full"), GOOD))
    code, out, err = invoke(str(nq))
    assert code == EXIT_OK
    assert out == ""
    assert "validated 1 graph(s) in 1 file(s)" in err and "1 conform" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cables.nq"]


def test_cli_violations_exit_1_with_a_summary_and_a_report(tmp_path: Path) -> None:
    bad = broken(
        f"DELETE WHERE {{ {C} <https://w3id.org/cablegate/ontology#classificationLevel> ?l }}"
    )
    nq = write_nquads(tmp_path / "cables.nq", quads_of(bad, GOOD))
    report = tmp_path / "report.ttl"
    code, out, err = invoke(str(nq), "--report", str(report))
    assert code == EXIT_FAILED
    assert out.startswith("cable/06ASTANA395 (graph " + GOOD)
    assert re.search(
        r"Violation +cable-level +cable/06ASTANA395 cr:classificationLevel: a cable has exactly one classification level",
        out,
    )
    assert "1 violation(s)" in err
    check_serdi(report, "ttl")
    graph = rdflib.Graph().parse(report, format="turtle")
    assert (
        None,
        rdflib.URIRef(SH + "sourceShape"),
        rdflib.URIRef(SHAPES_NAMESPACE + "cable-level"),
    ) in graph


def test_cli_warnings_fail_only_with_strict(tmp_path: Path) -> None:
    odd = broken(f"DELETE WHERE {{ {C} <https://w3id.org/cablegate/ontology#origin> ?o }}")
    nq = write_nquads(tmp_path / "cables.nq", quads_of(odd, GOOD))
    code, out, _ = invoke(str(nq))
    assert code == EXIT_OK and "Warning   cable-origin-missing" in out
    code, _, _ = invoke(str(nq), "--strict")
    assert code == EXIT_FAILED


def test_cli_json_lines(tmp_path: Path) -> None:
    odd = broken(f"DELETE WHERE {{ {C} <https://w3id.org/cablegate/ontology#origin> ?o }}")
    nq = write_nquads(tmp_path / "cables.nq", quads_of(odd, GOOD))
    code, out, _ = invoke(str(nq), "--format", "json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == EXIT_OK
    assert [(r["code"], r["graph"], r["file"]) for r in rows] == [
        ("shacl.cable-origin-missing", GOOD, str(nq))
    ]


def test_cli_reads_turtle_gzip_and_folders(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    (folder / "cables").mkdir(parents=True)
    triples = list(base_triples("full"))
    (folder / "cables" / "a.ttl").write_bytes(
        ox.serialize(triples, format=ox.RdfFormat.TURTLE) or b""
    )
    nq = (
        ox.serialize(quads_of(base_triples("three"), "urn:x:three"), format=ox.RdfFormat.N_QUADS)
        or b""
    )
    (folder / "b.nq.gz").write_bytes(gzip.compress(nq))
    (folder / "notes.txt").write_text("not RDF")
    code, _, err = invoke(str(folder), "--engine", "pyshacl")
    assert code == EXIT_OK, err
    assert "validated 2 graph(s) in 2 file(s) with pyshacl: 2 conform" in err


def jsonld_file(tmp_path: Path, context_iri: str) -> tuple[Path, Path]:
    """A JSON-LD file of the full record's graph that names a remote context, and that context."""
    nq = (
        ox.serialize(quads_of(base_triples("full"), GOOD), format=ox.RdfFormat.N_QUADS) or b""
    ).decode()
    expanded = jsonld.from_rdf(nq, {"format": "application/n-quads"})
    context = {
        "@context": {
            "cr": "https://w3id.org/cablegate/ontology#",
            "dct": "http://purl.org/dc/terms/",
        }
    }
    compacted = jsonld.compact(expanded, context)
    compacted["@context"] = context_iri
    document = tmp_path / "cables.jsonld"
    document.write_text(json.dumps(compacted))
    context_file = tmp_path / "my-context.jsonld"
    context_file.write_text(json.dumps(context))
    return document, context_file


def test_cli_json_ld_with_an_offline_context(tmp_path: Path) -> None:
    iri = "https://example.org/ctx/cables.jsonld"
    document, context = jsonld_file(tmp_path, iri)
    code, out, err = invoke(str(document), "--context", f"{iri}={context}")
    assert code == EXIT_OK, out + err
    assert "1 conform" in err


def test_cli_json_ld_finds_the_exported_context_beside_the_output(tmp_path: Path) -> None:
    iri = "https://example.org/data/context/v9.jsonld"
    document, context = jsonld_file(tmp_path, iri)
    (tmp_path / "context").mkdir()
    context.rename(tmp_path / "context" / "v9.jsonld")
    code, _, err = invoke(str(document))
    assert code == EXIT_OK, err


def test_cli_json_ld_with_an_unknown_context_cannot_run(tmp_path: Path) -> None:
    iri = "https://example.org/elsewhere.jsonld"
    document, _ = jsonld_file(tmp_path, iri)
    code, _, err = invoke(str(document))
    assert code == EXIT_CANNOT_RUN
    assert f"pass --context {iri}=PATH" in err


def test_cli_unreadable_input_cannot_run(tmp_path: Path) -> None:
    bad = tmp_path / "bad.nq"
    bad.write_text("<urn:a> <urn:b> .\n")
    code, _, err = invoke(str(bad))
    assert code == EXIT_CANNOT_RUN
    assert "bad.nq is not valid N-Quads" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.nq"], "does not exist"),
        (["{tmp}/notes.txt"], "cannot tell the RDF format"),
        (["{tmp}/empty"], "no .ttl, .nt, .nq, .trig or .jsonld file found"),
        (["{tmp}/empty", "--context", "nonsense"], "is not IRI=PATH"),
        (["{tmp}/empty", "--context", "https://x/c.jsonld=/no/such/file"], "no such file"),
        (["{tmp}/empty", "--engine", "jena"], "Invalid value for '--engine'"),
    ],
)
def test_cli_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "empty").mkdir()
    code, _, err = invoke(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert code == EXIT_USAGE
    assert message in err


def test_cli_help_has_an_example() -> None:
    result = CliRunner().invoke(main, ["validate", "--help"])
    assert result.exit_code == 0
    assert "cablerdf validate out/cables.nq --report out/report.ttl" in result.stdout
