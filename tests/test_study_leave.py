"""Paid study leave, the lever docs/ARCHITECTURE.md adds as its worked example: one schema field
(policy.study_leave), one policy function (Policy.study_leave_share) and one process (choice)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim.config import ConfigError, validate_config
from sim.config.compose import compose, with_values
from sim.run import run_scenario

SIZE = {"population.n_agents": 6000, "horizon.quarters": 8, "progress": False, "seed": 3}


def _run(**leave):
    cfg = with_values(compose("run", []), {**SIZE, **{f"policy.study_leave.{k}": v for k, v in leave.items()}})
    validate_config(cfg)
    return run_scenario(cfg, progress=False)


@pytest.fixture(scope="module")
def runs():
    return {"off": _run(), "zero": _run(enabled=True, paid_share=0.0),
            "on": _run(enabled=True, paid_share=0.8, end_quarter=3)}


def _spend_by_quarter(record) -> np.ndarray:
    ts = record.timeseries
    rows = ts[(ts.metric == "public_spend_rm") & (ts.group == "study_leave")].sort_values("quarter")
    return rows["value"].to_numpy()


def test_switched_on_at_zero_it_changes_nothing(runs):
    same = json.dumps(runs["zero"].outcomes, sort_keys=True) == json.dumps(runs["off"].outcomes, sort_keys=True)
    assert same   # NaN-aware: an undefined ratio (no subsidy) is NaN in both
    assert runs["off"].outcomes["public_spend_by_lever_rm"]["study_leave"] == 0.0


def test_paid_leave_draws_working_learners_and_costs_only_while_active(runs):
    off, on = runs["off"].outcomes, runs["on"].outcomes
    by_status_off, by_status_on = off["uptake_by_labour_status"], on["uptake_by_labour_status"]
    # It lowers the time cost of those who work, so formal and informal workers enrol more,
    # and by more than those out of work, whom it does not pay.
    working_gain = min(by_status_on[s] - by_status_off[s] for s in ("formal", "informal"))
    assert working_gain > 0
    assert working_gain > max(by_status_on[s] - by_status_off[s] for s in ("unemployed", "outside"))
    spend = _spend_by_quarter(runs["on"])
    assert (spend[:4] > 0).all() and (spend[4:] == 0).all()   # active in quarters 0-3 only
    assert on["public_spend_by_lever_rm"]["study_leave"] == pytest.approx(spend.sum(), rel=1e-9)


def test_its_share_is_validated_from_the_schema():
    cfg = with_values(compose("run", []), {"policy.study_leave.paid_share": 1.5})
    with pytest.raises(ConfigError, match=r"^policy.study_leave.paid_share=1.5 is out of range: expected a number from 0 to 1"):
        validate_config(cfg)
