"""The strict RDF checkers' own tests: each accepts valid files and rejects each kind of break.

The fixtures in ``tests/data/rdfcheck/`` are small hand-written files, one break each. Every
rejection is checked for the checker's reason, so that a fixture broken in an unintended way
(or a checker that rejects everything) cannot pass.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdfcheck import (
    REPO,
    check_jsonld_safe,
    check_n3,
    check_riot,
    check_serdi,
)

DATA = Path(__file__).resolve().parent / "data" / "rdfcheck"
CONTEXT_IRI = "https://cables.example.org/context.jsonld"
CONTEXT_WITH_BASE_IRI = "https://cables.example.org/context-with-base.jsonld"
CONTEXTS = {
    CONTEXT_IRI: DATA / "context.jsonld",
    CONTEXT_WITH_BASE_IRI: DATA / "context-with-base.jsonld",
}

Checker = Callable[[Path, str], None]


def _serdi(path: Path, syntax: str) -> None:
    check_serdi(path, syntax)


def _riot(path: Path, syntax: str) -> None:
    check_riot(path, syntax)


def _n3(path: Path, syntax: str) -> None:
    check_n3(path)


CHECKERS: dict[str, Checker] = {"serdi": _serdi, "riot": _riot, "n3": _n3}

VALID = [("valid.nt", "nt"), ("valid.ttl", "ttl"), ("valid.nq", "nq")]

# (fixture, syntax, {checker: pattern its message must match})
BROKEN: list[tuple[str, str, dict[str, str]]] = [
    (
        "missing-final-dot.nt",
        "nt",
        {
            "serdi": r"missing-final-dot\.nt:3:\d+: unexpected end of file",
            "riot": r"missing-final-dot\.nt:3:1: error: Triple not terminated by DOT",
            "n3": r"missing-final-dot\.nt:3:1: error: Expected punctuation",
        },
    ),
    (
        "raw-newline-in-literal.nt",
        "nt",
        {
            "serdi": r"raw-newline-in-literal\.nt:1:\d+: line end in short string",
            "riot": r"raw-newline-in-literal\.nt:2:1: error: Broken token \(newline\)",
            "n3": r"raw-newline-in-literal\.nt:1:\d+: error: Unexpected \"\"FIRST\"",
        },
    ),
    (
        "raw-newline-in-literal.ttl",
        "ttl",
        {
            "serdi": r"raw-newline-in-literal\.ttl:3:\d+: line end in short string",
            "riot": r"raw-newline-in-literal\.ttl:4:1: error: Broken token \(newline\)",
            "n3": r"raw-newline-in-literal\.ttl:3:\d+: error: Unexpected \"\"FIRST\"",
        },
    ),
    (
        "undefined-prefix.ttl",
        "ttl",
        {
            # serdi names neither file nor position for this one.
            "serdi": r"undefined namespace prefix `schema:position'",
            "riot": r"undefined-prefix\.ttl:4:5: error: Undefined prefix: schema",
            "n3": r"undefined-prefix\.ttl:4:5: error: Undefined prefix \"schema:\"",
        },
    ),
    (
        "iri-with-space.nt",
        "nt",
        {
            "serdi": r"iri-with-space\.nt:2:\d+: invalid IRI character",
            "riot": r"iri-with-space\.nt:2:\d+: error: Bad character in IRI \(space\)",
            "n3": r"iri-with-space\.nt:2:1: error: Unexpected \"<https://cables\.example\.org/cable/06\"",
        },
    ),
    (
        "iri-with-space.ttl",
        "ttl",
        {
            "serdi": r"iri-with-space\.ttl:3:\d+: invalid IRI character",
            "riot": r"iri-with-space\.ttl:3:\d+: error: Bad character in IRI \(space\)",
            "n3": r"iri-with-space\.ttl:3:1: error: Unexpected \"<https://cables\.example\.org/cable/06\"",
        },
    ),
    (
        "bad-language-tag.nt",
        "nt",
        {
            "serdi": r"bad-language-tag\.nt:1:\d+: missing ';' or '\.'",
            "riot": r"bad-language-tag\.nt:1:105: error: Triple not terminated by DOT: \[UNDERSCORE\]",
            "n3": r"bad-language-tag\.nt:1:105: error: Unexpected \"_US\"",
        },
    ),
    (
        "bad-language-tag.ttl",
        "ttl",
        {
            "serdi": r"bad-language-tag\.ttl:3:\d+: missing ';' or '\.'",
            "riot": r"bad-language-tag\.ttl:3:82: error: Triples not terminated by DOT",
            "n3": r"bad-language-tag\.ttl:3:82: error: Unexpected \"_US\"",
        },
    ),
]

# (fixture, pattern the jsonld-safe message must match)
JSONLD_BROKEN = [
    (
        "undefined-term.jsonld",
        r"undefined-term\.jsonld:5:3: error: .*invalid property.*\"classification\"",
    ),
    (
        "bad-language-tag.jsonld",
        r"bad-language-tag\.jsonld:4:\d+: error: .*invalid @language value",
    ),
    ("iri-with-space.jsonld", r"iri-with-space\.jsonld:3:9: error: .*relative @id reference"),
    (
        "iri-with-brace.jsonld",
        r"iri-with-brace\.jsonld: error: Unexpected .* in the N-Quads that toRDF produced",
    ),
    ("not-json.jsonld", r"not-json\.jsonld:5:1: error: not JSON"),
    ("relative-iri.jsonld", r"context-with-base\.jsonld sets @base"),
]

# (fixture, pattern the riot message must match): what Jena's JSON-LD 1.0 reader does catch.
RIOT_JSONLD_BROKEN = [
    ("bad-language-tag.jsonld", r"bad-language-tag\.jsonld: warning: Language not valid"),
    ("iri-with-space.jsonld", r"iri-with-space\.jsonld: warning: Bad IRI: .*Spaces"),
    ("iri-with-brace.jsonld", r"iri-with-brace\.jsonld: warning: Bad IRI"),
    ("not-json.jsonld", r"not-json\.jsonld:5:2: error: Unexpected character"),
]


def _rejection(check: Callable[[], None]) -> str:
    with pytest.raises(AssertionError) as caught:
        check()
    return str(caught.value)


def _gzip_copy(source: Path, directory: Path) -> Path:
    target = directory / (source.name + ".gz")
    target.write_bytes(gzip.compress(source.read_bytes()))
    return target


# --- Turtle, N-Triples, N-Quads: serdi, riot, N3.js -------------------------------------


@pytest.mark.parametrize("checker", sorted(CHECKERS))
@pytest.mark.parametrize(("name", "syntax"), VALID)
def test_accepts_valid(checker: str, name: str, syntax: str) -> None:
    CHECKERS[checker](DATA / name, syntax)


@pytest.mark.parametrize("checker", sorted(CHECKERS))
@pytest.mark.parametrize(("name", "syntax", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_rejects_broken(checker: str, name: str, syntax: str, expected: dict[str, str]) -> None:
    message = _rejection(lambda: CHECKERS[checker](DATA / name, syntax))
    assert re.search(expected[checker], message), message


@pytest.mark.parametrize("checker", sorted(CHECKERS))
def test_reads_gzip(checker: str, tmp_path: Path) -> None:
    CHECKERS[checker](_gzip_copy(DATA / "valid.nt", tmp_path), "nt")
    broken = _gzip_copy(DATA / "missing-final-dot.nt", tmp_path)
    message = _rejection(lambda: CHECKERS[checker](broken, "nt"))
    assert "missing-final-dot.nt.gz" in message, message


@pytest.mark.parametrize("checker", sorted(CHECKERS))
def test_rejects_truncated_gzip(checker: str, tmp_path: Path) -> None:
    """A gzip stream cut short must fail, even where the text so far is valid."""
    data = gzip.compress((DATA / "valid.nt").read_bytes() * 50)
    truncated = tmp_path / "truncated.nt.gz"
    truncated.write_bytes(data[: len(data) - 12])
    _rejection(lambda: CHECKERS[checker](truncated, "nt"))


def _tricky_dataset(texts: list[str]) -> ox.Dataset:
    subject = ox.NamedNode("https://cables.example.org/cable/06ASTANA395")
    title = ox.NamedNode("http://purl.org/dc/terms/title")
    graph = ox.NamedNode("https://cables.example.org/graph/06ASTANA395")
    dataset = ox.Dataset()
    tag = ox.NamedNode("https://cables.example.org/tag/caf%C3%A9/\u00e9\u4e2d")
    dataset.add(ox.Quad(subject, ox.NamedNode("http://purl.org/dc/terms/subject"), tag, graph))
    for text in texts:
        dataset.add(ox.Quad(subject, title, ox.Literal(text), ox.DefaultGraph()))
        dataset.add(ox.Quad(subject, title, ox.Literal(text, language="en-GB"), graph))
    return dataset


TRICKY_TEXTS = [
    "".join(chr(c) for c in range(0x20)) + "\x7f\"\\'",
    "\u0085\u2028\u2029\ufeff\U0001f600\U0010fffd",
    "e\u0301 \u05e9\u05dc\u05d5\u05dd \u0627\u0644\u0633\u0644\u0627\u0645",
    "",
    " leading and trailing ",
    '"""triple quotes""" and ends with a quote"',
]


def _serialize(data: ox.Dataset | list[ox.Triple], fmt: ox.RdfFormat) -> bytes:
    out = ox.serialize(data, format=fmt, prefixes={"dct": "http://purl.org/dc/terms/"})
    assert out is not None
    return out


def _write_all_syntaxes(dataset: ox.Dataset, directory: Path) -> dict[str, Path]:
    files = {}
    for syntax, fmt in (("nq", ox.RdfFormat.N_QUADS), ("trig", ox.RdfFormat.TRIG)):
        path = directory / f"tricky.{syntax}"
        path.write_bytes(_serialize(dataset, fmt))
        files[syntax] = path
    triples = [q.triple for q in dataset if q.graph_name == ox.DefaultGraph()]
    for syntax, fmt in (("nt", ox.RdfFormat.N_TRIPLES), ("ttl", ox.RdfFormat.TURTLE)):
        path = directory / f"tricky.{syntax}"
        path.write_bytes(_serialize(triples, fmt))
        files[syntax] = path
    return files


@pytest.mark.parametrize("checker", sorted(CHECKERS))
def test_accepts_tricky_literals(checker: str, tmp_path: Path) -> None:
    """Control characters, line separators, non-BMP and RTL text, escaped correctly: valid."""
    for syntax, path in _write_all_syntaxes(_tricky_dataset(TRICKY_TEXTS), tmp_path).items():
        CHECKERS[checker](path, syntax)


@pytest.fixture(scope="module")
def every_code_point(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every Unicode scalar value but U+FFFD, 256 to a literal, as N-Triples and Turtle."""
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and c != 0xFFFD]
    texts = ["".join(chars[i : i + 256]) for i in range(0, len(chars), 256)]
    return _write_all_syntaxes(_tricky_dataset(texts), tmp_path_factory.mktemp("code-points"))


