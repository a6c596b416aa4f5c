"""The briefing report as a list of blocks, every sentence and cell generated from the tables.

Blocks are tuples rendered by ``sim.report.markdown`` and ``sim.report.html``:
``("h1"|"h2"|"h3"|"p", text)``, ``("ul", [text, ...])``, ``("table", header, rows, caption)``,
``("figure", name, title)``, ``("code", text)``. Text may hold ``**bold**``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.analysis.effects import BASELINE
from sim.model.policy import LEVER_NAMES
from sim.report import attributable
from sim.report.style import label, num, pct, persons, pp, rm, rm_million

LEVEL = "95% CI"


def _ok(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def effect(effects: pd.DataFrame, scenario: str, outcome: str, group: str = "all") -> pd.Series:
    t = effects[(effects.scenario == scenario) & (effects.outcome == outcome) & (effects.group == group)]
    return t.iloc[0]


def ci_text(lo, hi, fmt) -> str:
    return f"{LEVEL} {fmt(lo)} to {fmt(hi)}" if _ok(lo) and _ok(hi) else "interval not available"


def ci_short(lo, hi, fmt) -> str:
    return f"[{fmt(lo)}, {fmt(hi)}]" if _ok(lo) and _ok(hi) else ""


def pp_change(row) -> str:
    """'+9.3 [+8.7, +9.9]' for a difference of shares, in percentage points, with its 95% CI."""
    return f"{pp(row.difference)} {ci_short(row.difference_ci_low, row.difference_ci_high, pp)}"


def level_text(row, fmt=pct) -> str:
    return f"{fmt(row['mean'])} {ci_short(row.ci_low, row.ci_high, fmt)}"


def significant(lo, hi) -> bool:
    return _ok(lo) and _ok(hi) and (lo > 0 or hi < 0)


def ui_text(row) -> str:
    """'; 95% uncertainty interval +1.0 to +9.0 over draws and seeds' (empty without one)."""
    lo, hi = row.get("difference_ui_low"), row.get("difference_ui_high")
    return f"; 95% uncertainty interval {pp(lo)} to {pp(hi)} over parameter draws and seeds" \
        if _ok(lo) and _ok(hi) else ""


def _verb(row, what: str, uncertain: bool = False) -> str:
    interval = ci_text(row.difference_ci_low, row.difference_ci_high, pp) + (ui_text(row) if uncertain else "")
    if not significant(row.difference_ci_low, row.difference_ci_high):
        return f"does not measurably change {what} ({pp(row.difference)} percentage points, {interval})"
    verb = "raises" if row.difference > 0 else "lowers"
    return f"{verb} {what} by {pp(abs(row.difference) if verb == 'raises' else -row.difference).lstrip('+')} " \
           f"percentage points ({interval})"


def runs_text(meta: dict) -> str:
    """How each option was simulated: 'under 20 parameter draws x 2 seeds (40 runs)' or '10 times'."""
    if meta.get("draws"):
        return (f"under {meta['draws']} draws of the uncertain parameters with {meta['seeds_per_draw']} "
                f"seed{'s' if meta['seeds_per_draw'] != 1 else ''} each ({meta['replicates']} runs)")
    return f"{meta['replicates']} times"


def _cost_clause(ce_row, suffix: str, who: str) -> str:
    cost = ce_row[f"cost_per_additional_completer{suffix}_rm"]
    if not _ok(cost):
        return f"with no measurable gain in {who}completers to put a cost on"
    lo, hi = ce_row[f"cost_per_additional_completer{suffix}_rm_ci_low"], ce_row[f"cost_per_additional_completer{suffix}_rm_ci_high"]
    return f"at {rm(cost)} per additional {who}completer ({ci_text(lo, hi, rm)})"


def _completers_clause(row) -> str:
    lo, hi = row.additional_completers_ci_low, row.additional_completers_ci_high
    interval = ci_text(lo, hi, persons)
    if significant(lo, hi) and row.additional_completers > 0:
        return f"In all it adds {persons(row.additional_completers)} completers ({interval})"
    if significant(lo, hi):
        return f"In all it loses {persons(-row.additional_completers)} completers ({interval})"
    return f"In all the number of completers does not change measurably ({persons(row.additional_completers)}, {interval})"


def _uncertain_clause(t: dict, wtp: float = 10_000.0) -> str:
    """' Across the uncertain parameters, the X gives the largest B40 gain in 72% of runs; at RM
    10,000 per additional B40 completer the best buy is ... in 61%.' (empty without draws)."""
    ranks, ceac = t.get("rank_probabilities"), t.get("ceac")
    if ranks is None or ceac is None or not len(ranks):
        return ""
    first = ranks[ranks["rank"] == 1].sort_values("probability", ascending=False).iloc[0]
    at = ceac[ceac.wtp_rm == ceac.wtp_rm.iloc[(ceac.wtp_rm - wtp).abs().argmin()]]
    best = at.sort_values("expected_nb_rm", ascending=False).iloc[0]
    return (f" Across the uncertain parameters, the {label(first.option)} gives the largest B40 gain in "
            f"{pct(first.probability)} of runs; at {rm(best.wtp_rm)} per additional B40 completer the best buy "
            f"(highest expected net benefit) is {'doing nothing' if best.option == BASELINE else 'the ' + label(best.option)}, "
            f"best in {pct(best.probability_best)} of runs.")


