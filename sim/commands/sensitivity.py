"""``mcsim sensitivity FILE.yaml [--out DIR] [--workers N]``: global sensitivity of outcomes
to uncertain inputs (Sobol or Morris via SALib), with a tornado and convergence check.

FILE is an experiment file with ``sampler: sobol|morris``, ``n``, ``parameters``
(``{key: [low, high]}``), ``analysis: {outcomes: [...]}`` and optional ``scenario``,
``seeds``, ``overrides``, ``tornado``. Or an experiment store directory holding
``results.parquet`` and ``experiment.yaml`` (then only the analysis is redone).
Outputs in ``results/sensitivity/<name>_<time>/`` (or --out): results.parquet, design,
sensitivity.parquet/json, convergence.parquet, figures (PNG+SVG), manifest.json.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import yaml

from sim.commands.common import fail

USAGE = "usage: mcsim sensitivity FILE.yaml|STORE_DIR [--out DIR] [--workers N]"


def load_spec(path: Path) -> dict:
    from sim.inputs import InputError, load_yaml

    if not path.exists():
        fail("sensitivity", f"{path} does not exist: give an experiment file (.yaml) or a store directory")
    try:
        spec = load_yaml(path, "sensitivity file", "see experiments/sensitivity/*.yaml for the format") or {}
    except InputError as exc:
        fail("sensitivity", str(exc))
    if not isinstance(spec, dict):
        fail("sensitivity", f"{path}: expected a mapping of keys (sampler, n, parameters, analysis)")
    return spec


def check_spec(spec: dict) -> None:
    from sim.analysis.sensitivity import METHODS

    if spec.get("sampler") not in METHODS:
        fail("sensitivity", f"sampler={spec.get('sampler')!r} is not allowed: expected one of {', '.join(METHODS)}")
    if not spec.get("parameters"):
        fail("sensitivity", "parameters is empty: give at least two {key: [low, high]} entries")
    if not (spec.get("analysis") or {}).get("outcomes"):
        fail("sensitivity", "analysis.outcomes is empty: name outcome columns, e.g. uptake_by_income.B40")
    n = spec.get("n", 16)
    if not isinstance(n, int) or n < 2:
        fail("sensitivity", f"n={n!r} is not allowed: expected an integer >= 2")


def run(spec: dict, out_dir: Path, workers: int | None) -> None:
    from sim.analysis import plots, sensitivity
    from sim.analysis.evaluate import check_bounds, evaluate
    from sim.config import ConfigError
    from sim.store import atomic_write_bytes, code_version, package_versions, write_json, write_parquet

    bounds = sensitivity.spec_bounds(spec)
    overrides = [f"scenario={spec.get('scenario', 'baseline')}", *spec.get("overrides", [])]
    try:
        check_bounds(bounds, overrides)
        design = sensitivity.sample(spec["sampler"], bounds, int(spec.get("n", 16)), seed=int(spec.get("seed", 1)))
    except (ConfigError, ValueError) as exc:
        fail("sensitivity", str(exc))
    seeds = [int(s) for s in spec.get("seeds", [1])]
    outcomes = list(spec["analysis"]["outcomes"])
    print(f"{spec['sampler']}: {len(design)} design points x {len(seeds)} seeds = {len(design) * len(seeds)} runs")
    start = time.perf_counter()
    results = evaluate(design, list(bounds), overrides, seeds, workers=workers)
    atomic_write_bytes(out_dir / "experiment.yaml", yaml.safe_dump(spec, sort_keys=False).encode())
    write_parquet(out_dir / "results.parquet", results)
    indices = sensitivity.analyse_experiment(spec, results, out_dir)
    if spec.get("tornado", True):
        tdesign = sensitivity.tornado_design(bounds)
        tresults = evaluate(tdesign, list(bounds), overrides, seeds, workers=workers)
        write_parquet(out_dir / "tornado_results.parquet", tresults)
        for outcome in outcomes:
            table, base = sensitivity.tornado_table(tdesign, tresults, outcome)
            plots.tornado(table, outcome, base, out_dir / f"tornado_{sensitivity._slug(outcome)}")
    wall = time.perf_counter() - start
    write_json(out_dir / "manifest.json", {"command": "mcsim sensitivity", "spec": spec, "wall_time_s": wall,
                                           "code_version": code_version(), "packages": package_versions()})
    print(sensitivity.format_indices(indices, spec["sampler"]))
    print(f"wall time {wall:.0f} s; outputs in {out_dir}")


def reanalyse(store: Path, out_dir: Path) -> None:
    """Indices from a finished experiment store (``mcsim experiment``) or an earlier
    ``mcsim sensitivity`` output folder."""
    import pandas as pd

    from sim.analysis import sensitivity

    if not (store / "results.parquet").exists():
        fail("sensitivity", f"{store} holds no results.parquet: give a finished experiment store or sensitivity folder")
    from sim.inputs import InputError, load_yaml, read_parquet

    hint = "delete it, then run mcsim experiment again with the same file: it is rewritten, finished runs are kept"
    try:
        results = read_parquet(store / "results.parquet", "results table", hint)
        data = load_yaml(store / "spec.yaml", "store's spec.yaml", hint) if (store / "spec.yaml").exists() else None
    except InputError as exc:
        fail("sensitivity", str(exc))
    if data is not None:  # an experiment store
        from sim.experiment.spec import ExperimentError, parse_experiment

        data = data if isinstance(data, dict) else {}
        data.pop("spec_hash", None)
        if not data.get("analysis"):
            data["analysis"] = {"outcomes": data.get("outcomes") or []}
        try:
            spec = parse_experiment(data, store.name)
        except ExperimentError as exc:
            fail("sensitivity", str(exc))
    elif (store / "experiment.yaml").exists():
        spec = load_spec(store / "experiment.yaml")
        check_spec(spec)
    else:
        fail("sensitivity", f"{store} is not an experiment store: expected spec.yaml or experiment.yaml in it")
    try:
        indices = sensitivity.analyse_experiment(spec, results, out_dir)
    except (KeyError, ValueError) as exc:
        fail("sensitivity", str(exc).strip("'\""))
    if indices is None:
        fail("sensitivity", f"{store}: sampler is not sobol or morris, so there are no sensitivity indices")
    print(sensitivity.format_indices(indices, sensitivity._get(spec, "sampler")))
    print(f"outputs in {out_dir}")


def main(args: list[str]) -> None:
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        sys.exit(0 if args else 2)
    target, out, workers = Path(args[0]), None, None
    rest = args[1:]
    while rest:
        flag = rest.pop(0)
        if flag in ("--out", "--workers") and rest:
            value = rest.pop(0)
            if flag == "--out":
                out = Path(value)
            else:
                if not value.isdigit() or int(value) < 1:
                    fail("sensitivity", f"--workers={value} is not allowed: expected a positive integer")
                workers = int(value)
        else:
            fail("sensitivity", f"unknown argument {flag!r}: {USAGE}")
    if target.is_dir():
        reanalyse(target, out or target / "analysis")
        sys.exit(0)
    spec = load_spec(target)
    check_spec(spec)
    name = spec.get("name", target.stem)
    out_dir = out or Path("results/sensitivity") / f"{name}_{time.strftime('%Y%m%d-%H%M%S')}"
    run(spec, out_dir, workers)
    sys.exit(0)
