"""Export of the page's settings as a YAML file that ``mcsim run`` reproduces exactly.

The file holds the scenario twin's run configuration where the explorer can change it
(scenario, seed, population, horizon and every lever), in the configuration's own shape:

    mcsim run overrides_file=explorer-<scenario>-seed<seed>.yaml

It starts with ``# @package _global_`` so it can also be copied into ``configs/scenario/`` and
run as ``mcsim run scenario=<file name>``. Behaviour and market settings are the defaults in
both the page and the command line, so they are not repeated.
"""

from __future__ import annotations

import yaml
from omegaconf import OmegaConf

from sim.model.plain import Plain


def settings(cfg) -> dict:
    """The part of a run configuration the export carries."""
    c = cfg.to_dict() if isinstance(cfg, Plain) else OmegaConf.to_container(cfg, resolve=True)
    return {
        "scenario": c["scenario"],
        "seed": c["seed"],
        "population": {"n_agents": c["population"]["n_agents"]},
        "horizon": c["horizon"],
        "policy": c["policy"],
    }


def export_yaml(cfg, twin=None) -> str:
    """YAML text of the settings; comments record what the page showed when it was saved."""
    name = cfg.scenario.name
    lines = [
        "# @package _global_",
        "# Lever settings saved by the mcsim explorer. Reproduce the run with:",
        f"#   mcsim run overrides_file=THIS_FILE.yaml",
        f"# and its baseline twin with:  mcsim run seed={cfg.seed} population.n_agents={cfg.population.n_agents}",
    ]
    if twin is not None and twin.quarter > 0:
        q = twin.quarter - 1
        up = twin.scenario.history[q]["uptake_rate"]
        lines.append(f"# The page showed, after {twin.quarter} quarters ({twin.period()}): uptake "
                     f"{100 * up['all']:.4f}% (B40 {100 * up['B40']:.4f}%, rural {100 * up['rural']:.4f}%); "
                     f"in timeseries.parquet: quarter {q}, metric uptake_rate.")
    lines.append(f"# Scenario: {name}")
    body = yaml.safe_dump(settings(cfg), sort_keys=False, default_flow_style=None, width=100)
    return "\n".join(lines) + "\n" + body


def export_file_name(cfg) -> str:
    return f"explorer-{cfg.scenario.name}-seed{cfg.seed}.yaml"
