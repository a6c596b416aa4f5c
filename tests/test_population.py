"""Synthetic population: marginals within sampling error of the data file, gradients,
invariants, determinism, the peer network and data validation.

Tolerances are Z standard errors of the statistic at the sample size actually used,
computed here rather than hand-picked.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.agents.learners import POPULATION_FIELDS
from sim.data import DATA_DIR, DataError, load_population_data
from sim.model.domain import (
    DEGREE, FIRM_SIZES, FIXED_BROADBAND, FORMAL, INFORMAL, NO_CONNECTION, OUTSIDE, PRIMARY,
    SECTORS, STATES, UNEMPLOYED, employer_index,
)
from sim.model.population import build_learners, build_peer_network, income_rank, peer_cell, sample_employer

N = 200_000
SEED = 20250101
Z = 4.0


def tol(p: float, n: int) -> float:
    """Z standard errors of a proportion p estimated from n draws."""
    return Z * math.sqrt(max(p * (1 - p), 1e-12) / n)


def assert_share(observed: float, expected: float, n: int, what: str) -> None:
    assert abs(observed - expected) <= tol(expected, n), (
        f"{what}: observed {observed:.4f}, expected {expected:.4f} +/- {tol(expected, n):.4f} (n={n})")


@pytest.fixture(scope="module")
def data():
    return load_population_data()


@pytest.fixture(scope="module")
def pop(data):
    return build_learners(N, data.persons_18_64, data, np.random.default_rng(SEED))


# ---- data file --------------------------------------------------------------------------
def test_persons_18_64_about_20_million(data):
    assert 19.5e6 < data.persons_18_64 < 20.5e6


def test_data_tables_are_consistent(data):
    assert data.state_shares.shape == (len(STATES),)
    assert abs(data.state_shares.sum() - 1) < 1e-6
    assert abs(data.expected_urban_share - 0.751) < 0.005           # MyCensus 2020
    assert abs(data.levy_coverage_implied - data.levy_coverage_target) <= 0.02
    # Households vs persons: the mixture reproduces the household thresholds closely.
    assert abs(data.expected_income_group_shares[0] - 0.40) < 0.01
    assert abs(data.expected_income_group_shares[2] - 0.20) < 0.01
    assert data.income_sigma < math.sqrt(2 * math.log(data.income_mean / data.income_median))


# ---- invariants and dtypes ----------------------------------------------------------------
def test_dtypes_and_shapes(pop):
    for name, dtype in POPULATION_FIELDS.items():
        arr = getattr(pop, name)
        assert arr.dtype == dtype, name
        assert arr.shape == (N,), name


def test_persons_conserved(pop, data):
    assert pop.persons == pytest.approx(data.persons_18_64, rel=1e-6)
    assert np.all(pop.weight == pop.weight[0])


def test_ranges(pop):
    assert pop.age.min() >= 18 and pop.age.max() <= 64
    assert np.all(pop.household_income_rm > 0)
    assert np.all((pop.digital_skill >= 0) & (pop.digital_skill <= 1))
    assert np.all(pop.potential_wage_rm > 0)
    assert np.all((pop.sector >= 0) & (pop.sector < len(SECTORS)))
    assert np.all((pop.income_rank > 0) & (pop.income_rank < 1))


def test_income_groups_follow_thresholds(pop, data):
    y = pop.household_income_rm
    assert np.all((pop.income_group == 0) == (y < data.b40_upper))
    assert np.all((pop.income_group == 2) == (y >= data.t20_lower))


def test_income_rank_monotone_in_income(pop):
    order = np.argsort(pop.household_income_rm, kind="stable")
    assert np.all(np.diff(pop.income_rank[order]) >= 0)
    assert abs(pop.income_rank.mean() - 0.5) < 1e-3


def test_income_rank_ties_share_mean_rank():
    r = income_rank(np.array([5.0, 1.0, 5.0, 3.0], dtype=np.float32))
    np.testing.assert_allclose(r, [0.75, 0.125, 0.75, 0.375])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=60))
def test_income_rank_properties(values):
    y = np.array(values, dtype=np.float32)
    r = income_rank(y)
    assert np.all((r > 0) & (r < 1))
    assert abs(r.mean() - 0.5) < 1e-5
    for v in np.unique(y):   # ties share a rank; higher income, higher rank
        assert np.ptp(r[y == v]) == 0
        assert np.all(r[y > v] > r[y == v][0])


def test_labour_dependent_fields(pop):
    formal = pop.labour == FORMAL
    expected = employer_index(pop.state[formal].astype(int), pop.sector[formal].astype(int),
                              pop.firm_size[formal].astype(int), pop.levy_registered[formal].astype(int))
    np.testing.assert_array_equal(pop.employer[formal], expected)
    assert np.all(pop.employer[~formal] == -1)
    assert np.all(pop.firm_size[~formal] == 0) and not pop.levy_registered[~formal].any()
    not_working = pop.labour >= UNEMPLOYED
    assert np.all(pop.wage_rm[not_working] == 0)
    assert np.all(pop.wage_rm[~not_working] > 0)
    np.testing.assert_array_equal(pop.wage_rm[formal], pop.potential_wage_rm[formal])
    informal = pop.labour == INFORMAL
    assert np.all(pop.wage_rm[informal] < pop.potential_wage_rm[informal])
    assert np.all(pop.state_arrays["initially_employed"] == (pop.labour <= INFORMAL))


def test_same_seed_same_population(data):
    a = build_learners(5_000, 1e6, data, np.random.default_rng(7))
    b = build_learners(5_000, 1e6, data, np.random.default_rng(7))
    c = build_learners(5_000, 1e6, data, np.random.default_rng(8))
    for name in POPULATION_FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert not np.array_equal(a.household_income_rm, c.household_income_rm)


# ---- marginals within sampling error ---------------------------------------------------
def test_state_shares(pop, data):
    obs = np.bincount(pop.state, minlength=len(STATES)) / N
    for s, name in enumerate(STATES):
        assert_share(obs[s], data.state_shares[s], N, f"state share {name}")


def test_urban_share(pop, data):
    assert_share(1 - pop.rural.mean(), data.expected_urban_share, N, "urban share")


def test_income_group_shares(pop, data):
    obs = np.bincount(pop.income_group, minlength=3) / N
    for g, name in enumerate(("B40", "M40", "T20")):
        assert_share(obs[g], data.expected_income_group_shares[g], N, f"{name} share")


def test_education_shares(pop, data):
    obs = np.bincount(pop.education, minlength=4) / N
    for e in range(4):
        assert_share(obs[e], data.expected_education_shares[e], N, f"education {e}")


def test_labour_rates(pop, data):
    in_lf = pop.labour != OUTSIDE
    assert_share(in_lf.mean(), data.lfpr, N, "LFPR")
    n_f = int(pop.female.sum())
    assert_share(in_lf[pop.female].mean(), data.female_lfpr, n_f, "female LFPR")
    n_lf = int(in_lf.sum())
    assert_share((pop.labour == UNEMPLOYED).sum() / n_lf, data.unemployment_rate, n_lf, "unemployment rate")
    employed = pop.labour <= INFORMAL
    n_emp = int(employed.sum())
    assert_share((pop.labour == INFORMAL).sum() / n_emp, data.informal_share, n_emp, "informal share")


def test_levy_coverage_of_formal_employees(pop, data):
    formal = pop.labour == FORMAL
    assert_share(pop.levy_registered[formal].mean(), data.levy_coverage_implied, int(formal.sum()), "levy coverage")


def test_internet_by_location(pop, data):
    for loc, mask in (("urban", ~pop.rural), ("rural", pop.rural)):
        connected = pop.connectivity[mask] != NO_CONNECTION
        assert_share(connected.mean(), data.internet_by_location[int(loc == "rural")], int(mask.sum()),
                     f"household internet {loc}")
    assert_share((pop.connectivity == FIXED_BROADBAND).mean(), data.fixed_broadband, N, "fixed broadband")


def test_internet_and_broadband_by_state(pop, data):
    """Each state's share of adults with internet and with fixed broadband is the data file's
    (rescaled to the national figure) within Z binomial standard errors of the state's agents,
    and the computer share is the loader's expectation likewise."""
    for code, name in enumerate(STATES):
        mask = pop.state == code
        n = int(mask.sum())
        conn = pop.connectivity[mask]
        assert_share((conn != NO_CONNECTION).mean(), data.internet_by_state[code], n, f"internet in {name}")
        assert_share((conn == FIXED_BROADBAND).mean(), data.fixed_broadband_by_state[code], n, f"fixed broadband in {name}")
        assert_share(pop.computer[mask].mean(), data.expected_computer_by_state[code], n, f"computer in {name}")


