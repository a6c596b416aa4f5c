"""Targeting: which learners a lever reaches, from a list of group names.

Groups of the same dimension are OR-ed, dimensions are AND-ed: ``["B40", "rural"]`` means
rural B40 learners; ``["B40", "M40"]`` means B40 or M40; an empty list means everybody.
"""

from __future__ import annotations

import numpy as np

from sim.agents.learners import Learners
from sim.domain import FORMAL, INFORMAL, OUTSIDE, UNEMPLOYED

# group name -> (dimension, test on learners)
_GROUP_TESTS = {
    "B40": ("income", lambda L: L.income_group == 0),
    "M40": ("income", lambda L: L.income_group == 1),
    "T20": ("income", lambda L: L.income_group == 2),
    "urban": ("location", lambda L: ~L.rural),
    "rural": ("location", lambda L: L.rural),
    "formal": ("labour", lambda L: L.labour == FORMAL),
    "informal": ("labour", lambda L: L.labour == INFORMAL),
    "unemployed": ("labour", lambda L: L.labour == UNEMPLOYED),
    "outside": ("labour", lambda L: L.labour == OUTSIDE),
    "female": ("sex", lambda L: L.female),
    "male": ("sex", lambda L: ~L.female),
}
GROUPS: tuple[str, ...] = tuple(_GROUP_TESTS)


def target_mask(learners: Learners, groups) -> np.ndarray:
    """Boolean array: learners in the targeted groups (all learners when ``groups`` is empty)."""
    by_dimension: dict[str, np.ndarray] = {}
    for name in groups:
        if name not in _GROUP_TESTS:
            raise ValueError(f"unknown targeting group {name!r}; allowed: {', '.join(GROUPS)}")
        dimension, test = _GROUP_TESTS[name]
        hit = test(learners)
        by_dimension[dimension] = hit if dimension not in by_dimension else by_dimension[dimension] | hit
    mask = np.ones(learners.n, dtype=bool)
    for hit in by_dimension.values():
        mask &= hit
    return mask