@pytest.mark.parametrize("checker", sorted(CHECKERS))
@pytest.mark.parametrize("syntax", ["nt", "ttl"])
def test_accepts_every_code_point(
    checker: str, syntax: str, every_code_point: dict[str, Path]
) -> None:
    CHECKERS[checker](every_code_point[syntax], syntax)


@pytest.mark.parametrize("checker", ["serdi", "n3"])
def test_accepts_replacement_character(checker: str, tmp_path: Path) -> None:
    files = _write_all_syntaxes(_tricky_dataset(["caf\ufffd"]), tmp_path)
    for syntax, path in files.items():
        CHECKERS[checker](path, syntax)


def test_riot_flags_replacement_character(tmp_path: Path) -> None:
    """riot warns on U+FFFD, the mark of a wrong decode; riot-validate fails on any warning."""
    files = _write_all_syntaxes(_tricky_dataset(["caf\ufffd"]), tmp_path)
    message = _rejection(lambda: check_riot(files["nt"], "nt"))
    assert "warning: Unicode replacement character U+FFFD" in message, message


def test_riot_rejects_non_bmp_iri_characters(tmp_path: Path) -> None:
    """A Jena 4.5 bug: riot reads U+1F600 in an IRI as two surrogates and rejects them.

    The IRI is valid (RFC 3987 ucschar); mint IRIs with such characters percent-encoded.
    """
    path = tmp_path / "emoji-iri.nt"
    path.write_text(
        '<https://cables.example.org/tag/\U0001f600> <http://purl.org/dc/terms/title> "x" .\n',
        encoding="utf-8",
    )
    check_serdi(path, "nt")
    check_n3(path)
    message = _rejection(lambda: check_riot(path, "nt"))
    assert "Not a ucschar: 0xD83D" in message, message


