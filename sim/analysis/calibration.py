"""Calibrate uncertain behavioural parameters to observed targets.

Method: **ABC-SMC** (sequential Monte Carlo approximate Bayesian computation, pyabc;
Toni et al. 2009, Beaumont et al. 2009) with common random numbers: every candidate
parameter set is simulated with the same seeds (``settings.seeds``), so differences between
candidates are not seed noise.

* Prior: uniform over the targets file's ``parameters:`` box.
* Distance: ``d = sqrt(sum_k w_k ((sim_k - target_k) / tol_k)^2 / sum_k w_k)``, each target
  in units of its tolerance (``sim_k`` the mean over the seeds; NaN counts as 10 tolerances).
* Generations: generation 0 takes ``particles`` prior draws (epsilon = infinity); each
  later one perturbs the previous population (pyabc's multivariate normal kernel, its
  covariance ``kernel_scaling`` x Silverman's: with few particles in many dimensions the
  default kernel gives a peaked proposal density and so importance weights that collapse
  onto a few particles; a wider one keeps the effective sample size up at the cost of a
  slower fall of epsilon) until
  ``particles`` proposals fall within epsilon = the weighted median distance of the previous
  population, and weights them by prior / proposal density. It stops after
  ``max_generations``, once epsilon reaches ``min_epsilon`` (1.0: the typical target within
  its tolerance) or once ``max_simulations`` proposals were simulated (checked after each
  generation, so the last one may pass it).
* The posterior sample is the last generation's particles with their weights; its
  weighted 5/50/95% quantiles are the reported uncertainty of each parameter.
* The fitted point (``configs/behaviour/calibrated.yaml``) is the last generation's
  particle of smallest distance. No local optimiser refines it: on the calibration seeds a
  refinement fits seed noise, and the point stays a member of the posterior sample.

A generation's proposals are simulated in batches on the project's executor
(``sim.analysis.abc_sampler.BatchSampler``), with the particles pyabc's single-core sampler
would give: a fixed ``sampler_seed`` gives the same posterior on any executor. pyabc's history
database is written to the output folder (``abc_history.db``).

The fitted point is then re-simulated with fresh seeds (``check_seeds``) for the fit table:
for each target the simulated mean and 95% interval over seeds, and pass/miss
(``|mean - target| <= tolerance``).

Target statistics (``statistic`` strings in the targets file):

* ``outcome:KEY`` — a flattened end-of-run outcome (``completion_by_course_type.paid_online``);
* ``timeseries:METRIC/GROUP@Q`` — the per-quarter metric at quarter Q (0 = first quarter);
* ``uptake_ratio:A+B/C`` — ever-enrolled rate of education groups A or B over that of C;
* ``group_uptake:income=B40;education=primary+spm@Q`` — share of a group enrolled by quarter Q.
"""

from __future__ import annotations

import functools
import math
import random
import warnings
from contextlib import contextmanager
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
    seeds: list[int] = field(default_factory=lambda: [1])   # common random numbers for every candidate
    particles: int = 32               # ABC-SMC population: accepted particles per generation
    max_generations: int = 6          # stop after this many generations,
    min_epsilon: float = 1.0          # or once epsilon (distance, in tolerances) is at most this,
    max_simulations: int = 0          # or once pyabc counted this many proposals (0 = no limit; checked after each generation)
    kernel_scaling: float = 3.0       # widens pyabc's perturbation kernel (x Silverman's bandwidth); see the module docstring
    check_seeds: list[int] = field(default_factory=lambda: [11, 12, 13, 14, 15])
    sampler_seed: int = 1             # seeds numpy's global random state, which pyabc draws from
    overrides: list[str] = field(default_factory=list)   # applied to every run (e.g. horizon)


# Settings of the ABC rejection method that ABC-SMC replaced: a one-line pointer instead of "unknown".
REPLACED_SETTINGS = {"prior_draws": "particles and max_generations", "accept": "min_epsilon",
                     "refine_evaluations": "nothing (the fitted point is the best particle)"}


