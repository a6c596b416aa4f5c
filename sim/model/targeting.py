"""Targeting: which learners a lever reaches, from a list of group names.

Groups of the same dimension are OR-ed, dimensions are AND-ed: ``["B40", "rural"]`` means
rural B40 learners; ``["B40", "M40"]`` means B40 or M40; ``["B40", "sabah", "sarawak"]``
means B40 learners in Sabah or Sarawak; an empty list means everybody.

Dimensions and their group names:

- income: ``B40``, ``M40``, ``T20``; location: ``urban``, ``rural``;
- labour: ``formal``, ``informal``, ``unemployed``, ``outside``; sex: ``female``, ``male``;
- state: the 13 states and 3 federal territories of ``sim.model.domain.STATES`` in snake_case
  (lower case, spaces as underscores), so names are safe on the command line and in file
  names: ``johor`` ... ``negeri_sembilan`` ... ``kuala_lumpur``, ``labuan``, ``putrajaya``;
- education: ``sim.model.domain.EDUCATION`` (``primary``, ``spm``, ``diploma``, ``degree``);
- age: ``sim.model.domain.AGE_BANDS`` as ``age_18_29``, ``age_30_39``, ``age_40_49``, ``age_50_64``.

Age is the only dimension that changes as a person lives on (labour status is read once, at
the start, like the other attributes): masks that use it are refreshed when a person enters a
new age band (``AGE_DIMENSION``, ``uses_age``, ``refresh``).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from sim.model.domain import AGE_BANDS, EDUCATION, FORMAL, INFORMAL, OUTSIDE, STATES, UNEMPLOYED, age_band

AGE_DIMENSION = "age"


def state_group(name: str) -> str:
    """Targeting name of a state: ``"Negeri Sembilan"`` -> ``"negeri_sembilan"``."""
    return name.lower().replace(" ", "_")


def age_group(band: str) -> str:
    """Targeting name of an age band: ``"18-29"`` -> ``"age_18_29"``."""
    return "age_" + band.replace("-", "_")


def _equals(attribute: str, code: int):
    return lambda L: getattr(L, attribute) == code


# group name -> (dimension, test on learners)
_GROUP_TESTS = {
    "B40": ("income", _equals("income_group", 0)),
    "M40": ("income", _equals("income_group", 1)),
    "T20": ("income", _equals("income_group", 2)),
    "urban": ("location", lambda L: ~L.rural),
    "rural": ("location", lambda L: L.rural),
    "formal": ("labour", _equals("labour", FORMAL)),
    "informal": ("labour", _equals("labour", INFORMAL)),
    "unemployed": ("labour", _equals("labour", UNEMPLOYED)),
    "outside": ("labour", _equals("labour", OUTSIDE)),
    "female": ("sex", lambda L: L.female),
    "male": ("sex", lambda L: ~L.female),
}
_GROUP_TESTS.update({state_group(name): ("state", _equals("state", code)) for code, name in enumerate(STATES)})
_GROUP_TESTS.update({name: ("education", _equals("education", code)) for code, name in enumerate(EDUCATION)})
_GROUP_TESTS.update({age_group(band): (AGE_DIMENSION, (lambda c: lambda L: age_band(L.age) == c)(code))
                     for code, band in enumerate(AGE_BANDS)})
GROUPS: tuple[str, ...] = tuple(_GROUP_TESTS)


def dimension(name: str) -> str:
    """The dimension a group name belongs to (``"sabah"`` -> ``"state"``)."""
    return _GROUP_TESTS[name][0]


def unknown_group_message(name) -> str:
    return f"unknown targeting group {name!r}; allowed: {', '.join(GROUPS)}"


def target_mask(learners, groups) -> np.ndarray:
    """Boolean array: learners in the targeted groups (all learners when ``groups`` is empty).
    ``learners`` is anything with the learner attribute arrays and ``n``."""
    by_dimension: dict[str, np.ndarray] = {}
    for name in groups:
        if name not in _GROUP_TESTS:
            raise ValueError(unknown_group_message(name))
        dim, test = _GROUP_TESTS[name]
        hit = np.asarray(test(learners), dtype=bool)
        by_dimension[dim] = hit if dim not in by_dimension else by_dimension[dim] | hit
    mask = np.ones(learners.n, dtype=bool)
    for hit in by_dimension.values():
        mask &= hit
    return mask


def uses_age(groups) -> bool:
    """Whether a targeting list depends on age (so its mask changes at birthdays)."""
    return any(name in _GROUP_TESTS and dimension(name) == AGE_DIMENSION for name in groups)


_FIELDS = ("income_group", "rural", "labour", "female", "state", "education", "age")


def refresh(masks: dict[str, np.ndarray], learners, rows: np.ndarray, targeting: dict[str, list],
            labour_at_entry: np.ndarray) -> None:
    """Recompute, for ``rows`` only (persons who have just entered a new age band), the masks
    whose targeting depends on age. Labour status is read as at the start (or at entry), as
    when the masks were first made, so only the age part of a mask moves."""
    lists = {name: groups for name, groups in targeting.items() if uses_age(groups)}
    if not len(rows) or not lists:
        return
    table = SimpleNamespace(n=len(rows), **{f: getattr(learners, f)[rows] for f in _FIELDS})
    table.labour = labour_at_entry[rows]
    for name, groups in lists.items():
        masks[name][rows] = target_mask(table, groups)


def person_targets(person, targeting: dict[str, list]) -> dict[str, bool]:
    """Targeting of one person whose attributes are plain values (the per-agent reference);
    labour status as at the start or at entry, like ``refresh``."""
    one = SimpleNamespace(n=1, **{f: np.array([getattr(person, f)]) for f in _FIELDS})
    one.labour = np.array([person.initial_labour])
    return {name: bool(target_mask(one, groups)[0]) for name, groups in targeting.items()}
