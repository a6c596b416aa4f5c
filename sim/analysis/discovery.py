"""Scenario discovery with PRIM (Friedman & Fisher 1999, "Bump hunting in high-dimensional
data"): find the ranges of levers (and uncertainties) under which an outcome condition
holds, as one box that is simple to state.

Given runs (rows) with input columns X and a yes/no condition y (say, "B40 uptake at least
15% and rural/urban ratio at least 0.9"):

* **Peeling**: starting from the box spanning all runs, repeatedly cut off the share
  ``alpha`` of the runs still inside the box at the low or high end of one input, choosing
  the cut that leaves the highest **density** (share of runs in the box meeting the
  condition), until fewer than ``min_support`` of all runs remain. Each step is a point of
  the **peeling trajectory** (coverage against density).
* **Box choice**: the box on the trajectory with the best balance of coverage and density,
  their harmonic mean (F1 = 2 c d / (c + d); peeling further buys little density at a
  large loss of coverage, and with noisy outcomes the last boxes only fit noise). Pass
  ``choose="density"`` for the first box within ``density_tolerance`` of the densest.
* **Pasting**: widen the chosen box again, one side at a time by ``alpha`` of its runs,
  while that does not lower the density (peeling is greedy and may have cut too much).

**Coverage** = share of all runs meeting the condition that lie in the box;
**density** = share of the runs in the box that meet it; **support** = share of all runs in
the box. Only inputs the box actually restricts are reported.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np
import pandas as pd

OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq}


def condition_mask(results: pd.DataFrame, conditions: dict[str, str]) -> np.ndarray:
    """Rows meeting every condition, e.g. ``{"uptake_by_income.B40": ">= 0.15"}``."""
    mask = np.ones(len(results), dtype=bool)
    for column, text in conditions.items():
        if column not in results:
            raise KeyError(f"condition on {column!r}: not a column of the results")
        text = str(text).strip()
        op = next((o for o in (">=", "<=", "==", ">", "<") if text.startswith(o)), None)
        if op is None:
            raise ValueError(f"condition {column}: {text!r} is not allowed: expected e.g. '>= 0.15' (ops {', '.join(OPS)})")
        value = float(text[len(op):])
        mask &= OPS[op](results[column].to_numpy(dtype=float), value).astype(bool)
    return mask


@dataclass
class PrimResult:
    box: dict[str, tuple[float, float]]      # restricted inputs only: (low, high), inclusive
    coverage: float
    density: float
    support: float
    trajectory: pd.DataFrame                 # step, coverage, density, support, n_restricted, <input>_low/_high
    chosen_step: int
    base_density: float                      # share of all runs meeting the condition
    limits: dict[str, tuple[float, float]]   # full input ranges

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{"input": k, "low": lo, "high": hi, "range_low": self.limits[k][0],
                              "range_high": self.limits[k][1]} for k, (lo, hi) in self.box.items()])


def _stats(inside: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    n_in = inside.sum()
    hits = (y & inside).sum()
    return hits / max(y.sum(), 1), (hits / n_in if n_in else 0.0), n_in / len(y)


def _inside(X: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.all((X >= lo) & (X <= hi), axis=1)


def prim(X: pd.DataFrame, y, alpha: float = 0.05, min_support: float = 0.05,
         density_tolerance: float = 0.02, paste: bool = True, choose: str = "f1") -> PrimResult:
    """PRIM over numeric inputs ``X`` (one column per input) and a boolean ``y``."""
    y = np.asarray(y, dtype=bool)
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha={alpha} is not allowed: expected a share in (0, 0.5)")
    if not y.any():
        raise ValueError("no run meets the condition: nothing to find a box for")
    names = list(X.columns)
    A = X.to_numpy(dtype=float)
    lo, hi = A.min(axis=0), A.max(axis=0)
    full = (lo.copy(), hi.copy())
    boxes = [(lo.copy(), hi.copy())]
    inside = _inside(A, lo, hi)
    while inside.mean() > min_support:
        best = None
        vals = A[inside]
        yin = y[inside]
        for j in range(A.shape[1]):
            for side in ("low", "high"):
                if side == "low":
                    cut = np.quantile(vals[:, j], alpha)
                    keep = vals[:, j] > cut
                else:
                    cut = np.quantile(vals[:, j], 1 - alpha)
                    keep = vals[:, j] < cut
                n_keep = keep.sum()
                if n_keep == 0 or n_keep == len(vals):
                    continue  # cannot peel: ties or an empty box
                density = yin[keep].mean()
                if best is None or density > best[0]:
                    best = (density, j, side, cut, n_keep)
        if best is None or best[4] / len(y) < min_support:
            break
        _, j, side, cut, _ = best
        lo, hi = lo.copy(), hi.copy()
        col = vals[:, j]
        if side == "low":
            lo[j] = col[col > cut].min()
        else:
            hi[j] = col[col < cut].max()
        boxes.append((lo, hi))
        inside = _inside(A, lo, hi)
    rows = []
    for step, (blo, bhi) in enumerate(boxes):
        cov, den, sup = _stats(_inside(A, blo, bhi), y)
        restricted = (blo > full[0]) | (bhi < full[1])
        rows.append({"step": step, "coverage": cov, "density": den, "support": sup,
                     "n_restricted": int(restricted.sum()),
                     **{f"{n}_low": blo[k] for k, n in enumerate(names)},
                     **{f"{n}_high": bhi[k] for k, n in enumerate(names)}})
    trajectory = pd.DataFrame(rows)
    if choose == "f1":
        f1 = 2 * trajectory.coverage * trajectory.density / (trajectory.coverage + trajectory.density)
        chosen = int(f1.idxmax())
    elif choose == "density":
        top = trajectory.density.max()
        chosen = int(trajectory.index[trajectory.density >= top - density_tolerance][0])
    else:
        raise ValueError(f"choose={choose!r} is not allowed: expected f1 or density")
    blo, bhi = boxes[chosen]
    if paste:
        blo, bhi = _paste(A, y, blo.copy(), bhi.copy(), alpha)
    cov, den, sup = _stats(_inside(A, blo, bhi), y)
    box = {n: (float(blo[k]), float(bhi[k])) for k, n in enumerate(names) if blo[k] > full[0][k] or bhi[k] < full[1][k]}
    return PrimResult(box, float(cov), float(den), float(sup), trajectory, chosen, float(y.mean()),
                      {n: (float(full[0][k]), float(full[1][k])) for k, n in enumerate(names)})


def _paste(A, y, lo, hi, alpha):
    """Widen one side at a time by about ``alpha`` of the box's runs while density holds."""
    while True:
        inside = _inside(A, lo, hi)
        _, density, _ = _stats(inside, y)
        n_add = max(1, int(alpha * inside.sum()))
        best = None
        for j in range(A.shape[1]):
            others = np.all((A >= lo) & (A <= hi) | (np.arange(A.shape[1]) == j), axis=1)
            below = np.sort(A[others & (A[:, j] < lo[j]), j])[::-1]
            above = np.sort(A[others & (A[:, j] > hi[j]), j])
            for side, cand in (("low", below), ("high", above)):
                if cand.size == 0:
                    continue
                new = cand[min(n_add, cand.size) - 1]
                tlo, thi = lo.copy(), hi.copy()
                if side == "low":
                    tlo[j] = new
                else:
                    thi[j] = new
                _, d, _ = _stats(_inside(A, tlo, thi), y)
                # keep widening while density does not fall (a pure box stays pure: coverage grows)
                if d >= density and (best is None or d > best[0]):
                    best = (d, tlo, thi)
        if best is None:
            return lo, hi
        _, lo, hi = best


