"""Scenario effects against the baseline: paired differences over replicates, exact per-person
counterfactuals, and cost-effectiveness. Pure functions over frames and arrays.

Replicate ``i`` of every scenario shares its seed with replicate ``i`` of the baseline, so
learner ``j`` is the same person in both runs (common random numbers): differences are taken
pair by pair, and person by person where the per-learner outcomes are available.
All person counts are national (sums of person weights); money is RM over the horizon.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from sim import metrics
from sim.model.domain import INCOME_GROUPS, LABOUR, LOCATIONS, SEXES, STATES
from sim.model.outcomes import flatten_outcomes as flatten  # noqa: F401 (re-exported)

BASELINE = "baseline"
# Annual discount rates (fractions) for costs and outcomes: the report's default, and the rates
# whose discounted totals every pair carries (the sensitivity table; the default among them).
DISCOUNT_RATE = 0.03
DISCOUNT_RATES = (0.0, 0.03, 0.06)
ID_COLUMNS = ("scenario", "replicate", "seed")
RUN_INFO_COLUMNS = ("draw", "n_agents", "persons", "quarters", "wall_time_s")  # describe a run, not an outcome
NAN = float("nan")

# dimension -> (learner_outcomes array, labels in code order)
WHO_DIMENSIONS = {
    "income": ("income_group", INCOME_GROUPS),
    "location": ("rural", LOCATIONS),
    "sex": ("female", SEXES),
    "labour_status": ("initial_labour", LABOUR),
    "state": ("state", STATES),            # state of residence (leavers: their last state)
}


# --------------------------------------------------------------------------- outcome columns


def split_outcome(column: str) -> tuple[str, str]:
    """``"uptake_by_income.B40"`` -> ``("uptake_by_income", "B40")``; plain names get group "all"."""
    outcome, _, group = column.partition(".")
    return outcome, group or "all"


def _paired(frame: pd.DataFrame, scenario: str, column: str, baseline: str) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``column`` in ``scenario`` and in the baseline, aligned by seed."""
    a = frame.loc[frame.scenario == scenario].set_index("seed")[column]
    b = frame.loc[frame.scenario == baseline].set_index("seed")[column]
    seeds = sorted(set(a.index) & set(b.index))
    return a.loc[seeds].to_numpy(float), b.loc[seeds].to_numpy(float)


def paired_effects(runs: pd.DataFrame, columns=None, baseline: str = BASELINE, level: float = 0.95) -> pd.DataFrame:
    """Each scenario's level and its paired difference from the baseline, per outcome column.

    ``runs`` has one row per run (``scenario``, ``seed`` and numeric outcome columns). Returns
    one row per (scenario, outcome, group) with the level (mean and Student-t interval over
    replicates), the baseline mean, the paired difference with its interval, and the variance
    of paired versus unpaired differences (see :func:`sim.metrics.paired_difference_ci`).
    """
    if baseline not in set(runs.scenario):
        raise ValueError(f"runs has no {baseline!r} rows: every scenario is read against the baseline")
    columns = list(columns) if columns is not None else [c for c in runs.columns if c not in ID_COLUMNS + RUN_INFO_COLUMNS
                                                         and pd.api.types.is_numeric_dtype(runs[c])]
    rows = []
    for scenario in pd.unique(runs.scenario):
        for column in columns:
            a, b = _paired(runs, scenario, column, baseline)
            mean, lo, hi = metrics.mean_ci(a, level)
            d = metrics.paired_difference_ci(a, b, level)
            outcome, group = split_outcome(column)
            rows.append({
                "scenario": scenario, "outcome": outcome, "group": group, "n_replicates": len(a),
                "mean": mean, "ci_low": lo, "ci_high": hi, "baseline_mean": metrics.mean_ci(b, level)[0],
                "difference": d["mean_difference"], "difference_ci_low": d["ci_low"],
                "difference_ci_high": d["ci_high"], **_uncertainty_interval(a - b, level), "var_paired": d["var_paired"],
                "var_unpaired": d["var_unpaired"], "variance_ratio": d["variance_ratio"],
            })
    return pd.DataFrame(rows)


