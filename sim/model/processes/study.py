"""Step 6: study. Enrolled learners drop out with a front-loaded hazard or progress; on
finishing they earn the credential and its credits, and credits from stackable accredited
offers add up to MQF qualifications."""

from __future__ import annotations

import numpy as np

from sim.model import rules
from sim.model.domain import FORMAL, INFORMAL, MOBILE_ONLY, ONLINE


def run(model, q: int) -> np.ndarray:
    """Advance every enrolment by a quarter; returns the ids of this quarter's completers."""
    L, offers, beh = model.learners, model.offers, model.cfg.behaviour
    idx = np.flatnonzero(L.offer >= 0)
    model.state.new_completers = np.zeros(0, dtype=np.int64)
    model.state.new_qualification_holders = np.zeros(0, dtype=np.int64)
    model.state.new_qualification_counts = np.zeros(0)
    if len(idx) == 0:
        return model.state.new_completers
    k = L.offer[idx].astype(np.int64)
    online = offers.mode[k] == ONLINE
    working = (L.labour[idx] == FORMAL) | (L.labour[idx] == INFORMAL)
    h1 = rules.dropout_hazard(beh, offers.free_self_paced[k], online,
                              L.connectivity[idx] == MOBILE_ONLY, L.digital_skill[idx].astype(np.float64),
                              working, offers.readiness[k])
    first = L.enrolled_quarter[idx] == q
    hazard = np.where(first, h1, np.minimum(1.0, beh.dropout_later_factor * h1))
    dropped = model.streams["dropout"].uniform(idx, q) < hazard
    _tally(model, idx[dropped], k[dropped], completed=False)
    L.offer[idx[dropped]] = -1
    L.quarters_left[idx[dropped]] = 0

    going = idx[~dropped]
    L.quarters_left[going] -= 1
    done = going[L.quarters_left[going] <= 0]
    kd = L.offer[done].astype(np.int64)
    _tally(model, done, kd, completed=True)
    L.offer[done] = -1
    L.first_completed_quarter[done] = np.where(L.completions[done] > 0, L.first_completed_quarter[done], q)
    L.completions[done] = np.minimum(L.completions[done] + 1, 127)
    L.credentials[done] = np.minimum(L.credentials[done] + 1, 127)
    L.credits[done] += offers.credits[kd]
    accredited = offers.accredited[kd]
    L.accredited_credentials[done] = np.minimum(L.accredited_credentials[done] + accredited, 127)
    stackable = accredited & (offers.stackable_draw[kd] < model.state.stackable_share)
    L.stackable_credits[done] += np.where(stackable, offers.credits[kd], 0.0).astype(np.float32)
    per_qualification = model.policy.lever("recognition").credits_per_qualification
    before = L.qualifications[done].copy()
    L.qualifications[done] = np.floor(L.stackable_credits[done] / per_qualification).astype(L.qualifications.dtype)
    awarded = L.qualifications[done] > before
    model.state.new_qualification_holders = done[awarded]
    model.state.new_qualification_counts = (L.qualifications[done] - before)[awarded].astype(np.float64)
    model.state.new_completers = done
    model.state.new_completer_offers = kd
    return done


def _tally(model, who: np.ndarray, k: np.ndarray, completed: bool) -> None:
    """Accumulate finished enrolments (persons) by course type and by the connectivity tier
    of online learners, for completion-rate outcomes."""
    if len(who) == 0:
        return
    offers, L = model.offers, model.learners
    w = L.weight[who].astype(np.float64)
    col = 1 if completed else 0
    course = model.course_type(k)
    np.add.at(model.state.course_outcomes, (course, col), w)
    paid = ~offers.free_self_paced[k]
    np.add.at(model.state.paid_outcomes_by_accreditation, (offers.accredited[k][paid].astype(np.int64), col), w[paid])
    online = offers.mode[k] == ONLINE
    tier = L.enrolled_connectivity[who[online]].astype(np.int64)
    np.add.at(model.state.online_outcomes_by_tier, (tier, np.full(len(tier), col)), w[online])
