"""Parameter uncertainty for many runs: the model's uncertain parameters and draws of them.

Every behavioural and market parameter (and the accounting assumptions of the levers) has a
range and a basis in ``configs/uncertainties.yaml``. A *draw* is one joint value of all of
them, used for every scenario of a comparison (so effects stay paired within a draw):

- **calibrated** parameters (the ``parameters:`` box of ``configs/calibration/targets.yaml``)
  come jointly from the calibration's posterior sample, ``configs/behaviour/posterior.csv``
  (rows drawn with probability proportional to their ``weight``, so the correlations the
  targets impose are kept); without that file they stay at the calibrated point
  (``configs/behaviour/calibrated.yaml``, the values every run uses);
- **assumptions** (everything else) are drawn by Latin hypercube over their ranges, uniform.

The list parameter ``behaviour.taste_by_education`` varies as the derived key
``behaviour.education_gradient`` (``sim.experiment.configs.DERIVED``), the way calibration fits it.
Parameter groups for the value of information are in ``configs/uncertainty_groups.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.compose import CONFIG_DIR

UNCERTAINTIES = CONFIG_DIR / "uncertainties.yaml"
GROUPS = CONFIG_DIR / "uncertainty_groups.yaml"
TARGETS = CONFIG_DIR / "calibration" / "targets.yaml"
POSTERIOR = CONFIG_DIR / "behaviour" / "posterior.csv"
# A list parameter varied as one derived number (the calibration's parameterisation).
LIST_AS_DERIVED = {"behaviour.taste_by_education": "behaviour.education_gradient"}


class UncertaintyError(ValueError):
    """A bad uncertainties, groups or posterior file; the message is one line naming the file."""


@dataclass(frozen=True)
class Uncertainty:
    key: str            # dotted config key (or a derived key, see LIST_AS_DERIVED)
    low: float
    high: float
    integer: bool       # an int field: drawn values are rounded
    calibrated: bool    # drawn from the posterior sample, not from the range
    group: str
    basis: str

    @property
    def source(self) -> str:
        return "calibrated" if self.calibrated else "assumption"


def _yaml(path: Path) -> dict:
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise UncertaintyError(f"{path}: cannot read: {exc}".splitlines()[0]) from None
    if not isinstance(data, dict):
        raise UncertaintyError(f"{path}: expected a mapping")
    return data


def calibrated_box(targets: Path = TARGETS) -> dict[str, tuple[float, float]]:
    """The calibration's parameters and prior ranges (``parameters:`` of the targets file)."""
    box = _yaml(targets).get("parameters") or {}
    return {str(k): (float(v[0]), float(v[1])) for k, v in box.items()}


def load_uncertainties(path: Path = UNCERTAINTIES, groups: Path = GROUPS,
                       targets: Path = TARGETS) -> list[Uncertainty]:
    """Every uncertain parameter, in file order, with its range, group and whether it is calibrated."""
    from sim.config.schema import RANGES, settings

    table = _yaml(path)
    group_of = {}
    for group, keys in (_yaml(groups).get("groups") or {}).items():
        for key in keys or []:
            if key in group_of:
                raise UncertaintyError(f"{groups}: {key} is in two groups ({group_of[key]}, {group})")
            group_of[key] = str(group)
    integer = {key for key, _, kind in settings() if kind is int}
    box = calibrated_box(targets)
    out = []
    for section, entries in table.items():
        for name, entry in (entries or {}).items():
            key = f"{section}.{name}"
            if key not in group_of:
                raise UncertaintyError(f"{groups}: {key} (in {Path(path).name}) belongs to no group")
            try:
                low, high = (float(v) for v in entry["range"])
            except (KeyError, TypeError, ValueError):
                raise UncertaintyError(f"{path}: {key} needs range: [low, high]") from None
            derived = LIST_AS_DERIVED.get(key)
            if entry.get("each") and derived is None:
                continue  # a list parameter with no one-number form: not drawn
            draw_key = derived or key
            if draw_key in box:
                low, high = box[draw_key]
            elif key not in RANGES:
                raise UncertaintyError(f"{path}: {key} is not a numeric setting of the schema")
            out.append(Uncertainty(draw_key, low, high, key in integer, draw_key in box, group_of[key],
                                   str(entry.get("basis", "")).strip()))
    unknown = sorted(set(group_of) - {f"{s}.{n}" for s, e in table.items() for n in (e or {})})
    if unknown:
        raise UncertaintyError(f"{groups}: {unknown[0]} is not in {Path(path).name}")
    return out