def _uncertainty_interval(differences: np.ndarray, level: float) -> dict[str, float]:
    """Central ``level`` range of the per-pair differences (percentiles): where one pair's effect
    falls, so with parameter draws it holds parameter and seed uncertainty together (the
    ``difference_ci_*`` interval is that of the mean effect)."""
    d = differences[np.isfinite(differences)]
    if len(d) < 2:
        return {"difference_ui_low": NAN, "difference_ui_high": NAN}
    lo, hi = np.percentile(d, [50 * (1 - level), 50 * (1 + level)])
    return {"difference_ui_low": float(lo), "difference_ui_high": float(hi)}


# --------------------------------------------------------------------------- counterfactuals
def _check_paired(scen: Mapping, base: Mapping) -> np.ndarray:
    w = np.asarray(base["weight"], dtype=np.float64)
    for key in ("weight", "income_group", "rural", "female"):
        if not np.array_equal(np.asarray(scen[key]), np.asarray(base[key])):
            raise ValueError(f"learner outcomes are not paired: {key} differs between scenario and baseline "
                             "(same seed and population config are required)")
    return w


def rate_tag(rate: float) -> str:
    """Column suffix of an annual discount rate: 0.03 -> ``"3pct"``, 0.035 -> ``"3.5pct"``."""
    return f"{100 * float(rate):g}pct"


def discounted_name(column: str, rate: float) -> str:
    """Name of ``column`` discounted at ``rate``: ``additional_completers_b40_discounted_3pct``."""
    return f"{column}_discounted_{rate_tag(rate)}"


def _discounted_completers(scen: Mapping, base: Mapping, w: np.ndarray, cs: np.ndarray, cb: np.ndarray,
                           rates) -> dict[str, float]:
    """Additional completers (all, B40, rural), each person counted at the quarter of their first
    completion with factor ``(1 + r) ** (-q / 4)``: ``sum_j w_j (cs_j d(q_s,j) - cb_j d(q_b,j))``. A
    person who completes in both runs but earlier under the scenario adds a little (a gain
    brought forward). NaN for records made before the quarter of first completion was kept."""
    groups = {"": np.ones(len(w), bool), "_b40": np.asarray(base["income_group"]) == INCOME_GROUPS.index("B40"),
              "_rural": np.asarray(base["rural"], bool)}
    if "first_completed_quarter" not in scen or "first_completed_quarter" not in base:
        return {discounted_name(f"additional_completers{g}", r): NAN for r in rates for g in groups}
    qs = np.maximum(np.asarray(scen["first_completed_quarter"], np.float64), 0.0)   # -1 (never) is masked by cs
    qb = np.maximum(np.asarray(base["first_completed_quarter"], np.float64), 0.0)
    out = {}
    for r in rates:
        delta = w * (cs * metrics.discount_factor(qs, r) - cb * metrics.discount_factor(qb, r))
        for g, mask in groups.items():
            out[discounted_name(f"additional_completers{g}", r)] = float(delta[mask].sum())
    return out


