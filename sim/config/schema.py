"""Structured-config schemas (Hydra/OmegaConf dataclasses) for one simulation run.

XLRM vocabulary: ``policy`` holds the **levers** (what government sets), ``behaviour`` and
``market`` hold the **uncertainties** (what nobody sets), ``scenario`` names a lever setting.
Every default is documented with its unit, and every number with its allowed range beside it
(``ranged(default, low, high)``, as scikit-learn keeps ``_parameter_constraints`` beside
``__init__``); lists of population groups are marked with ``groups(...)``. Validation
(``sim.config.validate``), the commands, the explorer and experiment files read the ranges
from here (``allowed_range``), so a new lever is declared in one place. The plausible ranges
of the uncertainties and their sources are in ``configs/uncertainties.yaml`` and
``docs/ODD.md``. Quarters are counted from 0 = 2025Q1.
"""

from __future__ import annotations

import math
from dataclasses import Field, dataclass, field, fields, is_dataclass
from functools import lru_cache
from typing import Any, Iterator, Optional, get_type_hints

from hydra.core.config_store import ConfigStore

INF = math.inf  # an unbounded end of a range (the value itself must still be finite)


def ranged(default: Any, low: float, high: float, **more: Any) -> Any:
    """A numeric setting allowed from ``low`` to ``high`` inclusive (``INF``: no upper end).
    ``more`` names narrower caps of one consumer, e.g. ``explorer=(100, 1_000_000)``."""
    return field(default=default, metadata={"range": (low, high), **more})


def groups(*default: str) -> Any:
    """A list of population groups (``sim.model.targeting``); empty means everybody."""
    return field(default_factory=lambda: list(default), metadata={"groups": True})


def window(default: Optional[int]) -> Any:
    """A lever's first or last active quarter: allowed by a relation, checked in
    ``sim.config.validate`` (start_quarter >= 0, end_quarter >= start_quarter or None)."""
    return field(default=default, metadata={"relation": "lever window"})


# --------------------------------------------------------------------------- population
@dataclass
class PopulationConfig:
    # learner agents, each standing for persons / n_agents persons; the peer network needs two.
    # The explorer (`mcsim explore`, a page in a browser) runs at most a million.
    n_agents: int = ranged(100_000, 2, 40_000_000, explorer=(100, 1_000_000))
    persons: Optional[float] = ranged(None, 1, 1e9)  # persons represented; None = citizens 18-64 (data file)
    data: str = "malaysia_population"                # data file in sim/data (without .yaml)
    peer_degree: int = ranged(8, 1, 100)             # peers per learner in the awareness network
    homophily: float = ranged(0.8, 0, 1)             # share of peers from the own state x location x income cell


@dataclass
class HorizonConfig:
    start_year: int = ranged(2025, 2000, 2100)       # quarter 0 is Q1 of this year
    quarters: int = ranged(40, 1, 200)               # simulated quarters (40 = 2025Q1-2034Q4)


