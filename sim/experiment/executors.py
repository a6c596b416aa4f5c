"""Executors: run tasks and yield results as they finish, in any order.

``serial`` (this process), ``process`` (a pool of local processes, one per core by default)
and ``ray`` (a Ray cluster: ``address="auto"`` or ``"host:port"`` joins an existing one; with
no address a local instance starts with ``num_cpus`` workers and no dashboard).
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


class ProcessExecutor:
    name = "process"

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1

    def __enter__(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn: workers start clean (no inherited threads or open files from the driver)
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))
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
    if name == "serial":
        return SerialExecutor()
    if name == "process":
        return ProcessExecutor(workers)
    if name == "ray":
        return RayExecutor(ray_address, workers)
    raise ValueError(f"executor={name!r} is not known: expected one of {', '.join(EXECUTORS)}")
