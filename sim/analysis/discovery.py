"""Scenario discovery with PRIM (Friedman & Fisher 1999, "Bump hunting in high-dimensional
data"): find the ranges of levers (and uncertainties) under which an outcome condition
holds, as one box that is simple to state.

The algorithm is the EMA Workbench's (``ema_workbench.analysis.prim``, Kwakkel 2017), a
maintained implementation used across exploratory modelling; this module only turns
experiment results into its input and its box into mcsim's outputs. Given runs (rows) with
input columns X and a yes/no condition y (say, "B40 uptake at least 15% and rural/urban
ratio at least 0.9"):

* **Peeling**: starting from the box spanning all runs, EMA repeatedly cuts off the share
  ``alpha`` of the runs still inside the box at the low or high end of one input, taking the
  cut with the largest gain in density per run removed (its default "lenient" objective),
  until a cut would leave fewer than ``min_support`` of all runs or gain nothing; it then
  **pastes** (widens one side by ``alpha``) while that raises density. Each box is a point of
  the **peeling trajectory** (coverage against density).
* **Box choice**: the box on the trajectory with the best balance of coverage and density,
  their harmonic mean (F1 = 2 c d / (c + d); peeling further buys little density at a
  large loss of coverage, and with noisy outcomes the last boxes only fit noise). Pass
  ``choose="density"`` for the first box within ``density_tolerance`` of the densest.

**Coverage** = share of all runs meeting the condition that lie in the box;
**density** = share of the runs in the box that meet it; **support** = share of all runs in
the box. Only inputs the box actually restricts are reported. The hand-written PRIM this
replaced found the same boxes on the shared synthetic cases of tests/test_discovery.py.
"""

from __future__ import annotations

import operator
import warnings
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


def _inputs(X: pd.DataFrame) -> pd.DataFrame:
    """Inputs as EMA's PRIM reads them: floats, and whole numbers (flags as 0/1) as int64 so it
    peels them as discrete values; anything else is refused (one line)."""
    out = {}
    for name in X.columns:
        col = X[name]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_integer_dtype(col):
            out[name] = col.astype("int64")
        elif pd.api.types.is_numeric_dtype(col):
            out[name] = col.astype("float64")
        else:
            raise ValueError(f"input {name!r} is not numeric: PRIM here takes numeric lever and uncertainty columns")
    return pd.DataFrame(out).reset_index(drop=True)


def prim(X: pd.DataFrame, y, alpha: float = 0.05, min_support: float = 0.05,
         density_tolerance: float = 0.02, choose: str = "f1") -> PrimResult:
    """PRIM (EMA Workbench) over numeric inputs ``X`` (one column per input) and a boolean ``y``."""
    from sim.experiment.ema import load_ema

    y = np.asarray(y, dtype=bool)
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha={alpha} is not allowed: expected a share in (0, 0.5)")
    if choose not in ("f1", "density"):
        raise ValueError(f"choose={choose!r} is not allowed: expected f1 or density")
    if not y.any():
        raise ValueError("no run meets the condition: nothing to find a box for")
    load_ema()   # EmaUnavailable (one line) when the package is missing
    import logging

    from ema_workbench.analysis import prim as ema_prim

    logging.getLogger("EMA").setLevel(logging.WARNING)   # EMA logs each box at INFO
    x = _inputs(X)
    names = list(x.columns)
    with warnings.catch_warnings():   # EMA 3.0 uses pandas API that pandas 3.1 deprecates
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"ema_workbench\.")
        finder = ema_prim.Prim(x, y.astype(int), peel_alpha=alpha, paste_alpha=alpha, mass_min=min_support)
        found = finder.find_box()
    init = finder.box_init
    full = {n: (float(init.loc[0, n]), float(init.loc[1, n])) for n in names}
    steps = found.peeling_trajectory
    rows = []
    for step, lims in enumerate(found.box_lims):
        rows.append({"step": step, "coverage": float(steps.coverage.iloc[step]),
                     "density": float(steps.density.iloc[step]), "support": float(steps.mass.iloc[step]),
                     "n_restricted": int(steps.res_dim.iloc[step]),
                     **{f"{n}_low": float(lims.loc[0, n]) for n in names},
                     **{f"{n}_high": float(lims.loc[1, n]) for n in names}})
    trajectory = pd.DataFrame(rows)
    if choose == "f1":
        f1 = 2 * trajectory.coverage * trajectory.density / (trajectory.coverage + trajectory.density)
        chosen = int(f1.idxmax())
    else:
        top = trajectory.density.max()
        chosen = int(trajectory.index[trajectory.density >= top - density_tolerance][0])
    row = trajectory.iloc[chosen]
    box = {n: (float(row[f"{n}_low"]), float(row[f"{n}_high"])) for n in names
           if (row[f"{n}_low"], row[f"{n}_high"]) != full[n]}
    return PrimResult(box, float(row.coverage), float(row.density), float(row.support), trajectory, chosen,
                      float(y.mean()), full)


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
                 f"{len(result.trajectory) - 1} of EMA's peeling and pasting): coverage {result.coverage:.1%}, density {result.density:.1%}, "
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
    ax1.scatter([result.coverage], [result.density], marker="*", s=220, c="black", label="chosen box")
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
