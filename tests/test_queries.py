"""The example queries in ``queries/``: each answers its question on the corpus as expected.

Each query's expected answer is a golden file, ``tests/data/store/NAME.csv`` (SPARQL 1.1
CSV), derived here in plain Python from the parsed records, never from the query: one test
checks the query against the golden file, another the golden file against the records. After
a reviewed parser or mapping change, ``CABLERDF_UPDATE_GOLDEN=1`` rewrites the golden files
from the records.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import os
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from test_store import MINTER, build_store, cli, corpus_records

from cablerdf import iris
from cablerdf.mapping import order_versions, primary_version
from cablerdf.model import CableRecord
from cablerdf.store import vocabulary_dir

REPO = Path(__file__).resolve().parent.parent
QUERIES = REPO / "queries"
GOLDEN = Path(__file__).resolve().parent / "data" / "store"
UPDATE = os.environ.get("CABLERDF_UPDATE_GOLDEN") == "1"

NEEDS_UNION = {"citation-chain"}
"""Queries whose property path crosses cable graphs, so they need the union default graph."""

Rows = list[list[str]]
Answer = tuple[list[str], Rows]

# ---- the records, as the cables carry them -------------------------------------------------


@functools.lru_cache(maxsize=1)
def cables() -> dict[str, CableRecord]:
    """Each cable's primary record (the one whose values the cable carries)."""
    groups: dict[str, list[CableRecord]] = {}
    for record in corpus_records():
        groups.setdefault(record.reference_id, []).append(record)
    return {rid: primary_version(order_versions(rs)).record for rid, rs in groups.items()}


def cable_iri(reference_id: str) -> str:
    return MINTER.cable(reference_id).value


def created(record: CableRecord) -> dt.datetime | None:
    """The creation time when the record gives a real ``YYYY-MM-DDTHH:MM[:SS]Z``."""
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?Z", record.created or "")
    if m is None:
        return None
    try:
        y, mo, d, h, mi, sec = (int(x) for x in m.groups(default="0"))
        return dt.datetime(y, mo, d, h, mi, sec)
    except ValueError:
        return None


def created_text(record: CableRecord | None) -> str:
    when = created(record) if record is not None else None
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else ""


def fold(text: str) -> str:
    return " ".join(text.split()).upper()


LEVEL_RANKS = {"U": 0, "UNCLAS": 0, "UNCLASSIFIED": 0, "C": 1, "CONFIDENTIAL": 1}
LEVEL_RANKS |= {"S": 2, "SECRET": 2, "TS": 3, "TOP SECRET": 3}
NOFORN = {"NF", "NOFORN", "NOT RELEASABLE TO FOREIGN NATIONALS"}
BANNER_RANKS = {"UNCLASSIFIED": 0, "CONFIDENTIAL": 1, "SECRET": 2, "TOP SECRET": 3}


def secret_noforn(marking: str) -> bool:
    """A portion marking of level SECRET or higher with NOFORN among its controls."""
    parts = [p for p in (" ".join(x.split()) for x in re.split(r"[/\-]+", marking.upper())) if p]
    level = next((LEVEL_RANKS[p] for p in parts if p in LEVEL_RANKS), None)
    return level is not None and level >= 2 and any(p in NOFORN for p in parts)


@functools.lru_cache(maxsize=1)
def tag_labels() -> dict[str, list[str]]:
    """The TAG labels of the concept schemes, by concept IRI."""
    folder = vocabulary_dir()
    assert folder is not None
    label = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
    labels: dict[str, list[str]] = {}
    for q in ox.parse(path=str(folder / "schemes.ttl")):
        if q.predicate == label and isinstance(q.object, ox.Literal):
            labels.setdefault(q.subject.value, []).append(q.object.value)
    return labels


# ---- the expected answers ------------------------------------------------------------------


def cables_from_post() -> Answer:
    post = "Embassy Madrid"
    start, until = dt.datetime(2006, 1, 1), dt.datetime(2009, 1, 1)
    found: list[tuple[tuple[object, ...], list[str]]] = []
    for rid, r in cables().items():
        when = created(r)
        if r.origin is None or " ".join(r.origin.split()) != post or when is None:
            continue
        if not start <= when < until:
            continue
        level = r.classification.level.value if r.classification and r.classification.level else ""
        rank = BANNER_RANKS.get(level)
        key = (0 if rank is not None else 1, -(rank or 0), when, cable_iri(rid))
        row = [
            level,
            r.classification.printed if r.classification else "",
            cable_iri(rid),
            created_text(r),
            r.subject or "",
        ]
        found.append((key, row))
    header = ["level", "classification", "cable", "created", "subject"]
    return header, [row for _, row in sorted(found)]


def cited_by() -> Answer:
    cited = "08TRIPOLI266"
    found = []
    for rid, r in cables().items():
        if any(ref.reference_id == cited for ref in r.references):
            when = created(r)
            key = (when is not None, when or dt.datetime.min, cable_iri(rid))
            found.append((key, [cable_iri(rid), created_text(r), r.subject or ""]))
    return ["citing", "created", "subject"], [row for _, row in sorted(found)]


def citation_chain() -> Answer:
    start = "09RABAT1009"
    held = cables()
    edges: set[tuple[str, str]] = set()
    seen, todo = {start}, [start]
    while todo:
        rid = todo.pop()
        record = held.get(rid)
        if record is None:
            continue
        for ref in record.references:
            if ref.reference_id is None:
                continue
            edges.add((rid, ref.reference_id))
            if ref.reference_id not in seen:
                seen.add(ref.reference_id)
                todo.append(ref.reference_id)
    rows = [
        [cable_iri(a), cable_iri(b), "true" if b in held else "false", created_text(held.get(b))]
        for a, b in edges
    ]
    return ["citing", "cited", "held", "created"], sorted(rows, key=lambda r: (r[0], r[1]))


