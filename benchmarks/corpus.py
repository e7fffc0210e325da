"""Benchmark: ``cablerdf convert`` on a corpus of the published size, against a baseline.

The corpus is built by replicating the real cables of ``../shared/corpus``: each replica is a
row of ``cables.csv`` (the real format) whose reference ID has a new serial number, changed
consistently in the ID column and wherever the text prints it (the banner and page markers
``ASTANA 000395``, the DE line ``#0395``, the ID itself), so the parser reads the new ID.
``--pages M`` also writes M Cable Viewer pages made the same way from the corpus pages.

Then ``cablerdf convert`` runs on it as a child process (wall time, CPU time and peak RSS of
the child and its workers, from ``os.wait4``; the peak of the summed RSS of the process tree
is sampled from ``/proc``). In the same run a baseline streams the same input through the
readers and writes as many N-Triples lines as convert wrote triples, with plain string
formatting; convert is quoted as a ratio to it (machines are shared and noisy).
``--profile`` times each stage in-process on a sample of the replicas.

``--incremental`` then runs convert again into the same folder, unchanged, and once more
after changing one row (one word of one cable's body): both as ratios to the first run, with
the number of cables converted again. ``--store`` loads the N-Quads dump into the embedded
store (``cablerdf load``) and runs a typical query (``queries/counts-by-year.rq``), as ratios
to the baseline. Usage::

    .venv/bin/python benchmarks/corpus.py [--cables N] [--pages M] [--jobs J]
        [--also-jobs 1,2] [--profile] [--sample S] [--incremental] [--store]
        [--workdir DIR [--reuse]] [--keep]

``--cables`` defaults to 251,287, the published count. ``--reuse`` keeps a ``cables.csv``
that an earlier run built in ``--workdir`` for as many cables. The peak memory is also
printed for each tenth of the run's time, to show whether it grows as the run goes on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cablerdf import export
from cablerdf.cable_ids import default_index
from cablerdf.convert import shacl_checker
from cablerdf.iris import Minter
from cablerdf.mapping import map_records
from cablerdf.model import CableRecord, SourceDocument, SourceForm
from cablerdf.parsing import parse_document
from cablerdf.readers import read_inputs
from cablerdf.settings import Settings

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
CLI = REPO / ".venv" / "bin" / "cablerdf"
PUBLISHED = 251_287
SUMMARY = re.compile(r"converted (\d+) cable\(s\) from (\d+) record\(s\): (\d+) triples")
UNCHANGED = re.compile(r"(\d+) cable\(s\) unchanged since the previous run")
QUERY = REPO / "queries" / "counts-by-year.rq"
ID_PARTS = re.compile(r"^(\d{2})([A-Z]+)(\d+)$")
# The DE line of the transmission header: "DE RUEHTA #0395 3060347".
DE_LINE = re.compile(r"(\bDE\s+[A-Z]+\s+#)(\d{4})\b")
# A station word and a serial number, as the banner and page markers print them.
STATION_SERIAL = re.compile(r"\b([A-Z][A-Z.\-]{2,})(\s+)(\d+)\b")
# Which source a template is taken from, best first: forms with the header apart.
FORM_RANK = {
    SourceForm.CSV: 0,
    SourceForm.HTML_2011: 1,
    SourceForm.HTML_2010: 2,
    SourceForm.JSONL: 3,
    SourceForm.PLUSD: 4,
    SourceForm.TEXT: 5,
}
PAGE_FORMS = (SourceForm.HTML_2010, SourceForm.HTML_2011)


@dataclass(frozen=True)
class Template:
    """A real cable to replicate: its ID split into parts, and its CSV columns."""

    yy: str
    station: str
    serial: int
    created: str  # M/D/YYYY H:MM
    origin: str
    classification: str
    references: str
    header: str
    body: str

    @property
    def reference_id(self) -> str:
        return f"{self.yy}{self.station}{self.serial}"


@dataclass(frozen=True)
class Page:
    """A real Cable Viewer page to replicate."""

    yy: str
    station: str
    serial: int
    text: str


@dataclass(frozen=True)
class Measure:
    """One run of a child process."""

    seconds: float
    cpu: float
    max_rss_mb: float  # the largest single process (wait4)
    tree_rss_mb: float  # the largest sampled sum over the process tree
    stderr: str
    returncode: int
    samples: tuple[tuple[float, int, int], ...] = ()  # (seconds, tree RSS, largest RSS)

    def tenths(self) -> list[tuple[float, float]]:
        """The peak (tree, largest process) RSS in MB in each tenth of the run's time."""
        peaks = [(0, 0)] * 10
        for t, tree, largest in self.samples:
            k = min(9, int(10 * t / self.seconds))
            peaks[k] = (max(peaks[k][0], tree), max(peaks[k][1], largest))
        return [(tree / 2**20, largest / 2**20) for tree, largest in peaks]  # 0: no sample