def test_state_connectivity_keeps_the_national_figures(data):
    """Rescaled state figures average (population-weighted) to the national ones, and differ
    by state: Sabah below Selangor on both."""
    w = data.state_shares
    assert abs(w @ data.fixed_broadband_by_state - data.fixed_broadband) < 1e-3
    national_internet = data.internet_by_location @ [data.expected_urban_share, 1 - data.expected_urban_share]
    assert abs(w @ data.internet_by_state - national_internet) < 1e-3
    sabah, selangor = STATES.index("Sabah"), STATES.index("Selangor")
    assert data.internet_by_state[sabah] < data.internet_by_state[selangor]
    assert data.fixed_broadband_by_state[sabah] < data.fixed_broadband_by_state[selangor]


def test_public_universities_sit_where_their_campuses_are():
    from sim.config.compose import compose
    from sim.model import MicroCredentialModel

    cfg = compose("run", ["population.n_agents=2000", "horizon.quarters=1"])
    model = MicroCredentialModel(cfg)
    campuses = model.data.public_universities_by_state
    homes = [p.home_state for p in model.providers if p.kind == 0]
    assert homes and all(campuses[h] > 0 for h in homes)


def test_sample_employer_matches_tables(data):
    rng = np.random.default_rng(3)
    n = 100_000
    for sec in range(len(SECTORS)):
        state = np.full(n, 11, dtype=np.int8)
        sector = np.full(n, sec, dtype=np.int8)
        size, levy, emp = sample_employer(state, sector, rng.random(n), rng.random(n), data)
        assert size.dtype == np.int8 and levy.dtype == np.bool_ and emp.dtype == np.int16
        obs = np.bincount(size, minlength=len(FIRM_SIZES)) / n
        for k in range(len(FIRM_SIZES)):
            assert_share(obs[k], data.firm_size_shares[sec, k], n, f"size {k} in sector {sec}")
        for k in range(len(FIRM_SIZES)):
            m = size == k
            assert_share(levy[m].mean(), data.levy_probability[k], int(m.sum()), f"levy | size {k}")
        np.testing.assert_array_equal(emp, employer_index(11, sec, size.astype(int), levy.astype(int)))
    u = np.array([0.0, 0.999999], dtype=np.float64)
    s1 = sample_employer(np.array([0, 0]), np.array([0, 0]), u, u, data)
    s2 = sample_employer(np.array([0, 0]), np.array([0, 0]), u, u, data)
    for a, b in zip(s1, s2):
        np.testing.assert_array_equal(a, b)


