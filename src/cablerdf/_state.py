"""On-disk state of ``convert``: the spool of one run, and what a run leaves for the next.

Both are SQLite files in the hidden folder ``OUT/.cablerdf/`` (a cache: deleting it only
makes the next run a full one; it is not part of the dataset, nor of ``MANIFEST.sha256``).

- :class:`Spool` (``spool.sqlite``, removed at the end of a run) holds the parsed records of
  the run by reference ID, so that grouping the records of a cable never holds the corpus
  in memory, and the run's tallies (IRIs described, source versions, SHACL results, files
  written) that the dataset-level files are made from.
- :class:`State` (``state.sqlite``) is what a finished run knew: for each source record, its
  content key, reference ID and parse diagnostics; for each cable, the key of its inputs,
  the files written (SHA-256, size, modification time), where its lines are in the dumps,
  and what it counted. The next run skips a cable whose key and files are unchanged. A new
  state is written beside the old one and renamed over it when the run ends, so a killed run
  leaves the old state, and the old state only vouches for files that still match it.

Records and tallies are stored as compressed pickles (zlib format, by ISA-L): the files
are private to one installation of cablerdf (the state is keyed by a fingerprint of its code, so another
version starts afresh).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Final

from isal import isal_zlib

STATE_DIR: Final = PurePosixPath(".cablerdf")
"""The hidden folder of the output that holds the state and the spool."""

STATE_FILE: Final = STATE_DIR / "state.sqlite"
SPOOL_FILE: Final = STATE_DIR / "spool.sqlite"
_NEW_SUFFIX: Final = ".new"
_SCHEMA: Final = 1


def pack(value: Any) -> bytes:
    """A value as compressed pickle bytes (fast compression, ISA-L's zlib format: the spool
    is temporary, the state private to this installation)."""
    return isal_zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)


def unpack(blob: bytes) -> Any:
    """The value of :func:`pack` bytes."""
    return pickle.loads(isal_zlib.decompress(blob))


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA temp_store=FILE")
    db.execute("PRAGMA cache_size=-16000")  # 16 MB of page cache at most
    return db


def remove_leftovers(out: Path) -> list[Path]:
    """Remove a spool and an unfinished new state that a killed run left; name them."""
    removed = []
    for name in (SPOOL_FILE, PurePosixPath(f"{STATE_FILE}{_NEW_SUFFIX}")):
        path = out / name
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed


# ---- stamps of files ---------------------------------------------------------------------


@dataclass(frozen=True)
class FileStamp:
    """A file a cable wrote: its path in the output, SHA-256, size and modification time."""

    path: PurePosixPath
    sha256: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, out: Path, path: PurePosixPath, sha256: str) -> FileStamp:
        st = (out / path).stat()
        return cls(path, sha256, st.st_size, st.st_mtime_ns)

    def matches(self, out: Path) -> bool:
        """Whether the file is still the one written (same size and modification time)."""
        try:
            st = (out / self.path).stat()
        except OSError:
            return False
        return st.st_size == self.size and st.st_mtime_ns == self.mtime_ns


@dataclass(frozen=True)
class Span:
    """Where a cable's bytes are in a dump file."""

    offset: int
    length: int


