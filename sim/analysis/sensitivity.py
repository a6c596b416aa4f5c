"""Global sensitivity analysis with SALib: sample -> evaluate -> analyse.

Two methods:

* **Sobol** (Saltelli/Jansen estimators): first-order ``S1`` (share of the outcome's variance
  explained by one input alone) and total ``ST`` (including all its interactions), each
  with a bootstrap confidence interval. Costs ``N * (D + 2)`` runs for D inputs.
* **Morris** elementary effects: ``mu_star`` (mean absolute effect of moving one input,
  in outcome units over a level step) and ``sigma`` (its spread: non-linearity or
  interactions). Costs ``r * (D + 1)`` runs; a screening method for many inputs.

Inputs are a dict ``{name: (low, high)}`` (uniform). Samples are DataFrames with one column
per input, drawn by the experiments' samplers (``sim.experiment.samplers``); model runs are
experiment designs (``mcsim sensitivity`` = run the design through the experiment engine and
its store, then ``analyse_experiment``).
Because both samplers are nested (a prefix of a Sobol design is a smaller Sobol design; a
prefix of Morris trajectories is a smaller Morris design), ``convergence`` re-analyses
prefixes of one design to show the indices against sample size at no extra cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METHODS = ("sobol", "morris")
MORRIS_LEVELS = 4


def problem(bounds: dict[str, tuple[float, float]]) -> dict:
    """SALib's problem dict from ``{name: (low, high)}``."""
    return {"num_vars": len(bounds), "names": list(bounds),
            "bounds": [[float(lo), float(hi)] for lo, hi in bounds.values()]}


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"sampler={method!r} is not a sensitivity method: expected one of {', '.join(METHODS)}")


def runs_needed(method: str, n_inputs: int, n: int) -> int:
    """Model runs for a base sample size ``n`` (Sobol) or ``n`` trajectories (Morris)."""
    _check_method(method)
    return n * (n_inputs + 2) if method == "sobol" else n * (n_inputs + 1)


def sample(method: str, bounds: dict[str, tuple[float, float]], n: int, seed: int = 1) -> pd.DataFrame:
    """The design: Sobol (``n`` a power of two, Saltelli's scheme without second order)
    or Morris (``n`` trajectories on a 4-level grid), drawn by the experiments' sampler
    (``sim.experiment.samplers``) and scaled to ``bounds``."""
    from sim.experiment.samplers import unit_points

    _check_method(method)
    if method == "sobol" and (n < 2 or n & (n - 1)):
        raise ValueError(f"n={n} is not allowed for sobol: expected a power of two >= 2")
    prob = problem(bounds)
    low, high = np.array(prob["bounds"]).T
    unit = unit_points(method, len(bounds), n, seed, calc_second_order=False, num_levels=MORRIS_LEVELS)
    return pd.DataFrame(low + unit * (high - low), columns=prob["names"])


def analyse(method: str, bounds: dict[str, tuple[float, float]], X: pd.DataFrame | np.ndarray,
            y: np.ndarray, seed: int = 1, conf_level: float = 0.95, num_resamples: int = 500) -> pd.DataFrame:
    """Indices for one outcome ``y`` (in design order): one row per input.

    Sobol columns: S1, S1_conf, ST, ST_conf (conf = half-width of the ``conf_level`` bootstrap
    interval). Morris columns: mu, mu_star, mu_star_conf, sigma. Rows are sorted by the
    main index (ST or mu_star), largest first; ``rank`` starts at 1.
    """
    _check_method(method)
    prob = problem(bounds)
    y = np.asarray(y, dtype=float)
    if not np.all(np.isfinite(y)):
        raise ValueError(f"the outcome has {int((~np.isfinite(y)).sum())} missing or infinite values of {y.size}; "
                         "sensitivity indices need a value for every run")
    if method == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(prob, y, calc_second_order=False, num_resamples=num_resamples,
                            conf_level=conf_level, seed=seed)
        out = pd.DataFrame({"parameter": prob["names"], "S1": res["S1"], "S1_conf": res["S1_conf"],
                            "ST": res["ST"], "ST_conf": res["ST_conf"]})
        key = "ST"
    else:
        from SALib.analyze import morris

        Xa = X.to_numpy() if isinstance(X, pd.DataFrame) else np.asarray(X)
        res = morris.analyze(prob, Xa, y, num_levels=MORRIS_LEVELS, num_resamples=num_resamples,
                             conf_level=conf_level, seed=seed)
        out = pd.DataFrame({"parameter": prob["names"], "mu": res["mu"], "mu_star": res["mu_star"],
                            "mu_star_conf": res["mu_star_conf"], "sigma": res["sigma"]})
        key = "mu_star"
    out = out.sort_values(key, ascending=False, kind="stable").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out


