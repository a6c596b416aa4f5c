"""Outcome columns of an experiment: the run's ``outcomes`` dict flattened to dotted names
(``uptake_by_income.B40``), so one run is one table row."""

from __future__ import annotations

from functools import lru_cache

from sim.model.outcomes import flatten_outcomes as flatten  # noqa: F401 (re-exported)




@lru_cache(maxsize=1)
def outcome_names() -> tuple[str, ...]:
    """Every flattened outcome name, read off a tiny run (200 agents, one quarter)."""
    from sim.config.compose import compose
    from sim.run import run_scenario

    cfg = compose("run", ["population.n_agents=200", "horizon.quarters=1", "progress=false"])
    return tuple(flatten(run_scenario(cfg, keep_learners=False).outcomes))
