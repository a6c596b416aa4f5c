"""Step 5: idle learners compare a few sampled feasible offers with not enrolling
(random utility, logit); subsidies are rationed by budget and seats by provider capacity,
each in a random priority order; the served enrol.
"""

from __future__ import annotations

import numpy as np

from sim.model import kernels, rules
from sim.model.domain import B40, ONLINE, STATES
from sim.model.policy import by_state
from sim.model.rng import to_gumbel

CHUNK = 1 << 16            # learners per block, bounds the (learners x offers) temporaries
SCREEN_MARGIN = 1e-6       # utility units; covers rounding in the screen's bound
COMPILED = True            # first choices by the compiled kernels (False: the numpy definition)


def run(model, q: int) -> None:
    L = model.learners
    offers = model.offers
    model.state.offer_demand_persons[:] = 0.0
    model.state.offer_enrolled_persons[:] = 0.0
    # Knowing is not intending: every idle learner may choose; not knowing micro-credentials
    # only adds a search cost (rules.learner_taste).
    candidates = np.flatnonzero(L.offer < 0)
    never = ~L.ever_enrolled
    at_risk = {"aware": L.aware & never, "all": never}
    at_risk_persons = {k: model.person_counter.persons(m) for k, m in at_risk.items()}
    if len(candidates) == 0 or not offers.active.any():
        model.state.seat_inflow = model.effective_seats()
        model.state.seat_capacity = rules.open_seat_account(model.state.seat_balance, model.state.seat_inflow,
                                                      model.learners.mean_weight)
        model.state.seat_balance = model.state.seat_capacity.copy()
        _record_hazard(model, at_risk, at_risk_persons)
        return
    first_choices = _first_choices_compiled if COMPILED else _first_choices
    who, offer_k, subsidy, sampled = first_choices(model, candidates, q)

    # Subsidy budget: subsidised choosers in random priority; the unserved choose again
    # knowing they will pay the full fee.
    claim = subsidy > 0
    if claim.any():
        cost = subsidy[claim] * L.weight[who[claim]]
        priority = model.streams["budget_priority"].uniform(who[claim], q)
        served = rules.ration_by_priority(np.zeros(claim.sum(), np.int64), cost, priority,
                                          [model.policy.available("subsidy", q)])
        lost = np.flatnonzero(claim)[~served]
        if len(lost):   # few: the numpy definition
            again, _ = _choose(model, who[lost], _learner_part(model, who[lost]), sampled[lost], q,
                               allow_subsidy=False)
            subsidy[lost] = 0.0
            offer_k[lost] = np.where(again >= 0, sampled[lost, np.maximum(again, 0)], -1)
            keep = offer_k >= 0
            who, offer_k, subsidy = who[keep], offer_k[keep], subsidy[keep]

    # Seats: each offer's new places this quarter (persons), random priority.
    weight = L.weight[who].astype(np.float64)
    np.add.at(model.state.offer_demand_persons, offer_k, weight)
    priority = model.streams["seat_priority"].uniform(who, q)
    model.state.seat_inflow = model.effective_seats()
    model.state.seat_capacity = rules.open_seat_account(model.state.seat_balance, model.state.seat_inflow, model.learners.mean_weight)
    seated = rules.ration_by_priority(offer_k, weight, priority, model.state.seat_capacity, overshoot=True)
    who, offer_k, subsidy, weight = who[seated], offer_k[seated], subsidy[seated], weight[seated]
    np.add.at(model.state.offer_enrolled_persons, offer_k, weight)
    model.state.seat_balance = model.state.seat_capacity - model.state.offer_enrolled_persons
    _enrol(model, who, offer_k, subsidy, weight, q)
    _record_hazard(model, at_risk, at_risk_persons)


