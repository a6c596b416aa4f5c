"""The ``mcsim`` command: ``mcsim COMMAND [overrides...]``. Parses the command name and
dispatches to ``sim.commands.<command>.main(args)``; nothing imports this module.

Each command is a Hydra app over the configs in ``configs/`` (``mcsim run`` composes
``configs/run.yaml``); ``sim.commands.common.preflight`` composes and validates the overrides
before Hydra starts, so bad input ends with one line naming the key, the value and what is
allowed, a non-zero exit, and nothing written.
"""

from __future__ import annotations

import logging
import sys

USAGE = """usage: mcsim COMMAND [key=value ...]

commands:
  run        run one scenario            mcsim run scenario=b40_voucher seed=2
  compare    compare scenarios with a briefing report (the main job)
  report     rebuild a comparison report from stored results: mcsim report PATH
  bench      measure speed and memory
  experiment run an experiment design: mcsim experiment experiments/NAME.yaml
  collect    gather a Hydra multirun into one table: mcsim collect SWEEP_DIR
  sensitivity  Sobol/Morris indices: mcsim sensitivity STORE_DIR|FILE.yaml
  calibrate  fit behaviour to targets: mcsim calibrate [--write-config]
  discover   PRIM scenario discovery: mcsim discover STORE_DIR "COLUMN>=VALUE" ...
  optimise   the best lever mix for a budget: mcsim optimise optimise.budget_rm=200e6
  explore    serve the interactive explorer page
  validate   check the model against known patterns and write docs/VALIDATION.md
  docs       regenerate the parameter table in docs/ODD.md (--check: only check it)

Overrides use Hydra syntax; `mcsim run --help` lists the configuration.
"""


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        sys.exit(0 if argv else 2)
    command, args = argv[0], argv[1:]
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from sim import commands
    from sim.commands.common import fail

    if command not in commands.COMMANDS:
        fail("", f"unknown command {command!r}: expected one of {', '.join(commands.COMMANDS)}")
    commands.dispatch(command, args)


if __name__ == "__main__":
    main()
