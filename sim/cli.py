"""The ``mcsim`` command: ``mcsim COMMAND [overrides...]``.

Each command is a Hydra app over the configs in ``configs/`` (``mcsim run`` composes
``configs/run.yaml``). Before Hydra starts, the overrides are composed and validated here,
so bad input ends with one line naming the key, the value and what is allowed, a non-zero
exit, and nothing written.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
log = logging.getLogger("mcsim")

USAGE = """usage: mcsim COMMAND [key=value ...]

commands:
  run        run one scenario            mcsim run scenario=b40_voucher seed=2
  compare    compare scenarios with a briefing report (the main job)
  report     rebuild a comparison report from stored results: mcsim report PATH
  bench      measure speed and memory
  experiment run an experiment design: mcsim experiment experiments/NAME.yaml
  collect    gather a Hydra multirun into one table: mcsim collect SWEEP_DIR
  sensitivity  Sobol/Morris indices: mcsim sensitivity STORE_DIR|FILE.yaml
  calibrate  fit behaviour to targets: mcsim calibrate [--write-config]
  discover   PRIM scenario discovery: mcsim discover STORE_DIR "COLUMN>=VALUE" ...
  explore    serve the interactive explorer page
  validate   check the model against known patterns and write docs/VALIDATION.md
  docs       regenerate the parameter table in docs/ODD.md (--check: only check it)

Overrides use Hydra syntax; `mcsim run --help` lists the configuration.
"""


def fail(command: str, message: str, code: int = 2) -> None:
    print(f"mcsim{' ' + command if command else ''}: error: {message}", file=sys.stderr)
    sys.exit(code)


# --------------------------------------------------------------------------- composition
def compose(config_name: str, overrides: list[str], return_hydra_config: bool = False) -> DictConfig:
    """Compose ``configs/<config_name>.yaml`` with overrides (Hydra's own settings only when
    ``return_hydra_config``; no run directory is made)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from sim.config import register_configs

    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
        return hydra_compose(config_name=config_name, overrides=overrides,
                             return_hydra_config=return_hydra_config)


def available(group: str) -> list[str]:
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


def _split_args(args: list[str]) -> tuple[list[str], bool]:
    """Config overrides among Hydra's own arguments, and whether this is a multirun."""
    multirun = any(a in ("-m", "--multirun") for a in args)
    overrides = [a for a in args if not a.startswith("-") and "=" in a
                 and not a.lstrip("+~").startswith(("hydra.", "hydra/"))]
    return overrides, multirun


def _expand_for_validation(overrides: list[str]) -> list[list[str]]:
    """For a sweep, the override lists to check: every swept value once, others at their first."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(overrides)
    values = []
    for o in parsed:
        if o.is_sweep_override():
            values.append([f"{o.get_key_element()}={v}" for v in o.sweep_string_iterator()])
        else:
            values.append([o.input_line])
    base = [v[0] for v in values]
    lists = [base]
    for i, options in enumerate(values):
        for option in options[1:]:
            lists.append(base[:i] + [option] + base[i + 1:])
    return lists


def hydra_dir_overrides(args: list[str]) -> list[str]:
    """The command line's own ``hydra.<key>=...`` settings (e.g. hydra.run.dir), not groups."""
    return [a for a in args if not a.startswith("-") and a.split("=", 1)[0].startswith("hydra.")]


def check_overrides(command: str, config_name: str, args: list[str]) -> None:
    """``+key=`` and ``~key`` name schema keys only, and nothing names ``_target_``."""
    from sim.config import ConfigError
    from sim.config.keys import check_override

    for arg in args:
        if arg.startswith("-") or ("=" not in arg and not arg.startswith("~")):
            continue
        try:
            check_override(arg, config_name)
        except ConfigError as exc:
            fail(command, str(exc))


def preflight(command: str, config_name: str, args: list[str], with_hydra: bool = False) -> DictConfig:
    """Compose and validate before Hydra runs; exits with a one-line error on bad input.

    ``with_hydra``: the first composition also resolves Hydra's own settings, so the returned
    config has ``hydra.run.dir`` as it will be (the caller then fixes it for Hydra).
    """
    from sim.config import ConfigError, validate_config
    from sim.data import DataError

    check_overrides(command, config_name, args)
    overrides, multirun = _split_args(args)
    try:
        override_sets = _expand_for_validation(overrides) if multirun else [overrides]
    except Exception as exc:  # noqa: BLE001 - grammar errors from Hydra's parser
        fail(command, explain(exc, overrides))
    cfg = first = None
    for i, override_set in enumerate(override_sets):
        resolve_hydra = with_hydra and i == 0
        hydra_part = hydra_dir_overrides(args) if resolve_hydra else []
        try:
            cfg = compose(config_name, [*override_set, *hydra_part], return_hydra_config=resolve_hydra)
        except Exception as exc:  # noqa: BLE001 - Hydra raises several unrelated types
            fail(command, explain(exc, override_set))
        try:
            validate_config(cfg)
            _check_data(cfg)
        except (ConfigError, DataError) as exc:
            fail(command, str(exc))
        first = first or cfg
    return first if with_hydra else cfg


def _check_data(cfg) -> None:
    """Load (and so validate) the population data file the config names."""
    from sim.data import population_data

    if "population" in cfg:
        population_data(cfg.population.data)


# --------------------------------------------------------------------------- hydra apps
def hydra_app(command: str, config_name: str, task, args: list[str]) -> None:
    """Run ``task(cfg)`` as a Hydra app (run directory, multirun, launchers, overrides)."""
    import hydra

    from sim.config import register_configs

    register_configs()
    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    sys.argv = [f"mcsim {command}", *args]
    app = hydra.main(config_path=str(CONFIG_DIR), config_name=config_name, version_base=None)(task)
    app()


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        sys.exit(0 if argv else 2)
    command, args = argv[0], argv[1:]
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from sim import commands

    if command not in commands.COMMANDS:
        fail("", f"unknown command {command!r}: expected one of {', '.join(commands.COMMANDS)}")
    commands.dispatch(command, args)


if __name__ == "__main__":
    main()
