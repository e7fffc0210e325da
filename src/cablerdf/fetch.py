"""Fetch Cable Viewer pages over HTTP into a cache on disk, politely and with provenance.

:func:`fetch` takes URLs or reference IDs (``06ASTANA395`` becomes
``{base}/cable/2006/11/06ASTANA395.html``) and yields a :class:`FetchResult` per page kept, or
:class:`~cablerdf.model.Diagnostic` values saying why not. The HTTP session is passed in.

Each page is kept byte for byte as received (no content decoding) at :func:`cache_path`, and
beside it a hidden sidecar JSON (:func:`sidecar_path`, :class:`FetchRecord`) with the URL,
status, headers, SHA-256, size and retrieval time. A later run sends a conditional request
(``If-None-Match`` / ``If-Modified-Since``); a ``304`` keeps the cached copy. Requests are
rate-limited, retried with bounded backoff, time-limited, size-capped, and checked against
the site's ``robots.txt``. Files are replaced atomically, so a crash leaves the old copy or
the new one, never half a page. See ``docs/fetch.md``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import email.utils
import hashlib
import http.client
import json
import os
import re
import tempfile
import time
import urllib.robotparser
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import quote, urljoin, urlsplit

import requests
import urllib3

from cablerdf import __version__
from cablerdf.cable_ids import ReferenceIndex, default_index, repair_id
from cablerdf.model import Diagnostic, Severity

__all__ = [
    "DEFAULT_BASE_URL",
    "DIAGNOSTIC_CODES",
    "FetchRecord",
    "FetchResult",
    "FetchSettings",
    "cable_url",
    "cache_path",
    "fetch",
    "load_sidecar",
    "sidecar_path",
]

DEFAULT_BASE_URL: Final = "https://wikileaks.org/"
"""The Cable Viewer site whose ``/cable/YYYY/MM/ID.html`` layout reference IDs are fetched from."""

SIDECAR_FORMAT: Final = "cablerdf-fetch/1"
"""The ``format`` key of every sidecar JSON."""

#: Every diagnostic code :func:`fetch` emits, with its meaning.
DIAGNOSTIC_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "fetch.bad-input": "an argument is neither an http(s) URL nor a reference ID",
        "fetch.unknown-id": "a reference ID is not among the published ones; no URL for it",
        "fetch.robots-disallowed": "robots.txt does not allow cablerdf to fetch the URL",
        "fetch.robots-unreachable": "robots.txt could not be read (5xx, network error); not fetched",
        "fetch.http-error": "the server answered with an error status",
        "fetch.unexpected-status": "the server answered with a status cablerdf does not use",
        "fetch.timeout": "the connection or a read took longer than allowed",
        "fetch.connection-failed": "no connection, or the connection broke",
        "fetch.truncated": "the body ended before its Content-Length",
        "fetch.too-large": "the body is larger than the size cap",
        "fetch.redirect-refused": "a redirect went to a non-http(s) URL or too many times",
        "fetch.retried": "a request failed and was tried again",
        "fetch.cache-stale": "a cached copy did not match its sidecar; fetched in full",
        "fetch.cache-conflict": "a URL's cache path collides with another's (``a`` and ``a/b``)",
        "fetch.sidecar-unreadable": "a sidecar JSON could not be read",
    }
)

_CHUNK = 64 * 1024
_ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 507, 509, 520, 521, 522, 524})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_SAFE_SEGMENT = "-._~!$&'()+,;=@"
_MAX_SEGMENT = 160
_ID_LIKE = re.compile(r"[0-9]{2}[A-Za-z0-9 ]*[A-Za-z][A-Za-z0-9 ]*")
_NETWORK_ERRORS = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
    ValueError,
)
# Retry-After and Content-Length values are read only when made of digits.
_DIGITS = re.compile(r"[0-9]{1,18}")


def _check_positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be a positive number, not {value!r}")


@dataclass(frozen=True)
class FetchSettings:
    """How to fetch: where from, how fast, how long to wait, how much to accept.

    ``base_url``: the Cable Viewer site reference IDs are fetched from;
    ``requests_per_second``: the most requests started per second (robots.txt and retries
    included; a larger ``Crawl-delay`` in robots.txt wins); ``retries``: further tries after a
    failure that may pass (timeouts, broken connections, 408/429/5xx, truncated bodies), with
    ``backoff`` seconds before the first and twice as long before each next, at most
    ``max_backoff``; ``connect_timeout`` and ``read_timeout``: seconds for a connection and
    for each read; ``max_seconds``: for a whole download; ``max_bytes``: the size cap of a
    body; ``contact``: added to the User-Agent (an e-mail address or URL).
    Raises ``ValueError`` on an unusable value (a usage error, not bad data).
    """

    base_url: str = DEFAULT_BASE_URL
    requests_per_second: float = 1.0
    retries: int = 3
    backoff: float = 1.0
    max_backoff: float = 60.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_seconds: float = 300.0
    max_bytes: int = 32 * 1024 * 1024
    max_redirects: int = 5
    contact: str | None = None

    def __post_init__(self) -> None:
        problem = _url_problem(self.base_url)
        if problem is not None:
            raise ValueError(f"the base URL {self.base_url!r} {problem}")
        for name in (
            "requests_per_second",
            "connect_timeout",
            "read_timeout",
            "max_seconds",
            "max_bytes",
        ):
            _check_positive(name, getattr(self, name))
        if self.retries < 0 or self.max_redirects < 0:
            raise ValueError("retries and max_redirects must not be negative")
        if self.backoff < 0 or self.max_backoff < 0:
            raise ValueError("backoff and max_backoff must not be negative")
        if self.contact is not None and not re.fullmatch(r"[\x21-\x7e]+", self.contact):
            raise ValueError("contact must be printable ASCII without spaces (a URL or e-mail)")

    @property
    def user_agent(self) -> str:
        """``cablerdf/VERSION`` and, when given, the contact: the product token robots.txt matches."""
        contact = f" (+{self.contact})" if self.contact else ""
        return f"cablerdf/{__version__}{contact}"


@dataclass(frozen=True)
class FetchRecord:
    """What a sidecar JSON records about a cached page: enough for PROV provenance.

    ``status`` and ``headers`` are those of the response that delivered the bytes;
    ``retrieved`` is when they were received and ``checked`` when the server last confirmed
    them (a ``304``), both ISO 8601 UTC.
    """

    url: str
    final_url: str
    reference_id: str | None
    status: int
    headers: tuple[tuple[str, str], ...]
    sha256: str
    size: int
    retrieved: str
    checked: str
    user_agent: str

    def header(self, name: str) -> str | None:
        """The value of a response header (case-insensitive), or ``None``."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": SIDECAR_FORMAT,
            "url": self.url,
            "final_url": self.final_url,
            "reference_id": self.reference_id,
            "status": self.status,
            "headers": [[k, v] for k, v in self.headers],
            "sha256": self.sha256,
            "size": self.size,
            "retrieved": self.retrieved,
            "checked": self.checked,
            "user_agent": self.user_agent,
        }

    @classmethod
    def from_json(cls, obj: Any) -> FetchRecord | None:
        """The record a sidecar's JSON holds, or ``None`` when it is not one."""
        if not isinstance(obj, dict) or obj.get("format") != SIDECAR_FORMAT:
            return None
        text = ("url", "final_url", "sha256", "retrieved", "checked", "user_agent")
        if not all(isinstance(obj.get(k), str) for k in text):
            return None
        ref, status, size, headers = (
            obj.get(k) for k in ("reference_id", "status", "size", "headers")
        )
        if not (ref is None or isinstance(ref, str)) or not isinstance(headers, list):
            return None
        if type(status) is not int or type(size) is not int or size < 0:
            return None
        pairs: list[tuple[str, str]] = []
        for pair in headers:
            if not (
                isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
            ):
                return None
            pairs.append((pair[0], pair[1]))
        return cls(
            url=obj["url"],
            final_url=obj["final_url"],
            reference_id=ref,
            status=status,
            headers=tuple(pairs),
            sha256=obj["sha256"],
            size=size,
            retrieved=obj["retrieved"],
            checked=obj["checked"],
            user_agent=obj["user_agent"],
        )


