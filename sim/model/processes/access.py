"""Step 1, policy: connectivity rollout, device grants, digital-skills courses, community
access centres, awareness and employer campaigns, provider readiness grants.

Status-quo rollout (docs/DATA.md). JENDELA brings 4G coverage to 99.7% of populated areas by
2025-12, so coverage no longer binds: what remains is adoption. None -> mobile: the share of
households without internet fell from 5.1% (2021) to 3.2% (2024) (DOSM ICT Use and Access), a
decline of 14%/year, 0.038 per quarter (assumption range 0.02-0.06), urban and rural alike.
Mobile -> fixed: fibre passes 7.7m premises in 2022 on the way to JENDELA phase 2's 9m, and 47%
of households had fixed broadband in 2023; assume the fixed share grows about 2 points a year
(range 1-3), mostly in towns: 0.012 urban / 0.005 rural per quarter of the mobile-only.

The connectivity lever speeds the rollout up (urban and rural speed-ups) for the learners its
``rollout_targeting`` names (any targeting groups, e.g. states; empty = everybody); everyone
else keeps the status-quo pace.
"""

from __future__ import annotations

import numpy as np

from sim.model.domain import FIXED_BROADBAND, MOBILE_ONLY, NO_CONNECTION
from sim.model.policy import by_state
from sim.model.rules import ration_by_priority

UPGRADE_RATE = {  # (from tier) -> (urban, rural) per quarter, status quo
    NO_CONNECTION: (0.038, 0.038),
    MOBILE_ONLY: (0.012, 0.005),
}


def run(model, q: int) -> None:
    _rollout(model, q)
    _device_grants(model, q)
    _skills_courses(model, q)
    _access_centres(model, q)
    _awareness_campaign(model, q)
    employer_campaign(model, q)
    readiness_grants(model, q)


def _rollout(model, q: int) -> None:
    L, policy = model.learners, model.policy
    lever = model.policy.lever("connectivity")
    active = policy.active("connectivity", q)
    speed_rural = lever.rollout_speedup_rural if active else 1.0
    speed_urban = lever.rollout_speedup_urban if active else 1.0
    for tier, (base_urban, base_rural) in UPGRADE_RATE.items():
        idx = np.flatnonzero(L.connectivity == tier)
        if len(idx) == 0:
            continue
        rural = L.rural[idx]
        base = np.array([base_urban, base_rural])          # per quarter, urban / rural
        speed = np.array([speed_urban, speed_rural])
        boosted = 1.0 - (1.0 - base) ** speed
        u = model.streams["rollout"].uniform(idx, q, tier)
        upgrade = np.where(rural, u < base[1], u < base[0])
        extra = ~upgrade & np.where(rural, u < boosted[1], u < boosted[0]) & model.masks["rollout_target"][idx]
        if extra.any():
            # Upgrades beyond the status quo are paid by the lever, within its budget.
            cost = lever.cost_rm_per_connection * L.weight[idx[extra]]
            served = ration_by_priority(np.zeros(extra.sum(), np.int64), cost, u[extra],
                                        [policy.available("connectivity.rollout", q)])
            policy.book("connectivity.rollout", q, float(cost[served].sum(dtype=np.float64)),
                        by_state(L.state[idx[extra][served]], cost[served]))
            upgrade[np.flatnonzero(extra)[served]] = True
        L.connectivity[idx[upgrade]] = tier + 1


def _buy(model, q: int, pot: str, unit_rm: float, eligible: np.ndarray, stream: str) -> np.ndarray:
    """Rows of ``eligible`` learners served this quarter by a per-person purchase (a device, a
    course) of ``unit_rm`` from ``pot``, in random priority within what the pot has; books
    the spend by state."""
    L, policy = model.learners, model.policy
    budget = policy.available(pot, q)
    if budget <= 0 or unit_rm <= 0:
        return np.zeros(0, dtype=np.int64)
    idx = np.flatnonzero(eligible)
    if len(idx) == 0:
        return idx
    cost = unit_rm * L.weight[idx]
    served = ration_by_priority(np.zeros(len(idx), np.int64), cost, model.streams[stream].uniform(idx, q), [budget])
    policy.book(pot, q, float(cost[served].sum(dtype=np.float64)), by_state(L.state[idx[served]], cost[served]))
    return idx[served]


