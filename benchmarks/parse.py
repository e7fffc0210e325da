"""Benchmark: parsing the corpus, against only reading the same files.

Each stage runs in a fresh child process, so that peaks do not mix:

* baseline: read every input record (the readers) and nothing else;
* parse: read and parse every record into a cable record.

It prints cables per second and peak memory (resident set) per stage, and per cable the CPU
time spent reading a record and parsing it (``time.process_time`` around each call: the
machines are shared and noisy, CPU time varies less than wall time). Figures are quoted as
ratios to the baseline measured in the same run. ``--compare SRC`` runs the same children on
another source tree (``SRC`` is put first on ``PYTHONPATH``), in alternate rounds, and prints
the speed-up of the current tree over it; make one from a commit without touching the work
tree::

    mkdir -p /tmp/old && git archive HEAD src | tar -x -C /tmp/old

With ``--compare`` the records and diagnostics of both trees (and the documents read) are
checked identical: a digest of their ``repr`` over the first pass, per round; the run fails
when they differ.

``--replicas N`` parses a ``cables.csv`` of N rows replicated from the corpus the way
``benchmarks/corpus.py`` builds one (written to a temporary folder). Usage::

    .venv/bin/python benchmarks/parse.py [INPUT ...] [--repeat N] [--rounds R]
        [--replicas N] [--compare SRC]

INPUT defaults to ``../shared/corpus``. Each figure is the best of ``--rounds`` rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import hashlib, json, resource, sys, time
from cablerdf.cable_ids import default_index
from cablerdf.model import SourceDocument
from cablerdf.parsing import parse_document
from cablerdf.readers import read_inputs

stage, repeat, inputs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
index = default_index()
clock = time.process_time
count = 0
read_cpu = parse_cpu = 0.0
digest = hashlib.sha256()
t0 = time.perf_counter()
for rep in range(repeat):
    items = read_inputs(inputs)
    while True:
        a = clock()
        doc = next(items, None)
        b = clock()
        read_cpu += b - a
        if doc is None:
            break
        if not isinstance(doc, SourceDocument):
            continue
        if stage == "parse":
            result = parse_document(doc, index)
            parse_cpu += clock() - b
            if rep == 0:  # what was read and parsed, to compare trees (outside the clock)
                digest.update(repr((doc, result)).encode())
        count += 1
elapsed = time.perf_counter() - t0
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "cables": count, "seconds": elapsed, "peak_mb": peak_kb / 1024,
    "read_cpu": read_cpu, "parse_cpu": parse_cpu, "digest": digest.hexdigest(),
}))
"""

Result = dict[str, Any]


def run(stage: str, repeat: int, inputs: list[str], src: str | None) -> Result:
    """One child process: the stage over the inputs, ``src`` first on the import path."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    out = subprocess.run(
        [sys.executable, "-c", CHILD, stage, str(repeat), *inputs],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def best(rounds: list[Result]) -> Result:
    """The smallest time and peak of each figure over the rounds (the least disturbed)."""
    merged = dict(rounds[0])
    for r in rounds[1:]:
        for key in ("seconds", "peak_mb", "read_cpu", "parse_cpu"):
            merged[key] = min(merged[key], r[key])
    return merged


def per_cable(r: Result, key: str) -> float:
    """Milliseconds of CPU per cable for ``read_cpu`` or ``parse_cpu``."""
    return 1000 * r[key] / max(r["cables"], 1)


def replicated_csv(count: int, folder: Path) -> Path:
    """A cables.csv of ``count`` rows replicated from the corpus (benchmarks/corpus.py)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    import corpus  # the builder of benchmarks/corpus.py

    templates, _ = corpus.load_templates(corpus.CORPUS)
    path = folder / "cables.csv"
    corpus._lines(corpus.replicas(templates, count, corpus.Serials()), path)
    return path


def report(name: str, base: Result, full: Result) -> None:
    """Print the stages of one source tree and the per-cable figures."""
    for stage, r in (("read", base), ("read+parse", full)):
        rate = r["cables"] / r["seconds"] if r["seconds"] else float("inf")
        print(
            f"{name:10} {stage:10} {r['cables']:8.0f} {r['seconds']:9.2f} {rate:10.1f} "
            f"{r['peak_mb']:9.1f}"
        )
    read_ms = per_cable(full, "read_cpu")
    parse_ms = per_cable(full, "parse_cpu")
    ratio = full["seconds"] / base["seconds"] if base["seconds"] else float("inf")
    print(
        f"{name:10} per cable (CPU): read {read_ms:.3f} ms, parse {parse_ms:.3f} ms, "
        f"parse/read {parse_ms / read_ms if read_ms else float('inf'):.2f}x"
    )
    print(
        f"{name:10} wall time ratio read+parse / read: {ratio:.2f}x; "
        f"peak memory ratio: {full['peak_mb'] / base['peak_mb']:.2f}x"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="*", default=[])
    ap.add_argument("--repeat", type=int, default=5, help="passes over the input (default 5)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds; best taken (default 3)")
    ap.add_argument("--replicas", type=int, default=0, help="parse N replicated CSV rows")
    ap.add_argument("--compare", metavar="SRC", help="another source tree to compare with")
    args = ap.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cablerdf-parse-") as tmp:
        inputs = list(args.inputs)
        if args.replicas:
            inputs.append(str(replicated_csv(args.replicas, Path(tmp))))
        if not inputs:
            inputs = [str(REPO.parent / "shared" / "corpus")]
        trees: list[tuple[str, str | None]] = [("current", str(REPO / "src"))]
        if args.compare:
            trees.append(("compare", args.compare))
        results: dict[str, dict[str, list[Result]]] = {
            name: {"read": [], "parse": []} for name, _ in trees
        }
        for _ in range(args.rounds):
            for name, src in trees:
                for stage in ("read", "parse"):
                    results[name][stage].append(run(stage, args.repeat, inputs, src))
    print(f"inputs: {' '.join(inputs)}  (x{args.repeat} passes, best of {args.rounds} rounds)")
    print(f"{'tree':10} {'stage':10} {'cables':>8} {'seconds':>9} {'cables/s':>10} {'peak MB':>9}")
    summary = {name: (best(r["read"]), best(r["parse"])) for name, r in results.items()}
    for name, (base, full) in summary.items():
        report(name, base, full)
    if args.compare:
        _, now = summary["current"]
        _, then = summary["compare"]
        print(f"compare tree: {args.compare}")
        digests = {r["digest"] for tree in results.values() for r in tree["parse"]}
        print(f"records and diagnostics identical: {'yes' if len(digests) == 1 else 'NO'}")
        for key, label in (("parse_cpu", "parsing"), ("read_cpu", "reading")):
            old, new = per_cable(then, key), per_cable(now, key)
            print(
                f"{label}: {old:.3f} -> {new:.3f} ms per cable, "
                f"speed-up {old / new if new else float('inf'):.2f}x"
            )
    print(f"(benchmark took {time.perf_counter() - started:.1f} s)")
    if args.compare and len({r["digest"] for t in results.values() for r in t["parse"]}) != 1:
        sys.exit("the trees read or parsed different records")


if __name__ == "__main__":
    main()
