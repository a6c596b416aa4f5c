"""Calibrate uncertain behavioural parameters to observed targets.

Method (two stages, both with common random numbers: every candidate parameter set is
simulated with the same seeds, so differences between candidates are not seed noise):

1. **ABC rejection** (approximate Bayesian computation). Draw ``prior_draws`` parameter sets
   from the uniform prior box (scrambled Sobol points, which cover the box evenly),
   simulate each target statistic (mean over the seeds), and compute the distance
   ``d = sqrt(mean_k ((sim_k - target_k) / tol_k)^2)``: each target counts in units of its
   tolerance. The ``accept`` share of draws with the smallest ``d`` is the approximate
   posterior sample; its 5/50/95% quantiles are the reported uncertainty of each parameter.
   (Rejection ABC with a finite acceptance share over-states the spread; it is an honest
   upper bound, not a precise posterior.)
2. **Refinement**: Nelder-Mead on the squared loss ``d^2`` (same seeds), started from the
   best draw, in unit-cube coordinates clipped to the prior box. Its end point is the
   fitted value (the point estimate written to ``configs/behaviour/calibrated.yaml``).

The fitted point is then re-simulated with fresh seeds (``check_seeds``) for the fit table:
for each target the simulated mean and 95% interval over seeds, and pass/miss
(``|mean - target| <= tolerance``).

Target statistics (``statistic`` strings in the targets file):

* ``outcome:KEY`` — a flattened end-of-run outcome (``completion_by_course_type.paid_online``);
* ``timeseries:METRIC/GROUP@Q`` — the per-quarter metric at quarter Q (0 = first quarter);
* ``uptake_ratio:A+B/C`` — ever-enrolled rate of education groups A or B over that of C.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml


class CalibrationError(ValueError):
    """A bad targets file or setting; the message is one line."""


@dataclass
class Target:
    name: str
    run: str
    statistic: str
    value: float
    tolerance: float
    source: str = ""
    weight: float = 1.0
    baseline_run: str | None = None   # paired contrast: the statistic in ``run`` against this run
    contrast: str = "difference"      # difference, ratio or odds_ratio (with baseline_run)

    def combine(self, value: float, baseline: float) -> float:
        """The target's value from the statistic in its run and in its paired baseline run."""
        if self.contrast == "difference":
            return value - baseline
        if self.contrast == "ratio":
            return value / baseline if baseline else math.nan
        odds = lambda p: p / (1 - p) if 0 < p < 1 else math.nan  # noqa: E731
        return odds(value) / odds(baseline) if odds(baseline) else math.nan

    @property
    def runs(self) -> tuple[str, ...]:
        return (self.run,) if self.baseline_run is None else (self.run, self.baseline_run)


@dataclass
class Settings:
    population: int = 20_000          # learner agents per run (population.n_agents), as in experiment files
    seeds: list[int] = field(default_factory=lambda: [1, 2])
    prior_draws: int = 192
    accept: float = 0.1
    refine_evaluations: int = 60
    check_seeds: list[int] = field(default_factory=lambda: [11, 12, 13, 14, 15])
    sampler_seed: int = 1
    overrides: list[str] = field(default_factory=list)   # applied to every run (e.g. horizon)


@dataclass
class CalibrationSpec:
    runs: dict[str, list[str]]
    targets: list[Target]
    bounds: dict[str, tuple[float, float]]
    settings: Settings

    @property
    def names(self) -> list[str]:
        return list(self.bounds)


# --------------------------------------------------------------------------- loading
def load_raw(path) -> dict:
    """A targets file's content (a mapping); CalibrationError (one line) otherwise."""
    from sim.inputs import InputError, load_yaml

    if not Path(path).is_file():
        raise CalibrationError(f"{path} does not exist: expected a targets file like configs/calibration/targets.yaml")
    try:
        raw = load_yaml(path, "targets file", "start from a copy of configs/calibration/targets.yaml")
    except InputError as exc:
        raise CalibrationError(str(exc)) from None
    if not isinstance(raw, dict) or not raw:
        raise CalibrationError(f"{path} is empty or not a mapping: expected a targets file (runs:, targets:, ...)")
    return raw


def load_spec(path) -> CalibrationSpec:
    """Read a targets file (see configs/calibration/targets.yaml); one-line errors."""
    return spec_from_dict(load_raw(path), str(path))


