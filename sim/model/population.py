"""Synthetic population of Malaysian citizens aged 18-64, built in bulk with numpy.

``build_learners`` draws every attribute of :data:`sim.model.agents.learners.POPULATION_FIELDS`
from :class:`sim.data.PopulationData` in a fixed order of vectorised steps:

1. state, urban/rural (by state), age band and age (years), sex;
2. latent ability ~ N(0, 1) and education through a Gaussian copula with ability, so the
   education shares of each (location, age band) cell are exact in expectation;
3. household income (RM/month), lognormal per (state, location, education) cell, then its
   B40/M40/T20 group and weighted fractional rank;
4. labour status (formal / informal / unemployed / outside), sector, and for formal
   employees firm size, HRD Corp levy registration and representative employer;
5. potential formal wage (RM/month, lognormal by education, age, location and ability,
   correlated with household income) and actual wage;
6. connectivity tier and computer access by (state, location, income group), digital skill
   (Beta by education and age);
7. the lasting propensity to learn (latent, standard normal).

No per-agent Python loops: the only loops run over a handful of categories. Arrays are
drawn as float32 where precision allows, so 20 million agents fit in a few GB.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from sim.model.agents.learners import POPULATION_FIELDS, Learners
from sim.data import PopulationData
from sim.model.domain import (
    AGE_BAND_EDGES, AGE_BANDS, B40, EDUCATION, FORMAL, INCOME_GROUPS, INFORMAL,
    OUTSIDE, STATES, T20, UNEMPLOYED, employer_index,
)

_F32 = np.float32


def _categorical(u: np.ndarray, probs: np.ndarray, group: np.ndarray | None = None) -> np.ndarray:
    """Category codes (int8) by inverse CDF of uniforms ``u``.

    ``probs`` is (K,) or, with ``group`` (int array of row indices), (G, K): each agent uses
    row ``group[i]``. The last category takes the remainder, so rounding never leaks.
    """
    cum = np.cumsum(np.asarray(probs, dtype=np.float64), axis=-1)[..., :-1].astype(_F32)
    out = np.zeros(u.shape, dtype=np.int8)
    for k in range(cum.shape[-1]):
        thr = cum[k] if group is None else cum[group, k]
        out += u >= thr
    return out


def sample_employer(state: np.ndarray, sector: np.ndarray, u_size: np.ndarray, u_levy: np.ndarray,
                    data: PopulationData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Employer of new formal employees, from the population's size and levy tables.

    Parameters: ``state`` and ``sector`` codes (int arrays, same shape); ``u_size`` and
    ``u_levy`` uniforms in [0, 1) supplied by the caller (keyed streams, so the same person
    draws the same employer in a scenario and its baseline).

    Returns ``(firm_size int8, levy_registered bool, employer int16)`` where firm size
    follows ``data.firm_size_shares[sector]``, levy registration has probability
    ``data.levy_probability[firm_size]`` and ``employer = employer_index(...)``.
    """
    sector = np.asarray(sector)
    firm_size = _categorical(np.asarray(u_size, dtype=_F32), data.firm_size_shares, sector.astype(np.intp))
    levy = np.asarray(u_levy, dtype=_F32) < data.levy_probability.astype(_F32)[firm_size]
    employer = employer_index(np.asarray(state).astype(np.int16), sector.astype(np.int16),
                              firm_size.astype(np.int16), levy.astype(np.int16)).astype(np.int16)
    return firm_size, levy, employer