# --------------------------------------------------------------------------- uncertainties
@dataclass
class BehaviourConfig:
    """Learner behaviour: awareness, choice, completion, labour-market response."""

    # Awareness (Bass diffusion on the peer network); annual probabilities
    bass_p_annual: float = ranged(0.02, 0, 1)        # innovation: spontaneous awareness, per year
    bass_q_annual: float = ranged(0.40, 0, 5)        # imitation: per year at 100% of peers enrolled
    campaign_effect: float = ranged(0.05, 0, 1)      # quarterly awareness probability at full campaign intensity
    initial_awareness: float = ranged(0.15, 0, 1)    # share aware in 2025Q1 (assumption, 0.05-0.30)
    # Choice (random utility, outside option 0)
    offers_sampled: int = ranged(3, 1, 20)           # offers a learner compares each quarter
    asc_enrol: float = ranged(-4.4, -100, 100)       # utility of enrolling at all vs not (sets the level)
    taste_by_education: list[float] = field(default_factory=lambda: [-0.6, -0.3, 0.0, 0.2])
    # Lasting heterogeneity: a propensity to learn drawn once per person (utility units), so the
    # keen enrol first and the hazard of a first enrolment falls over time.
    propensity_sd: float = ranged(1.5, 0, 10)             # sd of the person's lasting taste for learning
    taste_age_per_decade: float = ranged(-0.25, -10, 10)  # utility per decade of age above 40 (older learn less)
    taste_prior_completion: float = ranged(0.5, -10, 10)  # utility once a course has been completed
    unaware_penalty: float = ranged(0.3, 0, 100)     # search cost of not knowing micro-credentials (utility)
    money_weight: float = ranged(1.0, 0, 100)        # utility per RM of net benefit / RM of the money scale
    money_income_elasticity: float = ranged(1.0, 0, 1)  # money scale = median income x (income / median)^this
    present_bias: float = ranged(0.85, 0, 1)         # beta of quasi-hyperbolic discounting
    discount_rate_annual: float = ranged(0.05, 0, 1)   # exponential discounting of future wage gains
    benefit_horizon_years: float = ranged(5.0, 0, 50)  # years over which a learner counts a wage gain
    theta_time: float = ranged(0.5, 0, 100)          # weight of the opportunity cost of study time
    theta_online: float = ranged(1.5, 0, 100)        # disutility of online study at zero digital access
    theta_travel_rural: float = ranged(1.0, 0, 100)  # disutility of in-person study, rural (blended: half)
    gamma_peer: float = ranged(1.0, -100, 100)       # utility per share of peers ever enrolled
    sponsor_push: float = ranged(1.5, 0, 100)        # utility of an employer's sponsorship offer
    # Credit constraint, smooth: utility cost theta_credit * (net fee / (liquidity share x monthly
    # household income))^2, so a fee of one liquidity share of income costs theta_credit.
    theta_credit: float = ranged(1.0, 0, 100)
    liquidity_share_b40: float = ranged(0.20, 1e-3, 100)    # share of monthly household income (B40)
    liquidity_share_other: float = ranged(0.30, 1e-3, 100)  # share of monthly household income (M40, T20)
    # Completion: logit of the first-quarter dropout hazard
    dropout_base: float = ranged(-2.0, -100, 100)
    dropout_free_self_paced: float = ranged(4.4, -100, 100)
    dropout_online_mobile: float = ranged(0.6, -100, 100)
    dropout_low_skill: float = ranged(1.0, -100, 100)      # times (1 - digital skill), online only
    dropout_working: float = ranged(0.4, -100, 100)
    dropout_readiness: float = ranged(1.0, -100, 100)      # times provider readiness
    dropout_later_factor: float = ranged(0.35, 0, 10)      # later quarters' hazard relative to the first
    # Labour market
    rent_share: float = ranged(0.5, 0, 1)            # share of the productivity gain paid as wage
    qualification_wage_gain: float = ranged(0.05, 0, 1)  # wage gain of an MQF award by stacking, share of wage
    wage_ramp_quarters: int = ranged(10, 1, 200)     # quarters for a recognised wage gain to ramp in
    job_finding_quarter: float = ranged(0.30, 0, 1)  # unemployed finding a job, per quarter
    separation_quarter: float = ranged(0.010, 0, 1)  # employed losing a job, per quarter
    informal_to_formal_quarter: float = ranged(0.02, 0, 1)
    formal_to_informal_quarter: float = ranged(0.0050, 0, 1)   # formal employees moving to informal work, per quarter
    formal_share_of_new_jobs: float = ranged(0.72, 0, 1)
    credential_job_finding_boost: float = ranged(0.15, 0, 10)  # relative increase with a recognised credential
    credential_formalisation_boost: float = ranged(0.5, 0, 10)  # relative increase with a recognised credential


