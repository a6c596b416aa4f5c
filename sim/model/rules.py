"""The model's behavioural rules as pure functions over arrays.

Every rule takes arrays (one entry per learner, or learners x offers) and returns arrays;
none holds state or draws random numbers itself (uniforms come in as arguments). The fast
model applies them to whole populations and the per-agent reference model to one agent at a
time, so both compute the same model by construction.
"""

from __future__ import annotations

import numpy as np

from sim.model.domain import BLENDED, FORMAL, IN_PERSON, INFORMAL, OUTSIDE

# --------------------------------------------------------------------------- awareness


def awareness_probability(p_quarter, q_quarter, campaign_effect, campaign_intensity, peer_share):
    """Bass hazard of becoming aware this quarter: min(1, p + a * campaign + q * peer share).

    ``peer_share`` is the share of a learner's peers who have ever enrolled (0-1).
    """
    return np.minimum(1.0, p_quarter + campaign_effect * campaign_intensity + q_quarter * peer_share)


def peer_share(peers: np.ndarray, indicator: np.ndarray) -> np.ndarray:
    """Share of each learner's peers (rows of ``peers``, shape (n, degree)) with the indicator."""
    return indicator[peers].mean(axis=1, dtype=np.float32)


# --------------------------------------------------------------------------- choice


def present_value_factor(discount_rate_annual: float, horizon_years: float, ramp_quarters: int) -> float:
    """Months-weighted present value of 1 RM/month of wage gain that ramps in linearly over
    ``ramp_quarters`` and lasts ``horizon_years``: sum over quarters of 3 months x ramp x
    discount. Unit: months."""
    return float(present_value_table(discount_rate_annual, horizon_years, ramp_quarters)[-1])


def present_value_table(discount_rate_annual: float, horizon_years: float, ramp_quarters: int) -> np.ndarray:
    """:func:`present_value_factor` for every horizon of 0, 1, ... 4 x ``horizon_years``
    quarters (index = quarters counted). A learner counts a gain only until 65, so the
    horizon shrinks with age: look up ``table[min(quarters to 65, len - 1)]``. Unit: months."""
    quarters = np.arange(1, int(round(horizon_years * 4)) + 1)
    ramp = np.minimum(1.0, quarters / max(ramp_quarters, 1))
    discount = (1.0 + discount_rate_annual) ** (-quarters / 4.0)
    return np.concatenate([[0.0], np.cumsum(3.0 * ramp * discount)])


def learner_present_value(table: np.ndarray, age_years) -> np.ndarray:
    """Months-weighted present value (see :func:`present_value_table`) of a gain counted from
    now until the learner's 65th birthday or the table's horizon, whichever comes first."""
    quarters_left = np.clip(4 * (65 - np.asarray(age_years, dtype=np.int64)), 0, len(table) - 1)
    return table[quarters_left]


def expected_completion(h1, later_factor, duration_quarters):
    """Probability of completing a course of ``duration_quarters`` quarters when the first
    quarter's dropout hazard is ``h1`` and later quarters' is ``later_factor * h1``."""
    h_later = np.minimum(1.0, later_factor * h1)
    return (1.0 - h1) * (1.0 - h_later) ** (np.asarray(duration_quarters) - 1)


def dropout_hazard(beh, free_self_paced, online, mobile_only, digital_skill, working, readiness):
    """First-quarter dropout hazard (probability), a logistic function of course, learner and
    provider: front-loaded, higher for free self-paced courses, online study on mobile-only
    connections and low digital skill, and for people working; lower with provider readiness.
    Arguments broadcast (learners x offers)."""
    z = (
        beh.dropout_base
        + beh.dropout_free_self_paced * free_self_paced
        + beh.dropout_online_mobile * (online & mobile_only)
        + beh.dropout_low_skill * online * (1.0 - digital_skill)
        + beh.dropout_working * working
        - beh.dropout_readiness * readiness
    )
    return 1.0 / (1.0 + np.exp(-z))


def digital_access(connectivity, computer, digital_skill, community_access):
    """Effective access to online study, 0-1: the connection tier and device, scaled by skill.

    None = 0 (community access centres give 0.5), mobile + phone 0.35, mobile + computer 0.6,
    fixed + phone 0.6, fixed + computer 1.0; times (0.5 + 0.5 * digital skill).
    """
    base = np.select(
        [connectivity == 2, connectivity == 1],
        [np.where(computer, 1.0, 0.6), np.where(computer, 0.6, 0.35)],
        default=0.0,
    )
    base = np.maximum(base, 0.5 * community_access)
    return base * (0.5 + 0.5 * digital_skill)


HOURS_PER_CREDIT = 40.0    # MQA: 40 notional learning hours = 1 credit
WORK_HOURS_PER_MONTH = 173.0


def working_and_reference_wage(labour, wage_rm, potential_wage_rm):
    """From labour status codes (``sim.model.domain.LABOUR``): whether each person works (formal or
    informal), and :func:`reference_wage`."""
    labour = np.asarray(labour)
    working = (labour == FORMAL) | (labour == INFORMAL)
    return working, reference_wage(working, labour == OUTSIDE, wage_rm, potential_wage_rm)


