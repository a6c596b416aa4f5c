"""``mcsim compare``: every scenario against the baseline over paired replicates, with a
briefing report, all in Hydra's run directory (default ``results/compare/<time>``).

Outputs (documented in docs/OUTPUTS_COMPARE.md): ``report.html`` (self-contained),
``report.md``, ``figures/``, ``tables/*.csv``, ``data/*.parquet``, ``comparison.json``,
``config.yaml`` and ``manifest.json``.
"""

from __future__ import annotations

import datetime
import logging
import sys
import time
from pathlib import Path

from omegaconf import OmegaConf

from sim.config.compose import available, compose, explain, policy_scenarios
from sim.commands.common import claim_output_folder, fail, hydra_app, preflight
from sim.config import ConfigError, validate_config

log = logging.getLogger("mcsim.compare")

COMPARE_KEYS = ("scenarios", "replicates", "draws", "executor", "workers", "seed")  # not passed on to each run
# parameters that drive the results most, shown in the report's assumptions section
ASSUMPTIONS = {
    "behaviour.asc_enrol": "utility of enrolling at all (sets the overall level of uptake)",
    "behaviour.propensity_sd": "spread of the lasting propensity to learn (the keen enrol first)",
    "behaviour.money_weight": "weight of net money cost relative to monthly household income",
    "behaviour.theta_credit": "utility cost of a fee of one liquidity share of monthly income (credit constraint)",
    "behaviour.present_bias": "present bias: weight on future benefits (1 = none)",
    "behaviour.liquidity_share_b40": "fee share of B40 monthly income at which the credit cost equals theta_credit",
    "behaviour.unaware_penalty": "search cost of not knowing micro-credentials (knowing is not intending)",
    "behaviour.theta_online": "dislike of online study without digital access",
    "behaviour.rent_share": "share of a productivity gain paid as wage",
    "market.trust_prior_mean_accredited": "employers' initial trust in accredited credentials (0-1)",
    "market.trust_prior_mean_other": "employers' initial trust in other credentials (0-1)",
    "market.accreditation_standard": "value added MQA's review requires (sd of ability)",
    "market.wage_gain_per_value_added": "wage gain of a recognised credential per sd of value added",
    "market.sponsorship_rate_quarter": "levy-registered employees offered sponsored training per quarter",
}
ORDER = ("baseline", "b40_voucher", "universal_voucher", "rural_connectivity", "recognition_push",
         "awareness_campaign", "provider_readiness", "integrated", "east_malaysia_connectivity",
         "b40_poorest_states")
# Run only when named in scenarios=[...]: state-aimed options kept out of the default set so
# `make run` (every scenario, 10 seeds) does not grow by a fifth.
ON_REQUEST = ("east_malaysia_connectivity", "b40_poorest_states")

SHARED_SECTIONS = ("population", "horizon", "behaviour", "market", "progress", "save_learners")
_prepared: dict = {}  # set by main() before Hydra starts: run configs composed and validated


def scenario_names(requested: list[str], known: list[str]) -> list[str]:
    """Baseline first, then the requested scenarios (all known ones but ``ON_REQUEST`` if none);
    ConfigError on an unknown name."""
    for name in requested:
        if name not in known:
            raise ConfigError(f"scenarios has unknown scenario {name!r}: available are {', '.join(known)}")
    default = [s for s in known if s not in ON_REQUEST]
    chosen = list(dict.fromkeys(requested)) or sorted(default, key=lambda s: (ORDER.index(s) if s in ORDER else 99, s))
    return ["baseline"] + [s for s in chosen if s != "baseline"]