@dataclass
class MarketConfig:
    """Providers and employers."""

    providers_per_type: list[int] = field(default_factory=lambda: [20, 40, 60, 60, 10])
    offers_per_provider: int = ranged(2, 1, 20)
    value_added_scale: float = ranged(1.0, 0, 10)    # multiplies providers' value added (credential quality)
    wage_gain_per_value_added: float = ranged(0.10, 0, 1)  # recognised wage gain, share of wage per sd of value added
    accreditation_standard: float = ranged(0.20, 0, 10)    # value added (sd of ability) MQA's review requires
    readiness_scale: float = ranged(1.0, 0, 1.5)     # multiplies providers' initial online readiness
    demand_smoothing: float = ranged(0.3, 0, 1)      # weight of the latest quarter in expected demand
    seat_adjustment: float = ranged(0.25, 0, 1)      # share of the gap to expected demand closed per quarter
    exit_after_low_fill_quarters: int = ranged(8, 1, 1000)
    low_fill_threshold: float = ranged(0.10, 0, 1)
    readiness_investment_quarter: float = ranged(0.01, 0, 1)  # own readiness investment per quarter
    accreditation_cost_rm: float = ranged(40_000.0, 0, INF)   # one-off cost of MQA accreditation per provider
    accreditation_lag_quarters: int = ranged(2, 0, 100)
    accreditation_fee_premium: float = ranged(0.15, 0, 10)    # fee increase on accreditation, share
    # Employers' Beta trust in micro-credentials. Sponsorship scales by trust / the accredited
    # prior (so it must be > 0); with forgetting below 0.5 a long quiet spell forgets even the
    # prior (0/0 trust).
    trust_prior_mean_accredited: float = ranged(0.45, 0.01, 1)  # weak recognition today (assumption, 0.3-0.6)
    trust_prior_mean_other: float = ranged(0.35, 0, 1)
    trust_prior_weight: float = ranged(20.0, 1e-6, INF)   # pseudo-observations
    trust_forgetting: float = ranged(0.97, 0.5, 1)        # lambda, per quarter
    evidence_persons_per_observation: float = ranged(1000.0, 1e-6, INF)  # persons behind one employer observation
    # A holder "succeeds" when the productivity the employer sees beyond what it expected of this
    # worker (the credential's value added + noise, sd of ability) beats the benchmark.
    productivity_noise_sd: float = ranged(0.25, 0, INF)
    productivity_benchmark: float = ranged(0.18, -10, 10)
    sponsorship_rate_quarter: float = ranged(0.008, 0, 1)  # levy-registered employees offered sponsorship, per quarter


# --------------------------------------------------------------------------- levers
@dataclass
class LeverWindow:
    enabled: bool = False
    start_quarter: int = window(0)                   # first active quarter (0 = 2025Q1)
    end_quarter: Optional[int] = window(None)        # last active quarter, inclusive; None = to the horizon


@dataclass
class SubsidyLever(LeverWindow):
    rate: float = ranged(0.0, 0, 1)                  # share of the fee paid by government, 0-1
    cap_rm: float = ranged(0.0, 0, INF)              # lifetime subsidy per learner, RM
    targeting: list[str] = groups()                  # groups; empty = everybody
    annual_budget_rm: float = ranged(0.0, 0, INF)
    accredited_only: bool = True


@dataclass
class LevySponsorshipLever(LeverWindow):
    enabled: bool = True                             # HRD Corp levy sponsorship: the status quo


