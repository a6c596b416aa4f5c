"""mcsim as an EMA Workbench model (sim.experiment.ema): its uncertainties, levers and outcomes
come from mcsim's own files, and EMA's experiments give the numbers `mcsim run` gives for the
same values and seed."""

from __future__ import annotations

import json
import math
import pickle
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from sim.experiment import ema as mema

ROOT = Path(__file__).resolve().parent.parent
SIZE = {"population": 2000, "horizon": 6}          # small and short: each run takes ~0.1 s


@pytest.fixture(scope="module")
def full_model():
    return mema.ema_model(**SIZE, outcomes=["uptake_rate"])


def _schema_default(key: str):
    from omegaconf import OmegaConf

    from sim.config.schema import default_config

    return OmegaConf.select(default_config(), key)


def test_uncertainties_are_the_files_ranges(full_model):
    import ema_workbench as ema

    table = yaml.safe_load((ROOT / "configs" / "uncertainties.yaml").read_text())
    priors = yaml.safe_load((ROOT / "configs" / "calibration" / "targets.yaml").read_text())["parameters"]
    expected = {f"{section}.{name}": tuple(entry["range"]) for section, entries in table.items()
                for name, entry in entries.items() if not entry.get("each")}
    expected["behaviour.education_gradient"] = tuple(priors["behaviour.education_gradient"])   # taste_by_education
    got = {u.variable_name[0]: u for u in full_model.uncertainties}
    assert set(got) == set(expected) and "behaviour.taste_by_education" not in got
    for key, (low, high) in expected.items():
        u = got[key]
        assert (u.lower_bound, u.upper_bound) == (low, high), key
        assert u.name == key.replace(".", "_")
        integer = isinstance(_schema_default(key), int) if key != "behaviour.education_gradient" else False
        assert isinstance(u, ema.IntegerParameter) == integer, key
    assert isinstance(got["behaviour.offers_sampled"], ema.IntegerParameter)
    assert isinstance(got["behaviour.benefit_horizon_years"], ema.RealParameter)   # a float of years in the schema


def test_levers_are_the_schemas_policy_settings_and_ranges(full_model):
    import ema_workbench as ema

    from sim.config.compose import CONFIG_DIR, policy_scenarios
    from sim.config.schema import LEVERS, PolicyConfig, allowed_range

    got = {p.variable_name[0]: p for p in full_model.levers}
    assert {k.split(".")[1] for k in got} == set(f.name for f in fields(PolicyConfig)) == set(LEVERS)
    assert "policy.connectivity.learning_share_of_cost" not in got     # an uncertainty of the file
    assert not any(k.endswith(("targeting", "end_quarter")) for k in got)
    scenario_files = [yaml.safe_load((CONFIG_DIR / "scenario" / f"{n}.yaml").read_text()) for n in policy_scenarios()]
    for key, p in got.items():
        if isinstance(_schema_default(key), bool):
            assert isinstance(p, ema.BooleanParameter), key
        elif key.endswith("start_quarter"):
            assert (p.lower_bound, p.upper_bound) == (0, SIZE["horizon"] - 1)
        else:
            low, high = allowed_range(key)
            if math.isinf(high):   # unbounded in the schema: up to the largest value in use
                used = [_dig(f, key) for f in scenario_files] + [_schema_default(key)]
                high = max(v for v in used if v is not None)
            assert (p.lower_bound, p.upper_bound) == (low, high), key
            assert isinstance(p, ema.IntegerParameter) == isinstance(_schema_default(key), int), key
    assert (got["policy.subsidy.rate"].lower_bound, got["policy.subsidy.rate"].upper_bound) == (0, 1)
    assert got["policy.subsidy.annual_budget_rm"].upper_bound == 200e6        # b40_voucher's budget
    assert len(full_model.outcomes) == 1


