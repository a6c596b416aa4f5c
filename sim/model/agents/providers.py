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


class ProviderTable:
    """The providers' state as arrays, one entry per provider (row ``i`` is ``providers[i]``):
    the quarter's provider step updates all of them at once (:func:`step_providers`), and each
    :class:`Provider` agent reads and writes its own entry. Provider ``i`` runs offers
    ``i * k ... i * k + k - 1`` (``k`` = offers per provider). Units as on :class:`Provider`."""

    def __init__(self, n: int, offers_per_provider: int) -> None:
        self.n, self.k = n, offers_per_provider
        self.kind = np.zeros(n, dtype=np.int64)
        self.home_state = np.zeros(n, dtype=np.int64)
        self.readiness = np.zeros(n)
        self.value_added = np.zeros(n)
        self.grants_rm = np.zeros(n)
        self.expected_demand = np.zeros((n, offers_per_provider))
        self.has_expectation = np.zeros(n, dtype=bool)     # expected_demand set (after the first step)
        self.low_fill_quarters = np.zeros(n, dtype=np.int64)
        self.accreditation_due = np.full(n, -1, dtype=np.int64)   # -1: no review pending
        self.accreditation_failed = np.zeros(n, dtype=bool)

    @property
    def is_platform(self) -> np.ndarray:
        return self.kind == PROVIDER_TYPES.index("online_platform")


class Provider(mesa.Agent):
    """A training provider that adapts seats, fees and readiness to demand, and seeks MQA
    accreditation when it pays. Its state lives in the model's :class:`ProviderTable` (row
    ``index``); the attributes below read and write that row. The quarter's adaptation of
    every provider is one batch (:func:`step_providers`); the outcome of an MQA review, which
    may draw on the shared incentive budget, is the agent's (:meth:`become_accredited`), in
    the step's random order."""

    def __init__(self, model, table: ProviderTable, index: int, kind: int, home_state: int,
                 readiness: float) -> None:
        super().__init__(model)
        self.table, self.index = table, index
        table.kind[index], table.home_state[index], table.readiness[index] = kind, home_state, readiness
        self.offer_rows = np.arange(index * table.k, (index + 1) * table.k)   # rows of model.offers

    kind = property(lambda self: int(self.table.kind[self.index]), doc="index into PROVIDER_TYPES")
    home_state = property(lambda self: int(self.table.home_state[self.index]))

    @property
    def readiness(self) -> float:
        """Online-delivery readiness, 0-1."""
        return float(self.table.readiness[self.index])

    @readiness.setter
    def readiness(self, value: float) -> None:
        self.table.readiness[self.index] = value

    @property
    def value_added(self) -> float:
        """Quality of its paid offers (sd of ability)."""
        return float(self.table.value_added[self.index])

    @value_added.setter
    def value_added(self, value: float) -> None:
        self.table.value_added[self.index] = value

    @property
    def grants_rm(self) -> float:
        return float(self.table.grants_rm[self.index])

    @grants_rm.setter
    def grants_rm(self, value: float) -> None:
        self.table.grants_rm[self.index] = value

    @property
    def expected_demand(self) -> np.ndarray | None:
        """Persons per quarter per offer (adaptive); None before the first step."""
        return self.table.expected_demand[self.index] if self.table.has_expectation[self.index] else None

    @property
    def low_fill_quarters(self) -> int:
        return int(self.table.low_fill_quarters[self.index])

    @property
    def accreditation_due(self) -> int | None:
        """Quarter when a pending accreditation review ends (None: none pending)."""
        due = int(self.table.accreditation_due[self.index])
        return None if due < 0 else due

    @property
    def accreditation_failed(self) -> bool:
        """Failed MQA's review: does not apply again."""
        return bool(self.table.accreditation_failed[self.index])

    @property
    def type_name(self) -> str:
        return PROVIDER_TYPES[self.kind]

    @property
    def is_platform(self) -> bool:
        return self.type_name == "online_platform"

    def become_accredited(self) -> None:
        """MQA's review ends: the provider's paid offers are accredited when their value added
        meets the standard; otherwise the application fails (its cost is sunk) for good."""
        model = self.model
        offers = model.offers
        self.table.accreditation_due[self.index] = -1
        if self.value_added < model.cfg.market.accreditation_standard:
            self.table.accreditation_failed[self.index] = True
            model.state.accreditation_failures += 1
            return
        rows = self.offer_rows[~offers.accredited[self.offer_rows] & ~offers.free_self_paced[self.offer_rows]]
        if len(rows):
            offers.accredited[rows] = True
            premium = 1.0 + model.cfg.market.accreditation_fee_premium
            offers.fee_rm[rows] *= premium
            offers.unit_cost_rm[rows] *= premium
            model.policy.pay_accreditation_incentive(model.quarter)


