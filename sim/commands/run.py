"""``mcsim run``: one scenario, one seed, written to Hydra's run directory.

Outputs: ``summary.json`` (outcomes, see docs/OUTPUTS.md), ``timeseries.parquet`` (tidy:
quarter, period, metric, group, value), ``config.yaml`` (the resolved configuration) and
``manifest.json`` (seed, code and package versions, machine, wall time).
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import pandas as pd
from omegaconf import OmegaConf

from sim.commands.common import claim_output_folder, fail, hydra_app, preflight
from sim.config import ConfigError, validate_config
from sim.data import DataError

log = logging.getLogger("mcsim.run")


def write_run(record, cfg, out_dir: Path, wall_time_s: float) -> None:
    """Write a run's files (each atomically); summary.json last, so its presence means done."""
    from sim.store import manifest, write_json, write_parquet, atomic_write_bytes

    config_yaml = OmegaConf.to_yaml(cfg)
    atomic_write_bytes(out_dir / "config.yaml", config_yaml.encode())
    write_parquet(out_dir / "timeseries.parquet", record.timeseries)
    write_json(out_dir / "manifest.json", manifest(record.seed, config_yaml, wall_time_s,
                                                  scenario=record.scenario, n_agents=record.n_agents))
    if cfg.save_learners:
        write_parquet(out_dir / "learners.parquet", pd.DataFrame(record.learner_outcomes))
    write_json(out_dir / "summary.json", record.summary())


def format_summary(record) -> str:
    o = record.outcomes
    pct = lambda x: "n/a" if x is None or x != x else f"{100 * x:.1f}%"  # noqa: E731
    lines = [
        f"scenario {record.scenario}, seed {record.seed}: {record.n_agents:,} agents for "
        f"{record.persons / 1e6:.1f} million persons, {record.quarters} quarters",
        f"  uptake (ever enrolled)   {pct(o['uptake_rate'])}   B40 {pct(o['uptake_by_income']['B40'])}"
        f"  M40 {pct(o['uptake_by_income']['M40'])}  T20 {pct(o['uptake_by_income']['T20'])}",
        f"  urban / rural            {pct(o['uptake_by_location']['urban'])} / {pct(o['uptake_by_location']['rural'])}"
        f"   (ratio {o['rate_ratio_rural_urban']:.2f})",
        f"  completion rate          {pct(o['completion_rate'])}   credential holders {pct(o['credential_holders_rate'])}",
        f"  concentration index      {o['concentration_index']:+.3f}  (Erreygers {o['concentration_index_erreygers']:+.3f})",
        f"  public spend             RM {o['public_spend_rm'] / 1e6:,.1f} million"
        + (f" (RM {o['public_spend_attributable_rm'] / 1e6:,.1f} million attributable to learning)"
           if o.get("public_spend_attributable_rm", o["public_spend_rm"]) != o["public_spend_rm"] else "")
        + (f", {pct(o['subsidy_share_b40'])} of subsidy to B40" if o['subsidy_share_b40'] == o['subsidy_share_b40'] else ""),
        f"  employer trust           {o['employer_trust_mean']:.3f}   wage gain of recognised holders RM {o['mean_monthly_wage_gain_rm']:.0f}/month",
    ]
    return "\n".join(lines)


RESULTS = Path("results") / "run"   # where runs go unless hydra.run.dir says otherwise
MARKER = "summary.json"             # written last: its presence means the run is finished
_options = {"overwrite": False}


def task(cfg) -> None:
    from hydra.core.hydra_config import HydraConfig

    from sim.output_folder import FolderRefused, claim
    from sim.run import run_scenario

    logging.getLogger("MESA").setLevel(logging.WARNING)  # also in joblib/Ray launcher workers
    try:
        validate_config(cfg)
    except ConfigError as exc:
        fail("run", str(exc))
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    try:  # a sweep's job folder; a single run's folder was claimed before Hydra started
        claim(out_dir, MARKER, _options["overwrite"])
    except FolderRefused as exc:
        fail("run", str(exc))
    start = time.perf_counter()
    try:
        record = run_scenario(cfg)
    except DataError as exc:
        fail("run", str(exc))
    wall = time.perf_counter() - start
    try:
        write_run(record, cfg, out_dir, wall)
    except OSError as exc:
        fail("run", f"cannot write the run into {out_dir} ({exc.strerror or exc}): free some space or choose "
                    "another folder with hydra.run.dir=...")
    print(format_summary(record))
    print(f"  wall time {wall:.1f} s; outputs in {out_dir}")


def main(args: list[str]) -> None:
    from sim.config.overrides_file import OverridesFileError, expand
    from sim.output_folder import FolderRefused, parse_overwrite, release_all

    try:
        args, overwrite = parse_overwrite(args, "run")
        args = expand(args)  # overrides_file=PATH (e.g. an explorer export) -> its overrides
    except (OverridesFileError, FolderRefused) as exc:
        fail("run", str(exc))
    _options["overwrite"] = overwrite
    if not any(a in ("--help", "-h", "--cfg", "-c", "--info", "--hydra-help") for a in args):
        multirun = any(a in ("-m", "--multirun") for a in args)
        cfg = preflight("run", "run", args, with_hydra=not multirun)
        if not multirun:
            args = claim_output_folder("run", str(cfg.hydra.run.dir), args, RESULTS, MARKER, overwrite, what="run")
    try:
        hydra_app("run", "run", task, args)
    finally:
        release_all()
    sys.exit(0)
