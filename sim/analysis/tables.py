"""The comparison's tables, built from the stored per-run frames (so ``mcsim report`` can
rebuild them without re-running). Each table is tidy; columns are documented in
docs/OUTPUTS_COMPARE.md."""

from __future__ import annotations

import pandas as pd

from sim import metrics
from sim.analysis.effects import (
    BASELINE, DISCOUNT_RATE, DISCOUNT_RATES, cost_effectiveness, discounted_incremental, discounted_name,
    paired_effects, summarise_replicates,
)
from sim.analysis.state_tables import state_cost_effectiveness, state_effects
from sim.model.policy import LEVER_NAMES

COUNTERFACTUAL_MEASURES = ("induced_enrollees", "displaced_enrollees", "additional_enrollees",
                           "additional_completions", "induced_completers", "lost_completers",
                           "additional_completers", "subsidised_persons", "deadweight", "displacement_share",
                           "subsidy_rm", "subsidised_completions", "deadweight_completions",
                           *(discounted_name(f"additional_completers{g}", DISCOUNT_RATE) for g in ("", "_b40", "_rural")))
SHARE_MEASURES = ("deadweight", "displacement_share", "deadweight_completions")
ATTRIBUTABLE = "public_spend_attributable_rm"   # public spend with connectivity at its learning share
# outcomes whose paired-vs-unpaired variance is reported (the pairing table)
PAIRING_OUTCOMES = ("uptake_rate", "uptake_by_income.B40", "uptake_by_location.rural", "completion_rate",
                    "credential_holders_rate", "concentration_index", "employer_trust_mean")


def discounted_flows(runs: pd.DataFrame, series: pd.DataFrame, rates=DISCOUNT_RATES) -> pd.DataFrame:
    """One row per run (scenario, seed): public spend (RM) in full and attributable to learning,
    and completions (persons), each discounted to the start of the horizon at every annual rate
    of ``rates`` (columns ``public_spend_rm_discounted_3pct`` ...). Spend comes from the time
    series, quarter by quarter and lever by lever; a lever's attributable spend is its spend
    times its attributable share over the run (the share is fixed by pot, and a lever's pots
    share it), so it is exact. NaN attributable spend for runs stored without it."""
    flows = series[((series.metric == "public_spend_rm") | (series.metric == "completions_persons"))]
    keys = ["scenario", "seed"]
    out = flows[keys].drop_duplicates().reset_index(drop=True)
    spend = flows[flows.metric == "public_spend_rm"]
    done = flows[flows.metric == "completions_persons"]
    share = runs.set_index(keys)
    for r in rates:
        factor = metrics.discount_factor(flows.quarter.to_numpy(), r)
        pv = flows.assign(pv=flows.value.to_numpy() * factor)
        by_lever = pv.loc[spend.index].pivot_table(index=keys, columns="group", values="pv", aggfunc="sum",
                                                  sort=False)
        full = by_lever.sum(axis=1)
        attributable = 0.0
        for lever in by_lever.columns:
            total = share.get(f"public_spend_by_lever_rm.{lever}", pd.Series(float("nan"), share.index))
            part = share.get(f"public_spend_by_lever_attributable_rm.{lever}", pd.Series(float("nan"), share.index))
            ratio = (part / total.where(total > 0)).where(total > 0, 1.0).reindex(by_lever.index)
            attributable = attributable + ratio * by_lever[lever]
        completions = pv.loc[done.index].groupby(keys, sort=False).pv.sum()
        frame = pd.DataFrame({discounted_name("public_spend_rm", r): full,
                              discounted_name(ATTRIBUTABLE, r): attributable,
                              discounted_name("completions_persons", r): completions}).reset_index()
        out = out.merge(frame, on=keys, how="left")
    return out