# ---- gradients --------------------------------------------------------------------------
def test_gradients(pop):
    y = pop.household_income_rm
    deg, prim = pop.education == DEGREE, pop.education == PRIMARY
    assert np.median(y[deg]) > 1.5 * np.median(y[prim])
    fixed = pop.connectivity == FIXED_BROADBAND
    assert fixed[deg].mean() > fixed[prim].mean() + 0.1
    assert np.median(y[pop.rural]) < 0.7 * np.median(y[~pop.rural])
    assert pop.ability[deg].mean() > pop.ability[prim].mean() + 0.5
    assert pop.digital_skill[deg].mean() > pop.digital_skill[prim].mean() + 0.2
    assert pop.computer[pop.income_group == 2].mean() > pop.computer[pop.income_group == 0].mean()
    in_lf = pop.labour != OUTSIDE
    assert in_lf[~pop.female].mean() > in_lf[pop.female].mean() + 0.2
    working = pop.labour <= INFORMAL
    assert np.median(pop.wage_rm[working & deg]) > 2 * np.median(pop.wage_rm[working & prim])


# ---- peer network -----------------------------------------------------------------------
@pytest.mark.parametrize("homophily", [0.0, 0.7, 1.0])
def test_peer_network(pop, homophily):
    degree = 6
    peers = build_peer_network(pop, degree, homophily, np.random.default_rng(11))
    assert peers.shape == (N, degree) and peers.dtype == np.int32
    assert peers.min() >= 0 and peers.max() < N
    assert not np.any(peers == np.arange(N)[:, None])
    cell = peer_cell(pop)
    counts = np.bincount(cell).astype(np.float64)
    chance = float((counts * (counts - 1)).sum() / (N * (N - 1.0)))
    expected = homophily + (1 - homophily) * chance
    same = (cell[peers] == cell[:, None]).mean()
    assert_share(same, expected, N * degree, f"within-cell ties at homophily {homophily}")


