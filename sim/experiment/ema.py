"""mcsim as an EMA Workbench model (https://emaworkbench.readthedocs.io), so researchers can use
EMA's samplers, PRIM, feature scoring and many-objective robust decision making on it.

``ema_model(...)`` returns an ``ema_workbench.Model`` whose parameters come from the same files
as the rest of mcsim:

* **uncertainties**: ``configs/uncertainties.yaml`` (its ranges; a parameter whose schema type
  is ``int`` becomes an ``IntegerParameter``). A list parameter marked ``each: true``
  (``behaviour.taste_by_education``) is varied as the one-number derived key that sets it
  (``behaviour.education_gradient``, ``sim.experiment.configs.DERIVED``) over its calibration
  prior (``configs/calibration/targets.yaml``: ``parameters``);
* **levers**: the ``policy.*`` settings of the schema (``sim/config/schema.py``): every numeric
  setting over its allowed range (an unbounded end becomes the largest value the schema
  default or a named policy scenario gives it), every flag (``enabled``, ``accredited_only``)
  as a ``BooleanParameter``, and each lever's ``start_quarter`` over the horizon's quarters.
  Group lists and ``end_quarter`` stay at the scenario's values; policy assumptions listed in
  ``configs/uncertainties.yaml`` are uncertainties, not levers;
* **outcomes**: the run's flattened summary keys (``sim.model.outcomes.flatten_outcomes``:
  ``uptake_rate``, ``uptake_by_income.B40``, ``public_spend_rm``, ...).

EMA names must be Python identifiers, so each dotted key is named with its non-word characters
replaced by ``_`` (``uptake_by_income.B40`` -> ``uptake_by_income_B40``) and carries the dotted
key as its ``variable_name`` (``ema_keys(model)`` maps names back to keys).

Each experiment is one mcsim run through the one task runner (``sim.experiment.worker.run_task``)
on the composed base configuration of the scenario (``sim.experiment.configs.base_config``),
with the same seed in every experiment (common random numbers), so an experiment's outcomes
equal ``mcsim run scenario=S seed=N population.n_agents=P horizon.quarters=H KEY=VALUE ...``.
The model pickles, so EMA's ``MultiprocessingEvaluator`` runs it too.

The EMA Workbench is imported only when a model is built: importing mcsim never needs it.
"""

from __future__ import annotations

import math
import re
import typing
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

INSTALL = 'pip install -e ".[ema]"'
KINDS = {"info": 0, "maximize": 1, "max": 1, "minimize": -1, "min": -1}   # EMA's ScalarOutcome kinds


class EmaUnavailable(ImportError):
    """The EMA Workbench is not installed; ``str(err)`` is one line saying how to install it."""


def load_ema():
    """The ``ema_workbench`` package, or EmaUnavailable (one line: how to install the extra)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)   # "ipyparallel not installed": an evaluator we do not use
            import ema_workbench
    except ImportError:
        raise EmaUnavailable(f"the EMA Workbench (ema-workbench) is not installed: run {INSTALL}") from None
    return ema_workbench


def ema_name(key: str) -> str:
    """EMA's name for a dotted key: a Python identifier (``uptake_by_age_band.18-29`` ->
    ``uptake_by_age_band_18_29``)."""
    name = re.sub(r"\W", "_", key)
    return name if name.isidentifier() else f"_{name}"


def ema_keys(model) -> dict[str, str]:
    """{EMA name: dotted mcsim key} of a model's uncertainties, levers and outcomes."""
    return {v.name: v.variable_name[0] for group in (model.uncertainties, model.levers, model.outcomes) for v in group}


# --------------------------------------------------------------------------- the parameter tables
def _read_yaml(path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text()) or {}


def _schema_kind(key: str) -> type:
    """``bool``, ``int`` or ``float``: how EMA should sample ``key`` (derived keys are floats)."""
    from sim.config.schema import settings

    kinds = {k: t for k, _, t in settings()}
    kind = kinds.get(key, float)
    args = [a for a in typing.get_args(kind) if a is not type(None)]   # Optional[int] -> int
    kind = args[0] if args else kind
    return kind if kind in (bool, int) else float


@lru_cache(maxsize=1)
def uncertainty_table() -> dict[str, tuple[float, float]]:
    """{dotted key: (low, high)} of every uncertainty in configs/uncertainties.yaml, in file
    order; ``each: true`` list parameters replaced by the derived key that sets them."""
    from sim.config.compose import CONFIG_DIR
    from sim.experiment.configs import DERIVED

    priors = _read_yaml(CONFIG_DIR / "calibration" / "targets.yaml").get("parameters") or {}
    table: dict[str, tuple[float, float]] = {}
    for section, entries in _read_yaml(CONFIG_DIR / "uncertainties.yaml").items():
        for name, entry in (entries or {}).items():
            key = f"{section}.{name}"
            if not entry.get("each"):
                low, high = entry["range"]
                table[key] = (low, high)
                continue
            # a list varied as one number: the derived key whose expansion sets it, over its prior
            for derived, expand in DERIVED.items():
                if key in expand(1.0) and derived in priors:
                    table[derived] = tuple(priors[derived])
    return table


