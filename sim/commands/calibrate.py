"""``mcsim calibrate [TARGETS.yaml] [--out DIR] [--workers N] [--write-config] [key=value ...]``

Fits the behavioural parameters named in the targets file (default
``configs/calibration/targets.yaml``) by ABC rejection + Nelder-Mead with common random
numbers (``sim.analysis.calibration``). ``key=value`` overrides a setting of the file
(``population=5000 prior_draws=32``). Writes tables, ``calibration.json`` and the fit figure
to ``results/calibration/<time>/`` (or --out); with ``--write-config`` also the fitted values
to ``configs/behaviour/calibrated.yaml``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import yaml

from sim.config.compose import CONFIG_DIR
from sim.commands.common import fail

USAGE = "usage: mcsim calibrate [TARGETS.yaml] [--out DIR] [--workers N] [--write-config] [setting=value ...]"


def main(args: list[str]) -> None:
    from sim.analysis import calibration, calibration_report
    from sim.config import ConfigError
    from sim.store import atomic_write_bytes

    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        sys.exit(0)
    path, out, workers, write_config, settings = CONFIG_DIR / "calibration" / "targets.yaml", None, None, False, {}
    rest = list(args)
    while rest:
        a = rest.pop(0)
        if a == "--write-config":
            write_config = True
        elif a in ("--out", "--workers"):
            if not rest:
                fail("calibrate", f"{a} needs a value: {USAGE}")
            v = rest.pop(0)
            if a == "--out":
                out = Path(v)
            elif v.isdigit() and int(v) >= 1:
                workers = int(v)
            else:
                fail("calibrate", f"--workers={v} is not allowed: expected a positive integer")
        elif "=" in a and not a.startswith("-"):
            k, v = a.split("=", 1)
            settings[k] = yaml.safe_load(v)
        elif a.endswith((".yaml", ".yml")):
            path = Path(a)
        else:
            fail("calibrate", f"unknown argument {a!r}: {USAGE}")
    try:
        raw = calibration.load_raw(path)
        raw.setdefault("settings", {}).update(settings)
        spec = calibration.spec_from_dict(raw, str(path))
        from sim.experiment.configs import base_config, check_bounds

        for run_overrides in spec.runs.values():
            base = base_config([*run_overrides, *spec.settings.overrides],
                               {"population.n_agents": spec.settings.population})
            check_bounds(spec.bounds, base)
    except (calibration.CalibrationError, ConfigError, TypeError, ValueError) as exc:
        fail("calibrate", str(exc).splitlines()[0])
    out_dir = out or Path("results/calibration") / time.strftime("%Y%m%d-%H%M%S")
    command = "mcsim calibrate " + " ".join(args)
    s = spec.settings
    runs_total = (s.prior_draws + s.refine_evaluations) * len(s.seeds) * len(spec.runs) + len(s.check_seeds) * len(spec.runs)
    print(f"calibrating {len(spec.bounds)} parameters to {len(spec.targets)} targets: "
          f"about {runs_total} runs of {s.population:,} agents")
    start = time.perf_counter()
    result = calibration.calibrate(spec, workers=workers)
    wall = time.perf_counter() - start
    calibration_report.write_outputs(result, spec, out_dir, command, wall)
    print(calibration_report.format_result(result))
    if write_config:
        text = calibration.behaviour_yaml(result.fitted, result.quantiles(), result.fit_table, command,
                                          spec.settings, time.strftime("%Y-%m-%d"))
        atomic_write_bytes(CONFIG_DIR / "behaviour" / "calibrated.yaml", text.encode())
        print(f"wrote {CONFIG_DIR / 'behaviour' / 'calibrated.yaml'}")
    print(f"wall time {wall:.0f} s; outputs in {out_dir}")
    sys.exit(0)
