"""Calibration (ABC-SMC with pyabc): recovery of parameters from synthetic targets that the
model itself generated, determinism, the batch sampler, the posterior file, bad settings."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis import calibration as cal
from sim.analysis.abc_sampler import BatchSampler, CandidateModel

ROOT = Path(__file__).resolve().parent.parent
TRUE = {"behaviour.asc_enrol": -3.6, "behaviour.dropout_base": -2.6}
BOUNDS = {"behaviour.asc_enrol": [-5.0, -2.5], "behaviour.dropout_base": [-4.0, -1.0]}
SMALL = ["horizon.quarters=8"]
STATS = ("uptake_rate", "completion_rate")


def synthetic_spec(values: dict[str, float], tolerances: dict[str, float], settings: dict,
                   population: int = 2000, overrides: list[str] = SMALL) -> cal.CalibrationSpec:
    return cal.spec_from_dict({
        "runs": {"status_quo": ["scenario=baseline"]},
        "targets": [{"name": name, "run": "status_quo", "statistic": f"outcome:{name}", "value": values[name],
                     "tolerance": tolerances[name], "source": "synthetic"} for name in values],
        "parameters": BOUNDS,
        "settings": {"population": population, "overrides": overrides, **settings},
    })


@pytest.mark.slow
def test_abc_smc_recovers_known_parameters(tmp_path):
    names = list(TRUE)
    truth = np.array(list(TRUE.values()))
    step = 0.2
    # 1. synthetic "observations": the model at TRUE with eight seeds the calibration never
    #    uses; the same seeds at TRUE +- step per parameter give the local Jacobian (paired, so
    #    the differences carry little seed noise)
    probe_seeds = list(range(101, 109))
    probe = synthetic_spec(dict.fromkeys(STATS, 0.0), dict.fromkeys(STATS, 1.0), {"seeds": probe_seeds})
    thetas = [truth] + [truth + sign * step * np.eye(2)[i] for i in range(2) for sign in (1, -1)]
    sim = cal.Simulator(probe, workers=1, progress=False)
    try:
        runs = sim.per_seed(np.array(thetas), probe_seeds)
    finally:
        sim.close()
    means = runs.groupby("candidate")[list(STATS)].mean()
    observed = means.loc[0]
    sd = runs[runs.candidate == 0][list(STATS)].std(ddof=1)
    jacobian = np.column_stack([(means.loc[1 + 2 * i] - means.loc[2 + 2 * i]).to_numpy() / (2 * step)
                                for i in range(2)])           # d statistic / d parameter
    tolerance = 2 * sd                                         # two seed standard deviations per target

    # 2. ABC-SMC with one other seed (common random numbers), 16 particles, down to epsilon 1
    spec = synthetic_spec(observed.to_dict(), tolerance.to_dict(),
                          {"seeds": [1], "particles": 16, "max_generations": 4, "min_epsilon": 1.0,
                           "check_seeds": [7, 8], "sampler_seed": 3})
    result = cal.calibrate(spec, tmp_path, workers=1, progress=False, log=lambda *_: None)
    q = result.quantiles()
    ess = result.convergence.ess.iloc[-1]

    # 3. Stated recovery tolerance for the posterior median. Its error has two parts:
    #    - noise: the statistics at TRUE on the calibration seed differ from the 8-seed
    #      observations by N(0, sd^2 (1 + 1/8)) per target; mapped into parameters through the
    #      inverse Jacobian this is a shift with covariance J^-1 S J^-T; allow 2 standard deviations;
    #    - Monte Carlo error of a weighted median of ESS particles: 1.25 sd_post / sqrt(ESS); allow 2.
    inverse = np.linalg.inv(jacobian)
    shift_cov = inverse @ np.diag((sd.to_numpy() ** 2) * (1 + 1 / len(probe_seeds))) @ inverse.T
    precision = jacobian.T @ np.diag(1 / tolerance.to_numpy() ** 2) @ jacobian / len(STATS)
    w = result.posterior.weight.to_numpy()
    for i, name in enumerate(names):
        x = result.posterior[name].to_numpy()
        post_sd = np.sqrt(w @ (x - w @ x) ** 2)
        allowed = 2 * np.sqrt(shift_cov[i, i]) + 2 * 1.25 * post_sd / np.sqrt(ess)
        assert abs(q.loc[name, "q50"] - TRUE[name]) <= allowed, (name, q, allowed)
        assert q.loc[name, "q05"] <= TRUE[name] <= q.loc[name, "q95"], (name, q)
        # and informative: every last-generation particle has distance <= epsilon, so to first
        # order it lies in the ellipse d^T A d <= eps^2 around the best fit, A = J^T diag(1/tol^2) J / 2
        # (two targets), whose extent along parameter i is 2 eps sqrt((A^-1)_ii); 25% margin for the
        # curvature the local Jacobian misses
        extent = 2 * result.final_epsilon * np.sqrt(np.linalg.inv(precision)[i, i])
        assert q.loc[name, "q95"] - q.loc[name, "q05"] <= 1.25 * extent, (name, q, extent)
    # fresh seeds at the fitted point land near the observations (tolerance = 2 seed sd)
    assert (result.fit_table.error_in_tolerances.abs() <= 2).all(), result.fit_table
    # convergence: epsilon falls every generation, one row per generation, 16 particles each
    eps = result.convergence.epsilon.to_numpy()
    assert np.isinf(eps[0]) and (np.diff(eps[1:]) < 0).all() and (result.convergence.accepted == 16).all()
    assert result.posterior.weight.sum() == pytest.approx(1.0)
    assert (tmp_path / cal.HISTORY_DB).is_file()


def small_abc(tmp_path, name: str, sampler_seed: int, workers: int) -> pd.DataFrame:
    spec = synthetic_spec({"uptake_rate": 0.2}, {"uptake_rate": 0.02},
                          {"seeds": [1], "particles": 6, "max_generations": 2, "sampler_seed": sampler_seed},
                          population=1000, overrides=["horizon.quarters=4"])
    spec.bounds = {"behaviour.asc_enrol": (-5.0, -2.5)}
    sim = cal.Simulator(spec, workers=workers, progress=False)
    try:
        history, _ = cal.run_abc_smc(spec, sim, tmp_path / f"{name}.db", log=lambda *_: None)
    finally:
        sim.close()
    return pd.concat([cal.population_frame(history, t) for t in range(history.max_t + 1)], ignore_index=True)


def test_the_same_sampler_seed_gives_the_same_posterior_on_serial_and_process_executors(tmp_path):
    serial = small_abc(tmp_path, "serial", 5, workers=1)
    process = small_abc(tmp_path, "process", 5, workers=2)
    other = small_abc(tmp_path, "other", 6, workers=1)
    assert serial.generation.max() == 1 and len(serial) == 12
    pd.testing.assert_frame_equal(serial, process)
    assert not np.allclose(serial["behaviour.asc_enrol"], other["behaviour.asc_enrol"])


def toy_rows(thetas: np.ndarray, desc: str = "") -> list[dict[str, float]]:
    """A deterministic toy model (as a model with common random numbers is)."""
    return [{"x": a + 0.5 * b, "y": a - b} for a, b in thetas]


def toy_abc(sampler, model, db: Path, seed: int = 4):
    import pyabc

    prior = pyabc.Distribution(a=pyabc.RV("uniform", 0, 1), b=pyabc.RV("uniform", 0, 2))
    targets = [cal.Target("x", "r", "outcome:x", 0.8, 0.05), cal.Target("y", "r", "outcome:y", -0.4, 0.05)]
    abc = pyabc.ABCSMC(model, prior, cal.ToleranceDistance(targets), population_size=12, sampler=sampler,
                       eps=pyabc.epsilon.MedianEpsilon(initial_epsilon=np.inf))
    with cal.seeded(seed):
        abc.new(f"sqlite:///{db}", {"x": 0.8, "y": -0.4})
        return abc.run(max_nr_populations=4)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # pyabc: inf - inf epsilon
def test_batch_sampler_gives_the_particles_of_pyabcs_single_core_sampler_in_few_batches(tmp_path):
    from pyabc.sampler import SingleCoreSampler

    single = toy_abc(SingleCoreSampler(), lambda p: toy_rows([(p["a"], p["b"])])[0], tmp_path / "single.db")
    model = CandidateModel(["a", "b"], toy_rows, ["x", "y"])
    sampler = BatchSampler(model)
    batched = toy_abc(sampler, model, tmp_path / "batched.db")
    for t in range(4):
        a, b = (cal.population_frame(h, t) for h in (single, batched))
        pd.testing.assert_frame_equal(a, b)
    counts = ["samples", "particles", "epsilon"]
    pd.testing.assert_frame_equal(single.get_all_populations()[counts], batched.get_all_populations()[counts])
    # every proposal was answered from its batch, in few batches per generation
    assert model.misses == 0
    assert sum(g["batches"] for g in sampler.generations) <= 3 * len(sampler.generations)
    assert all(g["simulated"] >= g["proposals"] for g in sampler.generations)
    assert model.simulations == sum(g["simulated"] for g in sampler.generations)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_nan_statistics_come_back_from_pyabcs_database_as_floats(tmp_path):
    from sim.store import write_parquet

    model = CandidateModel(["a", "b"], lambda thetas, desc="": [{"x": a + b, "y": np.nan} for a, b in thetas], ["x", "y"])
    history = toy_abc(BatchSampler(model), model, tmp_path / "nan.db")
    frame = cal.population_frame(history, history.max_t)
    assert frame.y.isna().all() and frame.drop(columns="generation").dtypes.eq(float).all()
    write_parquet(tmp_path / "particles.parquet", frame)   # the write that a 0-d array broke


def test_distance_counts_targets_in_units_of_tolerance():
    targets = [cal.Target("a", "r", "outcome:a", 1.0, 0.5), cal.Target("b", "r", "outcome:b", 0.0, 2.0, weight=3)]
    sim = pd.DataFrame({"a": [1.5, 1.0, np.nan], "b": [0.0, 4.0, 0.0]})
    np.testing.assert_allclose(cal.loss(sim, targets), [(1 * 1) / 4, (3 * 4) / 4, 100 / 4])
    assert cal.ToleranceDistance(targets)({"a": 1.0, "b": 4.0}, None) == pytest.approx(np.sqrt(3.0))


def test_weighted_quantiles_follow_the_weights():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(cal.weighted_quantiles(x, [0.7, 0.1, 0.1, 0.1], (0.05, 0.5, 0.95)), [1, 1, 4])
    np.testing.assert_allclose(cal.weighted_quantiles(x, [0.25] * 4, (0.5,)), [2])


def test_fit_table_marks_misses():
    targets = [cal.Target("a", "r", "outcome:a", 0.5, 0.1), cal.Target("b", "r", "outcome:b", 0.5, 0.1)]
    check = pd.DataFrame({"a": [0.52, 0.54, 0.50], "b": [0.70, 0.72, 0.68]})
    fit = cal.fit_table(check, targets).set_index("target")
    assert fit.status.tolist() == ["pass", "miss"]
    assert fit.simulated["a"] == pytest.approx(0.52)
    assert fit.simulated_low["a"] < fit.simulated["a"] < fit.simulated_high["a"]
    assert fit.error_in_tolerances["b"] == pytest.approx(2.0)


@pytest.mark.parametrize("bad, message", [
    ({"targets": []}, "targets is empty"),
    ({"targets": [{"name": "x", "run": "nope", "statistic": "outcome:a", "value": 1, "tolerance": 1}]}, "is not a run"),
    ({"targets": [{"name": "x", "run": "r", "statistic": "weird", "value": 1, "tolerance": 1}]}, "statistic='weird'"),
    ({"targets": [{"name": "x", "run": "r", "statistic": "outcome:a", "value": 1, "tolerance": 0}]}, "tolerance=0.0"),
    ({"settings": {"accept": 0.1}}, "settings.accept belonged to the ABC rejection method"),
    ({"settings": {"prior_draws": 64}}, "use particles and max_generations"),
    ({"settings": {"particles": 1}}, "settings.particles=1 is not allowed: expected an integer >= 2"),
    ({"settings": {"particles": "many"}}, "settings.particles='many'"),
    ({"settings": {"max_generations": 0}}, "settings.max_generations=0"),
    ({"settings": {"min_epsilon": -1}}, "settings.min_epsilon=-1"),
    ({"settings": {"max_simulations": 2.5}}, "settings.max_simulations=2.5"),
    ({"settings": {"seeds": []}}, "settings.seeds=[]"),
    ({"settings": {"sampler_seed": -1}}, "settings.sampler_seed=-1"),
    ({"settings": {"population_size": 8}}, "settings.population_size is not a setting"),
])
def test_bad_targets_files_get_one_line_errors(bad, message):
    raw = {"runs": {"r": ["scenario=baseline"]}, "parameters": {"behaviour.asc_enrol": [-5, -3]},
           "targets": [{"name": "x", "run": "r", "statistic": "outcome:a", "value": 1, "tolerance": 1}], **bad}
    with pytest.raises(cal.CalibrationError, match=message.replace("[", r"\[").replace("(", r"\(")) as info:
        cal.spec_from_dict(raw)
    assert len(str(info.value).splitlines()) == 1


def fake_result(weights=(0.25, 0.75)) -> cal.CalibrationResult:
    names = ["behaviour.asc_enrol", "market.seat_adjustment"]
    posterior = pd.DataFrame({names[0]: [-5.0, -4.5], names[1]: [0.3, 0.4], "weight": list(weights),
                              "distance": [0.9, 0.7]})
    convergence = pd.DataFrame({"generation": [0, 1], "epsilon": [np.inf, 1.2], "proposals": [2, 5],
                                "simulated": [2, 6], "accepted": [2, 2], "acceptance_rate": [1.0, 0.4],
                                "ess": [2.0, 1.6], "wall_time_s": [1.0, 2.0]})
    fit = pd.DataFrame({"status": ["pass"]})
    return cal.CalibrationResult({names[0]: -4.5, names[1]: 0.4}, posterior, posterior.assign(generation=1),
                                 convergence, fit, pd.DataFrame())


def test_posterior_file_round_trips_with_provenance_and_weights(tmp_path):
    result = fake_result()
    text = cal.posterior_csv(result, "mcsim calibrate --write-config", cal.Settings(), "2026-12-03")
    path = tmp_path / "posterior.csv"
    path.write_text(text)
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert text.splitlines()[:len(comments)] == comments      # provenance first
    for word in ("command: mcsim calibrate", "date: 2026-12-03", "method: ABC-SMC (pyabc", "generations: 2",
                 "final epsilon: 1.2000", "particles: 2", "targets file: configs/calibration/targets.yaml"):
        assert any(word in line for line in comments), word
    table = cal.load_posterior(path)
    assert list(table.columns) == ["behaviour.asc_enrol", "market.seat_adjustment", "weight"]
    np.testing.assert_allclose(table.to_numpy(), result.posterior[list(table.columns)].to_numpy())
    assert result.quantiles().loc["behaviour.asc_enrol", "q50"] == -4.5   # weighted: 0.75 at -4.5


@pytest.mark.parametrize("content, message", [
    (None, "does not exist"),
    ("# only a comment\n", "not a CSV table"),
    ("behaviour.asc_enrol,w\n-5,1\n", "no weight column"),
    ("asc_enrol,weight\n-5,1\n", "not all dotted parameter names"),
    ("behaviour.asc_enrol,weight\n", "no rows"),
    ("behaviour.asc_enrol,weight\n-5,one\n", "not a finite number"),
    ("behaviour.asc_enrol,weight\n-5,0.5\n-4,0.4\n", "sum to 1 (they sum to 0.9)"),
    ("behaviour.asc_enrol,weight\n-5,1.5\n-4,-0.5\n", "non-negative"),
])
def test_bad_posterior_files_fail_with_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "posterior.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(cal.CalibrationError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        cal.load_posterior(path)
    assert str(path) in str(info.value) and len(str(info.value).splitlines()) == 1


def test_shipped_targets_file_loads_and_names_its_sources():
    from sim.config.compose import CONFIG_DIR

    spec = cal.load_spec(CONFIG_DIR / "calibration" / "targets.yaml")
    assert {t.run for t in spec.targets} == set(spec.runs)
    assert all(t.source for t in spec.targets)
    assert {"behaviour.asc_enrol", "behaviour.education_gradient"} <= set(spec.bounds)


def test_plain_config_runs_give_identical_outcomes():
    from sim.config.compose import compose
    from sim.model.plain import plain as plain_config
    from sim.run import run_scenario

    cfg = compose("run", ["population.n_agents=1500", "horizon.quarters=6", "seed=3"])
    a = run_scenario(cfg, progress=False).outcomes
    b = run_scenario(plain_config(cfg), progress=False).outcomes
    assert a == b or pd.Series(a).astype(str).equals(pd.Series(b).astype(str))


def test_settings_name_the_number_of_agents_population_like_experiment_files():
    raw = {"runs": {"r": ["scenario=baseline"]}, "parameters": {"behaviour.asc_enrol": [-5, -3]},
           "targets": [{"name": "x", "run": "r", "statistic": "outcome:a", "value": 1, "tolerance": 1}]}
    assert cal.spec_from_dict({**raw, "settings": {"population": 1234}}).settings.population == 1234
    assert cal.spec_from_dict({**raw, "settings": {"n_agents": 1234}}).settings.population == 1234  # earlier spelling


def mcsim(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)


def test_validate_names_the_number_of_agents_population_too(tmp_path):
    out = mcsim(["validate", "n_agents=2000"], tmp_path)
    assert out.returncode == 2 and "population=2000" in out.stderr and len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args, message", [
    (["particles=1"], "settings.particles=1 is not allowed"),
    (["prior_draws=32"], "settings.prior_draws belonged to the ABC rejection method"),
    (["--out", "/tmp/elsewhere"], "outside its results folder"),
])
def test_calibrate_command_rejects_bad_input_before_any_run(tmp_path, args, message):
    out = mcsim(["calibrate", str(ROOT / "configs" / "calibration" / "targets.yaml"), *args], tmp_path)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert not (tmp_path / "results").exists()


def test_calibrate_help_names_the_abc_smc_settings(tmp_path):
    out = mcsim(["calibrate", "--help"], tmp_path)
    assert out.returncode == 0
    for word in ("ABC-SMC", "particles", "max_generations", "min_epsilon", "posterior.csv"):
        assert word in out.stdout


def point_in_use(names: list[str]) -> dict[str, float]:
    """The calibrated point every run uses (configs/behaviour/calibrated.yaml, composed), in
    the targets file's parameter names (the education gradient read back from its shape)."""
    from omegaconf import OmegaConf

    from sim.config.compose import compose
    from sim.experiment.configs import EDUCATION_GRADIENT_SHAPE

    cfg = compose("run", [])
    out = {}
    for name in names:
        if name == "behaviour.education_gradient":
            out[name] = float(cfg.behaviour.taste_by_education[0]) / EDUCATION_GRADIENT_SHAPE[0]
        else:
            out[name] = float(OmegaConf.select(cfg, name))
    return out


def test_shipped_posterior_names_the_targets_parameters_and_holds_the_point_in_use():
    from sim.config.compose import CONFIG_DIR

    spec = cal.load_spec(CONFIG_DIR / "calibration" / "targets.yaml")
    posterior = cal.load_posterior(CONFIG_DIR / "behaviour" / "posterior.csv")
    assert list(posterior.columns) == [*spec.names, "weight"]
    point = point_in_use(spec.names)
    for name, (low, high) in spec.bounds.items():
        assert ((low <= posterior[name]) & (posterior[name] <= high)).all(), name
        # the point in use lies within the range the posterior sample spans
        assert posterior[name].min() <= point[name] <= posterior[name].max(), (name, point[name])