# ---- the spool of one run ----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One source record of a cable in the spool: its key, and either its parsed record
    (``parsed``) or its source document, not parsed yet (its cable may not need it)."""

    key: str
    parsed: bool
    blob: bytes


class Spool:
    """The records of one run grouped by reference ID, and the run's tallies, on disk."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        self.path = path
        self._db = _connect(path)
        self._db.executescript(
            """
            CREATE TABLE spool (seq INTEGER PRIMARY KEY, rid TEXT NOT NULL, key TEXT NOT NULL,
                                parsed INTEGER NOT NULL, blob BLOB NOT NULL);
            CREATE TABLE shared (iri TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE cable_iris (iri TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE versions (iri TEXT NOT NULL);
            CREATE TABLE results (rid TEXT NOT NULL, severity TEXT NOT NULL,
                                  focus TEXT NOT NULL, path TEXT NOT NULL,
                                  shape TEXT NOT NULL, message TEXT NOT NULL);
            CREATE TABLE files (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL) WITHOUT ROWID;
            """
        )
        self._db.execute("BEGIN")
        self._seq = 0

    def add(self, reference_id: str, key: str, parsed: bool, blob: bytes) -> None:
        """Add a record (parsed) or a source document (not parsed) of a cable."""
        self._seq += 1
        self._db.execute(
            "INSERT INTO spool VALUES (?, ?, ?, ?, ?)",
            (self._seq, reference_id, key, int(parsed), blob),
        )

    def records(self) -> int:
        return self._seq

    def cables(self) -> int:
        self._index()
        (n,) = self._db.execute("SELECT COUNT(DISTINCT rid) FROM spool").fetchone()
        return int(n)

    def _index(self) -> None:
        self._db.execute("CREATE INDEX IF NOT EXISTS by_cable ON spool (rid, seq)")

    def groups(self) -> Iterator[tuple[str, list[Entry]]]:
        """Each cable's entries, by reference ID (code-point order), in input order."""
        self._index()
        rows = self._db.cursor().execute(
            "SELECT rid, key, parsed, blob FROM spool ORDER BY rid, seq"
        )
        current: str | None = None
        entries: list[Entry] = []
        for rid, key, parsed, blob in rows:
            if rid != current:
                if current is not None:
                    yield current, entries
                current, entries = rid, []
            entries.append(Entry(key, bool(parsed), blob))
        if current is not None:
            yield current, entries

    # -- tallies --

    def tally(
        self,
        reference_id: str,
        cable_iri: str,
        shared: Iterable[str],
        versions: Iterable[str],
        results: Iterable[tuple[str, str, str, str, str]],
    ) -> None:
        db = self._db
        db.execute("INSERT OR IGNORE INTO cable_iris VALUES (?)", (cable_iri,))
        db.executemany("INSERT OR IGNORE INTO shared VALUES (?)", ((i,) for i in shared))
        db.executemany("INSERT INTO versions VALUES (?)", ((i,) for i in versions))
        db.executemany(
            "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?)",
            ((reference_id, *r) for r in results),
        )

    def file(self, path: PurePosixPath, sha256: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO files VALUES (?, ?)", (path.as_posix(), sha256))

    def files(self) -> Iterator[tuple[str, str]]:
        """(path, SHA-256) of every file written, by path."""
        yield from self._db.cursor().execute("SELECT path, sha256 FROM files ORDER BY path")

    def has_file(self, path: str) -> bool:
        row = self._db.execute("SELECT 1 FROM files WHERE path = ?", (path,)).fetchone()
        return row is not None

    def other_entities(self) -> int:
        """IRIs described by cables that are not the IRI of a cable of the run."""
        (n,) = self._db.execute(
            "SELECT COUNT(*) FROM shared WHERE iri NOT IN (SELECT iri FROM cable_iris)"
        ).fetchone()
        return int(n)

    def versions(self) -> Iterator[str]:
        """Every source version IRI once, in the order of their N-Triples text (``<IRI>``,
        by code point), as the Turtle writers sort objects."""
        rows = self._db.cursor().execute(
            "SELECT DISTINCT iri FROM versions ORDER BY '<' || iri || '>'"
        )
        for (iri,) in rows:
            yield iri

    def results(self, violations: bool) -> Iterator[tuple[str, tuple[str, str, str, str, str]]]:
        """(reference ID, result fields) of the Violations, or of the others, sorted."""
        op = "=" if violations else "!="
        rows = self._db.cursor().execute(
            "SELECT rid, severity, focus, path, shape, message FROM results "
            f"WHERE severity {op} 'Violation' "
            "ORDER BY rid, severity, focus, path, shape, message"
        )
        for rid, *fields in rows:
            yield rid, (fields[0], fields[1], fields[2], fields[3], fields[4])

    def result_counts(self) -> tuple[int, int, int]:
        """Cables with any result; non-Violation results; cables with those."""
        db = self._db
        (with_any,) = db.execute("SELECT COUNT(DISTINCT rid) FROM results").fetchone()
        (others,) = db.execute(
            "SELECT COUNT(*) FROM results WHERE severity != 'Violation'"
        ).fetchone()
        (other_cables,) = db.execute(
            "SELECT COUNT(DISTINCT rid) FROM results WHERE severity != 'Violation'"
        ).fetchone()
        return int(with_any), int(others), int(other_cables)

    def close(self) -> None:
        self._db.close()
        self.path.unlink(missing_ok=True)


# ---- what a run leaves for the next ------------------------------------------------------


@dataclass(frozen=True)
class CableState:
    """What a run knew of one cable."""

    key: str
    info: bytes  # packed summary of the cable (see convert)
    files: tuple[FileStamp, ...]
    dumps: tuple[Span, ...]  # in the order of the dumps


def fingerprint(parts: Sequence[str], package: Path) -> str:
    """A key of the code and settings a run uses: ``parts``, then every file of
    ``package`` (Python modules and packaged data). Any change starts a full run."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    files = sorted(
        Path(folder, name)
        for folder, dirs, names in os.walk(package, followlinks=True)  # data/ has symlinks
        if "__pycache__" not in Path(folder).parts
        for name in names
        if not name.endswith(".pyc")
    )
    for p in files:
        digest.update(p.relative_to(package).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(p.read_bytes()).digest())
    return digest.hexdigest()


class State:
    """The state of the previous run (read) and the state of this run (written).

    ``fingerprint`` keys the code and settings: an old state with another one is ignored.
    ``commit()`` replaces the old state with the new one; until then the old one stays.
    """

    def __init__(self, out: Path, fingerprint: str) -> None:
        self.out = out
        self.fingerprint = fingerprint
        path = out / STATE_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        self._old: sqlite3.Connection | None = None
        if path.is_file():
            try:
                old = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
                meta = dict(old.execute("SELECT name, value FROM meta").fetchall())
                if meta.get("schema") == str(_SCHEMA) and meta.get("fingerprint") == fingerprint:
                    self._old = old
                    self._old_meta = meta
                else:
                    old.close()
            except sqlite3.DatabaseError:
                self._old = None
        self._new_path = path.with_name(path.name + _NEW_SUFFIX)
        self._new_path.unlink(missing_ok=True)
        self._new = _connect(self._new_path)
        self._new.executescript(
            """
            CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE records (key TEXT PRIMARY KEY, rid TEXT, diagnostics BLOB NOT NULL)
                WITHOUT ROWID;
            CREATE TABLE cables (rid TEXT PRIMARY KEY, key TEXT NOT NULL, info BLOB NOT NULL,
                                 files BLOB NOT NULL, dumps BLOB NOT NULL) WITHOUT ROWID;
            """
        )
        self._new.execute("BEGIN")
        self._new.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("schema", str(_SCHEMA)), ("fingerprint", fingerprint)],
        )

    # -- the previous run --

    def old_record(self, key: str) -> tuple[str | None, bytes] | None:
        """(reference ID, packed parse diagnostics) of a source record seen before."""
        if self._old is None:
            return None
        row = self._old.execute("SELECT rid, diagnostics FROM records WHERE key = ?", (key,))
        found = row.fetchone()
        return None if found is None else (found[0], found[1])

    def old_cable(self, reference_id: str) -> CableState | None:
        if self._old is None:
            return None
        found = self._old.execute(
            "SELECT key, info, files, dumps FROM cables WHERE rid = ?", (reference_id,)
        ).fetchone()
        if found is None:
            return None
        key, info, files, dumps = found
        return CableState(key, info, unpack(files), unpack(dumps))

    def old_dump(self, path: PurePosixPath) -> FileStamp | None:
        """The stamp of a dump as the previous run wrote it, if it is still that file."""
        if self._old is None:
            return None
        text = self._old_meta.get(f"dump:{path.as_posix()}")
        if text is None:
            return None
        sha, size, mtime = text.split(" ")
        stamp = FileStamp(path, sha, int(size), int(mtime))
        return stamp if stamp.matches(self.out) else None

    # -- this run --

    def record(self, key: str, reference_id: str | None, diagnostics: bytes) -> None:
        self._new.execute(
            "INSERT OR REPLACE INTO records VALUES (?, ?, ?)", (key, reference_id, diagnostics)
        )

    def cable(self, reference_id: str, cable: CableState) -> None:
        self._new.execute(
            "INSERT OR REPLACE INTO cables VALUES (?, ?, ?, ?, ?)",
            (reference_id, cable.key, cable.info, pack(cable.files), pack(cable.dumps)),
        )

    def dump(self, stamp: FileStamp) -> None:
        self._new.execute(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            (f"dump:{stamp.path.as_posix()}", f"{stamp.sha256} {stamp.size} {stamp.mtime_ns}"),
        )

    def commit(self) -> None:
        """Make this run's state the state (an atomic rename)."""
        self._new.execute("COMMIT")
        self._new.close()
        if self._old is not None:
            self._old.close()
            self._old = None
        os.replace(self._new_path, self.out / STATE_FILE)

    def abandon(self) -> None:
        """Drop this run's state (the run failed); the old state stays."""
        self._new.close()
        self._new_path.unlink(missing_ok=True)
        if self._old is not None:
            self._old.close()
            self._old = None