@dataclass
class ConnectivityLever(LeverWindow):
    rollout_speedup_rural: float = ranged(1.0, 1, 100)       # multiplier on the status-quo rollout rate
    rollout_speedup_urban: float = ranged(1.0, 1, 100)
    cost_rm_per_connection: float = ranged(1_200.0, 0, INF)  # public cost of an extra upgraded person
    rollout_annual_budget_rm: float = ranged(0.0, 0, INF)
    rollout_targeting: list[str] = groups()                  # who the speed-up reaches; empty = everybody
    device_grant_rm: float = ranged(1_500.0, 0, INF)         # one computer
    device_annual_budget_rm: float = ranged(0.0, 0, INF)
    device_targeting: list[str] = groups("B40")
    skills_course_rm: float = ranged(250.0, 0, INF)          # per learner trained
    skills_gain: float = ranged(0.25, 0, 1)                  # digital skill added by a course
    skills_annual_budget_rm: float = ranged(0.0, 0, INF)
    skills_targeting: list[str] = groups()
    access_centres: int = ranged(0, 0, 1_000_000)            # community access centres (rural)
    persons_per_centre: float = ranged(3_000.0, 0, INF)
    centre_cost_rm_per_year: float = ranged(150_000.0, 0, INF)
    # Share of every connectivity outlay (rollout, devices, skills courses, centres) attributed
    # to learning: they serve all a household does online. Assumption: share of internet-use
    # time spent on education and learning, range 0.05-0.25 (configs/uncertainties.yaml).
    learning_share_of_cost: float = ranged(0.10, 0, 1)


@dataclass
class RecognitionLever(LeverWindow):
    accreditation_incentive_rm: float = ranged(0.0, 0, INF)  # grant per provider on accreditation
    accreditation_annual_budget_rm: float = ranged(0.0, 0, INF)
    stackable_share: float = ranged(0.3, 0, 1)               # share of accredited offers stackable into MQF awards
    # MQA credits for an MQF award by stacking (smallest awards: 20-30)
    credits_per_qualification: float = ranged(20.0, 0.5, 1000)
    employer_campaign_annual_budget_rm: float = ranged(0.0, 0, INF)
    # prior weight added, per employer per quarter
    campaign_pseudo_observations_per_rm_million: float = ranged(0.02, 0, INF)
    # extra weight on observed accredited holders, per RM 1m a quarter
    campaign_attention_per_rm_million: float = ranged(0.5, 0, INF)


@dataclass
class AwarenessLever(LeverWindow):
    intensity: float = ranged(0.0, 0, 1)             # campaign intensity, 0-1
    targeting: list[str] = groups()
    cost_rm_per_person_reached: float = ranged(2.0, 0, INF)  # per quarter
    annual_budget_rm: float = ranged(0.0, 0, INF)


@dataclass
class ReadinessLever(LeverWindow):
    annual_budget_rm: float = ranged(0.0, 0, INF)
    grant_rm: float = ranged(250_000.0, 1e-6, INF)   # per provider grant
    readiness_per_rm_million: float = ranged(0.4, 0, INF)  # readiness gained per RM 1m, times (1 - readiness)


@dataclass
class StudyLeaveLever(LeverWindow):
    """Paid study leave: government reimburses employers for a share of the study hours of
    working learners (an entitlement, no budget cap; the cost is booked as it is claimed)."""

    paid_share: float = ranged(0.0, 0, 1)    # share of a working learner's study hours paid as leave


@dataclass
class PolicyConfig:
    """The levers, one field each: their names are the lever names everywhere (validation,
    ledger, outputs). A lever spends public money unless marked ``public: False``."""

    subsidy: SubsidyLever = field(default_factory=SubsidyLever)
    # paid from employers' HRD Corp levy: no public money, so no column of public spending
    levy_sponsorship: LevySponsorshipLever = field(default_factory=LevySponsorshipLever, metadata={"public": False})
    connectivity: ConnectivityLever = field(default_factory=ConnectivityLever)
    recognition: RecognitionLever = field(default_factory=lambda: RecognitionLever(enabled=True))
    awareness: AwarenessLever = field(default_factory=AwarenessLever)
    readiness: ReadinessLever = field(default_factory=ReadinessLever)
    study_leave: StudyLeaveLever = field(default_factory=StudyLeaveLever)


