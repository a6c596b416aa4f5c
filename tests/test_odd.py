"""docs/ODD.md describes the code: its parameter table is exactly what the schema, the
calibrated values and configs/uncertainties.yaml give, so a default cannot drift from its
description (the ODD once said trust priors 0.6/0.4/10 while the schema said 0.5/0.4/20)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from sim.config.parameter_table import BEGIN, END, render_parameter_table, with_parameter_table
from sim.config.schema import BehaviourConfig, MarketConfig

ODD = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"


def test_odd_parameter_table_matches_the_schema_and_calibration():
    document = ODD.read_text()
    assert with_parameter_table(document, render_parameter_table()) == document, (
        "docs/ODD.md's parameter table is out of date: run `mcsim docs`")


def test_table_lists_every_parameter_with_its_default():
    table = render_parameter_table()
    for section, schema in (("behaviour", BehaviourConfig), ("market", MarketConfig)):
        defaults = schema()
        for f in fields(schema):
            row = next(line for line in table.splitlines() if line.startswith(f"| `{section}.{f.name}` |"))
            value = getattr(defaults, f.name)
            shown = row.split("|")[2].strip()
            if isinstance(value, float):
                assert float(shown) == float(f"{value:.4g}")
            elif not isinstance(value, list):
                assert shown == str(value)


def test_a_changed_default_is_caught(monkeypatch):
    """The check can fail: a different default gives a different table."""
    document = ODD.read_text()
    monkeypatch.setattr(MarketConfig, "__init__", _with_default(MarketConfig.__init__, "trust_forgetting", 0.5))
    assert with_parameter_table(document, render_parameter_table()) != document
    assert BEGIN in document and END in document


def _with_default(init, name, value):
    def patched(self, *args, **kwargs):
        kwargs.setdefault(name, value)
        init(self, *args, **kwargs)
    return patched


def test_odd_quotes_the_status_quo_rollout_rates_in_the_code():
    """The rollout rates are data constants in sim/model/processes/access.py, quoted in the ODD."""
    from sim.model.domain import MOBILE_ONLY, NO_CONNECTION
    from sim.model.processes.access import UPGRADE_RATE

    text = " ".join(ODD.read_text().split())
    none_urban, none_rural = UPGRADE_RATE[NO_CONNECTION]
    assert none_urban == none_rural  # the ODD states one rate for both
    assert f"none -> mobile at {none_urban:g} a quarter" in text
    urban, rural = UPGRADE_RATE[MOBILE_ONLY]
    assert f"mobile -> fixed at {urban:g} urban / {rural:g} rural" in text
