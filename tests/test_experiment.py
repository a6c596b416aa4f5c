"""Experiment files, designs and executors: the same design gives identical tables on the
serial, process and Ray executors; bad experiment files fail before any run with one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.experiment import ExperimentError, build_design, design_matrix, run_design
from sim.experiment.spec import parse_experiment

ROOT = Path(__file__).resolve().parent.parent
SMALL = {"population": 2000, "horizon": 8}


def spec_of(**fields):
    return parse_experiment({**SMALL, **fields}, name="t")


# --------------------------------------------------------------------------- designs
def test_full_factorial_is_every_combination_times_scenarios_and_replicates():
    spec = spec_of(scenarios=["baseline", "b40_voucher"], replicates=2,
                   levers={"policy.subsidy.rate": {"levels": [0.5, 1.0]}},
                   uncertainties={"behaviour.money_weight": {"range": [0.5, 1.5], "steps": 3}})
    design = build_design(spec)
    assert len(design) == 2 * 3 * 2 * 2
    assert list(design["run_id"]) == list(range(len(design)))
    combos = design[["policy.subsidy.rate", "behaviour.money_weight", "scenario", "replicate"]]
    assert not combos.duplicated().any()
    assert sorted(design["behaviour.money_weight"].unique()) == [0.5, 1.0, 1.5]
    assert set(design["seed"]) == {1, 2}  # seed = experiment seed + replicate


@pytest.mark.parametrize("sampler, samples, expected", [
    ("lhs", 10, 10), ("sobol", 8, 8 * (3 + 2)), ("morris", 4, 4 * (3 + 1))])
def test_samplers_give_the_documented_sizes_within_bounds_and_deterministically(sampler, samples, expected):
    spec = spec_of(sampler=sampler, samples=samples,
                   levers={"policy.awareness.intensity": {"range": [0.0, 1.0]}},
                   uncertainties={"behaviour.asc_enrol": {"range": [-5.0, -3.0]},
                                  "behaviour.offers_sampled": {"range": [1, 5]}})
    design = build_design(spec)
    assert len(design) == expected
    assert design["behaviour.asc_enrol"].between(-5.0, -3.0).all()
    assert design["behaviour.offers_sampled"].map(lambda v: isinstance(v, (int, np.integer))).all()
    pd.testing.assert_frame_equal(design, build_design(spec))
    x = design_matrix(spec, design)
    assert x.shape == (expected, 3)
    np.testing.assert_allclose(x[:, 1], design["behaviour.asc_enrol"])
    if sampler == "lhs":  # one point in each of the n strata of every dimension
        strata = np.floor((x[:, 1] + 5.0) / 2.0 * samples).astype(int)
        assert sorted(strata) == list(range(samples))


def test_changing_a_result_field_changes_the_spec_hash_but_outcomes_do_not():
    base = {"levers": {"policy.subsidy.rate": {"levels": [0.5]}}}
    a = spec_of(**base)
    assert a.spec_hash() != spec_of(**base, replicates=2).spec_hash()
    assert a.spec_hash() == spec_of(**base, outcomes=["uptake_rate"]).spec_hash()


# --------------------------------------------------------------------------- executors
@pytest.mark.slow
def test_serial_process_and_ray_executors_give_identical_tables(tmp_path):
    spec = spec_of(sampler="lhs", samples=4, replicates=2, seed=7,
                   levers={"policy.awareness.intensity": {"range": [0.0, 1.0]}},
                   fixed={"policy.awareness.enabled": True},
                   uncertainties={"behaviour.asc_enrol": {"range": [-3.5, -2.0]}})
    design = build_design(spec)
    assert len(design) == 8
    tables = {ex: run_design(spec, design, tmp_path / ex, executor=ex, progress=False, workers=2)
              for ex in ("serial", "process", "ray")}
    serial = tables["serial"]
    assert len(serial) == 8 and serial["uptake_rate"].nunique() > 1  # the runs really differ
    for ex in ("process", "ray"):
        pd.testing.assert_frame_equal(tables[ex], serial, check_exact=True)


# --------------------------------------------------------------------------- bad files
GOOD = {"levers": {"policy.subsidy.rate": {"range": [0.0, 1.0]}}, "sampler": "lhs", "samples": 4, **SMALL}
BAD = [
    ("unknown key", {**GOOD, "levers": {"policy.subsidy.rat": {"range": [0, 1]}}}, "policy.subsidy.rat"),
    ("lever not a policy", {**GOOD, "levers": {"behaviour.asc_enrol": {"range": [-5, -3]}}}, "not a lever"),
    ("empty range", {**GOOD, "levers": {"policy.subsidy.rate": {"range": [0.5, 0.5]}}}, "is empty"),
    ("reversed range", {**GOOD, "levers": {"policy.subsidy.rate": {"range": [1, 0]}}}, "lower bound above"),
    ("range outside allowed", {**GOOD, "levers": {"policy.subsidy.rate": {"range": [0, 2]}}}, "outside"),
    ("unknown sampler", {**GOOD, "sampler": "sobel"}, "sampler='sobel'"),
    ("too few samples", {**GOOD, "sampler": "morris", "samples": 1}, "too few for morris"),
    ("sobol not power of 2", {**GOOD, "sampler": "sobol", "samples": 6}, "power of 2"),
    ("unknown top-level key", {**GOOD, "replicate": 2}, "unknown key 'replicate'"),
    ("unknown outcome", {**GOOD, "outcomes": ["uptake"]}, "unknown outcome 'uptake'"),
]


@pytest.mark.parametrize("case, content, needle", BAD, ids=[b[0] for b in BAD])
def test_bad_experiment_file_fails_before_any_run_with_one_line(tmp_path, case, content, needle):
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(content))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "sim.cli", "experiment", "bad.yaml"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mcsim experiment: error:"), out.stderr
    assert needle in lines[0]
    assert "Traceback" not in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]  # nothing written


def test_parse_errors_are_experiment_errors():
    with pytest.raises(ExperimentError, match="steps"):
        spec_of(levers={"policy.subsidy.rate": {"range": [0, 1]}})  # full factorial needs a grid
    with pytest.raises(ExperimentError, match="scenario 'nope'"):
        spec_of(scenarios=["nope"])


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "experiments").glob("*.yaml")))
def test_curated_experiment_files_are_valid(name):
    from sim.experiment import load_experiment

    spec = load_experiment(name)
    assert len(build_design(spec)) >= 8


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "experiments" / "sensitivity").glob("*.yaml")))
def test_sensitivity_files_are_experiment_files(name):
    from sim.experiment import load_experiment

    spec = load_experiment(ROOT / "experiments" / "sensitivity" / f"{name}.yaml")
    assert spec.sampler in ("sobol", "morris") and spec.analysis["outcomes"]
    assert len(build_design(spec)) >= 8


# --------------------------------------------------------------------------- the engine
def test_run_tasks_returns_results_in_task_order_on_every_executor():
    """One task runner and one executor family for every command: plain tasks in, results
    re-ordered by task id, so serial and process give the same list."""
    from omegaconf import OmegaConf

    from sim.config.compose import compose
    from sim.experiment.executors import run_tasks

    base = OmegaConf.to_container(compose("run", ["population.n_agents=400", "horizon.quarters=2"]))
    tasks = [(i, base, {"behaviour.asc_enrol": -3.0 - 0.5 * i}, 1 + i % 2, None) for i in (3, 0, 2, 1)]
    serial = run_tasks(tasks, "serial")
    process = run_tasks(tasks, "process", workers=2)
    assert [r[0] for r in serial] == [r[0] for r in process] == [0, 1, 2, 3]
    pd.testing.assert_frame_equal(pd.DataFrame([r[1] for r in serial]), pd.DataFrame([r[1] for r in process]),
                                  check_exact=True)  # (NaN outcomes, e.g. of empty groups, compare equal here)
    assert [r[2]["seed"] for r in serial] == [1, 2, 1, 2]


def test_a_failing_run_is_named_without_a_store():
    from omegaconf import OmegaConf

    from sim.config.compose import compose
    from sim.experiment.executors import run_tasks
    from sim.experiment.worker import RunFailed

    def boom(record):
        raise ValueError("no such statistic")

    base = OmegaConf.to_container(compose("run", ["population.n_agents=300", "horizon.quarters=1"]))
    with pytest.raises(RunFailed, match="run 7 .*no such statistic"):
        run_tasks([(7, base, {}, 1, boom)], "serial")


def test_derived_uncertainties_and_the_tornado_design():
    from sim.experiment.configs import expand
    from sim.experiment.design import tornado_design

    spec = spec_of(sampler="sobol", samples=2, replicates=2,
                   uncertainties={"behaviour.education_gradient": {"range": [0.4, 1.6]},
                                  "behaviour.asc_enrol": {"range": [-5.0, -3.0]}})
    assert expand({"behaviour.education_gradient": 0.6}) == {"behaviour.taste_by_education": [-0.6, -0.3, 0.0, 0.2]}
    t = tornado_design(spec)
    assert len(t) == (2 * 2 + 1) * 2 and list(t["run_id"]) == list(range(10))
    centre = t[t.level == "centre"]
    assert centre["behaviour.education_gradient"].tolist() == [1.0, 1.0] and set(centre.seed) == {1, 2}
    low = t[(t.level == "low") & (t.varied == "behaviour.asc_enrol")]
    assert low["behaviour.asc_enrol"].tolist() == [-5.0, -5.0] and low["behaviour.education_gradient"].tolist() == [1.0, 1.0]


@pytest.mark.slow
def test_mcsim_sensitivity_runs_the_design_into_the_store_then_analyses(tmp_path):
    content = {"name": "tiny", "scenarios": ["baseline"], "sampler": "morris", "samples": 2, "population": 300,
               "horizon": 2, "uncertainties": {"behaviour.asc_enrol": {"range": [-5.0, -3.0]},
                                               "behaviour.education_gradient": {"range": [0.4, 1.6]}},
               "analysis": {"outcomes": ["uptake_rate"], "convergence": False, "tornado": True}}
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(content))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "sim.cli", "sensitivity", "tiny.yaml", "--workers", "1"]
    out = subprocess.run([*cmd, "--out", "a"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    store = next((tmp_path / "results" / "experiments").iterdir())
    assert len(list((store / "runs").glob("run-*.json"))) == 2 * 3
    assert len(list((store / "tornado" / "runs").glob("run-*.json"))) == 2 * 2 + 1
    for name in ("sensitivity.parquet", "tornado_results.parquet", "tornado_uptake_rate.svg", "manifest.json"):
        assert (tmp_path / "a" / name).exists()
    again = subprocess.run([*cmd, "--out", "b"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "runs to do" not in again.stderr  # the store's finished runs are reused
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / "sensitivity.parquet"),
                                  pd.read_parquet(tmp_path / "b" / "sensitivity.parquet"))
