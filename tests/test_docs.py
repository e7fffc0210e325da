"""The docs stay true: every diagnostic code the code can emit is in the catalogue."""

from __future__ import annotations

import re

from conftest import REPO

CODE = re.compile(r'"((?:reader|header|body|parse|id|references|mapping|convert|export|store|query|fetch|archive|validate|serve|site)\.[a-z0-9-]+)"')


def emitted_codes() -> set[str]:
    codes: set[str] = set()
    for path in (REPO / "src" / "cablerdf").rglob("*.py"):
        codes.update(CODE.findall(path.read_text(encoding="utf-8")))
    return codes


def test_every_diagnostic_code_is_documented() -> None:
    catalogue = (REPO / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z]+\.[a-z0-9-]+)`", catalogue, re.M))
    codes = emitted_codes()
    assert len(codes) > 40, "the scan found too few codes: the pattern is broken"
    missing = sorted(codes - documented)
    assert not missing, f"codes missing from docs/diagnostics.md: {missing}"
