"""One module per ``mcsim`` command, each with ``main(args)``. ``COMMANDS`` maps a command
name to its module under ``sim.commands``; modules are imported only when their command runs
(so ``mcsim run`` never pays for the explorer's imports)."""

from __future__ import annotations

import importlib

COMMANDS = {
    "run": "run",
    "compare": "compare",
    "report": "report",
    "explore": "explore",
    "validate": "validate",
    "bench": "bench",
    "experiment": "experiment",
    "collect": "collect",
    "sensitivity": "sensitivity",
    "calibrate": "calibrate",
    "discover": "discover",
    "optimise": "optimise",
    "docs": "docs",
}


def dispatch(command: str, args: list[str]) -> None:
    importlib.import_module(f"sim.commands.{COMMANDS[command]}").main(args)
