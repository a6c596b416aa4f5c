"""mcsim compare end to end: bad input, executors, common random numbers, stored results."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis.tables import build_tables
from sim.config.compose import compose
from sim.experiment.compare import plan, run_comparison

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["population.n_agents=2000", "horizon.quarters=8"]


def mcsim(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def test_unknown_scenario_fails_before_any_run_with_one_line(tmp_path):
    out = mcsim("compare", "scenarios=[baseline,nope]", cwd=tmp_path)
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "nope" in lines[0] and "b40_voucher" in lines[0] and lines[0].startswith("mcsim compare: error:")
    assert "runs" not in out.stderr and not (tmp_path / "results").exists()


@pytest.mark.parametrize("override, key", [("draws=0 replicates=1", "replicates"), ("executor=threads", "executor"),
                                           ("draws=-1", "draws"), ("draws=1 replicates=1", "replicates"),
                                           ("population.n_agents=0", "population.n_agents")])
def test_bad_comparison_settings_fail_with_the_key_named(tmp_path, override, key):
    out = mcsim("compare", *override.split(), cwd=tmp_path)
    assert out.returncode != 0
    assert len(out.stderr.strip().splitlines()) == 1 and key in out.stderr
    assert not (tmp_path / "results").exists()


def test_plan_pairs_every_scenario_with_the_baseline_seed_by_seed():
    specs = plan(["b40_voucher", "baseline"], replicates=3, seed=5)
    assert [(s.scenario, s.seed) for s in specs[:2]] == [("baseline", 5), ("b40_voucher", 5)]
    assert {s.seed for s in specs if s.scenario == "b40_voucher"} == {5, 6, 7}
    assert {s.seed for s in specs if s.scenario == "baseline"} == {5, 6, 7}


@pytest.mark.slow
def test_serial_and_process_executors_give_identical_tables():
    cfgs = {s: compose("run", [f"scenario={s}", *SMALL]) for s in ("baseline", "b40_voucher")}
    serial = run_comparison(cfgs, 3, 1, "serial", progress=False)
    process = run_comparison(cfgs, 3, 1, "process", workers=2, progress=False)
    for attr in ("timeseries", "counterfactuals", "counterfactual_groups"):
        pd.testing.assert_frame_equal(getattr(serial, attr), getattr(process, attr))
    pd.testing.assert_frame_equal(serial.runs.drop(columns="wall_time_s"), process.runs.drop(columns="wall_time_s"))
    t_serial = build_tables(serial.runs, serial.timeseries, serial.counterfactuals, serial.counterfactual_groups)
    t_process = build_tables(process.runs, process.timeseries, process.counterfactuals, process.counterfactual_groups)
    for name in t_serial:
        pd.testing.assert_frame_equal(t_serial[name], t_process[name])
    # the baseline population is the same person by person in every scenario: same seed, same people
    assert (serial.runs.groupby("seed").persons.nunique() == 1).all()


def test_compare_defaults_and_overrides_reach_every_scenario_run():
    from sim.commands.compare import prepare

    cfg, run_cfgs, _ = prepare(["scenarios=[b40_voucher]", "behaviour.asc_enrol=-4.0", "policy.subsidy.rate=0.5"])
    assert list(run_cfgs) == ["baseline", "b40_voucher"]
    for name, run in run_cfgs.items():
        assert run.scenario.name == name
        assert run.population.n_agents == cfg.population.n_agents == 20_000   # compare.yaml's default
        assert run.behaviour.asc_enrol == -4.0
    assert run_cfgs["b40_voucher"].policy.subsidy.rate == 0.5          # user override beats the scenario
    assert run_cfgs["b40_voucher"].policy.subsidy.targeting == ["B40"]  # the rest of the scenario stays
