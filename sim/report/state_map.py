"""Tile maps of Malaysia's 13 states and 3 federal territories: one equal square each, laid out
roughly as the country lies (Peninsular Malaysia left, Sabah, Sarawak and Labuan right). Pure
matplotlib, no GIS data: it works offline and every state is equally visible, however small.

Each tile is coloured by a value (a level, e.g. uptake, or a paired effect) and carries the
state's short name, the value and its interval. Levels use a sequential scale (viridis), effects
a diverging scale centred at 0 (ColorBrewer PuOr: orange below 0, purple above); both are
colour-blind safe and print in grey. Tiles too noisy to read (rule:
:mod:`sim.analysis.state_tables`) are hatched and greyed and the figure says why.

Outcome keys are the ``*_by_state`` keys of summary.json (:data:`OUTCOMES`); each has a unit
and a formatter, so maps of levels and of effects label themselves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize, to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sim.model.domain import STATES

# (column, row) of each state's tile; row 0 at the top.
LAYOUT: dict[str, tuple[int, int]] = {
    "Perlis": (1, 0),
    "Penang": (0, 1), "Kedah": (1, 1), "Kelantan": (2, 1), "Terengganu": (3, 1),
    "Perak": (1, 2), "Pahang": (2, 2),
    "Selangor": (1, 3), "Kuala Lumpur": (2, 3),
    "Putrajaya": (2, 4), "Negeri Sembilan": (3, 4),
    "Melaka": (3, 5), "Johor": (4, 5),
    "Labuan": (7, 1), "Sabah": (8, 1), "Sarawak": (7, 2),
}
SHORT = {"Johor": "JHR", "Kedah": "KDH", "Kelantan": "KTN", "Melaka": "MLK", "Negeri Sembilan": "NSN",
         "Pahang": "PHG", "Penang": "PNG", "Perak": "PRK", "Perlis": "PLS", "Sabah": "SBH", "Sarawak": "SWK",
         "Selangor": "SGR", "Terengganu": "TRG", "Kuala Lumpur": "KUL", "Labuan": "LBN", "Putrajaya": "PJY"}
SEQUENTIAL, DIVERGING = "viridis", "PuOr"
NOISY_FACE = "#e6e6e6"
EAST = ("Sabah", "Sarawak", "Labuan")

# outcome key (summary.json) -> (title, scale, level unit, effect unit, decimals)
OUTCOMES: dict[str, tuple[str, float, str, str, int]] = {
    "uptake_by_state": ("Uptake (ever enrolled)", 100.0, "% of adults", "percentage points", 1),
    "completion_rate_by_state": ("Completion rate", 100.0, "% of finished enrolments", "percentage points", 1),
    "credential_holders_rate_by_state": ("Credential holders", 100.0, "% of adults", "percentage points", 1),
    "rate_ratio_b40_t20_by_state": ("Uptake ratio B40 / T20", 1.0, "ratio (1 = parity)", "change in ratio", 2),
    "rate_ratio_rural_urban_by_state": ("Uptake ratio rural / urban", 1.0, "ratio (1 = parity)", "change in ratio", 2),
    "public_spend_by_state_rm": ("Public spend placed in the state", 1e-6, "RM million", "RM million", 1),
    "public_subsidy_spend_by_state_rm": ("Public subsidy spend", 1e-6, "RM million", "RM million", 1),
    "agents_by_state": ("Agents", 1.0, "agents", "agents", 0),
}
# the comparison table's outcome names (sim.analysis.state_tables) -> summary key
TABLE_OUTCOMES = {"uptake_rate": "uptake_by_state", "completion_rate": "completion_rate_by_state",
                  "credential_holders_rate": "credential_holders_rate_by_state",
                  "rate_ratio_b40_t20": "rate_ratio_b40_t20_by_state",
                  "rate_ratio_rural_urban": "rate_ratio_rural_urban_by_state",
                  "public_spend_rm": "public_spend_by_state_rm"}


def _finite(x) -> bool:
    return x is not None and isinstance(x, (int, float, np.floating)) and math.isfinite(float(x))


def scale(kind: str, values) -> Normalize:
    """Colour normalisation: levels from their min to max, effects symmetric about 0."""
    v = np.array([float(x) for x in values if _finite(x)])
    if kind == "effect":
        m = float(np.abs(v).max()) if len(v) else 1.0
        m = m if m > 0 else 1.0
        return Normalize(-m, m)
    lo, hi = (float(v.min()), float(v.max())) if len(v) else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 0.5 * (abs(lo) or 1.0), hi + 0.5 * (abs(hi) or 1.0)
    return Normalize(lo, hi)


def tile_colours(values: Mapping[str, float], kind: str = "level", noisy: Mapping[str, bool] | None = None) -> dict:
    """Hex fill of each state's tile: the value's colour, or the noisy grey (also for NaN)."""
    noisy = noisy or {}
    norm = scale(kind, values.values())
    cmap = colormaps[DIVERGING if kind == "effect" else SEQUENTIAL]
    return {s: (NOISY_FACE if noisy.get(s) or not _finite(values.get(s)) else to_hex(cmap(norm(float(values[s])))))
            for s in STATES}


def decimals(outcome: str, kind: str = "level") -> int:
    """Decimals shown: one more for effects of shares (percentage points are small)."""
    _, k, _, _, dec = OUTCOMES[outcome]
    return dec + 1 if kind == "effect" and k == 100.0 else dec


def format_value(outcome: str, x, kind: str = "level") -> str:
    k = OUTCOMES[outcome][1]
    if not _finite(x):
        return "n/a"
    sign = "+" if kind == "effect" else ""
    return f"{k * float(x):{sign}.{decimals(outcome, kind)}f}"


def unit(outcome: str, kind: str = "level") -> str:
    _, _, level_unit, effect_unit, _ = OUTCOMES[outcome]
    return effect_unit if kind == "effect" else level_unit


def draw_tile_map(ax, outcome: str, values: Mapping[str, float], kind: str = "level",
                  intervals: Mapping[str, tuple[float, float]] | None = None,
                  noisy: Mapping[str, bool] | None = None, colourbar=True) -> dict[str, Rectangle]:
    """Draw the tile map of ``values`` (state name -> value in the summary's units) on ``ax``.

    ``kind`` is ``"level"`` (sequential scale) or ``"effect"`` (diverging, centred at 0);
    ``intervals`` (state -> (low, high)) are written under each value; ``noisy`` states are
    hatched and greyed. ``colourbar``: True (beside the map), False, or an Axes to draw it in.
    Returns the tile patches by state (in :data:`sim.model.domain.STATES` order).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"no tile map for {outcome!r}: choose one of {', '.join(OUTCOMES)}")
    if kind not in ("level", "effect"):
        raise ValueError(f"kind is {kind!r}, must be 'level' or 'effect'")
    intervals, noisy = intervals or {}, noisy or {}
    k = OUTCOMES[outcome][1]
    colours = tile_colours(values, kind, noisy)
    norm = scale(kind, values.values())
    cmap = colormaps[DIVERGING if kind == "effect" else SEQUENTIAL]
    tiles = {}
    for state in STATES:
        col, row = LAYOUT[state]
        grey = colours[state] == NOISY_FACE
        patch = Rectangle((col, -row), 0.94, 0.94, facecolor=colours[state], edgecolor="white", lw=1.5,
                          hatch="///" if grey else None)
        patch.set_gid(f"tile-{state}")
        ax.add_patch(patch)
        tiles[state] = patch
        value = values.get(state)
        text_colour = "#555555" if grey else _ink(colours[state])
        cx, top = col + 0.47, -row + 0.94
        ax.text(cx, top - 0.17, SHORT[state], ha="center", va="center", fontsize=8, fontweight="bold",
                color=text_colour)
        ax.text(cx, top - 0.45, format_value(outcome, value, kind), ha="center", va="center", fontsize=8.5,
                color=text_colour)
        lo, hi = intervals.get(state, (None, None))
        if _finite(lo) and _finite(hi):
            dec = decimals(outcome, kind)
            ax.text(cx, top - 0.72, f"{k * lo:.{dec}f} to {k * hi:.{dec}f}", ha="center", va="center",
                    fontsize=5.5, color=text_colour)
    ax.text(0, 0.95 + 0.3, "Peninsular Malaysia", fontsize=8, color="#444444", va="bottom")
    ax.text(7, 0.95 + 0.3 - 1, "East Malaysia (Borneo)", fontsize=8, color="#444444", va="bottom")
    ax.plot([5.9, 5.9], [-5.1, 0.9], color="#bbbbbb", lw=0.8, ls=":")
    ax.set_xlim(-0.2, 9.1)
    ax.set_ylim(-5.2, 1.6)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if colourbar:
        from matplotlib.cm import ScalarMappable

        sm = ScalarMappable(norm=Normalize(norm.vmin * k, norm.vmax * k), cmap=cmap)
        if colourbar is True:
            bar = ax.figure.colorbar(sm, ax=ax, orientation="horizontal", fraction=0.05, pad=0.02, shrink=0.6)
        else:
            bar = ax.figure.colorbar(sm, cax=colourbar, orientation="horizontal")
        bar.set_label(unit(outcome, kind) + (" (scenario minus baseline)" if kind == "effect" else ""), fontsize=8)
        bar.ax.tick_params(labelsize=7)
        bar.ax.grid(False)
    return tiles


