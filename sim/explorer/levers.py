"""The explorer's levers in an analyst's units (shares, RM million a year, groups) and their
mapping onto the run configuration.

A lever counts as switched on when its main amount is above the status quo (subsidy rate > 0,
rollout faster than 1x or a device budget, campaign intensity > 0, readiness budget > 0);
its other fields then matter. A preset (a ``configs/scenario`` file) fills the levers it sets
and leaves the rest at suggested values that stay inert until the main amount is raised, so
"raise the rate" is all an analyst has to do to try a subsidy.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from functools import lru_cache

from omegaconf import DictConfig

from sim.config.schema import allowed_range

MILLION = 1e6
DEFAULT_AGENTS = 20_000
# The page's menu of population sizes; ``mcsim explore n_agents=...`` may start it at any size
# within the explorer's cap, declared beside population.n_agents in the schema (AGENTS).
POPULATION_SIZES = (5_000, 10_000, 20_000, 50_000, 100_000)
AGENTS = allowed_range("population.n_agents", cap="explorer")
# Each slider: the configuration key it sets and the page's units per unit of that key.
SLIDER_KEYS: dict[str, tuple[str, float]] = {
    "subsidy_rate": ("policy.subsidy.rate", 1),
    "subsidy_cap_rm": ("policy.subsidy.cap_rm", 1),
    "subsidy_budget_m": ("policy.subsidy.annual_budget_rm", 1 / MILLION),
    "rollout_speedup_rural": ("policy.connectivity.rollout_speedup_rural", 1),
    "rollout_budget_m": ("policy.connectivity.rollout_annual_budget_rm", 1 / MILLION),
    "device_budget_m": ("policy.connectivity.device_annual_budget_rm", 1 / MILLION),
    "stackable_share": ("policy.recognition.stackable_share", 1),
    "employer_campaign_m": ("policy.recognition.employer_campaign_annual_budget_rm", 1 / MILLION),
    "awareness_intensity": ("policy.awareness.intensity", 1),
    "awareness_budget_m": ("policy.awareness.annual_budget_rm", 1 / MILLION),
    "readiness_budget_m": ("policy.readiness.annual_budget_rm", 1 / MILLION),
}
# The sliders' menus (low, high, step) in the page's units: each lies within the range the
# schema allows for its key (``allowed``; tests check it), often narrower.
SLIDERS: dict[str, tuple[float, float, float]] = {
    "subsidy_rate": (0, 1, 0.05),
    "subsidy_cap_rm": (0, 5000, 100),
    "subsidy_budget_m": (0, 1000, 10),
    "rollout_speedup_rural": (1, 5, 0.5),
    "rollout_budget_m": (0, 300, 10),
    "device_budget_m": (0, 300, 10),
    "stackable_share": (0, 1, 0.05),
    "employer_campaign_m": (0, 100, 5),
    "awareness_intensity": (0, 1, 0.05),
    "awareness_budget_m": (0, 200, 5),
    "readiness_budget_m": (0, 300, 10),
}
_compose_lock = threading.Lock()  # Hydra's global state is not thread-safe; pages share it


@dataclass(frozen=True)
class Levers:
    """Everything the page lets an analyst set. Money in RM million a year unless noted."""

    preset: str = "baseline"
    subsidy_rate: float = 0.0                  # share of the fee paid by government, 0-1
    subsidy_targeting: tuple[str, ...] = ("B40",)  # groups; empty = every adult
    subsidy_cap_rm: float = 1_500.0            # lifetime subsidy per learner, RM
    subsidy_budget_m: float = 200.0
    rollout_speedup_rural: float = 1.0         # times the status-quo rural rollout pace
    rollout_budget_m: float = 80.0
    device_budget_m: float = 0.0
    stackable_share: float = 0.3               # share of accredited offers stacking into MQF awards
    employer_campaign_m: float = 0.0
    awareness_intensity: float = 0.0           # 0-1
    awareness_targeting: tuple[str, ...] = ()
    awareness_budget_m: float = 40.0
    readiness_budget_m: float = 0.0
    n_agents: int = DEFAULT_AGENTS
    seed: int = 1

    def with_(self, **changes) -> "Levers":
        return replace(self, **changes)


def allowed(name: str) -> tuple[float, float]:
    """The range the schema allows for slider ``name``, in the page's units."""
    key, scale = SLIDER_KEYS[name]
    lo, hi = allowed_range(key)
    return lo * scale, hi * scale


