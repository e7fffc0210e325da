"""Cable Viewer pages (2010 and 2011 templates) -> :class:`SourceDocument`.

The page's table gives the metadata; the first ``<pre>`` the transmission header, the second the
body, both rendered as a browser shows them (``&#x000A;`` -> line break, links -> their text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from cablerdf.model import Article, Diagnostic, Severity, SourceDocument, SourceInfo
from cablerdf.readers.common import decode, diag, fold, fold_or_none, not_utf8, sha256
from cablerdf.readers.detect import page_form

# An ``&`` that does not start a character reference ending in ``;``. The pages are XHTML, where a
# reference needs its ``;``; the cables use a bare ``&`` as a quote mark (``&barrio8``), which an
# HTML5 parser would otherwise read as a legacy entity (``&not`` -> ``¬``).
_BARE_AMP = re.compile(r"&(?!#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{0,31};)")
_VIEWING = re.compile(r"\s*Viewing cable\s+([^,\s]*)\s*,?(.*)", re.DOTALL)
_COUNTER = re.compile(r"released so far\.\.\.\s*([\d,]+)\s*/\s*([\d,]+)")
_PARTIAL = re.compile(
    r"\s*This record is a partial extract of the original cable\."
    r"(?:[ \t]*The full text of the original cable is not available\.)?"
)
_LEADING_BLANK_LINES = re.compile(r"(?:[ \t]*\n)+")
_TAB_ROW = re.compile(
    r"(?:\d+\t)?(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2})(?::\d{2})?\t([^\t\n]*)\t([^\t\n]*)\t"
    r"([^\t\n]*)\t([^\t\n]*)\t"
)
_FULL_RELEASE_DATE = "2011-08-30"


def _parse(data: bytes) -> Any:
    parser = etree.HTMLParser(encoding="utf-8", no_network=True, recover=True)
    return etree.fromstring(data, parser)


def _text(element: Any) -> str:
    """The text of an element as a browser renders it: tags dropped, ``<br>`` a line break.

    The tree is only read, never changed: lxml refuses to store text holding a control
    character XML forbids (a form feed, say), which a page may nevertheless contain.
    """
    parts: list[str] = []
    for event, node in etree.iterwalk(element, events=("start", "end", "comment", "pi")):
        if event == "start":
            parts.append(node.text or "")
            continue
        if node is element:
            continue
        if event == "end" and node.tag == "br":
            parts.append("\n")
        parts.append(node.tail or "")
    return "".join(parts).replace("\r\n", "\n").replace("\r", "\n")


def _classes(element: Any) -> list[str]:
    return str(element.get("class") or "").split()


def _column_names(table: Any) -> list[str]:
    return [fold(_text(th)).lower() for th in table.iter("th")]


def _cell_links(cell: Any) -> list[str]:
    """The link texts of a cell, or its text when it has no links."""
    links = [fold(_text(a)) for a in cell.iter("a")]
    links = [link for link in links if link]
    if links:
        return links
    text = fold(_text(cell))
    return [text] if text else []


def _articles(table: Any) -> tuple[Article, ...]:
    found: list[Article] = []
    for row in table.iter("tr"):
        if "Appears in these articles" not in _text(row):
            continue
        for a in row.iter("a"):
            found.append(Article(url=str(a.get("href") or ""), title=fold(_text(a))))
    return tuple(found)


def _unescape_row_field(text: str) -> str:
    """A field of a raw database row: ``\\`` + line break is a line break; a final ``\\`` goes."""
    text = text.replace("\\\n", "\n")
    return text.removesuffix("\\")


def read_page(data: bytes, path: str) -> Iterator[SourceDocument | Diagnostic]:
    """Read one Cable Viewer page: one document, or a diagnostic saying why not."""
    text, latin = decode(data)
    try:
        root = _parse(_BARE_AMP.sub("&amp;", text).encode("utf-8"))
    except (etree.LxmlError, ValueError) as exc:
        yield diag(
            Severity.ERROR,
            "reader.page-unparsed",
            f"could not parse the HTML page: {exc}",
            path,
            hint="check that the file is a complete HTML page",
        )
        return
    tables = [t for t in root.iter("table") if "cable" in _classes(t)] if root is not None else []
    if not tables:
        yield diag(
            Severity.WARNING,
            "reader.not-a-cable",
            "an HTML page without a Cable Viewer table (class 'cable'); skipped",
            path,
            hint="pass Cable Viewer pages, cables.csv, JSON lines or cable text",
        )
        return
    yield _document(root, tables[0], text, data, path, latin)


def _document(
    root: Any, table: Any, html: str, data: bytes, path: str, latin: bool
) -> SourceDocument:
    diagnostics: list[Diagnostic] = []
    names = _column_names(table)
    rows = [row for row in table.iter("tr") if any(True for _ in row.iter("td"))]
    cells = list(rows[0].iter("td")) if rows else []
    values: dict[str, list[str]] = {}
    for name, cell in zip(names, cells, strict=False):
        values.setdefault(name, []).extend(_cell_links(cell))

    def first(*keys: str) -> str | None:
        for key in keys:
            if values.get(key):
                return values[key][0]
        return None

    source_id = first("reference id")
    if latin:
        diagnostics.append(not_utf8(path, 1, source_id))
    if source_id is None:
        diagnostics.append(
            diag(
                Severity.WARNING,
                "reader.page-no-id",
                "the Cable Viewer table has no Reference ID",
                path,
                1,
                hint="the parsing stage takes the ID from the header and body",
            )
        )
    created = first("created", "date")
    released = tuple(values.get("released", ()))
    title = None
    for h3 in root.iter("h3"):
        match = _VIEWING.match(_text(h3))
        if match:
            title = fold_or_none(match.group(2))
            break
    counter = _COUNTER.search(html)
    full_release = any(r.startswith(_FULL_RELEASE_DATE) for r in released) or bool(
        counter and counter.group(1).replace(",", "") == counter.group(2).replace(",", "")
    )

    pres = list(root.iter("pre"))
    if len(pres) < 2:
        diagnostics.append(
            diag(
                Severity.WARNING,
                "reader.page-missing-text",
                f"expected two <pre> blocks (header, body), found {len(pres)}",
                path,
                1,
                reference_id=source_id,
                hint="the page was cut short; read the cable from another source",
            )
        )
    elif len(pres) > 2:
        diagnostics.append(
            diag(
                Severity.WARNING,
                "reader.page-extra-text",
                f"expected two <pre> blocks (header, body), found {len(pres)}; the first two were read",
                path,
                1,
                reference_id=source_id,
            )
        )
    header_pre = pres[0] if len(pres) >= 2 else None
    body_pre = pres[1] if len(pres) >= 2 else (pres[0] if pres else None)
    header = _text(header_pre) if header_pre is not None else ""
    body = _text(body_pre) if body_pre is not None else ""
    header_line = int(header_pre.sourceline or 1) if header_pre is not None else 1
    body_line = int(body_pre.sourceline or 1) if body_pre is not None else 1

    partial = _PARTIAL.match(header)
    if partial:
        rest = header[partial.end() :]
        blank = _LEADING_BLANK_LINES.match(rest)
        header = rest[blank.end() :] if blank else rest

    references: tuple[str, ...] = ()
    row = _TAB_ROW.match(body)
    if row:
        row_date, row_id, _origin, _classification, row_refs = row.groups()
        row_header, _, row_body = body[row.end() :].partition("\t")
        if row_header:
            header, header_line = _unescape_row_field(row_header), body_line
        body = _unescape_row_field(row_body)
        references = tuple(r for r in row_refs.split("|") if r.strip())
        row_created = row_date.replace("T", " ")
        note = ""
        if created != row_created:
            note = f"; created {created!r} corrected to the row's {row_created!r}"
            created = row_created
        if row_id and source_id and row_id != source_id:
            note += f"; the row names {row_id!r}, the table {source_id!r}"
        diagnostics.append(
            diag(
                Severity.INFO,
                "reader.tab-row-body",
                "the body <pre> holds a raw tab-separated database row; header, body and "
                f"references were taken from its fields{note}",
                path,
                body_line,
                reference_id=source_id,
            )
        )

    return SourceDocument(
        source=SourceInfo(path=path, line=1, form=page_form(html), sha256=sha256(data)),
        source_id=source_id,
        created=created,
        released=released,
        classification=first("classification"),
        origin=first("origin"),
        title=title,
        header=header,
        body=body,
        body_line=body_line,
        header_line=header_line,
        articles=_articles(table),
        partial_extract=bool(partial),
        full_release=full_release,
        metadata_references=references,
        diagnostics=tuple(diagnostics),
    )
