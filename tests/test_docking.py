"""Docking (model alignment, Axtell et al. 1996): the fast implementation and the idiomatic
Mesa reference (``sim.reference``, one agent object per learner) compute the same model.

Design, chosen to fit this file's CI share (about 4 minutes on the 2-core machine):
* 2,000 agents, 8 quarters (2025Q1-2026Q4), baseline and two contrasting scenarios
  (b40_voucher: price; rural_connectivity: access).
* 30 seeds per implementation, and *different* seeds for the two (fast 1-30, reference
  1001-1030), so each comparison is between two independent samples of run outcomes.
* Six key outcomes per scenario, each compared with a two-sample Kolmogorov-Smirnov test
  and a Mann-Whitney U test; the 36 p-values (3 scenarios x 6 outcomes x 2 tests) are
  Holm-corrected at family-wise level 0.05. Indistinguishable = no rejection.
* Scenario effects (scenario minus baseline, mean over seeds) must have the same sign in
  both implementations wherever the fast one finds them clearly non-zero (|t| > 3), and
  the scenarios must rank the same on the outcome each targets.
* A run-for-run check: with the same seed and population both draw the same keyed random
  numbers, so their outcomes agree to floating-point rounding (float32 state in the fast
  model vs Python floats here).
The docking tests share one set of runs, computed once per session (see ``runs``).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from filelock import FileLock
from scipy import stats

from sim.config.compose import compose
from sim.reference import run_reference
from sim.run import run_scenario

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("docking")]

N_AGENTS, QUARTERS, N_SEEDS = 2000, 8, 30
FAST_SEEDS = range(1, 1 + N_SEEDS)
REFERENCE_SEEDS = range(1001, 1001 + N_SEEDS)
SCENARIOS = ("baseline", "b40_voucher", "rural_connectivity")
ALPHA = 0.05
OUTCOMES = {
    "uptake": lambda o: o["uptake_rate"],
    "completion_rate": lambda o: o["completion_rate"],
    "b40_uptake": lambda o: o["uptake_by_income"]["B40"],
    "rural_uptake": lambda o: o["uptake_by_location"]["rural"],
    "employer_trust": lambda o: o["employer_trust_mean"],
    "public_spend_rm": lambda o: o["public_spend_rm"],
}


def _cfg(scenario: str, seed: int, n_agents: int = N_AGENTS, quarters: int = QUARTERS):
    return compose("run", [f"scenario={scenario}", f"seed={seed}", f"population.n_agents={n_agents}",
                           f"horizon.quarters={quarters}", "progress=false"])


def _outcomes(record) -> dict[str, float]:
    return {name: float(get(record.outcomes)) for name, get in OUTCOMES.items()}


@pytest.fixture(scope="session")
def runs(tmp_path_factory, worker_id) -> dict:
    """{(implementation, scenario): {outcome: array over seeds}}, computed once per test
    session even under pytest-xdist: the first worker to need it computes it under a file
    lock and stores it; the others read the stored copy."""
    if worker_id == "master":
        return _runs()
    shared = tmp_path_factory.getbasetemp().parent / "docking_runs.json"
    with FileLock(str(shared) + ".lock"):
        if shared.is_file():
            stored = json.loads(shared.read_text())
            return {tuple(key.split("/")): {k: np.array(v) for k, v in value.items()} for key, value in stored.items()}
        out = _runs()
        shared.write_text(json.dumps({"/".join(key): {k: v.tolist() for k, v in value.items()}
                                      for key, value in out.items()}))
        return out


def _runs() -> dict:
    out = {}
    for scenario in SCENARIOS:
        for impl, seeds, run in (("fast", FAST_SEEDS, lambda c: run_scenario(c, keep_learners=False)),
                                 ("reference", REFERENCE_SEEDS, run_reference)):
            rows = [_outcomes(run(_cfg(scenario, seed))) for seed in seeds]
            out[impl, scenario] = {name: np.array([r[name] for r in rows]) for name in OUTCOMES}
    return out


def holm_reject(pvalues: dict, alpha: float) -> list:
    """Keys whose hypotheses Holm's step-down procedure rejects at family-wise level alpha."""
    order = sorted(pvalues, key=pvalues.get)
    rejected = []
    for i, key in enumerate(order):
        if pvalues[key] > alpha / (len(order) - i):
            break
        rejected.append(key)
    return rejected


