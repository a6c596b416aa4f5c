"""The experiment file: parse, normalise and validate it before anything runs.

An experiment names **levers** (``policy.*`` keys) and **uncertainties** (any other run
configuration key) with a ``range`` or ``levels``, the **scenarios** they are applied to, the
**outcomes** to report, a **sampler** and its sample size, replicates (seeds), population size
and horizon. Every problem is reported as one line (:class:`ExperimentError`) naming the key,
the value and what is allowed. The format is documented in docs/RESEARCHER_GUIDE.md.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any


ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS_DIR = ROOT / "experiments"
SAMPLERS = ("full_factorial", "lhs", "sobol", "morris")
# Options each sampler accepts, with defaults.
SAMPLER_OPTIONS: dict[str, dict[str, Any]] = {
    "full_factorial": {},
    "lhs": {},
    "sobol": {"calc_second_order": False},
    "morris": {"num_levels": 4},
}
TOP_LEVEL = ("name", "description", "scenarios", "levers", "uncertainties", "fixed", "outcomes", "sampler",
             "samples", "sampler_options", "replicates", "seed", "population", "horizon", "analysis")
# Fields that change results; the store directory is keyed by their hash (outcomes are only a view).
RESULT_FIELDS = ("scenarios", "levers", "uncertainties", "fixed", "sampler", "samples", "sampler_options",
                 "replicates", "seed", "population", "horizon")


class ExperimentError(ValueError):
    """A bad experiment file or option; ``str(err)`` is one line."""


@dataclass(frozen=True)
class Parameter:
    """One swept configuration key: a continuous ``range`` or discrete ``levels``."""

    key: str                       # dotted run-configuration key, e.g. policy.subsidy.rate
    role: str                      # "lever" or "uncertainty"
    low: float | None = None       # range bounds (inclusive)
    high: float | None = None
    levels: tuple | None = None    # discrete values
    steps: int | None = None       # grid points for a range in a full factorial design
    integer: bool = False          # the schema type is int: sampled values are rounded

    @property
    def kind(self) -> str:
        return "levels" if self.levels is not None else "range"

    def value(self, u: float):
        """The parameter value at unit-interval coordinate ``u`` in [0, 1]."""
        if self.levels is not None:
            return self.levels[min(int(u * len(self.levels)), len(self.levels) - 1)]
        x = self.low + u * (self.high - self.low)
        return int(round(x)) if self.integer else float(x)

    def grid(self) -> list:
        """Values of this parameter in a full factorial design."""
        if self.levels is not None:
            return list(self.levels)
        return [self.value(i / (self.steps - 1)) for i in range(self.steps)]

    def spec(self) -> dict:
        if self.levels is not None:
            return {"levels": list(self.levels)}
        out = {"range": [self.low, self.high]}
        if self.steps:
            out["steps"] = self.steps
        return out


@dataclass
class ExperimentSpec:
    name: str
    scenarios: list[str]
    parameters: list[Parameter]
    sampler: str = "full_factorial"
    samples: int | None = None
    sampler_options: dict = field(default_factory=dict)
    replicates: int = 1
    seed: int = 1
    population: int = 20_000       # learner agents per run
    horizon: int = 40              # quarters per run
    fixed: dict = field(default_factory=dict)     # dotted key -> value for every run
    outcomes: list[str] = field(default_factory=list)  # flattened outcome names; empty = all
    description: str = ""
    path: str | None = None
    analysis: dict = field(default_factory=dict)  # sensitivity after the runs (sim.analysis.sensitivity)

    @property
    def levers(self) -> list[Parameter]:
        return [p for p in self.parameters if p.role == "lever"]

    @property
    def uncertainties(self) -> list[Parameter]:
        return [p for p in self.parameters if p.role == "uncertainty"]

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.parameters]

    def to_dict(self) -> dict:
        """The normalised file content (what ``load_experiment`` would read back)."""
        return {
            "name": self.name, "description": self.description, "scenarios": list(self.scenarios),
            "levers": {p.key: p.spec() for p in self.levers},
            "uncertainties": {p.key: p.spec() for p in self.uncertainties},
            "fixed": dict(self.fixed), "outcomes": list(self.outcomes), "sampler": self.sampler,
            "samples": self.samples, "sampler_options": dict(self.sampler_options),
            "replicates": self.replicates, "seed": self.seed, "population": self.population,
            "horizon": self.horizon, "analysis": dict(self.analysis),
        }

    def spec_hash(self) -> str:
        """Hash of everything that changes results (not the name, description or outcome list)."""
        content = {k: v for k, v in self.to_dict().items() if k in RESULT_FIELDS}
        return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:12]

    def problem(self) -> dict:
        """The SALib problem: range parameters in their units, levels parameters as an index
        in [0, n_levels) (see ``design_matrix``)."""
        bounds = [[0.0, float(len(p.levels))] if p.levels is not None else [p.low, p.high]
                  for p in self.parameters]
        return {"num_vars": len(self.parameters), "names": self.keys, "bounds": bounds}

    def replace(self, **changes) -> "ExperimentSpec":
        data = asdict(self)
        data["parameters"] = list(self.parameters)
        data.update(changes)
        return ExperimentSpec(**data)


# --------------------------------------------------------------------------- loading
def resolve_path(path_or_name: str | Path) -> Path:
    """A path as given, else ``experiments/NAME.yaml`` in the current folder or the project."""
    path = Path(path_or_name)
    if path.is_file():
        return path
    name = path.name if path.suffix in (".yaml", ".yml") else f"{path.name}.yaml"
    for folder in (Path.cwd() / "experiments", EXPERIMENTS_DIR):
        if (folder / name).is_file():
            return folder / name
    known = sorted(p.stem for p in EXPERIMENTS_DIR.glob("*.yaml"))
    raise ExperimentError(f"experiment file {str(path_or_name)!r} not found: give a path or one of "
                          f"{', '.join(known) or '(none in experiments/)'}")


def parse_experiment(data: Any, name: str, path: str | None = None) -> ExperimentSpec:
    """Build and validate a spec from the file's content (a mapping)."""
    if not isinstance(data, dict):
        raise ExperimentError(f"experiment file must be a mapping of {', '.join(TOP_LEVEL)}; got {type(data).__name__}")
    _no_code(data)
    unknown = [k for k in data if k not in TOP_LEVEL]
    if unknown:
        near = difflib.get_close_matches(str(unknown[0]), TOP_LEVEL, n=1)
        hint = f"did you mean {near[0]}? " if near else ""
        raise ExperimentError(f"unknown key {unknown[0]!r} in experiment file: {hint}allowed are {', '.join(TOP_LEVEL)}")
    sampler = data.get("sampler", "full_factorial")
    if sampler not in SAMPLERS:
        raise ExperimentError(f"sampler={sampler!r} is not a known sampler: expected one of {', '.join(SAMPLERS)}")
    parameters = []
    for role, section in (("lever", "levers"), ("uncertainty", "uncertainties")):
        block = data.get(section) or {}
        if not isinstance(block, dict):
            raise ExperimentError(f"{section} must map dotted config keys to {{range: [low, high]}} or {{levels: [...]}}")
        for key, spec in block.items():
            parameters.append(_parameter(str(key), role, spec, section))
    keys = [p.key for p in parameters]
    duplicate = next((k for k in keys if keys.count(k) > 1), None)
    if duplicate:
        raise ExperimentError(f"{duplicate} is listed twice (as a lever and an uncertainty): list it once")
    options = _sampler_options(sampler, data.get("sampler_options") or {})
    spec = ExperimentSpec(
        name=_name(data.get("name") or name),
        description=str(data.get("description") or "").strip(),
        scenarios=_scenarios(data.get("scenarios", ["baseline"])),
        parameters=parameters,
        sampler=sampler,
        samples=_int(data, "samples", None, 1),
        sampler_options=options,
        replicates=_int(data, "replicates", 1, 1, 10_000),
        seed=_int(data, "seed", 1, 0, 2**31 - 1),
        population=_int(data, "population", 20_000, *_bounds("population.n_agents")),
        horizon=_int(data, "horizon", 40, *_bounds("horizon.quarters")),
        fixed=_fixed(data.get("fixed") or {}),
        path=path,
    )
    spec.analysis = _analysis(data.get("analysis"), sampler)
    _check_sampler(spec)
    _check_configs(spec)
    spec.outcomes = _outcomes(data.get("outcomes") or [])  # last: it needs a tiny run
    return spec


