"""Outcome and equity metrics: pure functions over numpy arrays with person weights.

Every agent row stands for ``w`` persons, so all statistics are weighted by ``w`` and a row
of weight 2 is exactly equivalent to two identical rows of weight 1. Nothing here imports
the model or keeps state; inputs are plain 1-D arrays of equal length ``n``.

Conventions
-----------
* ``y``: outcome per person, shape ``(n,)``, any finite real (a 0/1 indicator gives rates).
* ``w``: person weights, shape ``(n,)``, finite and ``>= 0`` (persons per agent).
* ``mask``: boolean selector, shape ``(n,)``.
* ``rank``: weighted fractional rank in ``[0, 1]``, shape ``(n,)``, usually
  :func:`fractional_rank` of household income (the poorest have small ranks).
* A statistic whose denominator is empty or has zero weight is ``float('nan')``; such cases
  never raise and never emit numpy ``RuntimeWarning``. Malformed inputs (wrong shape, NaN or
  infinite values, negative weights, ...) raise :class:`ValueError` saying what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "weighted_mean",
    "rate_by_group",
    "rate_ratio",
    "rate_difference",
    "fractional_rank",
    "concentration_index",
    "concentration_index_wagstaff",
    "concentration_index_erreygers",
    "concentration_curve",
    "slope_index_of_inequality",
    "relative_index_of_inequality",
    "benefit_incidence",
    "quarterly_to_annual_rate",
    "annual_to_quarterly_rate",
    "discount_factor",
    "discounted_sum",
    "mean_ci",
    "paired_difference_ci",
]

NAN = float("nan")


# --------------------------------------------------------------------------- validation


def _as_1d_float(x, name: str, *, allow_nan: bool = False) -> np.ndarray:
    """``x`` as a 1-D float64 array, or ValueError saying what was expected."""
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got an array of shape {arr.shape}.")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric (bool, int or float), got dtype {arr.dtype}.")
    arr = arr.astype(np.float64, copy=False)
    bad = ~np.isfinite(arr) if not allow_nan else np.isinf(arr)
    if bad.any():
        what = "finite values" if not allow_nan else "finite values or NaN"
        raise ValueError(
            f"{name} must contain only {what}; found {int(bad.sum())} offending "
            f"entr{'y' if bad.sum() == 1 else 'ies'} (first at index {int(np.argmax(bad))})."
        )
    return arr


def _check_weights(w, n: int) -> np.ndarray:
    w = _as_1d_float(w, "w")
    if w.shape[0] != n:
        raise ValueError(f"w must have the same length as the data ({n}), got length {w.shape[0]}.")
    if (w < 0).any():
        raise ValueError(
            f"w must be non-negative person weights; found {int((w < 0).sum())} negative "
            f"value(s), minimum {w.min()!r}."
        )
    return w


def _check_same_length(arr: np.ndarray, name: str, n: int) -> None:
    if arr.shape[0] != n:
        raise ValueError(f"{name} must have the same length as y ({n}), got length {arr.shape[0]}.")


def _check_mask(mask, n: int, name: str = "mask") -> np.ndarray:
    m = np.asarray(mask)
    if m.ndim != 1:
        raise ValueError(f"{name} must be a 1-D boolean array, got shape {m.shape}.")
    if m.dtype != np.bool_:
        raise ValueError(f"{name} must have dtype bool, got dtype {m.dtype}.")
    _check_same_length(m, name, n)
    return m


def _check_yw(y, w) -> tuple[np.ndarray, np.ndarray]:
    y = _as_1d_float(y, "y")
    return y, _check_weights(w, y.shape[0])


def _check_yw_rank(y, w, rank) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y, w = _check_yw(y, w)
    r = _as_1d_float(rank, "rank")
    _check_same_length(r, "rank", y.shape[0])
    return y, w, r


def _check_bounds(y_min: float, y_max: float) -> tuple[float, float]:
    y_min, y_max = float(y_min), float(y_max)
    if not (math.isfinite(y_min) and math.isfinite(y_max) and y_min < y_max):
        raise ValueError(
            f"y_min and y_max must be finite with y_min < y_max, got y_min={y_min!r}, "
            f"y_max={y_max!r}."
        )
    return y_min, y_max


def _check_level(level: float) -> float:
    level = float(level)
    if not (0.0 < level < 1.0):
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}.")
    return level


def _div(num: float, den: float) -> float:
    """num / den, NaN (never a warning) when den is 0 or either operand is NaN."""
    if den == 0 or math.isnan(num) or math.isnan(den):
        return NAN
    return float(num / den)


# --------------------------------------------------------------------------- weighted moments


def _wmoments(y: np.ndarray, r: np.ndarray, w: np.ndarray) -> tuple[float, float, float, float]:
    """Weighted (mean y, mean r, cov(y, r), var(r)) with weights normalised to sum 1.

    NaNs when the total weight is zero.
    """
    total = float(w.sum())
    if total == 0:
        return NAN, NAN, NAN, NAN
    p = w / total
    live = y[w > 0]
    # constant y (over persons present): use the value itself, so C is exactly 0 and a mean
    # sitting on a bound is exactly that bound, not 1 ulp off (which would blow up Wagstaff)
    my = float(live[0]) if live.min() == live.max() else float(p @ y)
    mr = float(p @ r)
    dr = r - mr
    return my, mr, float(p @ ((y - my) * dr)), float(p @ (dr * dr))


def weighted_mean(y, w, mask=None) -> float:
    """Weighted mean of ``y`` over the rows where ``mask`` is True.

    Parameters
    ----------
    y : array, shape (n,)
        Outcome per person (a 0/1 indicator gives a rate, a proportion in [0, 1]).
    w : array, shape (n,)
        Person weights, >= 0.
    mask : bool array, shape (n,), optional
        Rows to include; all rows when None.

    Returns
    -------
    float
        ``sum(w*y) / sum(w)`` over the selected rows, in the units of ``y``; NaN if the
        selected rows have zero total weight (including no rows at all).
    """
    y, w = _check_yw(y, w)
    if mask is not None:
        m = _check_mask(mask, y.shape[0])
        y, w = y[m], w[m]
    return _div(float(w @ y), float(w.sum()))


def rate_by_group(y, w, codes, labels: Sequence[str]) -> dict[str, float]:
    """Weighted mean of ``y`` within each group code, keyed by label.

    Parameters
    ----------
    y, w : arrays, shape (n,)
        Outcome and person weights.
    codes : int or bool array, shape (n,)
        Group code per row, each in ``0 .. len(labels) - 1`` (e.g. ``sim.model.domain`` codes).
    labels : sequence of str
        Label of each code, in code order.

    Returns
    -------
    dict[str, float]
        ``{labels[k]: weighted mean of y over rows with codes == k}``, in code order; NaN for
        a group with zero total weight (e.g. no rows).
    """
    y, w = _check_yw(y, w)
    c = np.asarray(codes)
    if c.ndim != 1 or c.dtype.kind not in "biu":
        raise ValueError(
            f"codes must be a 1-D integer or bool array, got dtype {c.dtype} and shape {c.shape}."
        )
    _check_same_length(c, "codes", y.shape[0])
    labels = list(labels)
    k = len(labels)
    if k == 0:
        raise ValueError("labels must contain at least one label.")
    if len(set(labels)) != k:
        raise ValueError(f"labels must be unique, got {labels!r}.")
    c = c.astype(np.int64)
    if c.size and (c.min() < 0 or c.max() >= k):
        raise ValueError(
            f"codes must lie in 0..{k - 1} (one per label); found values in "
            f"[{int(c.min())}, {int(c.max())}]."
        )
    num = np.bincount(c, weights=w * y, minlength=k)
    den = np.bincount(c, weights=w, minlength=k)
    return {lab: _div(float(num[i]), float(den[i])) for i, lab in enumerate(labels)}


def rate_ratio(a: float, b: float) -> float:
    """``a / b`` (e.g. B40 uptake over T20 uptake); NaN when b is 0 or either is NaN."""
    return _div(float(a), float(b))


def rate_difference(a: float, b: float) -> float:
    """``a - b`` in the units of the rates (e.g. percentage points if rates are in %).

    NaN when either is NaN. Unlike :func:`rate_ratio`, ``b == 0`` is a valid difference.
    """
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return NAN
    return a - b


# --------------------------------------------------------------------------- rank-based inequality


def fractional_rank(x, w) -> np.ndarray:
    """Weighted fractional rank of ``x`` (e.g. household income), ties sharing one rank.

    ``R_i = (W(x < x_i) + W(x == x_i) / 2) / W_total`` where ``W(.)`` sums weights. This is
    the mid-point of unit i's tie group on the cumulative population share, so ``R`` lies in
    ``(0, 1)`` when all weights are positive, its weighted mean is exactly 0.5, and it does
    not depend on row order. A row of weight 2 gets the same rank as two tied rows of weight 1.

    Parameters
    ----------
    x : array, shape (n,)
        Ranking variable (finite).
    w : array, shape (n,)
        Person weights, >= 0.

    Returns
    -------
    np.ndarray, float64, shape (n,)
        Ranks in [0, 1]; all NaN if the total weight is zero.
    """
    x = _as_1d_float(x, "x")
    w = _check_weights(w, x.shape[0])
    total = float(w.sum())
    if total == 0:
        return np.full(x.shape[0], NAN)
    uniq, inv = np.unique(x, return_inverse=True)
    wg = np.bincount(inv, weights=w, minlength=uniq.shape[0])
    below = np.cumsum(wg) - wg  # weight strictly below each distinct value
    return ((below + 0.5 * wg) / total)[inv].astype(np.float64)


def concentration_index(y, w, rank) -> float:
    """Concentration index ``C = 2 cov_w(y, R) / mean_w(y)`` (weights normalised to sum 1).

    Equivalently ``C = 2 * (y-weighted mean of R) - 2 * mean_w(R)``, so with fractional ranks
    and ``y >= 0``, ``C`` lies in ``(-1, 1)``. Positive: ``y`` concentrated among the better-off
    (high rank); negative: among the worse-off; 0 for constant ``y``. Dimensionless. The
    weighted "convenient covariance" formula of O'Donnell, van Doorslaer, Wagstaff & Lindelow
    (2008), *Analyzing Health Equity Using Household Survey Data*, World Bank, ch. 8. For a
    bounded outcome ``C`` depends on the mean and is not mirror-invariant: ``C(1 - y) =
    -C(y) mu / (1 - mu)``, so the attainment and the shortfall can rank populations
    differently (the reason for the two corrected indices below).

    Parameters
    ----------
    y : array, shape (n,)
        Outcome (e.g. 0/1 uptake), ratio-scale.
    w : array, shape (n,)
        Person weights.
    rank : array, shape (n,)
        Fractional rank, typically :func:`fractional_rank` of income with the same ``w``.

    Returns
    -------
    float
        NaN if the total weight or ``mean_w(y)`` is zero.
    """
    y, w, r = _check_yw_rank(y, w, rank)
    my, _, cov, _ = _wmoments(y, r, w)
    return _div(2.0 * cov, my)


def concentration_index_wagstaff(y, w, rank, y_min: float = 0.0, y_max: float = 1.0) -> float:
    """Wagstaff-normalised concentration index for an outcome bounded in ``[y_min, y_max]``.

    ``W = C * (y_max - y_min) * mu / ((y_max - mu) * (mu - y_min))``, with ``C`` from
    :func:`concentration_index` and ``mu = mean_w(y)`` (Wagstaff 2005, Health Econ 14:429;
    general form as in Erreygers 2009, J Health Econ 28:504, eq. for ``W(h)``). For a binary
    outcome (``y_min=0, y_max=1``) this is ``C / (1 - mu)``. Equivalently
    ``W = 2 (y_max - y_min) cov_w(y, R) / ((y_max - mu)(mu - y_min))``, invariant to shifting
    ``y`` together with its bounds. Range [-1, 1] for binary ``y``: the relative index ``C``
    rescaled by its largest possible value at the given mean, which makes it mirror-symmetric,
    ``W(y_max + y_min - y) = -W(y)``.

    Returns NaN when ``mu`` equals either bound (no variation possible) or total weight is 0.
    Raises ValueError if ``y`` falls outside ``[y_min, y_max]``.
    """
    y, w, r = _check_yw_rank(y, w, rank)
    y_min, y_max = _check_bounds(y_min, y_max)
    _check_within(y, y_min, y_max)
    my, _, cov, _ = _wmoments(y, r, w)
    return _div(2.0 * cov * (y_max - y_min), (y_max - my) * (my - y_min))


def concentration_index_erreygers(y, w, rank, y_min: float = 0.0, y_max: float = 1.0) -> float:
    """Erreygers (2009) corrected concentration index ``E = 4 mu / (y_max - y_min) * C``.

    ``mu = mean_w(y)``; equivalently ``E = 8 cov_w(y, R) / (y_max - y_min)``, which stays
    defined (0) when ``mu`` is 0. Range [-1, 1] for bounded ``y``. NaN only if total weight is 0.
    An absolute measure: adding the same amount to everyone leaves it unchanged, and it obeys
    the mirror property ``E(y_max + y_min - y) = -E(y)`` (inequality in the shortfall is
    minus that in the attainment).
    Raises ValueError if ``y`` falls outside ``[y_min, y_max]``.
    """
    y, w, r = _check_yw_rank(y, w, rank)
    y_min, y_max = _check_bounds(y_min, y_max)
    _check_within(y, y_min, y_max)
    _, _, cov, _ = _wmoments(y, r, w)
    return _div(8.0 * cov, y_max - y_min)


def _check_within(y: np.ndarray, y_min: float, y_max: float) -> None:
    if y.size and (y.min() < y_min or y.max() > y_max):
        raise ValueError(
            f"y must lie within [y_min, y_max] = [{y_min}, {y_max}]; found values in "
            f"[{y.min()}, {y.max()}]."
        )


def concentration_curve(y, w, rank, n_points: int = 101) -> tuple[np.ndarray, np.ndarray]:
    """Concentration curve of ``y`` against rank: cumulative population vs. cumulative ``y``.

    Rows are ordered by ``rank`` (poorest first); rows with tied rank form one step, within
    which ``y`` is spread evenly (linear interpolation), so the curve does not depend on row
    order. The curve is evaluated on ``n_points`` equally spaced population shares.

    Parameters
    ----------
    y : array, shape (n,), ``>= 0``
    w : array, shape (n,)
    rank : array, shape (n,)
    n_points : int, >= 2

    Returns
    -------
    (p, L) : two float64 arrays of shape (n_points,)
        ``p = linspace(0, 1, n_points)`` is the cumulative population share and ``L[j]`` the
        share of total weighted ``y`` held by the poorest ``p[j]`` of the population, with
        ``L[0] = 0`` and ``L[-1] = 1``. ``L`` lies below the diagonal where ``y`` rises with
        rank. ``L`` is all NaN if the total weight or total ``y`` is zero.
    """
    y, w, r = _check_yw_rank(y, w, rank)
    if (y < 0).any():
        raise ValueError("y must be non-negative for a concentration curve (shares of a total).")
    if isinstance(n_points, bool) or not isinstance(n_points, (int, np.integer)) or n_points < 2:
        raise ValueError(f"n_points must be an integer >= 2, got {n_points!r}.")
    p = np.linspace(0.0, 1.0, int(n_points))
    tw = float(w.sum())
    ty = float(w @ y)
    if tw == 0 or ty == 0:
        return p, np.full(p.shape, NAN)
    uniq, inv = np.unique(r, return_inverse=True)
    gw = np.bincount(inv, weights=w, minlength=uniq.size)
    gy = np.bincount(inv, weights=w * y, minlength=uniq.size)
    keep = gw > 0  # zero-weight rank groups hold no persons (and no y); dropping them keeps
    # the knots strictly increasing, as np.interp requires
    cw = np.concatenate(([0.0], np.cumsum(gw[keep]))) / tw
    cy = np.concatenate(([0.0], np.cumsum(gy[keep]))) / ty
    cw[-1], cy[-1] = 1.0, 1.0  # remove rounding at the end point
    return p, np.interp(p, cw, cy)


def slope_index_of_inequality(y, w, rank) -> float:
    """Slope index of inequality: weighted least-squares slope of ``y`` on rank ``R``.

    ``SII = cov_w(y, R) / var_w(R)``, in units of ``y`` per unit of rank: the modelled gap
    between the top (R=1) and the bottom (R=0) of the distribution. NaN if total weight is 0
    or ``R`` has no weighted variance.
    """
    y, w, r = _check_yw_rank(y, w, rank)
    _, _, cov, var_r = _wmoments(y, r, w)
    return _div(cov, var_r)


def relative_index_of_inequality(y, w, rank) -> float:
    """Relative index of inequality: fitted ``y`` at R=1 over fitted ``y`` at R=0.

    From the weighted least-squares line ``y = a + b R`` (``b`` the SII),
    ``RII = (a + b) / a``. Dimensionless; > 1 when ``y`` rises with rank. NaN when the
    fitted value at R=0 is ``<= 0`` or the slope is undefined.
    """
    y, w, r = _check_yw_rank(y, w, rank)
    my, mr, cov, var_r = _wmoments(y, r, w)
    b = _div(cov, var_r)
    if math.isnan(b):
        return NAN
    a = my - b * mr
    if a <= 0:
        return NAN
    return (a + b) / a


def benefit_incidence(spend, w, mask) -> float:
    """Share of total weighted public spending that reaches the rows where ``mask`` holds.

    Parameters
    ----------
    spend : array, shape (n,)
        Spending per person (RM, >= 0) for each row.
    w : array, shape (n,)
        Person weights; row total spending is ``spend * w``.
    mask : bool array, shape (n,)
        Target group (e.g. ``income_group == B40``).

    Returns
    -------
    float
        ``sum(spend*w over mask) / sum(spend*w)`` in [0, 1]; NaN if total spending is 0.
    """
    s = _as_1d_float(spend, "spend")
    if (s < 0).any():
        raise ValueError("spend must be non-negative (RM per person); found negative values.")
    w = _check_weights(w, s.shape[0])
    m = _check_mask(mask, s.shape[0])
    sw = s * w
    return _div(float(sw[m].sum()), float(sw.sum()))


# --------------------------------------------------------------------------- time units


def _check_prob(x, name: str):
    arr = np.asarray(x, dtype=np.float64) if np.asarray(x).dtype.kind in "biuf" else None
    if arr is None:
        raise ValueError(f"{name} must be a numeric probability or array of probabilities.")
    if not np.all((arr >= 0) & (arr <= 1)):
        raise ValueError(f"{name} must be probabilities in [0, 1] (no NaN), got {x!r}.")
    return arr


def quarterly_to_annual_rate(q):
    """Annual probability from a constant quarterly probability: ``1 - (1 - q)**4``.

    Computed as ``-expm1(4 log1p(-q))``, accurate for small probabilities. Accepts a scalar (returns float) or an array (returns float64 array of the same shape).
    """
    arr = _check_prob(q, "q")
    with np.errstate(divide="ignore"):  # log1p(-1) = -inf -> expm1(-inf) = -1, as intended
        out = -np.expm1(4.0 * np.log1p(-arr))
    return float(out) if out.ndim == 0 else out


def annual_to_quarterly_rate(a):
    """Constant quarterly probability giving annual probability ``a``: ``1 - (1 - a)**(1/4)``.

    Computed as ``-expm1(log1p(-a) / 4)``. Inverse of :func:`quarterly_to_annual_rate`; note
    the round trip quarterly -> annual -> quarterly loses precision for ``q`` near 1, where
    ``1 - a = (1 - q)**4`` underflows relative to 1. Accepts a scalar (returns float) or an array (returns float64 array of the same shape).
    """
    arr = _check_prob(a, "a")
    with np.errstate(divide="ignore"):
        out = -np.expm1(0.25 * np.log1p(-arr))
    return float(out) if out.ndim == 0 else out


# --------------------------------------------------------------------------- discounting


def _check_discount_rate(annual_rate) -> float:
    r = float(annual_rate)
    if not (math.isfinite(r) and r > -1.0):
        raise ValueError(f"annual_rate must be a finite annual discount rate above -1 (0.03 is 3%), got {annual_rate!r}.")
    return r


def discount_factor(quarter, annual_rate: float):
    """Present-value factor of an amount in quarter ``quarter``: ``(1 + r) ** (-quarter / 4)``.

    ``quarter`` counts quarters from the start of the horizon (0-based: the first quarter is
    not discounted), ``annual_rate`` is the annual discount rate as a fraction (0.03 for 3%),
    compounded annually and spread evenly over the quarters of a year. Accepts a scalar
    (returns float) or an array of quarters >= 0 (returns float64 array of the same shape).
    """
    r = _check_discount_rate(annual_rate)
    q = np.asarray(quarter)
    if q.dtype.kind not in "biuf":
        raise ValueError(f"quarter must be numeric (quarters from the start), got dtype {q.dtype}.")
    q = q.astype(np.float64)
    if not np.all(np.isfinite(q) & (q >= 0)):
        raise ValueError("quarter must be finite and >= 0 (quarters from the start of the horizon).")
    out = np.exp(-q / 4.0 * math.log1p(r))
    return float(out) if out.ndim == 0 else out


def discounted_sum(amounts_by_quarter, annual_rate: float) -> float:
    """Present value ``sum_q amounts[q] * (1 + r) ** (-q / 4)`` of a per-quarter series whose
    entry ``q`` falls in quarter ``q`` (0-based), in the units of the amounts (RM, persons).
    At rate 0 it is the plain sum. NaN entries propagate."""
    a = _as_1d_float(amounts_by_quarter, "amounts_by_quarter", allow_nan=True)
    return float(a @ discount_factor(np.arange(a.shape[0]), annual_rate)) if a.size else 0.0


# --------------------------------------------------------------------------- replicate summaries


def _t_interval(mean: float, var: float, n: int, level: float) -> tuple[float, float]:
    if n < 2 or math.isnan(mean) or math.isnan(var):
        return NAN, NAN
    from scipy import stats  # here, not at the top: importing it costs a plain run 0.4 s

    half = float(stats.t.ppf(0.5 + level / 2.0, df=n - 1)) * math.sqrt(var / n)
    return mean - half, mean + half


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of replicate values and its Student-t confidence interval.

    Parameters
    ----------
    values : array, shape (n,)
        One statistic per replicate (unweighted). NaN entries (an undefined statistic in some
        replicate) make every output NaN rather than being silently dropped.
    level : float in (0, 1)

    Returns
    -------
    (mean, low, high)
        ``mean +/- t_{(1+level)/2, n-1} * s / sqrt(n)`` with ``s`` the sample SD (ddof=1).
        ``mean`` is NaN for no values; the interval is NaN for fewer than 2 values.
    """
    v = _as_1d_float(values, "values", allow_nan=True)
    level = _check_level(level)
    n = v.shape[0]
    if n == 0:
        return NAN, NAN, NAN
    mean = float(v.sum() / n)
    var = float(((v - mean) ** 2).sum() / (n - 1)) if n >= 2 else NAN
    lo, hi = _t_interval(mean, var, n, level)
    return mean, lo, hi