def test_holm_procedure():
    assert holm_reject({"a": 0.001, "b": 0.03, "c": 0.04}, 0.05) == ["a"]   # 0.03 > 0.05 / 2: stop
    assert holm_reject({"a": 0.001, "b": 0.02, "c": 0.04}, 0.05) == ["a", "b", "c"]
    assert holm_reject({"a": 0.5}, 0.05) == []


def test_outcome_distributions_are_indistinguishable(runs):
    pvalues = {}
    for scenario in SCENARIOS:
        for name in OUTCOMES:
            a, b = runs["fast", scenario][name], runs["reference", scenario][name]
            assert np.isfinite(a).all() and np.isfinite(b).all(), (scenario, name)
            if np.ptp(np.r_[a, b]) == 0:          # e.g. no public spend in the baseline
                continue
            pvalues[scenario, name, "ks"] = stats.ks_2samp(a, b).pvalue
            pvalues[scenario, name, "mann-whitney"] = stats.mannwhitneyu(a, b).pvalue
    assert len(pvalues) >= 30
    rejected = holm_reject(pvalues, ALPHA)
    assert not rejected, {key: pvalues[key] for key in rejected}


def test_the_comparison_has_power(runs):
    """The same tests tell apart a model that is slightly wrong: the fast baseline with the
    enrolment constant raised by 0.5 utility units (about 1.6 times the enrolment odds) is
    rejected on uptake, with the same Holm threshold as the docking family."""
    def wrong_model(seed):
        cfg = _cfg("baseline", seed)
        cfg.behaviour.asc_enrol = cfg.behaviour.asc_enrol + 0.5
        return cfg

    wrong = np.array([run_scenario(wrong_model(seed), keep_learners=False).outcomes["uptake_rate"]
                      for seed in FAST_SEEDS])
    right = runs["reference", "baseline"]["uptake"]
    assert stats.ks_2samp(right, wrong).pvalue < ALPHA / 36
    assert stats.mannwhitneyu(right, wrong).pvalue < ALPHA / 36


def test_scenario_effects_agree_in_sign_and_ranking(runs):
    for scenario in SCENARIOS[1:]:
        for name in OUTCOMES:
            fast = runs["fast", scenario][name] - runs["fast", "baseline"][name]   # paired by seed
            ref = runs["reference", scenario][name] - runs["reference", "baseline"][name]
            se = fast.std(ddof=1) / math.sqrt(N_SEEDS)
            if se > 0 and abs(fast.mean()) > 3 * se:
                assert np.sign(ref.mean()) == np.sign(fast.mean()), (scenario, name, fast.mean(), ref.mean())
    # Each scenario moves its own target group most: ranking of the two effects per target.
    for impl in ("fast", "reference"):
        effect = {s: {n: (runs[impl, s][n] - runs[impl, "baseline"][n]).mean() for n in OUTCOMES}
                  for s in SCENARIOS[1:]}
        assert effect["b40_voucher"]["b40_uptake"] > effect["rural_connectivity"]["b40_uptake"], impl


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_same_seed_same_numbers(scenario):
    """Same seed and population: the two implementations draw the same keyed numbers, so
    they agree run-for-run up to floating-point rounding of float32 vs Python floats."""
    cfg = _cfg(scenario, 7, n_agents=1000, quarters=8)
    fast, ref = _outcomes(run_scenario(cfg, keep_learners=False)), _outcomes(run_reference(cfg))
    for name in OUTCOMES:
        assert math.isclose(fast[name], ref[name], rel_tol=1e-6, abs_tol=1e-9), (name, fast[name], ref[name])
