"""`python -m wenze_desktop` starts the GUI (with arguments, it is the `wenze` command)."""

import sys

from wenze_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
