"""Structured-config schemas (Hydra/OmegaConf dataclasses) for one simulation run.

XLRM vocabulary: ``policy`` holds the **levers** (what government sets), ``behaviour`` and
``market`` hold the **uncertainties** (what nobody sets), ``scenario`` names a lever setting.
Every default is documented with its unit; ranges live in ``sim.config.validate.RANGES`` and
the sources or assumption notes in ``docs/ODD.md``. Quarters are counted from 0 = 2025Q1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore


# --------------------------------------------------------------------------- population
@dataclass
class PopulationConfig:
    n_agents: int = 100_000          # learner agents; each stands for persons / n_agents persons
    persons: Optional[float] = None  # persons represented; None = citizens 18-64 from the data file
    data: str = "malaysia_population"  # data file in sim/data (without .yaml)
    peer_degree: int = 8             # peers per learner in the awareness network
    homophily: float = 0.8           # share of peers drawn from the own state x location x income cell


@dataclass
class HorizonConfig:
    start_year: int = 2025           # quarter 0 is Q1 of this year
    quarters: int = 40               # simulated quarters (40 = 2025Q1-2034Q4)


# --------------------------------------------------------------------------- uncertainties
@dataclass
class BehaviourConfig:
    """Learner behaviour: awareness, choice, completion, labour-market response."""

    # Awareness (Bass diffusion on the peer network); annual probabilities
    bass_p_annual: float = 0.02          # innovation: spontaneous awareness, per year
    bass_q_annual: float = 0.40          # imitation: per year at 100% of peers enrolled
    campaign_effect: float = 0.05        # quarterly awareness probability at full campaign intensity
    initial_awareness: float = 0.15      # share aware in 2025Q1 (assumption, 0.05-0.30)
    # Choice (random utility, outside option 0)
    offers_sampled: int = 3              # offers a learner compares each quarter
    asc_enrol: float = -4.4              # utility of enrolling at all vs not (sets the level)
    taste_by_education: list[float] = field(default_factory=lambda: [-0.6, -0.3, 0.0, 0.2])
    # Lasting heterogeneity: a propensity to learn drawn once per person (utility units), so the
    # keen enrol first and the hazard of a first enrolment falls over time.
    propensity_sd: float = 1.5           # sd of the person's lasting taste for learning
    taste_age_per_decade: float = -0.25  # utility per decade of age above 40 (older adults learn less)
    taste_prior_completion: float = 0.5  # utility once a course has been completed (prior learning)
    unaware_penalty: float = 0.3         # search cost of not knowing micro-credentials (utility)
    money_weight: float = 1.0            # utility per RM of net benefit / RM of the money scale
    money_income_elasticity: float = 1.0  # money scale = median income x (household income / median)^this
    present_bias: float = 0.85           # beta of quasi-hyperbolic discounting
    discount_rate_annual: float = 0.05   # exponential discounting of future wage gains
    benefit_horizon_years: float = 5.0   # years over which a learner counts a wage gain
    theta_time: float = 0.5              # weight of the opportunity cost of study time
    theta_online: float = 1.5            # disutility of online study at zero digital access
    theta_travel_rural: float = 1.0      # disutility of in-person study for rural learners (blended: half)
    gamma_peer: float = 1.0              # utility per share of peers ever enrolled
    sponsor_push: float = 1.5            # utility of an employer's sponsorship offer
    # Credit constraint, smooth: utility cost theta_credit * (net fee / (liquidity share x monthly
    # household income))^2, so a fee of one liquidity share of income costs theta_credit.
    theta_credit: float = 1.0
    liquidity_share_b40: float = 0.20    # share of monthly household income (B40)
    liquidity_share_other: float = 0.30  # share of monthly household income (M40, T20)
    # Completion: logit of the first-quarter dropout hazard
    dropout_base: float = -2.0
    dropout_free_self_paced: float = 4.4
    dropout_online_mobile: float = 0.6
    dropout_low_skill: float = 1.0       # times (1 - digital skill), online only
    dropout_working: float = 0.4
    dropout_readiness: float = 1.0       # times provider readiness
    dropout_later_factor: float = 0.35   # later quarters' hazard relative to the first
    # Labour market
    rent_share: float = 0.5              # share of the productivity gain paid as wage
    qualification_wage_gain: float = 0.05  # wage gain of an MQF award completed by stacking, share of wage
    wage_ramp_quarters: int = 10         # quarters for a recognised wage gain to ramp in
    job_finding_quarter: float = 0.30    # unemployed finding a job, per quarter
    separation_quarter: float = 0.010    # employed losing a job, per quarter
    informal_to_formal_quarter: float = 0.02
    formal_to_informal_quarter: float = 0.0050   # formal employees moving to informal work, per quarter
    formal_share_of_new_jobs: float = 0.72
    credential_job_finding_boost: float = 0.15   # relative increase with a recognised credential
    credential_formalisation_boost: float = 0.5  # relative increase with a recognised credential


@dataclass
class MarketConfig:
    """Providers and employers."""

    providers_per_type: list[int] = field(default_factory=lambda: [20, 40, 60, 60, 10])
    offers_per_provider: int = 2
    value_added_scale: float = 1.0       # multiplies providers' value added (credential quality)
    wage_gain_per_value_added: float = 0.10  # recognised wage gain, share of wage per sd of value added
    accreditation_standard: float = 0.20     # value added (sd of ability) MQA's review requires
    readiness_scale: float = 1.0         # multiplies providers' initial online readiness
    demand_smoothing: float = 0.3        # weight of the latest quarter in expected demand
    seat_adjustment: float = 0.25        # share of the gap to expected demand closed per quarter
    exit_after_low_fill_quarters: int = 8
    low_fill_threshold: float = 0.10
    readiness_investment_quarter: float = 0.01   # own readiness investment per quarter
    accreditation_cost_rm: float = 40_000.0      # one-off cost of MQA accreditation per provider
    accreditation_lag_quarters: int = 2
    accreditation_fee_premium: float = 0.15      # fee increase on accreditation, share
    # Employers' Beta trust in micro-credentials
    trust_prior_mean_accredited: float = 0.45  # weak recognition today (assumption, 0.3-0.6)
    trust_prior_mean_other: float = 0.35
    trust_prior_weight: float = 20.0     # pseudo-observations
    trust_forgetting: float = 0.97       # lambda, per quarter
    evidence_persons_per_observation: float = 1000.0  # persons behind one employer observation
    # A holder "succeeds" when the productivity the employer sees beyond what it expected of this
    # worker (the credential's value added + noise, sd of ability) beats the benchmark.
    productivity_noise_sd: float = 0.25
    productivity_benchmark: float = 0.18
    sponsorship_rate_quarter: float = 0.008  # levy-registered employees offered sponsorship, per quarter


# --------------------------------------------------------------------------- levers
@dataclass
class LeverWindow:
    enabled: bool = False
    start_quarter: int = 0               # first active quarter (0 = 2025Q1)
    end_quarter: Optional[int] = None    # last active quarter, inclusive; None = to the horizon


@dataclass
class SubsidyLever(LeverWindow):
    rate: float = 0.0                    # share of the fee paid by government, 0-1
    cap_rm: float = 0.0                  # lifetime subsidy per learner, RM
    targeting: list[str] = field(default_factory=list)  # groups; empty = everybody
    annual_budget_rm: float = 0.0
    accredited_only: bool = True


@dataclass
class LevySponsorshipLever(LeverWindow):
    enabled: bool = True                 # HRD Corp levy sponsorship: the status quo


@dataclass
class ConnectivityLever(LeverWindow):
    rollout_speedup_rural: float = 1.0   # multiplier on the status-quo rollout rate
    rollout_speedup_urban: float = 1.0
    cost_rm_per_connection: float = 1_200.0   # public cost of an extra upgraded person
    rollout_annual_budget_rm: float = 0.0
    rollout_targeting: list[str] = field(default_factory=list)   # who the speed-up reaches; empty = everybody
    device_grant_rm: float = 1_500.0     # one computer
    device_annual_budget_rm: float = 0.0
    device_targeting: list[str] = field(default_factory=lambda: ["B40"])
    skills_course_rm: float = 250.0      # per learner trained
    skills_gain: float = 0.25            # digital skill added by a course
    skills_annual_budget_rm: float = 0.0
    skills_targeting: list[str] = field(default_factory=list)
    access_centres: int = 0              # community access centres (rural)
    persons_per_centre: float = 3_000.0
    centre_cost_rm_per_year: float = 150_000.0
    # Share of every connectivity outlay (rollout, devices, skills courses, centres) attributed
    # to learning: they serve all a household does online. Assumption: share of internet-use
    # time spent on education and learning, range 0.05-0.25 (configs/uncertainties.yaml).
    learning_share_of_cost: float = 0.10


@dataclass
class RecognitionLever(LeverWindow):
    accreditation_incentive_rm: float = 0.0   # grant per provider on accreditation
    accreditation_annual_budget_rm: float = 0.0
    stackable_share: float = 0.3         # share of accredited offers stackable into MQF awards
    credits_per_qualification: float = 20.0  # MQA credits for an MQF award by stacking (smallest awards: 20-30)
    employer_campaign_annual_budget_rm: float = 0.0
    campaign_pseudo_observations_per_rm_million: float = 0.02  # prior weight added, per employer per quarter
    campaign_attention_per_rm_million: float = 0.5  # extra weight on observed accredited holders, per RM 1m a quarter


@dataclass
class AwarenessLever(LeverWindow):
    intensity: float = 0.0               # campaign intensity, 0-1
    targeting: list[str] = field(default_factory=list)
    cost_rm_per_person_reached: float = 2.0   # per quarter
    annual_budget_rm: float = 0.0


@dataclass
class ReadinessLever(LeverWindow):
    annual_budget_rm: float = 0.0
    grant_rm: float = 250_000.0          # per provider grant
    readiness_per_rm_million: float = 0.4  # readiness gained per RM 1m, times (1 - readiness)


@dataclass
class PolicyConfig:
    subsidy: SubsidyLever = field(default_factory=SubsidyLever)
    levy_sponsorship: LevySponsorshipLever = field(default_factory=LevySponsorshipLever)
    connectivity: ConnectivityLever = field(default_factory=ConnectivityLever)
    recognition: RecognitionLever = field(default_factory=lambda: RecognitionLever(enabled=True))
    awareness: AwarenessLever = field(default_factory=AwarenessLever)
    readiness: ReadinessLever = field(default_factory=ReadinessLever)


@dataclass
class ScenarioInfo:
    name: str = "baseline"
    description: str = ""
    annual_public_cost_rm: float = 0.0   # sum of the scenario's lever budgets, RM per year
    kind: str = "policy"                 # "policy" (an option to compare) or "calibration" (a device)


@dataclass
class RunConfig:
    scenario: ScenarioInfo = field(default_factory=ScenarioInfo)
    seed: int = 1
    population: PopulationConfig = field(default_factory=PopulationConfig)
    horizon: HorizonConfig = field(default_factory=HorizonConfig)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)
    market: MarketConfig = field(default_factory=MarketConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    progress: bool = True                # show a progress bar
    save_learners: bool = False          # also write per-learner final state (learners.parquet)


def register_configs() -> None:
    """Register the schemas with Hydra's ConfigStore (call before composing)."""
    cs = ConfigStore.instance()
    cs.store(name="run_schema", node=RunConfig)
    from sim.config.compare_schema import CompareConfig  # subclasses RunConfig, so imported late

    cs.store(name="compare_schema", node=CompareConfig)


def default_config() -> Any:
    """The embedded defaults as an OmegaConf object (no Hydra composition)."""
    from omegaconf import OmegaConf

    return OmegaConf.structured(RunConfig)
