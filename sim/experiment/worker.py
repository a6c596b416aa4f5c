"""One model run, as executed on any worker (this process, a local process or a Ray node).

Every command that runs the model many times (compare, validate, calibrate, sensitivity,
experiment) hands the executors of ``sim.experiment.executors`` tasks of plain data::

    (task_id, base, values, seed, extract)

``base`` is a composed run configuration as a plain dict (one per scenario, so it pickles
cheaply), ``values`` are ``{dotted key: value}`` set on it with ``sim.config.with_values``
(derived keys such as ``behaviour.education_gradient`` expanded first), and ``extract`` says
what to send back: ``None`` for the flattened end-of-run outcomes (the run keeps no
per-learner arrays), or a picklable function of the run record (a module-level function or
a ``functools.partial`` of one; the record then holds the per-learner arrays).

The result is ``(task_id, extracted, meta)``; ``extracted`` is None and ``meta["error"]``
says why when the run raised. The numbers depend only on the task, never on the executor
or the worker, so every executor gives identical tables. A worker process keeps what it
loaded between tasks: ``sim.data``'s population data, the compiled kernels, and
(``sim.experiment.reuse``) each base's typed configuration and each seed's population.
"""

from __future__ import annotations

import logging
import time


class RunFailed(RuntimeError):
    """A run raised on a worker; ``str(err)`` names the task and the error."""


def run_task(task: tuple) -> tuple[int, object, dict]:
    from omegaconf import OmegaConf

    from sim.experiment import reuse
    from sim.experiment.configs import expand
    from sim.model.outcomes import flatten_outcomes
    from sim.run import run_scenario
    from sim.store import config_hash

    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    task_id, base, values, seed, extract = task
    start = time.perf_counter()
    cfg = reuse.run_config(base, {**expand(values), "seed": int(seed)})
    meta = {"seed": int(seed), "scenario": cfg.scenario.name, "config_hash": config_hash(OmegaConf.to_yaml(cfg))}
    try:
        record = run_scenario(cfg, reuse.population(cfg), progress=False, keep_learners=extract is not None)
        out = flatten_outcomes(record.outcomes) if extract is None else extract(record)
    except Exception as exc:  # noqa: BLE001 - one failing run must not end a long experiment
        return task_id, None, {**meta, "error": f"{type(exc).__name__}: {exc}",
                               "wall_time_s": round(time.perf_counter() - start, 3)}
    return task_id, out, {**meta, "wall_time_s": round(time.perf_counter() - start, 3)}


def whole_record(record):
    """``extract`` for callers that need everything: the run record itself (outcomes, time
    series and per-learner arrays)."""
    return record


def checked(result: tuple) -> tuple:
    """``result`` unchanged, or RunFailed when its run raised (for callers without a store)."""
    task_id, out, meta = result
    if out is None and "error" in meta:
        raise RunFailed(f"run {task_id} ({meta['scenario']}, seed {meta['seed']}) failed: {meta['error']}")
    return result
