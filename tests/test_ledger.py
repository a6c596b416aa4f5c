"""The ledger cannot overspend: whatever the lever schedule and however many times a pot is
booked in a quarter, no pot spends more in a year than its annual budget, more by any quarter
than the budget released so far, or anything outside its lever's active window; a booking
beyond what is available is refused, not recorded."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from sim.config.schema import PolicyConfig
from sim.model import MicroCredentialModel
from sim.model.policy import POTS, OverspendError, Policy
from tests.conftest import small_config

POT_LEVERS = sorted({lever for lever, _ in POTS.values()})
FINITE_POTS = [pot for pot, (_, key) in POTS.items() if key is not None]


def slack(budget: float) -> float:
    """Rounding a booking may add: 1e-9 of the annual budget plus RM 1e-6."""
    return 1e-9 * budget + 1e-6


def policy_with(quarters: int, **levers) -> Policy:
    """A Policy from the schema defaults with ``lever={key: value}`` overrides."""
    cfg = OmegaConf.structured(PolicyConfig)
    for lever, values in levers.items():
        for key, value in values.items():
            cfg[lever][key] = value
    return Policy(cfg, quarters)


def released(budget: float, quarter: int) -> float:
    """Budget released by the end of ``quarter`` within its calendar year."""
    return budget * (quarter % 4 + 1) / 4


# --------------------------------------------------------------------------- regression
def test_two_bookings_of_a_quarters_allowance_in_one_quarter_cannot_both_pass():
    """The old overspend: a second booking in the same quarter saw the whole allowance again
    (the rollout booked RM 38.4 million in 2025Q1 against RM 20 million released)."""
    policy = policy_with(8, connectivity={"enabled": True, "rollout_annual_budget_rm": 80e6})
    allowance = 20e6
    assert policy.available("connectivity.rollout", 0) == allowance
    policy.book("connectivity.rollout", 0, allowance)
    assert policy.available("connectivity.rollout", 0) == 0.0
    with pytest.raises(OverspendError):
        policy.book("connectivity.rollout", 0, allowance)
    assert policy.spend["connectivity.rollout"][0] == allowance   # the refused booking left no trace
    # The unspent allowance of a year still carries to its later quarters, and no further.
    assert policy.available("connectivity.rollout", 1) == allowance
    assert policy.available("connectivity.rollout", 4) == allowance


def test_callers_that_book_what_is_available_twice_in_a_quarter_spend_one_allowance():
    """The rollout's pattern: one booking per connection tier, each within ``available``."""
    policy = policy_with(4, connectivity={"enabled": True, "rollout_annual_budget_rm": 80e6})
    for _tier in range(2):
        policy.book("connectivity.rollout", 0, policy.available("connectivity.rollout", 0))
    assert policy.spend["connectivity.rollout"][0] == pytest.approx(20e6)


def test_accreditation_incentives_stop_when_the_quarter_release_is_paid_out():
    """Incentives are paid once per accredited provider: RM 1 million a year releases RM 250,000
    in Q1, five incentives of RM 50,000 (the old ledger paid RM 3.95 million in a quarter)."""
    policy = policy_with(4, recognition={"enabled": True, "accreditation_incentive_rm": 50_000.0,
                                         "accreditation_annual_budget_rm": 1e6})
    for _provider in range(12):
        policy.pay_accreditation_incentive(0)
    assert policy.spend["recognition.accreditation"][0] == pytest.approx(250_000.0)
    assert policy.accreditation_incentive_rm(0) == 0.0


def test_bookings_outside_the_active_window_are_refused():
    policy = policy_with(8, readiness={"enabled": True, "start_quarter": 2, "end_quarter": 4,
                                       "annual_budget_rm": 4e6})
    assert policy.available("readiness", 1) == 0.0
    with pytest.raises(OverspendError):
        policy.book("readiness", 1, 1.0)
    with pytest.raises(OverspendError):
        policy.book("readiness", 5, 1.0)
    policy.book("readiness", 2, 3e6)          # Q3 of the year: three quarters released
    assert policy.spend["readiness"].sum() == 3e6


def test_rounding_is_tolerated_once_not_accumulated():
    """A booking a few ulps over what is available passes (float rationing); repeating it does
    not creep past the release."""
    policy = policy_with(4, awareness={"enabled": True, "annual_budget_rm": 4e6})
    policy.book("awareness", 0, 1e6 * (1 + 1e-12))
    with pytest.raises(OverspendError):
        for _ in range(1000):
            policy.book("awareness", 0, 1e-3)   # each within the absolute slack, together not
    assert policy.spend["awareness"][0] <= 1e6 + slack(4e6)