def test_peer_network_deterministic(pop):
    a = build_peer_network(pop, 3, 0.5, np.random.default_rng(5))
    b = build_peer_network(pop, 3, 0.5, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)


# ---- validation of the data file --------------------------------------------------------
def _broken_copy(tmp_path: Path, edit) -> Path:
    raw = yaml.safe_load((DATA_DIR / "malaysia_population.yaml").read_text())
    edit(raw)
    p = tmp_path / "malaysia_population.yaml"
    p.write_text(yaml.safe_dump(raw, sort_keys=False))
    return p


def test_broken_state_shares_raise(tmp_path):
    p = _broken_copy(tmp_path, lambda r: r["state_shares"]["Johor"].update(value=0.10))
    with pytest.raises(DataError) as exc:
        load_population_data(path=p)
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.startswith("malaysia_population.yaml: state_shares sum to 0.9770")
    assert "must sum to 1" in msg


def test_broken_education_row_raises(tmp_path):
    def edit(r):
        r["education"]["shares_by_age_band"]["value"]["rural"]["18-29"][0] = 0.5
    with pytest.raises(DataError, match=r"education\.shares_by_age_band\.rural\.18-29 sum to 1\.4200"):
        load_population_data(path=_broken_copy(tmp_path, edit))


def test_probability_out_of_range_raises(tmp_path):
    p = _broken_copy(tmp_path, lambda r: r["labour"]["female_lfpr"].update(value=1.3))
    with pytest.raises(DataError, match=r"labour\.female_lfpr is 1\.3, must be a probability in \[0, 1\]"):
        load_population_data(path=p)


def test_nonpositive_median_raises(tmp_path):
    p = _broken_copy(tmp_path, lambda r: r["household_income"]["median_by_state_2022"]["Perak"].update(value=0))
    with pytest.raises(DataError, match=r"median_by_state_2022\.Perak is 0"):
        load_population_data(path=p)


def test_figure_without_provenance_raises(tmp_path):
    p = _broken_copy(tmp_path, lambda r: r["labour"]["female_lfpr"].pop("assumption"))
    with pytest.raises(DataError, match=r"labour\.female_lfpr has neither 'source' nor 'assumption: true'"):
        load_population_data(path=p)
