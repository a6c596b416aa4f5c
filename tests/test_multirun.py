"""Hydra multirun through ``mcsim run -m`` on the basic, joblib and Ray launchers, and
``mcsim collect`` turning a sweep into one table and heat maps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY = ["population.n_agents=1000", "horizon.quarters=4", "progress=false"]


def mcsim(args: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.slow
def test_basic_launcher_sweep_then_collect_gives_one_row_per_job_and_a_heat_map(tmp_path):
    sweep = tmp_path / "sweep"
    out = mcsim(["run", "-m", "scenario=baseline,b40_voucher", "policy.subsidy.rate=0.5,1.0", "seed=range(2)",
                 *TINY, f"hydra.sweep.dir={sweep}"], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    collected = mcsim(["collect", str(sweep)], tmp_path)
    assert collected.returncode == 0, collected.stderr
    table = pd.read_parquet(sweep / "sweep.parquet")
    assert len(table) == 8
    assert sorted(table["job"]) == list(range(8))
    combos = table[["scenario", "policy.subsidy.rate", "seed"]].drop_duplicates()
    assert len(combos) == 8 and set(table["seed"]) == {0, 1}
    for row in table.itertuples():  # each row carries its own job's outcomes
        summary = json.loads((sweep / str(row.job) / "summary.json").read_text())
        assert summary["scenario"] == row.scenario
        assert table.loc[row.Index, "uptake_by_income.B40"] == summary["outcomes"]["uptake_by_income"]["B40"]
    pd.testing.assert_frame_equal(pd.read_csv(sweep / "sweep.csv"), table, check_dtype=False)
    figures = sorted(p.name for p in sweep.glob("collect_*.png"))
    # a heat map (seed is averaged over) and a tile map by state per value of the first swept key
    assert figures == ["collect_state_map_uptake_by_state__scenario=b40_voucher.png",
                       "collect_state_map_uptake_by_state__scenario=baseline.png",
                       "collect_uptake_rate__scenario__policy.subsidy.rate.png"]


@pytest.mark.slow
@pytest.mark.parametrize("launcher", [
    ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
    ["hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=2",
     "+hydra.launcher.ray.init.include_dashboard=false"],
], ids=["joblib", "ray"])
def test_parallel_launchers_run_every_job(tmp_path, launcher):
    sweep = tmp_path / "sweep"
    out = mcsim(["run", "-m", *launcher, "seed=1,2", *TINY, f"hydra.sweep.dir={sweep}"], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    seeds = sorted(json.loads((sweep / j / "summary.json").read_text())["seed"] for j in ("0", "1"))
    assert seeds == [1, 2]


def test_a_bad_swept_value_fails_before_the_sweep_with_one_line(tmp_path):
    out = mcsim(["run", "-m", "policy.subsidy.rate=0.5,7", "seed=range(2)", *TINY,
                 f"hydra.sweep.dir={tmp_path / 'sweep'}"], tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "policy.subsidy.rate=7" in out.stderr
    assert not (tmp_path / "sweep").exists()


def test_collect_rejects_a_folder_that_is_not_a_sweep(tmp_path):
    out = mcsim(["collect", str(tmp_path)], tmp_path)
    assert out.returncode == 2 and "no Hydra job folders" in out.stderr and "Traceback" not in out.stderr