def _device_grants(model, q: int) -> None:
    L, lever = model.learners, model.policy.lever("connectivity")
    eligible = (L.connectivity >= MOBILE_ONLY) & ~L.computer & model.masks["device_target"]
    L.computer[_buy(model, q, "connectivity.devices", lever.device_grant_rm, eligible, "devices")] = True


def _skills_courses(model, q: int) -> None:
    L, lever = model.learners, model.policy.lever("connectivity")
    eligible = (L.digital_skill < 0.5) & model.masks["skills_target"]
    trained = _buy(model, q, "connectivity.skills", lever.skills_course_rm, eligible, "skills")
    L.digital_skill[trained] = np.minimum(1.0, L.digital_skill[trained] + lever.skills_gain)


def _access_centres(model, q: int) -> None:
    """Community access centres serve rural learners without a computer or a connection;
    who is covered is fixed per learner (a keyed draw), coverage = capacity / need."""
    L, policy = model.learners, model.policy
    lever = model.policy.lever("connectivity")
    model.state.community_access[:] = False
    if not policy.active("connectivity", q) or lever.access_centres <= 0:
        return
    need = L.rural & ((L.connectivity == NO_CONNECTION) | ~L.computer)
    need_persons = float(L.weight[need].sum())
    if need_persons <= 0:
        return
    coverage = min(1.0, lever.access_centres * lever.persons_per_centre / need_persons)
    idx = np.flatnonzero(need)
    covered = model.streams["centres"].uniform(idx, 0) < coverage
    model.state.community_access[idx[covered]] = True
    cost = lever.access_centres * lever.centre_cost_rm_per_year / 4.0
    served = by_state(L.state[idx[covered]], L.weight[idx[covered]])   # apportioned by persons covered
    policy.book("connectivity.centres", q, cost, served * cost / served.sum() if served.sum() > 0 else None)


def _awareness_campaign(model, q: int) -> None:
    policy = model.policy
    lever = model.policy.lever("awareness")
    model.state.campaign_intensity = 0.0
    if not policy.active("awareness", q) or lever.intensity <= 0:
        return
    reached = model.masks["awareness_target"] & ~model.learners.aware
    needed = lever.intensity * lever.cost_rm_per_person_reached * float(model.learners.weight[reached].sum())
    available = policy.available("awareness", q)
    scale = 1.0 if needed <= available else available / needed
    model.state.campaign_intensity = lever.intensity * scale
    persons = by_state(model.learners.state[reached], model.learners.weight[reached])
    policy.book("awareness", q, needed * scale,
                persons * (needed * scale / persons.sum()) if persons.sum() > 0 else None)


def employer_campaign(model, q: int) -> None:
    """Employer campaigns make employers look harder at accredited credentials: their holders'
    observed productivity counts more (attention), and a little prior weight is added at the
    accredited prior mean. Real evidence then confirms or erodes trust: a campaign for
    credentials that certify little speeds up the loss of trust."""
    policy = model.policy
    lever = model.policy.lever("recognition")
    model.state.evidence_attention = 1.0
    budget = policy.available("recognition.employer_campaign", q)
    if budget <= 0:
        return
    spend = min(budget, lever.employer_campaign_annual_budget_rm / 4.0)
    model.state.evidence_attention = 1.0 + lever.campaign_attention_per_rm_million * spend / 1e6
    k = lever.campaign_pseudo_observations_per_rm_million * spend / 1e6
    m0 = model.cfg.market.trust_prior_mean_accredited
    model.employer_table.pending[:, 0] += k * m0
    model.employer_table.pending[:, 1] += k * (1 - m0)
    policy.book("recognition.employer_campaign", q, spend)


def readiness_grants(model, q: int) -> None:
    """Grants go to the least-ready active providers first, one grant each per quarter."""
    policy = model.policy
    lever = model.policy.lever("readiness")
    budget = policy.available("readiness", q)
    if budget < lever.grant_rm:
        return
    candidates = sorted((p for p in model.providers if not p.is_platform and p.readiness < 0.95),
                        key=lambda p: (p.readiness, p.unique_id))
    n_grants = int(budget // lever.grant_rm)
    for provider in candidates[:n_grants]:
        gain = lever.readiness_per_rm_million * lever.grant_rm / 1e6
        provider.readiness += gain * (1.0 - provider.readiness)
        provider.grants_rm += lever.grant_rm
        policy.book("readiness", q, lever.grant_rm)


__all__ = ["run", "FIXED_BROADBAND"]