def compose_run(overrides: list[str]) -> DictConfig:
    """``configs/run.yaml`` composed with ``overrides`` (serialised: Hydra is global state)."""
    from sim.config.compose import compose

    with _compose_lock:
        return compose("run", overrides)


@lru_cache(maxsize=None)
def _preset_config(preset: str) -> DictConfig:
    """A scenario file composed (cached: callers get copies through ``with_values``)."""
    return compose_run([f"scenario={preset}"])


def _preset_policy(preset: str) -> DictConfig:
    return _preset_config(preset).policy


def preset_levers(preset: str, n_agents: int = DEFAULT_AGENTS, seed: int = 1) -> Levers:
    """The levers as a scenario preset sets them; inert suggestions where it sets nothing."""
    p = _preset_policy(preset)
    lv = Levers(preset=preset, n_agents=n_agents, seed=seed, stackable_share=float(p.recognition.stackable_share),
                employer_campaign_m=p.recognition.employer_campaign_annual_budget_rm / MILLION)
    if p.subsidy.enabled:
        lv = lv.with_(subsidy_rate=float(p.subsidy.rate), subsidy_targeting=tuple(p.subsidy.targeting),
                      subsidy_cap_rm=float(p.subsidy.cap_rm), subsidy_budget_m=p.subsidy.annual_budget_rm / MILLION)
    if p.connectivity.enabled:
        c = p.connectivity
        lv = lv.with_(rollout_speedup_rural=float(c.rollout_speedup_rural),
                      rollout_budget_m=c.rollout_annual_budget_rm / MILLION,
                      device_budget_m=c.device_annual_budget_rm / MILLION)
    if p.awareness.enabled:
        a = p.awareness
        lv = lv.with_(awareness_intensity=float(a.intensity), awareness_targeting=tuple(a.targeting),
                      awareness_budget_m=a.annual_budget_rm / MILLION)
    if p.readiness.enabled:
        lv = lv.with_(readiness_budget_m=p.readiness.annual_budget_rm / MILLION)
    return lv


def _rm(million: float) -> float:
    return round(float(million) * MILLION, 2)


def lever_values(lv: Levers) -> dict[str, object]:
    """The run configuration's values (dotted keys) that put ``lv`` on its preset."""
    preset = _preset_policy(lv.preset)
    subsidy_on = lv.subsidy_rate > 0
    connectivity_on = bool(preset.connectivity.enabled or lv.rollout_speedup_rural > 1 or lv.device_budget_m > 0)
    awareness_on = lv.awareness_intensity > 0
    readiness_on = lv.readiness_budget_m > 0
    out: dict[str, object] = {"seed": int(lv.seed), "population.n_agents": int(lv.n_agents), "progress": False}
    # A lever that is off keeps the preset's values: they are inert, and the configuration
    # then equals the preset's exactly.
    out["policy.subsidy.enabled"] = subsidy_on
    if subsidy_on:
        out.update({"policy.subsidy.rate": float(lv.subsidy_rate),
                    "policy.subsidy.targeting": list(lv.subsidy_targeting),
                    "policy.subsidy.cap_rm": float(lv.subsidy_cap_rm),
                    "policy.subsidy.annual_budget_rm": _rm(lv.subsidy_budget_m)})
    out["policy.connectivity.enabled"] = connectivity_on
    if connectivity_on:
        out.update({"policy.connectivity.rollout_speedup_rural": float(lv.rollout_speedup_rural),
                    "policy.connectivity.rollout_annual_budget_rm": _rm(lv.rollout_budget_m),
                    "policy.connectivity.device_annual_budget_rm": _rm(lv.device_budget_m)})
    out.update({"policy.recognition.stackable_share": float(lv.stackable_share),
                "policy.recognition.employer_campaign_annual_budget_rm": _rm(lv.employer_campaign_m)})
    out["policy.awareness.enabled"] = awareness_on
    if awareness_on:
        out.update({"policy.awareness.intensity": float(lv.awareness_intensity),
                    "policy.awareness.targeting": list(lv.awareness_targeting),
                    "policy.awareness.annual_budget_rm": _rm(lv.awareness_budget_m)})
    out["policy.readiness.enabled"] = readiness_on
    if readiness_on:
        out["policy.readiness.annual_budget_rm"] = _rm(lv.readiness_budget_m)
    return out