def paired_difference_ci(a, b, level: float = 0.95) -> dict:
    """Mean paired difference ``a - b`` over replicates, with what pairing buys.

    ``a[i]`` and ``b[i]`` are the same statistic from scenario and baseline run ``i`` sharing
    common random numbers.

    Returns
    -------
    dict with keys
        ``n``: number of pairs;
        ``mean_difference``: ``mean(a - b)``;
        ``ci_low``, ``ci_high``: Student-t interval ``mean_d +/- t_{(1+level)/2, n-1} *
        sqrt(var_paired / n)``;
        ``var_paired``: sample variance (ddof=1) of the per-replicate differences
        ``d_i = a_i - b_i``, i.e. ``var(a) + var(b) - 2 cov(a, b)``; ``var_paired / n`` is the
        squared standard error of ``mean_difference``;
        ``var_unpaired``: ``var(a) + var(b)`` (each sample variance, ddof=1), the variance of a
        single difference if ``a`` and ``b`` were independent runs (no common random
        numbers); ``var_unpaired / n`` is the squared standard error of ``mean(a) - mean(b)``
        from two independent sets of ``n`` runs. Same per-replicate scale as ``var_paired``;
        ``variance_ratio = var_paired / var_unpaired`` is below 1 when pairing helps.
        ``se_paired``, ``se_unpaired``: ``sqrt(var_paired / n)``, ``sqrt(var_unpaired / n)``.
    Variances, standard errors and the interval are NaN for fewer than 2 pairs; NaN entries
    propagate to every output.
    """
    a = _as_1d_float(a, "a", allow_nan=True)
    b = _as_1d_float(b, "b", allow_nan=True)
    if a.shape != b.shape:
        raise ValueError(f"a and b must be paired (same length), got {a.shape[0]} and {b.shape[0]}.")
    level = _check_level(level)
    n = a.shape[0]
    d = a - b

    def svar(x: np.ndarray) -> float:
        if n < 2:
            return NAN
        return float(((x - x.sum() / n) ** 2).sum() / (n - 1))

    mean_d = float(d.sum() / n) if n else NAN
    var_p = svar(d)
    var_u = svar(a) + svar(b)
    lo, hi = _t_interval(mean_d, var_p, n, level)
    se_p = math.sqrt(var_p / n) if not math.isnan(var_p) else NAN
    se_u = math.sqrt(var_u / n) if not math.isnan(var_u) else NAN
    return {
        "n": n,
        "mean_difference": mean_d,
        "ci_low": lo,
        "ci_high": hi,
        "var_paired": var_p,
        "var_unpaired": var_u,
        "variance_ratio": _div(var_p, var_u),
        "se_paired": se_p,
        "se_unpaired": se_u,
    }
