"""Providers: universities, private HEIs, TVET institutions, industry trainers and online
platforms, as Mesa agents. Each runs a few micro-credential offers, held as rows of the
model's :class:`Offers` table so learners can compare them in bulk.

Provider type profiles below are assumptions (no systematic Malaysian fee or capacity survey
was found; see docs/DATA.md); each value is drawn from a range around the profile.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from sim.model.domain import BLENDED, IN_PERSON, ONLINE, PROVIDER_TYPES

# type -> profile. fee_rm: fee range per micro-credential (RM); value_added: productivity
# added (sd of ability); accredited: probability of MQA accreditation at start; readiness:
# online-delivery readiness range (0-1); seats: new places per offer per quarter (persons);
# modes: delivery modes it offers with probabilities; free_share: share of offers that are
# free and self-paced. An offer's wage return is not drawn apart from its quality: it is
# market.wage_gain_per_value_added x value added (0-4.5% of wage at the default 0.10, within
# the design notes' 0-5% for short courses), so a credential that certifies nothing gains nothing.
PROVIDER_PROFILES: dict[str, dict] = {
    "public_university": dict(fee_rm=(250, 800), value_added=(0.25, 0.45), accredited=0.9,
                              readiness=(0.45, 0.8), seats=(300, 900), modes=(0.4, 0.4, 0.2), free_share=0.0, credits=(1, 4)),
    "private_hei": dict(fee_rm=(400, 1200), value_added=(0.15, 0.4), accredited=0.7,
                        readiness=(0.35, 0.75), seats=(200, 600), modes=(0.5, 0.3, 0.2), free_share=0.0, credits=(1, 4)),
    "tvet": dict(fee_rm=(80, 400), value_added=(0.2, 0.4), accredited=0.6,
                 readiness=(0.1, 0.45), seats=(150, 500), modes=(0.1, 0.3, 0.6), free_share=0.0, credits=(1, 3)),
    "industry_trainer": dict(fee_rm=(500, 1500), value_added=(0.1, 0.35), accredited=0.25,
                             readiness=(0.25, 0.6), seats=(100, 400), modes=(0.2, 0.3, 0.5), free_share=0.0, credits=(0.5, 2)),
    "online_platform": dict(fee_rm=(100, 400), value_added=(0.0, 0.2), accredited=0.1,
                            readiness=(0.85, 0.98), seats=(1e6, 1e6), modes=(1.0, 0.0, 0.0), free_share=0.6, credits=(0.5, 2)),
}
MIN_SEATS = 20.0  # persons per quarter; below this an offer closes


@dataclass
class Offers:
    """Struct of arrays, one row per micro-credential offer. Units: fee RM per course,
    seats persons per quarter, wage_gain share of monthly wage, value_added sd of ability,
    credits MQA credits (40 notional hours each), duration quarters."""

    provider: np.ndarray
    mode: np.ndarray
    free_self_paced: np.ndarray
    duration_q: np.ndarray
    credits: np.ndarray
    fee_rm: np.ndarray
    accredited: np.ndarray
    stackable_draw: np.ndarray  # fixed uniform: the offer stacks when < stackable share
    wage_gain: np.ndarray
    value_added: np.ndarray
    seats: np.ndarray
    readiness: np.ndarray       # copied from the provider each quarter
    home_state: np.ndarray
    active: np.ndarray
    unit_cost_rm: np.ndarray

    @property
    def n(self) -> int:
        return len(self.provider)

    @property
    def online(self) -> np.ndarray:
        return self.mode == ONLINE


class Provider(mesa.Agent):
    """A training provider that adapts seats, fees and readiness to demand, and seeks MQA
    accreditation when it pays."""

    def __init__(self, model, kind: int, home_state: int, offer_rows: np.ndarray, readiness: float) -> None:
        super().__init__(model)
        self.kind = kind                     # index into PROVIDER_TYPES
        self.home_state = home_state
        self.offer_rows = offer_rows         # rows of model.offers
        self.readiness = readiness           # online-delivery readiness, 0-1
        self.expected_demand = None          # persons per quarter per offer (adaptive)
        self.low_fill_quarters = 0
        self.accreditation_due: int | None = None  # quarter when a pending accreditation review ends
        self.accreditation_failed = False    # failed MQA's review: does not apply again
        self.value_added = 0.0               # quality of its paid offers (sd of ability)
        self.grants_rm = 0.0

    @property
    def type_name(self) -> str:
        return PROVIDER_TYPES[self.kind]

    @property
    def is_platform(self) -> bool:
        return self.type_name == "online_platform"

    def step(self) -> None:
        """Update demand expectations, seats and fees; progress readiness and accreditation."""
        model = self.model
        offers = model.offers
        rows = self.offer_rows[offers.active[self.offer_rows]]
        market = model.cfg.market
        if len(rows) == 0:
            return
        demand = model.state.offer_demand_persons[rows]
        if self.expected_demand is None:
            self.expected_demand = demand.copy()
        else:
            s = market.demand_smoothing
            self.expected_demand = (1 - s) * self.expected_demand + s * demand
        # Readiness grows with own investment (and grants, applied by the policy step).
        self.readiness += market.readiness_investment_quarter * (1.0 - self.readiness)
        offers.readiness[self.offer_rows] = self.readiness
        if self.accreditation_due is not None and model.quarter >= self.accreditation_due:
            self._become_accredited()
        if self.is_platform:
            return
        # Expected fill (smoothed demand against seats), not this quarter's enrolments: with
        # agents standing for many persons, realised enrolments are lumpy (0 or a whole agent)
        # and would make exits and fee changes depend on the resolution, not the market.
        seats = np.maximum(offers.seats[rows], 1e-9)
        fill = np.minimum(self.expected_demand, seats) / seats
        margin_ok = offers.fee_rm[rows] >= offers.unit_cost_rm[rows]
        target = 1.1 * self.expected_demand
        grow = market.seat_adjustment * (target - offers.seats[rows])
        offers.seats[rows] = np.maximum(MIN_SEATS, offers.seats[rows] + np.where(margin_ok | (grow < 0), grow, 0.0))
        # Fees follow the fill rate: full courses raise fees, empty ones cut toward cost.
        fee = offers.fee_rm[rows]
        fee = np.where(fill > 0.95, fee * 1.02, np.where(fill < 0.5, np.maximum(offers.unit_cost_rm[rows], fee * 0.98), fee))
        offers.fee_rm[rows] = fee
        if model.quarter > 0 and np.all(fill < market.low_fill_threshold):
            self.low_fill_quarters += 1
        else:
            self.low_fill_quarters = 0
        if self.low_fill_quarters >= market.exit_after_low_fill_quarters:
            offers.active[self.offer_rows] = False
        if (self.accreditation_due is None and not self.accreditation_failed
                and not offers.accredited[rows].all()):
            self._consider_accreditation(rows)

    def _consider_accreditation(self, rows: np.ndarray) -> None:
        """Apply for MQA accreditation when a year of the expected extra revenue (trust premium
        and any accredited-only subsidy) exceeds its cost net of incentives."""
        model = self.model
        market = model.cfg.market
        offers = model.offers
        trust_gap = max(0.0, model.state.mean_trust_accredited - model.state.mean_trust_other)
        subsidy_pull = model.policy.accredited_subsidy_rate(model.quarter)
        uplift = trust_gap + subsidy_pull
        yearly_extra = 4 * float(np.sum(self.expected_demand * offers.fee_rm[rows])) * uplift
        cost = market.accreditation_cost_rm - model.policy.accreditation_incentive_rm(model.quarter)
        if yearly_extra > cost:
            self.accreditation_due = model.quarter + market.accreditation_lag_quarters
            model.state.accreditation_applications += 1

    def _become_accredited(self) -> None:
        """MQA's review ends: the provider's paid offers are accredited when their value added
        meets the standard; otherwise the application fails (its cost is sunk) for good."""
        model = self.model
        offers = model.offers
        self.accreditation_due = None
        if self.value_added < model.cfg.market.accreditation_standard:
            self.accreditation_failed = True
            model.state.accreditation_failures += 1
            return
        rows = self.offer_rows[~offers.accredited[self.offer_rows] & ~offers.free_self_paced[self.offer_rows]]
        if len(rows):
            offers.accredited[rows] = True
            premium = 1.0 + model.cfg.market.accreditation_fee_premium
            offers.fee_rm[rows] *= premium
            offers.unit_cost_rm[rows] *= premium
            model.policy.pay_accreditation_incentive(model.quarter)


def build_providers(model, rng: np.random.Generator, state_shares: np.ndarray,
                    home_shares_by_type: dict[str, np.ndarray] | None = None) -> tuple[list[Provider], Offers]:
    """Create provider agents and their offers (``Offers.provider`` indexes the returned
    list). Home states follow the population shares, or, for a provider type named in
    ``home_shares_by_type``, its own shares by state (public universities: their main campuses,
    ``providers.public_universities_by_state`` in the data file)."""
    home_shares_by_type = home_shares_by_type or {}
    market = model.cfg.market
    k = market.offers_per_provider
    columns: dict[str, list] = {name: [] for name in Offers.__dataclass_fields__}
    providers: list[Provider] = []
    for kind, count in enumerate(market.providers_per_type):
        profile = PROVIDER_PROFILES[PROVIDER_TYPES[kind]]
        shares = home_shares_by_type.get(PROVIDER_TYPES[kind], state_shares)
        for _ in range(count):
            home = int(rng.choice(len(shares), p=shares))
            readiness = min(1.0, float(rng.uniform(*profile["readiness"])) * market.readiness_scale)
            value_added = float(rng.uniform(*profile["value_added"])) * market.value_added_scale
            # Accredited at the start only where MQA's standard is met (accreditation screens).
            accredited = bool(rng.random() < profile["accredited"]) and value_added >= market.accreditation_standard
            first_row = len(columns["provider"])
            provider = Provider(model, kind, home, np.arange(first_row, first_row + k), readiness)
            provider.value_added = value_added
            providers.append(provider)
            for _ in range(k):
                free = bool(rng.random() < profile["free_share"])
                fee = 0.0 if free else float(rng.uniform(*profile["fee_rm"]))
                lo, hi = profile["credits"]
                credits = float(np.round(rng.uniform(lo, hi) * 2) / 2)
                columns["provider"].append(len(providers) - 1)
                columns["mode"].append(int(rng.choice(3, p=profile["modes"])))
                columns["free_self_paced"].append(free)
                columns["duration_q"].append(1 if credits <= 2 else 2)
                columns["credits"].append(credits)
                columns["fee_rm"].append(fee)
                columns["accredited"].append(accredited and not free)
                columns["stackable_draw"].append(float(rng.random()))
                quality = value_added * (0.3 if free else 1.0)
                columns["wage_gain"].append(market.wage_gain_per_value_added * quality)
                columns["value_added"].append(quality)
                columns["seats"].append(float(rng.uniform(*profile["seats"])))
                columns["readiness"].append(readiness)
                columns["home_state"].append(home)
                columns["active"].append(True)
                columns["unit_cost_rm"].append(fee * 0.8)
    dtypes = dict(provider=np.int32, mode=np.int8, free_self_paced=bool, duration_q=np.int8,
                  credits=np.float32, fee_rm=np.float64, accredited=bool, stackable_draw=np.float64,
                  wage_gain=np.float64, value_added=np.float64, seats=np.float64,
                  readiness=np.float64, home_state=np.int8, active=bool, unit_cost_rm=np.float64)
    offers = Offers(**{name: np.asarray(values, dtype=dtypes[name]) for name, values in columns.items()})
    return providers, offers


__all__ = ["Offers", "Provider", "build_providers", "PROVIDER_PROFILES", "BLENDED", "IN_PERSON", "ONLINE"]
