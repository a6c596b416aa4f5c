"""Government: the lever schedule, annual budgets and the ledger of public spending.

Each lever is active from ``start_quarter`` to ``end_quarter`` (inclusive). A budget pot is
an annual amount released evenly through the year (a quarter's allowance plus whatever the
earlier quarters of the same year left unspent), so spending never exceeds the annual
budget. Every RM spent is booked in the ledger under its lever, at national scale.
"""

from __future__ import annotations

import numpy as np

LEVER_NAMES = ("subsidy", "connectivity", "recognition", "awareness", "readiness")

# budget pot -> (lever, config key of its annual budget under that lever)
POTS = {
    "subsidy": ("subsidy", "annual_budget_rm"),
    "connectivity.rollout": ("connectivity", "rollout_annual_budget_rm"),
    "connectivity.devices": ("connectivity", "device_annual_budget_rm"),
    "connectivity.skills": ("connectivity", "skills_annual_budget_rm"),
    "connectivity.centres": ("connectivity", None),
    "recognition.accreditation": ("recognition", "accreditation_annual_budget_rm"),
    "recognition.employer_campaign": ("recognition", "employer_campaign_annual_budget_rm"),
    "awareness": ("awareness", "annual_budget_rm"),
    "readiness": ("readiness", "annual_budget_rm"),
}


class Policy:
    """The lever settings of one scenario over time, with budgets and a spending ledger."""

    def __init__(self, policy_cfg, quarters: int) -> None:
        self.cfg = policy_cfg
        self.quarters = quarters
        self.spend = {pot: np.zeros(quarters) for pot in POTS}   # RM per quarter
        self.levy_spend = np.zeros(quarters)                     # HRD Corp levy, RM per quarter
        self.out_of_pocket = np.zeros(quarters)                  # learners' own fees, RM

    # ------------------------------------------------------------------ schedule
    def active(self, lever: str, quarter: int) -> bool:
        node = self.cfg[lever]
        if not node.enabled:
            return False
        end = node.end_quarter if node.end_quarter is not None else self.quarters - 1
        return node.start_quarter <= quarter <= end

    # ------------------------------------------------------------------ budgets
    def annual_budget(self, pot: str) -> float:
        lever, key = POTS[pot]
        if key is None:
            return float("inf")
        return float(self.cfg[lever][key])

    def available(self, pot: str, quarter: int) -> float:
        """RM that may still be spent from a pot this quarter."""
        lever, _ = POTS[pot]
        if not self.active(lever, quarter):
            return 0.0
        budget = self.annual_budget(pot)
        if budget == float("inf"):
            return budget
        year_start = quarter - quarter % 4
        released = budget * (quarter % 4 + 1) / 4.0
        return max(0.0, released - float(self.spend[pot][year_start:quarter].sum()))

    def book(self, pot: str, quarter: int, amount_rm: float) -> None:
        if amount_rm < 0:
            raise ValueError(f"negative spend {amount_rm} on {pot}")
        self.spend[pot][quarter] += amount_rm

    # ------------------------------------------------------------------ lever helpers
    def accredited_subsidy_rate(self, quarter: int) -> float:
        """Subsidy rate that only accredited offers attract (0 when none)."""
        sub = self.cfg.subsidy
        return float(sub.rate) if self.active("subsidy", quarter) and sub.accredited_only else 0.0

    def accreditation_incentive_rm(self, quarter: int) -> float:
        """Incentive a provider would receive on accreditation now (0 when the pot is empty)."""
        incentive = float(self.cfg.recognition.accreditation_incentive_rm)
        if incentive <= 0 or self.available("recognition.accreditation", quarter) < incentive:
            return 0.0
        return incentive

    def pay_accreditation_incentive(self, quarter: int) -> None:
        self.book("recognition.accreditation", quarter, self.accreditation_incentive_rm(quarter))

    def stackable_share(self, quarter: int) -> float:
        """Share of accredited offers that stack into MQF awards. The recognition lever's value
        applies while active; otherwise the status-quo 0.3 (the older APEL/MOOC 30% rule)."""
        if self.active("recognition", quarter):
            return float(self.cfg.recognition.stackable_share)
        return 0.3

    # ------------------------------------------------------------------ ledger views
    def spend_by_lever(self) -> dict[str, np.ndarray]:
        out = {lever: np.zeros(self.quarters) for lever in LEVER_NAMES}
        for pot, (lever, _) in POTS.items():
            out[lever] += self.spend[pot]
        return out
