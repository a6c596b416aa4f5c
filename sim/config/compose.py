"""Compose run configurations: the one place that turns ``configs/`` plus overrides into a
typed configuration, and sets values on one.

Everything that needs a configuration (commands, experiments, validation, the explorer)
composes here; the command line only parses arguments and dispatches. ``with_values`` is the
one way to set dotted keys on a composed configuration: typed by the schema, so a wrong key
or type fails with one line naming the key.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Mapping

from omegaconf import DictConfig, OmegaConf

# The configuration folder shipped beside the package: configs/<name>.yaml and its groups.
CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"


def compose(config_name: str, overrides: list[str] = (), return_hydra_config: bool = False) -> DictConfig:
    """Compose ``configs/<config_name>.yaml`` with Hydra overrides (Hydra's own settings only
    when ``return_hydra_config``; no run directory is made)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from sim.config.schema import register_configs

    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
        return hydra_compose(config_name=config_name, overrides=list(overrides),
                             return_hydra_config=return_hydra_config)


def with_values(cfg: DictConfig | Mapping, values: Mapping[str, Any]) -> DictConfig:
    """A copy of ``cfg`` with each dotted key set to its value, typed by the run schema.

    ``cfg`` is a composed configuration or a plain dict of one (as shipped to a worker).
    Tuples become lists; a float for an integer field is rounded (a sampler's continuous draw
    of, say, a number of quarters). An unknown key or a value of the wrong type raises
    ``ConfigError`` naming the key.
    """
    from omegaconf.errors import OmegaConfBaseException

    from sim.config.validate import ConfigError

    if isinstance(cfg, DictConfig):
        out = copy.deepcopy(cfg)
    else:
        from sim.config.schema import RunConfig

        out = OmegaConf.merge(OmegaConf.structured(RunConfig), cfg)
    for key, value in values.items():
        current = OmegaConf.select(out, key, default=_MISSING)
        if current is _MISSING:
            raise ConfigError(f"{key} is not a configuration key")
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(current, int) and not isinstance(current, bool) and isinstance(value, float):
            value = int(round(value))
        try:
            OmegaConf.update(out, key, value, merge=False)
        except OmegaConfBaseException as exc:
            raise ConfigError(f"{key}={value!r} is not allowed: {str(exc).splitlines()[0]}") from None
    return out


_MISSING = object()


def available(group: str) -> list[str]:
    """The option names of a config group (e.g. the scenario files)."""
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def policy_scenarios() -> list[str]:
    """Scenario files that are policy options (not calibration devices such as a universal
    credit used to fit take-up)."""
    import yaml

    names = []
    for name in available("scenario"):
        info = (yaml.safe_load((CONFIG_DIR / "scenario" / f"{name}.yaml").read_text()) or {}).get("scenario", {})
        if info.get("kind", "policy") == "policy":
            names.append(name)
    return names


def explain(exc: BaseException, overrides: list[str]) -> str:
    """Turn a Hydra/OmegaConf composition error into one line: key, value, what is allowed."""
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError, ValidationError

    text = str(exc)
    cause = exc.__cause__ or exc.__context__
    for group in ("scenario",):
        if f"'{group}/" in text or f"{group}/" in text and "Could not find" in text:
            value = next((o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0].lstrip("+~") == group), "?")
            return f"{group}={value} is not a known {group}: available are {', '.join(available(group))}"
    err = cause if isinstance(cause, (ConfigKeyError, ConfigAttributeError, ValidationError)) else exc
    full_key = getattr(err, "full_key", None)
    if isinstance(err, (ConfigKeyError, ConfigAttributeError)) or "not in struct" in text or "Key '" in str(err) and "not in" in str(err):
        from sim.config.keys import closest

        key = full_key or _override_key(text)
        parent = key.rsplit(".", 1)[0] if key and "." in key else ""
        allowed = _keys_of(parent)
        near = closest(key) if key else None
        hint = f": did you mean {near}?" if near else ""
        hint += f" (known keys under {parent or 'the top level'} are {', '.join(allowed)})" if allowed else ""
        return f"{key} is not a known configuration key{hint}"
    if isinstance(err, ValidationError):
        value = next((o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0] == full_key), None)
        expected = _type_name(str(err))
        return f"{full_key}={value!r} is not allowed: expected {expected}"
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _override_key(text: str) -> str:
    if "'" in text:
        return text.split("'")[1]
    return "?"


def _type_name(message: str) -> str:
    for word, name in (("Integer", "an integer"), ("Float", "a number"), ("Boolean", "true or false"),
                       ("String", "a string"), ("List", "a list like [a,b]")):
        if f"converted to {word}" in message or f"type {word}" in message:
            return name
    return message.splitlines()[0]


def _keys_of(parent: str) -> list[str]:
    from sim.config.schema import default_config

    node = default_config()
    try:
        node = OmegaConf.select(node, parent) if parent else node
        return list(node.keys()) if isinstance(node, DictConfig) else []
    except Exception:  # noqa: BLE001 - only used for a hint
        return []
