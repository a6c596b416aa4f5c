"""Run a paired set of scenarios: replicate ``i`` of every scenario uses seed ``seed + i``
(common random numbers), so each scenario run is paired with the baseline run of that seed.

Runs execute serially or in a process pool; results are ordered by the plan, never by
completion, so both executors give identical tables. Per-learner arrays are used in the
parent to compute each pair's exact counterfactual as soon as both runs are in, then dropped.
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass, field

import pandas as pd
from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm

from sim.analysis.effects import BASELINE, counterfactual, flatten

EXECUTORS = ("serial", "process")


@dataclass(frozen=True)
class RunSpec:
    scenario: str
    replicate: int
    seed: int


@dataclass
class ComparisonRuns:
    """Everything the report needs, as tidy frames (one row per run / pair / group)."""

    runs: pd.DataFrame            # scenario, replicate, seed, n_agents, persons, quarters, wall_time_s, outcomes...
    timeseries: pd.DataFrame      # scenario, replicate, seed, quarter, period, metric, group, value
    counterfactuals: pd.DataFrame  # scenario, replicate, seed, counterfactual totals
    counterfactual_groups: pd.DataFrame  # scenario, replicate, seed, dimension, group, ...
    meta: dict = field(default_factory=dict)


def plan(scenarios: list[str], replicates: int, seed: int) -> list[RunSpec]:
    """Replicate by replicate, baseline first, so each pair completes early."""
    order = [BASELINE] + [s for s in scenarios if s != BASELINE]
    return [RunSpec(s, i, seed + i) for i in range(replicates) for s in order]


def _run_one(container: dict, seed: int):
    """Worker: one run from a plain config container (picklable, same path in both executors)."""
    import logging

    from sim.run import run_scenario

    logging.getLogger("MESA").setLevel(logging.WARNING)
    cfg = OmegaConf.create(container)
    cfg.seed = seed
    return run_scenario(cfg, progress=False)


def _iterate(specs, containers, executor: str, workers: int | None):
    """Yield (index, RunRecord) as runs finish."""
    if executor == "serial":
        for i, spec in enumerate(specs):
            yield i, _run_one(containers[spec.scenario], spec.seed)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    n = workers or os.cpu_count() or 1
    with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_run_one, containers[s.scenario], s.seed): i for i, s in enumerate(specs)}
        for future in as_completed(futures):
            yield futures[future], future.result()


def run_comparison(run_cfgs: dict[str, DictConfig], replicates: int, seed: int, executor: str = "serial",
                   workers: int | None = None, progress: bool = True) -> ComparisonRuns:
    """Run every scenario in ``run_cfgs`` (which must include the baseline) ``replicates`` times."""
    if BASELINE not in run_cfgs:
        raise ValueError("run_cfgs must include the baseline: every scenario is paired with it")
    if executor not in EXECUTORS:
        raise ValueError(f"executor={executor!r} is not allowed: expected one of {', '.join(EXECUTORS)}")
    specs = plan(list(run_cfgs), replicates, seed)
    containers = {name: OmegaConf.to_container(cfg, resolve=True) for name, cfg in run_cfgs.items()}
    runs, series, totals, groups = {}, {}, {}, {}
    baselines, waiting = {}, {}  # seed -> baseline learner outcomes; seed -> [(index, record)]

    def pair(i, record, base):
        spec = specs[i]
        t, who = counterfactual(record.learner_outcomes, base)
        ids = {"scenario": spec.scenario, "replicate": spec.replicate, "seed": spec.seed}
        totals[i] = {**ids, **t}
        groups[i] = who.assign(**ids)

    with tqdm(total=len(specs), desc="runs", unit="run", disable=not progress) as bar:
        for i, record in _iterate(specs, containers, executor, workers):
            spec = specs[i]
            ids = {"scenario": spec.scenario, "replicate": spec.replicate, "seed": spec.seed}
            runs[i] = {**ids, "n_agents": record.n_agents, "persons": record.persons, "quarters": record.quarters,
                       "wall_time_s": record.wall_time_s, **flatten(record.outcomes)}
            series[i] = record.timeseries.assign(**ids)
            if spec.scenario == BASELINE:
                baselines[spec.seed] = record.learner_outcomes
                for j, other in waiting.pop(spec.seed, []):
                    pair(j, other, record.learner_outcomes)
            elif spec.seed in baselines:
                pair(i, record, baselines[spec.seed])
            else:
                waiting.setdefault(spec.seed, []).append((i, record))
            if all(specs[k].seed != spec.seed or k in runs for k in range(len(specs))):
                baselines.pop(spec.seed, None)  # every run of this seed is in: free its arrays
            bar.update(1)
    order = sorted(runs)
    id_cols = ["scenario", "replicate", "seed"]
    series_frame = pd.concat([series[i] for i in order], ignore_index=True)
    series_frame = series_frame[id_cols + [c for c in series_frame.columns if c not in id_cols]]
    group_frame = pd.concat([groups[i] for i in sorted(groups)], ignore_index=True)
    group_frame = group_frame[id_cols + [c for c in group_frame.columns if c not in id_cols]]
    return ComparisonRuns(
        runs=pd.DataFrame([runs[i] for i in order]),
        timeseries=series_frame,
        counterfactuals=pd.DataFrame([totals[i] for i in sorted(totals)]),
        counterfactual_groups=group_frame,
        meta={"scenarios": list(run_cfgs), "replicates": replicates, "seeds": [seed + i for i in range(replicates)],
              "executor": executor},
    )