def _ink(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def tile_map_figure(outcome: str, values: Mapping[str, float], kind: str = "level", title: str = "",
                    intervals=None, noisy=None, note: str = "", footer: str = "") -> Figure:
    """A whole figure: title, the map with its colour bar, a note on noisy tiles and a footer."""
    fig = Figure(figsize=(8.0, 6.0), dpi=100)
    ax = fig.add_axes((0.02, 0.27, 0.96, 0.64))
    draw_tile_map(ax, outcome, values, kind, intervals, noisy, colourbar=fig.add_axes((0.25, 0.19, 0.5, 0.025)))
    fig.suptitle(title or OUTCOMES[outcome][0], fontsize=11, fontweight="bold", x=0.01, ha="left")
    texts = []
    if noisy and any(noisy.get(s) for s in STATES):
        texts.append(note or "Hatched grey tiles: too noisy to read (see the rule in docs/OUTPUTS_COMPARE.md).")
    if footer:
        texts.append(footer)
    if texts:
        fig.text(0.01, 0.01, "\n".join(texts), fontsize=6.5, color="#555555", ha="left", va="bottom", wrap=True)
    return fig


__all__ = ["LAYOUT", "OUTCOMES", "SHORT", "draw_tile_map", "format_value", "scale", "tile_colours",
           "tile_map_figure", "unit"]
