"""``mcsim optimise [key=value ...]``: the best lever mix for an annual budget, robust across
parameter draws (docs/RESEARCHER_GUIDE.md, "Best lever mix for a budget").

Settings: ``configs/optimise.yaml`` (schema ``OptimiseConfig`` in sim/config/schema.py), any
run key applying to every run. Everything is checked before any run; bad input ends with
one line and exit code 2. Outputs in ``results/optimise/<optimise.name>/`` (default
``optimise-<hash of the settings>``): ``front.csv``, ``evaluations.csv``, ``recommended.csv``,
``figures/``, ``optimise.md``, ``comparison/`` (the report of the recommended mixes against
the named scenarios), ``store/`` (every evaluation) and ``manifest.json`` (written last).
Running the same command again resumes: evaluations already in the store are not run again.
Exit code 0 with a feasible front, 1 when no mix met the floors and the budget.
"""

from __future__ import annotations

import datetime
import logging
import math
import sys
import time
from pathlib import Path

from omegaconf import OmegaConf

from sim.commands.common import check_overrides, fail, _check_data, _split_args

log = logging.getLogger("mcsim.optimise")
RESULTS = Path("results") / "optimise"
MARKER = "manifest.json"
# mappings whose keys the user may add from the command line (composed as ++key=value)
OPEN_MAPPINGS = ("optimise.levers.", "optimise.equity_floors.")
# settings that change where or how fast, never what is evaluated (left out of the folder's hash)
NOT_HASHED = ("name", "executor", "workers", "compare", "compare_scenarios", "compare_draws", "compare_seeds",
              "recommend_at_rm")


def _overrides(args: list[str]) -> list[str]:
    """The command line as Hydra overrides; keys inside the open mappings become ``++key``
    (added or replaced) after the same safety checks as every other key."""
    from sim.config import ConfigError
    from sim.config.keys import KEY_PART

    overrides, multirun = _split_args(args)
    if multirun:
        fail("optimise", "--multirun is not supported: one search runs many candidates already")
    others, opened = [], []
    for o in overrides:
        key = o.split("=", 1)[0]
        if key.startswith(OPEN_MAPPINGS):
            if not all(KEY_PART.match(p) for p in key.split(".")) or "_target_" in key.split("."):
                fail("optimise", f"{o} is not allowed: keys are dotted names of settings")
            opened.append(f"++{o}")
        else:
            others.append(o)
        if key.lstrip("+~") == "scenario":
            fail("optimise", f"{o} is not allowed: every candidate is the baseline with its lever values set "
                             "(start the search from scenarios with optimise.start_from=[...])")
    try:
        check_overrides("optimise", "run", [a for a in others if not a.lstrip("+~").startswith("optimise.")])
    except ConfigError as exc:  # pragma: no cover - check_overrides exits itself
        fail("optimise", str(exc))
    return others + opened


