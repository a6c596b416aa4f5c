"""``mcsim calibrate [TARGETS.yaml] [--out DIR] [--workers N] [--write-config] [setting=value ...]``

Fits the behavioural parameters named in the targets file (default
``configs/calibration/targets.yaml``) by ABC-SMC (pyabc) with common random numbers
(``sim.analysis.calibration``). ``setting=value`` overrides a setting of the file
(``population=5000 particles=16 max_generations=3``). Writes pyabc's history database, the
particle and convergence tables, ``calibration.json`` and the fit figure to
``results/calibration/<time>/`` (or --out, inside results/); with ``--write-config`` also the
posterior sample to ``configs/behaviour/posterior.csv`` and the fitted point (the best
particle) to ``configs/behaviour/calibrated.yaml``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import yaml

from sim.config.compose import CONFIG_DIR
from sim.commands.common import fail

USAGE = ("usage: mcsim calibrate [TARGETS.yaml] [--out DIR] [--workers N] [--write-config] [setting=value ...]\n"
         "  ABC-SMC (pyabc) over the targets file's parameter box (default configs/calibration/targets.yaml).\n"
         "  settings: population, seeds, particles, max_generations, min_epsilon, max_simulations,\n"
         "            kernel_scaling, check_seeds, sampler_seed, overrides (e.g. particles=16 max_generations=3)\n"
         "  --out DIR        output folder inside results/ (default results/calibration/<time>)\n"
         "  --write-config   also write configs/behaviour/posterior.csv and configs/behaviour/calibrated.yaml")


def main(args: list[str]) -> None:
    from sim.analysis import calibration, calibration_report
    from sim.config import ConfigError
    from sim.paths import UnsafePath, inside
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
                fail("calibrate", f"{a} needs a value: {USAGE.splitlines()[0]}")
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
            fail("calibrate", f"unknown argument {a!r}: {USAGE.splitlines()[0]}")
    out_dir = out or Path("results/calibration") / time.strftime("%Y%m%d-%H%M%S")
    try:
        inside(out_dir, "results", "the calibration output folder")
    except UnsafePath as exc:
        fail("calibrate", str(exc))
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
    command = "mcsim calibrate " + " ".join(args)
    s = spec.settings
    budget = f"at most {s.max_simulations} candidates" if s.max_simulations else "no simulation limit"
    print(f"calibrating {len(spec.bounds)} parameters to {len(spec.targets)} targets by ABC-SMC: {s.particles} particles, "
          f"at most {s.max_generations} generations, down to epsilon {s.min_epsilon}, {budget}; each candidate is "
          f"{len(spec.runs) * len(s.seeds)} runs of {s.population:,} agents")
    start = time.perf_counter()
    result = calibration.calibrate(spec, out_dir, workers=workers)
    wall = time.perf_counter() - start
    calibration_report.write_outputs(result, spec, out_dir, command, wall)
    print(calibration_report.format_result(result))
    if write_config:
        date = time.strftime("%Y-%m-%d")
        targets_file = _shown(path)
        for name, text in (("posterior.csv", calibration.posterior_csv(result, command, s, date, targets_file)),
                           ("calibrated.yaml", calibration.behaviour_yaml(result, command, s, date, targets_file))):
            atomic_write_bytes(CONFIG_DIR / "behaviour" / name, text.encode())
            print(f"wrote {CONFIG_DIR / 'behaviour' / name}")
    print(f"wall time {wall:.0f} s; outputs in {out_dir}")
    sys.exit(0)


def _shown(path: Path) -> str:
    """The targets file as a path relative to the project (configs/...) where it lies inside it."""
    try:
        return str(Path(path).resolve().relative_to(CONFIG_DIR.resolve().parent))
    except ValueError:
        return str(path)
