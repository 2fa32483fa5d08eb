"""Degradations: seeded, JSON-describable, and numerically what they claim to be."""

import json

import numpy as np
import pytest
from scipy.ndimage import convolve as nd_convolve

from qrdeblur.errors import UsageError
from qrdeblur.synth import degrade, kernels
from qrdeblur.synth.render import QRSpec, render_code


@pytest.fixture(scope="module")
def code():
    return render_code(QRSpec("DEGRADE ME 123", 2, "M", mask=1), size_px=80)


def _random_calls():
    """name -> f(image, rng) -> (image, params), one for every random degradation."""
    return {
        "gaussian_noise": lambda img, rng: degrade.gaussian_noise(img, rng, 0.05),
        "poisson_gaussian_noise": lambda img, rng: degrade.poisson_gaussian_noise(img, rng, 100.0, 0.01),
        "wear": lambda img, rng: degrade.wear(img, rng, amount=1.0),
        "lighting": lambda img, rng: degrade.lighting(img, rng),
        "jpeg": lambda img, rng: degrade.jpeg(img, rng),
        "random_warp": lambda img, rng: (lambda m, p: (degrade.warp(img, m), p))(
            *degrade.random_warp(rng, img.shape[:2])
        ),
    }


CALLS = _random_calls()


@pytest.mark.parametrize("name", list(CALLS))
@pytest.mark.parametrize("rgb", [False, True], ids=["grey", "rgb"])
def test_random_degradations_are_seeded_and_json_described(name, rgb, code):
    img = np.repeat(code[..., None], 3, 2) if rgb else code
    out1, params1 = CALLS[name](img, np.random.default_rng(11))
    out2, params2 = CALLS[name](img, np.random.default_rng(11))
    assert json.loads(json.dumps(params1)) == params1
    assert params1 == params2
    np.testing.assert_array_equal(out1, out2)
    assert out1.shape == img.shape and out1.dtype == np.float32
    assert out1.min() >= 0 and out1.max() <= 1
    others = [CALLS[name](img, np.random.default_rng(s)) for s in range(12, 17)]
    assert any(not np.array_equal(o, out1) for o, _ in others), "different seeds gave the same output"


def test_random_warp_params_describe_the_draw():
    m, params = degrade.random_warp(np.random.default_rng(2), (80, 80), max_rotation=5, scale=(0.9, 1.1))
    assert m.shape == (3, 3)
    assert -5 <= params["rotation"] <= 5 and 0.9 <= params["scale"] <= 1.1
    assert np.array(params["perspective"]).shape == (4, 2)
    assert json.loads(json.dumps(params)) == params


def test_convolve_with_identity_is_a_no_op(code):
    np.testing.assert_array_equal(degrade.convolve(code, kernels.identity()), code)
    rgb = np.repeat(code[..., None], 3, 2)
    np.testing.assert_array_equal(degrade.convolve(rgb, kernels.identity()), rgb)


def test_convolve_keeps_a_constant_image_constant():
    flat = np.full((40, 50), 0.37, np.float32)
    for psf in (kernels.motion(21, 33), kernels.gaussian(3), kernels.disk(4), kernels.motion(10, 0)):
        out = degrade.convolve(flat, psf)
        np.testing.assert_allclose(out, 0.37, atol=1e-6)  # replicate border: no dark frame


def test_convolve_is_a_true_convolution_with_replicated_border():
    rng = np.random.default_rng(0)
    img = rng.random((30, 40)).astype(np.float32)
    psf = rng.random((3, 5))  # no symmetry at all (line kernels are point-symmetric: flips would hide)
    psf /= psf.sum()
    expected = nd_convolve(img.astype(np.float64), psf, mode="nearest")
    np.testing.assert_allclose(degrade.convolve(img, psf), expected, atol=1e-5)
    rgb = np.stack([img, img * 0.5, 1 - img], axis=2)
    out = degrade.convolve(rgb, psf)
    expected = nd_convolve(1 - img.astype(np.float64), psf, mode="nearest")
    np.testing.assert_allclose(out[..., 2], expected, atol=1e-5)


def test_convolve_rejects_even_psf(code):
    with pytest.raises(UsageError, match=r"\(4, 4\)"):
        degrade.convolve(code, np.ones((4, 4)) / 16)


def test_gaussian_noise_has_the_requested_std():
    img = np.full((256, 256), 0.5, np.float32)
    out, params = degrade.gaussian_noise(img, np.random.default_rng(0), 0.05)
    assert params == {"noise": "gaussian", "noise_std": 0.05}
    assert float((out - img).std()) == pytest.approx(0.05, rel=0.02)
    assert abs(float((out - img).mean())) < 0.002


