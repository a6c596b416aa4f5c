"""Samplers: each returns design points as unit-interval coordinates (n_points x n_params);
``Parameter.value`` maps a coordinate to a value (a range, or an index into levels).

Sobol (Saltelli's scheme) and Morris use SALib's samplers so that SALib's analysers can read
the design back; Latin hypercube uses scipy.stats.qmc. All are seeded by the experiment seed.
"""

from __future__ import annotations

import itertools

import numpy as np


def _unit_problem(d: int) -> dict:
    return {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}


def lhs(spec) -> np.ndarray:
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=len(spec.parameters), seed=spec.seed).random(spec.samples)


def sobol(spec) -> np.ndarray:
    """Saltelli's design: N * (D + 2) points, or N * (2D + 2) with second-order indices."""
    from SALib.sample import sobol as salib_sobol

    return salib_sobol.sample(_unit_problem(len(spec.parameters)), spec.samples,
                              calc_second_order=spec.sampler_options["calc_second_order"], seed=spec.seed)


def morris(spec) -> np.ndarray:
    """``samples`` trajectories of D + 1 points each on a ``num_levels`` grid."""
    from SALib.sample import morris as salib_morris

    return salib_morris.sample(_unit_problem(len(spec.parameters)), spec.samples,
                               num_levels=spec.sampler_options["num_levels"], seed=spec.seed)


def full_factorial(spec) -> np.ndarray:
    """Every combination of each parameter's grid (levels, or ``steps`` points of a range)."""
    if not spec.parameters:
        return np.zeros((1, 0))
    sizes = [len(p.levels) if p.levels is not None else p.steps for p in spec.parameters]
    # Unit coordinates at grid cell centres for levels (value() floors) and ends for ranges.
    axes = [((np.arange(n) + 0.5) / n) if p.levels is not None else np.linspace(0.0, 1.0, n)
            for p, n in zip(spec.parameters, sizes)]
    return np.array(list(itertools.product(*axes)), dtype=float)


SAMPLE = {"full_factorial": full_factorial, "lhs": lhs, "sobol": sobol, "morris": morris}


def unit_sample(spec) -> np.ndarray:
    return SAMPLE[spec.sampler](spec)
