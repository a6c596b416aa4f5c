"""One module per ``mcsim`` command; ``COMMANDS`` maps names to handlers taking the argument list."""

from __future__ import annotations


def _run(args):
    from sim.commands.run import main

    main(args)


def _bench(args):
    from sim.commands.bench import main

    main(args)


COMMANDS = {"run": _run, "bench": _bench}
