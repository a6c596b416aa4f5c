"""Named scenarios: each composes, describes itself, and states an annual public cost equal
to the sum of its lever budgets."""

from __future__ import annotations

import pytest

from sim.config.compose import available, compose
from sim.model.policy import POTS

NAMED = ["baseline", "b40_voucher", "universal_voucher", "rural_connectivity", "recognition_push",
         "awareness_campaign", "provider_readiness", "integrated", "east_malaysia_connectivity",
         "b40_poorest_states"]


def test_all_named_scenarios_exist():
    assert set(NAMED) <= set(available("scenario"))


@pytest.mark.parametrize("name", NAMED)
def test_scenario_states_its_cost_as_the_sum_of_its_budgets(name):
    cfg = compose("run", [f"scenario={name}"])
    assert cfg.scenario.name == name
    assert len(cfg.scenario.description.split()) >= 30
    budgets = 0.0
    for pot, (lever, key) in POTS.items():
        node = cfg.policy[lever]
        if node.enabled:
            budgets += float(node[key]) if key else 0.0
    lever = cfg.policy.connectivity
    if lever.enabled:
        budgets += lever.access_centres * lever.centre_cost_rm_per_year
    assert budgets == pytest.approx(cfg.scenario.annual_public_cost_rm)


def test_voucher_pair_has_equal_budgets():
    b40 = compose("run", ["scenario=b40_voucher"]).policy.subsidy
    universal = compose("run", ["scenario=universal_voucher"]).policy.subsidy
    assert b40.annual_budget_rm == universal.annual_budget_rm
    assert list(b40.targeting) == ["B40"] and list(universal.targeting) == []


def test_state_aimed_scenarios_reach_only_their_states():
    east = compose("run", ["scenario=east_malaysia_connectivity"]).policy.connectivity
    assert (sorted(east.device_targeting) == sorted(east.skills_targeting) == sorted(east.rollout_targeting)
            == ["labuan", "sabah", "sarawak"])
    assert east.rollout_annual_budget_rm > 0 and east.rollout_speedup_rural > 1
    assert east.access_centres == 0   # centres serve rural learners nationwide: not aimable at states
    poorest = compose("run", ["scenario=b40_poorest_states"]).policy.subsidy
    assert sorted(poorest.targeting) == ["B40", "kedah", "kelantan", "sabah"]


def test_state_aimed_scenarios_run_only_when_named():
    from sim.config.compose import policy_scenarios
    from sim.commands.compare import scenario_names

    default = scenario_names([], policy_scenarios())
    assert "east_malaysia_connectivity" not in default and "b40_poorest_states" not in default
    assert set(NAMED[:-2]) <= set(default)
    named = scenario_names(["b40_poorest_states", "east_malaysia_connectivity"], policy_scenarios())
    assert named == ["baseline", "b40_poorest_states", "east_malaysia_connectivity"]


def test_rollout_aimed_at_a_state_upgrades_only_there():
    """The rollout speed-up reaches only the targeted state: against the status-quo twin (same
    seed, same draws) connections differ for Sabah's learners alone, and some of them gained."""
    import numpy as np

    from sim.model.domain import STATES
    from sim.model import MicroCredentialModel

    common = ["population.n_agents=4000", "horizon.quarters=4", "seed=3"]
    aimed = ["policy.connectivity.enabled=true", "policy.connectivity.rollout_speedup_rural=5",
             "policy.connectivity.rollout_speedup_urban=5", "policy.connectivity.rollout_annual_budget_rm=1e12",
             "policy.connectivity.rollout_targeting=[sabah]"]
    base = MicroCredentialModel(compose("run", common))
    scen = MicroCredentialModel(compose("run", common + aimed))
    for _ in range(4):
        base.step()
        scen.step()
    changed = scen.learners.connectivity != base.learners.connectivity
    sabah = scen.learners.state == STATES.index("Sabah")
    assert changed.any() and not (changed & ~sabah).any()
    assert (scen.learners.connectivity[changed] > base.learners.connectivity[changed]).all()
    assert scen.policy.spend["connectivity.rollout"].sum() > 0
