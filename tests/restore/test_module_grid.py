"""The module-grid solver: its model, registration and version ranking, with zxing-cpp as the oracle."""

import cv2
import numpy as np
import pytest
import zxingcpp

from qrdeblur.qrspec import modules
from qrdeblur.restore.finder_kernel import kernel_of
from qrdeblur.restore.module_grid import (
    PX,
    GridModel,
    GridProblem,
    fit_kernel,
    known_modules,
    nearby_blurs,
    rank_versions,
    render_modules,
    solve_code,
    solve_codes,
    start_shifts,
)
from qrdeblur.synth import kernels
from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix, render_matrix

PAYLOAD = "HEAVY-BLUR-0042"


def _blurred_code(version=3, module_px=5, length_modules=3.5, angle=30.0, noise=0.01, seed=0, quiet=6):
    """A code blurred by motion over ``length_modules`` modules, noised; (float image, symbol outline)."""
    matrix = module_matrix(make_symbol(QRSpec(PAYLOAD, version, "M")), quiet)
    img = render_matrix(matrix, module_px=module_px, dark=0.15, light=0.85)
    psf = kernels.motion(length_modules * module_px, angle)
    img = cv2.filter2D(img, -1, np.ascontiguousarray(psf[::-1, ::-1]), borderType=cv2.BORDER_REPLICATE)
    img = img + np.random.default_rng(seed).normal(0, noise, img.shape).astype(np.float32)
    n = modules(version)
    quad = np.float64([[quiet, quiet], [quiet + n, quiet], [quiet + n, quiet + n], [quiet, quiet + n]]) * module_px
    return np.clip(img, 0, 1).astype(np.float32), quad


def _texts(image_u8):
    return [r.text for r in zxingcpp.read_barcodes(image_u8, formats=zxingcpp.BarcodeFormat.QRCode)]


def _off(quad, modules, module_px=5, seed=10):
    """The outline with each corner moved at random by ``modules`` (sd) modules: a detector's error."""
    return quad + np.random.default_rng(seed).normal(0, modules * module_px, quad.shape)


def test_known_modules_hold_the_function_patterns_of_the_version():
    for version in (1, 2, 7, 10):
        known = known_modules(version)
        n = modules(version)
        assert known.shape == (n, n)
        # finder: dark ring, light ring, dark 3x3 core; separator light
        tl = known[:8, :8]
        assert tl[0, :7].tolist() == [1] * 7 and tl[1, 1:6].tolist() == [0] * 5 and (tl[2:5, 2:5] == 1).all()
        assert (tl[7, :8] == 0).all() and (tl[:8, 7] == 0).all()
        # timing row alternates between the finders
        assert known[6, 8 : n - 8].tolist() == [(i + 1) % 2 for i in range(8, n - 8)]
        # data and format modules are unknown
        assert np.isnan(known).mean() > 0.5
        assert np.isnan(known[8, 0]) and np.isnan(known[n - 1, n - 1])
    # version information (7+) is fixed by the version alone
    assert not np.isnan(known_modules(7)[: 6, -11:-8]).any()
    assert np.isnan(known_modules(6)[: 6, -11:-8]).any()


@pytest.mark.parametrize(
    "kernel", [kernel_of(9.0, 30.0, 0.5), kernel_of(1.0, 0.0, 1.5), kernel_of(4.0, 100.0, 0.3, 2.0)]
)
def test_model_and_adjoint_agree(kernel):
    rng = np.random.default_rng(0)
    model = GridModel(33, kernel)
    m, r = rng.random((33, 33)).astype(np.float32), rng.random((33, 33)).astype(np.float32)
    assert np.vdot(model.forward(m), r) == pytest.approx(np.vdot(m, model.adjoint(r)), rel=1e-4)
    rp = rng.random((33 * PX, 33 * PX)).astype(np.float32)
    assert np.vdot(model.forward_px(m), rp) == pytest.approx(np.vdot(m, model.adjoint_px(rp)), rel=1e-4)
    # the lattice blur is the block average of the pixel blur (away from the edges)
    averaged = model.forward_px(m).reshape(33, PX, 33, PX).mean(axis=(1, 3))
    inner = slice(model.reach + 1, 33 - model.reach - 1)
    np.testing.assert_allclose(model.forward(m)[inner, inner], averaged[inner, inner], atol=1e-4)
    assert model.lattice.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("length_modules", [3.0, 4.0])
