"""The comparison report's "Decisions under uncertainty" section and its two figures, built
from the tables of :func:`sim.analysis.decision.decision_tables` (every sentence and cell comes
from them). A comparison stored without parameter draws gives no section and no figures, so
``mcsim report`` still rebuilds older folders.

Blocks follow :mod:`sim.report.content`; :func:`decision_figures` returns (name, Figure) like
``state_figures`` for ``sim.report.figures.draw_all``, and :func:`draw_decision_figures` saves
them on their own.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.ticker as mticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.analysis.decision import BASELINE, SHUFFLES, SINGLE_SHUFFLES  # noqa: E402
from sim.palette import SERIES_COLOURS  # noqa: E402
from sim.report.figures import _figure, _finish  # noqa: E402
from sim.report.style import colour, label, num, pct, persons, rm, rm_million  # noqa: E402

TABLES = ("psa_intervals", "variance_split", "rank_probabilities", "ceac", "evppi", "top_parameters")
FIGURES = ("acceptability_curves", "value_of_information")
MINOR_SHARE = 0.05      # groups below this share of EVPI hardly matter for the decision
ROBUST = 0.95           # a probability of being best at least this high reads as robust
LISTED_KEYS = 4         # parameters named per group in the EVPPI table
TOP_SINGLE = 5          # single parameters shown in their EVPPI table


def available(tables: dict) -> bool:
    return all(name in tables and not tables[name].empty for name in TABLES)


def _order(tables: dict, meta: dict) -> list[str]:
    """Options (no baseline) in the report's scenario order, then any others."""
    present = list(pd.unique(tables["psa_intervals"].option))
    known = [s for s in meta.get("scenarios", []) if s in present and s != BASELINE]
    return known + [s for s in present if s not in known and s != BASELINE]


def _palette_order(tables: dict, meta: dict) -> list[str]:
    scenarios = list(meta.get("scenarios", []))
    return scenarios + [s for s in [BASELINE, *_order(tables, meta)] if s not in scenarios]


def _name(option: str) -> str:
    return "doing nothing (baseline)" if option == BASELINE else f"the {label(option)}"


def _interval(row, fmt) -> str:
    return f"{fmt(row['mean'])} [{fmt(row.interval_low)}, {fmt(row.interval_high)}]"


def _reference_wtp(tables: dict) -> float:
    return float(tables["evppi"].reference_wtp_rm.iloc[0])


def _counts(tables: dict, meta: dict) -> tuple[int, float, int]:
    """(parameter draws, seeds per draw, runs per option): from meta when the comparison
    stored them (``replicates`` there is the runs per scenario, draws x seeds per draw), else
    from the tables."""
    first = tables["psa_intervals"].iloc[0]
    draws = int(meta.get("draws") or first.n_draws)
    per = meta.get("seeds_per_draw") or first.seeds_per_draw
    return draws, per, int(meta.get("replicates") or first.n_cells)


def _design(tables: dict, meta: dict) -> str:
    draws, per, runs = _counts(tables, meta)
    per_text = f"{per:,.0f}" if float(per).is_integer() else f"{per:,.1f} (on average)"
    return (f"{draws:,} parameter draws x {per_text} seed{'s' if per != 1 else ''} per draw ({runs:,} runs, each "
            f"a joint sample of parameter and seed uncertainty)")


