"""A living population (sim.model.processes.demography) and a stationary status quo.

Tolerances are sampling errors, never tuned: a share p measured on n persons has binomial
standard error sqrt(p (1 - p) / n); two such samples (quarter 0 and quarter 40) differ by at
most sqrt(2 p (1 - p) / n) in standard deviation (less, since they share most persons). We
allow Z = 4 standard errors: about 6e-5 two-sided per assertion, so the file's couple of dozen
assertions fail by chance with probability under 0.2%.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model.agents.learners import POPULATION_FIELDS, STATE_FIELDS
from sim.config.compose import compose
from sim.model.domain import AGE_BAND_EDGES, AGE_BANDS, FORMAL, INFORMAL, OUTSIDE, UNEMPLOYED
from sim.model import MicroCredentialModel, population_data
from sim.model.processes import demography
from sim.model.targeting import target_mask

Z = 4.0


def _model(n: int, seed: int = 1, scenario: str = "baseline", quarters: int = 40, *overrides):
    cfg = compose("run", [f"scenario={scenario}", f"seed={seed}", f"population.n_agents={n}",
                          f"horizon.quarters={quarters}", "progress=false", *overrides])
    return MicroCredentialModel(cfg)


def _turned_over(age_before: np.ndarray, age_after: np.ndarray) -> np.ndarray:
    """Rows whose person left this quarter: ages only fall when a 64-year-old is replaced by an entrant."""
    return np.flatnonzero(age_after < age_before)


def _birthdays_passed(n: int, quarters: int) -> np.ndarray:
    """Birthdays each row has had after ``quarters`` quarters (birthday quarter row % 4)."""
    b = demography.birthday_quarter(n).astype(np.int64)
    return (quarters - b + 3) // 4


@pytest.fixture(scope="module")
def quarterly_run():
    """5,000 agents over 40 quarters with the learner table's key columns saved every quarter."""
    m = _model(5000, 3)
    frames = [{"age": m.learners.age.copy(), "weight": m.learners.weight.copy()}]
    for _ in range(40):
        m.step()
        frames.append({"age": m.learners.age.copy(), "weight": m.learners.weight.copy()})
    return m, frames


def test_persons_are_conserved_every_quarter(quarterly_run):
    m, frames = quarterly_run
    persons0 = frames[0]["weight"].sum(dtype=np.float64)
    for frame in frames[1:]:
        assert np.array_equal(frame["weight"], frames[0]["weight"])
        assert frame["weight"].sum(dtype=np.float64) == persons0
    assert len(m.history) == 40


def test_nobody_is_65_or_older_at_any_quarter_end(quarterly_run):
    _, frames = quarterly_run
    for frame in frames:
        assert frame["age"].min() >= demography.ENTRY_AGE
        assert frame["age"].max() < demography.EXIT_AGE


