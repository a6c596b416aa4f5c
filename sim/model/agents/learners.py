"""Learners as a struct of numpy arrays: one row per agent, each agent standing for
``weight`` persons.

National scale means millions of learners, so there is no Python object per learner: every
attribute is a compact array and every rule in ``sim.model.rules`` is a function over arrays.
Codes are explained in ``sim.model.domain``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

# Attributes the synthetic population sets (name -> dtype). Units in the docstring below.
POPULATION_FIELDS: dict[str, np.dtype] = {
    "weight": np.dtype(np.float32),
    "age": np.dtype(np.int8),
    "female": np.dtype(np.bool_),
    "state": np.dtype(np.int8),
    "rural": np.dtype(np.bool_),
    "household_income_rm": np.dtype(np.float32),
    "income_group": np.dtype(np.int8),
    "income_rank": np.dtype(np.float32),
    "education": np.dtype(np.int8),
    "labour": np.dtype(np.int8),
    "sector": np.dtype(np.int8),
    "firm_size": np.dtype(np.int8),
    "levy_registered": np.dtype(np.bool_),
    "employer": np.dtype(np.int16),
    "wage_rm": np.dtype(np.float32),
    "potential_wage_rm": np.dtype(np.float32),
    "ability": np.dtype(np.float32),
    "connectivity": np.dtype(np.int8),
    "computer": np.dtype(np.bool_),
    "digital_skill": np.dtype(np.float32),
    "learning_propensity": np.dtype(np.float32),
}

# Learning and labour-market state the model evolves (name -> dtype, initial value). Quarters
# and counts that grow by at most one a quarter are int16: the horizon may reach 200 quarters.
STATE_FIELDS: dict[str, tuple[np.dtype, object]] = {
    "aware": (np.dtype(np.bool_), False),
    "offer": (np.dtype(np.int16), -1),             # offer enrolled in, -1 when idle
    "quarters_left": (np.dtype(np.int8), 0),       # study quarters remaining
    "enrolled_quarter": (np.dtype(np.int16), -1),   # quarter of the current enrolment
    "ever_enrolled": (np.dtype(np.bool_), False),
    "first_enrolled_quarter": (np.dtype(np.int16), -1),  # quarter of the first enrolment, -1 never
    "first_completed_quarter": (np.dtype(np.int16), -1),  # quarter of the first completion, -1 never
    "enrolments": (np.dtype(np.int16), 0),
    "completions": (np.dtype(np.int16), 0),
    "online_enrolments": (np.dtype(np.int16), 0),
    "credits": (np.dtype(np.float32), 0.0),        # MQA credits earned (40 h = 1 credit)
    "stackable_credits": (np.dtype(np.float32), 0.0),
    "credentials": (np.dtype(np.int16), 0),         # credentials held
    "accredited_credentials": (np.dtype(np.int16), 0),
    "recognised_credentials": (np.dtype(np.int16), 0),
    "qualifications": (np.dtype(np.int16), 0),      # MQF qualifications by stacking
    "subsidy_rm": (np.dtype(np.float32), 0.0),     # public subsidy received, RM per person
    "ever_subsidised": (np.dtype(np.bool_), False),
    "sponsored": (np.dtype(np.bool_), False),      # current enrolment is levy-sponsored
    "current_subsidy_rm": (np.dtype(np.float32), 0.0),
    "wage_gain_target_rm": (np.dtype(np.float32), 0.0),  # RM/month the credentials will add
    "wage_gain_rm": (np.dtype(np.float32), 0.0),         # RM/month added so far (ramps in)
    "wage_gain_ramp_rm": (np.dtype(np.float32), 0.0),    # RM/month added per quarter while ramping
    "enrolled_connectivity": (np.dtype(np.int8), -1),  # connectivity tier at enrolment
    "initially_employed": (np.dtype(np.bool_), False),
}


@dataclass
class Learners:
    """Struct of arrays, all of length ``n``.

    Population attributes: ``weight`` persons per agent; ``age`` years; ``female``;
    ``state`` (``sim.model.domain.STATES``); ``rural``; ``household_income_rm`` gross household
    income, RM per month; ``income_group`` (B40/M40/T20 by the 2022 thresholds);
    ``income_rank`` weighted fractional rank of household income in (0, 1);
    ``education``; ``labour`` (formal / informal / unemployed / outside the labour force);
    ``sector``; ``firm_size`` and ``levy_registered`` of the employer (formal employees);
    ``employer`` index of the representative employer (-1 when none); ``wage_rm`` own
    monthly earnings, RM (0 when not working); ``potential_wage_rm`` earnings when
    working, RM per month; ``ability`` latent, standard normal; ``connectivity`` tier;
    ``computer`` has a computer (else phone only); ``digital_skill`` in [0, 1];
    ``learning_propensity`` lasting taste for learning, latent standard normal (drawn once).
    """

    weight: np.ndarray
    age: np.ndarray
    female: np.ndarray
    state: np.ndarray
    rural: np.ndarray
    household_income_rm: np.ndarray
    income_group: np.ndarray
    income_rank: np.ndarray
    education: np.ndarray
    labour: np.ndarray
    sector: np.ndarray
    firm_size: np.ndarray
    levy_registered: np.ndarray
    employer: np.ndarray
    wage_rm: np.ndarray
    potential_wage_rm: np.ndarray
    ability: np.ndarray
    connectivity: np.ndarray
    computer: np.ndarray
    digital_skill: np.ndarray
    learning_propensity: np.ndarray
    state_arrays: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        n = len(self.weight)
        for name, dtype in POPULATION_FIELDS.items():
            arr = getattr(self, name)
            if arr.shape != (n,):
                raise ValueError(f"learner attribute {name!r} has shape {arr.shape}, expected ({n},)")
            if arr.dtype != dtype:
                setattr(self, name, arr.astype(dtype))
        for name, (dtype, initial) in STATE_FIELDS.items():
            if name not in self.state_arrays:
                self.state_arrays[name] = np.full(n, initial, dtype=dtype)
        self.state_arrays["initially_employed"][:] = self.labour <= 1

    def __getattr__(self, name: str) -> np.ndarray:
        # Dynamic state lives in state_arrays; expose it as attributes (learners.aware ...).
        arrays = self.__dict__.get("state_arrays")
        if arrays is not None and name in arrays:
            return arrays[name]
        raise AttributeError(name)

    @property
    def n(self) -> int:
        """Number of learner agents."""
        return len(self.weight)

    @property
    def persons(self) -> float:
        """Persons represented (sum of weights)."""
        return float(self.weight.sum(dtype=np.float64))

    @property
    def mean_weight(self) -> float:
        """Persons per agent on average (all agents weigh the same in mcsim's populations)."""
        return self.persons / max(self.n, 1)

    def nbytes(self) -> int:
        """Bytes held by all learner arrays."""
        own = sum(getattr(self, f.name).nbytes for f in fields(self) if f.name != "state_arrays")
        return own + sum(a.nbytes for a in self.state_arrays.values())

    def copy(self) -> "Learners":
        """A copy with every array its own (writeable even when this table's are not)."""
        pop = {name: getattr(self, name).copy() for name in POPULATION_FIELDS}
        state = {name: arr.copy() for name, arr in self.state_arrays.items()}
        return Learners(**pop, state_arrays=state)

    def arrays(self) -> list[np.ndarray]:
        """Every array of the table (population attributes, then state)."""
        return [getattr(self, name) for name in POPULATION_FIELDS] + list(self.state_arrays.values())

    def subset(self, idx: np.ndarray) -> "Learners":
        """A copy holding only the rows ``idx`` (used by the per-agent reference model)."""
        pop = {name: getattr(self, name)[idx].copy() for name in POPULATION_FIELDS}
        state = {name: arr[idx].copy() for name, arr in self.state_arrays.items()}
        return Learners(**pop, state_arrays=state)
