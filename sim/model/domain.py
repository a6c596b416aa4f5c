"""The model's categorical vocabulary: every coded attribute's labels, in code order.

Learner attributes are stored as small integer codes (see ``sim.model.agents.learners``); these
tuples give the label of each code, so ``EDUCATION[learners.education[i]]`` is a name.
"""

from __future__ import annotations

# 13 states and 3 federal territories (DOSM ordering, alphabetical within kind).
STATES: tuple[str, ...] = (
    "Johor", "Kedah", "Kelantan", "Melaka", "Negeri Sembilan", "Pahang", "Penang", "Perak",
    "Perlis", "Sabah", "Sarawak", "Selangor", "Terengganu",
    "Kuala Lumpur", "Labuan", "Putrajaya",
)
INCOME_GROUPS: tuple[str, ...] = ("B40", "M40", "T20")
LOCATIONS: tuple[str, ...] = ("urban", "rural")          # code = rural flag
SEXES: tuple[str, ...] = ("male", "female")              # code = female flag
EDUCATION: tuple[str, ...] = ("primary", "spm", "diploma", "degree")
LABOUR: tuple[str, ...] = ("formal", "informal", "unemployed", "outside")
SECTORS: tuple[str, ...] = ("services", "manufacturing", "agriculture", "construction_mining")
FIRM_SIZES: tuple[str, ...] = ("micro", "small", "medium", "large")  # 1-4, 5-29, 30-199, 200+
CONNECTIVITY: tuple[str, ...] = ("none", "mobile", "fixed")
AGE_BANDS: tuple[str, ...] = ("18-29", "30-39", "40-49", "50-64")
AGE_BAND_EDGES: tuple[int, ...] = (18, 30, 40, 50, 65)   # [lower, upper) years

PROVIDER_TYPES: tuple[str, ...] = (
    "public_university", "private_hei", "tvet", "industry_trainer", "online_platform",
)
DELIVERY_MODES: tuple[str, ...] = ("online", "blended", "in_person")
COURSE_TYPES: tuple[str, ...] = ("free_self_paced_online", "paid_online", "paid_blended", "paid_in_person")

# Codes used in arithmetic, named so the code reads in the domain's words.
B40, M40, T20 = 0, 1, 2
PRIMARY, SPM, DIPLOMA, DEGREE = 0, 1, 2, 3
FORMAL, INFORMAL, UNEMPLOYED, OUTSIDE = 0, 1, 2, 3
NO_CONNECTION, MOBILE_ONLY, FIXED_BROADBAND = 0, 1, 2
ONLINE, BLENDED, IN_PERSON = 0, 1, 2

N_EMPLOYER_CELLS = len(STATES) * len(SECTORS) * len(FIRM_SIZES) * 2  # x levy-registered


def employer_index(state, sector, firm_size, levy_registered):
    """Index of the representative employer for a (state, sector, size, levy) cell.

    Works on scalars and on numpy arrays alike. Employers are representative firms, one
    per cell, so a formal employee's employer is a function of these four attributes.
    """
    return ((state * len(SECTORS) + sector) * len(FIRM_SIZES) + firm_size) * 2 + levy_registered


def employer_cell(index: int) -> tuple[int, int, int, int]:
    """Inverse of :func:`employer_index`: (state, sector, firm_size, levy_registered)."""
    levy = index % 2
    rest = index // 2
    size = rest % len(FIRM_SIZES)
    rest //= len(FIRM_SIZES)
    sector = rest % len(SECTORS)
    state = rest // len(SECTORS)
    return state, sector, size, levy


def age_band(age):
    """Age-band code (index into AGE_BANDS) of ages in years; arrays welcome."""
    import numpy as np

    return (np.searchsorted(np.asarray(AGE_BAND_EDGES[1:-1]), age, side="right")).astype(np.int8)
