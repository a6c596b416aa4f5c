"""The explorer page (Solara), served by ``mcsim explore``; see docs/EXPLORER.md.

An analyst sets levers in the sidebar, steps the scenario and its baseline twin (same seed:
same population, common random numbers) quarter by quarter, and reads uptake and equity
against the twin. Changing any setting discards the run; the next Step or Run starts again
from 2025Q1 with the new settings. State is per browser session (Solara reactive variables).
"""

from __future__ import annotations

import base64
import os
import threading

import solara

from sim.config.compose import policy_scenarios
from sim.explorer import figures, readout, state_tiles
from sim.explorer.export import export_file_name, export_yaml
from sim.explorer.levers import POPULATION_SIZES, SLIDERS, Levers, baseline_config, preset_levers, run_config
from sim.explorer.twin import TwinRun
from sim.model.targeting import GROUPS

# Initial population size and seed; ``mcsim explore n_agents=... seed=...`` sets them.
INITIAL = Levers(n_agents=int(os.environ.get("MCSIM_EXPLORE_N_AGENTS", Levers.n_agents)),
                 seed=int(os.environ.get("MCSIM_EXPLORE_SEED", Levers.seed)))

levers = solara.reactive(INITIAL)
twin = solara.reactive(None)          # TwinRun for the current levers, or None before a Step/Run
version = solara.reactive(0)          # bumped after each step so views re-render
playing = solara.reactive(False)
status = solara.reactive("Set the levers, then press Step or Run.")
selected_state = solara.reactive(None)   # a name of sim.model.domain.STATES: filters numbers and figures
_step_lock = threading.Lock()


def set_levers(**changes) -> None:
    """Any change discards the run: the twins must start from 2025Q1 with the new settings."""
    new = levers.value.with_(**changes)
    if new == levers.value:
        return
    playing.set(False)
    with _step_lock:
        levers.set(new)
        twin.set(None)
    status.set("Settings changed: Step or Run starts again from 2025Q1.")


def _current_twin() -> TwinRun:
    if twin.value is None:
        status.set("Building the population and both twins ...")
        lv = levers.value
        twin.set(TwinRun(run_config(lv), baseline_config(lv)))
    return twin.value


def step_once() -> bool:
    """One quarter of both twins; False at the horizon."""
    with _step_lock:
        t = _current_twin()
        if t.done:
            status.set(f"Reached the horizon ({t.period()}). Reset to start again.")
            return False
        t.step()
        status.set(f"After {t.quarter} quarters ({t.period()}).")
    version.set(version.value + 1)
    return True


@solara.lab.task(prefer_threaded=True)
def play() -> None:
    while playing.value and step_once():
        pass
    playing.set(False)


def toggle_run() -> None:
    if playing.value:
        playing.set(False)
    else:
        playing.set(True)
        play()


def reset() -> None:
    playing.set(False)
    with _step_lock:
        twin.set(None)
    status.set("Reset: Step or Run starts again from 2025Q1.")


# --------------------------------------------------------------------------- controls
def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _rm_m(x: float) -> str:
    return f"RM {x:g} million a year"


@solara.component
def Lever(name: str, label: str):
    """A labelled slider for one lever field over its menu (``SLIDERS``, within the schema's
    range); its box has class ``lever-<name>`` for tests."""
    lo, hi, step = SLIDERS[name]
    value = getattr(levers.value, name)
    with solara.Div(classes=[f"lever-{name}"], style="padding: 2px 0"):
        solara.Text(label, style="font-size: 13px")
        if float(step).is_integer() and float(lo).is_integer():
            solara.SliderInt("", value=int(value), min=int(lo), max=int(hi), step=int(step), thumb_label=False,
                             on_value=lambda v: set_levers(**{name: float(v)}))
        else:
            solara.SliderFloat("", value=float(value), min=lo, max=hi, step=step, thumb_label=False,
                               on_value=lambda v: set_levers(**{name: float(v)}))


@solara.component
def LeverControls():
    lv = levers.value
    with solara.Card("Scenario", margin=0):
        solara.Select("Scenario preset", values=policy_scenarios(), value=lv.preset,
                      on_value=lambda p: (levers.set(preset_levers(p, lv.n_agents, lv.seed)), reset()))
    with solara.Card("Fee subsidy (voucher)", margin=0):
        Lever("subsidy_rate", f"Subsidy rate: {_pct(lv.subsidy_rate)} of the fee")
        solara.SelectMultiple("Eligible groups (none = every adult)", values=list(lv.subsidy_targeting),
                              all_values=list(GROUPS), on_value=lambda v: set_levers(subsidy_targeting=tuple(v)))
        Lever("subsidy_cap_rm", f"Cap per learner: RM {lv.subsidy_cap_rm:,.0f}")
        Lever("subsidy_budget_m", f"Budget: {_rm_m(lv.subsidy_budget_m)}")
    with solara.Card("Connectivity", margin=0):
        Lever("rollout_speedup_rural", f"Rural rollout speed: x{lv.rollout_speedup_rural:g} the status quo")
        Lever("rollout_budget_m", f"Rollout budget: {_rm_m(lv.rollout_budget_m)}")
        Lever("device_budget_m", f"Device grants: {_rm_m(lv.device_budget_m)}")
    with solara.Card("Recognition push", margin=0):
        Lever("stackable_share", f"Stackable into MQF awards: {_pct(lv.stackable_share)}")
        Lever("employer_campaign_m", f"Employer campaign: {_rm_m(lv.employer_campaign_m)}")
    with solara.Card("Awareness campaign", margin=0):
        Lever("awareness_intensity", f"Intensity: {_pct(lv.awareness_intensity)}")
        solara.SelectMultiple("Aimed at (none = every adult)", values=list(lv.awareness_targeting),
                              all_values=list(GROUPS), on_value=lambda v: set_levers(awareness_targeting=tuple(v)))
        Lever("awareness_budget_m", f"Budget: {_rm_m(lv.awareness_budget_m)}")
    with solara.Card("Provider readiness", margin=0):
        Lever("readiness_budget_m", f"Readiness grants: {_rm_m(lv.readiness_budget_m)}")
    with solara.Card("Population", margin=0):
        sizes = [str(n) for n in sorted({*POPULATION_SIZES, lv.n_agents})]
        solara.Select("Agents (each stands for many adults)", values=sizes, value=str(lv.n_agents),
                      on_value=lambda v: set_levers(n_agents=int(v)))
        solara.InputInt("Seed", value=lv.seed, on_value=lambda v: set_levers(seed=max(0, int(v))))


