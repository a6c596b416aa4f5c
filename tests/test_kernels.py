"""The compiled kernels (sim.model.kernels) compute exactly what the numpy definitions do:
bit for bit, on ids, quarters and slots across their whole allowed ranges."""

import numpy as np
import pytest

from sim.model.rng import Streams


@pytest.mark.parametrize("quarter,slot", [(0, 0), (1, 0), (7, 3), (39, 12), (65535, 65535)])
def test_keyed_draws_match_the_numpy_definition(quarter, slot):
    stream = Streams(11).keyed("choice")
    rng = np.random.default_rng(quarter * 7 + slot)
    ids = np.concatenate([[0, 1, 2**32 - 1], rng.integers(0, 2**32, 20_000)])
    assert np.array_equal(stream.bits(ids, quarter, slot), stream.bits_numpy(ids, quarter, slot))
    u = stream.uniform(ids, quarter, slot)
    assert np.array_equal(u, stream.uniform_numpy(ids, quarter, slot))
    assert u.dtype == np.float64 and u.min() >= 0.0 and u.max() < 1.0
    # and the per-agent (Python integer) draw of the reference model
    assert [stream.draw(i, quarter, slot) for i in ids[:50]] == u[:50].tolist()


def test_keyed_draws_accept_any_integer_ids():
    stream = Streams(3).keyed("dropout")
    ids = np.arange(100)
    expected = stream.uniform_numpy(ids, 5, 1)
    for form in (ids.astype(np.int32), ids.astype(np.int16), ids[::-1][::-1], list(ids), ids.astype(np.uint32)):
        assert np.array_equal(stream.uniform(form, 5, 1), expected)
    assert stream.uniform(np.zeros(0, dtype=np.int64), 5, 1).shape == (0,)


# --------------------------------------------------------------------------- learner choice
import logging  # noqa: E402

from sim.config.compose import compose  # noqa: E402
from sim.model import MicroCredentialModel  # noqa: E402
from sim.model.processes import choice  # noqa: E402
from sim.model.rng import to_gumbel  # noqa: E402

logging.getLogger("MESA").setLevel(logging.WARNING)


def _model(scenario: str, quarters: int, n_agents: int = 3000, overrides=()):
    cfg = compose("run", [f"scenario={scenario}", "seed=5", f"population.n_agents={n_agents}",
                          f"horizon.quarters={quarters}", "progress=false", *overrides])
    model = MicroCredentialModel(cfg)
    model.run(quarters - 1)        # a market that has moved: enrolments, trust, fees, exits
    return model


@pytest.mark.parametrize("scenario,overrides", [
    ("integrated", ()),                                   # subsidy, leave, connectivity, campaigns
    ("b40_voucher", ("policy.subsidy.accredited_only=true",)),
    ("baseline", ("behaviour.gamma_peer=-0.5", "policy.study_leave.enabled=true",
                  "policy.study_leave.paid_share=0.5")),
    ("baseline", ("behaviour.theta_online=-0.1",)),       # the screen off: its sign assumptions fail
])
def test_choice_kernels_compute_the_numpy_utilities_to_the_bit(scenario, overrides):
    model = _model(scenario, 9, overrides=overrides)
    q = model.quarter
    ids = np.flatnonzero(model.learners.offer < 0).astype(np.int64)
    keep, sampled, chosen, subsidy, rows, totals = choice.compiled_block(model, ids, q)
    part = choice._learner_part(model, ids)
    assert np.array_equal(keep, choice._may_enrol(model, ids, part, q))
    assert keep.sum() > 100 and (chosen[keep] >= 0).sum() > 10
    kept, part = ids[keep], choice._rows(part, keep)
    assert np.array_equal(sampled[keep], choice._sample_offers(model, kept, q))
    utility, subsidies = choice._utilities(model, kept, part, sampled[keep], q, allow_subsidy=True)
    eps = model.streams["choice"]
    gumbel = np.stack([eps.gumbel(kept, q, j) for j in range(sampled.shape[1] + 1)], axis=1)
    expected = np.concatenate([gumbel[:, :1], utility + gumbel[:, 1:]], axis=1)
    assert np.array_equal(totals, expected)                      # bit for bit, -inf included
    numpy_choice, numpy_subsidy = choice._choose(model, kept, part, sampled[keep], q, allow_subsidy=True)
    assert np.array_equal(chosen[keep], numpy_choice) and np.array_equal(subsidy[keep], numpy_subsidy)
    assert np.array_equal(to_gumbel(eps.uniform(kept, q, 0)), totals[:, 0])


@pytest.mark.parametrize("scenario", ["integrated", "universal_voucher"])
def test_a_run_with_the_kernels_equals_the_numpy_run(scenario, monkeypatch):
    from sim.run import run_scenario

    cfg = compose("run", [f"scenario={scenario}", "seed=3", "population.n_agents=2000", "horizon.quarters=12",
                          "progress=false"])
    monkeypatch.setattr(choice, "COMPILED", False)
    numpy_run = run_scenario(cfg, progress=False)
    monkeypatch.setattr(choice, "COMPILED", True)
    compiled_run = run_scenario(cfg, progress=False)
    assert repr(numpy_run.outcomes) == repr(compiled_run.outcomes)
    assert numpy_run.timeseries.equals(compiled_run.timeseries)
    for name, values in numpy_run.learner_outcomes.items():
        assert np.array_equal(values, compiled_run.learner_outcomes[name]), name
