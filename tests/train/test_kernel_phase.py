"""The blur estimator's regression targets: exact parameters for clean codes, the crop's blur for scans."""

import numpy as np
import pytest

from qrdeblur.restore.kernel_wiener import encode_blur
from qrdeblur.synth.presets import PairStream
from qrdeblur.train.kernel_phase import _batch


def test_clean_targets_are_the_drawn_motion_and_gaussian():
    stream, again = PairStream("clean", 3, 80), PairStream("clean", 3, 80)
    _, targets, _ = _batch(stream, 6)
    for target in targets.numpy():
        m = next(again).meta
        expected = encode_blur(m.get("motion_length", 0), m.get("motion_angle", 0), m.get("gaussian_sigma", 0))
        np.testing.assert_allclose(target, expected, atol=1e-6)


def test_scan_targets_are_the_blur_the_rectified_crop_sees():
    stream, again = PairStream("scan", 3, 80), PairStream("scan", 3, 80)
    x, targets, truth = _batch(stream, 6)
    assert tuple(x.shape) == (6, 2, 80, 80)
    for target, (length, _, sigma) in zip(targets.numpy(), truth, strict=True):
        m = next(again).meta
        np.testing.assert_allclose(target, encode_blur(*m["crop_blur"]), atol=1e-6)
        assert length == pytest.approx(max(1.0, m["crop_blur"][0])) and sigma == pytest.approx(m["crop_blur"][2])


def test_a_four_output_estimator_learns_the_disk_apart():
    stream, again = PairStream("scan", 4, 80), PairStream("scan", 4, 80)
    _, targets, truth = _batch(stream, 24, outputs=4)
    radii = []
    for target, true in zip(targets.numpy(), truth, strict=True):
        m = next(again).meta
        np.testing.assert_allclose(target, encode_blur(*m["crop_blur_disk"]), atol=1e-6)
        assert len(true) == 4
        radii.append(m["crop_blur_disk"][3])
        if "disk_radius" not in m:
            assert m["crop_blur_disk"][3] == 0.0
        else:  # the disk is out of the motion + Gaussian fit, so that fit is the narrower
            assert m["crop_blur_disk"][3] > 0 and m["crop_blur_disk"][2] <= m["crop_blur"][2] + 1e-9
    assert any(r > 0 for r in radii) and any(r == 0 for r in radii)
