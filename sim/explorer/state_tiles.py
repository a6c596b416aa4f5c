"""The explorer's tile map of the states: one clickable square per state, laid out as in the
report's maps (:mod:`sim.report.state_map`), coloured by the paired effect on uptake so far
(scenario minus its baseline twin, diverging scale centred at 0) with the value and its 95%
interval in the tile. Clicking a state filters the numbers and the figures to it; clicking it
again, or "All Malaysia", clears the filter.

States with fewer than :data:`sim.analysis.state_tables.MIN_AGENTS` agents are hatched: too
noisy to read at the explorer's population sizes (the report's rule).
"""

from __future__ import annotations

import html
import math

from sim.analysis.state_tables import MIN_AGENTS
from sim.model.domain import STATES
from sim.report.state_map import LAYOUT, NOISY_FACE, SHORT, tile_colours
from sim.model.targeting import state_group

TILE_PX = 58


def tiles(twin, selected: str | None = None) -> list[dict]:
    """One dict per state (STATES order): name, css id suffix, grid column/row, fill colour, text
    colour, value and interval text (percentage points), noisy and selected flags."""
    effects, intervals, noisy = {}, {}, {}
    ready = twin is not None and twin.quarter > 0
    for state in STATES:
        if ready:
            mean, lo, hi = twin.paired_uptake("all", state)
            effects[state], intervals[state] = mean, (lo, hi)
            noisy[state] = twin.agents_in(state) < MIN_AGENTS
        else:
            effects[state], intervals[state], noisy[state] = math.nan, (math.nan, math.nan), False
    colours = tile_colours(effects, "effect", noisy) if ready else {s: NOISY_FACE for s in STATES}
    out = []
    for state in STATES:
        col, row = LAYOUT[state]
        mean, (lo, hi) = effects[state], intervals[state]
        value = "" if math.isnan(mean) else f"{100 * mean:+.2f}"
        interval = "" if math.isnan(lo) or math.isnan(hi) else f"{100 * lo:+.2f} to {100 * hi:+.2f}"
        out.append({"state": state, "id": state_group(state), "short": SHORT[state], "col": col, "row": row,
                    "fill": colours[state], "ink": _ink(colours[state]), "value": value, "interval": interval,
                    "noisy": noisy[state], "selected": state == selected})
    return out


def _ink(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "#111111" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "#ffffff"


def tile_style(t: dict) -> str:
    hatch = ("background-image: repeating-linear-gradient(45deg, transparent 0 6px, rgba(0,0,0,0.12) 6px 8px);"
             if t["noisy"] else "")
    border = "3px solid #d62728" if t["selected"] else "1px solid #ffffff"
    return (f"grid-column: {t['col'] + 1}; grid-row: {t['row'] + 1}; width: {TILE_PX}px; height: {TILE_PX}px; "
            f"min-width: 0; padding: 0; background-color: {t['fill']}; {hatch} color: {t['ink']}; "
            f"border: {border}; border-radius: 3px; text-transform: none; letter-spacing: 0; line-height: 1.05")


def tile_text(t: dict) -> str:
    return (f"<div style='font-size:11px;font-weight:bold'>{html.escape(t['short'])}</div>"
            f"<div style='font-size:11px'>{html.escape(t['value'])}</div>"
            f"<div style='font-size:8px'>{html.escape(t['interval'])}</div>")


def legend_html(twin) -> str:
    if twin is None or twin.quarter == 0:
        return "Step or Run to colour the states by the effect on uptake."
    return ("Effect on uptake so far, scenario minus baseline twin, percentage points (95% interval, paired by "
            "agent); orange below 0, purple above, white 0. Hatched: fewer than "
            f"{MIN_AGENTS} agents in the state, too noisy to read. Click a state to filter the numbers and figures.")
