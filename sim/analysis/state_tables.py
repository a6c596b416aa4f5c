"""The comparison's tables by state: each scenario's outcomes per state with paired effects, and
cost per additional completer per state. Built from the stored per-run frames, like
:mod:`sim.analysis.tables`; columns are documented in docs/OUTPUTS_COMPARE.md.

Too noisy to read (the rule the tile maps and tables apply, docs/OUTPUTS_COMPARE.md):

- any value of a state with fewer than :data:`MIN_AGENTS` agents on average over replicates;
- a level whose 95% interval half-width exceeds :data:`LEVEL_REL_HALF_WIDTH` of the level;
- an effect whose interval spans zero with a half-width above :data:`EFFECT_REL_HALF_WIDTH` of
  the largest absolute effect of that scenario and outcome across states (its sign and size
  cannot be told apart from the other states'). A precisely estimated effect near zero is
  readable: it says the state did not move.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.effects import BASELINE, ratio_ci
from sim.model.domain import STATES

MIN_AGENTS = 200                # agents in a state (mean over replicates)
LEVEL_REL_HALF_WIDTH = 0.5      # half-width / |level|
EFFECT_REL_HALF_WIDTH = 0.5     # half-width / max |effect| over states, for intervals spanning 0

# summary.json key -> outcome name in the table (all per state, group = state name)
STATE_OUTCOMES = {
    "uptake_by_state": "uptake_rate",
    "completion_rate_by_state": "completion_rate",
    "credential_holders_rate_by_state": "credential_holders_rate",
    "rate_ratio_b40_t20_by_state": "rate_ratio_b40_t20",
    "rate_ratio_rural_urban_by_state": "rate_ratio_rural_urban",
    "public_spend_by_state_rm": "public_spend_rm",
}


def _agents(runs: pd.DataFrame) -> pd.DataFrame:
    cols = [f"agents_by_state.{s}" for s in STATES]
    if not set(cols) <= set(runs.columns):       # runs stored before agents were reported
        return pd.DataFrame(columns=["scenario", "state", "agents"])
    mean = runs.groupby("scenario", sort=False)[cols].mean()
    mean.columns = list(STATES)
    return mean.reset_index().melt(id_vars="scenario", var_name="state", value_name="agents")


def noisy_levels(table: pd.DataFrame) -> pd.Series:
    half = (table.ci_high - table.ci_low) / 2
    return (table.agents < MIN_AGENTS) | table["mean"].isna() | (half > LEVEL_REL_HALF_WIDTH * table["mean"].abs())


def noisy_effects(table: pd.DataFrame) -> pd.Series:
    half = (table.difference_ci_high - table.difference_ci_low) / 2
    largest = table.groupby(["scenario", "outcome"], sort=False).difference.transform(lambda d: d.abs().max())
    spans_zero = (table.difference_ci_low <= 0) & (table.difference_ci_high >= 0)
    wide = spans_zero & (half > EFFECT_REL_HALF_WIDTH * largest)
    return (table.agents < MIN_AGENTS) | table.difference.isna() | wide


def state_effects(effects: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per (scenario, state, outcome): level with interval, baseline level, paired
    difference with interval, mean agents in the state, and the noise flags."""
    sel = effects[effects.outcome.isin(STATE_OUTCOMES) & effects.group.isin(STATES)]
    table = sel.assign(outcome=sel.outcome.map(STATE_OUTCOMES)).rename(columns={"group": "state"})
    table = table[["scenario", "state", "outcome", "n_replicates", "mean", "ci_low", "ci_high", "baseline_mean",
                   "difference", "difference_ci_low", "difference_ci_high"]]
    table = table.merge(_agents(runs), on=["scenario", "state"], how="left")
    table["agents"] = table.agents.astype(float)
    table["noisy_level"] = noisy_levels(table)
    table["noisy_effect"] = noisy_effects(table)
    order = {s: i for i, s in enumerate(STATES)}
    out_order = {o: i for i, o in enumerate(STATE_OUTCOMES.values())}
    scen_order = {s: i for i, s in enumerate(pd.unique(runs.scenario))}
    key = (table.scenario.map(scen_order) * 10_000 + table.outcome.map(out_order) * 100 + table.state.map(order))
    return table.assign(_k=key).sort_values("_k", kind="stable").drop(columns="_k").reset_index(drop=True)


def state_cost_effectiveness(runs: pd.DataFrame, groups: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per (scenario, state): incremental public spend placed in the state (RM, paired by seed),
    additional completers living there (exact counterfactuals) and the cost per additional
    completer (ratio of means with its delta-method interval; NaN interval unless the
    completers' own interval excludes 0, as nationally)."""
    from sim import metrics

    cols = [f"public_spend_by_state_rm.{s}" for s in STATES]
    if not set(cols) <= set(runs.columns) or "dimension" not in groups or not (groups.dimension == "state").any():
        return pd.DataFrame(columns=["scenario", "state"])
    spend = runs[["scenario", "seed", *cols]]
    base = spend[spend.scenario == BASELINE].drop(columns="scenario").set_index("seed")
    who = groups[groups.dimension == "state"]
    rows = []
    for scenario in pd.unique(runs.scenario):
        if scenario == BASELINE:
            continue
        mine = spend[spend.scenario == scenario].set_index("seed")
        seeds = sorted(set(mine.index) & set(base.index))
        for state, col in zip(STATES, cols):
            inc = (mine.loc[seeds, col] - base.loc[seeds, col]).to_numpy(float)
            w = who[(who.scenario == scenario) & (who.group == state)].set_index("seed")
            add = w.reindex(seeds).additional_completers.to_numpy(float)
            m, lo, hi = metrics.mean_ci(add, level)
            r, rlo, rhi = ratio_ci(inc, add, level)
            rows.append({"scenario": scenario, "state": state, "n_replicates": len(seeds),
                         "incremental_spend_rm": float(inc.mean()) if len(inc) else np.nan,
                         "additional_completers": m, "additional_completers_ci_low": lo,
                         "additional_completers_ci_high": hi, "cost_per_additional_completer_rm": r,
                         "cost_per_additional_completer_rm_ci_low": rlo,
                         "cost_per_additional_completer_rm_ci_high": rhi})
    return pd.DataFrame(rows)
