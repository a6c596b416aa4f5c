"""Tile maps by state: every by-state outcome of summary.json maps, as a level and as an effect,
and the tiles' colours follow the values (sequential for levels, diverging about 0 for effects);
noisy and missing states are hatched grey."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib import colormaps
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from sim.model.domain import STATES
from sim.report.state_map import (DIVERGING, LAYOUT, NOISY_FACE, OUTCOMES, SEQUENTIAL, draw_tile_map,
                                  tile_colours, tile_map_figure)
from sim.run import run_scenario
from tests.conftest import small_config


@pytest.fixture(scope="module")
def summary():
    return run_scenario(small_config("scenario=east_malaysia_connectivity", n_agents=2000, quarters=4),
                        keep_learners=False).outcomes


def _position(face, cmap_name: str) -> int:
    """Index of a face colour on its colour map's 256-entry table (nearest entry)."""
    table = colormaps[cmap_name](np.linspace(0, 1, 256))[:, :3]
    return int(np.argmin(((table - np.asarray(to_rgb(face))) ** 2).sum(axis=1)))


def test_layout_has_every_state_once_east_malaysia_on_the_right():
    assert sorted(LAYOUT) == sorted(STATES)
    assert len(set(LAYOUT.values())) == len(STATES)
    west = max(c for s, (c, _) in LAYOUT.items() if s not in ("Sabah", "Sarawak", "Labuan"))
    assert all(LAYOUT[s][0] > west for s in ("Sabah", "Sarawak", "Labuan"))


def test_every_by_state_outcome_of_a_summary_maps_as_level_and_effect(summary):
    keys = [k for k, v in summary.items() if isinstance(v, dict) and list(v) == list(STATES)]
    assert set(keys) <= set(OUTCOMES), set(keys) - set(OUTCOMES)
    assert {"uptake_by_state", "completion_rate_by_state", "rate_ratio_b40_t20_by_state",
            "public_spend_by_state_rm"} <= set(keys)
    for key in keys:
        values = summary[key]
        for kind in ("level", "effect"):
            fig = tile_map_figure(key, values, kind, intervals={s: (v, v) for s, v in values.items()})
            fig.savefig(__import__("io").BytesIO(), format="png")
            tiles = [p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("tile-")]
            assert [p.get_gid() for p in tiles] == [f"tile-{s}" for s in STATES]


@pytest.mark.parametrize("kind,cmap", [("level", SEQUENTIAL), ("effect", DIVERGING)])
def test_tile_colours_follow_the_values(kind, cmap):
    rng = np.random.default_rng(7)
    raw = rng.normal(0.0 if kind == "effect" else 0.2, 0.05, len(STATES))
    values = dict(zip(STATES, raw.tolist()))
    fig = Figure()
    tiles = draw_tile_map(fig.add_subplot(), "uptake_by_state", values, kind)
    positions = np.array([_position(tiles[s].get_facecolor(), cmap) for s in STATES])
    order = np.argsort(raw)
    assert (np.diff(positions[order]) >= 0).all(), "colours must rise with the values"
    if kind == "effect":  # centred at 0: negative values on one side of the middle, positive on the other
        assert ((positions < 128) == (raw < 0)).all()
        # equal magnitudes give symmetric positions
        sym = draw_tile_map(Figure().add_subplot(), "uptake_by_state",
                            {s: (0.01 if i % 2 else -0.01) for i, s in enumerate(STATES)}, "effect", colourbar=False)
        pos = [_position(sym[s].get_facecolor(), cmap) for s in STATES]
        assert abs((pos[0] + pos[1]) - 255) <= 2


def test_noisy_and_missing_states_are_hatched_grey():
    values = {s: 0.1 * i for i, s in enumerate(STATES)}
    values["Labuan"] = math.nan
    fig = Figure()
    tiles = draw_tile_map(fig.add_subplot(), "uptake_by_state", values, "level", noisy={"Putrajaya": True})
    for s in ("Labuan", "Putrajaya"):
        assert tiles[s].get_hatch() == "///"
        assert np.allclose(tiles[s].get_facecolor()[:3], to_rgb(NOISY_FACE))
    assert tiles["Sabah"].get_hatch() is None
    assert tile_colours(values, "level", {"Putrajaya": True})["Putrajaya"] == NOISY_FACE
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "n/a" in texts


def test_unknown_outcome_or_kind_fails_with_a_message():
    with pytest.raises(ValueError, match="no tile map"):
        draw_tile_map(Figure().add_subplot(), "nonsense", {}, "level")
    with pytest.raises(ValueError, match="kind"):
        draw_tile_map(Figure().add_subplot(), "uptake_by_state", {}, "ratio")
