"""The ``cablerdf`` command: a thin click layer over the library.

Standard output carries data; standard error carries diagnostics and progress. Exit codes
(``docs/cli.md``):

* 0: done (warnings allowed);
* 1: done, but nothing could be read, or (with ``--strict``) a record was rejected or a
  graph does not conform;
* 2: usage error;
* 3: could not run (broken machinery, e.g. an unwritable output folder).

Each command lives in a module of its own and is registered here.
"""

from __future__ import annotations

import click

from cablerdf import __version__
from cablerdf.cli.archive import archive
from cablerdf.cli.convert import convert
from cablerdf.cli.fetch import fetch
from cablerdf.cli.parse import parse
from cablerdf.cli.serve import serve
from cablerdf.cli.site import site
from cablerdf.cli.store import load, query
from cablerdf.cli.validate import validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cablerdf")
def main() -> None:
    """cablerdf: the Cablegate cables as linked data.

    Read cables in every published form, parse them into records, map them to RDF,
    validate every graph against SHACL shapes, and export, load, query and serve the result.
    """


# In the order of the pipeline: sources, records, graphs, stores, the web, the archive.
for command in (fetch, parse, convert, validate, load, query, serve, site, archive):
    main.add_command(command)
