"""``mcsim run overrides_file=PATH``: a YAML file of settings in the shape of the run
configuration (for example one exported by the explorer), applied as Hydra overrides.

The file is flattened to ``key=value`` overrides placed before the command line's own, so
``mcsim run overrides_file=x.yaml seed=5`` runs the file's settings with seed 5. Because the
overrides are ordinary ones, validation, the run directory and the resolved ``config.yaml``
work exactly as for typed overrides. A ``# @package _global_`` header (which the explorer
writes) also lets the same file be dropped into ``configs/scenario/`` and used as a scenario.
"""

from __future__ import annotations

import re
from pathlib import Path

KEY = "overrides_file"


class OverridesFileError(ValueError):
    """The file cannot be used; ``str(err)`` is one line."""


def render_value(value) -> str:
    """A YAML value in Hydra's override grammar (strings quoted, so any text is safe)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(render_value(v) for v in value) + "]"
    if isinstance(value, str):
        # Hydra: backslashes are escaped only before a quote or the closing quote; OmegaConf
        # would resolve "${...}", so it is escaped as text.
        text = re.sub(r"(\\+)(?='|$)", lambda m: m.group(1) * 2, value)
        return "'" + text.replace("'", "\\'").replace("${", "\\${") + "'"
    raise OverridesFileError(f"value {value!r} of type {type(value).__name__} cannot be an override")


def flatten(node: dict, prefix: str = "") -> list[str]:
    """``{"a": {"b": 1}}`` -> ``["a.b=1"]`` (lists are values, not nested keys)."""
    out = []
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.extend(flatten(value, path + "."))
        else:
            out.append(f"{path}={render_value(value)}")
    return out


def read_overrides(path: str | Path) -> list[str]:
    """The overrides a settings file stands for. Only keys of the run schema are accepted
    (see ``sim.config.keys``): a settings file holds values, never hydra.* or _target_."""
    from sim.config.keys import check_settings
    from sim.config.validate import ConfigError
    from sim.inputs import InputError, load_yaml

    hint = "expected a YAML settings file such as the explorer exports"
    try:
        data = load_yaml(path, "settings file", hint)
    except InputError as exc:
        raise OverridesFileError(f"{KEY}={exc}") from None
    if not isinstance(data, dict) or not data:
        raise OverridesFileError(f"{KEY}={path} must hold a mapping of settings (like scenario:, seed:, policy:)")
    try:
        check_settings(data, "run", source=f"{KEY}={path}")
    except ConfigError as exc:
        raise OverridesFileError(str(exc)) from None
    return flatten(data)


def expand(args: list[str]) -> list[str]:
    """Replace each ``overrides_file=PATH`` argument by the file's overrides, first, so that
    the command line's own overrides win."""
    files = [a.split("=", 1)[1] for a in args if a.startswith(f"{KEY}=")]
    rest = [a for a in args if not a.startswith(f"{KEY}=")]
    from_files = [o for f in files for o in read_overrides(f)]
    return from_files + rest
