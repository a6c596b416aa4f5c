"""The behavioural core's mechanisms at model level: lasting heterogeneity (the hazard of a
first enrolment falls), knowing is not intending (the unaware can enrol), accreditation is a
screen, and a credential's return is its quality."""

from __future__ import annotations

import numpy as np

from sim.model import MicroCredentialModel
from tests.conftest import small_config


def _run(*overrides, n_agents=20_000, quarters=40):
    model = MicroCredentialModel(small_config(*overrides, n_agents=n_agents, quarters=quarters))
    model.run()
    return model


def test_first_enrolment_hazard_falls_over_the_decade():
    """The keen enrol first: among those who never enrolled, the quarterly hazard of a first
    enrolment in 2034 is well below that of 2025 (baseline, fixed seed)."""
    model = _run("seed=3")
    L = model.learners
    first = L.first_enrolled_quarter.astype(np.int64)
    # hazard per quarter from the learners' own histories: first enrolments / never enrolled before
    never_before = np.array([np.sum((first < 0) | (first >= t)) for t in range(40)])
    firsts = np.bincount(first[first >= 0], minlength=40)[:40]
    early, late = firsts[:4].sum() / never_before[:4].sum(), firsts[-4:].sum() / never_before[-4:].sum()
    # binomial standard errors of the two pooled yearly hazards
    se = np.sqrt(early * (1 - early) / never_before[:4].sum() + late * (1 - late) / never_before[-4:].sum())
    assert early - late > 4 * se, (early, late, se)
    # and the model's own time series records it
    series = np.array([h["first_enrolment_hazard"]["all"] for h in model.history])
    assert series[-4:].mean() < series[:4].mean()


def test_awareness_is_not_the_gate_to_enrolment():
    """With nobody ever aware (no initial awareness, no diffusion, no campaign), people still
    enrol: knowing micro-credentials only removes a small search cost."""
    model = _run("seed=2", "behaviour.initial_awareness=0", "behaviour.bass_p_annual=0",
                 "behaviour.bass_q_annual=0", "policy.levy_sponsorship.enabled=false",
                 n_agents=10_000, quarters=8)
    aware_model = _run("seed=2", "behaviour.initial_awareness=1", "policy.levy_sponsorship.enabled=false",
                       n_agents=10_000, quarters=8)
    unaware_uptake = model.learners.ever_enrolled.mean()
    aware_uptake = aware_model.learners.ever_enrolled.mean()
    assert unaware_uptake > 0
    # everyone aware vs nobody aware: take-up differs by less than half (a search cost, not a gate)
    assert unaware_uptake > 0.5 * aware_uptake, (unaware_uptake, aware_uptake)


def test_accreditation_screens_on_quality_and_returns_follow_quality():
    model = _run("seed=4", n_agents=5_000, quarters=16)
    offers, market = model.offers, model.cfg.market
    quality = np.array([p.value_added for p in model.providers])[offers.provider]
    assert np.all(quality[offers.accredited] >= market.accreditation_standard)
    assert model.state.accreditation_failures > 0          # some providers applied and failed the review
    assert np.allclose(offers.wage_gain, market.wage_gain_per_value_added * offers.value_added)


def test_credentials_that_certify_nothing_earn_nothing_and_lose_trust():
    real = _run("seed=5", "market.accreditation_standard=0", n_agents=10_000)
    fake = _run("seed=5", "market.accreditation_standard=0", "market.value_added_scale=0", n_agents=10_000)
    assert fake.learners.wage_gain_target_rm.max() <= real.learners.wage_gain_target_rm.max()
    assert float(fake.learners.wage_gain_rm.sum()) < 0.05 * float(real.learners.wage_gain_rm.sum()) + 1e-9
    prior = fake.cfg.market.trust_prior_mean_accredited
    assert fake.state.mean_trust_accredited < prior - 0.1 < real.state.mean_trust_accredited
