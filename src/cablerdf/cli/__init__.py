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
from cablerdf.cli.parse import parse


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cablerdf")
def main() -> None:
    """cablerdf: the Cablegate cables as linked data.

    Read cables in every published form, parse them into records, and map them to RDF.
    """


main.add_command(parse)
