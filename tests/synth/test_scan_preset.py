"""The ``scan`` presets (crops as the scan cascade rectifies them) and their scene building blocks."""

import numpy as np
import pytest

from qrdeblur.qrspec import modules
from qrdeblur.synth import kernels, scene
from qrdeblur.synth.presets import SCAN_MAX_SIDE, SCAN_MIN_SIDE, PairStream
from qrdeblur.synth.render import QRSpec, make_symbol, render_matrix


def _take(stream, n):
    return [next(stream) for _ in range(n)]


@pytest.fixture(scope="module")
def scan_pairs():
    return _take(PairStream("scan", 11, size=80), 60)


@pytest.mark.parametrize("preset", ["scan", "scan-whole", "scan-single", "scan-single-whole"])
@pytest.mark.parametrize("size", [80, 96])
def test_pairs_are_grey_float32_in_unit_range(preset, size):
    for pair in _take(PairStream(preset, 2, size=size), 8):
        assert pair.sharp.shape == pair.blurred.shape == (size, size)
        for img in (pair.sharp, pair.blurred):
            assert img.dtype == np.float32 and img.min() >= 0 and img.max() <= 1
        # the observation went through an 8-bit photo and crop, as in the cascade
        np.testing.assert_allclose(pair.blurred * 255, np.round(pair.blurred * 255), atol=1e-3)
        assert pair.meta["preset"] == "scan" and pair.meta["size"] == size


@pytest.mark.parametrize("preset", ["scan", "scan-whole", "scan-single", "scan-single-whole"])
def test_same_seed_same_pairs_other_seed_other_pairs(preset):
    a, b, c = (_take(PairStream(preset, s), 4) for s in (5, 5, 6))
    for x, y, z in zip(a, b, c, strict=True):
        np.testing.assert_array_equal(x.sharp, y.sharp)
        np.testing.assert_array_equal(x.blurred, y.blurred)
        assert x.meta == y.meta
        assert not np.array_equal(x.blurred, z.blurred)


@pytest.mark.parametrize("preset", ["scan-whole", "scan-single-whole"])
def test_whole_targets_decode_to_their_payload(zxing, preset):
    for pair in _take(PairStream(preset, 3, size=80), 12):
        assert pair.meta["framing"] == "whole"
        texts = {r.text for r in zxing.decode(np.round(pair.sharp * 255).astype(np.uint8))}
        assert pair.meta["payload"] in texts


def test_targets_are_clean_codes_on_white(scan_pairs):
    for pair in scan_pairs:
        s = pair.sharp
        # area-averaged edges only: most pixels are pure black or white
        assert np.mean((s < 0.02) | (s > 0.98)) > 0.6


def test_mildly_blurred_observations_are_aligned_with_their_targets(scan_pairs):
    # the observation is aligned with its target: clearly correlated where the blur (motion + 2.5 sigma +
    # the defocus disk's diameter, crop px) spans under 1.5 modules. A code blurred over several modules
    # may correlate negatively with its own target (a disk's and a motion streak's spectra have negative
    # lobes), so heavier blurs say nothing about alignment; a target a few modules off correlates ~0.
    mild = []
    for pair in scan_pairs:
        length, _, sigma, disk = pair.meta["crop_blur_disk"]
        module = pair.meta["side"] / modules(pair.meta["version"])
        if length + 2.5 * sigma + 2 * disk < 1.5 * module and pair.sharp.std() > 0.05:
            mild.append(np.corrcoef(pair.sharp.ravel(), pair.blurred.ravel())[0, 1])
    assert len(mild) >= 8
    assert min(mild) > 0.3


def test_observations_correlate_with_their_targets_on_average(scan_pairs):
    corr = [np.corrcoef(p.sharp.ravel(), p.blurred.ravel())[0, 1] for p in scan_pairs if p.sharp.std() > 0.1]
    assert np.median(corr) > 0.3


def test_scan_covers_its_documented_ranges(scan_pairs):
    metas = [p.meta for p in scan_pairs]
    assert min(m["module_px"] for m in metas) >= 2 and max(m["module_px"] for m in metas) <= 8
    assert max(m["version"] for m in metas) >= 7 and min(m["version"] for m in metas) >= 1
    assert {m["framing"] for m in metas} == {"window", "whole"}
    assert {"module", "side", "native"} <= {m["scale"] for m in metas}
    assert all(SCAN_MIN_SIDE <= m["side"] <= SCAN_MAX_SIDE for m in metas if m["scale"] != "whole")
    assert {m["locator"] for m in metas} == {"detector", "texture"}
    for key in ("motion_length", "disk_radius", "gaussian_sigma", "jpeg_quality", "photons"):
        assert any(key in m for m in metas), key
    assert max(m.get("motion_length", 0) for m in metas) > 15


