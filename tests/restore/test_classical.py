"""Classical baselines: the oracles must make a blurred code readable again (zxing-cpp is the judge)."""

import numpy as np
import pytest

from qrdeblur.errors import UsageError
from qrdeblur.metrics import decodes_correctly, qr_mae
from qrdeblur.restore import classical
from qrdeblur.synth import degrade, kernels
from qrdeblur.synth.render import QRSpec, render_code

PAYLOAD = "QRDEBLUR TEST 42"


@pytest.fixture(scope="module")
def case():
    """A version-2 code at 80 px, motion 6 px at 30 degrees + Gaussian sigma 1, noise 0.01, 8-bit."""
    sharp = render_code(QRSpec(PAYLOAD, version=2, ecc="M", mask=0), size_px=80)
    psf = kernels.compose(kernels.motion(6, 30), kernels.gaussian(1))
    blurred, _ = degrade.gaussian_noise(degrade.convolve(sharp, psf), np.random.default_rng(0), 0.01)
    return sharp, degrade.quantise(blurred), psf


def test_case_is_hard_for_raw(case, zxing):
    sharp, blurred, _ = case
    assert decodes_correctly(sharp, PAYLOAD, zxing)
    assert not decodes_correctly(blurred, PAYLOAD, zxing)


@pytest.mark.parametrize(
    "restore", [classical.wiener_oracle, classical.rl_oracle, classical.unsupervised_wiener]
)
def test_oracles_make_the_code_readable(case, zxing, restore):
    sharp, blurred, psf = case
    restored = restore(blurred, psf)
    assert restored.shape == blurred.shape and restored.dtype == np.float32
    assert 0.0 <= restored.min() and restored.max() <= 1.0
    assert decodes_correctly(restored, PAYLOAD, zxing)
    assert qr_mae(restored, sharp) < qr_mae(blurred, sharp)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sharpen_is_binary_and_keeps_shape(case, dtype):
    _, blurred, _ = case
    out = classical.sharpen(blurred.astype(dtype))
    assert out.shape == blurred.shape and out.dtype == np.float32
    assert set(np.unique(out)) <= {0.0, 1.0}
    assert 0.2 < out.mean() < 0.9  # neither all black nor all white


def test_sharpen_keeps_a_sharp_code_readable(zxing):
    sharp = render_code(QRSpec(PAYLOAD, version=2, ecc="M", mask=0), module_px=4)
    assert decodes_correctly(classical.sharpen(sharp), PAYLOAD, zxing)


def test_borders_do_not_wrap():
    # a dark band touching the left border: without padding + taper the FFT filter rings it across
    # the image (mean error ~0.5); with them the error is a few percent
    image = np.ones((40, 40), np.float32)
    image[:, :6] = 0
    psf = kernels.compose(kernels.motion(9, 30), kernels.gaussian(1))
    blurred = degrade.convolve(image, psf)
    restored = classical.wiener_oracle(blurred, psf)
    assert np.abs(restored - image).mean() < 0.06
    assert restored[:, -8:].min() > 0.8  # the right border stays light


def test_identity_psf_keeps_the_image():
    image = render_code(QRSpec(PAYLOAD, version=2, ecc="M", mask=0), size_px=80)
    out = classical.wiener_oracle(image, kernels.identity())
    assert qr_mae(out, image) < 3.0  # 0-255 units


def test_unsupervised_wiener_is_reproducible(case):
    _, blurred, psf = case
    np.testing.assert_array_equal(
        classical.unsupervised_wiener(blurred, psf, seed=3),
        classical.unsupervised_wiener(blurred, psf, seed=3),
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda img, psf: classical.wiener_oracle(img[..., None].repeat(3, axis=2), psf),
        lambda img, psf: classical.wiener_oracle((img * 255).astype(np.uint8), psf),
        lambda img, psf: classical.wiener_oracle(img, np.ones((4, 4)) / 16),
        lambda img, psf: classical.wiener_oracle(img, np.zeros((3, 3))),
        lambda img, psf: classical.wiener_oracle(img, psf, balance=0),
        lambda img, psf: classical.rl_oracle(img, psf, num_iter=0),
        lambda img, psf: classical.sharpen(img, block=1.5),
    ],
)
def test_bad_input_raises_usage_error(case, call):
    _, blurred, psf = case
    with pytest.raises(UsageError):
        call(blurred, psf)
