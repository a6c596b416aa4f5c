"""PRIM finds a known box in synthetic data."""

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
    assert t.support.is_monotonic_decreasing and t.density.iloc[0] == pytest.approx(y.mean())
    assert (t.support.iloc[-2] > 0.05)


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


def test_pasting_undoes_an_overpeel():
    X, y = synthetic()
    lo = np.array([0.7, 0.0, 0.0, 0.0])   # a box that cut a too far
    hi = np.array([1.0, 0.4, 1.0, 1.0])
    plo, phi = dv._paste(X.to_numpy(), y, lo.copy(), hi.copy(), 0.05)
    assert plo[0] == pytest.approx(0.6, abs=0.01) and phi[1] <= 0.4 + 1e-9


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
