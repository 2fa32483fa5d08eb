"""The blur encoding round-trips, the estimator's view is fixed-size, and the front end feeds the refiner."""

import numpy as np
import pytest

from qrdeblur.errors import UsageError
from qrdeblur.metrics.decoding import decodes_correctly
from qrdeblur.restore.kernel_wiener import decode_blur, encode_blur, estimator_features, front_end
from qrdeblur.synth.paper80 import paper80_crops


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
    items = [it for it in paper80_crops(per_cell=3, seed=9) if it.cell == "len15-s1"]
    grey = np.stack([it.blurred[..., 0] for it in items]).astype(np.float32) / 255
    truth = np.stack([encode_blur(15, it.meta["angle"], 1.0) for it in items])
    seen = []
    inp = front_end(grey, lambda f: (seen.append(f.shape), truth)[1])
    assert seen == [(3, 2, 80, 80)] and inp.shape == (3, 2, 80, 80)
    np.testing.assert_array_equal(inp[:, 1], grey)
    assert not any(decodes_correctly(g, it.payloads, "zxing-cpp") for g, it in zip(grey, items, strict=True))
    assert sum(decodes_correctly(w, it.payloads, "zxing-cpp") for w, it in zip(inp[:, 0], items, strict=True)) >= 2


def test_a_fourth_number_is_a_defocus_disk_radius():
    got = decode_blur(encode_blur(8.0, 45.0, 1.0, 3.5))
    assert len(got) == 4 and got[3] == pytest.approx(3.5, abs=1e-5)
    assert len(decode_blur(encode_blur(8.0, 45.0, 1.0))) == 3  # the shipped 3-output estimators
    assert decode_blur(np.array([0.0, 0.0, 1.0, -2.0]))[3] == 0.0  # clipped, no negative radius


def test_front_end_with_the_true_disk_reads_defocus_a_gaussian_of_equal_spread_does_not():
    """A disk's spectrum has zeros and sign flips a Gaussian lacks: Wiener needs the disk itself."""
    from qrdeblur.synth import degrade, kernels
    from qrdeblur.synth.render import QRSpec, make_symbol, render_matrix

    rng = np.random.default_rng(5)
    payloads = [f"DISK-{i:03d}" for i in range(6)]
    radius = 5.0  # 2.5 modules across at 4 px per module
    psf = kernels.disk(radius)
    grey = []
    for text in payloads:
        matrix = np.pad(np.array(make_symbol(QRSpec(text, ecc="M")).matrix, bool), 3)
        blurred = degrade.convolve(render_matrix(matrix, module_px=4), psf)
        grey.append(np.clip(blurred + rng.normal(0, 0.003, blurred.shape), 0, 1))
    grey = np.stack(grey).astype(np.float32)
    as_disk = np.stack([encode_blur(1.0, 0.0, 0.3, radius)] * len(payloads))
    as_gaussian = np.stack([encode_blur(1.0, 0.0, radius / 2)] * len(payloads))  # same variance r^2 / 4
    reads = {}
    for name, estimate in (("blurred", None), ("disk", as_disk), ("gaussian", as_gaussian)):
        images = grey if estimate is None else front_end(grey, lambda f, e=estimate: e)[:, 0]
        reads[name] = sum(decodes_correctly(g, [p], "zxing-cpp") for g, p in zip(images, payloads, strict=True))
    assert reads["blurred"] == 0 and reads["gaussian"] <= 1
    assert reads["disk"] >= 4, reads
