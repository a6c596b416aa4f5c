"""Every value the validation allows runs: each range the schema declares (``RANGES``) is run
at both ends (everything else at its default) through the model, the outcomes and the files
of a run. The test iterates over the table, so a range added later is covered without
touching this file. An unbounded end is run at 1e12 (infinities themselves are refused)."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pytest
from omegaconf import OmegaConf

from sim.config import ConfigError, validate_config
from sim.config.validate import INF, RANGES

LARGE = 1e12  # stands in for an unbounded upper end
N_AGENTS, QUARTERS = 300, 4
# The one end too large to run in CI: 40 million agents need ~8 GB. Checked below instead:
# every index the model keeps per learner fits that many.
NOT_RUN = {("population.n_agents", "high")}


@lru_cache(maxsize=1)
def _base():
    from tests.conftest import small_config

    return small_config(n_agents=N_AGENTS, quarters=QUARTERS)


def _end_value(key: str, end: str, schema_default):
    lo, hi = RANGES[key]
    value = lo if end == "low" else (LARGE if hi == INF else hi)
    return int(value) if isinstance(schema_default, int) and not isinstance(schema_default, bool) else float(value)


CASES = [(key, end) for key in RANGES for end in ("low", "high") if (key, end) not in NOT_RUN]


@pytest.mark.parametrize("key,end", CASES, ids=[f"{k}-{e}" for k, e in CASES])
def test_every_range_end_runs_and_writes_a_complete_run(key, end, tmp_path):
    from sim.commands.run import write_run
    from sim.run import run_scenario

    cfg = _base().copy()
    value = _end_value(key, end, OmegaConf.select(cfg, key))
    OmegaConf.update(cfg, key, value, merge=False)
    if key.startswith("policy.") and key.count(".") >= 2:  # a lever's settings act when it is on
        OmegaConf.update(cfg, ".".join(key.split(".")[:2]) + ".enabled", True, merge=False)
        if key.startswith("policy.subsidy.") and not (key == "policy.subsidy.cap_rm" and value == 0):
            for k, v in (("rate", 0.5), ("cap_rm", 1000.0), ("annual_budget_rm", 1e8)):
                if f"policy.subsidy.{k}" != key:
                    OmegaConf.update(cfg, f"policy.subsidy.{k}", v, merge=False)
    validate_config(cfg)
    record = run_scenario(cfg, progress=False)
    write_run(record, cfg, tmp_path, 0.0)
    assert (tmp_path / "summary.json").is_file() and record.quarters == cfg.horizon.quarters
    assert record.n_agents == cfg.population.n_agents
    o = record.outcomes
    assert 0.0 <= o["uptake_rate"] <= 1.0 and 0.0 <= o["employment_rate"] <= 1.0
    assert math.isfinite(o["employer_trust_mean"]) and math.isfinite(o["public_spend_rm"])


def test_infinite_values_are_refused():
    cfg = _base().copy()
    cfg.policy.subsidy.cap_rm = math.inf
    with pytest.raises(ConfigError, match="policy.subsidy.cap_rm"):
        validate_config(cfg)


def test_learner_arrays_hold_the_largest_allowed_population_and_horizon():
    """What the ranges' untested upper end needs: quarter-valued and count arrays hold the
    longest horizon, index arrays the largest population."""
    from sim.model.agents.learners import STATE_FIELDS

    quarters = RANGES["horizon.quarters"][1]
    for name in ("enrolled_quarter", "first_enrolled_quarter", "first_completed_quarter", "enrolments", "completions", "online_enrolments", "credentials",
                 "accredited_credentials", "recognised_credentials", "qualifications"):
        assert np.iinfo(STATE_FIELDS[name][0]).max >= quarters, name
    from sim.model import MicroCredentialModel

    peers = MicroCredentialModel(_base()).peers
    assert np.iinfo(peers.dtype).max >= RANGES["population.n_agents"][1]
