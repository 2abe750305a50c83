"""``python -m kgcrm.cli``: the same as the ``kgcrm`` command."""

from kgcrm.cli import main

main()
