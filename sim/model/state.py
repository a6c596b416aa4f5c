"""The market's state between quarters: what the processes read and update besides the
learners, the offers and the ledger. One named object (``model.state``) instead of loose
model attributes, so a reader sees every piece of state the quarter carries in one place."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.model.domain import COURSE_TYPES, FIRM_SIZES


@dataclass
class MarketState:
    # 1 policy: this quarter's campaign intensity (0-1) after its budget, the weight employers
    # give observed accredited holders (1 = none extra), the stackable share of accredited offers
    campaign_intensity: float = 0.0
    evidence_attention: float = 1.0
    stackable_share: float = 0.3
    # 2 employers: trust (recognition probability) per employer, and its mean over formal employment
    trust_accredited: np.ndarray = field(default_factory=lambda: np.zeros(0))
    trust_other: np.ndarray = field(default_factory=lambda: np.zeros(0))
    mean_trust_accredited: float = float("nan")
    mean_trust_other: float = float("nan")
    # 3 providers: MQA reviews started and failed (value added below the standard)
    accreditation_applications: int = 0
    accreditation_failures: int = 0
    # 5 choice: persons per offer this quarter (demand, enrolled), the seat account (persons;
    # see rules.open_seat_account), levy-sponsored starters by firm size, first-enrolment hazard
    offer_demand_persons: np.ndarray = field(default_factory=lambda: np.zeros(0))
    offer_enrolled_persons: np.ndarray = field(default_factory=lambda: np.zeros(0))
    seat_balance: np.ndarray = field(default_factory=lambda: np.zeros(0))
    seat_inflow: np.ndarray = field(default_factory=lambda: np.zeros(0))
    seat_capacity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    levy_trainees_by_firm_size: np.ndarray = field(default_factory=lambda: np.zeros(len(FIRM_SIZES)))
    first_enrolment_hazard: dict = field(default_factory=lambda: {"aware": float("nan"), "all": float("nan")})
    # 6 study: finished enrolments (persons) by course type / accreditation / connectivity tier x
    # [dropped, completed]; this quarter's completers and new MQF award holders (learner rows)
    course_outcomes: np.ndarray = field(default_factory=lambda: np.zeros((len(COURSE_TYPES), 2)))
    paid_outcomes_by_accreditation: np.ndarray = field(default_factory=lambda: np.zeros((2, 2)))
    online_outcomes_by_tier: np.ndarray = field(default_factory=lambda: np.zeros((3, 2)))
    new_completers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    new_completer_offers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    new_qualification_holders: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    new_qualification_counts: np.ndarray = field(default_factory=lambda: np.zeros(0))

    # Learner flags of the quarter (fast model; the reference keeps them on its agents): at a
    # community access centre, offered levy sponsorship
    community_access: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    sponsored_now: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @classmethod
    def initial(cls, offers, stackable_share: float) -> "MarketState":
        """Quarter 0: expected demand and enrolment start at 70% of each offer's seats."""
        return cls(stackable_share=stackable_share,
                   offer_demand_persons=0.7 * offers.seats.copy(),
                   offer_enrolled_persons=0.7 * offers.seats.copy(),
                   seat_balance=np.zeros(offers.n))
