"""Evaluate the model at many parameter sets: compose once, set parameters, run in parallel.

A parameter is a dotted configuration key (``behaviour.asc_enrol``) or one of the
``DERIVED`` keys below, which set several configuration values from one number (so a
sampler can vary, say, the whole education gradient of taste as one uncertainty).

Values are set on the composed configuration with ``sim.config.with_values`` (typed by the
schema); the model reads it through its own plain view (``sim.model.plain``).
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable

import numpy as np
import pandas as pd
from omegaconf import DictConfig
from tqdm.auto import tqdm

from sim.model.outcomes import flatten_outcomes as flatten  # noqa: F401 (re-exported)

# Shape of the education gradient of taste (primary, spm, diploma, degree), per unit of
# the gradient; 0.6 reproduces the schema default [-0.6, -0.3, 0.0, 0.2].
EDUCATION_GRADIENT_SHAPE = (-1.0, -0.5, 0.0, 1.0 / 3.0)


def _education_gradient(value: float) -> dict[str, object]:
    return {"behaviour.taste_by_education": [round(value * s, 6) for s in EDUCATION_GRADIENT_SHAPE]}


DERIVED: dict[str, Callable[[float], dict[str, object]]] = {
    "behaviour.education_gradient": _education_gradient,
}


def expand(params: dict[str, float]) -> dict[str, object]:
    """Parameter values -> configuration values (DERIVED keys expanded)."""
    out: dict[str, object] = {}
    for key, value in params.items():
        if key in DERIVED:
            out.update(DERIVED[key](float(value)))
        else:
            out[key] = value
    return out


def outcome_columns(record) -> dict[str, float]:
    """Default extraction: the flattened end-of-run outcomes."""
    return flatten(record.outcomes)


def process_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """Worker processes for model runs ("spawn": safe from a multi-threaded parent)."""
    return ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1,
                               mp_context=multiprocessing.get_context("spawn"))


def _run_one(job):
    import logging

    from sim.run import run_scenario

    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO

    cfg, extract = job
    record = run_scenario(cfg, progress=False, keep_learners=True)
    return extract(record)


def run_jobs(configs: list[DictConfig], extract=outcome_columns, workers: int | None = None,
             progress: bool = True, desc: str = "runs", pool=None) -> list[dict]:
    """Run each configuration once; returns ``extract(record)`` per configuration, in order
    (``extract`` may be a list: one function per configuration).

    ``pool`` (a ``ProcessPoolExecutor``) is reused when given, so workers keep their loaded
    data between batches; otherwise a pool of ``workers`` processes lives for this call.
    """
    workers = workers or min(len(configs), os.cpu_count() or 1)
    extracts = extract if isinstance(extract, list) else [extract] * len(configs)
    jobs = list(zip(configs, extracts))
    with tqdm(total=len(jobs), desc=desc, unit="run", disable=not progress, leave=False) as bar:
        if pool is None and workers <= 1:
            out = []
            for job in jobs:
                out.append(_run_one(job))
                bar.update(1)
            return out
        own = pool is None
        pool = pool or process_pool(workers)
        try:
            out = []
            for result in pool.map(_run_one, jobs, chunksize=1):
                out.append(result)
                bar.update(1)
            return out
        finally:
            if own:
                pool.shutdown()


def base_config(overrides: Iterable[str]) -> DictConfig:
    """Compose ``configs/run.yaml`` with overrides (validated), quiet."""
    from sim.config import validate_config
    from sim.config.compose import compose, with_values

    cfg = with_values(compose("run", list(overrides)), {"progress": False})
    validate_config(cfg)
    return cfg


def check_bounds(bounds: dict[str, tuple[float, float]], overrides: Iterable[str] = ()) -> None:
    """Raise ConfigError (one line) when a parameter's range leaves the allowed range."""
    from sim.config import ConfigError, validate_config
    from sim.config.compose import with_values

    base = base_config(overrides)
    for key, (low, high) in bounds.items():
        if not low < high:
            raise ConfigError(f"{key}: lower bound {low} must be below upper bound {high}")
        for value in (low, high):
            validate_config(with_values(base, expand({key: value})))


def evaluate(design: pd.DataFrame, parameters: list[str], overrides: Iterable[str] = (),
             seeds: Iterable[int] = (1,), extract=outcome_columns, workers: int | None = None,
             progress: bool = True) -> pd.DataFrame:
    """Run every row of ``design`` (parameter columns) at every seed.

    Returns one row per (row, seed): ``design_row``, ``seed``, the parameter columns and the
    extracted outcome columns. Seeds are common random numbers: every parameter set sees
    the same populations and draws.
    """
    from sim.config.compose import with_values

    base = base_config(overrides)
    configs, rows = [], []
    for i, row in enumerate(design[parameters].to_dict("records")):
        values = expand(row)
        for seed in seeds:
            configs.append(with_values(base, {**values, "seed": int(seed)}))
            rows.append({"design_row": i, "seed": int(seed), **row})
    results = run_jobs(configs, extract, workers, progress)
    return pd.concat([pd.DataFrame(rows), pd.DataFrame(results)], axis=1)
