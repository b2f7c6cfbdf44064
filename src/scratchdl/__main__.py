"""``python -m scratchdl``: the ``scratchdl`` command."""

import sys

from scratchdl.cli import main

sys.exit(main())