def spec_from_dict(raw: dict, where: str = "targets") -> CalibrationSpec:
    runs = {str(k): [str(o) for o in (v or [])] for k, v in (raw.get("runs") or {}).items()}
    if not runs:
        raise CalibrationError(f"{where}: runs is empty: name at least one run, e.g. status_quo: [scenario=baseline]")
    targets = []
    for i, t in enumerate(raw.get("targets") or []):
        try:
            target = Target(name=str(t["name"]), run=str(t["run"]), statistic=str(t["statistic"]),
                            value=float(t["value"]), tolerance=float(t["tolerance"]),
                            source=str(t.get("source", "")).strip(), weight=float(t.get("weight", 1.0)),
                            baseline_run=None if t.get("baseline_run") is None else str(t["baseline_run"]),
                            contrast=str(t.get("contrast", "difference")))
        except KeyError as exc:
            raise CalibrationError(f"{where}: targets[{i}] lacks {exc.args[0]}: each target needs "
                                   "name, run, statistic, value, tolerance") from None
        for key, run in (("run", target.run), ("baseline_run", target.baseline_run)):
            if run is not None and run not in runs:
                raise CalibrationError(f"{where}: targets[{i}].{key}={run!r} is not a run: expected one of {', '.join(runs)}")
        if target.contrast not in ("difference", "ratio", "odds_ratio"):
            raise CalibrationError(f"{where}: targets[{i}].contrast={target.contrast!r} is not allowed: "
                                   "expected difference, ratio or odds_ratio")
        if not target.tolerance > 0:
            raise CalibrationError(f"{where}: targets[{i}].tolerance={target.tolerance} is not allowed: expected > 0")
        parse_statistic(target.statistic)
        targets.append(target)
    if not targets:
        raise CalibrationError(f"{where}: targets is empty")
    bounds = {}
    for name, value in (raw.get("parameters") or {}).items():
        lo, hi = (float(v) for v in value)
        if not lo < hi:
            raise CalibrationError(f"{where}: parameters.{name}=[{lo}, {hi}] is not allowed: expected low < high")
        bounds[str(name)] = (lo, hi)
    if not bounds:
        raise CalibrationError(f"{where}: parameters is empty")
    s = raw.get("settings") or {}
    if "n_agents" in s and "population" not in s:  # the earlier spelling
        s = {("population" if k == "n_agents" else k): v for k, v in s.items()}
    known = set(Settings.__dataclass_fields__)
    unknown = set(s) - known
    if unknown:
        raise CalibrationError(f"{where}: settings.{sorted(unknown)[0]} is not a setting: known are {', '.join(sorted(known))}")
    settings = Settings(**s)
    if not 0 < settings.accept <= 1:
        raise CalibrationError(f"{where}: settings.accept={settings.accept} is not allowed: expected a share in (0, 1]")
    return CalibrationSpec(runs, targets, bounds, settings)


# --------------------------------------------------------------------------- statistics
def parse_statistic(text: str) -> tuple:
    kind, _, arg = text.partition(":")
    if kind == "outcome" and arg:
        return ("outcome", arg)
    if kind == "timeseries" and "@" in arg and "/" in arg:
        metric_group, _, q = arg.partition("@")
        metric, _, group = metric_group.partition("/")
        return ("timeseries", metric, group, int(q))
    if kind == "uptake_ratio" and "/" in arg:
        num, _, den = arg.partition("/")
        return ("uptake_ratio", tuple(num.split("+")), tuple(den.split("+")))
    if kind == "group_uptake" and "@" in arg:
        selection, _, q = arg.rpartition("@")
        groups = {}
        for part in filter(None, selection.split(";")):
            attribute, _, values = part.partition("=")
            if attribute not in GROUP_ATTRIBUTES or not values:
                raise CalibrationError(f"statistic={text!r}: {part!r} is not allowed: expected "
                                       f"ATTRIBUTE=A+B with ATTRIBUTE one of {', '.join(GROUP_ATTRIBUTES)}")
            groups[attribute] = tuple(values.split("+"))
        return ("group_uptake", tuple(sorted(groups.items())), int(q))
    raise CalibrationError(f"statistic={text!r} is not allowed: expected outcome:KEY, "
                           "timeseries:METRIC/GROUP@QUARTER, uptake_ratio:A+B/C (education groups) or "
                           "group_uptake:income=B40;education=primary+spm@QUARTER")