def test_render_label_matches_a_crisp_render_on_the_pixel_grid():
    """Integer module size, no rotation: the warped raster is the plain rendering, label around it."""
    matrix = np.array(make_symbol(QRSpec("HELLO", 1, "M", 0)).matrix, dtype=bool)
    n, px, label = matrix.shape[0], 4, 2
    # module (0, 0) spans pixels 8..11 of a 4 px grid: its top-left edge at pixel coordinate 7.5
    hom = scene.translate(7.5, 7.5) @ np.diag([px, px, 1.0])
    side = (n + 6) * px
    code, alpha = scene.split_label(scene.render_label(matrix, label, hom, (side, side)))
    crisp = render_matrix(matrix, module_px=px)
    np.testing.assert_allclose(code[8 : 8 + n * px, 8 : 8 + n * px], crisp, atol=1e-6)
    # the label reaches `label` modules beyond the symbol, the surface begins after it
    assert alpha[8 - label * px, 8 - label * px] == 1 and alpha[8 - label * px - 1, 8 - label * px - 1] == 0
    assert np.all(code[alpha == 0] == 1)


def test_locator_quad_keeps_clockwise_order_and_stays_near_the_code():
    rng = np.random.default_rng(0)
    corners = np.array([[10, 10], [110, 10], [110, 110], [10, 110]], float)
    for _ in range(50):
        quad, params = scene.locator_quad(rng, corners)
        assert quad.shape == (4, 2)
        edges = np.roll(quad, -1, axis=0) - quad
        cross = edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1] - edges[:, 1] * np.roll(edges, -1, axis=0)[:, 0]
        assert np.all(cross > 0)  # clockwise on screen (y down): never mirrored
        assert np.abs(quad.mean(axis=0) - 60).max() < 10
        assert params["locator"] in ("detector", "texture")


def test_crop_blur_is_the_camera_blur_at_the_crop_scale(scan_pairs):
    """A crop at 3 px per module sees a native blur scaled by 3 / module_px (rotation aside)."""
    checked = 0
    for pair in scan_pairs:
        m = pair.meta
        if m["scale"] != "module" or m["scale_factor"] != 3.0 or set(m) & {"disk_radius", "shake_length"}:
            continue
        native = kernels.compose(
            kernels.motion(m.get("motion_length", 0), m.get("motion_angle", 0)),
            kernels.gaussian(m.get("gaussian_sigma", 0)),
        )
        length, _, sigma = kernels.motion_gaussian_fit(native)
        scale = 3.0 / m["module_px"]
        crop_length, _, crop_sigma = m["crop_blur"]
        # the blur's total spread (covariance trace: L^2 / 12 + 2 sigma^2) scales with the image;
        # perspective (<= 12 %) and the module estimate's error (~4 %) allow some slack
        def spread(length, sigma):
            return np.sqrt(length**2 / 12 + 2 * sigma**2)

        assert spread(crop_length, crop_sigma) == pytest.approx(spread(length, sigma) * scale, rel=0.25)
        checked += 1
    assert checked >= 5


def test_scan_single_draws_one_dominant_blur_over_a_lens_softness():
    pairs = _take(PairStream("scan-single", 4, size=80), 40)
    parts = {"motion": "motion_length", "shake": "shake_length", "defocus": "disk_radius", "gaussian": "gaussian_sigma"}
    kinds = set()
    for pair in pairs:
        m = pair.meta
        present = [kind for kind, key in parts.items() if key in m]
        assert present == [m["dominant_blur"]]  # exactly one cause, the one named
        assert 0.3 <= m["lens_sigma"] <= 0.8
        kinds.add(m["dominant_blur"])
    assert kinds == set(parts)
    whole = [p.meta for p in _take(PairStream("scan-single-whole", 4, size=80), 12)]
    assert all(m["framing"] == "whole" and "dominant_blur" in m for m in whole)
    # `scan` still composes independent parts: some of its pairs stack several
    composed = [p.meta for p in _take(PairStream("scan", 4, size=80), 40)]
    assert any(sum(key in m for key in parts.values()) >= 2 for m in composed)
    assert all("dominant_blur" not in m for m in composed)
