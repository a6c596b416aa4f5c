"""Experiments as data: an experiment file -> a design table -> runs on any executor -> a
durable results store (one Parquet shard per finished run).

Public API::

    from sim.experiment import load_experiment, build_design, run_design, ResultStore
"""

from sim.experiment.design import build_design, design_matrix, load_experiment
from sim.experiment.runner import run_design
from sim.experiment.spec import ExperimentError, ExperimentSpec
from sim.experiment.store import ResultStore

__all__ = ["ExperimentError", "ExperimentSpec", "ResultStore", "build_design", "design_matrix",
           "load_experiment", "run_design"]
