"""``mcsim bench``: learner-steps per second and memory of the whole model against the
idiomatic Mesa reference in the same invocation (``sim.benchmark``), and the workloads
analysts run (``sim.experiment.throughput``): a run in a warm worker, ``mcsim run`` end to end,
runs per minute of a comparison against a recorded baseline. Writes ``bench.json`` to the run
directory and prints a table.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sim.benchmark import format_table, measure_cli, plot_scaling, run_benchmark
from sim.commands.common import fail, hydra_app, preflight


def _check(cfg) -> None:
    b = cfg.bench
    if cfg.population.n_agents < 2:
        fail("bench", f"population.n_agents={cfg.population.n_agents} is not allowed: expected at least 2")
    if not 2 <= b.reference_agents <= 50_000:
        fail("bench", f"bench.reference_agents={b.reference_agents} is not allowed: expected 2 to 50000 "
                      "(the reference is the slow per-agent model)")
    if b.reference_quarters is not None and b.reference_quarters < 1:
        fail("bench", f"bench.reference_quarters={b.reference_quarters} is not allowed: expected at least 1")
    bad = [n for n in b.scaling if n < 2]
    if bad:
        fail("bench", f"bench.scaling={list(b.scaling)} is not allowed: every size must be at least 2 agents")
    for key in ("warm_agents", "cli_agents"):
        if b[key] == 1 or b[key] < 0:
            fail("bench", f"bench.{key}={b[key]} is not allowed: expected 0 (skip) or at least 2 agents")
    if b.many_draws < 0:
        fail("bench", f"bench.many_draws={b.many_draws} is not allowed: expected 0 (skip) or more seeds")
    if b.many_draws:
        _check_many(b)


def _check_many(b) -> None:
    from sim.config.compose import available

    if b.many_agents < 2:
        fail("bench", f"bench.many_agents={b.many_agents} is not allowed: expected at least 2")
    if b.many_workers is not None and b.many_workers < 1:
        fail("bench", f"bench.many_workers={b.many_workers} is not allowed: expected at least 1 or null (all cores)")
    known = available("scenario")
    unknown = [s for s in b.many_scenarios if s not in known]
    if unknown or "baseline" not in b.many_scenarios or len(set(b.many_scenarios)) != len(b.many_scenarios):
        fail("bench", f"bench.many_scenarios={list(b.many_scenarios)} is not allowed: expected distinct scenarios "
                      f"including baseline, from {', '.join(known)}")
    if b.many_baseline:
        from sim.experiment.throughput import recorded_baseline

        try:
            recorded_baseline(b.many_baseline)["runs_per_minute"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            fail("bench", f"bench.many_baseline={b.many_baseline} is not a recorded baseline "
                          f"({type(exc).__name__}: {exc}): name a JSON file with runs_per_minute, or null")


def workloads(run_cfg, b) -> dict:
    """The workload measures ``bench`` asks for (each skipped at size 0)."""
    from sim.experiment import throughput

    out = {}
    if b.warm_agents:
        print(f"  one run in a warm worker at {b.warm_agents:,} agents ...", flush=True)
        out["warm_worker"] = throughput.warm_worker(run_cfg, b.warm_agents)
    if b.cli_agents:
        print(f"  mcsim run population.n_agents={b.cli_agents} end to end ...", flush=True)
        out["cli_run"] = measure_cli(b.cli_agents)
    if b.many_draws:
        work = throughput.workload(b.many_scenarios, b.many_draws, b.many_agents, run_cfg.horizon.quarters,
                                   run_cfg.seed, b.many_workers)
        print(f"  many runs: {len(work['scenarios'])} scenarios x {work['draws']} seeds at {work['agents']:,} agents "
              f"on {work['workers']} processes ...", flush=True)
        many = throughput.many_runs(work)
        out["many_runs"] = (throughput.against_baseline(many, throughput.recorded_baseline(b.many_baseline))
                            if b.many_baseline else many)
    return out


def format_workloads(r: dict) -> str:
    lines = []
    if "warm_worker" in r:
        w = r["warm_worker"]
        lines.append(f"warm worker: {w['n_agents']:,} agents x {w['quarters']} quarters in {w['warm_run_s']:.2f} s "
                     f"({w['learner_steps_per_s']:,.0f} learner-steps/s; first run in the worker {w['first_run_s']:.2f} s; "
                     f"load {w['load_average']:.1f})")
    if "cli_run" in r:
        c = r["cli_run"]
        lines.append(f"{c['command']}: {c['wall_s']:.2f} s wall end to end (load {c['load_average']:.1f})")
    if "many_runs" in r:
        m = r["many_runs"]
        w = m["workload"]
        line = (f"many runs ({len(w['scenarios'])} scenarios x {w['draws']} seeds at {w['agents']:,} agents, "
                f"{w['workers']} processes): {m['runs']} runs in {m['wall_s']:.1f} s = {m['runs_per_minute']:.1f} "
                f"runs/minute (load {m['load_average']:.1f})")
        if "baseline" in m:
            base = m["baseline"]
            line += (f"; recorded on {base.get('commit', '?')} ({base.get('date', '?')}, load "
                     f"{base.get('load_average', float('nan')):.1f}): {base['runs_per_minute']:.1f} runs/minute, "
                     + (f"{m['ratio_vs_baseline']:.2f}x" if m["same_workload"] else "a different workload: no ratio"))
        lines.append(line)
    return "\n".join(lines)


def task(cfg) -> None:
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import OmegaConf

    from sim.config import ConfigError, validate_config
    from sim.store import write_json

    try:
        validate_config(cfg)
    except ConfigError as exc:
        fail("bench", str(exc))
    _check(cfg)
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    run_cfg = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "bench"])
    result = run_benchmark(run_cfg, cfg.bench)
    try:
        result.update(workloads(run_cfg, cfg.bench))
    except RuntimeError as exc:   # a measure's own process failed (e.g. no mcsim entry point)
        fail("bench", str(exc), code=1)
    result["load_average_end"] = os.getloadavg()[0]
    write_json(out_dir / "bench.json", result)
    if cfg.bench.plot:
        plot_scaling(result["scaling"], Path(cfg.bench.plot))
    print(format_table(result))
    if text := format_workloads(result):
        print(text)
    print(f"  bench.json in {out_dir}")


def main(args: list[str]) -> None:
    if not any(a in ("--help", "-h", "--cfg", "-c", "--info", "--hydra-help") for a in args):
        cfg = preflight("bench", "bench", args)
        if "-m" not in args and "--multirun" not in args and cfg is not None:
            _check(cfg)
    hydra_app("bench", "bench", task, args)
    sys.exit(0)