def check_settings(opt) -> None:
    """The search's own settings (one line each, ConfigError)."""
    from sim.config import ConfigError
    from sim.experiment.executors import EXECUTORS
    from sim.experiment.optimise.model import EQUITY_MEASURES
    from sim.experiment.optimise.search import ALGORITHMS

    def need(ok: bool, message: str) -> None:
        if not ok:
            raise ConfigError(message)

    measures = ", ".join(EQUITY_MEASURES)
    need(opt.equity in EQUITY_MEASURES, f"optimise.equity={opt.equity!r} is not known: expected one of {measures}")
    for key, floor in (opt.equity_floors or {}).items():
        need(key in EQUITY_MEASURES, f"optimise.equity_floors has unknown ratio {key!r}: expected one of {measures}")
        need(isinstance(floor, (int, float)) and not isinstance(floor, bool) and math.isfinite(floor),
             f"optimise.equity_floors.{key}={floor!r} is not a number")
        need(0 < floor <= 1, f"optimise.equity_floors.{key}={floor:g} cannot be reached: an uptake ratio floor "
                             "must lie in (0, 1] (1 = parity; the floor asks the disadvantaged group to reach at "
                             "least this share of the other's uptake)")
    need(0 <= opt.robust_percentile <= 100, f"optimise.robust_percentile={opt.robust_percentile:g} is out of range: "
                                            "expected 0 to 100")
    need(opt.draws >= 0, f"optimise.draws={opt.draws} is out of range: expected >= 0 (0 = parameters as configured)")
    need(opt.seeds >= 1, f"optimise.seeds={opt.seeds} is out of range: expected >= 1")
    need(opt.algorithm in ALGORITHMS, f"optimise.algorithm={opt.algorithm!r} is not known: expected one of "
                                      f"{', '.join(ALGORITHMS)}")
    need(opt.population_size >= 4, f"optimise.population_size={opt.population_size} is out of range: expected >= 4")
    need(opt.generations >= 1, f"optimise.generations={opt.generations} is out of range: expected >= 1")
    for level in opt.recommend_at_rm:
        need(isinstance(level, (int, float)) and level > 0,
             f"optimise.recommend_at_rm has {level!r}: expected budget levels above 0 (RM per year)")
    need(opt.compare_draws >= 0, f"optimise.compare_draws={opt.compare_draws} is out of range: expected >= 0")
    need(opt.compare_seeds >= 1 and max(opt.compare_draws, 1) * opt.compare_seeds >= 2,
         f"optimise.compare_seeds={opt.compare_seeds} is out of range: the comparison needs at least 2 cells")
    need(opt.executor in EXECUTORS, f"optimise.executor={opt.executor!r} is not allowed: expected one of "
                                    f"{', '.join(EXECUTORS)}")
    need(opt.workers is None or opt.workers >= 1, f"optimise.workers={opt.workers} is out of range: expected >= 1")
    if opt.name is not None:
        from sim.paths import is_safe_name, SAFE_NAME_RULE

        need(is_safe_name(opt.name), f"optimise.name={opt.name!r} is not allowed: expected {SAFE_NAME_RULE}")


def _run_config(cfg):
    """The run configuration inside the optimise configuration (the baseline of every candidate)."""
    from sim.config.schema import RunConfig

    plain = {k: v for k, v in OmegaConf.to_container(cfg, resolve=True).items() if k not in ("optimise", "hydra")}
    return OmegaConf.merge(OmegaConf.structured(RunConfig), plain)


def _scenario_config(name: str, run_overrides: list[str], base):
    """A named scenario composed with the user's run overrides, sharing the base's sections."""
    from sim.commands.compare import SHARED_SECTIONS
    from sim.config.compose import compose

    cfg = compose("run", [*run_overrides, f"scenario={name}"])
    for section in SHARED_SECTIONS:
        cfg[section] = base[section]
    return cfg


def _draws(n: int, seed: int, held: set[str], bases: dict, what: str):
    """Parameter draws (None for n = 0), those the user fixed held out, checked on every base."""
    if n == 0:
        return None
    from sim.config import ConfigError
    from sim.experiment.uncertainty import UncertaintyError, checked_draws

    try:
        return checked_draws(int(n), int(seed), held, {f"{what} {name}": base for name, base in bases.items()})
    except (UncertaintyError, ConfigError) as exc:
        fail("optimise", str(exc))


