"""Targeting reaches exactly the intended people: groups of one dimension are OR-ed,
dimensions are AND-ed, for income, location, labour status, sex, state, education and age
band; age-band targeting follows people as they age, in both implementations."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.config.validate import ConfigError, validate_config
from sim.model.domain import FORMAL, STATES
from sim.model import MicroCredentialModel
from sim.reference.model import ReferenceModel
from sim.model.targeting import GROUPS, target_mask
from tests.conftest import small_config

# The intended people, written out independently of sim.model.targeting:
# dimension -> (learner attribute, {group name: code}); age is the band of the age in years.
STATE_NAMES = ["johor", "kedah", "kelantan", "melaka", "negeri_sembilan", "pahang", "penang", "perak",
               "perlis", "sabah", "sarawak", "selangor", "terengganu", "kuala_lumpur", "labuan", "putrajaya"]
DIMENSIONS = {
    "income": ("income_group", {"B40": 0, "M40": 1, "T20": 2}),
    "location": ("rural", {"urban": 0, "rural": 1}),
    "labour": ("labour", {"formal": 0, "informal": 1, "unemployed": 2, "outside": 3}),
    "sex": ("female", {"male": 0, "female": 1}),
    "state": ("state", {name: code for code, name in enumerate(STATE_NAMES)}),
    "education": ("education", {"primary": 0, "spm": 1, "diploma": 2, "degree": 3}),
    "age": ("band", {"age_18_29": 0, "age_30_39": 1, "age_40_49": 2, "age_50_64": 3}),
}


def _band(age: np.ndarray) -> np.ndarray:
    return (age >= 30).astype(int) + (age >= 40) + (age >= 50)


def intended(people, groups) -> np.ndarray:
    """OR within a dimension, AND across dimensions, on the raw learner arrays."""
    mask = np.ones(people.n, dtype=bool)
    for attribute, codes in DIMENSIONS.values():
        chosen = [code for name, code in codes.items() if name in groups]
        if chosen:
            values = _band(people.age) if attribute == "band" else getattr(people, attribute).astype(int)
            mask &= np.isin(values, chosen)
    return mask


@st.composite
def people(draw):
    n = draw(st.integers(1, 300))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return SimpleNamespace(
        n=n, income_group=rng.integers(0, 3, n).astype(np.int8), rural=rng.random(n) < 0.3,
        labour=rng.integers(0, 4, n).astype(np.int8), female=rng.random(n) < 0.5,
        state=rng.integers(0, 16, n).astype(np.int8), education=rng.integers(0, 4, n).astype(np.int8),
        age=rng.integers(18, 65, n).astype(np.int8))


ALL_NAMES = [name for _, codes in DIMENSIONS.values() for name in codes]


@given(people(), st.lists(st.sampled_from(ALL_NAMES), max_size=8))
def test_mask_is_or_within_and_across_dimensions(population, groups):
    assert np.array_equal(target_mask(population, groups), intended(population, groups))


def test_every_state_education_and_age_band_is_a_group_with_a_safe_name():
    assert sorted(GROUPS) == sorted(ALL_NAMES)
    assert len(STATE_NAMES) == len(STATES) == 16
    assert all(name.replace("_", "").isalnum() for name in GROUPS)


def test_targeting_a_state_reaches_its_residents_in_a_real_population():
    model = MicroCredentialModel(small_config("policy.subsidy.targeting=[B40,sabah,sarawak]", n_agents=4000))
    L = model.learners
    mask = model.masks["subsidy_target"]
    assert mask.any() and np.array_equal(mask, (L.income_group == 0) & np.isin(L.state, [9, 10]))


@pytest.mark.parametrize("key", ["policy.subsidy.targeting", "policy.connectivity.device_targeting",
                                 "policy.connectivity.skills_targeting", "policy.awareness.targeting"])
def test_an_unknown_group_fails_validation_with_one_line_listing_the_allowed(key):
    with pytest.raises(ConfigError) as err:
        validate_config(small_config(f"{key}=[B40,Kuala_Lumpur]"))
    message = str(err.value)
    assert "\n" not in message and "'Kuala_Lumpur'" in message
    assert all(name in message for name in ("kuala_lumpur", "sabah", "degree", "age_50_64", "B40"))
    validate_config(small_config(f"{key}=[B40,kuala_lumpur,degree,age_50_64]"))   # known names pass


TARGETING = ("policy.awareness.targeting=[age_30_39,age_50_64,formal]",
             "policy.subsidy.targeting=[age_40_49,B40]")


def _expected(age, initial_labour, income_group):
    band = _band(np.asarray(age))
    return {"awareness_target": np.isin(band, [1, 3]) & (np.asarray(initial_labour) == FORMAL),
            "subsidy_target": (band == 2) & (np.asarray(income_group) == 0)}


def test_age_band_targeting_follows_people_as_they_age_in_both_implementations():
    cfg = small_config(*TARGETING, "policy.subsidy.enabled=true", n_agents=400, quarters=8)
    fast, ref = MicroCredentialModel(cfg), ReferenceModel(cfg)
    start = fast.masks["awareness_target"].copy(), fast.masks["subsidy_target"].copy()
    for _ in range(8):
        fast.step()
        ref.step()
    L = fast.learners
    want = _expected(L.age, fast.initial_labour, L.income_group)
    for name, mask in fast.masks.items():
        if name in want:
            assert np.array_equal(mask, want[name]), name
    # people turned 30, 40 or 50 in two years: the masks moved with them
    assert not np.array_equal(start[0], fast.masks["awareness_target"])
    assert not np.array_equal(start[1], fast.masks["subsidy_target"])
    # the per-agent reference holds the same targets, person by person
    for name in want:
        assert [a.targets[name] for a in ref.people] == fast.masks[name].tolist(), name
