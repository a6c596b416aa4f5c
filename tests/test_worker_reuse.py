"""A worker keeps each base's typed configuration and each seed's population between tasks
(sim.experiment.reuse): runs in a warm process, repeated or interleaved, give exactly what a
fresh process gives, and the kept population is never changed by the runs that use it."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from sim.experiment import reuse
from sim.experiment.configs import base_config
from sim.experiment.worker import run_task, whole_record

SIZE = {"population.n_agents": 2000, "horizon.quarters": 8}

FRESH = """
import pickle, sys
from sim.experiment.worker import run_task
with open(sys.argv[1], "rb") as f:
    task = pickle.load(f)
with open(sys.argv[2], "wb") as f:
    pickle.dump(run_task(task), f)
"""


@pytest.fixture(scope="module")
def tasks():
    base = {s: OmegaConf.to_container(base_config([f"scenario={s}"], SIZE), resolve=True)
            for s in ("baseline", "b40_voucher")}
    return {
        "a": (0, base["baseline"], {}, 1, whole_record),
        "b": (1, base["b40_voucher"], {}, 1, whole_record),            # shares a's population
        "c": (2, base["baseline"], {"behaviour.asc_enrol": -4.0}, 2, whole_record),
    }


@pytest.fixture(scope="module")
def fresh(tasks, tmp_path_factory):
    """Each task's result from a process of its own (started together)."""
    folder = tmp_path_factory.mktemp("fresh")
    procs = {}
    for name, task in tasks.items():
        (folder / f"{name}.task").write_bytes(pickle.dumps(task))
        procs[name] = subprocess.Popen([sys.executable, "-c", FRESH, str(folder / f"{name}.task"),
                                        str(folder / f"{name}.out")])
    for name, proc in procs.items():
        assert proc.wait(timeout=300) == 0, f"fresh run of task {name} failed"
    return {name: pickle.loads((folder / f"{name}.out").read_bytes()) for name in tasks}


def assert_same(result, expected):
    (i, record, meta), (j, want, want_meta) = result, expected
    assert i == j and record is not None, meta.get("error")
    assert meta["config_hash"] == want_meta["config_hash"]
    assert json.dumps(record.outcomes, sort_keys=True) == json.dumps(want.outcomes, sort_keys=True)
    pd.testing.assert_frame_equal(record.timeseries, want.timeseries, check_exact=True)
    assert record.learner_outcomes.keys() == want.learner_outcomes.keys()
    for key, values in want.learner_outcomes.items():
        np.testing.assert_array_equal(record.learner_outcomes[key], values, err_msg=key)


def test_repeated_and_interleaved_tasks_give_fresh_process_results(tasks, fresh):
    reuse.clear()
    first = run_task(tasks["a"])
    kept = [(learners, peers) for learners, peers in reuse.kept_populations()]
    before = [[arr.copy() for arr in learners.arrays()] + [peers.copy()] for learners, peers in kept]
    results = [first] + [run_task(tasks[name]) for name in ("a", "b", "c", "b", "a", "c")]
    for name, result in zip("aabcbac", results):
        assert_same(result, fresh[name])
    # a and b share one population (same population section and seed); c has its own
    assert len(reuse.kept_populations()) == 2
    learners, peers = kept[0]
    for arr, copy in zip([*learners.arrays(), peers], before[0]):
        assert not arr.flags.writeable
        np.testing.assert_array_equal(arr, copy)


def test_a_kept_population_cannot_be_written_and_each_run_gets_its_own_copy(tasks):
    reuse.clear()
    cfg = reuse.run_config(tasks["a"][1], {"seed": 1})
    mine, theirs = reuse.population(cfg), reuse.population(cfg)
    (kept_learners, kept_peers), = reuse.kept_populations()
    with pytest.raises(ValueError):
        kept_learners.aware[0] = True
    mine[0].aware[0] = not mine[0].aware[0]     # a run's copy is its own
    assert theirs[0].aware[0] == kept_learners.aware[0] != mine[0].aware[0]
    assert mine[1] is not kept_peers and np.array_equal(mine[1], kept_peers)


def test_a_kept_base_is_typed_once_and_never_changed_by_a_task(tasks):
    reuse.clear()
    base = tasks["c"][1]
    with_c = reuse.run_config(base, {"behaviour.asc_enrol": -4.0, "seed": 2})
    plain_again = reuse.run_config(base, {"seed": 2})
    assert with_c.behaviour.asc_enrol == -4.0
    assert plain_again.behaviour.asc_enrol == base["behaviour"]["asc_enrol"]