def _scenario_values() -> dict[str, list]:
    """{dotted policy key: values the named policy scenarios set} (configs/scenario/*.yaml)."""
    from sim.config.compose import CONFIG_DIR, policy_scenarios

    found: dict[str, list] = {}

    def walk(node, prefix):
        for k, v in node.items():
            if isinstance(v, dict):
                walk(v, f"{prefix}{k}.")
            else:
                found.setdefault(f"{prefix}{k}", []).append(v)

    for name in policy_scenarios():
        walk(_read_yaml(CONFIG_DIR / "scenario" / f"{name}.yaml").get("policy") or {}, "policy.")
    return found


@lru_cache(maxsize=4)
def lever_table(horizon: int = 40) -> dict[str, tuple]:
    """{dotted policy key: (low, high)} of every lever setting EMA can vary (flags: (False, True);
    ``start_quarter``: quarters 0 to ``horizon - 1``), in schema order."""
    from omegaconf import OmegaConf

    from sim.config.schema import PolicyConfig, settings

    defaults = OmegaConf.structured(PolicyConfig)
    used = _scenario_values()
    uncertain = set(uncertainty_table())
    table: dict[str, tuple] = {}
    for key, f, kind in settings(PolicyConfig, "policy."):
        if key in uncertain:
            continue                       # an accounting assumption: an uncertainty, not a lever
        if kind is bool:
            table[key] = (False, True)
        elif f.metadata.get("relation") == "lever window":
            if key.endswith("start_quarter"):
                table[key] = (0, horizon - 1)
        elif "range" in f.metadata:
            low, high = f.metadata["range"]
            if math.isinf(high):           # unbounded: up to the largest value in use
                high = max([OmegaConf.select(defaults, key[len("policy."):])]
                           + [v for v in used.get(key, []) if isinstance(v, (int, float))])
            if high > low:
                table[key] = (low, high)
    return table


def _select(given, table: dict[str, tuple], role: str, allowed) -> dict[str, tuple]:
    """The parameters a caller asked for: None = the whole table; keys = those rows; a mapping
    key -> (low, high) or None (the table's range). Unknown keys raise ValueError (one line)."""
    what = {"uncertainty": "an uncertainty", "lever": "a lever"}[role]
    if given is None:
        return dict(table)
    items = given.items() if isinstance(given, Mapping) else ((k, None) for k in given)
    chosen: dict[str, tuple] = {}
    for key, bounds in items:
        if bounds is None:
            if key not in table:
                raise ValueError(f"{role} {key!r} has no range in mcsim's files: give one as {{{key!r}: (low, high)}}"
                                 if allowed(key) else f"{key!r} is not {what}: {_known(table)}")
            bounds = table[key]
        elif not allowed(key):
            raise ValueError(f"{key!r} is not {what}: {_known(table)}")
        elif (not isinstance(bounds, (tuple, list)) or len(bounds) != 2
              or not all(isinstance(b, (int, float)) and math.isfinite(b) for b in bounds) or not bounds[0] < bounds[1]):
            raise ValueError(f"{role} {key}={bounds!r} is not allowed: expected (low, high) with low < high")
        chosen[key] = tuple(bounds)
    return chosen


def _known(table) -> str:
    keys = list(table)
    return f"known are {', '.join(keys[:6])}, ... ({len(keys)} in all)"


def _is_uncertainty(key: str) -> bool:
    from sim.experiment.configs import DERIVED

    return (key in DERIVED or key in uncertainty_table()
            or (key.split(".")[0] in ("behaviour", "market", "population") and _is_setting(key)))


def _is_lever(key: str) -> bool:
    return key.startswith("policy.") and _is_setting(key)


def _is_setting(key: str) -> bool:
    from sim.config.schema import settings

    return key in {k for k, _, _ in settings()}


# --------------------------------------------------------------------------- the model function
class McsimRun:
    """EMA's model function: keyword arguments ``{dotted key: value}`` -> the run's flattened
    outcomes. A plain picklable object (the composed base configuration as a dict and the seed),
    so EMA's multiprocessing evaluator can ship it to worker processes."""

    def __init__(self, base: dict, seed: int):
        self.base = base
        self.seed = int(seed)

    def __call__(self, **values) -> dict[str, float]:
        from sim.experiment.worker import checked, run_task

        _, outcomes, _ = checked(run_task((0, self.base, {k: _plain(v) for k, v in values.items()}, self.seed, None)))
        return outcomes


