"""Validate a run configuration up front, scikit-learn style: every problem is reported as
one line naming the key, the value and what is allowed, before any work starts.

Types and unknown keys are already enforced by the structured-config schema. This module
checks the ranges and lists of groups the schema declares beside each default
(``sim.config.schema.ranged``/``groups``), and the relations between keys.
"""

from __future__ import annotations

import math
from typing import Any

from omegaconf import DictConfig, OmegaConf

from sim.config.schema import GROUP_KEYS, INF, LEVERS, RANGES
from sim.paths import SAFE_NAME_RULE, is_safe_name
from sim.model.targeting import GROUPS


class ConfigError(ValueError):
    """A configuration value that is not allowed. ``str(err)`` is a one-line message."""


def _allowed(lo: float, hi: float) -> str:
    if hi == INF:
        return f"a number >= {lo:g}"
    return f"a number from {lo:g} to {hi:g}"


def validate_config(cfg: DictConfig | Any) -> None:
    """Raise :class:`ConfigError` on the first value that is not allowed."""
    if not isinstance(cfg, DictConfig):
        cfg = OmegaConf.structured(cfg)
    for key, (lo, hi) in RANGES.items():
        value = OmegaConf.select(cfg, key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"{key}={value!r} is not allowed: expected {_allowed(lo, hi)}")
        if not lo <= value <= hi:
            raise ConfigError(f"{key}={value!r} is out of range: expected {_allowed(lo, hi)}")
    for key in GROUP_KEYS:
        for group in OmegaConf.select(cfg, key) or []:
            if group not in GROUPS:
                raise ConfigError(
                    f"{key} has unknown group {group!r}: allowed groups are {', '.join(GROUPS)}"
                )
    for lever in LEVERS:
        node = cfg.policy[lever]
        start, end = node.start_quarter, node.end_quarter
        if start < 0:
            raise ConfigError(f"policy.{lever}.start_quarter={start} is out of range: expected >= 0")
        if end is not None and end < start:
            raise ConfigError(
                f"policy.{lever}.end_quarter={end} is before start_quarter={start}: "
                "expected end_quarter >= start_quarter (or null for the whole horizon)"
            )
    if not is_safe_name(cfg.scenario.name):  # it names the run's output folder
        raise ConfigError(f"scenario.name={cfg.scenario.name!r} is not allowed: expected {SAFE_NAME_RULE}")
    if cfg.scenario.kind not in ("policy", "calibration"):
        raise ConfigError(f"scenario.kind={cfg.scenario.kind!r} is not allowed: expected policy or calibration")
    taste = list(cfg.behaviour.taste_by_education)
    if len(taste) != 4:
        raise ConfigError(
            f"behaviour.taste_by_education has {len(taste)} values: expected 4 "
            "(primary, spm, diploma, degree)"
        )
    providers = list(cfg.market.providers_per_type)
    if len(providers) != 5 or min(providers) < 0 or sum(providers) == 0:
        raise ConfigError(
            f"market.providers_per_type={providers} is not allowed: expected 5 counts >= 0 "
            "(public_university, private_hei, tvet, industry_trainer, online_platform), not all 0"
        )
    if cfg.policy.subsidy.enabled and cfg.policy.subsidy.rate > 0 and cfg.policy.subsidy.cap_rm == 0:
        raise ConfigError(
            f"policy.subsidy.cap_rm=0 with rate={cfg.policy.subsidy.rate}: a subsidy needs a "
            "per-learner cap > 0 RM"
        )
