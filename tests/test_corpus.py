"""The whole shared corpus through the command line, as a user would run it."""

from __future__ import annotations

import csv
import json
from collections import Counter

from click.testing import CliRunner
from conftest import CORPUS

from cablerdf.cli import main


def manifest_rows() -> Counter[tuple[str, str]]:
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as f:
        rows = csv.DictReader(f, delimiter="\t")
        return Counter((r["file"], r["reference_id"]) for r in rows)


def test_parse_whole_corpus_gives_one_record_per_manifest_row() -> None:
    result = CliRunner().invoke(main, ["parse", "--format", "json", "--quiet", str(CORPUS)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    got: Counter[tuple[str, str]] = Counter()
    for line in result.stdout.splitlines():
        rec = json.loads(line)
        rel = rec["source"]["path"].split(str(CORPUS) + "/", 1)[-1]
        got[(rel, rec["reference_id"])] += 1
    expected = manifest_rows()
    missing = expected - got
    extra = got - expected
    assert not missing and not extra, f"missing: {sorted(missing)}\nextra: {sorted(extra)}"
    assert "Traceback" not in result.stderr