def _dig(data: dict, key: str):
    for part in key.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _direct(scenario: str, seed: int, values: dict) -> dict:
    """The outcomes `mcsim run` computes: Hydra overrides on configs/run.yaml, then one run."""
    from sim.config.compose import compose
    from sim.experiment.configs import expand
    from sim.model.outcomes import flatten_outcomes
    from sim.run import run_scenario

    overrides = [f"{k}=[{','.join(map(repr, v))}]" if isinstance(v, list) else f"{k}={v!r}"
                 for k, v in expand(values).items()]
    cfg = compose("run", [f"scenario={scenario}", f"seed={seed}", f"population.n_agents={SIZE['population']}",
                          f"horizon.quarters={SIZE['horizon']}", "progress=false", *overrides])
    return flatten_outcomes(run_scenario(cfg, keep_learners=False).outcomes)


OUTCOMES = ["uptake_rate", "uptake_by_income.B40", "completion_rate", "public_spend_rm",
            "public_spend_by_lever_rm.subsidy"]


def test_perform_experiments_equals_direct_runs_with_the_same_values_and_seed(tmp_path):
    from ema_workbench import SequentialEvaluator, perform_experiments

    from tests.conftest import run_cli

    model = mema.ema_model("b40_voucher", **SIZE, seed=3, outcomes=OUTCOMES,
                           uncertainties=["behaviour.asc_enrol", "behaviour.offers_sampled",
                                          "behaviour.education_gradient", "market.seat_adjustment"],
                           levers=["policy.subsidy.rate", "policy.subsidy.cap_rm"])
    keys = mema.ema_keys(model)
    experiments, outcomes = perform_experiments(model, scenarios=2, policies=2, evaluator=SequentialEvaluator(model),
                                                uncertainty_sampling_kwargs={"rng": 1}, lever_sampling_kwargs={"rng": 2})
    assert len(experiments) == 4 and set(outcomes) == {mema.ema_name(k) for k in OUTCOMES}
    inputs = [u.name for u in model.uncertainties] + [p.name for p in model.levers]
    for i, row in experiments.iterrows():
        values = {keys[n]: row[n].item() if hasattr(row[n], "item") else row[n] for n in inputs}
        direct = _direct("b40_voucher", 3, values)
        for key in OUTCOMES:
            assert outcomes[mema.ema_name(key)][i] == direct[key], (i, key)
    # the experiments differ, so equality above is not of four identical runs
    assert len(set(outcomes["uptake_rate"])) == 4 and len(set(outcomes["public_spend_rm"])) == 4
    assert all(v % 1 == 0 for v in experiments["behaviour_offers_sampled"])
    # and one through the real command line: `mcsim run` writes the same numbers to summary.json
    row = experiments.iloc[0]
    values = {keys[n]: (row[n].item() if hasattr(row[n], "item") else row[n]) for n in inputs}
    args = [f"{k}=[{','.join(map(repr, v))}]" if isinstance(v, list) else f"{k}={v!r}"
            for k, v in __import__("sim.experiment.configs", fromlist=["expand"]).expand(values).items()]
    code, _, err = run_cli(["run", "scenario=b40_voucher", "seed=3", f"population.n_agents={SIZE['population']}",
                            f"horizon.quarters={SIZE['horizon']}", f"hydra.run.dir={tmp_path / 'run'}", *args], tmp_path)
    assert code == 0, err
    from sim.model.outcomes import flatten_outcomes

    summary = flatten_outcomes(json.loads((tmp_path / "run" / "summary.json").read_text())["outcomes"])
    for key in OUTCOMES:
        assert summary[key] == outcomes[mema.ema_name(key)][0], key


def test_the_model_function_pickles_for_emas_process_evaluator():
    model = mema.ema_model(**SIZE, outcomes={"uptake_rate": "maximize", "public_spend_rm": "minimize"},
                           uncertainties={"behaviour.asc_enrol": (-6.0, -4.0)}, levers=[])
    assert [o.kind for o in model.outcomes] == [1, -1] and len(model.levers) == 0
    assert (model.uncertainties[0].lower_bound, model.uncertainties[0].upper_bound) == (-6.0, -4.0)
    import pandas as pd

    again = pickle.loads(pickle.dumps(model.function))
    a, b = (pd.Series(f(**{"behaviour.asc_enrol": -5.0})) for f in (again, model.function))
    assert a.equals(b) and a["uptake_rate"] > 0     # equal, NaN (a ratio over no one) where NaN