def check_settings(settings: Settings, where: str) -> None:
    """CalibrationError (one line) for a setting of the wrong type or range."""
    def integer(value, low):
        return isinstance(value, int) and not isinstance(value, bool) and value >= low

    def seeds(value):
        return isinstance(value, list) and value and all(integer(v, 0) for v in value)

    checks = [
        ("population", integer(settings.population, 1), "a positive integer"),
        ("seeds", seeds(settings.seeds), "a non-empty list of non-negative integers, e.g. [1]"),
        ("particles", integer(settings.particles, 2), "an integer >= 2"),
        ("max_generations", integer(settings.max_generations, 1), "an integer >= 1"),
        ("min_epsilon", isinstance(settings.min_epsilon, (int, float)) and not isinstance(settings.min_epsilon, bool)
         and math.isfinite(settings.min_epsilon) and settings.min_epsilon >= 0, "a number >= 0"),
        ("max_simulations", integer(settings.max_simulations, 0), "an integer >= 0 (0 = no limit)"),
        ("kernel_scaling", isinstance(settings.kernel_scaling, (int, float)) and not isinstance(settings.kernel_scaling, bool)
         and math.isfinite(settings.kernel_scaling) and settings.kernel_scaling > 0, "a number > 0"),
        ("check_seeds", seeds(settings.check_seeds), "a non-empty list of non-negative integers"),
        ("sampler_seed", integer(settings.sampler_seed, 0) and settings.sampler_seed < 2 ** 32,
         "an integer in [0, 2^32)"),
        ("overrides", isinstance(settings.overrides, list) and all(isinstance(o, str) for o in settings.overrides),
         "a list of Hydra overrides"),
    ]
    for name, ok, expected in checks:
        if not ok:
            raise CalibrationError(f"{where}: settings.{name}={getattr(settings, name)!r} is not allowed: "
                                   f"expected {expected}")


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
    for old in sorted(set(s) & set(REPLACED_SETTINGS)):
        raise CalibrationError(f"{where}: settings.{old} belonged to the ABC rejection method that ABC-SMC "
                               f"replaced: use {REPLACED_SETTINGS[old]} instead")
    unknown = set(s) - known
    if unknown:
        raise CalibrationError(f"{where}: settings.{sorted(unknown)[0]} is not a setting: known are {', '.join(sorted(known))}")
    settings = Settings(**s)
    check_settings(settings, where)
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


def distance(values, targets: list[Target]) -> float:
    """The ABC distance of one candidate's simulated targets (a mapping target name -> value):
    the root of ``loss``, i.e. the weighted root mean square error in tolerances."""
    return float(math.sqrt(loss(pd.DataFrame([dict(values)]), targets)[0]))


class ToleranceDistance:
    """``distance`` as a pyabc distance function ``(x, x_0) -> float``; the observed values
    are the targets' own (``x_0`` holds the same numbers)."""

    def __init__(self, targets: list[Target]):
        self.targets = targets

    def __call__(self, x, x_0) -> float:  # noqa: ARG002 - pyabc's signature
        return distance(x, self.targets)


# --------------------------------------------------------------------------- the fit
HISTORY_DB = "abc_history.db"   # pyabc's history database, inside the output folder


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, q) -> np.ndarray:
    """Quantiles of a weighted sample (the inverse of its weighted empirical distribution)."""
    return np.quantile(np.asarray(values, dtype=float), list(q), weights=np.asarray(weights, dtype=float),
                       method="inverted_cdf")