def _plain(value):
    """numpy scalars (EMA's samples) as Python numbers, which OmegaConf accepts."""
    return value.item() if hasattr(value, "item") else value


# --------------------------------------------------------------------------- the model
def ema_model(scenario: str = "baseline", population: int = 20_000, horizon: int = 40, seed: int = 1,
              outcomes: Iterable[str] | Mapping[str, str] | None = None,
              uncertainties: Iterable[str] | Mapping[str, Any] | None = None,
              levers: Iterable[str] | Mapping[str, Any] | None = None, name: str = "mcsim"):
    """mcsim as an ``ema_workbench.Model``.

    ``scenario`` (a configs/scenario file) sets every lever EMA does not vary; ``population``
    learner agents, ``horizon`` quarters and ``seed`` hold for every experiment.
    ``uncertainties`` and ``levers``: None = every one mcsim's files give a range (see the module
    docstring), a list of dotted keys = those, a mapping ``{key: (low, high)}`` = those ranges
    (``None`` for the file's range); an empty list = none. ``outcomes``: None = every flattened
    summary key, a list of them, or a mapping ``{key: "maximize" | "minimize" | "info"}`` (the
    kind EMA's optimisers read). Bad input raises ValueError (one line) before any run, including
    a range of yours whose end the scenario's configuration refuses; a missing EMA Workbench
    raises EmaUnavailable (one line: how to install it). The default lever ranges are the
    schema's allowed ones, so a relation between settings can still refuse an exact end point
    (a subsidy with a rate needs a cap above RM 0): a design that puts a run there (a full
    factorial) fails with that one line when it reaches it.
    """
    ema = load_ema()
    from omegaconf import OmegaConf

    from sim.config import ConfigError
    from sim.experiment.configs import base_config, check_bounds
    from sim.experiment.outcomes import outcome_names

    try:
        base = base_config([f"scenario={scenario}"], {"population.n_agents": int(population),
                                                     "horizon.quarters": int(horizon), "seed": int(seed)})
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - Hydra's composition errors (an unknown scenario)
        from sim.config.compose import explain

        raise ValueError(explain(exc, [f"scenario={scenario}"])) from None
    chosen_u = _select(uncertainties, uncertainty_table(), "uncertainty", _is_uncertainty)
    chosen_l = _select(levers, lever_table(int(horizon)), "lever", _is_lever)
    both = set(chosen_u) & set(chosen_l)
    if both:
        raise ValueError(f"{sorted(both)[0]} is given both as an uncertainty and a lever: give it once")
    given = {k: b for group in (uncertainties, levers) if isinstance(group, Mapping)
             for k, b in group.items() if b is not None and _schema_kind(k) is not bool}
    try:   # the caller's ranges, at both ends, in this scenario (the files' ranges are checked by tests)
        check_bounds({k: tuple(b) for k, b in given.items()}, base)
    except ConfigError as exc:
        raise ValueError(f"scenario {scenario}: {exc}") from None

    known = outcome_names()
    kinds = dict(outcomes) if isinstance(outcomes, Mapping) else dict.fromkeys(known if outcomes is None else outcomes, "info")
    for key, kind in kinds.items():
        if key not in known:
            tops = sorted({k.split(".")[0] for k in known})
            raise ValueError(f"outcome {key!r} is not a summary key: known are {', '.join(tops)} "
                             "(nested ones with a dot, e.g. uptake_by_income.B40)")
        if str(kind).lower() not in KINDS:
            raise ValueError(f"outcome {key}: kind {kind!r} is not allowed: expected maximize, minimize or info")

    names = [ema_name(k) for k in [*chosen_u, *chosen_l, *kinds]]
    clash = next((n for n in names if names.count(n) > 1), None)
    if clash:
        raise ValueError(f"two keys share the EMA name {clash}: give one of them")

    model = ema.Model(name, function=McsimRun(OmegaConf.to_container(base), seed))
    model.uncertainties = [_parameter(ema, k, b) for k, b in chosen_u.items()]
    model.levers = [_parameter(ema, k, b) for k, b in chosen_l.items()]
    model.outcomes = [ema.ScalarOutcome(ema_name(k), kind=KINDS[str(kind).lower()], variable_name=k)
                      for k, kind in kinds.items()]
    return model


def _parameter(ema, key: str, bounds: tuple):
    kind = _schema_kind(key)
    if kind is bool:
        return ema.BooleanParameter(ema_name(key), variable_name=key)
    if kind is int:
        low, high = bounds
        if not (float(low).is_integer() and float(high).is_integer()):
            raise ValueError(f"{key} is an integer setting: its range {bounds} needs whole-number ends")
        return ema.IntegerParameter(ema_name(key), int(low), int(high), variable_name=key)
    return ema.RealParameter(ema_name(key), float(bounds[0]), float(bounds[1]), variable_name=key)