def _first_choices(model, candidates: np.ndarray, q: int):
    """Each candidate's choice with subsidies on offer: ``(who, offer, subsidy RM per person,
    sampled offers)`` of those who chose an offer, in candidate order. The numpy definition;
    :func:`_first_choices_compiled` computes the same to the bit."""
    part = _learner_part(model, candidates)      # once: the screen and the choice share it
    keep = _may_enrol(model, candidates, part, q)
    candidates, part = candidates[keep], _rows(part, keep)
    sampled = _sample_offers(model, candidates, q)
    choice = np.full(len(candidates), -1, dtype=np.int64)
    subsidy = np.zeros(len(candidates))
    for start in range(0, len(candidates), CHUNK):
        block = slice(start, start + CHUNK)
        choice[block], subsidy[block] = _choose(model, candidates[block], _rows(part, block), sampled[block], q,
                                                allow_subsidy=True)
    chose = choice >= 0
    return candidates[chose], sampled[chose, choice[chose]], subsidy[chose], sampled[chose]


def kernel_parameters(model, q: int) -> np.ndarray:
    """The float parameter vector of the choice kernels (layout: the P_ names of sim.model.kernels)."""
    beh, offers, policy = model.cfg.behaviour, model.offers, model.policy
    par = np.zeros(kernels.N_PARAMETERS)
    names = {kernels.P_ASC: "asc_enrol", kernels.P_PROPENSITY_SD: "propensity_sd",
             kernels.P_AGE: "taste_age_per_decade", kernels.P_PRIOR: "taste_prior_completion",
             kernels.P_UNAWARE: "unaware_penalty", kernels.P_SPONSOR_PUSH: "sponsor_push",
             kernels.P_LIQ_B40: "liquidity_share_b40", kernels.P_LIQ_OTHER: "liquidity_share_other",
             kernels.P_MONEY_WEIGHT: "money_weight", kernels.P_PRESENT_BIAS: "present_bias",
             kernels.P_RENT_SHARE: "rent_share", kernels.P_QUALIFICATION_GAIN: "qualification_wage_gain",
             kernels.P_GAMMA_PEER: "gamma_peer", kernels.P_THETA_TIME: "theta_time",
             kernels.P_THETA_ONLINE: "theta_online", kernels.P_THETA_TRAVEL: "theta_travel_rural",
             kernels.P_THETA_CREDIT: "theta_credit", kernels.P_DROP_BASE: "dropout_base",
             kernels.P_DROP_FREE: "dropout_free_self_paced", kernels.P_DROP_ONLINE_MOBILE: "dropout_online_mobile",
             kernels.P_DROP_LOW_SKILL: "dropout_low_skill", kernels.P_DROP_WORKING: "dropout_working",
             kernels.P_DROP_READINESS: "dropout_readiness", kernels.P_DROP_LATER: "dropout_later_factor"}
    for index, name in names.items():
        par[index] = beh[name]
    par[kernels.P_CREDITS_PER_QUALIFICATION] = policy.lever("recognition").credits_per_qualification
    par[kernels.P_STACKABLE_SHARE] = model.state.stackable_share
    par[kernels.P_LEAVE_SHARE] = policy.study_leave_share(q)
    lever = policy.lever("subsidy")
    par[kernels.P_SUBSIDY_ON] = float(policy.active("subsidy", q))
    par[kernels.P_ACCREDITED_ONLY] = float(bool(lever.accredited_only))
    par[kernels.P_SUBSIDY_RATE], par[kernels.P_SUBSIDY_CAP] = lever.rate, lever.cap_rm
    screen = _screen_bounds(model)
    par[kernels.P_SCREEN] = float(screen is not None)
    par[kernels.P_BEST_GAIN], par[kernels.P_BEST_STACK] = screen if screen is not None else (0.0, 0.0)
    par[kernels.P_MARGIN] = SCREEN_MARGIN
    return par


