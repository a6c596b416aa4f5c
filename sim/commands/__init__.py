"""One module per ``mcsim`` command; ``COMMANDS`` maps names to handlers taking the argument list."""

from __future__ import annotations


def _run(args):
    from sim.commands.run import main

    main(args)


def _experiment(args):
    from sim.commands.experiment import main

    main(args)


def _collect(args):
    from sim.commands.collect import main

    main(args)


COMMANDS = {"run": _run, "experiment": _experiment, "collect": _collect}
