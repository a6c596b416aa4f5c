"""Calibration recovers parameters from synthetic targets that the model itself generated."""

import numpy as np
import pandas as pd
import pytest

from sim.analysis import calibration as cal

TRUE = {"behaviour.asc_enrol": -3.6, "behaviour.dropout_base": -2.6}
BOUNDS = {"behaviour.asc_enrol": [-5.0, -2.5], "behaviour.dropout_base": [-4.0, -1.0]}
SMALL = ["horizon.quarters=12"]


def synthetic_spec(values: dict[str, float], tolerances: dict[str, float], settings: dict) -> cal.CalibrationSpec:
    return cal.spec_from_dict({
        "runs": {"status_quo": ["scenario=baseline"]},
        "targets": [{"name": name, "run": "status_quo", "statistic": f"outcome:{name}", "value": values[name],
                     "tolerance": tolerances[name], "source": "synthetic"} for name in values],
        "parameters": BOUNDS,
        "settings": {"population": 2500, "overrides": SMALL, **settings},
    })


def test_calibration_recovers_known_parameters():
    # 1. synthetic "observations": the model at TRUE with seeds the calibration never uses
    probe = synthetic_spec({"uptake_rate": 0, "completion_rate": 0}, {"uptake_rate": 1, "completion_rate": 1},
                           {"seeds": [101, 102, 103, 104, 105, 106]})
    sim = cal.Simulator(probe, workers=2, progress=False)
    try:
        # six seeds: the seed-to-seed standard deviation below needs more than a handful
        runs = sim.per_seed(np.array([list(TRUE.values())]), [101, 102, 103, 104, 105, 106])
    finally:
        sim.close()
    observed = runs[["uptake_rate", "completion_rate"]].mean()
    # tolerance = 2 x the seed-to-seed standard deviation of the statistic (sampling error),
    # plus a floor for ties at this small population
    tol = {k: max(2 * runs[k].std(ddof=1), 0.005) for k in observed.index}
    spec = synthetic_spec(observed.to_dict(), tol, {"seeds": [1, 2], "prior_draws": 16, "accept": 0.25,
                                                     "refine_evaluations": 12, "check_seeds": [7, 8]})
    result = cal.calibrate(spec, workers=2, progress=False, log=lambda *_: None)
    q = result.quantiles()
    for name, true in TRUE.items():
        width = BOUNDS[name][1] - BOUNDS[name][0]
        # stated recovery tolerance: 10% of the prior range, and the truth inside the ABC 5-95% range
        assert abs(result.fitted[name] - true) <= 0.10 * width, (name, result.fitted, q)
        assert q.loc[name, "q05"] - 0.02 * width <= true <= q.loc[name, "q95"] + 0.02 * width, q
    # fresh seeds at the fitted point land near the observations (seed noise allows ~2 tolerances)
    assert (result.fit_table.error_in_tolerances.abs() <= 3).all(), result.fit_table
    assert len(result.posterior) == 4 and len(result.draws) == 16


def test_loss_counts_targets_in_units_of_tolerance():
    targets = [cal.Target("a", "r", "outcome:a", 1.0, 0.5), cal.Target("b", "r", "outcome:b", 0.0, 2.0, weight=3)]
    sim = pd.DataFrame({"a": [1.5, 1.0, np.nan], "b": [0.0, 4.0, 0.0]})
    np.testing.assert_allclose(cal.loss(sim, targets), [(1 * 1) / 4, (3 * 4) / 4, 100 / 4])


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
    ({"settings": {"accept": 2}}, "settings.accept=2"),
])
def test_bad_targets_files_get_one_line_errors(bad, message):
    raw = {"runs": {"r": ["scenario=baseline"]}, "parameters": {"behaviour.asc_enrol": [-5, -3]},
           "targets": [{"name": "x", "run": "r", "statistic": "outcome:a", "value": 1, "tolerance": 1}], **bad}
    with pytest.raises(cal.CalibrationError, match=message.replace("[", r"\[").replace("(", r"\(")):
        cal.spec_from_dict(raw)


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


def test_validate_names_the_number_of_agents_population_too(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-m", "sim.cli", "validate", "n_agents=2000"], cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "population=2000" in out.stderr and len(out.stderr.strip().splitlines()) == 1