def test_ages_advance_one_year_per_four_quarters(quarterly_run):
    """Survivors gain exactly one year per birthday; a person who leaves at 65 is followed by an
    entrant aged 18 who then ages the same way: age = 18 + (age0 - 18 + birthdays) mod 47."""
    _, frames = quarterly_run
    age0 = frames[0]["age"].astype(np.int64)
    span = demography.EXIT_AGE - demography.ENTRY_AGE
    for q, frame in enumerate(frames):
        birthdays = _birthdays_passed(len(age0), q)
        survivor = age0 + birthdays < demography.EXIT_AGE
        assert np.array_equal(frame["age"][survivor], (age0 + birthdays)[survivor])
        expected = demography.ENTRY_AGE + (age0 - demography.ENTRY_AGE + birthdays) % span
        assert np.array_equal(frame["age"], expected)
        if q % 4 == 0:
            assert np.array_equal(birthdays, np.full(len(age0), q // 4))


def test_yearly_turnover_matches_the_share_aged_64():
    """Each year the persons then aged 64 leave: in years 1-10 those are the initial cohorts aged
    64, 63, ..., 55, each expected to hold the 50-64 band's share / 15 of persons (ages uniform
    within a band). Binomial standard error on 20,000 agents."""
    n = 20_000
    m = _model(n, 5)
    data = population_data(m.cfg.population.data)
    band = AGE_BANDS.index("50-64")
    p64 = float(data.age_band_shares[band]) / (AGE_BAND_EDGES[band + 1] - AGE_BAND_EDGES[band])
    tolerance = Z * math.sqrt(p64 * (1 - p64) / n)
    age0 = m.learners.age.copy()
    for year in range(10):
        left = 0
        for _ in range(4):
            before = m.learners.age.copy()
            m.step()
            left += len(_turned_over(before, m.learners.age))
        assert left == int(np.count_nonzero(age0 == 64 - year))     # deterministic given the ages
        assert abs(left / n - p64) < tolerance, (year, left / n, p64, tolerance)


def test_entrants_are_18_clones_of_young_donors_with_the_initial_learning_state():
    """Run a voucher scenario (so leavers had learning state to lose) and inspect entrants the
    quarter they enter."""
    m = _model(20_000, 2, "b40_voucher")
    L = m.learners
    targeting = {"subsidy_target": m.cfg.policy.subsidy.targeting, "device_target":
                 m.cfg.policy.connectivity.device_targeting, "skills_target": m.cfg.policy.connectivity.skills_targeting,
                 "awareness_target": m.cfg.policy.awareness.targeting}
    donors = {tuple(row) for row in zip(*(m.donors.attributes[name] for name in ("state", "education",
                                                                                 "household_income_rm", "ability")))}
    assert m.donors.n > 0
    aware, entrants, lost_learning = 0, 0, 0
    for q in range(40):
        before = L.age.copy()
        lost_learning += int(L.ever_enrolled[before == 64].sum())
        m.step()
        rows = _turned_over(before, L.age)
        if not len(rows):
            continue
        entrants += len(rows)
        aware += int(L.aware[rows].sum())
        assert (L.age[rows] == demography.ENTRY_AGE).all()
        for name, (_, initial) in STATE_FIELDS.items():
            if name not in ("aware", "initially_employed"):
                assert (L.state_arrays[name][rows] == initial).all(), name
        assert np.array_equal(L.initially_employed[rows], L.labour[rows] <= INFORMAL)
        assert np.array_equal(m.initial_labour[rows], L.labour[rows])
        assert not m.state.community_access[rows].any() and not m.state.sponsored_now[rows].any()
        for name, groups in targeting.items():
            assert np.array_equal(m.masks[name][rows], target_mask(L.subset(rows), groups)), name
        for i in rows:
            assert (L.state[i], L.education[i], L.household_income_rm[i], L.ability[i]) in donors
    assert lost_learning > 0          # leavers did carry learning state that entrants do not inherit
    p = m.cfg.behaviour.initial_awareness
    assert abs(aware / entrants - p) < Z * math.sqrt(p * (1 - p) / entrants), (aware / entrants, p)


def test_donor_pool_is_frozen_at_initialisation():
    m = _model(5000, 4, "b40_voucher")
    pool = {name: a.copy() for name, a in m.donors.attributes.items()}
    m.run(20)
    for name in pool:
        assert np.array_equal(pool[name], m.donors.attributes[name])
    assert set(pool) == set(POPULATION_FIELDS) - {"weight", "age"}


def test_scenario_and_baseline_turn_over_the_same_rows_with_the_same_entrants():
    base, voucher = _model(10_000, 9, "baseline"), _model(10_000, 9, "integrated")
    for _ in range(24):
        before = base.learners.age.copy()
        base.step()
        voucher.step()
        rows = _turned_over(before, base.learners.age)
        assert np.array_equal(rows, _turned_over(before, voucher.learners.age))
        for name in ("state", "education", "household_income_rm", "ability", "female", "rural"):
            assert np.array_equal(getattr(base.learners, name)[rows], getattr(voucher.learners, name)[rows]), name
    assert np.array_equal(base.learners.age, voucher.learners.age)


def test_same_seed_same_population_history():
    a, b = _model(5000, 12, "b40_voucher", 16), _model(5000, 12, "b40_voucher", 16)
    a.run()
    b.run()
    for name in (*POPULATION_FIELDS, *STATE_FIELDS):
        assert np.array_equal(getattr(a.learners, name), getattr(b.learners, name)), name
    assert np.array_equal(a.initial_labour, b.initial_labour)
    for name in a.masks:
        assert np.array_equal(a.masks[name], b.masks[name])


# ------------------------------------------------------------------ the stationary status quo
N_STATIONARY = 50_000


@pytest.fixture(scope="module")
def status_quo():
    """The baseline (no lever beyond the status quo's levy sponsorship), 50,000 agents, at
    quarters 0 and 40: shares of each labour status, ages, and cells (sex x age band x education)."""
    m = _model(N_STATIONARY, 1)
    L = m.learners

    def look():
        band = np.searchsorted(AGE_BAND_EDGES[1:-1], L.age, side="right")
        cell = (L.female.astype(np.int64) * len(AGE_BANDS) + band) * 4 + L.education
        return {"labour": L.labour.copy(), "age": L.age.astype(np.int64), "cell": cell}

    start = look()
    m.run()
    return m, start, look()


def _shares(labour: np.ndarray) -> np.ndarray:
    return np.bincount(labour, minlength=4) / len(labour)


def _two_sample_tolerance(p: float, n: int) -> float:
    return Z * math.sqrt(2 * p * (1 - p) / n)


def test_age_structure_follows_from_ageing_and_turnover(status_quo):
    """Ageing is deterministic: after 40 quarters everyone has had 10 birthdays, so the age
    distribution is the initial one shifted by ten years with each leaver's row restarted at
    18. Entry cohorts equal exit cohorts (persons are conserved) and Malaysia's pyramid has
    larger cohorts under 30 (0.31/12 per year) than at 50-64 (0.23/15), so the mean age rises
    by about 2.8 years: the age mean is not stationary, and cannot be while each leaver is
    replaced by one entrant of the same weight."""
    _, start, end = status_quo
    span = demography.EXIT_AGE - demography.ENTRY_AGE
    expected = demography.ENTRY_AGE + (start["age"] - demography.ENTRY_AGE + 10) % span
    assert np.array_equal(end["age"], expected)
    assert 2.0 < end["age"].mean() - start["age"].mean() < 3.5


def test_labour_force_shares_are_stationary(status_quo):
    """Unemployment among the labour force and informal work among the employed are set by the
    job flows, whose defaults balance at the initial shares (docs/ODD.md, labour submodel)."""
    _, start, end = status_quo
    for name, share, of in (("unemployed / labour force", UNEMPLOYED, lambda lab: lab != OUTSIDE),
                            ("informal / employed", INFORMAL, lambda lab: lab <= INFORMAL)):
        base = of(start["labour"])
        p0 = float(np.mean(start["labour"][base] == share))
        p40 = float(np.mean(end["labour"][of(end["labour"])] == share))
        assert abs(p40 - p0) < _two_sample_tolerance(p0, int(base.sum())), (name, p0, p40)


def test_informal_share_of_adults_is_stationary(status_quo):
    _, start, end = status_quo
    p0, p40 = _shares(start["labour"])[INFORMAL], _shares(end["labour"])[INFORMAL]
    assert abs(p40 - p0) < _two_sample_tolerance(p0, N_STATIONARY), (p0, p40)


def test_labour_shares_are_stationary_within_sex_age_and_education(status_quo):
    """Each labour status's share of adults at quarter 40 equals the one predicted from the
    quarter-0 shares within cells of sex x age band x education, reweighted to quarter 40's
    cell sizes: participation by age band is kept by the life-course moves at 30/40/50, and
    what moves the raw shares is composition (entrants are better educated than the
    65-year-olds they replace, and the age structure shifts; see the test above)."""
    _, start, end = status_quo
    cells = 2 * len(AGE_BANDS) * 4
    size0 = np.bincount(start["cell"], minlength=cells)
    size40 = np.bincount(end["cell"], minlength=cells) / N_STATIONARY
    for status in (FORMAL, INFORMAL, OUTSIDE):   # unemployment: see the test above (flows do not depend on age)
        rate0 = np.bincount(start["cell"][start["labour"] == status], minlength=cells) / np.maximum(size0, 1)
        predicted = float(rate0 @ size40)
        p40 = _shares(end["labour"])[status]
        assert abs(p40 - predicted) < _two_sample_tolerance(predicted, N_STATIONARY), (status, p40, predicted)
