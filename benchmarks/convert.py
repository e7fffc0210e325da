"""Benchmark: converting the corpus, against a baseline that reads the same input and writes
as many triples as N-Triples lines with plain string formatting.

Each stage runs in a fresh child process and prints cables per second:

* baseline: read every input record (the readers), then write the number of triples that
  the conversion writes, as N-Triples lines made with plain string formatting;
* convert: ``cablerdf.convert.convert`` with SHACL validation, ``--jobs 1``;
* convert-jobs2: the same with two worker processes.

Figures are quoted as a ratio to the baseline measured in the same run (machines are shared
and noisy); CPU seconds of the stage's process and its children are shown beside wall time.
Usage::

    .venv/bin/python benchmarks/convert.py [INPUT ...] [--repeat N]

INPUT defaults to ``../shared/corpus``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, tempfile, time
from pathlib import Path

def cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

def main():
    from cablerdf.convert import ConvertOptions, convert
    from cablerdf.model import SourceDocument
    from cablerdf.readers import read_inputs

    stage, repeat, triples, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    inputs = sys.argv[5:]
    cables = 0
    t0, c0 = time.perf_counter(), cpu()
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            if stage == "baseline":
                sum(1 for d in read_inputs(inputs) if isinstance(d, SourceDocument))
                with open(Path(tmp) / "out.nt", "w", encoding="utf-8") as out:
                    for k in range(triples):
                        out.write(
                            f"<https://w3id.org/cablegate/cable/C{k // 400}> "
                            f"<http://purl.org/dc/terms/title> \"text {k}\" .\n"
                        )
                cables += count  # as many cables as the conversion gives
                found = triples
            else:
                jobs = 2 if stage == "convert-jobs2" else 1
                summary = convert(inputs, Path(tmp) / "out", ConvertOptions(jobs=jobs))
                cables += summary.cables
                found = summary.triples
    elapsed = time.perf_counter() - t0
    print(json.dumps({
        "cables": cables, "seconds": elapsed, "cpu": cpu() - c0, "triples": found,
    }))

if __name__ == "__main__":
    main()
"""


def run(stage: str, repeat: int, triples: int, cables: int, inputs: list[str]) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(CHILD)
    try:
        out = subprocess.run(
            [sys.executable, script.name, stage, str(repeat), str(triples), str(cables), *inputs],
            check=True,
            capture_output=True,
            text=True,
            cwd=REPO,
        )
    finally:
        Path(script.name).unlink()
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="*", default=[str(REPO.parent / "shared" / "corpus")])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    converted = run("convert", args.repeat, 0, 0, args.inputs)
    triples = int(converted["triples"])
    cables = int(converted["cables"]) // args.repeat
    baseline = run("baseline", args.repeat, triples, cables, args.inputs)
    parallel = run("convert-jobs2", args.repeat, 0, 0, args.inputs)
    print(f"input: {' '.join(args.inputs)}; {triples} triples a run; repeat {args.repeat}")
    base_rate = baseline["cables"] / baseline["seconds"]
    for name, r in (("baseline", baseline), ("convert", converted), ("convert-jobs2", parallel)):
        rate = r["cables"] / r["seconds"]
        print(
            f"{name:14} {rate:9.1f} cables/s  {r['seconds']:7.2f} s wall  {r['cpu']:7.2f} s CPU"
            f"  ({rate / base_rate:.3f} x baseline)"
        )


if __name__ == "__main__":
    main()
