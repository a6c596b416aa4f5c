"""``mcsim discover STORE_DIR|RESULTS.parquet "COLUMN>=VALUE" ... [--inputs a,b] [--alpha A] [--out DIR]``

Scenario discovery with PRIM (``sim.analysis.discovery``, the EMA Workbench's PRIM): the box of lever (and
uncertainty) ranges in which every condition holds, with coverage, density, the peeling
trajectory (``prim_trajectory.parquet``), ``prim_box.csv``, ``prim.json`` and a figure.
Inputs default to the experiment's levers and uncertainties (``spec.yaml`` in the store).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


from sim.commands.common import fail

USAGE = 'usage: mcsim discover STORE_DIR|RESULTS.parquet "COLUMN>=VALUE" ... [--inputs a,b] [--alpha 0.05] [--out DIR]'
CONDITION = re.compile(r"^\s*([^<>=]+?)\s*(>=|<=|==|>|<)\s*(.+)$")


def main(args: list[str]) -> None:
    import pandas as pd

    from sim.analysis import discovery
    from sim.store import write_json, write_parquet

    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0 if args else 2)
    target, rest = Path(args[0]), list(args[1:])
    conditions, inputs, alpha, out = {}, None, 0.05, None
    while rest:
        a = rest.pop(0)
        if a in ("--inputs", "--alpha", "--out"):
            if not rest:
                fail("discover", f"{a} needs a value: {USAGE}")
            v = rest.pop(0)
            if a == "--inputs":
                inputs = [x for x in v.split(",") if x]
            elif a == "--out":
                out = Path(v)
            else:
                try:
                    alpha = float(v)
                except ValueError:
                    fail("discover", f"--alpha={v} is not allowed: expected a share in (0, 0.5)")
        else:
            m = CONDITION.match(a)
            if not m:
                fail("discover", f"condition {a!r} is not allowed: expected COLUMN>=VALUE (ops >=, <=, >, <, ==)")
            conditions[m.group(1)] = f"{m.group(2)} {m.group(3)}"
    if not conditions:
        fail("discover", f"no condition given: {USAGE}")
    table = target / "results.parquet" if target.is_dir() else target
    if not table.exists():
        fail("discover", f"{table} does not exist: give an experiment store folder or a results .parquet file")
    from sim.inputs import InputError, load_yaml, read_parquet

    hint = "run mcsim experiment again to rewrite the store's results (finished runs are kept)"
    try:
        results = read_parquet(table, "results table", hint)
        if inputs is None:
            spec_file = table.parent / "spec.yaml"
            if not spec_file.exists():
                fail("discover", "no spec.yaml next to the results: name the inputs with --inputs a,b,c")
            spec = load_yaml(spec_file, "store's spec.yaml", "name the inputs with --inputs a,b,c instead")
            spec = spec if isinstance(spec, dict) else {}
            inputs = [*(spec.get("levers") or {}), *(spec.get("uncertainties") or {})]
    except InputError as exc:
        fail("discover", str(exc))
    from sim.experiment.ema import EmaUnavailable

    try:
        result = discovery.discover(results, inputs, conditions, alpha=alpha)
    except (KeyError, ValueError) as exc:
        fail("discover", str(exc).strip("'\""))
    except EmaUnavailable as exc:
        fail("discover", str(exc))
    out = out or table.parent / "discovery"
    write_parquet(out / "prim_trajectory.parquet", result.trajectory)
    result.table().to_csv(out / "prim_box.csv", index=False)
    write_json(out / "prim.json", {"conditions": conditions, "inputs": inputs, "alpha": alpha,
                                   "coverage": result.coverage, "density": result.density,
                                   "support": result.support, "base_rate": result.base_density,
                                   "chosen_step": result.chosen_step, "box": result.box})
    discovery.plot(result, out / "prim", title="PRIM: " + " and ".join(f"{k} {v}" for k, v in conditions.items()))
    print(discovery.format_result(result, conditions))
    print(f"outputs in {out}")
    sys.exit(0)