# --------------------------------------------------------------------------- blocks
def _intervals(tables: dict, meta: dict, options: list[str]) -> list:
    iv = tables["psa_intervals"].set_index(["option", "outcome"])
    vs = tables["variance_split"].set_index(["option", "outcome"])
    ref = _reference_wtp(tables)
    first = iv.loc[(options[0], "effect")]
    header = ["Option", "Additional B40 completers", "Variance from parameters", "Variance from seeds",
              "Incremental public spend (RM million)", f"Net benefit at {rm(ref)} (RM million)"]
    million = lambda x: f"{x / 1e6:,.1f}"  # noqa: E731
    rows = []
    for s in options:
        split = vs.loc[(s, "effect")]
        rows.append([label(s), _interval(iv.loc[(s, "effect")], persons), pct(split.share_parameters, 0),
                     pct(split.share_seeds, 0), _interval(iv.loc[(s, "cost")], million),
                     _interval(iv.loc[(s, "net_benefit")], million) if (s, "net_benefit") in iv.index else "n/a"])
    shares = vs.xs("effect", level="outcome").loc[options].share_parameters.dropna()
    text = (f"Each option was simulated under {_design(tables, meta)}. Within a draw and seed every option shares "
            f"the parameter values and the simulated population (common random numbers), so its difference from "
            f"the baseline is paired. The intervals below span the middle 95% of the runs, so they hold both "
            f"kinds of uncertainty, unlike the seed-only confidence intervals above.")
    if len(shares):
        lo, hi = shares.min(), shares.max()
        spread = f"{pct(lo, 0)}" if round(lo, 2) == round(hi, 2) else f"between {pct(lo, 0)} and {pct(hi, 0)}"
        who = "parameter uncertainty dominates" if lo > 0.5 else ("seed noise dominates" if hi < 0.5 else
                                                                    "neither source dominates for every option")
        text += (f" Uncertainty about the parameters accounts for {spread} of the variance of each option's B40 "
                 f"gain; the rest is seed noise (the spread between simulated populations): {who}.")
    return [("p", text),
            ("table", header, rows, "Combined uncertainty: mean over runs [2.5th, 97.5th percentile]; variance "
                                    "of additional B40 completers split into parameters (between draws) and seeds "
                                    "(within draws) by a one-way random-effects analysis of variance. Persons and "
                                    "RM national, over the horizon.")]


def _ranks(tables: dict, options: list[str]) -> list:
    r = tables["rank_probabilities"]
    n_cells = int(tables["psa_intervals"].n_cells.iloc[0])
    p = r.pivot(index="option", columns="rank", values="probability").loc[options]
    expected = r.groupby("option").expected_rank.first().loc[options]
    by_best = p[1].sort_values(ascending=False, kind="stable")
    top = by_best.index[0]
    name = _name(top)
    text = (f"**Probability of the largest B40 gain.** {name[0].upper() + name[1:]} adds the most B40 completers in "
            f"{pct(by_best.iloc[0], 0)} of the {n_cells:,} runs")
    others = [f"{_name(s)} in {pct(v, 0)}" for s, v in by_best.iloc[1:].items() if v > 0]
    text += (f"; {', '.join(others)}." if others else ", in every one of them.")
    if by_best.iloc[0] >= ROBUST:
        text += " This ranking at the top is robust to the uncertainty."
    order = list(expected.sort_values(kind="stable").index)
    header = ["Option"] + [f"Rank {k}" for k in p.columns] + ["Expected rank"]
    rows = [[label(s)] + [pct(p.loc[s, k], 0) for k in p.columns] + [num(expected[s], 1)] for s in order]
    return [("p", text),
            ("table", header, rows, "Ranks by additional B40 completers: probability over the runs that each "
                                    "option ranks 1st (largest gain), 2nd, ...; ties share their ranks evenly.")]


def _switches(frontier: pd.DataFrame) -> list[tuple[float, str]]:
    """(wtp, option) where the frontier option changes, first point included."""
    out = []
    for w, option in zip(frontier.wtp_rm, frontier.option):
        if not out or out[-1][1] != option:
            out.append((float(w), option))
    return out


def _acceptability(tables: dict) -> list:
    c = tables["ceac"]
    ref = _reference_wtp(tables)
    front = c[c.on_frontier].sort_values("wtp_rm")
    steps = _switches(front)
    path = "; ".join(f"{_name(o)}" + (f" from {rm(w)}" if i else "") +
                     (f" below {rm(steps[i + 1][0])}" if i + 1 < len(steps) else "")
                     for i, (w, o) in enumerate(steps))
    text = (f"**Best buy at each price.** Net benefit = willingness to pay per additional B40 completer x additional "
            f"B40 completers - additional public spend (RM); doing nothing has net benefit 0. The option with the "
            f"highest expected net benefit over the grid of RM {c.wtp_rm.min():,.0f} to {c.wtp_rm.max():,.0f} is: "
            f"{path}.")
    at = c[np.isclose(c.wtp_rm, ref)]
    if len(at):
        best = at[at.on_frontier].iloc[0]
        text += (f" At {rm(ref)} per additional B40 completer it is {_name(best.option)}, the best buy in "
                 f"{pct(best.probability_best, 0)} of the runs.")
    return [("p", text), ("figure", "acceptability_curves", None)]


