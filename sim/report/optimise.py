"""What ``mcsim optimise`` shows: the front (additional B40 completers against public spend,
coloured by equity), the lever mixes on the front as parallel coordinates, and a short
summary (``optimise.md``) with the robustness criterion, the recommended mixes and how they
compare with the named scenarios."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.experiment.optimise.space import SearchSpace  # noqa: E402
from sim.experiment.optimise.store import canonical  # noqa: E402
from sim.report.figures import RC  # noqa: E402
from sim.report.style import label, rm_million  # noqa: E402

CMAP = "cividis"   # colour-blind-safe sequential map for a continuous measure
ROBUST_B40 = "additional_b40_completers_robust"
SPEND = "public_spend_per_year_rm_mean"


def _stamp(fig, meta: dict) -> None:
    fig.text(0.01, 0.01, meta.get("stamp", ""), fontsize=6.5, color="#555555", ha="left", va="bottom", wrap=True)


def front_figure(archive: pd.DataFrame, front: pd.DataFrame, recommended: pd.DataFrame, meta: dict,
                 starts: dict[str, int] | None = None):
    """Robust additional B40 completers (thousands) against mean public spend (RM million a
    year): every evaluated mix in grey (infeasible ones as crosses), the front coloured by its
    robust equity, the recommended mixes ringed and labelled, the start scenarios named."""
    equity = meta["equity"]
    fig, ax = plt.subplots(figsize=(8.0, 5.0))
    fig.suptitle("Best lever mixes: the front of B40 completers, equity and spend", fontsize=12,
                 fontweight="bold", x=0.01, ha="left")
    x = archive[SPEND] / 1e6
    y = archive[ROBUST_B40] / 1e3
    feasible = archive.feasible.to_numpy(bool)
    ax.scatter(x[feasible], y[feasible], s=12, color="#BBBBBB", label="evaluated mix (feasible)", zorder=1)
    ax.scatter(x[~feasible], y[~feasible], s=14, marker="x", color="#BBBBBB", linewidths=0.8,
               label="evaluated mix (misses a floor or the budget)", zorder=1)
    if len(front):
        points = ax.scatter(front[SPEND] / 1e6, front[ROBUST_B40] / 1e3, c=front[f"{equity}_robust"], cmap=CMAP,
                            s=40, edgecolors="black", linewidths=0.4, zorder=3, label="front")
        fig.colorbar(points, ax=ax, label=f"{meta.get('equity_label', equity)} "
                                          f"({meta['percentile']:g}th percentile over cells)")
    chosen = recommended.dropna(subset=["candidate"])
    for candidate, rows in chosen.groupby("candidate", sort=False):
        row = rows.iloc[0]
        levels = ", ".join(f"{v / 1e6:,.0f}m" for v in rows.budget_level_rm)
        ax.scatter([row[SPEND] / 1e6], [row[ROBUST_B40] / 1e3], s=140, facecolors="none", edgecolors="#D55E00",
                   linewidths=1.5, zorder=4)
        ax.annotate(f"best within RM {levels}", (row[SPEND] / 1e6, row[ROBUST_B40] / 1e3),
                    textcoords="offset points", xytext=(6, -12), fontsize=7, color="#D55E00")
    for name, candidate in (starts or {}).items():
        row = archive[archive.candidate == candidate]
        if len(row):
            ax.annotate(label(name), (row[SPEND].iloc[0] / 1e6, row[ROBUST_B40].iloc[0] / 1e3),
                        textcoords="offset points", xytext=(6, 6), fontsize=7, color="#0072B2")
    ax.axvline(meta["budget_rm"] / 1e6, color="#555555", linestyle=":", linewidth=1)
    ax.set_xlabel("public spend above the baseline, RM million a year (mean over cells)")
    ax.set_ylabel(f"additional B40 completers, thousands\n({meta['percentile']:g}th percentile over cells)")
    ax.legend(loc="lower right", fontsize=7)
    _stamp(fig, meta)
    fig.tight_layout(rect=(0, 0.05, 1, 0.95))
    return fig


def _axis(space: SearchSpace, front: pd.DataFrame):
    """(name, values scaled to 0-1, bottom label, top label) per lever axis."""
    axes = []
    for pot, lever, key in space.pots:
        amounts = front[space.pot_key(lever, key)].to_numpy(float)
        axes.append((f"{pot} (RM m/yr)", amounts / space.budget_rm, "0", f"{space.budget_rm / 1e6:,.0f}"))
    for s in space.settings:
        short = s.key.removeprefix("policy.")
        if s.choices is not None:
            texts = [canonical(list(c)) if isinstance(c, (list, tuple)) else str(c) for c in s.choices]
            index = front[s.key].map(lambda v: texts.index(v) if v in texts else 0).to_numpy(float)
            scaled = index / max(len(texts) - 1, 1)
            axes.append((short, scaled, texts[0], texts[-1]))
        else:
            scaled = (front[s.key].to_numpy(float) - s.low) / (s.high - s.low)
            axes.append((short, scaled, f"{s.low:g}", f"{s.high:g}"))
    return axes


def parallel_figure(space: SearchSpace, front: pd.DataFrame, meta: dict):
    """The lever mixes on the front, one line each across the searched settings and the
    pots' annual budgets (each axis from its lowest to its highest searched value), coloured
    by robust additional B40 completers."""
    axes = _axis(space, front)
    fig, ax = plt.subplots(figsize=(max(8.0, 0.75 * len(axes) + 2), 5.2))
    fig.suptitle("Lever mixes on the front", fontsize=12, fontweight="bold", x=0.01, ha="left")
    positions = np.arange(len(axes))
    if len(front):
        colour_by = front[ROBUST_B40].to_numpy(float) / 1e3
        norm = plt.Normalize(np.nanmin(colour_by), max(np.nanmax(colour_by), np.nanmin(colour_by) + 1e-9))
        cmap = plt.get_cmap(CMAP)
        order = np.argsort(colour_by)   # best drawn last, on top
        for i in order:
            ax.plot(positions, [a[1][i] for a in axes], color=cmap(norm(colour_by[i])), linewidth=1.2, alpha=0.85)
        mappable = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
        fig.colorbar(mappable, ax=ax, label=f"additional B40 completers, thousands ({meta['percentile']:g}th pct)")
    for p, (_, _, bottom, top) in zip(positions, axes):
        ax.axvline(p, color="#555555", linewidth=0.8)
        ax.text(p, -0.06, bottom, ha="center", va="top", fontsize=6.5)
        ax.text(p, 1.04, top, ha="center", va="bottom", fontsize=6.5)
    ax.set_xticks(positions, [a[0] for a in axes], rotation=35, ha="right", fontsize=7)
    ax.set_yticks([])
    ax.set_ylim(-0.12, 1.12)
    ax.grid(False)
    _stamp(fig, meta)
    fig.tight_layout(rect=(0, 0.05, 1, 0.95))
    return fig


def save_figure(fig, path_stem: Path) -> list[Path]:
    """PNG (and SVG) with fixed metadata, written atomically."""
    from sim.store import atomic_write_bytes

    out = []
    for fmt in ("png", "svg"):
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=150 if fmt == "png" else None, metadata={"Date": None} if fmt == "svg" else None)
        path = Path(f"{path_stem}.{fmt}")
        atomic_write_bytes(path, buf.getvalue())
        out.append(path)
    plt.close(fig)
    return out


def draw(out_dir: Path, space: SearchSpace, archive: pd.DataFrame, front: pd.DataFrame, recommended: pd.DataFrame,
         meta: dict, starts: dict[str, int] | None = None) -> list[Path]:
    with plt.rc_context(RC):
        paths = save_figure(front_figure(archive, front, recommended, meta, starts), Path(out_dir) / "figures" / "front")
        paths += save_figure(parallel_figure(space, front, meta), Path(out_dir) / "figures" / "parallel_coordinates")
    return paths


# --------------------------------------------------------------------------- summary
def _mix_lines(space: SearchSpace, row: pd.Series) -> list[str]:
    lines = []
    for pot, lever, key in space.pots:
        amount = row.get(space.pot_key(lever, key), 0.0)
        if amount and amount > 0:
            lines.append(f"{pot} {rm_million(amount)}")
    for s in space.settings:
        lever = s.key.split(".")[1]
        if row.get(f"policy.{lever}.enabled", True):
            value = row.get(s.key)
            lines.append(f"{s.key.removeprefix('policy.')} = {value:g}" if isinstance(value, float)
                         else f"{s.key.removeprefix('policy.')} = {value}")
    return lines


def summary(space: SearchSpace, result_meta: dict, front: pd.DataFrame, recommended: pd.DataFrame,
            versus: pd.DataFrame | None, meta: dict) -> str:
    """``optimise.md``: what was searched, the criterion, the front's size, the recommended mixes."""
    q = meta["percentile"]
    equity = meta["equity"]
    lines = [f"# Best lever mix for a budget of {rm_million(meta['budget_rm'])} a year", "",
             f"Created {meta.get('created', '')} by `{meta.get('command', 'mcsim optimise')}`.", "",
             "## Robustness criterion", "",
             f"Every mix ran in the same {len(result_meta['cells'])} cells (parameter draw x seed: "
             f"{meta['draws']} draws x {meta['seeds']} seeds, common random numbers), each paired with the baseline "
             f"run of that cell. A mix's **robust** additional B40 completers and robust "
             f"{meta.get('equity_label', equity)} are their **{q:g}th percentile over the cells** (the value it "
             "beats in that share of the plausible worlds and seeds), maximised; public spend is the mean over cells "
             "above the baseline, RM per year, minimised. Constraints: the largest calendar year's spend in any cell "
             "is within the budget"
             + "".join(f"; robust {k} at least {v:g}" for k, v in meta["floors"].items()) + ".", "",
             "## Search", "",
             f"pymoo {result_meta['algorithm'].upper()}, {result_meta['population_size']} candidates x "
             f"{result_meta['generations']} generations, seed {result_meta['seed']}: {result_meta['candidates']} "
             f"distinct mixes, {len(front)} on the front. Search space:", ""]
    lines += [f"- {line}" for line in space.describe()]
    lines += ["", "## Recommended mixes", "",
              "The front member with the best robust additional B40 completers whose largest annual spend is "
              "within each level (`recommended.csv`).", "",
              "| budget level | robust additional B40 completers | mean | robust equity | spend RM m/yr | mix |",
              "|---|---|---|---|---|---|"]
    for _, row in recommended.iterrows():
        if pd.isna(row.get("candidate")):
            lines.append(f"| {rm_million(row.budget_level_rm)} | no feasible front member within this level | | | | |")
            continue
        note = " (the search's budget is lower)" if row.budget_level_rm > meta["budget_rm"] else ""
        lines.append(f"| {rm_million(row.budget_level_rm)}{note} | {row[ROBUST_B40]:,.0f} | "
                     f"{row.additional_b40_completers_mean:,.0f} | {row[f'{equity}_robust']:.3f} | "
                     f"{row[SPEND] / 1e6:,.1f} | {'; '.join(_mix_lines(space, row))} |")
    if versus is not None and len(versus):
        lines += ["", "## Against the named scenarios", "",
                  f"Out of sample: {meta.get('compare_cells', '?')} fresh cells (new parameter draws and seeds), every "
                  "option paired with the baseline and with each other in each cell. Difference in additional B40 "
                  "completers, recommended mix minus scenario, mean and 95% paired interval "
                  "(`recommended_vs_scenarios.csv`; full report in `comparison/report.html`).", "",
                  "| mix | scenario | difference | 95% interval | mix's equity (pct / mean) | scenario's equity (pct / mean) |",
                  "|---|---|---|---|---|---|"]
        for _, r in versus.iterrows():
            lines.append(f"| {r.mix} | {label(r.scenario)} | {r.difference:+,.0f} | {r.ci_low:+,.0f} to "
                         f"{r.ci_high:+,.0f} | {r.mix_equity_robust:.3f} / {r.mix_equity_mean:.3f} | "
                         f"{r.scenario_equity_robust:.3f} / {r.scenario_equity_mean:.3f} |")
        floor = meta["floors"].get(equity)
        if floor is not None:   # the floor judged again where the mix was not chosen
            lines.append("")
            for mix, r in versus.groupby("mix", sort=False).first().iterrows():
                held = "holds" if r.mix_equity_robust >= floor else "does not hold"
                lines.append(f"- {mix}: the floor {equity} >= {floor:g} {held} out of sample ({q:g}th percentile "
                             f"over the fresh cells {r.mix_equity_robust:.3f}).")
    lines += ["", "Figures: `figures/front.png`, `figures/parallel_coordinates.png`. Tables: `front.csv`, "
              "`evaluations.csv`, `recommended.csv`.", ""]
    return "\n".join(lines)
