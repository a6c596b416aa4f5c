"""Speed of the workloads analysts run, for ``mcsim bench`` (beside ``sim.benchmark``'s single
runs): a run in a warm worker, and runs per minute of a comparison on the process executor,
set beside a figure recorded on the code before the speed work.

The many-run workload is ``run_comparison`` of composed ``run.yaml`` configurations (each
scenario at ``agents`` agents and ``quarters`` quarters) with ``draws`` seeds per scenario on
the process executor, timed from the pool's start to the last table: worker start-up, every
run, shipping the records back and the paired counterfactuals. ``docs/figures/many_runs_baseline.py``
runs the same steps on an older commit and writes the recorded figure.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from sim.experiment.spec import ROOT


def warm_worker(run_cfg, n_agents: int) -> dict:
    """The same run twice in one fresh worker process; the second is what every later task of a
    comparison or an optimisation costs (imports, population data, compiled kernels, the typed
    base and the population already there)."""
    from omegaconf import OmegaConf

    from sim.experiment.executors import ProcessExecutor
    from sim.experiment.worker import checked, run_task

    cfg = OmegaConf.merge(run_cfg, {"population": {"n_agents": n_agents}, "progress": False})
    task = (0, OmegaConf.to_container(cfg, resolve=True), {}, int(cfg.seed), None)
    with ProcessExecutor(workers=1) as ex:
        first = checked(next(ex.imap_unordered(run_task, [task])))[2]["wall_time_s"]
        load = os.getloadavg()[0]
        second = checked(next(ex.imap_unordered(run_task, [task])))[2]["wall_time_s"]
    q = cfg.horizon.quarters
    return dict(n_agents=n_agents, quarters=q, first_run_s=first, warm_run_s=second,
                learner_steps_per_s=n_agents * q / second, load_average_before=load,
                load_average=os.getloadavg()[0])


def workload(scenarios, draws: int, n_agents: int, quarters: int, seed: int, workers: int | None) -> dict:
    """The many-run workload's definition, as recorded beside its figure."""
    return dict(scenarios=sorted(scenarios), draws=int(draws), agents=int(n_agents), quarters=int(quarters),
                seed=int(seed), executor="process", workers=int(workers or os.cpu_count() or 1))


def many_runs(work: dict) -> dict:
    """Runs per minute of ``work`` (see :func:`workload`)."""
    from sim.config.compose import compose
    from sim.experiment.compare import run_comparison

    run_cfgs = {name: compose("run", [f"scenario={name}", f"population.n_agents={work['agents']}",
                                      f"horizon.quarters={work['quarters']}", "progress=false"])
                for name in work["scenarios"]}
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    runs = run_comparison(run_cfgs, replicates=work["draws"], seed=work["seed"], executor="process",
                          workers=work["workers"], progress=False).runs
    wall = time.perf_counter() - t0
    return dict(workload=work, runs=len(runs), wall_s=wall, runs_per_minute=60.0 * len(runs) / wall,
                load_average_before=load, load_average=os.getloadavg()[0])


def recorded_baseline(path: str | Path) -> dict:
    """The recorded many-run figure (a JSON file; relative paths from the repository root)."""
    path = Path(path)
    return json.loads((path if path.is_absolute() else ROOT / path).read_text())


def against_baseline(measured: dict, baseline: dict) -> dict:
    """``measured`` with the recorded figure and the ratio of runs per minute beside it; the
    ratio only when both measured the same workload."""
    same = baseline.get("workload") == measured["workload"]
    return dict(measured, baseline=baseline, same_workload=same,
                ratio_vs_baseline=measured["runs_per_minute"] / baseline["runs_per_minute"] if same else None)
