"""Every behavioural and market parameter is visible: listed in configs/uncertainties.yaml
with a range that contains its default and a stated basis."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from sim.config.schema import BehaviourConfig, MarketConfig

TABLE = yaml.safe_load((Path(__file__).resolve().parent.parent / "configs" / "uncertainties.yaml").read_text())


@pytest.mark.parametrize("section,schema", [("behaviour", BehaviourConfig), ("market", MarketConfig)])
def test_every_parameter_has_a_range_containing_its_default_and_a_basis(section, schema):
    defaults = schema()
    for f in fields(schema):
        value = getattr(defaults, f.name)
        if f.name == "providers_per_type":
            continue  # counts of agents, documented with the provider profiles in docs/DATA.md
        entry = TABLE[section].get(f.name)
        assert entry is not None, f"{section}.{f.name} missing from configs/uncertainties.yaml"
        lo, hi = entry["range"]
        assert entry["basis"].strip()
        values = value if entry.get("each") else [value]
        for v in values:
            assert lo <= v <= hi, f"{section}.{f.name}={v} outside its range [{lo}, {hi}]"


def test_calibrated_values_lie_in_their_ranges():
    calibrated = yaml.safe_load((Path(__file__).resolve().parent.parent / "configs" / "behaviour"
                                 / "calibrated.yaml").read_text())
    calibrated = calibrated.get("behaviour", calibrated)
    for name, value in calibrated.items():
        entry = TABLE["behaviour"][name]
        lo, hi = entry["range"]
        for v in (value if isinstance(value, list) else [value]):
            assert lo <= v <= hi, f"calibrated behaviour.{name}={v} outside [{lo}, {hi}]"


def test_accounting_assumptions_of_the_levers_have_a_range_containing_their_default_and_a_basis():
    from omegaconf import OmegaConf

    from sim.config.schema import PolicyConfig

    defaults = OmegaConf.structured(PolicyConfig)
    assert TABLE["policy"], "configs/uncertainties.yaml lists no policy assumptions"
    for key, entry in TABLE["policy"].items():
        lo, hi = entry["range"]
        assert "assumption" in entry["basis"]
        assert lo <= OmegaConf.select(defaults, key) <= hi, key