def _no_code(node, where: str = "") -> None:
    """No ``_target_`` (Hydra's "call this") or hydra.* key anywhere in the file."""
    if isinstance(node, list):
        for item in node:
            _no_code(item, where)
    elif isinstance(node, dict):
        for key, value in node.items():
            dotted = f"{where}.{key}" if where else str(key)
            if key == "_target_" or str(key).split(".")[0] == "hydra" or "._target_" in f".{key}":
                raise ExperimentError(f"{dotted} is not allowed in an experiment file: it holds values, "
                                      "never code (_target_) or Hydra settings (hydra.*)")
            _no_code(value, dotted)


def _name(value) -> str:
    """The experiment's name names its store folder, so it is one safe folder-name part."""
    from sim.paths import SAFE_NAME_RULE, is_safe_name

    if not is_safe_name(str(value)):
        raise ExperimentError(f"name={value!r} is not allowed: expected {SAFE_NAME_RULE}")
    return str(value)


def _analysis(value, sampler: str) -> dict:
    """The ``analysis:`` block: sensitivity indices after the runs (sobol or morris only)."""
    if not value:
        return {}
    allowed = ("outcomes", "convergence", "seed", "tornado")
    if not isinstance(value, dict) or any(k not in allowed for k in value):
        raise ExperimentError(f"analysis must be a mapping of {', '.join(allowed)}; got {value!r}")
    if sampler not in ("sobol", "morris"):
        raise ExperimentError(f"analysis needs sampler: sobol or morris (sensitivity indices); sampler is {sampler}")
    outcomes = value.get("outcomes") or []
    if not isinstance(outcomes, list) or not outcomes:
        raise ExperimentError("analysis.outcomes must list outcome columns, e.g. [uptake_by_income.B40]")
    return {"outcomes": [str(o) for o in outcomes], "convergence": bool(value.get("convergence", True)),
            **({"seed": int(value["seed"])} if "seed" in value else {}),
            **({"tornado": bool(value["tornado"])} if "tornado" in value else {})}


