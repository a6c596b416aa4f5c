"""``mcsim validate``: run the validation patterns and write docs/VALIDATION.md with figures."""

from __future__ import annotations

import sys
from pathlib import Path

from sim.config.compose import CONFIG_DIR
from sim.commands.common import fail, hydra_app

ROOT = CONFIG_DIR.parent


def replicates_needed(replicates: dict, limit: float = 0.1) -> str:
    """Smallest replicate count from which every headline's relative half-width stays < limit."""
    counts = []
    for rows in replicates.values():
        k = None
        for row in rows:
            if row["relative_half_width"] < limit:
                k = row["replicates"] if k is None else k
            else:
                k = None
        counts.append(k)
    if any(k is None for k in counts):
        return f"more than {max(r[-1]['replicates'] for r in replicates.values())}"
    return str(max(counts))


def validate(population: int, seeds: int, quarters: int, workers: int, doc: Path, progress: bool = True) -> dict:
    from sim.validation.patterns import evaluate_all, replicate_stability
    from sim.validation.render import write_validation
    from sim.validation.runs import run_all

    seed_list = list(range(1, seeds + 1))
    runs = run_all(seed_list, population, quarters, workers=workers, progress=progress)
    replicates = replicate_stability(runs)
    command = "mcsim validate" + ("" if (population, seeds, quarters) == (50000, 10, 40)
                                  else f" population={population} seeds={seeds} quarters={quarters}")
    results = {
        "settings": {"n_agents": population, "seeds": seed_list, "quarters": quarters, "command": command},
        "patterns": evaluate_all(runs),
        "replicates": replicates,
        "replicates_needed": replicates_needed(replicates),
    }
    write_validation(results, doc)
    return results


def task(cfg) -> None:
    for key, lo in (("population", 100), ("seeds", 3), ("quarters", 32), ("workers", 1)):
        value = cfg[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < lo:
            fail("validate", f"{key}={value!r} is not allowed: expected an integer >= {lo}")
    doc = Path(cfg.doc)
    doc = doc if doc.is_absolute() else ROOT / doc
    results = validate(cfg.population, cfg.seeds, cfg.quarters, cfg.workers, doc)
    passed = sum(r["passed"] for r in results["patterns"])
    for r in results["patterns"]:
        print(f"  {'pass' if r['passed'] else 'MISS'}  {r['title']}: {r['mean']:.4g} "
              f"({r['ci'][0]:.4g} to {r['ci'][1]:.4g})")
    print(f"{passed} of {len(results['patterns'])} patterns pass; wrote {doc}")


def main(args: list[str]) -> None:
    old = next((a for a in args if a.split("=", 1)[0] == "n_agents"), None)
    if old:  # the key's earlier name
        fail("validate", f"{old} is not a key: the number of agents is population (population={old.split('=', 1)[1]}), "
                         "as in experiment files and the calibration settings")
    hydra_app("validate", "validate", task, args)
    sys.exit(0)