def _keys(text: str) -> str:
    keys = text.split(";")
    shown = ", ".join(keys[:LISTED_KEYS])
    return shown + (f" and {len(keys) - LISTED_KEYS} more" if len(keys) > LISTED_KEYS else "")


def _million(x: float) -> str:
    return "n/a" if np.isnan(x) else f"{x / 1e6:,.2f}"


def _method(row) -> str:
    return row.method + (f"; raised to {row.raised_to}, which it contains" if row.raised_to else "")


def _above_noise(row) -> bool:
    return bool(row.evppi_rm > 0 and not row.evppi_rm <= row.shuffled_max_rm)


def _information(tables: dict, meta: dict) -> list:
    v = tables["evppi"]
    ref, total = _reference_wtp(tables), float(v.evpi_rm.iloc[0])
    draws = _counts(tables, meta)[0]
    rows = [[g.group, _keys(g.parameters), _million(g.evppi_rm), pct(g.share_of_evpi, 0), pct(g.shuffled_max_share, 0),
             _method(g)] for g in v.itertuples()]
    ridge = v.method.str.contains("ridge").any()
    if total <= 0:
        text = (f"**Value of information.** At {rm(ref)} per additional B40 completer the same option is the best "
                f"buy in every run, so no further information could change the decision (EVPI 0).")
    else:
        ranked = v.dropna(subset=["evppi_rm"])
        text = (f"**Value of information.** Knowing every uncertain quantity before choosing would be worth "
                f"{rm_million(total)} at {rm(ref)} per additional B40 completer (expected value of perfect "
                f"information, EVPI: the expected gain in net benefit from choosing with hindsight, national, over "
                f"the horizon; it includes seed noise, which no study can resolve).")
        valued = [g for g in ranked.itertuples() if g.evppi_rm > 0]
        clear = [g for g in valued if _above_noise(g)]
        unclear = [g for g in valued if not _above_noise(g)]
        if clear:
            g = clear[0]
            text += (f" The uncertainty that matters most for the decision is {g.group} "
                     f"({rm_million(g.evppi_rm)}, {pct(g.share_of_evpi, 0)} of EVPI)")
            more = ", ".join(f"{o.group} ({pct(o.share_of_evpi, 0)})" for o in clear[1:] if not o.raised_to)
            text += f"; also clear of its noise level: {more}." if more else "."
        elif valued:
            text += (f" No group's estimate rises above its noise level, so {draws:,} draws are too few to say "
                     f"which uncertainties matter.")
        if unclear and clear:
            text += (" Not above its noise level, so indistinguishable from chance: " +
                     ", ".join(f"{o.group} ({pct(o.share_of_evpi, 0)}; noise level {pct(o.shuffled_max_share, 0)})"
                               for o in unclear) + ".")
        text += (" (The noise level of a group is the largest EVPPI the same fit finds with the draws relabelled, so "
                 "that the group cannot matter.)")
        minor = ranked[ranked.share_of_evpi < MINOR_SHARE].group.tolist()
        if minor and not ridge:
            text += (f" {len(minor)} of the {len(v)} groups are each worth less than {pct(MINOR_SHARE, 0)} of "
                     f"EVPI: narrowing them would hardly change the choice.")
    if ridge:
        text += (f" With {draws:,} draws, EVPPI is estimated by ridge regression (linear in a group's parameters, a "
                 f"cubic spline basis for a single one; penalty by leave-one-out cross-validation, "
                 f"one-standard-error rule) rather than by flexible smoothers, which would mistake noise for value "
                 f"and overstate EVPPI. The shrinkage makes these EVPPIs lower-bound-leaning estimates: a value "
                 f"above its noise level is likely real, but one shown near 0 may still matter, and a linear fit "
                 f"misses thresholds and interactions.")
    caption = (f"Expected value of partial perfect information per parameter group at {rm(ref)} per additional "
               f"B40 completer (RM million, national), by the regression method of Strong, Oakley and Brennan "
               f"(2014); share of EVPI; noise level: the largest share the same fit gives the group over "
               f"{SHUFFLES} relabellings of the draws, where it cannot matter; fit used.")
    return [("p", text), ("table", ["Uncertainty", "Parameters", "EVPPI (RM million)", "Share of EVPI",
                                    "Noise level", "Method"], rows, caption),
            ("figure", "value_of_information", None)]


