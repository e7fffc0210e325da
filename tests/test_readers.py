"""The readers, on the real corpus, its gold, hand-built fixtures and arbitrary bytes."""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import json
import re
import shutil
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CORPUS, GOLD
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cablerdf.model import Diagnostic, Severity, SourceDocument, SourceForm
from cablerdf.readers import read_inputs, read_stream, restore_line_breaks
from cablerdf.readers.common import id_from_file_name

DATA = Path(__file__).parent / "data" / "readers"
CSV_ROW = CORPUS / "csv" / "cables_sample.row2.csv"
JSONL = CORPUS / "other" / "wikileaks-11-28-10.subset.json"
NOT_CORPUS = {"MANIFEST.tsv", "README.md"}


def _manifest() -> dict[str, list[dict[str, str]]]:
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    with open(CORPUS / "MANIFEST.tsv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            rows[row["file"]].append(row)
    return dict(rows)


MANIFEST = _manifest() if (CORPUS / "MANIFEST.tsv").exists() else {}
CORPUS_FILES = sorted(
    str(p.relative_to(CORPUS))
    for p in CORPUS.rglob("*")
    if p.is_file() and p.name not in NOT_CORPUS and GOLD not in p.parents
)
GOLD_FILES = sorted(p.name for p in GOLD.glob("*.json"))


def _read(*inputs: str | Path) -> tuple[list[SourceDocument], list[Diagnostic]]:
    docs: list[SourceDocument] = []
    diags: list[Diagnostic] = []
    for result in read_inputs([str(i) for i in inputs]):
        if isinstance(result, SourceDocument):
            docs.append(result)
        else:
            diags.append(result)
    return docs, diags


def _content(doc: SourceDocument) -> SourceDocument:
    """A document without where it came from, to compare content read from several places."""
    source = dataclasses.replace(doc.source, path="")
    return dataclasses.replace(doc, source=source, diagnostics=())


def _errors(docs: list[SourceDocument], diags: list[Diagnostic]) -> list[str]:
    found = [d for d in diags if d.severity is Severity.ERROR]
    found += [d for doc in docs for d in doc.diagnostics if d.severity is Severity.ERROR]
    return [d.render() for d in found]


# --- the real corpus -------------------------------------------------------------------------


def test_corpus_is_there(corpus_dir: Path) -> None:
    assert len(CORPUS_FILES) == len(MANIFEST) == 332
    assert set(CORPUS_FILES) == set(MANIFEST)


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_one_document_per_manifest_row(name: str) -> None:
    rows = MANIFEST[name]
    docs, diags = _read(CORPUS / name)
    assert not _errors(docs, diags)
    assert not diags
    assert len(docs) == len(rows)
    expected = Counter(row["reference_id"] for row in rows)
    if rows[0]["form"] == "text":
        (doc,) = docs
        file_id = id_from_file_name(name)
        assert doc.source_id in {rows[0]["reference_id"], file_id}
        if file_id is not None:
            assert doc.source_id is not None
        assert doc.source.form in {SourceForm.TEXT, SourceForm.PLUSD}
        assert doc.header == ""
    else:
        assert Counter(d.source_id for d in docs) == expected
        assert {d.source.form.value for d in docs} == {
            {"other": "jsonl"}.get(rows[0]["form"], rows[0]["form"])
        }
    for doc in docs:
        assert doc.body.strip()
        assert len(doc.source.sha256) == 64
        assert doc.source.path == str(CORPUS / name)


def test_corpus_folder_reads_cables_and_flags_the_rest(corpus_dir: Path) -> None:
    docs, diags = _read(corpus_dir)
    assert len(docs) == sum(len(rows) for rows in MANIFEST.values()) == 341
    assert all(d.severity is Severity.WARNING and d.code == "reader.not-a-cable" for d in diags)
    flagged = sorted(str(Path(d.path or "").relative_to(corpus_dir)) for d in diags)
    expected = sorted(
        ["MANIFEST.tsv", "README.md", "gold/README.md"] + [f"gold/{n}" for n in GOLD_FILES]
    )
    assert flagged == expected
    # sorted walk: csv/ first, then gold/ (flagged), html2010/, html2011/, other/, text/
    paths = [d.source.path for d in docs]
    assert paths == sorted(paths, key=lambda p: Path(p).relative_to(corpus_dir).parts)


def _gold_records() -> list[dict[str, object]]:
    return [json.loads((GOLD / name).read_text("utf-8")) for name in GOLD_FILES]


@pytest.mark.parametrize("gold", _gold_records(), ids=GOLD_FILES)
def test_gold_metadata(gold: dict[str, object]) -> None:
    docs, _ = _read(CORPUS / str(gold["file"]))
    if "line" in gold:
        (doc,) = [d for d in docs if d.source.line == gold["line"]]
    else:
        (doc,) = docs
    uncertain = set(gold.get("uncertain", []))  # type: ignore[call-overload]
    assert [r[:10] for r in doc.released] == gold["released"]
    has_metadata = doc.source.form not in {SourceForm.TEXT, SourceForm.PLUSD}
    for key in ("classification", "origin"):
        value = getattr(doc, key)
        if has_metadata:
            assert value is not None
        if value is not None and key not in uncertain:
            assert value == gold[key]
    if "reference_id" not in uncertain and doc.source_id is not None:
        assert doc.source_id == gold["reference_id"]


# --- pages -----------------------------------------------------------------------------------


def _pages() -> list[SourceDocument]:
    docs, _ = _read(CORPUS / "html2010", CORPUS / "html2011")
    return docs


def test_pages_render_text_as_a_browser_does() -> None:
    for doc in _pages():
        for text in (doc.header, doc.body):
            assert "&#x000A;" not in text
            assert "<a " not in text and "</a>" not in text
            assert "\r" not in text
        assert "¬" not in doc.body  # a bare '&not...' is text, not the entity
        assert doc.source_id and doc.created and doc.classification and doc.origin
        assert len(doc.released) == 1
        tab_row = "reader.tab-row-body" in [d.code for d in doc.diagnostics]
        assert doc.body_line == doc.header_line + (0 if tab_row else 1)
    madrid = [d for d in _pages() if d.source_id == "07MADRID1021"]
    assert madrid and all("&bridge8" in d.body for d in madrid)


def test_page_classification_is_the_link_text_not_its_title() -> None:
    path = CORPUS / "html2010" / "02BRASILIA4227__anarchivist_cablegate-data__684d4e99.html"
    assert "title='unclassified'>CONFIDENTIAL<" in path.read_text("utf-8")
    (doc,), _ = _read(path)
    assert doc.classification == "CONFIDENTIAL"
    assert doc.title is None  # "Viewing cable 02BRASILIA4227," with an empty subject


def test_page_title_articles_and_tab_row() -> None:
    path = CORPUS / "html2011" / "06GENEVA2030__avilaroman_Wikileaks-Mirror__ae11afa5.html"
    (doc,), _ = _read(path)
    assert doc.title == "INSIDE THE HUMAN RIGHTS COUNCIL \\"
    assert [(a.url, a.title) for a in doc.articles] == [
        ("http://http://www.letemps.ch/swiss_papers", "http://www.letemps.ch/swiss_papers")
    ]
    assert doc.created == "2006-08-23 05:21"  # the row's minute; the table says 05:05
    assert doc.metadata_references == ("06GENEVA1954", "06STATE130904")
    assert doc.header.startswith("VZCZCXRO8205\nPP RUEHAG")
    assert doc.body.startswith("C O N F I D E N T I A L SECTION 01 OF 04 GENEVA 002030 \n")
    assert "SUBJECT: INSIDE THE HUMAN RIGHTS COUNCIL \n" in doc.body
    assert doc.body.endswith("TICHENOR ")
    assert "\\\n" not in doc.body and "\t" not in doc.body
    assert [d.code for d in doc.diagnostics] == ["reader.tab-row-body"]


TAB_ROW_PAGES = [
    ("06BERN1593", "2006-08-29 17:54"),
    ("06GENEVA2030", "2006-08-23 05:21"),
    ("07BERN258", "2007-03-16 07:49"),
    ("08BOGOTA2506", "2008-07-11 22:33"),
    ("09BERN350", "2009-08-20 15:10"),
    ("10TASHKENT47", "2010-01-28 13:35"),
]


@pytest.mark.parametrize(("cable", "created"), TAB_ROW_PAGES)
def test_tab_row_bodies_are_unpacked(cable: str, created: str) -> None:
    (path,) = (CORPUS / "html2011").glob(f"{cable}__*.html")
    (doc,), _ = _read(path)
    assert doc.created == created
    assert "reader.tab-row-body" in [d.code for d in doc.diagnostics]
    assert not re.match(r"\d", doc.body) and "\t" not in doc.body
    assert re.search(r"^FM ", doc.header, re.MULTILINE)


def test_partial_extracts_and_full_release() -> None:
    pages = _pages()
    partial = [d for d in pages if d.partial_extract]
    assert len(partial) == 72
    assert sum(1 for d in partial if d.header == "") == 67
    harare = [d for d in partial if d.source_id == "00HARARE5461"]
    assert harare[0].header.lstrip().startswith("CONFIDENTIAL     PTQ2529")
    full = sorted(d.source_id or "" for d in pages if d.full_release)
    assert full == [
        "72TEHRAN1164",
        "72TEHRAN1381",
        "72TEHRAN4789",
        "73TEHRAN2077",
        "73TEHRAN8233",
    ]
    assert all(d.released == ("2011-08-30 01:44",) for d in pages if d.full_release)


def test_page_templates() -> None:
    pages = _pages()
    for doc in pages:
        folder = Path(doc.source.path).parent.name
        assert doc.source.form.value == folder  # every 2011 mirror page uses cables.js
    relative = [d for d in pages if "09TUNIS372" == d.source_id]
    assert relative and "TAGS: " in relative[0].body


def test_early_four_column_table() -> None:
    (doc,), diags = _read(DATA / "early_4col_page.html")
    assert not diags
    assert doc.released == ()
    assert doc.created == "2005-11-18 16:04"
    assert (doc.classification, doc.origin) == ("UNCLASSIFIED", "Embassy Madrid")


# --- cables.csv ------------------------------------------------------------------------------


def test_csv_row() -> None:
    (doc,), diags = _read(CSV_ROW)
    assert not diags
    assert doc.source_id == "72TEHRAN1164"
    assert doc.created == "2/25/1972 9:30"
    assert doc.metadata_references == ("72MOSCOW1603", "72TEHRAN1091", "72TEHRAN263")
    assert doc.header.startswith("R 250930Z FEB 72 \nFM AMEMBASSY TEHRAN\n")
    assert "SHAH'S REQUEST" in doc.body and "\\'" not in doc.body
    assert (doc.header_line, doc.body_line) == (1, 7)
    raw = CSV_ROW.read_bytes()
    assert doc.source.sha256 == _sha(raw[:-1])  # the row's bytes without its final line break


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_csv_broken_rows_do_not_swallow_the_next() -> None:
    docs, diags = _read(DATA / "cables_multi.csv")
    assert [d.source.line for d in docs] == [1, 42, 124, 206, 288]
    assert [(d.code, d.line) for d in diags] == [
        ("reader.csv-row-broken", 104),
        ("reader.csv-row-unterminated", 205),
        ("reader.csv-row-columns", 247),
    ]
    assert all(d.severity is Severity.ERROR and d.hint for d in diags)
    first = docs[0]
    assert all(d.body == first.body and d.header == first.header for d in docs[1:4])
    assert docs[4].body == first.body + "\\"  # an escaped backslash before the closing quote
    assert [d.body_line - d.source.line for d in docs] == [6] * 5


def test_csv_crlf_and_latin1() -> None:
    raw = CSV_ROW.read_bytes().replace(b"\n", b"\r\n").replace(b"HECK", b"H\xe9CK")
    docs = list(read_stream(io.BytesIO(raw), "crlf.csv"))
    (doc,) = docs
    assert isinstance(doc, SourceDocument)
    assert "\r" not in doc.body and doc.body.endswith("H\u00e9CK \n")
    assert [d.code for d in doc.diagnostics] == ["reader.not-utf8"]


class _Repeat(io.RawIOBase):
    """A stream of ``count`` copies of ``row``, made on the fly."""

    def __init__(self, row: bytes, count: int) -> None:
        self.row, self.left, self.pending = row, count, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while len(self.pending) < len(buffer) and self.left:
            self.pending += self.row
            self.left -= 1
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def _peak_while_reading(count: int) -> tuple[int, int]:
    stream = io.BufferedReader(_Repeat(CSV_ROW.read_bytes(), count))
    tracemalloc.start()
    try:
        read = sum(1 for _ in read_stream(stream, "big.csv"))
        return read, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_csv_memory_stays_flat() -> None:
    small_count, small_peak = _peak_while_reading(50)
    big_count, big_peak = _peak_while_reading(1500)  # 10 MB of rows
    assert (small_count, big_count) == (50, 1500)
    assert big_peak < 2 * small_peak + 256 * 1024


# --- JSON lines ------------------------------------------------------------------------------


def _jsonl() -> list[SourceDocument]:
    docs, diags = _read(JSONL)
    assert not diags
    return docs


def test_jsonl_line_numbers_and_metadata() -> None:
    docs = _jsonl()
    assert [d.source.line for d in docs] == list(range(1, 11))
    raw = JSONL.read_bytes().splitlines()
    assert [d.source.sha256 for d in docs] == [_sha(line) for line in raw]
    assert all(d.released == () for d in docs)
    assert all("reader.jsonl-line-breaks-restored" in [x.code for x in d.diagnostics] for d in docs)


@pytest.mark.parametrize(
    ("line", "dtg", "sender", "tags", "subject"),
    [
        (5, "R 271548Z FEB 09", "FM AMEMBASSY ANKARA", "TAGS: PREL ENRG EPET TU IR",
         "SUBJECT: DEALS WITH IRAN BENEFIT PM ERDOGAN'S FRIENDS"),
        (8, "P 241420Z SEP 09", "FM RPO DUBAI", "TAGS: PREL PGOV IR",
         "SUBJECT: IRAN: CLERICAL CONFAB STIFFS RAFSANJANI FOR SUPREME LEADER"),
    ],
)  # fmt: skip
def test_jsonl_line_breaks_for_gold_lines(
    line: int, dtg: str, sender: str, tags: str, subject: str
) -> None:
    (doc,) = [d for d in _jsonl() if d.source.line == line]
    header = doc.header.split("\n")
    assert dtg in header and sender in header
    assert header[header.index(sender) + 1].startswith("TO RUEHC/SECSTATE WASHDC")
    body = [text.strip() for text in doc.body.split("\n")]
    assert tags in body and subject in body


def test_jsonl_restoration_only_inserts_line_breaks() -> None:
    for line, doc in zip(JSONL.read_bytes().splitlines(), _jsonl(), strict=True):
        record = json.loads(line)
        assert doc.header.replace("\n", "") == record["header"]
        assert doc.body.replace("\n", "") == record["body"]
        for text in doc.header.split("\n")[1:]:
            assert re.match(
                r"(?:[A-Z]{2} R|DE R|ZN[YR] |[A-Z]? ?\d{6}Z|FM |TO |INFO |R[A-Z]+/)", text
            )
        numbered = re.findall(r"¶\d{1,3}\.", doc.body)
        assert len(re.findall(r"^¶\d{1,3}\.", doc.body, re.MULTILINE)) == len(numbered)


def test_restore_line_breaks_rules() -> None:
    header, body, added = restore_line_breaks(
        "VZCZCXRO1234PP RUEHAADE RUEHBB #0001/01 0101010ZNY CCCCC ZZHR 010101Z JAN 09"
        "FM AMEMBASSY TORONTOTO RUEHC/SECSTATE WASHDC 1INFO RUEHZL/EU COLLECTIVE"
        "RUEHXX/AMEMBASSY HARBORRUEHC/SECSTATE WASHDC",
        "UNCLAS ROME 000001SIPDISE.O. 12958: DECL: 01/01/2019TAGS: PRELSUBJECT: X "
        "REF: A. ROME 1Classified By: Me ¶1. (U) Text. ¶2. (U) More.",
    )
    assert header.split("\n") == [
        "VZCZCXRO1234",
        "PP RUEHAA",
        "DE RUEHBB #0001/01 0101010",
        "ZNY CCCCC ZZH",
        "R 010101Z JAN 09",
        "FM AMEMBASSY TORONTO",
        "TO RUEHC/SECSTATE WASHDC 1",
        "INFO RUEHZL/EU COLLECTIVE",
        "RUEHXX/AMEMBASSY HARBOR",
        "RUEHC/SECSTATE WASHDC",
    ]
    assert body.split("\n") == [
        "UNCLAS ROME 000001",
        "SIPDIS",
        "E.O. 12958: DECL: 01/01/2019",
        "TAGS: PREL",
        "SUBJECT: X ",
        "REF: A. ROME 1",
        "Classified By: Me ",
        "¶1. (U) Text. ",
        "¶2. (U) More.",
    ]
    assert added == 9 + 8
    assert restore_line_breaks("A\nB", "C\nD") == ("A\nB", "C\nD", 0)


def test_jsonl_bad_lines_are_diagnostics() -> None:
    docs, diags = _read(DATA / "jsonl_mixed.json")
    assert [d.source.line for d in docs] == [1, 2, 4, 8]
    assert [(d.code, d.severity, d.line) for d in diags] == [
        ("reader.jsonl-bad-json", Severity.ERROR, 3),
        ("reader.jsonl-not-object", Severity.ERROR, 5),
        ("reader.not-a-cable", Severity.WARNING, 6),
    ]


def test_json_field_of_the_wrong_type() -> None:
    data = b'{"reference_id": "09X1", "header": 7, "body": "text", "origin": ["a"]}\n'
    (doc,) = list(read_stream(io.BytesIO(data), "x.json"))
    assert isinstance(doc, SourceDocument)
    assert (doc.header, doc.body, doc.origin) == ("", "text", None)
    assert [d.code for d in doc.diagnostics] == ["reader.json-field-type"] * 2


# --- text ------------------------------------------------------------------------------------


def _text(name: str) -> SourceDocument:
    (doc,), diags = _read(CORPUS / "text" / name)
    assert not diags
    return doc


def test_text_scrapes_lose_their_html_leftovers() -> None:
    docs, _ = _read(*(CORPUS / "text").glob("*_tathagata_reveal.txt"))
    assert len(docs) == 30
    for doc in docs:
        assert doc.source.form is SourceForm.TEXT
        assert not re.search(r"</?(?:a|code|pre)\b", doc.body)
        assert "reader.html-leftovers-removed" in [d.code for d in doc.diagnostics]
    cairo = _text("07CAIRO1417__tathagata_reveal.txt")
    assert "TAGS: PREL PGOV KDEM EG\n" in cairo.body
    assert "\n¶B. CAIRO 974 \n¶C. 2006 CAIRO 2010 \n" in cairo.body
    assert cairo.body.startswith("C O N F I D E N T I A L CAIRO 001417 \n")


def test_text_metadata_lines() -> None:
    doc = _text("09KABUL3326__tathagata_reveal.txt")
    assert (doc.source_id, doc.created, doc.classification, doc.origin) == (
        "09KABUL3326",
        "2009-10-18",
        "CONFIDENTIAL",
        "Embassy Kabul",
    )
    assert doc.metadata_references == ("09KABUL3095",)
    assert doc.body.startswith("C O N F I D E N T I A L KABUL 003326 \n")
    assert doc.body_line == 7


def test_blog_repost() -> None:
    doc = _text("06ASTANA395__blog-repost.txt")
    assert (doc.source_id, doc.created, doc.released) == (
        "06ASTANA395",
        "2006-11-02 03:47",
        ("2011-08-30 01:44",),
    )
    assert (doc.classification, doc.origin) == (
        "UNCLASSIFIED//FOR OFFICIAL USE ONLY",
        "Embassy Astana",
    )
    assert doc.full_release
    assert doc.body.lstrip().startswith("DE RUEHTA #0395/01 3060347\nR 020347Z NOV 06\n")
    assert doc.body.endswith("their leaders.  End comment.")
    assert "WordPress" not in doc.body and "WikiSource" not in doc.body
    assert doc.body_line == 8


def test_plusd_printouts() -> None:
    docs, _ = _read(*(CORPUS / "text").glob("*_paul-mathieu_cablegate-cia-analysis.txt"))
    assert len(docs) == 12
    for doc in docs:
        assert doc.source.form is SourceForm.PLUSD
        assert "\r" not in doc.body
        assert re.search(r"^FM [A-Z]", doc.body, re.MULTILINE)
        assert doc.source_id == id_from_file_name(doc.source.path)
        assert (doc.created, doc.classification, doc.origin) == (None, None, None)
    kingston = _text("07KINGSTON482__paul-mathieu_cablegate-cia-analysis.txt")
    assert "\n¶1. Last year, expatriate Jam" in kingston.body.replace("\u00b61", "¶1")


def test_article_repost_with_mojibake() -> None:
    (path,) = (CORPUS / "text").glob("*.md")
    (doc,), diags = _read(path)
    assert not diags
    assert doc.body.startswith("VZCZCXRO4744 PP RUEHAG")
    assert "Â" not in doc.body and "¶1. (S) During his 8 years" in doc.body
    assert doc.source_id is None  # nothing names it: the parser derives it from the banner
    codes = [d.code for d in doc.diagnostics]
    assert "reader.mojibake-repaired" in codes and "reader.leading-text-removed" in codes
    assert "reader.no-reference-id" in codes


def test_articles_list_at_the_top_of_a_text() -> None:
    text = CORPUS / "text" / "09TRIPOLI637__tathagata_reveal.txt"
    data = b"Appears in these articles:\nhttp://http://www.example.org/a\n" + text.read_bytes()
    (doc,) = list(read_stream(io.BytesIO(data), "09TRIPOLI637.txt"))
    assert isinstance(doc, SourceDocument)
    assert [a.url for a in doc.articles] == ["http://http://www.example.org/a"]
    assert doc.body.startswith("C O N F I D E N T I A L SECTION 01 OF 02 TRIPOLI 000637")
    assert doc.source_id == "09TRIPOLI637"


# --- inputs: names, folders, globs, gzip, stdin ----------------------------------------------


SAMPLES = [
    "html2010/04OTTAWA3115__anarchivist_cablegate-data__f28fae1d.html",
    "html2011/72TEHRAN4789__MarkChips_cablegate-search-app__92de6e06.html",
    "csv/cables_sample.row2.csv",
    "other/wikileaks-11-28-10.subset.json",
    "text/07KINGSTON482__paul-mathieu_cablegate-cia-analysis.txt",
    "text/09KABUL3326__tathagata_reveal.txt",
]


@pytest.mark.parametrize("name", SAMPLES)
def test_form_does_not_depend_on_the_file_name(name: str, tmp_path: Path) -> None:
    original, _ = _read(CORPUS / name)
    renamed = tmp_path / "x.bin"
    shutil.copyfile(CORPUS / name, renamed)
    copied, diags = _read(renamed)
    assert not diags
    named = [d for d in original if "reader.id-from-file-name" in [x.code for x in d.diagnostics]]
    if named:  # a text whose only ID is its file name's: the copy has none
        assert [d.source_id for d in copied] == [None]
        original = [dataclasses.replace(d, source_id=None) for d in original]
    assert [_content(d) for d in copied] == [_content(d) for d in original]


def test_gzip_folder_glob_and_stdin(tmp_path: Path) -> None:
    names = [SAMPLES[0], SAMPLES[2], SAMPLES[3]]
    expected = [_content(d) for n in names for d in _read(CORPUS / n)[0]]
    (tmp_path / "b" / "c").mkdir(parents=True)
    for index, name in enumerate(names):
        data = (CORPUS / name).read_bytes()
        target = tmp_path / ("b/c" if index else "b") / f"{index}.gz"
        target.write_bytes(gzip.compress(data))
    (tmp_path / "b" / ".hidden").write_bytes(b"ignored")
    folder_docs, folder_diags = _read(tmp_path / "b")
    assert not folder_diags
    # sorted walk: b/0.gz, then b/c/1.gz and b/c/2.gz
    assert [_content(d) for d in folder_docs] == expected
    glob_docs, _ = _read(str(tmp_path / "b" / "**" / "*.gz"))
    assert sorted(d.source.path for d in glob_docs) == sorted(d.source.path for d in folder_docs)
    stdin = io.BytesIO((CORPUS / names[1]).read_bytes())
    results = list(read_inputs(["-"], stdin=stdin))
    assert [_content(d) for d in results if isinstance(d, SourceDocument)] == expected[1:2]
    assert results[0].source.path == "<stdin>"  # type: ignore[union-attr]


def test_missing_inputs_are_errors(tmp_path: Path) -> None:
    results = list(
        read_inputs([str(tmp_path / "nope.csv"), str(tmp_path / "*.none"), str(CSV_ROW)])
    )
    assert [type(r).__name__ for r in results] == ["Diagnostic", "Diagnostic", "SourceDocument"]
    for result in results[:2]:
        assert isinstance(result, Diagnostic)
        assert (result.severity, result.code) == (Severity.ERROR, "reader.missing-input")
        assert result.hint


def test_truncated_gzip_keeps_what_came_before() -> None:
    packed = gzip.compress(CSV_ROW.read_bytes() * 40, compresslevel=0)  # halves stay halves
    results = list(read_stream(io.BytesIO(packed[: len(packed) // 2]), "cut.csv.gz"))
    docs = [r for r in results if isinstance(r, SourceDocument)]
    diags = [r for r in results if isinstance(r, Diagnostic)]
    assert 0 < len(docs) < 40
    assert diags[-1].code == "reader.gzip-corrupt" and diags[-1].severity is Severity.ERROR
    empty = list(read_stream(io.BytesIO(b""), "empty.txt"))
    assert [(d.code, d.severity) for d in empty] == [("reader.empty-input", Severity.WARNING)]  # type: ignore[union-attr]


def test_non_cable_inputs_are_flagged() -> None:
    for data in (
        b"just some words\n",
        b"\x00\x01\x02binary",
        b"<html><body>hi</body></html>",
        b"[1, 2",
        b"[not json] just words\n",
    ):
        (result,) = list(read_stream(io.BytesIO(data), "x"))
        assert isinstance(result, Diagnostic)
        assert result.severity in (Severity.WARNING, Severity.ERROR)


# --- never raises, always ends ---------------------------------------------------------------


def _drain(data: bytes) -> list[SourceDocument | Diagnostic]:
    started = time.monotonic()
    results = list(read_stream(io.BytesIO(data), "fuzz"))
    assert time.monotonic() - started < 5
    for result in results:
        assert isinstance(result, (SourceDocument, Diagnostic))
    return results


PREFIXES = [b"", b'"1","1/2/2003 4:05","', b"{", b"<html>", b"\x1f\x8b", b"<code><pre>", b"VZCZC"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PREFIXES), st.binary(max_size=3000))
def test_never_raises_on_arbitrary_bytes(prefix: bytes, data: bytes) -> None:
    _drain(prefix + data)


MUTATION_SOURCES = [CORPUS / name for name in SAMPLES] + [
    CORPUS / "html2011" / "06GENEVA2030__avilaroman_Wikileaks-Mirror__ae11afa5.html",
    CORPUS / "text" / "06ASTANA395__blog-repost.txt",
    DATA / "cables_multi.csv",
]


def _mutations() -> st.SearchStrategy[tuple[int, list[tuple[float, int, bytes]]]]:
    edit = st.tuples(st.floats(0, 1), st.integers(0, 40), st.binary(max_size=20))
    return st.tuples(st.integers(0, len(MUTATION_SOURCES) - 1), st.lists(edit, max_size=8))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations(), st.booleans())
def test_never_raises_on_mutated_real_files(
    mutation: tuple[int, list[tuple[float, int, bytes]]], packed: bool
) -> None:
    index, edits = mutation
    data = bytearray(MUTATION_SOURCES[index].read_bytes())
    for where, cut, insert in edits:
        at = int(where * len(data))
        data[at : at + cut] = insert
    payload = gzip.compress(bytes(data)) if packed else bytes(data)
    _drain(payload)


def _chunks(data: bytes) -> Iterator[bytes]:
    yield from (data[i : i + 7] for i in range(0, len(data), 7))


def test_slow_stream_reads_the_same() -> None:
    class Dribble(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.parts = _chunks(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            part = next(self.parts, b"")
            buffer[: len(part)] = part
            return len(part)

    data = (DATA / "cables_multi.csv").read_bytes()
    direct = [
        _content(d) for d in read_stream(io.BytesIO(data), "a") if isinstance(d, SourceDocument)
    ]
    slow = read_stream(io.BufferedReader(Dribble(data), buffer_size=7), "a")
    assert [_content(d) for d in slow if isinstance(d, SourceDocument)] == direct


def test_every_diagnostic_code_is_listed() -> None:
    from cablerdf.readers import DIAGNOSTIC_CODES

    sources = Path(__file__).parent.parent / "src" / "cablerdf" / "readers"
    used = {
        code
        for path in sources.glob("*.py")
        if path.name != "common.py"
        for code in re.findall(r'"(reader\.[a-z0-9-]+)"', path.read_text("utf-8"))
    }
    used |= {"reader.not-utf8"}  # built in common.py
    assert used == set(DIAGNOSTIC_CODES)
