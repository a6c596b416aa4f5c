"""Analytic checks of the behavioural rules (sim.model.rules) against closed forms."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.model import rules
from sim.model.rng import Streams


def _se(p: float, n: int) -> float:
    return float(np.sqrt(p * (1 - p) / n))


def test_awareness_on_complete_graph_follows_discrete_bass_curve():
    # On a complete graph every learner's peer share is the population share, so the share
    # aware follows F' = F + (1 - F)(p + q F) (discrete Bass), up to sampling noise.
    n, p, q, quarters = 200_000, 0.01, 0.12, 24
    stream = Streams(7).keyed("awareness")
    ids = np.arange(n)
    aware = np.zeros(n, dtype=bool)
    f = 0.0
    for t in range(quarters):
        share = aware.mean()
        hazard = rules.awareness_probability(p, q, 0.0, 0.0, np.full(n, share))
        aware |= stream.uniform(ids, t) < hazard
        f = f + (1 - f) * (p + q * f)
        # Noise accumulates through the feedback; 6 binomial SEs bounds it comfortably at n = 2e5.
        assert abs(aware.mean() - f) < 6 * _se(f, n) + 1e-9, (t, aware.mean(), f)
    assert 0.5 < f < 1.0  # the curve went through its S-shape


def test_peer_share_on_complete_graph_equals_share_of_others():
    n = 50
    peers = np.array([[j for j in range(n) if j != i] for i in range(n)], dtype=np.int32)
    enrolled = np.zeros(n, dtype=bool)
    enrolled[:10] = True
    share = rules.peer_share(peers, enrolled)
    assert np.allclose(share[:10], 9 / 49)
    assert np.allclose(share[10:], 10 / 49)


def test_logit_choice_frequencies_match_closed_form_shares():
    n = 200_000
    utility = np.tile(np.array([[0.5, -1.0, 0.0]]), (n, 1))
    stream = Streams(3).keyed("choice")
    ids = np.arange(n)
    gumbel = np.stack([stream.gumbel(ids, 0, j) for j in range(4)], axis=1)
    chosen = rules.logit_choice(utility, gumbel)
    shares = rules.logit_shares(utility[:1])[0]
    for column, expected in enumerate(shares):
        observed = np.mean(chosen == column - 1)
        assert abs(observed - expected) < 4 * _se(expected, n), (column, observed, expected)


def test_infeasible_offers_are_never_chosen():
    utility = np.array([[-np.inf, 2.0], [-np.inf, -np.inf]])
    gumbel = Streams(1).keyed("x").gumbel(np.arange(6), 0).reshape(2, 3)
    chosen = rules.logit_choice(utility, gumbel)
    assert chosen[0] in (-1, 1)
    assert chosen[1] == -1


def test_beta_update_without_forgetting_adds_counts():
    a, b = 6.0, 4.0
    for s, f in [(3, 1), (0, 2), (5, 5)]:
        a, b = rules.beta_update(a, b, s, f, 1.0)
    assert (a, b) == (14.0, 12.0)
    assert rules.trust(a, b) == 14 / 26


def test_beta_update_with_forgetting_converges_to_observed_success_rate():
    # With forgetting lambda and s successes, f failures each quarter, alpha -> s/(1-lambda).
    a, b, lam = 6.0, 4.0, 0.9
    for _ in range(400):
        a, b = rules.beta_update(a, b, 1.0, 3.0, lam)
    assert np.isclose(a, 1.0 / (1 - lam)) and np.isclose(b, 3.0 / (1 - lam))
    assert np.isclose(rules.trust(a, b), 0.25)


@given(st.lists(st.tuples(st.integers(0, 3), st.floats(0.1, 5.0)), min_size=1, max_size=60),
       st.lists(st.floats(0.0, 20.0), min_size=4, max_size=4), st.integers(0, 10_000))
def test_rationing_never_exceeds_capacity_and_serves_in_priority_order(claims, capacity, seed):
    group = np.array([g for g, _ in claims])
    amount = np.array([a for _, a in claims])
    priority = np.random.default_rng(seed).random(len(claims))
    served = rules.ration_by_priority(group, amount, priority, np.array(capacity))
    for g in range(4):
        in_group = group == g
        assert amount[in_group & served].sum() <= capacity[g] + 1e-9
        # Everyone served in a group comes before (in priority) the first one refused.
        refused = in_group & ~served
        if refused.any() and (in_group & served).any():
            first_refused = priority[refused].min()
            before = in_group & (priority < first_refused)
            assert served[before].all()


def test_expected_completion_of_two_quarter_course():
    assert np.isclose(rules.expected_completion(0.2, 0.5, 2), 0.8 * 0.9)
    assert np.isclose(rules.expected_completion(0.2, 0.5, 1), 0.8)


# --------------------------------------------------------------------------- new behavioural core
@given(st.floats(0.1, 0.5), st.floats(500, 20_000), st.floats(0.1, 3.0))
def test_credit_cost_is_smooth_increasing_and_has_no_cliff(share, income, theta):
    fees = np.linspace(0.0, 3.0 * share * income, 301)
    cost = rules.credit_cost(theta, fees, share, income)
    assert np.all(np.isfinite(cost))                      # a dear course is unattractive, not impossible
    assert cost[0] == 0.0 and np.all(np.diff(cost) > 0)
    # quadratic in the fee's share of income: theta at one liquidity share, 4 theta at two
    assert np.isclose(rules.credit_cost(theta, share * income, share, income), theta)
    assert np.isclose(rules.credit_cost(theta, 2 * share * income, share, income), 4 * theta)
    # no jump: the largest step is the last one, 2 * theta * (3 / 300) * 3 (derivative bound)
    assert np.max(np.diff(cost)) <= 2 * theta * 3.0 * (3.0 / 300) + 1e-12


def test_present_value_counts_a_gain_only_until_65():
    table = rules.present_value_table(0.05, 5.0, 10)
    assert table[0] == 0.0 and np.all(np.diff(table) > 0) and len(table) == 21
    assert np.isclose(table[-1], rules.present_value_factor(0.05, 5.0, 10))
    pv = rules.learner_present_value(table, np.array([30, 60, 63, 64, 65]))
    assert pv[0] == pv[1] == table[-1]                    # five years left or more: the full horizon
    assert pv[2] == table[8] and pv[3] == table[4] and pv[4] == 0.0
    # linear ramp: the first quarter's gain is 1/ramp of the full monthly gain, 3 months, discounted
    assert np.isclose(table[1], 3.0 * 0.1 * 1.05 ** -0.25)


def test_stacking_benefit_is_pro_rata_and_capped_at_one_award():
    class Beh:
        present_bias, qualification_wage_gain = 0.8, 0.05
    one = rules.stacking_benefit(Beh, 100.0, 2.0, 20.0, 3000.0, 0.9)
    assert np.isclose(one, 0.8 * 100 * 0.05 * 3000 * 0.1 * 0.9)
    assert np.isclose(rules.stacking_benefit(Beh, 100.0, 4.0, 20.0, 3000.0, 0.9), 2 * one)
    assert np.isclose(rules.stacking_benefit(Beh, 100.0, 40.0, 20.0, 3000.0, 0.9), 10 * one)


def test_learner_taste_unaware_pay_only_a_search_cost():
    class Beh:
        asc_enrol, taste_age_per_decade, taste_prior_completion, unaware_penalty = -5.0, -0.2, 0.5, 0.3
    taste = rules.learner_taste(Beh, np.array([0.0, 0.0, 0.0]), np.array([1.0, 1.0, 1.0]),
                                np.array([40, 40, 60]), np.array([False, True, False]),
                                np.array([True, True, False]))
    assert np.allclose(taste, [-4.0, -3.5, -4.0 - 0.4 - 0.3])


def test_wage_ramp_reaches_its_target_in_exactly_ramp_quarters_despite_rounding():
    """Linear ramp: gain/ramp a quarter, reaching the target in ``ramp`` quarters even when the
    float32 steps do not add up to it exactly (they fall short about a quarter of the time)."""
    rng = np.random.default_rng(3)
    target = rng.uniform(10, 500, 10_000).astype(np.float32)   # steps >= RM 1 (the rule's floor)
    ramp = 10
    step = target / np.float32(ramp)
    gain = np.zeros_like(target)
    for quarter in range(1, ramp + 1):
        gain = rules.ramped_wage_gain(gain, target, step).astype(np.float32)
        if quarter < ramp:
            np.testing.assert_allclose(gain, quarter * step, rtol=1e-4)
    assert np.array_equal(gain, target)
