"""``python -m fastact.accuracy``: the exhaustive float32 accuracy sweep.

The sweep itself is measurement code and lives with the rest of it in
fastact/bench/accuracy.py; this entry point stays so that the command users
know (README, ACCURACY.md) keeps working.
"""

import sys

from .bench.accuracy import main

if __name__ == "__main__":
    sys.exit(main())