# ---- building the corpus -----------------------------------------------------------------


def csv_date(created: str) -> str | None:
    """``2006-11-02T03:47Z`` as cables.csv prints it: ``11/2/2006 3:47``."""
    try:
        when = dt.datetime.strptime(created, "%Y-%m-%dT%H:%MZ")
    except ValueError:
        return None
    return f"{when.month}/{when.day}/{when.year} {when.hour}:{when.minute:02d}"


def _parsed(paths: Sequence[str]) -> Iterator[tuple[SourceDocument, CableRecord]]:
    index = default_index()
    for item in read_inputs(list(paths)):
        if isinstance(item, SourceDocument):
            record = parse_document(item, index).record
            if record is not None:
                yield item, record


def load_templates(corpus: Path) -> tuple[list[Template], list[Page]]:
    """One template per distinct cable of the corpus (the best form of it), and its pages."""
    best: dict[str, tuple[int, Template]] = {}
    pages: list[Page] = []
    for doc, record in _parsed([str(corpus)]):
        parts = ID_PARTS.match(record.reference_id)
        created = csv_date(record.created or "")
        if parts is None or created is None:
            continue
        yy, station, serial = parts.group(1), parts.group(2), int(parts.group(3))
        if doc.source.form in PAGE_FORMS:
            text = Path(doc.source.path).read_text(encoding="utf-8", errors="surrogateescape")
            pages.append(Page(yy, station, serial, text))
        origin = doc.origin or record.origin
        classification = doc.classification or (
            record.classification.printed if record.classification else None
        )
        if not origin or not classification:
            continue  # a real cables.csv row always prints both (text sources may lack them)
        template = Template(
            yy=yy,
            station=station,
            serial=serial,
            created=created,
            origin=origin,
            classification=classification,
            references="|".join(doc.metadata_references)
            or "|".join(r.reference_id for r in record.references if r.reference_id),
            header=doc.header,
            body=doc.body,
        )
        rank = FORM_RANK[doc.source.form]
        if record.reference_id not in best or rank < best[record.reference_id][0]:
            best[record.reference_id] = (rank, template)
    templates = [best[rid][1] for rid in sorted(best)]
    return templates, pages


def reserial(text: str, yy: str, station: str, old: int, new: int) -> str:
    """``text`` with the serial ``old`` of the cable replaced by ``new`` wherever it is
    printed as the cable's: the full ID, a station word and the serial (zero padding kept),
    the DE line's four digits."""
    text = re.sub(rf"\b{yy}{station}{old}\b", f"{yy}{station}{new}", text)

    def banner(m: re.Match[str]) -> str:
        word, digits = m.group(1), m.group(3)
        if int(digits) != old or word.replace(".", "").replace("-", "") not in station:
            return m.group()
        return f"{word}{m.group(2)}{new:0{len(digits)}d}"

    text = STATION_SERIAL.sub(banner, text)

    def de_line(m: re.Match[str]) -> str:
        if int(m.group(2)) != old % 10_000:
            return m.group()
        return f"{m.group(1)}{new % 10_000:04d}"

    return DE_LINE.sub(de_line, text)


class Serials:
    """Hands out distinct serial numbers per year and station (deterministic)."""

    def __init__(self) -> None:
        self._next: dict[tuple[str, str], int] = {}

    def take(self, yy: str, station: str) -> int:
        key = (yy, station)
        serial = self._next.get(key, 1)
        self._next[key] = serial + 1
        return serial


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("'", "\\'")


def csv_row(number: int, columns: Sequence[str]) -> str:
    """One cables.csv record: quoted, backslash-escaped, ending with ``"\\n``."""
    return ",".join(f'"{_escape(c)}"' for c in (str(number), *columns)) + "\n"


