"""Run configurations of an experiment: one composed base per scenario, then each design row's
values and seed set on a copy (composing with Hydra once per scenario, not once per run)."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf


def base_configs(spec) -> dict[str, DictConfig]:
    """The composed run configuration of each scenario, with the experiment's population,
    horizon and fixed values applied and the progress bar off."""
    from sim.cli import compose

    bases = {}
    for scenario in spec.scenarios:
        cfg = compose("run", [f"scenario={scenario}", f"population.n_agents={spec.population}",
                              f"horizon.quarters={spec.horizon}", "progress=false"])
        for key, value in spec.fixed.items():
            OmegaConf.update(cfg, key, value, merge=False)
        bases[scenario] = cfg
    return bases


def run_config(base: DictConfig | dict, values: dict, seed: int) -> DictConfig:
    """``base`` with the dotted ``values`` and ``seed`` set (type-checked by the schema)."""
    from sim.config.schema import RunConfig

    cfg = OmegaConf.merge(OmegaConf.structured(RunConfig), base) if isinstance(base, dict) else base.copy()
    for key, value in values.items():
        OmegaConf.update(cfg, key, list(value) if isinstance(value, tuple) else value, merge=False)
    cfg.seed = int(seed)
    return cfg