def _offer_pools(offers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The offers each state's learners sample from (online offers, then the state's own
    offers in person or blended: as _sample_offers), as one array with start and size per state."""
    online_pool = np.flatnonzero(offers.active & (offers.mode == ONLINE))
    pools = [np.concatenate([online_pool, np.flatnonzero(offers.active & (offers.mode != ONLINE)
                                                         & (offers.home_state == s))])
             for s in range(len(STATES))]
    size = np.array([len(p) for p in pools], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
    return np.concatenate(pools).astype(np.int64), start, size


def _first_choices_compiled(model, candidates: np.ndarray, q: int):
    """:func:`_first_choices` by the compiled kernels (sim.model.kernels), block by block:
    the same numbers, with numpy's log and exp between the passes."""
    k = model.cfg.behaviour.offers_sampled
    setting = (kernel_parameters(model, q), *_offer_pools(model.offers))
    parts = []
    for start in range(0, len(candidates), CHUNK):
        ids = np.ascontiguousarray(candidates[start:start + CHUNK], dtype=np.int64)
        keep, sampled, choice, subsidy, _, _ = compiled_block(model, ids, q, setting)
        chose = np.flatnonzero(keep & (choice >= 0))
        parts.append((ids[chose], sampled[chose, choice[chose]], subsidy[chose], sampled[chose]))
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros((0, k), np.int64)
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(4))


def compiled_block(model, ids: np.ndarray, q: int, setting=None):
    """One block of candidates ``ids`` (int64) through the kernels: ``(keep, sampled, choice,
    subsidy, rows kept, totals)``, totals (kept, K + 1) being the utility plus Gumbel error
    of not enrolling and of each sampled offer (what the logit choice compares)."""
    L, offers, beh, state = model.learners, model.offers, model.cfg.behaviour, model.state
    par, pool, pool_start, pool_size = setting if setting is not None else (kernel_parameters(model, q),
                                                                            *_offer_pools(offers))
    k, n = beh.offers_sampled, len(ids)
    u = kernels.choice_uniforms(ids, q, model.streams["choice"]._key, np.empty((n, k + 1)))
    best_u = u[:, 1].copy()
    for j in range(2, k + 1):
        np.maximum(best_u, u[:, j], out=best_u)
    headroom = to_gumbel(u[:, 0]) - to_gumbel(best_u)          # as _may_enrol
    money_scale = rules.money_scale(L.household_income_rm[ids], beh.money_income_elasticity)
    keep = np.zeros(n, dtype=bool)
    sampled = np.full((n, k), -1, dtype=np.int64)
    z = np.zeros((n, k))
    taste, ref_wage, pv, liquidity, income = (np.zeros(n) for _ in range(5))
    working = np.zeros(n, dtype=bool)
    kernels.choice_screen(ids, headroom, money_scale, par, q, model.streams["offer_sampling"]._key, k,
                          L.education, np.ascontiguousarray(model.education_taste, dtype=np.float64),
                          model.pv_table, L.learning_propensity, L.age, L.completions, L.aware,
                          state.sponsored_now, L.labour, L.wage_rm, L.potential_wage_rm, L.income_group,
                          L.household_income_rm, L.state, L.connectivity, L.digital_skill,
                          pool, pool_start, pool_size, offers.free_self_paced, offers.mode, offers.readiness,
                          keep, sampled, z, taste, working, ref_wage, pv, liquidity, income)
    rows = np.flatnonzero(keep)
    h1 = 1.0 / (1.0 + np.exp(-z[rows]))          # rules.dropout_hazard's logistic
    gumbel = to_gumbel(u[rows])
    choice = np.full(n, -1, dtype=np.int64)
    subsidy = np.zeros(n)
    totals = np.empty((len(rows), k + 1))
    kernels.choice_utilities(rows, ids, sampled, h1, gumbel, taste, working, ref_wage, pv, liquidity, income,
                             money_scale, par, True, state.sponsored_now, model.masks["subsidy_target"],
                             L.subsidy_rm, L.connectivity, L.computer, L.digital_skill, state.community_access,
                             L.rural, L.employer, L.state, L.sector, model.peers, L.ever_enrolled,
                             state.trust_accredited, state.trust_other, offers.fee_rm, offers.mode,
                             offers.accredited, offers.stackable_draw, offers.duration_q, offers.credits,
                             offers.wage_gain, choice, subsidy, totals)
    return keep, sampled, choice, subsidy, rows, totals