def pairs_frame(runs: pd.DataFrame, counterfactuals: pd.DataFrame, groups: pd.DataFrame,
                series: pd.DataFrame | None = None, rates=DISCOUNT_RATES) -> pd.DataFrame:
    """One row per (scenario, seed) pair: counterfactual totals, incremental public spend (RM)
    in full and attributable to learning, and additional completers who are B40 and rural
    (persons). Runs stored before attributable spend was reported give NaN for it. With the
    time ``series``, also each incremental flow discounted at every rate of ``rates``
    (``incremental_spend_rm_discounted_3pct``, ``incremental_spend_attributable_rm_discounted_3pct``,
    ``additional_completions_discounted_3pct``; the discounted additional completers come with
    the counterfactual totals): read them with :func:`sim.analysis.effects.discounted_incremental`."""
    if ATTRIBUTABLE not in runs:
        runs = runs.assign(**{ATTRIBUTABLE: float("nan")})
    columns = {"public_spend_rm": "incremental_spend_rm", ATTRIBUTABLE: "incremental_spend_attributable_rm"}
    spend = runs[["scenario", "seed", *columns]]
    base = spend[spend.scenario == BASELINE].drop(columns="scenario").rename(
        columns={c: f"baseline_{c}" for c in columns})
    out = counterfactuals.merge(spend, on=["scenario", "seed"]).merge(base, on="seed")
    for column, incremental in columns.items():
        out[incremental] = out[column] - out[f"baseline_{column}"]
    for column, (dimension, group) in {"additional_completers_b40": ("income", "B40"),
                                       "additional_completers_rural": ("location", "rural")}.items():
        sel = groups[(groups.dimension == dimension) & (groups.group == group)]
        out = out.merge(sel[["scenario", "seed", "additional_completers"]].rename(
            columns={"additional_completers": column}), on=["scenario", "seed"])
    if series is None or not len(series):
        return out
    flows = discounted_flows(runs, series, rates)
    base = flows[flows.scenario == BASELINE].drop(columns="scenario").set_index("seed")
    mine = out[["scenario", "seed"]].merge(flows, on=["scenario", "seed"], how="left")
    for r in rates:
        for column, incremental in (("public_spend_rm", "incremental_spend_rm"),
                                    (ATTRIBUTABLE, "incremental_spend_attributable_rm"),
                                    ("completions_persons", "additional_completions")):
            name = discounted_name(column, r)
            out[discounted_name(incremental, r)] = (mine[name] - mine.seed.map(base[name])).to_numpy()
    return out


