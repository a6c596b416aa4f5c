"""Run a paired set of scenarios: replicate ``i`` of every scenario uses seed ``seed + i``
(common random numbers), so each scenario run is paired with the baseline run of that seed.

With parameter draws (``draws`` rows of ``sim.experiment.uncertainty.parameter_draws``), every
draw runs under every scenario with ``replicates`` seeds of its own: cell ``(d, r)`` is
replicate ``d * replicates + r`` with seed ``seed + d * replicates + r`` and the draw's
parameter values, the same in every scenario, so differences stay paired within a cell and
each cell is one joint sample of parameter and seed uncertainty.

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
    draw: int = 0        # row of the parameter draws (0 and no values without draws)


@dataclass
class ComparisonRuns:
    """Everything the report needs, as tidy frames (one row per run / pair / group)."""

    runs: pd.DataFrame            # scenario, replicate, seed, n_agents, persons, quarters, wall_time_s, outcomes...
    timeseries: pd.DataFrame      # scenario, replicate, seed, quarter, period, metric, group, value
    counterfactuals: pd.DataFrame  # scenario, replicate, seed, counterfactual totals
    counterfactual_groups: pd.DataFrame  # scenario, replicate, seed, dimension, group, ...
    meta: dict = field(default_factory=dict)
    parameters: pd.DataFrame | None = None  # one row per draw (column draw), dotted keys; None without draws


def plan(scenarios: list[str], replicates: int, seed: int, draws: int = 0) -> list[RunSpec]:
    """Replicate by replicate (draw by draw), baseline first, so each pair completes early."""
    order = [BASELINE] + [s for s in scenarios if s != BASELINE]
    return [RunSpec(s, d * replicates + r, seed + d * replicates + r, d)
            for d in range(max(draws, 1)) for r in range(replicates) for s in order]


def run_comparison(run_cfgs: dict[str, DictConfig], replicates: int, seed: int, executor: str = "serial",
                   workers: int | None = None, progress: bool = True,
                   parameters: pd.DataFrame | None = None) -> ComparisonRuns:
    """Run every scenario in ``run_cfgs`` (which must include the baseline) ``replicates`` times,
    under each row of ``parameters`` (parameter draws, index ``draw``) when given."""
    if BASELINE not in run_cfgs:
        raise ValueError("run_cfgs must include the baseline: every scenario is paired with it")
    if executor not in EXECUTORS:
        raise ValueError(f"executor={executor!r} is not allowed: expected one of {', '.join(EXECUTORS)}")
    n_draws = 0 if parameters is None else len(parameters)
    specs = plan(list(run_cfgs), replicates, seed, n_draws)
    values = [{}] if parameters is None else [
        {str(k): float(v) for k, v in row.items()} for _, row in parameters.iterrows()]
    containers = {name: OmegaConf.to_container(cfg, resolve=True) for name, cfg in run_cfgs.items()}
    runs, series, totals, groups = {}, {}, {}, {}
    baselines, waiting = {}, {}  # seed -> baseline learner outcomes; seed -> [(index, record)]

    def pair(i, record, base):
        spec = specs[i]
        t, who = counterfactual(record.learner_outcomes, base)
        ids = {"scenario": spec.scenario, "replicate": spec.replicate, "seed": spec.seed}
        totals[i] = {**ids, **t}
        groups[i] = who.assign(**ids)

    tasks = [(i, containers[spec.scenario], values[spec.draw], spec.seed, whole_record) for i, spec in enumerate(specs)]
    with make_executor(executor, workers) as ex, \
            tqdm(total=len(specs), desc="runs", unit="run", disable=not progress) as bar:
        for i, record, _ in map(checked, ex.imap_unordered(run_task, tasks)):
            spec = specs[i]
            ids = {"scenario": spec.scenario, "replicate": spec.replicate, "seed": spec.seed}
            runs[i] = {**ids, "draw": spec.draw, "n_agents": record.n_agents, "persons": record.persons, "quarters": record.quarters,
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
        meta={"scenarios": list(run_cfgs), "replicates": max(n_draws, 1) * replicates, "draws": n_draws,
              "seeds_per_draw": replicates,
              "seeds": sorted({spec.seed for spec in specs}), "executor": executor},
        parameters=None if parameters is None else parameters.reset_index(),
    )