# --------------------------------------------------------------------------- sections
def executive_summary(t: dict, meta: dict) -> list:
    e, cf = t["effects"], t["counterfactuals"]
    discounted = _discounted_available(t)   # costs and completers at present value, as the cost section
    ce = t["cost_effectiveness_discounted" if discounted else "cost_effectiveness"].set_index("scenario")
    pv = f" (present values at {100 * ce.annual_discount_rate.iloc[0]:g}% a year)" if discounted else ""
    others = [s for s in meta["scenarios"] if s != BASELINE]
    base_b40 = effect(e, BASELINE, "uptake_by_income", "B40")
    base_all = effect(e, BASELINE, "uptake_rate")
    years = meta["quarters"] / 4
    blocks = [("p", f"Compared with doing nothing new (the baseline), each option below was simulated "
                    f"{runs_text(meta)} over {years:g} years ({meta['start_year']} to "
                    f"{meta['start_year'] + math.ceil(years) - 1}) for the {meta['persons'] / 1e6:.1f} million "
                    f"Malaysian citizens aged 18 to 64. In the baseline {pct(base_all['mean'])} of adults take up a "
                    f"micro-credential by the end, and {pct(base_b40['mean'])} of B40 adults.")]
    ranked = sorted(others, key=lambda s: -effect(e, s, "uptake_by_income", "B40").difference)
    if ranked:
        top = effect(e, ranked[0], "uptake_by_income", "B40")
        # A cost per completer means something only where the gain in completers is measurable:
        # a tiny, uncertain gain divides a small budget into a misleadingly low figure.
        measurable = [s for s in ce.index if significant(ce.loc[s, "additional_completers_ci_low"],
                                                         ce.loc[s, "additional_completers_ci_high"])
                      and ce.loc[s, "additional_completers"] > 0]
        costs = ce.loc[measurable, "cost_per_additional_completer_rm"].dropna()
        line = (f"**Bottom line.** Largest gain for B40 adults: the {label(ranked[0])} "
                f"({pp(top.difference)} percentage points).")
        if len(costs):
            cheapest = costs.idxmin()
            line += (f" Lowest public cost per additional completer, among options with a measurable gain in "
                     f"completers: the {label(cheapest)} ({rm(costs[cheapest])}).")
            if attributable.available(t):
                line += attributable.cheapest_clause(ce.loc[measurable])
        blocks.append(("p", line + _uncertain_clause(t)))
    items = []
    for s in ranked:
        b40 = effect(e, s, "uptake_by_income", "B40")
        row = ce.loc[s]
        sentence = (f"The **{label(s)}** {_verb(b40, 'B40 uptake', bool(meta.get('draws')))} {_cost_clause(row, '_b40', 'B40 ')}. "
                    f"{_completers_clause(row)} for {rm_million(row.incremental_spend_rm)} of public money over "
                    f"{years:g} years{pv}, {_cost_clause(row, '', '')}.")
        sentence += attributable.summary_sentence(row)
        dw = cf[(cf.scenario == s) & (cf.measure == "deadweight")]
        if len(dw) and _ok(dw.iloc[0]["mean"]):
            d = dw.iloc[0]
            sentence += (f" Of the adults it subsidised, {pct(d['mean'])} ({ci_text(d.ci_low, d.ci_high, pct)}) "
                         f"would have enrolled without the subsidy (deadweight).")
        items.append(sentence)
    blocks.append(("ul", items))
    if attributable.available(t):
        blocks.append(("p", attributable.rule(t, meta)))
    front = [label(s) for s in ce.index if ce.loc[s, "frontier"] == "frontier"]
    dominated = [f"{label(s)} ({ce.loc[s, 'frontier']})" for s in ce.index if ce.loc[s, "frontier"] not in
                 ("frontier", "undefined")]
    if front:
        text = f"On cost against additional completers, the efficient options are: {', '.join(front)}."
        if dominated:
            text += (f" Not efficient: {', '.join(dominated)}; another option, or a mix of two, buys more "
                     f"completers for the same money.")
        blocks.append(("p", text))
    ratio = effect(e, BASELINE, "rate_ratio_b40_t20")
    best = max(others, key=lambda s: effect(e, s, "rate_ratio_b40_t20")["mean"]) if others else None
    if best:
        blocks.append(("p", f"Equity: for every 100 T20 adults who take up a micro-credential, "
                            f"{100 * ratio['mean']:.0f} B40 adults do in the baseline "
                            f"(B40/T20 ratio {num(ratio['mean'])}); the {label(best)} moves the ratio to "
                            f"{num(effect(e, best, 'rate_ratio_b40_t20')['mean'])}."))
    pairing = t["pairing"]
    up = pairing[(pairing.outcome == "uptake_rate") & (pairing.group == "all")]
    if len(up) and up.variance_ratio.notna().any():
        factor = float(np.nanmedian(1 / up.variance_ratio.replace(0, np.nan)))
        if _ok(factor):
            blocks.append(("p", f"How sure: every option was run on the same {meta['replicates']} simulated "
                                f"populations as the baseline, so differences reflect the policy rather than "
                                f"chance. This pairing makes the effect on uptake about {factor:,.0f} times "
                                f"more precise (in variance) than comparing independent runs. "
                                + ("Confidence intervals (CI) are those of the mean over all runs; the uncertainty "
                                   "intervals hold where one run's effect falls when the uncertain parameters are "
                                   "drawn from their ranges and the calibration's posterior (section Decisions under "
                                   "uncertainty)." if meta.get("draws") else
                                   "Intervals are 95% confidence intervals over replicates.")))
    return blocks