@solara.component
def RunControls():
    t = twin.value
    at_end = t is not None and t.done
    with solara.Row():
        solara.Button("Pause" if playing.value else "Run", icon_name="mdi-pause" if playing.value else "mdi-play",
                      on_click=toggle_run, color="primary", disabled=at_end and not playing.value)
        solara.Button("Step", icon_name="mdi-skip-next", on_click=step_once, disabled=playing.value or at_end)
        solara.Button("Reset", icon_name="mdi-restore", on_click=reset)


@solara.component
def Exports(fig):
    lv = levers.value
    t = twin.value

    def settings_yaml() -> str:
        return export_yaml(t.scenario.cfg, t) if t is not None else export_yaml(run_config(lv))

    name = export_file_name(t.scenario.cfg) if t is not None else f"explorer-{lv.preset}-seed{lv.seed}.yaml"
    with solara.Row():
        solara.FileDownload(settings_yaml, filename=name, label="Settings (YAML)", mime_type="text/yaml")
        solara.FileDownload(lambda: figures.figure_bytes(fig, "png"), filename="explorer-figures.png",
                            label="Figures (PNG)", mime_type="image/png")
        solara.FileDownload(lambda: figures.figure_bytes(fig, "svg"), filename="explorer-figures.svg",
                            label="Figures (SVG)", mime_type="image/svg+xml")


@solara.component
def Page():
    version.value  # noqa: B018 - subscribe: re-render after every step
    t = twin.value
    solara.Title("mcsim explorer")
    with solara.Row(style="align-items: flex-start; flex-wrap: nowrap", gap="16px"):
        with solara.Column(gap="8px", style="width: 340px; min-width: 340px"):
            RunControls()
            LeverControls()
        with solara.Column(gap="8px", style="flex-grow: 1"):
            Results(t)


def select_state(state: str | None) -> None:
    """Filter the views to ``state``; selecting the selected state again clears the filter."""
    selected_state.set(None if state is None or state == selected_state.value else state)


@solara.component
def StateMap(t):
    """The clickable tile map of the states (sim.explorer.state_tiles)."""
    version.value  # noqa: B018 - subscribe
    chosen = selected_state.value
    with solara.Div(classes=["state-map"]):
        with solara.Row(style="align-items: center", gap="8px"):
            solara.HTML(tag="b", unsafe_innerHTML="States")
            solara.Button("All Malaysia", on_click=lambda: select_state(None), small=True, outlined=chosen is not None,
                          classes=["state-tile-all"])
            solara.HTML(tag="span", unsafe_innerHTML=state_tiles.legend_html(t), style="font-size: 12px")
        with solara.Div(style="display: grid; grid-template-columns: repeat(9, 60px); grid-auto-rows: 60px; "
                              "gap: 2px; margin-top: 4px"):
            for tile in state_tiles.tiles(t, chosen):
                solara.Button(children=[solara.HTML(tag="div", unsafe_innerHTML=state_tiles.tile_text(tile))],
                              on_click=lambda s=tile["state"]: select_state(s),
                              classes=["state-tile", f"state-tile-{tile['id']}"] + (["selected"] if tile["selected"] else []),
                              style=state_tiles.tile_style(tile), attributes={"title": tile["state"]})


@solara.component
def Results(t):
    version.value  # noqa: B018 - subscribe
    quarter = t.quarter if t is not None else 0  # read once: numbers, picture and label agree
    state = selected_state.value
    title = ""
    if quarter > 0:
        title = (f"{t.scenario.cfg.scenario.name} vs baseline, seed {t.scenario.cfg.seed}, after {quarter} quarters"
                 + (f", {state}" if state else ""))
    fig = solara.use_memo(lambda: figures.dashboard(t, title, state), dependencies=[t, quarter, state])
    png = solara.use_memo(lambda: base64.b64encode(figures.figure_bytes(fig, "png", dpi=100)).decode(),
                          dependencies=[t, quarter, state])
    with solara.Column(gap="8px"):
        solara.HTML(tag="h2", unsafe_innerHTML="mcsim explorer: micro-credential levers and their baseline twin",
                    style="margin: 4px 0; font-size: 20px")
        solara.HTML(tag="div", unsafe_innerHTML=status.value, attributes={"id": "status"})
        solara.HTML(tag="div", attributes={"id": "quarter", "data-quarter": str(quarter)},
                    unsafe_innerHTML=f"Quarter {quarter} of {t.horizon if t else 40}"
                                     + (f" ({t.period()})" if quarter else ""))
        StateMap(t)
        solara.HTML(tag="div", unsafe_innerHTML=readout.table_html(t, state))
        # One <img> carrying its quarter and state, so the picture and its label change together.
        solara.HTML(tag="img", attributes={"id": "figures", "data-quarter": str(quarter), "data-state": state or "",
                                           "style": "max-width: 100%",
                                           "src": f"data:image/png;base64,{png}", "alt": "explorer figures"})
        Exports(fig)
