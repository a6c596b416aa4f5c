"""The one colour palette of every figure: Okabe & Ito (2008), distinguishable with the
common colour-vision deficiencies. Figures pick colours in one of two orders."""

from __future__ import annotations

OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7"}


def _ordered(*names: str) -> tuple[str, ...]:
    return tuple(OKABE_ITO[name] for name in names)


# Scenarios in the comparison report: black for the baseline, then one colour per option.
SCENARIO_COLOURS = _ordered("black", "orange", "sky_blue", "bluish_green", "blue", "vermillion",
                            "reddish_purple", "yellow")
# Series in analysis and validation figures: blue first, black last.
SERIES_COLOURS = _ordered("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue",
                          "yellow", "black")