def check_compare(cfg) -> None:
    from sim.experiment.compare import EXECUTORS

    if cfg.draws < 0:
        raise ConfigError(f"draws={cfg.draws} is out of range: expected an integer >= 0 (0 = no parameter draws)")
    if cfg.draws == 0 and cfg.replicates < 2:
        raise ConfigError(f"replicates={cfg.replicates} is out of range: expected an integer >= 2 (intervals need 2)")
    if cfg.draws > 0 and (cfg.replicates < 1 or cfg.draws * cfg.replicates < 2):
        raise ConfigError(f"replicates={cfg.replicates} with draws={cfg.draws} is out of range: expected replicates >= 1 "
                          "seeds per draw and at least 2 runs per scenario")
    if cfg.executor not in EXECUTORS:
        raise ConfigError(f"executor={cfg.executor!r} is not allowed: expected one of {', '.join(EXECUTORS)}")
    if cfg.workers is not None and cfg.workers < 1:
        raise ConfigError(f"workers={cfg.workers} is out of range: expected an integer >= 1 (or null for all cores)")


def run_overrides(args: list[str]) -> list[str]:
    """The overrides that apply to every scenario run (compare-only keys removed)."""
    from sim.commands.common import _split_args

    overrides, _ = _split_args(args)
    return [o for o in overrides if o.split("=", 1)[0].lstrip("+~") not in COMPARE_KEYS]


def prepare(args: list[str]) -> tuple:
    """Compose and validate the comparison and every scenario's run config; exits on bad input."""
    single = next((a for a in args if a.split("=", 1)[0].lstrip("+~") == "scenario"), None)
    if single:
        fail("compare", f"{single} is not a compare key: list scenarios as scenarios=[NAME,...] "
                        f"(available: {', '.join(available('scenario'))})")
    cfg = preflight("compare", "compare", args, with_hydra=True)
    try:
        check_compare(cfg)
        names = scenario_names(list(cfg.scenarios), policy_scenarios())
    except ConfigError as exc:
        fail("compare", str(exc))
    shared = run_overrides(args)
    run_cfgs = {}
    for name in names:
        overrides = [*shared, f"scenario={name}"]
        try:
            run_cfgs[name] = compose("run", overrides)
        except Exception as exc:  # noqa: BLE001 - Hydra raises several unrelated types
            fail("compare", explain(exc, overrides))
        # compare.yaml's own defaults (e.g. population.n_agents) plus the user's overrides of the
        # sections no scenario sets; the policy section stays scenario first, then user overrides
        for section in SHARED_SECTIONS:
            run_cfgs[name][section] = cfg[section]
        try:
            validate_config(run_cfgs[name])
        except ConfigError as exc:
            fail("compare", f"scenario {name}: {exc}")
    return cfg, run_cfgs, shared


def parameter_draws(cfg, shared: list[str]):
    """The comparison's parameter draws (None without draws), checked against every scenario's
    allowed ranges before any run. A parameter the user set on the command line is held at
    that value in every draw (it is not uncertain in this comparison)."""
    if not cfg.draws:
        return None
    from sim.experiment.uncertainty import UncertaintyError, checked_draws

    held = {o.split("=", 1)[0].lstrip("+~") for o in shared}
    bases = {f"scenario {name}": c for name, c in (_prepared.get("run_cfgs") or {}).items()}
    try:
        return checked_draws(int(cfg.draws), int(cfg.seed), held, bases)
    except (UncertaintyError, ConfigError) as exc:
        fail("compare", str(exc))


def parameter_meta(draws) -> dict:
    """What the report needs to read the draws later (``sim.experiment.uncertainty.draws_meta``)."""
    if draws is None:
        return {}
    from sim.experiment.uncertainty import draws_meta

    return draws_meta(draws)


def reproduce_command(cfg, names: list[str], shared: list[str]) -> str:
    fixed = [f"scenarios=[{','.join(names)}]", f"replicates={cfg.replicates}", f"draws={cfg.draws}", f"seed={cfg.seed}"]
    rest = [o for o in shared if o.split("=", 1)[0] not in ("population.n_agents", "horizon.quarters")]
    return " ".join(["mcsim compare", *fixed, f"population.n_agents={cfg.population.n_agents}",
                     f"horizon.quarters={cfg.horizon.quarters}", *rest])


