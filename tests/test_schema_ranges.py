"""Each setting's allowed range is declared beside its default in the schema and read from
there by validation, the explorer and experiment files: every number has one, both ends are
accepted, just outside is refused with the one-line message, and the consumers' bounds and
lever names agree with the schema."""

from __future__ import annotations

import math
from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Optional, Union, get_args, get_origin

import pytest
import yaml
from omegaconf import OmegaConf

from sim.config import ConfigError, validate_config
from sim.config.schema import (GROUP_KEYS, INF, LEVERS, PUBLIC_LEVERS, RANGES, PolicyConfig, RunConfig,
                               allowed_range, default_config, settings)

ROOT = Path(__file__).resolve().parent.parent


def _numeric(kind) -> bool:
    if get_origin(kind) is Union:  # Optional[float]
        kind = next(k for k in get_args(kind) if k is not type(None))
    return kind in (int, float)


NUMBERS = [(key, f) for key, f, kind in settings() if _numeric(kind)]


def test_every_number_of_the_schema_declares_its_range_beside_its_default():
    """A new lever's amount cannot skip its range: ``ranged(default, low, high)`` or, for the
    lever windows' quarters, a relation checked in sim/config/validate.py."""
    missing = [key for key, f in NUMBERS if "range" not in f.metadata and "relation" not in f.metadata]
    assert not missing, f"give these settings ranged(default, low, high) in sim/config/schema.py: {missing}"
    relations = {key for key, f in NUMBERS if "relation" in f.metadata}
    assert relations == {f"policy.{lever}.{end}" for lever in LEVERS for end in ("start_quarter", "end_quarter")}
    assert set(RANGES) == {key for key, f in NUMBERS if "range" in f.metadata}


def test_ranges_are_well_formed_and_hold_their_defaults_and_caps():
    defaults = default_config()
    for key, (lo, hi) in RANGES.items():
        assert lo < hi and math.isfinite(lo), key
        default = OmegaConf.select(defaults, key)
        assert default is None or lo <= default <= hi, f"{key}: default {default} outside [{lo}, {hi}]"
    caps = [(key, name, value) for key, f, _ in settings() for name, value in f.metadata.items()
            if name not in ("range", "groups", "relation", "public")]
    assert caps == [("population.n_agents", "explorer", (100, 1_000_000))]
    for key, name, (lo, hi) in caps:
        low, high = allowed_range(key)
        assert low <= lo < hi <= high and allowed_range(key, cap=name) == (lo, hi)


def test_allowed_range_reads_the_schema():
    assert allowed_range("behaviour.asc_enrol") == (-100, 100)
    assert allowed_range("population.n_agents") == (2, 40_000_000)
    assert allowed_range("policy.subsidy.cap_rm") == (0, INF)
    assert allowed_range("behaviour.asc_enrol", cap="explorer") == (-100, 100)  # no cap: the range
    for key in ("scenario.name", "policy.subsidy.targeting", "policy.subsidy.enabled", "policy.subsidy.start_quarter",
                "behaviour.taste_by_education", "policy.subsidy", "no.such.key"):
        assert allowed_range(key) is None, key


@lru_cache(maxsize=1)
def _base():
    return default_config()


def _validate_with(key, value):
    cfg = _base().copy()
    OmegaConf.update(cfg, key, value, merge=False)
    validate_config(cfg)


def _typed(key, value):
    return int(value) if type(OmegaConf.select(_base(), key)) is int else float(value)


def _expected(lo, hi) -> str:
    return f"a number >= {lo:g}" if hi == INF else f"a number from {lo:g} to {hi:g}"


RANGE_KEYS = list(RANGES)


@pytest.mark.parametrize("key", RANGE_KEYS)
def test_both_ends_are_accepted_and_just_outside_is_refused_in_one_line(key):
    lo, hi = RANGES[key]
    integer = type(OmegaConf.select(_base(), key)) is int
    step = 1 if integer else max(abs(lo), abs(hi) if hi != INF else 0, 1) * 1e-6
    _validate_with(key, _typed(key, lo))
    _validate_with(key, _typed(key, hi if hi != INF else 1e12))
    outside = [lo - step] + ([hi + step] if hi != INF else [])
    for value in (_typed(key, v) for v in outside):
        with pytest.raises(ConfigError) as err:
            _validate_with(key, value)
        assert str(err.value) == f"{key}={value!r} is out of range: expected {_expected(lo, hi)}"
    if not integer:
        with pytest.raises(ConfigError) as err:
            _validate_with(key, math.nan)
        assert str(err.value) == f"{key}=nan is not allowed: expected {_expected(lo, hi)}"


