"""One module per ``mcsim`` command; ``COMMANDS`` maps names to handlers taking the argument list."""

from __future__ import annotations


def _run(args):
    from sim.commands.run import main

    main(args)


def _compare(args):
    from sim.commands.compare import main

    main(args)


def _report(args):
    from sim.commands.report import main

    main(args)


COMMANDS = {"run": _run, "compare": _compare, "report": _report}
