import sys

from sbexplore.cli import main

sys.exit(main())