def income_rank(income: np.ndarray) -> np.ndarray:
    """Fractional rank of ``income`` under uniform weights, float32 in (0, 1).

    Agent at sorted position k (0-based) has rank (k + 0.5) / n; tied incomes share the
    mean rank of their group. Monotone non-decreasing in income. (With uniform weights the
    weighted fractional rank equals this unweighted one.)
    """
    n = income.shape[0]
    order = np.argsort(income, kind="stable")
    srt = income[order]
    new = np.empty(n, dtype=bool)
    new[:1] = True
    np.not_equal(srt[1:], srt[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n)
    group_rank = ((starts + ends) / (2.0 * n)).astype(_F32)        # mean of (k + 0.5)/n
    del srt, starts, ends
    sizes_idx = np.cumsum(new) - 1                                 # group of each sorted position
    del new
    rank = np.empty(n, dtype=_F32)
    rank[order] = group_rank[sizes_idx]
    # float32 cannot hold 1 - 0.5/n for large n: keep strictly inside (0, 1).
    np.clip(rank, np.nextafter(_F32(0), _F32(1)), np.nextafter(_F32(1), _F32(0)), out=rank)
    return rank


def build_learners(n_agents: int, persons: float, data: PopulationData, rng: np.random.Generator) -> Learners:
    """Synthetic learners: ``n_agents`` agents standing for ``persons`` persons (uniform weights).

    ``persons`` is usually ``data.persons_18_64`` (about 20.0 million) or a scaled-down
    region. All draws come from ``rng`` in a fixed order, so the same seed gives identical
    arrays. Returns a :class:`Learners` with the dtypes of ``POPULATION_FIELDS``.
    """
    n = int(n_agents)
    if n <= 0:
        raise ValueError(f"n_agents is {n_agents!r}, must be a positive integer")
    if not persons > 0:
        raise ValueError(f"persons is {persons!r}, must be positive")

    def unif() -> np.ndarray:
        return rng.random(n, dtype=_F32)

    def normal() -> np.ndarray:
        return rng.standard_normal(n, dtype=_F32)

    weight = np.full(n, persons / n, dtype=_F32)

    # 1. Geography, age, sex --------------------------------------------------------------
    state = _categorical(unif(), data.state_shares)
    rural = unif() >= data.urban_share_by_state.astype(_F32)[state]
    band = _categorical(unif(), data.age_band_shares)
    edges = np.asarray(AGE_BAND_EDGES)
    lower = edges[:-1].astype(_F32)[band]
    width = np.diff(edges).astype(_F32)[band]
    age = (lower + np.floor(unif() * width)).astype(np.int8)
    np.minimum(age, np.int8(edges[-1] - 1), out=age)   # float32 rounding guard
    del lower, width
    female = unif() < _F32(data.female_share)

    # 2. Ability and education (Gaussian copula) ------------------------------------------
    ability = normal()
    rho = _F32(data.ability_correlation)
    latent = rho * ability + np.sqrt(_F32(1) - rho * rho) * normal()
    cum = np.cumsum(data.education_shares, axis=-1)[..., :-1]                # (l, a, K-1)
    thresholds = ndtri(np.clip(cum, 1e-12, 1 - 1e-12)).astype(_F32)
    la_cell = rural.astype(np.intp) * len(AGE_BANDS) + band
    thr = thresholds.reshape(-1, thresholds.shape[-1])
    education = np.zeros(n, dtype=np.int8)
    for k in range(thr.shape[1]):
        education += latent >= thr[la_cell, k]
    del latent, la_cell

    # 3. Household income ------------------------------------------------------------------
    z_h = normal()
    log_med = data.log_cell_median.astype(_F32)[state, rural.astype(np.intp)]
    log_med += data.income_edu_shift.astype(_F32)[rural.astype(np.intp), education]
    log_inc = log_med + _F32(data.income_sigma) * z_h
    del log_med
    household_income = np.exp(log_inc, dtype=_F32)
    del log_inc
    income_group = np.ones(n, dtype=np.int8)
    income_group[household_income < _F32(data.b40_upper)] = B40
    income_group[household_income >= _F32(data.t20_lower)] = T20
    rank = income_rank(household_income)

    # 4. Labour status, sector, employer --------------------------------------------------
    ae = band.astype(np.intp) * len(EDUCATION) + education
    p_lf = data.p_labour_force.astype(_F32).reshape(2, -1)[female.astype(np.intp), ae]
    in_lf = unif() < p_lf
    del p_lf
    unemployed = in_lf & (unif() < data.p_unemployed.astype(_F32).ravel()[ae])
    le = rural.astype(np.intp) * len(EDUCATION) + education
    informal = in_lf & ~unemployed & (unif() < data.p_informal.astype(_F32).ravel()[le])
    del ae, le
    labour = np.full(n, OUTSIDE, dtype=np.int8)
    labour[in_lf] = FORMAL
    labour[informal] = INFORMAL
    labour[unemployed] = UNEMPLOYED
    del in_lf, unemployed, informal
    sector = _categorical(unif(), data.sector_shares, rural.astype(np.intp))

    formal = labour == FORMAL
    u_size, u_levy = unif(), unif()         # drawn for all so the stream does not depend on labour
    firm_size = np.zeros(n, dtype=np.int8)
    levy_registered = np.zeros(n, dtype=bool)
    employer = np.full(n, -1, dtype=np.int16)
    fs, lv, emp = sample_employer(state[formal], sector[formal], u_size[formal], u_levy[formal], data)
    firm_size[formal], levy_registered[formal], employer[formal] = fs, lv, emp
    del u_size, u_levy, fs, lv, emp

    # 5. Wages (RM/month) ------------------------------------------------------------------
    rho_hw = _F32(data.wage_correlation)
    eps = rho_hw * z_h + np.sqrt(_F32(1) - rho_hw * rho_hw) * normal()
    del z_h
    log_w = np.log(data.wage_median_by_education.astype(_F32))[education]
    log_w += np.log(data.wage_age_factor.astype(_F32))[band]
    log_w += np.where(rural, _F32(np.log(data.wage_rural_factor)), _F32(0))
    log_w += _F32(data.wage_ability_coefficient) * ability
    log_w += _F32(data.wage_sigma) * eps
    del eps
    potential_wage = np.exp(log_w, dtype=_F32)
    del log_w
    wage = np.zeros(n, dtype=_F32)
    wage[formal] = potential_wage[formal]
    inf_mask = labour == INFORMAL
    wage[inf_mask] = potential_wage[inf_mask] * _F32(data.informal_wage_factor)
    del inf_mask, formal

    # 6. Digital access ---------------------------------------------------------------------
    lig = (state.astype(np.intp) * 2 + rural) * len(INCOME_GROUPS) + income_group   # (state, location, income group)
    p_none = data.p_no_internet.astype(_F32).ravel()[lig]
    p_fixed = (1 - p_none) * data.p_fixed_if_connected.astype(_F32).ravel()[lig]
    u = unif()
    connectivity = np.ones(n, dtype=np.int8)                 # mobile only
    connectivity[u < p_none + p_fixed] = 2                  # fixed broadband
    connectivity[u < p_none] = 0                            # no connection
    del p_none, p_fixed, u
    p_comp = data.p_computer.astype(_F32).ravel()[lig]
    p_comp[connectivity == 0] *= _F32(data.computer_factor_no_internet)
    computer = unif() < p_comp
    del p_comp, lig

    digital_skill = np.empty(n, dtype=_F32)
    cell = education.astype(np.intp) * len(AGE_BANDS) + band
    order = np.argsort(cell, kind="stable")
    counts = np.bincount(cell, minlength=len(EDUCATION) * len(AGE_BANDS))
    c = data.skill_concentration
    start = 0
    for k, m in enumerate(data.skill_mean.ravel()):
        cnt = int(counts[k])
        if cnt:
            idx = order[start:start + cnt]
            digital_skill[idx] = rng.beta(m * c, (1 - m) * c, size=cnt).astype(_F32)
            start += cnt
    del cell, order

    # 7. Lasting propensity to learn (latent, standard normal), drawn last so the attributes
    # above do not depend on it; the model scales it by behaviour.propensity_sd.
    learning_propensity = normal()

    arrays = dict(
        weight=weight, age=age, female=female, state=state, rural=rural,
        household_income_rm=household_income, income_group=income_group, income_rank=rank,
        education=education, labour=labour, sector=sector, firm_size=firm_size,
        levy_registered=levy_registered, employer=employer, wage_rm=wage,
        potential_wage_rm=potential_wage, ability=ability, connectivity=connectivity,
        computer=computer, digital_skill=digital_skill, learning_propensity=learning_propensity,
    )
    for name, dtype in POPULATION_FIELDS.items():
        assert arrays[name].dtype == dtype, (name, arrays[name].dtype, dtype)
    return Learners(**arrays)


def peer_cell(learners: Learners) -> np.ndarray:
    """Homophily cell of each learner: (state, rural, income group) as one int code."""
    return ((learners.state.astype(np.int32) * 2 + learners.rural) * len(INCOME_GROUPS)
            + learners.income_group).astype(np.int32)


def build_peer_network(learners: Learners, degree: int, homophily: float, rng: np.random.Generator) -> np.ndarray:
    """Peers of each learner: int32 array of shape (n, degree), row i = indices of i's peers.

    Each of the ``degree`` ties is drawn independently: with probability ``homophily`` a
    uniform member of the learner's own (state, rural, income group) cell other than the
    learner, otherwise a uniform member of the whole population other than the learner.
    Cells of size 1 fall back to the uniform draw. Ties are directed and may repeat.
    Expected share of within-cell ties: homophily + (1 - homophily) * sum_c n_c(n_c-1)/(n(n-1))
    (cells of size 1 aside).
    """
    n = learners.n
    if n < 2:
        raise ValueError(f"a peer network needs at least 2 learners, got {n}")
    if degree < 0:
        raise ValueError(f"degree is {degree!r}, must be >= 0")
    if not 0.0 <= homophily <= 1.0:
        raise ValueError(f"homophily is {homophily!r}, must be in [0, 1]")
    cell = peer_cell(learners)
    n_cells = len(STATES) * 2 * len(INCOME_GROUPS)
    order = np.argsort(cell, kind="stable").astype(np.int32)       # members sorted by cell
    counts = np.bincount(cell, minlength=n_cells)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    # int32 throughout (n < 2**31): at national scale every int64 temporary here is 160 MB.
    pos = np.empty(n, dtype=np.int32)
    pos[order] = np.arange(n, dtype=np.int32)
    own_start = starts.astype(np.int32)[cell]
    own_size = counts.astype(np.int32)[cell]
    within_pos = pos - own_start                                     # own position in the cell
    del pos
    can_within = own_size >= 2
    me = np.arange(n, dtype=np.int32)
    peers = np.empty((n, degree), dtype=np.int32)
    for j in range(degree):
        within = (rng.random(n, dtype=_F32) < _F32(homophily)) & can_within
        out = rng.integers(0, n - 1, size=n, dtype=np.int64)         # uniform over others
        out += out >= me
        w = np.flatnonzero(within)
        off = rng.integers(0, own_size[w] - 1, dtype=np.int64)      # uniform over cell minus self
        off += off >= within_pos[w]
        out[w] = order[own_start[w] + off]
        peers[:, j] = out
    return peers


__all__ = ["build_learners", "build_peer_network", "income_rank", "peer_cell", "sample_employer"]
