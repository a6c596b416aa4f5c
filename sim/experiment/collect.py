"""Gather a Hydra multirun (``mcsim run -m ...``) into one tidy table (its figures:
``sim.report.sweep``).

Each job folder of a sweep holds ``.hydra/overrides.yaml`` (what was swept) and
``summary.json`` (the run's outcomes). The table has one row per finished job: ``job``, one
column per override key, then the flattened outcomes.
"""

from __future__ import annotations

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