def replicas(templates: Sequence[Template], count: int, serials: Serials) -> Iterator[str]:
    """``count`` CSV rows, cycling over the templates, each with a distinct new ID."""
    for k in range(count):
        t = templates[k % len(templates)]
        new = serials.take(t.yy, t.station)
        header = reserial(t.header, t.yy, t.station, t.serial, new)
        body = reserial(t.body, t.yy, t.station, t.serial, new)
        columns = (t.created, f"{t.yy}{t.station}{new}", t.origin, t.classification)
        yield csv_row(k + 1, (*columns, t.references, header, body))


def write_pages(pages: Sequence[Page], count: int, folder: Path, serials: Serials) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(count):
        p = pages[k % len(pages)]
        new = serials.take(p.yy, p.station)
        text = reserial(p.text, p.yy, p.station, p.serial, new)
        path = folder / f"{p.yy}{p.station}{new}.html"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")


def check_replicas(csv_path: Path, expected: Sequence[str]) -> list[str]:
    """Problems found parsing the first rows again: each must read as its new ID."""
    problems: list[str] = []
    got = (record.reference_id for _, record in _parsed([str(csv_path)]))
    for want, have in zip(expected, got, strict=False):
        if want != have:
            problems.append(f"row with ID {want} parsed as {have}")
    return problems


# ---- measuring ---------------------------------------------------------------------------


def _tree_rss(root: int) -> tuple[int, int]:
    """The summed resident set (bytes) of ``root`` and its descendants, from /proc, and
    the largest of them."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
        except (OSError, ValueError):
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, largest, todo = 0, 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        largest = max(largest, rss.get(pid, 0))
        todo += children.get(pid, [])
    return total, largest


def run_child(args: Sequence[str]) -> Measure:
    """Run a command; its wall time, CPU time, peak RSS (from wait4 and sampled)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        child = subprocess.Popen(list(args), stdout=subprocess.DEVNULL, stderr=err, cwd=REPO)
        peak = [0]
        samples: list[tuple[float, int, int]] = []
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                tree, largest = _tree_rss(child.pid)
                peak[0] = max(peak[0], tree)
                samples.append((time.perf_counter() - t0, tree, largest))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - t0
        done.set()
        sampler.join()
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return Measure(
        seconds=seconds,
        cpu=usage.ru_utime + usage.ru_stime,
        max_rss_mb=usage.ru_maxrss / 1024,
        tree_rss_mb=peak[0] / 2**20,
        stderr=stderr,
        returncode=child.returncode,
        samples=tuple(samples),
    )


def change_one_row(csv_path: Path, row: int) -> str:
    """Change one word of the body of the ``row``-th row (1-based), in place; its ID."""
    with open(csv_path, encoding="utf-8", newline="") as f:
        text = f.read()
    start = text.index(f'\n"{row}","') + 1 if row > 1 else 0
    end = text.index(f'\n"{row + 1}","', start) if f'\n"{row + 1}","' in text else len(text)
    old = text[start:end]
    reference_id = old.split('","', 3)[2]
    new = re.sub(r"\b(the)\b", "THE", old, count=1)
    if new == old:
        raise RuntimeError(f"row {row} has no word to change")
    with open(csv_path, "w", encoding="utf-8", newline="") as f:
        f.write(text[:start] + new + text[end:])
    return reference_id


def unchanged(measure: Measure) -> int:
    found = UNCHANGED.search(measure.stderr)
    return int(found.group(1)) if found else 0


def load_and_query(out: Path, store: Path) -> tuple[Measure, Measure]:
    """``cablerdf load`` of the N-Quads dump into an embedded store, then a query."""
    load = run_child(
        [str(CLI), "load", "--store", str(store), str(out / "dumps" / "cables.nq.gz"), "--quiet"]
    )
    if load.returncode != 0:
        raise RuntimeError(f"load failed ({load.returncode}): {load.stderr[-2000:]}")
    query = run_child([str(CLI), "query", "--store", str(store), str(QUERY), "--format", "csv"])
    if query.returncode != 0:
        raise RuntimeError(f"query failed ({query.returncode}): {query.stderr[-2000:]}")
    return load, query