def analyse_outcomes(method: str, bounds, X, results: pd.DataFrame, outcomes: list[str], seed: int = 1) -> pd.DataFrame:
    """``analyse`` for several outcome columns of ``results``; tidy, with an ``outcome`` column."""
    frames = []
    for outcome in outcomes:
        if outcome not in results:
            known = ", ".join(sorted(c for c in results.columns if "." not in c or c.split(".")[0] in
                                     ("uptake_by_income", "uptake_by_location"))[:20])
            raise KeyError(f"outcome {outcome!r} is not in the results: e.g. {known}")
        frame = analyse(method, bounds, X, results[outcome].to_numpy(), seed=seed)
        frame.insert(0, "outcome", outcome)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def convergence(method: str, bounds, X, y, steps: int = 4, seed: int = 1) -> pd.DataFrame:
    """Indices re-estimated on nested prefixes of the design (n/2**k, ..., n/2, n).

    Returns the tidy table of ``analyse`` with a column ``n`` (base samples or trajectories).
    Indices that still move by more than their confidence interval at the largest ``n``
    need a bigger design.
    """
    _check_method(method)
    d = len(bounds)
    block = d + 2 if method == "sobol" else d + 1
    n_total = len(y) // block
    sizes = sorted({max(2 if method == "sobol" else 2, n_total // 2 ** k) for k in range(steps)})
    Xa = X.to_numpy() if isinstance(X, pd.DataFrame) else np.asarray(X)
    y = np.asarray(y, dtype=float)
    frames = []
    for n in sizes:
        frame = analyse(method, bounds, Xa[: n * block], y[: n * block], seed=seed)
        frame.insert(0, "n", n)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def ishigami(X: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """The Ishigami test function on [-pi, pi]^3 (analytic Sobol indices known)."""
    X = np.asarray(X, dtype=float)
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Analytic first-order and total indices of the Ishigami function."""
    v1 = 0.5 * (1 + b * np.pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * np.pi ** 8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


# --------------------------------------------------------------------------- experiments
def _get(spec, key, default=None):
    if isinstance(spec, dict):
        return spec.get(key, default)
    return getattr(spec, key, default)


def spec_bounds(spec) -> dict[str, tuple[float, float]]:
    """The swept parameters of a spec as ``{name: (low, high)}``: an ``ExperimentSpec``
    (``sim.experiment``; range parameters only) or a mapping whose ``parameters`` are
    ``[low, high]`` or ``{range: [low, high]}``."""
    params = _get(spec, "parameters") or {}
    if isinstance(params, list):  # sim.experiment.ExperimentSpec
        levels = [p.key for p in params if p.levels is not None]
        if levels:
            raise ValueError(f"{levels[0]} has levels: sensitivity indices need range parameters")
        return {p.key: (float(p.low), float(p.high)) for p in params}
    out = {}
    for name, value in dict(params).items():
        if isinstance(value, dict):
            value = value.get("range") or value.get("bounds") or (value.get("low"), value.get("high"))
        lo, hi = value
        out[str(name)] = (float(lo), float(hi))
    return out


def design_means(results: pd.DataFrame, parameters: list[str], outcomes: list[str]) -> pd.DataFrame:
    """One row per design point in design order, outcomes averaged over seeds/replicates.

    The design point is ``point`` (``sim.experiment`` tables) or ``design_row``, else the order in which parameter sets first appear."""
    key = next((k for k in ("point", "design_row") if k in results), None)
    if key is None:
        results = results.assign(design_row=results.groupby(parameters, sort=False).ngroup())
        key = "design_row"
    return results.groupby(key, sort=True)[parameters + outcomes].mean().reset_index(drop=True)


def analyse_experiment(spec, results: pd.DataFrame, out_dir) -> pd.DataFrame | None:
    """Sensitivity indices for an experiment whose sampler is ``sobol`` or ``morris`` and
    which has an ``analysis:`` block (``outcomes: [...]``, optional ``convergence: true``).

    Writes ``sensitivity.parquet`` (tidy indices), ``sensitivity.json``, optionally
    ``convergence.parquet``, and one bar figure per outcome (PNG+SVG) to ``out_dir``;
    returns the indices (None when the experiment asks for no sensitivity analysis).
    """
    from pathlib import Path

    from sim.analysis import plots
    from sim.store import write_json, write_parquet

    method = _get(spec, "sampler")
    analysis = _get(spec, "analysis")
    if method not in METHODS or not analysis:
        return None
    analysis = dict(analysis)
    bounds = spec_bounds(spec)
    outcomes = list(analysis.get("outcomes") or [])
    if not outcomes:
        raise ValueError("analysis.outcomes is empty: name at least one outcome column, e.g. uptake_by_income.B40")
    missing = [o for o in outcomes if o not in results]
    if missing:
        raise KeyError(f"analysis.outcomes: {', '.join(missing)} not in the results columns")
    seed = int(analysis.get("seed", _get(spec, "seed", 1) or 1))
    out_dir = Path(out_dir)
    scenarios = list(results["scenario"].unique()) if "scenario" in results else [None]
    all_indices, all_conv = [], []
    for scenario in scenarios:
        part = results if scenario is None else results[results["scenario"] == scenario]
        means = design_means(part, list(bounds), outcomes)
        X = means[list(bounds)]
        indices = analyse_outcomes(method, bounds, X, means, outcomes, seed=seed)
        tag = "" if len(scenarios) == 1 else f"{scenario}_"
        if scenario is not None:
            indices.insert(0, "scenario", scenario)
        all_indices.append(indices)
        figure = plots.sobol_bars if method == "sobol" else plots.morris_bars
        for outcome in outcomes:
            figure(indices, outcome, out_dir / f"sensitivity_{tag}{_slug(outcome)}")
        if analysis.get("convergence", True):
            for outcome in outcomes:
                conv = convergence(method, bounds, X, means[outcome].to_numpy(), seed=seed)
                conv.insert(0, "outcome", outcome)
                if scenario is not None:
                    conv.insert(0, "scenario", scenario)
                all_conv.append(conv)
                col = "ST" if method == "sobol" else "mu_star"
                plots.convergence_plot(conv, col, out_dir / f"convergence_{tag}{_slug(outcome)}",
                                       f"{col} against sample size: {outcome}")
    indices = pd.concat(all_indices, ignore_index=True)
    write_parquet(out_dir / "sensitivity.parquet", indices)
    write_json(out_dir / "sensitivity.json", {"method": method, "runs": int(len(results)),
                                              "indices": indices.to_dict("records")})
    if all_conv:
        write_parquet(out_dir / "convergence.parquet", pd.concat(all_conv, ignore_index=True))
    return indices


def format_indices(indices: pd.DataFrame, method: str) -> str:
    """The indices as text, one block per (scenario,) outcome, largest first."""
    keys = [k for k in ("scenario", "outcome") if k in indices]
    lines = []
    for key, d in indices.groupby(keys, sort=False):
        lines.append(" / ".join(key if isinstance(key, tuple) else (key,)) + ":")
        for r in d.itertuples():
            if method == "sobol":
                lines.append(f"  {r.rank}. {r.parameter:<36} ST {r.ST:6.3f} ± {r.ST_conf:.3f}   S1 {r.S1:6.3f} ± {r.S1_conf:.3f}")
            else:
                lines.append(f"  {r.rank}. {r.parameter:<36} mu* {r.mu_star:9.4g} ± {r.mu_star_conf:.3g}   sigma {r.sigma:9.4g}")
    return "\n".join(lines)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_")


def tornado_design(bounds: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """One-at-a-time design for a tornado: all inputs at their centre, then each input at
    its lower and upper bound (2D + 1 rows; ``varied`` and ``level`` say which)."""
    from sim.experiment.samplers import one_at_a_time

    return one_at_a_time(bounds)


def tornado_table(design: pd.DataFrame, results: pd.DataFrame, outcome: str) -> tuple[pd.DataFrame, float]:
    """Swings of ``outcome`` per input from a ``tornado_design`` run (averaged over seeds):
    ``results`` has one row per run, its point in ``point`` (``sim.experiment`` tables) or
    ``design_row``."""
    key = "point" if "point" in results else "design_row"
    d = design.reset_index(drop=True).assign(value=results.groupby(key)[outcome].mean().to_numpy())
    base = float(d.loc[d["level"] == "centre", "value"].iloc[0])
    low = d[d["level"] == "low"].set_index("varied")["value"]
    high = d[d["level"] == "high"].set_index("varied")["value"]
    table = pd.DataFrame({"parameter": low.index, "low_value": low.to_numpy(), "high_value": high.loc[low.index].to_numpy()})
    return table, base
