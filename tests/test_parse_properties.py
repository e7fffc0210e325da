"""Property-based tests of the whole parsing stage (reader output -> cable record).

The parser is total: whatever text, HTML or CSV it is given, it returns a result and never
raises. What it reads can be rebuilt: the body's labelled segments laid end to end give the
body back exactly.
"""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cablerdf.cable_ids import canonical_id, default_index
from cablerdf.model import SourceDocument, SourceForm, SourceInfo
from cablerdf.parsing import parse_document
from cablerdf.parsing.body import lay_out_body, rebuild_body
from cablerdf.readers import read_stream

CABLE_WORDS = [
    "SUBJECT:",
    "TAGS:",
    "REF:",
    "E.O. 12958: DECL: 08/18/2036",
    "Classified By:",
    "1. (C)",
    "2. (SBU)",
    "¶3.",
    "FM AMEMBASSY ASTANA",
    "TO RUEHC/SECSTATE WASHDC PRIORITY 1676",
    "INFO",
    "R 020347Z NOV 06",
    "DE RUEHTA #0395/01 3060347",
    "S E C R E T",
    "SECTION 01 OF 02",
    "ASTANA 00000395  002.2 OF 002",
    "XXXXXXXXXXXX",
    "END SUMMARY",
    "A.",
    "--",
    "\n",
    "\n\n",
    " ",
    "(",
    ")",
    "/",
    "06ASTANA395",
    "BT",
    "NNNN",
]
cable_text = st.lists(
    st.one_of(st.sampled_from(CABLE_WORDS), st.text(max_size=12)), max_size=60
).map("".join)
common = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def document(header: str, body: str, **meta: str | None) -> SourceDocument:
    return SourceDocument(
        source=SourceInfo("<test>", 1, SourceForm.TEXT, "0" * 64),
        source_id=meta.get("source_id"),
        created=meta.get("created"),
        released=(),
        classification=meta.get("classification"),
        origin=None,
        title=None,
        header=header,
        body=body,
    )


@common
@given(header=cable_text, body=cable_text, source_id=st.one_of(st.none(), st.text(max_size=20)))
def test_parser_never_raises_on_arbitrary_text(
    header: str, body: str, source_id: str | None
) -> None:
    result = parse_document(document(header, body, source_id=source_id), default_index())
    if result.record is not None:
        assert body.endswith(result.record.body)  # the body is the text after the header


@common
@given(body=cable_text)
def test_body_rebuilds_exactly(body: str) -> None:
    layout, _ = lay_out_body(body)
    assert rebuild_body(layout, body) == body
    for p in layout.paragraphs:
        assert 0 <= p.span.start <= p.span.end <= len(body)
        for r in p.removed:
            assert p.span.start <= r.start <= r.end <= p.span.end


@common
@given(raw=st.text(max_size=40))
def test_canonical_id_is_idempotent(raw: str) -> None:
    once = canonical_id(raw)
    assert canonical_id(once) == once


html_text = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "<html>",
                "<title>Cable Viewer</title>",
                "<table class='cable'>",
                "<tr>",
                "<td>",
                "<a href='/x'>",
                "</a>",
                "<code><pre>",
                "</pre></code>",
                "&#x000A;",
                "<h3>Viewing cable 06ASTANA395, X</h3>",
                "<th>Reference ID</th>",
                "&amp;",
                "&",
                "<!--",
                "]]>",
                "<?xml version='1.0'?>",
            ]
        ),
        cable_text,
    ),
    max_size=40,
).map("".join)


@common
@given(
    data=st.one_of(html_text, cable_text).map(lambda s: s.encode("utf-8")) | st.binary(max_size=300)
)
def test_read_and_parse_never_raise_on_arbitrary_html_text_or_bytes(data: bytes) -> None:
    for item in read_stream(io.BytesIO(data), "<fuzz>"):
        if isinstance(item, SourceDocument):
            parse_document(item, default_index())


csv_row = st.lists(
    st.one_of(cable_text, st.sampled_from(['"', '\\"', "\\'", ",", '","', "\n", '"\n'])),
    max_size=30,
).map(
    lambda parts: (
        '"1","2/25/1972 9:30","72TEHRAN1164","Embassy Tehran","UNCLASSIFIED","",'
        '"' + "".join(parts) + '"\n'
    ).encode("utf-8")
)


@common
@given(data=csv_row)
def test_read_and_parse_never_raise_on_arbitrary_csv(data: bytes) -> None:
    for item in read_stream(io.BytesIO(data), "<fuzz.csv>"):
        if isinstance(item, SourceDocument):
            parse_document(item, default_index())