@dataclass(frozen=True)
class FetchResult:
    """A page held in the cache after this run: where it is and what its sidecar records.

    ``status`` is that of this run's last response: ``200`` (new bytes) or ``304`` (the
    cached copy was kept).
    """

    path: Path
    sidecar: Path
    status: int
    record: FetchRecord

    @property
    def not_modified(self) -> bool:
        return self.status == 304


# ---- URLs and cache paths -------------------------------------------------------------------


def _url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname:
        return "has no host"
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "contains white space or control characters"
    try:
        _ = parts.port
    except ValueError:
        return "has an unusable port"
    return None


def _century(yy: int) -> int:
    # Cables run from 1966 to 2010 (the rule of cablerdf.cable_ids).
    return 2000 + yy if yy < 40 else 1900 + yy


def cable_url(reference_id: str, month: int, base_url: str = DEFAULT_BASE_URL) -> str:
    """The Cable Viewer URL of a cable: ``{base}/cable/YYYY/MM/ID.html``."""
    year = _century(int(reference_id[:2]))
    return f"{base_url.rstrip('/')}/cable/{year}/{month:02d}/{quote(reference_id, safe='')}.html"


def _segment(text: str) -> str:
    safe = quote(text, safe=_SAFE_SEGMENT)
    if safe.startswith("."):
        safe = "%2E" + safe[1:]  # never a hidden name (nor "." or "..")
    if len(safe) > _MAX_SEGMENT:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        safe = f"{safe[: _MAX_SEGMENT - 17]}~{digest}"
    return safe