def _bounds(key: str) -> tuple[int, int]:
    """The run configuration's range of ``key``, declared beside its default in the schema."""
    from sim.config.schema import allowed_range

    lo, hi = allowed_range(key)
    return int(lo), int(hi)


def _int(data: dict, key: str, default, lo: int, hi: int | None = None):
    value = data.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi is not None and value > hi):
        allowed = f"an integer >= {lo}" if hi is None else f"an integer from {lo} to {hi}"
        raise ExperimentError(f"{key}={value!r} is not allowed: expected {allowed}")
    return value


def _scenarios(value) -> list[str]:
    from sim.config.compose import available

    names = [value] if isinstance(value, str) else list(value or [])
    if not names:
        raise ExperimentError("scenarios is empty: list at least one scenario, e.g. [baseline]")
    known = available("scenario")
    for name in names:
        if name not in known:
            raise ExperimentError(f"scenarios has unknown scenario {name!r}: available are {', '.join(known)}")
    return names


def _leaf(key: str):
    """The schema default at a dotted key; raises ExperimentError if the key is not a setting."""
    from omegaconf import DictConfig, OmegaConf

    from sim.config.keys import closest

    node = _defaults()
    parent = ""
    for part in key.split("."):
        if not isinstance(node, DictConfig) or part not in node:
            known = list(node.keys()) if isinstance(node, DictConfig) else []
            where = parent or "the top level"
            near = closest(key)
            hint = f"did you mean {near}? " if near else ""
            raise ExperimentError(f"{key} is not a known configuration key: {hint}known keys under {where} are "
                                  f"{', '.join(known)}")
        node = node[part] if OmegaConf.is_config(node[part]) else OmegaConf.select(node, part)
        parent = f"{parent}.{part}" if parent else part
    if isinstance(node, DictConfig):
        raise ExperimentError(f"{key} is a group, not a setting: use one of {', '.join(f'{key}.{k}' for k in node)}")
    return node


