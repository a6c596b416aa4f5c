"""Run configurations of an experiment: one composed base per scenario (composing with Hydra
once per scenario, not once per run); each design row's values and seed are then set on a
copy with ``sim.config.with_values``."""

from __future__ import annotations

from omegaconf import DictConfig


def base_configs(spec) -> dict[str, DictConfig]:
    """The composed run configuration of each scenario, with the experiment's population,
    horizon and fixed values applied and the progress bar off."""
    from sim.config.compose import compose, with_values

    return {scenario: with_values(compose("run", [f"scenario={scenario}"]),
                                  {"population.n_agents": spec.population, "horizon.quarters": spec.horizon,
                                   "progress": False, **spec.fixed})
            for scenario in spec.scenarios}
