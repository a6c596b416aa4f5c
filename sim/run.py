"""Run one scenario and seed: config -> population -> model -> run record.

A :class:`RunRecord` is everything later stages need (summary outcomes, the tidy time
series, and compact per-learner outcomes for exact paired counterfactuals); it holds no
reference to the model, so it can cross process boundaries cheaply.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sim.model import MicroCredentialModel
from sim.model.outcomes import LEARNER_OUTCOME_FIELDS, person_records


@dataclass
class RunRecord:
    scenario: str
    seed: int
    n_agents: int
    persons: float
    quarters: int
    outcomes: dict
    timeseries: pd.DataFrame
    learner_outcomes: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    wall_time_s: float = 0.0

    def summary(self) -> dict:
        """The content of summary.json."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "n_agents": self.n_agents,
            "persons": self.persons,
            "quarters": self.quarters,
            "outcomes": self.outcomes,
        }


def timeseries_frame(history: list[dict], start_year: int) -> pd.DataFrame:
    """Tidy time series: one row per (quarter, metric, group) with its value."""
    rows = []
    for q, record in enumerate(history):
        label = f"{start_year + q // 4}Q{q % 4 + 1}"
        for metric, groups in record.items():
            for group, value in groups.items():
                rows.append((q, label, metric, group, float(value)))
    return pd.DataFrame(rows, columns=["quarter", "period", "metric", "group", "value"])


def run_scenario(cfg, population=None, progress: bool | None = None, keep_learners: bool = True) -> RunRecord:
    """Build and run the model for ``cfg``; returns its :class:`RunRecord`.

    ``population`` (learners, peers) may be passed to reuse a prebuilt one (it is mutated);
    ``progress`` shows a progress bar over quarters (default: ``cfg.progress``).
    """
    from sim.model.outcomes import summarise

    start = time.perf_counter()
    show = cfg.progress if progress is None else progress
    model = MicroCredentialModel(cfg, population)
    quarters = cfg.horizon.quarters
    with tqdm(total=quarters, desc=f"{cfg.scenario.name} (seed {cfg.seed})", unit="quarter",
              disable=not show, leave=False) as bar:
        model.run(progress=lambda: bar.update(1))
    L = model.learners
    learner_outcomes = person_records(model) if keep_learners else {}
    return RunRecord(
        scenario=cfg.scenario.name,
        seed=int(cfg.seed),
        n_agents=L.n,
        persons=L.persons,
        quarters=quarters,
        outcomes=summarise(model),
        timeseries=timeseries_frame(model.history, cfg.horizon.start_year),
        learner_outcomes=learner_outcomes,
        wall_time_s=time.perf_counter() - start,
    )