def test_negative_or_nan_bookings_are_refused():
    policy = policy_with(4, subsidy={"enabled": True, "annual_budget_rm": 4e6})
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError):
            policy.book("subsidy", 0, bad)
    assert policy.spend["subsidy"].sum() == 0.0


# --------------------------------------------------------------------------- property
@st.composite
def schedules(draw):
    """Random horizon, and for every lever with a pot: enabled flag, active window, and an
    annual budget for each of its pots (0, small, or large)."""
    quarters = draw(st.integers(1, 14))
    cfg = OmegaConf.structured(PolicyConfig)
    for lever in POT_LEVERS:
        start = draw(st.integers(0, quarters - 1))
        cfg[lever].enabled = draw(st.booleans())
        cfg[lever].start_quarter = start
        cfg[lever].end_quarter = draw(st.none() | st.integers(start, quarters + 2))
    for pot in FINITE_POTS:
        lever, key = POTS[pot]
        cfg[lever][key] = draw(st.sampled_from([0.0]) | st.floats(1.0, 1e10, allow_nan=False))
    return cfg, quarters


# what a booking asks for: part of what is available, all of it, all of it plus float rounding
# (ration_by_priority admits up to 1e-12 over), or clearly more (must be refused)
BOOKING_KINDS = ("part", "all", "rounding", "over")
bookings = st.lists(st.tuples(st.sampled_from(sorted(POTS)), st.sampled_from(BOOKING_KINDS),
                              st.floats(0.0, 1.0)), max_size=10)


@settings(max_examples=300)
@given(schedules(), st.lists(bookings, min_size=14, max_size=14))
def test_no_pot_overspends_under_random_schedules_and_multi_booking(schedule, per_quarter):
    cfg, quarters = schedule
    policy = Policy(cfg, quarters)
    for q in range(quarters):
        for pot, kind, fraction in per_quarter[q]:
            room = policy.available(pot, q)
            if room == float("inf"):            # unbudgeted pot (access centres): any amount
                policy.book(pot, q, fraction * 1e7)
                continue
            over = max(1.0, 0.01 * room, 10 * slack(policy.annual_budget(pot)))   # beyond any rounding
            amount = {"part": fraction * room, "all": room, "rounding": room * (1 + 1e-12),
                      "over": room + over}[kind]
            before = policy.spend[pot].copy()
            if kind == "over":
                with pytest.raises(OverspendError):
                    policy.book(pot, q, amount)
                assert np.array_equal(policy.spend[pot], before)
            else:
                policy.book(pot, q, amount)
                if kind != "part":
                    assert policy.available(pot, q) == 0.0

    for pot, (lever, _) in POTS.items():
        spend = policy.spend[pot]
        assert (spend >= 0).all(), pot
        for q in range(quarters):
            if not policy.active(lever, q):
                assert spend[q] == 0.0, f"{pot} spent RM {spend[q]} in inactive quarter {q}"
        if pot not in FINITE_POTS:
            continue
        budget = policy.annual_budget(pot)
        for year_start in range(0, quarters, 4):
            year = spend[year_start:year_start + 4]
            assert year.sum() <= budget + slack(budget), f"{pot} spent {year.sum()} > {budget} in a year"
            for k, cumulative in enumerate(np.cumsum(year)):
                assert cumulative <= released(budget, k) + slack(budget), (
                    f"{pot}: RM {cumulative} booked by quarter {year_start + k}, "
                    f"RM {released(budget, k)} released")


# --------------------------------------------------------------------------- the model
def test_integrated_scenario_spends_every_pot_within_its_budget():
    """The whole model, with every lever booking its pots: any overspending booking raises
    inside the run; afterwards each pot's yearly spend is within its annual budget and its
    spend by each quarter within the year's release."""
    cfg = small_config("scenario=integrated", n_agents=3000, quarters=12)
    model = MicroCredentialModel(cfg)
    for _ in range(cfg.horizon.quarters):
        model.step()
    spent_pots = 0
    for pot, (lever, key) in POTS.items():
        spend = model.policy.spend[pot]
        spent_pots += spend.sum() > 0
        if key is None:
            continue
        budget = float(cfg.policy[lever][key])
        for year_start in range(0, len(spend), 4):
            year = spend[year_start:year_start + 4]
            assert year.sum() <= budget + slack(budget), f"{pot}: RM {year.sum():,.0f} > RM {budget:,.0f} a year"
            for k, cumulative in enumerate(np.cumsum(year)):
                assert cumulative <= released(budget, k) + slack(budget), pot
    assert spent_pots >= 5   # the levers did spend: the check is not vacuous
