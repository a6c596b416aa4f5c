"""``mcsim collect SWEEP_DIR [outcome=uptake_rate] [out=DIR]``: a Hydra multirun as one table.

Writes ``sweep.parquet`` and ``sweep.csv`` (one row per job: override keys, then flattened
outcomes) and one heat map per pair of swept keys (the outcome's mean over the other keys and
seeds; a line chart when only one key was swept) into SWEEP_DIR (or ``out``), and tile maps by
state of the outcome's by-state counterpart (uptake_rate -> uptake_by_state), one per value
of the first swept key.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.commands.common import fail


def main(args: list[str]) -> None:
    from sim.experiment.collect import CollectError, collect_table, swept_keys
    from sim.report.sweep import heat_maps, state_maps
    from sim.store import atomic_write_bytes, write_parquet

    if any(a in ("-h", "--help") for a in args):
        print(__doc__)
        sys.exit(0)
    paths = [a for a in args if "=" not in a]
    options = dict(a.split("=", 1) for a in args if "=" in a)
    unknown = [k for k in options if k not in ("outcome", "out")]
    if unknown:
        fail("collect", f"unknown option {unknown[0]!r}: allowed are outcome, out")
    if len(paths) != 1:
        fail("collect", "give one sweep folder: mcsim collect results/multirun/<time> [outcome=NAME] [out=DIR]")
    try:
        table, outcome_columns, unfinished = collect_table(paths[0])
    except CollectError as exc:
        fail("collect", str(exc))
    if table.empty:
        fail("collect", f"{paths[0]} has no finished jobs (no summary.json)")
    outcome = options.get("outcome", "uptake_rate")
    if outcome not in outcome_columns:
        fail("collect", f"outcome={outcome!r} is not an outcome of this sweep: e.g. uptake_rate, "
                        "uptake_by_income.B40, concentration_index")
    out_dir = Path(options.get("out", paths[0]))
    try:
        write_parquet(out_dir / "sweep.parquet", table)
        atomic_write_bytes(out_dir / "sweep.csv", table.to_csv(index=False).encode())
        keys = swept_keys(table, outcome_columns)
        figures = heat_maps(table, keys, outcome, out_dir)
        figures += state_maps(table, keys, outcome, out_dir)
    except OSError as exc:
        fail("collect", f"cannot write into {out_dir} ({exc.strerror or exc}): free some space or choose another "
                        "folder with out=DIR")
    print(f"{len(table)} jobs ({unfinished} unfinished) -> {out_dir / 'sweep.parquet'} (and .csv); swept: "
          f"{', '.join(keys) or 'nothing'}; {len(figures)} figure(s) of {outcome}")
    sys.exit(0)
