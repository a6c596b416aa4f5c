"""Employers: one representative firm per state x sector x size class x HRD Corp levy
registration, as Mesa agents.

Each holds two Beta beliefs about micro-credential holders (accredited and not), learned
from the holders it observes, with forgetting; the mean is its trust, which is also the
probability that it recognises a credential. Levy-registered employers sponsor training.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.model import rules
from sim.model.domain import N_EMPLOYER_CELLS, employer_cell


class Employer(mesa.Agent):
    """A representative firm. Trust ``r = alpha / (alpha + beta)`` per credential kind."""

    def __init__(self, model, index: int, prior_accredited: tuple[float, float], prior_other: tuple[float, float]) -> None:
        super().__init__(model)
        self.index = index
        self.state, self.sector, self.size, levy = employer_cell(index)
        self.levy_registered = bool(levy)
        self.alpha_acc, self.beta_acc = prior_accredited
        self.alpha_other, self.beta_other = prior_other
        # Observations gathered during the quarter (person-weighted evidence units).
        self.pending = np.zeros(4)  # successes_acc, failures_acc, successes_other, failures_other

    @property
    def trust_accredited(self) -> float:
        return float(rules.trust(self.alpha_acc, self.beta_acc))

    @property
    def trust_other(self) -> float:
        return float(rules.trust(self.alpha_other, self.beta_other))

    def step(self) -> None:
        """Update trust from last quarter's observations, with forgetting."""
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


def build_employers(model) -> list[Employer]:
    """One employer per cell, indexed as ``sim.model.domain.employer_index``."""
    market = model.cfg.market
    w = market.trust_prior_weight
    prior_acc = (w * market.trust_prior_mean_accredited, w * (1 - market.trust_prior_mean_accredited))
    prior_other = (w * market.trust_prior_mean_other, w * (1 - market.trust_prior_mean_other))
    return [Employer(model, i, prior_acc, prior_other) for i in range(N_EMPLOYER_CELLS)]