def prepare(args: list[str]) -> dict:
    """Compose and check everything before any run; exits with one line (code 2) on bad input."""
    from sim.config import ConfigError, validate_config
    from sim.config.compose import compose, explain, policy_scenarios
    from sim.data import DataError
    from sim.experiment.optimise.levers import build_space, scenario_mix
    from sim.experiment.optimise.model import ModelEvaluator
    from sim.experiment.optimise.space import SpaceError

    overrides = _overrides(args)
    try:
        cfg = compose("optimise", overrides)
    except Exception as exc:  # noqa: BLE001 - Hydra raises several unrelated types
        fail("optimise", explain(exc, overrides))
    opt = cfg.optimise
    base = _run_config(cfg)
    try:
        validate_config(base)
        _check_data(base)
        check_settings(opt)
        space = build_space(opt, base)
        known = policy_scenarios()
        for key in ("start_from", "compare_scenarios"):
            for name in opt[key]:
                if name not in known or name == "baseline":
                    raise ConfigError(f"optimise.{key} has unknown scenario {name!r}: available are "
                                      f"{', '.join(s for s in known if s != 'baseline')}")
    except (ConfigError, SpaceError, DataError) as exc:
        fail("optimise", str(exc))
    run_overrides = [o for o in overrides if not o.lstrip("+~").startswith("optimise.")]
    held = {o.split("=", 1)[0].lstrip("+~") for o in run_overrides}
    starts = {name: _scenario_config(name, run_overrides, base) for name in opt.start_from}
    draws = _draws(int(opt.draws), int(cfg.seed), held, {"baseline": base, **starts}, "scenario")
    compare_names = list(dict.fromkeys(opt.compare_scenarios)) if opt.compare else []
    compare_cfgs = {name: _scenario_config(name, run_overrides, base) for name in compare_names}
    compare_draws = (_draws(int(opt.compare_draws), int(cfg.seed) + 1000, held, {"baseline": base, **compare_cfgs},
                            "scenario") if opt.compare else None)
    floors = {str(k): float(v) for k, v in (opt.equity_floors or {}).items()}
    evaluator = ModelEvaluator(OmegaConf.to_container(base, resolve=True), draws, int(opt.seeds), int(cfg.seed),
                               float(opt.budget_rm), str(opt.equity), floors, float(opt.robust_percentile))
    return {"cfg": cfg, "opt": opt, "base": base, "space": space, "evaluator": evaluator,
            "starts": {name: scenario_mix(space, c) for name, c in starts.items()},
            "compare_cfgs": compare_cfgs, "compare_draws": compare_draws, "run_overrides": run_overrides}


def output_folder(prep: dict) -> Path:
    from sim.experiment.optimise.store import canonical
    from sim.paths import UnsafePath, inside

    import hashlib

    cfg, opt = prep["cfg"], prep["opt"]
    hashed = {k: v for k, v in OmegaConf.to_container(opt, resolve=True).items() if k not in NOT_HASHED}
    run = OmegaConf.to_container(prep["base"], resolve=True)
    run.pop("progress", None)
    digest = hashlib.sha256(canonical({"optimise": hashed, "run": run}).encode()).hexdigest()[:10]
    folder = RESULTS / (opt.name or f"optimise-{digest}")
    try:
        inside(folder, RESULTS, "the optimise folder")
    except UnsafePath as exc:
        fail("optimise", str(exc))
    return folder


def _meta(prep: dict, result_meta: dict) -> dict:
    from sim.experiment.optimise.model import EQUITY_MEASURES
    from sim.store import code_version

    cfg, opt = prep["cfg"], prep["opt"]
    return {"equity": str(opt.equity), "equity_label": EQUITY_MEASURES[str(opt.equity)],
            "floors": prep["evaluator"].floors, "percentile": float(opt.robust_percentile),
            "budget_rm": float(opt.budget_rm), "draws": int(opt.draws), "seeds": int(opt.seeds),
            "created": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "command": " ".join(["mcsim", *sys.argv[1:]]) if sys.argv[1:2] == ["optimise"] else "mcsim optimise",
            "stamp": (f"{cfg.population.n_agents:,} agents, {cfg.horizon.quarters} quarters; "
                      f"{len(result_meta['cells'])} cells ({opt.draws} parameter draws x {opt.seeds} seeds, common "
                      f"random numbers); robust = {opt.robust_percentile:g}th percentile over cells; pymoo "
                      f"{result_meta['algorithm']}, {result_meta['population_size']} x {result_meta['generations']}; "
                      f"mcsim {code_version()}")}


def _comparison_hash(run_cfgs: dict, draws, seeds: int, seed: int) -> str:
    import hashlib

    from sim.experiment.optimise.store import canonical

    content = {"runs": {k: OmegaConf.to_container(c, resolve=True) for k, c in run_cfgs.items()},
               "draws": None if draws is None else draws.reset_index().to_dict("list"), "seeds": seeds, "seed": seed}
    return hashlib.sha256(canonical(content).encode()).hexdigest()[:16]


