"""Costs reported twice: in full and attributable to learning. Connectivity outlays count at
``policy.connectivity.learning_share_of_cost``, every other lever in full, from the ledger
through summary.json and the comparison's tables to the explorer readout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from sim.analysis.effects import cost_effectiveness
from sim.analysis.tables import pairs_frame, spend_table
from sim.config import ConfigError, validate_config
from sim.config.schema import PolicyConfig
from sim.explorer import readout
from sim.explorer.levers import baseline_config, preset_levers, run_config
from sim.explorer.twin import TwinRun
from sim.model import MicroCredentialModel
from sim.model.outcomes import summarise
from sim.model.policy import LEVER_NAMES, Policy
from sim.report import attributable
from tests.conftest import small_config


def run_summary(*overrides: str) -> dict:
    cfg = small_config(*overrides, n_agents=3000, quarters=8)
    model = MicroCredentialModel(cfg)
    for _ in range(cfg.horizon.quarters):
        model.step()
    return summarise(model)


def test_ledger_counts_connectivity_pots_at_the_learning_share_and_the_rest_in_full():
    cfg = OmegaConf.structured(PolicyConfig)
    cfg.subsidy.enabled = cfg.connectivity.enabled = True
    cfg.subsidy.annual_budget_rm = 4e6
    cfg.connectivity.rollout_annual_budget_rm = cfg.connectivity.device_annual_budget_rm = 4e6
    cfg.connectivity.skills_annual_budget_rm = 4e6
    cfg.connectivity.learning_share_of_cost = 0.2
    policy = Policy(cfg, 4)
    for pot, amount in {"subsidy": 100.0, "connectivity.rollout": 50.0, "connectivity.devices": 30.0,
                        "connectivity.skills": 20.0, "connectivity.centres": 10.0}.items():
        policy.book(pot, 1, amount)
    full, part = policy.spend_by_lever(), policy.attributable_spend_by_lever()
    assert full["connectivity"][1] == pytest.approx(110.0)
    assert part["connectivity"][1] == pytest.approx(0.2 * 110.0)   # 22
    assert part["subsidy"][1] == full["subsidy"][1] == 100.0
    assert sum(a.sum() for a in part.values()) == pytest.approx(122.0)


@pytest.mark.parametrize("scenario", ["baseline", "b40_voucher"])
def test_attributable_spend_equals_full_spend_without_connectivity_spending(scenario):
    o = run_summary(f"scenario={scenario}")
    assert o["public_spend_by_lever_rm"]["connectivity"] == 0.0
    assert o["public_spend_attributable_rm"] == o["public_spend_rm"]
    assert o["public_spend_by_lever_attributable_rm"] == o["public_spend_by_lever_rm"]


def test_attributable_spend_of_a_connectivity_scenario_by_hand():
    o = run_summary("scenario=integrated", "policy.connectivity.learning_share_of_cost=0.25")
    by_lever, part = o["public_spend_by_lever_rm"], o["public_spend_by_lever_attributable_rm"]
    connectivity = by_lever["connectivity"]
    assert connectivity > 0 and by_lever["subsidy"] > 0
    other = o["public_spend_rm"] - connectivity
    assert o["public_spend_attributable_rm"] == pytest.approx(other + 0.25 * connectivity, rel=1e-12)
    assert part["connectivity"] == pytest.approx(0.25 * connectivity, rel=1e-12)
    assert all(part[lv] == by_lever[lv] for lv in LEVER_NAMES if lv != "connectivity")


def test_learning_share_outside_zero_to_one_is_refused_with_the_key_named():
    with pytest.raises(ConfigError, match="policy.connectivity.learning_share_of_cost"):
        validate_config(small_config("policy.connectivity.learning_share_of_cost=1.5"))


# --------------------------------------------------------------------------- the comparison
def _runs(rows):
    return pd.DataFrame([{"scenario": s, "seed": seed, "public_spend_rm": full, "public_spend_attributable_rm": part}
                         for s, seed, full, part in rows])


def _effects(scenarios):
    cf = pd.DataFrame([{"scenario": s, "seed": seed, "replicate": seed - 1, "additional_completers": a}
                       for s, seed, a in scenarios])
    groups = pd.DataFrame([{"scenario": s, "seed": seed, "dimension": d, "group": g, "additional_completers": x}
                           for s, seed, a in scenarios
                           for d, g, x in (("income", "B40", a / 2), ("location", "rural", a / 4))])
    return cf, groups


def test_cost_per_additional_completer_in_full_and_attributable_by_hand():
    # "conn": RM 1,000 / 1,400 more in full, of which 800 / 1,200 connectivity at share 0.1
    # -> attributable increments 200 + 80 = 280 and 200 + 120 = 320; "voucher": no connectivity
    runs = _runs([("baseline", 1, 10.0, 10.0), ("baseline", 2, 20.0, 20.0),
                  ("conn", 1, 1010.0, 290.0), ("conn", 2, 1420.0, 340.0),
                  ("voucher", 1, 510.0, 510.0), ("voucher", 2, 620.0, 620.0)])
    cf, groups = _effects([("conn", 1, 10.0), ("conn", 2, 30.0), ("voucher", 1, 20.0), ("voucher", 2, 20.0)])
    ce = cost_effectiveness(pairs_frame(runs, cf, groups)).set_index("scenario")
    conn, voucher = ce.loc["conn"], ce.loc["voucher"]
    assert conn.incremental_spend_rm == pytest.approx(1200.0)
    assert conn.incremental_spend_attributable_rm == pytest.approx(300.0)
    assert conn.cost_per_additional_completer_rm == pytest.approx(60.0)              # 1200 / 20
    assert conn.cost_per_additional_completer_attributable_rm == pytest.approx(15.0)  # 300 / 20
    assert conn.cost_per_additional_completer_b40_attributable_rm == pytest.approx(30.0)    # 300 / 10
    assert conn.cost_per_additional_completer_rural_attributable_rm == pytest.approx(60.0)  # 300 / 5
    for suffix in ("", "_b40", "_rural"):
        assert (voucher[f"cost_per_additional_completer{suffix}_attributable_rm"]
                == voucher[f"cost_per_additional_completer{suffix}_rm"])
    # In full the voucher buys the same completers for less; counting connectivity at its
    # learning share, the connectivity option does.
    assert (conn.frontier, voucher.frontier) == ("dominated", "frontier")
    assert (conn.frontier_attributable, voucher.frontier_attributable) == ("frontier", "dominated")
    assert list(ce.columns).index("frontier") < list(ce.columns).index("incremental_spend_attributable_rm")


def test_comparisons_stored_before_attributable_spend_show_no_attributable_figures():
    runs = _runs([("baseline", 1, 10.0, 0), ("x", 1, 110.0, 0)]).drop(columns="public_spend_attributable_rm")
    cf, groups = _effects([("x", 1, 5.0)])
    ce = cost_effectiveness(pairs_frame(runs, cf, groups))
    assert np.isnan(ce.cost_per_additional_completer_attributable_rm).all()
    assert (ce.frontier_attributable == "undefined").all()
    assert ce.cost_per_additional_completer_rm.iloc[0] == pytest.approx(20.0)
    assert not attributable.available({"cost_effectiveness": ce})


def test_spend_table_carries_attributable_spend_by_lever():
    runs = pd.DataFrame([{"scenario": "x", "seed": 1, "public_spend_rm": 300.0, "levy_spend_rm": 0.0,
                          "out_of_pocket_rm": 0.0, "public_spend_attributable_rm": 120.0,
                          **{f"public_spend_by_lever_rm.{lv}": 0.0 for lv in LEVER_NAMES},
                          **{f"public_spend_by_lever_attributable_rm.{lv}": 0.0 for lv in LEVER_NAMES},
                          "public_spend_by_lever_rm.connectivity": 200.0,
                          "public_spend_by_lever_attributable_rm.connectivity": 20.0,
                          "public_spend_by_lever_rm.subsidy": 100.0,
                          "public_spend_by_lever_attributable_rm.subsidy": 100.0}])
    t = spend_table(runs).set_index("measure")["mean"]
    assert t["public_spend_rm.connectivity"] == 200.0 and t["public_spend_attributable_rm.connectivity"] == 20.0
    assert t["public_spend_attributable_rm"] == 120.0
    meta = {"scenarios": ["baseline", "x"]}
    assert attributable.learning_shares({"spend_by_lever": spend_table(runs).assign(scenario="x")}, meta) == {"x": 0.1}


# --------------------------------------------------------------------------- the explorer
def test_explorer_readout_shows_spend_attributable_to_learning():
    lv = preset_levers("integrated", n_agents=2000, seed=5)
    twin = TwinRun(run_config(lv), baseline_config(lv))
    for _ in range(3):
        twin.step()
    rows = {r["key"]: r for r in readout.rows(twin)}
    full, part = rows["spend"]["scenario"], rows["spend-attributable"]["scenario"]
    connectivity = twin.cumulative_spend_rm()["connectivity"][-1] / 1e6
    share = twin.scenario.cfg.policy.connectivity.learning_share_of_cost
    assert connectivity > 0
    assert part == pytest.approx(full - (1 - share) * connectivity, rel=1e-9)
    assert rows["spend-attributable"]["baseline"] == rows["spend"]["baseline"] == 0.0
    assert "num-spend-attributable-scenario" in readout.table_html(twin)


def test_bottom_line_names_the_cheapest_option_on_the_attributable_basis_only_when_it_differs():
    ce = pd.DataFrame({"scenario": ["b40_voucher", "rural_connectivity"],
                       "cost_per_additional_completer_rm": [2000.0, 9000.0],
                       "cost_per_additional_completer_attributable_rm": [2000.0, 900.0]}).set_index("scenario")
    assert attributable.cheapest_clause(ce) == (" Counting only costs attributable to learning, the lowest is "
                                                "the Rural connectivity (RM 900).")
    ce.loc["rural_connectivity", "cost_per_additional_completer_attributable_rm"] = 2500.0
    assert attributable.cheapest_clause(ce) == ""
