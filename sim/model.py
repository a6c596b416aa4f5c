"""MicroCredentialModel: learners, providers and employers on a synthetic Malaysia.

Each quarter government levers act on access and awareness, employers update their trust in
micro-credentials and sponsor training, providers adapt, learners become aware, choose among
offers (rationed by seats and subsidy budgets), study, and meet the labour market; the ledger
books public spending. Learners are a vectorised population; providers and employers are
Mesa agents.
"""

from __future__ import annotations

import functools

import mesa
import numpy as np

from sim import metrics, rules
from sim.agents.employers import build_employers
from sim.agents.providers import build_providers
from sim.data import population_data as _load_population_data
from sim.domain import BLENDED, COURSE_TYPES, FIRM_SIZES, FORMAL, IN_PERSON, ONLINE, employer_index
from sim.outcomes import PersonCounter, quarter_record
from sim.plain import plain
from sim.policy import Policy
from sim.population import build_learners, build_peer_network
from sim.processes import access, awareness, choice, demography, labour, study
from sim.rng import Streams
from sim.targeting import target_mask

# Loading a data file solves for income parameters (about a second): once per process.
population_data = functools.lru_cache(maxsize=8)(_load_population_data)

KEYED_STREAMS = ("initial_awareness", "rollout", "devices", "skills", "centres", "sponsorship",
                 "awareness", "offer_sampling", "choice", "budget_priority", "seat_priority",
                 "dropout", "recognition", "productivity", "labour", "employer_assignment", demography.STREAM)


class MicroCredentialModel(mesa.Model):
    """The simulator for one scenario and seed. ``step()`` advances one quarter.

    Parameters
    ----------
    cfg : RunConfig (OmegaConf or dataclass)
        Validated configuration.
    population : tuple (Learners, peers), optional
        A prebuilt population and peer network; built from ``cfg`` and the seed when omitted.
        Pass a copy: the model mutates learner state.
    """

    def __init__(self, cfg, population=None) -> None:
        cfg = plain(cfg)  # hot loops read parameters thousands of times a quarter
        self.streams_root = Streams(cfg.seed)
        super().__init__(rng=self.streams_root.generator("mesa"))
        self.cfg = cfg
        self.quarter = 0
        self.data = population_data(cfg.population.data)
        if population is None:
            population = build_population(cfg, self.streams_root, self.data)
        self.learners, self.peers = population
        L = self.learners
        set_up_market(self)
        beh = cfg.behaviour
        levers = cfg.policy
        targeting = {
            "subsidy_target": levers.subsidy.targeting,
            "device_target": levers.connectivity.device_targeting,
            "rollout_target": levers.connectivity.rollout_targeting,
            "skills_target": levers.connectivity.skills_targeting,
            "awareness_target": levers.awareness.targeting,
        }
        self.targeting = targeting   # kept: age-band masks are refreshed at birthdays
        self.masks = {name: target_mask(L, groups) for name, groups in targeting.items()}
        self.donors = demography.donor_pool(L, targeting)     # frozen before anyone changes
        self.initial_labour = L.labour.copy()
        self.person_counter = PersonCounter(L.weight)
        ids = np.arange(L.n)
        L.aware[:] = self.streams["initial_awareness"].uniform(ids, 0) < beh.initial_awareness
        self.community_access = np.zeros(L.n, dtype=bool)
        self.sponsored_now = np.zeros(L.n, dtype=bool)
        self.campaign_intensity = 0.0
        self.evidence_attention = 1.0   # weight of observed accredited holders (employer campaigns)
        self.stackable_share = self.policy.stackable_share(0)
        self.offer_demand_persons = 0.7 * self.offers.seats.copy()
        self.offer_enrolled_persons = 0.7 * self.offers.seats.copy()
        self.seat_balance = np.zeros(self.offers.n)   # persons; see rules.open_seat_account
        self.course_outcomes = np.zeros((len(COURSE_TYPES), 2))         # persons: dropped, completed
        self.paid_outcomes_by_accreditation = np.zeros((2, 2))         # [not, accredited] x [dropped, completed]
        self.online_outcomes_by_tier = np.zeros((3, 2))                # connectivity tier x [dropped, completed]
        self.levy_trainees_by_firm_size = np.zeros(len(FIRM_SIZES))    # persons starting levy-sponsored study
        self.new_completers = np.zeros(0, dtype=np.int64)
        self.new_completer_offers = np.zeros(0, dtype=np.int64)
        self.new_qualification_holders = np.zeros(0, dtype=np.int64)
        self.new_qualification_counts = np.zeros(0)
        self.first_enrolment_hazard = {"aware": float("nan"), "all": float("nan")}
        self.accreditation_applications = 0   # MQA reviews started (providers)
        self.accreditation_failures = 0       # reviews failed: value added below the standard
        self.history: list[dict] = []
        self.departed: list[dict] = []     # outcome arrays of persons who left (sim.outcomes.person_records)
        self._refresh_trust()

    # ------------------------------------------------------------------ the quarter
    def step(self) -> None:
        q = self.quarter
        self.stackable_share = self.policy.stackable_share(q)
        access.run(self, q)                                  # 1 policy
        for employer in self.employers:                      # 2 employers learn, sponsor
            employer.step()
        self._refresh_trust()
        self._sponsor(q)
        self.agents_by_type[type(self.providers[0])].shuffle_do("step")  # 3 providers adapt
        awareness.run(self, q)                               # 4 awareness
        choice.run(self, q)                                  # 5 choice and rationing
        study.run(self, q)                                   # 6 study
        labour.run(self, q)                                  # 7 labour market
        demography.run(self, q)                              # 8 accounting: ageing, turnover,
        self.history.append(self._snapshot(q))               #   the quarter's record
        self.quarter += 1

    def run(self, quarters: int | None = None, progress=None) -> None:
        """Run to the horizon (or ``quarters`` more quarters); ``progress`` is called per quarter."""
        remaining = (quarters if quarters is not None else self.cfg.horizon.quarters - self.quarter)
        for _ in range(remaining):
            self.step()
            if progress is not None:
                progress()

    # ------------------------------------------------------------------ helpers for processes
    def _refresh_trust(self) -> None:
        self.trust_accredited = np.array([e.trust_accredited for e in self.employers])
        self.trust_other = np.array([e.trust_other for e in self.employers])
        L = self.learners
        formal = L.labour == FORMAL
        if self.person_counter.uniform:   # exact: see PersonCounter
            persons = np.bincount(L.employer[formal], minlength=len(self.employers)) * self.person_counter.w
        else:
            persons = np.bincount(L.employer[formal], weights=L.weight[formal], minlength=len(self.employers))
        total = persons.sum()
        share = persons / total if total > 0 else np.full(len(persons), 1.0 / len(persons))
        self.mean_trust_accredited = float(share @ self.trust_accredited)
        self.mean_trust_other = float(share @ self.trust_other)

    def observing_employer(self, ids: np.ndarray) -> np.ndarray:
        """The employer that judges a learner's credential: their own when formally employed,
        otherwise the micro, non-levy firm of their state and sector (the informal economy's
        representative employer)."""
        L = self.learners
        fallback = employer_index(L.state[ids].astype(np.int64), L.sector[ids].astype(np.int64), 0, 0)
        return np.where(L.employer[ids] >= 0, L.employer[ids], fallback).astype(np.int64)

    def learner_trust(self, ids: np.ndarray, accredited: np.ndarray) -> np.ndarray:
        """Trust (= recognition probability) of the judging employer in each credential.
        ``accredited`` has shape (n,) or (n, K)."""
        e = self.observing_employer(ids)
        if accredited.ndim == 2:
            e = e[:, None]
        return np.where(accredited, self.trust_accredited[e], self.trust_other[e])

    def _sponsor(self, q: int) -> None:
        """Levy-registered employers offer training to a share of their employees (HRD Corp
        status quo); the sponsored become aware and pay no fee."""
        L = self.learners
        self.sponsored_now[:] = False
        if not self.policy.active("levy_sponsorship", q):
            return
        rate = np.array([e.sponsorship_rate() for e in self.employers])
        idx = np.flatnonzero((L.labour == FORMAL) & L.levy_registered & (L.offer < 0))
        hit = self.streams["sponsorship"].uniform(idx, q) < rate[L.employer[idx]]
        self.sponsored_now[idx[hit]] = True

    def effective_seats(self) -> np.ndarray:
        """New places per offer this quarter (persons): online and blended delivery scale
        with provider readiness; inactive offers have none."""
        o = self.offers
        scale = np.where((o.mode == IN_PERSON), 1.0, 0.5 + o.readiness)
        return np.where(o.active, o.seats * scale, 0.0)

    def course_type(self, k: np.ndarray) -> np.ndarray:
        """Index into COURSE_TYPES for offers ``k``."""
        o = self.offers
        mode = o.mode[k]
        paid_type = np.select([mode == ONLINE, mode == BLENDED], [1, 2], default=3)
        return np.where(o.free_self_paced[k], 0, paid_type)

    def _snapshot(self, q: int) -> dict:
        """State the time series needs, recorded at the end of quarter ``q``."""
        return quarter_record(self, q)