def _record_hazard(model, at_risk: dict, at_risk_persons: dict) -> None:
    """Quarterly hazard of a first enrolment: share of those who had never enrolled at the
    start of the quarter (all, and the aware among them) who enrolled for the first time."""
    L = model.learners
    model.state.first_enrolment_hazard = {
        k: (model.person_counter.persons(mask & L.ever_enrolled) / at_risk_persons[k]
            if at_risk_persons[k] > 0 else float("nan"))
        for k, mask in at_risk.items()}


def _learner_part(model, ids: np.ndarray) -> dict:
    """What the utility of every offer shares for learners ``ids``: taste (learner_taste),
    reference wage, whether they work, the present value of a gain (months; counted to 65),
    monthly household income, liquidity share and money scale. Arrays of shape (n,)."""
    L, beh = model.learners, model.cfg.behaviour
    working, ref_wage = _reference_wage(L, ids)
    taste = rules.learner_taste(beh, model.education_taste[L.education[ids]],
                                beh.propensity_sd * L.learning_propensity[ids].astype(np.float64),
                                L.age[ids], L.completions[ids] > 0, L.aware[ids])
    liquidity = np.where(L.income_group[ids] == B40, beh.liquidity_share_b40, beh.liquidity_share_other)
    return {"taste": taste + beh.sponsor_push * model.state.sponsored_now[ids], "working": working,
            "ref_wage": ref_wage, "pv_months": rules.learner_present_value(model.pv_table, L.age[ids]),
            "income": L.household_income_rm[ids].astype(np.float64), "liquidity": liquidity,
            "money_scale": rules.money_scale(L.household_income_rm[ids], beh.money_income_elasticity)}


def _rows(part: dict, index) -> dict:
    """The learner part (:func:`_learner_part`) of the rows ``index`` (mask, slice or positions)."""
    return {name: values[index] for name, values in part.items()}


def _may_enrol(model, ids: np.ndarray, part: dict, q: int) -> np.ndarray:
    """Mask of learners ``ids`` whose choice this quarter is not certainly "do not enrol".

    The logit choice picks the outside option when its Gumbel error beats every offer's
    utility plus error. Each offer's utility is at most an upper bound computed per learner
    without sampling offers (best wage gain on the market, certain completion and
    recognition, the largest stacking step, no fee, credit or time cost, full peer share), and
    the best offer error is the Gumbel of the largest of the offer uniforms. A learner whose
    outside error beats bound + best error (with a margin for rounding) would choose not to
    enrol in the full computation too, so only the rest are evaluated: same choices, far
    less work.
    """
    offers, beh = model.offers, model.cfg.behaviour
    screen = _screen_bounds(model)
    if screen is None:
        return np.ones(len(ids), dtype=bool)   # the bound's sign assumptions do not hold
    best_gain, best_stack = screen
    eps = model.streams["choice"]
    k = beh.offers_sampled
    best_u = eps.uniform(ids, q, 1)
    for j in range(2, k + 1):
        np.maximum(best_u, eps.uniform(ids, q, j), out=best_u)
    headroom = eps.gumbel(ids, q, 0) - to_gumbel(best_u)
    benefit = (rules.credential_benefit(beh, part["pv_months"], best_gain, part["ref_wage"], 1.0, 1.0)
               + rules.stacking_benefit(beh, part["pv_months"], best_stack,
                                        model.policy.lever("recognition").credits_per_qualification,
                                        part["ref_wage"], 1.0))
    bound = (part["taste"] + beh.money_weight * benefit / part["money_scale"] + max(0.0, beh.gamma_peer))
    return headroom <= bound + SCREEN_MARGIN