@pytest.mark.parametrize("kwargs,message", [
    ({"outcomes": ["uptake"]}, "outcome 'uptake' is not a summary key"),
    ({"outcomes": {"uptake_rate": "best"}}, "kind 'best' is not allowed"),
    ({"levers": ["policy.subsidy.speed"]}, "'policy.subsidy.speed' is not a lever"),
    ({"levers": ["policy.subsidy.targeting"]}, "lever 'policy.subsidy.targeting' has no range"),
    ({"levers": {"policy.subsidy.rate": (0, 2)}}, "policy.subsidy.rate=2"),
    ({"levers": {"policy.subsidy.rate": (0.5, 0.5)}}, "expected (low, high) with low < high"),
    ({"uncertainties": ["behaviour.asc_enrol"], "levers": {"behaviour.asc_enrol": (-5, -4)}}, "is not a lever"),
    ({"uncertainties": ["policy.subsidy.rate"]}, "is not an uncertainty"),
    ({"scenario": "nowhere"}, "scenario=nowhere is not a known scenario"),
    ({"scenario": "b40_voucher", "levers": {"policy.subsidy.cap_rm": (0, 1500)}},
     "scenario b40_voucher: policy.subsidy.cap_rm=0 with rate=0.9: a subsidy needs a per-learner cap > 0 RM"),
    ({"population": 1}, "population.n_agents"),
])
def test_bad_input_fails_before_any_run_with_one_line(kwargs, message):
    with pytest.raises(ValueError) as err:
        mema.ema_model(**{**SIZE, "outcomes": ["uptake_rate"], **kwargs})
    assert message in str(err.value) and "\n" not in str(err.value)


def test_mcsim_imports_without_ema_and_says_how_to_install_it(tmp_path):
    """A blocked ema_workbench import: mcsim still imports and runs; the EMA model and
    `mcsim discover` fail with one line naming the extra."""
    code = (
        "import sys; sys.modules['ema_workbench'] = None\n"
        "import sim.cli, sim.experiment.ema, sim.analysis.discovery\n"
        "from sim.experiment.ema import EmaUnavailable, ema_model\n"
        "try:\n    ema_model(population=2000, horizon=2)\nexcept EmaUnavailable as exc:\n    print('MODEL:', exc)\n"
        "import pandas as pd\n"
        f"pd.DataFrame({{'a': [0.1, 0.9], 'y': [0.0, 1.0]}}).to_parquet({str(tmp_path / 'r.parquet')!r})\n"
        f"sim.cli.main(['discover', {str(tmp_path / 'r.parquet')!r}, 'y>=1', '--inputs', 'a'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2, result.stderr
    assert 'MODEL: the EMA Workbench (ema-workbench) is not installed: run pip install -e ".[ema]"' in result.stdout
    assert result.stderr.strip().count("\n") == 0 and 'pip install -e ".[ema]"' in result.stderr


def _guide_snippet() -> str:
    text = (ROOT / "docs" / "RESEARCHER_GUIDE.md").read_text()
    section = text[text.index("Using mcsim from the EMA Workbench"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.filterwarnings("ignore::DeprecationWarning:ema_workbench.analysis.prim")  # EMA 3.0 on pandas 3.1
def test_the_researcher_guides_snippet_runs():
    """The snippet in docs/RESEARCHER_GUIDE.md, as printed there."""
    namespace: dict = {}
    exec(compile(_guide_snippet(), "RESEARCHER_GUIDE.md", "exec"), namespace)
    experiments, outcomes = namespace["experiments"], namespace["outcomes"]
    assert len(experiments) == 8 and len(outcomes["uptake_by_income_B40"]) == 8
    assert experiments["policy_subsidy_rate"].between(0, 1).all()
    assert namespace["box"].coverage > 0                     # EMA's PRIM ran on the results
