"""``mcsim experiment experiments/NAME.yaml [key=value ...]``: run an experiment design.

The file is read and validated, the design table saved (``design.parquet``), then every run
not already in the store is done on the chosen executor. Re-running the same command after a
crash or kill finishes the remaining runs only. Options (``key=value``):

  executor=serial|process|ray   where runs execute (default serial)
  workers=N                     processes or local Ray CPUs (default: all cores / 2)
  ray.address=auto|HOST:PORT    join an existing Ray cluster (default: start a local one)
  store=DIR                     store directory (default results/experiments/<name>-<hash>)
  results_dir=DIR               parent of the default store directory
  progress=true|false           progress bar
  population=N horizon=Q replicates=R samples=N seed=S   change the file's values
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from sim.commands.common import fail

log = logging.getLogger("mcsim.experiment")
SPEC_OPTIONS = ("population", "horizon", "replicates", "samples", "seed")
RUN_OPTIONS = ("executor", "workers", "ray.address", "store", "results_dir", "progress", "experiment")


def parse_args(args: list[str]) -> tuple[str | None, dict, dict]:
    """(experiment path or name, spec changes, run options); raises ValueError with one line."""
    path, spec_changes, options = None, {}, {}
    for arg in args:
        if "=" not in arg:
            if path is not None:
                raise ValueError(f"unexpected argument {arg!r}: give one experiment file, then key=value options")
            path = arg
            continue
        key, value = arg.split("=", 1)
        if key in SPEC_OPTIONS:
            try:
                spec_changes[key] = int(value)
            except ValueError:
                raise ValueError(f"{key}={value!r} is not allowed: expected an integer") from None
        elif key in RUN_OPTIONS:
            options[key] = value
        else:
            raise ValueError(f"unknown option {key!r}: allowed are {', '.join(SPEC_OPTIONS + RUN_OPTIONS)}")
    if "experiment" in options:
        if path is not None:
            raise ValueError("give the experiment once: a path or experiment=NAME")
        path = options.pop("experiment")
    if path is None:
        raise ValueError("no experiment given: mcsim experiment experiments/NAME.yaml (or experiment=NAME)")
    return path, spec_changes, options


def _run_options(options: dict) -> dict:
    from sim.experiment.executors import EXECUTORS

    executor = options.get("executor", "serial")
    if executor not in EXECUTORS:
        raise ValueError(f"executor={executor!r} is not known: expected one of {', '.join(EXECUTORS)}")
    workers = options.get("workers")
    if workers is not None:
        if not workers.isdigit() or int(workers) < 1:
            raise ValueError(f"workers={workers!r} is not allowed: expected an integer >= 1")
        workers = int(workers)
    progress = options.get("progress", "true").lower()
    if progress not in ("true", "false"):
        raise ValueError(f"progress={progress!r} is not allowed: expected true or false")
    address = options.get("ray.address")
    if address and executor != "ray":
        raise ValueError("ray.address is only used with executor=ray")
    return {"executor": executor, "workers": workers, "ray_address": address or None,
            "progress": progress == "true"}


def run_stored(spec, design, store_dir: Path, run: dict, what: str = "experiment", announce: str = ""):
    """Run ``design`` into the store at ``store_dir`` (one writer: the store is locked for the
    duration; ``announce`` is printed once it is) and write its ``results.parquet`` and ``.csv``; returns the results table. Exits
    with one line on a store that holds another experiment, a full disk or an interrupt
    (finished runs are kept: the same command does the rest)."""
    from sim.experiment import run_design
    from sim.experiment.store import StoreMismatch
    from sim.inputs import InputError
    from sim.output_folder import claim, release
    from sim.store import atomic_write_bytes, write_parquet

    try:
        claim(store_dir, None, what="experiment store")  # one writer per store
    except ValueError as exc:
        fail(what, str(exc))
    try:
        if announce:
            print(announce, flush=True)
        try:
            results = run_design(spec, design, store_dir, **run)
        except (StoreMismatch, InputError) as exc:
            fail(what, str(exc))
        except OSError as exc:
            fail(what, f"cannot write the store {store_dir} ({exc.strerror or exc}): free some space, then run "
                       "the same command again (finished runs are kept)")
        except KeyboardInterrupt:
            print(f"\ninterrupted: finished runs are kept in {store_dir}; run the same command to do the rest",
                  file=sys.stderr)
            sys.exit(130)
        try:
            write_parquet(store_dir / "results.parquet", results)
            atomic_write_bytes(store_dir / "results.csv", results.to_csv(index=False).encode())
        except OSError as exc:
            fail(what, f"cannot write the results table into {store_dir} ({exc.strerror or exc}): free some "
                       "space, then run the same command again (finished runs are kept)")
        return results
    finally:
        release(store_dir)  # the store's lock (when this command runs in-process, as in tests)


def main(args: list[str]) -> None:
    from sim.experiment import ExperimentError, build_design, load_experiment
    from sim.experiment.store import default_store_dir
    from sim.paths import inside

    if any(a in ("-h", "--help") for a in args):
        print(__doc__)
        sys.exit(0)
    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    try:
        path, changes, options = parse_args(args)
        run = _run_options(options)
        spec = load_experiment(path, **changes)
        design = build_design(spec)
        store_dir = Path(options["store"]) if "store" in options else \
            default_store_dir(spec, options.get("results_dir", "results/experiments"))
        if "store" not in options:  # the name cannot lead outside results_dir
            inside(store_dir, options.get("results_dir", "results/experiments"), "the experiment store")
    except (ExperimentError, ValueError) as exc:
        fail("experiment", str(exc))
    results = run_stored(spec, design, store_dir, run, announce=(
        f"experiment {spec.name}: {len(design)} runs ({spec.sampler}, {len(spec.parameters)} parameters, "
        f"{len(spec.scenarios)} scenarios, {spec.replicates} replicates); store {store_dir}"))
    print(f"{len(results)} of {len(design)} runs finished; table {store_dir / 'results.parquet'} (and .csv)")
    if spec.analysis and len(results) == len(design):
        from sim.analysis.sensitivity import analyse_experiment, format_indices

        indices = analyse_experiment(spec, results, store_dir / "analysis")
        print(format_indices(indices, spec.sampler))
        print(f"sensitivity indices and figures in {store_dir / 'analysis'}")
    sys.exit(0 if len(results) == len(design) else 1)