def outcome_tables(t: dict, meta: dict) -> list:
    e, ce = t["effects"], t["cost_effectiveness"].set_index("scenario")
    header = ["Scenario", "Uptake, all adults", "B40 uptake", "Rural uptake", "Completion rate",
              "Credential holders", "Employer trust"]
    rows = []
    for s in meta["scenarios"]:
        rows.append([label(s)] + [level_text(effect(e, s, o, g)) for o, g in
                                  (("uptake_rate", "all"), ("uptake_by_income", "B40"),
                                   ("uptake_by_location", "rural"), ("completion_rate", "all"),
                                   ("credential_holders_rate", "all"))]
                    + [level_text(effect(e, s, "employer_trust_mean"), num)])
    levels = ("table", header, rows, f"Levels at the end of the horizon: mean over replicates [{LEVEL}]. "
                                     "Uptake: share of adults who ever enrolled.")
    header2 = ["Scenario", "Uptake (pp)", "B40 uptake (pp)", "Rural uptake (pp)", "Completion rate (pp)",
               "Additional completers", "Public spend"]
    rows2 = []
    for s in meta["scenarios"]:
        if s == BASELINE:
            continue
        row = ce.loc[s]
        rows2.append([label(s)] + [pp_change(effect(e, s, o, g)) for o, g in
                                   (("uptake_rate", "all"), ("uptake_by_income", "B40"),
                                    ("uptake_by_location", "rural"), ("completion_rate", "all"))]
                     + [f"{persons(row.additional_completers)} {ci_short(row.additional_completers_ci_low, row.additional_completers_ci_high, persons)}",
                        rm_million(row.incremental_spend_rm)])
    changes = ("table", header2, rows2, f"Change from the baseline, paired by seed [{LEVEL}]. pp: percentage points; additional completers "
                                     "in persons; public spend over the horizon.")
    return [("h2", "Outcomes"), levels, changes, ("figure", "uptake_over_time", None)]


