"""Blur kernels: MATLAB fspecial semantics, normalisation, symmetry, seeding and composition."""

import numpy as np
import pytest
from scipy.ndimage import convolve as nd_convolve

from qrdeblur.errors import UsageError
from qrdeblur.synth import kernels

# MATLAB R2023b documentation, fspecial('motion', 5, 45) (4 decimals)
MATLAB_MOTION_5_45 = np.array(
    [
        [0, 0, 0, 0.0501, 0.0304],
        [0, 0, 0.0519, 0.1771, 0.0501],
        [0, 0.0519, 0.1771, 0.0519, 0],
        [0.0501, 0.1771, 0.0519, 0, 0],
        [0.0304, 0.0501, 0, 0, 0],
    ]
)


def _all_kernels():
    out = []
    for length in (0, 0.5, 1, 2, 3, 4.5, 7, 10, 13.3, 20, 25):
        for theta in (0, 10, 30, 45, 60, 89, 90, 91, 135, 170, 179.9, 180, 250, -30):
            out.append((f"motion({length},{theta})", kernels.motion(length, theta)))
    for sigma in (0, 0.3, 1, 2.5, 3.2):
        out.append((f"gaussian({sigma})", kernels.gaussian(sigma)))
    for radius in (0, 0.4, 0.5, 1, 1.5, 2, 3.7, 8):
        out.append((f"disk({radius})", kernels.disk(radius)))
    for seed in range(3):
        out.append((f"trajectory(seed={seed})", kernels.trajectory(np.random.default_rng(seed), steps=300)))
    out.append(("identity", kernels.identity()))
    out.append(("compose", kernels.compose(kernels.motion(7, 30), kernels.gaussian(1), kernels.disk(2))))
    return out


@pytest.mark.parametrize("name,k", _all_kernels(), ids=[n for n, _ in _all_kernels()])
def test_every_kernel_sums_to_one_with_odd_shape(name, k):
    assert k.ndim == 2
    assert k.shape[0] % 2 == 1 and k.shape[1] % 2 == 1, (name, k.shape)
    assert k.sum() == pytest.approx(1.0, abs=1e-12)
    assert (k >= 0).all()


def test_motion_zero_angle_is_a_row_of_equal_weights():
    k = kernels.motion(9, 0)
    assert k.shape == (1, 9)
    np.testing.assert_allclose(k, np.full((1, 9), 1 / 9), atol=1e-12)


def test_motion_even_length_has_antialiased_ends_like_matlab():
    k = kernels.motion(10, 0)
    assert k.shape == (1, 11)
    np.testing.assert_allclose(k[0, [0, -1]], [0.05, 0.05], atol=1e-12)
    np.testing.assert_allclose(k[0, 1:-1], np.full(9, 0.1), atol=1e-12)


def test_motion_ninety_degrees_is_a_column():
    k = kernels.motion(5, 90)
    assert k.shape == (5, 1)
    np.testing.assert_allclose(k[:, 0], np.full(5, 0.2), atol=1e-12)


def test_motion_45_matches_matlab_golden_array():
    np.testing.assert_allclose(kernels.motion(5, 45), MATLAB_MOTION_5_45, atol=1e-4)


def test_motion_counter_clockwise_line_runs_bottom_left_to_top_right():
    k = kernels.motion(9, 30)
    h, w = k.shape
    # rows grow downwards: a counter-clockwise line has weight top-right and bottom-left, not the others
    assert k[0, w - 1] + k[h - 1, 0] > 0
    assert k[0, 0] == 0 and k[h - 1, w - 1] == 0
    # clockwise angles mirror it
    np.testing.assert_allclose(kernels.motion(9, -30), np.flipud(k), atol=1e-12)


@pytest.mark.parametrize("length", [3, 6.5, 11, 20])
@pytest.mark.parametrize("theta", [0, 17, 45, 90, 123.4, 179])
def test_motion_theta_and_theta_plus_180_are_the_same(length, theta):
    np.testing.assert_allclose(kernels.motion(length, theta), kernels.motion(length, theta + 180), atol=1e-12)


@pytest.mark.parametrize("length", [0, 0.2, 0.99])
def test_motion_shorter_than_one_pixel_is_identity(length):
    np.testing.assert_array_equal(kernels.motion(length, 37), kernels.identity())


def test_motion_length_is_the_extent_of_the_line():
    # a long line at 0 degrees spans LEN pixels; its centre of mass is the kernel centre (no shift)
    for theta in (0, 30, 60, 120):
        k = kernels.motion(15, theta)
        yy, xx = np.mgrid[: k.shape[0], : k.shape[1]]
        assert (k * yy).sum() == pytest.approx((k.shape[0] - 1) / 2, abs=1e-9)
        assert (k * xx).sum() == pytest.approx((k.shape[1] - 1) / 2, abs=1e-9)
        assert max(k.shape) in (15, 17)


def test_gaussian_matches_the_analytic_formula():
    sigma = 1.5
    k = kernels.gaussian(sigma)
    assert k.shape == (11, 11)  # 2 * ceil(3 * sigma) + 1
    c = 5
    r = np.arange(11) - c
    analytic = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))
    np.testing.assert_allclose(k, analytic / analytic.sum(), rtol=1e-12)
    # one sample, by hand: exp(-(1 + 4) / (2 * 2.25)) relative to the centre
    assert k[c + 1, c + 2] / k[c, c] == pytest.approx(np.exp(-5 / 4.5), rel=1e-12)