def describe(cfg, run_cfgs: dict, shared: list[str], comparison) -> dict:
    from sim.store import code_version

    base = run_cfgs["baseline"]
    runs = comparison.runs
    persons = float(runs.persons.iloc[0])
    n_agents = int(runs.n_agents.iloc[0])
    return {
        **comparison.meta,
        "n_agents": n_agents,
        "persons": persons,
        "persons_per_agent": persons / n_agents,
        "quarters": int(base.horizon.quarters),
        "start_year": int(base.horizon.start_year),
        "descriptions": {s: c.scenario.description for s, c in run_cfgs.items()},
        "annual_public_cost_rm": {s: c.scenario.annual_public_cost_rm for s, c in run_cfgs.items()},
        "learning_share_of_cost": {s: float(c.policy.connectivity.learning_share_of_cost) for s, c in run_cfgs.items()},
        "assumptions": {f"{k} = {OmegaConf.select(base, k)}": v for k, v in ASSUMPTIONS.items()},
        **parameter_meta(_prepared.get("parameters")),
        "overrides": shared,
        "reproduce": reproduce_command(cfg, list(run_cfgs), shared),
        "command": " ".join(["mcsim", *sys.argv[1:]]),
        "code_version": code_version(),
        "created": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
    }


def task(cfg) -> None:
    from hydra.core.hydra_config import HydraConfig

    from sim.experiment import results
    from sim.experiment.compare import run_comparison
    from sim.report.build import build_report
    from sim.store import atomic_write_bytes, manifest, write_json

    run_cfgs, shared = _prepared["run_cfgs"], _prepared["shared"]
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    start = time.perf_counter()
    comparison = run_comparison(run_cfgs, int(cfg.replicates), int(cfg.seed), cfg.executor, cfg.workers,
                                progress=bool(cfg.progress), parameters=_prepared["parameters"])
    comparison.meta = describe(cfg, run_cfgs, shared, comparison)
    try:
        results.save(out_dir, comparison)
        config_yaml = OmegaConf.to_yaml(cfg)
        atomic_write_bytes(out_dir / "config.yaml", config_yaml.encode())
        report = build_report(out_dir)
        wall = time.perf_counter() - start
        write_json(out_dir / MARKER, manifest(int(cfg.seed), config_yaml, wall, kind="compare",
                                              scenarios=list(run_cfgs), replicates=int(cfg.replicates),
                                              n_agents=int(cfg.population.n_agents), executor=cfg.executor))
    except OSError as exc:
        fail("compare", f"cannot write the comparison into {out_dir} ({exc.strerror or exc}): free some space "
                        "or choose another folder with hydra.run.dir=...")
    what = f"{cfg.draws} parameter draws x {cfg.replicates} seeds" if cfg.draws else f"{cfg.replicates} replicates"
    print(f"compared {len(run_cfgs)} scenarios x {what} "
          f"({cfg.population.n_agents:,} agents, {cfg.horizon.quarters} quarters) in {wall:.0f} s")
    print(f"report: {report}")


RESULTS = Path("results") / "compare"  # where comparisons go unless hydra.run.dir says otherwise
MARKER = "manifest.json"                # written last: its presence means the comparison is finished


def main(args: list[str]) -> None:
    from sim.output_folder import FolderRefused, parse_overwrite, release_all

    try:
        args, overwrite = parse_overwrite(args, "compare")
    except FolderRefused as exc:
        fail("compare", str(exc))
    if not any(a in ("--help", "-h", "--cfg", "-c", "--info", "--hydra-help") for a in args):
        if any(a in ("-m", "--multirun") for a in args):
            fail("compare", "--multirun is not supported: a comparison already runs every scenario and replicate")
        cfg, run_cfgs, shared = prepare(args)  # cfg holds Hydra's settings: hydra.run.dir as it will be
        _prepared.update(run_cfgs=run_cfgs, shared=shared)
        _prepared["parameters"] = parameter_draws(cfg, shared)
        args = claim_output_folder("compare", str(cfg.hydra.run.dir), args, RESULTS, MARKER, overwrite,
                                   what="comparison")
    try:
        hydra_app("compare", "compare", task, args)
    finally:
        release_all()
    sys.exit(0)