def counterfactual_section(t: dict, meta: dict) -> list:
    cf = t["counterfactuals"].set_index(["scenario", "measure"])
    who = t["who_completes"]
    header = ["Scenario", "Newly enrolled", "Displaced", "Additional completers", "Subsidised", "Deadweight"]
    rows = []
    for s in meta["scenarios"]:
        if s == BASELINE:
            continue
        m = lambda k: cf.loc[(s, k), "mean"]  # noqa: E731
        rows.append([label(s), persons(m("induced_enrollees")), persons(m("displaced_enrollees")),
                     persons(m("additional_completers")), persons(m("subsidised_persons")), pct(m("deadweight"))])
    groups = [("income", "B40"), ("income", "M40"), ("income", "T20"), ("location", "rural"), ("sex", "female"),
              ("labour_status", "unemployed"), ("labour_status", "outside")]
    header2 = ["Scenario"] + [f"{g} (%)" if d != "labour_status" else f"{g} at start (%)" for d, g in groups]
    rows2 = []
    for s in meta["scenarios"]:
        if s == BASELINE:
            continue
        w = who[who.scenario == s].set_index(["dimension", "group"])
        rows2.append([label(s)] + [pct(w.loc[k, "share_of_additional_completers"], 0) for k in groups])
    return [
        ("h2", "Who gains: exact counterfactuals"),
        ("p", "Each simulated person exists in both the scenario run and the baseline run with the same seed, "
              "so the report can say exactly who enrolled or completed because of the policy. Newly enrolled: "
              "enrolled under the scenario but not in the baseline; displaced: enrolled in the baseline but "
              "not under the scenario (for example crowded out of seats); deadweight: share of subsidised "
              "adults who would have enrolled anyway. Persons, national totals over the horizon, mean over "
              "replicates."),
        ("table", header, rows, "Counterfactual enrolment and completion (persons)."),
        ("table", header2, rows2, "Who the additional completers are: share of the net additional completers in "
                                  "each group (income and location shares each sum to 100%)."),
    ]


# income-related inequality measures, in the order shown: (summary key for uptake, for completion,
# column header, format of a level, format of a paired difference)
INEQUALITY_MEASURES = (
    ("uptake_gap_t20_b40", "completion_gap_t20_b40", "Gap T20 - B40 (points)",
     lambda x: num(100 * x, 1) if _ok(x) else "n/a", pp),
    ("rate_ratio_b40_t20", "rate_ratio_b40_t20_completion", "Ratio B40 / T20",
     lambda x: num(x, 2), lambda x: f"{x:+.2f}" if _ok(x) else "n/a"),
    ("concentration_index", "concentration_index_completion", "Standard C",
     lambda x: num(x, 3), lambda x: f"{x:+.3f}" if _ok(x) else "n/a"),
    ("concentration_index_wagstaff", "concentration_index_wagstaff_completion", "Wagstaff W",
     lambda x: num(x, 3), lambda x: f"{x:+.3f}" if _ok(x) else "n/a"),
    ("concentration_index_erreygers", "concentration_index_erreygers_completion", "Erreygers E",
     lambda x: num(x, 3), lambda x: f"{x:+.3f}" if _ok(x) else "n/a"),
)


def _find(effects: pd.DataFrame, scenario: str, outcome: str, group: str = "all"):
    """The effects row, or None when the comparison does not report the outcome (stored earlier)."""
    t = effects[(effects.scenario == scenario) & (effects.outcome == outcome) & (effects.group == group)]
    return t.iloc[0] if len(t) else None


def _level_and_change(row, fmt, dfmt, baseline: bool) -> str:
    """'0.195 (-0.002 [-0.005, +0.001])': the level and its paired difference from the baseline."""
    if row is None:
        return "n/a"
    if baseline:
        return fmt(row["mean"])
    return f"{fmt(row['mean'])} ({dfmt(row.difference)} {ci_short(row.difference_ci_low, row.difference_ci_high, dfmt)})"


def _index_change(row) -> str:
    fmt = lambda x: f"{x:+.4f}"  # noqa: E731
    return f"{fmt(row.difference)} {ci_short(row.difference_ci_low, row.difference_ci_high, fmt)}".strip()