def test_messages_read_as_before():
    """Literal messages, as the tests and users have always seen them."""
    cases = [("population.n_agents", 1, "population.n_agents=1 is out of range: expected a number from 2 to 4e+07"),
             ("market.accreditation_cost_rm", -1.0,
              "market.accreditation_cost_rm=-1.0 is out of range: expected a number >= 0"),
             ("behaviour.asc_enrol", 101.0, "behaviour.asc_enrol=101.0 is out of range: expected a number from -100 "
                                            "to 100"),
             ("policy.subsidy.start_quarter", -1, "policy.subsidy.start_quarter=-1 is out of range: expected >= 0"),
             ("policy.awareness.targeting", ["B40", "martians"],
              "policy.awareness.targeting has unknown group 'martians': allowed groups are ")]
    for key, value, message in cases:
        with pytest.raises(ConfigError) as err:
            _validate_with(key, value)
        assert str(err.value).startswith(message), str(err.value)


def test_lists_of_groups_are_marked_in_the_schema():
    assert GROUP_KEYS == ("policy.subsidy.targeting", "policy.connectivity.rollout_targeting",
                          "policy.connectivity.device_targeting", "policy.connectivity.skills_targeting",
                          "policy.awareness.targeting")
    for key in GROUP_KEYS:
        with pytest.raises(ConfigError, match=f"^{key} has unknown group 'nowhere'"):
            _validate_with(key, ["nowhere"])


def test_lever_names_come_from_the_policy_schema():
    from sim.model.policy import LEVER_NAMES, POTS

    assert LEVERS == tuple(f.name for f in fields(PolicyConfig)) == tuple(RunConfig().policy.__dict__)
    assert LEVER_NAMES == PUBLIC_LEVERS == ("subsidy", "connectivity", "recognition", "awareness", "readiness",
                                           "study_leave")
    assert set(LEVER_NAMES) == {lever for lever, _ in POTS.values()}  # a lever with public money has a budget pot


def test_the_explorer_offers_sizes_and_sliders_within_the_schemas_bounds():
    from sim.explorer import levers

    lo, hi = levers.AGENTS
    assert (lo, hi) == allowed_range("population.n_agents", cap="explorer")
    assert all(lo <= n <= hi for n in (*levers.POPULATION_SIZES, levers.DEFAULT_AGENTS))
    assert set(levers.SLIDERS) == set(levers.SLIDER_KEYS) <= set(levers.Levers.__dataclass_fields__)
    for name, (low, high, step) in levers.SLIDERS.items():
        allowed_lo, allowed_hi = levers.allowed(name)
        assert allowed_lo <= low < high <= allowed_hi and 0 < step <= high - low, name
        assert allowed_lo <= getattr(levers.Levers(), name) <= allowed_hi, name


def test_mcsim_explore_takes_the_explorers_cap_from_the_schema(capsys):
    from sim.commands.explore import parse

    lo, hi = allowed_range("population.n_agents", cap="explorer")
    assert parse([f"population={lo}"])["population"] == str(lo) and parse([f"population={hi}"])["population"] == str(hi)
    for bad in (lo - 1, hi + 1):
        with pytest.raises(SystemExit):
            parse([f"population={bad}"])
        assert f"expected an integer from {lo} to {hi}" in capsys.readouterr().err


def test_uncertainty_ranges_lie_within_the_allowed_ranges():
    table = yaml.safe_load((ROOT / "configs" / "uncertainties.yaml").read_text())
    for section, entries in table.items():
        for name, entry in entries.items():
            allowed = allowed_range(f"{section}.{name}")
            if allowed is None:
                continue  # lists (taste_by_education: each value), checked in tests/test_uncertainties.py
            low, high = entry["range"]
            assert allowed[0] <= low < high <= allowed[1], f"{section}.{name}: {entry['range']} outside {allowed}"


def test_an_experiment_range_outside_the_allowed_range_is_refused():
    from sim.experiment.spec import ExperimentError, parse_experiment

    data = {"name": "wide", "scenarios": ["baseline"], "uncertainties": {"behaviour.asc_enrol": {"range": [-200, -3]}}}
    with pytest.raises(ExperimentError) as err:
        parse_experiment(data, "wide")
    assert str(err.value) == "uncertainties.behaviour.asc_enrol range=[-200, -3] is outside the allowed -100 to 100"
    data["population"] = allowed_range("population.n_agents")[1] + 1
    data["uncertainties"] = {"behaviour.asc_enrol": {"range": [-9, -3]}}
    with pytest.raises(ExperimentError, match="^population=40000001 is not allowed: expected an integer from 2 to "
                                              "40000000$"):
        parse_experiment(data, "wide")
