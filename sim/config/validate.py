"""Validate a run configuration up front, scikit-learn style: every problem is reported as
one line naming the key, the value and what is allowed, before any work starts.

Types and unknown keys are already enforced by the structured-config schema; this module
checks ranges, lists of groups, and relations between keys.
"""

from __future__ import annotations

import math
from typing import Any

from omegaconf import DictConfig, OmegaConf

from sim.paths import SAFE_NAME_RULE, is_safe_name
from sim.targeting import GROUPS


class ConfigError(ValueError):
    """A configuration value that is not allowed. ``str(err)`` is a one-line message."""


INF = math.inf

# key -> (lowest allowed, highest allowed). Keys are dotted paths in RunConfig.
RANGES: dict[str, tuple[float, float]] = {
    "seed": (0, 2**63 - 1),
    "population.n_agents": (2, 40_000_000),     # the peer network needs two learners
    "population.persons": (1, 1e9),
    "population.peer_degree": (1, 100),
    "population.homophily": (0, 1),
    "horizon.quarters": (1, 200),
    "horizon.start_year": (2000, 2100),
    "behaviour.bass_p_annual": (0, 1),
    "behaviour.bass_q_annual": (0, 5),
    "behaviour.campaign_effect": (0, 1),
    "behaviour.initial_awareness": (0, 1),
    "behaviour.offers_sampled": (1, 20),
    "behaviour.money_weight": (0, 100),
    "behaviour.money_income_elasticity": (0, 1),
    "behaviour.present_bias": (0, 1),
    "behaviour.discount_rate_annual": (0, 1),
    "behaviour.benefit_horizon_years": (0, 50),
    "behaviour.theta_time": (0, 100),
    "behaviour.theta_online": (0, 100),
    "behaviour.theta_travel_rural": (0, 100),
    "behaviour.gamma_peer": (-100, 100),
    "behaviour.propensity_sd": (0, 10),
    "behaviour.taste_age_per_decade": (-10, 10),
    "behaviour.taste_prior_completion": (-10, 10),
    "behaviour.unaware_penalty": (0, 100),
    "behaviour.theta_credit": (0, 100),
    "behaviour.qualification_wage_gain": (0, 1),
    "behaviour.sponsor_push": (0, 100),
    "behaviour.liquidity_share_b40": (1e-3, 100),
    "behaviour.liquidity_share_other": (1e-3, 100),
    "behaviour.dropout_later_factor": (0, 10),
    "behaviour.rent_share": (0, 1),
    "behaviour.wage_ramp_quarters": (1, 200),
    "behaviour.job_finding_quarter": (0, 1),
    "behaviour.separation_quarter": (0, 1),
    "behaviour.informal_to_formal_quarter": (0, 1),
    "behaviour.formal_to_informal_quarter": (0, 1),
    "behaviour.formal_share_of_new_jobs": (0, 1),
    "behaviour.credential_job_finding_boost": (0, 10),
    "behaviour.credential_formalisation_boost": (0, 10),
    "market.offers_per_provider": (1, 20),
    "market.value_added_scale": (0, 10),
    "market.wage_gain_per_value_added": (0, 1),
    "market.accreditation_standard": (0, 10),
    "market.readiness_scale": (0, 1.5),
    "market.demand_smoothing": (0, 1),
    "market.seat_adjustment": (0, 1),
    "market.exit_after_low_fill_quarters": (1, 1000),
    "market.low_fill_threshold": (0, 1),
    "market.readiness_investment_quarter": (0, 1),
    "market.accreditation_cost_rm": (0, INF),
    "market.accreditation_lag_quarters": (0, 100),
    "market.accreditation_fee_premium": (0, 10),
    "market.trust_prior_mean_accredited": (0.01, 1),  # sponsorship scales by trust / this prior
    "market.trust_prior_mean_other": (0, 1),
    "market.trust_prior_weight": (1e-6, INF),
    "market.trust_forgetting": (0.5, 1),  # lower, a long quiet spell forgets even the prior (0/0 trust)
    "market.evidence_persons_per_observation": (1e-6, INF),
    "market.productivity_noise_sd": (0, INF),
    "market.productivity_benchmark": (-10, 10),
    "market.sponsorship_rate_quarter": (0, 1),
    "policy.subsidy.rate": (0, 1),
    "policy.subsidy.cap_rm": (0, INF),
    "policy.subsidy.annual_budget_rm": (0, INF),
    "policy.connectivity.rollout_speedup_rural": (1, 100),
    "policy.connectivity.rollout_speedup_urban": (1, 100),
    "policy.connectivity.cost_rm_per_connection": (0, INF),
    "policy.connectivity.rollout_annual_budget_rm": (0, INF),
    "policy.connectivity.device_grant_rm": (0, INF),
    "policy.connectivity.device_annual_budget_rm": (0, INF),
    "policy.connectivity.skills_course_rm": (0, INF),
    "policy.connectivity.skills_gain": (0, 1),
    "policy.connectivity.skills_annual_budget_rm": (0, INF),
    "policy.connectivity.access_centres": (0, 1_000_000),
    "policy.connectivity.persons_per_centre": (0, INF),
    "policy.connectivity.centre_cost_rm_per_year": (0, INF),
    "policy.connectivity.learning_share_of_cost": (0, 1),
    "policy.recognition.accreditation_incentive_rm": (0, INF),
    "policy.recognition.accreditation_annual_budget_rm": (0, INF),
    "policy.recognition.stackable_share": (0, 1),
    "policy.recognition.credits_per_qualification": (0.5, 1000),
    "policy.recognition.employer_campaign_annual_budget_rm": (0, INF),
    "policy.recognition.campaign_pseudo_observations_per_rm_million": (0, INF),
    "policy.recognition.campaign_attention_per_rm_million": (0, INF),
    "policy.awareness.intensity": (0, 1),
    "policy.awareness.cost_rm_per_person_reached": (0, INF),
    "policy.awareness.annual_budget_rm": (0, INF),
    "policy.readiness.annual_budget_rm": (0, INF),
    "policy.readiness.grant_rm": (1e-6, INF),
    "policy.readiness.readiness_per_rm_million": (0, INF),
    "scenario.annual_public_cost_rm": (0, INF),
}

