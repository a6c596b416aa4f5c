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
        self._quarter += 1

    def series(self, metric: str, group: str, twin: str = "scenario") -> np.ndarray:
        """Per-quarter values of ``history[q][metric][group]`` for one twin."""
        model = self.scenario if twin == "scenario" else self.baseline
        history = model.history[:self._quarter]
        return np.array([record[metric][group] for record in history], dtype=np.float64)

    def cumulative_spend_rm(self, twin: str = "scenario") -> dict[str, np.ndarray]:
        """Public spend per lever, cumulative from 2025Q1, RM."""
        model = self.scenario if twin == "scenario" else self.baseline
        levers = model.history[0]["public_spend_rm"].keys() if self._quarter else []
        return {lever: np.cumsum(self.series("public_spend_rm", lever, twin)) for lever in levers}

    def attributable_spend_so_far_rm(self, twin: str = "scenario") -> float:
        """Public spend from 2025Q1 to now counting connectivity at its share attributable to
        learning (``policy.connectivity.learning_share_of_cost``), RM."""
        model = self.scenario if twin == "scenario" else self.baseline
        return float(sum(arr[:self._quarter].sum() for arr in model.policy.attributable_spend_by_lever().values()))

    def paired_uptake(self, group: str) -> tuple[float, float, float]:
        """Uptake (ever enrolled) of scenario minus baseline in ``group``, agent by agent:
        (mean, 95% low, 95% high), shares. The interval is the population-sampling error of
        this seed's synthetic population (all agents weigh the same)."""
        s, b = self.scenario.learners, self.baseline.learners
        d = s.ever_enrolled.astype(np.float64) - b.ever_enrolled.astype(np.float64)
        spec = GROUPS[group]
        if spec is not None:
            attr, code = spec
            d = d[getattr(s, attr) == code]
        if len(d) < 2:
            return float("nan"), float("nan"), float("nan")
        return metrics.mean_ci(d)
