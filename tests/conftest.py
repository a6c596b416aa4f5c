"""Shared fixtures: small, fast configurations of the real model."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from sim.cli import compose

settings.register_profile("ci", max_examples=15, deadline=None, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def small_config(*overrides: str, n_agents: int = 3000, quarters: int = 12):
    """A composed run config at a test-friendly size (no progress bar)."""
    return compose("run", [f"population.n_agents={n_agents}", f"horizon.quarters={quarters}",
                           "progress=false", *overrides])


@pytest.fixture
def small():
    return small_config
