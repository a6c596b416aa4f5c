"""A pyabc sampler that simulates a generation's proposals in batches on the project's
executor, and gives exactly the particles pyabc's ``SingleCoreSampler`` would.

pyabc hands a sampler ``simulate_one``: draw one proposal from the numpy global random
state (prior, or perturbed previous population), simulate it, compute its distance, accept
or reject. pyabc's parallel samplers run ``simulate_one`` in other processes and re-seed
them from the clock, so their particles depend on timing. ``BatchSampler`` instead:

1. *records* a batch of proposals: calls ``simulate_one`` ``batch`` times with the model in
   recording mode (it notes each parameter set and returns placeholder statistics), from a
   saved random state;
2. *simulates* the recorded parameter sets in one call (``CandidateModel.fill``: all
   candidates x seeds x runs as tasks on the executor, the parallel part);
3. *replays*: restores the random state and calls ``simulate_one`` again; the same draws
   give the same proposals, now answered from the cache, and accepted particles are kept up
   to the ``n``-th, in proposal order, as ``SingleCoreSampler`` does.

Drawing a proposal is the only use of the random state inside ``simulate_one`` for pyabc's
uniform acceptor, so the replay sees the recorded proposals; a proposal that is not in the
cache (a stochastic acceptor would cause that) is simulated on its own and counted in
``CandidateModel.misses``. Proposals simulated beyond the ``n``-th acceptance are discarded
(they would bias the population) and counted apart as ``simulated``; pyabc's count (and so
its acceptance rate and ``max_total_nr_simulations``) is that of the proposals considered.
"""

from __future__ import annotations

import math
import random
from typing import Callable

import numpy as np
from pyabc.sampler import Sampler


class CandidateModel:
    """The pyabc model: a parameter set -> target statistics (``simulate(thetas)`` rows),
    answered from a cache that the sampler fills one batch at a time."""

    def __init__(self, names: list[str], simulate: Callable[[np.ndarray, str], list[dict[str, float]]],
                 statistics: list[str]):
        self.names = list(names)
        self.simulate = simulate          # (thetas, description) -> one dict of statistics per row
        self.placeholder = {s: math.nan for s in statistics}
        self.cache: dict[tuple[float, ...], dict[str, float]] = {}
        self.recorded: list[tuple[float, ...]] | None = None
        self.misses = 0
        self.simulations = 0

    def key(self, pars) -> tuple[float, ...]:
        return tuple(float(pars[name]) for name in self.names)

    def __call__(self, pars) -> dict[str, float]:
        key = self.key(pars)
        if self.recorded is not None:
            self.recorded.append(key)
            return dict(self.placeholder)
        if key not in self.cache:
            self.misses += 1
            self.cache.update(zip([key], self.simulate(np.array([key]), "unbatched")))
            self.simulations += 1
        return dict(self.cache[key])

    def fill(self, keys: list[tuple[float, ...]], desc: str) -> None:
        """Simulate ``keys`` (one batch) and keep only their statistics in the cache."""
        rows = self.simulate(np.array(keys, dtype=float), desc)
        self.simulations += len(keys)
        self.cache = dict(zip(keys, rows))


class BatchSampler(Sampler):
    """Sample a generation in deterministic batches (see the module docstring).

    The first batch of a generation is ``n / rate`` proposals, ``rate`` being the previous
    generation's acceptance rate; later batches use this generation's rate so far."""

    def __init__(self, model: CandidateModel, max_batch: int | None = None, log: Callable[[str], None] | None = None):
        super().__init__()
        self.model = model
        self.max_batch = max_batch
        self.log = log or (lambda _: None)
        self.rate = 1.0
        # per generation: epsilon, accepted, proposals (pyabc's count), simulated (with surplus), batches
        self.generations: list[dict] = []

    def batch_size(self, need: int, accepted: int, proposals: int, all_accepted: bool, max_eval: float) -> int:
        """Proposals expected to give ``need`` more acceptances (Laplace's rule once some are seen)."""
        rate = 1.0 if all_accepted else (self.rate if proposals == 0 else (accepted + 1) / (proposals + 2))
        size = math.ceil(need / max(rate, 0.02))
        if self.max_batch:
            size = min(size, self.max_batch)
        return int(max(1, min(size, max_eval - proposals)))

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):
        sample = self._create_empty_sample()
        accepted = proposals = simulated = batches = 0
        while accepted < n and proposals < max_eval:
            size = self.batch_size(n - accepted, accepted, proposals, all_accepted, max_eval)
            np_state, py_state = np.random.get_state(), random.getstate()
            self.model.recorded = []
            try:
                for _ in range(size):
                    simulate_one()
                keys = self.model.recorded
            finally:
                self.model.recorded = None
            np.random.set_state(np_state)
            random.setstate(py_state)
            batches += 1
            self.model.fill(keys, f"generation {t} batch {batches}")
            simulated += size
            for _ in range(size):
                particle = simulate_one()
                sample.append(particle)
                proposals += 1
                accepted += bool(particle.accepted)
                if accepted == n:
                    break
        self.model.cache = {}
        if accepted < n:
            sample.ok = False
        # pyabc counts the proposals up to the n-th acceptance, as SingleCoreSampler would; the
        # batch's surplus beyond it is reported apart (``simulated``)
        self.nr_evaluations_ = proposals
        if not all_accepted and proposals:
            self.rate = accepted / proposals
        epsilon = float(ana_vars.eps(t)) if ana_vars is not None else math.nan
        w = np.array([p.weight for p in sample.accepted_particles], dtype=float)
        ess = float(w.sum() ** 2 / (w ** 2).sum()) if w.size and (w ** 2).sum() > 0 else math.nan
        self.generations.append({"generation": t, "epsilon": epsilon, "accepted": accepted, "proposals": proposals,
                                 "simulated": simulated, "batches": batches})
        self.log(f"generation {t}: epsilon {epsilon:.3g}, accepted {accepted} of {proposals} proposals "
                 f"({accepted / max(proposals, 1):.0%}; {simulated} simulated in {batches} batch(es)), ESS {ess:.1f}")
        return sample
