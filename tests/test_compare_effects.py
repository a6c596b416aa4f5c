"""Paired effects, exact counterfactuals and cost-effectiveness on constructed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.effects import cost_effectiveness, counterfactual, flatten, frontier, paired_effects, ratio_ci
from sim.analysis.tables import pairs_frame


def learners(n=6, **arrays):
    base = {"weight": np.full(n, 100.0, np.float32), "income_group": np.zeros(n, np.int8),
            "rural": np.zeros(n, bool), "female": np.zeros(n, bool), "initial_labour": np.zeros(n, np.int8),
            "ever_enrolled": np.zeros(n, bool), "completions": np.zeros(n, np.int8),
            "ever_subsidised": np.zeros(n, bool), "subsidy_rm": np.zeros(n, np.float32)}
    base.update({k: np.asarray(v) for k, v in arrays.items()})
    return base


def test_deadweight_is_zero_when_the_subsidised_never_enrol_without_it():
    # persons 0-2 are the target group: nobody enrols in the baseline, all three do when subsidised
    base = learners(ever_enrolled=[0, 0, 0, 1, 1, 0])
    scen = learners(ever_enrolled=[1, 1, 1, 1, 1, 0], ever_subsidised=[1, 1, 1, 0, 0, 0],
                    completions=[1, 1, 0, 0, 0, 0])
    totals, _ = counterfactual(scen, base)
    assert totals["deadweight"] == 0.0
    assert totals["induced_enrollees"] == 300.0
    assert totals["subsidised_persons"] == 300.0


def test_deadweight_is_one_when_everyone_subsidised_enrols_anyway():
    base = learners(ever_enrolled=[1, 1, 1, 0, 0, 0])
    scen = learners(ever_enrolled=[1, 1, 1, 0, 0, 0], ever_subsidised=[1, 1, 1, 0, 0, 0])
    totals, _ = counterfactual(scen, base)
    assert totals["deadweight"] == 1.0
    assert totals["additional_enrollees"] == 0.0


def test_deadweight_is_weighted_by_persons_and_nan_without_subsidy():
    base = learners(ever_enrolled=[1, 0, 0, 0, 0, 0], weight=[300, 100, 100, 100, 100, 100])
    scen = learners(ever_enrolled=[1, 1, 0, 0, 0, 0], ever_subsidised=[1, 1, 0, 0, 0, 0],
                    weight=[300, 100, 100, 100, 100, 100])
    assert counterfactual(scen, base)[0]["deadweight"] == pytest.approx(0.75)
    assert np.isnan(counterfactual(base, base)[0]["deadweight"])


def test_displacement_and_who_the_additional_completers_are():
    base = learners(ever_enrolled=[1, 1, 0, 0, 0, 0], completions=[1, 1, 0, 0, 0, 0])
    # person 1 is crowded out; persons 2 and 3 (B40 rural women, unemployed) enrol and complete
    codes = dict(income_group=[1, 1, 0, 0, 2, 2], rural=[0, 0, 1, 1, 0, 0], female=[0, 0, 1, 1, 0, 0],
                 initial_labour=[0, 0, 2, 2, 0, 0])
    base.update({k: np.asarray(v) for k, v in codes.items()})
    scen = learners(ever_enrolled=[1, 0, 1, 1, 0, 0], completions=[2, 0, 1, 1, 0, 0], **codes)
    totals, who = counterfactual(scen, base)
    assert totals["displaced_enrollees"] == 100.0
    assert totals["displacement_share"] == 0.5
    assert totals["additional_enrollees"] == 100.0
    assert totals["additional_completers"] == 100.0      # +2 persons, -1 person
    assert totals["additional_completions"] == 200.0     # 4 courses instead of 2
    w = who.set_index(["dimension", "group"]).additional_completers
    assert w[("income", "B40")] == 200.0 and w[("income", "M40")] == -100.0 and w[("income", "T20")] == 0.0
    assert w[("location", "rural")] == 200.0 and w[("sex", "female")] == 200.0
    assert w[("labour_status", "unemployed")] == 200.0
    for dimension in ("income", "location", "sex", "labour_status"):
        assert who[who.dimension == dimension].additional_completers.sum() == totals["additional_completers"]


def test_counterfactual_refuses_runs_that_are_not_paired():
    with pytest.raises(ValueError, match="not paired"):
        counterfactual(learners(weight=np.arange(6.0)), learners())


def _runs(baseline, scenario):
    rows = [{"scenario": "baseline", "replicate": i, "seed": 1 + i, "uptake_rate": v} for i, v in enumerate(baseline)]
    rows += [{"scenario": "x", "replicate": i, "seed": 1 + i, "uptake_rate": v} for i, v in enumerate(scenario)]
    return pd.DataFrame(rows)


def test_paired_differences_have_smaller_variance_when_runs_share_their_noise():
    rng = np.random.default_rng(7)
    common = rng.normal(0.10, 0.02, 20)          # seed-to-seed noise shared by both scenarios
    effect = 0.01 + rng.normal(0, 0.001, 20)       # the policy effect, nearly constant
    e = paired_effects(_runs(common, common + effect), ["uptake_rate"])
    row = e[e.scenario == "x"].iloc[0]
    assert row.var_paired == pytest.approx(np.var(effect, ddof=1))
    assert row.var_unpaired == pytest.approx(2 * np.var(common, ddof=1), rel=0.2)
    assert row.var_paired < 0.05 * row.var_unpaired
    half = row.difference_ci_high - row.difference
    assert half == pytest.approx(2.093 * np.sqrt(row.var_paired / 20), rel=1e-3)   # t(0.975, 19)
    assert row.difference == pytest.approx(effect.mean())


def test_paired_effects_align_replicates_by_seed_not_row_order():
    runs = _runs([1.0, 2.0, 3.0], [1.5, 2.5, 3.5]).sample(frac=1, random_state=3)
    row = paired_effects(runs, ["uptake_rate"]).query("scenario == 'x'").iloc[0]
    assert row.difference == pytest.approx(0.5) and row.var_paired == pytest.approx(0.0)


def test_cost_per_additional_completer_matches_hand_computation():
    runs = pd.DataFrame([
        {"scenario": s, "seed": seed, "public_spend_rm": spend}
        for s, seed, spend in [("baseline", 1, 10.0), ("baseline", 2, 20.0), ("v", 1, 1010.0), ("v", 2, 1420.0)]])
    cf = pd.DataFrame([{"scenario": "v", "seed": 1, "replicate": 0, "additional_completers": 10.0},
                       {"scenario": "v", "seed": 2, "replicate": 1, "additional_completers": 30.0}])
    groups = pd.DataFrame([{"scenario": "v", "seed": s, "dimension": d, "group": g, "additional_completers": a}
                           for s, d, g, a in [(1, "income", "B40", 5.0), (2, "income", "B40", 15.0),
                                              (1, "location", "rural", 0.0), (2, "location", "rural", 0.0)]])
    ce = cost_effectiveness(pairs_frame(runs, cf, groups)).iloc[0]
    # incremental spend (1000 + 1400) / 2 = 1200 RM over (10 + 30) / 2 = 20 completers
    assert ce.incremental_spend_rm == pytest.approx(1200.0)
    assert ce.cost_per_additional_completer_rm == pytest.approx(60.0)
    assert ce.cost_per_additional_completer_b40_rm == pytest.approx(120.0)
    assert np.isnan(ce.cost_per_additional_completer_rural_rm)   # no rural gain: no cost to quote


def test_ratio_interval_covers_the_ratio_and_is_absent_when_the_effect_may_be_zero():
    r, lo, hi = ratio_ci([100.0, 101.0, 99.0, 100.0], [10.0, 11.0, 9.0, 10.5])
    assert r == pytest.approx(400 / 40.5) and lo < r < hi
    r, lo, hi = ratio_ci([100.0, 100.0, 100.0], [-5.0, 1.0, 7.0])
    assert r == pytest.approx(100.0) and np.isnan(lo) and np.isnan(hi)


def test_frontier_marks_dominated_and_extended_dominance():
    # a: 100 RM -> 10; b: 200 RM -> 5 (dominated by a); c: 150 RM -> 12 (ICER 25 after a's 10...)
    cost = [100.0, 200.0, 300.0, 400.0]
    effect = [10.0, 5.0, 11.0, 30.0]
    status = frontier(cost, effect)
    assert status[1] == "dominated"
    assert status[2] == "extended dominance"   # 300 -> 11 lies below the line from a to d
    assert status[0] == "frontier" and status[3] == "frontier"
    assert frontier([50.0], [-1.0]) == ["dominated"]   # costs money and loses: doing nothing dominates


def test_flatten_names_nested_outcomes_by_dots():
    assert flatten({"a": 1.0, "b": {"B40": 0.5, "x": "text"}, "c": True}) == {"a": 1.0, "b.B40": 0.5}


def test_a_token_subsidy_is_pure_deadweight_in_the_model():
    """A voucher worth almost nothing changes nobody's choice: everyone it pays would have enrolled anyway."""
    from sim.config.compose import compose
    from sim.run import run_scenario

    small = ["population.n_agents=2000", "horizon.quarters=8", "progress=false"]
    base = run_scenario(compose("run", ["scenario=baseline", *small]))
    token = run_scenario(compose("run", ["scenario=universal_voucher", "policy.subsidy.rate=0.0001",
                                         "policy.subsidy.cap_rm=0.01", *small]))
    totals, _ = counterfactual(token.learner_outcomes, base.learner_outcomes)
    assert totals["subsidised_persons"] > 0
    assert totals["deadweight"] == 1.0
    assert totals["additional_enrollees"] == 0.0