def test_a_code_blurred_over_several_modules_is_read_from_an_outline_a_third_of_a_module_off(length_modules):
    img, quad = _blurred_code(length_modules=length_modules)
    assert _texts((img * 255).astype(np.uint8)) == []  # beyond zxing-cpp alone
    kernel = kernel_of(length_modules * PX, 30.0, 0.3)  # the blur as the grid crop (PX per module) sees it
    sol = solve_code(img, _off(quad, 0.3), 3, kernel)
    assert sol is not None and sol.version == 3
    assert _texts(render_modules(sol.dark)) == [PAYLOAD]
    # the registered outline is the symbol's, to a fraction of a module
    assert np.abs(sol.corners - quad).max() < 0.5 * 5


def test_without_the_blur_model_or_with_the_wrong_version_nothing_is_read():
    img, quad = _blurred_code(length_modules=3.5)
    no_blur = solve_code(img, _off(quad, 0.3), 3, kernel_of(1.0, 0.0, 0.3))
    assert no_blur is None or _texts(render_modules(no_blur.dark)) == []
    wrong = solve_code(img, _off(quad, 0.3), 4, kernel_of(3.5 * PX, 30.0, 0.3))
    assert wrong is None or _texts(render_modules(wrong.dark)) == []


def test_versions_are_ranked_by_how_their_known_modules_fit():
    for version in (2, 5):
        img, quad = _blurred_code(version=version, length_modules=3.0, module_px=4)
        ranked = rank_versions(img, _off(quad, 0.3, module_px=4), lambda v: kernel_of(9.0, 30.0, 0.3))
        assert ranked[0][0] == version and ranked[0][1] > 0.9
        assert all(rho < ranked[0][1] - 0.1 for _, rho, _ in ranked[1:])
    # a turned outline is put right when quarter turns are allowed
    img, quad = _blurred_code(version=2, length_modules=3.0, module_px=4)
    turned = np.roll(quad, 1, axis=0)
    ranked = rank_versions(img, turned, lambda v: kernel_of(9.0, 30.0, 0.3), turns=(0, 1, 2, 3))
    assert ranked[0][0] == 2
    np.testing.assert_allclose(ranked[0][2], quad)


def test_problem_fixes_the_quiet_zone_and_frees_the_surroundings():
    p = GridProblem.build(1, kernel_of(6.0, 0.0, 0.5))
    r, n = p.ring, p.n
    assert (p.fixed[r - 1, r - 1 : r + n + 1] == 0).all() and (p.fixed[r - 1 : r + n + 1, r + n] == 0).all()
    assert np.isnan(p.fixed[0]).all() and p.lo[0, 0] < 0 and p.hi[0, 0] > 1
    assert p.weight.shape == (p.model.size, p.model.size) and p.weight[0, 0] == 0 and p.weight.mean() > 0.3


def test_a_defocused_code_is_read_with_the_disk_the_gaussian_estimate_stands_for():
    quiet, module_px, n = 6, 5, 29
    matrix = module_matrix(make_symbol(QRSpec(PAYLOAD, 3, "M")), quiet)
    img = render_matrix(matrix, module_px=module_px, dark=0.15, light=0.85)
    img = cv2.filter2D(img, -1, kernels.disk(1.25 * module_px), borderType=cv2.BORDER_REPLICATE)  # 2.5 modules
    img = np.clip(img + np.random.default_rng(0).normal(0, 0.01, img.shape).astype(np.float32), 0, 1)
    quad = _off(np.float64([[quiet, quiet], [quiet + n, quiet], [quiet + n, quiet + n], [quiet, quiet + n]]) * 5, 0.3)
    assert _texts((img * 255).astype(np.uint8)) == []
    # an estimator that describes blur as motion + Gaussian gives the disk's spread as a Gaussian
    radius = 1.25 * PX
    sigma = float(np.sqrt((radius / 2) ** 2 + 0.25))
    gaussian = solve_code(img, quad, 3, kernel_of(1.0, 0.0, sigma))
    assert gaussian is None or _texts(render_modules(gaussian.dark)) == []
    blurs = nearby_blurs(1.0, 0.0, sigma)
    assert blurs[0][3] == pytest.approx(radius, rel=0.01)  # the disk comes first
    disk = solve_code(img, quad, 3, kernel_of(*blurs[0]))
    assert _texts(render_modules(disk.dark)) == [PAYLOAD]
    # a sharp estimate has no disk to stand for
    assert all(b[3] == 0 for b in nearby_blurs(3.0, 10.0, 0.4))


def test_registration_without_opencvs_template_mask(monkeypatch):
    # OpenCV before 4.12 has no findTransformECCWithMask: the input-mask ECC stands in
    img, quad = _blurred_code(length_modules=3.0)
    monkeypatch.delattr(cv2, "findTransformECCWithMask", raising=False)
    sol = solve_code(img, _off(quad, 0.3), 3, kernel_of(3.0 * PX, 30.0, 0.3))
    assert sol is not None and _texts(render_modules(sol.dark)) == [PAYLOAD]
    assert np.abs(sol.corners - quad).max() < 0.5 * 5


