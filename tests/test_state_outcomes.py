"""Outcomes by state in summary.json: completion rate, credential-holder rate and public
subsidy spend (RM) per state agree with the per-person records and with the national totals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model.domain import STATES
from sim.run import run_scenario
from tests.conftest import small_config


@pytest.fixture(scope="module")
def record():
    # 16 quarters: long enough for 65-year-olds to leave, so leavers' records count too
    return run_scenario(small_config("scenario=b40_poorest_states", n_agents=4000, quarters=16))


def test_subsidy_spend_by_state_reaches_only_the_targeted_states_and_sums_to_the_ledger(record):
    spend = record.outcomes["public_subsidy_spend_by_state_rm"]
    assert list(spend) == list(STATES)
    targeted = {"Kelantan", "Kedah", "Sabah"}
    assert all(spend[s] > 0 for s in targeted)
    assert all(spend[s] == 0 for s in STATES if s not in targeted)
    assert sum(spend.values()) == pytest.approx(record.outcomes["public_spend_by_lever_rm"]["subsidy"], rel=1e-6)


def test_completion_and_holders_by_state_match_the_person_records(record):
    p, o = record.learner_outcomes, record.outcomes
    assert not p["present"].all()                   # some left at 65: they count in completion
    w = p["weight"].astype(np.float64)
    for code, state in enumerate(STATES):
        here = p["state"] == code
        enrolments = w[here] @ p["enrolments"][here]
        want = (w[here] @ p["completions"][here]) / enrolments if enrolments else math.nan
        got = o["completion_rate_by_state"][state]
        assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want, rel=1e-9), state
        now = here & p["present"]
        holders = (w[now] @ (p["credentials"][now] > 0)) / w[now].sum()
        assert o["credential_holders_rate_by_state"][state] == pytest.approx(holders, rel=1e-9), state
    # and they add up to the national figures
    now = p["present"]
    persons = np.bincount(p["state"][now], weights=w[now], minlength=len(STATES))
    rates = np.array([o["credential_holders_rate_by_state"][s] for s in STATES])
    assert np.nansum(rates * persons) / persons.sum() == pytest.approx(o["credential_holders_rate"], rel=1e-9)


@pytest.fixture(scope="module")
def east():
    return run_scenario(small_config("scenario=east_malaysia_connectivity", n_agents=3000, quarters=8))


def test_public_spend_by_state_adds_up_to_the_national_total(record, east):
    for run in (record, east):
        o = run.outcomes
        placed = sum(o["public_spend_by_state_rm"].values())
        assert placed + o["public_spend_not_by_state_rm"] == pytest.approx(o["public_spend_rm"], rel=1e-9)
        assert all(o["public_spend_by_state_rm"][s] >= o["public_subsidy_spend_by_state_rm"][s] for s in STATES)
    # every ringgit of the East Malaysian package is placed, and only in its three territories
    o = east.outcomes
    assert o["public_spend_not_by_state_rm"] == pytest.approx(0.0, abs=1e-3 * o["public_spend_rm"])
    east_states = {"Sabah", "Sarawak", "Labuan"}
    assert all(o["public_spend_by_state_rm"][s] == 0 for s in STATES if s not in east_states)
    assert o["public_spend_by_state_rm"]["Sabah"] > 0 and o["public_spend_by_state_rm"]["Sarawak"] > 0


def test_equity_ratios_and_agents_by_state_match_the_person_records(record):
    p, o = record.learner_outcomes, record.outcomes
    now = p["present"]
    w = p["weight"].astype(np.float64)
    agents = np.bincount(p["state"][now], minlength=len(STATES))
    assert [o["agents_by_state"][s] for s in STATES] == agents.astype(float).tolist()
    for code, state in enumerate(STATES):
        here = now & (p["state"] == code)

        def rate(mask):
            return (w[mask] @ p["ever_enrolled"][mask]) / w[mask].sum() if mask.any() else math.nan

        b40, t20 = rate(here & (p["income_group"] == 0)), rate(here & (p["income_group"] == 2))
        want = b40 / t20 if t20 and not math.isnan(t20) and not math.isnan(b40) else math.nan
        got = o["rate_ratio_b40_t20_by_state"][state]
        assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want, rel=1e-9), state


def test_time_series_carries_uptake_by_state_ending_at_the_summary(record):
    ts = record.timeseries
    final = ts[(ts.quarter == ts.quarter.max()) & (ts.metric == "uptake_rate_by_state")]
    last = dict(zip(final.group, final.value))
    assert list(last) == list(STATES)
    assert ts[ts.metric == "uptake_rate_by_state"].quarter.nunique() == record.quarters
    for state in STATES:
        want = record.outcomes["uptake_by_state"][state]
        assert (math.isnan(want) and math.isnan(last[state])) or last[state] == pytest.approx(want, rel=1e-6)