def test_gaussian_size_argument_and_zero_sigma():
    assert kernels.gaussian(1, size=5).shape == (5, 5)
    np.testing.assert_array_equal(kernels.gaussian(0), kernels.identity())
    with pytest.raises(UsageError, match="4"):
        kernels.gaussian(1, size=4)


@pytest.mark.parametrize("radius", [1, 1.5, 2, 3.7, 6])
def test_disk_is_symmetric_with_the_right_support(radius):
    k = kernels.disk(radius)
    half = int(np.ceil(radius - 0.5))
    assert k.shape == (2 * half + 1, 2 * half + 1)
    np.testing.assert_allclose(k, k.T, atol=1e-12)
    np.testing.assert_allclose(k, k[::-1, :], atol=1e-12)
    np.testing.assert_allclose(k, k[:, ::-1], atol=1e-12)
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1]
    # nearest point of each pixel square to the centre: outside the disk means zero weight
    near = np.hypot(np.maximum(np.abs(xx) - 0.5, 0), np.maximum(np.abs(yy) - 0.5, 0))
    assert (k[near > radius] == 0).all()
    # pixels wholly inside the disk all get the same, largest weight
    far = np.hypot(np.abs(xx) + 0.5, np.abs(yy) + 0.5)
    inner = k[far <= radius]
    assert inner.size > 0
    np.testing.assert_allclose(inner, k.max(), rtol=1e-9)
    # the weights integrate the disk area: the centre pixel holds about 1 / (pi r^2)
    assert k[half, half] == pytest.approx(1 / (np.pi * radius**2), rel=0.03)


def test_trajectory_is_seeded():
    a = kernels.trajectory(np.random.default_rng(7), canvas=15, steps=300)
    b = kernels.trajectory(np.random.default_rng(7), canvas=15, steps=300)
    c = kernels.trajectory(np.random.default_rng(8), canvas=15, steps=300)
    assert a.shape == (15, 15)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-3


def test_trajectory_rejects_bad_canvas_and_exposure():
    rng = np.random.default_rng(0)
    with pytest.raises(UsageError, match="14"):
        kernels.trajectory(rng, canvas=14)
    with pytest.raises(UsageError, match="1.5"):
        kernels.trajectory(rng, exposure=1.5)


def test_compose_equals_blurring_in_turn():
    rng = np.random.default_rng(0)
    img = rng.random((64, 64))
    a, b = kernels.motion(9, 30), kernels.gaussian(1.2)
    once = nd_convolve(img, kernels.compose(a, b), mode="nearest")
    twice = nd_convolve(nd_convolve(img, a, mode="nearest"), b, mode="nearest")
    m = 16  # the border is handled differently; the centre must agree
    np.testing.assert_allclose(once[m:-m, m:-m], twice[m:-m, m:-m], atol=1e-10)
    assert not np.allclose(once[m:-m, m:-m], img[m:-m, m:-m], atol=1e-3)


def test_compose_is_a_true_convolution_not_a_correlation():
    # an asymmetric kernel composed with a one-sided shift must move, not mirror
    shift = np.zeros((1, 3))
    shift[0, 2] = 1.0  # convolution with this moves the image one pixel to the left
    k = kernels.compose(kernels.motion(3, 0), shift)
    assert k.shape == (1, 5)
    np.testing.assert_allclose(k[0], [0, 0, 1 / 3, 1 / 3, 1 / 3], atol=1e-12)


@pytest.mark.parametrize(
    "call,value",
    [
        (lambda: kernels.motion(-3, 0), "-3"),
        (lambda: kernels.motion(float("nan"), 0), "nan"),
        (lambda: kernels.motion(5, float("inf")), "inf"),
        (lambda: kernels.gaussian(-1.5), "-1.5"),
        (lambda: kernels.disk(-2), "-2"),
    ],
    ids=["motion-length", "motion-nan", "motion-angle", "gaussian-sigma", "disk-radius"],
)
def test_bad_values_raise_usage_error_naming_the_value(call, value):
    with pytest.raises(UsageError) as info:
        call()
    assert value in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("length,theta,sigma", [(10, 30, 1.0), (20, 120, 0.5), (6, 90, 2.0), (15, 0, 0.8)])
def test_motion_gaussian_fit_recovers_a_motion_then_gaussian_blur(length, theta, sigma):
    psf = kernels.compose(kernels.motion(length, theta), kernels.gaussian(sigma))
    fit_length, fit_angle, fit_sigma = kernels.motion_gaussian_fit(psf)
    assert fit_length == pytest.approx(length, abs=0.5)
    assert abs((fit_angle - theta + 90) % 180 - 90) < 1.5
    assert fit_sigma == pytest.approx(sigma, abs=0.2)


def test_motion_gaussian_fit_sees_a_disk_as_round_and_follows_a_map():
    length, _, sigma = kernels.motion_gaussian_fit(kernels.disk(5))
    assert length < 0.5 and sigma == pytest.approx(2.5, abs=0.15)  # a disk of radius r: variance r^2/4
    psf = kernels.compose(kernels.motion(12, 0), kernels.gaussian(1))
    # halving the image halves the blur; a map that swaps x and y turns a horizontal smear vertical
    assert kernels.motion_gaussian_fit(psf, np.eye(2) / 2)[0] == pytest.approx(6, abs=0.3)
    assert kernels.motion_gaussian_fit(psf, np.array([[0, 1], [1, 0]]))[1] == pytest.approx(90, abs=1)
    with pytest.raises(UsageError):
        kernels.motion_gaussian_fit(-psf)
