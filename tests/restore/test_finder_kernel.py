"""Blind kernel fit from the finder patterns: right kernel, readable code, clear errors."""

import numpy as np
import pytest

from qrdeblur.errors import UsageError
from qrdeblur.metrics import decodes_correctly
from qrdeblur.restore.finder_kernel import FinderKernelFit, finder_wiener, known_patches
from qrdeblur.synth import degrade, kernels
from qrdeblur.synth.render import QRSpec, render_code


@pytest.fixture(scope="module")
def fit():
    return FinderKernelFit()


def _blurred(payload, version, length, angle, sigma, seed=0):
    sharp = render_code(QRSpec(payload, version=version, ecc="M"), size_px=80, quiet_zone=4)
    psf = kernels.compose(kernels.motion(length, angle), kernels.gaussian(sigma))
    noisy, _ = degrade.gaussian_noise(degrade.convolve(sharp, psf), np.random.default_rng(seed), 0.01)
    return degrade.quantise(noisy)


def _angle_error(a, b):
    return abs((a - b + 90) % 180 - 90)


@pytest.mark.parametrize(
    ("version", "length", "angle", "sigma"),
    [(1, 12.5, 37.0, 1.0), (2, 17.0, 121.0, 1.5), (2, 7.0, 164.0, 2.0)],
)
def test_the_fit_recovers_the_kernel_of_an_unseen_code(fit, version, length, angle, sigma):
    est = fit.estimate(_blurred(f"UNSEEN {length} {angle}", version, length, angle, sigma))
    assert est.version == version
    assert abs(est.length - length) <= 1.0
    assert _angle_error(est.angle, angle) <= 3.0
    assert abs(est.sigma - sigma) <= 0.25
    assert est.rms < 0.03


def test_wiener_with_the_fitted_kernel_reads_a_code_raw_decoding_misses(fit, zxing):
    payload = "FINDER FIT 2026"
    blurred = _blurred(payload, 2, 14.0, 58.0, 1.0, seed=3)
    assert not decodes_correctly(blurred, payload, zxing)  # precondition
    assert decodes_correctly(finder_wiener(blurred, fit), payload, zxing)


def test_known_patches_are_the_three_corners():
    sharp, mask = known_patches(1, 80, 4)
    assert sharp.shape == mask.shape == (80, 80)
    # the centre of each finder is dark and known; the centre of the code is unknown
    for r, c in ((20, 20), (20, 59), (59, 20)):
        assert mask[r, c] and sharp[r, c] < 0.05
    assert not mask[40, 40] and not mask[70, 70]


def test_wrong_shapes_and_framings_are_usage_errors(fit):
    with pytest.raises(UsageError, match="80x80"):
        fit.estimate(np.zeros((64, 80), np.float32))
    with pytest.raises(UsageError, match="versions"):
        FinderKernelFit(versions=(0,))
