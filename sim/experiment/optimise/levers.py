"""The model's search space from the ``optimise`` settings, checked before any run: every
searched setting is a lever setting of the schema with a range inside the allowed one (or
choices the configuration accepts), every pot has an annual budget, and the space is not
empty. Each check raises :class:`SpaceError` with one line."""

from __future__ import annotations

import math
from typing import Any, Mapping

from sim.experiment.optimise.space import SearchSpace, Setting, SpaceError


def _budget_keys() -> dict[str, tuple[str, str | None]]:
    from sim.model.policy import POTS

    return POTS


def _check_value(base, key: str, value: Any, what: str) -> None:
    from sim.config import ConfigError, validate_config
    from sim.config.compose import with_values

    try:
        validate_config(with_values(base, {key: value}))
    except ConfigError as exc:
        raise SpaceError(f"optimise.levers: {what}: {exc}") from None


def _setting(base, lever: str, name: str, spec: Any) -> Setting:
    key = f"policy.{lever}.{name}"
    if not isinstance(spec, Mapping) or not (set(spec) in ({"range"}, {"range", "step"}, {"choices"})):
        raise SpaceError(f"optimise.levers.{lever}.{name}: expected {{range: [low, high], step: s}} or "
                         f"{{choices: [...]}}, got {spec!r}")
    if "choices" in spec:
        choices = spec["choices"]
        if not isinstance(choices, (list, tuple)) or len(choices) < 2:
            raise SpaceError(f"optimise.levers.{lever}.{name}.choices: give at least two choices "
                             f"(a single value is a fixed setting: set {key}=VALUE instead)")
        for choice in choices:
            _check_value(base, key, list(choice) if isinstance(choice, (list, tuple)) else choice, f"{key} choice")
        return Setting(key, choices=tuple(tuple(c) if isinstance(c, (list, tuple)) else c for c in choices))
    bounds, step = spec["range"], spec.get("step")
    try:
        low, high = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise SpaceError(f"optimise.levers.{lever}.{name}.range: expected [low, high], got {bounds!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise SpaceError(f"optimise.levers.{lever}.{name}.range=[{low:g}, {high:g}]: expected finite low < high "
                         f"(a single value is a fixed setting: set {key}=VALUE instead)")
    if step is not None and not (isinstance(step, (int, float)) and 0 < step <= high - low):
        raise SpaceError(f"optimise.levers.{lever}.{name}.step={step!r}: expected a number above 0 and at most "
                         f"the range's width {high - low:g}")
    for value in (low, high):
        _check_value(base, key, value, f"{key} range end")
    return Setting(key, low, high, float(step) if step is not None else None)


def _plain(node: Any) -> Any:
    from omegaconf import OmegaConf

    return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node


def build_space(opt, base) -> SearchSpace:
    """The search space of the ``optimise`` settings ``opt`` on the baseline configuration
    ``base`` (a composed run config)."""
    from sim.config.schema import LEVERS

    budget = opt.budget_rm
    if not isinstance(budget, (int, float)) or not math.isfinite(budget) or budget <= 0:
        raise SpaceError(f"optimise.budget_rm={budget!r} is not allowed: expected an annual budget above 0 "
                         "(RM per year)")
    pots_by_name = _budget_keys()
    budget_keys = {(lever, key) for lever, key in pots_by_name.values() if key}
    pots = []
    for pot in opt.pots or []:
        if pot not in pots_by_name:
            raise SpaceError(f"optimise.pots has unknown pot {pot!r}: pots are {', '.join(pots_by_name)}")
        lever, key = pots_by_name[pot]
        if key is None:
            raise SpaceError(f"optimise.pots: {pot} has no annual budget (paid as claimed): search its lever's "
                             "settings under optimise.levers instead")
        if any(p == pot for p, _, _ in pots):
            raise SpaceError(f"optimise.pots names {pot} twice")
        pots.append((pot, lever, key))
    settings = []
    levers = _plain(opt.levers) or {}
    if not isinstance(levers, Mapping):
        raise SpaceError(f"optimise.levers: expected a mapping of levers to their settings, got {levers!r}")
    for lever, entries in levers.items():
        if lever not in LEVERS:
            raise SpaceError(f"optimise.levers has unknown lever {lever!r}: levers are {', '.join(LEVERS)}")
        if entries is None:
            continue
        if not isinstance(entries, Mapping):
            raise SpaceError(f"optimise.levers.{lever}: expected a mapping of its settings, got {entries!r}")
        for name, spec in entries.items():
            if spec is None:   # optimise.levers.X.Y=null leaves a setting out
                continue
            if name not in base.policy[lever]:
                from sim.config.keys import closest

                near = closest(f"policy.{lever}.{name}")
                hint = f": did you mean {near}?" if near else ""
                raise SpaceError(f"optimise.levers: policy.{lever}.{name} is not a setting of the {lever} "
                                 f"lever{hint}")
            if name in ("enabled", "start_quarter", "end_quarter"):
                raise SpaceError(f"optimise.levers: policy.{lever}.{name} is not searched: a lever is on when "
                                 "its pots get money; set its window as a fixed override")
            if (lever, name) in budget_keys:
                raise SpaceError(f"optimise.levers: policy.{lever}.{name} is an annual budget: it is set by the "
                                 "budget split (optimise.pots)")
            settings.append(_setting(base, lever, name, spec))
    if not settings and not pots:
        raise SpaceError("the search space is empty: name budget pots (optimise.pots) or lever settings "
                         "(optimise.levers) to search")
    levers = dict.fromkeys([s.key.split(".")[1] for s in settings] + [lever for _, lever, _ in pots])
    return SearchSpace(tuple(settings), tuple(pots), float(budget),
                       tuple((lever, bool(base.policy[lever].enabled)) for lever in levers))


def scenario_mix(space: SearchSpace, scenario_cfg) -> dict[str, Any]:
    """A named scenario's values of the space's settings and pots (to start the search from it)."""
    from omegaconf import OmegaConf

    values = {}
    for s in space.settings:
        value = OmegaConf.select(scenario_cfg, s.key)
        values[s.key] = OmegaConf.to_container(value) if OmegaConf.is_config(value) else value
    for _, lever, key in space.pots:
        node = scenario_cfg.policy[lever]
        values[space.pot_key(lever, key)] = float(node[key]) if node.enabled else 0.0
    return values