TARGETING_KEYS = (
    "policy.subsidy.targeting",
    "policy.connectivity.device_targeting",
    "policy.connectivity.rollout_targeting",
    "policy.connectivity.skills_targeting",
    "policy.awareness.targeting",
)
LEVERS = ("subsidy", "levy_sponsorship", "connectivity", "recognition", "awareness", "readiness")


def _allowed(lo: float, hi: float) -> str:
    if hi == INF:
        return f"a number >= {lo:g}"
    return f"a number from {lo:g} to {hi:g}"


def validate_config(cfg: DictConfig | Any) -> None:
    """Raise :class:`ConfigError` on the first value that is not allowed."""
    if not isinstance(cfg, DictConfig):
        cfg = OmegaConf.structured(cfg)
    for key, (lo, hi) in RANGES.items():
        value = OmegaConf.select(cfg, key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"{key}={value!r} is not allowed: expected {_allowed(lo, hi)}")
        if not lo <= value <= hi:
            raise ConfigError(f"{key}={value!r} is out of range: expected {_allowed(lo, hi)}")
    for key in TARGETING_KEYS:
        for group in OmegaConf.select(cfg, key) or []:
            if group not in GROUPS:
                raise ConfigError(
                    f"{key} has unknown group {group!r}: allowed groups are {', '.join(GROUPS)}"
                )
    for lever in LEVERS:
        node = cfg.policy[lever]
        start, end = node.start_quarter, node.end_quarter
        if start < 0:
            raise ConfigError(f"policy.{lever}.start_quarter={start} is out of range: expected >= 0")
        if end is not None and end < start:
            raise ConfigError(
                f"policy.{lever}.end_quarter={end} is before start_quarter={start}: "
                "expected end_quarter >= start_quarter (or null for the whole horizon)"
            )
    if not is_safe_name(cfg.scenario.name):  # it names the run's output folder
        raise ConfigError(f"scenario.name={cfg.scenario.name!r} is not allowed: expected {SAFE_NAME_RULE}")
    if cfg.scenario.kind not in ("policy", "calibration"):
        raise ConfigError(f"scenario.kind={cfg.scenario.kind!r} is not allowed: expected policy or calibration")
    taste = list(cfg.behaviour.taste_by_education)
    if len(taste) != 4:
        raise ConfigError(
            f"behaviour.taste_by_education has {len(taste)} values: expected 4 "
            "(primary, spm, diploma, degree)"
        )
    providers = list(cfg.market.providers_per_type)
    if len(providers) != 5 or min(providers) < 0 or sum(providers) == 0:
        raise ConfigError(
            f"market.providers_per_type={providers} is not allowed: expected 5 counts >= 0 "
            "(public_university, private_hei, tvet, industry_trainer, online_platform), not all 0"
        )
    if cfg.policy.subsidy.enabled and cfg.policy.subsidy.rate > 0 and cfg.policy.subsidy.cap_rm == 0:
        raise ConfigError(
            f"policy.subsidy.cap_rm=0 with rate={cfg.policy.subsidy.rate}: a subsidy needs a "
            "per-learner cap > 0 RM"
        )