def run_config(lv: Levers) -> DictConfig:
    """The validated run configuration of the scenario twin, named after its preset
    (``<preset>_custom`` when the levers differ from the preset's)."""
    from sim.config import validate_config
    from sim.config.compose import with_values

    cfg = with_values(_preset_config(lv.preset), lever_values(lv))
    if lv != preset_levers(lv.preset, lv.n_agents, lv.seed):
        cfg.scenario.name = f"{lv.preset}_custom"
        cfg.scenario.description = f"Set in the mcsim explorer from the {lv.preset} preset: {describe(lv)}."
    cfg.scenario.annual_public_cost_rm = annual_public_cost_rm(cfg)
    validate_config(cfg)
    return cfg


def baseline_config(lv: Levers) -> DictConfig:
    """The baseline twin: status-quo levers, same population size and seed."""
    from sim.config.compose import with_values

    return with_values(_preset_config("baseline"), {"seed": int(lv.seed), "population.n_agents": int(lv.n_agents),
                                                    "progress": False})


def annual_public_cost_rm(cfg) -> float:
    """Sum of the annual budgets of the levers that are switched on, RM per year."""
    p = cfg.policy
    total = 0.0
    if p.subsidy.enabled:
        total += p.subsidy.annual_budget_rm
    if p.connectivity.enabled:
        c = p.connectivity
        total += (c.rollout_annual_budget_rm + c.device_annual_budget_rm + c.skills_annual_budget_rm
                  + c.access_centres * c.centre_cost_rm_per_year)
    if p.recognition.enabled:
        total += p.recognition.accreditation_annual_budget_rm + p.recognition.employer_campaign_annual_budget_rm
    if p.awareness.enabled:
        total += p.awareness.annual_budget_rm
    if p.readiness.enabled:
        total += p.readiness.annual_budget_rm
    return float(total)


def describe(lv: Levers) -> str:
    """One line in an analyst's words."""
    parts = []
    if lv.subsidy_rate > 0:
        who = "+".join(lv.subsidy_targeting) or "all adults"
        parts.append(f"subsidy {lv.subsidy_rate:.0%} of fees for {who} (cap RM {lv.subsidy_cap_rm:,.0f}, "
                     f"RM {lv.subsidy_budget_m:g}m/yr)")
    if lv.rollout_speedup_rural > 1:
        parts.append(f"rural rollout x{lv.rollout_speedup_rural:g} (RM {lv.rollout_budget_m:g}m/yr)")
    if lv.device_budget_m > 0:
        parts.append(f"device grants RM {lv.device_budget_m:g}m/yr")
    parts.append(f"stackable share {lv.stackable_share:.0%}")
    if lv.employer_campaign_m > 0:
        parts.append(f"employer campaign RM {lv.employer_campaign_m:g}m/yr")
    if lv.awareness_intensity > 0:
        who = "+".join(lv.awareness_targeting) or "all adults"
        parts.append(f"awareness campaign {lv.awareness_intensity:.0%} for {who} (RM {lv.awareness_budget_m:g}m/yr)")
    if lv.readiness_budget_m > 0:
        parts.append(f"readiness grants RM {lv.readiness_budget_m:g}m/yr")
    return "; ".join(parts)


