"""Decisions under uncertainty: a probabilistic sensitivity analysis (PSA) of the comparison.

``mcsim compare`` runs D parameter draws x S seeds per draw x every scenario, with common
random numbers: within a (draw, seed) **cell** every scenario shares the parameter set and the
seed, so each option's difference from the baseline is paired. A cell is one joint sample of
parameter and seed uncertainty; every statistic below weights cells equally.

Inputs (plain frames):

* ``cells``: one row per (option, draw, seed) with ``option`` (scenario name), ``draw`` and
  ``seed`` (integers), ``effect`` (additional B40 completers against the baseline in that
  cell, persons, national), ``cost`` (incremental public spend against the baseline, RM over
  the horizon, national) and optionally more numeric outcome columns (e.g. ``uptake_b40_pp``).
  Baseline rows may be left out or included with effect 0 and cost 0.
* ``parameters``: one row per draw (index or column ``draw``), one column per uncertain
  parameter (dotted config keys such as ``behaviour.theta_credit``): the values used.
* ``groups``: group name -> list of parameter keys (EVPPI per group).
* ``basis``: parameter key -> ``"calibrated"`` or ``"assumption"``.

Net monetary benefit of option d in a cell at willingness to pay ``wtp`` (RM per additional
B40 completer): ``NB = wtp * effect - cost`` (RM, national); doing nothing (the baseline) has
NB 0 and is always an option of the decision.

Value of information (Strong, Oakley & Brennan 2014, Med Decis Making 34:311-326):
``EVPI = E max_d NB_d - max_d E NB_d``; for a parameter group X, the regression estimate
``EVPPI = mean over cells of max_d g_d(X) - max_d mean g_d`` with ``g_d`` a nonparametric
regression of NB_d on X. The parameters are constant within a draw, so least squares over the
cells equals weighted least squares over the distinct parameter values with the cell counts as
weights; we fit that (the same fit, fewer points). Fits (:func:`fit_group`):

* with fewer than ``MIN_ROWS_GCV`` (100) distinct draws, the usual case (the main job affords
  20-40 draws; a group has 5-12 parameters, "all assumptions" ~50): ridge regression on the
  standardised parameters (one parameter: on a cubic B-spline basis of it), each option's
  penalty chosen by efficient leave-one-out cross-validation (``sklearn.linear_model.RidgeCV``)
  with the one-standard-error rule, over a grid that reaches an effectively constant fit. A
  flexible fit on nearly as many parameters as draws fits noise, and the max over options
  turns fitted noise into value (EVPPI overstated); the shrinkage takes a group that does not
  predict NB toward a constant fit (EVPPI ~0). The price is bias the other way: shrinkage
  flattens real effects and a linear fit misses thresholds and interactions, so these EVPPIs
  lean toward lower bounds. Measured (20-40 draws, 2 seeds): a group of 10 parameters with one
  strong driver recovers ~90-100% of its EVPPI, a group of 10 irrelevant parameters exceeds 5%
  of EVPI in ~2% of data sets (least squares: typically 30-50% of EVPI); in a case like the main job
  (30 draws, 7 options, 60 parameters, 11 groups of weak effects) groups recovered only ~20-35%
  of their true EVPPI in total and no group without value got any. The smallest-error penalty
  recovered ~75-95% there, but gave the 10 irrelevant parameters over 5% of EVPI in ~20% of
  data sets;
* with at least 100 draws, one parameter: ``scipy.interpolate.make_smoothing_spline`` (cubic
  smoothing spline, penalty by generalised cross-validation); several parameters (at least
  ``MIN_ROWS_PER_TERM`` draws each): an additive model fitted by backfitting those splines
  (Hastie & Tibshirani 1990), chosen over statsmodels' ``GLMGam`` because it keeps the
  GCV-chosen penalty per term and reduces to exactly the single-parameter fit; like GLMGam
  without tensor terms it captures no interactions within a group.

Because every estimate carries some fitted noise, each group and the single-parameter table get
a **noise level**: the largest EVPPI the same fit finds over ``SHUFFLES`` relabellings of the
draws (:func:`relabellings`: whole draws moved, so nothing can matter). A group estimated below a
group it contains is raised to it (true EVPPI never falls when parameters are added).

Guards: a parameter with fewer than ``MIN_UNIQUE_SPLINE`` distinct values (e.g. an integer
parameter) enters linearly. Estimates are clipped to [0, EVPI]. EVPI here is over cells, so it
includes the seed noise (the spread of one simulated realisation), which no parameter can
resolve.

All functions are deterministic (the one random step, relabelling draws for a noise level, has a fixed
seed); bad input raises ``ValueError`` with one line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from scipy.interpolate import make_smoothing_spline
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.preprocessing import SplineTransformer

BASELINE = "baseline"          # the same name as sim.analysis.effects.BASELINE
ID_COLUMNS = ("option", "draw", "seed")
REQUIRED = ID_COLUMNS + ("effect", "cost")
BASES = ("calibrated", "assumption")
WTP_GRID_RM = np.linspace(0.0, 30_000.0, 61)   # RM per additional B40 completer, steps of RM 500
REFERENCE_WTP_RM = 10_000.0
INTERVAL = (2.5, 97.5)          # percentiles over cells of the combined uncertainty interval
MIN_UNIQUE_SPLINE = 8           # fewer distinct values: a linear term (a spline needs >= 5; GCV needs more)
MIN_ROWS_PER_TERM = 10          # distinct parameter rows per spline term in a group's additive model
# GCV smoothing splines need this many distinct draws: with 20 (50) draws GCV credits an irrelevant
# parameter with over 5% of EVPI one time in four (twenty); the ridge fits below, about one in a
# hundred. Fewer draws or rows per term: ridge regression with a cross-validated penalty.
MIN_ROWS_GCV = 100
# Ridge penalties tried, in multiples of the number of rows: on standardised parameters X'X has
# diagonal n, so alpha = n * 1e-4 is nearly least squares and n * 1e4 leaves under 1e-4 degrees
# of freedom per parameter (an effectively constant fit, EVPPI ~0).
RIDGE_ALPHAS_PER_ROW = np.logspace(-4, 4, 81)
RIDGE = "ridge (leave-one-out, 1-SE)"
RIDGE_SPLINE, RIDGE_LINEAR = "cubic spline basis, " + RIDGE, "linear, " + RIDGE
SPLINE_KNOTS = 5                # knots of the single-parameter spline basis: 6 basis functions for 20-40 draws
# Backfitting stops when no term moves by more than BACKFIT_TOL x the sd of NB: GCV re-chooses each
# penalty every sweep and its optimiser jitters at ~1e-5 of the sd, so a tighter tolerance only cycles;
# 1e-4 of the sd moves EVPPI far less than its sampling error.
BACKFIT_ITERATIONS, BACKFIT_TOL = 20, 1e-4
# Relabellings of the draws for the noise levels: the largest of 20 is about the 95th percentile of
# a group's EVPPI where it cannot matter (~0.06 s a relabelling for 11 groups); the single-parameter
# table takes the first 5 (~0.4 s each for 60 parameters, 7 options, 30 draws), whose maximum over
# ~60 parameters is a higher bar still.
SHUFFLES, SINGLE_SHUFFLES, SHUFFLE_SEED = 20, 5, 20140311
NAN = float("nan")


# --------------------------------------------------------------------------- input checks
def check_cells(cells: pd.DataFrame, baseline: str = BASELINE) -> pd.DataFrame:
    """The cells without baseline rows, sorted by (option order, draw, seed); raises on bad input.

    Every option must have exactly one row in every (draw, seed) cell (common random numbers).
    """
    if not isinstance(cells, pd.DataFrame) or cells.empty:
        raise ValueError("cells is empty: expected one row per (option, draw, seed)")
    missing = [c for c in REQUIRED if c not in cells.columns]
    if missing:
        raise ValueError(f"cells lacks column(s) {', '.join(missing)}: expected {', '.join(REQUIRED)}")
    for c in ("draw", "seed"):
        if not pd.api.types.is_integer_dtype(cells[c]):
            raise ValueError(f"cells.{c} must be integers, got dtype {cells[c].dtype}")
    for c in outcome_columns(cells):
        if cells[c].isna().any() or not np.isfinite(cells[c].to_numpy(float)).all():
            raise ValueError(f"cells.{c} has missing or infinite values")
    if cells.duplicated(list(ID_COLUMNS)).any():
        row = cells[cells.duplicated(list(ID_COLUMNS))].iloc[0]
        raise ValueError(f"cells has more than one row for option {row.option!r}, draw {row.draw}, seed {row.seed}")
    base = cells[cells.option == baseline]
    if len(base) and (base.effect.abs().max() > 0 or base.cost.abs().max() > 0):
        raise ValueError(f"cells: the {baseline!r} rows must have effect 0 and cost 0 (effects are against it)")
    out = cells[cells.option != baseline]
    if out.empty:
        raise ValueError("cells holds only the baseline: expected at least one option to compare")
    n_cells = len(out[["draw", "seed"]].drop_duplicates())
    counts = out.groupby("option", sort=False).size()
    if (counts != n_cells).any():
        short = counts[counts != n_cells].index[0]
        raise ValueError(f"cells: option {short!r} has {counts[short]} of the {n_cells} (draw, seed) cells; "
                         f"every option must run in every cell")
    order = {o: i for i, o in enumerate(pd.unique(out.option))}
    return out.sort_values(["option", "draw", "seed"], key=lambda s: s.map(order) if s.name == "option" else s,
                           kind="stable").reset_index(drop=True)


def outcome_columns(cells: pd.DataFrame) -> list[str]:
    """Numeric outcome columns of ``cells``: effect, cost, then any others in their order."""
    rest = [c for c in cells.columns if c not in REQUIRED and pd.api.types.is_numeric_dtype(cells[c])]
    return [c for c in ("effect", "cost") if c in cells.columns] + rest


def check_parameters(parameters: pd.DataFrame, draws) -> pd.DataFrame:
    """``parameters`` indexed by draw, restricted to ``draws`` in that order; raises on bad input."""
    if not isinstance(parameters, pd.DataFrame) or parameters.empty:
        raise ValueError("parameters is empty: expected one row per draw and one column per parameter")
    p = parameters.set_index("draw") if "draw" in parameters.columns else parameters
    if p.index.has_duplicates:
        raise ValueError(f"parameters has more than one row for draw {p.index[p.index.duplicated()][0]}")
    absent = [d for d in pd.unique(np.asarray(draws)) if d not in p.index]
    if absent:
        raise ValueError(f"parameters has no row for draw {absent[0]} (of {len(absent)} draws in cells)")
    bad = [c for c in p.columns if not pd.api.types.is_numeric_dtype(p[c]) or p[c].isna().any()]
    if bad:
        raise ValueError(f"parameters.{bad[0]} must be numeric with a value in every draw")
    return p.loc[pd.unique(np.asarray(draws))].astype(float)


def _check_keys(groups: Mapping[str, Sequence[str]], basis: Mapping[str, str], parameters: pd.DataFrame) -> None:
    for name, keys in groups.items():
        if not list(keys):
            raise ValueError(f"groups[{name!r}] is empty: a group needs at least one parameter")
        unknown = [k for k in keys if k not in parameters.columns]
        if unknown:
            raise ValueError(f"groups[{name!r}] names {unknown[0]!r}, which is not a column of parameters")
    for key in parameters.columns:
        if basis.get(key) not in BASES:
            raise ValueError(f"basis[{key!r}] is {basis.get(key)!r}: expected one of {', '.join(BASES)}")


# --------------------------------------------------------------------------- 1. variance split
def variance_split(values, draw, seed=None) -> dict:
    """Mean, combined interval and the variance split of one outcome over cells.

    One-way random-effects ANOVA with draws as groups (method of moments, valid for unequal
    seeds per draw): ``var_seeds`` = within-draw mean square, ``var_parameters`` =
    (between mean square - within mean square) / n0 with n0 = (N - sum n_i^2 / N) / (a - 1),
    each clipped at 0. Shares are of their sum. Units: the outcome's, squared for variances.
    NaN components when they cannot be estimated (one draw; one seed per draw).
    """
    y = np.asarray(values, dtype=float)
    g = np.asarray(draw)
    if y.ndim != 1 or y.size == 0 or g.shape != y.shape:
        raise ValueError("variance_split: values and draw must be non-empty 1-D arrays of the same length")
    if seed is not None and pd.DataFrame({"d": g, "s": np.asarray(seed)}).duplicated().any():
        raise ValueError("variance_split: a (draw, seed) pair occurs more than once")
    frame = pd.DataFrame({"y": y, "g": g}).groupby("g", sort=True).y
    n_i, mean_i = frame.size().to_numpy(float), frame.mean().to_numpy()
    a, n = len(n_i), y.size
    grand = y.mean()
    ss_within = float(((y - frame.transform("mean").to_numpy()) ** 2).sum())
    ss_between = float((n_i * (mean_i - grand) ** 2).sum())
    var_seeds = ss_within / (n - a) if n > a else NAN
    if a > 1 and n > a:
        n0 = (n - (n_i ** 2).sum() / n) / (a - 1)
        var_parameters = max((ss_between / (a - 1) - var_seeds) / n0, 0.0)
    else:
        var_parameters = NAN
    total = var_parameters + var_seeds
    lo, hi = np.percentile(y, INTERVAL)
    return {"n_draws": a, "n_cells": n, "mean": grand, "interval_low": float(lo), "interval_high": float(hi),
            "var_cells": float(y.var(ddof=1)) if n > 1 else NAN,
            "var_parameters": var_parameters, "var_seeds": var_seeds,
            "share_parameters": var_parameters / total if total > 0 else NAN,
            "share_seeds": var_seeds / total if total > 0 else NAN}


# --------------------------------------------------------------------------- 2. ranks
def _rank_shares(values: np.ndarray) -> np.ndarray:
    """(cells, options) -> (options, ranks) mean probability, rank 1 = largest value; options
    tied in a cell share the ranks they span evenly."""
    lo = stats.rankdata(-values, method="min", axis=1)
    hi = stats.rankdata(-values, method="max", axis=1)
    k = values.shape[1]
    out = np.empty((k, k))
    for r in range(1, k + 1):
        out[:, r - 1] = (((lo <= r) & (r <= hi)) / (hi - lo + 1)).mean(axis=0)
    return out


def _best_shares(values: np.ndarray) -> np.ndarray:
    """(..., cells, options) -> (..., options): share of cells in which each option is largest
    (ties split evenly)."""
    top = values == values.max(axis=-1, keepdims=True)
    return (top / top.sum(axis=-1, keepdims=True)).mean(axis=-2)


def _matrix(cells: pd.DataFrame, column: str) -> tuple[np.ndarray, list[str]]:
    """(cells, options) array of ``column`` from checked cells, options in their order."""
    options = list(pd.unique(cells.option))
    wide = cells.pivot(index=["draw", "seed"], columns="option", values=column)[options]
    return wide.to_numpy(float), options


def rank_probabilities(cells: pd.DataFrame, outcome: str = "effect", baseline: str = BASELINE) -> pd.DataFrame:
    """Probability of each rank per option (rank 1: the largest ``outcome``, by default the
    largest B40 gain), ranking the options other than the baseline cell by cell, ties split
    evenly. Columns: option, rank, probability; plus each option's expected rank."""
    c = check_cells(cells, baseline)
    values, options = _matrix(c, outcome)
    p = _rank_shares(values)
    ranks = np.arange(1, len(options) + 1)
    return pd.DataFrame([{"option": o, "rank": int(r), "probability": float(p[i, r - 1]),
                          "expected_rank": float(p[i] @ ranks)}
                         for i, o in enumerate(options) for r in ranks])


