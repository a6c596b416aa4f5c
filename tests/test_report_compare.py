"""The comparison report: files, self-containment, rebuild from stored results, and headline
numbers that equal the tables they come from."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.report.style import label

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("baseline", "b40_voucher", "integrated")


def mcsim(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "run"
    done = mcsim("compare", f"scenarios=[{','.join(SCENARIOS[1:])}]", "draws=0", "replicates=3", "population.n_agents=3000",
                 "horizon.quarters=12", "executor=serial", "progress=false", f"hydra.run.dir={out}", cwd=out.parent)
    assert done.returncode == 0, done.stderr
    assert f"report: {out / 'report.html'}" in done.stdout
    return out


def test_every_output_is_written(results):
    for name in ("report.html", "report.md", "comparison.json", "config.yaml", "manifest.json",
                 "data/runs.parquet", "data/timeseries.parquet", "data/counterfactuals.parquet",
                 "data/counterfactual_groups.parquet", "tables/effects.csv", "tables/cost_effectiveness.csv",
                 "tables/counterfactuals.csv", "tables/who_completes.csv", "tables/pairing.csv",
                 "tables/spend_by_lever.csv", "tables/benefit_incidence.csv", "tables/timeseries_summary.csv",
                 "tables/state_effects.csv", "tables/state_cost_effectiveness.csv"):
        assert (results / name).is_file(), name
    for fig in ("uptake_over_time", "uptake_by_group", "equity_ratios", "concentration_indices",
                "cost_effectiveness", "employer_trust", "online_completion_by_connectivity",
                "state_map_level_baseline", *(f"state_map_effect_{s}" for s in SCENARIOS[1:])):
        for fmt in ("png", "svg", "pdf"):
            assert (results / "figures" / f"{fig}.{fmt}").stat().st_size > 1000
    manifest = json.loads((results / "manifest.json").read_text())
    assert manifest["scenarios"] == list(SCENARIOS) and manifest["replicates"] == 3 and manifest["seed"] == 1
    runs = pd.read_parquet(results / "data/runs.parquet")
    assert sorted(runs.groupby("scenario").seed.apply(tuple).unique()) == [(1, 2, 3)]  # same seeds everywhere


def test_html_is_self_contained(results):
    text = (results / "report.html").read_text()
    assert text.count("data:image/png;base64,") == 7 + len(SCENARIOS)   # + a tile map per scenario
    assert not re.search(r"<script|<link|@import|url\(|src=\"http|href=\"http", text)


def _parse(number: str) -> float:
    return float(number.replace("+", "").replace(",", ""))


def test_headline_numbers_equal_the_tables(results):
    md = (results / "report.md").read_text()
    effects = pd.read_csv(results / "tables/effects.csv")
    # the summary's costs and completers are present values at the report's discount rate
    ce = pd.read_csv(results / "tables/cost_effectiveness_discounted.csv").set_index("scenario")
    assert f"(present values at {100 * ce.annual_discount_rate.iloc[0]:g}% a year)" in md
    pattern = (r"The \*\*(?P<name>[^*]+)\*\* (?:raises|lowers|does not measurably change) B40 uptake"
               r"(?: by)? \(?(?P<x>[+-]?[\d.]+)(?: percentage points)?,? ?\(?95% CI (?P<a>[+-]?[\d.]+) to "
               r"(?P<b>[+-]?[\d.]+)\)")
    found = {m["name"]: m for m in re.finditer(pattern, md)}
    assert set(found) == {label(s) for s in SCENARIOS[1:]}, md[:3000]
    for s in SCENARIOS[1:]:
        m = found[label(s)]
        row = effects[(effects.scenario == s) & (effects.outcome == "uptake_by_income") & (effects.group == "B40")].iloc[0]
        sign = -1 if "lowers B40" in md.split(f"**{label(s)}**")[1][:40] else 1
        assert sign * _parse(m["x"]) == pytest.approx(round(100 * row.difference, 1), abs=0.051)
        assert _parse(m["a"]) == pytest.approx(round(100 * row.difference_ci_low, 1), abs=0.051)
        assert _parse(m["b"]) == pytest.approx(round(100 * row.difference_ci_high, 1), abs=0.051)
        spend = re.search(rf"\*\*{re.escape(label(s))}\*\*.*?for RM (?P<m>[\d,.]+) million of public money", md)
        assert _parse(spend["m"]) == pytest.approx(round(ce.loc[s, "incremental_spend_rm"] / 1e6, 1), abs=0.051)
        cost = re.search(rf"\*\*{re.escape(label(s))}\*\*[^\n]*?at RM (?P<c>[\d,]+) per additional B40 completer", md)
        if cost:
            assert _parse(cost["c"]) == pytest.approx(ce.loc[s, "cost_per_additional_completer_b40_rm"], abs=0.5)


def test_report_states_costs_in_full_and_attributable_to_learning(results):
    md = (results / "report.md").read_text()
    ce = pd.read_csv(results / "tables/cost_effectiveness.csv").set_index("scenario")
    integrated, voucher = ce.loc["integrated"], ce.loc["b40_voucher"]
    # The integrated package buys connectivity, so only part of its spend is attributable to learning.
    assert integrated.incremental_spend_attributable_rm < integrated.incremental_spend_rm
    assert voucher.incremental_spend_attributable_rm == voucher.incremental_spend_rm
    lines = {s: next(line for line in md.splitlines() if line.startswith(f"- The **{label(s)}**")) for s in SCENARIOS[1:]}
    summary = pd.read_csv(results / "tables/cost_effectiveness_discounted.csv").set_index("scenario").loc["integrated"]
    part = re.search(r"Attributable to learning: RM (?P<m>[\d,.]+) million", lines["integrated"])
    assert _parse(part["m"]) == pytest.approx(round(summary.incremental_spend_attributable_rm / 1e6, 1), abs=0.051)
    full = re.search(r"for RM (?P<m>[\d,.]+) million of public money", lines["integrated"])
    assert _parse(full["m"]) == pytest.approx(round(summary.incremental_spend_rm / 1e6, 1), abs=0.051)
    assert "Attributable to learning" not in lines["b40_voucher"]   # equal figures are not repeated
    assert "counts 10% of connectivity outlays" in md                # the allocation rule, with its share
    table = md.split("Cost per additional completer attributable to learning")[1]
    row = next(line for line in table.splitlines() if line.startswith(f"| {label('integrated')} |"))
    assert f"RM {integrated.cost_per_additional_completer_attributable_rm:,.0f}" in row


def test_common_random_numbers_shrink_the_variance_of_model_effects(results):
    pairing = pd.read_csv(results / "tables/pairing.csv")
    uptake = pairing[(pairing.outcome == "uptake_rate") & (pairing.group == "all")]
    assert len(uptake) == 2
    assert (uptake.var_paired < uptake.var_unpaired).all()


def test_report_rebuilds_from_stored_results_alone(results, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(results / "data", copy / "data")
    shutil.copy(results / "comparison.json", copy)
    done = mcsim("report", str(copy), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for name in ("effects", "cost_effectiveness", "counterfactuals", "who_completes", "pairing"):
        assert (copy / "tables" / f"{name}.csv").read_bytes() == (results / "tables" / f"{name}.csv").read_bytes()
    assert (copy / "report.md").read_text() == (results / "report.md").read_text()


def test_report_of_a_folder_without_results_fails_with_one_line(tmp_path):
    done = mcsim("report", str(tmp_path), cwd=tmp_path)
    assert done.returncode != 0 and len(done.stderr.strip().splitlines()) == 1
    assert "comparison.json" in done.stderr


def test_counterfactual_totals_agree_exactly_with_the_runs_summaries(results):
    runs = pd.read_parquet(results / "data/runs.parquet")
    pairs = pd.read_parquet(results / "data/counterfactuals.parquet").merge(runs, on=["scenario", "replicate", "seed"])
    base = runs[runs.scenario == "baseline"].set_index("seed")
    persons = pairs.persons
    uptake_gain = (pairs.uptake_rate - pairs.seed.map(base.uptake_rate)) * persons
    assert pairs.additional_enrollees.to_numpy() == pytest.approx(uptake_gain.to_numpy(), abs=1e-3 * persons.max() / 1e4)
    completions_gain = pairs.completions_persons - pairs.seed.map(base.completions_persons)
    assert pairs.additional_completions.to_numpy() == pytest.approx(completions_gain.to_numpy(), rel=1e-6, abs=1.0)
    assert pairs.subsidy_rm.to_numpy() == pytest.approx(pairs["public_spend_by_lever_rm.subsidy"].to_numpy(), rel=1e-6)
    assert pairs.deadweight.between(0, 1).all()


def test_tables_by_state_agree_with_the_national_totals(results):
    """Additional completers by state add up to the national count, pair by pair; the
    population-weighted mean of the states' uptake effects is the national effect; public spend
    placed by state plus what is not placeable is the national spend; the state table's
    effects are the paired differences of the runs' own columns."""
    import numpy as np

    from sim.model.domain import STATES

    runs = pd.read_parquet(results / "data/runs.parquet")
    groups = pd.read_parquet(results / "data/counterfactual_groups.parquet")
    totals = pd.read_parquet(results / "data/counterfactuals.parquet").set_index(["scenario", "seed"])
    by_state = groups[groups.dimension == "state"].groupby(["scenario", "seed"]).additional_completers.sum()
    assert by_state.to_numpy() == pytest.approx(totals.loc[by_state.index, "additional_completers"].to_numpy(),
                                                rel=1e-9, abs=1e-6)
    placed = runs[[f"public_spend_by_state_rm.{s}" for s in STATES]].sum(axis=1) + runs.public_spend_not_by_state_rm
    assert placed.to_numpy() == pytest.approx(runs.public_spend_rm.to_numpy(), rel=1e-9)

    table = pd.read_csv(results / "tables/state_effects.csv")
    effects = pd.read_csv(results / "tables/effects.csv")
    for scenario in SCENARIOS[1:]:
        uptake = table[(table.scenario == scenario) & (table.outcome == "uptake_rate")].set_index("state")
        weights = runs[runs.scenario == scenario][[f"agents_by_state.{s}" for s in STATES]].mean().to_numpy()
        national = effects[(effects.scenario == scenario) & (effects.outcome == "uptake_rate")
                           & (effects.group == "all")].difference.item()
        # equal agent weights: the agent-weighted mean of per-state rates is the national rate
        # (agents vary a little by seed through turnover, so the identity holds to that precision)
        assert np.average(uptake.loc[list(STATES), "difference"], weights=weights) == pytest.approx(national, abs=2e-4)
        base = runs[runs.scenario == "baseline"].set_index("seed")["uptake_by_state.Sabah"]
        mine = runs[runs.scenario == scenario].set_index("seed")["uptake_by_state.Sabah"]
        assert uptake.loc["Sabah", "difference"] == pytest.approx((mine - base).mean(), rel=1e-9, abs=1e-12)
    assert table.noisy_level.dtype == bool and table.noisy_effect.dtype == bool
    assert table[table.state == "Putrajaya"].noisy_level.all()   # about 14 agents per replicate at 3,000
