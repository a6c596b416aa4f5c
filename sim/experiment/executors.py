"""Executors: the one way to run many model runs. Each runs tasks (``sim.experiment.worker``)
and yields results as they finish, in any order; ``run_tasks`` puts them back in task order.

``serial`` (this process), ``process`` (a pool of local processes, one per core by default)
and ``ray`` (a Ray cluster: ``address="auto"`` or ``"host:port"`` joins an existing one; with
no address a local instance starts with ``num_cpus`` workers and no dashboard).

An executor is a context manager; a caller with many batches (calibration) keeps one open so
its workers keep what they loaded between batches.
"""

from __future__ import annotations

import os
from typing import Callable, Iterable, Iterator

EXECUTORS = ("serial", "process", "ray")


class SerialExecutor:
    name = "serial"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def imap_unordered(self, fn: Callable, tasks: Iterable) -> Iterator:
        for task in tasks:
            yield fn(task)


def _exit_with_parent(parent_pid: int) -> None:
    """Pool worker initializer: end this worker when the driver dies (e.g. ``kill -9``), instead
    of waiting forever for tasks that will never come."""
    import threading
    import time

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


class ProcessExecutor:
    name = "process"

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1

    def __enter__(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn: workers start clean (no inherited threads or open files from the driver)
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_exit_with_parent, initargs=(os.getpid(),))
        return self

    def __exit__(self, *exc):
        self.pool.shutdown(wait=exc[0] is None, cancel_futures=True)
        return False

    def imap_unordered(self, fn: Callable, tasks: Iterable) -> Iterator:
        from concurrent.futures import as_completed

        futures = [self.pool.submit(fn, task) for task in tasks]
        for future in as_completed(futures):
            yield future.result()


class RayExecutor:
    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None):
        self.address = address
        self.workers = workers or 2

    def __enter__(self):
        import ray

        from sim.experiment.spec import ROOT

        if self.address:
            ray.init(address=self.address, log_to_driver=False)
        else:
            # Local workers import sim from the source tree even when it is not installed.
            path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
            ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False,
                     runtime_env={"env_vars": {"PYTHONPATH": path}})
        return self

    def __exit__(self, *exc):
        import ray

        ray.shutdown()
        return False

    def imap_unordered(self, fn: Callable, tasks: Iterable) -> Iterator:
        import ray

        remote = ray.remote(num_cpus=1)(fn)
        pending = [remote.remote(task) for task in tasks]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])


def make_executor(name: str, workers: int | None = None, ray_address: str | None = None):
    """An executor by name; ``workers`` processes (or local Ray CPUs).

    The process that hands out the runs also pairs and analyses what comes back, so it gets
    one BLAS thread, as every worker has (sim.model.base.one_blas_thread): its dot products then
    give the same bits on any executor and core count, and idle BLAS threads do not spin
    beside the workers (8 scenarios x 10 seeds at 50,000 agents on 2 cores: the main process's
    CPU time 2.2 s instead of 7.0 s; runs per minute within the machine's noise)."""
    from sim.model.base import one_blas_thread

    one_blas_thread()
    if name == "serial":
        return SerialExecutor()
    if name == "process":
        return ProcessExecutor(workers)
    if name == "ray":
        return RayExecutor(ray_address, workers)
    raise ValueError(f"executor={name!r} is not known: expected one of {', '.join(EXECUTORS)}")


def local_executor(workers: int | None = None) -> str:
    """``process`` when more than one worker is asked for (or, with none given, available), else
    ``serial`` (for commands that only take ``--workers``)."""
    return "process" if (workers or os.cpu_count() or 1) > 1 else "serial"


def run_tasks(tasks: list[tuple], executor="serial", workers: int | None = None, ray_address: str | None = None,
              progress: bool = False, desc: str = "runs") -> list[tuple]:
    """Run ``tasks`` (see ``sim.experiment.worker``) and return their results in task order
    (sorted by task id), so every executor gives the same list. ``executor`` is a name or an
    executor already entered (kept open by the caller). A run that raised raises ``RunFailed``."""
    from contextlib import ExitStack

    from tqdm.auto import tqdm

    from sim.experiment.worker import checked, run_task

    out = []
    with ExitStack() as stack:
        bar = stack.enter_context(tqdm(total=len(tasks), desc=desc, unit="run", disable=not progress, leave=False))
        ex = stack.enter_context(make_executor(executor, workers, ray_address)) if isinstance(executor, str) \
            else executor
        for result in ex.imap_unordered(run_task, tasks):
            out.append(checked(result))
            bar.update(1)
    return sorted(out, key=lambda r: r[0])
