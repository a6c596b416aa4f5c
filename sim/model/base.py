"""What both implementations of the model share besides their learners: the configuration
view, the keyed random streams, the population data, providers and their offers, employers,
the policy ledger, derived behaviour constants and the quarter's market state.

:class:`sim.model.core.MicroCredentialModel` (learners as arrays) and
:class:`sim.reference.model.ReferenceModel` (one Mesa agent per learner) subclass
:class:`MarketModel`; each supplies its learners and ``formal_persons_by_employer``.
"""

from __future__ import annotations

import functools

import mesa
import numpy as np

from sim import metrics
from sim.data import population_data as _load_population_data
from sim.model import rules
from sim.model.agents.employers import build_employers
from sim.model.agents.providers import build_providers
from sim.model.domain import BLENDED, IN_PERSON, ONLINE
from sim.model.plain import plain
from sim.model.policy import Policy
from sim.model.population import build_learners, build_peer_network
from sim.model.processes import demography
from sim.model.rng import Streams
from sim.model.state import MarketState

# Loading a data file solves for income parameters (about a second): once per process.
population_data = functools.lru_cache(maxsize=8)(_load_population_data)


@functools.cache
def one_blas_thread() -> None:
    """Limit BLAS (the dot products of outcomes and metrics) to one thread in this process,
    once. A threaded dot product splits its sum by thread, so its last bits depend on the
    machine's core count; on one thread a run gives the same numbers on any machine and
    executor. It is also faster here: on a loaded machine the threads' hand-offs cost
    milliseconds per call (the model's process-level parallelism is its executors)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")

@functools.cache
def steady_allocator() -> None:
    """Keep the C allocator from handing memory back to the kernel and faulting it in again
    every quarter, once per process (glibc only; elsewhere nothing changes). By default arrays
    above a sliding threshold (128 kB upwards) are mapped and unmapped one by one and the
    heap's top is trimmed when 2x that is free, so the quarter's temporaries of a mid-sized
    run (50,000 learners: up to a few MB) cost about 95,000 page faults and a sixth of the run
    in system time. Fixed thresholds (arrays up to 32 MB from the heap; up to 256 MB of free
    heap kept) take that to a few hundred, with the same peak memory. Allocation never changes
    a number: every array the model reads is written first."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 256 << 20)


KEYED_STREAMS = ("initial_awareness", "rollout", "devices", "skills", "centres", "sponsorship",
                 "awareness", "offer_sampling", "choice", "budget_priority", "seat_priority",
                 "dropout", "recognition", "productivity", "labour", "employer_assignment", demography.STREAM)


class MarketModel(mesa.Model):
    """The shared part of a model run for one scenario and seed.

    Parameters
    ----------
    cfg : RunConfig (OmegaConf, dataclass or dict)
        Validated configuration; read through a plain view (hot loops read it often).
    population : tuple (Learners, peers), optional
        A prebuilt population and peer network; built from ``cfg`` and the seed when omitted.
        Pass a copy: the model mutates learner state.
    """

    def __init__(self, cfg, population=None) -> None:
        one_blas_thread()
        steady_allocator()
        cfg = plain(cfg)
        self.streams_root = Streams(cfg.seed)
        super().__init__(rng=self.streams_root.generator("mesa"))
        self.cfg = cfg
        self.quarter = 0
        self.data = population_data(cfg.population.data)
        self.population_table, self.peers = (population if population is not None
                                             else build_population(cfg, self.streams_root, self.data))
        self.streams = {name: self.streams_root.keyed(name) for name in KEYED_STREAMS}
        campuses = np.asarray(self.data.public_universities_by_state, dtype=np.float64)
        self.providers, self.provider_table, self.offers = build_providers(self, self.streams_root.generator("providers"),
                                                                           np.asarray(self.data.state_shares),
                                                                           {"public_university": campuses / campuses.sum()})
        self.employers, self.employer_table = build_employers(self)
        self.policy = Policy(cfg.policy, cfg.horizon.quarters)
        self.targeting = self.policy.targeting()   # kept: age-band masks are refreshed at birthdays
        beh = cfg.behaviour
        self.bass_p_quarter = metrics.annual_to_quarterly_rate(beh.bass_p_annual)
        self.bass_q_quarter = metrics.annual_to_quarterly_rate(min(beh.bass_q_annual, 1.0))
        self.pv_table = rules.present_value_table(beh.discount_rate_annual, beh.benefit_horizon_years,
                                                  beh.wage_ramp_quarters)
        self.education_taste = np.asarray(beh.taste_by_education, dtype=np.float64)
        self.state = MarketState.initial(self.offers, self.policy.stackable_share(0))
        self.history: list[dict] = []
        self.departed: list[dict] = []     # outcome arrays of persons who left (sim.model.outcomes.person_records)

    def run(self, quarters: int | None = None, progress=None) -> None:
        """Run to the horizon (or ``quarters`` more quarters); ``progress`` is called per quarter."""
        for _ in range(quarters if quarters is not None else self.cfg.horizon.quarters - self.quarter):
            self.step()
            if progress is not None:
                progress()

    # ------------------------------------------------------------------ employers' trust
    def formal_persons_by_employer(self) -> np.ndarray:
        """Persons formally employed at each employer (each implementation counts its learners)."""
        raise NotImplementedError

    def refresh_trust(self) -> None:
        """Gather employers' trust into arrays, and its mean over formal employment."""
        s = self.state
        s.trust_accredited = self.employer_table.trust_accredited()
        s.trust_other = self.employer_table.trust_other()
        persons = self.formal_persons_by_employer()
        total = persons.sum()
        share = persons / total if total > 0 else np.full(len(persons), 1.0 / len(persons))
        s.mean_trust_accredited = float(share @ s.trust_accredited)
        s.mean_trust_other = float(share @ s.trust_other)

    # ------------------------------------------------------------------ offer-table helpers
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


def build_population(cfg, streams: Streams, data):
    """The synthetic learners and their peer network for ``cfg`` and its seed. Depends only on
    the population config and the seed, so a scenario and its baseline share it exactly."""
    persons = cfg.population.persons if cfg.population.persons is not None else data.persons_18_64
    learners = build_learners(cfg.population.n_agents, persons, data, streams.generator("population"))
    peers = build_peer_network(learners, cfg.population.peer_degree, cfg.population.homophily,
                               streams.generator("network"))
    return learners, peers


