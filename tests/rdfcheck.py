"""Run the strict, independent RDF checkers on files, for the tests.

Each ``check_*`` function returns quietly when the checker accepts the file and raises
AssertionError with the checker's own message (file, line, column) when it does not. A missing
checker is a failure too, never a skip: the message names the command that installs it.

- serdi (Debian package ``serdi``): Turtle, TriG, N-Triples, N-Quads.
- Apache Jena riot through ``tools/riot-validate``: the same, plus JSON-LD 1.0.
- N3.js through ``tools/n3-validate``: Turtle, TriG, N-Triples, N-Quads, by file extension.
- jsonld.js in safe mode through ``tools/jsonld-safe``: JSON-LD; refuses any dropped key.

Files ending in ``.gz`` are read decompressed by every checker.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / "tools"

INSTALL_SYSTEM = "sudo bash tools/install-system.sh"
INSTALL_NPM = "bash tools/install.sh"

#: Seconds a checker may take on one file before the check fails.
TIMEOUT = 900

#: serdi's syntax names, by the names and extensions the tests use.
SERDI_SYNTAX = {
    "ttl": "turtle",
    "turtle": "turtle",
    "nt": "ntriples",
    "ntriples": "ntriples",
    "nq": "nquads",
    "nquads": "nquads",
    "trig": "trig",
}

#: riot-validate's format names, by the names the tests use.
RIOT_FORMAT = {
    "ttl": "ttl",
    "turtle": "ttl",
    "nt": "nt",
    "ntriples": "nt",
    "nq": "nq",
    "nquads": "nq",
    "trig": "trig",
    "jsonld": "jsonld",
}

#: Exit status of the tools/ wrappers when their checker is not installed.
EXIT_NOT_INSTALLED = 3


def _require_file(path: Path) -> None:
    assert path.is_file(), f"{path}: no such file to check"


def _run(command: list[str], path: Path, what: str, gunzip: bool = False) -> None:
    """Run one checker; fail with what it wrote on standard error unless it exits 0.

    With ``gunzip``, the checker reads ``path`` decompressed on its standard input.
    """
    try:
        if gunzip:
            returncode, errors = _run_gunzipped(command, path)
        else:
            result = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                timeout=TIMEOUT,
                check=False,
                cwd=REPO,
            )
            returncode, errors = result.returncode, result.stderr
    except subprocess.TimeoutExpired as err:
        raise AssertionError(f"{what} took more than {TIMEOUT} s on {path}") from err
    except OSError as err:
        raise AssertionError(f"{what} could not run on {path}: {err}") from err
    message = errors.replace("(stdin)", str(path)).strip()
    if returncode == EXIT_NOT_INSTALLED and command[0].startswith(str(TOOLS)):
        raise AssertionError(f"{what} is not installed: {message}")
    assert returncode == 0, f"{what} rejected {path} (exit {returncode}):\n{message}"


def _run_gunzipped(command: list[str], path: Path) -> tuple[int, str]:
    """Run ``gzip -dc path | command``; return the command's exit status and standard error."""
    gzip_tool = shutil.which("gzip")
    assert gzip_tool is not None, "gzip is not installed; run: sudo apt-get install gzip"
    with subprocess.Popen(
        [gzip_tool, "-dc", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as unzip:
        assert unzip.stdout is not None and unzip.stderr is not None
        with subprocess.Popen(
            command,
            stdin=unzip.stdout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        ) as checker:
            unzip.stdout.close()  # the checker alone reads it: gzip stops when the checker does
            try:
                _, errors = checker.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                checker.kill()
                raise
        unzip_errors = unzip.stderr.read().decode(errors="replace").strip()
        unzip.wait(timeout=TIMEOUT)
    if checker.returncode == 0:
        assert unzip.returncode == 0, f"gzip could not read {path}: {unzip_errors}"
    return checker.returncode, errors


def _require_node(what: str) -> str:
    node = shutil.which("node")
    assert node is not None, (
        f"{what} needs Node.js, which is not installed; run: {INSTALL_SYSTEM} && {INSTALL_NPM}"
    )
    return node


def check_serdi(path: Path, syntax: str) -> None:
    """Parse ``path`` strictly with serdi; ``syntax`` is ttl, nt, nq or trig (or serdi's name)."""
    _require_file(path)
    assert syntax in SERDI_SYNTAX, f"serdi cannot read {syntax!r}; expected one of {SERDI_SYNTAX}"
    serdi = shutil.which("serdi")
    assert serdi is not None, f"serdi is not installed; run: {INSTALL_SYSTEM}"
    in_syntax = SERDI_SYNTAX[syntax]
    out_syntax = "nquads" if in_syntax in ("nquads", "trig") else "ntriples"
    base = path.resolve().as_uri()
    if path.suffix == ".gz":
        command = [serdi, "-b", "-i", in_syntax, "-o", out_syntax, "-", base]
        _run(command, path, "serdi", gunzip=True)
    else:
        command = [serdi, "-b", "-i", in_syntax, "-o", out_syntax, str(path), base]
        _run(command, path, "serdi")


def check_riot(path: Path, syntax: str, contexts: Mapping[str, Path] | None = None) -> None:
    """Validate ``path`` with Jena riot; ``syntax`` is ttl, nt, nq, trig or jsonld.

    ``contexts`` maps remote JSON-LD context IRIs to local files (riot never fetches them).
    Any riot warning (a bad IRI, an ill-typed literal, a bad language tag) fails the check.
    """
    _require_file(path)
    assert syntax in RIOT_FORMAT, f"riot-validate cannot read {syntax!r}; expected {RIOT_FORMAT}"
    assert shutil.which("java") is not None, f"java is not installed; run: {INSTALL_SYSTEM}"
    command = [str(TOOLS / "riot-validate")]
    for iri, file in (contexts or {}).items():
        command += ["--context", f"{iri}={Path(file).resolve()}"]
    command += [RIOT_FORMAT[syntax], str(path.resolve())]
    _run(command, path, "Jena riot")


def check_n3(path: Path) -> None:
    """Parse ``path`` strictly with N3.js, in the syntax its extension names (.ttl .nt .nq .trig)."""
    _require_file(path)
    _require_node("N3.js")
    _run([str(TOOLS / "n3-validate"), str(path.resolve())], path, "N3.js")


def check_jsonld_safe(path: Path, contexts: Mapping[str, Path]) -> None:
    """Expand and convert ``path`` with jsonld.js in safe mode, offline.

    ``contexts`` maps each remote context IRI the document uses to a local file. The check
    fails on any key or value that JSON-LD processing would drop, and on any invalid IRI.
    """
    _require_file(path)
    _require_node("jsonld.js")
    command = [str(TOOLS / "jsonld-safe")]
    for iri, file in contexts.items():
        command += ["--context", f"{iri}={Path(file).resolve()}"]
    command.append(str(path.resolve()))
    _run(command, path, "jsonld.js (safe mode)")