def load_posterior(path: Path = POSTERIOR) -> pd.DataFrame | None:
    """The calibration's posterior sample (one row a particle, ``weight`` summing to 1), or
    None when the file does not exist."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        frame = pd.read_csv(path, comment="#")
    except (OSError, ValueError) as exc:
        raise UncertaintyError(f"{path}: cannot read the posterior sample: {exc}".splitlines()[0]) from None
    if frame.empty or "weight" not in frame.columns:
        raise UncertaintyError(f"{path}: expected a header with the calibrated parameters and weight, and rows")
    weight = frame["weight"].to_numpy(float)
    if not np.all(np.isfinite(weight)) or np.any(weight < 0) or weight.sum() <= 0:
        raise UncertaintyError(f"{path}: weight must be finite, >= 0 and not all 0")
    return frame.assign(weight=weight / weight.sum())


def parameter_draws(n_draws: int, seed: int, uncertainties: list[Uncertainty] | None = None,
                    posterior: pd.DataFrame | None | str = "default") -> pd.DataFrame:
    """``n_draws`` joint draws of the uncertain parameters: one row per draw (index ``draw``,
    0..n-1), one column per dotted key (values for ``with_values`` after
    ``sim.experiment.configs.expand``). The same ``seed`` gives the same draws.

    Calibrated parameters come from ``posterior`` (a frame as :func:`load_posterior` returns;
    ``"default"`` reads ``configs/behaviour/posterior.csv``; None keeps them at the calibrated
    point, i.e. they get no column), assumptions by Latin hypercube over their ranges."""
    from sim.experiment.samplers import unit_points

    if n_draws < 1:
        raise ValueError(f"n_draws={n_draws}: expected at least 1 draw")
    params = load_uncertainties() if uncertainties is None else uncertainties
    if isinstance(posterior, str):
        posterior = load_posterior()
    assumed = [p for p in params if not p.calibrated]
    unit = unit_points("lhs", len(assumed), n_draws, seed)
    columns: dict[str, np.ndarray] = {}
    for j, p in enumerate(assumed):
        values = p.low + unit[:, j] * (p.high - p.low)
        columns[p.key] = np.rint(values) if p.integer else values
    if posterior is not None:
        rng = np.random.default_rng([int(seed), 0x9E37])  # its own stream: adding assumptions leaves it alone
        rows = rng.choice(len(posterior), size=n_draws, replace=True, p=posterior["weight"].to_numpy(float))
        for p in params:
            if p.calibrated:
                if p.key not in posterior.columns:
                    raise UncertaintyError(f"{POSTERIOR}: no column {p.key} (calibrated in {TARGETS.name})")
                columns[p.key] = posterior[p.key].to_numpy(float)[rows]
    order = [p.key for p in params if p.key in columns]
    frame = pd.DataFrame({k: columns[k] for k in order})
    frame.index.name = "draw"
    return frame


def draw_values(draws: pd.DataFrame, draw: int) -> dict[str, float]:
    """One draw as ``{dotted key: value}`` (``with_values`` rounds the values of int fields)."""
    return {str(k): float(v) for k, v in draws.loc[draw].items()}


def checked_draws(n_draws: int, seed: int, held: set[str], bases: dict) -> pd.DataFrame:
    """:func:`parameter_draws` without the parameters in ``held`` (set by the user, so not
    uncertain here; ``behaviour.taste_by_education`` holds the education gradient), every draw
    validated on every base configuration of ``bases`` ({name: config}) before any run.
    Raises UncertaintyError or ``sim.config.ConfigError`` (naming the base and the draw)."""
    from sim.config import ConfigError, validate_config
    from sim.config.compose import with_values
    from sim.experiment.configs import expand

    draws = parameter_draws(int(n_draws), int(seed))
    drop = [k for k in draws.columns if k in held or (k == LIST_AS_DERIVED["behaviour.taste_by_education"]
                                                       and "behaviour.taste_by_education" in held)]
    draws = draws.drop(columns=drop)
    for name, base in bases.items():
        for d in draws.index:
            try:
                validate_config(with_values(base, expand(draw_values(draws, d))))
            except ConfigError as exc:
                raise ConfigError(f"{name}, parameter draw {d}: {exc}") from None
    return draws


def draws_meta(draws: pd.DataFrame) -> dict:
    """What a report needs to read the draws later: each drawn parameter's group (for the value
    of information), basis (calibrated or assumption) and range, as the files say now."""
    params = [p for p in load_uncertainties() if p.key in draws.columns]
    groups: dict[str, list[str]] = {}
    for p in params:
        groups.setdefault(p.group, []).append(p.key)
    return {"parameter_groups": groups, "parameter_basis": {p.key: p.source for p in params},
            "parameter_ranges": {p.key: [p.low, p.high] for p in params},
            "posterior": "configs/behaviour/posterior.csv" if any(p.calibrated for p in params) else None}