def _group_attributes():
    from sim.model.domain import EDUCATION, INCOME_GROUPS, LOCATIONS
    return {"income": ("income_group", INCOME_GROUPS), "education": ("education", EDUCATION),
            "location": ("rural", LOCATIONS)}


GROUP_ATTRIBUTES = ("income", "education", "location")


def statistic(record, text: str) -> float:
    """The value of one target statistic in a run record."""
    from sim.model.domain import EDUCATION
    from sim.model.outcomes import flatten_outcomes as flatten

    parsed = parse_statistic(text)
    if parsed[0] == "outcome":
        flat = flatten(record.outcomes)
        if parsed[1] not in flat:
            raise CalibrationError(f"statistic {text!r}: {parsed[1]} is not an outcome")
        return flat[parsed[1]]
    if parsed[0] == "timeseries":
        _, metric, group, q = parsed
        ts = record.timeseries
        hit = ts[(ts.metric == metric) & (ts.group == group) & (ts.quarter == q)]
        if hit.empty:
            raise CalibrationError(f"statistic {text!r}: no {metric}/{group} at quarter {q} in the run")
        return float(hit.value.iloc[0])
    lo = record.learner_outcomes
    if parsed[0] == "group_uptake":
        _, groups, q = parsed
        mask = np.asarray(lo.get("present", np.ones(len(lo["weight"]), dtype=bool)), dtype=bool).copy()
        for attribute, values in groups:
            column, labels = _group_attributes()[attribute]
            mask &= np.isin(lo[column].astype(np.int64), [labels.index(v) for v in values])
        w = lo["weight"][mask].astype(float)
        first = lo["first_enrolled_quarter"][mask]
        return float(w @ ((first >= 0) & (first <= q)) / w.sum()) if w.sum() > 0 else math.nan
    _, num, den = parsed
    present = np.asarray(lo.get("present", np.ones(len(lo["weight"]), dtype=bool)), dtype=bool)
    lo = {k: np.asarray(v)[present] for k, v in lo.items()}   # the final population, as in summary.json
    w = lo["weight"].astype(float)
    ever = lo["ever_enrolled"].astype(float)

    def rate(groups):
        codes = [EDUCATION.index(g) for g in groups]
        mask = np.isin(lo["education"], codes)
        return float(w[mask] @ ever[mask] / w[mask].sum())

    d = rate(den)
    return rate(num) / d if d > 0 else math.nan


def extract_statistics(record, statistics: tuple[str, ...]) -> dict[str, float]:
    return {s: statistic(record, s) for s in statistics}


# --------------------------------------------------------------------------- simulation
class Simulator:
    """Simulates the target statistics of parameter sets (mean over the CRN seeds).

    Runs are tasks on one executor (``sim.experiment.executors``) kept open for the whole
    calibration, so its worker processes keep their loaded data between batches."""

    def __init__(self, spec: CalibrationSpec, workers: int | None = None, progress: bool = True):
        from omegaconf import OmegaConf

        from sim.experiment.configs import base_config
        from sim.experiment.executors import local_executor, make_executor

        self.spec = spec
        self.progress = progress
        size = {"population.n_agents": spec.settings.population}
        self.bases = {run: OmegaConf.to_container(base_config([*overrides, *spec.settings.overrides], size))
                      for run, overrides in spec.runs.items()}
        self.stats = {run: tuple(sorted({t.statistic for t in spec.targets if run in t.runs})) for run in spec.runs}
        self.extracts = {run: functools.partial(extract_statistics, statistics=self.stats[run]) for run in spec.runs}
        self.executor = make_executor(local_executor(workers), workers).__enter__()
        self.evaluations = 0

    def close(self):
        self.executor.__exit__(None, None, None)

    def per_seed(self, thetas: np.ndarray, seeds: list[int], desc: str = "runs") -> pd.DataFrame:
        """One row per (candidate, seed): ``candidate``, ``seed`` and one column per target."""
        from sim.experiment.executors import run_tasks

        tasks, index = [], []
        for i, theta in enumerate(np.atleast_2d(thetas)):
            values = dict(zip(self.spec.names, (float(v) for v in theta)))
            for seed in seeds:
                for run, base in self.bases.items():
                    if not self.stats[run]:
                        continue
                    tasks.append((len(tasks), base, values, int(seed), self.extracts[run]))
                    index.append((i, int(seed), run))
        out = run_tasks(tasks, self.executor, progress=self.progress, desc=desc)
        self.evaluations += len(np.atleast_2d(thetas))
        by_run: dict[tuple[int, int], dict] = {}
        for (i, seed, run), (_, stats, _) in zip(index, out):
            by_run.setdefault((i, seed), {})[run] = stats
        rows = []
        for (i, seed), stats in by_run.items():
            row = {"candidate": i, "seed": seed}
            for t in self.spec.targets:
                value = stats[t.run][t.statistic]
                row[t.name] = value if t.baseline_run is None else t.combine(value, stats[t.baseline_run][t.statistic])
            rows.append(row)
        return pd.DataFrame(rows).sort_values(["candidate", "seed"]).reset_index(drop=True)

    def simulate(self, thetas: np.ndarray, seeds: list[int] | None = None, desc: str = "runs") -> pd.DataFrame:
        """Mean over seeds: one row per candidate, one column per target."""
        seeds = self.spec.settings.seeds if seeds is None else seeds
        per_seed = self.per_seed(thetas, seeds, desc)
        return per_seed.groupby("candidate")[[t.name for t in self.spec.targets]].mean()