def secret_noforn_pgov_paragraphs() -> Answer:
    rows: Rows = []
    for rid in sorted(cables(), key=cable_iri):
        r = cables()[rid]
        if "PGOV" not in {fold(t) for t in r.tags}:
            continue
        keys = iris.paragraph_keys([p.number for p in r.paragraphs])
        for key, p in zip(keys, r.paragraphs, strict=True):
            if p.marking is not None and secret_noforn(p.marking):
                paragraph = MINTER.paragraph(rid, key).value
                rows.append([cable_iri(rid), paragraph, p.number or "", p.marking, p.text])
    return ["cable", "paragraph", "number", "marking", "text"], rows


def counts_by_tag() -> Answer:
    counts = Counter(tag for r in cables().values() for tag in {fold(t) for t in r.tags})
    rows: Rows = []
    for tag, n in counts.items():
        labels = tag_labels().get(iris.code_concept("tag", tag).value) or [""]
        rows.extend([tag, label, str(n)] for label in labels)
    return ["tag", "label", "cables"], sorted(rows, key=lambda r: (-int(r[2]), r[0], r[1]))


def counts_by_origin() -> Answer:
    counts = Counter(" ".join(r.origin.split()) for r in cables().values() if r.origin)
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ["origin", "cables"], [[origin, str(n)] for origin, n in rows]


def counts_by_year() -> Answer:
    counts = Counter(
        str(when.year) if (when := created(r)) is not None else "unknown" for r in cables().values()
    )
    return ["year", "cables"], [[year, str(n)] for year, n in sorted(counts.items())]


def paragraph_text() -> Answer:
    rid, key = "09RABAT988", "p/5"
    r = cables()[rid]
    keys = iris.paragraph_keys([p.number for p in r.paragraphs])
    rows = [
        [cable_iri(rid), p.number or "", p.marking or "", p.text]
        for k, p in zip(keys, r.paragraphs, strict=True)
        if k == key
    ]
    return ["cable", "number", "marking", "text"], rows


DERIVATIONS: dict[str, Callable[[], Answer]] = {
    "cables-from-post": cables_from_post,
    "cited-by": cited_by,
    "citation-chain": citation_chain,
    "secret-noforn-pgov-paragraphs": secret_noforn_pgov_paragraphs,
    "counts-by-tag": counts_by_tag,
    "counts-by-origin": counts_by_origin,
    "counts-by-year": counts_by_year,
    "paragraph-text": paragraph_text,
}
NAMES = sorted(DERIVATIONS)

# ---- golden files --------------------------------------------------------------------------


def read_csv(text: str) -> Answer:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def golden(name: str) -> Answer:
    return read_csv((GOLDEN / f"{name}.csv").read_text(encoding="utf-8"))


def write_golden(name: str, answer: Answer) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(answer[0])
    writer.writerows(answer[1])
    GOLDEN.mkdir(parents=True, exist_ok=True)
    (GOLDEN / f"{name}.csv").write_bytes(out.getvalue().encode("utf-8"))


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("queries") / "store")


def test_every_query_has_a_derivation_and_a_golden_answer() -> None:
    assert sorted(p.stem for p in QUERIES.glob("*.rq")) == NAMES
    assert sorted(p.stem for p in GOLDEN.glob("*.csv")) == NAMES


def test_every_query_is_described_in_the_readme() -> None:
    readme = (QUERIES / "README.md").read_text(encoding="utf-8")
    for name in NAMES:
        assert f"`{name}.rq`" in readme


@pytest.mark.parametrize("name", NAMES)
def test_the_golden_answer_follows_from_the_parsed_records(name: str) -> None:
    derived = DERIVATIONS[name]()
    if UPDATE:
        write_golden(name, derived)
    assert golden(name) == derived
    assert derived[1], f"{name}: the expected answer is empty; choose a parameter the corpus has"


@pytest.mark.parametrize("name", NAMES)
def test_the_query_gives_the_golden_answer(name: str, corpus_store: Path) -> None:
    path = QUERIES / f"{name}.rq"
    code, out, err = cli("query", str(path), "--store", str(corpus_store), "--format", "csv")
    assert (code, err) == (0, "")
    header, rows = read_csv(out)
    expected_header, expected_rows = golden(name)
    assert header == expected_header
    missing = [r for r in expected_rows if r not in rows]
    extra = [r for r in rows if r not in expected_rows]
    assert (missing, extra) == ([], []), f"{name}: rows only expected / only found"
    assert rows == expected_rows, f"{name}: same rows, other order"


@pytest.mark.parametrize("name", [n for n in NAMES if n not in NEEDS_UNION])
def test_the_answer_does_not_depend_on_the_union_default_graph(
    name: str, corpus_store: Path
) -> None:
    path = str(QUERIES / f"{name}.rq")
    union = cli("query", path, "--store", str(corpus_store), "--format", "csv")
    plain = cli("query", path, "--store", str(corpus_store), "--format", "csv", "--no-union")
    assert plain == union


def test_the_citation_chain_needs_the_union_default_graph(corpus_store: Path) -> None:
    path = str(QUERIES / "citation-chain.rq")
    code, out, _ = cli("query", path, "--store", str(corpus_store), "--format", "csv", "--no-union")
    assert code == 0
    assert read_csv(out) == (golden("citation-chain")[0], [])
    assert golden("citation-chain")[1]
