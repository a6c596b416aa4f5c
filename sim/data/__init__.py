"""Calibration data shipped with the simulator, loaded into plain numpy arrays.

``load_population_data()`` reads ``sim/data/malaysia_population.yaml``, checks it (every
figure sourced or a documented assumption; shares sum to one; probabilities in [0, 1];
medians positive) and solves the few calibration constants that the file implies rather
than states (income scale and dispersion, labour-force intercepts, connectivity
intercepts). Problems raise :class:`DataError` with a one-line message naming the file,
the key path, the value and what is allowed.

Array axes use the code order of :mod:`sim.model.domain`: state (16), location (0 urban,
1 rural), age band (4), sex (0 male, 1 female), education (4), income group (3),
sector (4), firm size (4).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
from scipy.special import expit, ndtr

from sim.model.domain import AGE_BANDS, EDUCATION, FIRM_SIZES, INCOME_GROUPS, LOCATIONS, SECTORS, STATES

DATA_DIR = Path(__file__).resolve().parent
SHARE_TOL = 1e-6


class DataError(ValueError):
    """A calibration data file is missing a key or holds a value that is not allowed."""


@dataclass(frozen=True)
class PopulationData:
    """Calibration inputs of the synthetic population (all plain floats and numpy arrays).

    Shares are shares of persons aged 18-64; incomes and wages RM per month.
    """

    file: str
    persons_18_64: float                 # persons (not millions)
    female_share: float
    age_band_shares: np.ndarray          # (age band,)
    state_shares: np.ndarray             # (state,)
    urban_share_by_state: np.ndarray     # (state,)
    # Household income (RM/month): log y = log_cell_median[s, l] + income_edu_shift[l, e] + sigma z
    income_median: float
    income_mean: float
    b40_upper: float
    t20_lower: float
    state_income_median: np.ndarray      # (state,) DOSM 2022
    rural_urban_ratio: float             # national rural/urban median ratio (DOSM 2019)
    rural_urban_ratio_within_state: float  # solved so the national ratio is reproduced
    income_scale: float                  # common factor k on the state medians (solved)
    income_sigma: float                  # within-cell log sd (solved)
    log_cell_median: np.ndarray          # (state, location) log RM
    income_edu_shift: np.ndarray         # (location, education) log factor, centred per location
    wage_correlation: float
    # Education and ability
    education_shares: np.ndarray         # (location, age band, education)
    ability_correlation: float
    # Labour
    lfpr: float
    female_lfpr: float
    p_labour_force: np.ndarray           # (sex, age band, education)
    unemployment_rate: float
    p_unemployed: np.ndarray             # (age band, education), among the labour force
    informal_share: float
    p_informal: np.ndarray               # (location, education), among the employed
    sector_shares: np.ndarray            # (location, sector)
    firm_size_shares: np.ndarray         # (sector, firm size), among formal employees
    levy_probability: np.ndarray         # (firm size,)
    levy_coverage_target: float
    levy_coverage_implied: float
    # Wages (own earnings, RM/month)
    wage_median_by_education: np.ndarray  # (education,) formal, urban, age 30-39
    wage_age_factor: np.ndarray          # (age band,)
    wage_rural_factor: float
    wage_ability_coefficient: float
    wage_sigma: float
    informal_wage_factor: float
    # Digital
    internet_by_location: np.ndarray     # (location,) household share with internet
    fixed_broadband: float               # household share with fixed broadband
    internet_by_state: np.ndarray        # (state,) household share with internet, rescaled to the national figure
    fixed_broadband_by_state: np.ndarray  # (state,) household share with fixed broadband, rescaled likewise
    computer_by_state: np.ndarray        # (state,) household computer access as in the file (shifts p_computer)
    p_no_internet: np.ndarray            # (state, location, income group)
    p_fixed_if_connected: np.ndarray     # (state, location, income group)
    p_computer: np.ndarray               # (state, location, income group)
    computer_factor_no_internet: float
    skill_mean: np.ndarray               # (education, age band), Beta mean in (0, 1)
    skill_concentration: float
    # Expected marginals implied by the file (for tests and reports)
    expected_urban_share: float
    expected_education_shares: np.ndarray       # (education,)
    expected_income_group_shares: np.ndarray    # (income group,)
    income_group_by_location: np.ndarray        # (location, income group), rows sum to 1
    expected_computer_by_state: np.ndarray      # (state,) expected share of adults with a computer
    public_universities_by_state: np.ndarray    # (state,) main campuses (home states of public universities)

    def state_names(self) -> tuple[str, ...]:
        return STATES


def load_population_data(name: str = "malaysia_population", path: str | Path | None = None) -> PopulationData:
    """Load and validate a population data file.

    ``name`` is a file in ``sim/data`` without the ``.yaml`` suffix; ``path`` (if given)
    overrides it with an explicit file. Raises :class:`DataError` on any invalid content.
    """
    from sim.inputs import InputError, load_yaml

    p = Path(path) if path is not None else DATA_DIR / f"{name}.yaml"
    fname = p.name
    if not p.is_file():
        raise DataError(f"{fname}: file not found at {p}")
    try:
        raw = load_yaml(p, "population data file", "start from a copy of sim/data/malaysia_population.yaml")
    except InputError as exc:
        raise DataError(str(exc)) from None
    if not isinstance(raw, dict):
        raise DataError(f"{fname}: top level must be a mapping of sections")
    return _Reader(fname, raw).build()


# --------------------------------------------------------------------------------------
class _Reader:
    def __init__(self, fname: str, raw: dict):
        self.fname = fname
        self.raw = raw

    # ---- errors and raw access -------------------------------------------------------
    def fail(self, key: str, msg: str) -> None:
        raise DataError(f"{self.fname}: {key} {msg}")

    def node(self, key: str):
        cur = self.raw
        for part in key.split("."):
            if not isinstance(cur, dict) or part not in cur:
                self.fail(key, "is missing")
            cur = cur[part]
        return cur

    def figure(self, key: str):
        """The ``value`` of a figure, after checking it carries its provenance."""
        fig = self.node(key)
        if not isinstance(fig, dict) or "value" not in fig:
            self.fail(key, "must be a mapping with 'value' and 'source' or 'assumption'")
        if "source" in fig:
            if not str(fig["source"]).strip():
                self.fail(f"{key}.source", "is empty, must name a publication")
        elif fig.get("assumption") is True:
            rng = fig.get("range")
            if not (isinstance(rng, list) and len(rng) == 2 and all(isinstance(v, (int, float)) for v in rng)
                    and rng[0] <= rng[1]):
                self.fail(f"{key}.range", f"is {rng!r}, must be [lo, hi] with lo <= hi")
            if not str(fig.get("why", "")).strip():
                self.fail(f"{key}.why", "is missing, an assumption needs a one-line reason")
        else:
            self.fail(key, "has neither 'source' nor 'assumption: true'")
        return fig["value"]

    # ---- typed getters ---------------------------------------------------------------
    def number(self, key: str, lo: float = -math.inf, hi: float = math.inf, what: str = "") -> float:
        v = self.figure(key)
        return self._check_number(key, v, lo, hi, what)

    def _check_number(self, key, v, lo, hi, what=""):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            self.fail(key, f"is {v!r}, must be a finite number")
        if not lo <= v <= hi:
            allowed = what or f"must be in [{lo:g}, {hi:g}]"
            self.fail(key, f"is {v!r}, {allowed}")
        return float(v)

    def prob(self, key: str) -> float:
        return self.number(key, 0.0, 1.0, "must be a probability in [0, 1]")

    def positive(self, key: str) -> float:
        v = self.number(key)
        if v <= 0:
            self.fail(key, f"is {v!r}, must be positive")
        return v

    def vector(self, key: str, labels, value=None, lo=-math.inf, hi=math.inf, what="") -> np.ndarray:
        """A mapping keyed by ``labels`` (or a list in label order) as a float array."""
        v = self.figure(key) if value is None else value
        if isinstance(v, dict):
            missing = [lab for lab in labels if lab not in v]
            extra = [k for k in v if k not in labels]
            if missing or extra:
                self.fail(key, f"has keys {sorted(v)}, must have exactly {list(labels)}")
            items = [(f"{key}.{lab}", v[lab]) for lab in labels]
        elif isinstance(v, list):
            if len(v) != len(labels):
                self.fail(key, f"has {len(v)} entries, must have {len(labels)} ({', '.join(labels)})")
            items = [(f"{key}[{i}]", x) for i, x in enumerate(v)]
        else:
            self.fail(key, f"is {v!r}, must be a mapping or list over {list(labels)}")
        return np.array([self._check_number(k, x, lo, hi, what) for k, x in items])

    def shares(self, key: str, labels, value=None) -> np.ndarray:
        arr = self.vector(key, labels, value, 0.0, 1.0, "must be a share in [0, 1]")
        self.check_sum(key, arr)
        return arr

    def check_sum(self, key: str, arr: np.ndarray) -> None:
        s = float(arr.sum())
        if abs(s - 1.0) > SHARE_TOL:
            self.fail(key, f"sum to {s:.4f}, must sum to 1")

    def per_state(self, key: str, lo=-math.inf, hi=math.inf, what="") -> np.ndarray:
        """One figure per state (each with its own provenance), in STATES order."""
        block = self.node(key)
        if not isinstance(block, dict):
            self.fail(key, "must be a mapping of state name to figure")
        extra = [k for k in block if k not in STATES]
        if extra:
            self.fail(key, f"has unknown state {extra[0]!r}, allowed: {', '.join(STATES)}")
        return np.array([self.number(f"{key}.{s}", lo, hi, what) for s in STATES])

    def table(self, key: str, row_labels, col_labels, shares=False, lo=-math.inf, hi=math.inf, what=""):
        v = self.figure(key)
        if not isinstance(v, dict):
            self.fail(key, f"must be a mapping over {list(row_labels)}")
        missing = [r for r in row_labels if r not in v]
        if missing:
            self.fail(f"{key}.{missing[0]}", "is missing")
        rows = []
        for r in row_labels:
            if shares:
                rows.append(self.shares(f"{key}.{r}", col_labels, v[r]))
            else:
                rows.append(self.vector(f"{key}.{r}", col_labels, v[r], lo, hi, what))
        return np.stack(rows)

    # ---- assembly --------------------------------------------------------------------
    def build(self) -> PopulationData:
        P = "must be a probability in [0, 1]"
        # Population
        citizens = self.positive("population.citizens_2024")
        wa = self.prob("population.working_age_share_2024")
        s1517 = self.prob("population.share_15_17")
        persons_m = self.positive("population.persons_18_64")
        derived = citizens * (wa - s1517)
        if abs(derived - persons_m) > 0.01:
            self.fail("population.persons_18_64", f"is {persons_m!r}, must equal citizens x (working-age share - share 15-17) = {derived:.3f}")
        female = self.prob("population.female_share")
        ages = self.shares("population.age_band_shares", AGE_BANDS)
        states = self.per_state("state_shares", 0.0, 1.0, "must be a share in [0, 1]")
        self.check_sum("state_shares", states)
        urban = self.per_state("urban_share_by_state", 0.0, 1.0, P)

        # Education and joint weights over (state, location, age band, education)
        edu = self._edu_table()                                            # (l, a, e)
        rho_ab = self.number("education.ability_correlation", -0.99, 0.99, "must be in [-0.99, 0.99]")
        self.prob("education.graduates_share_15plus_2023")
        self.prob("education.graduates_degree_share_2023")
        loc = np.stack([urban, 1.0 - urban], axis=1)                      # (s, l)
        w_sla = states[:, None, None] * loc[:, :, None] * ages[None, None, :]
        w_slae = w_sla[..., None] * edu[None]                             # (s, l, a, e)
        exp_urban = float(loc[:, 0] @ states)
        exp_edu = w_slae.sum(axis=(0, 1, 2))

        # Household income
        hi = "household_income"
        med = self.positive(f"{hi}.median_2022")
        mean = self.positive(f"{hi}.mean_2022")
        if mean <= med:
            self.fail(f"{hi}.mean_2022", f"is {mean!r}, must exceed the median {med!r} (right-skewed income)")
        b40 = self.positive(f"{hi}.b40_upper")
        t20 = self.positive(f"{hi}.t20_lower")
        if t20 <= b40:
            self.fail(f"{hi}.t20_lower", f"is {t20!r}, must exceed b40_upper {b40!r}")
        smed = self.per_state(f"{hi}.median_by_state_2022", 1e-9, math.inf, "must be a positive median")
        mu_u = self.positive(f"{hi}.median_urban_2019")
        mu_r = self.positive(f"{hi}.median_rural_2019")
        ratio = mu_r / mu_u
        f_edu = self.vector(f"{hi}.education_log_factor", EDUCATION)
        rho_hw = self.number(f"{hi}.wage_correlation", -0.99, 0.99, "must be in [-0.99, 0.99]")
        edu_loc = w_slae.sum(axis=(0, 2))                                   # (l, e)
        edu_loc = edu_loc / np.maximum(edu_loc.sum(axis=1, keepdims=True), 1e-300)
        shift = f_edu[None, :] - (edu_loc @ f_edu)[:, None]                 # (l, e)
        w_sle = w_slae.sum(axis=2)                                          # (s, l, e)

        def cell_log_median(r_w):
            # Keep each state's log-median: urban median M_u = m / r_w^(1-u), rural r_w M_u.
            m_u = smed / r_w ** (1.0 - urban)
            return np.log(np.stack([m_u, m_u * r_w], axis=1))                # (s, l)

        # The within-state rural/urban ratio r_w is solved (with k and sigma, alternating)
        # so the NATIONAL rural/urban median ratio equals the 2019 ratio; part of the
        # national gap is composition (rural people live in poorer states).
        r_w, sigma = ratio, 0.5
        for _ in range(4):
            r_w = _solve_monotone(
                lambda r: self._location_median_ratio(w_sle, cell_log_median(r)[:, :, None] + shift[None], sigma) - ratio,
                0.05, 1.0)
            log_m = cell_log_median(r_w)
            mu_sle = log_m[:, :, None] + shift[None, :, :]
            log_k, sigma = self._solve_income(w_sle, mu_sle, med, mean)
        mu_sle = mu_sle + log_k
        # Income group shares, exactly, from the mixture
        z_b = (math.log(b40) - mu_sle) / sigma
        z_t = (math.log(t20) - mu_sle) / sigma
        p_ig_sle = np.stack([ndtr(z_b), ndtr(z_t) - ndtr(z_b), 1.0 - ndtr(z_t)], axis=-1)
        w_l_ig = (w_sle[..., None] * p_ig_sle).sum(axis=(0, 2))            # (l, ig)
        exp_ig = w_l_ig.sum(axis=0)
        ig_by_loc = w_l_ig / w_l_ig.sum(axis=1, keepdims=True)

        # Labour force participation: logistic(alpha[sex] + age effect + education effect)
        lb = "labour"
        lfpr = self.prob(f"{lb}.lfpr_2024")
        f_lfpr = self.prob(f"{lb}.female_lfpr")
        m_lfpr = (lfpr - female * f_lfpr) / (1.0 - female)
        if not 0.0 < m_lfpr < 1.0:
            self.fail(f"{lb}.female_lfpr", f"is {f_lfpr!r}, implies a male LFPR of {m_lfpr:.3f}, must be in (0, 1)")
        la = self.vector(f"{lb}.lfpr_logit_by_age_band", AGE_BANDS)
        le = self.vector(f"{lb}.lfpr_logit_by_education", EDUCATION)
        w_ae = w_slae.sum(axis=(0, 1))                                      # (a, e), same for both sexes
        lin = la[:, None] + le[None, :]
        alpha = [_solve_monotone(lambda a: float((w_ae * expit(a + lin)).sum()) - t, -20, 20)
                 for t in (m_lfpr, f_lfpr)]
        p_lf = expit(np.array(alpha)[:, None, None] + lin[None])            # (x, a, e)
        sex_w = np.array([1.0 - female, female])
        # Unemployment among the labour force: scale x rr_age x rr_edu
        urate = self.prob(f"{lb}.unemployment_rate_2024")
        rr_a = self.vector(f"{lb}.unemployment_relative_risk_by_age_band", AGE_BANDS, lo=0.0, what="must be a relative risk >= 0")
        rr_e = self.vector(f"{lb}.unemployment_relative_risk_by_education", EDUCATION, lo=0.0, what="must be a relative risk >= 0")
        w_lf_ae = (sex_w[:, None, None] * p_lf).sum(axis=0) * w_ae          # (a, e)
        rr = rr_a[:, None] * rr_e[None, :]
        p_u = urate * w_lf_ae.sum() / (w_lf_ae * rr).sum() * rr
        if p_u.max() > 1:
            self.fail(f"{lb}.unemployment_relative_risk_by_age_band", f"implies an unemployment probability {p_u.max():.3f}, must be <= 1")
        # Informality among the employed: scale x rr_edu x rr_rural^rural
        inf = self.prob(f"{lb}.informal_share_of_employed_2023")
        ri_e = self.vector(f"{lb}.informal_relative_risk_by_education", EDUCATION, lo=0.0, what="must be a relative risk >= 0")
        ri_r = self.number(f"{lb}.informal_relative_risk_rural", 0.0, what="must be a relative risk >= 0")
        p_lf_ae = (sex_w[:, None, None] * p_lf).sum(axis=0)                 # (a, e)
        w_emp_lae = w_slae.sum(axis=0) * p_lf_ae[None] * (1.0 - p_u)[None]  # (l, a, e)
        w_emp_le = w_emp_lae.sum(axis=1)
        ri = np.array([1.0, ri_r])[:, None] * ri_e[None, :]                 # (l, e)
        p_inf = inf * w_emp_le.sum() / (w_emp_le * ri).sum() * ri
        if p_inf.max() > 1:
            self.fail(f"{lb}.informal_relative_risk_by_education", f"implies an informality probability {p_inf.max():.3f}, must be <= 1")
        sectors = self.table(f"{lb}.sector_shares_by_location", LOCATIONS, SECTORS, shares=True)
        self.shares(f"{lb}.sector_shares_employed_2024", SECTORS)
        sizes = self.table(f"{lb}.firm_size_shares_by_sector", SECTORS, FIRM_SIZES, shares=True)
        levy = self.vector(f"{lb}.levy_probability_by_firm_size", FIRM_SIZES, lo=0.0, hi=1.0, what=P)
        self.positive(f"{lb}.hrdcorp_covered_employees_2022")
        self.positive(f"{lb}.formal_employees_2024")
        cov_target = self.prob(f"{lb}.levy_coverage_of_formal")
        w_formal_l = (w_emp_le * (1.0 - p_inf)).sum(axis=1)                 # (l,)
        sector_formal = w_formal_l @ sectors
        cov = float(sector_formal @ (sizes @ levy) / sector_formal.sum())
        if abs(cov - cov_target) > 0.02:
            self.fail(f"{lb}.levy_probability_by_firm_size", f"implies levy coverage {cov:.3f} of formal employees, must be within 0.02 of {cov_target}")

        # Wages
        wg = "wages"
        self.positive(f"{wg}.median_2023")
        self.positive(f"{wg}.mean_2023")
        wmed = self.vector(f"{wg}.formal_median_by_education", EDUCATION, lo=1e-9, what="must be a positive median")
        wage_age = self.vector(f"{wg}.age_factor", AGE_BANDS, lo=1e-9, what="must be a positive factor")
        wage_rural = self.positive(f"{wg}.rural_factor")
        wage_ab = self.number(f"{wg}.ability_coefficient")
        wage_sigma = self.number(f"{wg}.sigma", 0.0, 3.0, "must be a log sd in [0, 3]")
        inf_wage = self.positive(f"{wg}.informal_factor")

        # Digital access
        dg = "digital"
        internet = self.vector(f"{dg}.household_internet_by_location_2024", LOCATIONS, lo=0.0, hi=1.0, what=P)
        fixed = self.prob(f"{dg}.household_fixed_broadband_2023")
        self.prob(f"{dg}.household_computer_2023")
        net_s = self.per_state(f"{dg}.household_internet_by_state_2024", 0.0, 1.0, P)
        fix_s = self.per_state(f"{dg}.household_fixed_broadband_by_state_2023", 0.0, 1.0, P)
        comp_s = self.per_state(f"{dg}.household_computer_by_state_2023", 0.01, 0.99, "must be in [0.01, 0.99]")
        self.figure(f"{dg}.jendela_fibre_premises_2021")
        off_none = self.vector(f"{dg}.no_internet_logit_by_income_group", INCOME_GROUPS)
        fl = self.vector(f"{dg}.fixed_logit_by_location", LOCATIONS)
        fi = self.vector(f"{dg}.fixed_logit_by_income_group", INCOME_GROUPS)
        p_comp_l = self.table(f"{dg}.computer_probability", LOCATIONS, INCOME_GROUPS, lo=0.0, hi=1.0, what=P)
        comp_f = self.prob(f"{dg}.computer_factor_no_internet")
        w_s_l_ig = (w_sle[..., None] * p_ig_sle).sum(axis=2)               # (s, l, ig)
        w_s_l_ig = w_s_l_ig / w_s_l_ig.sum()
        p_none, p_fixed, p_comp, net_s, fix_s, exp_comp_s = _state_digital(
            w_s_l_ig, internet, fixed, net_s, fix_s, comp_s, off_none, fl, fi, p_comp_l, comp_f)
        unis = self._state_counts("providers.public_universities_by_state")
        sk_e = self.vector(f"{dg}.digital_skill_mean_by_education", EDUCATION, lo=0.0, hi=1.0, what="must be in [0, 1]")
        sk_a = self.vector(f"{dg}.digital_skill_shift_by_age_band", AGE_BANDS, lo=-1.0, hi=1.0, what="must be in [-1, 1]")
        sk_c = self.positive(f"{dg}.digital_skill_concentration")
        skill_mean = np.clip(sk_e[:, None] + sk_a[None, :], 0.02, 0.98)

        return PopulationData(
            file=self.fname, persons_18_64=persons_m * 1e6, female_share=female, age_band_shares=ages,
            state_shares=states, urban_share_by_state=urban,
            income_median=med, income_mean=mean, b40_upper=b40, t20_lower=t20, state_income_median=smed,
            rural_urban_ratio=ratio, rural_urban_ratio_within_state=r_w, income_scale=math.exp(log_k), income_sigma=sigma,
            log_cell_median=log_m + log_k, income_edu_shift=shift, wage_correlation=rho_hw,
            education_shares=edu, ability_correlation=rho_ab,
            lfpr=lfpr, female_lfpr=f_lfpr, p_labour_force=p_lf, unemployment_rate=urate, p_unemployed=p_u,
            informal_share=inf, p_informal=p_inf, sector_shares=sectors, firm_size_shares=sizes,
            levy_probability=levy, levy_coverage_target=cov_target, levy_coverage_implied=cov,
            wage_median_by_education=wmed, wage_age_factor=wage_age, wage_rural_factor=wage_rural,
            wage_ability_coefficient=wage_ab, wage_sigma=wage_sigma, informal_wage_factor=inf_wage,
            internet_by_location=internet, fixed_broadband=fixed, internet_by_state=net_s,
            fixed_broadband_by_state=fix_s, computer_by_state=comp_s, p_no_internet=p_none,
            p_fixed_if_connected=p_fixed, p_computer=p_comp, computer_factor_no_internet=comp_f,
            skill_mean=skill_mean, skill_concentration=sk_c,
            expected_urban_share=exp_urban, expected_education_shares=exp_edu,
            expected_income_group_shares=exp_ig, income_group_by_location=ig_by_loc,
            expected_computer_by_state=exp_comp_s, public_universities_by_state=unis,
        )

    def _state_counts(self, key: str) -> np.ndarray:
        """A mapping of every state to a count >= 0 (one figure with its provenance)."""
        v = self.figure(key)
        if not isinstance(v, dict) or sorted(v) != sorted(STATES):
            self.fail(key, f"must map exactly the states {', '.join(STATES)} to counts")
        counts = self.vector(key, STATES, v, 0.0, math.inf, "must be a count >= 0")
        if counts.sum() <= 0:
            self.fail(key, "sum to 0, must name at least one campus")
        return counts

    def _edu_table(self) -> np.ndarray:
        key = "education.shares_by_age_band"
        v = self.figure(key)
        if not isinstance(v, dict):
            self.fail(key, f"must be a mapping over {list(LOCATIONS)}")
        out = np.zeros((2, len(AGE_BANDS), len(EDUCATION)))
        for li, lname in enumerate(LOCATIONS):
            if lname not in v or not isinstance(v[lname], dict):
                self.fail(f"{key}.{lname}", f"is missing, must map {list(AGE_BANDS)} to shares")
            for ai, band in enumerate(AGE_BANDS):
                if band not in v[lname]:
                    self.fail(f"{key}.{lname}.{band}", "is missing")
                out[li, ai] = self.shares(f"{key}.{lname}.{band}", EDUCATION, v[lname][band])
        return out

    @staticmethod
    def _location_median_ratio(w, mu, sigma) -> float:
        """Rural median / urban median of the income mixture (w, mu: (s, l, e))."""
        med = []
        for l in range(2):
            wl = w[:, l] / w[:, l].sum()
            med.append(_solve_monotone(lambda x: float((wl * ndtr((x - mu[:, l]) / sigma)).sum()) - 0.5, 0.0, 15.0, 60))
        return math.exp(med[1] - med[0])

    def _solve_income(self, w, mu, median, mean) -> tuple[float, float]:
        """Common log-scale k and within-cell sigma giving the mixture's median and mean."""
        w = w / w.sum()
        lm, lmean = math.log(median), math.log(mean)

        def log_k_for(sigma):  # mixture CDF at the median = 0.5
            return _solve_monotone(lambda k: 0.5 - float((w * ndtr((lm - mu - k) / sigma)).sum()), -5, 5)

        def mean_gap(sigma):
            k = log_k_for(sigma)
            return math.log(float((w * np.exp(mu + k)).sum())) + sigma * sigma / 2 - lmean

        lo, hi = 0.02, 2.0
        if mean_gap(lo) > 0:
            self.fail("household_income.mean_2022",
                      f"is {mean!r}, too close to the median for the between-state and education spread in the file")
        sigma = _solve_monotone(mean_gap, lo, hi)
        return log_k_for(sigma), sigma


