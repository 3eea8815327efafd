"""``python -m fastact``: the speed report (see fastact/bench/report.py and ``--help``)."""

import sys

from .bench.report import main

if __name__ == "__main__":
    sys.exit(main())