def set_up_market(model) -> None:
    """What every implementation of the model shares besides its learners: keyed streams,
    providers and their offers, employers, the policy ledger and derived behaviour constants."""
    cfg = model.cfg
    model.streams = {name: model.streams_root.keyed(name) for name in KEYED_STREAMS}
    campuses = np.asarray(model.data.public_universities_by_state, dtype=np.float64)
    model.providers, model.offers = build_providers(model, model.streams_root.generator("providers"),
                                                    np.asarray(model.data.state_shares),
                                                    {"public_university": campuses / campuses.sum()})
    model.employers = build_employers(model)
    model.policy = Policy(cfg.policy, cfg.horizon.quarters)
    beh = cfg.behaviour
    model.bass_p_quarter = metrics.annual_to_quarterly_rate(beh.bass_p_annual)
    model.bass_q_quarter = metrics.annual_to_quarterly_rate(min(beh.bass_q_annual, 1.0))
    model.pv_table = rules.present_value_table(beh.discount_rate_annual, beh.benefit_horizon_years,
                                               beh.wage_ramp_quarters)
    model.education_taste = np.asarray(beh.taste_by_education, dtype=np.float64)


def build_population(cfg, streams: Streams, data):
    """The synthetic learners and their peer network for ``cfg`` and its seed. Depends only on
    the population config and the seed, so a scenario and its baseline share it exactly."""
    persons = cfg.population.persons if cfg.population.persons is not None else data.persons_18_64
    learners = build_learners(cfg.population.n_agents, persons, data, streams.generator("population"))
    peers = build_peer_network(learners, cfg.population.peer_degree, cfg.population.homophily,
                               streams.generator("network"))
    return learners, peers