def reference_wage(working, outside, wage_rm, potential_wage_rm):
    """Monthly wage (RM) a credential would raise: own wage when working, else the potential
    wage, halved for people outside the labour force."""
    ref = np.where(working, wage_rm, potential_wage_rm).astype(np.float64)
    return np.where(outside, 0.5 * ref, ref)


def subsidy_rm(rate, fee_rm, room_rm):
    """Subsidy on a fee: ``rate`` of the fee, at most the learner's remaining cap (RM)."""
    return np.minimum(rate * fee_rm, room_rm)


def credential_benefit(beh, pv_months, wage_gain, ref_wage, p_complete, recognition):
    """Perceived value (RM) of a course: present-biased present value of the wage gain it
    brings if completed and recognised (gain x rent share x reference wage)."""
    return (beh.present_bias * pv_months * wage_gain * ref_wage
            * beh.rent_share * p_complete * recognition)


def stacking_benefit(beh, pv_months, credits, credits_per_qualification, ref_wage, p_complete):
    """Perceived value (RM) of a stackable course's step towards an MQF award: the award's wage
    gain (recognised for certain: it is a qualification) pro rata to the credits it adds."""
    share = np.minimum(1.0, np.asarray(credits, dtype=np.float64) / credits_per_qualification)
    return beh.present_bias * pv_months * beh.qualification_wage_gain * ref_wage * share * p_complete


MEDIAN_HOUSEHOLD_INCOME_RM = 6338.0   # DOSM Household Income Survey 2022, RM per month


def money_scale(household_income_rm, income_elasticity):
    """RM that one unit of the money term stands for (RM per utility / money_weight): the
    household's monthly income to the power ``income_elasticity``, normalised at the national
    median. 1 = money counts relative to the household's income; 0 = a ringgit weighs the same
    for everyone (the credit constraint, :func:`credit_cost`, still scales with income)."""
    relative = np.asarray(household_income_rm, dtype=np.float64) / MEDIAN_HOUSEHOLD_INCOME_RM
    return MEDIAN_HOUSEHOLD_INCOME_RM * relative ** income_elasticity


def course_benefit(beh, pv_months, wage_gain, ref_wage, p_complete, recognition, stackable, credits,
                   credits_per_qualification):
    """Perceived value (RM) of a course: its credential's wage gain (:func:`credential_benefit`)
    plus, for a stackable offer, its step towards an MQF award (:func:`stacking_benefit`)."""
    return (credential_benefit(beh, pv_months, wage_gain, ref_wage, p_complete, recognition)
            + np.where(stackable, stacking_benefit(beh, pv_months, credits, credits_per_qualification,
                                                   ref_wage, p_complete), 0.0))


def travel_burden(rural, mode):
    """Travel a course asks of a learner: 1 for a rural learner's in-person offer, 0.5 for
    blended, 0 otherwise (online, or urban)."""
    return np.asarray(rural, dtype=np.float64) * np.select([mode == IN_PERSON, mode == BLENDED], [1.0, 0.5],
                                                           default=0.0)


def credit_cost(theta_credit, net_fee_rm, liquidity_share, household_income_rm):
    """Utility cost of paying ``net_fee_rm`` out of pocket: rises smoothly (quadratically) with
    the fee's share of monthly household income, ``theta_credit`` at one ``liquidity_share``
    of income. No cliff: a dear course is unattractive, not impossible."""
    burden = np.maximum(net_fee_rm, 0.0) / (liquidity_share * household_income_rm)
    return theta_credit * burden * burden


def learner_taste(beh, education_taste, propensity, age_years, completed_before, aware):
    """The learner's own part of the utility of enrolling, whatever the offer: the enrolment
    constant, education, the lasting propensity to learn, age, prior learning, and the search
    cost of not knowing micro-credentials (knowing is not intending: a small term)."""
    return (beh.asc_enrol + education_taste + propensity
            + beh.taste_age_per_decade * (np.asarray(age_years, dtype=np.float64) - 40.0) / 10.0
            + beh.taste_prior_completion * completed_before
            - beh.unaware_penalty * ~np.asarray(aware, dtype=bool))


def study_time_cost(beh, credits, ref_wage, working):
    """Opportunity cost (RM) of a course's study hours: the wage per hour (30% of it for
    people not working), times the time weight."""
    value_of_time = ref_wage / WORK_HOURS_PER_MONTH * np.where(working, 1.0, 0.3)
    return beh.theta_time * credits * HOURS_PER_CREDIT * value_of_time