@dataclass
class ScenarioInfo:
    name: str = "baseline"
    description: str = ""
    annual_public_cost_rm: float = ranged(0.0, 0, INF)  # sum of the scenario's lever budgets, RM per year
    kind: str = "policy"                 # "policy" (an option to compare) or "calibration" (a device)


@dataclass
class RunConfig:
    scenario: ScenarioInfo = field(default_factory=ScenarioInfo)
    seed: int = ranged(1, 0, 2**63 - 1)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    horizon: HorizonConfig = field(default_factory=HorizonConfig)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)
    market: MarketConfig = field(default_factory=MarketConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    progress: bool = True                # show a progress bar
    save_learners: bool = False          # also write per-learner final state (learners.parquet)


# --------------------------------------------------------------------------- reading the schema
def settings(schema: type = RunConfig, prefix: str = "") -> Iterator[tuple[str, Field, Any]]:
    """Every setting of ``schema`` as (dotted key, dataclass field, type), depth first in
    declaration order (groups such as ``policy.subsidy`` are walked, not listed)."""
    hints = get_type_hints(schema)
    for f in fields(schema):
        kind = hints[f.name]
        if is_dataclass(kind):
            yield from settings(kind, f"{prefix}{f.name}.")
        else:
            yield f"{prefix}{f.name}", f, kind


@lru_cache(maxsize=1)
def _run_settings() -> dict[str, Field]:
    return {key: f for key, f, _ in settings()}


def allowed_range(key: str, cap: str | None = None) -> tuple[float, float] | None:
    """(low, high) a dotted run setting allows (``behaviour.asc_enrol`` -> (-100, 100)); None
    for a setting without a range (text, flags, lists, lever windows). ``cap`` names a
    consumer's narrower cap (``explorer``) where the schema declares one."""
    f = _run_settings().get(key)
    if f is None or "range" not in f.metadata:
        return None
    return tuple(f.metadata[cap]) if cap and cap in f.metadata else f.metadata["range"]


# key -> (lowest allowed, highest allowed), in schema order; what validation checks
RANGES: dict[str, tuple[float, float]] = {key: f.metadata["range"] for key, f, _ in settings()
                                          if "range" in f.metadata}
GROUP_KEYS = tuple(key for key, f, _ in settings() if f.metadata.get("groups"))  # lists of population groups
LEVERS = tuple(f.name for f in fields(PolicyConfig))
PUBLIC_LEVERS = tuple(f.name for f in fields(PolicyConfig) if f.metadata.get("public", True))


# --------------------------------------------------------------------------- commands
# The schemas of the commands whose config files extend a run (configs/compare.yaml,
# configs/bench.yaml): every run key, applied to every run, plus the command's own keys.
@dataclass
class CompareConfig(RunConfig):
    scenarios: list[str] = field(default_factory=list)  # scenario names; empty = every named scenario
    replicates: int = 10             # seeds per scenario (per parameter draw with draws > 0), the same in every scenario
    draws: int = 0                   # parameter draws (configs/uncertainties.yaml, posterior sample); 0 = none
    executor: str = "process"        # serial | process (all cores) | ray; identical numbers on each
    workers: Optional[int] = None    # processes for executor=process; None = all cores


@dataclass
class BenchSettings:
    reference_agents: int = 2000              # agents in the reference (per-agent Mesa) run
    reference_quarters: Optional[int] = None  # quarters of the reference run; None = horizon.quarters
    scaling: list[int] = field(default_factory=list)  # extra sizes (agents) to time, each in a child
    plot: Optional[str] = None                # write a time/memory vs agents plot (PNG) here
    # Workloads analysts run (sim/experiment/throughput.py); a size of 0 skips the measure.
    warm_agents: int = 50_000                 # one run in a warm worker (the second in the same process)
    cli_agents: int = 100_000                 # `mcsim run population.n_agents=N` end to end, a new process
    many_scenarios: list[str] = field(default_factory=lambda: [
        "awareness_campaign", "b40_voucher", "baseline", "integrated", "provider_readiness",
        "recognition_push", "rural_connectivity", "universal_voucher"])  # the comparison's scenarios
    many_draws: int = 10                      # seeds per scenario in the many-run workload; 0 = skip it
    many_agents: int = 50_000                 # agents per run of the many-run workload
    many_workers: Optional[int] = None        # process-executor workers; None = all cores
    many_baseline: Optional[str] = "docs/figures/many_runs_baseline.json"  # recorded figure (None: none)


@dataclass
class BenchConfig(RunConfig):
    bench: BenchSettings = field(default_factory=BenchSettings)


@dataclass
class OptimiseSettings:
    """``mcsim optimise``: the search for the best lever mix within an annual budget
    (sim/experiment/optimise, docs/RESEARCHER_GUIDE.md "Best lever mix for a budget")."""

    name: Optional[str] = None        # output folder results/optimise/<name>; None = optimise-<settings hash>
    budget_rm: float = 400_000_000.0  # annual public spend at most this (RM per year); the budget split's total
    # pots the budget is split among (sim.model.policy.POTS names with an annual budget)
    pots: list[str] = field(default_factory=lambda: [
        "subsidy", "connectivity.rollout", "connectivity.devices", "connectivity.skills",
        "recognition.accreditation", "recognition.employer_campaign", "awareness", "readiness"])
    # lever -> setting -> {range: [low, high], step: s} or {choices: [v1, v2, ...]} (policy.<lever>.<setting>)
    levers: Optional[dict[str, Any]] = field(default_factory=dict)
    equity: str = "rate_ratio_b40_t20"   # the equity objective (an uptake ratio, maximised)
    equity_floors: Optional[dict[str, float]] = field(default_factory=dict)  # uptake ratio -> robust value at least this
    robust_percentile: float = 20.0   # percentile over (draw, seed) cells of the paired outcomes
    draws: int = 20                   # parameter draws (sim.experiment.uncertainty.parameter_draws)
    seeds: int = 1                    # seeds per draw: cell (d, r) uses seed + d * seeds + r
    algorithm: str = "nsga2"          # nsga2 | nsga3 (pymoo)
    population_size: int = 16         # candidates per generation
    generations: int = 10             # generations (the first is the initial population)
    search_seed: int = 1              # pymoo's seed: the same seed proposes the same candidates
    start_from: list[str] = field(default_factory=list)  # scenarios encoded into the first generation
    recommend_at_rm: list[float] = field(default_factory=lambda: [50e6, 100e6, 200e6, 400e6])  # RM per year
    compare: bool = True              # compare the recommended mixes with the named scenarios afterwards
    compare_scenarios: list[str] = field(default_factory=list)
    compare_draws: int = 20           # fresh parameter draws for the comparison (draw seed = seed + 1000)
    compare_seeds: int = 2            # seeds per comparison draw
    executor: str = "process"         # serial | process | ray (sim/experiment/executors.py)
    workers: Optional[int] = None     # processes (or local Ray CPUs); None = all cores


@dataclass
class OptimiseConfig(RunConfig):
    optimise: OptimiseSettings = field(default_factory=OptimiseSettings)


@lru_cache(maxsize=None)
def register_configs() -> None:
    """Register the schemas with Hydra's ConfigStore (call before composing). Once per
    process: the store outlives Hydra's global state, and each registration types four
    schemas (about 70 ms)."""
    cs = ConfigStore.instance()
    cs.store(name="run_schema", node=RunConfig)
    cs.store(name="compare_schema", node=CompareConfig)
    cs.store(name="bench_schema", node=BenchConfig)
    cs.store(name="optimise_schema", node=OptimiseConfig)


def default_config() -> Any:
    """The embedded defaults as an OmegaConf object (no Hydra composition)."""
    from omegaconf import OmegaConf

    return OmegaConf.structured(RunConfig)
