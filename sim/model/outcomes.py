"""Outcomes of a run, weighted by persons: the per-quarter record (for the time series) and
the end-of-run summary. Statistics come from the pure functions in ``sim.metrics``; this
module only decides which learners and groups they are applied to.
"""

from __future__ import annotations

import numpy as np

from sim import metrics
from sim.model.domain import (
    AGE_BANDS, CONNECTIVITY, COURSE_TYPES, EDUCATION, FIRM_SIZES, FORMAL, INCOME_GROUPS, INFORMAL,
    LABOUR, LOCATIONS, SEXES, STATES, age_band,
)
from sim.model.policy import LEVER_NAMES

T20, B40 = 2, 0


class PersonCounter:
    """Persons in a subset of learners, fast: the quarter's record needs a dozen such sums over
    the whole population every quarter.

    mcsim's populations give every agent the same float32 weight ``w``. Then a weighted sum
    over c agents is exactly ``c * w`` in float64 (24-bit mantissa times c < 2**29 needs at
    most 53 bits), so counting booleans gives bit-for-bit the result of the weighted sum, in
    any summation order, without float64 copies of whole-population arrays. Unequal weights
    fall back to the weighted sum.
    """

    def __init__(self, weight: np.ndarray) -> None:
        self.uniform = len(weight) > 0 and bool(weight.min() == weight.max())
        self.w = float(weight[0]) if self.uniform else None
        self.weight = weight
        self.total = self.persons(np.ones(len(weight), dtype=bool))

    def persons(self, mask: np.ndarray) -> float:
        """Persons among learners where ``mask`` is true (float64)."""
        if self.uniform:
            return np.count_nonzero(mask) * self.w
        return float(self.weight[mask].sum(dtype=np.float64))

    def rates(self, y: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
        """Person-weighted mean of boolean ``y`` within each group mask (NaN for empty groups)."""
        num = np.array([self.persons(y & g) for g in groups])
        den = np.array([self.persons(g) for g in groups])
        with np.errstate(invalid="ignore", divide="ignore"):
            return num / den


# Per-person arrays kept for paired (baseline vs scenario) counterfactuals.
LEARNER_OUTCOME_FIELDS = ("weight", "income_group", "rural", "female", "education", "state", "ever_enrolled",
                          "first_enrolled_quarter", "first_completed_quarter", "enrolments",
                          "completions", "ever_subsidised", "subsidy_rm", "credentials",
                          "recognised_credentials")


def departed_record(model, rows: np.ndarray) -> dict[str, np.ndarray]:
    """The outcome arrays of the persons about to leave ``rows`` (turned 65), so that their
    subsidies, enrolments and completions still count in per-person totals after their rows
    pass to entrants."""
    L = model.learners
    record = {name: np.asarray(getattr(L, name))[rows].copy() for name in LEARNER_OUTCOME_FIELDS}
    record["initial_labour"] = model.initial_labour[rows].astype(np.int8)
    return record


def person_records(model) -> dict[str, np.ndarray]:
    """Per-person outcome arrays of everyone who lived in the run: the final population (one row
    per agent, in row order) followed by those who left, in the order they left. ``present``
    tells them apart. Turnover is the same in a scenario and its paired baseline (keyed draws,
    ages), so both runs list the same persons in the same order."""
    L = model.learners
    parts = [{**{name: np.asarray(getattr(L, name)).copy() for name in LEARNER_OUTCOME_FIELDS},
              "initial_labour": model.initial_labour.astype(np.int8), "present": np.ones(L.n, dtype=bool)}]
    for record in model.departed:
        parts.append({**record, "present": np.zeros(len(record["weight"]), dtype=bool)})
    if len(parts) == 1:
        return parts[0]
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def group_masks(L) -> dict[str, list[np.ndarray]]:
    """Masks of the groups reported every quarter (recomputed: cheaper than keeping them)."""
    return {
        "income": [L.income_group == g for g in range(len(INCOME_GROUPS))],
        "location": [~L.rural, L.rural],
        "sex": [~L.female, L.female],
    }


def quarter_record(model, q: int) -> dict:
    """Metrics at the end of quarter ``q``: {metric: {group: value}} (group "all" for totals)."""
    L = model.learners
    count, masks = model.person_counter, group_masks(L)
    total = count.total
    ever = L.ever_enrolled
    income = count.rates(ever, masks["income"])
    location = count.rates(ever, masks["location"])
    sex = count.rates(ever, masks["sex"])
    spend = model.policy.spend_by_lever()
    conn = np.array([count.persons(L.connectivity == tier) for tier in range(len(CONNECTIVITY))]) / total
    completers = L.weight[model.state.new_completers].sum(dtype=np.float64)
    n_states = len(STATES)
    if count.uniform:   # counts times the common weight, as PersonCounter
        ever_by_state = np.bincount(L.state[ever], minlength=n_states).astype(np.float64)
        pop_by_state = np.bincount(L.state, minlength=n_states).astype(np.float64)
    else:
        ever_by_state = np.bincount(L.state, weights=L.weight * ever, minlength=n_states)
        pop_by_state = np.bincount(L.state, weights=L.weight, minlength=n_states)
    with np.errstate(invalid="ignore", divide="ignore"):
        uptake_by_state = ever_by_state / pop_by_state
    return {
        "uptake_rate": {"all": float(count.persons(ever) / total),
                        **dict(zip(INCOME_GROUPS, income.tolist())),
                        **dict(zip(LOCATIONS, location.tolist())),
                        **dict(zip(SEXES, sex.tolist()))},
        "uptake_rate_by_state": dict(zip(STATES, uptake_by_state.tolist())),
        "rate_ratio": {"B40/T20": metrics.rate_ratio(income[B40], income[T20]),
                       "rural/urban": metrics.rate_ratio(location[1], location[0]),
                       "female/male": metrics.rate_ratio(sex[1], sex[0])},
        "enrolled_persons": {"all": float(count.persons(L.offer >= 0))},
        "completions_persons": {"all": float(completers)},
        "credential_holders_rate": {"all": float(count.persons(L.credentials > 0) / total)},
        "subsidised_rate": {"all": float(count.persons(L.ever_subsidised) / total)},
        "employer_trust": {"accredited": model.state.mean_trust_accredited, "other": model.state.mean_trust_other},
        "aware_rate": {"all": float(count.persons(L.aware) / total)},
        "first_enrolment_hazard": dict(model.state.first_enrolment_hazard),
        "accredited_offer_share": {"all": accredited_offer_share(model.offers)},
        "public_spend_rm": {lever: float(spend[lever][q]) for lever in LEVER_NAMES},
        "levy_spend_rm": {"all": float(model.policy.levy_spend[q])},
        "connectivity_share": dict(zip(CONNECTIVITY, conn.tolist())),
        "employment_rate": {"all": float(count.persons(L.labour <= INFORMAL) / total)},
        "providers_active": {"all": float(len(np.unique(model.offers.provider[model.offers.active])))},
    }


def accredited_offer_share(offers) -> float:
    """Share of active paid (not free self-paced) offers that are MQA-accredited."""
    paid = offers.active & ~offers.free_self_paced
    return float(offers.accredited[paid].mean()) if paid.any() else float("nan")


def _completion_rates(table: np.ndarray, labels) -> dict[str, float]:
    """Completed / (completed + dropped) per row of a (groups x [dropped, completed]) table."""
    out = {}
    for label, (dropped, completed) in zip(labels, table):
        finished = dropped + completed
        out[label] = float(completed / finished) if finished > 0 else float("nan")
    return out


def _shares(persons: np.ndarray, labels) -> dict[str, float]:
    total = persons.sum()
    return {label: float(x / total) if total > 0 else float("nan") for label, x in zip(labels, persons)}


def _by_state(model, holders: np.ndarray, w: np.ndarray, ever: np.ndarray) -> dict:
    """Completion rate, credential-holder rate, equity ratios of uptake, public spend (RM) and
    agents by state of residence. Completions, enrolments and subsidies count everyone who
    lived in the run (leavers in their last state), as the national totals do; holders, uptake
    and agents are the final population, as the national rates. NaN for a state without
    enrolments (completion) or without the ratio's reference group (ratios)."""
    L, n = model.learners, len(STATES)

    def total(values: str) -> np.ndarray:
        out = np.bincount(L.state, weights=w * getattr(L, values), minlength=n)
        for d in model.departed:
            out += np.bincount(d["state"], weights=d["weight"].astype(np.float64) * d[values], minlength=n)
        return out

    enrolments, completions = total("enrolments"), total("completions")
    with np.errstate(invalid="ignore", divide="ignore"):
        completion = np.where(enrolments > 0, completions / enrolments, np.nan)
    subsidy = total("subsidy_rm")
    spend = subsidy + model.policy.placed_spend_by_state()
    all_spend = float(sum(arr.sum() for arr in model.policy.spend_by_lever().values()))

    def ratio_by_state(codes: np.ndarray, top: int, bottom: int) -> dict[str, float]:
        cell = L.state.astype(np.int64) * 3 + codes
        num = np.bincount(cell, weights=w * ever, minlength=3 * n).reshape(n, 3)
        den = np.bincount(cell, weights=w, minlength=3 * n).reshape(n, 3)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = num / den
        return {s: metrics.rate_ratio(rate[i, top], rate[i, bottom]) for i, s in enumerate(STATES)}

    return {
        "completion_rate_by_state": dict(zip(STATES, completion.tolist())),
        "credential_holders_rate_by_state": metrics.rate_by_group(holders, w, L.state, STATES),
        "rate_ratio_b40_t20_by_state": ratio_by_state(L.income_group.astype(np.int64), B40, T20),
        "rate_ratio_rural_urban_by_state": ratio_by_state(L.rural.astype(np.int64), 1, 0),
        "public_subsidy_spend_by_state_rm": dict(zip(STATES, subsidy.tolist())),
        "public_spend_by_state_rm": dict(zip(STATES, spend.tolist())),
        "public_spend_not_by_state_rm": all_spend - float(spend.sum()),
        "agents_by_state": dict(zip(STATES, np.bincount(L.state, minlength=n).astype(float).tolist())),
    }


def summarise(model) -> dict:
    """End-of-run outcomes (the ``outcomes`` block of summary.json). Keys and units are
    documented in docs/OUTPUTS.md.

    Built in key order, each float64 copy of a whole-population array made just before its
    first use and dropped after its last, so the summary's memory peak stays low at national
    scale (20 million agents: every such copy is 160 MB)."""
    L = model.learners
    w = L.weight.astype(np.float64)
    ever = L.ever_enrolled.astype(np.float64)
    holders = (L.credentials > 0).astype(np.float64)
    by_income = metrics.rate_by_group(ever, w, L.income_group, INCOME_GROUPS)
    by_location = metrics.rate_by_group(ever, w, L.rural.astype(np.int64), LOCATIONS)
    by_sex = metrics.rate_by_group(ever, w, L.female.astype(np.int64), SEXES)
    spend = model.policy.spend_by_lever()
    # Flows over the decade count everyone who lived in it, leavers (turned 65) included.
    enrolments = float(w @ L.enrolments) + sum(float(d["weight"].astype(np.float64) @ d["enrolments"])
                                               for d in model.departed)
    completions = float(w @ L.completions) + sum(float(d["weight"].astype(np.float64) @ d["completions"])
                                                 for d in model.departed)
    out = {
        "uptake_rate": metrics.weighted_mean(ever, w),
        "aware_rate": metrics.weighted_mean(L.aware.astype(np.float64), w),
        "completion_rate": completions / enrolments if enrolments > 0 else float("nan"),
        "credential_holders_rate": metrics.weighted_mean(holders, w),
        "credentials_per_1000": 1000 * float(w @ L.credentials) / w.sum(),
        "qualifications_per_1000": 1000 * float(w @ L.qualifications) / w.sum(),
        "enrolments_persons": enrolments,
        "completions_persons": completions,
        "uptake_by_income": by_income,
        "uptake_by_location": by_location,
        "uptake_by_education": metrics.rate_by_group(ever, w, L.education, EDUCATION),
        "uptake_by_sex": by_sex,
        "uptake_by_age_band": metrics.rate_by_group(ever, w, age_band(L.age), AGE_BANDS),
        "uptake_by_labour_status": metrics.rate_by_group(ever, w, model.initial_labour, LABOUR),
        "uptake_by_state": metrics.rate_by_group(ever, w, L.state, STATES),
        **_by_state(model, holders, w, ever),
        "credential_holders_by_income": metrics.rate_by_group(holders, w, L.income_group, INCOME_GROUPS),
        "credential_holders_by_location": metrics.rate_by_group(holders, w, L.rural.astype(np.int64), LOCATIONS),
    }
    del holders
    rank = L.income_rank.astype(np.float64)
    out.update({
        "online_completion_by_connectivity": {
            k: v for k, v in _completion_rates(model.state.online_outcomes_by_tier, CONNECTIVITY).items() if k != "none"},
        "completion_by_course_type": _completion_rates(model.state.course_outcomes, COURSE_TYPES),
        "completion_paid_by_accreditation": _completion_rates(model.state.paid_outcomes_by_accreditation,
                                                              ("not_accredited", "accredited")),
        "rate_ratio_b40_t20": metrics.rate_ratio(by_income["B40"], by_income["T20"]),
        "rate_ratio_rural_urban": metrics.rate_ratio(by_location["rural"], by_location["urban"]),
        "rate_ratio_female_male": metrics.rate_ratio(by_sex["female"], by_sex["male"]),
        "concentration_index": metrics.concentration_index(ever, w, rank),
        "concentration_index_wagstaff": metrics.concentration_index_wagstaff(ever, w, rank),
        "concentration_index_erreygers": metrics.concentration_index_erreygers(ever, w, rank),
        "slope_index_of_inequality": metrics.slope_index_of_inequality(ever, w, rank),
        "relative_index_of_inequality": metrics.relative_index_of_inequality(ever, w, rank),
    })
    del ever
    # Income-related inequality of completing at least one course, and the absolute gaps that
    # the report sets beside the ratios and the concentration indices.
    completed = L.completions > 0
    completers_by_income = metrics.rate_by_group(completed, w, L.income_group, INCOME_GROUPS)
    out.update({
        "uptake_gap_t20_b40": metrics.rate_difference(by_income["T20"], by_income["B40"]),
        "completion_gap_t20_b40": metrics.rate_difference(completers_by_income["T20"], completers_by_income["B40"]),
        "rate_ratio_b40_t20_completion": metrics.rate_ratio(completers_by_income["B40"], completers_by_income["T20"]),
        "concentration_index_completion": metrics.concentration_index(completed, w, rank),
        "concentration_index_wagstaff_completion": metrics.concentration_index_wagstaff(completed, w, rank),
        "concentration_index_erreygers_completion": metrics.concentration_index_erreygers(completed, w, rank),
    })
    del rank, completed
    subsidy_per_person = L.subsidy_rm.astype(np.float64)
    any_subsidy = subsidy_per_person.any()
    attributable = model.policy.attributable_spend_by_lever()   # connectivity at its learning share
    out.update({
        "public_spend_rm": float(sum(arr.sum() for arr in spend.values())),
        "public_spend_attributable_rm": float(sum(arr.sum() for arr in attributable.values())),
        "public_spend_by_lever_rm": {lever: float(arr.sum()) for lever, arr in spend.items()},
        "public_spend_by_lever_attributable_rm": {lever: float(arr.sum()) for lever, arr in attributable.items()},
        "levy_spend_rm": float(model.policy.levy_spend.sum()),
        "levy_trainee_share_by_firm_size": _shares(model.state.levy_trainees_by_firm_size, FIRM_SIZES),
        "formal_employment_share_by_firm_size": _shares(
            np.bincount(L.firm_size[L.labour == FORMAL], weights=w[L.labour == FORMAL], minlength=len(FIRM_SIZES)),
            FIRM_SIZES),
        "out_of_pocket_rm": float(model.policy.out_of_pocket.sum()),
        "subsidy_share_b40": (metrics.benefit_incidence(subsidy_per_person, w, L.income_group == B40)
                              if any_subsidy else float("nan")),
        "subsidy_share_rural": (metrics.benefit_incidence(subsidy_per_person, w, L.rural)
                                if any_subsidy else float("nan")),
        "recognition_rate": (float(w @ L.recognised_credentials) / float(w @ L.credentials)
                             if L.credentials.any() else float("nan")),
    })
    del subsidy_per_person
    employed = (L.labour <= INFORMAL).astype(np.float64)
    gain_holders = L.recognised_credentials > 0
    wage_gain = L.wage_gain_rm.astype(np.float64)
    out.update({
        "accredited_offer_share": accredited_offer_share(model.offers),
        "accreditation_failures": float(model.state.accreditation_failures),
        "employer_trust_mean": 0.5 * (model.state.mean_trust_accredited + model.state.mean_trust_other),
        "employer_trust_accredited": model.state.mean_trust_accredited,
        "employer_trust_other": model.state.mean_trust_other,
        "employment_rate": metrics.weighted_mean(employed, w),
        "formal_employment_rate": metrics.weighted_mean((L.labour == FORMAL).astype(np.float64), w),
        "mean_monthly_wage_gain_rm": (metrics.weighted_mean(wage_gain, w, gain_holders)
                                      if gain_holders.any() else 0.0),
        "wage_gain_per_person_rm": metrics.weighted_mean(wage_gain, w),
        "wage_gain_share_holders": (metrics.weighted_mean(wage_gain / np.maximum(L.potential_wage_rm, 1.0), w,
                                                          gain_holders) if gain_holders.any() else 0.0),
        "employment_rate_initially_unemployed": metrics.weighted_mean(employed, w, model.initial_labour == 2),
    })
    return out


def flatten_outcomes(outcomes, prefix: str = "") -> dict[str, float]:
    """Nested outcomes as flat columns: ``{"uptake_by_income": {"B40": x}}`` ->
    ``{"uptake_by_income.B40": x}``; None (JSON null) becomes NaN so columns stay numeric;
    anything not a number (text, flags) is left out."""
    flat: dict[str, float] = {}
    for key, value in outcomes.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_outcomes(value, f"{name}."))
        elif value is None:
            flat[name] = float("nan")
        elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
            flat[name] = float(value)
    return flat