def convert(inputs: Sequence[Path], out: Path, jobs: int) -> tuple[Measure, int, int]:
    """Run ``cablerdf convert``; the measure, and the cables and triples it reports."""
    cmd = [str(CLI), "convert", *map(str, inputs), "--out", str(out), "--quiet"]
    measure = run_child([*cmd, "--jobs", str(jobs)])
    found = SUMMARY.search(measure.stderr)
    if measure.returncode not in (0, 1) or found is None:
        raise RuntimeError(f"convert failed ({measure.returncode}): {measure.stderr[-2000:]}")
    return measure, int(found.group(1)), int(found.group(3))


def baseline(inputs: Sequence[Path], triples: int, out: Path) -> float:
    """Seconds to stream the input through the readers and write ``triples`` N-Triples."""
    t0 = time.perf_counter()
    read = sum(1 for d in read_inputs([str(p) for p in inputs]) if isinstance(d, SourceDocument))
    with open(out, "w", encoding="utf-8") as nt:
        nt.writelines(
            f"<https://w3id.org/cablegate/cable/C{k // 400}> "
            f'<http://purl.org/dc/terms/title> "text {k} of {read}" .\n'
            for k in range(triples)
        )
    return time.perf_counter() - t0


def profile(csv_path: Path, sample: int) -> dict[str, float]:
    """Seconds per stage, in this process, over the first ``sample`` rows."""
    index = default_index()
    settings = Settings()
    minter = Minter.for_settings(settings)
    loader = export.OfflineLoader.for_minter(minter)
    checker = shacl_checker()
    spent = dict.fromkeys(("read", "parse", "map", "validate", "export"), 0.0)
    rows = read_inputs([str(csv_path)])
    for _ in range(sample):
        t0 = time.perf_counter()
        doc = next(rows, None)
        t1 = time.perf_counter()
        spent["read"] += t1 - t0
        if not isinstance(doc, SourceDocument):
            break
        record = parse_document(doc, index).record
        t2 = time.perf_counter()
        spent["parse"] += t2 - t1
        if record is None:
            continue
        mapped = map_records([record], settings)
        quads = list(mapped.quads)
        t3 = time.perf_counter()
        spent["map"] += t3 - t2
        checker.check(quads)
        t4 = time.perf_counter()
        spent["validate"] += t4 - t3
        root = minter.cable(record.reference_id)  # the four files, as convert makes them
        export.serialisations(quads, root, loader, ntriples=mapped.ntriples)
        spent["export"] += time.perf_counter() - t4
    return spent


def _first_ids(csv_path: Path, count: int) -> list[str]:
    """The IDs in the first ``count`` rows of a cables.csv built before."""
    ids: list[str] = []
    for doc in read_inputs([str(csv_path)]):
        if len(ids) >= count:
            break
        if isinstance(doc, SourceDocument) and doc.source_id is not None:
            ids.append(doc.source_id)
    return ids


def _jobs_list(text: str) -> list[int]:
    return [int(j) for j in text.split(",") if j.strip()]