def counterfactual(scen: Mapping[str, np.ndarray], base: Mapping[str, np.ndarray],
                   rates=DISCOUNT_RATES) -> tuple[dict, pd.DataFrame]:
    """Exact per-person effects of a scenario run against the baseline run with the same seed.

    Both mappings hold per-learner arrays (``RunRecord.learner_outcomes``): ``weight``
    (persons), ``ever_enrolled``, ``completions`` (count), ``ever_subsidised``, ``subsidy_rm``
    (RM per person) and the group codes of :data:`WHO_DIMENSIONS`. Index ``j`` is the same
    person in both. Returns (totals, who) where ``totals`` holds persons and shares:

    - ``induced_enrollees``: enrolled in the scenario, not in the baseline;
    - ``displaced_enrollees``: enrolled in the baseline, not in the scenario (e.g. crowded out
      of seats); ``additional_enrollees`` = induced - displaced;
    - ``additional_completions``: extra courses completed; ``induced_completers`` /
      ``lost_completers`` / ``additional_completers`` likewise for persons with >= 1 completion;
    - ``subsidised_persons``: ``ever_subsidised`` in the scenario; ``deadweight``: share of
      them (by persons) who also enrolled in the baseline, NaN when nobody was subsidised;
    - ``displacement_share``: displaced / baseline enrollees;
    - ``subsidised_completions``: courses completed in the scenario by the subsidised persons;
      ``deadweight_completions``: the share of those completions that would have happened
      anyway, ``sum_S w min(n_b, n_s) / sum_S w n_s`` over the subsidised persons S with
      ``n_s``, ``n_b`` their completions in the scenario and in the baseline: the same person
      completes ``n_b`` courses without the policy, so up to that many of their completions are
      not caused by it (capped at ``n_s``: a person cannot have more of them happen anyway than
      they completed). It is the completion analogue of ``deadweight`` (which is ``sum_S w
      min(e_b, e_s) / sum_S w e_s`` with enrolment indicators, ``e_s = 1`` for the subsidised).
      All completions of a subsidised person count, subsidised courses or not (the record
      does not say which course a subsidy paid for). NaN when they completed none;
    - for each annual rate ``r`` of ``rates``: ``additional_completers{,_b40,_rural}_discounted_{r}``
      (see :func:`discounted_name`), each person's first completion discounted to the start
      of the horizon (``first_completed_quarter``; NaN when the records do not hold it).

    ``who`` has one row per (dimension, group): additional, induced and lost completers,
    additional enrollees and the group's population (persons); a dimension whose array is
    missing from the records is left out.
    """
    w = _check_paired(scen, base)
    # Enrollees are counted in the final population, like the uptake outcome; completions,
    # subsidies and deadweight over everyone who lived in the run (leavers included), like
    # the ledger and the completion totals.
    present = np.asarray(scen.get("present", np.ones(len(w), dtype=bool)), bool)
    es = np.asarray(scen["ever_enrolled"], bool) & present
    eb = np.asarray(base["ever_enrolled"], bool) & present
    ns, nb = np.asarray(scen["completions"], np.float64), np.asarray(base["completions"], np.float64)
    cs, cb = ns > 0, nb > 0
    sub = np.asarray(scen["ever_subsidised"], bool)
    induced, displaced = w @ (es & ~eb), w @ (eb & ~es)
    subsidised = float(w @ sub)
    totals = {
        "induced_enrollees": float(induced),
        "displaced_enrollees": float(displaced),
        "additional_enrollees": float(induced - displaced),
        "additional_completions": float(w @ (ns - nb)),
        "induced_completers": float(w @ (cs & ~cb)),
        "lost_completers": float(w @ (cb & ~cs)),
        "additional_completers": float(w @ (cs.astype(np.float64) - cb)),
        "subsidised_persons": subsidised,
        "deadweight": float(w @ (sub & np.asarray(base["ever_enrolled"], bool))) / subsidised if subsidised > 0 else NAN,
        "displacement_share": float(displaced / (w @ eb)) if w @ eb > 0 else NAN,
        "subsidy_rm": float(w @ np.asarray(scen["subsidy_rm"], np.float64)),
    }
    sub_completions = float(w @ (sub * ns))
    totals["subsidised_completions"] = sub_completions
    totals["deadweight_completions"] = (float(w @ (sub * np.minimum(ns, nb))) / sub_completions
                                        if sub_completions > 0 else NAN)
    totals.update(_discounted_completers(scen, base, w, cs, cb, rates))
    delta_completer = cs.astype(np.float64) - cb
    delta_enrollee = es.astype(np.float64) - eb
    rows = []
    for dimension, (key, labels) in WHO_DIMENSIONS.items():
        if key not in base:   # records without that attribute (e.g. made before states were kept)
            continue
        codes = np.asarray(base[key]).astype(np.int64)
        k = len(labels)

        def by(values):
            return np.bincount(codes, weights=w * values, minlength=k)

        add, ind, lost = by(delta_completer), by(cs & ~cb), by(cb & ~cs)
        enr, pop = by(delta_enrollee), by(np.ones_like(w))
        for i, label in enumerate(labels):
            rows.append({"dimension": dimension, "group": label, "additional_completers": add[i],
                         "induced_completers": ind[i], "lost_completers": lost[i],
                         "additional_enrollees": enr[i], "population": pop[i]})
    return totals, pd.DataFrame(rows)


