"""Run a paired set of scenarios: replicate ``i`` of every scenario uses seed ``seed + i``
(common random numbers), so each scenario run is paired with the baseline run of that seed.

Runs are tasks on any executor of ``sim.experiment.executors``; results are ordered by the
plan, never by completion, so every executor gives identical tables. Per-learner arrays are used in the
parent to compute each pair's exact counterfactual as soon as both runs are in, then dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm

from sim.analysis.effects import BASELINE, counterfactual, flatten
from sim.experiment.executors import EXECUTORS, make_executor
from sim.experiment.worker import checked, run_task, whole_record


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

    tasks = [(i, containers[spec.scenario], {}, spec.seed, whole_record) for i, spec in enumerate(specs)]
    with make_executor(executor, workers) as ex, \
            tqdm(total=len(specs), desc="runs", unit="run", disable=not progress) as bar:
        for i, record, _ in map(checked, ex.imap_unordered(run_task, tasks)):
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
