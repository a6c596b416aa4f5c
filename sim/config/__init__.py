"""Typed configuration: the Hydra structured-config schemas, composing them with the files in
``configs/``, setting values on a composed configuration, and validating it."""

from sim.config.compose import available, compose, policy_scenarios, with_values
from sim.config.schema import RunConfig, register_configs
from sim.config.validate import ConfigError, validate_config

__all__ = ["RunConfig", "register_configs", "ConfigError", "validate_config", "compose", "with_values",
           "available", "policy_scenarios"]
