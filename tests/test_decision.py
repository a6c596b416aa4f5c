"""The decision analysis (sim.analysis.decision) against answers computed by hand, and its
report section (sim.report.decision_section).

Known-answer case: theta ~ U(0, 1) by Latin hypercube over D draws; option A's effect is
a + b * theta (plus optional seed noise), option B's is constant, costs fixed. At willingness
to pay w, NB_A = alpha + beta * theta with alpha = w a - c_A, beta = w b; NB_B = w e_B - c_B;
doing nothing has NB 0. Everything about the decision then follows in closed form.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.stats import chi2, norm, qmc

from sim.analysis import decision as dc
from sim.report import html, markdown
from sim.report.decision_section import (FIGURES, MINOR_SHARE, decision_figures, decision_section,
                                         draw_decision_figures)

A_EFFECT, B_SLOPE, COST_A = 1_000.0, 4_000.0, 2.0e7       # persons, persons, RM
EFFECT_B, COST_B = 2_500.0, 2.0e7                          # NB_B = 0 exactly at w = RM 8,000 (a tie)
REF = 10_000.0                                             # RM per additional B40 completer


def two_options(draws: int, seeds: int, sigma: float = 0.0, seed: int = 3, baseline: bool = False):
    """cells and parameters of the known-answer case; psi is an irrelevant parameter."""
    unit = qmc.LatinHypercube(d=2, seed=seed).random(draws)
    theta = np.repeat(unit[:, 0], seeds)
    rng = np.random.default_rng(seed + 100)
    ids = {"draw": np.repeat(np.arange(draws), seeds), "seed": np.tile(np.arange(seeds), draws)}
    frames = [pd.DataFrame({"option": "A", **ids, "effect": A_EFFECT + B_SLOPE * theta
                            + sigma * rng.standard_normal(theta.size), "cost": COST_A}),
              pd.DataFrame({"option": "B", **ids, "effect": EFFECT_B, "cost": COST_B})]
    if baseline:
        frames.insert(0, pd.DataFrame({"option": "baseline", **ids, "effect": 0.0, "cost": 0.0}))
    params = pd.DataFrame({"draw": np.arange(draws), "theta": unit[:, 0], "psi": unit[:, 1]})
    return pd.concat(frames, ignore_index=True), params


BASIS = {"theta": "calibrated", "psi": "assumption"}


def analytic_evppi(w: float) -> float:
    """EVPPI of theta (= EVPI without seed noise): E max(m, alpha + beta theta) - max(m, alpha + beta / 2)."""
    alpha, beta, m = w * A_EFFECT - COST_A, w * B_SLOPE, max(0.0, w * EFFECT_B - COST_B)
    return _ev_line(alpha, beta, m)


def _ev_line(alpha: float, beta: float, m: float) -> float:
    t = float(np.clip((m - alpha) / beta, 0, 1)) if beta > 0 else (0.0 if alpha > m else 1.0)
    return m * t + alpha * (1 - t) + beta * (1 - t ** 2) / 2 - max(m, alpha + beta / 2)


def analytic_ceac(w: float) -> dict[str, float]:
    nb_b = w * EFFECT_B - COST_B
    m = max(0.0, nb_b)
    p_a = 0.0 if w == 0 else 1 - float(np.clip((m + COST_A - w * A_EFFECT) / (w * B_SLOPE), 0, 1))
    rest = 1 - p_a
    p_b = rest if nb_b > 0 else rest / 2 if nb_b == 0 else 0.0
    return {"baseline": rest - p_b, "A": p_a, "B": p_b}


# --------------------------------------------------------------------------- acceptability curves
def test_ceac_without_noise_matches_the_hand_computation_at_every_wtp():
    draws = 200
    cells, _ = two_options(draws, seeds=2)
    c = dc.ceac(cells)
    assert sorted(set(c.wtp_rm)) == list(np.linspace(0, 30_000, 61))
    for w, at in c.groupby("wtp_rm"):
        p = at.set_index("option").probability_best
        assert p.sum() == pytest.approx(1.0)
        # one theta per stratum of width 1/D: the share of draws above any threshold is within
        # 1/D of its probability (both seeds of a draw share theta, so shares move in steps of 1/D)
        for option, expected in analytic_ceac(w).items():
            assert abs(p[option] - expected) <= 1 / draws + 1e-12, (w, option, p[option], expected)
        # frontier: largest expected NB; the LHS mean of theta is within 1/(2D) of 1/2
        expected_nb = {"baseline": 0.0, "A": w * (A_EFFECT + B_SLOPE / 2) - COST_A, "B": w * EFFECT_B - COST_B}
        best, second = sorted(expected_nb.values(), reverse=True)[:2]
        if best - second > w * B_SLOPE / (2 * draws):
            assert at[at.on_frontier].option.tolist() == [max(expected_nb, key=expected_nb.get)]
    tie = c[c.wtp_rm == 8_000].set_index("option").probability_best     # B and doing nothing tie at NB 0
    assert tie["B"] == tie["baseline"] > 0


def test_ceac_with_seed_noise_matches_the_integral_within_its_sampling_error():
    draws, seeds, sigma = 400, 4, 500.0
    cells, _ = two_options(draws, seeds, sigma)
    c = dc.ceac(cells, [6_000.0, REF, 20_000.0]).set_index(["wtp_rm", "option"]).probability_best
    for w in (6_000.0, REF, 20_000.0):
        m = max(0.0, w * EFFECT_B - COST_B)
        q = lambda th: norm.sf(((m + COST_A) / w - A_EFFECT - B_SLOPE * th) / sigma)  # noqa: E731  P(A best | theta)
        p = integrate.quad(q, 0, 1)[0]
        # share over D draws of the mean of S Bernoulli(q(theta)): variance at most
        # [Var q(theta) + E q(1 - q) / S] / D (iid draws; Latin hypercube only lowers it)
        var_q = integrate.quad(lambda th: q(th) ** 2, 0, 1)[0] - p ** 2
        within = integrate.quad(lambda th: q(th) * (1 - q(th)), 0, 1)[0]
        se = np.sqrt((var_q + within / seeds) / draws)
        assert abs(c[(w, "A")] - p) <= 4 * se, (w, c[(w, "A")], p, se)


# --------------------------------------------------------------------------- value of information
def test_evppi_without_noise_matches_the_hand_computation_and_equals_evpi():
    draws = 200
    cells, params = two_options(draws, seeds=2)
    beta = REF * B_SLOPE
    nb, names = dc.net_benefit(cells, REF)
    assert names == ["baseline", "A", "B"] and np.all(nb[:, 0] == 0)
    theta = np.repeat(params.theta.to_numpy(), 2)
    value, method = dc.evppi(nb, theta)
    # the smoother recovers the exact line: the estimate equals the oracle on this very sample
    alpha, m = REF * A_EFFECT - COST_A, REF * EFFECT_B - COST_B
    oracle = np.maximum(m, alpha + beta * theta).mean() - max(0.0, m, alpha + beta * theta.mean())
    assert method == "spline" and value == pytest.approx(oracle, rel=1e-6)
    # against the integral: the stratified mean of a monotone function lies within its range / D,
    # and the mean of theta within 1 / (2D) of 1/2, so the error is below 1.5 beta / D
    truth = analytic_evppi(REF)
    assert truth == pytest.approx(2_812_500.0)    # by hand: theta* = 3/8, 5e6 * 3/8 + (-1e7) 5/8 + 2e7 (55/64) - 1e7
    assert abs(value - truth) <= 1.5 * beta / draws
    assert dc.evpi(nb) == pytest.approx(value, rel=1e-6)       # theta is the only uncertainty
    assert dc.evppi(nb, np.repeat(params.psi.to_numpy(), 2))[0] <= 1e-6 * value


def test_evppi_with_seed_noise_within_the_error_of_the_regression():
    draws, seeds, sigma = 400, 4, 500.0
    cells, params = two_options(draws, seeds, sigma)
    tables = dc.decision_tables(cells, params, {"theta": ["theta"], "psi": ["psi"], "both": ["theta", "psi"]},
                                BASIS, reference_wtp=REF, shuffles=0)   # no noise levels: 400-draw splines are slow
    assert tables["evppi"].shuffled_max_rm.isna().all()
    v = tables["evppi"].set_index("group")
    truth = analytic_evppi(REF)
    beta, sd_mean = REF * B_SLOPE, REF * sigma / np.sqrt(seeds)   # NB slope; sd of a draw's mean NB (RM)
    mu = REF * (A_EFFECT + B_SLOPE / 2) - COST_A
    m = REF * EFFECT_B - COST_B

    def ev(mean, slope):
        return _ev_line(mean - slope / 2, slope, m)

    # For a line fitted to D draw means with noise sd_mean, the mean and slope estimates are
    # independent with variances sd^2 / D and 12 sd^2 / D (theta uniform); delta method:
    h = 1e3
    g_mu, g_beta = (ev(mu + h, beta) - ev(mu - h, beta)) / (2 * h), (ev(mu, beta + h) - ev(mu, beta - h)) / (2 * h)
    se = np.sqrt((g_mu ** 2 + 12 * g_beta ** 2) * sd_mean ** 2 / draws)
    for group in ("theta", "both"):
        assert abs(v.loc[group, "evppi_rm"] - truth) <= 4 * se + 1.5 * beta / draws, (group, v.loc[group], truth, se)
    assert v.loc["theta", "method"] == "spline" and v.loc["both", "method"] == "additive spline"
    # psi is irrelevant: its fitted line's slope has sd sqrt(12 / D) times the sd of NB around its
    # mean (theta acts as noise); at 4 sd the line's EVPPI is below this (0 when it never reaches m)
    slope = 4 * np.sqrt(12 / draws) * np.sqrt(beta ** 2 / 12 + sd_mean ** 2)
    assert v.loc["psi", "evppi_rm"] <= ev(mu, slope) + 1e-6 * truth
    evpi = v.evpi_rm.iloc[0]
    assert v.loc["theta", "evppi_rm"] < evpi        # seed noise adds value no parameter can resolve
    np.testing.assert_allclose(v.share_of_evpi, v.evppi_rm / evpi)


def test_evppi_guards_small_samples():
    rng = np.random.default_rng(1)
    x = np.repeat([2.0, 3.0, 4.0, 5.0], 10)              # an integer parameter: four distinct values
    nb = np.column_stack([np.zeros(40), 1e6 * (x - 3.4) + rng.normal(0, 1e5, 40)])
    value, method = dc.evppi(nb, x)
    assert method == dc.RIDGE_LINEAR and 0 < value <= dc.evpi(nb)
    few = rng.uniform(size=(6, 5))                       # 6 draws of 5 parameters that fix NB exactly:
    nb = np.column_stack([np.zeros(6), few.sum(axis=1) - 2.5])   # the ridge fit still finds all of EVPI
    value, method = dc.evppi(nb, few)
    assert method == dc.RIDGE and value == pytest.approx(dc.evpi(nb), rel=1e-3)
    flat = np.column_stack([np.zeros(30), np.full(30, 5.0)])   # an option better in every cell: no value
    assert dc.evppi(flat, rng.uniform(size=30)) == (0.0, "none (EVPI 0)") and dc.evpi(flat) == 0.0


# --------------------------------------------------------------------------- variance split
def test_variance_split_by_hand():
    # draws {0: 1, 3; 1: 5, 7}: MSW = 4 / 2 = 2, MSB = 2 (4 + 4) / 1 = 16, n0 = 2 -> var_parameters = 7
    s = dc.variance_split([1, 3, 5, 7], draw=[0, 0, 1, 1], seed=[1, 2, 1, 2])
    assert (s["var_seeds"], s["var_parameters"], s["share_parameters"], s["mean"]) == (2.0, 7.0, 7 / 9, 4.0)
    assert (s["interval_low"], s["interval_high"]) == tuple(np.percentile([1, 3, 5, 7], [2.5, 97.5]))
    clipped = dc.variance_split([1, 5, 2, 4], draw=[0, 0, 1, 1])   # equal draw means: MSB = 0 < MSW
    assert clipped["var_parameters"] == 0.0 and clipped["share_seeds"] == 1.0
    assert np.isnan(dc.variance_split([1, 2, 3], draw=[0, 1, 2])["share_parameters"])   # one seed per draw


def test_variance_split_recovers_known_components_of_an_unbalanced_design():
    rng = np.random.default_rng(11)
    a, sb2, sw2 = 300, 4.0, 1.0
    n_i = rng.integers(2, 7, size=a)                     # 2-6 seeds per draw
    draw = np.repeat(np.arange(a), n_i)
    y = 10 + np.repeat(rng.normal(0, np.sqrt(sb2), a), n_i) + rng.normal(0, np.sqrt(sw2), draw.size)
    s = dc.variance_split(y, draw)
    n = draw.size
    n0 = (n - (n_i ** 2).sum() / n) / (a - 1)
    # sampling variances of the ANOVA estimators (balanced formulas at n0; Searle, Casella & McCulloch 1992)
    se_w = np.sqrt(2 * sw2 ** 2 / (n - a))
    se_b = np.sqrt(2 / n0 ** 2 * ((n0 * sb2 + sw2) ** 2 / (a - 1) + sw2 ** 2 / (n - a)))
    assert abs(s["var_seeds"] - sw2) <= 4 * se_w
    assert abs(s["var_parameters"] - sb2) <= 4 * se_b
    assert s["share_parameters"] + s["share_seeds"] == pytest.approx(1.0)


# --------------------------------------------------------------------------- ranks
def test_rank_probabilities_split_ties_evenly():
    cells = pd.DataFrame({"option": list("ABC") * 3, "draw": [0] * 3 + [1] * 3 + [2] * 3, "seed": 0,
                          "effect": [5, 5, 1,   1, 2, 3,   4, 4, 4], "cost": 0.0})
    r = dc.rank_probabilities(cells).pivot(index="option", columns="rank", values="probability")
    # cell 1: A, B share ranks 1-2, C 3rd; cell 2: C, B, A; cell 3: all three tied (1/3 each rank)
    third = 1 / 3
    expected = {"A": [(0.5 + third) / 3, (0.5 + third) / 3, (1 + third) / 3],
                "B": [(0.5 + third) / 3, (0.5 + 1 + third) / 3, third / 3],
                "C": [(1 + third) / 3, third / 3, (1 + third) / 3]}
    for option, probs in expected.items():
        np.testing.assert_allclose(r.loc[option].to_numpy(), probs)
    np.testing.assert_allclose(r.sum(axis=0), 1.0)
    assert dc.probability_best(cells).to_dict() == pytest.approx({o: p[0] for o, p in expected.items()})


# --------------------------------------------------------------------------- influential parameters
def test_top_parameters_ranks_the_parameters_that_drive_each_effect():
    rng = np.random.default_rng(4)
    draws = 60
    x = qmc.LatinHypercube(d=3, seed=2).random(draws)
    ids = {"draw": np.repeat(np.arange(draws), 2), "seed": np.tile([0, 1], draws)}
    effect_a = np.repeat(10 * x[:, 0] + 3 * x[:, 1], 2) + rng.normal(0, 0.1, 2 * draws)
    effect_b = np.repeat(-5 * x[:, 2], 2)
    cells = pd.concat([pd.DataFrame({"option": "A", **ids, "effect": effect_a, "cost": 1.0}),
                       pd.DataFrame({"option": "B", **ids, "effect": effect_b, "cost": 1.0})])
    params = pd.DataFrame(x, columns=["p1", "p2", "p3"])
    basis = {"p1": "calibrated", "p2": "assumption", "p3": "assumption"}
    t = dc.top_parameters(cells, params, basis, k=2)
    a, b = t[t.option == "A"], t[t.option == "B"]
    assert a.parameter.tolist() == ["p1", "p2"] and a.basis.tolist() == ["calibrated", "assumption"]
    assert (a.coefficient > 0).all() and a.method.iloc[0] == "SRRC"
    assert b.parameter.iloc[0] == "p3" and b.coefficient.iloc[0] < -0.99
    few = dc.top_parameters(cells[cells.draw < 5], params.iloc[:5], basis, k=1)   # 5 draws, 3 parameters
    assert few.method.tolist() == ["Spearman", "Spearman"] and few.parameter.iloc[0] == "p1"


# --------------------------------------------------------------------------- all tables, bad input
def test_decision_tables_are_deterministic_and_the_baseline_rows_are_optional():
    cells, params = two_options(40, 2, sigma=300.0)
    with_base, _ = two_options(40, 2, sigma=300.0, baseline=True)
    one = dc.decision_tables(cells, params, None, BASIS)
    # row order does not matter (options keep their order of first appearance)
    shuffled = cells.sample(frac=1, random_state=0).sort_values("option", kind="stable")
    again = dc.decision_tables(shuffled, params.iloc[::-1], None, BASIS)
    base = dc.decision_tables(with_base, params.set_index("draw"), None, BASIS)
    assert set(one) == {"psa_intervals", "variance_split", "rank_probabilities", "ceac", "evppi", "evppi_parameters",
                        "top_parameters"}
    for name in one:
        pd.testing.assert_frame_equal(one[name], again[name])
        pd.testing.assert_frame_equal(one[name], base[name])
    assert one["evppi"].group.tolist()[0] == "theta"        # default groups: each parameter alone
    assert set(one["psa_intervals"].outcome) == {"effect", "cost", "net_benefit"}


def _bad(cells, params):
    return [
        (lambda: dc.decision_tables(cells.iloc[:0], params, None, BASIS), "cells is empty"),
        (lambda: dc.decision_tables(cells.drop(columns="cost"), params, None, BASIS), "lacks column"),
        (lambda: dc.decision_tables(pd.concat([cells, cells.iloc[:1]]), params, None, BASIS), "more than one row"),
        (lambda: dc.decision_tables(cells.iloc[1:], params, None, BASIS), "every option must run in every cell"),
        (lambda: dc.decision_tables(cells.assign(draw=cells.draw + 0.5), params, None, BASIS), "integers"),
        (lambda: dc.decision_tables(cells.assign(effect=np.nan), params, None, BASIS), "missing or infinite"),
        (lambda: dc.decision_tables(pd.concat([cells, cells[cells.option == "A"].assign(option="baseline")]),
                                    params, None, BASIS), "effect 0 and cost 0"),
        (lambda: dc.decision_tables(cells, params.iloc[1:], None, BASIS), "no row for draw"),
        (lambda: dc.decision_tables(cells, params, {"g": ["nope"]}, BASIS), "not a column of parameters"),
        (lambda: dc.decision_tables(cells, params, {"g": []}, BASIS), "is empty"),
        (lambda: dc.decision_tables(cells, params, None, {"theta": "guess", "psi": "assumption"}), "expected one of"),
        (lambda: dc.decision_tables(cells, params, None, BASIS, wtp_grid=[-1.0]), "wtp_grid"),
        (lambda: dc.decision_tables(cells, params, None, BASIS, reference_wtp=float("nan")), "reference_wtp"),
        (lambda: dc.variance_split([], []), "non-empty"),
    ]


@pytest.mark.parametrize("case", range(14))
def test_bad_input_raises_one_clear_line(case):
    cells, params = two_options(10, 2)
    call, match = _bad(cells, params)[case]
    with pytest.raises(ValueError, match=match) as info:
        call()
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------- the report section
META = {"scenarios": ["baseline", "A", "B"], "n_agents": 2000, "persons_per_agent": 10_000, "replicates": 80,
        "draws": 40, "seeds_per_draw": 2, "seeds": list(range(1, 81)), "code_version": "test"}


@pytest.fixture(scope="module")
def small_tables():
    cells, params = two_options(40, 2, sigma=300.0)
    return dc.decision_tables(cells, params, {"theta": ["theta"], "psi": ["psi"]}, BASIS)


def test_section_renders_with_sentences_from_the_tables(small_tables, tmp_path):
    blocks = decision_section(small_tables, META)
    assert blocks[0] == ("h2", "Decisions under uncertainty")
    titles = dict(draw_decision_figures(small_tables, META, tmp_path))
    assert list(titles) == list(FIGURES)
    for name in FIGURES:
        for fmt in ("png", "svg", "pdf"):
            assert (tmp_path / "figures" / f"{name}.{fmt}").stat().st_size > 1000
    text = markdown.render(blocks, titles)
    assert "![Cost-effectiveness acceptability" in text and "figures/value_of_information.png" in text
    best = small_tables["rank_probabilities"].query("rank == 1").set_index("option").probability
    # replicates in meta are the runs per scenario: 40 draws x 2 seeds, not "40 draws with 80 seeds each"
    assert "simulated under 40 parameter draws x 2 seeds per draw (80 runs, each a joint sample" in text
    assert f"adds the most B40 completers in {100 * best.max():.0f}% of the 80 runs" in text
    v = small_tables["evppi"].iloc[0]
    assert f"the decision is {v.group} (RM {v.evppi_rm / 1e6:,.1f} million, {100 * v.share_of_evpi:.0f}% of EVPI)" in text
    top = small_tables["top_parameters"].iloc[0]
    assert (top.option, top.parameter) == ("A", "theta")      # A's effect moves with theta alone
    assert f"| A | theta (calibrated, {top.coefficient:+.2f}) |" in text
    assert "For every option, the parameter its B40 gain is most sensitive to is calibrated." in text
    page = html.render(blocks, titles, tmp_path / "figures")
    assert page.count("data:image/png;base64,") == len(FIGURES)


def test_no_section_or_figures_without_the_tables():
    assert decision_section({}, META) == [] and decision_figures({}, META) == []


def test_an_option_dominated_in_every_cell_changes_no_value_of_information():
    cells, params = two_options(60, 2, sigma=300.0)
    nb, _ = dc.net_benefit(cells, REF)
    x = np.repeat(params.theta.to_numpy(), 2)
    worse = np.column_stack([nb, nb[:, 1] - 1e6])          # A minus RM 1 million in every cell
    assert dc.evppi(worse, x) == dc.evppi(nb, x) and dc.evpi(worse) == dc.evpi(nb)


# --------------------------------------------------------------------------- few draws, many parameters
def ten_and_ten(draws: int = 20, seeds: int = 2, sigma: float = 30.0, seed: int = 7):
    """The known-answer case with 20 parameters: theta (column 0) drives option A, z1-z9 and
    psi1-psi10 do nothing; seed noise sigma (persons) on A's effect."""
    unit = qmc.LatinHypercube(d=20, seed=seed).random(draws)
    theta = np.repeat(unit[:, 0], seeds)
    rng = np.random.default_rng(seed + 100)
    nb_a = REF * (A_EFFECT + B_SLOPE * theta + sigma * rng.standard_normal(theta.size)) - COST_A
    nb = np.column_stack([np.zeros(theta.size), nb_a, np.full(theta.size, REF * EFFECT_B - COST_B)])
    x = np.repeat(unit, seeds, axis=0)
    return nb, x[:, :10], x[:, 10:], theta