# Any character but U+FFFD, which riot flags on purpose (see above).
TEXT = st.text(alphabet=st.characters(blacklist_characters="\ufffd"), max_size=40)


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.lists(TEXT, min_size=1, max_size=60))
def test_accepts_any_correctly_escaped_text(texts: list[str], tmp_path: Path) -> None:
    """Whatever the text, N-Triples and Turtle that escape it correctly pass every checker."""
    files = _write_all_syntaxes(_tricky_dataset(texts), tmp_path)
    for syntax in ("nt", "ttl"):
        check_serdi(files[syntax], syntax)
        check_n3(files[syntax])
    check_riot(files["nq"], "nq")


# --- JSON-LD: jsonld.js in safe mode, and riot's JSON-LD 1.0 reader ----------------------


def test_jsonld_safe_accepts_valid() -> None:
    check_jsonld_safe(DATA / "valid.jsonld", CONTEXTS)


def test_jsonld_safe_accepts_gzip(tmp_path: Path) -> None:
    check_jsonld_safe(_gzip_copy(DATA / "valid.jsonld", tmp_path), CONTEXTS)


@pytest.mark.parametrize(("name", "expected"), JSONLD_BROKEN, ids=[b[0] for b in JSONLD_BROKEN])
def test_jsonld_safe_rejects_broken(name: str, expected: str) -> None:
    message = _rejection(lambda: check_jsonld_safe(DATA / name, CONTEXTS))
    assert re.search(expected, message), message