def _single_information(tables: dict, meta: dict) -> list:
    t = tables.get("evppi_parameters")
    if t is None or t.empty or float(t.evpi_rm.iloc[0]) <= 0:
        return []
    top = t.head(TOP_SINGLE)
    noise, noise_share = float(t.shuffled_max_rm.iloc[0]), float(t.shuffled_max_share.iloc[0])
    draws = _counts(tables, meta)[0]
    rows = [[r.parameter, r.group or "n/a", r.basis, _million(r.evppi_rm), pct(r.share_of_evpi, 0)]
            for r in top.itertuples()]
    table = ("table", ["Parameter", "Group", "Basis", "EVPPI (RM million)", "Share of EVPI"], rows,
             f"Expected value of partial perfect information of single parameters at {rm(_reference_wtp(tables))} "
             f"per additional B40 completer (RM million, national), each parameter alone; fit: {top.method.iloc[0]}; "
             f"the {len(top)} largest.")
    if np.isnan(noise):
        return [("p", f"**Single parameters.** The {len(top)} parameters with the largest EVPPI on their own, of "
                      f"the {len(t):,} drawn."), table]
    above = top[top.evppi_rm > noise]
    text = (f"**Single parameters.** The {len(top)} parameters with the largest EVPPI on their own, of the "
            f"{len(t):,} drawn. With the draws relabelled so that no parameter can matter ({SINGLE_SHUFFLES} "
            f"times), the largest single-parameter EVPPI was {rm_million(noise)} ({pct(noise_share, 0)} of EVPI): ")
    if len(above) == 0:
        text += (f"none of these exceeds it, so with {draws:,} draws no single parameter can be singled out as "
                 f"mattering for the decision.")
    elif len(above) == len(top):
        text += "all of these exceed it."
    else:
        text += (f"{len(above)} of these exceed{'s' if len(above) == 1 else ''} it ({', '.join(above.parameter)}); "
                 f"the rest are indistinguishable from noise.")
    return [("p", text), table]


def _influence(tables: dict, options: list[str]) -> list:
    t = tables["top_parameters"]
    header = ["Option", "Most influential parameter", "Second"]
    rows = []
    for s in options:
        mine = t[t.option == s].sort_values("rank")
        cells = [f"{r.parameter} ({r.basis}, {r.coefficient:+.2f})" for r in mine.itertuples()]
        rows.append([label(s)] + (cells + ["n/a"] * 2)[:2])
    first = t[t.option.isin(options) & (t["rank"] == 1)]
    assumed = [f"{label(r.option)}: {r.parameter}" for r in first.itertuples() if r.basis == "assumption"]
    if not assumed:
        text = "For every option, the parameter its B40 gain is most sensitive to is calibrated."
    else:
        lead = ("For every option" if len(assumed) == len(first) else
                f"For {len(assumed)} of the {len(first)} options")
        text = (f"{lead}, the parameter its B40 gain is most sensitive to is an assumption, not calibrated "
                f"({'; '.join(assumed)}): its range, not data, sets how unsure that gain is.")
    methods = {"SRRC": "standardised rank regression coefficient", "Spearman": "Spearman rank correlation, as "
               "there are too few draws for a regression on every parameter"}
    used = "; ".join(methods.get(m, m) for m in sorted(set(t.method)))
    return [("p", text),
            ("table", header, rows, f"Each option's two most influential parameters on its additional B40 "
                                    f"completers (mean over seeds per draw): basis, and the signed rank "
                                    f"coefficient ({used}).")]


