"""The explorer's figures (matplotlib, no pyplot: safe in the server's threads).

Scenario lines are solid, the baseline twin's dashed in the same colour, so each panel shows
the effect as the gap between a solid line and its dashed partner.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure

COLOURS = {"B40": "#d95f02", "M40": "#7570b3", "T20": "#1b9e77", "urban": "#386cb0", "rural": "#66a61e",
           "all": "#333333", "B40/T20": "#d95f02", "rural/urban": "#66a61e",
           "accredited": "#1b9e77", "other": "#999999"}
LEVER_COLOURS = {"subsidy": "#d95f02", "connectivity": "#386cb0", "recognition": "#1b9e77",
                 "awareness": "#e7298a", "readiness": "#66a61e"}


def _pair(ax, twin, metric: str, groups, scale: float = 1.0, state: str | None = None) -> None:
    x = np.arange(twin.quarter)
    for g in groups:
        c = COLOURS.get(g)
        ax.plot(x, scale * twin.series(metric, g, "scenario", state), color=c, lw=2, label=g)
        ax.plot(x, scale * twin.series(metric, g, "baseline", state), color=c, lw=1.2, ls="--")


def _axes_time(ax, twin, title: str, ylabel: str) -> None:
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_ylabel(ylabel, fontsize=8)
    ticks = list(range(0, twin.horizon, 4 if twin.quarter <= 16 else 8))
    ax.set_xticks(ticks, [twin.period(q)[:4] for q in ticks], fontsize=8)
    ax.set_xlim(-0.5, max(twin.quarter, 4) - 0.5)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)


def dashboard(twin, title: str = "", state: str | None = None) -> Figure:
    """Six panels: uptake by income and by location, equity ratios, cumulative public spend
    by lever, employer trust, and the paired scenario-minus-baseline uptake difference. With
    ``state`` every panel but employer trust (national) is that state's."""
    where = f" in {state}" if state else ""
    fig = Figure(figsize=(12, 6.6), dpi=100, layout="constrained")
    axes = fig.subplots(2, 3)
    if title:
        fig.suptitle(title, fontsize=11)
    if twin is None or twin.quarter == 0:
        for ax in axes.flat:
            ax.set_axis_off()
        axes[0, 0].text(0, 0.5, "Press Step or Run to simulate quarters.", fontsize=12)
        return fig
    ax = axes[0, 0]
    _pair(ax, twin, "uptake_rate", ("B40", "M40", "T20"), 100, state)
    _axes_time(ax, twin, f"Uptake by income group{where}", "% of adults")
    ax.legend(fontsize=8, title="solid: scenario, dashed: baseline", title_fontsize=7)
    ax = axes[0, 1]
    _pair(ax, twin, "uptake_rate", ("urban", "rural"), 100, state)
    _axes_time(ax, twin, f"Uptake, urban and rural{where}", "% of adults")
    ax.legend(fontsize=8)
    ax = axes[0, 2]
    _pair(ax, twin, "rate_ratio", ("B40/T20", "rural/urban"), 1.0, state)
    ax.axhline(1.0, color="black", lw=0.8)
    _axes_time(ax, twin, f"Equity ratios of uptake{where} (1 = parity)", "ratio")
    ax.legend(fontsize=8)
    ax = axes[1, 0]
    spend = twin.cumulative_spend_rm("scenario", state)
    x = np.arange(twin.quarter)
    ax.stackplot(x, *[v / 1e6 for v in spend.values()], labels=list(spend),
                 colors=[LEVER_COLOURS.get(k, "#aaaaaa") for k in spend], alpha=0.85)
    _axes_time(ax, twin, f"Public spend by lever, cumulative{where}", "RM million")
    ax.legend(fontsize=7, loc="upper left")
    ax = axes[1, 1]
    _pair(ax, twin, "employer_trust", ("accredited", "other"))
    _axes_time(ax, twin, "Employer trust in micro-credentials" + (" (national)" if state else ""),
               "mean trust (0-1)")
    ax.legend(fontsize=8)
    ax = axes[1, 2]
    for g in ("all", "B40", "M40", "T20", "rural"):
        diff = twin.series("uptake_rate", g, "scenario", state) - twin.series("uptake_rate", g, "baseline", state)
        ax.plot(x, 100 * diff, color=COLOURS[g], lw=2, label=g)
    ax.axhline(0.0, color="black", lw=0.8)
    _axes_time(ax, twin, f"Effect: scenario minus baseline uptake{where}", "percentage points")
    ax.legend(fontsize=8)
    return fig


def figure_bytes(fig: Figure, fmt: str, dpi: int = 150) -> bytes:
    """The figure as ``png`` or ``svg`` bytes (``dpi`` for PNG)."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi)
    return buf.getvalue()
