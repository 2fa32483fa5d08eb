"""Outlines from three finder patterns (for the grid step), against rendered codes' true corners."""

import cv2
import numpy as np
import pytest

from qrdeblur.scan.finders import finder_outlines, finder_template, outline_from_finders
from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix, render_matrix


def _crop(version, module_px, angle, size=200, quiet=3):
    """A code rotated by ``angle`` degrees in a grey crop; (uint8 crop, symbol corners TL, TR, BR, BL)."""
    matrix = module_matrix(make_symbol(QRSpec("FINDERS-" + "9" * 12, version, "M")), quiet)
    img = render_matrix(matrix, module_px=module_px, dark=0.1, light=0.9)
    side = img.shape[0]
    rot = cv2.getRotationMatrix2D((side / 2, side / 2), angle, 1.0)
    rot[:, 2] += size / 2 - side / 2
    crop = cv2.warpAffine(img, rot, (size, size), flags=cv2.INTER_AREA, borderValue=0.6)
    n = 17 + 4 * version
    sym = np.float64([[quiet, quiet], [quiet + n, quiet], [quiet + n, quiet + n], [quiet, quiet + n]]) * module_px
    corners = cv2.transform(sym.reshape(-1, 1, 2), rot).reshape(4, 2)
    return np.round(crop * 255).astype(np.uint8), corners


@pytest.mark.parametrize(("version", "module_px", "angle"), [(2, 4, 0.0), (4, 3, 90.0), (6, 3, -8.0), (3, 5, 188.0)])
def test_outline_and_module_count_from_the_finders(version, module_px, angle):
    crop, corners = _crop(version, module_px, angle)
    found = finder_outlines(crop)
    assert len(found) == 1
    quad, n = found[0]
    # the symbol's corners in its own order (top-left first), within a module; the module count
    assert np.abs(quad - corners).max() < module_px, (quad.round(1).tolist(), corners.round(1).tolist())
    assert abs(n - (17 + 4 * version)) <= 3  # the sizes go in 15 % steps; versions differ by 4


def test_no_outline_without_a_code():
    rng = np.random.default_rng(0)
    smooth = cv2.resize(rng.random((4, 4)), (200, 200), interpolation=cv2.INTER_CUBIC)
    stripes = np.tile((np.arange(200) // 3 % 2 * 200 + 30).astype(np.float64), (200, 1))
    for img in (smooth * 255, stripes):
        assert finder_outlines(np.clip(img, 0, 255).astype(np.uint8)) == []


def test_templates_and_the_outline_geometry():
    t = finder_template(2.0)
    assert t.shape == (18, 18) and t[9, 9] < 50 and t[0, 0] > 200  # dark core, light separator
    tl, tr, bl = np.array([10.0, 10.0]), np.array([100.0, 10.0]), np.array([10.0, 100.0])
    quad = outline_from_finders(tl, tr, bl, 25.0)  # 18 modules between centres: 5 px per module
    np.testing.assert_allclose(quad, [[-7.5, -7.5], [117.5, -7.5], [117.5, 117.5], [-7.5, 117.5]])
