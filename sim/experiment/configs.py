"""Run configurations of many runs: one composed base per scenario (composing with Hydra once
per scenario, not once per run); each run's values and seed are then set on a copy with
``sim.config.with_values`` (on the worker, see ``sim.experiment.worker``).

A swept value is a dotted configuration key (``behaviour.asc_enrol``) or one of the
``DERIVED`` keys below, which set several configuration values from one number (so a
sampler or a calibration can vary, say, the whole education gradient of taste as one
uncertainty).
"""

from __future__ import annotations

from typing import Callable, Iterable

from omegaconf import DictConfig

# Shape of the education gradient of taste (primary, spm, diploma, degree), per unit of
# the gradient; 0.6 reproduces the schema default [-0.6, -0.3, 0.0, 0.2].
EDUCATION_GRADIENT_SHAPE = (-1.0, -0.5, 0.0, 1.0 / 3.0)


def _education_gradient(value: float) -> dict[str, object]:
    return {"behaviour.taste_by_education": [round(value * s, 6) for s in EDUCATION_GRADIENT_SHAPE]}


DERIVED: dict[str, Callable[[float], dict[str, object]]] = {
    "behaviour.education_gradient": _education_gradient,
}


def expand(params: dict[str, object]) -> dict[str, object]:
    """Parameter values -> configuration values (DERIVED keys expanded)."""
    out: dict[str, object] = {}
    for key, value in params.items():
        if key in DERIVED:
            out.update(DERIVED[key](float(value)))
        else:
            out[key] = value
    return out


def base_config(overrides: Iterable[str] = (), values: dict | None = None) -> DictConfig:
    """``configs/run.yaml`` composed with Hydra ``overrides``, then ``values`` set, the
    progress bar off, validated (ConfigError, one line)."""
    from sim.config import validate_config
    from sim.config.compose import compose, with_values

    cfg = with_values(compose("run", list(overrides)), {**(values or {}), "progress": False})
    validate_config(cfg)
    return cfg


def base_configs(spec) -> dict[str, DictConfig]:
    """The composed run configuration of each scenario of an experiment, with its population,
    horizon and fixed values applied and the progress bar off."""
    from sim.config.compose import compose, with_values

    return {scenario: with_values(compose("run", [f"scenario={scenario}"]),
                                  {"population.n_agents": spec.population, "horizon.quarters": spec.horizon,
                                   "progress": False, **spec.fixed})
            for scenario in spec.scenarios}


def check_bounds(bounds: dict[str, tuple[float, float]], base: DictConfig) -> None:
    """Raise ConfigError (one line) when a parameter's range leaves the allowed range of
    configuration ``base``."""
    from sim.config import ConfigError, validate_config
    from sim.config.compose import with_values

    for key, (low, high) in bounds.items():
        if not low < high:
            raise ConfigError(f"{key}: lower bound {low} must be below upper bound {high}")
        for value in (low, high):
            validate_config(with_values(base, expand({key: value})))