def _least_squares(rows, u, w):
    return np.column_stack([dc._wls_line(u, rows[:, d], w) for d in range(rows.shape[1])]), "least squares"


def test_group_evppi_with_20_draws_of_10_parameters_matches_the_analytic_value():
    draws, seeds, sigma = 20, 2, 30.0
    nb, relevant, _, theta = ten_and_ten(draws, seeds, sigma)
    value, method = dc.evppi(nb, relevant)
    assert method == dc.RIDGE
    truth = analytic_evppi(REF)
    alpha, beta, m = REF * A_EFFECT - COST_A, REF * B_SLOPE, REF * EFFECT_B - COST_B
    # Tolerance from the sampling error of 20 draws, in two parts.
    # (1) The oracle (the true E[NB | theta] on these draws) against the integral: with a Latin
    # hypercube each draw is uniform in its own stratum of width 1/D, so the mean of a function with
    # slope at most beta has sd <= beta / sqrt(12 D^3), for both terms of EVPPI; 4 sd each.
    oracle = np.maximum(m, alpha + beta * theta).mean() - max(m, alpha + beta * theta.mean())
    lhs = 4 * 2 * beta / np.sqrt(12 * draws ** 3)
    assert abs(oracle - truth) <= lhs
    # (2) The fit against the oracle: EVPPI moves by at most 2 x the RMS error of the fitted values
    # (each term is 1-Lipschitz in them). Least squares on 10 parameters + intercept over D draw means
    # with noise sd s has RMS error s sqrt(chi2_11 / D); at the chi2 0.9999 quantile. The ridge fit
    # must do as well: shrinkage that flattened theta's effect would fail here.
    s = REF * sigma / np.sqrt(seeds)
    fit = 2 * s * np.sqrt(chi2.ppf(0.9999, 11) / draws)
    assert abs(value - oracle) <= fit, (value, oracle, fit)
    assert abs(value - truth) <= lhs + fit < 0.6 * truth


