"""The model as the search's evaluator: paired, robust objectives of a lever mix, and the
recommended mix within a budget.

Every candidate runs in the same cells: parameter draw ``d`` (a row of
``sim.experiment.uncertainty.parameter_draws``) with seed ``seed + d * seeds + r`` for
``r < seeds``, as ``mcsim compare draws=N`` numbers them. The baseline runs in the same
cells, and each candidate's outcome in a cell is paired with the baseline's in that cell
(common random numbers: the same persons, the same random streams, the same parameters).

Objectives (the robust statistic of each is a low percentile over the cells, default the
20th: the value the mix beats in four cells of five):

- maximise **additional B40 completers**: B40 persons with at least one completed course in
  the candidate's run less those in the baseline's run of the same cell (everyone who lived
  in the decade, leavers included), robust = the ``robust_percentile`` over cells;
- maximise **equity**: the candidate's uptake ratio (default B40/T20), robust = the same
  percentile over cells;
- minimise **public spend**: the mean over cells of the candidate's public spend above the
  baseline's, RM per year (total over the horizon / years).

Constraints: the largest calendar year's public spend above the baseline's, in any cell, is
at most the budget; each equity floor is met by the ratio's robust percentile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.experiment.worker import run_task

EQUITY_MEASURES = {   # uptake ratios a floor or the equity objective may name (summary keys)
    "rate_ratio_b40_t20": "B40/T20 uptake ratio",
    "rate_ratio_rural_urban": "rural/urban uptake ratio",
    "rate_ratio_female_male": "female/male uptake ratio",
}
B40 = 0   # income group code (sim.model.domain.INCOME_GROUPS)
KEPT = ("uptake_rate", "uptake_by_income.B40", "uptake_by_income.M40", "uptake_by_income.T20",
        "uptake_by_location.rural", "uptake_by_location.urban", "completion_rate", "completions_persons",
        "rate_ratio_b40_t20", "rate_ratio_rural_urban", "rate_ratio_female_male",
        "concentration_index_erreygers", "concentration_index_wagstaff",
        "public_spend_rm", "public_spend_attributable_rm", "subsidy_share_b40", "credential_holders_rate")


def search_outcomes(record) -> dict[str, float]:
    """``extract`` of a search run (on the worker): completers by group from the per-person
    arrays, the summary outcomes the search reads, and public spend by calendar year (RM)."""
    from sim.model.outcomes import flatten_outcomes

    lo = record.learner_outcomes
    w = np.asarray(lo["weight"], np.float64)
    completer = np.asarray(lo["completions"]) > 0
    b40 = np.asarray(lo["income_group"]) == B40
    rural = np.asarray(lo["rural"]).astype(bool)
    flat = flatten_outcomes(record.outcomes)
    out = {"completers": float(w @ completer), "completers_b40": float(w @ (completer & b40)),
           "completers_rural": float(w @ (completer & rural))}
    out.update({k: flat.get(k, math.nan) for k in KEPT})
    out.update({k: v for k, v in flat.items() if k.startswith("public_spend_by_lever_rm.")})
    ts = record.timeseries
    spend = ts[ts.metric == "public_spend_rm"].groupby("quarter")["value"].sum()
    years = spend.groupby(spend.index // 4).sum()
    out.update({f"public_spend_year_rm.{int(y)}": float(v) for y, v in years.items()})
    out["years"] = record.quarters / 4.0
    return out


def cells(n_draws: int, seeds: int, seed: int) -> list[tuple[int, int]]:
    """(draw, seed) of every cell: draw ``d``, seeds ``seed + d * seeds + r``."""
    return [(d, seed + d * seeds + r) for d in range(max(n_draws, 1)) for r in range(seeds)]


def _percentile(values, q: float) -> float:
    v = np.asarray(values, float)
    return float(np.percentile(v, q)) if len(v) and not np.isnan(v).any() else math.nan


@dataclass
class ModelEvaluator:
    """``base``: the baseline run configuration as a plain dict; ``draws``: the parameter
    draws (one row per draw) or None for the configured values."""

    base: dict
    draws: pd.DataFrame | None
    seeds: int
    seed: int
    budget_rm: float
    equity: str = "rate_ratio_b40_t20"
    floors: dict[str, float] = field(default_factory=dict)
    percentile: float = 20.0
    n_obj: int = 3
    objective_names: tuple[str, ...] = ("additional_b40_completers", "equity", "public_spend_per_year_rm")
    reference: dict = field(default_factory=dict)   # the baseline: nothing set
    fn = staticmethod(run_task)

    @property
    def n_constr(self) -> int:
        return 1 + len(self.floors)

    def cells(self) -> list[tuple[int, int]]:
        return cells(0 if self.draws is None else len(self.draws), self.seeds, self.seed)

    def draw_values(self, draw: int) -> dict[str, float]:
        if self.draws is None:
            return {}
        return {str(k): float(v) for k, v in self.draws.loc[draw].items()}

    def task(self, task_id: int, values: dict, draw: int, seed: int) -> tuple:
        return task_id, self.base, {**self.draw_values(draw), **values}, seed, search_outcomes

    def context(self) -> dict:
        """What every evaluation shares (the store refuses another context)."""
        return {"kind": "mcsim model", "base": self.base, "cells": [list(c) for c in self.cells()],
                "draws": None if self.draws is None else self.draws.reset_index().to_dict("list")}

    def score(self, outcomes: list[dict], reference: list[dict]) -> tuple[np.ndarray, np.ndarray, dict]:
        q = self.percentile
        add = np.array([o["completers_b40"] - r["completers_b40"] for o, r in zip(outcomes, reference)])
        add_all = np.array([o["completers"] - r["completers"] for o, r in zip(outcomes, reference)])
        spend = np.array([(o["public_spend_rm"] - r["public_spend_rm"]) / o["years"]
                          for o, r in zip(outcomes, reference)])
        peak = np.array([_peak_year(o, r) for o, r in zip(outcomes, reference)])
        ratios = {k: np.array([o[k] for o in outcomes]) for k in {self.equity, *self.floors}}
        robust = {k: _percentile(v, q) for k, v in ratios.items()}
        stats = {
            "additional_b40_completers_robust": _percentile(add, q),
            "additional_b40_completers_mean": float(add.mean()),
            "additional_b40_completers_min": float(add.min()),
            "additional_completers_mean": float(add_all.mean()),
            f"{self.equity}_robust": robust[self.equity],
            f"{self.equity}_mean": float(np.nanmean(ratios[self.equity])),
            "public_spend_per_year_rm_mean": float(spend.mean()),
            "public_spend_peak_year_rm_max": float(peak.max()),
            **{f"{k}_robust": v for k, v in robust.items() if k != self.equity},
        }
        # A NaN ratio (no T20 uptake at all) counts as the worst equity, not as missing.
        equity = robust[self.equity] if math.isfinite(robust[self.equity]) else 0.0
        F = np.array([-stats["additional_b40_completers_robust"], -equity, stats["public_spend_per_year_rm_mean"]])
        G = [(stats["public_spend_peak_year_rm_max"] - self.budget_rm) / self.budget_rm]
        G += [floor - (robust[k] if math.isfinite(robust[k]) else 0.0) for k, floor in self.floors.items()]
        return F, np.array(G), stats


def _peak_year(o: dict, r: dict) -> float:
    years = sorted(k for k in o if k.startswith("public_spend_year_rm."))
    return max((o[k] - r.get(k, 0.0) for k in years), default=0.0)


# --------------------------------------------------------------------------- recommended mixes
def recommended(front: pd.DataFrame, levels_rm: list[float]) -> pd.DataFrame:
    """For each budget level (RM per year), the front member with the best robust additional
    B40 completers among those whose largest annual spend (in any cell) is within the level
    (ties: the cheaper); an empty row when none is."""
    rows = []
    for level in levels_rm:
        within = front[front.public_spend_peak_year_rm_max <= level]
        if within.empty:
            rows.append({"budget_level_rm": float(level), "candidate": None})
            continue
        best = within.sort_values(["additional_b40_completers_robust", "public_spend_per_year_rm_mean"],
                                  ascending=[False, True]).iloc[0]
        rows.append({"budget_level_rm": float(level), **best.to_dict()})
    return pd.DataFrame(rows)
