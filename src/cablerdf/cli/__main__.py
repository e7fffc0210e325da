"""``python -m cablerdf.cli``: the same as the ``cablerdf`` command."""

from cablerdf.cli import main

main()
