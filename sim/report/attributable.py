"""Costs attributable to learning, beside the full costs.

Broadband, devices, digital-skills courses and community access centres serve everything a
household does online, so charging all of them to micro-credentials overstates what learning
costs. The report therefore states each cost twice: in full, and attributable to learning,
with connectivity outlays counted at ``policy.connectivity.learning_share_of_cost`` (an
assumption: the share of household internet-use time spent on education and learning) and
every other lever in full. Comparisons stored before attributable spend was reported have no
such columns; then nothing here is shown.
"""

from __future__ import annotations

import math

import pandas as pd

from sim.analysis.effects import BASELINE
from sim.report.style import label, pct, rm, rm_million

SPEND = "incremental_spend_attributable_rm"


def _ok(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def available(t: dict) -> bool:
    """Whether the comparison reports attributable spend."""
    ce = t["cost_effectiveness"]
    return SPEND in ce and ce[SPEND].notna().any()


def learning_shares(t: dict, meta: dict) -> dict[str, float]:
    """Share of connectivity outlays counted per scenario: from the comparison's description,
    else read back from the spend table (attributable over full connectivity spend)."""
    shares = {s: float(v) for s, v in (meta.get("learning_share_of_cost") or {}).items()}
    if shares:
        return shares
    spend = t["spend_by_lever"].set_index(["scenario", "measure"])["mean"]
    out = {}
    for s in meta["scenarios"]:
        full = spend.get((s, "public_spend_rm.connectivity"))
        part = spend.get((s, "public_spend_attributable_rm.connectivity"))
        if _ok(full) and _ok(part) and full > 0:
            out[s] = part / full
    return out


def rule(t: dict, meta: dict) -> str:
    """The allocation rule in one sentence, with the share(s) used."""
    values = sorted(set(round(v, 4) for s, v in learning_shares(t, meta).items() if s != BASELINE))
    share = (pct(values[0], 0) if len(values) == 1 else
             f"{pct(values[0], 0)} to {pct(values[-1], 0)} depending on the option" if values else
             "the share attributed to learning")
    return (f"Costs are stated twice: in full, and attributable to learning. Broadband, devices, "
            f"digital-skills courses and community access centres serve everything a household does online, "
            f"so the attributable figure counts {share} of connectivity outlays (the assumed share of household "
            f"internet use spent on education and learning, plausible range 5% to 25%; "
            f"policy.connectivity.learning_share_of_cost) and every other lever in full. For options without "
            f"connectivity spending the two figures are equal.")


def differs(row) -> bool:
    """Whether an option's attributable incremental spend differs from its full one."""
    return _ok(row.get(SPEND)) and not math.isclose(row[SPEND], row.incremental_spend_rm, rel_tol=1e-9, abs_tol=0.5)


def summary_sentence(row) -> str:
    """' Attributable to learning: RM x million, RM y per additional completer and RM z per
    additional B40 completer.' for an option with connectivity spending, else ''."""
    if not differs(row):
        return ""
    costs = []
    for suffix, who in (("", ""), ("_b40", "B40 ")):
        cost = row.get(f"cost_per_additional_completer{suffix}_attributable_rm")
        if _ok(cost):
            costs.append(f"{rm(cost)} per additional {who}completer")
    tail = f", {' and '.join(costs)}" if costs else ""
    return f" Attributable to learning: {rm_million(row[SPEND])} of public money{tail}."


def cheapest_clause(ce: pd.DataFrame) -> str:
    """Bottom-line addition when the cheapest option per additional completer changes once
    connectivity is counted at its learning share."""
    full = ce.cost_per_additional_completer_rm.dropna()
    part = ce.get("cost_per_additional_completer_attributable_rm", pd.Series(dtype=float)).dropna()
    if not len(part) or (len(full) and part.idxmin() == full.idxmin()):
        return ""
    best = part.idxmin()
    return (f" Counting only costs attributable to learning, the lowest is the {label(best)} "
            f"({rm(part[best])}).")


def cost_table(t: dict, meta: dict, cost) -> tuple:
    """The cost-per-completer table on the attributable basis; ``cost(s, suffix)`` formats a
    cell from the cost-effectiveness table."""
    ce = t["cost_effectiveness"].set_index("scenario")
    others = [s for s in meta["scenarios"] if s != BASELINE]
    header = ["Scenario", "Attributable spend", "RM per additional completer", "per additional B40 completer",
              "per additional rural completer", "Frontier"]
    rows = [[label(s), rm_million(ce.loc[s, SPEND])] + [cost(s, f"{suffix}_attributable") for suffix in
                                                       ("", "_b40", "_rural")] + [ce.loc[s, "frontier_attributable"]]
            for s in others]
    return ("table", header, rows, f"Cost per additional completer attributable to learning: as above, with "
                                   f"connectivity outlays counted at their learning share. {rule(t, meta)}")