def _index_disagreement(e: pd.DataFrame, meta: dict) -> str:
    """What the run shows about the standard index moving against the corrected ones."""
    n = meta.get("replicates", "?")
    found, agree = [], []
    for s in meta["scenarios"]:
        if s == BASELINE:
            continue
        rows = [_find(e, s, k) for k in ("concentration_index", "concentration_index_wagstaff",
                                         "concentration_index_erreygers")]
        if any(r is None or not _ok(r.difference) for r in rows):
            continue
        c, w, er = rows
        signs = [math.copysign(1, r.difference) for r in rows]
        if signs[0] != signs[1] and signs[0] != signs[2]:
            measurable = [significant(r.difference_ci_low, r.difference_ci_high) for r in rows]
            noise = ("" if all(measurable) else
                     f"; none of the three changes is distinguishable from zero over {n} replicates"
                     if not any(measurable) else
                     f"; not all three changes are distinguishable from zero over {n} replicates")
            found.append(f"under the {label(s)} the standard index {'falls' if c.difference < 0 else 'rises'} "
                         f"({_index_change(c)}) while Wagstaff's and Erreygers' "
                         f"{'rise' if c.difference < 0 else 'fall'} ({_index_change(w)}; {_index_change(er)}){noise}")
        else:
            split = [name for name, sign in zip(("Wagstaff's", "Erreygers'"), signs[1:]) if sign != signs[0]]
            agree.append((s, split, rows))
    if found:
        return "In this comparison " + "; ".join(found) + "."
    text = "In this comparison the standard index does not move against both corrected indices under any option"
    parts = []
    for s, split, (c, w, er) in agree:
        if split:
            parts.append(f"under the {label(s)} it moves against {split[0]} only (C {_index_change(c)}, "
                         f"W {_index_change(w)}, E {_index_change(er)})")
    return text + (f"; {'; '.join(parts)}." if parts else ".")


def equity_section(t: dict, meta: dict) -> list:
    e = t["effects"]
    blocks = [("h2", "Equity: who takes part")]
    header = ["Scenario"] + [m[2] for m in INEQUALITY_MEASURES]
    for which, title in ((0, "taking part (ever enrolled)"), (1, "completing at least one course")):
        rows = [[label(s)] + [_level_and_change(_find(e, s, m[which]), m[3], m[4], s == BASELINE)
                              for m in INEQUALITY_MEASURES] for s in meta["scenarios"]]
        blocks.append(("table", header, rows,
                       f"Income-related inequality of {title}: level, and in brackets the paired difference from "
                       f"the baseline [{LEVEL}]; mean over replicates. Gap in percentage points; ratio 1 means "
                       f"parity; the indices rank adults by household income (0 equal, > 0 favours the better-off)."))
    blocks.append(("p", "What each measure values. The gap in points and Erreygers' index E measure **absolute** "
                        "inequality: they call a policy neutral when every income group gains the same number of "
                        "points. The B40/T20 ratio and the standard concentration index C measure **relative** "
                        "inequality: neutral when every group gains in the same proportion, so a gain of equal points "
                        "for all narrows them. Wagstaff's W rescales C by the largest value it can take at the mean "
                        "(C / (1 - mean) for a yes/no outcome): like E, and unlike C, it gives taking part and not "
                        "taking part the same inequality with opposite sign (C of not enrolling is -C x mean / "
                        "(1 - mean)), so C alone can move the opposite way from both corrected indices as uptake "
                        "grows (Wagstaff 2005; Erreygers 2009; O'Donnell et al. 2008, ch. 8). "
                        + _index_disagreement(e, meta)))
    rows = [[label(s)] + [level_text(effect(e, s, o), lambda x: num(x, 2)) for o in
                          ("rate_ratio_rural_urban", "rate_ratio_female_male")] for s in meta["scenarios"]]
    blocks += [("table", ["Scenario", "Rural / urban", "Female / male"], rows,
                f"Equity of uptake by location and sex: ratios of uptake rates (1 means parity), mean over "
                f"replicates [{LEVEL}]."),
               ("figure", "uptake_by_group", None), ("figure", "equity_ratios", None),
               ("figure", "concentration_indices", None)]
    return blocks