def who_table(groups: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Additional completers by group per scenario (mean and interval over replicates), with
    each group's share of all additional completers (ratio of means)."""
    table = summarise_replicates(groups, ["scenario", "dimension", "group"],
                                 ["additional_completers", "induced_completers", "lost_completers",
                                  "additional_enrollees", "population"], level)
    wide = table.pivot_table(index=["scenario", "dimension", "group"], columns="measure",
                             values=["mean", "ci_low", "ci_high"], sort=False)
    wide.columns = [m if stat == "mean" else f"{m}_{stat}" for stat, m in wide.columns]
    wide = wide.reset_index()
    total = wide.groupby(["scenario", "dimension"], sort=False).additional_completers.transform("sum")
    wide["share_of_additional_completers"] = wide.additional_completers / total.where(total > 0)  # no share of a net loss
    keep = ["scenario", "dimension", "group", "additional_completers", "additional_completers_ci_low",
            "additional_completers_ci_high", "share_of_additional_completers", "induced_completers",
            "lost_completers", "additional_enrollees", "population"]
    return wide[keep]


def spend_table(runs: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Public spend by lever per scenario at national scale (RM over the horizon), in full and,
    when the runs report it, attributable to learning."""
    cols = [f"public_spend_by_lever_rm.{lever}" for lever in LEVER_NAMES] + ["public_spend_rm", "levy_spend_rm",
                                                                             "out_of_pocket_rm"]
    if ATTRIBUTABLE in runs:
        cols += [f"public_spend_by_lever_attributable_rm.{lever}" for lever in LEVER_NAMES] + [ATTRIBUTABLE]
    t = summarise_replicates(runs, ["scenario"], cols, level)
    t["measure"] = (t.measure.str.replace("public_spend_by_lever_rm.", "public_spend_rm.", regex=False)
                    .str.replace("public_spend_by_lever_attributable_rm.", "public_spend_attributable_rm.",
                                 regex=False))
    return t


def incidence_table(runs: pd.DataFrame, who: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Benefit incidence: shares of subsidy reaching B40 and rural learners (per run), and the
    shares of additional completers who are B40 and rural."""
    t = summarise_replicates(runs[runs.scenario != BASELINE], ["scenario"],
                             ["subsidy_share_b40", "subsidy_share_rural"], level)
    rows = []
    for (dimension, group, name) in (("income", "B40", "additional_completers_share_b40"),
                                     ("location", "rural", "additional_completers_share_rural")):
        sel = who[(who.dimension == dimension) & (who.group == group) & (who.scenario != BASELINE)]
        rows += [{"scenario": r.scenario, "measure": name, "n_replicates": t.n_replicates.max() if len(t) else 0,
                  "mean": r.share_of_additional_completers, "ci_low": float("nan"), "ci_high": float("nan")}
                 for r in sel.itertuples()]
    return pd.concat([t, pd.DataFrame(rows)], ignore_index=True).sort_values(["scenario", "measure"], kind="stable")


def timeseries_summary(series: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Mean and interval over replicates per (scenario, quarter, metric, group)."""
    rows = []
    for (scenario, quarter, period, metric, group), g in series.groupby(
            ["scenario", "quarter", "period", "metric", "group"], sort=False):
        mean, lo, hi = metrics.mean_ci(g.value.to_numpy(float), level)
        rows.append((scenario, quarter, period, metric, group, len(g), mean, lo, hi))
    return pd.DataFrame(rows, columns=["scenario", "quarter", "period", "metric", "group", "n_replicates",
                                       "mean", "ci_low", "ci_high"])


def discounted_cost_effectiveness(pairs: pd.DataFrame, rate: float = DISCOUNT_RATE,
                                  level: float = 0.95) -> pd.DataFrame:
    """:func:`cost_effectiveness` with incremental spend and effects discounted at the annual
    ``rate`` (first column ``annual_discount_rate``); empty when the pairs carry no discounted
    flows (results stored without the time series)."""
    try:
        table = cost_effectiveness(discounted_incremental(pairs, rate), level)
    except ValueError:
        return pd.DataFrame()
    table.insert(1, "annual_discount_rate", float(rate))
    return table


SENSITIVITY_COLUMNS = ("incremental_spend_rm", "additional_completers", "additional_completers_b40",
                       *(f"cost_per_additional_completer{s}_rm{ci}" for s in ("", "_b40")
                         for ci in ("", "_ci_low", "_ci_high")))


def discounting_sensitivity(pairs: pd.DataFrame, level: float = 0.95, rates=DISCOUNT_RATES) -> pd.DataFrame:
    """Cost per additional completer and per additional B40 completer at each annual discount
    rate: one row per (scenario, annual_discount_rate), with the discounted incremental spend
    (RM) and additional completers (persons) they divide. Rate 0 is undiscounted."""
    parts = [discounted_cost_effectiveness(pairs, r, level) for r in rates]
    parts = [p[["scenario", "annual_discount_rate", *SENSITIVITY_COLUMNS]] for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def decision_cells(runs: pd.DataFrame, pairs: pd.DataFrame, rate: float = DISCOUNT_RATE) -> pd.DataFrame:
    """The decision analysis's cells (``sim.analysis.decision``): one row per (option, draw,
    seed) with ``effect`` = additional B40 completers and ``cost`` = incremental public spend
    (RM), both discounted at the annual ``rate``, and ``uptake_b40_pp``, the paired effect on
    B40 uptake in percentage points."""
    present = discounted_incremental(pairs, rate)
    draw = runs.drop_duplicates("seed").set_index("seed").draw
    b40 = runs.set_index(["scenario", "seed"])["uptake_by_income.B40"]
    base = runs[runs.scenario == BASELINE].set_index("seed")["uptake_by_income.B40"]
    cells = pd.DataFrame({"option": present.scenario, "draw": present.seed.map(draw).astype(int),
                          "seed": present.seed, "effect": present.additional_completers_b40,
                          "cost": present.incremental_spend_rm})
    keys = pd.MultiIndex.from_frame(present[["scenario", "seed"]])
    cells["uptake_b40_pp"] = 100 * (b40.reindex(keys).to_numpy() - present.seed.map(base).to_numpy())
    return cells[cells.option != BASELINE].reset_index(drop=True)


def decision_analysis(runs: pd.DataFrame, pairs: pd.DataFrame, parameters: pd.DataFrame, meta: dict,
                      rate: float = DISCOUNT_RATE) -> dict[str, pd.DataFrame]:
    """The decision-analysis tables of a comparison with parameter draws (empty without):
    groups and bases of the parameters as the comparison stored them in ``meta``."""
    from sim.analysis import decision

    if parameters is None or not meta.get("draws"):
        return {}
    values = parameters.set_index("draw") if "draw" in parameters else parameters
    if "parameter_basis" not in meta:   # a comparison built by another command (e.g. mcsim optimise)
        from sim.experiment.uncertainty import draws_meta

        meta = {**meta, **draws_meta(values)}
    basis = {k: meta["parameter_basis"][k] for k in values.columns}
    groups = {g: [k for k in keys if k in basis] for g, keys in meta["parameter_groups"].items()}
    groups = {g: keys for g, keys in groups.items() if keys}
    for b, name in (("calibrated", "all calibrated parameters"), ("assumption", "all assumptions")):
        keys = [k for k, v in basis.items() if v == b]
        if keys:
            groups[name] = keys
    return decision.decision_tables(decision_cells(runs, pairs, rate), values, groups, basis)


def build_tables(runs, series, counterfactuals, groups, level: float = 0.95,
                 discount_rate: float = DISCOUNT_RATE, parameters: pd.DataFrame | None = None,
                 meta: dict | None = None) -> dict[str, pd.DataFrame]:
    """All tables of the report, by CSV name (without extension); ``discount_rate`` (annual,
    one of :data:`sim.analysis.effects.DISCOUNT_RATES`) is the rate of the discounted
    cost-effectiveness table and of the decision analysis, which is built when the comparison
    drew parameters (``parameters``, one row per draw, and ``meta`` with their groups and bases)."""
    effects = paired_effects(runs, level=level)
    scenario_order = list(pd.unique(runs.scenario))
    pairs = pairs_frame(runs, counterfactuals, groups, series)
    ce = cost_effectiveness(pairs, level)
    who = who_table(groups, level)
    pairing = effects[(effects.scenario != BASELINE)
                      & (effects.outcome + effects.group.map(lambda g: "" if g == "all" else f".{g}"))
                      .isin(PAIRING_OUTCOMES)][["scenario", "outcome", "group", "n_replicates", "var_paired",
                                                "var_unpaired", "variance_ratio"]]
    counter = summarise_replicates(counterfactuals, ["scenario"],   # results stored earlier lack the newer measures
                                   [m for m in COUNTERFACTUAL_MEASURES if m in counterfactuals], level)
    shares = counter.measure.isin(SHARE_MEASURES)  # a share's interval stays within [0, 1]
    counter.loc[shares, ["ci_low", "ci_high"]] = counter.loc[shares, ["ci_low", "ci_high"]].clip(0, 1)
    tables = {
        "effects": effects,
        "counterfactuals": counter,
        "who_completes": who,
        "cost_effectiveness": ce,
        "cost_effectiveness_discounted": discounted_cost_effectiveness(pairs, discount_rate, level),
        "discounting_sensitivity": discounting_sensitivity(pairs, level),
        "spend_by_lever": spend_table(runs, level),
        "benefit_incidence": incidence_table(runs, who, level),
        "pairing": pairing.reset_index(drop=True),
        "timeseries_summary": timeseries_summary(series, level),
        "state_effects": state_effects(effects, runs),
        "state_cost_effectiveness": state_cost_effectiveness(runs, groups, level),
        **decision_analysis(runs, pairs, parameters, meta or {}, discount_rate),
    }
    for name, table in tables.items():  # scenarios in the order they were run
        if "scenario" in table:
            key = table.scenario.map({s: i for i, s in enumerate(scenario_order)})
            tables[name] = table.assign(_k=key).sort_values("_k", kind="stable").drop(columns="_k").reset_index(drop=True)
    return tables
