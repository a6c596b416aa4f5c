"""The search space of ``mcsim optimise``: lever settings and the split of an annual budget
among budget pots, mapped to and from the unit cube the optimiser searches.

A point ``x`` in ``[0, 1]^n`` decodes to a *lever mix*: ``{dotted policy key: value}``, the
values set on the baseline configuration to make the candidate's run configuration.

- A searched **setting** (``policy.subsidy.rate``) is a range, rounded to its step, or one of
  a list of choices (``policy.subsidy.targeting``: ``[B40]``, ``[B40, rural]``, ...).
- The **budget split**: one coordinate is the total annual allocation, ``x * budget_rm``;
  one coordinate per pot is its weight. A weight below ``OFF_BELOW`` switches the pot off
  (so mixes of a few pots are as reachable as mixes of all), the others share the total in
  proportion to ``(weight - OFF_BELOW)``. Each pot's annual budget is rounded down to
  ``BUDGET_STEP_RM``, so the pots never sum to more than the total, nor the total to more
  than the budget.
- A lever is enabled when any of its pots gets money, when it is enabled in the baseline
  (recognition: the status-quo stacking rule), or when it has searched settings but no
  searched pot (a rule or an entitlement). The settings of a lever that is off cannot matter,
  so they are set to their first value: equivalent mixes decode to one mix (one evaluation).

Decoding is deterministic and the values are rounded, so the mix (and its store key) is the
same whenever the optimiser proposes the same point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

OFF_BELOW = 0.1              # a pot weight below this switches the pot off
BUDGET_STEP_RM = 100_000.0   # pots' annual budgets are whole multiples of RM 100,000


class SpaceError(ValueError):
    """A search space that cannot be searched; ``str(err)`` is one line."""


@dataclass(frozen=True)
class Setting:
    """One searched setting: a range ``[low, high]`` rounded to ``step`` (None: not rounded), or
    ``choices``."""

    key: str
    low: float = 0.0
    high: float = 1.0
    step: float | None = None
    choices: tuple | None = None

    def decode(self, u: float) -> Any:
        u = min(max(float(u), 0.0), 1.0)
        if self.choices is not None:
            return _plain(self.choices[min(int(u * len(self.choices)), len(self.choices) - 1)])
        value = self.low + u * (self.high - self.low)
        if self.step:
            value = self.low + round((value - self.low) / self.step) * self.step
            value = round(min(max(value, self.low), self.high), 10)
        return float(value)

    def encode(self, value: Any) -> float:
        """The unit coordinate that decodes to ``value`` (the nearest one for a value outside)."""
        if self.choices is not None:
            plain = [_plain(c) for c in self.choices]
            target = _plain(value)
            index = plain.index(target) if target in plain else 0
            return (index + 0.5) / len(self.choices)
        return min(max((float(value) - self.low) / (self.high - self.low), 0.0), 1.0)

    @property
    def first(self) -> Any:
        return _plain(self.choices[0]) if self.choices is not None else float(self.low)

    def describe(self) -> str:
        if self.choices is not None:
            return f"{self.key}: one of {', '.join(_text(_plain(c)) for c in self.choices)}"
        step = f", step {self.step:g}" if self.step else ""
        return f"{self.key}: {self.low:g} to {self.high:g}{step}"


def _plain(value: Any) -> Any:
    """Lists (and tuples) as lists of plain values, so mixes compare and serialise alike."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]" if value else "[] (everybody)"
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class SearchSpace:
    """Settings and budget pots. ``pots`` maps a pot name to ``(lever, budget key)``;
    ``enabled_in_base`` maps every lever the mix may touch to its baseline ``enabled`` flag
    (empty for a space without levers, such as a test problem's)."""

    settings: tuple[Setting, ...]
    pots: tuple[tuple[str, str, str], ...] = ()   # (pot, lever, budget key)
    budget_rm: float = 0.0
    enabled_in_base: tuple[tuple[str, bool], ...] = ()

    @property
    def n_var(self) -> int:
        return len(self.settings) + (1 + len(self.pots) if self.pots else 0)

    @property
    def names(self) -> list[str]:
        """One name per coordinate of ``x``."""
        split = ["budget.total_share"] + [f"budget.weight.{pot}" for pot, _, _ in self.pots] if self.pots else []
        return [s.key for s in self.settings] + split

    def pot_key(self, lever: str, budget_key: str) -> str:
        return f"policy.{lever}.{budget_key}"

    # ------------------------------------------------------------------ decode
    def decode(self, x: Sequence[float]) -> dict[str, Any]:
        x = np.asarray(x, dtype=float)
        if x.shape != (self.n_var,):
            raise ValueError(f"a point of this space has {self.n_var} coordinates, not {x.shape}")
        values = {s.key: s.decode(u) for s, u in zip(self.settings, x)}
        if not self.pots:
            return values
        budgets = self._split(float(x[len(self.settings)]), x[len(self.settings) + 1:])
        for (pot, lever, key), amount in zip(self.pots, budgets):
            values[self.pot_key(lever, key)] = amount
        return self._levers_on_off(values)

    def _split(self, total_u: float, weights: np.ndarray) -> list[float]:
        total = min(max(total_u, 0.0), 1.0) * self.budget_rm
        w = np.clip((np.clip(weights, 0.0, 1.0) - OFF_BELOW) / (1.0 - OFF_BELOW), 0.0, None)
        if w.sum() <= 0 or total < BUDGET_STEP_RM:
            return [0.0] * len(self.pots)
        shares = w / w.sum()
        return [float(math.floor(total * s / BUDGET_STEP_RM) * BUDGET_STEP_RM) for s in shares]

    def _levers_on_off(self, values: dict[str, Any]) -> dict[str, Any]:
        funded: dict[str, bool] = {}
        for pot, lever, key in self.pots:
            funded[lever] = funded.get(lever, False) or values[self.pot_key(lever, key)] > 0
        out = dict(values)
        for lever, base_on in self.enabled_in_base:
            on = base_on or (funded[lever] if lever in funded else True)
            out[f"policy.{lever}.enabled"] = bool(on)
            if not on:  # its settings cannot matter: one canonical mix
                for s in self.settings:
                    if s.key.startswith(f"policy.{lever}."):
                        out[s.key] = s.first
        return out

    # ------------------------------------------------------------------ encode
    def encode(self, values: dict[str, Any]) -> np.ndarray:
        """A point that decodes to (nearly) the mix ``values`` (a scenario's lever settings; a
        setting or pot it does not name takes its first value or nothing). Used to start the
        search from the named scenarios."""
        x = [s.encode(values.get(s.key, s.first)) for s in self.settings]
        if self.pots:
            amounts = np.array([float(values.get(self.pot_key(lever, key), 0.0)) for _, lever, key in self.pots])
            total = min(float(amounts.sum()), self.budget_rm)
            x.append(total / self.budget_rm)
            top = amounts.max() if amounts.size else 0.0
            x.extend(OFF_BELOW + (1.0 - OFF_BELOW) * a / top if a > 0 else 0.0 for a in amounts)
        return np.asarray(x, dtype=float)

    # ------------------------------------------------------------------ reading a mix
    def allocation_rm(self, values: dict[str, Any]) -> float:
        """The mix's annual allocation: the sum of its pots' annual budgets (RM per year)."""
        return float(sum(values.get(self.pot_key(lever, key), 0.0) for _, lever, key in self.pots))

    def describe(self) -> list[str]:
        lines = [s.describe() for s in self.settings]
        if self.pots:
            lines.append(f"budget split: up to RM {self.budget_rm / 1e6:,.0f} million a year among "
                         + ", ".join(pot for pot, _, _ in self.pots))
        return lines


def unit_space(names: Sequence[str]) -> SearchSpace:
    """A space of plain coordinates in [0, 1] (a test problem's variables)."""
    return SearchSpace(tuple(Setting(name) for name in names))