def loss(simulated: pd.DataFrame, targets: list[Target]) -> np.ndarray:
    """Weighted mean squared error in units of each target's tolerance (NaN counts as 100)."""
    z = np.column_stack([(simulated[t.name].to_numpy() - t.value) / t.tolerance for t in targets])
    z = np.where(np.isfinite(z), z, 10.0)
    w = np.array([t.weight for t in targets])
    return (z ** 2 * w).sum(axis=1) / w.sum()


# --------------------------------------------------------------------------- the fit
@dataclass
class CalibrationResult:
    fitted: dict[str, float]
    posterior: pd.DataFrame          # accepted ABC draws: parameters, distance
    draws: pd.DataFrame              # all ABC draws: parameters, simulated targets, distance
    refine_trace: pd.DataFrame       # Nelder-Mead evaluations: parameters, loss
    fit_table: pd.DataFrame
    check_runs: pd.DataFrame         # per check seed: simulated targets at the fitted point

    def quantiles(self, q=(0.05, 0.5, 0.95)) -> pd.DataFrame:
        out = self.posterior[list(self.fitted)].quantile(list(q)).T
        out.columns = [f"q{int(100 * x):02d}" for x in q]
        out.insert(0, "fitted", pd.Series(self.fitted))
        return out


def prior_sample(bounds: dict[str, tuple[float, float]], n: int, seed: int) -> np.ndarray:
    from sim.experiment.samplers import unit_points

    unit = unit_points("sobol_points", len(bounds), n, seed)
    lo = np.array([b[0] for b in bounds.values()])
    hi = np.array([b[1] for b in bounds.values()])
    return lo + unit * (hi - lo)


