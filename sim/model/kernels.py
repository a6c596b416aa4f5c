"""Compiled loops (numba) for the model's hot paths, each computing exactly what the numpy
code it replaces computes (same operations in the same order, IEEE double arithmetic, no
fast-math), so outputs stay byte-identical. Transcendental functions (log, exp, pow) are
left to numpy: numpy's SIMD versions and the C library's can differ in the last bit.

Compiled on first use and cached on disk beside this module (``cache=True``), so a new
process loads the machine code instead of compiling it again.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_ONE = np.uint64(1)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 2.0**-53


@njit(cache=True, inline="always")
def keyed_bits(agent_id, counter, key):
    """SplitMix64 of one (agent, counter) under ``key``: ``sim.model.rng.KeyedStream.bits``
    for one id (``counter`` = quarter << 32 | slot << 48, all uint64; wrapping arithmetic)."""
    z = (np.uint64(agent_id) | counter) + _ONE
    z = z * _GOLDEN + key
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def keyed_uniform(agent_id, counter, key):
    """The keyed uniform in [0, 1) of one agent (top 53 bits, as ``KeyedStream.uniform``)."""
    return np.float64(keyed_bits(agent_id, counter, key) >> _S11) * _TO_UNIT


@njit(cache=True)
def uniforms(ids, counter, key, out):
    """``out[i]`` = the keyed uniform of ``ids[i]`` (int64 ids, uint64 counter and key)."""
    for i in range(ids.shape[0]):
        out[i] = keyed_uniform(ids[i], counter, key)
    return out


@njit(cache=True)
def bits(ids, counter, key, out):
    """``out[i]`` = the 64 keyed bits of ``ids[i]``."""
    for i in range(ids.shape[0]):
        out[i] = keyed_bits(ids[i], counter, key)
    return out
