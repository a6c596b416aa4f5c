"""Typed configuration: Hydra structured-config schemas and their validation."""

from sim.config.schema import RunConfig, register_configs
from sim.config.validate import ConfigError, validate_config

__all__ = ["RunConfig", "register_configs", "ConfigError", "validate_config"]