@dataclass
class CalibrationResult:
    fitted: dict[str, float]         # the last generation's particle of smallest distance
    posterior: pd.DataFrame          # last generation: parameters, weight (sums to 1), distance, simulated targets
    particles: pd.DataFrame          # every generation's accepted particles, with a ``generation`` column
    convergence: pd.DataFrame        # per generation: epsilon, proposals, simulated, acceptance rate, ESS
    fit_table: pd.DataFrame
    check_runs: pd.DataFrame         # per check seed: simulated targets at the fitted point
    history_db: Path | None = None   # pyabc's database of the run

    @property
    def generations(self) -> int:
        return len(self.convergence)

    @property
    def final_epsilon(self) -> float:
        return float(self.convergence.epsilon.iloc[-1])

    @property
    def simulations(self) -> int:
        """Candidates simulated (each in every run with every calibration seed)."""
        return int(self.convergence.simulated.sum())

    def quantiles(self, q=(0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Weighted posterior quantiles per parameter (columns q05, q50, q95) beside the fitted value."""
        w = self.posterior.weight.to_numpy()
        out = pd.DataFrame([weighted_quantiles(self.posterior[name], w, q) for name in self.fitted],
                           index=list(self.fitted), columns=[f"q{int(round(100 * x)):02d}" for x in q])
        out.insert(0, "fitted", pd.Series(self.fitted))
        return out


@contextmanager
def seeded(seed: int):
    """numpy's and Python's global random states seeded with ``seed`` (pyabc draws from them and
    takes no seed of its own), restored afterwards."""
    np_state, py_state = np.random.get_state(), random.getstate()
    np.random.seed(seed)
    random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


def population_frame(history, t: int) -> pd.DataFrame:
    """Generation ``t`` of a pyabc history: one row per accepted particle."""
    # pyabc hands back a NaN statistic as a 0-d array: every value as a float
    rows = [{**{k: float(v) for k, v in dict(p.parameter).items()}, "weight": float(p.weight),
             "distance": float(p.distance), **{k: float(np.asarray(v, dtype=float)) for k, v in p.sum_stat.items()}}
            for p in history.get_population(t=t).particles]
    return pd.DataFrame(rows).assign(generation=t)


def convergence_table(history, sampler=None) -> pd.DataFrame:
    """Per generation: epsilon, proposals (candidates pyabc considered), simulated (with the
    last batch's surplus, when the batch sampler ran), accepted particles, acceptance rate
    (accepted / proposals), effective sample size of the weights (Kish), wall time in seconds."""
    import pyabc

    simulated = {g["generation"]: g["simulated"] for g in getattr(sampler, "generations", [])}
    rows = []
    for r in history.get_all_populations().query("t >= 0").itertuples():
        _, w = history.get_distribution(m=0, t=int(r.t))
        rows.append({"generation": int(r.t), "epsilon": float(r.epsilon), "proposals": int(r.samples),
                     "simulated": int(simulated.get(int(r.t), r.samples)), "accepted": int(r.particles),
                     "acceptance_rate": r.particles / r.samples, "ess": float(pyabc.effective_sample_size(w)),
                     "wall_time_s": float(r.wall_time)})
    return pd.DataFrame(rows)


def run_abc_smc(spec: CalibrationSpec, sim: "Simulator", db_path: Path, log=print):
    """ABC-SMC with pyabc (see the module docstring); returns pyabc's History and the sampler."""
    import logging

    import pyabc

    from sim.analysis.abc_sampler import BatchSampler, CandidateModel

    s = spec.settings
    model = CandidateModel(spec.names, lambda thetas, desc: sim.simulate(thetas, desc=desc).to_dict("records"),
                           [t.name for t in spec.targets])
    sampler = BatchSampler(model, log=log)
    prior = pyabc.Distribution(**{name: pyabc.RV("uniform", lo, hi - lo) for name, (lo, hi) in spec.bounds.items()})
    logging.getLogger("ABC").setLevel(logging.WARNING)   # our sampler reports each generation
    abc = pyabc.ABCSMC(model, prior, ToleranceDistance(spec.targets), population_size=s.particles, sampler=sampler,
                       transitions=pyabc.MultivariateNormalTransition(scaling=s.kernel_scaling),
                       eps=pyabc.epsilon.MedianEpsilon(initial_epsilon=np.inf))
    db_path = Path(db_path).resolve()
    if db_path.exists():   # a rerun into the same folder starts a fresh history
        db_path.unlink()
    with seeded(s.sampler_seed), warnings.catch_warnings():
        # pyabc compares epsilon with the previous one (inf - inf after generation 0)
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning, r"pyabc\.")
        abc.new(f"sqlite:///{db_path}", {t.name: t.value for t in spec.targets})
        history = abc.run(minimum_epsilon=s.min_epsilon, max_nr_populations=s.max_generations,
                          max_total_nr_simulations=s.max_simulations or np.inf)
    if model.misses:
        log(f"note: {model.misses} proposals were simulated outside their batch")
    return history, sampler


def calibrate(spec: CalibrationSpec, out_dir, workers: int | None = None, progress: bool = True,
              log=print) -> CalibrationResult:
    """ABC-SMC (pyabc's history in ``out_dir``) and the fit check; see the module docstring."""
    s = spec.settings
    names = spec.names
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sim = Simulator(spec, workers, progress)
    try:
        history, sampler = run_abc_smc(spec, sim, out_dir / HISTORY_DB, log)
        particles = pd.concat([population_frame(history, t) for t in range(history.max_t + 1)], ignore_index=True)
        particles = particles[["generation", *names, "weight", "distance", *[t.name for t in spec.targets]]]
        posterior = particles[particles.generation == history.max_t].drop(columns="generation").reset_index(drop=True)
        best = posterior.loc[posterior.distance.idxmin(), names].to_numpy(dtype=float)
        fitted = dict(zip(names, (float(v) for v in best)))
        check = sim.per_seed(best[None, :], s.check_seeds, desc="fit check")
    finally:
        sim.close()
    return CalibrationResult(fitted, posterior, particles, convergence_table(history, sampler),
                             fit_table(check, spec.targets), check, out_dir / HISTORY_DB)


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
def method_line(result: CalibrationResult, settings: Settings) -> str:
    """One line saying how the posterior was made (for the headers of the written files)."""
    import pyabc

    return (f"ABC-SMC (pyabc {pyabc.__version__}), {settings.particles} particles x {result.generations} generations, "
            f"kernel scaling {settings.kernel_scaling:g}, "
            f"{result.simulations} simulations, final epsilon {result.final_epsilon:.3f} (distance in tolerances), "
            f"uniform priors, common random numbers (seeds {settings.seeds}), {settings.population:,} agents")


def behaviour_yaml(result: CalibrationResult, command: str, settings: Settings, date: str,
                   targets_file: str = "configs/calibration/targets.yaml") -> str:
    """The ``configs/behaviour/calibrated.yaml`` text: fitted values as config keys, with
    a header saying how and when they were fitted."""
    from sim.experiment.configs import expand

    values = expand({k: round(v, 4) for k, v in result.fitted.items()})
    fit = result.fit_table
    passed = int((fit.status == "pass").sum())
    lines = [
        "# Calibrated behaviour (and market) uncertainties: override the schema defaults of sim/config/schema.py (selected in",
        "# configs/run.yaml as `- behaviour: calibrated`; `mcsim run ~behaviour` runs the schema defaults).",
        f"# Fitted on {date} with:  {command}",
        f"# Method: {method_line(result, settings)}.",
        f"# Fitted point: the last generation's particle of smallest distance. Targets: {targets_file};",
        f"# {passed} of {len(fit)} within tolerance at check seeds {settings.check_seeds}. Posterior sample: configs/behaviour/posterior.csv.",
        "# Fitted value and posterior 5%-95% range per parameter:",
    ]
    for name, r in result.quantiles().iterrows():
        lines.append(f"#   {name:<36} {r.fitted:9.4f}   [{r.q05:.4f}, {r.q95:.4f}]")
    lines.append("# Fit table and misses: docs/RESEARCHER_GUIDE.md, section 6.")
    body: dict = {}
    for key, value in values.items():
        section, leaf = key.split(".", 1)
        body.setdefault(section, {})[leaf] = value
    # _global_: a fitted market uncertainty (e.g. market.seat_adjustment) may sit beside behaviour
    return ("# @package _global_\n" + "\n".join(lines) + "\n"
            + yaml.safe_dump(body, sort_keys=False, default_flow_style=None))


def posterior_csv(result: CalibrationResult, command: str, settings: Settings, date: str,
                  targets_file: str = "configs/calibration/targets.yaml") -> str:
    """The ``configs/behaviour/posterior.csv`` text: '#' provenance lines, then one row per
    particle of the last generation: the parameters (dotted keys as in the targets file's
    ``parameters:``) and ``weight`` (pyabc's importance weights, summing to 1)."""
    names = list(result.fitted)
    lines = [
        "# Posterior sample of the calibrated parameters: draw rows with probability proportional to weight.",
        f"# command: {command}",
        f"# date: {date}",
        f"# method: {method_line(result, settings)}",
        f"# generations: {result.generations}",
        f"# final epsilon: {result.final_epsilon:.4f}",
        f"# particles: {len(result.posterior)} (effective sample size of the weights {result.convergence.ess.iloc[-1]:.1f})",
        f"# targets file: {targets_file}",
    ]
    table = result.posterior[[*names, "weight"]]
    return "\n".join(lines) + "\n" + table.to_csv(index=False, float_format="%.10g", lineterminator="\n")


def load_posterior(path) -> pd.DataFrame:
    """A posterior sample (``configs/behaviour/posterior.csv``): one column per calibrated
    parameter (dotted keys) and ``weight`` (non-negative, summing to 1). CalibrationError (one
    line naming the file) when it is missing or malformed."""
    path = Path(path)

    def bad(why: str) -> CalibrationError:
        return CalibrationError(f"{path}: {why}: expected '#' lines, then a header of dotted parameter "
                                "names and weight, then numbers (as mcsim calibrate --write-config writes)")

    if not path.is_file():
        raise CalibrationError(f"{path} does not exist: run mcsim calibrate --write-config to write a posterior sample")
    try:
        table = pd.read_csv(path, comment="#")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise bad(f"not a CSV table ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
    names = [c for c in table.columns if c != "weight"]
    if "weight" not in table.columns:
        raise bad("no weight column")
    if not names or any("." not in str(c) for c in names):
        raise bad(f"columns {', '.join(map(str, names)) or '(none)'} are not all dotted parameter names")
    if table.empty:
        raise bad("no rows")
    values = table.apply(pd.to_numeric, errors="coerce")
    if not np.isfinite(values.to_numpy(dtype=float)).all():
        raise bad("a value is missing or not a finite number")
    w = values.weight.to_numpy(dtype=float)
    if (w < 0).any() or abs(w.sum() - 1) > 1e-6:
        raise bad(f"the weights must be non-negative and sum to 1 (they sum to {w.sum():.6g})")
    return values
