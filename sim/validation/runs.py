"""The model runs validation needs: named run sets, each a list of overrides, simulated for
every seed (common random numbers: run sets with the same seed share the population and the
draws, so their differences are paired)."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

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


def _run_one(args) -> ValidationRun:
    name, overrides, seed, n_agents, quarters = args
    from sim.config.compose import compose, with_values
    from sim.run import run_scenario

    cfg = with_values(compose("run", overrides), {"seed": seed, "population.n_agents": n_agents,
                                                  "horizon.quarters": quarters, "progress": False})
    record = run_scenario(cfg, progress=False)
    series = {}
    for (metric, group), frame in record.timeseries.groupby(["metric", "group"], sort=True):
        series[(metric, group)] = frame.sort_values("quarter")["value"].to_numpy()
    keep = ("weight", "income_group", "rural", "education", "ever_enrolled", "first_enrolled_quarter")
    present = record.learner_outcomes["present"]     # the final population, as in summary.json
    learners = {k: record.learner_outcomes[k][present] for k in keep}
    return ValidationRun(name, seed, record.outcomes, series, learners)


def run_all(seeds, n_agents: int, quarters: int, workers: int | None = None, progress: bool = True,
            run_sets: dict[str, list[str]] | None = None) -> dict[str, list[ValidationRun]]:
    """Simulate every run set for every seed; results ordered by seed, whatever the executor."""
    run_sets = RUN_SETS if run_sets is None else run_sets
    jobs = [(name, overrides, seed, n_agents, quarters) for seed in seeds for name, overrides in run_sets.items()]
    workers = workers or min(len(jobs), os.cpu_count() or 1)
    results: dict[str, list[ValidationRun]] = {name: [] for name in run_sets}
    with tqdm(total=len(jobs), desc="validation runs", unit="run", disable=not progress) as bar:
        if workers <= 1:
            outputs = []
            for job in jobs:
                outputs.append(_run_one(job))
                bar.update(1)
        else:
            import multiprocessing as mp

            with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
                outputs = []
                for out in pool.map(_run_one, jobs):
                    outputs.append(out)
                    bar.update(1)
    for out in outputs:
        results[out.name].append(out)
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