def offer_utility(
    beh,
    *,
    taste,
    net_benefit_rm,
    money_scale_rm,
    credit,
    online,
    access,
    travel,
    peer_share,
):
    """Systematic utility of each sampled offer relative to not enrolling (utility 0).
    (An employer's sponsorship offer, ``sponsor_push``, is part of the learner's taste.)

    U = taste (see :func:`learner_taste`) + money_weight * net benefit / money scale (:func:`money_scale`)
        - credit cost - theta_online * [online] * (1 - access) - theta_travel * travel
        + gamma * peer share.
    ``travel`` is 1 for a rural learner's in-person offer, 0.5 for blended, else 0.
    ``net_benefit_rm`` is already beta * PV(wage gain * P(complete) * recognition) plus the
    value of stacking, minus the net fee and the opportunity cost of time (RM); ``credit`` is
    :func:`credit_cost`. Shapes broadcast to (learners, offers).
    """
    return (
        taste
        + beh.money_weight * net_benefit_rm / money_scale_rm
        - credit
        - beh.theta_online * online * (1.0 - access)
        - beh.theta_travel_rural * travel
        + beh.gamma_peer * peer_share
    )


def ramped_wage_gain(gain_rm, target_rm, step_rm):
    """Wage gain after one more quarter of a linear ramp towards ``target_rm`` (RM/month) by
    ``step_rm`` a quarter: the target itself once the gap is within one step (so rounding
    never leaves a sliver that keeps a stale step alive), at least RM 1 a quarter otherwise."""
    gap = target_rm - gain_rm
    return np.where(gap <= step_rm * (1 + 1e-4), target_rm, gain_rm + np.maximum(step_rm, np.minimum(gap, 1.0)))


def logit_choice(utility: np.ndarray, gumbel: np.ndarray) -> np.ndarray:
    """Random-utility choice among offers and an outside option of utility 0.

    ``utility`` (n, K) with -inf for infeasible offers; ``gumbel`` (n, K + 1) standard Gumbel
    errors, column 0 for the outside option. Returns the chosen column 0..K-1, or -1 for
    not enrolling. Equivalent to drawing from the multinomial-logit shares (see
    :func:`logit_shares`)."""
    total = np.concatenate([gumbel[:, :1], utility + gumbel[:, 1:]], axis=1)
    return np.argmax(total, axis=1) - 1


def logit_shares(utility: np.ndarray) -> np.ndarray:
    """Closed-form multinomial-logit probabilities, (n, K + 1), column 0 the outside option."""
    full = np.concatenate([np.zeros((utility.shape[0], 1)), utility], axis=1)
    full = full - full.max(axis=1, keepdims=True)
    e = np.exp(full)
    return e / e.sum(axis=1, keepdims=True)


# --------------------------------------------------------------------------- rationing


def ration_by_priority(group: np.ndarray, amount: np.ndarray, priority: np.ndarray, capacity,
                       overshoot: bool = False) -> np.ndarray:
    """Allocate a limited resource in random priority order within each group.

    ``group`` (n,) integer group (offer, or 0 for a single budget); ``amount`` (n,) what each
    claimant uses (persons for seats, RM for a budget); ``priority`` (n,) random keys, lower
    served first; ``capacity`` per group (array indexed by group). By default a claimant is
    served when everything served before it in its group, plus its own amount, fits the
    capacity, so the capacity is never exceeded. With ``overshoot`` a claimant is served
    while what was served before it is below the capacity, so the last one served may exceed
    it by less than its own amount (used with :func:`open_seat_account`, which pays that
    back). Returns a boolean mask of served claimants.
    """
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((priority, group))
    g = group[order]
    a = amount[order].astype(np.float64)
    cum = np.cumsum(a)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    before_group = np.repeat(np.r_[0.0, cum][starts], np.diff(np.r_[starts, n]))
    within = cum - before_group
    cap = np.asarray(capacity, dtype=np.float64)[g]
    if overshoot:
        served_sorted = within - a < cap * (1 - 1e-12)
    else:
        served_sorted = within <= cap * (1 + 1e-12)
    served = np.empty(n, dtype=bool)
    served[order] = served_sorted
    return served


def open_seat_account(balance: np.ndarray, seats: np.ndarray, agent_weight: float) -> np.ndarray:
    """Seats available this quarter per offer (persons): last quarter's balance plus this
    quarter's seats, capped at one quarter's seats or one agent's weight, whichever is larger.

    Why an account: each agent stands for ``agent_weight`` persons, so when an offer's seats
    are fewer than one agent's persons a hard per-quarter limit would admit nobody, and
    results would depend on the resolution rather than the market. The account lets unused
    seats build up to one agent, and an admission that overshoots (``ration_by_priority(...,
    overshoot=True)``) is paid back from later quarters. Over any run an offer admits at most
    its seats plus one agent; at one agent per person it is the plain per-quarter limit.
    """
    return np.minimum(balance + seats, np.maximum(seats, agent_weight))


# --------------------------------------------------------------------------- employer trust


def beta_update(alpha, beta, successes, failures, forgetting):
    """Beta reputation with forgetting: alpha <- lambda * alpha + s, beta <- lambda * beta + f."""
    return forgetting * alpha + successes, forgetting * beta + failures


def trust(alpha, beta):
    """Mean of the Beta belief: alpha / (alpha + beta)."""
    return alpha / (alpha + beta)