def compare_mixes(prep: dict, out_dir: Path, recommended, meta: dict):
    """Run the recommended mixes against the named scenarios (out of sample: fresh draws and
    seeds) and build the comparison report; returns the mix-versus-scenario table."""
    from sim.experiment import results
    from sim.experiment.compare import run_comparison
    from sim.experiment.optimise.versus import mix_configs, versus_table
    from sim.report.build import build_report
    from sim.store import atomic_write_bytes, code_version

    cfg, opt, base = prep["cfg"], prep["opt"], prep["base"]
    mixes = mix_configs(base, prep["space"], recommended)
    if not mixes:
        return None
    run_cfgs = {"baseline": base, **prep["compare_cfgs"], **mixes}
    draws = prep["compare_draws"]
    seed = int(cfg.seed) + 1000
    folder = out_dir / "comparison"
    digest = _comparison_hash(run_cfgs, draws, int(opt.compare_seeds), seed)
    try:   # the same comparison already stored (a rerun): read it, run nothing
        stored = results.load(folder) if (folder / "report.html").is_file() else None
    except results.ResultsError:
        stored = None
    if stored is not None and stored.meta.get("comparison_hash") == digest:
        meta["compare_cells"] = len(stored.runs) // len(run_cfgs)
        print(f"comparison of the recommended mixes found in {folder}: not run again", flush=True)
        return versus_table(stored, list(mixes), str(opt.equity), float(opt.robust_percentile))
    print(f"comparing {len(mixes)} recommended mixes with {', '.join(prep['compare_cfgs']) or 'the baseline'} "
          f"({max(int(opt.compare_draws), 1) * int(opt.compare_seeds)} fresh cells)", flush=True)
    comparison = run_comparison(run_cfgs, int(opt.compare_seeds), seed, opt.executor, opt.workers, progress=False,
                                parameters=draws)
    runs = comparison.runs
    comparison.meta = {
        **comparison.meta, "n_agents": int(runs.n_agents.iloc[0]), "persons": float(runs.persons.iloc[0]),
        "persons_per_agent": float(runs.persons.iloc[0]) / int(runs.n_agents.iloc[0]),
        "quarters": int(base.horizon.quarters), "start_year": int(base.horizon.start_year),
        "descriptions": {s: c.scenario.description for s, c in run_cfgs.items()},
        "annual_public_cost_rm": {s: c.scenario.annual_public_cost_rm for s, c in run_cfgs.items()},
        "learning_share_of_cost": {s: float(c.policy.connectivity.learning_share_of_cost) for s, c in run_cfgs.items()},
        "reproduce": meta["command"], "command": meta["command"], "code_version": code_version(),
        "created": meta["created"], "comparison_hash": digest,
    }
    results.save(folder, comparison)
    atomic_write_bytes(folder / "config.yaml", OmegaConf.to_yaml(base).encode())
    build_report(folder)
    meta["compare_cells"] = len(comparison.runs) // len(run_cfgs)
    return versus_table(comparison, list(mixes), str(opt.equity), float(opt.robust_percentile))