def calibrate(spec: CalibrationSpec, workers: int | None = None, progress: bool = True,
              log=print) -> CalibrationResult:
    """Run both stages and the fit check; see the module docstring."""
    from scipy.optimize import minimize

    s = spec.settings
    names = spec.names
    lo = np.array([spec.bounds[n][0] for n in names])
    hi = np.array([spec.bounds[n][1] for n in names])
    sim = Simulator(spec, workers, progress)
    try:
        # stage 1: ABC rejection over the prior box
        thetas = prior_sample(spec.bounds, s.prior_draws, s.sampler_seed)
        simulated = sim.simulate(thetas, desc="ABC draws")
        draws = pd.DataFrame(thetas, columns=names).join(simulated.reset_index(drop=True))
        draws["distance"] = np.sqrt(loss(simulated, spec.targets))
        n_accept = max(2, int(round(s.accept * len(draws))))
        posterior = draws.nsmallest(n_accept, "distance").reset_index(drop=True)
        best = posterior.iloc[0][names].to_numpy(dtype=float)
        log(f"ABC: {len(draws)} draws, kept {n_accept}; best distance {posterior.distance.iloc[0]:.2f}, "
            f"acceptance distance {posterior.distance.iloc[-1]:.2f}")
        # stage 2: Nelder-Mead refinement with common random numbers
        trace = []

        def objective(u):
            theta = lo + np.clip(u, 0, 1) * (hi - lo)
            value = float(loss(sim.simulate(theta[None, :], desc=f"refine {len(trace) + 1}"), spec.targets)[0])
            trace.append({**dict(zip(names, theta)), "loss": value})
            return value

        fitted = best
        if s.refine_evaluations > 0:
            u0 = (best - lo) / (hi - lo)
            simplex = np.vstack([u0] + [np.clip(u0 + 0.08 * np.eye(len(names))[k] * (1 if u0[k] < 0.9 else -1), 0, 1)
                                        for k in range(len(names))])
            res = minimize(objective, u0, method="Nelder-Mead",
                           options={"maxfev": s.refine_evaluations, "initial_simplex": simplex,
                                    "xatol": 1e-3, "fatol": 1e-3})
            candidate = lo + np.clip(res.x, 0, 1) * (hi - lo)
            start_loss = posterior.distance.iloc[0] ** 2
            if res.fun <= start_loss:
                fitted = candidate
            log(f"refine: {len(trace)} evaluations, loss {start_loss:.3f} -> {min(res.fun, start_loss):.3f}")
        fitted_dict = dict(zip(names, (float(v) for v in fitted)))
        # fit check with fresh seeds
        check = sim.per_seed(fitted[None, :], s.check_seeds, desc="fit check")
    finally:
        sim.close()
    return CalibrationResult(fitted_dict, posterior, draws, pd.DataFrame(trace),
                             fit_table(check, spec.targets), check)


def fit_table(check: pd.DataFrame, targets: list[Target]) -> pd.DataFrame:
    """Target, source, tolerance, simulated mean with 95% interval over seeds, pass/miss."""
    from scipy import stats

    rows = []
    for t in targets:
        v = check[t.name].to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        mean = float(v.mean()) if v.size else math.nan
        half = float(stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else math.nan
        rows.append({"target": t.name, "statistic": t.statistic, "observed": t.value, "tolerance": t.tolerance,
                     "simulated": mean, "simulated_low": mean - half, "simulated_high": mean + half,
                     "error_in_tolerances": (mean - t.value) / t.tolerance,
                     "status": "pass" if abs(mean - t.value) <= t.tolerance else "miss", "source": t.source})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- outputs
def behaviour_yaml(fitted: dict[str, float], quantiles: pd.DataFrame, fit: pd.DataFrame, command: str,
                   settings: Settings, date: str) -> str:
    """The ``configs/behaviour/calibrated.yaml`` text: fitted values as config keys, with
    a header saying how and when they were fitted."""
    from sim.experiment.configs import expand

    values = expand({k: round(v, 4) for k, v in fitted.items()})
    passed = int((fit.status == "pass").sum())
    lines = [
        "# Calibrated behaviour (and market) uncertainties: override the schema defaults of sim/config/schema.py (selected in",
        "# configs/run.yaml as `- behaviour: calibrated`; `mcsim run ~behaviour` runs the schema defaults).",
        f"# Fitted on {date} with:  {command}",
        f"# Method: ABC rejection ({settings.prior_draws} Sobol prior draws, {settings.accept:.0%} kept) then",
        f"# Nelder-Mead ({settings.refine_evaluations} evaluations), common random numbers, seeds {settings.seeds},",
        f"# {settings.population:,} agents. Targets: configs/calibration/targets.yaml; {passed} of {len(fit)} within tolerance.",
        "# Fitted value and ABC posterior 5%-95% range per parameter:",
    ]
    for name, r in quantiles.iterrows():
        lines.append(f"#   {name:<36} {r.fitted:9.4f}   [{r.q05:.4f}, {r.q95:.4f}]")
    lines.append("# Fit table and misses: docs/RESEARCHER_GUIDE.md, section 6.")
    body: dict = {}
    for key, value in values.items():
        section, leaf = key.split(".", 1)
        body.setdefault(section, {})[leaf] = value
    # _global_: a fitted market uncertainty (e.g. market.seat_adjustment) may sit beside behaviour
    return ("# @package _global_\n" + "\n".join(lines) + "\n"
            + yaml.safe_dump(body, sort_keys=False, default_flow_style=None))
