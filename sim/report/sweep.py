"""Figures of a collected Hydra multirun (``sim.experiment.collect``): heat maps of an outcome
over pairs of swept keys, and tile maps by state."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pandas as pd


def heat_maps(table: pd.DataFrame, keys: list[str], outcome: str, out_dir: Path) -> list[Path]:
    """One figure per pair of swept keys: the outcome's mean over every other key (and seed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.store import atomic_write_bytes

    figures = []
    pairs = list(itertools.combinations(keys, 2)) or [(k, None) for k in keys]
    for x, y in pairs:
        fig, ax = plt.subplots(figsize=(6, 4.5))
        if y is None:
            means = table.groupby(x)[outcome].mean()
            ax.plot([str(v) for v in means.index], means.to_numpy(), marker="o")
            ax.set_xlabel(x)
            ax.set_ylabel(f"{outcome} (mean)")
            name = f"collect_{outcome}__{x}.png"
        else:
            grid = table.pivot_table(index=y, columns=x, values=outcome, aggfunc="mean")
            image = ax.imshow(grid.to_numpy(), cmap="viridis", aspect="auto", origin="lower")
            ax.set_xticks(range(grid.shape[1]), [str(v) for v in grid.columns], rotation=30)
            ax.set_yticks(range(grid.shape[0]), [str(v) for v in grid.index])
            for (i, j), value in pd.DataFrame(grid.to_numpy()).stack().items():
                ax.text(j, i, f"{value:.3g}", ha="center", va="center", color="white", fontsize=8)
            ax.set_xlabel(x)
            ax.set_ylabel(y)
            fig.colorbar(image, ax=ax, label=f"{outcome} (mean over other keys and seeds)")
            name = f"collect_{outcome}__{x}__{y}.png"
        ax.set_title(outcome)
        fig.tight_layout()
        path = out_dir / name.replace("/", "_")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        plt.close(fig)
        atomic_write_bytes(path, buffer.getvalue())
        figures.append(path)
    return figures


def state_maps(table: pd.DataFrame, keys: list[str], outcome: str, out_dir: Path, max_maps: int = 8) -> list[Path]:
    """Tile maps by state of ``outcome`` (or of its by-state counterpart: ``uptake_rate`` ->
    ``uptake_by_state``): one map per value of the first swept key (at most ``max_maps``), or one
    for the whole sweep, each the mean over the other keys and seeds with a Student-t 95%
    interval over those jobs. Nothing when the sweep's summaries have no such outcome."""
    from sim import metrics
    from sim.model.domain import STATES
    from sim.report.state_map import OUTCOMES, TABLE_OUTCOMES, tile_map_figure
    from sim.store import atomic_write_bytes

    base = outcome.split(".")[0]
    key = base if base in OUTCOMES else TABLE_OUTCOMES.get(base)
    columns = [f"{key}.{s}" for s in STATES] if key else []
    if not columns or not set(columns) <= set(table.columns):
        return []
    agents = [f"agents_by_state.{s}" for s in STATES]
    by = keys[0] if keys else None
    parts = list(table.groupby(by, sort=True)) if by else [(None, table)]
    figures = []
    for value, jobs in parts[:max_maps]:
        means, intervals = {}, {}
        for state, column in zip(STATES, columns):
            mean, lo, hi = metrics.mean_ci(jobs[column].to_numpy(float))
            means[state], intervals[state] = mean, (lo, hi)
        noisy = {}
        if set(agents) <= set(jobs.columns):
            noisy = {s: bool(jobs[f"agents_by_state.{s}"].mean() < 200) for s in STATES}
        title = f"{key} by state" + (f", {by}={value}" if by else "") + f" (mean of {len(jobs)} jobs)"
        fig = tile_map_figure(key, means, "level", title, intervals, noisy,
                              "Hatched grey tiles: fewer than 200 agents in the state (too noisy to read).",
                              "Interval: Student-t 95% over the jobs at this setting (seeds and other swept keys).")
        name = f"collect_state_map_{key}" + (f"__{by}={value}" if by else "") + ".png"
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        path = out_dir / name.replace("/", "_")
        atomic_write_bytes(path, buffer.getvalue())
        figures.append(path)
    return figures