def run(prep: dict, out_dir: Path) -> int:
    from sim.experiment.optimise.model import recommended as recommend
    from sim.experiment.optimise.search import EvaluationFailed, search
    from sim.experiment.optimise.store import EvaluationStore
    from sim.experiment.store import StoreMismatch
    from sim.report import optimise as report
    from sim.store import atomic_write_bytes, manifest, write_json

    cfg, opt, space, evaluator = prep["cfg"], prep["opt"], prep["space"], prep["evaluator"]
    start = time.perf_counter()
    try:
        store = EvaluationStore(out_dir / "store").open(evaluator.context())
    except StoreMismatch as exc:
        fail("optimise", str(exc))
    cells = evaluator.cells()
    print(f"optimise: budget RM {opt.budget_rm / 1e6:,.0f} million a year, {space.n_var} variables, "
          f"{opt.population_size} candidates x {opt.generations} generations x {len(cells)} cells "
          f"({cfg.population.n_agents:,} agents); folder {out_dir}", flush=True)
    try:
        result = search(space, evaluator, store, str(opt.algorithm), int(opt.population_size), int(opt.generations),
                        int(opt.search_seed), start=list(prep["starts"].values()), executor=str(opt.executor),
                        workers=opt.workers, progress=lambda line: print(line, flush=True))
    except EvaluationFailed as exc:
        fail("optimise", str(exc), code=1)
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished evaluations are kept in {out_dir / 'store'}; run the same command to go on",
              file=sys.stderr)
        sys.exit(130)
    archive, front = result.archive, result.front
    levels = sorted(float(v) for v in opt.recommend_at_rm)
    best = recommend(front, levels)
    meta = _meta(prep, result.meta)
    starts = {name: c for name, c in zip(prep["starts"], result.meta["start_candidates"]) if c is not None}
    for name, table in (("evaluations", archive), ("front", front), ("recommended", best)):
        atomic_write_bytes(out_dir / f"{name}.csv", table.to_csv(index=False).encode())
    report.draw(out_dir, space, archive, front, best, meta, starts)
    versus = compare_mixes(prep, out_dir, best, meta) if opt.compare and len(front) else None
    if versus is not None:
        atomic_write_bytes(out_dir / "recommended_vs_scenarios.csv", versus.to_csv(index=False).encode())
    atomic_write_bytes(out_dir / "optimise.md", report.summary(space, result.meta, front, best, versus, meta).encode())
    atomic_write_bytes(out_dir / "config.yaml", OmegaConf.to_yaml(cfg).encode())
    wall = time.perf_counter() - start
    write_json(out_dir / MARKER, manifest(int(cfg.seed), OmegaConf.to_yaml(cfg), wall, kind="optimise",
                                          evaluations_run=result.runs_done, evaluations_found=result.runs_found,
                                          candidates=len(archive), front=len(front), start_scenarios=starts,
                                          robust_criterion=f"{opt.robust_percentile:g}th percentile over cells"))
    print(f"{len(archive)} mixes evaluated ({result.runs_done} runs now, {result.runs_found} look-ups answered by the "
          f"store) in {wall:.0f} s; front {len(front)}; summary {out_dir / 'optimise.md'}")
    for _, row in best.iterrows():
        if row.isna().get("candidate", True):
            print(f"  within RM {row.budget_level_rm / 1e6:,.0f}m: no feasible mix")
        else:
            print(f"  within RM {row.budget_level_rm / 1e6:,.0f}m: candidate {int(row.candidate)}, robust "
                  f"+{row.additional_b40_completers_robust:,.0f} B40 completers, "
                  f"{opt.equity} {row[f'{opt.equity}_robust']:.3f}, RM {row.public_spend_per_year_rm_mean / 1e6:,.1f}m "
                  "a year")
    if not len(front):
        floors = ", ".join(f"{k} >= {v:g}" for k, v in evaluator.floors.items()) or "none"
        best_eq = archive[f"{opt.equity}_robust"].max() if len(archive) else float("nan")
        print(f"mcsim optimise: no mix met the budget and the equity floors ({floors}); the best robust "
              f"{opt.equity} found was {best_eq:.3f}", file=sys.stderr)
        return 1
    return 0


def main(args: list[str]) -> None:
    from sim.output_folder import FolderRefused, claim, release_all

    if any(a in ("-h", "--help") for a in args):
        print(__doc__)
        sys.exit(0)
    logging.getLogger("MESA").setLevel(logging.WARNING)
    prep = prepare(args)
    out_dir = output_folder(prep)
    try:
        claim(out_dir, None, what="optimise search")   # one writer; a finished search reruns from its store
    except FolderRefused as exc:
        fail("optimise", str(exc))
    try:
        code = run(prep, out_dir)
    finally:
        release_all()
    sys.exit(code)
