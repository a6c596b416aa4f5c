"""Equity and cost as the field reports them: deadweight over completions, discounted
counterfactual completers and spend, the discounted cost-effectiveness and its sensitivity
table, the completion concentration indices of a run, and the report's generated sentences.
Hand-computed cases; the model run is small and only checked for identities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import metrics
from sim.analysis.effects import (
    DISCOUNT_RATE, DISCOUNT_RATES, cost_effectiveness, counterfactual, discounted_incremental, discounted_name,
)
from sim.analysis.tables import discounted_cost_effectiveness, discounting_sensitivity, pairs_frame


def learners(n=4, **arrays):
    base = {"weight": np.full(n, 100.0, np.float32), "income_group": np.zeros(n, np.int8),
            "rural": np.zeros(n, bool), "female": np.zeros(n, bool), "initial_labour": np.zeros(n, np.int8),
            "ever_enrolled": np.zeros(n, bool), "completions": np.zeros(n, np.int16),
            "first_completed_quarter": np.full(n, -1, np.int16),
            "ever_subsidised": np.zeros(n, bool), "subsidy_rm": np.zeros(n, np.float32)}
    base.update({k: np.asarray(v) for k, v in arrays.items()})
    return base


def d(q, r):
    return (1 + r) ** (-q / 4)


# --------------------------------------------------------------------------- deadweight over completions


def test_deadweight_over_completions_counts_what_the_same_persons_complete_without_the_subsidy():
    # persons 0-2 subsidised (weights 100, 100, 200); completions scenario / baseline:
    # 0: 2 / 1 (one of two anyway), 1: 1 / 3 (capped: at most the 1 it completed), 2: 1 / 0.
    # subsidised completions 100*2 + 100*1 + 200*1 = 500; anyway 100*1 + 100*1 + 0 = 200 -> 0.4.
    # Person 3 (not subsidised) completes 5 anyway and is left out.
    w = [100, 100, 200, 100]
    base = learners(weight=w, ever_enrolled=[1, 1, 0, 1], completions=[1, 3, 0, 5])
    scen = learners(weight=w, ever_enrolled=[1, 1, 1, 1], completions=[2, 1, 1, 5], ever_subsidised=[1, 1, 1, 0])
    totals, _ = counterfactual(scen, base)
    assert totals["subsidised_completions"] == 500.0
    assert totals["deadweight_completions"] == pytest.approx(0.4)
    assert totals["deadweight"] == pytest.approx(0.5)   # persons: 200 of 400 subsidised enrolled anyway


def test_deadweight_over_completions_is_nan_when_the_subsidised_complete_nothing():
    base = learners()
    scen = learners(ever_enrolled=[1, 0, 0, 0], ever_subsidised=[1, 0, 0, 0])
    totals, _ = counterfactual(scen, base)
    assert totals["deadweight"] == 0.0 and np.isnan(totals["deadweight_completions"])


# --------------------------------------------------------------------------- discounted completers


def test_discounted_additional_completers_person_by_person():
    # person 0 (B40): completes first in quarter 8 under the scenario, never in the baseline;
    # person 1 (M40, rural): completes in both, in quarter 4 instead of 12 (brought forward);
    # person 2 (T20): completes in quarter 0 in the baseline only (lost); person 3: never.
    base = learners(income_group=[0, 1, 2, 0], rural=[0, 1, 0, 0], completions=[0, 1, 1, 0],
                    first_completed_quarter=[-1, 12, 0, -1])
    scen = learners(income_group=[0, 1, 2, 0], rural=[0, 1, 0, 0], completions=[1, 2, 0, 0],
                    first_completed_quarter=[8, 4, -1, -1])
    totals, _ = counterfactual(scen, base, rates=(0.0, 0.03, 0.06))
    for r in (0.0, 0.03, 0.06):
        b40 = 100 * d(8, r)
        rural = 100 * (d(4, r) - d(12, r))
        assert totals[discounted_name("additional_completers_b40", r)] == pytest.approx(b40)
        assert totals[discounted_name("additional_completers_rural", r)] == pytest.approx(rural)
        assert totals[discounted_name("additional_completers", r)] == pytest.approx(b40 + rural - 100)
    # undiscounted, the completer count: +1 -1 persons (bringing one forward adds nothing)
    assert totals[discounted_name("additional_completers", 0.0)] == totals["additional_completers"] == 0.0
    assert totals[discounted_name("additional_completers_rural", 0.03)] > 0


def test_records_without_the_quarter_of_first_completion_give_nan_discounted_completers():
    base, scen = learners(), learners(completions=[1, 0, 0, 0])
    for records in (base, scen):
        del records["first_completed_quarter"]
    totals, _ = counterfactual(scen, base)
    assert totals["additional_completers"] == 100.0
    assert all(np.isnan(totals[discounted_name(f"additional_completers{g}", r)])
               for r in DISCOUNT_RATES for g in ("", "_b40", "_rural"))


# --------------------------------------------------------------------------- discounted spend and cost-effectiveness


def _comparison():
    """Two seeds; scenario "v" spends on subsidy in quarters 0 and 4 and on connectivity (10% of
    it attributable to learning) in quarter 8; the baseline spends a little in quarter 0."""
    spend = {("baseline", 1): {"subsidy": [10, 0, 0, 0, 0, 0, 0, 0, 0], "connectivity": [0] * 9},
             ("baseline", 2): {"subsidy": [20, 0, 0, 0, 0, 0, 0, 0, 0], "connectivity": [0] * 9},
             ("v", 1): {"subsidy": [500, 0, 0, 0, 500, 0, 0, 0, 0], "connectivity": [0] * 8 + [1000]},
             ("v", 2): {"subsidy": [600, 0, 0, 0, 600, 0, 0, 0, 0], "connectivity": [0] * 8 + [2000]}}
    completions = {("baseline", 1): [0, 0, 0, 0, 10, 0, 0, 0, 0], ("baseline", 2): [0, 0, 0, 0, 10, 0, 0, 0, 0],
                   ("v", 1): [0, 0, 0, 0, 10, 0, 0, 0, 20], ("v", 2): [0, 0, 0, 0, 10, 0, 0, 0, 40]}
    rows, runs = [], []
    for (s, seed), levers in spend.items():
        for lever, values in levers.items():
            rows += [{"scenario": s, "seed": seed, "quarter": q, "metric": "public_spend_rm", "group": lever,
                      "value": float(v)} for q, v in enumerate(values)]
        rows += [{"scenario": s, "seed": seed, "quarter": q, "metric": "completions_persons", "group": "all",
                  "value": float(v)} for q, v in enumerate(completions[(s, seed)])]
        total = {lever: float(sum(v)) for lever, v in levers.items()}
        runs.append({"scenario": s, "seed": seed, "public_spend_rm": sum(total.values()),
                     "public_spend_attributable_rm": total["subsidy"] + 0.1 * total["connectivity"],
                     **{f"public_spend_by_lever_rm.{k}": v for k, v in total.items()},
                     "public_spend_by_lever_attributable_rm.subsidy": total["subsidy"],
                     "public_spend_by_lever_attributable_rm.connectivity": 0.1 * total["connectivity"]})
    series = pd.DataFrame(rows)
    # seed 1: 20 additional completers, 10 of them B40 (all completing first in quarter 8);
    # seed 2: 40 and 20
    cf = pd.DataFrame([{"scenario": "v", "seed": seed, "replicate": seed - 1, "additional_completers": a,
                        "additional_completions": a,
                        **{discounted_name("additional_completers", r): a * d(8, r) for r in DISCOUNT_RATES},
                        **{discounted_name("additional_completers_b40", r): a / 2 * d(8, r) for r in DISCOUNT_RATES},
                        **{discounted_name("additional_completers_rural", r): 0.0 for r in DISCOUNT_RATES}}
                       for seed, a in ((1, 20.0), (2, 40.0))])
    groups = pd.DataFrame([{"scenario": "v", "seed": seed, "dimension": dim, "group": g, "additional_completers": x}
                           for seed, a in ((1, 20.0), (2, 40.0))
                           for dim, g, x in (("income", "B40", a / 2), ("location", "rural", 0.0))])
    return pd.DataFrame(runs), series, cf, groups


def test_discounted_incremental_spend_and_completions_by_hand():
    runs, series, cf, groups = _comparison()
    pairs = pairs_frame(runs, cf, groups, series).set_index("seed")
    for r in DISCOUNT_RATES:
        # seed 1: subsidy 500 (q0) + 500 (q4) - baseline 10 (q0); connectivity 1000 in q8
        assert pairs.loc[1, discounted_name("incremental_spend_rm", r)] == pytest.approx(
            490 + 500 * d(4, r) + 1000 * d(8, r))
        assert pairs.loc[2, discounted_name("incremental_spend_attributable_rm", r)] == pytest.approx(
            580 + 600 * d(4, r) + 0.1 * 2000 * d(8, r))
        assert pairs.loc[2, discounted_name("additional_completions", r)] == pytest.approx(40 * d(8, r))
    # at 0% every discounted flow is the undiscounted one
    flat = discounted_incremental(pairs.reset_index(), 0.0)
    plain = pairs.reset_index()
    for column in ("incremental_spend_rm", "incremental_spend_attributable_rm", "additional_completions",
                   "additional_completers", "additional_completers_b40"):
        np.testing.assert_allclose(flat[column], plain[column])


def test_discounted_cost_effectiveness_and_sensitivity_by_hand():
    runs, series, cf, groups = _comparison()
    pairs = pairs_frame(runs, cf, groups, series)
    for r in DISCOUNT_RATES:
        spend = ((490 + 500 * d(4, r) + 1000 * d(8, r)) + (580 + 600 * d(4, r) + 2000 * d(8, r))) / 2
        completers = 30 * d(8, r)
        row = discounted_cost_effectiveness(pairs, r).iloc[0]
        assert row.annual_discount_rate == r
        assert row.cost_per_additional_completer_rm == pytest.approx(spend / completers)
        assert row.cost_per_additional_completer_b40_rm == pytest.approx(spend / (completers / 2))
        assert row.frontier == "frontier"
    assert (discounted_cost_effectiveness(pairs, 0.0).cost_per_additional_completer_rm.iloc[0]
            == pytest.approx(cost_effectiveness(pairs).cost_per_additional_completer_rm.iloc[0]))
    sens = discounting_sensitivity(pairs)
    assert list(sens.annual_discount_rate) == list(DISCOUNT_RATES)
    # the effects come late (quarter 8), the spend early: discounting raises the cost per completer
    assert sens.cost_per_additional_completer_rm.is_monotonic_increasing
    assert DISCOUNT_RATE in DISCOUNT_RATES


def test_a_rate_the_pairs_were_not_discounted_at_fails_with_one_clear_message():
    runs, series, cf, groups = _comparison()
    pairs = pairs_frame(runs, cf, groups, series)
    with pytest.raises(ValueError, match=r"no totals discounted at 5pct a year .*rates available: 0pct, 3pct, 6pct"):
        discounted_incremental(pairs, 0.05)
    assert discounted_cost_effectiveness(pairs_frame(runs, cf, groups), DISCOUNT_RATE).empty   # no series


# --------------------------------------------------------------------------- a run's outcomes


@pytest.fixture(scope="module")
def small_run():
    from sim.config.compose import compose
    from sim.model import MicroCredentialModel
    from sim.model.outcomes import person_records, summarise

    model = MicroCredentialModel(compose("run", ["population.n_agents=2000", "horizon.quarters=8", "progress=false"]))
    model.run()
    return model, summarise(model), person_records(model)


def test_completion_inequality_of_a_run_is_that_of_its_learners(small_run):
    model, out, _ = small_run
    L = model.learners
    w = L.weight.astype(np.float64)
    completed = (L.completions > 0).astype(np.float64)
    rank = L.income_rank.astype(np.float64)
    assert out["concentration_index_completion"] == metrics.concentration_index(completed, w, rank)
    assert out["concentration_index_wagstaff_completion"] == metrics.concentration_index_wagstaff(completed, w, rank)
    assert out["concentration_index_erreygers_completion"] == metrics.concentration_index_erreygers(
        completed, w, rank)
    holders = out["credential_holders_by_income"]     # credentials = completions: the same persons
    assert out["completion_gap_t20_b40"] == pytest.approx(holders["T20"] - holders["B40"], abs=1e-15)
    assert out["rate_ratio_b40_t20_completion"] == pytest.approx(holders["B40"] / holders["T20"])
    up = out["uptake_by_income"]
    assert out["uptake_gap_t20_b40"] == up["T20"] - up["B40"]
    assert 0 < out["concentration_index_completion"] < 1      # completion favours the better-off


def test_first_completion_quarter_is_kept_for_everyone_who_completed(small_run):
    model, _, records = small_run
    first, n = records["first_completed_quarter"], records["completions"]
    assert ((first >= 0) == (n > 0)).all()
    done = n > 0
    assert (first[done] >= records["first_enrolled_quarter"][done]).all()
    assert (first[done] < model.cfg.horizon.quarters).all()
    # first completions in a quarter are at most that quarter's completions (persons)
    ts = pd.DataFrame([{"q": q, "v": rec["completions_persons"]["all"]} for q, rec in enumerate(model.history)])
    firsts = np.bincount(first[done], weights=records["weight"][done].astype(np.float64),
                         minlength=len(ts))
    assert (firsts <= ts.v.to_numpy() + 1e-6).all()


# --------------------------------------------------------------------------- the report's sentences


def _effects(rows):
    """effects rows (scenario, outcome, mean, difference, lo, hi)."""
    return pd.DataFrame([{"scenario": s, "outcome": o, "group": "all", "mean": m, "difference": dif,
                          "difference_ci_low": lo, "difference_ci_high": hi, "ci_low": m, "ci_high": m}
                         for s, o, m, dif, lo, hi in rows])


def _equity_tables(c, w, e):
    """Effects of the awareness campaign on the three uptake indices, each (difference, lo, hi),
    around baseline levels 0.2, 0.26, 0.2; every other equity outcome unchanged."""
    levels = {"concentration_index": 0.2, "concentration_index_wagstaff": 0.26, "concentration_index_erreygers": 0.2}
    changes = dict(zip(levels, (c, w, e)))
    rows = []
    for o, level in levels.items():
        rows += [("baseline", o, level, 0.0, 0.0, 0.0),
                 ("awareness_campaign", o, level + changes[o][0], *changes[o])]
    for s in META["scenarios"]:
        for o in ("uptake_gap_t20_b40", "rate_ratio_b40_t20", "completion_gap_t20_b40", "rate_ratio_b40_t20_completion",
                  "concentration_index_completion", "concentration_index_wagstaff_completion",
                  "concentration_index_erreygers_completion", "rate_ratio_rural_urban", "rate_ratio_female_male"):
            rows.append((s, o, 0.5, 0.0, -0.01, 0.01))
    return {"effects": _effects(rows)}


def _text(blocks):
    return " ".join(b[1] for b in blocks if b[0] == "p")


META = {"scenarios": ["baseline", "awareness_campaign"], "replicates": 3}


def test_report_states_when_the_standard_index_moves_against_both_corrected_ones():
    from sim.report.content import equity_section

    t = _equity_tables(c=(-0.002, -0.005, 0.001), w=(0.001, -0.004, 0.006), e=(0.002, -0.001, 0.005))
    text = _text(equity_section(t, META))
    assert "**absolute**" in text and "**relative**" in text
    assert ("under the Awareness campaign the standard index falls (-0.0020 [-0.0050, +0.0010]) while "
            "Wagstaff's and Erreygers' rise (+0.0010 [-0.0040, +0.0060]; +0.0020 [-0.0010, +0.0050]); none of the "
            "three changes is distinguishable from zero over 3 replicates") in text


def test_report_states_when_the_indices_agree():
    from sim.report.content import equity_section

    t = _equity_tables(c=(-0.002, -0.003, -0.001), w=(-0.001, -0.002, -0.0005), e=(0.002, 0.001, 0.003))
    text = _text(equity_section(t, META))
    assert "does not move against both corrected indices under any option" in text
    assert ("under the Awareness campaign it moves against Erreygers' only (C -0.0020 [-0.0030, -0.0010], "
            "W -0.0010 [-0.0020, -0.0005], E +0.0020 [+0.0010, +0.0030])") in text
    table = next(b for b in equity_section(t, META) if b[0] == "table")
    assert table[1][1:] == ["Gap T20 - B40 (points)", "Ratio B40 / T20", "Standard C", "Wagstaff W", "Erreygers E"]
    assert table[2][1][3] == "0.198 (-0.002 [-0.003, -0.001])"   # level and paired difference side by side