def decision_section(tables: dict, meta: dict) -> list:
    """Report blocks of "Decisions under uncertainty"; empty without the decision tables."""
    if not available(tables):
        return []
    options = _order(tables, meta)
    return [("h2", "Decisions under uncertainty"), *_intervals(tables, meta, options), *_ranks(tables, options),
            *_acceptability(tables), *_information(tables, meta), *_single_information(tables, meta),
            *_influence(tables, options)]


# --------------------------------------------------------------------------- figures
def acceptability_figure(tables: dict, meta: dict):
    c = tables["ceac"]
    palette = _palette_order(tables, meta)
    fig, (ax,) = _figure("Cost-effectiveness acceptability: probability each option is the best buy", meta)
    for option in pd.unique(c.option):
        t = c[c.option == option]
        ax.plot(t.wtp_rm, t.probability_best, color=colour(palette, option), lw=1.6, label=label(option))
    front = c[c.on_frontier].sort_values("wtp_rm")
    ax.plot(front.wtp_rm, front.probability_best, color="#888888", lw=6, alpha=0.35, zorder=1,
            label="highest expected net benefit")
    ref = _reference_wtp(tables)
    ax.axvline(ref, color="#777777", lw=0.8, ls=":")
    ax.set_xlim(c.wtp_rm.min(), c.wtp_rm.max())
    ax.set_ylim(-0.02, 1.02)
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda x, _: f"{x:,.0f}"))
    ax.set_xlabel("willingness to pay (RM per additional B40 completer)")
    ax.set_ylabel("probability of the largest net benefit")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # beside the curves, never over them
    _finish(fig)
    return fig


def information_figure(tables: dict, meta: dict):
    v = tables["evppi"].dropna(subset=["evppi_rm"]).iloc[::-1]
    ref, total = _reference_wtp(tables), float(tables["evppi"].evpi_rm.iloc[0])
    fig, (ax,) = _figure("Value of information: which uncertainties matter for the decision", meta,
                         height=max(3.0, 1.6 + 0.28 * len(v)))
    y = np.arange(len(v))
    ax.barh(y, v.evppi_rm / 1e6, color=SERIES_COLOURS[0], height=0.6)
    for yi, (value, share) in enumerate(zip(v.evppi_rm, v.share_of_evpi)):
        ax.text(value / 1e6, yi, f" {pct(share, 0)}", va="center", fontsize=7)
    if "shuffled_max_rm" in v:
        ax.scatter(v.shuffled_max_rm / 1e6, y, marker="|", s=140, color="#aa3333", zorder=3,
                   label="noise level (draws relabelled)")
    ax.axvline(total / 1e6, color="#444444", lw=0.9, ls="--", label=f"EVPI ({rm_million(total)})")
    ax.set_yticks(y, v.group)
    ax.set_xlabel(f"EVPPI (RM million, national) at {rm(ref)} per additional B40 completer")
    ax.grid(axis="y", visible=False)
    ax.legend(fontsize=7, loc="lower right")
    _finish(fig)
    return fig


def decision_figures(tables: dict, meta: dict) -> list[tuple[str, object]]:
    """(name, Figure) of the acceptability curves and the EVPPI bars; empty without the tables."""
    if not available(tables):
        return []
    return [("acceptability_curves", acceptability_figure(tables, meta)),
            ("value_of_information", information_figure(tables, meta))]


def draw_decision_figures(tables: dict, meta: dict, out_dir: Path) -> list[tuple[str, str]]:
    """Save the decision figures as PNG, SVG and PDF under ``out_dir/figures``, as
    ``sim.report.figures.draw_all`` does; returns (name, title)."""
    from sim.report.figures import save_figures

    return save_figures(lambda: decision_figures(tables, meta), out_dir)
