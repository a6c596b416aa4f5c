"""Hostile and broken input, case by case (issue 11): each ends in one line and exit 2 with
nothing written, or in a complete result; never code run from a file, a path outside the
results folder, a hang or a traceback."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["population.n_agents=300", "horizon.quarters=2", "progress=false"]


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def assert_one_line_refusal(code: int, err: str, *needles: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# --------------------------------------------------------------------------- 1. no code from a settings file
HOSTILE_SETTINGS = {
    "callback": ({"+hydra": {"callbacks": {"w": {"_target_": "shutil.copyfile", "_args_": ["a", "b"]}}}}, "hydra"),
    "plus_key": ({"+hydra.callbacks.w._target_": "shutil.copyfile"}, "hydra"),
    "run_dir": ({"hydra": {"run": {"dir": "elsewhere"}}}, "hydra.run.dir"),
    "nested_target": ({"policy": {"subsidy": {"_target_": "os.system"}}}, "_target_"),
    "target_in_list": ({"policy": {"subsidy": {"targeting": [{"_target_": "os.system"}]}}}, "_target_"),
    "tilde_key": ({"~seed": 1}, "~seed"),
    "equals_key": ({"seed=3": 1}, "seed=3"),
}


@pytest.mark.parametrize("case", list(HOSTILE_SETTINGS))
def test_settings_file_cannot_run_code_or_move_outputs(case, tmp_path):
    content, named = HOSTILE_SETTINGS[case]
    (tmp_path / "a").write_text("original")
    (tmp_path / "evil.yaml").write_text(yaml.safe_dump(content))
    before = files_under(tmp_path)
    code, _, err = run_cli(["run", "overrides_file=evil.yaml", *SMALL], tmp_path)
    assert_one_line_refusal(code, err, named)
    assert files_under(tmp_path) == before and (tmp_path / "a").read_text() == "original"


def test_command_line_cannot_add_hydra_callbacks_or_targets(tmp_path):
    code, _, err = run_cli(["run", "+hydra.callbacks.w._target_=shutil.copyfile", *SMALL], tmp_path)
    assert_one_line_refusal(code, err, "_target_")
    code, _, err = run_cli(["run", "+hydra.callbacks.w.x=1", *SMALL], tmp_path)
    assert_one_line_refusal(code, err, "callbacks")
    assert not (tmp_path / "results").exists()


def test_settings_file_of_schema_keys_still_runs(tmp_path):
    settings = {"scenario": "b40_voucher", "seed": 4, "policy": {"subsidy": {"rate": 0.5}}}
    (tmp_path / "ok.yaml").write_text("# @package _global_\n" + yaml.safe_dump(settings))
    code, _, err = run_cli(["run", "overrides_file=ok.yaml", *SMALL, "hydra.run.dir=out"], tmp_path)
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["scenario"] == "b40_voucher" and summary["seed"] == 4
    assert "rate: 0.5" in (tmp_path / "out" / "config.yaml").read_text()


# --------------------------------------------------------------------------- 2. names cannot escape
@pytest.mark.parametrize("name", ["../../../escaped", "/tmp/abs", "a/b", ".hidden", ""])
def test_scenario_name_cannot_leave_the_results_folder(name, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    code, _, err = run_cli(["run", f"scenario.name='{name}'", *SMALL], work)
    assert_one_line_refusal(code, err, "scenario.name")
    assert files_under(tmp_path) == set()


@pytest.mark.parametrize("name", ["../../x", "/tmp/x", "a/b"])
def test_experiment_name_cannot_leave_the_results_folder(name, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "e.yaml").write_text(yaml.safe_dump({"name": name, "scenarios": ["baseline"], "population": 300,
                                                 "horizon": 2}))
    before = files_under(tmp_path)
    code, _, err = run_cli(["experiment", "e.yaml", "progress=false"], work)
    assert_one_line_refusal(code, err, "name=")
    assert files_under(tmp_path) == before


def test_output_paths_are_checked_to_lie_inside_their_results_folder(tmp_path):
    from sim.paths import UnsafePath, inside

    assert inside(tmp_path / "results" / "run" / "a", tmp_path / "results")
    with pytest.raises(UnsafePath, match="outside"):
        inside(tmp_path / "results" / ".." / "elsewhere", tmp_path / "results")


# --------------------------------------------------------------------------- 3. alias bombs
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi"))


def test_yaml_alias_bomb_in_a_settings_file_is_refused_at_once(tmp_path):
    (tmp_path / "bomb.yaml").write_text(BOMB)
    start = time.monotonic()
    code, _, err = run_cli(["run", "overrides_file=bomb.yaml", *SMALL], tmp_path)
    assert time.monotonic() - start < 10
    assert_one_line_refusal(code, err, "bomb.yaml", "not allowed")
    assert files_under(tmp_path) == {tmp_path / "bomb.yaml"}


def test_yaml_alias_bomb_in_an_experiment_file_is_refused_at_once(tmp_path):
    (tmp_path / "bomb.yaml").write_text("name: bomb\nscenarios: [baseline]\n" + BOMB.replace("a:", "fixed:", 1))
    start = time.monotonic()
    code, _, err = run_cli(["experiment", "bomb.yaml"], tmp_path)
    assert time.monotonic() - start < 10
    assert_one_line_refusal(code, err, "bomb.yaml")
    assert files_under(tmp_path) == {tmp_path / "bomb.yaml"}


def test_oversized_settings_file_is_refused(tmp_path):
    (tmp_path / "big.yaml").write_text("seed: 1\n" + "# padding\n" * 200_000)
    code, _, err = run_cli(["run", "overrides_file=big.yaml", *SMALL], tmp_path)
    assert_one_line_refusal(code, err, "big.yaml", "bytes")


# --------------------------------------------------------------------------- 4. values that crashed
def test_values_that_crashed_now_run_or_are_refused_by_their_range(tmp_path):
    code, _, err = run_cli(["run", "horizon.quarters=130", "population.n_agents=200", "progress=false",
                            "hydra.run.dir=long"], tmp_path)
    assert code == 0, err
    assert json.loads((tmp_path / "long" / "summary.json").read_text())["quarters"] == 130
    for override in ("market.trust_prior_mean_accredited=0", "population.n_agents=1"):
        code, _, err = run_cli(["run", override, "hydra.run.dir=bad"], tmp_path)
        assert_one_line_refusal(code, err, override.split("=")[0], "out of range")
    assert not (tmp_path / "bad").exists()


def test_an_experiment_over_a_value_that_crashed_is_refused_before_any_run(tmp_path):
    (tmp_path / "e.yaml").write_text(yaml.safe_dump({
        "name": "trust", "scenarios": ["baseline"], "population": 300, "horizon": 2,
        "uncertainties": {"market.trust_prior_mean_accredited": {"levels": [0.0, 0.5]}}}))
    code, _, err = run_cli(["experiment", "e.yaml"], tmp_path)
    assert_one_line_refusal(code, err, "market.trust_prior_mean_accredited", "out of range")
    assert not (tmp_path / "results").exists()


# --------------------------------------------------------------------------- 5. one writer per folder
def test_a_finished_run_folder_is_kept_unless_overwrite_is_asked(tmp_path):
    code, _, err = run_cli(["run", *SMALL, "seed=1", "hydra.run.dir=out"], tmp_path)
    assert code == 0, err
    first = (tmp_path / "out" / "summary.json").read_bytes()
    code, _, err = run_cli(["run", *SMALL, "seed=2", "hydra.run.dir=out"], tmp_path)
    assert_one_line_refusal(code, err, "already holds a finished run", "overwrite=true")
    assert (tmp_path / "out" / "summary.json").read_bytes() == first
    code, _, err = run_cli(["run", *SMALL, "seed=2", "hydra.run.dir=out", "overwrite=true"], tmp_path)
    assert code == 0, err
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["seed"] == 2


def test_a_second_writer_of_the_same_folder_stops_with_one_line(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from sim.output_folder import claim; "
                               "claim(sys.argv[1], 'summary.json'); print('held', flush=True); time.sleep(60)",
         str(tmp_path / "out")], cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout.readline().strip() == "held"
        code, _, err = run_cli(["run", *SMALL, "hydra.run.dir=out"], tmp_path)
        assert_one_line_refusal(code, err, "being written by another mcsim process")
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".mcsim.lock"]
    finally:
        holder.kill()
        holder.wait()
    code, _, err = run_cli(["run", *SMALL, "hydra.run.dir=out"], tmp_path)  # the lock died with its holder
    assert code == 0, err


# --------------------------------------------------------------------------- 7. typos
def test_a_typo_added_with_plus_names_the_closest_key(tmp_path):
    code, _, err = run_cli(["run", "+policy.subsidy.rat=0.5", *SMALL], tmp_path)
    assert_one_line_refusal(code, err, "policy.subsidy.rat", "did you mean policy.subsidy.rate")
    code, _, err = run_cli(["run", "policy.subsidy.rat=0.5", *SMALL], tmp_path)
    assert_one_line_refusal(code, err, "did you mean policy.subsidy.rate")
    (tmp_path / "typo.yaml").write_text(yaml.safe_dump({"policy": {"subsidy": {"rat": 0.5}}}))
    code, _, err = run_cli(["run", "overrides_file=typo.yaml", *SMALL], tmp_path)
    assert_one_line_refusal(code, err, "policy.subsidy.rate")
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("content", ["", "# nothing but a comment\n", "{}\n"])
def test_an_empty_experiment_file_is_refused(content, tmp_path):
    (tmp_path / "empty.yaml").write_text(content)
    code, _, err = run_cli(["experiment", "empty.yaml"], tmp_path)
    assert_one_line_refusal(code, err, "empty.yaml", "empty")
    assert not (tmp_path / "results").exists()


def test_experiment_keys_are_named_with_the_closest_known_one(tmp_path):
    (tmp_path / "e.yaml").write_text(yaml.safe_dump({"name": "e", "scenarios": ["baseline"],
                                                     "fixed": {"policy.subsidy.rat": 0.5}}))
    code, _, err = run_cli(["experiment", "e.yaml"], tmp_path)
    assert_one_line_refusal(code, err, "did you mean policy.subsidy.rate")
    (tmp_path / "e.yaml").write_text(yaml.safe_dump({"name": "e", "scenario": ["baseline"]}))
    code, _, err = run_cli(["experiment", "e.yaml"], tmp_path)
    assert_one_line_refusal(code, err, "did you mean scenarios")


# --------------------------------------------------------------------------- 8. one line, never a traceback
BINARY = bytes(range(256)) * 4


def test_binary_settings_and_data_files_give_one_line(tmp_path):
    (tmp_path / "bin.yaml").write_bytes(BINARY)
    code, _, err = run_cli(["run", "overrides_file=bin.yaml", *SMALL], tmp_path)
    assert_one_line_refusal(code, err, "bin.yaml", "UTF-8")
    code, _, err = run_cli(["run", f"population.data={tmp_path / 'bin.yaml'}", *SMALL], tmp_path)
    assert_one_line_refusal(code, err, "bin.yaml", "UTF-8")
    code, _, err = run_cli(["experiment", "bin.yaml"], tmp_path)
    assert_one_line_refusal(code, err, "bin.yaml", "UTF-8")
    assert not (tmp_path / "results").exists()


def test_an_output_folder_that_is_a_file_gives_one_line(tmp_path):
    (tmp_path / "taken").write_text("not a folder")
    code, _, err = run_cli(["run", *SMALL, "hydra.run.dir=taken"], tmp_path)
    assert_one_line_refusal(code, err, "taken", "is a file")
    assert (tmp_path / "taken").read_text() == "not a folder"


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_writing_a_run_gives_one_line(tmp_path, monkeypatch):
    import sim.store

    monkeypatch.setattr(sim.store, "atomic_write_bytes", _disk_full)
    code, _, err = run_cli(["run", *SMALL, "hydra.run.dir=out"], tmp_path)
    assert_one_line_refusal(code, err, "No space left on device", "hydra.run.dir")
    assert not (tmp_path / "out" / "summary.json").exists()


def test_a_full_disk_while_writing_an_experiment_keeps_what_finished(tmp_path, monkeypatch):
    import sim.experiment.store

    (tmp_path / "e.yaml").write_text(yaml.safe_dump({"name": "full", "scenarios": ["baseline"], "population": 300,
                                                     "horizon": 2}))
    monkeypatch.setattr(sim.experiment.store, "write_json", _disk_full)  # sidecars: the commit points
    code, _, err = run_cli(["experiment", "e.yaml", "store=st", "progress=false"], tmp_path)
    assert_one_line_refusal(code, err, "No space left on device", "run the same command again")
    monkeypatch.undo()
    code, out, err = run_cli(["experiment", "e.yaml", "store=st", "progress=false"], tmp_path)
    assert code == 0 and "1 of 1 runs finished" in out, err


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    code, _, err = run_cli(["compare", "scenarios=[b40_voucher]", "draws=0", "replicates=2", "population.n_agents=300",
                            "horizon.quarters=2", "executor=serial", "progress=false", "hydra.run.dir=cmp"], folder)
    assert code == 0, err
    return folder / "cmp"


@pytest.mark.parametrize("damage", ["comparison.json", "data/runs.parquet", "comparison.json keys"])
def test_report_on_a_damaged_comparison_gives_one_line(damage, comparison, tmp_path):
    import shutil

    copy = tmp_path / "cmp"
    shutil.copytree(comparison, copy)
    if damage == "comparison.json keys":
        (copy / "comparison.json").write_text("[1, 2]")
    else:
        (copy / damage).write_bytes(b"\x00garbage" * 10)
    code, _, err = run_cli(["report", str(copy)], tmp_path)
    assert_one_line_refusal(code, err, "comparison", "mcsim compare again")


def test_compare_refuses_its_own_finished_folder_without_overwrite(comparison):
    code, _, err = run_cli(["compare", "scenarios=[b40_voucher]", "draws=0", "replicates=2", "population.n_agents=300",
                            "horizon.quarters=2", "executor=serial", "progress=false",
                            f"hydra.run.dir={comparison}"], comparison.parent)
    assert_one_line_refusal(code, err, "already holds a finished comparison")


@pytest.mark.parametrize("damage", ["summary.json", "overrides.yaml"])
def test_collect_on_a_damaged_sweep_gives_one_line(damage, tmp_path):
    job = tmp_path / "sweep" / "0"
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text("- seed=1\n")
    (job / "summary.json").write_text(json.dumps({"scenario": "baseline", "seed": 1, "outcomes": {"uptake_rate": 0.1}}))
    target = job / "summary.json" if damage == "summary.json" else job / ".hydra" / "overrides.yaml"
    target.write_bytes(b'{"scenario": "base' if damage == "summary.json" else BINARY)
    code, _, err = run_cli(["collect", str(tmp_path / "sweep")], tmp_path)
    assert_one_line_refusal(code, err, str(target), "delete")


@pytest.fixture
def small_store(tmp_path):
    spec = {"name": "hard", "scenarios": ["baseline"], "uncertainties": {"behaviour.asc_enrol": {"levels": [-4.4, -4.0]}},
            "population": 300, "horizon": 2, "outcomes": ["uptake_rate"]}
    (tmp_path / "e.yaml").write_text(yaml.safe_dump(spec))
    code, _, err = run_cli(["experiment", "e.yaml", "store=st", "progress=false"], tmp_path)
    assert code == 0, err
    return tmp_path


@pytest.mark.parametrize("damage", ["spec.yaml", "design.parquet"])
def test_a_damaged_store_file_gives_one_line_with_a_hint_that_works(damage, small_store):
    (small_store / "st" / damage).write_bytes(b"\x00\xff" + BINARY)
    code, _, err = run_cli(["experiment", "e.yaml", "store=st", "progress=false"], small_store)
    assert_one_line_refusal(code, err, damage, "delete it")
    (small_store / "st" / damage).unlink()  # the hint: delete it and run again
    code, out, err = run_cli(["experiment", "e.yaml", "store=st", "progress=false"], small_store)
    assert code == 0 and "2 of 2 runs finished" in out, err


def test_a_truncated_submissions_line_is_ignored_and_ended(small_store):
    from sim.experiment import ResultStore

    log = small_store / "st" / "submissions.jsonl"
    log.write_text(log.read_text() + '{"run_id": 1, "exec')
    store = ResultStore(small_store / "st")
    assert store.submissions() == {0: 1, 1: 1}
    store.log_submissions([1], "serial")
    assert store.submissions() == {0: 1, 1: 2}


# --------------------------------------------------------------------------- 9. swapped shards
def test_a_swapped_shard_and_sidecar_pair_is_detected_and_redone(small_store):
    from sim.experiment import ResultStore

    store = ResultStore(small_store / "st")
    before = store.outcomes()
    for suffix in ("parquet", "json"):  # swap both files of run 0 and run 1
        a, b = store.runs / f"run-000000.{suffix}", store.runs / f"run-000001.{suffix}"
        tmp = a.with_suffix(".swap")
        a.rename(tmp), b.rename(a), tmp.rename(b)
    assert store.status([0, 1]) == {0: "corrupt", 1: "corrupt"}
    code, out, err = run_cli(["experiment", "e.yaml", "store=st", "progress=false"], small_store)
    assert code == 0 and "2 of 2 runs finished" in out, err
    assert store.status([0, 1]) == {0: "done", 1: "done"}
    pd.testing.assert_frame_equal(store.outcomes(), before)


# --------------------------------------------------------------------------- 10. file modes
@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o007, 0o660)])
def test_outputs_get_the_users_file_mode(umask, mode, tmp_path):
    old = os.umask(umask)
    try:
        code, _, err = run_cli(["run", *SMALL, "hydra.run.dir=out"], tmp_path)
    finally:
        os.umask(old)
    assert code == 0, err
    for name in ("summary.json", "manifest.json", "config.yaml", "timeseries.parquet"):
        assert stat.S_IMODE((tmp_path / "out" / name).stat().st_mode) == mode, name
