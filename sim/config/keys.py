"""Which keys a settings file, an experiment file or a ``+key=`` override may name: only keys
of the configuration schema.

Hydra treats some keys as instructions rather than values (``hydra.*`` moves outputs or
registers callbacks, ``_target_`` names a Python callable to call, ``+``/``~`` add or delete
keys), so a settings file an analyst receives by e-mail could otherwise run code. Here every
key is checked against the schema before anything is composed, and an unknown key is named
together with the closest known one.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

from omegaconf import DictConfig

from sim.config.validate import ConfigError

# Config groups a settings file may select by name (``scenario: b40_voucher``).
GROUPS = ("scenario", "behaviour")
DELETABLE_GROUPS = ("behaviour",)  # ``~behaviour`` on the command line: the schema defaults
KEY_PART = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@lru_cache(maxsize=2)
def schema(config_name: str = "run") -> DictConfig:
    """The schema's defaults (``run`` or ``compare``) as an OmegaConf tree."""
    from omegaconf import OmegaConf

    if config_name == "compare":
        from sim.config.schema import CompareConfig

        return OmegaConf.structured(CompareConfig)
    from sim.config.schema import RunConfig

    return OmegaConf.structured(RunConfig)


@lru_cache(maxsize=2)
def leaf_keys(config_name: str = "run") -> tuple[str, ...]:
    """Every dotted setting of the schema (``policy.subsidy.rate``, ...)."""
    out = []

    def walk(node: DictConfig, prefix: str) -> None:
        for key in node:
            value = node._get_node(key)
            if isinstance(value, DictConfig):
                walk(value, f"{prefix}{key}.")
            else:
                out.append(f"{prefix}{key}")

    walk(schema(config_name), "")
    return tuple(out)


def closest(key: str, config_name: str = "run") -> str | None:
    """The known setting most like ``key`` (difflib), or None when nothing is close."""
    keys = leaf_keys(config_name)
    match = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
    if not match:  # compare the last parts: policy.subsidy.rat -> policy.subsidy.rate
        tails = {k.rsplit(".", 1)[-1]: k for k in keys}
        tail = difflib.get_close_matches(key.rsplit(".", 1)[-1], list(tails), n=1, cutoff=0.75)
        match = [tails[tail[0]]] if tail else []
    return match[0] if match else None


def unknown_key(key: str, config_name: str = "run") -> ConfigError:
    near = closest(key, config_name)
    hint = f": did you mean {near}?" if near else ": `mcsim run --cfg job` lists every setting"
    return ConfigError(f"{key} is not a known configuration key{hint}")


def check_key(key: str, config_name: str = "run", source: str = "") -> str:
    """``key`` (dotted) if it names a setting or group of the schema; else ConfigError."""
    where = f"{source}: " if source else ""
    parts = key.split(".")
    if parts[0] == "hydra":
        raise ConfigError(f"{where}{key} is not allowed: hydra.* (output folders, callbacks, launchers) "
                          "may only be given on the command line")
    if "_target_" in parts:
        raise ConfigError(f"{where}{key} is not allowed: _target_ names code to run; settings hold values only")
    if not all(KEY_PART.match(p) for p in parts):
        raise ConfigError(f"{where}{key!r} is not allowed: keys are dotted names of settings "
                          "(letters, digits and _; no +, ~, = or spaces)")
    node = schema(config_name)
    for i, part in enumerate(parts):
        if not isinstance(node, DictConfig) or part not in node:
            if not isinstance(node, DictConfig):
                raise ConfigError(f"{where}{'.'.join(parts[:i])} is a setting, not a group: "
                                  f"{key} does not exist")
            err = unknown_key(key, config_name)
            raise ConfigError(f"{where}{err}") from None
        node = node._get_node(part)
    return key


def check_settings(data: dict, config_name: str = "run", source: str = "") -> None:
    """Check every key of a nested settings mapping (a settings file's content)."""
    where = f"{source}: " if source else ""

    def walk(node, prefix: str) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, prefix)
            return
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            if not isinstance(key, str):
                raise ConfigError(f"{where}key {key!r} under {prefix.rstrip('.') or 'the top level'} is not a name")
            dotted = f"{prefix}{key}"
            leaf = not isinstance(value, (dict, list)) or not value
            if key == "_target_" or (leaf and dotted.split(".")[0] == "hydra"):
                check_key(dotted, config_name, source)  # named in full: hydra.run.dir, not hydra
            walk(value, f"{dotted}.")

    walk(data, "")  # _target_ and hydra anywhere (lists included) first: the clearest message
    schema_root = schema(config_name)

    def check(node: dict, prefix: str, tree) -> None:
        for key, value in node.items():
            dotted = f"{prefix}{key}"
            check_key(dotted, config_name, source)
            child = tree._get_node(key)
            if isinstance(value, dict):
                if not isinstance(child, DictConfig):
                    raise ConfigError(f"{where}{dotted} is a setting, not a group: give it one value")
                check(value, f"{dotted}.", child)
            elif isinstance(child, DictConfig) and not (prefix == "" and key in GROUPS and isinstance(value, str)):
                raise ConfigError(f"{where}{dotted} is a group of settings: give a mapping of "
                                  f"{', '.join(list(child)[:6])}, ...")

    check(data, "", schema_root)


def check_override(override: str, config_name: str = "run") -> None:
    """A command-line override may add (``+``) or delete (``~``) only schema keys, and Hydra's
    own launcher settings; never ``_target_`` or Hydra callbacks (both name code to run)."""
    key = override.split("=", 1)[0]
    bare = key.lstrip("+~")
    if "_target_" in bare.replace("/", ".").split("."):
        raise ConfigError(f"{override} is not allowed: _target_ names code to run; overrides hold values only")
    if key.startswith("~"):
        if bare not in DELETABLE_GROUPS:
            raise ConfigError(f"{override} is not allowed: only ~{', ~'.join(DELETABLE_GROUPS)} may be removed "
                              "(its schema defaults apply)")
    elif key.startswith("+"):
        if bare.startswith(("hydra.", "hydra/")):  # launcher settings (+hydra.launcher.ray.init.num_cpus=2)
            if bare.startswith(("hydra.callbacks", "hydra/callbacks")):
                raise ConfigError(f"{override} is not allowed: Hydra callbacks run code")
            return
        if bare not in GROUPS:
            check_key(bare, config_name)