def test_group_evppi_of_10_irrelevant_parameters_over_20_draws_is_near_0_where_least_squares_overfits():
    nb, _, irrelevant, _ = ten_and_ten()
    total = dc.evpi(nb)
    value, method = dc.evppi(nb, irrelevant)
    overfit, _ = dc.evppi(nb, irrelevant, fit=_least_squares)
    # The truth is 0. Least squares on 10 parameters and 20 draws fits half the spread of NB (theta's
    # effect acts as noise here), and the max over options turns it into value: the report would
    # call the group one that matters (at least MINOR_SHARE of EVPI). The cross-validated ridge must
    # read as minor; across 100 data sets of this design it exceeded MINOR_SHARE in about 2%.
    assert overfit > MINOR_SHARE * total
    assert method == dc.RIDGE and value < MINOR_SHARE * total and value < overfit / 4, (value, overfit, total)


def test_the_noise_level_from_relabelled_draws_sits_above_an_irrelevant_group_and_below_the_driver():
    nb, relevant, irrelevant, _ = ten_and_ten()
    cols = [f"r{j}" for j in range(10)] + [f"i{j}" for j in range(10)]
    x = pd.DataFrame(np.column_stack([relevant, irrelevant]), columns=cols)
    draw = np.repeat(np.arange(20), 2)
    shuffled = dc.relabellings(draw)
    assert len(shuffled) == dc.SHUFFLES and all(np.array_equal(r, s) for r, s in zip(shuffled, dc.relabellings(draw)))
    for rows in shuffled:       # each relabelling moves whole draws: the seeds of a draw stay together
        assert np.all(x.to_numpy()[rows][::2] == x.to_numpy()[rows][1::2])
    groups = {"relevant": cols[:10], "irrelevant": cols[10:], "all": cols}
    t = dc.group_evppi(nb, x, groups, shuffled).set_index("group")
    assert t.loc["relevant", "evppi_rm"] > t.loc["relevant", "shuffled_max_rm"]
    assert t.loc["irrelevant", "evppi_rm"] <= t.loc["irrelevant", "shuffled_max_rm"] + 1e-6 * dc.evpi(nb)
    # every parameter together contains "relevant": never below it (raised when the wider fit shrinks more)
    assert t.loc["all", "evppi_rm"] >= t.loc["relevant", "evppi_rm"]
    assert t.loc["all", "raised_to"] in ("", "relevant")
    single, noise = dc.single_parameter_evppi(nb, x, shuffled)
    assert single.parameter.iloc[0] == "r0" and single.evppi_rm.iloc[0] > noise >= 0   # theta is r0
    assert single.evppi_rm.iloc[0] <= dc.evpi(nb)


