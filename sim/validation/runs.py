"""The model runs validation needs: named run sets, each a list of overrides, simulated for
every seed (common random numbers: run sets with the same seed share the population and the
draws, so their differences are paired)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

# name -> overrides. Fake quality: credentials certify nothing (value added 0) and MQA's review
# lets them through (standard 0), so employers meet accredited credentials worth nothing. Low
# readiness: providers start at 40% of their profile's readiness.
FAKE_QUALITY = ["market.value_added_scale=0", "market.accreditation_standard=0"]
RUN_SETS: dict[str, list[str]] = {
    "baseline": ["scenario=baseline"],
    "b40_voucher": ["scenario=b40_voucher"],
    "universal_credit": ["scenario=universal_credit_calibration"],
    "voucher_experiment": ["scenario=voucher_experiment_calibration"],
    "awareness_campaign": ["scenario=awareness_campaign"],
    "recognition_push": ["scenario=recognition_push"],
    "baseline_fake_quality": ["scenario=baseline", *FAKE_QUALITY],
    "recognition_push_fake_quality": ["scenario=recognition_push", *FAKE_QUALITY],
    "baseline_low_readiness": ["scenario=baseline", "market.readiness_scale=0.4"],
    "b40_voucher_low_readiness": ["scenario=b40_voucher", "market.readiness_scale=0.4"],
}


@dataclass
class ValidationRun:
    """What the patterns read from one run: outcomes, the time series as {(metric, group):
    values per quarter}, and the per-learner arrays for paired group effects."""

    name: str
    seed: int
    outcomes: dict
    series: dict
    learners: dict


def run_extract(record) -> tuple[dict, dict, dict]:
    """What a worker sends back of one run (``extract`` of its task): outcomes, the time
    series by (metric, group) and the per-learner arrays of the final population."""
    series = {}
    for (metric, group), frame in record.timeseries.groupby(["metric", "group"], sort=True):
        series[(metric, group)] = frame.sort_values("quarter")["value"].to_numpy()
    keep = ("weight", "income_group", "rural", "education", "ever_enrolled", "first_enrolled_quarter")
    present = record.learner_outcomes["present"]     # the final population, as in summary.json
    learners = {k: record.learner_outcomes[k][present] for k in keep}
    return record.outcomes, series, learners


def run_all(seeds, n_agents: int, quarters: int, workers: int | None = None, progress: bool = True,
            run_sets: dict[str, list[str]] | None = None) -> dict[str, list[ValidationRun]]:
    """Simulate every run set for every seed (``n_agents`` agents, ``quarters`` quarters) on
    ``workers`` processes; results ordered by seed, whatever the executor."""
    from omegaconf import OmegaConf

    from sim.config.compose import compose
    from sim.experiment.executors import local_executor, run_tasks

    run_sets = RUN_SETS if run_sets is None else run_sets
    bases = {name: OmegaConf.to_container(compose("run", overrides)) for name, overrides in run_sets.items()}
    values = {"population.n_agents": n_agents, "horizon.quarters": quarters, "progress": False}
    jobs = [(name, seed) for seed in seeds for name in run_sets]
    tasks = [(i, bases[name], values, seed, run_extract) for i, (name, seed) in enumerate(jobs)]
    workers = workers or min(len(jobs), os.cpu_count() or 1)
    outputs = run_tasks(tasks, local_executor(workers), workers, progress=progress, desc="validation runs")
    results: dict[str, list[ValidationRun]] = {name: [] for name in run_sets}
    for (name, seed), (_, (outcomes, series, learners), _) in zip(jobs, outputs):
        results[name].append(ValidationRun(name, seed, outcomes, series, learners))
    for runs in results.values():
        runs.sort(key=lambda r: r.seed)
    return results


def group_rate(run: ValidationRun, mask_fn, by_quarter: int | None = None) -> float:
    """Weighted ever-enrolled share among the learners selected by ``mask_fn(learners)``: by
    the end of the run, or by the end of quarter ``by_quarter``."""
    L = run.learners
    mask = mask_fn(L)
    w = L["weight"][mask].astype(np.float64)
    if by_quarter is None:
        enrolled = L["ever_enrolled"][mask]
    else:
        first = L["first_enrolled_quarter"][mask]
        enrolled = (first >= 0) & (first <= by_quarter)
    return float(np.sum(w * enrolled) / w.sum()) if w.sum() > 0 else float("nan")
