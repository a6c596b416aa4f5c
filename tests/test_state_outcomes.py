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