def _state_digital(w, internet_l, fixed, net_s, fix_s, comp_s, off_none, fl, fi, p_comp_l, comp_f):
    """Connectivity and computer probabilities by (state, location, income group).

    ``w`` is the joint weight of (state, location, income group), summing to 1. The state
    figures are first rescaled so their population-weighted means equal the national figures
    the calibration uses (the urban/rural internet rates, the fixed-broadband share, the
    national computer share implied by ``p_comp_l``): the no-internet shares and the fixed
    shares multiplicatively, computers through a common logit offset. Then

    - P(no internet | s, l, ig) = logistic(a[l] + off_none[ig] + d[s]), a and d solved
      alternately (raking) so both the location rates and the state rates hold;
    - P(fixed | connected, s, l, ig) = logistic(fl[l] + fi[ig] + e[s]), e solved per state;
    - P(computer | s, l, ig) = logistic(logit p_comp_l[l, ig] + g[s]), g[s] solved so the
      state's expected share of adults with a computer is the national share (implied by
      ``p_comp_l``) times the state's household figure over the national household figure
      (capped at 0.99): the state's own income and urban mix is not counted twice.

    Returns (p_none, p_fixed, p_comp, internet_s, fixed_s, expected_computer_s)."""
    w_s = w.sum(axis=(1, 2))
    w_l = w.sum(axis=(0, 2))
    none_nat = float(w_l @ (1.0 - internet_l))
    none_s = (1.0 - net_s) * none_nat / float(w_s @ (1.0 - net_s))
    if none_s.max() >= 1:
        raise DataError("digital.household_internet_by_state_2024: rescaled to the national figure, a state has no internet at all")
    fix_s = fix_s * fixed / float(w_s @ fix_s)
    a = np.zeros(2)
    d = np.zeros(len(w_s))
    for _ in range(25):
        for s_ in range(len(w_s)):
            ws = w[s_] / w[s_].sum()
            d[s_] = _solve_monotone(lambda x: float((ws * expit(a[:, None] + off_none[None, :] + x)).sum()) - none_s[s_],
                                    -40, 40)
        for l in range(2):
            wl = w[:, l] / w[:, l].sum()
            a[l] = _solve_monotone(lambda x: float((wl * expit(x + off_none[None, :] + d[:, None])).sum())
                                   - (1.0 - internet_l[l]), -40, 40)
    p_none = expit(a[None, :, None] + off_none[None, None, :] + d[:, None, None])        # (s, l, ig)
    base = fl[:, None] + fi[None, :]
    e = np.array([
        _solve_monotone(lambda x, s_=s_: float((w[s_] * (1 - p_none[s_]) * expit(base + x)).sum() / w[s_].sum())
                        - min(fix_s[s_], float((w[s_] * (1 - p_none[s_])).sum() / w[s_].sum()) - 1e-9), -40, 40)
        for s_ in range(len(w_s))])
    p_fixed = expit(base[None] + e[:, None, None])
    have = 1.0 - p_none * (1.0 - comp_f)               # computer factor for those without internet
    clipped = np.clip(p_comp_l, 1e-9, 1 - 1e-9)
    logit_l = np.log(clipped / (1 - clipped))
    comp_nat_hh = float(w_s @ comp_s)
    national = float((w * p_comp_l[None] * have).sum())
    target = np.minimum(national * comp_s / comp_nat_hh, 0.99)     # the state's gap as a ratio to the nation
    g = np.array([
        _solve_monotone(lambda x, s_=s_: float((w[s_] * expit(logit_l + x) * have[s_]).sum() / w[s_].sum()) - target[s_],
                        -30, 30)
        for s_ in range(len(w_s))])
    p_comp = expit(logit_l[None] + g[:, None, None])
    exp_comp_s = (w * p_comp * have).sum(axis=(1, 2)) / w_s
    return p_none, p_fixed, p_comp, 1.0 - none_s, fix_s, exp_comp_s


