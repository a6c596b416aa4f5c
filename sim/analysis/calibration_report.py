"""Files and figure of a calibration: tables (Parquet), the convergence table (CSV and
markdown), summary JSON and the target-vs-simulated figure."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.analysis.plots import OKABE_ITO, plt, save


def fit_figure(fit, stem: Path) -> list[Path]:
    """Observed target (with tolerance band) against simulated value (with 95% interval),
    one panel row per target, on the scale of each target's tolerance."""
    n = len(fit)
    fig, ax = plt.subplots(figsize=(7, 0.55 * n + 1.4))
    y = np.arange(n)[::-1]
    z = fit.error_in_tolerances.to_numpy()
    zlo = (fit.simulated_low - fit.observed).to_numpy() / fit.tolerance.to_numpy()
    zhi = (fit.simulated_high - fit.observed).to_numpy() / fit.tolerance.to_numpy()
    ax.axvspan(-1, 1, color=OKABE_ITO[2], alpha=0.15, label="within tolerance")
    ax.axvline(0, color="black", lw=0.8)
    colours = [OKABE_ITO[0] if s == "pass" else OKABE_ITO[3] for s in fit.status]
    ax.errorbar(z, y, xerr=[np.nan_to_num(z - zlo), np.nan_to_num(zhi - z)], fmt="none", ecolor="grey", capsize=3)
    ax.scatter(z, y, c=colours, zorder=3, s=40)
    labels = [f"{r.target}\nobserved {r.observed:.3g}, simulated {r.simulated:.3g}" for r in fit.itertuples()]
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel("(simulated - observed) / tolerance")
    ax.set_title("Calibration fit: blue = pass, vermilion = miss")
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    return save(fig, stem)


def convergence_markdown(convergence) -> str:
    """The convergence table as markdown: per generation epsilon, proposals, candidates
    simulated, accepted particles, acceptance rate and effective sample size."""
    lines = ["| generation | epsilon | proposals | simulated | accepted | acceptance rate | ESS |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in convergence.itertuples():
        lines.append(f"| {r.generation} | {r.epsilon:.3f} | {r.proposals} | {r.simulated} | {r.accepted} | "
                     f"{r.acceptance_rate:.2f} | {r.ess:.1f} |")
    return "\n".join(lines) + "\n"


def write_outputs(result, spec, out_dir: Path, command: str, wall_time_s: float) -> None:
    from sim.store import atomic_write_bytes, code_version, package_versions, write_json, write_parquet

    out_dir = Path(out_dir)
    write_parquet(out_dir / "abc_particles.parquet", result.particles)
    write_parquet(out_dir / "abc_posterior.parquet", result.posterior)
    write_parquet(out_dir / "fit_table.parquet", result.fit_table)
    write_parquet(out_dir / "check_runs.parquet", result.check_runs)
    atomic_write_bytes(out_dir / "convergence.csv", result.convergence.to_csv(index=False).encode())
    atomic_write_bytes(out_dir / "convergence.md", convergence_markdown(result.convergence).encode())
    fit_figure(result.fit_table, out_dir / "fit")
    q = result.quantiles()
    write_json(out_dir / "calibration.json", {
        "command": command, "wall_time_s": wall_time_s, "method": "ABC-SMC (pyabc)", "settings": vars(spec.settings),
        "bounds": {k: list(v) for k, v in spec.bounds.items()},
        "generations": result.generations, "final_epsilon": result.final_epsilon, "simulations": result.simulations,
        "convergence": result.convergence.to_dict("records"),
        "fitted": result.fitted, "posterior_quantiles": q.reset_index(names="parameter").to_dict("records"),
        "fit_table": result.fit_table.to_dict("records"), "history_db": result.history_db.name,
        "code_version": code_version(), "packages": package_versions(),
    })


def format_result(result) -> str:
    lines = ["generation   epsilon   proposals   simulated   accepted   acceptance     ESS"]
    for r in result.convergence.itertuples():
        lines.append(f"  {r.generation:>8} {r.epsilon:9.3f} {r.proposals:11d} {r.simulated:11d} {r.accepted:10d} "
                     f"{r.acceptance_rate:12.2f} {r.ess:7.1f}")
    lines.append("parameter                              fitted    posterior 5% / 50% / 95%")
    for name, r in result.quantiles().iterrows():
        lines.append(f"  {name:<36} {r.fitted:8.4f}   {r.q05:8.4f} {r.q50:8.4f} {r.q95:8.4f}")
    lines.append("target                                 observed ± tol    simulated [95% interval]   status")
    for r in result.fit_table.itertuples():
        lines.append(f"  {r.target:<36} {r.observed:7.3f} ± {r.tolerance:<5.3f}  {r.simulated:7.3f} "
                     f"[{r.simulated_low:.3f}, {r.simulated_high:.3f}]   {r.status}")
    return "\n".join(lines)
