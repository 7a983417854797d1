"""`python -m reportsite`: the same as the `reportsite` command."""

import sys

from .cli import main

sys.exit(main())
