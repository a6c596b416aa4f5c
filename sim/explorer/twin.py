"""A scenario and its baseline twin stepped together, quarter by quarter.

Both models start from one population built once for (population config, seed), copied so
each can mutate its own; with the counter-based draws of ``sim.model.rng`` learner i is the same
person in both and differs only through the policy (common random numbers). Paired
differences are therefore per agent, not between two noisy runs.
"""

from __future__ import annotations

import numpy as np

from sim import metrics
from sim.data import population_data
from sim.model import MicroCredentialModel, build_population
from sim.model.domain import STATES
from sim.model.policy import LEVER_NAMES, POTS
from sim.model.rng import Streams

# Displayed groups of learners: label -> (learner attribute, code), None = everybody.
GROUPS = {"all": None, "B40": ("income_group", 0), "M40": ("income_group", 1), "T20": ("income_group", 2),
          "urban": ("rural", False), "rural": ("rural", True)}


class TwinRun:
    """``scenario`` and ``baseline`` models (``MicroCredentialModel``) on one population."""

    def __init__(self, scenario_cfg, baseline_cfg) -> None:
        if (scenario_cfg.seed != baseline_cfg.seed
                or scenario_cfg.population != baseline_cfg.population):
            raise ValueError("the twins need the same seed and population settings")
        learners, peers = build_population(scenario_cfg, Streams(scenario_cfg.seed),
                                           population_data(scenario_cfg.population.data))
        every = np.arange(learners.n)
        self.scenario = MicroCredentialModel(scenario_cfg, (learners.subset(every), peers))
        self.baseline = MicroCredentialModel(baseline_cfg, (learners, peers))
        self._states = []  # per quarter: {twin: state snapshot} (see _state_snapshot), for the state filter
        self._quarter = 0  # advanced after both twins stepped: readers never see half a step
        self.horizon = int(scenario_cfg.horizon.quarters)
        self.start_year = int(scenario_cfg.horizon.start_year)

    @property
    def quarter(self) -> int:
        """Quarters simulated so far (0 before the first step)."""
        return self._quarter

    @property
    def done(self) -> bool:
        return self.quarter >= self.horizon

    def period(self, q: int | None = None) -> str:
        """Label of quarter ``q`` (default: the last one simulated), e.g. ``2025Q4``."""
        q = self.quarter - 1 if q is None else q
        return f"{self.start_year + q // 4}Q{q % 4 + 1}" if q >= 0 else "start"

    def step(self) -> None:
        if self.done:
            return
        self.scenario.step()
        self.baseline.step()
        self._states.append({"scenario": _state_snapshot(self.scenario), "baseline": _state_snapshot(self.baseline)})
        self._quarter += 1

    def series(self, metric: str, group: str, twin: str = "scenario", state: str | None = None) -> np.ndarray:
        """Per-quarter values of ``history[q][metric][group]`` for one twin; with ``state`` (a
        name of ``sim.model.domain.STATES``) the same within that state, for ``uptake_rate`` (groups of
        :data:`GROUPS`) and ``rate_ratio`` (``B40/T20``, ``rural/urban``). Other metrics are
        national."""
        if state is not None and metric in ("uptake_rate", "rate_ratio"):
            i = STATES.index(state)
            snaps = [s[twin]["uptake"] for s in self._states[:self._quarter]]
            if metric == "uptake_rate":
                return np.array([snap[group][i] for snap in snaps], dtype=np.float64)
            top, bottom = group.split("/")
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.array([snap[top][i] / snap[bottom][i] if snap[bottom][i] > 0 else np.nan for snap in snaps])
        model = self.scenario if twin == "scenario" else self.baseline
        history = model.history[:self._quarter]
        return np.array([record[metric][group] for record in history], dtype=np.float64)

    def cumulative_spend_rm(self, twin: str = "scenario", state: str | None = None) -> dict[str, np.ndarray]:
        """Public spend per lever, cumulative from 2025Q1, RM; with ``state``, the spend placed on
        persons living in that state (subsidies, rollout, devices, skills, centres, awareness)."""
        if state is not None:
            i = STATES.index(state)
            snaps = [s[twin]["spend"] for s in self._states[:self._quarter]]
            levers = snaps[0].keys() if snaps else []
            return {lever: np.array([snap[lever][i] for snap in snaps]) for lever in levers}
        model = self.scenario if twin == "scenario" else self.baseline
        levers = model.history[0]["public_spend_rm"].keys() if self._quarter else []
        return {lever: np.cumsum(self.series("public_spend_rm", lever, twin)) for lever in levers}

    def attributable_spend_so_far_rm(self, twin: str = "scenario", state: str | None = None) -> float:
        """Public spend from 2025Q1 to now counting connectivity at its share attributable to
        learning (``policy.connectivity.learning_share_of_cost``), RM; with ``state``, of the
        spend placed in that state."""
        model = self.scenario if twin == "scenario" else self.baseline
        if state is not None:
            spend = {k: v[-1] if len(v) else 0.0 for k, v in self.cumulative_spend_rm(twin, state).items()}
            share = float(model.cfg.policy.connectivity.learning_share_of_cost)
            return float(sum(v * (share if k == "connectivity" else 1.0) for k, v in spend.items()))
        return float(sum(arr[:self._quarter].sum() for arr in model.policy.attributable_spend_by_lever().values()))

    def agents_in(self, state: str) -> int:
        """Agents living in ``state`` now."""
        return int(np.count_nonzero(self.scenario.learners.state == STATES.index(state)))

    def paired_uptake(self, group: str, state: str | None = None) -> tuple[float, float, float]:
        """Uptake (ever enrolled) of scenario minus baseline in ``group`` (within ``state`` when
        given), agent by agent: (mean, 95% low, 95% high), shares. The interval is the
        population-sampling error of this seed's synthetic population (all agents weigh the same)."""
        s, b = self.scenario.learners, self.baseline.learners
        d = s.ever_enrolled.astype(np.float64) - b.ever_enrolled.astype(np.float64)
        keep = np.ones(len(d), dtype=bool)
        spec = GROUPS[group]
        if spec is not None:
            attr, code = spec
            keep &= getattr(s, attr) == code
        if state is not None:
            keep &= s.state == STATES.index(state)
        d = d[keep]
        if len(d) < 2:
            return float("nan"), float("nan"), float("nan")
        return metrics.mean_ci(d)


def _state_snapshot(model) -> dict:
    """Uptake by state for each displayed group ((16,) arrays, NaN for an empty cell) and public
    spend placed by state, cumulative, per lever (RM; subsidies from the persons' records,
    leavers included, the other pots from the ledger's bookings by state)."""
    L, n = model.learners, len(STATES)
    ever = L.ever_enrolled
    w = L.weight.astype(np.float64)
    uptake = {}
    for group, spec in GROUPS.items():
        mask = np.ones(L.n, dtype=bool) if spec is None else getattr(L, spec[0]) == spec[1]
        num = np.bincount(L.state, weights=w * (mask & ever), minlength=n)
        den = np.bincount(L.state, weights=w * mask, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            uptake[group] = np.where(den > 0, num / den, np.nan)
    subsidy = np.bincount(L.state, weights=w * L.subsidy_rm, minlength=n)
    for d in model.departed:
        subsidy += np.bincount(d["state"], weights=d["weight"].astype(np.float64) * d["subsidy_rm"], minlength=n)
    spend = {lever: np.zeros(n) for lever in LEVER_NAMES}
    spend["subsidy"] += subsidy
    for pot, (lever, _) in POTS.items():
        spend[lever] += model.policy.spend_by_state[pot]
    return {"uptake": uptake, "spend": spend}
