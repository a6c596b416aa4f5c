"""Samplers, for experiments and for ``sim.analysis.sensitivity`` alike: design points as
unit-interval coordinates (n_points x n_params); ``Parameter.value`` maps a coordinate to a
value (a range, or an index into levels), ``low + u * (high - low)`` for a range.

Sobol (Saltelli's scheme) and Morris use SALib's samplers so that SALib's analysers can read
the design back; Latin hypercube uses scipy.stats.qmc. All are seeded by the experiment seed.
"""

from __future__ import annotations

import itertools

import numpy as np


def _unit_problem(d: int) -> dict:
    return {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}


def unit_points(sampler: str, d: int, samples: int, seed: int, **options) -> np.ndarray:
    """The one wrapper of the sampling libraries: ``samples`` design points of ``d`` inputs in
    unit coordinates. ``lhs`` and ``sobol_points``: ``samples`` points; ``sobol`` (Saltelli's scheme, scrambled):
    ``samples * (d + 2)`` points, ``samples * (2d + 2)`` with ``calc_second_order``; ``morris``:
    ``samples`` trajectories of ``d + 1`` points on a ``num_levels`` grid."""
    if sampler in ("lhs", "sobol_points"):
        from scipy.stats import qmc

        if sampler == "sobol_points":  # plain scrambled Sobol points (calibration's prior draws)
            return qmc.Sobol(d=d, scramble=True, seed=seed).random(samples)
        return qmc.LatinHypercube(d=d, seed=seed).random(samples)
    if sampler == "sobol":
        from SALib.sample import sobol as salib_sobol

        return salib_sobol.sample(_unit_problem(d), samples, calc_second_order=options["calc_second_order"],
                                  seed=seed)
    if sampler == "morris":
        from SALib.sample import morris as salib_morris

        return salib_morris.sample(_unit_problem(d), samples, num_levels=options["num_levels"], seed=seed)
    raise ValueError(f"sampler={sampler!r} draws no points: expected lhs, sobol_points, sobol or morris")


def full_factorial(spec) -> np.ndarray:
    """Every combination of each parameter's grid (levels, or ``steps`` points of a range)."""
    if not spec.parameters:
        return np.zeros((1, 0))
    sizes = [len(p.levels) if p.levels is not None else p.steps for p in spec.parameters]
    # Unit coordinates at grid cell centres for levels (value() floors) and ends for ranges.
    axes = [((np.arange(n) + 0.5) / n) if p.levels is not None else np.linspace(0.0, 1.0, n)
            for p, n in zip(spec.parameters, sizes)]
    return np.array(list(itertools.product(*axes)), dtype=float)


def unit_sample(spec) -> np.ndarray:
    """The unit coordinates of an experiment's design points."""
    if spec.sampler == "full_factorial":
        return full_factorial(spec)
    return unit_points(spec.sampler, len(spec.parameters), spec.samples, spec.seed, **spec.sampler_options)


def one_at_a_time(bounds: dict[str, tuple[float, float]]):
    """One-at-a-time design for a tornado: all inputs at their centre, then each input at
    its lower and upper bound (2D + 1 rows; ``varied`` and ``level`` say which)."""
    import pandas as pd

    centre = {k: 0.5 * (lo + hi) for k, (lo, hi) in bounds.items()}
    rows = [{**centre, "varied": "", "level": "centre"}]
    for k, (lo, hi) in bounds.items():
        rows.append({**centre, k: lo, "varied": k, "level": "low"})
        rows.append({**centre, k: hi, "varied": k, "level": "high"})
    return pd.DataFrame(rows)
