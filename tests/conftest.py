"""Shared fixtures: small, fast configurations of the real model."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from sim.config.compose import compose

settings.register_profile("ci", max_examples=15, deadline=None, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def small_config(*overrides: str, n_agents: int = 3000, quarters: int = 12):
    """A composed run config at a test-friendly size (no progress bar)."""
    return compose("run", [f"population.n_agents={n_agents}", f"horizon.quarters={quarters}",
                           "progress=false", *overrides])


@pytest.fixture
def small():
    return small_config


def run_cli(args: list[str], cwd) -> tuple[int, str, str]:
    """``mcsim ARGS`` in this process, in folder ``cwd``: (exit code, stdout, stderr)."""
    import contextlib
    import io
    import sys

    from sim.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_cwd, old_argv = os.getcwd(), list(sys.argv)
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os.chdir(old_cwd)
        sys.argv = old_argv
    return code, out.getvalue(), err.getvalue()
