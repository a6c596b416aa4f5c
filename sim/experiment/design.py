"""The design table: one row per run (design point x scenario x replicate).

Columns: ``run_id`` (0..n-1, stable for a spec), ``point`` (the sampler's row), ``scenario``,
``replicate``, ``seed`` (experiment seed + replicate, so every point of a replicate shares
common random numbers), then one column per lever and uncertainty named by its dotted key.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.experiment.samplers import unit_sample
from sim.experiment.spec import ExperimentError, ExperimentSpec, load_experiment  # noqa: F401 - part of the API

DESIGN_COLUMNS = ("run_id", "point", "scenario", "replicate", "seed")


def build_design(spec: ExperimentSpec) -> pd.DataFrame:
    """The runs of ``spec`` in order point -> scenario -> replicate."""
    unit = unit_sample(spec)
    return _runs(spec, [[p.value(u) for p, u in zip(spec.parameters, row)] for row in unit])


def tornado_design(spec: ExperimentSpec) -> pd.DataFrame:
    """A one-at-a-time design over ``spec``'s ranges (``samplers.one_at_a_time``: every input
    at its centre, then each at its lower and upper bound) as a design table like
    ``build_design``'s, with the point's ``varied`` and ``level`` columns added."""
    from sim.experiment.samplers import one_at_a_time

    levels = [p.key for p in spec.parameters if p.levels is not None]
    if levels:
        raise ExperimentError(f"{levels[0]} has levels: a tornado needs range parameters")
    points = one_at_a_time({p.key: (p.low, p.high) for p in spec.parameters})
    frame = _runs(spec, points[spec.keys].to_numpy().tolist())
    return frame.assign(varied=points["varied"].to_numpy()[frame["point"]],
                        level=points["level"].to_numpy()[frame["point"]])


def _runs(spec: ExperimentSpec, points: list[list]) -> pd.DataFrame:
    rows = []
    for point, values in enumerate(points):
        for scenario in spec.scenarios:
            for replicate in range(spec.replicates):
                rows.append((len(rows), point, scenario, replicate, spec.seed + replicate, *values))
    frame = pd.DataFrame(rows, columns=[*DESIGN_COLUMNS, *spec.keys])
    for p in spec.parameters:  # lists (e.g. targeting levels) stay lists, not tuples
        if p.levels is not None and any(isinstance(v, tuple) for v in p.levels):
            frame[p.key] = frame[p.key].map(lambda v: list(v) if isinstance(v, tuple) else v)
    return frame


def design_matrix(spec: ExperimentSpec, design: pd.DataFrame) -> np.ndarray:
    """The sampler's X for ``design``'s rows in ``spec.problem()`` coordinates (what SALib's
    analysers expect): range parameters in their units (before integer rounding), levels
    parameters as ``u * n_levels``."""
    unit = unit_sample(spec)[design["point"].to_numpy()]
    scale = np.array([len(p.levels) if p.levels is not None else p.high - p.low for p in spec.parameters])
    low = np.array([0.0 if p.levels is not None else p.low for p in spec.parameters])
    return low + unit * scale
