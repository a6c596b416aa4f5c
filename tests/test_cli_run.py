"""`mcsim run` through the real command line, in subprocesses: outputs, determinism, and
one-line errors (no traceback, nothing written) for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

SCENARIOS = ["baseline", "b40_voucher", "universal_voucher", "rural_connectivity",
             "recognition_push", "awareness_campaign", "provider_readiness", "integrated"]
SUMMARY_KEYS = ["uptake_rate", "completion_rate", "credential_holders_rate", "uptake_by_income",
                "uptake_by_location", "uptake_by_education", "uptake_by_sex", "uptake_by_age_band",
                "online_completion_by_connectivity", "rate_ratio_b40_t20", "rate_ratio_rural_urban",
                "concentration_index", "concentration_index_erreygers", "public_spend_rm",
                "subsidy_share_b40", "employer_trust_mean", "employment_rate", "mean_monthly_wage_gain_rm"]


def mcsim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_named_scenario_runs_and_writes_its_outputs(scenario, tmp_path):
    out = tmp_path / "run"
    result = mcsim("run", f"scenario={scenario}", "seed=1", "population.n_agents=20000",
                   "horizon.quarters=8", f"hydra.run.dir={out}")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == scenario and summary["seed"] == 1 and summary["n_agents"] == 20000
    assert summary["quarters"] == 8 and 19e6 < summary["persons"] < 21e6
    for key in SUMMARY_KEYS:
        assert key in summary["outcomes"], key
    assert set(summary["outcomes"]["uptake_by_income"]) == {"B40", "M40", "T20"}
    assert set(summary["outcomes"]["uptake_by_age_band"]) == {"18-29", "30-39", "40-49", "50-64"}
    series = pd.read_parquet(out / "timeseries.parquet")
    assert list(series.columns) == ["quarter", "period", "metric", "group", "value"]
    assert series["quarter"].nunique() == 8 and series["period"].iloc[0] == "2025Q1"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 1 and "numpy" in manifest["packages"] and manifest["code_version"]
    assert "scenario:" in (out / "config.yaml").read_text()
    assert str(out) in result.stdout


def test_same_command_twice_gives_byte_identical_outcomes(tmp_path):
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        result = mcsim("run", "scenario=integrated", "seed=3", "population.n_agents=5000",
                       "horizon.quarters=8", f"hydra.run.dir={out}")
        assert result.returncode == 0, result.stderr
        outputs.append((out / "summary.json").read_bytes())
    assert outputs[0] == outputs[1]


def _broken_data_file(tmp_path: Path) -> Path:
    from sim.data import DATA_DIR

    text = (DATA_DIR / "malaysia_population.yaml").read_text()
    # Selangor's population share 0.216 -> 0.316: the state shares no longer sum to one.
    assert "0.216" in text
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace("0.216", "0.316", 1))
    return broken


BAD_INPUTS = [
    (["policy.subsidy.rate=1.5"], "policy.subsidy.rate"),
    (["population.n_agents=0"], "population.n_agents"),
    (["policy.subsidy.annual_budget_rm=-5"], "policy.subsidy.annual_budget_rm"),
    (["horizon.quarters=0"], "horizon.quarters"),
    (["population.n_agents=many"], "population.n_agents"),
    (["population.n_agentz=5"], "population.n_agentz"),
    (["scenario=moonshot"], "moonshot"),
    (["policy.subsidy.targeting=[B40,martians]"], "martians"),
]


@pytest.mark.parametrize("overrides,named", BAD_INPUTS)
def test_bad_input_gives_one_line_error_and_writes_nothing(overrides, named, tmp_path):
    out = tmp_path / "run"
    result = mcsim("run", *overrides, f"hydra.run.dir={out}")
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert named in lines[0] and "Traceback" not in result.stderr
    assert not out.exists()


def test_unknown_scenario_lists_the_available_ones(tmp_path):
    result = mcsim("run", "scenario=moonshot", f"hydra.run.dir={tmp_path / 'run'}")
    assert all(name in result.stderr for name in SCENARIOS)


def test_unknown_key_message_lists_the_known_keys(tmp_path):
    result = mcsim("run", "population.n_agentz=5", f"hydra.run.dir={tmp_path / 'run'}")
    assert "not a known configuration key" in result.stderr and "n_agents" in result.stderr


def test_out_of_range_message_says_what_is_allowed(tmp_path):
    result = mcsim("run", "policy.subsidy.rate=1.5", f"hydra.run.dir={tmp_path / 'run'}")
    assert "1.5" in result.stderr and "from 0 to 1" in result.stderr


def test_data_file_whose_shares_do_not_sum_to_one_is_refused(tmp_path):
    broken = _broken_data_file(tmp_path)
    out = tmp_path / "run"
    result = mcsim("run", f"population.data={broken}", f"hydra.run.dir={out}")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "sum" in lines[0] and "Traceback" not in result.stderr
    assert not out.exists()
