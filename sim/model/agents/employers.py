"""Employers: one representative firm per state x sector x size class x HRD Corp levy
registration, as Mesa agents.

Each holds two Beta beliefs about micro-credential holders (accredited and not), learned
from the holders it observes, with forgetting; the mean is its trust, which is also the
probability that it recognises a credential. Levy-registered employers sponsor training.

The beliefs of all employers live in one :class:`EmployerTable` (arrays, row = employer
index), so the quarter's update is one array operation (:meth:`EmployerTable.step`); each
:class:`Employer` agent reads and writes its own row.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.model import rules
from sim.model.domain import N_EMPLOYER_CELLS, employer_cell


class EmployerTable:
    """Beliefs of every employer: Beta parameters per credential kind and the evidence
    gathered during the quarter (person-weighted units; columns successes_acc,
    failures_acc, successes_other, failures_other)."""

    def __init__(self, n: int, prior_accredited: tuple[float, float], prior_other: tuple[float, float]) -> None:
        self.alpha_acc = np.full(n, float(prior_accredited[0]))
        self.beta_acc = np.full(n, float(prior_accredited[1]))
        self.alpha_other = np.full(n, float(prior_other[0]))
        self.beta_other = np.full(n, float(prior_other[1]))
        self.pending = np.zeros((n, 4))
        self.levy_registered = np.array([bool(employer_cell(i)[3]) for i in range(n)])

    def trust_accredited(self) -> np.ndarray:
        return rules.trust(self.alpha_acc, self.beta_acc)

    def trust_other(self) -> np.ndarray:
        return rules.trust(self.alpha_other, self.beta_other)

    def step(self, forgetting: float) -> None:
        """Every employer updates its trust from last quarter's observations, with forgetting."""
        p = self.pending
        self.alpha_acc, self.beta_acc = rules.beta_update(self.alpha_acc, self.beta_acc, p[:, 0], p[:, 1], forgetting)
        self.alpha_other, self.beta_other = rules.beta_update(self.alpha_other, self.beta_other, p[:, 2], p[:, 3],
                                                              forgetting)
        p[:] = 0.0

    def sponsorship_rates(self, market) -> np.ndarray:
        """Share of each employer's employees offered levy-funded training this quarter (see
        :meth:`Employer.sponsorship_rate`)."""
        rate = market.sponsorship_rate_quarter * self.trust_accredited() / market.trust_prior_mean_accredited
        return np.where(self.levy_registered, rate, 0.0)


def _row(name: str):
    def get(self):
        return float(getattr(self.table, name)[self.index])

    def put(self, value):
        getattr(self.table, name)[self.index] = value
    return property(get, put)


class Employer(mesa.Agent):
    """A representative firm. Trust ``r = alpha / (alpha + beta)`` per credential kind."""

    alpha_acc, beta_acc = _row("alpha_acc"), _row("beta_acc")
    alpha_other, beta_other = _row("alpha_other"), _row("beta_other")

    def __init__(self, model, table: EmployerTable, index: int) -> None:
        super().__init__(model)
        self.table, self.index = table, index
        self.state, self.sector, self.size, levy = employer_cell(index)
        self.levy_registered = bool(levy)

    @property
    def pending(self) -> np.ndarray:
        """Observations gathered during the quarter (a view of the table's row: add to it)."""
        return self.table.pending[self.index]

    @pending.setter
    def pending(self, value) -> None:
        self.table.pending[self.index] = value

    @property
    def trust_accredited(self) -> float:
        return float(rules.trust(self.alpha_acc, self.beta_acc))

    @property
    def trust_other(self) -> float:
        return float(rules.trust(self.alpha_other, self.beta_other))

    def step(self) -> None:
        """Update trust from last quarter's observations, with forgetting (this employer only;
        the fast model updates all at once with :meth:`EmployerTable.step`, the same rule)."""
        lam = self.model.cfg.market.trust_forgetting
        s_acc, f_acc, s_oth, f_oth = self.pending
        self.alpha_acc, self.beta_acc = rules.beta_update(self.alpha_acc, self.beta_acc, s_acc, f_acc, lam)
        self.alpha_other, self.beta_other = rules.beta_update(self.alpha_other, self.beta_other, s_oth, f_oth, lam)
        self.pending[:] = 0.0

    def sponsorship_rate(self) -> float:
        """Share of its employees offered levy-funded training this quarter: the status-quo
        rate, scaled by how much the firm trusts accredited credentials relative to its prior."""
        if not self.levy_registered:
            return 0.0
        market = self.model.cfg.market
        return market.sponsorship_rate_quarter * self.trust_accredited / market.trust_prior_mean_accredited


def build_employers(model) -> tuple[list[Employer], EmployerTable]:
    """One employer per cell, indexed as ``sim.model.domain.employer_index``, and their table."""
    market = model.cfg.market
    w = market.trust_prior_weight
    prior_acc = (w * market.trust_prior_mean_accredited, w * (1 - market.trust_prior_mean_accredited))
    prior_other = (w * market.trust_prior_mean_other, w * (1 - market.trust_prior_mean_other))
    table = EmployerTable(N_EMPLOYER_CELLS, prior_acc, prior_other)
    return [Employer(model, table, i) for i in range(N_EMPLOYER_CELLS)], table
