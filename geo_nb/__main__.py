"""``python -m geo_nb`` is the ``geo-nb`` command line (:mod:`geo_nb.cli`)."""

from __future__ import annotations

import sys

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
