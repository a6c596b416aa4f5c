"""``mcsim bench`` writes the promised figures; the choice screen changes no result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from sim.config.compose import compose
from sim.model.processes import choice
from sim.run import run_scenario

ROOT = Path(__file__).resolve().parent.parent


def test_bench_writes_figures(tmp_path):
    cmd = [sys.executable, "-m", "sim.cli", "bench", "population.n_agents=3000", "horizon.quarters=2",
           "bench.reference_agents=100", f"hydra.run.dir={tmp_path}"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "bench.json").read_text())
    for key in ("n_agents", "quarters", "learner_steps_per_s", "reference_learner_steps_per_s",
                "speedup_vs_reference", "peak_rss_mb", "bytes_per_learner"):
        assert result[key] > 0, key
    assert result["n_agents"] == 3000 and result["quarters"] == 2
    assert result["speedup_vs_reference"] == result["learner_steps_per_s"] / result["reference_learner_steps_per_s"]
    assert result["machine"]["cores"] >= 1 and result["machine"]["cpu_model"]
    assert "learner-steps/s" in done.stdout


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
