"""The explorer without a browser: levers -> configuration, the baseline twin, the export
that ``mcsim run overrides_file=`` reproduces exactly, and the loopback-only server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from sim.config.compose import available
from sim.config.overrides_file import flatten
from sim.explorer.export import export_yaml
from sim.explorer.levers import Levers, baseline_config, compose_run, preset_levers, run_config
from sim.explorer.twin import TwinRun

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def mcsim(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], cwd=cwd, env=ENV, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("preset", available("scenario"))
def test_every_preset_is_represented_exactly_by_the_levers(preset):
    # Choosing a preset on the page runs exactly that scenario's policy.
    page = run_config(preset_levers(preset, n_agents=1000))
    assert OmegaConf.to_container(page.policy) == OmegaConf.to_container(compose_run([f"scenario={preset}"]).policy)
    assert page.scenario.name == preset


def test_untouched_baseline_twin_is_identical_and_voucher_helps_b40():
    lv = Levers(n_agents=5000, seed=3)
    same = TwinRun(run_config(lv), baseline_config(lv))
    voucher = TwinRun(run_config(lv.with_(subsidy_rate=0.9)), baseline_config(lv))
    for _ in range(6):
        same.step()
        voucher.step()
    assert same.scenario.history == same.baseline.history  # common random numbers: no policy, no difference
    assert same.paired_uptake("all") == (0.0, 0.0, 0.0)
    # The baseline twin does not depend on the scenario stepped beside it.
    assert voucher.baseline.history == same.baseline.history
    b40, lo, hi = voucher.paired_uptake("B40")
    assert b40 > 0 and lo < b40 < hi
    assert voucher.paired_uptake("T20")[0] < b40
    assert voucher.cumulative_spend_rm()["subsidy"][-1] > 0
    assert run_config(lv.with_(subsidy_rate=0.9)).scenario.name == "baseline_custom"


def test_state_filter_reads_the_state_alone_and_tiles_follow_the_effects():
    """The numbers filtered to a state are that state's, computed from the twins' learners; the
    tile map has every state once, noisy where few agents live, and marks the chosen one."""
    from sim.model.domain import STATES
    from sim.explorer import readout, state_tiles

    lv = preset_levers("east_malaysia_connectivity", n_agents=4000, seed=2)
    twin = TwinRun(run_config(lv), baseline_config(lv))
    for _ in range(3):
        twin.step()
    sabah = STATES.index("Sabah")
    rows = {r["key"]: r for r in readout.rows(twin, "Sabah")}
    L = twin.scenario.learners
    here = L.state == sabah
    assert rows["uptake-all"]["scenario"] == pytest.approx(L.ever_enrolled[here].mean(), rel=1e-6)
    b40 = here & (L.income_group == 0)
    assert rows["uptake-B40"]["scenario"] == pytest.approx(L.ever_enrolled[b40].mean(), rel=1e-6)
    national = {r["key"]: r for r in readout.rows(twin)}
    assert rows["uptake-all"]["scenario"] != national["uptake-all"]["scenario"]
    # the package spends only in East Malaysia: all of it on residents of Sabah, Sarawak, Labuan
    east = sum(readout.rows(twin, s)[-2]["scenario"] for s in ("Sabah", "Sarawak", "Labuan"))
    assert east == pytest.approx(national["spend"]["scenario"], rel=1e-6)
    assert readout.rows(twin, "Johor")[-2]["scenario"] == 0
    tiles = state_tiles.tiles(twin, "Sabah")
    assert [t["state"] for t in tiles] == list(STATES)
    assert [t["selected"] for t in tiles].count(True) == 1 and tiles[sabah]["selected"]
    assert tiles[STATES.index("Putrajaya")]["noisy"]          # about 16 agents at 4,000
    assert "state-tile" not in readout.table_html(twin, "Sabah") and "data-state='Sabah'" in readout.table_html(
        twin, "Sabah")


def test_export_reproduces_the_page_exactly_with_mcsim_run(tmp_path):
    lv = preset_levers("integrated", n_agents=5000, seed=7).with_(
        subsidy_rate=0.75, subsidy_targeting=("B40", "rural"), awareness_intensity=0.8, device_budget_m=40.0)
    twin = TwinRun(run_config(lv), baseline_config(lv))
    quarters = 5
    for _ in range(quarters):
        twin.step()
    exported = tmp_path / "settings.yaml"
    exported.write_text(export_yaml(twin.scenario.cfg, twin))
    out = tmp_path / "run"
    result = mcsim("run", f"overrides_file={exported}", f"hydra.run.dir={out}", "progress=false")
    assert result.returncode == 0, result.stderr
    ts = pd.read_parquet(out / "timeseries.parquet")
    for q, record in enumerate(twin.scenario.history):
        for metric, groups in record.items():
            for group, value in groups.items():
                cli = ts.query("quarter == @q and metric == @metric and group == @group")["value"].item()
                assert cli == value or (np.isnan(cli) and np.isnan(value)), (q, metric, group)
    # The run records the page's whole configuration.
    resolved = OmegaConf.load(out / "config.yaml")
    assert OmegaConf.to_container(resolved.policy) == twin.scenario.cfg.policy.to_dict()
    assert resolved.scenario.name == "integrated_custom"


def test_export_lines_round_trip_through_hydra_overrides():
    lv = Levers(n_agents=1000).with_(subsidy_rate=0.5)
    cfg = run_config(lv)
    text = export_yaml(cfg)
    assert text.startswith("# @package _global_\n")  # also usable as configs/scenario/<name>.yaml
    import yaml

    again = compose_run(flatten(yaml.safe_load(text)))
    assert OmegaConf.to_container(again.policy) == OmegaConf.to_container(cfg.policy)
    assert again.scenario == cfg.scenario and again.seed == cfg.seed


def test_run_refuses_a_missing_overrides_file(tmp_path):
    result = mcsim("run", f"overrides_file={tmp_path / 'nope.yaml'}", f"hydra.run.dir={tmp_path / 'out'}")
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "overrides_file=" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.org"])
def test_explore_refuses_non_loopback_hosts(host):
    result = mcsim("explore", f"host={host}", "port=8765")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "allow_remote=true" in lines[0] and host in lines[0]
    assert "Traceback" not in result.stderr


def test_explore_option_checks():
    from sim.commands.explore import parse

    assert parse(["host=0.0.0.0", "allow_remote=true"])["host"] == "0.0.0.0"
    assert parse(["host=::1"])["host"] == "::1"
    for bad in (["port=http"], ["colour=red"], ["allow_remote=maybe"]):
        with pytest.raises(SystemExit) as exc:
            parse(bad)
        assert exc.value.code != 0


def test_explore_names_the_number_of_agents_population():
    from sim.commands.explore import parse

    assert parse(["population=50000"])["population"] == "50000"
    result = mcsim("explore", "n_agents=5000")
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "population=5000" in result.stderr
    result = mcsim("explore", "population=50")
    assert result.returncode != 0 and "population=50 is not allowed: expected an integer from 100 to 1000000" in result.stderr