def _rate_text(rate) -> str:
    return f"{100 * rate:g}%"


def _cost_cell(ce: pd.DataFrame, s: str, suffix: str) -> str:
    """'RM 2,302 [RM 2,008, RM 2,596]' from a cost-effectiveness table indexed by scenario."""
    r = ce.loc[s]
    c = r[f"cost_per_additional_completer{suffix}_rm"]
    lo, hi = r[f"cost_per_additional_completer{suffix}_rm_ci_low"], r[f"cost_per_additional_completer{suffix}_rm_ci_high"]
    if not _ok(c):
        return "no measurable gain"
    return f"{rm(c)} {ci_short(lo, hi, rm)}" if _ok(lo) else f"{rm(c)} [interval unbounded]"


def _discounted_available(t: dict) -> bool:
    d = t.get("cost_effectiveness_discounted")
    return d is not None and len(d) > 0 and d.additional_completers.notna().any()


def _sensitivity_table(t: dict, others: list) -> tuple:
    sens = t["discounting_sensitivity"]
    rates = list(pd.unique(sens.annual_discount_rate))
    by = {r: g.set_index("scenario") for r, g in sens.groupby("annual_discount_rate", sort=False)}
    header = ["Scenario"] + [f"per additional completer, {_rate_text(r)}" for r in rates] + \
             [f"per additional B40 completer, {_rate_text(r)}" for r in rates]
    rows = [[label(s)] + [_cost_cell(by[r], s, suffix) for suffix in ("", "_b40") for r in rates] for s in others]
    return ("table", header, rows, f"Discounting sensitivity: RM per additional completer with costs and outcomes "
                                   f"discounted at {', '.join(_rate_text(r) for r in rates)} a year (0%: undiscounted) "
                                   f"[delta-method {LEVEL}].")


def _deadweight_table(t: dict, others: list) -> list:
    cf = t["counterfactuals"].set_index(["scenario", "measure"])
    if "deadweight_completions" not in set(cf.index.get_level_values("measure")):
        return []
    subsidised = [s for s in others if _ok(cf.loc[(s, "deadweight"), "mean"])]
    if not subsidised:
        return [("p", "Deadweight: no option subsidises course fees, so there is no deadweight to report.")]

    def share(s, m):
        r = cf.loc[(s, m)]
        return f"{pct(r['mean'])} {ci_short(r.ci_low, r.ci_high, pct)}"

    rows = [[label(s), persons(cf.loc[(s, "subsidised_persons"), "mean"]), share(s, "deadweight"),
             persons(cf.loc[(s, "subsidised_completions"), "mean"]), share(s, "deadweight_completions")]
            for s in subsidised]
    return [("table", ["Scenario", "Subsidised adults", "Deadweight over persons", "Their completions",
                       "Deadweight over completions"], rows,
             f"Deadweight, person by person against the baseline run of the same seed [{LEVEL}]. Over persons: the "
             f"share of subsidised adults who would have enrolled without the subsidy. Over completions: of the "
             f"courses the subsidised adults completed, the share they would have completed anyway (for each "
             f"person, up to their number of completions in the baseline).")]


