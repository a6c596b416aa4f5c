"""``mcsim bench`` writes the promised figures (single runs and the workloads analysts run, with
the recorded many-run baseline beside today's figure); bad settings fail with one line; the
choice screen changes no result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.config.compose import compose
from sim.experiment.throughput import against_baseline, workload
from sim.model.processes import choice
from sim.run import run_scenario

ROOT = Path(__file__).resolve().parent.parent


TINY_MANY = ["bench.many_scenarios=[baseline,b40_voucher]", "bench.many_draws=1", "bench.many_agents=500",
             "bench.many_workers=1"]


def test_bench_writes_figures(tmp_path):
    tiny = workload(["baseline", "b40_voucher"], 1, 500, 2, 1, 1)
    recorded = tmp_path / "baseline.json"
    recorded.write_text(json.dumps({"workload": tiny, "runs_per_minute": 6.0, "commit": "abc1234", "date": "then",
                                    "load_average": 1.0}))
    results_before = sorted((ROOT / "results").rglob("*")) if (ROOT / "results").exists() else []
    cmd = [sys.executable, "-m", "sim.cli", "bench", "population.n_agents=3000", "horizon.quarters=2",
           "bench.reference_agents=100", "bench.warm_agents=1000", "bench.cli_agents=500", *TINY_MANY,
           f"bench.many_baseline={recorded}", f"hydra.run.dir={tmp_path / 'out'}"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "out" / "bench.json").read_text())
    for key in ("n_agents", "quarters", "learner_steps_per_s", "reference_learner_steps_per_s",
                "speedup_vs_reference", "peak_rss_mb", "bytes_per_learner"):
        assert result[key] > 0, key
    assert result["n_agents"] == 3000 and result["quarters"] == 2
    assert result["speedup_vs_reference"] == result["learner_steps_per_s"] / result["reference_learner_steps_per_s"]
    assert result["machine"]["cores"] >= 1 and result["machine"]["cpu_model"]
    assert "learner-steps/s" in done.stdout
    warm = result["warm_worker"]
    assert warm["n_agents"] == 1000 and warm["learner_steps_per_s"] == 1000 * 2 / warm["warm_run_s"]
    cli = result["cli_run"]
    assert cli["command"] == "mcsim run population.n_agents=500" and cli["wall_s"] > 0
    many = result["many_runs"]
    assert many["workload"] == tiny and many["runs"] == 2
    assert many["same_workload"] and many["ratio_vs_baseline"] == many["runs_per_minute"] / 6.0
    assert "recorded on abc1234" in done.stdout
    for part in (warm, cli, many):
        assert part["load_average"] >= 0
    after = sorted((ROOT / "results").rglob("*")) if (ROOT / "results").exists() else []
    assert after == results_before, "the bench left files in the repository"


def test_a_baseline_of_another_workload_gives_no_ratio():
    today = {"workload": workload(["baseline"], 2, 1000, 4, 1, 2), "runs_per_minute": 30.0}
    other = {"workload": workload(["baseline"], 10, 50000, 40, 1, 2), "runs_per_minute": 10.0}
    assert against_baseline(today, other)["ratio_vs_baseline"] is None
    assert against_baseline(today, {**other, "workload": today["workload"]})["ratio_vs_baseline"] == 3.0


@pytest.mark.parametrize("setting", [
    "bench.warm_agents=1", "bench.cli_agents=-5", "bench.many_draws=-1", "bench.many_agents=1",
    "bench.many_workers=0", "bench.many_scenarios=[b40_voucher]", "bench.many_scenarios=[baseline,nowhere]",
    "bench.many_scenarios=[baseline,baseline]", "bench.many_baseline=/nonexistent/baseline.json"])
def test_bad_workload_settings_fail_with_one_line(setting, tmp_path):
    from conftest import run_cli

    code, _, err = run_cli(["bench", setting, f"hydra.run.dir={tmp_path / 'out'}"], cwd=tmp_path)
    assert code == 2
    assert err.strip().count("\n") == 0 and setting.split("=")[0] in err
    assert not (tmp_path / "out").exists()


def test_bench_rejects_bad_sizes(tmp_path):
    cmd = [sys.executable, "-m", "sim.cli", "bench", "bench.reference_agents=1", f"hydra.run.dir={tmp_path / 'out'}"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert done.stderr.strip().count("\n") == 0 and "bench.reference_agents=1" in done.stderr
    assert not (tmp_path / "out").exists()


def test_choice_screen_changes_no_result(monkeypatch):
    """Screening out learners who certainly stay out is an optimisation, not a rule: without
    it every run is identical."""
    cfg = compose("run", ["scenario=integrated", "seed=5", "population.n_agents=5000", "horizon.quarters=12",
                          "progress=false"])
    screened = run_scenario(cfg)
    monkeypatch.setattr(choice, "_may_enrol", lambda model, ids, part, q: np.ones(len(ids), dtype=bool))
    full = run_scenario(cfg)
    assert json.dumps(screened.outcomes) == json.dumps(full.outcomes)
    assert screened.timeseries.equals(full.timeseries)
