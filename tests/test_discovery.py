"""PRIM (the EMA Workbench's, behind sim.analysis.discovery) finds a known box in synthetic data.

The cases here are the ones the hand-written PRIM it replaced was tested on; EMA's finds the
same boxes (the same edges to within 0.01, the same coverage and density to 0.001)."""

import numpy as np
import pandas as pd
import pytest

from sim.analysis import discovery as dv


def synthetic(n=3000, noise=0.0, seed=5):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.uniform(0, 1, (n, 4)), columns=["a", "b", "c", "d"])
    y = (X.a >= 0.6) & (X.b <= 0.4)          # the true box: a in [0.6, 1], b in [0, 0.4]
    flip = rng.uniform(size=n) < noise
    return X, np.where(flip, ~y, y)


def test_prim_recovers_the_true_box():
    X, y = synthetic()
    r = dv.prim(X, y, alpha=0.05)
    assert set(r.box) == {"a", "b"}                     # c and d are irrelevant and left free
    # boundaries within the sampling gap: about 1/sqrt(#runs near the edge) of the range
    assert r.box["a"][0] == pytest.approx(0.6, abs=0.02) and r.box["a"][1] == pytest.approx(X.a.max())
    assert r.box["b"][1] == pytest.approx(0.4, abs=0.02) and r.box["b"][0] == pytest.approx(X.b.min())
    assert r.density == 1.0 and r.coverage > 0.95
    t = r.trajectory
    assert t.support.iloc[0] == 1.0 and t.density.iloc[0] == pytest.approx(y.mean())
    assert (t.support > 0.05).all() and t.n_restricted.iloc[r.chosen_step] == 2
    assert r.support == pytest.approx(t.support.iloc[r.chosen_step])


def test_prim_with_label_noise_still_finds_the_box():
    X, y = synthetic(noise=0.05)
    r = dv.prim(X, y, alpha=0.05)
    assert {"a", "b"} <= set(r.box)
    assert r.box["a"][0] == pytest.approx(0.6, abs=0.05) and r.box["b"][1] == pytest.approx(0.4, abs=0.05)
    for extra in set(r.box) - {"a", "b"}:     # any restriction of an irrelevant input stays small
        lo, hi = r.box[extra]
        assert hi - lo > 0.8
    # the true box holds 16% of runs; 5% noise leaves it density 0.95 and coverage
    # 0.16 * 0.95 / (0.16 * 0.95 + 0.84 * 0.05) = 0.78 (false successes outside it)
    assert r.density == pytest.approx(0.95, abs=0.03) and r.coverage == pytest.approx(0.78, abs=0.04)


def test_shared_case_box_brackets_the_true_box():
    """The issue's shared case: y = 1 where x1 > 0.6 and x2 < 0.3, four uniform inputs."""
    rng = np.random.default_rng(11)
    X = pd.DataFrame(rng.uniform(0, 1, (4000, 4)), columns=["x1", "x2", "x3", "x4"])
    y = (X.x1 > 0.6) & (X.x2 < 0.3)
    r = dv.prim(X, y, alpha=0.05)
    assert set(r.box) == {"x1", "x2"}
    # Each peel removes alpha = 5% of the box's runs, so an edge lands within one peel step of
    # the true edge: 0.05 x the box's width in that input (0.4 for x1, 0.3 for x2) = 0.02.
    (lo1, hi1), (lo2, hi2) = r.box["x1"], r.box["x2"]
    assert lo1 == pytest.approx(0.6, abs=0.02) and hi1 == X.x1.max()
    assert hi2 == pytest.approx(0.3, abs=0.02) and lo2 == X.x2.min()
    assert r.density > 0.97 and r.coverage > 0.95     # at most one peel step of runs on the wrong side


def test_whole_number_and_flag_inputs_are_peeled_as_discrete_values():
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.uniform(0, 1, 3000), "k": rng.integers(0, 10, 3000),
                      "flag": rng.uniform(size=3000) < 0.5})
    y = (X.k >= 7) & X.flag
    r = dv.prim(X, y)
    assert r.box == {"k": (7.0, 9.0), "flag": (1.0, 1.0)} and r.density == 1.0 and r.coverage == 1.0
    with pytest.raises(ValueError, match="'name' is not numeric"):
        dv.prim(X.assign(name="x"), y)


def test_density_choice_takes_the_first_box_near_the_densest():
    X, y = synthetic(noise=0.05)
    dense = dv.prim(X, y, choose="density", density_tolerance=0.02)
    t = dense.trajectory
    assert dense.density >= t.density.max() - 0.02
    assert (t.density.iloc[:dense.chosen_step] < t.density.max() - 0.02).all()
    with pytest.raises(ValueError, match="choose='best' is not allowed"):
        dv.prim(X, y, choose="best")


def test_conditions_and_discover(tmp_path):
    X, _ = synthetic(n=800)
    results = X.assign(**{"uptake_by_income.B40": X.a, "rate_ratio_rural_urban": 1.2 - X.b})
    cond = {"uptake_by_income.B40": ">= 0.6", "rate_ratio_rural_urban": ">= 0.8"}
    np.testing.assert_array_equal(dv.condition_mask(results, cond), (X.a >= 0.6) & (X.b <= 0.4 + 1e-12))
    r = dv.discover(results, ["a", "b", "c", "d"], cond)
    assert set(r.box) == {"a", "b"}
    assert "coverage" in dv.format_result(r, cond)
    paths = dv.plot(r, tmp_path / "prim")
    assert all(p.stat().st_size > 0 for p in paths)
    with pytest.raises(ValueError, match="'~ 3' is not allowed"):
        dv.condition_mask(results, {"a": "~ 3"})
    with pytest.raises(KeyError, match="not a column"):
        dv.condition_mask(results, {"zz": ">= 1"})
    with pytest.raises(ValueError, match="no run meets"):
        dv.prim(X, np.zeros(len(X), bool))


def test_discover_command_on_a_results_file(tmp_path, capsys):
    from sim.commands.discover import main

    X, _ = synthetic(n=600)
    X.assign(**{"uptake_by_income.B40": X.a, "ratio": 1.2 - X.b}).to_parquet(tmp_path / "results.parquet")
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path / "results.parquet"), "uptake_by_income.B40>=0.6", "ratio >= 0.8", "--inputs", "a,b,c,d"])
    assert exit_.value.code == 0
    assert set(pd.read_csv(tmp_path / "discovery" / "prim_box.csv").input) == {"a", "b"}
    assert (tmp_path / "discovery" / "prim.svg").exists()
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path / "results.parquet"), "ratio ~ 3", "--inputs", "a"])
    assert exit_.value.code == 2 and "condition 'ratio ~ 3' is not allowed" in capsys.readouterr().err
