"""`python -m scratchnet_fast`: the scratchnet-fast command line."""
import sys

from .cli import main

sys.exit(main())