def _screen_bounds(model):
    """(best wage gain, largest stacking step in credits) on the market for the screen, or
    None when the screen's sign assumptions do not hold (then every candidate is evaluated)."""
    offers, beh = model.offers, model.cfg.behaviour
    if not (beh.money_weight >= 0 and beh.theta_time >= 0 and beh.theta_online >= 0 and beh.theta_credit >= 0
            and beh.present_bias >= 0 and beh.rent_share >= 0 and beh.qualification_wage_gain >= 0
            and float(offers.wage_gain[offers.active].min()) >= 0):
        return None
    active = offers.active
    return float(offers.wage_gain[active].max()), float(offers.credits[active & offers.accredited].max(initial=0.0))


def _reference_wage(L, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether learners ``ids`` work, and the monthly wage (RM) a credential would raise:
    their own when working, else their potential wage (halved outside the labour force)."""
    return rules.working_and_reference_wage(L.labour[ids], L.wage_rm[ids], L.potential_wage_rm[ids])


def _sample_offers(model, candidates: np.ndarray, q: int) -> np.ndarray:
    """Offer ids, (n, K): each learner draws K offers from those it can reach (online offers
    and offers of providers in its own state), uniformly with replacement."""
    L, offers = model.learners, model.offers
    k = model.cfg.behaviour.offers_sampled
    sampled = np.full((len(candidates), k), -1, dtype=np.int64)
    states = L.state[candidates]
    online_pool = np.flatnonzero(offers.active & (offers.mode == ONLINE))
    stream = model.streams["offer_sampling"]
    for s in np.unique(states):
        rows = np.flatnonzero(states == s)
        local = np.flatnonzero(offers.active & (offers.mode != ONLINE) & (offers.home_state == s))
        pool = np.concatenate([online_pool, local])
        if len(pool) == 0:
            continue
        for j in range(k):
            u = stream.uniform(candidates[rows], q, j)
            sampled[rows, j] = pool[np.minimum((u * len(pool)).astype(np.int64), len(pool) - 1)]
    return sampled


def _choose(model, ids: np.ndarray, part: dict, sampled: np.ndarray, q: int, allow_subsidy: bool):
    """Logit choice for learners ``ids`` (their :func:`_learner_part` is ``part``) among their
    ``sampled`` offers.
    Returns (column chosen or -1, subsidy RM per person for the chosen offer)."""
    utility, subsidy = _utilities(model, ids, part, sampled, q, allow_subsidy)
    eps = model.streams["choice"]
    gumbel = np.stack([eps.gumbel(ids, q, j) for j in range(sampled.shape[1] + 1)], axis=1)
    choice = rules.logit_choice(utility, gumbel)
    chosen_subsidy = np.where(choice >= 0, subsidy[np.arange(len(ids)), np.maximum(choice, 0)], 0.0)
    return choice, chosen_subsidy


def _utilities(model, ids: np.ndarray, part: dict, sampled: np.ndarray, q: int, allow_subsidy: bool):
    """Systematic utility of each sampled offer (-inf when infeasible) and its subsidy (RM per
    person), both (learners, offers)."""
    L, offers, beh = model.learners, model.offers, model.cfg.behaviour
    valid = sampled >= 0
    k_idx = np.maximum(sampled, 0)
    fee = offers.fee_rm[k_idx]
    online = offers.mode[k_idx] == ONLINE
    accredited = offers.accredited[k_idx]
    sponsored = model.state.sponsored_now[ids][:, None]
    subsidy = np.zeros_like(fee)
    if allow_subsidy and model.policy.active("subsidy", q):
        lever = model.policy.lever("subsidy")
        eligible = model.masks["subsidy_target"][ids][:, None] & ~sponsored
        if lever.accredited_only:
            eligible = eligible & accredited
        room = np.maximum(0.0, lever.cap_rm - L.subsidy_rm[ids].astype(np.float64))[:, None]
        subsidy = np.where(eligible, rules.subsidy_rm(lever.rate, fee, room), 0.0)
    net_fee = np.where(sponsored, 0.0, fee - subsidy)

    income, ref_wage, working = part["income"][:, None], part["ref_wage"][:, None], part["working"][:, None]
    pv_months = part["pv_months"][:, None]
    mobile_only = (L.connectivity[ids] == 1)[:, None]
    skill = L.digital_skill[ids].astype(np.float64)[:, None]
    community = model.state.community_access[ids]
    access = rules.digital_access(L.connectivity[ids], L.computer[ids], L.digital_skill[ids], community)[:, None]
    can_go_online = ((L.connectivity[ids] > 0) | community)[:, None]
    feasible = valid & (~online | can_go_online)

    h1 = rules.dropout_hazard(beh, offers.free_self_paced[k_idx], online, mobile_only, skill,
                              working, offers.readiness[k_idx])
    p_complete = rules.expected_completion(h1, beh.dropout_later_factor, offers.duration_q[k_idx])
    recognition = model.learner_trust(ids, accredited)
    credits = offers.credits[k_idx]
    stackable = accredited & (offers.stackable_draw[k_idx] < model.state.stackable_share)
    benefit = rules.course_benefit(beh, pv_months, offers.wage_gain[k_idx], ref_wage, p_complete, recognition,
                                   stackable, credits, model.policy.lever("recognition").credits_per_qualification)
    # Paid study leave: the paid share of a working learner's hours costs them no time.
    time_cost = (rules.study_time_cost(beh, credits, ref_wage, working)
                 * (1.0 - model.policy.study_leave_share(q) * working))
    travel = rules.travel_burden(L.rural[ids][:, None], offers.mode[k_idx])
    utility = rules.offer_utility(
        beh,
        taste=part["taste"][:, None],
        net_benefit_rm=benefit - net_fee - time_cost,
        money_scale_rm=part["money_scale"][:, None],
        credit=rules.credit_cost(beh.theta_credit, net_fee, part["liquidity"][:, None], income),
        online=online,
        access=access,
        travel=travel,
        peer_share=rules.peer_share(model.peers[ids], L.ever_enrolled)[:, None],
    )
    return np.where(feasible, utility, -np.inf), subsidy


def _enrol(model, who, offer_k, subsidy, weight, q: int) -> None:
    L, offers, policy = model.learners, model.offers, model.policy
    L.offer[who] = offer_k
    L.quarters_left[who] = offers.duration_q[offer_k]
    L.enrolled_quarter[who] = q
    L.first_enrolled_quarter[who] = np.where(L.ever_enrolled[who], L.first_enrolled_quarter[who], q)
    L.ever_enrolled[who] = True
    L.aware[who] = True          # enrolling in one, they know micro-credentials now
    L.enrolments[who] = np.minimum(L.enrolments[who] + 1, 127)
    L.online_enrolments[who] = np.minimum(L.online_enrolments[who] + (offers.mode[offer_k] == ONLINE), 127)
    L.current_subsidy_rm[who] = subsidy
    L.subsidy_rm[who] += subsidy.astype(np.float32)
    L.ever_subsidised[who] |= subsidy > 0
    sponsored = model.state.sponsored_now[who]
    L.sponsored[who] = sponsored
    L.enrolled_connectivity[who] = L.connectivity[who]
    fee = offers.fee_rm[offer_k]
    model.state.levy_trainees_by_firm_size += np.bincount(L.firm_size[who[sponsored]], weights=weight[sponsored],
                                                    minlength=len(model.state.levy_trainees_by_firm_size))
    policy.book("subsidy", q, float(np.sum(subsidy * weight)))
    leave = policy.study_leave_share(q)
    if leave > 0:   # employers are reimbursed the paid share of working enrollees' study hours
        working, ref_wage = _reference_wage(L, who)
        hours_rm = ref_wage / rules.WORK_HOURS_PER_MONTH * offers.credits[offer_k] * rules.HOURS_PER_CREDIT
        paid = leave * working * hours_rm * weight
        policy.book("study_leave", q, float(np.sum(paid)), by_state(L.state[who], paid))
    policy.levy_spend[q] += float(np.sum(np.where(sponsored, fee, 0.0) * weight))
    policy.out_of_pocket[q] += float(np.sum(np.where(sponsored, 0.0, fee - subsidy) * weight))
