"""``mcsim report PATH``: rebuild a comparison's tables, figures and report from its stored
results (``data/*.parquet`` and ``comparison.json``) without re-running the simulation."""

from __future__ import annotations

import sys
from pathlib import Path

from sim.commands.common import fail


def main(args: list[str]) -> None:
    paths = [a for a in args if not a.startswith("-")]
    if len(paths) != 1 or len(args) != 1:
        fail("report", "expected one argument, the results folder of mcsim compare: mcsim report PATH")
    from sim.experiment.results import ResultsError
    from sim.report.build import build_report

    try:
        report = build_report(Path(paths[0]))
    except ResultsError as exc:
        fail("report", str(exc))
    except OSError as exc:
        fail("report", f"cannot write the report into {paths[0]} ({exc.strerror or exc}): free some space or "
                       "copy the folder somewhere writable and run mcsim report there")
    except (KeyError, TypeError, ValueError, IndexError) as exc:  # parseable but not what compare stores
        fail("report", f"{paths[0]} holds a damaged comparison ({type(exc).__name__}: {str(exc)[:120]}): "
                       "run mcsim compare again (its command is in the folder's manifest.json)")
    print(f"report: {report}")
    sys.exit(0)
