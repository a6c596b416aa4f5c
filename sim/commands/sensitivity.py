"""``mcsim sensitivity FILE.yaml|STORE_DIR [--out DIR] [--workers N] [--executor E]``: global
sensitivity of outcomes to uncertain inputs (Sobol or Morris via SALib), with a tornado and a
convergence check: run the design, then analyse.

FILE is an experiment file (the format of ``mcsim experiment``, docs/RESEARCHER_GUIDE.md) with
``sampler: sobol|morris`` and an ``analysis:`` block (``outcomes``, optional ``convergence``,
``tornado``). Its design runs through the experiment engine into the experiment's store
(``results/experiments/<name>-<hash>/``; running the same command again reuses the finished
runs), the tornado's one-at-a-time design into ``<store>/tornado/``. A STORE_DIR (a finished
experiment store) is only analysed again.

Outputs in ``results/sensitivity/<name>_<time>/`` (or --out): sensitivity.parquet/json,
convergence.parquet, tornado_results.parquet, figures (PNG+SVG), manifest.json.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sim.commands.common import fail

USAGE = "usage: mcsim sensitivity FILE.yaml|STORE_DIR [--out DIR] [--workers N] [--executor serial|process|ray]"


def load_spec(path: Path):
    """The experiment file at ``path``, which must ask for sensitivity indices; exits with one
    line otherwise."""
    from sim.analysis.sensitivity import METHODS
    from sim.experiment.spec import ExperimentError, load_experiment

    if not path.exists():
        fail("sensitivity", f"{path} does not exist: give an experiment file (.yaml) or a store directory")
    try:
        spec = load_experiment(path)
    except ExperimentError as exc:
        fail("sensitivity", str(exc))
    if spec.sampler not in METHODS:
        fail("sensitivity", f"sampler={spec.sampler!r} is not allowed: expected one of {', '.join(METHODS)}")
    levels = [p.key for p in spec.parameters if p.levels is not None]
    if levels:
        fail("sensitivity", f"{levels[0]} has levels: sensitivity indices and a tornado need range parameters")
    if not spec.analysis:
        fail("sensitivity", "analysis is missing: name outcome columns in analysis.outcomes, e.g. "
                            "[uptake_by_income.B40]")
    return spec


def run(spec, out_dir: Path, run_options: dict) -> None:
    from sim.analysis import plots, sensitivity
    from sim.commands.experiment import run_stored
    from sim.experiment import build_design
    from sim.experiment.design import tornado_design
    from sim.experiment.store import default_store_dir
    from sim.store import code_version, package_versions, write_json, write_parquet

    design = build_design(spec)
    store_dir = default_store_dir(spec)
    start = time.perf_counter()
    results = run_stored(spec, design, store_dir, run_options, "sensitivity", announce=(
        f"{spec.sampler}: {design['point'].nunique()} design points x {len(spec.scenarios)} scenarios x "
        f"{spec.replicates} replicates = {len(design)} runs; store {store_dir}"))
    if len(results) < len(design):
        fail("sensitivity", f"{len(design) - len(results)} of {len(design)} runs failed (errors in {store_dir}/runs): "
                            "sensitivity indices need every run")
    indices = sensitivity.analyse_experiment(spec, results, out_dir)
    if spec.analysis.get("tornado"):
        tdesign = tornado_design(spec)
        tresults = run_stored(spec, tdesign, store_dir / "tornado", run_options, "sensitivity")
        write_parquet(out_dir / "tornado_results.parquet", tresults)
        points = sensitivity.tornado_design(sensitivity.spec_bounds(spec))
        for scenario, part in tresults.groupby("scenario", sort=False):
            tag = "" if len(spec.scenarios) == 1 else f"{scenario}_"
            for outcome in spec.analysis["outcomes"]:
                table, base = sensitivity.tornado_table(points, part, outcome)
                plots.tornado(table, outcome, base, out_dir / f"tornado_{tag}{sensitivity._slug(outcome)}")
    wall = time.perf_counter() - start
    write_json(out_dir / "manifest.json", {"command": "mcsim sensitivity", "spec": spec.to_dict(),
                                           "spec_hash": spec.spec_hash(), "store": str(store_dir),
                                           "wall_time_s": wall, "code_version": code_version(),
                                           "packages": package_versions()})
    print(sensitivity.format_indices(indices, spec.sampler))
    print(f"wall time {wall:.0f} s; runs in {store_dir}; outputs in {out_dir}")


def reanalyse(store: Path, out_dir: Path) -> None:
    """Indices from a finished experiment store (``mcsim experiment`` or ``mcsim sensitivity``)."""
    from sim.analysis import sensitivity
    from sim.experiment.spec import ExperimentError, parse_experiment
    from sim.inputs import InputError, load_yaml, read_parquet

    if not (store / "results.parquet").exists():
        fail("sensitivity", f"{store} holds no results.parquet: give a finished experiment store")
    if not (store / "spec.yaml").exists():
        fail("sensitivity", f"{store} is not an experiment store: expected spec.yaml in it")
    hint = "delete it, then run mcsim experiment again with the same file: it is rewritten, finished runs are kept"
    try:
        results = read_parquet(store / "results.parquet", "results table", hint)
        data = load_yaml(store / "spec.yaml", "store's spec.yaml", hint)
    except InputError as exc:
        fail("sensitivity", str(exc))
    data = data if isinstance(data, dict) else {}
    data.pop("spec_hash", None)
    if not data.get("analysis"):
        data["analysis"] = {"outcomes": data.get("outcomes") or []}
    try:
        spec = parse_experiment(data, store.name)
        indices = sensitivity.analyse_experiment(spec, results, out_dir)
    except ExperimentError as exc:
        fail("sensitivity", str(exc))
    except (KeyError, ValueError) as exc:
        fail("sensitivity", str(exc).strip("'\""))
    if indices is None:
        fail("sensitivity", f"{store}: sampler is not sobol or morris, so there are no sensitivity indices")
    print(sensitivity.format_indices(indices, spec.sampler))
    print(f"outputs in {out_dir}")


def main(args: list[str]) -> None:
    import logging

    from sim.experiment.executors import EXECUTORS, local_executor

    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        sys.exit(0 if args else 2)
    target, out, workers, executor = Path(args[0]), None, None, None
    rest = args[1:]
    while rest:
        flag = rest.pop(0)
        if flag in ("--out", "--workers", "--executor") and rest:
            value = rest.pop(0)
            if flag == "--out":
                out = Path(value)
            elif flag == "--executor":
                if value not in EXECUTORS:
                    fail("sensitivity", f"--executor={value} is not known: expected one of {', '.join(EXECUTORS)}")
                executor = value
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
    out_dir = out or Path("results/sensitivity") / f"{spec.name}_{time.strftime('%Y%m%d-%H%M%S')}"
    run(spec, out_dir, {"executor": executor or local_executor(workers), "workers": workers})
    sys.exit(0)