def step_providers(model) -> None:
    """Step 3: every provider with active offers updates its demand expectations, readiness,
    seats and fees, exits after too many quarters of low fill, and finishes or starts an MQA
    accreditation review.

    One pass over arrays for what each provider decides from its own offers; providers act
    in a random order (Mesa's ``shuffle_do`` over the provider agents) only where they share
    something: the accreditation incentive's budget, which a provider accredited earlier in
    the order may have used up. Offers open and close per provider (all or none of its rows)."""
    T, offers, market, q = model.provider_table, model.offers, model.cfg.market, model.quarter
    order: list[Provider] = []
    model.agents_by_type[Provider].shuffle_do(order.append)       # this quarter's random order
    position = np.empty(T.n, dtype=np.int64)
    position[[p.index for p in order]] = np.arange(T.n)
    shape = (T.n, T.k)
    alive = offers.active.reshape(shape).any(axis=1)
    # Demand expectations (persons per quarter per offer), smoothed after the first quarter.
    demand = model.state.offer_demand_persons.reshape(shape)
    first, later = alive & ~T.has_expectation, alive & T.has_expectation
    T.expected_demand[first] = demand[first]
    s = market.demand_smoothing
    T.expected_demand[later] = (1 - s) * T.expected_demand[later] + s * demand[later]
    T.has_expectation |= alive
    # Readiness grows with own investment (and grants, applied by the policy step).
    T.readiness[alive] += market.readiness_investment_quarter * (1.0 - T.readiness[alive])
    offers.readiness.reshape(shape)[alive] = T.readiness[alive][:, None]
    # Reviews that end now, in the step's order (each success may draw on the incentive budget).
    due = np.flatnonzero(alive & (T.accreditation_due >= 0) & (q >= T.accreditation_due))
    due = due[np.argsort(position[due])]
    incentive_after = [model.policy.accreditation_incentive_rm(q)]   # after 0, 1, ... reviews
    for i in due:
        model.providers[i].become_accredited()
        incentive_after.append(model.policy.accreditation_incentive_rm(q))

    # Seats and fees of the non-platform providers. Expected fill (smoothed demand against
    # seats), not this quarter's enrolments: with agents standing for many persons, realised
    # enrolments are lumpy (0 or a whole agent) and would make exits and fee changes depend
    # on the resolution, not the market.
    adapt = np.flatnonzero(alive & ~T.is_platform)
    if len(adapt) == 0:
        return
    rows = (adapt[:, None] * T.k + np.arange(T.k)).ravel()
    expected = T.expected_demand[adapt].ravel()
    seats_now = offers.seats[rows]
    seats = np.maximum(seats_now, 1e-9)
    fill = np.minimum(expected, seats) / seats
    margin_ok = offers.fee_rm[rows] >= offers.unit_cost_rm[rows]
    grow = market.seat_adjustment * (1.1 * expected - seats_now)
    offers.seats[rows] = np.maximum(MIN_SEATS, seats_now + np.where(margin_ok | (grow < 0), grow, 0.0))
    # Fees follow the fill rate: full courses raise fees, empty ones cut toward cost.
    fee = offers.fee_rm[rows]
    fee = np.where(fill > 0.95, fee * 1.02, np.where(fill < 0.5, np.maximum(offers.unit_cost_rm[rows], fee * 0.98), fee))
    offers.fee_rm[rows] = fee
    low = (fill < market.low_fill_threshold).reshape(-1, T.k).all(axis=1) if q > 0 else np.zeros(len(adapt), bool)
    T.low_fill_quarters[adapt] = np.where(low, T.low_fill_quarters[adapt] + 1, 0)
    leaving = adapt[T.low_fill_quarters[adapt] >= market.exit_after_low_fill_quarters]
    offers.active.reshape(shape)[leaving] = False
    # Apply for MQA accreditation when a year of the expected extra revenue (trust premium and
    # any accredited-only subsidy) exceeds its cost net of the incentive, the incentive as its
    # budget stood at the provider's turn (after the reviews that ended earlier in the order).
    consider = ((T.accreditation_due[adapt] < 0) & ~T.accreditation_failed[adapt]
                & ~offers.accredited[rows].reshape(-1, T.k).all(axis=1))
    if not consider.any():
        return
    trust_gap = max(0.0, model.state.mean_trust_accredited - model.state.mean_trust_other)
    uplift = trust_gap + model.policy.accredited_subsidy_rate(q)
    revenue = (T.expected_demand[adapt] * fee.reshape(-1, T.k)).sum(axis=1)
    yearly_extra = 4 * revenue * uplift
    done_before = np.searchsorted(np.sort(position[due]), position[adapt])
    cost = market.accreditation_cost_rm - np.asarray(incentive_after)[done_before]
    apply = np.flatnonzero(consider & (yearly_extra > cost))
    T.accreditation_due[adapt[apply]] = q + market.accreditation_lag_quarters
    model.state.accreditation_applications += len(apply)


def build_providers(model, rng: np.random.Generator, state_shares: np.ndarray,
                    home_shares_by_type: dict[str, np.ndarray] | None = None
                    ) -> tuple[list[Provider], ProviderTable, Offers]:
    """Create provider agents and their offers (``Offers.provider`` indexes the returned
    list). Home states follow the population shares, or, for a provider type named in
    ``home_shares_by_type``, its own shares by state (public universities: their main campuses,
    ``providers.public_universities_by_state`` in the data file)."""
    home_shares_by_type = home_shares_by_type or {}
    market = model.cfg.market
    k = market.offers_per_provider
    columns: dict[str, list] = {name: [] for name in Offers.__dataclass_fields__}
    providers: list[Provider] = []
    table = ProviderTable(sum(market.providers_per_type), k)
    for kind, count in enumerate(market.providers_per_type):
        profile = PROVIDER_PROFILES[PROVIDER_TYPES[kind]]
        shares = home_shares_by_type.get(PROVIDER_TYPES[kind], state_shares)
        for _ in range(count):
            home = int(rng.choice(len(shares), p=shares))
            readiness = min(1.0, float(rng.uniform(*profile["readiness"])) * market.readiness_scale)
            value_added = float(rng.uniform(*profile["value_added"])) * market.value_added_scale
            # Accredited at the start only where MQA's standard is met (accreditation screens).
            accredited = bool(rng.random() < profile["accredited"]) and value_added >= market.accreditation_standard
            provider = Provider(model, table, len(providers), kind, home, readiness)
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
    return providers, table, offers


__all__ = ["Offers", "Provider", "ProviderTable", "step_providers", "build_providers", "PROVIDER_PROFILES", "BLENDED", "IN_PERSON", "ONLINE"]
