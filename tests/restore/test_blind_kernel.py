"""The blind kernel search: refining a wrong start with the code's two-tone prior until zxing-cpp reads."""

import numpy as np

from qrdeblur.decode.zxing import read_grey
from qrdeblur.restore.blind_kernel import binarise, fit_kernel, fit_kernel_nonneg, line_starts, refinements
from qrdeblur.synth import degrade, kernels
from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix, render_matrix

PAYLOAD = "BLIND-KERNEL-42"


def _code(module_px=4):
    matrix = module_matrix(make_symbol(QRSpec(PAYLOAD, 2, "M")), 4)
    return render_matrix(matrix, module_px=module_px, dark=0.1, light=0.9).astype(np.float64)


def _texts(image):
    return {r.text for r in read_grey((np.clip(image, 0, 1) * 255).round().astype(np.uint8))[0]}


def test_fit_kernel_recovers_the_blur_of_a_known_picture():
    sharp = _code()
    psf = kernels.path_kernel(kernels.shake_path(np.random.default_rng(5), 14.0))
    blurred = degrade.convolve(sharp.astype(np.float32), psf).astype(np.float64)
    fitted = fit_kernel(sharp, blurred, psf.shape[0])
    assert fitted.shape == psf.shape and np.isclose(fitted.sum(), 1.0) and fitted.min() >= 0
    assert np.abs(fitted - psf).sum() < 0.5  # L1 distance of two unit-mass kernels: at most 2


def test_binarise_gives_two_levels():
    x = np.linspace(0, 1, 100).reshape(10, 10)
    assert len(np.unique(binarise(x))) == 2


def test_a_start_that_reads_nothing_is_refined_until_the_code_reads():
    # a curved shake over about 3.5 modules: no straight line reads it, the refined kernel does
    rng = np.random.default_rng(11)
    sharp = _code()
    path = kernels.shake_path(rng, 1.0)
    path = path * (14.0 / kernels.path_extent(path))
    blurred = degrade.convolve(sharp.astype(np.float32), kernels.path_kernel(path)).astype(np.float64)
    blurred = np.clip(blurred + rng.normal(0, 0.005, blurred.shape), 0, 1)
    assert PAYLOAD not in _texts(blurred)
    starts = line_starts((7.0, 14.0), 6)
    first = [next(refinements(blurred, k, 0))[1] for k in starts]
    assert not any(PAYLOAD in _texts(r) for r in first)  # no straight line reads it as it is
    assert any(PAYLOAD in _texts(r) for k in starts for _, r in refinements(blurred, k, 6))


def test_nonneg_fit_recovers_a_long_shake_where_the_wraparound_fit_does_not():
    # a picture cut out of a larger scene: the blur reaches in from outside it, which the wrap-around
    # Fourier fit cannot explain; the fit over the pixels whose blur lies inside can
    rng = np.random.default_rng(3)
    sharp = np.pad(_code(), 20, constant_values=0.5)
    sharp[:10] = 0.0  # dark print above the code, outside the picture the fit gets
    path = kernels.shake_path(rng, 1.0)
    psf = kernels.path_kernel(path * (30.0 / kernels.path_extent(path)))
    blurred = degrade.convolve(sharp.astype(np.float32), psf).astype(np.float64)
    blurred += rng.normal(0, 0.01, blurred.shape)
    pic, obs = sharp[12:], blurred[12:]
    side = psf.shape[0] + 6
    truth = kernels.centred(psf, side)
    nonneg = fit_kernel_nonneg(pic, obs, side)
    kernels_fit = kernels.centred(fit_kernel(pic, obs, side), side)
    assert nonneg.shape == (side, side) and np.isclose(nonneg.sum(), 1.0) and nonneg.min() >= 0
    assert np.abs(nonneg - truth).sum() < 0.5
    assert np.abs(nonneg - truth).sum() < 0.5 * np.abs(kernels_fit - truth).sum()


def test_nonneg_fit_batched_equals_one_by_one_and_explains_the_true_picture_best():
    from qrdeblur.restore.blind_kernel import nonneg_kernel_fit
    from qrdeblur.synth import degrade, kernels

    rng = np.random.default_rng(4)
    sharp = np.kron(rng.random((14, 14)) > 0.5, np.ones((3, 3))).astype(np.float64)
    wrong = np.kron(rng.random((14, 14)) > 0.5, np.ones((3, 3))).astype(np.float64)
    observed = degrade.convolve(sharp.astype(np.float32), kernels.motion(7, 30)).astype(np.float64)
    ks, shares = nonneg_kernel_fit(np.stack([sharp, wrong]), observed, 11, ridge=1e-3, iters=150)
    k0, s0 = nonneg_kernel_fit(sharp, observed, 11, ridge=1e-3, iters=150)
    assert ks.shape == (2, 11, 11) and shares.shape == (2,)
    assert np.allclose(ks[0], k0) and np.isclose(shares[0], s0)
    assert s0 > 0.9 and shares[1] < 0.5
    assert (ks >= 0).all()