@lru_cache(maxsize=1)
def _defaults():
    from sim.config.schema import default_config

    return default_config()


def _derived() -> dict:
    from sim.experiment.configs import DERIVED

    return DERIVED


def _parameter(key: str, role: str, spec, section: str) -> Parameter:
    from omegaconf import ListConfig

    from sim.config.schema import allowed_range

    if role == "lever" and not key.startswith("policy."):
        raise ExperimentError(f"levers: {key} is not a lever: levers are policy.* keys (list it under uncertainties)")
    if role == "uncertainty" and key.split(".")[0] not in ("behaviour", "market", "population"):
        raise ExperimentError(f"uncertainties: {key} is not an uncertainty: expected a behaviour.*, market.* or "
                              "population.* key (policy.* keys are levers)")
    default = 0.0 if key in _derived() else _leaf(key)   # a derived key is one number (a range or levels)
    if not isinstance(spec, dict) or len([k for k in ("range", "levels") if k in spec]) != 1:
        raise ExperimentError(f"{section}.{key}={spec!r} is not allowed: expected {{range: [low, high]}} "
                              "or {levels: [v1, v2, ...]}")
    extra = [k for k in spec if k not in ("range", "levels", "steps")]
    if extra:
        raise ExperimentError(f"{section}.{key} has unknown option {extra[0]!r}: allowed are range, levels, steps")
    if "levels" in spec:
        levels = spec["levels"]
        if not isinstance(levels, list) or not levels:
            raise ExperimentError(f"{section}.{key} levels={levels!r} is empty: expected a non-empty list of values")
        return Parameter(key, role, levels=tuple(tuple(v) if isinstance(v, list) else v for v in levels))
    if isinstance(default, (ListConfig, list, str, bool)):
        raise ExperimentError(f"{section}.{key} is not numeric: use {{levels: [...]}} for it")
    bounds = spec["range"]
    if (not isinstance(bounds, list) or len(bounds) != 2
            or not all(isinstance(b, (int, float)) and not isinstance(b, bool) and math.isfinite(b) for b in bounds)):
        raise ExperimentError(f"{section}.{key} range={bounds!r} is not allowed: expected [low, high] (two numbers)")
    low, high = float(bounds[0]), float(bounds[1])
    if low > high:
        raise ExperimentError(f"{section}.{key} range={bounds} has its lower bound above the upper: expected low < high")
    if low == high:
        raise ExperimentError(f"{section}.{key} range={bounds} is empty: expected low < high (use fixed: for one value)")
    allowed = allowed_range(key)
    if allowed is not None:
        lo, hi = allowed
        if low < lo or high > hi:
            raise ExperimentError(f"{section}.{key} range={bounds} is outside the allowed {lo:g} to {hi:g}")
    steps = spec.get("steps")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 2):
        raise ExperimentError(f"{section}.{key} steps={steps!r} is not allowed: expected an integer >= 2")
    return Parameter(key, role, low=low, high=high, steps=steps,
                     integer=isinstance(default, int) and not isinstance(default, bool))


def _sampler_options(sampler: str, options) -> dict:
    allowed = SAMPLER_OPTIONS[sampler]
    if not isinstance(options, dict):
        raise ExperimentError(f"sampler_options must be a mapping: allowed for {sampler} are {', '.join(allowed) or 'none'}")
    for key in options:
        if key not in allowed:
            raise ExperimentError(f"sampler_options.{key} is not an option of {sampler}: allowed are "
                                  f"{', '.join(allowed) or 'none'}")
    merged = {**allowed, **options}
    if sampler == "morris":
        levels = merged["num_levels"]
        if isinstance(levels, bool) or not isinstance(levels, int) or levels < 2 or levels % 2:
            raise ExperimentError(f"sampler_options.num_levels={levels!r} is not allowed: expected an even integer >= 2")
    if sampler == "sobol" and not isinstance(merged["calc_second_order"], bool):
        raise ExperimentError(f"sampler_options.calc_second_order={merged['calc_second_order']!r}: expected true or false")
    return merged


