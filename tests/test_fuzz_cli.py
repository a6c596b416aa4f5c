"""Fuzz the command line in-process with random settings files, experiment files and
overrides, hostile keys included. Whatever comes in, ``mcsim`` ends in one of two ways:
exit 0 with a complete output folder inside ``results/``, or exit 2 with one line and
nothing written. Never a traceback, never a file outside the results folder."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omegaconf import OmegaConf

from sim.config.keys import leaf_keys, schema
from sim.config.validate import RANGES
from tests.conftest import run_cli

SIZE = ["population.n_agents=200", "horizon.quarters=2", "progress=false"]  # keeps a valid run fast
HOSTILE_KEYS = ["hydra.run.dir", "hydra.callbacks.w._target_", "_target_", "policy._target_", "+seed", "~seed",
                "seed=3", "policy.subsidy.rat", "scenario.nam", "a b", "population"]
RUN_FILES = ("summary.json", "manifest.json", "config.yaml", "timeseries.parquet")
FUZZ = settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
SETTING_KEYS = [k for k in leaf_keys("run") if k not in ("population.n_agents", "horizon.quarters", "progress",
                                                         "population.data")]


def range_value(key: str):
    lo, hi = RANGES[key]
    ends = [lo, hi if hi != float("inf") else 1e9, (lo + min(hi, 1e6)) / 2]
    integer = type(OmegaConf.select(schema("run"), key)) is int
    return st.sampled_from([int(v) for v in ends] if integer else ends)


values = st.one_of(st.none(), st.booleans(), st.integers(-3, 300), st.floats(allow_nan=True, allow_infinity=True),
                   st.text(max_size=10), st.sampled_from(["../../escaped", "/abs/path", "${oc.env:HOME}", "B40"]),
                   st.lists(st.sampled_from(["B40", "M40", "rural", "x"]), max_size=3))


@st.composite
def setting(draw):
    key = draw(st.sampled_from(SETTING_KEYS + HOSTILE_KEYS) if draw(st.integers(0, 4)) == 0
               else st.sampled_from(SETTING_KEYS))
    value = draw(range_value(key) if key in RANGES and draw(st.booleans()) else values)
    return key, value


@st.composite
def valid_setting(draw):
    key = draw(st.sampled_from([k for k in RANGES if k not in ("population.n_agents", "horizon.quarters")]))
    return key, draw(range_value(key))


# Half the examples are settings the schema allows (they must run), half anything at all.
pair_lists = st.one_of(st.lists(valid_setting(), max_size=3), st.lists(setting(), max_size=5))


def nest(pairs) -> dict:
    out: dict = {}
    for key, value in pairs:
        node, parts = out, key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {}) if isinstance(node.get(part, {}), dict) else {}
        node[parts[-1]] = value
    return out


def files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def check(code: int, err: str, root: Path, before: set[Path], finished: str) -> None:
    assert "Traceback" not in err, err
    new = files(root) - before
    assert all((root / "results") in p.parents for p in new), f"written outside results/: {new}"
    if code == 0:
        assert any(p.name == finished for p in new), err
    else:
        lines = [line for line in err.strip().splitlines() if line.strip()]
        assert code == 2 and len(lines) == 1, (code, err)
        assert not new, f"exit {code} but wrote {new}"


def run_settings_file(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "settings.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        before = files(root)
        code, _, err = run_cli(["run", f"overrides_file={path.name}", *SIZE], root)
        check(code, err, root, before, "summary.json")
        if code == 0:
            folder = next(p.parent for p in files(root) if p.name == "summary.json")
            assert all((folder / name).is_file() for name in RUN_FILES)


@settings(FUZZ, max_examples=5)
@given(pairs=st.lists(valid_setting(), min_size=1, max_size=3))
def test_random_valid_settings_files(pairs):
    run_settings_file("# @package _global_\n" + yaml.safe_dump(nest(pairs)))


@FUZZ
@given(pairs=st.lists(setting(), max_size=5), garbage=st.sampled_from(["", "alias", "binary", "list"]))
def test_random_settings_files(pairs, garbage):
    text = yaml.safe_dump(nest(pairs), allow_unicode=True)
    prefix = {"alias": "x: &x [1]\ny: *x\n", "list": "- seed: 1\n"}.get(garbage, "")
    run_settings_file(text.encode() + b"\xff\xfe\x00" if garbage == "binary" else prefix + text)


@FUZZ
@given(pairs=pair_lists, plus=st.booleans())
def test_random_command_line_overrides(pairs, plus):
    pairs = [(k, v) for k, v in pairs if k != "hydra.run.dir"]  # typed by hand it may name any folder
    overrides = [f"{'+' if plus and i == 0 else ''}{k}={yaml.safe_dump(v, default_flow_style=True).strip()}"
                 .replace("\n...", "") for i, (k, v) in enumerate(pairs)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        code, _, err = run_cli(["run", *overrides, *SIZE], root)
        check(code, err, root, set(), "summary.json")


PARAMETER_KEYS = ["policy.subsidy.rate", "behaviour.asc_enrol", "market.trust_prior_mean_accredited",
                  "population.n_agents", "horizon.quarters", "policy.subsidy.rat", "_target_", "hydra.run.dir"]


@st.composite
def experiment(draw):
    spec = {}
    if draw(st.booleans()):
        spec["name"] = draw(st.sampled_from(["fuzz", "../../x", "/abs", "ok-name.v1", ""]))
    spec["scenarios"] = draw(st.sampled_from([["baseline"], ["b40_voucher"], [], ["moonshot"], "baseline"]))
    section = draw(st.sampled_from(["levers", "uncertainties", "fixed", "levrs"]))
    key = draw(st.sampled_from(PARAMETER_KEYS))
    spec[section] = {key: draw(st.one_of(
        st.builds(lambda lo, hi: {"levels": [lo, hi]}, st.floats(-1, 2), st.floats(-1, 2)),
        st.builds(lambda lo, hi: {"range": [lo, hi], "steps": 2}, st.floats(-1, 2), st.floats(-1, 2)),
        values))}
    spec["sampler"] = draw(st.sampled_from(["full_factorial", "lhs", "sobol", "bogus"]))
    if spec["sampler"] != "full_factorial":
        spec["samples"] = draw(st.sampled_from([2, 3, 4]))
    if draw(st.booleans()):
        spec[draw(st.sampled_from(["population", "horizon", "replicates", "seed"]))] = draw(values)
    return spec


@FUZZ
@given(spec=experiment())
def test_random_experiment_files(spec):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "exp.yaml").write_text(yaml.safe_dump(spec))
        before = files(root)
        code, _, err = run_cli(["experiment", "exp.yaml", "population=200", "horizon=2", "replicates=1",
                                "progress=false"], root)
        check(code, err, root, before, "results.parquet")
