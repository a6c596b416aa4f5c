"""One run of a design row, as executed on any worker (a local process or a Ray node).

A task is plain data ``(run_id, base config as a dict, {dotted key: value}, seed)`` so it
pickles cheaply; the result is ``(run_id, flattened outcomes, metadata)``, with outcomes None
and the error in the metadata when the run raised. The numbers depend
only on the task, never on the executor, so every executor gives identical tables.
"""

from __future__ import annotations

import logging
import time


def run_task(task: tuple) -> tuple[int, dict[str, float], dict]:
    from omegaconf import OmegaConf

    from sim.config.compose import with_values
    from sim.experiment.outcomes import flatten
    from sim.run import run_scenario
    from sim.store import config_hash

    logging.getLogger("MESA").setLevel(logging.WARNING)
    run_id, base, values, seed = task
    start = time.perf_counter()
    cfg = with_values(base, {**values, "seed": int(seed)})
    meta = {"seed": int(seed), "scenario": cfg.scenario.name, "config_hash": config_hash(OmegaConf.to_yaml(cfg))}
    try:
        record = run_scenario(cfg, progress=False, keep_learners=False)
    except Exception as exc:  # noqa: BLE001 - one failing run must not end a long experiment
        return run_id, None, {**meta, "error": f"{type(exc).__name__}: {exc}",
                              "wall_time_s": round(time.perf_counter() - start, 3)}
    return run_id, flatten(record.outcomes), {**meta, "wall_time_s": round(time.perf_counter() - start, 3)}
