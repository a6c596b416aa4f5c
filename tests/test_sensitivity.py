"""Sensitivity analysis against the Ishigami function, whose indices are known exactly."""

import numpy as np
import pandas as pd
import pytest

from sim.analysis import sensitivity as sa

BOUNDS = {f"x{i + 1}": (-np.pi, np.pi) for i in range(3)}


def test_analytic_ishigami_indices():
    s1, st = sa.ishigami_indices()
    np.testing.assert_allclose(s1, [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(st, [0.5576, 0.4424, 0.2437], atol=1e-4)


def test_sobol_indices_of_ishigami_lie_within_their_confidence_intervals():
    X = sa.sample("sobol", BOUNDS, 2048, seed=7)
    assert len(X) == 2048 * (3 + 2) == sa.runs_needed("sobol", 3, 2048)
    res = sa.analyse("sobol", BOUNDS, X, sa.ishigami(X.to_numpy()), seed=7).set_index("parameter").loc[list(BOUNDS)]
    s1, st = sa.ishigami_indices()
    assert np.all(np.abs(res.S1 - s1) <= res.S1_conf), res
    assert np.all(np.abs(res.ST - st) <= res.ST_conf), res
    assert np.all(res.ST_conf < 0.08)  # narrower than the gaps between the true indices (>= 0.11)


def test_morris_ranks_ishigami_inputs_like_its_exact_elementary_effects():
    # On SALib's 4-level grid the step is 2/3 of the range, so the exact mean absolute
    # elementary effects are: x2 = 7 * sin^2(pi/3) / (2/3) = 7.875; x1 = |sin(pi/3)| *
    # E[1 + 0.1 x3^4] / (2/3) = 7.70; x3 = 0.1 * E|sin x1| * (pi^4 - (pi/3)^4) / (2/3) = 6.25.
    # x3 (the input that acts only through its interaction with x1, S1 = 0) ranks last and
    # has sigma > mu*; x1 and x2 are nearly tied at the top.
    exact = {"x1": np.sin(np.pi / 3) * (1 + 0.1 * (np.pi ** 4 + (np.pi / 3) ** 4) / 2) * 1.5,
             "x2": 7 * np.sin(np.pi / 3) ** 2 * 1.5,
             "x3": 0.1 * 0.5 * np.sin(np.pi / 3) * (np.pi ** 4 - (np.pi / 3) ** 4) * 1.5}
    X = sa.sample("morris", BOUNDS, 400, seed=3)
    res = sa.analyse("morris", BOUNDS, X, sa.ishigami(X.to_numpy()), seed=3).set_index("parameter")
    assert list(res.index) == sorted(exact, key=exact.get, reverse=True) == ["x2", "x1", "x3"]
    for name, value in exact.items():
        assert abs(res.mu_star[name] - value) <= max(res.mu_star_conf[name], 1e-9) + 1e-9, (name, res)
    assert res.sigma["x3"] > res.mu_star["x3"] * 0.9
    assert abs(res.mu["x3"]) < 0.25 * res.mu_star["x3"]  # effects of both signs: pure interaction


def test_convergence_uses_nested_prefixes_and_narrows_intervals():
    X = sa.sample("sobol", BOUNDS, 512, seed=2)
    conv = sa.convergence("sobol", BOUNDS, X, sa.ishigami(X.to_numpy()), steps=3, seed=2)
    assert sorted(conv.n.unique()) == [128, 256, 512]
    width = conv.groupby("n").ST_conf.mean()
    assert width[512] < width[128]
    full = sa.analyse("sobol", BOUNDS, X, sa.ishigami(X.to_numpy()), seed=2)
    pd.testing.assert_frame_equal(conv[conv.n == 512].drop(columns="n").reset_index(drop=True), full)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="power of two"):
        sa.sample("sobol", BOUNDS, 100)
    with pytest.raises(ValueError, match="expected one of sobol, morris"):
        sa.sample("fast", BOUNDS, 8)
    X = sa.sample("sobol", BOUNDS, 8)
    y = sa.ishigami(X.to_numpy())
    y[3] = np.nan
    with pytest.raises(ValueError, match="1 missing"):
        sa.analyse("sobol", BOUNDS, X, y)


def test_analyse_experiment_writes_indices_and_figures(tmp_path):
    spec = {"sampler": "sobol", "parameters": {k: list(v) for k, v in BOUNDS.items()},
            "analysis": {"outcomes": ["y"], "convergence": True}, "seed": 4}
    X = sa.sample("sobol", BOUNDS, 256, seed=4)
    y = sa.ishigami(X.to_numpy())
    # two replicates per design point, as an experiment store holds them; the mean is analysed
    results = pd.concat([X.assign(y=y, design_row=np.arange(len(X)), seed=s) for s in (1, 2)], ignore_index=True)
    indices = sa.analyse_experiment(spec, results, tmp_path)
    assert indices.set_index("parameter").ST.idxmax() == "x1"
    for name in ("sensitivity.parquet", "sensitivity.json", "convergence.parquet",
                 "sensitivity_y.png", "sensitivity_y.svg", "convergence_y.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert sa.analyse_experiment({**spec, "sampler": "grid"}, results, tmp_path / "none") is None


def test_tornado_design_varies_one_input_at_a_time():
    d = sa.tornado_design({"a": (0, 2), "b": (10, 20)})
    assert len(d) == 5
    results = pd.DataFrame({"design_row": range(5), "y": d.a + 0.1 * d.b})
    table, base = sa.tornado_table(d, results, "y")
    assert base == pytest.approx(1 + 1.5)
    t = table.set_index("parameter")
    assert t.loc["a"].tolist() == pytest.approx([1.5, 3.5]) and t.loc["b"].tolist() == pytest.approx([2.0, 3.0])


def test_analyse_experiment_on_an_experiment_spec_table(tmp_path):
    """The table ``sim.experiment.run_design`` returns (point, scenario, replicate) feeds
    the analysis directly; each scenario gets its own indices."""
    from sim.experiment.spec import ExperimentSpec, Parameter

    params = [Parameter(key=k, role="uncertainty", low=lo, high=hi) for k, (lo, hi) in BOUNDS.items()]
    spec = ExperimentSpec(name="ishigami", scenarios=["s1", "s2"], parameters=params, sampler="sobol", samples=128,
                          seed=9, analysis={"outcomes": ["y"], "convergence": False})
    X = sa.sample("sobol", BOUNDS, 128, seed=9)
    frames = []
    for scenario, scale in (("s1", 1.0), ("s2", 2.0)):
        for replicate in (0, 1):
            frames.append(X.assign(point=np.arange(len(X)), scenario=scenario, replicate=replicate,
                                   y=scale * sa.ishigami(X.to_numpy())))
    table = pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=1)  # any row order
    indices = sa.analyse_experiment(spec, table, tmp_path)
    s1 = indices[indices.scenario == "s1"].set_index("parameter")
    s2 = indices[indices.scenario == "s2"].set_index("parameter")
    pd.testing.assert_series_equal(s1.ST, s2.ST)  # indices are scale-free
    assert s1.ST.idxmax() == "x1" and (tmp_path / "sensitivity_s1_y.svg").exists()


def test_experiment_files_validate_the_analysis_block():
    from sim.experiment.spec import ExperimentError, parse_experiment

    base = {"scenarios": ["baseline"], "uncertainties": {"behaviour.asc_enrol": {"range": [-5, -4]}},
            "sampler": "sobol", "samples": 4}
    with pytest.raises(ExperimentError, match="analysis needs sampler: sobol or morris"):
        parse_experiment({**base, "sampler": "lhs", "analysis": {"outcomes": ["uptake_rate"]}}, "x")
    with pytest.raises(ExperimentError, match="analysis.outcomes must list"):
        parse_experiment({**base, "analysis": {"outcomes": []}}, "x")
    with pytest.raises(ExperimentError, match="analysis must be a mapping"):
        parse_experiment({**base, "analysis": {"method": "sobol"}}, "x")
