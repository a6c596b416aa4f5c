"""Accounting, before the quarter's record: a living population. People age by the quarter
and those who reach 65 leave; each leaver's row is taken by an 18-year-old entrant, so
persons (the sum of weights) are conserved and row ``i`` of a scenario and of its baseline
turn over in the same quarter (ageing is deterministic; entrants are drawn from keyed
streams only).

Each row has a fixed birthday quarter (``row % 4``): a quarter of every single-year cohort
ages at the end of each quarter, so exactly one year is added per four quarters. Initial
ages are ages at the start of 2025Q1.

An entrant clones the population attributes of a donor: a person aged 18-19 in the initial
population (kept as a frozen copy at initialisation, so donors' later lives do not leak into
new entrants). Cloning keeps the entry cohort's joint distribution (state, education,
income, labour status, access...) without re-solving the population. The entrant's learning
state is the initial one; awareness is drawn at ``behaviour.initial_awareness``. The entrant
inherits the row's peer slots (a simplification: peers are not rewired).

Life course: labour-force participation in the synthetic population differs by age band
(students under 30, early retirement in the 50s), while the job flows do not depend on age.
So that each band keeps its participation as cohorts age through it, a person who enters a
new band (turns 30, 40 or 50) moves into or out of the labour force with the probability
that takes their cell's rate (sex x education, ``data.p_labour_force``) from the old band's
to the new band's: leave with ``1 - p_new / p_old`` when it falls, join with
``(p_new - p_old) / (1 - p_old)`` when it rises. Joiners take the status the synthetic
population gives their cell (unemployed by age band and education, informal by location and
education, else a formal job), so joining adds no spell of unemployment the cross-section
does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.agents.learners import POPULATION_FIELDS, STATE_FIELDS, Learners
from sim.model.domain import AGE_BAND_EDGES, EDUCATION, FORMAL, INFORMAL, OUTSIDE, UNEMPLOYED
from sim.model.outcomes import departed_record
from sim.model.processes.labour import take_job
from sim.model.targeting import refresh, target_mask

ENTRY_AGE, EXIT_AGE = 18, 65      # years: the model covers persons aged 18-64
DONOR_MAX_AGE = 19                # donors: initial persons aged ENTRY_AGE..DONOR_MAX_AGE
STREAM = "entry"   # keyed stream; slots: donor, awareness, labour-force move, joiner's status (2)
DONOR_SLOT, AWARENESS_SLOT, LIFE_COURSE_SLOT, UNEMPLOYED_SLOT, INFORMAL_SLOT = 0, 1, 2, 3, 4
BAND_STARTS = np.array(AGE_BAND_EDGES[1:-1])   # 30, 40, 50: ages that open a new band
INHERITED = tuple(name for name in POPULATION_FIELDS if name not in ("weight", "age"))


def birthday_quarter(n: int) -> np.ndarray:
    """Quarter of the year (0-3) at whose end each row turns a year older (``run`` uses the
    same rule, ``row % 4``, as a strided view)."""
    return (np.arange(n) % 4).astype(np.int8)


@dataclass
class DonorPool:
    """Frozen population attributes of the young persons entrants are cloned from, and the
    lever masks of each donor (masks depend only on population attributes)."""

    attributes: dict[str, np.ndarray]
    masks: dict[str, np.ndarray]

    @property
    def n(self) -> int:
        return len(self.attributes["state"])


def donor_pool(learners: Learners, targeting: dict[str, list]) -> DonorPool:
    """The pool of entrant donors: persons aged 18-19, or the youngest age present when a
    small population has none."""
    young = learners.age <= max(DONOR_MAX_AGE, int(learners.age.min()))
    rows = np.flatnonzero(young)
    table = learners.subset(rows)
    return DonorPool({name: getattr(table, name).copy() for name in INHERITED},
                     {name: target_mask(table, groups) for name, groups in targeting.items()})


def pick_donors(stream, rows: np.ndarray, q: int, pool_size: int) -> np.ndarray:
    """Donor index of each entrant (keyed on row and quarter)."""
    u = stream.uniform(rows, q, DONOR_SLOT)
    return np.minimum((u * pool_size).astype(np.int64), pool_size - 1)


def draws_aware(stream, rows: np.ndarray, q: int, initial_awareness: float) -> np.ndarray:
    return stream.uniform(rows, q, AWARENESS_SLOT) < initial_awareness


def participation_change(data, female: np.ndarray, education: np.ndarray, new_band: np.ndarray,
                         in_labour_force: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(leave, join) masks for persons entering age band ``new_band`` (>= 1), given uniforms ``u``."""
    p = data.p_labour_force.reshape(2, -1)
    sex = female.astype(np.intp)
    p_new = p[sex, new_band * len(EDUCATION) + education]
    p_old = p[sex, (new_band - 1) * len(EDUCATION) + education]
    leave = in_labour_force & (u < 1.0 - p_new / p_old)
    join = ~in_labour_force & (u < (p_new - p_old) / (1.0 - p_old))
    return leave, join


