"""Behavioural tests for sim.metrics (hand-computed cases and properties)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy import stats

from sim import metrics as m

# --------------------------------------------------------------------------- strategies

@st.composite
def weighted_binary_sample(draw, min_size=1):
    """(income x, integer weights w, binary y) of a common length."""
    n = draw(st.integers(min_value=min_size, max_value=25))
    x = np.array(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)), dtype=float)
    w = np.array(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)), dtype=float)
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)), dtype=float)
    return x, w, y


@st.composite
def weighted_bounded_sample(draw):
    """(income x, real weights w, y in [0, 1]) of a common length."""
    n = draw(st.integers(min_value=1, max_value=25))
    x = np.array(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)), dtype=float)
    w = np.array(
        draw(st.lists(st.floats(0.1, 50.0), min_size=n, max_size=n)), dtype=float
    )
    y = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)), dtype=float)
    return x, w, y


# --------------------------------------------------------------------------- weighted_mean


def test_weighted_mean_hand_case():
    y = np.array([1, 0, 1, 0])
    w = np.array([1.0, 1.0, 2.0, 4.0])
    assert m.weighted_mean(y, w) == pytest.approx(3 / 8)
    mask = np.array([True, True, True, False])
    assert m.weighted_mean(y, w, mask) == pytest.approx(3 / 4)


def test_weighted_mean_empty_and_zero_weight_are_nan_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(m.weighted_mean([1.0, 0.0], [1.0, 1.0], np.array([False, False])))
        assert math.isnan(m.weighted_mean([1.0, 0.0], [0.0, 0.0]))
        assert math.isnan(m.weighted_mean(np.array([]), np.array([])))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(y=[[1, 2]], w=[1, 1]), "1-D"),
        (dict(y=[1, 2], w=[1]), "same length"),
        (dict(y=[1, 2], w=[1, -1]), "non-negative"),
        (dict(y=[1, np.nan], w=[1, 1]), "finite"),
        (dict(y=[1, 2], w=[1, 1], mask=[1, 0]), "bool"),
        (dict(y=["a", "b"], w=[1, 1]), "numeric"),
    ],
)
def test_weighted_mean_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        m.weighted_mean(**kwargs)


# --------------------------------------------------------------------------- rate_by_group


def test_rate_by_group_hand_case_and_empty_group_nan_without_warning():
    # group 0 (B40): rows 0,1 -> (1*1 + 0*3)/4 = 0.25 ; group 1 (M40): row 2 -> 1.0 ;
    # group 2 (T20): no rows -> nan
    y = np.array([1, 0, 1])
    w = np.array([1.0, 3.0, 2.0])
    codes = np.array([0, 0, 1], dtype=np.int8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = m.rate_by_group(y, w, codes, ("B40", "M40", "T20"))
    assert list(out) == ["B40", "M40", "T20"]
    assert out["B40"] == pytest.approx(0.25)
    assert out["M40"] == pytest.approx(1.0)
    assert math.isnan(out["T20"])


def test_rate_by_group_bool_codes():
    rural = np.array([False, True, True, False])
    y = np.array([1, 1, 0, 0])
    out = m.rate_by_group(y, np.ones(4), rural, ("urban", "rural"))
    assert out == {"urban": 0.5, "rural": 0.5}


def test_rate_by_group_rejects_out_of_range_and_float_codes():
    with pytest.raises(ValueError, match=r"0\.\.1"):
        m.rate_by_group([1, 0], [1, 1], np.array([0, 2]), ("a", "b"))
    with pytest.raises(ValueError, match="integer or bool"):
        m.rate_by_group([1, 0], [1, 1], np.array([0.0, 1.0]), ("a", "b"))


def test_rate_ratio_and_difference():
    assert m.rate_ratio(0.2, 0.4) == pytest.approx(0.5)
    assert m.rate_difference(0.2, 0.4) == pytest.approx(-0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(m.rate_ratio(0.2, 0.0))
        assert math.isnan(m.rate_ratio(float("nan"), 0.3))
        assert math.isnan(m.rate_ratio(0.3, float("nan")))
        assert math.isnan(m.rate_difference(float("nan"), 0.3))
        assert math.isnan(m.rate_difference(0.3, float("nan")))
    assert m.rate_difference(0.3, 0.0) == pytest.approx(0.3)  # b = 0 is a valid difference


# --------------------------------------------------------------------------- fractional_rank


def test_fractional_rank_hand_case_with_ties_and_weights():
    # x = [5, 1, 5, 3], w = [1, 2, 1, 4], total 8.
    # x=1 (w 2): (0 + 1)/8 = 1/8 ; x=3 (w 4): (2 + 2)/8 = 1/2 ;
    # x=5 tie group (w 1+1): (6 + 1)/8 = 7/8 for both rows.
    r = m.fractional_rank([5, 1, 5, 3], [1, 2, 1, 4])
    assert r.dtype == np.float64
    np.testing.assert_allclose(r, [7 / 8, 1 / 8, 7 / 8, 1 / 2])


def test_fractional_rank_zero_total_weight_is_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(m.fractional_rank([1, 2], [0, 0])).all()


@given(weighted_bounded_sample())
def test_fractional_rank_weighted_mean_half_and_inside_unit_interval(sample):
    x, w, _ = sample
    r = m.fractional_rank(x, w)
    assert np.all((r > 0) & (r < 1))
    assert np.average(r, weights=w) == pytest.approx(0.5)


@given(weighted_bounded_sample(), st.randoms(use_true_random=False))
def test_fractional_rank_invariant_to_row_order(sample, rnd):
    x, w, _ = sample
    perm = np.array(rnd.sample(range(len(x)), len(x)))
    np.testing.assert_allclose(m.fractional_rank(x[perm], w[perm]), m.fractional_rank(x, w)[perm])


@given(weighted_bounded_sample())
def test_fractional_rank_ties_share_rank(sample):
    x, w, _ = sample
    r = m.fractional_rank(x, w)
    for v in np.unique(x):
        assert np.ptp(r[x == v]) == 0.0


# --------------------------------------------------------------------------- concentration index


def test_concentration_index_equal_weights_hand_case():
    # 4 people sorted by income, equal weights: R = [1/8, 3/8, 5/8, 7/8], y = [0,0,1,1].
    # mean y = 1/2; mean yR = (5/8 + 7/8)/4 = 3/8; cov = 3/8 - 1/2 * 1/2 = 1/8;
    # C = 2 * (1/8) / (1/2) = 0.5.
    x = np.array([10.0, 20, 30, 40])
    w = np.ones(4)
    r = m.fractional_rank(x, w)
    np.testing.assert_allclose(r, [1 / 8, 3 / 8, 5 / 8, 7 / 8])
    assert m.concentration_index([0, 0, 1, 1], w, r) == pytest.approx(0.5)
    # mirror image: concentrated among the poor -> sign flips
    assert m.concentration_index([1, 1, 0, 0], w, r) == pytest.approx(-0.5)


def test_concentration_index_unequal_weights_hand_case():
    # x = [1,2,3,4], w = [1,1,2,4] (total 8), y = [0,1,0,1].
    # R = [0.5/8, (1+0.5)/8, (2+1)/8, (4+2)/8] = [1/16, 3/16, 6/16, 12/16]; mean_w R = 1/2.
    # mu = (1 + 4)/8 = 5/8 ; mean_w(yR) = (1*3/16 + 4*12/16)/8 = 51/128 ;
    # cov = 51/128 - (5/8)(1/2) = 11/128 ; C = 2 (11/128) / (5/8) = 11/40 = 0.275.
    # Wagstaff (binary): C / (1 - mu) = (11/40) / (3/8) = 11/15.
    # Erreygers (binary): 4 mu C = 4 (5/8)(11/40) = 11/16.
    x, w, y = np.array([1.0, 2, 3, 4]), np.array([1.0, 1, 2, 4]), np.array([0.0, 1, 0, 1])
    r = m.fractional_rank(x, w)
    np.testing.assert_allclose(r, [1 / 16, 3 / 16, 6 / 16, 12 / 16])
    assert m.concentration_index(y, w, r) == pytest.approx(11 / 40)
    assert m.concentration_index_wagstaff(y, w, r) == pytest.approx(11 / 15)
    assert m.concentration_index_erreygers(y, w, r) == pytest.approx(11 / 16)
    # the same population written out row by row (weight = number of copies)
    xr, yr = np.repeat(x, w.astype(int)), np.repeat(y, w.astype(int))
    rr = m.fractional_rank(xr, np.ones(8))
    assert m.concentration_index(yr, np.ones(8), rr) == pytest.approx(11 / 40)


def test_concentration_index_constant_y_is_zero_and_zero_mean_is_nan():
    w = np.array([1.0, 2, 3])
    r = m.fractional_rank([3, 1, 2], w)
    assert m.concentration_index([0.4, 0.4, 0.4], w, r) == pytest.approx(0.0, abs=1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(m.concentration_index([0, 0, 0], w, r))
        assert math.isnan(m.concentration_index_wagstaff([0, 0, 0], w, r))
        assert math.isnan(m.concentration_index_wagstaff([1, 1, 1], w, r))  # mu at upper bound
        assert m.concentration_index_erreygers([0, 0, 0], w, r) == 0.0
        assert math.isnan(m.concentration_index(np.array([]), np.array([]), np.array([])))


@given(weighted_binary_sample())
def test_weights_behave_like_replication(sample):
    x, w, y = sample
    assume(y.any())
    c_weighted = m.concentration_index(y, w, m.fractional_rank(x, w))
    k = w.astype(int)
    xr, yr = np.repeat(x, k), np.repeat(y, k)
    ones = np.ones(len(xr))
    c_rows = m.concentration_index(yr, ones, m.fractional_rank(xr, ones))
    assert c_weighted == pytest.approx(c_rows, abs=1e-12)
    assert m.concentration_index_wagstaff(y, w, m.fractional_rank(x, w)) == pytest.approx(
        m.concentration_index_wagstaff(yr, ones, m.fractional_rank(xr, ones)), abs=1e-12, nan_ok=True
    )


@given(weighted_binary_sample())
def test_concentration_index_binary_within_unit_bounds(sample):
    x, w, y = sample
    assume(y.any())
    c = m.concentration_index(y, w, m.fractional_rank(x, w))
    assert -1.0 <= c <= 1.0


@given(weighted_bounded_sample())
def test_erreygers_equals_four_mean_times_c(sample):
    x, w, y = sample
    assume(np.average(y, weights=w) > 1e-6)
    r = m.fractional_rank(x, w)
    c = m.concentration_index(y, w, r)
    mu = m.weighted_mean(y, w)
    assert m.concentration_index_erreygers(y, w, r) == pytest.approx(4 * mu * c, abs=1e-10)
    # with general bounds [0, 2]: E = 4 mu / (2 - 0) * C
    assert m.concentration_index_erreygers(y, w, r, 0.0, 2.0) == pytest.approx(
        2 * mu * c, abs=1e-10
    )


@given(weighted_binary_sample())
def test_wagstaff_binary_equals_c_over_one_minus_mean(sample):
    x, w, y = sample
    mu = np.average(y, weights=w)
    assume(0 < mu < 1)
    r = m.fractional_rank(x, w)
    c = m.concentration_index(y, w, r)
    assert m.concentration_index_wagstaff(y, w, r) == pytest.approx(c / (1 - mu), abs=1e-10)


def test_wagstaff_general_bounds_is_shift_invariant():
    # y in [2, 5] and y - 2 in [0, 3] have the same Wagstaff index (it is 2 (b-a) cov /
    # ((b-mu)(mu-a)) ); this checks the general formula, not only the binary special case.
    x = np.array([1.0, 2, 3, 4, 5])
    w = np.array([1.0, 2, 1, 3, 1])
    y = np.array([2.0, 2.5, 3.0, 4.5, 5.0])
    r = m.fractional_rank(x, w)
    c = m.concentration_index(y, w, r)
    mu = m.weighted_mean(y, w)
    expected = c * (5 - 2) * mu / ((5 - mu) * (mu - 2))
    assert m.concentration_index_wagstaff(y, w, r, 2, 5) == pytest.approx(expected)
    assert m.concentration_index_wagstaff(y - 2, w, r, 0, 3) == pytest.approx(expected)


def test_bounded_indices_reject_out_of_bounds_y():
    with pytest.raises(ValueError, match="within"):
        m.concentration_index_wagstaff([0, 2], [1, 1], [0.25, 0.75])
    with pytest.raises(ValueError, match="y_min < y_max"):
        m.concentration_index_erreygers([0, 1], [1, 1], [0.25, 0.75], 1.0, 1.0)


def test_corrected_indices_hand_case_with_ties_and_weights():
    # x = [1, 2, 2, 3], w = [2, 1, 1, 4] (total 8), y = [1, 0, 1, 0].
    # R: x=1 -> (0 + 1)/8 = 1/8; the tie x=2 (weight 2) -> (2 + 1)/8 = 3/8 for both rows;
    # x=3 -> (4 + 2)/8 = 6/8. mu = (2 + 1)/8 = 3/8; mean_w(yR) = (2/8 + 3/8)/8 = 5/64;
    # cov = 5/64 - (3/8)(1/2) = -7/64. C = 2 cov / mu = -7/12; W = C / (1 - mu) = -14/15;
    # E = 4 mu C = 8 cov = -7/8.
    x, w = np.array([1.0, 2, 2, 3]), np.array([2.0, 1, 1, 4])
    r = m.fractional_rank(x, w)
    np.testing.assert_allclose(r, [1 / 8, 3 / 8, 3 / 8, 6 / 8])
    for y in ([1.0, 0, 1, 0], [1.0, 1, 0, 0]):   # which tied row holds the 1 does not matter
        assert m.concentration_index(y, w, r) == pytest.approx(-7 / 12)
        assert m.concentration_index_wagstaff(y, w, r) == pytest.approx(-14 / 15)
        assert m.concentration_index_erreygers(y, w, r) == pytest.approx(-7 / 8)


def test_perfectly_sorted_binary_outcome_reaches_the_bounds():
    # the richest 3 of 8 (equal weights, no ties) take part: every corrected index is at its
    # extreme for that mean (W = 1 whatever the mean; E = 4 mu (1 - mu) = 15/16), C = 1 - mu = 5/8
    w = np.ones(8)
    r = m.fractional_rank(np.arange(8.0), w)
    y = np.array([0, 0, 0, 0, 0, 1, 1, 1.0])
    assert m.concentration_index_wagstaff(y, w, r) == pytest.approx(1.0)
    assert m.concentration_index_wagstaff(y[::-1], w, r) == pytest.approx(-1.0)
    assert m.concentration_index_erreygers(y, w, r) == pytest.approx(15 / 16)
    assert m.concentration_index(y, w, r) == pytest.approx(5 / 8)


@given(weighted_binary_sample())
def test_corrected_indices_of_a_binary_outcome_are_bounded_and_share_the_sign_of_c(sample):
    x, w, y = sample
    mu = np.average(y, weights=w)
    assume(0 < mu < 1)
    r = m.fractional_rank(x, w)
    c, wag, err = (f(y, w, r) for f in (m.concentration_index, m.concentration_index_wagstaff,
                                         m.concentration_index_erreygers))
    assert -1 - 1e-12 <= wag <= 1 + 1e-12 and -1 - 1e-12 <= err <= 1 + 1e-12
    assert np.sign(np.round(wag, 12)) == np.sign(np.round(c, 12)) == np.sign(np.round(err, 12))


@given(weighted_binary_sample())
def test_mirror_properties_of_the_corrected_indices_and_not_of_c(sample):
    # the shortfall 1 - y (not taking part) has minus the inequality of the attainment y under
    # both corrected indices; the standard index instead scales by mu / (1 - mu) (O'Donnell et
    # al. 2008 ch. 8; Erreygers 2009), so it is not invariant to the choice of the two.
    x, w, y = sample
    mu = np.average(y, weights=w)
    assume(0 < mu < 1)
    r = m.fractional_rank(x, w)
    assert m.concentration_index_wagstaff(1 - y, w, r) == pytest.approx(-m.concentration_index_wagstaff(y, w, r),
                                                                        abs=1e-12)
    assert m.concentration_index_erreygers(1 - y, w, r) == pytest.approx(
        -m.concentration_index_erreygers(y, w, r), abs=1e-12)
    assert m.concentration_index(1 - y, w, r) == pytest.approx(-m.concentration_index(y, w, r) * mu / (1 - mu),
                                                               abs=1e-12)


@given(weighted_bounded_sample(), st.floats(0.1, 0.5))
def test_c_is_scale_invariant_and_erreygers_translation_invariant(sample, k):
    # relative versus absolute: scaling y by k leaves C unchanged (and E scaled by k); adding a
    # constant leaves E unchanged (and C divided by the new mean)
    x, w, y = sample
    assume(np.average(y, weights=w) > 1e-3)
    r = m.fractional_rank(x, w)
    c, e = m.concentration_index(y, w, r), m.concentration_index_erreygers(y, w, r)
    assert m.concentration_index(k * y, w, r) == pytest.approx(c, abs=1e-9)
    assert m.concentration_index_erreygers(k * y, w, r) == pytest.approx(k * e, abs=1e-9)
    assert m.concentration_index_erreygers(k * y + 0.25, w, r) == pytest.approx(k * e, abs=1e-9)


def test_standard_index_can_move_opposite_to_both_corrected_indices():
    # two equal halves at ranks 1/4 and 3/4 taking part at rates p (poorer) and q (richer):
    # cov = (q - p)/8, so C = (q - p)/(4 mu), E = q - p, W = C/(1 - mu). From (0.1, 0.3) to
    # (0.2, 0.5) the gap widens (E 0.2 -> 0.3) while the mean rises faster than the gap (C
    # 0.25 -> 0.3/1.4), and W = (q - p)/(4 mu (1 - mu)) rises (0.3125 -> 0.3/0.91).
    def indices(p, q):
        # 10 persons a half: rows (rank, took part) with weights
        rank = np.array([0.25, 0.25, 0.75, 0.75])
        y = np.array([1.0, 0, 1, 0])
        w = np.array([10 * p, 10 * (1 - p), 10 * q, 10 * (1 - q)])
        return (m.concentration_index(y, w, rank), m.concentration_index_wagstaff(y, w, rank),
                m.concentration_index_erreygers(y, w, rank))

    before, after = indices(0.1, 0.3), indices(0.2, 0.5)
    assert before == pytest.approx((0.25, 0.3125, 0.2))
    assert after == pytest.approx((0.3 / 1.4, 0.3 / 0.91, 0.3))
    assert after[0] < before[0] and after[1] > before[1] and after[2] > before[2]


# --------------------------------------------------------------------------- concentration curve


def test_concentration_curve_endpoints_and_hand_points():
    # equal weights, y = [0,0,1,1] by income: poorest half holds nothing, L(0.75) = 0.5.
    w = np.ones(4)
    r = m.fractional_rank([1, 2, 3, 4], w)
    p, L = m.concentration_curve([0, 0, 1, 1], w, r, n_points=5)
    np.testing.assert_allclose(p, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(L, [0, 0, 0, 0.5, 1])


@given(weighted_bounded_sample(), st.integers(2, 60))
def test_concentration_curve_below_diagonal_when_y_rises_with_rank(sample, n_points):
    x, w, _ = sample
    y = x / 6.0  # rises with income, in [0, 1]
    assume((w * y).sum() > 0)
    r = m.fractional_rank(x, w)
    p, L = m.concentration_curve(y, w, r, n_points)
    assert p.shape == L.shape == (n_points,)
    assert L[0] == 0.0 and L[-1] == 1.0
    assert np.all(L <= p + 1e-12)
    assert np.all(np.diff(L) >= -1e-12)


def test_concentration_curve_zero_total_is_nan_and_row_order_irrelevant():
    w = np.array([1.0, 1, 1])
    r = m.fractional_rank([1, 1, 2], w)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, L = m.concentration_curve([0, 0, 0], w, r)
    assert np.isnan(L).all()
    _, L1 = m.concentration_curve([1, 0, 1], w, r, 11)
    _, L2 = m.concentration_curve([0, 1, 1], w, r, 11)  # tied rows swapped
    np.testing.assert_allclose(L1, L2)


# --------------------------------------------------------------------------- SII / RII


def test_sii_rii_on_exact_linear_case():
    # y = 0.1 + 0.4 R exactly: SII = 0.4 ; RII = (0.1 + 0.4) / 0.1 = 5.
    x = np.array([3.0, 1, 4, 2, 5])
    w = np.array([2.0, 1, 3, 1, 2])
    r = m.fractional_rank(x, w)
    y = 0.1 + 0.4 * r
    assert m.slope_index_of_inequality(y, w, r) == pytest.approx(0.4)
    assert m.relative_index_of_inequality(y, w, r) == pytest.approx(5.0)


def test_sii_matches_weighted_least_squares_and_rii_nan_when_intercept_nonpositive():
    rng = np.random.default_rng(0)
    r = rng.uniform(size=50)
    w = rng.uniform(0.5, 3, size=50)
    y = rng.normal(size=50)
    slope = np.polyfit(r, y, 1, w=np.sqrt(w))[0]  # polyfit weights multiply residuals
    assert m.slope_index_of_inequality(y, w, r) == pytest.approx(slope)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # y = -0.1 + R: fitted value at R=0 is negative
        assert math.isnan(m.relative_index_of_inequality(-0.1 + r, w, r))
        # no variation in rank -> slope undefined
        assert math.isnan(m.slope_index_of_inequality([1.0, 2.0], [1, 1], [0.5, 0.5]))
        assert math.isnan(m.relative_index_of_inequality([1.0, 2.0], [1, 1], [0.5, 0.5]))


# --------------------------------------------------------------------------- benefit incidence


def test_benefit_incidence_hand_case():
    # total spend = 100*1 + 50*2 + 0*5 + 200*1 = 400 ; B40 rows (0, 2) get 100 -> 0.25
    spend = np.array([100.0, 50, 0, 200])
    w = np.array([1.0, 2, 5, 1])
    b40 = np.array([True, False, True, False])
    assert m.benefit_incidence(spend, w, b40) == pytest.approx(0.25)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(m.benefit_incidence(np.zeros(4), w, b40))
    with pytest.raises(ValueError, match="non-negative"):
        m.benefit_incidence([-1.0, 1.0], [1, 1], np.array([True, False]))


# --------------------------------------------------------------------------- time units


def test_rate_conversion_hand_values():
    assert m.quarterly_to_annual_rate(0.5) == pytest.approx(1 - 0.5**4)
    assert m.annual_to_quarterly_rate(0.07) == pytest.approx(1 - 0.93**0.25)
    assert m.quarterly_to_annual_rate(0.0) == 0.0 and m.annual_to_quarterly_rate(1.0) == 1.0
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        m.annual_to_quarterly_rate(1.2)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        m.quarterly_to_annual_rate(np.array([0.1, np.nan]))


@given(st.floats(0.0, 1.0))
def test_rate_conversions_invert_each_other(p):
    assert m.quarterly_to_annual_rate(m.annual_to_quarterly_rate(p)) == pytest.approx(p, abs=1e-12)
    # quarterly -> annual -> quarterly is ill-conditioned near 1 ((1-q)**4 vanishes against 1),
    # so it is checked where quarterly rates live
    if p <= 0.9:
        assert m.annual_to_quarterly_rate(m.quarterly_to_annual_rate(p)) == pytest.approx(
            p, rel=1e-12, abs=1e-15
        )


def test_rate_conversions_on_arrays_keep_shape():
    a = np.array([[0.1, 0.2], [0.3, 0.4]])
    out = m.annual_to_quarterly_rate(a)
    assert out.shape == a.shape
    np.testing.assert_allclose(m.quarterly_to_annual_rate(out), a)


def test_discount_factor_hand_values():
    # a year (4 quarters) at 3% is 1/1.03; quarter 0 is not discounted; rate 0 discounts nothing
    assert m.discount_factor(0, 0.03) == 1.0
    assert m.discount_factor(4, 0.03) == pytest.approx(1 / 1.03)
    assert m.discount_factor(6, 0.06) == pytest.approx(1.06 ** -1.5)
    np.testing.assert_allclose(m.discount_factor(np.arange(3), 0.0), [1, 1, 1])
    np.testing.assert_allclose(m.discount_factor(np.array([1, 2]), 0.03), [1.03 ** -0.25, 1.03 ** -0.5])
    with pytest.raises(ValueError, match="annual_rate"):
        m.discount_factor(1, -1.0)
    with pytest.raises(ValueError, match=">= 0"):
        m.discount_factor(np.array([-1]), 0.03)


def test_discounted_sum_hand_case_and_rate_zero_is_the_plain_sum():
    amounts = [100.0, 0, 0, 0, 100.0, 50.0]
    assert m.discounted_sum(amounts, 0.0) == 250.0
    assert m.discounted_sum(amounts, 0.03) == pytest.approx(100 + 100 / 1.03 + 50 * 1.03 ** -1.25)
    assert m.discounted_sum([], 0.03) == 0.0
    assert m.discounted_sum(amounts, 0.06) < m.discounted_sum(amounts, 0.03) < 250.0


# --------------------------------------------------------------------------- replicate summaries


def test_mean_ci_hand_case_against_scipy():
    # values 1..4: mean 2.5, s^2 = 5/3, se = sqrt(5/3)/2, t_{0.975,3} = 3.182446...
    mean, lo, hi = m.mean_ci([1.0, 2.0, 3.0, 4.0])
    se = math.sqrt(5 / 3) / 2
    assert mean == 2.5
    assert hi - mean == pytest.approx(3.182446305284263 * se)
    exp_lo, exp_hi = stats.t.interval(0.95, df=3, loc=2.5, scale=stats.sem([1, 2, 3, 4]))
    assert (lo, hi) == pytest.approx((exp_lo, exp_hi))
    _, lo90, hi90 = m.mean_ci([1.0, 2.0, 3.0, 4.0], level=0.9)
    assert lo < lo90 < hi90 < hi


def test_mean_ci_degenerate_cases():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mean, lo, hi = m.mean_ci([3.0])
        assert mean == 3.0 and math.isnan(lo) and math.isnan(hi)
        assert all(math.isnan(v) for v in m.mean_ci([]))
        assert all(math.isnan(v) for v in m.mean_ci([1.0, float("nan"), 2.0]))
    with pytest.raises(ValueError, match="level"):
        m.mean_ci([1.0, 2.0], level=95)


def test_paired_difference_ci_pairing_shrinks_variance_under_positive_correlation():
    # common random numbers: both runs share the replicate noise, the policy adds ~0.05
    rng = np.random.default_rng(42)
    noise = rng.normal(0.0, 1.0, size=30)
    b = 10 + noise
    a = 10.05 + noise + rng.normal(0.0, 0.1, size=30)
    out = m.paired_difference_ci(a, b)
    d = a - b
    assert out["n"] == 30
    assert out["mean_difference"] == pytest.approx(d.mean())
    assert out["var_paired"] == pytest.approx(np.var(d, ddof=1))
    assert out["var_unpaired"] == pytest.approx(np.var(a, ddof=1) + np.var(b, ddof=1))
    # var(a-b) = var(a) + var(b) - 2 cov(a, b)
    assert out["var_paired"] == pytest.approx(
        out["var_unpaired"] - 2 * np.cov(a, b, ddof=1)[0, 1]
    )
    assert np.corrcoef(a, b)[0, 1] > 0.9
    assert out["var_paired"] < 0.05 * out["var_unpaired"]
    assert out["variance_ratio"] == pytest.approx(out["var_paired"] / out["var_unpaired"])
    exp = stats.t.interval(0.95, df=29, loc=d.mean(), scale=stats.sem(d))
    assert (out["ci_low"], out["ci_high"]) == pytest.approx(exp)
    assert out["se_paired"] == pytest.approx(stats.sem(d))


def test_paired_difference_ci_validation_and_single_pair():
    with pytest.raises(ValueError, match="same length"):
        m.paired_difference_ci([1.0, 2.0], [1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = m.paired_difference_ci([2.0], [1.0])
    assert out["mean_difference"] == 1.0
    assert math.isnan(out["ci_low"]) and math.isnan(out["var_paired"])
