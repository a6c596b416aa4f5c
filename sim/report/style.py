"""Words and formats shared by the figures and the report: scenario labels, a
colour-blind-safe palette (Okabe-Ito), and number formats."""

from __future__ import annotations

import math

from sim.palette import SCENARIO_COLOURS

OKABE_ITO = SCENARIO_COLOURS   # sim.palette: black first for the baseline
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

SCENARIO_LABELS = {
    "baseline": "Baseline (status quo)",
    "b40_voucher": "B40 voucher",
    "universal_voucher": "Universal voucher",
    "rural_connectivity": "Rural connectivity",
    "recognition_push": "Recognition push",
    "awareness_campaign": "Awareness campaign",
    "provider_readiness": "Provider readiness programme",
    "integrated": "Integrated package",
    "east_malaysia_connectivity": "East Malaysia connectivity",
    "b40_poorest_states": "B40 voucher, poorest states",
}


def label(scenario: str) -> str:
    return SCENARIO_LABELS.get(scenario, scenario.replace("_", " ").capitalize())


def colour(scenarios: list[str], scenario: str) -> str:
    return OKABE_ITO[scenarios.index(scenario) % len(OKABE_ITO)]


def marker(scenarios: list[str], scenario: str) -> str:
    return MARKERS[scenarios.index(scenario) % len(MARKERS)]


def _ok(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def pct(x, digits: int = 1) -> str:
    """A share as a percentage: 0.1234 -> '12.3%'."""
    return f"{100 * x:.{digits}f}%" if _ok(x) else "n/a"


def pp(x, digits: int = 1) -> str:
    """A difference of shares in percentage points: 0.0123 -> '+1.2'."""
    return f"{100 * x:+.{digits}f}" if _ok(x) else "n/a"


def num(x, digits: int = 2) -> str:
    return f"{x:.{digits}f}" if _ok(x) else "n/a"


def rm(x) -> str:
    """RM with thousands separators, no decimals: 'RM 3,499'."""
    return f"RM {x:,.0f}" if _ok(x) else "n/a"


def rm_million(x) -> str:
    return f"RM {x / 1e6:,.1f} million" if _ok(x) else "n/a"


def persons(x) -> str:
    """A count of persons, rounded to the nearest hundred: '68,900'."""
    return f"{round(x, -2):,.0f}" if _ok(x) else "n/a"


def footer(meta: dict) -> str:
    """The stamp on every figure: scenario set, agents, runs (parameter draws x seeds per draw
    when the comparison drew parameters, else replicates), seeds, code version."""
    seeds = meta.get("seeds") or [0]
    runs = meta.get("replicates", 0)
    if meta.get("draws"):
        per = meta.get("seeds_per_draw") or runs // meta["draws"]
        runs = (f"{meta['draws']} parameter draws x {per} seed{'s' if per != 1 else ''} "
                f"({meta.get('replicates', meta['draws'] * per)} runs per scenario)")
    else:
        runs = f"{runs} replicates"
    return (f"Scenarios: {', '.join(meta.get('scenarios', []))}.  {meta.get('n_agents', 0):,} agents "
            f"({meta.get('persons_per_agent', 0):,.0f} persons each), {runs}, "
            f"seeds {seeds[0]}-{seeds[-1]} (common random numbers).  mcsim {meta.get('code_version', '')}")
