"""The comparison's tables, built from the stored per-run frames (so ``mcsim report`` can
rebuild them without re-running). Each table is tidy; columns are documented in
docs/OUTPUTS_COMPARE.md."""

from __future__ import annotations

import pandas as pd

from sim import metrics
from sim.analysis.effects import BASELINE, cost_effectiveness, paired_effects, summarise_replicates
from sim.analysis.state_tables import state_cost_effectiveness, state_effects
from sim.model.policy import LEVER_NAMES

COUNTERFACTUAL_MEASURES = ("induced_enrollees", "displaced_enrollees", "additional_enrollees",
                           "additional_completions", "induced_completers", "lost_completers",
                           "additional_completers", "subsidised_persons", "deadweight", "displacement_share",
                           "subsidy_rm")
SHARE_MEASURES = ("deadweight", "displacement_share")
ATTRIBUTABLE = "public_spend_attributable_rm"   # public spend with connectivity at its learning share
# outcomes whose paired-vs-unpaired variance is reported (the pairing table)
PAIRING_OUTCOMES = ("uptake_rate", "uptake_by_income.B40", "uptake_by_location.rural", "completion_rate",
                    "credential_holders_rate", "concentration_index", "employer_trust_mean")


def pairs_frame(runs: pd.DataFrame, counterfactuals: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """One row per (scenario, seed) pair: counterfactual totals, incremental public spend (RM)
    in full and attributable to learning, and additional completers who are B40 and rural
    (persons). Runs stored before attributable spend was reported give NaN for it."""
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


def build_tables(runs, series, counterfactuals, groups, level: float = 0.95) -> dict[str, pd.DataFrame]:
    """All tables of the report, by CSV name (without extension)."""
    effects = paired_effects(runs, level=level)
    scenario_order = list(pd.unique(runs.scenario))
    pairs = pairs_frame(runs, counterfactuals, groups)
    ce = cost_effectiveness(pairs, level)
    who = who_table(groups, level)
    pairing = effects[(effects.scenario != BASELINE)
                      & (effects.outcome + effects.group.map(lambda g: "" if g == "all" else f".{g}"))
                      .isin(PAIRING_OUTCOMES)][["scenario", "outcome", "group", "n_replicates", "var_paired",
                                                "var_unpaired", "variance_ratio"]]
    counter = summarise_replicates(counterfactuals, ["scenario"], list(COUNTERFACTUAL_MEASURES), level)
    shares = counter.measure.isin(SHARE_MEASURES)  # a share's interval stays within [0, 1]
    counter.loc[shares, ["ci_low", "ci_high"]] = counter.loc[shares, ["ci_low", "ci_high"]].clip(0, 1)
    tables = {
        "effects": effects,
        "counterfactuals": counter,
        "who_completes": who,
        "cost_effectiveness": ce,
        "spend_by_lever": spend_table(runs, level),
        "benefit_incidence": incidence_table(runs, who, level),
        "pairing": pairing.reset_index(drop=True),
        "timeseries_summary": timeseries_summary(series, level),
        "state_effects": state_effects(effects, runs),
        "state_cost_effectiveness": state_cost_effectiveness(runs, groups, level),
    }
    for name, table in tables.items():  # scenarios in the order they were run
        if "scenario" in table:
            key = table.scenario.map({s: i for i, s in enumerate(scenario_order)})
            tables[name] = table.assign(_k=key).sort_values("_k", kind="stable").drop(columns="_k").reset_index(drop=True)
    return tables
