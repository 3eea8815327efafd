"""``python -m fastact``: the speed report (see fastact/_report.py and ``--help``)."""

import sys

from ._report import main

if __name__ == "__main__":
    sys.exit(main())
