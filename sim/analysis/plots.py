"""Figures for the analyses: matplotlib (Agg), Okabe-Ito colour-blind-safe palette, each
figure written as PNG and SVG. Functions take tidy DataFrames and a path stem and return
the written paths."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.palette import SERIES_COLOURS  # noqa: E402

OKABE_ITO = SERIES_COLOURS     # sim.palette


def save(fig, stem: Path) -> list[Path]:
    from sim.store import atomic_write_bytes
    import io

    stem = Path(stem)
    paths = []
    for ext in ("png", "svg"):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, dpi=150, bbox_inches="tight")
        path = stem.with_suffix(f".{ext}")
        atomic_write_bytes(path, buf.getvalue())
        paths.append(path)
    plt.close(fig)
    return paths


def sobol_bars(indices: pd.DataFrame, outcome: str, stem: Path) -> list[Path]:
    """First-order and total Sobol indices with their confidence intervals, one outcome."""
    d = indices[indices.outcome == outcome].sort_values("ST")
    y = np.arange(len(d))
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(d) + 1.4))
    ax.barh(y + 0.2, d.ST, 0.4, xerr=d.ST_conf, color=OKABE_ITO[0], label="total (ST)", capsize=2)
    ax.barh(y - 0.2, d.S1, 0.4, xerr=d.S1_conf, color=OKABE_ITO[1], label="first order (S1)", capsize=2)
    ax.set_yticks(y, d.parameter)
    ax.set_xlabel("share of outcome variance")
    ax.set_title(f"Sobol indices: {outcome}")
    ax.axvline(0, color="grey", lw=0.5)
    ax.legend(loc="lower right", frameon=False)
    return save(fig, stem)


def morris_bars(indices: pd.DataFrame, outcome: str, stem: Path) -> list[Path]:
    """Morris mu* with its confidence interval, and sigma, one outcome."""
    d = indices[indices.outcome == outcome].sort_values("mu_star")
    y = np.arange(len(d))
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(d) + 1.4))
    ax.barh(y + 0.2, d.mu_star, 0.4, xerr=d.mu_star_conf, color=OKABE_ITO[0], label="mu* (mean |effect|)", capsize=2)
    ax.barh(y - 0.2, d.sigma, 0.4, color=OKABE_ITO[1], label="sigma (interactions)")
    ax.set_yticks(y, d.parameter)
    ax.set_xlabel(f"elementary effect on {outcome} (outcome units per level step)")
    ax.set_title(f"Morris screening: {outcome}")
    ax.legend(loc="lower right", frameon=False)
    return save(fig, stem)


def tornado(swings: pd.DataFrame, outcome: str, base: float, stem: Path) -> list[Path]:
    """Tornado: the outcome at each input's low and high value (others at their centre).

    ``swings`` columns: parameter, low_value, high_value (outcome at the input's bounds).
    """
    d = swings.assign(width=(swings.high_value - swings.low_value).abs()).sort_values("width")
    y = np.arange(len(d))
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(d) + 1.4))
    ax.barh(y, d.low_value - base, left=base, color=OKABE_ITO[5], label="input at lower bound")
    ax.barh(y, d.high_value - base, left=base, color=OKABE_ITO[3], label="input at upper bound")
    ax.axvline(base, color="black", lw=0.8)
    ax.set_yticks(y, d.parameter)
    ax.set_xlabel(outcome)
    ax.set_title(f"Tornado: {outcome} (all inputs at centre = {base:.3g})")
    ax.legend(loc="lower right", frameon=False)
    return save(fig, stem)


def convergence_plot(conv: pd.DataFrame, column: str, stem: Path, title: str) -> list[Path]:
    """An index (``ST``/``S1``/``mu_star``) with its interval against sample size."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for i, (name, d) in enumerate(conv.groupby("parameter", sort=False)):
        c = OKABE_ITO[i % len(OKABE_ITO)]
        ax.errorbar(d.n, d[column], yerr=d.get(f"{column}_conf"), color=c, marker="o", capsize=3, label=name)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("base sample size (Sobol) / trajectories (Morris)")
    ax.set_ylabel(column)
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    return save(fig, stem)