def cache_path(to: Path, url: str) -> Path:
    """Where the page at ``url`` is kept under ``to``: ``{host}[_{port}]/{path}``.

    Each path segment is percent-encoded (a query becomes part of the last one, an empty last
    segment ``index.html``); no segment is hidden, ``.`` or ``..``, so the path stays inside
    ``to`` and never collides with a sidecar.
    """
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "unknown-host").lower()
    except ValueError:  # not a URL (e.g. an unclosed IPv6 bracket): a name from its hash
        return to / "invalid-url" / hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()
    try:
        port = parts.port
    except ValueError:
        port = None
    top = _segment(host + (f"_{port}" if port else ""))
    segments = parts.path.split("/")[1:] or [""]
    if parts.query:
        segments[-1] += "?" + parts.query
    if segments[-1] == "":
        segments[-1] = "index.html"
    return to.joinpath(top, *(_segment(s) for s in segments if s != ""))


def _clash(to: Path, path: Path) -> Path | None:
    """A file where ``path`` needs a folder, or a folder at ``path`` itself (``a`` and ``a/b``)."""
    if path.is_dir():
        return path
    for parent in path.relative_to(to).parents:
        if parent != Path(".") and (to / parent).exists() and not (to / parent).is_dir():
            return to / parent
    return None


def sidecar_path(path: Path) -> Path:
    """The sidecar JSON of a cached page: a hidden file beside it, ``.{name}.fetch.json``.

    Readers skip hidden files, so ``cablerdf parse DIR`` reads the pages only.
    """
    return path.with_name(f".{path.name}.fetch.json")


def load_sidecar(path: Path) -> FetchRecord | Diagnostic | None:
    """The :class:`FetchRecord` of the cached page at ``path``; ``None`` when it has no
    sidecar, a diagnostic when the sidecar cannot be read."""
    side = sidecar_path(path)
    try:
        raw = side.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _sidecar_problem(side, f"could not read it: {exc.strerror or exc}")
    try:
        record = FetchRecord.from_json(json.loads(raw))
    except (ValueError, RecursionError):
        record = None
    return record or _sidecar_problem(side, f"it is not a {SIDECAR_FORMAT} sidecar JSON")


def _sidecar_problem(side: Path, what: str) -> Diagnostic:
    return Diagnostic(
        Severity.WARNING,
        "fetch.sidecar-unreadable",
        what,
        str(side),
        hint="delete it; the next fetch gets the page in full",
    )


# ---- the fetcher ------------------------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class _Target:
    url: str
    reference_id: str | None


@dataclass(frozen=True)
class _Failure:
    code: str
    message: str
    hint: str | None
    retryable: bool
    retry_after: float | None = None
    status: int | None = None  # the HTTP status, when the server answered


@dataclass(frozen=True)
class _Response:
    """A response whose body (for a 200) is in ``body_file``, not yet in the cache."""

    url: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body_file: Path | None = None
    sha256: str = ""
    size: int = 0
    location: str | None = None