def joining_status(data, new_band: np.ndarray, education: np.ndarray, rural: np.ndarray,
                   u_unemployed: np.ndarray, u_informal: np.ndarray) -> np.ndarray:
    """Labour status of persons joining the labour force, as the population builder draws it."""
    n_edu = len(EDUCATION)
    unemployed = u_unemployed < data.p_unemployed.ravel()[new_band * n_edu + education]
    informal = u_informal < data.p_informal.ravel()[rural.astype(np.intp) * n_edu + education]
    return np.where(unemployed, UNEMPLOYED, np.where(informal, INFORMAL, FORMAL)).astype(np.int8)


def run(model, q: int) -> np.ndarray:
    """Age this quarter's birthdays, move those entering a new age band into or out of the
    labour force, replace the 65-year-olds; returns the rows that turned over."""
    L = model.learners
    b = q % 4
    ages = L.age[b::4]       # a view: the rows whose birthday quarter is b (row % 4 == b)
    ages += 1
    _life_course(model, b + 4 * np.flatnonzero(np.isin(ages, BAND_STARTS)), q)
    leavers = b + 4 * np.flatnonzero(ages >= EXIT_AGE)
    if len(leavers):
        _enter(model, leavers, q)
    return leavers


def _life_course(model, rows: np.ndarray, q: int) -> None:
    L = model.learners
    if not len(rows):
        return
    band = np.searchsorted(BAND_STARTS, L.age[rows], side="right")
    u = model.streams[STREAM].uniform(rows, q, LIFE_COURSE_SLOT)
    education = L.education[rows].astype(np.intp)
    leave, join = participation_change(model.data, L.female[rows], education, band, L.labour[rows] != OUTSIDE, u)
    for moved, status in ((rows[leave], OUTSIDE), (rows[join], UNEMPLOYED)):
        L.labour[moved] = status
        L.wage_rm[moved] = 0.0
        L.employer[moved] = -1
    joined = rows[join]
    stream = model.streams[STREAM]
    status = joining_status(model.data, band[join], education[join], L.rural[joined],
                            stream.uniform(joined, q, UNEMPLOYED_SLOT), stream.uniform(joined, q, INFORMAL_SLOT))
    take_job(model, joined[status == FORMAL], q, formal=True)
    take_job(model, joined[status == INFORMAL], q, formal=False)
    refresh(model.masks, L, rows, model.targeting, model.initial_labour)   # age-band targeting


def _enter(model, rows: np.ndarray, q: int) -> None:
    L, pool = model.learners, model.donors
    model.departed.append(departed_record(model, rows))
    stream = model.streams[STREAM]
    donor = pick_donors(stream, rows, q, pool.n)
    for name in INHERITED:
        getattr(L, name)[rows] = pool.attributes[name][donor]
    L.age[rows] = ENTRY_AGE
    for name, (_, initial) in STATE_FIELDS.items():
        L.state_arrays[name][rows] = initial
    L.aware[rows] = draws_aware(stream, rows, q, model.cfg.behaviour.initial_awareness)
    L.initially_employed[rows] = L.labour[rows] <= INFORMAL    # entrants count from entry
    model.initial_labour[rows] = L.labour[rows]
    model.state.community_access[rows] = False
    model.state.sponsored_now[rows] = False
    for name, mask in model.masks.items():
        mask[rows] = pool.masks[name][donor]
