import sys

from .cpython.cli import main

sys.exit(main())
