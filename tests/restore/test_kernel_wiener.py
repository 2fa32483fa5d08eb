"""The blur encoding round-trips, the estimator's view is fixed-size, and the front end feeds the refiner."""

import numpy as np
import pytest

from qrdeblur.bench.suites import paper80
from qrdeblur.errors import UsageError
from qrdeblur.metrics.decoding import decodes_correctly
from qrdeblur.restore.kernel_wiener import decode_blur, encode_blur, estimator_features, front_end


@pytest.mark.parametrize("length, angle, sigma", [(12.5, 30.0, 1.5), (20.0, 179.0, 2.0), (5.0, 0.0, 0.7)])
def test_encoding_round_trips(length, angle, sigma):
    got = decode_blur(encode_blur(length, angle, sigma))
    assert got[0] == pytest.approx(length, abs=1e-4)
    assert abs((got[1] - angle + 90) % 180 - 90) < 1e-3
    assert got[2] == pytest.approx(sigma, abs=1e-6)


def test_half_turn_is_the_same_blur_and_no_motion_is_one_pixel():
    np.testing.assert_allclose(encode_blur(10, 20, 1), encode_blur(10, 200, 1), atol=1e-6)
    assert decode_blur(encode_blur(0.3, 77, 1))[0] == 1.0
    assert decode_blur(np.array([0.0, 0.0, -5.0]))[2] > 0  # sigma clipped into a sane range


def test_features_are_an_80px_view_of_any_size():
    rng = np.random.default_rng(0)
    for shape in [(3, 80, 80), (2, 50, 130), (1, 200, 90)]:
        f = estimator_features(rng.random(shape).astype(np.float32))
        assert f.shape == (shape[0], 2, 80, 80) and f.dtype == np.float32
        assert np.allclose(f.mean(axis=(2, 3)), 0, atol=1e-4)
    with pytest.raises(UsageError):
        estimator_features(np.zeros((80, 80), np.float32))


def test_front_end_with_the_true_kernel_reads_long_motion():
    """Given the true blur, the refiner's Wiener channel already holds a readable code (zxing-cpp judges)."""
    items = [it for it in paper80(per_cell=3, seed=9) if it.cell == "len15-s1"]
    grey = np.stack([it.blurred[..., 0] for it in items]).astype(np.float32) / 255
    truth = np.stack([encode_blur(15, it.meta["angle"], 1.0) for it in items])
    seen = []
    inp = front_end(grey, lambda f: (seen.append(f.shape), truth)[1])
    assert seen == [(3, 2, 80, 80)] and inp.shape == (3, 2, 80, 80)
    np.testing.assert_array_equal(inp[:, 1], grey)
    assert not any(decodes_correctly(g, it.payloads, "zxing-cpp") for g, it in zip(grey, items, strict=True))
    assert sum(decodes_correctly(w, it.payloads, "zxing-cpp") for w, it in zip(inp[:, 0], items, strict=True)) >= 2