def cost_section(t: dict, meta: dict) -> list:
    ce_full = t["cost_effectiveness"].set_index("scenario")
    discounted = _discounted_available(t)
    ce = t["cost_effectiveness_discounted"].set_index("scenario") if discounted else ce_full
    spend = t["spend_by_lever"].set_index(["scenario", "measure"])
    inc = t["benefit_incidence"].set_index(["scenario", "measure"])
    others = [s for s in meta["scenarios"] if s != BASELINE]
    levers = [lv for lv in LEVER_NAMES if any(spend.loc[(s, f"public_spend_rm.{lv}"), "mean"] > 0 for s in others)]
    split = attributable.available(t)   # also the total attributable to learning
    header = ["Scenario"] + [lv.replace("_", " ").capitalize() for lv in levers] + ["Total"] + (["Attributable to learning"] if split else [])
    rows = [[label(s)] + [f"{spend.loc[(s, f'public_spend_rm.{lv}'), 'mean'] / 1e6:,.1f}" for lv in levers]
            + [f"{spend.loc[(s, 'public_spend_rm'), 'mean'] / 1e6:,.1f}"]
            + ([f"{spend.loc[(s, 'public_spend_attributable_rm'), 'mean'] / 1e6:,.1f}"] if split else [])
            for s in others]
    if discounted:
        rate = _rate_text(float(ce.annual_discount_rate.iloc[0]))
        header2 = ["Scenario", "Additional spend, discounted", "RM per additional completer",
                   "per additional B40 completer", "per additional rural completer", "Frontier"]
        rows2 = [[label(s), rm_million(ce.loc[s, "incremental_spend_rm"]), _cost_cell(ce, s, ""),
                  _cost_cell(ce, s, "_b40"), _cost_cell(ce, s, "_rural"), ce.loc[s, "frontier"]] for s in others]
        caption2 = (f"Cost per additional completer, in full, with costs and outcomes discounted at {rate} a year to "
                    f"the start of the horizon: each quarter's public spend and each person's first completion "
                    f"weighted by (1 + r)^(-q/4), q the quarter counted from 0. Discounted additional spend over "
                    f"discounted additional completers (ratio of means [delta-method {LEVEL}]; unbounded when the "
                    f"gain may be zero). Frontier: efficient, dominated, or beaten by a mix of two options "
                    f"(extended dominance). Undiscounted figures: the 0% columns of the sensitivity table below.")
    else:
        header2 = ["Scenario", "RM per additional completer", "per additional B40 completer",
                   "per additional rural completer", "Frontier"]
        rows2 = [[label(s), _cost_cell(ce, s, ""), _cost_cell(ce, s, "_b40"), _cost_cell(ce, s, "_rural"),
                  ce.loc[s, "frontier"]] for s in others]
        caption2 = (f"Cost per additional completer, in full, undiscounted (these results were stored without what "
                    f"discounting needs): additional public spend over additional completers (ratio of means "
                    f"[delta-method {LEVEL}]; unbounded when the gain may be zero). Frontier: efficient, dominated, "
                    f"or beaten by a mix of two options (extended dominance).")

    def cost(s, suffix):   # the attributable table: undiscounted, as the cost_effectiveness table
        return _cost_cell(ce_full, s, suffix)

    header3 = ["Scenario", "Subsidy to B40", "Subsidy to rural", "Additional completers who are B40",
               "Additional completers who are rural"]

    def share(s, m):
        return pct(inc.loc[(s, m), "mean"]) if (s, m) in inc.index else "n/a"

    rows3 = [[label(s)] + [share(s, m) for m in ("subsidy_share_b40", "subsidy_share_rural",
                                                 "additional_completers_share_b40",
                                                 "additional_completers_share_rural")] for s in others]
    return [
        ("h2", "Cost and cost-effectiveness"),
        ("table", header, rows, f"Public spend by lever over the horizon (RM million, national, mean over "
                                f"replicates, undiscounted)" + ("; the last column counts connectivity at its share "
                                                                "attributable to learning." if split else ".")),
        ("table", header2, rows2, caption2),
        *([("p", "Attributable to learning, undiscounted:"), attributable.cost_table(t, meta, cost)]
          if split and discounted else [attributable.cost_table(t, meta, cost)] if split else []),
        *([_sensitivity_table(t, others)] if discounted and len(t.get("discounting_sensitivity", ())) else []),
        *_deadweight_table(t, others),
        ("figure", "cost_effectiveness", None),
        ("table", header3, rows3, "Benefit incidence: shares of subsidy spending and of additional completers "
                                  "reaching B40 and rural adults (n/a: no subsidy)."),
    ]


def other_figures(t: dict, meta: dict) -> list:
    return [("h2", "Recognition and digital access"),
            ("figure", "employer_trust", None), ("figure", "online_completion_by_connectivity", None)]


def pairing_section(t: dict, meta: dict) -> list:
    p = t["pairing"]
    header = ["Scenario", "Outcome", "Variance, paired", "Variance, unpaired", "Ratio"]
    rows = [[label(r.scenario), r.outcome + ("" if r.group == "all" else f" ({r.group})"), f"{r.var_paired:.3g}",
             f"{r.var_unpaired:.3g}", num(r.variance_ratio, 3)] for r in p.itertuples()
            if r.outcome in ("uptake_rate", "uptake_by_income")]
    return [("h2", "How sure are we"),
            ("p", "Variance over replicates of the scenario-minus-baseline difference when runs are paired by seed "
                  "(common random numbers), against the variance if the two runs were independent. A ratio "
                  "below 1 means pairing sharpened the estimate. All outcomes are in tables/pairing.csv."),
            ("table", header, rows, "Paired versus unpaired variance of differences in uptake.")]