def _lines(rows: Iterable[str], path: Path) -> list[str]:
    """Write the rows; return the IDs of the first ones (for checking)."""
    first: list[str] = []
    with open(path, "w", encoding="utf-8", newline="") as out:
        for row in rows:
            if len(first) < 2_000:
                first.append(row.split('","', 3)[2])
            out.write(row)
    return first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cables", type=int, default=PUBLISHED)
    parser.add_argument("--pages", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--also-jobs", type=_jobs_list, default=[])
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sample", type=int, default=300, help="rows for --profile")
    parser.add_argument("--incremental", action="store_true", help="also time re-runs")
    parser.add_argument("--store", action="store_true", help="also load the dump, query")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse WORKDIR/cables.csv if it was built for as many --cables",
    )
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="cablerdf-corpus-"))
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    templates, pages = load_templates(args.corpus)
    serials = Serials()
    csv_path = work / "cables.csv"
    stamp = work / "cables.csv.built"  # what cables.csv was built from, while unchanged
    built_from = f"{args.cables} rows from {args.corpus.resolve()}\n"
    if args.reuse and stamp.is_file() and stamp.read_text() == built_from:
        for k in range(args.cables):  # the serials the rows took, for the pages
            t = templates[k % len(templates)]
            serials.take(t.yy, t.station)
        first = _first_ids(csv_path, len(templates))
    else:
        stamp.unlink(missing_ok=True)
        first = _lines(replicas(templates, args.cables, serials), csv_path)
        stamp.write_text(built_from)
    inputs = [csv_path]
    if args.pages:
        write_pages(pages, args.pages, work / "pages", serials)
        inputs.append(work / "pages")
    built = time.perf_counter() - t0
    checked = min(len(first), len(templates))
    problems = check_replicas(csv_path, first[:checked])
    size = csv_path.stat().st_size / 2**20
    print(
        f"built {args.cables} rows ({size:.0f} MB) from {len(templates)} cables"
        f"{f' and {args.pages} pages' if args.pages else ''} in {built:.1f} s, in {work}"
    )
    print(f"checked {checked} replicas (one per template): {len(problems)} with a wrong ID")
    for problem in problems[:10]:
        print(f"  {problem}")

    runs: dict[int, Measure] = {}
    cables = triples = 0
    for jobs in dict.fromkeys([args.jobs, *args.also_jobs]):
        measure, cables, triples = convert(inputs, work / f"out-j{jobs}", jobs)
        runs[jobs] = measure
    base = baseline(inputs, triples, work / "baseline.nt")

    main_run = runs[args.jobs]
    print(f"cables            {cables}")
    print(f"triples           {triples}")
    print(f"convert seconds   {main_run.seconds:.1f} (CPU {main_run.cpu:.1f}, --jobs {args.jobs})")
    print(f"cables/s          {cables / main_run.seconds:.1f}")
    print(
        f"peak RSS MB       {main_run.max_rss_mb:.0f} largest process, "
        f"{main_run.tree_rss_mb:.0f} process tree (sampled)"
    )
    print(
        "peak RSS MB by tenth of the run (process tree / largest process): "
        + ", ".join(f"{tree:.0f}/{largest:.0f}" for tree, largest in main_run.tenths())
    )
    print(f"baseline seconds  {base:.1f}")
    print(f"convert/baseline  {main_run.seconds / base:.1f}")
    if len(runs) > 1:
        one = runs.get(1, main_run)
        for jobs, m in runs.items():
            print(
                f"--jobs {jobs}: {m.seconds:7.1f} s wall, {m.cpu:7.1f} s CPU, "
                f"{cables / m.seconds:7.1f} cables/s, peak RSS {m.max_rss_mb:.0f} MB largest / "
                f"{m.tree_rss_mb:.0f} MB tree, speed-up {one.seconds / m.seconds:.2f}"
            )
    if args.incremental:
        out = work / f"out-j{args.jobs}"
        again, _, _ = convert(inputs, out, args.jobs)
        stamp.unlink()  # cables.csv is changed: not to be reused
        changed_id = change_one_row(csv_path, max(1, args.cables // 2))
        one, _, _ = convert(inputs, out, args.jobs)
        print(
            f"re-run unchanged {again.seconds:7.1f} s, {again.seconds / main_run.seconds:.3f}x "
            f"the first run; {cables - unchanged(again)} cable(s) converted again"
        )
        print(
            f"re-run, one row changed ({changed_id}) {one.seconds:7.1f} s, "
            f"{one.seconds / main_run.seconds:.3f}x the first run; "
            f"{cables - unchanged(one)} cable(s) converted again"
        )
    if args.store:
        load, query = load_and_query(work / f"out-j{args.jobs}", work / "store")
        print(
            f"load N-Quads dump {load.seconds:7.1f} s ({load.seconds / base:.1f}x the "
            f"baseline), peak RSS {load.max_rss_mb:.0f} MB"
        )
        print(
            f"query {QUERY.name} {query.seconds:7.2f} s ({query.seconds / base:.2f}x the "
            f"baseline, process start included)"
        )
    if args.profile:
        spent = profile(csv_path, args.sample)
        total = sum(spent.values())
        print(f"per-stage profile, in-process, first {args.sample} rows:")
        for stage, seconds in spent.items():
            print(
                f"  {stage:9} {seconds:7.2f} s  {1000 * seconds / args.sample:7.2f} ms/cable"
                f"  {100 * seconds / total:5.1f} %"
            )
    if not args.keep and args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
