"""One module per ``mcsim`` command; ``COMMANDS`` maps names to handlers taking the argument list."""

from __future__ import annotations


def _run(args):
    from sim.commands.run import main

    main(args)


def _explore(args):
    from sim.commands.explore import main

    main(args)


COMMANDS = {"run": _run, "explore": _explore}
