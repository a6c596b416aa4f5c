"""The numbers panel: headline outcomes of the scenario, its baseline twin and the paired
difference at the latest quarter, as rows and as an HTML table whose cells carry stable ids
(``num-<key>-scenario|baseline|difference``) for tests and screen readers."""

from __future__ import annotations

import html
import math

ROWS = (  # key, label, metric, group, kind
    ("uptake-all", "Uptake, all adults", "uptake_rate", "all", "pct"),
    ("uptake-B40", "Uptake, B40", "uptake_rate", "B40", "pct"),
    ("uptake-M40", "Uptake, M40", "uptake_rate", "M40", "pct"),
    ("uptake-T20", "Uptake, T20", "uptake_rate", "T20", "pct"),
    ("uptake-urban", "Uptake, urban", "uptake_rate", "urban", "pct"),
    ("uptake-rural", "Uptake, rural", "uptake_rate", "rural", "pct"),
    ("ratio-B40-T20", "Equity ratio B40 / T20", "rate_ratio", "B40/T20", "ratio"),
    ("ratio-rural-urban", "Equity ratio rural / urban", "rate_ratio", "rural/urban", "ratio"),
    ("trust-accredited", "Employer trust, accredited", "employer_trust", "accredited", "ratio"),
    ("spend", "Public spend so far, RM million", "public_spend_rm", None, "rm"),
    ("spend-attributable", "of which attributable to learning, RM million", "public_spend_attributable_rm",
     None, "rm"),
)


def rows(twin, state: str | None = None) -> list[dict]:
    """One dict per headline: key, label, scenario, baseline, difference, ci (pp or None).
    With ``state`` (a name of ``sim.model.domain.STATES``) the numbers are that state's: uptake and
    equity ratios within it, public spend placed on its residents; employer trust stays national."""
    out = []
    if twin is None or twin.quarter == 0:
        return out
    for key, label, metric, group, kind in ROWS:
        if metric == "public_spend_rm":
            s = sum(v[-1] for v in twin.cumulative_spend_rm("scenario", state).values()) / 1e6
            b = sum(v[-1] for v in twin.cumulative_spend_rm("baseline", state).values()) / 1e6
        elif metric == "public_spend_attributable_rm":
            s = twin.attributable_spend_so_far_rm("scenario", state) / 1e6
            b = twin.attributable_spend_so_far_rm("baseline", state) / 1e6
        else:
            s = float(twin.series(metric, group, "scenario", state)[-1])
            b = float(twin.series(metric, group, "baseline", state)[-1])
        if state is not None and metric == "employer_trust":
            label += " (national)"
        elif state is not None and metric == "public_spend_rm":
            label = f"Public spend so far on residents of {state}, RM million"
        ci = None
        if metric == "uptake_rate":
            _, lo, hi = twin.paired_uptake(group, state)
            ci = (100 * lo, 100 * hi)
        out.append({"key": key, "label": label, "kind": kind, "scenario": s, "baseline": b,
                    "difference": s - b, "ci": ci})
    return out


def _fmt(value: float, kind: str, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    sign = "+" if signed else ""
    if kind == "pct":
        return f"{100 * value:{sign}.2f}" + (" pp" if signed else "%")
    if kind == "rm":
        return f"{value:{sign},.1f}"
    return f"{value:{sign}.3f}"


def table_html(twin, state: str | None = None) -> str:
    body = []
    for r in rows(twin, state):
        ci = f" <small>({r['ci'][0]:+.2f} to {r['ci'][1]:+.2f})</small>" if r["ci"] else ""
        body.append(
            f"<tr><th>{html.escape(r['label'])}</th>"
            f"<td id='num-{r['key']}-scenario'>{_fmt(r['scenario'], r['kind'])}</td>"
            f"<td id='num-{r['key']}-baseline'>{_fmt(r['baseline'], r['kind'])}</td>"
            f"<td><span id='num-{r['key']}-difference'>{_fmt(r['difference'], r['kind'], True)}</span>{ci}</td></tr>")
    if not body:
        return "<p id='numbers-empty'>No quarters simulated yet.</p>"
    where = html.escape(state) if state else "all Malaysia"
    head = (f"<tr><th id='numbers-where' data-state='{html.escape(state or '')}'>{where}</th>"
            "<th>Scenario</th><th>Baseline twin</th>"
            "<th>Difference <small>(95% interval, paired by agent)</small></th></tr>")
    style = ("<style>.mc-num td,.mc-num th{padding:2px 10px;text-align:right;font-size:13px}"
             ".mc-num th:first-child{text-align:left}</style>")
    return f"{style}<table class='mc-num' id='numbers'>{head}{''.join(body)}</table>"