def _solve_monotone(f, lo: float, hi: float, iters: int = 100) -> float:
    """Root of an increasing function on [lo, hi] by bisection (clamped to the ends)."""
    flo = f(lo)
    if flo >= 0:
        return lo
    if f(hi) <= 0:
        return hi
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def population_data(name_or_path: str) -> PopulationData:
    """Population data by name (a file in ``sim/data``) or by path to a YAML file, as the
    ``population.data`` config key allows. Loaded once per file version (path, mtime)."""
    if str(name_or_path).endswith((".yaml", ".yml")) or "/" in str(name_or_path):
        path = Path(name_or_path)
        if not path.is_file():
            raise DataError(f"population.data={name_or_path!r}: no such data file")
    else:
        path = DATA_DIR / f"{name_or_path}.yaml"
        if not path.is_file():
            names = sorted(p.stem for p in DATA_DIR.glob("*.yaml"))
            raise DataError(f"population.data={name_or_path!r} is not a known data file: "
                            f"available are {', '.join(names)}")
    path = path.resolve()
    return _cached_load(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _cached_load(path: str, mtime_ns: int) -> PopulationData:
    del mtime_ns  # part of the cache key only: an edited file is loaded again
    return disk_cached_load(Path(path))


# --------------------------------------------------------------------------- disk cache
# Solving a data file's calibration constants takes about half a second, paid by every new
# process (each `mcsim run`, each worker). The solved figures are kept on disk, keyed by the
# SHA-256 of the data file and of this module's source (the solver), as a numpy .npz read
# without pickle (data, never code). MCSIM_CACHE_DIR chooses the folder (default: the user's
# cache folder, ~/.cache/mcsim); MCSIM_CACHE_DIR=off turns the cache off.

def cache_dir() -> Path | None:
    """The folder of mcsim's on-disk caches, or None when turned off."""
    import os

    chosen = os.environ.get("MCSIM_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "none", "0") else Path(chosen)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mcsim"


def _cache_key(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256(path.read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:32]


def disk_cached_load(path: Path) -> PopulationData:
    """:func:`load_population_data` of ``path`` through the disk cache (same numbers: the
    arrays and floats are stored exactly)."""
    folder = cache_dir()
    if folder is None:
        return load_population_data(path=path)
    key = _cache_key(path)
    file = folder / f"population-{key}.npz"
    names = [f.name for f in fields(PopulationData)]
    try:
        with np.load(file, allow_pickle=False) as stored:
            values = {name: stored["f_" + name] for name in names}
        return PopulationData(**{name: _restore(PopulationData.__dataclass_fields__[name].type, value)
                                 for name, value in values.items()})
    except (OSError, KeyError, ValueError, TypeError):
        pass    # not cached yet, or unreadable: solve and (try to) store
    data = load_population_data(path=path)
    try:
        import os
        import tempfile

        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".npz", delete=False) as tmp:
            np.savez(tmp, **{"f_" + name: np.asarray(getattr(data, name)) for name in names})
        os.replace(tmp.name, file)    # atomic: a parallel worker reads a whole file or none
    except OSError:
        pass    # a read-only home: run without the cache
    return data


def _restore(annotation: str, value: np.ndarray):
    if annotation == "str":
        return str(value)
    if annotation == "float":
        return float(value)
    return value