def summarise_replicates(frame: pd.DataFrame, by: list[str], values: list[str], level: float = 0.95) -> pd.DataFrame:
    """Mean and Student-t interval over replicates of each value column, per ``by`` group.

    Returns tidy rows: ``*by, measure, n_replicates, mean, ci_low, ci_high``.
    """
    rows = []
    for keys, group in frame.groupby(by, sort=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        for value in values:
            v = group[value].to_numpy(float)
            mean, lo, hi = metrics.mean_ci(v, level)
            rows.append({**dict(zip(by, keys)), "measure": value, "n_replicates": len(v),
                         "mean": mean, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- cost-effectiveness
# what cost-effectiveness divides: incremental public spend (RM) and effects (persons)
INCREMENTAL_COLUMNS = ("incremental_spend_rm", "incremental_spend_attributable_rm", "additional_completions",
                       "additional_completers", "additional_completers_b40", "additional_completers_rural")


def discounted_incremental(pairs: pd.DataFrame, rate: float = DISCOUNT_RATE) -> pd.DataFrame:
    """``pairs`` (one row per scenario and seed, :func:`sim.analysis.tables.pairs_frame`) with
    the columns of :data:`INCREMENTAL_COLUMNS` replaced by their present values at the annual
    ``rate``: spend discounted quarter by quarter, completers at the quarter of each person's
    first completion, completions at the quarter they happen, all to the start of the horizon.
    ``cost_effectiveness(discounted_incremental(pairs, r))`` is the cost-effectiveness at ``r``.
    At rate 0 the values equal the undiscounted columns. Raises ValueError for a rate the
    pairs were not discounted at (see :data:`DISCOUNT_RATES`)."""
    names = {c: discounted_name(c, rate) for c in INCREMENTAL_COLUMNS}
    missing = [n for n in names.values() if n not in pairs]
    if missing:
        stored = sorted({c.rsplit("_discounted_", 1)[1] for c in pairs if "_discounted_" in c})
        raise ValueError(f"the pairs hold no totals discounted at {rate_tag(rate)} a year (missing {missing[0]}); "
                         f"rates available: {', '.join(stored) or 'none'}")
    return pairs.assign(**{c: pairs[n] for c, n in names.items()})


def ratio_ci(numerator, denominator, level: float = 0.95) -> tuple[float, float, float]:
    """Ratio of means ``mean(num) / mean(den)`` over paired replicates, with a delta-method
    Student-t interval. The interval is NaN unless the denominator's own interval excludes 0
    (a cost per unit of an effect that may be zero has no upper bound)."""
    x, y = np.asarray(numerator, float), np.asarray(denominator, float)
    n = len(x)
    if n == 0 or np.isnan(x).any() or np.isnan(y).any():
        return NAN, NAN, NAN
    mx, my = x.mean(), y.mean()
    if my <= 0:
        return NAN, NAN, NAN
    r = mx / my
    _, dlo, _ = metrics.mean_ci(y, level)
    if n < 2 or not dlo > 0:
        return r, NAN, NAN
    cov = np.cov(x, y, ddof=1)
    var_r = (cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1]) / (my * my) / n
    from scipy import stats

    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * math.sqrt(max(var_r, 0.0))
    return r, r - half, r + half


def cost_effectiveness(pairs: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Cost per additional completer (all, B40, rural) per scenario, in full and, when
    ``pairs`` has ``incremental_spend_attributable_rm``, attributable to learning.

    ``pairs`` has one row per (scenario, seed) pair with ``incremental_spend_rm`` (public
    spend minus the paired baseline's, RM), optionally ``incremental_spend_attributable_rm``
    (the same with connectivity outlays at their learning share), ``additional_completers``,
    ``additional_completers_b40`` and ``additional_completers_rural`` (persons). Returns one
    row per scenario: mean incremental spend and effects, the three costs (RM per additional
    completer) with intervals, and the frontier status from :func:`frontier`; with
    attributable spend also ``incremental_spend_attributable_rm``, the three costs as
    ``cost_per_additional_completer{,_b40,_rural}_attributable_rm`` with intervals, and
    ``frontier_attributable``.
    """
    effects = (("", "additional_completers"), ("_b40", "additional_completers_b40"),
               ("_rural", "additional_completers_rural"))
    rows, attributable_rows = [], []
    for scenario, g in pairs.groupby("scenario", sort=False):
        spend = g.incremental_spend_rm.to_numpy(float)
        row = {"scenario": scenario, "n_replicates": len(g), "incremental_spend_rm": spend.mean()}
        for suffix, col in effects:
            mean, lo, hi = metrics.mean_ci(g[col].to_numpy(float), level)
            row.update({col: mean, f"{col}_ci_low": lo, f"{col}_ci_high": hi})
            row.update(_cost_columns(f"cost_per_additional_completer{suffix}_rm", spend, g[col], level))
        rows.append(row)
        if "incremental_spend_attributable_rm" in g:   # appended after the full-cost columns
            spend = g.incremental_spend_attributable_rm.to_numpy(float)
            extra = {"incremental_spend_attributable_rm": spend.mean()}
            for suffix, col in effects:
                extra.update(_cost_columns(f"cost_per_additional_completer{suffix}_attributable_rm", spend, g[col],
                                           level))
            attributable_rows.append(extra)
    table = pd.DataFrame(rows)
    if len(table):
        table["frontier"] = frontier(table.incremental_spend_rm.to_numpy(), table.additional_completers.to_numpy())
    if attributable_rows:
        table = pd.concat([table, pd.DataFrame(attributable_rows)], axis=1)
        table["frontier_attributable"] = frontier(table.incremental_spend_attributable_rm.to_numpy(),
                                                  table.additional_completers.to_numpy())
    return table


def _cost_columns(name: str, spend: np.ndarray, effect, level: float) -> dict[str, float]:
    r, lo, hi = ratio_ci(spend, np.asarray(effect, float), level)
    return {name: r, f"{name}_ci_low": lo, f"{name}_ci_high": hi}


def frontier(cost, effect) -> list[str]:
    """Status of each option on the cost (x) versus effect (y) plane, with doing nothing at (0, 0).

    ``"dominated"``: another option (or doing nothing) costs no more and achieves at least as
    much, strictly better in one; ``"extended dominance"``: not dominated, but a mix of two
    other options would give more effect per RM (its incremental cost per unit of effect
    exceeds that of the next more effective option); otherwise ``"frontier"``.
    """
    cost, effect = np.asarray(cost, float), np.asarray(effect, float)
    n = len(cost)
    status = ["frontier"] * n
    pts_c, pts_e = np.append(cost, 0.0), np.append(effect, 0.0)  # index n is doing nothing
    for i in range(n):
        if np.isnan(cost[i]) or np.isnan(effect[i]):
            status[i] = "undefined"
            continue
        better = (pts_c <= cost[i]) & (pts_e >= effect[i]) & ((pts_c < cost[i]) | (pts_e > effect[i]))
        better[i] = False
        if better.any():
            status[i] = "dominated"
    # extended dominance: walk the non-dominated options by cost, dropping any whose ICER
    # exceeds the next one's, until the ICERs increase
    live = sorted((i for i in range(n) if status[i] == "frontier"), key=lambda i: (cost[i], effect[i]))
    changed = True
    while changed:
        changed = False
        prev_c, prev_e = 0.0, 0.0
        chain = [(prev_c, prev_e)] + [(cost[i], effect[i]) for i in live]
        icers = [(chain[k + 1][0] - chain[k][0]) / max(chain[k + 1][1] - chain[k][1], 1e-300)
                 for k in range(len(chain) - 1)]
        for k in range(len(live) - 1):
            if icers[k] > icers[k + 1]:
                status[live[k]] = "extended dominance"
                del live[k]
                changed = True
                break
    return status