def _check_sampler(spec: ExperimentSpec) -> None:
    """Sample sizes each sampler needs; a full factorial needs a grid for every range."""
    n, s = spec.samples, spec.sampler
    if s == "full_factorial":
        if n is not None:
            raise ExperimentError("samples is not used by full_factorial (the grid sets the size): remove it or "
                                  "choose sampler lhs, sobol or morris")
        for p in spec.parameters:
            if p.levels is None and not p.steps:
                raise ExperimentError(f"{p.key} has a range but full_factorial needs a grid: add steps: N "
                                      "(or use levels)")
        return
    if not spec.parameters:
        raise ExperimentError(f"sampler {s} needs at least one lever or uncertainty")
    minimum = {"lhs": 2, "sobol": 2, "morris": 2}[s]
    if n is None or n < minimum:
        raise ExperimentError(f"samples={n!r} is too few for {s}: expected an integer >= {minimum}")
    if s == "sobol" and n & (n - 1):
        raise ExperimentError(f"samples={n} is not a power of 2: Sobol sequences need N = 2^m (e.g. "
                              f"{2 ** int(math.log2(n))} or {2 ** (int(math.log2(n)) + 1)})")


def _fixed(fixed) -> dict:
    if not isinstance(fixed, dict):
        raise ExperimentError("fixed must map dotted config keys to values")
    for key in fixed:
        _leaf(str(key))
    return {str(k): v for k, v in fixed.items()}


def _outcomes(outcomes) -> list[str]:
    from sim.experiment.outcomes import outcome_names

    names = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    known = outcome_names()
    for name in names:
        if name not in known:
            tops = sorted({k.split(".")[0] for k in known})
            raise ExperimentError(f"outcomes has unknown outcome {name!r}: known are {', '.join(tops)} "
                                  "(nested ones with a dot, e.g. uptake_by_income.B40)")
    return names


def _check_configs(spec: ExperimentSpec) -> None:
    """Validate every scenario's configuration at each parameter's extremes (one at a time)."""
    from omegaconf import OmegaConf

    from sim.config import ConfigError, validate_config
    from sim.experiment.configs import base_configs, expand

    try:
        bases = base_configs(spec)
    except Exception as exc:  # noqa: BLE001 - OmegaConf type errors in fixed values
        key = getattr(exc, "full_key", "") or "fixed"
        value = spec.fixed.get(key)
        raise ExperimentError(f"fixed: {key}={value!r} is not allowed: {str(exc).splitlines()[0]}") from None
    for scenario, base in bases.items():
        checks = [{}]
        for p in spec.parameters:
            values = p.levels if p.levels is not None else (p.value(0.0), p.value(1.0))
            checks += [{p.key: v} for v in values]
        for overrides in checks:
            cfg = base.copy()
            try:
                for key, value in expand(overrides).items():
                    OmegaConf.update(cfg, key, list(value) if isinstance(value, tuple) else value, merge=False)
                validate_config(cfg)
            except ConfigError as exc:
                raise ExperimentError(f"scenario {scenario}: {exc}") from None
            except Exception as exc:  # noqa: BLE001 - OmegaConf type errors
                key, value = next(iter(overrides.items()), ("fixed", None))
                raise ExperimentError(f"scenario {scenario}: {key}={value!r} is not allowed: "
                                      f"{str(exc).splitlines()[0]}") from None


def load_experiment(path_or_name: str | Path, **changes) -> ExperimentSpec:
    """Read, normalise and validate an experiment file (a path or a name in ``experiments/``).

    ``changes`` override top-level fields (e.g. ``population=2000``) before validation.
    """
    from sim.inputs import InputError, load_yaml

    path = resolve_path(path_or_name)
    try:
        data = load_yaml(path, "experiment file", "see docs/RESEARCHER_GUIDE.md or experiments/*.yaml for the format")
    except InputError as exc:
        raise ExperimentError(str(exc)) from None
    if data is None or data == {}:
        raise ExperimentError(f"{path} is empty: an experiment names at least its scenarios and levers or "
                              "uncertainties (see experiments/*.yaml)")
    if isinstance(data, dict):
        data = dict(data)
        data.update(changes)
    return parse_experiment(data, name=path.stem, path=str(path))
