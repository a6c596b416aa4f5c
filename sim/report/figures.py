"""The comparison's figures: PNG for the report, SVG and PDF for print, in one style.

Each function draws one figure from the comparison tables and returns it; :func:`draw_all`
saves every figure under ``figures/`` and returns (name, title) pairs in report order.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402,F401
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.report.style import colour, footer, label, marker  # noqa: E402

RC = {"font.size": 9, "axes.titlesize": 10, "axes.spines.top": False, "axes.spines.right": False,
      "axes.grid": True, "grid.alpha": 0.3, "legend.frameon": False, "figure.dpi": 100,
      "svg.fonttype": "none", "pdf.fonttype": 42}
FORMATS = ("png", "svg", "pdf")


def _figure(title: str, meta: dict, ncols: int = 1, width: float = 8.0, height: float = 4.6):
    fig, axes = plt.subplots(1, ncols, figsize=(width, height), squeeze=False)
    fig.suptitle(title, fontsize=12, fontweight="bold", x=0.01, ha="left")
    fig.text(0.01, 0.01, footer(meta), fontsize=6.5, color="#555555", ha="left", va="bottom", wrap=True)
    return fig, axes[0]


def _finish(fig) -> None:
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))


def _year(series: pd.DataFrame, start_year: int) -> np.ndarray:
    return start_year + (series.quarter.to_numpy() + 1) / 4.0  # end of the quarter


def _err(table: pd.DataFrame, scale: float = 1.0) -> np.ndarray:
    lo = (table["mean"] - table["ci_low"]).fillna(0).clip(lower=0)
    hi = (table["ci_high"] - table["mean"]).fillna(0).clip(lower=0)
    return np.vstack([lo, hi]) * scale


def over_time(ts: pd.DataFrame, meta: dict, metric: str, group: str, title: str, ylabel: str, scale: float,
              ax=None, fig=None):
    scenarios = meta["scenarios"]
    if ax is None:
        fig, (ax,) = _figure(title, meta)
    for s in scenarios:
        t = ts[(ts.scenario == s) & (ts.metric == metric) & (ts.group == group)]
        x = _year(t, meta["start_year"])
        c = colour(scenarios, s)
        ax.plot(x, t["mean"] * scale, color=c, lw=1.6, label=label(s))
        ax.fill_between(x, t.ci_low * scale, t.ci_high * scale, color=c, alpha=0.18, lw=0)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("year (end of quarter)")
    ax.set_ylabel(ylabel)
    return fig, ax


def uptake_over_time(tables, meta):
    fig, ax = over_time(tables["timeseries_summary"], meta, "uptake_rate", "all",
                        "Uptake over time: adults who have ever enrolled in a micro-credential",
                        "adults ever enrolled (% of citizens 18-64)", 100)
    ax.legend(loc="upper left", fontsize=8)
    ax.text(0.99, 0.02, "shaded: 95% interval over replicates", transform=ax.transAxes, ha="right", fontsize=7)
    _finish(fig)
    return fig


def employer_trust(tables, meta):
    fig, axes = _figure("Employer trust in micro-credentials over time", meta, ncols=2, width=10)
    for ax, group, name in zip(axes, ("accredited", "other"), ("MQA-accredited", "not accredited")):
        over_time(tables["timeseries_summary"], meta, "employer_trust", group, "", "mean employer trust (0-1)", 1,
                  ax=ax, fig=fig)
        ax.set_title(f"{name} credentials")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncols=4, fontsize=7, bbox_to_anchor=(0.5, 0.94))
    fig.tight_layout(rect=(0, 0.06, 1, 0.84))
    return fig


def _grouped_bars(ax, effects, meta, outcome, groups, scale, ylabel):
    scenarios = meta["scenarios"]
    width = 0.8 / len(scenarios)
    x = np.arange(len(groups))
    for k, s in enumerate(scenarios):
        t = effects[(effects.scenario == s) & (effects.outcome == outcome)].set_index("group").loc[groups]
        ax.bar(x + (k - (len(scenarios) - 1) / 2) * width, t["mean"] * scale, width, yerr=_err(t, scale),
               color=colour(scenarios, s), label=label(s), error_kw={"lw": 0.8, "capsize": 1.5},
               edgecolor="white", linewidth=0.3)
    ax.set_xticks(x, groups)
    ax.set_ylabel(ylabel)
    ax.grid(axis="x", visible=False)


def uptake_by_group(tables, meta):
    fig, axes = _figure("Uptake by income group and by location (end of horizon)", meta, ncols=2, width=10)
    e = tables["effects"]
    _grouped_bars(axes[0], e, meta, "uptake_by_income", ["B40", "M40", "T20"], 100, "adults ever enrolled (%)")
    axes[0].set_title("by household income group")
    _grouped_bars(axes[1], e, meta, "uptake_by_location", ["urban", "rural"], 100, "adults ever enrolled (%)")
    axes[1].set_title("by location")
    axes[1].legend(fontsize=7, loc="upper right")
    _finish(fig)
    return fig


def _dots(ax, effects, meta, outcome, group="all", ref=None, xlabel=""):
    scenarios = meta["scenarios"]
    y = np.arange(len(scenarios))[::-1]
    for yi, s in zip(y, scenarios):
        t = effects[(effects.scenario == s) & (effects.outcome == outcome) & (effects.group == group)]
        ax.errorbar(t["mean"], [yi] * len(t), xerr=_err(t), fmt=marker(scenarios, s), color=colour(scenarios, s),
                    ms=6, capsize=2, lw=1)
    if ref is not None:
        ax.axvline(ref, color="#777777", lw=0.8, ls="--")
    ax.set_yticks(y, [label(s) for s in scenarios])
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)


def equity_ratios(tables, meta):
    fig, axes = _figure("Equity ratios of uptake (1 = parity)", meta, ncols=3, width=11, height=4.4)
    e = tables["effects"]
    for ax, outcome, name in zip(axes, ("rate_ratio_b40_t20", "rate_ratio_rural_urban", "rate_ratio_female_male"),
                                 ("B40 / T20", "rural / urban", "female / male")):
        _dots(ax, e, meta, outcome, ref=1.0, xlabel="uptake ratio (dimensionless)")
        ax.set_title(name)
    for ax in axes[1:]:
        ax.set_yticklabels([])
    _finish(fig)
    return fig


def concentration(tables, meta):
    fig, axes = _figure("Income-related inequality of uptake: concentration indices (0 = equal; < 0 favours the poor)",
                        meta, ncols=3, width=11, height=4.4)
    e = tables["effects"]
    for ax, outcome, title in zip(axes, ("concentration_index", "concentration_index_wagstaff",
                                         "concentration_index_erreygers"),
                                  ("standard C (relative)", "Wagstaff W = C / (1 - mean)",
                                   "Erreygers E = 4 mean C (absolute)")):
        _dots(ax, e, meta, outcome, ref=0.0, xlabel="index (dimensionless)")
        ax.set_title(title)
    for ax in axes[1:]:
        ax.set_yticklabels([])
    _finish(fig)
    return fig


def cost_effectiveness_plane(tables, meta):
    fig, (ax,) = _figure("Cost-effectiveness: public spend versus additional completers", meta, height=5.0)
    ce = tables["cost_effectiveness"]
    scenarios = meta["scenarios"]
    ax.scatter([0], [0], color=colour(scenarios, "baseline"), marker="o", s=40, zorder=3)
    ax.annotate(label("baseline"), (0, 0), xytext=(-4, 9), textcoords="offset points", fontsize=7)
    for r in ce.itertuples():
        c = colour(scenarios, r.scenario)
        on = r.frontier == "frontier"
        ax.errorbar(r.incremental_spend_rm / 1e6, r.additional_completers / 1e3,
                    yerr=[[max(r.additional_completers - r.additional_completers_ci_low, 0) / 1e3],
                          [max(r.additional_completers_ci_high - r.additional_completers, 0) / 1e3]],
                    fmt=marker(scenarios, r.scenario), color=c, mfc=c if on else "white", ms=8, capsize=2, zorder=3)
        note = "" if on else f" ({r.frontier})"
        ax.annotate(label(r.scenario) + note, (r.incremental_spend_rm / 1e6, r.additional_completers / 1e3),
                    xytext=(6, 4), textcoords="offset points", fontsize=7)
    front = ce[ce.frontier == "frontier"].sort_values("incremental_spend_rm")
    ax.plot(np.r_[0, front.incremental_spend_rm / 1e6], np.r_[0, front.additional_completers / 1e3],
            color="#444444", lw=1, ls="--", zorder=2, label="efficiency frontier")
    ax.axhline(0, color="#999999", lw=0.6)
    ax.set_xlabel(f"additional public spend over {meta['quarters'] // 4} years (RM million, national)")
    ax.set_ylabel("additional completers (thousand persons)")
    ax.legend(loc="upper right", fontsize=8)
    ax.text(0.99, 0.88, "hollow: not on the frontier; bars: 95% interval", transform=ax.transAxes, ha="right",
            fontsize=7)
    _finish(fig)
    return fig


def online_completion(tables, meta):
    fig, (ax,) = _figure("Completion of online courses by connectivity tier", meta)
    _grouped_bars(ax, tables["effects"], meta, "online_completion_by_connectivity", ["mobile", "fixed"], 100,
                  "online courses completed (% of those finished or dropped)")
    ax.set_xticks(ax.get_xticks(), ["mobile only", "fixed broadband"])
    ax.set_ylim(0, 115)
    ax.legend(fontsize=7, loc="upper center", ncols=4)
    _finish(fig)
    return fig


FIGURES = (
    ("uptake_over_time", uptake_over_time),
    ("uptake_by_group", uptake_by_group),
    ("equity_ratios", equity_ratios),
    ("concentration_indices", concentration),
    ("cost_effectiveness", cost_effectiveness_plane),
    ("employer_trust", employer_trust),
    ("online_completion_by_connectivity", online_completion),
)


def draw_all(tables: dict, meta: dict, out_dir: Path) -> list[tuple[str, str]]:
    """Save every figure as PNG, SVG and PDF under ``out_dir/figures``; returns (name, title)."""
    from sim.report.decision_section import decision_figures
    from sim.report.state_section import state_figures

    def every_figure():
        for name, draw in FIGURES:
            yield name, draw(tables, meta)
        yield from state_figures(tables, meta)   # tile maps by state
        yield from decision_figures(tables, meta)  # acceptability curves, value of information (with draws)

    return save_figures(every_figure, out_dir)


def save_figures(figures, out_dir: Path) -> list[tuple[str, str]]:
    """Draw ``figures()`` (an iterable of (name, Figure), made inside the report's style) and
    save each as PNG, SVG and PDF under ``out_dir/figures``; returns (name, title)."""
    import io

    from sim.store import atomic_write_bytes

    drawn = []
    with plt.rc_context(RC):
        for name, fig in figures():
            for fmt in FORMATS:
                buf = io.BytesIO()
                # fixed metadata so the same results give byte-identical figure files
                fig.savefig(buf, format=fmt, dpi=150 if fmt == "png" else None,
                            metadata={"Date": None} if fmt in ("svg", "pdf") else None)
                atomic_write_bytes(Path(out_dir) / "figures" / f"{name}.{fmt}", buf.getvalue())
            drawn.append((name, fig._suptitle.get_text()))
            plt.close(fig)
    return drawn