def discover(results: pd.DataFrame, inputs: list[str], conditions: dict[str, str], **kwargs) -> PrimResult:
    """PRIM on experiment results: the box of ``inputs`` where all ``conditions`` hold."""
    missing = [c for c in inputs if c not in results]
    if missing:
        raise KeyError(f"inputs {', '.join(missing)} are not columns of the results")
    return prim(results[inputs], condition_mask(results, conditions), **kwargs)


def format_result(result: PrimResult, conditions: dict[str, str] | None = None) -> str:
    lines = []
    if conditions:
        lines.append("condition: " + " and ".join(f"{k} {v}" for k, v in conditions.items()))
    lines.append(f"runs meeting it: {result.base_density:.1%}; box (step {result.chosen_step} of "
                 f"{len(result.trajectory) - 1}, pasted): coverage {result.coverage:.1%}, density {result.density:.1%}, "
                 f"support {result.support:.1%}")
    for name, (lo, hi) in result.box.items():
        rlo, rhi = result.limits[name]
        lines.append(f"  {name:<40} {lo:10.4g} .. {hi:<10.4g} (range {rlo:.4g} .. {rhi:.4g})")
    return "\n".join(lines)


def plot(result: PrimResult, stem, title: str = "PRIM peeling trajectory"):
    """Trajectory (coverage vs density, colour = inputs restricted) and the chosen box's
    limits as shares of each input's range."""
    from sim.analysis.plots import OKABE_ITO, plt, save

    t = result.trajectory
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1.2, 1]})
    colours = [OKABE_ITO[min(k, len(OKABE_ITO) - 1)] for k in t.n_restricted]
    ax1.scatter(t.coverage, t.density, c=colours, s=18)
    for k in sorted(t.n_restricted.unique()):
        ax1.scatter([], [], c=OKABE_ITO[min(k, len(OKABE_ITO) - 1)], label=f"{k} inputs restricted")
    ax1.scatter([result.coverage], [result.density], marker="*", s=220, c="black", label="chosen box (pasted)")
    ax1.set_xlabel("coverage (share of successes in the box)")
    ax1.set_ylabel("density (share of box runs that succeed)")
    ax1.set_title(title)
    ax1.legend(frameon=False, fontsize=8, loc="lower left")
    names = list(result.box) or ["(no restriction)"]
    for i, name in enumerate(names):
        if name in result.box:
            (lo, hi), (rlo, rhi) = result.box[name], result.limits[name]
            a, b = (lo - rlo) / (rhi - rlo), (hi - rlo) / (rhi - rlo)
            ax2.plot([0, 1], [i, i], color="lightgrey", lw=8, solid_capstyle="butt")
            ax2.plot([a, b], [i, i], color=OKABE_ITO[0], lw=8, solid_capstyle="butt")
            ax2.text(a, i + 0.28, f"{lo:.3g}", ha="center", fontsize=8)
            ax2.text(b, i + 0.28, f"{hi:.3g}", ha="center", fontsize=8)
    ax2.set_yticks(range(len(names)), names, fontsize=8)
    ax2.set_xlim(-0.05, 1.05)
    ax2.set_ylim(-0.7, len(names) - 0.3)
    ax2.set_xlabel("share of the input's sampled range")
    ax2.set_title("chosen box")
    return save(fig, stem)
