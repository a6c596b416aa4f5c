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


def _sensitivity(args):
    from sim.commands.sensitivity import main

    main(args)


def _calibrate(args):
    from sim.commands.calibrate import main

    main(args)


def _discover(args):
    from sim.commands.discover import main

    main(args)


COMMANDS = {"run": _run, "experiment": _experiment, "collect": _collect, "sensitivity": _sensitivity,
            "calibrate": _calibrate, "discover": _discover}