def method_section(t: dict, meta: dict) -> list:
    seeds = meta["seeds"]
    return [
        ("h2", "Method"),
        ("ul", [
            f"Agent-based model (mcsim): {meta['n_agents']:,} learner agents, each standing for "
            f"{meta['persons_per_agent']:,.0f} persons ({meta['persons'] / 1e6:.2f} million citizens aged 18-64), "
            f"with providers and employers as agents; one step is a quarter, {meta['quarters']} quarters from "
            f"{meta['start_year']}Q1.",
            (f"{meta['draws']} draws of the uncertain parameters (calibrated ones from the calibration's posterior "
             f"sample, assumptions by Latin hypercube over their ranges in configs/uncertainties.yaml), each run with "
             f"{meta['seeds_per_draw']} seeds of its own, seeds {seeds[0]} to {seeds[-1]}: {meta['replicates']} runs per "
             "scenario. Every scenario runs each draw with the same seeds" if meta.get("draws") else
             f"{meta['replicates']} replicates per scenario with seeds {seeds[0]} to {seeds[-1]}. Replicate i of every "
             "scenario uses the same seed") +
            ": the same simulated population and the same random draws "
            "(common random numbers), so scenario and baseline differ only through the policy.",
            "Levels: mean over replicates with a Student-t 95% interval. Effects: mean of the per-seed "
            "differences from the baseline, with a paired Student-t 95% interval.",
            "Counterfactuals: person by person between the scenario run and the baseline run of the same seed.",
            "Costs: public spend at national scale booked by lever; cost per additional completer is the "
            "ratio of mean additional spend to mean additional completers. Each cost is also stated "
            "attributable to learning: connectivity outlays counted at the share of household internet use "
            "spent on learning (an assumption), every other lever in full.",
            f"Executor: {meta.get('executor', 'serial')}; numbers are identical on every executor. "
            f"Code version {meta.get('code_version', '?')}; run on {meta.get('created', '?')}.",
        ]),
    ]


def assumptions_section(t: dict, meta: dict) -> list:
    items = [f"{k} = {v}" for k, v in meta.get("assumptions", {}).items()]
    scen = [f"**{label(s)}**: {meta.get('descriptions', {}).get(s, '').strip()}" for s in meta["scenarios"]]
    return [("h2", "Assumptions that drive the results"),
            ("p", "Uncertain behavioural and market parameters with most influence on the results (values "
                  "used here; ranges and sources in docs/ODD.md):"),
            ("ul", items), ("h3", "Scenarios"), ("ul", scen)]


def reproduce_section(t: dict, meta: dict) -> list:
    return [("h2", "Reproduce"),
            ("p", "This command re-runs the comparison and produces the same numbers:"),
            ("code", meta.get("reproduce", "")),
            ("p", "Rebuild this report from the stored results without re-running: "
                  "`mcsim report PATH`. Files: tables/*.csv, data/*.parquet, figures/*.png|svg|pdf, "
                  "manifest.json (see docs/OUTPUTS_COMPARE.md).")]


def build(tables: dict, meta: dict) -> list:
    """The whole report, in reading order."""
    blocks = [("h1", "Micro-credentials in Malaysia: what each policy option buys"),
              ("p", f"Scenario comparison with mcsim, {meta.get('created', '')}. "
                    f"{len(meta['scenarios'])} scenarios, {meta['replicates']} runs each"
                    + (f" ({meta['draws']} parameter draws x {meta['seeds_per_draw']} seeds)." if meta.get("draws")
                       else ".")),
              ("h2", "Executive summary")]
    blocks += executive_summary(tables, meta)
    from sim.report.state_section import section as state_section

    from sim.report.decision_section import decision_section

    for section in (outcome_tables, counterfactual_section, equity_section, cost_section, decision_section,
                    state_section,
                    other_figures, pairing_section, method_section, assumptions_section, reproduce_section):
        blocks += section(tables, meta)
    return blocks
