"""Gather a Hydra multirun (``mcsim run -m ...``) into one tidy table and heat maps.

Each job folder of a sweep holds ``.hydra/overrides.yaml`` (what was swept) and
``summary.json`` (the run's outcomes). The table has one row per finished job: ``job``, one
column per override key, then the flattened outcomes.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pandas as pd
import yaml

from sim.experiment.outcomes import flatten
from sim.inputs import InputError, load_json_mapping, load_yaml, parse_yaml


class CollectError(ValueError):
    """A sweep folder that cannot be collected; one line."""


def job_dirs(sweep_dir: Path) -> list[Path]:
    return sorted((p.parent.parent for p in Path(sweep_dir).glob("*/.hydra/overrides.yaml")),
                  key=lambda p: (len(p.name), p.name))


def collect_table(sweep_dir: str | Path) -> tuple[pd.DataFrame, list[str], int]:
    """(table of finished jobs, its outcome columns, number of jobs without a summary.json)."""
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise CollectError(f"{sweep_dir} is not a folder: give a multirun folder such as results/multirun/<time>")
    jobs = job_dirs(sweep_dir)
    if not jobs:
        raise CollectError(f"{sweep_dir} has no Hydra job folders (*/.hydra/overrides.yaml): is it a multirun folder?")
    rows, outcomes, unfinished = [], {}, 0
    for job in jobs:
        summary_file = job / "summary.json"
        if not summary_file.exists():
            unfinished += 1
            continue
        hint = f"the job is damaged: delete {job} to leave it out, or run the sweep again"
        try:
            overrides = load_yaml(job / ".hydra" / "overrides.yaml", "Hydra overrides list", hint) or []
            summary = load_json_mapping(summary_file, "run summary", hint, keys=("scenario", "seed", "outcomes"))
            if not isinstance(overrides, list) or not isinstance(summary["outcomes"], dict):
                raise InputError(f"{job} does not hold a run of mcsim: {hint}")
        except InputError as exc:
            raise CollectError(str(exc)) from None
        row = {"job": int(job.name) if job.name.isdigit() else job.name}
        for override in map(str, overrides):
            key, _, value = override.partition("=")
            try:
                parsed = parse_yaml(value)
            except yaml.YAMLError:
                parsed = value
            row[key.lstrip("+~")] = parsed if isinstance(parsed, (int, float, str, bool)) else value
        row.setdefault("scenario", summary["scenario"])
        row.setdefault("seed", summary["seed"])
        flat = flatten(summary["outcomes"])
        outcomes.update(dict.fromkeys(flat))
        rows.append({**row, **flat})
    return pd.DataFrame(rows), list(outcomes), unfinished


def swept_keys(table: pd.DataFrame, outcome_columns: list[str]) -> list[str]:
    """Override keys that take more than one value (seed excluded: it is averaged over)."""
    return [c for c in table.columns
            if c not in outcome_columns and c not in ("job", "seed") and table[c].nunique() > 1]


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
    from sim.domain import STATES
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
