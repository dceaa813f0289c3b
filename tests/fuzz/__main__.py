"""`python -m tests.fuzz`: see driver.py."""

import sys

from .driver import main

sys.exit(main())
