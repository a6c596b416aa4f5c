"""The allocator's thresholds (sim.model.base.steady_allocator) change speed only: a run with
them and one with the C library's defaults give the same numbers (nothing reads memory it
did not write)."""

from __future__ import annotations

import json
import subprocess
import sys

RUN = """
import json, sys
import sim.model.base as base
if sys.argv[1] == "defaults":
    base.steady_allocator = lambda: None
from sim.config.compose import compose
from sim.run import run_scenario
cfg = compose("run", ["scenario=integrated", "population.n_agents=4000", "horizon.quarters=10", "progress=false"])
record = run_scenario(cfg)
print(json.dumps({"outcomes": record.outcomes, "timeseries": record.timeseries.to_csv(index=False),
                  "learners": {k: v.tolist() for k, v in record.learner_outcomes.items()}}, sort_keys=True))
"""


def test_allocator_thresholds_change_no_number():
    procs = {mode: subprocess.Popen([sys.executable, "-c", RUN, mode], stdout=subprocess.PIPE, text=True)
             for mode in ("defaults", "steady")}
    out = {mode: proc.communicate(timeout=300)[0] for mode, proc in procs.items()}
    assert all(proc.returncode == 0 for proc in procs.values())
    assert json.loads(out["steady"])["outcomes"]["uptake_rate"] > 0
    assert out["defaults"] == out["steady"]     # outcomes, time series and per-learner arrays
