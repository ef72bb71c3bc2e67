"""Entry point: `python process.py --help`. All logic lives in the scorecard package."""
import sys

from scorecard.cli import main

if __name__ == "__main__":
    sys.exit(main())