def test_no_code_no_read_and_no_wandering_outline():
    from qrdeblur.restore.module_grid import _plausible_move

    noise = np.random.default_rng(5).random((300, 300)).astype(np.float32)
    quad = np.float64([[60, 60], [240, 60], [240, 240], [60, 240]])
    sol = solve_code(noise, quad, 3, kernel_of(6.0, 30.0, 0.5))
    assert sol is None or _texts(render_modules(sol.dark)) == []
    assert _plausible_move(quad, quad + 10)
    assert not _plausible_move(quad, quad * 2)  # twice the size
    assert not _plausible_move(quad, quad + 100)  # half a side away
    assert not _plausible_move(quad, quad[[0, 2, 1, 3]])  # corners crossed


def _centred(kernel, shape):
    """``kernel`` (odd sides) centred on a zero canvas of the odd ``shape``."""
    out = np.zeros(shape, np.float32)
    (h, w), (kh, kw) = shape, kernel.shape
    out[(h - kh) // 2 : (h + kh) // 2, (w - kw) // 2 : (w + kw) // 2] = kernel
    return out


def test_the_blur_is_fitted_to_the_modules_within_the_support_it_is_given():
    truth = np.pad(kernel_of(12.0, 40.0, 0.6), 3)  # 4 modules of motion, as the grid crop sees it
    p = GridProblem.build(3, truth)
    rng = np.random.default_rng(1)
    m = np.where(np.isnan(p.fixed), rng.random(p.fixed.shape) > 0.5, p.fixed).astype(np.float32)
    s = p.model.size
    yy = np.mgrid[0:s, 0:s][0] / s
    paper, contrast = (0.8 + 0.1 * yy).astype(np.float32), (0.6 - 0.1 * yy).astype(np.float32)
    y = paper - contrast * p.model.forward_px(m) + rng.normal(0, 0.02, (s, s)).astype(np.float32)
    # the support of a wrong estimate (shorter, turned), widened by 3 px
    guess = _centred(kernel_of(9.0, 30.0, 0.6), truth.shape)
    support = cv2.dilate((guess > 0.01 * guess.max()).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    fitted = fit_kernel(y, p, m, paper, contrast, support=support)
    assert fitted.shape == truth.shape and fitted.sum() == pytest.approx(1.0, abs=1e-4)
    assert (fitted >= 0).all() and (fitted[~support] == 0).all()
    assert np.abs(fitted - truth).sum() < 0.3 < np.abs(guess / guess.sum() - truth).sum()
    # modules that say nothing about the blur fit none
    assert fit_kernel(y, p, np.zeros_like(m), paper, contrast) is None


@pytest.mark.parametrize("wrong", [(0.75, 10.0), (1.3, 0.0)])
def test_a_code_the_blur_estimate_misses_is_read_once_the_blur_is_refitted(wrong):
    img, quad = _blurred_code(length_modules=4.0, angle=30.0)
    estimate = kernel_of(4.0 * PX * wrong[0], 30.0 + wrong[1], 0.5)  # length or angle off
    solves = solve_codes(img, _off(quad, 0.3), 3, estimate, 3, grow=3)
    reads = [_texts(render_modules(sol.dark)) == [PAYLOAD] for sol in solves]
    assert len(reads) == 4
    assert not reads[0] and any(reads[1:])
    # no refits: the first solve alone, as solve_code gives it
    assert len(list(solve_codes(img, _off(quad, 0.3), 3, estimate, 0, grow=3))) == 1


def test_refitting_the_blur_draws_no_code_out_of_noise():
    noise = np.random.default_rng(7).random((300, 300)).astype(np.float32)
    quad = np.float64([[60, 60], [240, 60], [240, 240], [60, 240]])
    for sol in solve_codes(noise, quad, 3, kernel_of(9.0, 30.0, 0.5), 4, grow=3):
        assert _texts(render_modules(sol.dark)) == []


def test_registration_from_an_outline_a_module_off_starts_around_it():
    img, quad = _blurred_code(length_modules=3.0, angle=30.0)
    off = quad + np.array([1.0, 1.0]) * 5  # one module right and down
    kernel = kernel_of(3.0 * PX, 30.0, 0.3)

    def reads(search):
        solves = solve_codes(img, off, 3, kernel, 0, search=search)
        return any(_texts(render_modules(s.dark)) == [PAYLOAD] for s in solves)

    assert not reads(0.0) and reads(1.0)
    assert start_shifts(0.0) == [(0.0, 0.0)]
    assert len(start_shifts(1.0)) == 9 and (PX, PX) in start_shifts(1.0)