def test_jsonld_safe_never_fetches_a_context() -> None:
    message = _rejection(lambda: check_jsonld_safe(DATA / "valid.jsonld", {}))
    assert f"no local copy of the remote document {CONTEXT_IRI}" in message, message


def test_jsonld_safe_accepts_pyoxigraph_output(tmp_path: Path) -> None:
    path = tmp_path / "tricky.jsonld"
    path.write_bytes(_serialize(_tricky_dataset(TRICKY_TEXTS), ox.RdfFormat.JSON_LD))
    check_jsonld_safe(path, {})


def test_riot_accepts_valid_jsonld() -> None:
    check_riot(DATA / "valid.jsonld", "jsonld", CONTEXTS)


@pytest.mark.parametrize(
    ("name", "expected"), RIOT_JSONLD_BROKEN, ids=[b[0] for b in RIOT_JSONLD_BROKEN]
)
def test_riot_rejects_broken_jsonld(name: str, expected: str) -> None:
    message = _rejection(lambda: check_riot(DATA / name, "jsonld", CONTEXTS))
    assert re.search(expected, message), message


def test_riot_drops_undefined_jsonld_keys_silently() -> None:
    """Why jsonld-safe exists: Jena accepts a key the context does not define, and drops it."""
    check_riot(DATA / "undefined-term.jsonld", "jsonld", CONTEXTS)


# --- A missing checker fails the test, naming the install command -----------------------


def test_missing_serdi_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    message = _rejection(lambda: check_serdi(DATA / "valid.nt", "nt"))
    assert "serdi is not installed; run: sudo bash tools/install-system.sh" in message


def test_missing_jena_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JENA_JAVA_DIR", str(tmp_path))
    message = _rejection(lambda: check_riot(DATA / "valid.nt", "nt"))
    assert "Jena riot is not installed" in message, message
    assert "tools/install-system.sh" in message, message


@pytest.mark.parametrize("check", ["n3", "jsonld"])
def test_missing_node_fails(check: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    if check == "n3":
        message = _rejection(lambda: check_n3(DATA / "valid.nt"))
    else:
        message = _rejection(lambda: check_jsonld_safe(DATA / "valid.jsonld", CONTEXTS))
    assert "needs Node.js, which is not installed" in message, message
    assert "tools/install.sh" in message, message


@pytest.mark.parametrize("wrapper", ["n3-validate", "jsonld-safe"])
def test_missing_npm_packages_fail(wrapper: str, tmp_path: Path) -> None:
    """Run outside the repository, the wrapper finds no node_modules: exit 3, with the fix."""
    copy = tmp_path / wrapper
    shutil.copy(REPO / "tools" / wrapper, copy)
    node = shutil.which("node")
    assert node is not None, "Node.js is not installed; run: sudo bash tools/install-system.sh"
    result = subprocess.run(
        [node, str(copy), str(DATA / "valid.nt")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "NODE_PATH": ""},
    )
    assert result.returncode == 3, result.stderr
    assert "run: bash tools/install.sh" in result.stderr


def test_usage_errors_exit_2() -> None:
    for command in (
        [str(REPO / "tools" / "riot-validate"), "rdfxml", str(DATA / "valid.nt")],
        [str(REPO / "tools" / "n3-validate"), str(DATA / "context.jsonld")],
        [str(REPO / "tools" / "jsonld-safe"), "--context", "no-equals-sign"],
    ):
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 2, (command, result.stderr)
        assert "usage:" in result.stderr or "cannot tell the syntax" in result.stderr
