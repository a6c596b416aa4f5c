"""Random streams: one ``SeedSequence`` per run, split into named streams.

Two kinds of stream:

* :meth:`Streams.generator` gives an ordinary ``numpy.random.Generator`` for a named process
  (building the population, provider attributes). Its draws depend only on the seed and the
  name, never on which other streams were used before.
* :meth:`Streams.keyed` gives a :class:`KeyedStream`: a counter-based generator whose draw for
  (agent, quarter, slot) is a pure function of the run seed, the stream name and those three
  integers. This is what makes common random numbers exact: learner 17's dropout draw in
  quarter 5 is the same number in the baseline and in every scenario run with the same seed,
  whichever other learners happened to be enrolled, and whatever order they were processed in.

No global random state is touched anywhere in ``sim``.
"""

from __future__ import annotations

import hashlib

import numpy as np

from sim.model import kernels

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 2.0**-53
_MASK, _IGOLDEN, _IM1, _IM2 = 2**64 - 1, int(_GOLDEN), int(_M1), int(_M2)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


def _name_key(name: str) -> int:
    """A stable 32-bit integer for a stream name (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "little")


def _splitmix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, applied elementwise and in place to a uint64 array (wrapping
    arithmetic). In place with one scratch array: this runs on millions of ids a quarter."""
    t = np.right_shift(z, _S30)
    z ^= t
    z *= _M1
    np.right_shift(z, _S27, out=t)
    z ^= t
    z *= _M2
    np.right_shift(z, _S31, out=t)
    z ^= t
    return z


def _to_unit(z: np.ndarray) -> np.ndarray:
    """Top 53 bits of uint64 ``z`` as float64 in [0, 1) (``z`` is overwritten)."""
    z >>= _S11
    u = z.astype(np.float64)
    u *= _TO_UNIT
    return u


def counter(quarter: int, slot: int = 0) -> np.uint64:
    """The counter word of a keyed draw: quarter in bits 32-47, slot in bits 48-63."""
    return np.uint64((quarter << 32) | (slot << 48))


def to_gumbel(u: np.ndarray) -> np.ndarray:
    """Standard Gumbel quantile of uniforms ``u`` (increasing in ``u``)."""
    return -np.log(-np.log(np.maximum(u, 1e-300)))


class KeyedStream:
    """Counter-based uniforms keyed by (agent id, quarter, slot).

    ``uniform(ids, quarter, slot)`` returns float64 values in [0, 1), one per id. Slots give
    one process several independent numbers per agent and quarter (for example one per
    sampled offer). Ids must be < 2**32, quarters < 2**16, slots < 2**16. The draws are
    computed by a compiled loop (``sim.model.kernels``), bit for bit the numpy definition
    (:meth:`uniform_numpy`).
    """

    def __init__(self, key: int) -> None:
        self._key = np.uint64(key)
        self._ikey = int(key)

    def uniform(self, ids: np.ndarray, quarter: int, slot: int = 0) -> np.ndarray:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        return kernels.uniforms(ids, counter(quarter, slot), self._key, np.empty(ids.shape[0]))

    def bits(self, ids: np.ndarray, quarter: int, slot: int = 0) -> np.ndarray:
        """The 64 random bits behind :meth:`uniform` (uint64, one per id)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        return kernels.bits(ids, counter(quarter, slot), self._key, np.empty(ids.shape[0], dtype=np.uint64))

    def uniform_numpy(self, ids: np.ndarray, quarter: int, slot: int = 0) -> np.ndarray:
        """:meth:`uniform` in plain numpy: the definition the compiled kernel is tested against."""
        return _to_unit(self.bits_numpy(ids, quarter, slot))

    def bits_numpy(self, ids: np.ndarray, quarter: int, slot: int = 0) -> np.ndarray:
        """:meth:`bits` in plain numpy."""
        with np.errstate(over="ignore"):
            z = np.asarray(ids).astype(np.uint64)
            z |= counter(quarter, slot)
            z += np.uint64(1)
            z *= _GOLDEN
            z += self._key
            return _splitmix64(z)

    def draw(self, agent_id: int, quarter: int, slot: int = 0) -> float:
        """One agent's uniform, as a Python float: the same number as
        ``uniform([agent_id], quarter, slot)[0]``, computed with Python integers (a per-agent
        model calls this millions of times, where a numpy call per draw would dominate)."""
        z = ((int(agent_id) | (quarter << 32) | (slot << 48)) + 1) & _MASK
        z = (self._ikey + z * _IGOLDEN) & _MASK
        z = ((z ^ (z >> 30)) * _IM1) & _MASK
        z = ((z ^ (z >> 27)) * _IM2) & _MASK
        z ^= z >> 31
        return (z >> 11) * _TO_UNIT

    def gumbel(self, ids: np.ndarray, quarter: int, slot: int = 0) -> np.ndarray:
        """Standard Gumbel draws (the error term of a logit model)."""
        return to_gumbel(self.uniform(ids, quarter, slot))

    def normal(self, ids: np.ndarray, quarter: int, slot: int = 0) -> np.ndarray:
        """Standard normal draws by Box-Muller from two keyed uniforms (slots ``slot`` and ``slot + 1``)."""
        u1 = self.uniform(ids, quarter, slot)
        u2 = self.uniform(ids, quarter, slot + 1)
        return np.sqrt(-2.0 * np.log(np.maximum(u1, 1e-300))) * np.cos(2.0 * np.pi * u2)


class Streams:
    """All randomness of one run, derived from its seed."""

    def __init__(self, seed: int) -> None:
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.seed = int(seed)
        self._root = np.random.SeedSequence(self.seed)

    def _child(self, name: str) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.seed, spawn_key=(_name_key(name),))

    def generator(self, name: str) -> np.random.Generator:
        """A fresh ``Generator`` for the named process."""
        return np.random.Generator(np.random.PCG64(self._child(name)))

    def keyed(self, name: str) -> KeyedStream:
        """The counter-based stream for the named per-agent process."""
        key = int(self._child(name).generate_state(1, dtype=np.uint64)[0])
        return KeyedStream(key)