def probability_best(cells: pd.DataFrame, outcome: str = "effect", baseline: str = BASELINE) -> pd.Series:
    """Probability each option gives the largest ``outcome`` (default: B40 gain), by option."""
    r = rank_probabilities(cells, outcome, baseline)
    return r[r["rank"] == 1].set_index("option").probability


# --------------------------------------------------------------------------- 3. net benefit and CEAC
def net_benefit(cells: pd.DataFrame, wtp: float, baseline: str = BASELINE) -> tuple[np.ndarray, list[str]]:
    """(cells, options) NB = wtp * effect - cost in RM, the baseline (NB 0) in column 0."""
    c = check_cells(cells, baseline)
    effect, options = _matrix(c, "effect")
    cost, _ = _matrix(c, "cost")
    nb = wtp * effect - cost
    return np.column_stack([np.zeros(len(nb)), nb]), [baseline, *options]


def ceac(cells: pd.DataFrame, wtp_grid=None, baseline: str = BASELINE) -> pd.DataFrame:
    """Cost-effectiveness acceptability curves and frontier.

    One row per (wtp_rm, option), baseline included: ``probability_best`` (share of cells in
    which the option has the largest NB, ties split evenly), ``expected_nb_rm`` (mean NB over
    cells, RM) and ``on_frontier`` (the option with the largest expected NB at that wtp: the
    acceptability frontier, CEAF; ties go to the first option, the baseline first).
    """
    grid = np.asarray(WTP_GRID_RM if wtp_grid is None else wtp_grid, dtype=float)
    if grid.ndim != 1 or grid.size == 0 or not np.isfinite(grid).all() or (grid < 0).any():
        raise ValueError("wtp_grid must be a non-empty list of willingness-to-pay values >= 0 (RM)")
    c = check_cells(cells, baseline)
    effect, options = _matrix(c, "effect")
    cost, _ = _matrix(c, "cost")
    nb = grid[:, None, None] * effect[None] - cost[None]                      # (wtp, cells, options)
    nb = np.concatenate([np.zeros(nb.shape[:2] + (1,)), nb], axis=2)
    best = _best_shares(nb)
    expected = nb.mean(axis=1)
    front = expected.argmax(axis=1)
    names = [baseline, *options]
    return pd.DataFrame([{"wtp_rm": float(w), "option": o, "probability_best": float(best[i, j]),
                          "expected_nb_rm": float(expected[i, j]), "on_frontier": bool(front[i] == j)}
                         for i, w in enumerate(grid) for j, o in enumerate(names)])


