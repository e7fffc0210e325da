"""Run settings: one frozen object, built once (by the CLI or a library user), passed down.

Only the data IRIs follow :attr:`Settings.base`. The vocabulary (ontology terms, concept
schemes) has fixed IRIs under :data:`VOCAB_BASE`, so that data published under another base
still uses the same terms. See ``docs/uris.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from cablerdf import __version__

DEFAULT_BASE = "https://w3id.org/cablegate/"
"""The default base of data IRIs (cables, paragraphs, posts, graphs, the dataset)."""

VOCAB_BASE = "https://w3id.org/cablegate/"
"""The fixed base of the ontology and the concept schemes; not configurable."""

ONTOLOGY_VERSION = "0.1.0"
"""The version of ``ontology/cablerdf.ttl`` and ``ontology/schemes.ttl``."""

BASE_ENV = "CABLERDF_BASE"
"""The environment variable read by :meth:`Settings.from_env`."""

# An absolute http(s) IRI ending in "/", made of unreserved, sub-delim, ":", "@", "/" and
# percent-encoded characters only (no query, no fragment, no space, no non-ASCII).
_BASE_RE = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*"
)


def base_problem(base: str) -> str | None:
    """Say what is wrong with ``base`` as a base IRI, or ``None`` when it is usable."""
    if not base.endswith("/"):
        return f"the base IRI {base!r} must end with '/' (e.g. {DEFAULT_BASE!r})"
    if _BASE_RE.fullmatch(base) is None:
        return (
            f"the base IRI {base!r} must be an absolute http(s) IRI with a path, no query or "
            "fragment, and only ASCII IRI characters (percent-encode the others)"
        )
    if "//" in base.split("://", 1)[1]:
        return f"the base IRI {base!r} has an empty path segment ('//')"
    return None


@dataclass(frozen=True)
class Settings:
    """What a run needs to know besides its input.

    ``base``: where data IRIs live; ``ontology_version``: the version of the ontology the
    output conforms to; ``tool_version``: the cablerdf version recorded in provenance.
    Raises ``ValueError`` on an unusable base (a usage error, not bad data).
    """

    base: str = DEFAULT_BASE
    ontology_version: str = ONTOLOGY_VERSION
    tool_version: str = __version__

    def __post_init__(self) -> None:
        problem = base_problem(self.base)
        if problem is not None:
            raise ValueError(problem)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Settings with the base taken from ``CABLERDF_BASE`` when it is set and not empty."""
        base = environ.get(BASE_ENV, "").strip()
        return cls(base=base or DEFAULT_BASE)
