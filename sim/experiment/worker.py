"""One run of a design row, as executed on any worker (a local process or a Ray node).

A task is plain data ``(run_id, base config as a dict, {dotted key: value}, seed)`` so it
pickles cheaply; the result is ``(run_id, flattened outcomes, metadata)``. The numbers depend
only on the task, never on the executor, so every executor gives identical tables.
"""

from __future__ import annotations

import logging
import time


def run_task(task: tuple) -> tuple[int, dict[str, float], dict]:
    from omegaconf import OmegaConf

    from sim.experiment.configs import run_config
    from sim.experiment.outcomes import flatten
    from sim.run import run_scenario
    from sim.store import config_hash

    logging.getLogger("MESA").setLevel(logging.WARNING)
    run_id, base, values, seed = task
    start = time.perf_counter()
    cfg = run_config(base, values, seed)
    record = run_scenario(cfg, progress=False, keep_learners=False)
    wall = time.perf_counter() - start
    meta = {"seed": int(seed), "scenario": record.scenario, "config_hash": config_hash(OmegaConf.to_yaml(cfg)),
            "wall_time_s": round(wall, 3)}
    return run_id, flatten(record.outcomes), meta
