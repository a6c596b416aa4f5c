"""``mcsim bench``: learner-steps per second and memory of the whole model against the
idiomatic Mesa reference in the same invocation (``sim.benchmark``). Writes ``bench.json`` to
the run directory and prints a table.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.benchmark import format_table, plot_scaling, run_benchmark
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
    write_json(out_dir / "bench.json", result)
    if cfg.bench.plot:
        plot_scaling(result["scaling"], Path(cfg.bench.plot))
    print(format_table(result))
    print(f"  bench.json in {out_dir}")


def main(args: list[str]) -> None:
    if not any(a in ("--help", "-h", "--cfg", "-c", "--info", "--hydra-help") for a in args):
        cfg = preflight("bench", "bench", args)
        if "-m" not in args and "--multirun" not in args and cfg is not None:
            _check(cfg)
    hydra_app("bench", "bench", task, args)
    sys.exit(0)
