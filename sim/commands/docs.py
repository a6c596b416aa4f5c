"""``mcsim docs``: regenerate the parameter table in docs/ODD.md from the schema, the calibrated
values and configs/uncertainties.yaml (``--check`` only reports whether it is current)."""

from __future__ import annotations

import sys
from pathlib import Path

from sim.commands.common import fail

ODD = Path(__file__).resolve().parents[2] / "docs" / "ODD.md"


def main(args: list[str]) -> None:
    from sim.config.parameter_table import render_parameter_table, with_parameter_table
    from sim.store import atomic_write_bytes

    if any(a not in ("--check",) for a in args):
        fail("docs", f"unknown argument {args[0]!r}: usage: mcsim docs [--check]")
    try:
        current = ODD.read_text()
        updated = with_parameter_table(current, render_parameter_table())
    except (OSError, ValueError) as exc:
        fail("docs", str(exc))
    if "--check" in args:
        if updated != current:
            fail("docs", f"{ODD} parameter table is out of date: run `mcsim docs`")
        print(f"{ODD}: parameter table is current")
        sys.exit(0)
    if updated != current:
        atomic_write_bytes(ODD, updated.encode())
    print(f"wrote the parameter table in {ODD}")
    sys.exit(0)