@dataclass
class _Throttle:
    """The time of the last request to each origin. Mutable: one per :func:`fetch` call."""

    interval: float
    sleep: Callable[[float], None]
    last: dict[str, float] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)

    def wait(self, origin: str) -> None:
        gap = max(self.interval, self.delays.get(origin, 0.0))
        previous = self.last.get(origin)
        if previous is not None:
            pause = previous + gap - time.monotonic()
            if pause > 0:
                self.sleep(pause)
        self.last[origin] = time.monotonic()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def fetch(
    urls_or_ids: Iterable[str],
    to: Path,
    settings: FetchSettings,
    session: requests.Session | None = None,
    *,
    index: ReferenceIndex | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[FetchResult | Diagnostic]:
    """Fetch each URL or reference ID into the cache folder ``to``, one after another.

    Yields a :class:`FetchResult` for each page kept (new or confirmed by a ``304``), and
    diagnostics for what failed or was corrected; a failure never stops the run. ``session``
    is used for every request (one is made and closed when ``None``); ``index`` gives the
    creation month of reference IDs (the packaged one by default). Raises ``OSError`` only
    when the cache folder cannot be written.
    """
    own = session is None
    web = requests.Session() if session is None else session
    fetcher = _Fetcher(
        web,
        to,
        settings,
        index if index is not None else default_index(),
        _Throttle(1.0 / settings.requests_per_second, sleep),
    )
    try:
        for item in urls_or_ids:
            yield from fetcher.one(item)
    finally:
        if own:
            web.close()


_Steps = Generator[Diagnostic, None, Any]


@dataclass
class _Fetcher:
    """The state of one run: session, throttle, robots.txt per origin. Mutable, never shared."""

    session: requests.Session
    to: Path
    settings: FetchSettings
    index: ReferenceIndex
    throttle: _Throttle
    # an origin's robots.txt rules, or why they could not be read
    robots: dict[str, urllib.robotparser.RobotFileParser | str] = field(default_factory=dict)

    # -- one input ------------------------------------------------------------------------------

    def one(self, item: str) -> Iterator[FetchResult | Diagnostic]:
        target: _Target | None = yield from self._target(item)
        if target is None:
            return
        path = cache_path(self.to, target.url)
        clash = _clash(self.to, path)
        if clash is not None:
            yield _diag(
                Severity.ERROR,
                "fetch.cache-conflict",
                f"not fetched: its cache path {path} collides with {clash} (a page and a "
                "folder of the same name)",
                target.url,
                reference_id=target.reference_id,
                hint="fetch it into another --to folder",
            )
            return
        cached: FetchRecord | None = yield from self._cached(path, target)
        headers = {"User-Agent": self.settings.user_agent, "Accept-Encoding": "identity"}
        if cached is not None:
            etag, modified = cached.header("ETag"), cached.header("Last-Modified")
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified
        self.to.mkdir(parents=True, exist_ok=True)
        outcome: _Response | Diagnostic = yield from self._get(target, headers)
        if isinstance(outcome, Diagnostic):
            yield outcome
            return
        try:
            yield self._keep(target, path, cached, outcome, headers)
        finally:
            if outcome.body_file is not None:
                outcome.body_file.unlink(missing_ok=True)

    def _target(self, item: str) -> _Steps:
        """The URL to fetch for an argument (``None`` when there is none)."""
        text = item.strip()
        hint = "give an http(s) URL or a reference ID like 06ASTANA395"
        if "://" in text:
            problem = _url_problem(text)
            if problem is not None:
                yield _diag(
                    Severity.ERROR, "fetch.bad-input", f"the URL {problem}", text, hint=hint
                )
                return None
            return _Target(text, None)
        if not _ID_LIKE.fullmatch(text) or len(text) > 64:
            yield _diag(
                Severity.ERROR,
                "fetch.bad-input",
                f"{text!r} is neither an http(s) URL nor a reference ID",
                text,
                hint=hint,
            )
            return None
        squeezed = "".join(c for c in text.upper() if c.isalnum())
        if squeezed in self.index:
            rid = squeezed  # a published ID, malformed or not, names its page as printed
        else:
            rid, note = repair_id(text, self.index)
            if note is not None:
                yield dataclasses.replace(note, path=text)
        month = self.index.month(rid)
        if month is None or not rid[:2].isdigit():
            yield _diag(
                Severity.ERROR,
                "fetch.unknown-id",
                f"{rid} is not a published reference ID, so its page's month is unknown",
                text,
                reference_id=rid,
                hint="check the ID, or give the page's URL instead",
            )
            return None
        return _Target(cable_url(rid, month, self.settings.base_url), rid)

    def _cached(self, path: Path, target: _Target) -> _Steps:
        """The record of a usable cached copy (its bytes match its sidecar), else ``None``."""
        if not path.is_file():
            return None
        loaded = load_sidecar(path)
        if isinstance(loaded, Diagnostic):
            yield loaded
            return None
        if loaded is None:
            return None
        if loaded.url == target.url and _file_sha256(path) == loaded.sha256:
            return loaded
        yield _diag(
            Severity.INFO,
            "fetch.cache-stale",
            "the cached copy does not match its sidecar (an interrupted run or an edit); "
            "fetched in full",
            target.url,
            reference_id=target.reference_id,
        )
        return None

    def _keep(
        self,
        target: _Target,
        path: Path,
        cached: FetchRecord | None,
        response: _Response,
        headers: Mapping[str, str],
    ) -> FetchResult | Diagnostic:
        now = _now()
        side = sidecar_path(path)
        if response.status == 304:
            if cached is None:
                return _diag(
                    Severity.ERROR,
                    "fetch.unexpected-status",
                    "the server answered 304 Not Modified to a request that was not conditional",
                    target.url,
                    reference_id=target.reference_id,
                    hint="nothing was kept; try again later",
                )
            record = dataclasses.replace(cached, checked=now)
            _write_json(side, record.to_json())
            return FetchResult(path, side, 304, record)
        assert response.body_file is not None  # a 200 always has its body file
        record = FetchRecord(
            url=target.url,
            final_url=response.url,
            reference_id=target.reference_id,
            status=response.status,
            headers=response.headers,
            sha256=response.sha256,
            size=response.size,
            retrieved=now,
            checked=now,
            user_agent=headers["User-Agent"],
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(response.body_file, 0o644)
        # The page first, then its sidecar: a crash between the two leaves a sidecar that
        # does not match the page, which the next run notices (fetch.cache-stale).
        os.replace(response.body_file, path)
        _write_json(side, record.to_json())
        return FetchResult(path, side, 200, record)

    # -- HTTP -----------------------------------------------------------------------------------

    def _get(self, target: _Target, headers: Mapping[str, str]) -> _Steps:
        """GET with robots.txt, redirects and retries: a 200/304 response, or a diagnostic."""
        url = target.url
        rid = target.reference_id
        for _hop in range(self.settings.max_redirects + 1):
            refusal: Diagnostic | None = yield from self._robots_refusal(url, rid)
            if refusal is not None:
                return refusal
            outcome: _Response | _Failure = yield from self._retrying(
                url, rid, headers, self.settings.max_bytes
            )
            if isinstance(outcome, _Failure):
                return _failure_diag(outcome, url, rid)
            if outcome.status not in _REDIRECT_STATUSES:
                return outcome
            location = urljoin(url, outcome.location) if outcome.location else ""
            problem = _url_problem(location) if location else "is missing"
            if problem is not None:
                return _diag(
                    Severity.ERROR,
                    "fetch.redirect-refused",
                    f"the server answered {outcome.status} with a Location that {problem}",
                    url,
                    reference_id=rid,
                    hint="give the page's final URL instead",
                )
            url = location
        return _diag(
            Severity.ERROR,
            "fetch.redirect-refused",
            f"more than {self.settings.max_redirects} redirects; gave up",
            target.url,
            reference_id=rid,
            hint="give the page's final URL instead",
        )

    def _retrying(self, url: str, rid: str | None, headers: Mapping[str, str], cap: int) -> _Steps:
        """One request, tried again (bounded) while it fails in a way that may pass."""
        tries = self.settings.retries + 1
        attempt = 1
        while True:
            outcome = self._attempt(url, headers, cap)
            if isinstance(outcome, _Response) or not outcome.retryable or attempt >= tries:
                if isinstance(outcome, _Failure) and attempt > 1:
                    outcome = dataclasses.replace(
                        outcome, message=f"{outcome.message} (after {attempt} tries)"
                    )
                return outcome
            pause = min(self.settings.backoff * 2 ** (attempt - 1), self.settings.max_backoff)
            if outcome.retry_after is not None:
                pause = min(max(pause, outcome.retry_after), self.settings.max_backoff)
            yield _diag(
                Severity.INFO,
                "fetch.retried",
                f"try {attempt} of {tries} failed ({outcome.message}); trying again in {pause:g} s",
                url,
                reference_id=rid,
            )
            self.throttle.sleep(pause)
            attempt += 1

    def _attempt(self, url: str, headers: Mapping[str, str], cap: int) -> _Response | _Failure:
        self.throttle.wait(_origin(url))
        started = time.monotonic()
        s = self.settings
        try:
            response = self.session.get(
                url,
                headers=dict(headers),
                timeout=(s.connect_timeout, s.read_timeout),
                stream=True,
                allow_redirects=False,
            )
        except requests.exceptions.ConnectTimeout:
            return _Failure(
                "fetch.timeout",
                f"no connection within {s.connect_timeout:g} s",
                "the server may be down; try again later, or raise --connect-timeout",
                True,
            )
        except requests.exceptions.Timeout:
            return _Failure(
                "fetch.timeout",
                f"no response within {s.read_timeout:g} s",
                "the server is slow; try again later, or raise --read-timeout",
                True,
            )
        except _NETWORK_ERRORS as exc:
            return _Failure(
                "fetch.connection-failed",
                f"the request failed: {_reason(exc)}",
                "check the URL and the network; try again later",
                True,
            )
        with contextlib.closing(response):
            return self._read(response, started, cap)

    def _read(self, response: requests.Response, started: float, cap: int) -> _Response | _Failure:
        status = response.status_code
        reason = str(response.reason or "")
        pairs = tuple((str(k), str(v)) for k, v in response.headers.items())
        if status in _REDIRECT_STATUSES or status == 304:
            return _Response(
                response.url, status, reason, pairs, location=response.headers.get("Location")
            )
        if status != 200:
            return _status_failure(status, reason, response.headers.get("Retry-After"))
        length_text = str(response.headers.get("Content-Length") or "").strip()
        declared = int(length_text) if _DIGITS.fullmatch(length_text) else None
        if declared is not None and declared > cap:
            return _too_large(f"the server announces {declared} bytes", cap)
        fd, tmp = tempfile.mkstemp(dir=self.to, prefix=".fetch.", suffix=".part")
        body_file = Path(tmp)
        digest, size = hashlib.sha256(), 0
        failure: _Failure | None = None
        try:
            with os.fdopen(fd, "wb") as out:
                chunks = response.raw.stream(_CHUNK, decode_content=False)
                while True:
                    try:
                        chunk = next(chunks, b"")
                    except urllib3.exceptions.ReadTimeoutError:
                        failure = _Failure(
                            "fetch.timeout",
                            f"the body stalled for {self.settings.read_timeout:g} s",
                            "the server is slow; try again later",
                            True,
                        )
                        break
                    except _NETWORK_ERRORS as exc:
                        failure = _broken(exc, size, declared)
                        break
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > cap:
                        failure = _too_large(f"the body passed {cap} bytes", cap)
                        break
                    digest.update(chunk)
                    out.write(chunk)
                    if time.monotonic() - started > self.settings.max_seconds:
                        failure = _Failure(
                            "fetch.timeout",
                            f"the download took over {self.settings.max_seconds:g} s",
                            "the server is slow; try again later, or raise --max-seconds",
                            True,
                        )
                        break
            if failure is None and declared is not None and size != declared:
                failure = _truncated(size, declared)
        finally:
            if failure is not None:
                body_file.unlink(missing_ok=True)
        if failure is not None:
            return failure
        return _Response(response.url, status, reason, pairs, body_file, digest.hexdigest(), size)

    # -- robots.txt -----------------------------------------------------------------------------

    def _robots_refusal(self, url: str, rid: str | None) -> _Steps:
        """``None`` when robots.txt allows ``url``, else the diagnostic that says why not."""
        origin = _origin(url)
        if origin not in self.robots:
            self.robots[origin] = yield from self._load_robots(origin, rid)
        rules = self.robots[origin]
        if isinstance(rules, str):
            return _diag(
                Severity.ERROR,
                "fetch.robots-unreachable",
                f"not fetched: {origin}/robots.txt could not be read ({rules}); as RFC 9309 "
                "asks, nothing is fetched from a site whose robots.txt is unreachable",
                url,
                reference_id=rid,
                hint="try again later",
            )
        if rules.can_fetch(self.settings.user_agent, url):
            return None
        return _diag(
            Severity.ERROR,
            "fetch.robots-disallowed",
            f"not fetched: {origin}/robots.txt does not allow {self.settings.user_agent} "
            "to fetch this URL",
            url,
            reference_id=rid,
            hint="use another mirror (--base-url), or ask the site's operators",
        )

    def _load_robots(self, origin: str, rid: str | None) -> _Steps:
        """The rules of an origin, or why they could not be read (then nothing is allowed).

        RFC 9309: a 2xx is read; a 4xx means there are no rules; a 5xx, a network error or
        too many redirects mean the site is unreachable.
        """
        robots_url = origin + "/robots.txt"
        headers = {"User-Agent": self.settings.user_agent, "Accept-Encoding": "identity"}
        url = robots_url
        outcome: _Response | _Failure = _Failure(
            "fetch.redirect-refused", "too many redirects", None, False
        )
        for _hop in range(6):  # RFC 9309: follow at least five redirects
            outcome = yield from self._retrying(url, rid, headers, _ROBOTS_MAX_BYTES)
            if isinstance(outcome, _Failure) or outcome.status not in _REDIRECT_STATUSES:
                break
            url = urljoin(url, outcome.location) if outcome.location else ""
            if _url_problem(url) is not None:
                outcome = _Failure(
                    "fetch.redirect-refused", "a redirect went nowhere usable", None, False
                )
                break
        if isinstance(outcome, _Response) and outcome.body_file is not None:
            try:
                text = outcome.body_file.read_bytes().decode("utf-8", "replace")
            finally:
                outcome.body_file.unlink(missing_ok=True)
            parser = urllib.robotparser.RobotFileParser(robots_url)
            parser.parse(text.splitlines())
            delay = parser.crawl_delay(self.settings.user_agent)
            if delay is not None:
                self.throttle.delays[origin] = min(float(delay), self.settings.max_backoff)
            return parser
        if isinstance(outcome, _Failure) and 400 <= (outcome.status or 0) < 500:
            return _allow_all(robots_url)
        return outcome.message if isinstance(outcome, _Failure) else "a 304 to a plain request"


def _diag(
    severity: Severity,
    code: str,
    message: str,
    path: str,
    *,
    reference_id: str | None = None,
    hint: str | None = None,
) -> Diagnostic:
    return Diagnostic(severity, code, message, path, None, reference_id, hint)


def _failure_diag(failure: _Failure, url: str, rid: str | None) -> Diagnostic:
    return _diag(
        Severity.ERROR, failure.code, failure.message, url, reference_id=rid, hint=failure.hint
    )


def _allow_all(url: str) -> urllib.robotparser.RobotFileParser:
    parser = urllib.robotparser.RobotFileParser(url)
    parser.parse([])
    return parser


def _status_failure(status: int, reason: str, retry_after: str | None) -> _Failure:
    what = f"the server answered {status} {reason}".rstrip()
    if status in _RETRY_STATUSES:
        return _Failure(
            "fetch.http-error",
            what,
            "the server is busy or failing; try again later",
            True,
            _retry_after(retry_after),
            status,
        )
    if 400 <= status < 600:
        hint = (
            "check the reference ID and --base-url: this mirror has no such page"
            if status in (404, 410)
            else "check the URL"
        )
        return _Failure("fetch.http-error", what, hint, False, status=status)
    return _Failure(
        "fetch.unexpected-status",
        what + "; only 200 and 304 are kept",
        "check the URL",
        False,
        status=status,
    )


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (a number or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if _DIGITS.fullmatch(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:300] + "..."


def _broken(exc: BaseException, size: int, declared: int | None) -> _Failure:
    if declared is not None and size < declared:
        return _truncated(size, declared)
    return _Failure(
        "fetch.connection-failed",
        f"the connection broke after {size} bytes: {_reason(exc)}",
        "try again later",
        True,
    )


def _truncated(size: int, declared: int) -> _Failure:
    return _Failure(
        "fetch.truncated",
        f"the body ended after {size} of the {declared} bytes its Content-Length announces",
        "the connection was cut; try again later",
        True,
    )


def _too_large(what: str, cap: int) -> _Failure:
    return _Failure(
        "fetch.too-large",
        f"{what}, more than the cap of {cap} bytes; not kept",
        "raise --max-bytes if the page is really that large",
        False,
    )


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_json(path: Path, obj: Mapping[str, Any]) -> None:
    """Write JSON (sorted keys) through a temporary file and a rename."""
    data = (json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".fetch.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
