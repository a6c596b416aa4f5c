"""What every ``mcsim`` command shares: a one-line failure, checking and composing the
command line's overrides before Hydra runs (``preflight``), and running a task as a Hydra app."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from omegaconf import DictConfig

from sim.config.compose import CONFIG_DIR, compose, explain


def fail(command: str, message: str, code: int = 2) -> None:
    print(f"mcsim{' ' + command if command else ''}: error: {message}", file=sys.stderr)
    sys.exit(code)


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


def hydra_app(command: str, config_name: str, task, args: list[str]) -> None:
    """Run ``task(cfg)`` as a Hydra app (run directory, multirun, launchers, overrides)."""
    import hydra

    from sim.config import register_configs

    register_configs()
    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    sys.argv = [f"mcsim {command}", *args]
    app = hydra.main(config_path=str(CONFIG_DIR), config_name=config_name, version_base=None)(task)
    app()


def claim_output_folder(command: str, out_dir: str, args: list[str], results: Path, marker: str,
                        overwrite: bool, what: str) -> list[str]:
    """Check and lock a command's output folder before Hydra writes into it; returns the
    arguments with the folder fixed (``${now:...}`` in the default resolved once, here).
    A folder in the default place must stay inside ``results`` (names cannot leave it)."""
    from sim.config.overrides_file import render_value
    from sim.output_folder import FolderRefused, claim
    from sim.paths import UnsafePath, inside

    chosen = any(a.startswith("hydra.run.dir=") for a in hydra_dir_overrides(args))
    try:
        if not chosen:
            inside(out_dir, results, f"the {what} folder")
        claim(out_dir, marker, overwrite, what=what)
    except (UnsafePath, FolderRefused) as exc:
        fail(command, str(exc))
    return [*[a for a in args if not a.startswith("hydra.run.dir=")], f"hydra.run.dir={render_value(out_dir)}"]
