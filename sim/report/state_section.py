"""The comparison report's section by state: tile maps (the baseline's level and each option's
paired effect on uptake), the by-state effects table and cost per additional completer by state.

Built from the tables of :mod:`sim.analysis.state_tables` (stored comparisons made before they
existed give an empty section, so ``mcsim report`` still rebuilds old folders).
"""

from __future__ import annotations

import math

import pandas as pd

from sim.analysis.effects import BASELINE
from sim.analysis.state_tables import EFFECT_REL_HALF_WIDTH, LEVEL_REL_HALF_WIDTH, MIN_AGENTS
from sim.model.domain import STATES
from sim.report.state_map import TABLE_OUTCOMES, tile_map_figure
from sim.report.style import footer, label

MAP_OUTCOME = "uptake_rate"   # the outcome mapped in the report
NOISE_RULE = (f"Hatched grey tiles (and a dagger in the tables) are too noisy to read: the state had fewer than "
              f"{MIN_AGENTS} agents per replicate, or a level's 95% interval is wider than "
              f"+/-{LEVEL_REL_HALF_WIDTH:.0%} of the level, or an effect's interval spans zero and is wider than "
              f"+/-{EFFECT_REL_HALF_WIDTH:.0%} of the largest effect on the map.")


def _rows(tables: dict, outcome: str = MAP_OUTCOME) -> pd.DataFrame:
    t = tables.get("state_effects")
    if t is None or t.empty:
        return pd.DataFrame()
    return t[t.outcome == outcome]


def figure_name(scenario: str, kind: str) -> str:
    return f"state_map_{'level' if kind == 'level' else 'effect'}_{scenario}"


def state_figures(tables: dict, meta: dict) -> list[tuple[str, object]]:
    """(name, Figure) of the baseline's uptake map and each option's effect map."""
    rows = _rows(tables)
    if rows.empty:
        return []
    summary_key = TABLE_OUTCOMES[MAP_OUTCOME]
    out = []
    base = rows[rows.scenario == BASELINE].set_index("state")
    if len(base):
        fig = tile_map_figure(
            summary_key, base["mean"].to_dict(), "level", f"Uptake by state under the status quo (baseline), "
            f"{meta.get('quarters', 40) // 4} years", {s: (r.ci_low, r.ci_high) for s, r in base.iterrows()},
            base.noisy_level.to_dict(), NOISE_RULE, footer(meta))
        out.append((figure_name(BASELINE, "level"), fig))
    for scenario in meta["scenarios"]:
        if scenario == BASELINE:
            continue
        s = rows[rows.scenario == scenario].set_index("state")
        if s.empty:
            continue
        fig = tile_map_figure(
            summary_key, s.difference.to_dict(), "effect", f"{label(scenario)}: effect on uptake by state "
            "(paired, 95% interval)", {st: (r.difference_ci_low, r.difference_ci_high) for st, r in s.iterrows()},
            s.noisy_effect.to_dict(), NOISE_RULE, footer(meta))
        out.append((figure_name(scenario, "effect"), fig))
    return out


def _pp(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:+.2f}"


def _rm(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.0f}"


def section(tables: dict, meta: dict) -> list:
    """Report blocks: the maps, the effects table by state and the cost table by state."""
    rows = _rows(tables)
    if rows.empty:
        return []
    options = [s for s in meta["scenarios"] if s != BASELINE]
    base = rows[rows.scenario == BASELINE].set_index("state")
    header = ["State", "Agents", "Baseline uptake (%)"] + [f"{label(s)} (pp)" for s in options]
    body = []
    for state in STATES:
        b = base.loc[state] if state in base.index else None
        cells = [state, f"{b.agents:,.0f}" if b is not None else "n/a",
                 (f"{100 * b['mean']:.1f}" + (" †" if b.noisy_level else "")) if b is not None else "n/a"]
        for s in options:
            r = rows[(rows.scenario == s) & (rows.state == state)]
            if r.empty:
                cells.append("n/a")
                continue
            r = r.iloc[0]
            cells.append(f"{_pp(r.difference)} [{_pp(r.difference_ci_low)}, {_pp(r.difference_ci_high)}]"
                         + (" †" if r.noisy_effect else ""))
        body.append(cells)
    blocks = [("h2", "By state"),
              ("p", "Uptake by state of residence under the status quo, and each option's paired effect on it "
                    "(scenario minus baseline, same seeds), with 95% intervals. Small states hold few agents, so "
                    "their intervals are wide. " + NOISE_RULE + " Every outcome by state (completion, credential "
                    "holders, equity ratios, public spend) is in tables/state_effects.csv."),
              ("figure", figure_name(BASELINE, "level"), None)]
    blocks += [("figure", figure_name(s, "effect"), None) for s in options]
    blocks.append(("table", header, body, "Uptake by state: baseline level and each option's effect in percentage "
                                          "points [95% interval]; † too noisy to read."))
    ce = tables.get("state_cost_effectiveness")
    if ce is not None and not ce.empty:
        header2 = ["Scenario", "State", "Additional spend (RM million)", "Additional completers (persons)",
                   "RM per additional completer"]
        body2 = []
        for r in ce.itertuples():
            if not (r.incremental_spend_rm > 0):
                continue     # only states where the option spent money
            cost = _rm(r.cost_per_additional_completer_rm)
            if not math.isnan(r.cost_per_additional_completer_rm_ci_low):
                cost += (f" [{_rm(r.cost_per_additional_completer_rm_ci_low)}, "
                         f"{_rm(r.cost_per_additional_completer_rm_ci_high)}]")
            body2.append([label(r.scenario), r.state, f"{r.incremental_spend_rm / 1e6:,.1f}",
                          f"{r.additional_completers:,.0f}", cost])
        if body2:
            blocks.append(("table", header2, body2,
                           "Cost per additional completer by state, where the option placed spending (public spend "
                           "on persons living there; national costs such as readiness grants and campaigns to "
                           "employers are not placed). Interval only where the completers' own interval excludes "
                           "zero."))
    return blocks
