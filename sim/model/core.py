"""MicroCredentialModel: learners, providers and employers on a synthetic Malaysia.

Each quarter government levers act on access and awareness, employers update their trust in
micro-credentials and sponsor training, providers adapt, learners become aware, choose among
offers (rationed by seats and subsidy budgets), study, and meet the labour market; the ledger
books public spending. Learners are a vectorised population; providers and employers are
Mesa agents.
"""

from __future__ import annotations

import numpy as np

from sim.model.base import KEYED_STREAMS, MarketModel, build_population, population_data  # noqa: F401 (re-exported)
from sim.model.agents.providers import step_providers
from sim.model.domain import FORMAL, employer_index
from sim.model.outcomes import PersonCounter, quarter_record
from sim.model.processes import access, awareness, choice, demography, labour, study
from sim.model.targeting import target_mask


class MicroCredentialModel(MarketModel):
    """The simulator for one scenario and seed, learners as arrays. ``step()`` advances one
    quarter. Constructor: see :class:`sim.model.base.MarketModel`."""

    def __init__(self, cfg, population=None) -> None:
        super().__init__(cfg, population)
        self.learners = L = self.population_table
        self.masks = {name: target_mask(L, groups) for name, groups in self.targeting.items()}
        self.donors = demography.donor_pool(L, self.targeting)     # frozen before anyone changes
        self.initial_labour = L.labour.copy()
        self.person_counter = PersonCounter(L.weight)
        ids = np.arange(L.n)
        L.aware[:] = self.streams["initial_awareness"].uniform(ids, 0) < self.cfg.behaviour.initial_awareness
        self.state.community_access = np.zeros(L.n, dtype=bool)
        self.state.sponsored_now = np.zeros(L.n, dtype=bool)
        self.refresh_trust()

    # ------------------------------------------------------------------ the quarter
    def step(self) -> None:
        q = self.quarter
        self.state.stackable_share = self.policy.stackable_share(q)
        access.run(self, q)                                  # 1 policy
        self.employer_table.step(self.cfg.market.trust_forgetting)  # 2 employers learn, sponsor
        self.refresh_trust()
        self._sponsor(q)
        step_providers(self)                                 # 3 providers adapt
        awareness.run(self, q)                               # 4 awareness
        choice.run(self, q)                                  # 5 choice and rationing
        study.run(self, q)                                   # 6 study
        labour.run(self, q)                                  # 7 labour market
        demography.run(self, q)                              # 8 accounting: ageing, turnover,
        self.history.append(self._snapshot(q))               #   the quarter's record
        self.quarter += 1

    # ------------------------------------------------------------------ helpers for processes
    def formal_persons_by_employer(self) -> np.ndarray:
        L = self.learners
        formal = L.labour == FORMAL
        if self.person_counter.uniform:   # exact: see PersonCounter
            return np.bincount(L.employer[formal], minlength=len(self.employers)) * self.person_counter.w
        return np.bincount(L.employer[formal], weights=L.weight[formal], minlength=len(self.employers))

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
        return np.where(accredited, self.state.trust_accredited[e], self.state.trust_other[e])

    def _sponsor(self, q: int) -> None:
        """Levy-registered employers offer training to a share of their employees (HRD Corp
        status quo); the sponsored become aware and pay no fee."""
        L = self.learners
        self.state.sponsored_now[:] = False
        if not self.policy.active("levy_sponsorship", q):
            return
        rate = self.employer_table.sponsorship_rates(self.cfg.market)
        idx = np.flatnonzero((L.labour == FORMAL) & L.levy_registered & (L.offer < 0))
        hit = self.streams["sponsorship"].uniform(idx, q) < rate[L.employer[idx]]
        self.state.sponsored_now[idx[hit]] = True

    def _snapshot(self, q: int) -> dict:
        """State the time series needs, recorded at the end of quarter ``q``."""
        return quarter_record(self, q)
