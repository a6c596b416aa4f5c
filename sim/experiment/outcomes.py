"""Outcome columns of an experiment: the run's ``outcomes`` dict flattened to dotted names
(``uptake_by_income.B40``), so one run is one table row."""

from __future__ import annotations

from functools import lru_cache


def flatten(outcomes: dict, prefix: str = "") -> dict[str, float]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1.0}``; None becomes NaN so columns stay numeric."""
    flat: dict[str, float] = {}
    for key, value in outcomes.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = float("nan") if value is None else float(value)
    return flat


@lru_cache(maxsize=1)
def outcome_names() -> tuple[str, ...]:
    """Every flattened outcome name, read off a tiny run (200 agents, one quarter)."""
    from sim.cli import compose
    from sim.run import run_scenario

    cfg = compose("run", ["population.n_agents=200", "horizon.quarters=1", "progress=false"])
    return tuple(flatten(run_scenario(cfg, keep_learners=False).outcomes))
