"""The search: pymoo's NSGA-II (or NSGA-III) over a :class:`SearchSpace`, every evaluation
through the durable store and an executor of ``sim.experiment.executors``.

An *evaluator* says what one candidate's evaluation is: the cells it is run in (``(draw,
seed)`` pairs, the same for every candidate: common random numbers), the task that runs one
cell on a worker, and how the cells' outcomes (and, when there is one, those of the paired
reference candidate in the same cells) become objectives to minimise and inequality
constraints ``g <= 0``. The model's evaluator is ``sim.experiment.optimise.model``; a standard
test problem (``TestProblem``, below) goes through the same function, which is how the
search is checked against a known Pareto front.

Resuming: pymoo's algorithm, seeded, proposes the same candidates in the same order; each
evaluation is looked up in the store first and run only when missing, so a rerun after a
kill repeats no finished evaluation and ends with the same front.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np
import pandas as pd

from sim.experiment.optimise.space import SearchSpace
from sim.experiment.optimise.store import EvaluationStore, canonical, evaluation_key

log = logging.getLogger("mcsim.optimise")
ALGORITHMS = ("nsga2", "nsga3")


class Evaluator(Protocol):
    n_obj: int
    n_constr: int
    objective_names: tuple[str, ...]
    reference: dict | None           # the paired reference candidate's values (the baseline), or None
    fn: Callable                     # runs one task on a worker: task -> (task_id, outcomes | None, meta)

    def cells(self) -> list[tuple[int, int]]: ...
    def task(self, task_id: int, values: dict, draw: int, seed: int) -> tuple: ...
    def score(self, outcomes: list[dict], reference: list[dict] | None) -> tuple[np.ndarray, np.ndarray, dict]: ...


class EvaluationFailed(RuntimeError):
    """A run raised; ``str(err)`` is one line (the failure is in the store's sidecar)."""


@dataclass
class SearchResult:
    archive: pd.DataFrame            # every distinct candidate evaluated: values, statistics, F, G, feasible, on_front
    front: pd.DataFrame              # the feasible non-dominated candidates (rows of archive)
    objective_names: tuple[str, ...]
    runs_done: int = 0               # evaluations run in this invocation (not found in the store)
    runs_found: int = 0              # evaluations found in the store
    meta: dict = field(default_factory=dict)

    def front_F(self) -> np.ndarray:
        return self.front[[f"F.{n}" for n in self.objective_names]].to_numpy(float)


class _Runner:
    """Evaluates candidates through the store and an open executor; keeps the archive."""

    def __init__(self, space: SearchSpace, evaluator: Evaluator, store: EvaluationStore, executor, executor_name: str,
                 progress: Callable[[str], None] | None):
        self.space, self.evaluator, self.store = space, evaluator, store
        self.executor, self.executor_name, self.progress = executor, executor_name, progress
        self.cells = evaluator.cells()
        self.archive: dict[str, dict] = {}      # candidate key -> archive row
        self.runs_done = self.runs_found = 0
        self.generation = 0

    def _outcomes(self, mixes: list[dict]) -> dict[str, list[dict]]:
        """Outcomes of every (mix, cell), from the store or run now; by mix key, in cell order."""
        wanted: dict[str, tuple[dict, int, int]] = {}
        for values in mixes:
            for draw, seed in self.cells:
                wanted.setdefault(evaluation_key(values, draw, seed), (values, draw, seed))
        todo = [(key, *item) for key, item in wanted.items() if self.store.get(key) is None]
        self.runs_found += len(wanted) - len(todo)
        if todo:
            ids = self.store.submit(todo, self.executor_name)
            by_id = {run_id: key for run_id, (key, *_) in zip(ids, todo)}
            tasks = [self.evaluator.task(run_id, values, draw, seed) for run_id, (_, values, draw, seed) in zip(ids, todo)]
            failures = []
            for run_id, outcomes, meta in self.executor.imap_unordered(self.evaluator.fn, tasks):
                key = by_id[run_id]
                info = {"draw": wanted[key][1], "seed": wanted[key][2], "executor": self.executor_name,
                        **{k: v for k, v in meta.items() if k != "seed"}}
                if outcomes is None:
                    self.store.put_failure(key, info)
                    failures.append(meta.get("error", "failed"))
                else:
                    self.store.put(key, outcomes, info)
                    self.runs_done += 1
            if failures:
                raise EvaluationFailed(f"{len(failures)} of {len(tasks)} evaluations failed, the first: {failures[0]} "
                                       f"(details in {self.store.shards.runs}); run the same command again to retry")
        return {canonical(values): [self.store.get(evaluation_key(values, d, s)) for d, s in self.cells]
                for values in mixes}

    def evaluate(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mixes = [self.space.decode(x) for x in X]
        reference = self.evaluator.reference
        outcomes = self._outcomes(mixes + ([reference] if reference is not None else []))
        ref_out = outcomes[canonical(reference)] if reference is not None else None
        F, G = [], []
        for x, values in zip(X, mixes):
            f, g, stats = self.evaluator.score(outcomes[canonical(values)], ref_out)
            F.append(f)
            G.append(g)
            key = canonical(values)
            if key not in self.archive:
                self.archive[key] = {"candidate": len(self.archive), "generation": self.generation,
                                     "values": values, "x": np.asarray(x, float), "F": f, "G": g, "stats": stats}
        if self.progress:
            self.progress(f"generation {self.generation + 1}: {len(mixes)} candidates, {len(self.archive)} distinct "
                          f"so far; {self.runs_done} runs done, {self.runs_found} look-ups answered by the store")
        self.generation += 1
        return np.asarray(F, float), np.asarray(G, float)


def _problem(runner: _Runner, space: SearchSpace, evaluator: Evaluator):
    from pymoo.core.problem import Problem

    class StoredProblem(Problem):
        def __init__(self):
            super().__init__(n_var=space.n_var, n_obj=evaluator.n_obj, n_ieq_constr=evaluator.n_constr,
                             xl=np.zeros(space.n_var), xu=np.ones(space.n_var))

        def _evaluate(self, X, out, *args, **kwargs):
            F, G = runner.evaluate(X)
            out["F"] = F
            if evaluator.n_constr:
                out["G"] = G

    return StoredProblem()


def _algorithm(name: str, population_size: int, n_obj: int, initial: np.ndarray):
    if name == "nsga2":
        from pymoo.algorithms.moo.nsga2 import NSGA2

        return NSGA2(pop_size=population_size, sampling=initial, eliminate_duplicates=True)
    if name == "nsga3":
        from pymoo.algorithms.moo.nsga3 import NSGA3
        from pymoo.util.ref_dirs import get_reference_directions

        partitions = 1
        while _n_dirs(n_obj, partitions + 1) <= population_size:
            partitions += 1
        ref_dirs = get_reference_directions("das-dennis", n_obj, n_partitions=partitions)
        return NSGA3(ref_dirs=ref_dirs, pop_size=population_size, sampling=initial, eliminate_duplicates=True)
    raise ValueError(f"algorithm={name!r} is not known: expected one of {', '.join(ALGORITHMS)}")


def _n_dirs(n_obj: int, partitions: int) -> int:
    from math import comb

    return comb(n_obj + partitions - 1, partitions)


def initial_points(space: SearchSpace, population_size: int, seed: int, start: list[dict] = ()) -> np.ndarray:
    """The first generation: the ``start`` mixes encoded, then Latin hypercube points (pymoo's
    LHS, seeded) up to ``population_size``."""
    from pymoo.core.problem import Problem
    from pymoo.operators.sampling.lhs import LHS

    fixed = [space.encode(values) for values in list(start)[:population_size]]
    n_random = population_size - len(fixed)
    rows = list(fixed)
    if n_random:
        box = Problem(n_var=space.n_var, xl=np.zeros(space.n_var), xu=np.ones(space.n_var))
        rows.extend(LHS().do(box, n_random, random_state=np.random.default_rng(seed)).get("X"))
    return np.asarray(rows, dtype=float)


def search(space: SearchSpace, evaluator: Evaluator, store: EvaluationStore, algorithm: str = "nsga2",
           population_size: int = 16, generations: int = 8, seed: int = 1, start: list[dict] = (),
           executor: str = "serial", workers: int | None = None, ray_address: str | None = None,
           progress: Callable[[str], None] | None = None) -> SearchResult:
    """Search ``space`` for the Pareto front of ``evaluator``'s objectives (all minimised)
    subject to its constraints; ``generations`` of ``population_size`` candidates, the first
    from ``start`` and a Latin hypercube. Every evaluation goes through ``store``."""
    from pymoo.optimize import minimize

    from sim.experiment.executors import make_executor

    initial = initial_points(space, population_size, seed, start)
    with make_executor(executor, workers, ray_address) as ex:
        runner = _Runner(space, evaluator, store, ex, executor, progress)
        problem = _problem(runner, space, evaluator)
        minimize(problem, _algorithm(algorithm, population_size, evaluator.n_obj, initial),
                 termination=("n_gen", generations), seed=seed, verbose=False)
    archive = archive_frame(runner.archive, evaluator)
    front = archive[archive.on_front].reset_index(drop=True)
    starts = [runner.archive.get(canonical(space.decode(space.encode(values)))) for values in start]
    return SearchResult(archive, front, evaluator.objective_names, runner.runs_done, runner.runs_found,
                        meta={"algorithm": algorithm, "population_size": population_size, "generations": generations,
                              "seed": seed, "cells": [list(c) for c in runner.cells], "candidates": len(archive),
                              "start_candidates": [None if r is None else r["candidate"] for r in starts]})


def archive_frame(archive: dict[str, dict], evaluator: Evaluator) -> pd.DataFrame:
    """One row per distinct candidate (in the order first proposed): its values, statistics,
    objectives ``F.*`` and constraints ``G.*``, ``feasible`` (every g <= 0) and ``on_front``
    (non-dominated among the feasible, by pymoo's non-dominated sorting)."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    rows = sorted(archive.values(), key=lambda r: r["candidate"])
    records = []
    for r in rows:
        record = {"candidate": r["candidate"], "generation": r["generation"]}
        record.update({k: _cell(v) for k, v in r["values"].items()})
        record.update(r["stats"])
        record.update({f"F.{n}": float(v) for n, v in zip(evaluator.objective_names, r["F"])})
        record.update({f"G.{i}": float(v) for i, v in enumerate(r["G"])})
        record["feasible"] = bool(np.all(np.asarray(r["G"]) <= 0))
        records.append(record)
    frame = pd.DataFrame(records)
    frame["on_front"] = False
    if len(frame) and frame.feasible.any():
        feasible = np.flatnonzero(frame.feasible.to_numpy())
        F = frame.loc[feasible, [f"F.{n}" for n in evaluator.objective_names]].to_numpy(float)
        best = NonDominatedSorting().do(F, only_non_dominated_front=True)
        frame.loc[feasible[np.asarray(best, dtype=int)], "on_front"] = True
    return frame


def _cell(value: Any) -> Any:
    """A mix value as a table cell: lists (targeting groups) as JSON text."""
    return canonical(value) if isinstance(value, list) else value


# --------------------------------------------------------------------------- test problems
def test_problem_task(task: tuple) -> tuple[int, dict, dict]:
    """Worker function of :class:`TestProblem`: ``(task_id, name, n_var, x)`` -> objectives."""
    from pymoo.problems import get_problem

    task_id, name, n_var, x = task
    f = get_problem(name, n_var=n_var).evaluate(np.asarray([x], float))[0]
    return task_id, {f"f{i + 1}": float(v) for i, v in enumerate(np.atleast_1d(f))}, {}


class TestProblem:
    """A pymoo test problem (``zdt1``, ``dtlz2``, ...) as an evaluator: one cell, no reference,
    no constraints; the objectives are the problem's own."""

    __test__ = False   # not a pytest class
    reference = None
    n_constr = 0
    fn = staticmethod(test_problem_task)

    def __init__(self, name: str = "zdt1", n_var: int = 5):
        from pymoo.problems import get_problem

        self.name, self.n_var = name, n_var
        self.problem = get_problem(name, n_var=n_var)
        self.n_obj = self.problem.n_obj
        self.objective_names = tuple(f"f{i + 1}" for i in range(self.n_obj))

    def cells(self) -> list[tuple[int, int]]:
        return [(0, 0)]

    def task(self, task_id: int, values: dict, draw: int, seed: int) -> tuple:
        return task_id, self.name, self.n_var, [float(values[f"x{i}"]) for i in range(self.n_var)]

    def score(self, outcomes, reference):
        return np.array([outcomes[0][n] for n in self.objective_names]), np.zeros(0), {}

    def context(self) -> dict:
        return {"problem": self.name, "n_var": self.n_var}

    def space(self) -> SearchSpace:
        from sim.experiment.optimise.space import unit_space

        return unit_space([f"x{i}" for i in range(self.n_var)])
