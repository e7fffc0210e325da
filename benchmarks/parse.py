"""Benchmark: parsing the corpus, against only reading the same files.

Prints cables per second and peak memory (resident set) for two stages, each run in a fresh
child process so that peaks do not mix:

* baseline: read every input record (the readers) and nothing else;
* parse: read and parse every record into a cable record.

Figures are quoted as a ratio to the baseline measured in the same run (machines are shared
and noisy). Usage::

    .venv/bin/python benchmarks/parse.py [INPUT ...] [--repeat N]

INPUT defaults to ``../shared/corpus``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
from cablerdf.cable_ids import default_index
from cablerdf.model import SourceDocument
from cablerdf.parsing import parse_document
from cablerdf.readers import read_inputs

stage, repeat, inputs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
index = default_index()
count = 0
t0 = time.perf_counter()
for _ in range(repeat):
    for doc in read_inputs(inputs):
        if not isinstance(doc, SourceDocument):
            continue
        if stage == "parse":
            parse_document(doc, index)
        count += 1
elapsed = time.perf_counter() - t0
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"cables": count, "seconds": elapsed, "peak_mb": peak_kb / 1024}))
"""


def run(stage: str, repeat: int, inputs: list[str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, stage, str(repeat), *inputs],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="*", default=[str(REPO.parent / "shared" / "corpus")])
    ap.add_argument("--repeat", type=int, default=5, help="passes over the input (default 5)")
    args = ap.parse_args()
    started = time.perf_counter()
    base = run("read", args.repeat, args.inputs)
    full = run("parse", args.repeat, args.inputs)
    print(f"inputs: {' '.join(args.inputs)}  (x{args.repeat} passes)")
    print(f"{'stage':10} {'cables':>8} {'seconds':>9} {'cables/s':>10} {'peak MB':>9}")
    for name, r in (("read", base), ("read+parse", full)):
        rate = r["cables"] / r["seconds"] if r["seconds"] else float("inf")
        print(f"{name:10} {r['cables']:8.0f} {r['seconds']:9.2f} {rate:10.1f} {r['peak_mb']:9.1f}")
    ratio = full["seconds"] / base["seconds"] if base["seconds"] else float("inf")
    parse_only = (full["seconds"] - base["seconds"]) / max(full["cables"], 1) * 1000
    print(f"time ratio read+parse / read: {ratio:.2f}x")
    print(f"parsing alone: {parse_only:.2f} ms per cable")
    print(f"peak memory ratio: {full['peak_mb'] / base['peak_mb']:.2f}x")
    print(f"(benchmark took {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
