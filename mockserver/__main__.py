"""`python -m mockserver [serve options]`: the same command line; without a command it serves."""

from __future__ import annotations

import sys

from mockserver.cli import main

if __name__ == "__main__":
    arguments = sys.argv[1:]
    if not arguments or (arguments[0].startswith("-") and arguments[0] not in ("-h", "--help", "--version")):
        arguments = ["serve", *arguments]
    sys.exit(main(arguments))