# --------------------------------------------------------------------------- 4. value of information
def evpi(nb) -> float:
    """Expected value of perfect information, RM: mean over cells of the best NB minus the
    best mean NB. ``nb``: (cells, options) including doing nothing."""
    nb = np.asarray(nb, dtype=float)
    if nb.ndim != 2 or nb.size == 0:
        raise ValueError("evpi: nb must be a non-empty (cells, options) array")
    return float(max(nb.max(axis=1).mean() - nb.mean(axis=0).max(), 0.0))


def _wls_line(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Fitted values of a weighted least-squares line (or several columns of x)."""
    design = np.column_stack([np.ones(len(y)), x])
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(design * sw[:, None], y * sw, rcond=None)
    return design @ coef


def _smooth(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, str]:
    """Weighted smooth of y on one parameter x: (fitted values at x, method). Duplicate x
    values are pooled (weighted mean of y, summed weights), which leaves the fit unchanged."""
    u, inv = np.unique(x, return_inverse=True)
    if len(u) < 2 or np.ptp(y) == 0:
        return np.full_like(y, np.average(y, weights=w)), "constant"
    sw = np.bincount(inv, weights=w)
    sy = np.bincount(inv, weights=w * y) / sw
    if len(u) < MIN_UNIQUE_SPLINE:
        return _wls_line(x, y, w), "linear"
    try:
        spline = make_smoothing_spline(u, sy, w=sw / sw.mean())
    except ValueError:                      # ill-posed penalised fit: the line is the safe fallback
        return _wls_line(x, y, w), "linear"
    return spline(u)[inv], "spline"


def _additive(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Backfitting of an additive model y ~ a + sum_j f_j(x_j), each f_j by :func:`_smooth`."""
    alpha = np.average(y, weights=w)
    f = np.zeros_like(x)
    scale = max(float(np.sqrt(np.average((y - alpha) ** 2, weights=w))), 1e-300)
    for _ in range(BACKFIT_ITERATIONS):
        change = 0.0
        for j in range(x.shape[1]):
            partial = y - alpha - f.sum(axis=1) + f[:, j]
            new, _ = _smooth(x[:, j], partial, w)
            new -= np.average(new, weights=w)
            change = max(change, float(np.abs(new - f[:, j]).max()))
            f[:, j] = new
        if change <= BACKFIT_TOL * scale:
            break
    return alpha + f.sum(axis=1)


def _ridge(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Fitted (rows, options) of a weighted ridge regression of each column of ``y`` on the
    standardised columns of ``x``. Each column's penalty is the largest of the grid whose
    leave-one-out mean squared error is within one standard error of the smallest (the
    one-standard-error rule: Hastie, Tibshirani & Friedman 2009, section 7.10); the
    leave-one-out errors come from ``sklearn.linear_model.RidgeCV`` (closed form, weighted:
    w_i e_i^2). The smallest-error penalty alone credits a group of 10 irrelevant parameters
    over 20 draws with more than 5% of EVPI in about one data set in five; the rule cuts that
    to about one in fifty, at the price of shrinking real effects more (module docstring)."""
    w = w / w.mean()
    mean = np.average(x, axis=0, weights=w)
    sd = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=w))
    varying = sd > 0
    fitted = np.tile(np.average(y, axis=0, weights=w), (len(y), 1))
    moving = np.ptp(y, axis=0) > 0
    if not varying.any() or not moving.any() or len(y) < 3:
        return fitted
    z = (x[:, varying] - mean[varying]) / sd[varying]
    alphas = len(y) * RIDGE_ALPHAS_PER_ROW
    target = y[:, moving]
    loo = RidgeCV(alphas=alphas, store_cv_results=True).fit(z, target, sample_weight=w).cv_results_
    loo = loo.reshape(len(y), target.shape[1], len(alphas))
    mse, se = loo.mean(axis=0), loo.std(axis=0, ddof=1) / np.sqrt(len(y))     # (targets, alphas)
    cols = np.arange(target.shape[1])
    best = mse.argmin(axis=1)
    within = mse <= (mse[cols, best] + se[cols, best])[:, None]
    chosen = alphas[len(alphas) - 1 - np.argmax(within[:, ::-1], axis=1)]    # the largest penalty within
    fitted[:, moving] = Ridge(alpha=chosen).fit(z, target, sample_weight=w).predict(z).reshape(len(y), -1)
    return fitted


def fit_group(nb_rows: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, str]:
    """Regression of each option's NB on a group's parameters over distinct parameter rows.

    ``nb_rows``: (rows, options) weighted mean NB per row, ``x``: (rows, parameters), ``w``:
    cells per row. Returns fitted (rows, options) and the method used: GCV smoothing splines
    with at least ``MIN_ROWS_GCV`` rows (and ``MIN_ROWS_PER_TERM`` per parameter), otherwise
    ridge fits with a cross-validated penalty (:func:`fit_single` for one parameter).
    """
    rows, p = x.shape
    if rows < MIN_ROWS_GCV or rows < MIN_ROWS_PER_TERM * p:
        return fit_single(nb_rows, x, w) if p == 1 else (_ridge(x, nb_rows, w), RIDGE)
    if p == 1:
        fits = [_smooth(x[:, 0], nb_rows[:, d], w) for d in range(nb_rows.shape[1])]
        methods = {m for _, m in fits} - {"constant"}
        return np.column_stack([f for f, _ in fits]), (methods.pop() if len(methods) == 1 else
                                                       "spline/linear" if methods else "constant")
    return np.column_stack([_additive(x, nb_rows[:, d], w) for d in range(nb_rows.shape[1])]), "additive spline"


def fit_single(nb_rows: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, str]:
    """Regression of each option's NB on one parameter with fewer than ``MIN_ROWS_GCV`` draws
    (and for the single-parameter table): a cubic B-spline basis
    (``sklearn.preprocessing.SplineTransformer``, knots at quantiles) fitted by :func:`_ridge`,
    all options in one leave-one-out computation. A penalised regression spline with the same
    one-standard-error caution as the group fits, and ~20 times cheaper than GCV smoothing
    splines fitted option by option (the table needs ~60 parameters x (1 + shuffles) fits).
    Fewer than ``MIN_UNIQUE_SPLINE`` distinct values: the parameter enters linearly."""
    if len(np.unique(x[:, 0])) < MIN_UNIQUE_SPLINE:
        return _ridge(x, nb_rows, w), RIDGE_LINEAR
    basis = SplineTransformer(n_knots=SPLINE_KNOTS, degree=3, knots="quantile", include_bias=False).fit_transform(x)
    return _ridge(basis, nb_rows, w), RIDGE_SPLINE


def _undominated(nb: np.ndarray) -> np.ndarray:
    """Columns not dominated cell by cell: an option whose NB never exceeds another's in any
    cell has E[NB_d | x] <= E[NB_e | x] for every x, so it is never chosen and needs no fit
    (of identical columns the first is kept)."""
    k = nb.shape[1]
    keep = np.ones(k, dtype=bool)
    for d in range(k):
        for e in range(k):
            if e != d and keep[e] and np.all(nb[:, e] >= nb[:, d]) and (np.any(nb[:, e] > nb[:, d]) or e < d):
                keep[d] = False
                break
    return keep


def evppi(nb, x, weights=None, fit=None) -> tuple[float, str]:
    """EVPPI of the parameters ``x`` by regression (Strong, Oakley & Brennan 2014), RM.

    ``nb``: (n, options) NB per sample, doing nothing included (its NB 0 needs no fit);
    ``x``: (n, parameters) their values in each sample. Samples with equal ``x`` (the seeds of
    a draw) are pooled. ``fit``: the regression, :func:`fit_group` unless given (same
    signature). Returns (EVPPI clipped to [0, EVPI], smoother used).
    """
    nb, x = np.asarray(nb, dtype=float), np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if nb.ndim != 2 or x.ndim != 2 or len(nb) != len(x) or len(nb) == 0:
        raise ValueError("evppi: nb (n, options) and x (n, parameters) must be non-empty with the same n")
    total = evpi(nb)
    if total == 0:                          # one option is best in every sample: nothing to learn
        return 0.0, "none (EVPI 0)"
    nb = nb[:, _undominated(nb)]
    w = np.ones(len(nb)) if weights is None else np.asarray(weights, dtype=float)
    u, inv = np.unique(x, axis=0, return_inverse=True)
    inv = inv.ravel()
    rw = np.bincount(inv, weights=w)
    rows = np.column_stack([np.bincount(inv, weights=w * nb[:, d]) for d in range(nb.shape[1])]) / rw[:, None]
    g, method = (fit or fit_group)(rows, u, rw)
    value = float(np.average(g.max(axis=1), weights=rw) - np.average(g, axis=0, weights=rw).max())
    if value <= 1e-9 * total:                 # rounding of a (nearly) constant fit, not value
        value = 0.0
    return float(np.clip(value, 0.0, total)), method


def relabellings(draw: np.ndarray, shuffles: int = SHUFFLES) -> list[np.ndarray]:
    """Row indices that move each draw's parameter values, all together, to another draw
    (``shuffles`` random permutations of the draws, fixed seed ``SHUFFLE_SEED``): ``x[rows]``
    keeps the parameters' joint distribution and the seeds-per-draw structure but breaks any
    relation to NB. ``draw``: the draw of each row of ``x``."""
    draw = np.asarray(draw)
    draws = pd.unique(draw)
    first = {d: i for i, d in reversed(list(enumerate(draw)))}        # a row of each draw
    rng = np.random.default_rng(SHUFFLE_SEED)
    out = []
    for _ in range(shuffles):
        moved = dict(zip(draws, rng.permutation(draws)))
        out.append(np.array([first[moved[d]] for d in draw]))
    return out


def group_evppi(nb: np.ndarray, x_cells: pd.DataFrame, groups: Mapping[str, Sequence[str]],
                shuffled: Sequence[np.ndarray] = ()) -> pd.DataFrame:
    """EVPPI of each group (:func:`evppi`; ``x_cells``: one row per cell of ``nb``) and its
    noise level ``shuffled_max_rm``: the largest EVPPI of the group over the ``shuffled``
    relabellings (:func:`relabellings`), where it cannot matter; an estimate not above it is
    indistinguishable from noise with these draws. True EVPPI never falls when parameters are
    added, so a group estimated below a group it contains (a ridge fit on 50 parameters
    shrinks harder than on 10) is raised to that group's estimate, named in ``raised_to``
    (both lean low, so the larger is the better lower bound; its noise level is raised alike)."""
    rows = []
    for name, keys in groups.items():
        x = x_cells[list(keys)].to_numpy()
        value, method = evppi(nb, x)
        noise = max((evppi(nb, x[r])[0] for r in shuffled), default=NAN)
        rows.append({"group": name, "keys": frozenset(keys), "evppi_rm": value, "method": method, "raised_to": "",
                     "shuffled_max_rm": noise})
    for row in rows:
        inside = [r for r in rows if r["keys"] < row["keys"] and r["evppi_rm"] > row["evppi_rm"]]
        if inside:
            best = max(inside, key=lambda r: r["evppi_rm"])
            row["evppi_rm"], row["raised_to"] = best["evppi_rm"], best["group"]
            row["shuffled_max_rm"] = max(row["shuffled_max_rm"], best["shuffled_max_rm"])
    return pd.DataFrame(rows).drop(columns="keys")


def single_parameter_evppi(nb: np.ndarray, x_cells: pd.DataFrame,
                           shuffled: Sequence[np.ndarray] = ()) -> tuple[pd.DataFrame, float]:
    """EVPPI of each parameter alone (:func:`fit_single`), largest first, and a noise level for
    them all: the largest single-parameter EVPPI over the ``shuffled`` relabellings
    (:func:`relabellings`). With few draws every fit credits some noise, and the largest of ~60
    estimates the most: values not above the noise level say nothing."""
    keys = [k for k in x_cells.columns if x_cells[k].nunique() > 1]
    x = x_cells[keys].to_numpy()

    def each(values: np.ndarray) -> list[tuple[float, str]]:
        return [evppi(nb, values[:, j], fit=fit_single) for j in range(values.shape[1])]

    found = each(x)
    table = pd.DataFrame({"parameter": keys, "evppi_rm": [v for v, _ in found], "method": [m for _, m in found]})
    noise = max((max((v for v, _ in each(x[r])), default=0.0) for r in shuffled), default=NAN)
    order = table.evppi_rm.sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True), noise


# --------------------------------------------------------------------------- 5. influential parameters
def draw_means(cells: pd.DataFrame, column: str = "effect", baseline: str = BASELINE) -> pd.DataFrame:
    """(draws, options) mean of ``column`` over the seeds of each draw."""
    c = check_cells(cells, baseline)
    return c.pivot_table(index="draw", columns="option", values=column, aggfunc="mean")[list(pd.unique(c.option))]


def rank_sensitivity(x: pd.DataFrame, y: np.ndarray) -> tuple[pd.Series, str]:
    """Signed sensitivity of y to each column of x (draws): standardized rank regression
    coefficients (SRRC) when there are at least 3 residual degrees of freedom, otherwise
    Spearman rank correlations; (coefficients, method)."""
    x = x.loc[:, x.nunique() > 1]
    n, p = x.shape
    ry = stats.rankdata(y)
    if p == 0 or np.ptp(ry) == 0:
        return pd.Series(dtype=float), "none"
    rx = np.column_stack([stats.rankdata(x[c]) for c in x.columns])
    z = lambda a: (a - a.mean(axis=0)) / a.std(axis=0)  # noqa: E731
    if n >= p + 4:
        coef, *_ = np.linalg.lstsq(z(rx), z(ry), rcond=None)
        return pd.Series(coef, index=x.columns), "SRRC"
    return pd.Series([stats.spearmanr(rx[:, j], ry).statistic for j in range(p)], index=x.columns), "Spearman"


def top_parameters(cells: pd.DataFrame, parameters: pd.DataFrame, basis: Mapping[str, str], k: int = 2,
                   baseline: str = BASELINE) -> pd.DataFrame:
    """For each option, the ``k`` parameters its effect (draw means of additional B40
    completers) is most sensitive to, by absolute rank coefficient (:func:`rank_sensitivity`).
    Columns: option, rank, parameter, coefficient (signed, dimensionless), method, basis.
    Options whose effect does not vary across draws get no rows."""
    if k < 1:
        raise ValueError(f"k={k}: expected at least one parameter per option")
    means = draw_means(cells, "effect", baseline)
    p = check_parameters(parameters, means.index)
    rows = []
    for option in means.columns:
        coef, method = rank_sensitivity(p, means[option].to_numpy())
        order = coef.abs().sort_values(ascending=False, kind="stable").index[:k]
        rows += [{"option": option, "rank": i + 1, "parameter": key, "coefficient": float(coef[key]),
                  "method": method, "basis": basis.get(key, "unknown")} for i, key in enumerate(order)]
    return pd.DataFrame(rows, columns=["option", "rank", "parameter", "coefficient", "method", "basis"])


# --------------------------------------------------------------------------- 6. all tables
def default_groups(basis: Mapping[str, str]) -> dict[str, list[str]]:
    """Each parameter alone, then all calibrated parameters and all assumptions together."""
    groups = {key: [key] for key in basis}
    for b, name in (("calibrated", "all calibrated parameters"), ("assumption", "all assumptions")):
        keys = [key for key, v in basis.items() if v == b]
        if len(keys) > 1:
            groups[name] = keys
    return groups


def basis_of(text: str) -> str:
    """``"calibrated"`` if a configs/uncertainties.yaml basis text says so, else ``"assumption"``."""
    return "calibrated" if str(text).strip().lower().startswith("calibrated") else "assumption"


def decision_tables(cells: pd.DataFrame, parameters: pd.DataFrame, groups: Mapping[str, Sequence[str]] | None,
                    basis: Mapping[str, str], wtp_grid=None, reference_wtp: float = REFERENCE_WTP_RM,
                    baseline: str = BASELINE, shuffles: int = SHUFFLES) -> dict[str, pd.DataFrame]:
    """Every decision-analysis table (tidy frames, documented in docs/OUTPUTS_COMPARE.md):

    ``psa_intervals`` and ``variance_split`` (option, outcome: effect, cost, NB at the
    reference wtp and any other outcome column), ``rank_probabilities`` (option, rank),
    ``ceac`` (wtp, option), ``evppi`` (group), ``evppi_parameters`` (each parameter alone,
    largest first, with a noise level) and ``top_parameters`` (option, rank).
    ``groups=None`` uses :func:`default_groups`. ``shuffles``: relabellings of the draws for the
    noise levels (0: none, NaN noise levels; each costs one more fit per group).
    """
    if not (np.isfinite(reference_wtp) and reference_wtp >= 0):
        raise ValueError(f"reference_wtp={reference_wtp!r}: expected a willingness to pay >= 0 (RM)")
    c = check_cells(cells, baseline)
    p = check_parameters(parameters, c.draw)
    groups = default_groups({k: basis.get(k) for k in p.columns}) if groups is None else dict(groups)
    _check_keys(groups, basis, p)
    nb, names = net_benefit(c, reference_wtp, baseline)
    c = c.assign(net_benefit=nb[:, 1:].T.ravel())      # cells are sorted option-major like the columns

    rows = []
    for option, frame in c.groupby("option", sort=False):
        per_draw = frame.groupby("draw").seed.nunique()
        for outcome in outcome_columns(c):
            rows.append({"option": option, "outcome": outcome, "seeds_per_draw": float(per_draw.mean()),
                         **variance_split(frame[outcome], frame.draw, frame.seed)})
    split = pd.DataFrame(rows)
    for col in ("n_draws", "n_cells"):
        split[col] = split[col].astype(int)
    intervals = split[["option", "outcome", "n_draws", "seeds_per_draw", "n_cells", "mean", "interval_low",
                       "interval_high"]]
    variance = split[["option", "outcome", "n_draws", "n_cells", "var_cells", "var_parameters", "var_seeds",
                      "share_parameters", "share_seeds"]]

    cell_index = c[c.option == names[1]][["draw", "seed"]].reset_index(drop=True)
    x_all = p.loc[cell_index.draw].reset_index(drop=True)
    total = evpi(nb)
    share = lambda v: v / total if total > 0 else (0.0 if v == 0 else NAN)  # noqa: E731
    shuffled = relabellings(cell_index.draw.to_numpy(), shuffles)
    vi = group_evppi(nb, x_all, groups, shuffled)
    vi.insert(1, "parameters", [";".join(groups[g]) for g in vi.group])
    vi.insert(2, "n_parameters", [len(groups[g]) for g in vi.group])
    vi.insert(3, "reference_wtp_rm", float(reference_wtp))
    vi.insert(5, "evpi_rm", total)
    vi.insert(6, "share_of_evpi", vi.evppi_rm.map(share))
    vi["shuffled_max_share"] = vi.shuffled_max_rm.map(share)
    value_of_information = vi.sort_values("evppi_rm", ascending=False, kind="stable",
                                          na_position="last").reset_index(drop=True)
    single, noise = single_parameter_evppi(nb, x_all, shuffled[:SINGLE_SHUFFLES])
    member = {}
    for g, keys in groups.items():          # the first group of several holding it (named groups come first)
        for k in keys:
            if len(keys) > 1:
                member.setdefault(k, g)
    single = single.assign(rank=np.arange(1, len(single) + 1), basis=single.parameter.map(basis),
                           group=[member.get(k, "") for k in single.parameter], reference_wtp_rm=float(reference_wtp),
                           evpi_rm=total, share_of_evpi=single.evppi_rm.map(share), shuffled_max_rm=noise,
                           shuffled_max_share=share(noise))
    single = single[["rank", "parameter", "group", "basis", "reference_wtp_rm", "evppi_rm", "evpi_rm",
                     "share_of_evpi", "method", "shuffled_max_rm", "shuffled_max_share"]]
    return {
        "psa_intervals": intervals.reset_index(drop=True),
        "variance_split": variance.reset_index(drop=True),
        "rank_probabilities": rank_probabilities(c, "effect", baseline),
        "ceac": ceac(c, wtp_grid, baseline),
        "evppi": value_of_information,
        "evppi_parameters": single,
        "top_parameters": top_parameters(c, p, basis, 2, baseline),
    }
