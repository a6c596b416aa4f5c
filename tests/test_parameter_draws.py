"""Parameter draws for the comparison: every uncertainty in one group, Latin hypercube over the
assumptions' ranges, calibrated parameters jointly from the posterior sample, and a comparison
that runs every draw under every scenario with paired seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.config.compose import compose
from sim.experiment.compare import plan, run_comparison
from sim.experiment.uncertainty import (GROUPS, UNCERTAINTIES, UncertaintyError, calibrated_box, load_posterior,
                                        load_uncertainties, parameter_draws)

SMALL = ["population.n_agents=2000", "horizon.quarters=8"]


def test_every_uncertainty_is_in_exactly_one_group_and_calibrated_ones_use_the_calibration_box():
    table = yaml.safe_load(UNCERTAINTIES.read_text())
    listed = {f"{s}.{n}" for s, entries in table.items() for n in entries}
    grouped = [k for keys in yaml.safe_load(GROUPS.read_text())["groups"].values() for k in keys]
    assert sorted(grouped) == sorted(listed), "each parameter of uncertainties.yaml in exactly one group"
    params = {p.key: p for p in load_uncertainties()}
    box = calibrated_box()
    assert {k for k, p in params.items() if p.calibrated} == set(box)
    assert (params["behaviour.education_gradient"].low, params["behaviour.education_gradient"].high) == box[
        "behaviour.education_gradient"]
    assert params["behaviour.offers_sampled"].integer and not params["behaviour.theta_time"].integer


def test_a_parameter_in_no_group_fails_with_one_line_naming_the_file(tmp_path):
    groups = tmp_path / "groups.yaml"
    data = yaml.safe_load(GROUPS.read_text())
    data["groups"]["awareness"].remove("behaviour.gamma_peer")
    groups.write_text(yaml.safe_dump(data))
    with pytest.raises(UncertaintyError, match=r"groups.yaml: behaviour.gamma_peer .* belongs to no group"):
        load_uncertainties(groups=groups)


def test_draws_are_a_latin_hypercube_over_each_assumptions_range_and_repeat_with_the_seed():
    n = 40
    draws = parameter_draws(n, seed=3, posterior=None)
    again = parameter_draws(n, seed=3, posterior=None)
    pd.testing.assert_frame_equal(draws, again)
    assert not draws.equals(parameter_draws(n, seed=4, posterior=None))
    params = {p.key: p for p in load_uncertainties()}
    assert not any(params[k].calibrated for k in draws.columns), "no posterior: calibrated stay at their point"
    for key in draws.columns:
        p = params[key]
        values = draws[key].to_numpy()
        assert values.min() >= p.low and values.max() <= p.high, key
        if not p.integer:  # Latin hypercube: exactly one draw in each of the n equal strata
            strata = np.floor((values - p.low) / (p.high - p.low) * n).astype(int)
            assert sorted(strata) == list(range(n)), key
        else:
            assert np.all(values == np.rint(values)), key


def test_calibrated_parameters_come_jointly_from_the_posterior_in_proportion_to_weight():
    box = calibrated_box()
    names = list(box)
    # two particles; the second has three times the weight of the first
    rows = pd.DataFrame([{k: lo for k, (lo, hi) in box.items()}, {k: hi for k, (lo, hi) in box.items()}])
    posterior = rows.assign(weight=[0.25, 0.75])
    n = 400
    draws = parameter_draws(n, seed=1, posterior=posterior)
    high = draws[names[0]] == box[names[0]][1]
    # joint: a draw takes every calibrated value from the same particle
    for k in names[1:]:
        assert ((draws[k] == box[k][1]) == high).all(), k
    # share of the heavier particle: binomial(400, 0.75), sd 0.0217; 4 sd either side
    assert abs(high.mean() - 0.75) < 4 * np.sqrt(0.75 * 0.25 / n)


def test_a_bad_posterior_file_fails_with_one_line_naming_it(tmp_path):
    path = tmp_path / "posterior.csv"
    path.write_text("# made by hand\nbehaviour.asc_enrol\n-5\n")
    with pytest.raises(UncertaintyError, match=r"posterior.csv: expected a header .* weight"):
        load_posterior(path)
    assert load_posterior(tmp_path / "missing.csv") is None


def test_the_plan_gives_each_draw_its_own_seeds_shared_by_every_scenario():
    specs = plan(["baseline", "b40_voucher"], replicates=2, seed=10, draws=3)
    cells = {(s.draw, s.seed) for s in specs}
    assert len(cells) == 6 and len({seed for _, seed in cells}) == 6  # one seed per cell, none shared across draws
    for draw, seed in cells:
        assert sorted(s.scenario for s in specs if (s.draw, s.seed) == (draw, seed)) == ["b40_voucher", "baseline"]
    assert [s.replicate for s in specs if s.scenario == "baseline"] == list(range(6))


def test_each_draws_values_reach_every_scenarios_runs():
    cfgs = {s: compose("run", [f"scenario={s}", *SMALL]) for s in ("baseline", "b40_voucher")}
    # draw 0: hardly anyone wants to learn; draw 1: many do (the calibration's prior ends)
    parameters = pd.DataFrame({"behaviour.asc_enrol": [-9.0, -3.0]}, index=pd.Index([0, 1], name="draw"))
    out = run_comparison(cfgs, 1, 1, "serial", progress=False, parameters=parameters)
    runs = out.runs.set_index(["scenario", "draw"]).uptake_rate
    for scenario in cfgs:
        assert runs[(scenario, 1)] > 3 * runs[(scenario, 0)], scenario
    assert out.meta["draws"] == 2 and out.meta["replicates"] == 2 and out.meta["seeds_per_draw"] == 1
    assert list(out.parameters.draw) == [0, 1]


def test_a_comparison_with_draws_reports_the_decision_analysis_and_rebuilds_it_from_storage(tmp_path):
    from sim.analysis.tables import build_tables
    from sim.commands.compare import parameter_meta
    from sim.experiment import results
    from sim.report import content, markdown

    cfgs = {s: compose("run", [f"scenario={s}", *SMALL]) for s in ("baseline", "b40_voucher", "awareness_campaign")}
    draws = parameter_draws(4, seed=1, posterior=None)
    out = run_comparison(cfgs, 2, 1, "serial", progress=False, parameters=draws)
    out.meta.update(n_agents=2000, persons=out.runs.persons.iloc[0], persons_per_agent=out.runs.persons.iloc[0] / 2000,
                    quarters=8, start_year=2025, descriptions={}, annual_public_cost_rm={}, assumptions={},
                    reproduce="", **parameter_meta(draws))
    results.save(tmp_path, out)
    stored = results.load(tmp_path)      # what mcsim report PATH reads
    tables = build_tables(stored.runs, stored.timeseries, stored.counterfactuals, stored.counterfactual_groups,
                          parameters=stored.parameters, meta=stored.meta)
    ceac = tables["ceac"]
    # at every willingness to pay the options' (and doing nothing's) probabilities of being the best buy sum to 1
    assert np.allclose(ceac.groupby("wtp_rm").probability_best.sum(), 1.0)
    assert set(tables["variance_split"].option) == {"b40_voucher", "awareness_campaign"}
    split = tables["variance_split"].query("outcome == 'effect'")
    assert np.allclose(split.share_parameters + split.share_seeds, 1.0)
    report = markdown.render(content.build(tables, stored.meta), {})
    assert "## Decisions under uncertainty" in report and "4 parameter draws" in report
    again = build_tables(out.runs, out.timeseries, out.counterfactuals, out.counterfactual_groups,
                         parameters=out.parameters, meta=out.meta)
    for name in ("ceac", "evppi", "rank_probabilities", "psa_intervals"):
        pd.testing.assert_frame_equal(tables[name], again[name])
    # a comparison stored by another command (mcsim optimise's) carries no parameter groups: read from the files
    bare = {k: v for k, v in out.meta.items() if not k.startswith("parameter_")}
    plain = build_tables(out.runs, out.timeseries, out.counterfactuals, out.counterfactual_groups,
                         parameters=out.parameters, meta=bare)
    pd.testing.assert_frame_equal(tables["ceac"], plain["ceac"])