def test_figure_footer_counts_draws_times_seeds():
    from sim.report.style import footer

    assert "40 parameter draws x 2 seeds (80 runs per scenario), seeds 1-80" in footer(META)
    plain = {k: v for k, v in META.items() if k not in ("draws", "seeds_per_draw")} | {"replicates": 10}
    assert "10 replicates, seeds 1-80" in footer(plain) and "draws" not in footer(plain)


def test_section_says_group_evppi_leans_low_and_flags_values_within_noise(small_tables):
    text = markdown.render(decision_section(small_tables, META), {})
    v = small_tables["evppi"].set_index("group")
    assert v.loc["psi", "method"] == dc.RIDGE_SPLINE       # 40 draws: below MIN_ROWS_GCV, no GCV spline
    assert "With 40 draws, EVPPI is estimated by ridge regression" in text and "lower-bound-leaning" in text
    assert "narrowing them would hardly change the choice" not in text     # a lower bound cannot show that
    tables = dict(small_tables)
    tables["evppi"] = small_tables["evppi"].assign(method=dc.RIDGE, shuffled_max_rm=lambda t: t.evppi_rm + 1.0,
                                                   shuffled_max_share=1.0)
    text = markdown.render(decision_section(tables, META), {})
    assert "No group's estimate rises above its noise level, so 40 draws are too few" in text
    single = small_tables["evppi_parameters"]
    assert "**Single parameters.**" in text and f"| {single.parameter.iloc[0]} |" in text
