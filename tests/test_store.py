"""The results store keeps every finished run: a killed experiment resumes without
recomputing finished runs, corrupt or partial shards are detected and redone, a changed spec
gets its own directory, and results stream from the shards without loading them all."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.experiment import ResultStore, build_design, run_design
from sim.experiment.spec import parse_experiment
from sim.experiment.store import StoreMismatch, default_store_dir

ROOT = Path(__file__).resolve().parent.parent
ASC_LEVELS = [-4.4, -4.0, -3.6, -3.2, -2.8, -2.4, -2.2, -2.0, -1.8, -1.6]
KILL_EXPERIMENT = {"name": "kill_test", "uncertainties": {"behaviour.asc_enrol": {"levels": ASC_LEVELS}},
                   "population": 2000, "horizon": 8, "outcomes": ["uptake_rate", "uptake_by_income.B40"]}


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_ino, st.st_mtime_ns


@pytest.mark.slow
def test_killed_experiment_resumes_without_recomputing_finished_runs(tmp_path):
    (tmp_path / "kill.yaml").write_text(yaml.safe_dump(KILL_EXPERIMENT))
    store_dir = tmp_path / "store"
    cmd = [sys.executable, "-m", "sim.cli", "experiment", "kill.yaml", f"store={store_dir}", "progress=false"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs = store_dir / "runs"
    deadline = time.time() + 300
    while time.time() < deadline and len(list(runs.glob("run-*.json"))) < 3:
        assert proc.poll() is None, "the experiment ended before it could be killed"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    store = ResultStore(store_dir)
    finished = store.done_ids(range(len(ASC_LEVELS)))
    assert 3 <= len(finished) < len(ASC_LEVELS), "kill should land part-way"
    before = {r: (_stat(store.shard_path(r)), _stat(store.sidecar_path(r))) for r in finished}

    again = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr

    assert store.status(range(len(ASC_LEVELS))) == {r: "done" for r in range(len(ASC_LEVELS))}
    for r, stats in before.items():  # the same files, untouched
        assert (_stat(store.shard_path(r)), _stat(store.sidecar_path(r))) == stats
    submitted = store.submissions()
    assert all(submitted[r] == 1 for r in finished)  # finished runs were never handed out again
    assert set(submitted) == set(range(len(ASC_LEVELS)))
    results = pd.read_parquet(store_dir / "results.parquet")
    assert sorted(results["run_id"]) == list(range(len(ASC_LEVELS)))  # every run exactly once
    assert results["uptake_rate"].notna().all()
    manifest = json.loads((store_dir / "manifest.json").read_text())
    assert manifest["finished"] == manifest["runs"] == len(ASC_LEVELS)


@pytest.fixture(scope="module")
def small_spec():
    return parse_experiment({"uncertainties": {"behaviour.asc_enrol": {"levels": [-3.0, -2.5, -2.0]}},
                             "population": 1000, "horizon": 4}, name="small")


def test_corrupt_and_partial_shards_are_detected_and_redone(tmp_path, small_spec):
    design = build_design(small_spec)
    first = run_design(small_spec, design, tmp_path, progress=False)
    store = ResultStore(tmp_path)
    truncated, partial, intact = 0, 1, 2
    data = store.shard_path(truncated).read_bytes()
    store.shard_path(truncated).write_bytes(data[: len(data) // 2])   # a torn write
    store.sidecar_path(partial).unlink()                              # killed between shard and sidecar
    assert store.check(truncated) == "corrupt" and store.check(partial) == "missing"
    assert store.check(intact) == "done"
    second = run_design(small_spec, design, tmp_path, progress=False)
    pd.testing.assert_frame_equal(second, first)
    assert store.submissions() == {0: 2, 1: 2, 2: 1}


def test_a_changed_spec_gets_another_directory_and_never_mixes(tmp_path, small_spec):
    changed = small_spec.replace(replicates=2)
    assert default_store_dir(small_spec) != default_store_dir(changed)
    ResultStore(tmp_path).prepare(small_spec, build_design(small_spec))
    with pytest.raises(StoreMismatch, match="another store directory"):
        ResultStore(tmp_path).prepare(changed, build_design(changed))


def test_results_stream_in_batches_reading_only_the_asked_columns(tmp_path):
    store = ResultStore(tmp_path)
    store.runs.mkdir(parents=True)
    for run_id in range(25):  # synthetic shards: the reader does not care where they came from
        store.write(run_id, {"uptake_rate": run_id / 100, "concentration_index": -run_id / 10}, {"seed": 1})
    batches = list(store.iter_batches(columns=["uptake_rate"], batch_size=10))
    assert all(b.num_rows <= 10 for b in batches)  # bounded memory: never one table of everything
    assert all(b.schema.names == ["run_id", "uptake_rate"] for b in batches)
    rows = pd.concat(b.to_pandas() for b in batches).sort_values("run_id")
    assert list(rows["uptake_rate"]) == [r / 100 for r in range(25)]


def test_a_failing_run_is_recorded_left_out_and_retried(tmp_path, small_spec, monkeypatch):
    import sim.run

    real = sim.run.run_scenario

    def flaky(cfg, *args, **kwargs):
        if cfg.behaviour.asc_enrol == -2.5:
            raise RuntimeError("boom")
        return real(cfg, *args, **kwargs)

    design = build_design(small_spec)
    monkeypatch.setattr(sim.run, "run_scenario", flaky)
    first = run_design(small_spec, design, tmp_path, progress=False)
    store = ResultStore(tmp_path)
    assert list(first["run_id"]) == [0, 2]
    assert store.check(1) == "failed" and "RuntimeError: boom" in store.meta(1)["error"]
    monkeypatch.setattr(sim.run, "run_scenario", real)
    second = run_design(small_spec, design, tmp_path, progress=False)
    assert list(second["run_id"]) == [0, 1, 2]
    assert store.submissions() == {0: 1, 1: 2, 2: 1}
