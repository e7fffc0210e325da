"""The docs stay true: every diagnostic code the code can emit is in the catalogue."""

from __future__ import annotations

import re

from conftest import REPO

CODE = re.compile(
    r'"((?:reader|header|body|parse|id|references|mapping|convert|export|store|query|fetch|archive|validate|serve|site)\.[a-z0-9-]+)"'
)


def emitted_codes() -> set[str]:
    codes: set[str] = set()
    for path in (REPO / "src" / "cablerdf").rglob("*.py"):
        codes.update(CODE.findall(path.read_text(encoding="utf-8")))
    return codes


def test_every_diagnostic_code_is_documented() -> None:
    catalogue = (REPO / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z]+\.[a-z0-9-]+)`", catalogue, re.MULTILINE))
    codes = emitted_codes()
    assert len(codes) > 40, "the scan found too few codes: the pattern is broken"
    missing = sorted(codes - documented)
    assert not missing, f"codes missing from docs/diagnostics.md: {missing}"


def render_cli_reference() -> str:
    """``docs/cli.md``: the help of the group and of every command, as a user sees it."""
    import click
    from click.testing import CliRunner

    from cablerdf.cli import main

    runner = CliRunner()
    parts = [
        "# Command-line reference",
        "",
        "Generated from the commands' own help (`tests/test_docs.py` keeps it in step: run the",
        "tests with `CABLERDF_UPDATE_GOLDEN=1` to rewrite it). Exit codes: 0 done; 1 done, but",
        "nothing could be read or (with `--strict`) something failed; 2 usage; 3 could not run.",
        "",
    ]
    commands: list[tuple[str, list[str]]] = [("cablerdf", ["--help"])]
    assert isinstance(main, click.Group)
    commands += [(f"cablerdf {name}", [name, "--help"]) for name in sorted(main.commands)]
    for title, args in commands:
        result = runner.invoke(main, args, prog_name="cablerdf", terminal_width=100)
        assert result.exit_code == 0, result.output
        parts += [f"## `{title}`", "", "```text", result.output.rstrip(), "```", ""]
    return "\n".join(parts)


def test_cli_reference_is_the_commands_help() -> None:
    import os

    path = REPO / "docs" / "cli.md"
    rendered = render_cli_reference()
    if os.environ.get("CABLERDF_UPDATE_GOLDEN"):
        path.write_text(rendered, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == rendered, (
        "docs/cli.md is out of date; rerun with CABLERDF_UPDATE_GOLDEN=1"
    )
