"""Run a design: skip the runs the store already holds, hand the rest to an executor, and
write each result to the store the moment it arrives (so a kill loses at most the runs in
flight)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pandas as pd
from omegaconf import OmegaConf
from tqdm.auto import tqdm

from sim.experiment.configs import base_configs
from sim.experiment.executors import make_executor
from sim.experiment.store import ResultStore, default_store_dir
from sim.experiment.worker import run_task

log = logging.getLogger("mcsim.experiment")


def _tasks(spec, design: pd.DataFrame) -> list[tuple]:
    bases = {s: OmegaConf.to_container(cfg) for s, cfg in base_configs(spec).items()}
    keys = spec.keys
    return [(int(row["run_id"]), bases[row["scenario"]], {k: _plain(row[k]) for k in keys}, int(row["seed"]), None)
            for row in design.to_dict("records")]


def _plain(value):
    """Python values for OmegaConf (numpy scalars and arrays, e.g. from a Parquet design)."""
    return value.tolist() if hasattr(value, "tolist") else value


def run_design(spec, design: pd.DataFrame, store_dir: str | Path | None = None, executor: str = "serial",
               progress: bool = True, ray_address: str | None = None, workers: int | None = None) -> pd.DataFrame:
    """Run every row of ``design`` not already finished in the store; return design columns +
    outcome columns (``spec.outcomes``, or all when empty), one row per run, by run_id.

    ``store_dir`` defaults to ``results/experiments/<name>-<spec hash>``. Corrupt or partial
    shards found there are discarded and run again.
    """
    store = ResultStore(store_dir or default_store_dir(spec))
    store.prepare(spec, design)
    status = store.status(design["run_id"])
    for run_id, state in status.items():
        if state == "corrupt":
            log.warning("run %d: shard fails its checksum; running it again", run_id)
            store.discard(run_id)
    todo = design[[status[int(r)] != "done" for r in design["run_id"]]]
    start = time.perf_counter()
    failed: list[int] = []
    if len(todo):
        log.info("%s: %d of %d runs to do (%s executor); store %s", spec.name, len(todo), len(design),
                 executor, store.root)
        tasks = _tasks(spec, todo)
        with make_executor(executor, workers, ray_address) as ex, \
                tqdm(total=len(tasks), desc=spec.name, unit="run", disable=not progress) as bar:
            store.log_submissions([t[0] for t in tasks], executor)
            for run_id, outcomes, meta in ex.imap_unordered(run_task, tasks):
                if outcomes is None:
                    failed.append(run_id)
                    log.warning("run %d failed: %s", run_id, meta["error"])
                    store.write_failure(run_id, {**meta, "executor": executor})
                else:
                    store.write(run_id, outcomes, {**meta, "executor": executor})
                bar.update(1)
    if failed:
        log.warning("%d runs failed: the error of each is in %s/run-*.json; running the same command again "
                    "retries them, which helps only if the failure was not caused by the run's settings",
                    len(failed), store.runs)
    store.write_manifest(spec, executor, time.perf_counter() - start, len(design))
    return store.results(design, spec.outcomes)

