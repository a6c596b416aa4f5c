"""The recommended mixes against the named scenarios: one run configuration per mix (the
baseline with the mix's values set) for ``sim.experiment.compare.run_comparison``, and the
paired differences of additional B40 completers between each mix and each scenario."""

from __future__ import annotations

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from sim import metrics
from sim.analysis.effects import BASELINE
from sim.experiment.optimise.space import SearchSpace


def mix_name(level_rm: float) -> str:
    return f"best_mix_rm{level_rm / 1e6:g}m"


def mix_values(space: SearchSpace, row: pd.Series) -> dict:
    """The lever values of an archive row (lists back from their JSON text)."""
    import json

    keys = [s.key for s in space.settings] + [space.pot_key(lever, key) for _, lever, key in space.pots] \
        + [f"policy.{lever}.enabled" for lever, _ in space.enabled_in_base]
    out = {}
    for key in keys:
        value = row[key]
        out[key] = json.loads(value) if isinstance(value, str) and value.startswith("[") else value
        if isinstance(out[key], (np.bool_, np.floating)):
            out[key] = out[key].item()
    return out


def mix_configs(base: DictConfig, space: SearchSpace, recommended: pd.DataFrame) -> dict[str, DictConfig]:
    """A run configuration per distinct recommended mix, named after the lowest budget level
    that recommends it (the same mix at a higher level is not run twice)."""
    from sim.config.compose import with_values

    out, seen = {}, {}
    for _, row in recommended.dropna(subset=["candidate"]).iterrows():
        candidate = int(row.candidate)
        if candidate in seen:
            continue
        name = mix_name(row.budget_level_rm)
        seen[candidate] = name
        values = mix_values(space, row)
        cfg = with_values(base, {**values, "scenario.name": name,
                                 "scenario.annual_public_cost_rm": space.allocation_rm(values),
                                 "scenario.description": f"mcsim optimise: the best robust mix within "
                                                         f"RM {row.budget_level_rm / 1e6:,.0f} million a year "
                                                         f"(candidate {candidate})"})
        out[name] = cfg
    return out


def versus_table(comparison, mixes: list[str], equity: str, percentile: float) -> pd.DataFrame:
    """Per (mix, scenario): the paired difference in additional B40 completers (mix minus
    scenario, both against the baseline of the same cell), its 95% interval, and the options'
    equity over the same cells (robust percentile and mean, for the mix and for the scenario)."""
    groups = comparison.counterfactual_groups
    b40 = groups[(groups.dimension == "income") & (groups.group == "B40")].set_index(["scenario", "seed"])
    runs = comparison.runs.set_index(["scenario", "seed"])
    scenarios = [s for s in comparison.meta["scenarios"] if s != BASELINE and s not in mixes]
    rows = []
    for mix in mixes:
        a = b40.loc[mix].additional_completers.sort_index()
        mix_eq = runs.loc[mix][equity].sort_index().to_numpy(float)
        for scenario in scenarios:
            b = b40.loc[scenario].additional_completers.reindex(a.index)
            scen_eq = runs.loc[scenario][equity].sort_index().to_numpy(float)
            d = metrics.paired_difference_ci(a.to_numpy(float), b.to_numpy(float))
            rows.append({"mix": mix, "scenario": scenario, "cells": d["n"],
                         "mix_additional_b40_completers": float(a.mean()),
                         "scenario_additional_b40_completers": float(b.mean()),
                         "difference": d["mean_difference"], "ci_low": d["ci_low"], "ci_high": d["ci_high"],
                         "mix_equity_robust": float(np.percentile(mix_eq, percentile)),
                         "mix_equity_mean": float(mix_eq.mean()),
                         "scenario_equity_robust": float(np.percentile(scen_eq, percentile)),
                         "scenario_equity_mean": float(scen_eq.mean())})
    return pd.DataFrame(rows)