def test_gaussian_noise_zero_std_is_a_no_op(code):
    out, _ = degrade.gaussian_noise(code, np.random.default_rng(0), 0.0)
    np.testing.assert_array_equal(out, code)


@pytest.mark.parametrize("std", [-0.01, float("nan")])
def test_negative_noise_std_is_a_usage_error(std, code):
    with pytest.raises(UsageError, match=str(std)):
        degrade.gaussian_noise(code, np.random.default_rng(0), std)


def test_poisson_gaussian_noise_variance():
    img = np.full((256, 256), 0.5, np.float32)
    out, params = degrade.poisson_gaussian_noise(img, np.random.default_rng(1), photons=100.0, read_std=0.01)
    assert params == {"noise": "poisson-gaussian", "photons": 100.0, "read_std": 0.01}
    expected = np.sqrt(0.5 / 100 + 0.01**2)
    assert float(out.std()) == pytest.approx(expected, rel=0.03)
    assert float(out.mean()) == pytest.approx(0.5, abs=0.002)
    with pytest.raises(UsageError, match="-5"):
        degrade.poisson_gaussian_noise(img, np.random.default_rng(1), photons=-5, read_std=0.01)


def test_wear_amount_zero_is_a_no_op_and_counts_are_reported(code):
    out, params = degrade.wear(code, np.random.default_rng(0), amount=0)
    np.testing.assert_array_equal(out, code)
    assert params == {"scratches": 0, "patches": 0, "stains": 0}
    changed = 0
    for s in range(10):
        out, params = degrade.wear(code, np.random.default_rng(s), amount=1.0)
        marks = params["scratches"] + params["patches"] + params["stains"]
        assert (marks > 0) == (not np.array_equal(out, code)), params
        changed += marks > 0
    assert changed >= 5


def test_lighting_reduces_contrast_within_the_drawn_range(code):
    out, params = degrade.lighting(code, np.random.default_rng(3), contrast=(0.5, 0.6), gradient=0.0)
    assert 0.5 <= params["contrast"] <= 0.6 and params["gradient"] == 0.0
    # no gradient: dark -> offset, light -> offset + contrast
    np.testing.assert_allclose(out.min(), params["offset"], atol=1e-5)
    np.testing.assert_allclose(out.max(), params["offset"] + params["contrast"], atol=1e-5)


@pytest.mark.parametrize("quality", [(30, 95), (50, 50), (90, 92)])
def test_jpeg_quality_in_range_and_output_close(quality, code):
    for s in range(5):
        out, params = degrade.jpeg(code, np.random.default_rng(s), quality=quality)
        assert quality[0] <= params["jpeg_quality"] <= quality[1]
        assert out.shape == code.shape
        err = np.abs(out - code)
        assert 0 < err.mean() < 0.06  # compressed (artefacts) but the same picture


def test_jpeg_lower_quality_loses_more(code):
    low, _ = degrade.jpeg(code, np.random.default_rng(0), quality=(10, 10))
    high, _ = degrade.jpeg(code, np.random.default_rng(0), quality=(95, 95))
    assert np.abs(low - code).mean() > 2 * np.abs(high - code).mean()


def test_warp_identity_is_a_no_op(code):
    np.testing.assert_allclose(degrade.warp(code, np.eye(3)), code, atol=1e-6)
    rgb = np.repeat(code[..., None], 3, 2)
    np.testing.assert_allclose(degrade.warp(rgb, np.eye(3)), rgb, atol=1e-6)


def test_warp_translation_fills_with_white():
    img = np.zeros((20, 20), np.float32)
    shift = np.array([[1, 0, 5], [0, 1, 0], [0, 0, 1]], dtype=np.float64)
    out = degrade.warp(img, shift)
    assert (out[:, :5] == 1).all() and (out[:, 5:] == 0).all()


def test_bad_image_shape_is_a_usage_error():
    with pytest.raises(UsageError, match=r"\(2, 3, 4, 5\)"):
        degrade.convolve(np.zeros((2, 3, 4, 5), np.float32), kernels.identity())


def test_quantise_matches_uint8_round_trip():
    img = np.linspace(0, 1, 1000, dtype=np.float32).reshape(25, 40)
    u8 = degrade.to_uint8(img)
    assert u8.dtype == np.uint8 and u8[0, 0] == 0 and u8[-1, -1] == 255
    np.testing.assert_array_equal(degrade.quantise(img), u8.astype(np.float32) / 255)
    assert np.abs(degrade.quantise(img) - img).max() <= 0.5 / 255 + 1e-7
