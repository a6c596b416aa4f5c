"""The compiled kernels (sim.model.kernels) compute exactly what the numpy definitions do:
bit for bit, on ids, quarters and slots across their whole allowed ranges."""

import numpy as np
import pytest

from sim.model.rng import Streams


@pytest.mark.parametrize("quarter,slot", [(0, 0), (1, 0), (7, 3), (39, 12), (65535, 65535)])
def test_keyed_draws_match_the_numpy_definition(quarter, slot):
    stream = Streams(11).keyed("choice")
    rng = np.random.default_rng(quarter * 7 + slot)
    ids = np.concatenate([[0, 1, 2**32 - 1], rng.integers(0, 2**32, 20_000)])
    assert np.array_equal(stream.bits(ids, quarter, slot), stream.bits_numpy(ids, quarter, slot))
    u = stream.uniform(ids, quarter, slot)
    assert np.array_equal(u, stream.uniform_numpy(ids, quarter, slot))
    assert u.dtype == np.float64 and u.min() >= 0.0 and u.max() < 1.0
    # and the per-agent (Python integer) draw of the reference model
    assert [stream.draw(i, quarter, slot) for i in ids[:50]] == u[:50].tolist()


def test_keyed_draws_accept_any_integer_ids():
    stream = Streams(3).keyed("dropout")
    ids = np.arange(100)
    expected = stream.uniform_numpy(ids, 5, 1)
    for form in (ids.astype(np.int32), ids.astype(np.int16), ids[::-1][::-1], list(ids), ids.astype(np.uint32)):
        assert np.array_equal(stream.uniform(form, 5, 1), expected)
    assert stream.uniform(np.zeros(0, dtype=np.int64), 5, 1).shape == (0,)
