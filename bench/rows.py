"""The ``--rows`` option of the benchmarks that compare setups side by side."""

from __future__ import annotations

import argparse
from collections.abc import Iterable


def chosen_rows(parser: argparse.ArgumentParser, value: str, known: Iterable[str]) -> list[str]:
    """The comma-separated row keys of ``value``, in order; the parser's error (exit 2) for
    none or an unknown one."""
    names = list(known)
    keys = [k.strip() for k in value.split(",") if k.strip()]
    unknown = [k for k in keys if k not in names]
    if unknown or not keys:
        parser.error(f"--rows: unknown {unknown}; choose from {', '.join(names)}")
    return keys
