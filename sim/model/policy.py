"""Government: the lever schedule, annual budgets and the ledger of public spending.

Each lever is active from ``start_quarter`` to ``end_quarter`` (inclusive). A budget pot is
an annual amount released evenly through the year: by quarter ``k`` of a year (0-3) the pot
has released ``(k + 1) / 4`` of its budget, and what may still be spent is that release minus
everything booked so far in the year, this quarter's earlier bookings included. ``book``
refuses a booking beyond that, so spending can never exceed the release, the annual budget or
the lever's active window without an error. Every RM spent is booked in the ledger under its
lever, at national scale.
"""

from __future__ import annotations

import numpy as np

from sim.model.domain import STATES

# A booking may exceed what is available by this share of the annual budget (plus RM 1e-6):
# callers ration in float64 over many claimants, and summation order moves the last digits.
ROUNDING_TOLERANCE = 1e-9

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
    "study_leave": ("study_leave", None),     # an entitlement: paid as claimed, no annual cap
}

# targeting mask -> (lever, config key of its groups)
TARGETS = {"subsidy_target": ("subsidy", "targeting"), "device_target": ("connectivity", "device_targeting"),
           "rollout_target": ("connectivity", "rollout_targeting"),
           "skills_target": ("connectivity", "skills_targeting"), "awareness_target": ("awareness", "targeting")}

# The publicly funded levers, in ledger order: those with a budget pot (the levy sponsorship is
# paid from employers' levy, not public money). Equals the schema's PUBLIC_LEVERS (tested).
LEVER_NAMES = tuple(dict.fromkeys(lever for lever, _ in POTS.values()))


def by_state(states, amounts_rm) -> np.ndarray:
    """RM per state of residence (float64, one entry per state of ``sim.model.domain.STATES``):
    how a booking's amount splits over the states of the persons it served."""
    return np.bincount(np.asarray(states, dtype=np.intp), weights=np.asarray(amounts_rm, dtype=np.float64),
                       minlength=len(STATES))


class OverspendError(ValueError):
    """A booking larger than what its pot has left: a caller did not ration within ``available``."""


class Policy:
    """The lever settings of one scenario over time, with budgets and a spending ledger."""

    def __init__(self, policy_cfg, quarters: int) -> None:
        self.cfg = policy_cfg
        self.quarters = quarters
        self.spend = {pot: np.zeros(quarters) for pot in POTS}   # RM per quarter
        self.levy_spend = np.zeros(quarters)                     # HRD Corp levy, RM per quarter
        self.out_of_pocket = np.zeros(quarters)                  # learners' own fees, RM
        # RM over the run by state of the persons a booking served (pots whose bookings say so:
        # rollout, devices, skills courses, access centres, awareness); see book(by_state=...).
        self.spend_by_state = {pot: np.zeros(len(STATES)) for pot in POTS}

    # ------------------------------------------------------------------ settings
    def lever(self, name: str):
        """A lever's settings (read-only view): processes read levers here, never from the config."""
        return self.cfg[name]

    def targeting(self) -> dict[str, tuple]:
        """Who each targeted lever reaches: mask name -> groups (empty = everybody)."""
        return {name: tuple(self.cfg[lever][key]) for name, (lever, key) in TARGETS.items()}

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
        """RM that may still be spent from a pot in ``quarter``: the budget released so far this
        year less every booking so far this year, this quarter's included (0 while inactive)."""
        lever, _ = POTS[pot]
        if not self.active(lever, quarter):
            return 0.0
        return max(0.0, self._unspent(pot, quarter))

    def _unspent(self, pot: str, quarter: int) -> float:
        """Released minus booked this year, unclipped: slightly negative after a booking that
        used the rounding tolerance, so the tolerance cannot be drawn on twice."""
        budget = self.annual_budget(pot)
        if budget == float("inf"):
            return budget
        year_start = quarter - quarter % 4
        released = budget * (quarter % 4 + 1) / 4.0
        return released - float(self.spend[pot][year_start:quarter + 1].sum())

    def book(self, pot: str, quarter: int, amount_rm: float, by_state=None) -> None:
        """Spend ``amount_rm`` from ``pot`` in ``quarter``. Raises :class:`OverspendError`, leaving
        the ledger unchanged, when the lever is inactive or the amount exceeds what is available
        by more than rounding. ``by_state`` (RM per state of residence of the persons served,
        summing to ``amount_rm``) also books the amount by state."""
        if not amount_rm >= 0:   # also refuses NaN
            raise ValueError(f"spend on {pot} must be a number >= 0, got {amount_rm}")
        if amount_rm == 0:
            return
        lever, _ = POTS[pot]
        if not self.active(lever, quarter):
            raise OverspendError(f"booking RM {amount_rm:,.2f} on {pot} in quarter {quarter}, "
                                 f"outside the {lever} lever's active window")
        budget = self.annual_budget(pot)
        slack = ROUNDING_TOLERANCE * (budget if budget != float("inf") else 0.0) + 1e-6
        if amount_rm > self._unspent(pot, quarter) + slack:
            raise OverspendError(f"booking RM {amount_rm:,.2f} on {pot} in quarter {quarter} exceeds the "
                                 f"RM {self.available(pot, quarter):,.2f} available "
                                 f"(annual budget RM {budget:,.2f})")
        self.spend[pot][quarter] += amount_rm
        if by_state is not None:
            self.spend_by_state[pot] += np.asarray(by_state, dtype=np.float64)

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

    def study_leave_share(self, quarter: int) -> float:
        """Share of a working learner's study hours paid as leave (0 while the lever is off)."""
        return float(self.cfg.study_leave.paid_share) if self.active("study_leave", quarter) else 0.0

    # ------------------------------------------------------------------ ledger views
    def placed_spend_by_state(self) -> np.ndarray:
        """RM over the run by state for the pots booked by state (subsidies excluded: they are
        counted per person, ``Learners.subsidy_rm``)."""
        return sum(self.spend_by_state.values())

    def spend_by_lever(self) -> dict[str, np.ndarray]:
        """RM per quarter by lever, in full."""
        out = {lever: np.zeros(self.quarters) for lever in LEVER_NAMES}
        for pot, (lever, _) in POTS.items():
            out[lever] += self.spend[pot]
        return out

    def learning_share(self, pot: str) -> float:
        """Share of a pot's spending attributable to learning. Connectivity outlays (broadband,
        devices, digital-skills courses, access centres) serve everything a household does
        online, so only the lever's ``learning_share_of_cost`` counts; the other levers exist
        for micro-credentials alone."""
        lever, _ = POTS[pot]
        return float(self.cfg.connectivity.learning_share_of_cost) if lever == "connectivity" else 1.0

    def attributable_spend_by_lever(self) -> dict[str, np.ndarray]:
        """RM per quarter by lever, each pot counted at its :meth:`learning_share`."""
        out = {lever: np.zeros(self.quarters) for lever in LEVER_NAMES}
        for pot, (lever, _) in POTS.items():
            out[lever] += self.learning_share(pot) * self.spend[pot]
        return out
