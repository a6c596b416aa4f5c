"""The model: learners, providers and employers on a synthetic Malaysia, the levers that act
on them and the rules they follow.

``core.MicroCredentialModel`` (learners as arrays) is what every command runs;
``sim.reference.ReferenceModel`` is the idiomatic one-agent-per-learner twin it is docked
against. Both build on ``base.MarketModel``; processes read and update ``model.state``
(``state.MarketState``) and read levers only through ``model.policy``. This package imports
no analysis, report, explorer or command module (tests/test_layering.py).
"""

from __future__ import annotations

__all__ = ["MicroCredentialModel", "build_population", "population_data"]


def __getattr__(name: str):
    # Lazy, so ``import sim.model.targeting`` (e.g. by config validation) does not load Mesa.
    if name in __all__:
        from sim.model import core

        return getattr(core, name)
    raise AttributeError(f"module 'sim.model' has no attribute {name!r}")
