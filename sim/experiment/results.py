"""Durable storage of a comparison: the raw per-run frames (Parquet) and what describes them
(``comparison.json``), so the report can be rebuilt later without re-running anything."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.experiment.compare import ComparisonRuns

DATA = {"runs": "runs.parquet", "timeseries": "timeseries.parquet",
        "counterfactuals": "counterfactuals.parquet", "counterfactual_groups": "counterfactual_groups.parquet"}
PARAMETERS = "parameters.parquet"  # the parameter draws (one row per draw), only when the comparison drew them
META = "comparison.json"


class ResultsError(ValueError):
    """A folder that does not hold a stored comparison; ``str(err)`` is one line."""


def save(out_dir: Path, comparison: ComparisonRuns) -> None:
    """Write data/*.parquet, then comparison.json last (its presence means the data is complete)."""
    from sim.store import write_json, write_parquet

    out_dir = Path(out_dir)
    for attr, name in DATA.items():
        write_parquet(out_dir / "data" / name, getattr(comparison, attr))
    if comparison.parameters is not None:
        write_parquet(out_dir / "data" / PARAMETERS, comparison.parameters)
    write_json(out_dir / META, comparison.meta)


def load(path: Path) -> ComparisonRuns:
    path = Path(path)
    if not (path / META).is_file():
        raise ResultsError(f"{path} holds no stored comparison: expected {META} and data/*.parquet "
                           "written by mcsim compare")
    missing = [name for name in DATA.values() if not (path / "data" / name).is_file()]
    if missing:
        raise ResultsError(f"{path} is incomplete: data/{missing[0]} is missing")
    from sim.inputs import InputError, load_json_mapping, read_parquet

    hint = "the stored comparison is damaged: run mcsim compare again (its command is in the folder's manifest.json)"
    try:
        meta = load_json_mapping(path / META, "comparison description", hint)
        frames = {attr: read_parquet(path / "data" / name, "comparison table", hint) for attr, name in DATA.items()}
        if meta.get("draws"):
            frames["parameters"] = read_parquet(path / "data" / PARAMETERS, "parameter draws", hint)
    except InputError as exc:
        raise ResultsError(str(exc)) from None
    return ComparisonRuns(meta=meta, **frames)
