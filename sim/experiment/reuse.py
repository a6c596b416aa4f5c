"""What a worker process keeps between tasks, so a comparison or an optimisation pays for it
once per worker instead of once per run (``sim.experiment.worker.run_task`` uses both).

Profiled at 50,000 agents in a warm process (docs/PERFORMANCE.md): typing a shipped base dict
against the schema (``with_values`` on a dict: an OmegaConf structured merge) costs about
65 ms a task and building the population about 70 ms, against about 1.3 s of model stepping;
a copy of an already typed base costs 7 ms and a copy of a built population 1-2 ms.

* ``run_config``: the typed configuration of each base, keyed by the base's content, then a
  copy with the task's values and seed set (identical to ``with_values(base, ...)``).
* ``population``: the learners and peer network of each (population section, seed), the same
  for every scenario and parameter draw that shares them. The kept arrays are read-only and
  each run gets its own copy, because the model changes learner state in place.

Both are small LRUs bounded by entries (and populations by agents), so a worker's memory stays
near one run's.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict

BASES_KEPT = 16                 # typed bases (a comparison has one per scenario)
POPULATIONS_KEPT = 8            # (population, seed) pairs: a comparison's seeds come in order
POPULATION_AGENTS_KEPT = 1_000_000  # at most this many agents kept in all (about 150 MB)

_bases: OrderedDict = OrderedDict()
_populations: OrderedDict = OrderedDict()


def _key(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=repr).encode()).hexdigest()


def _remember(cache: OrderedDict, key, value, kept: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > kept:
        cache.popitem(last=False)


def run_config(base, values: dict):
    """``with_values(base, values)``, typing ``base`` (a plain dict) against the schema once per
    process. A DictConfig base is already typed and used as it is."""
    from omegaconf import DictConfig

    from sim.config.compose import with_values

    if isinstance(base, DictConfig):
        return with_values(base, values)
    key = _key(base)
    typed = _bases.get(key)
    if typed is None:
        typed = with_values(base, {})
    _remember(_bases, key, typed, BASES_KEPT)
    return with_values(typed, values)   # with_values copies: the kept base never changes


def population(cfg):
    """A fresh copy of the (learners, peers) of ``cfg``'s population section and seed, built
    once per process while it fits the bound (``sim.model.base.build_population``)."""
    from sim.model.base import build_population, one_blas_thread, population_data, steady_allocator
    from sim.model.plain import plain
    from sim.model.rng import Streams

    one_blas_thread()     # as the model does before it builds: sums that do not depend on threads
    steady_allocator()
    view = plain(cfg)
    key = (_key(view.population.to_dict()), int(view.seed))
    kept = _populations.get(key)
    if kept is None:
        kept = build_population(view, Streams(view.seed), population_data(view.population.data))
        if kept[0].n > POPULATION_AGENTS_KEPT:
            return kept                  # too large to keep: this run owns it
        for arr in [*kept[0].arrays(), kept[1]]:
            arr.flags.writeable = False  # a run that wrote to the kept copy would raise
    _remember(_populations, key, kept, POPULATIONS_KEPT)
    while sum(learners.n for learners, _ in _populations.values()) > POPULATION_AGENTS_KEPT:
        _populations.popitem(last=False)
    learners, peers = kept
    return learners.copy(), peers.copy()


def clear() -> None:
    """Forget everything kept (tests; a caller that changed the population data files)."""
    _bases.clear()
    _populations.clear()


def kept_populations() -> list[tuple]:
    """The kept (learners, peers) pairs, oldest first (tests check they are never changed)."""
    return list(_populations.values())
