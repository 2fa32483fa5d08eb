"""The outline locator: fitting outlines to masks, loading the network, and the shipped network on codes."""

import cv2
import numpy as np
import pytest

from qrdeblur.errors import UsageError
from qrdeblur.scan.outline import OutlineLocator, fit_outline


def _quad_mask(quad, size=128, ss=8):
    """Anti-aliased coverage of a quadrilateral (area-averaged from an ss-times finer raster)."""
    big = np.zeros((size * ss, size * ss), np.uint8)
    pts = np.round((np.asarray(quad) + 0.5) * ss - 0.5).astype(np.int32)
    cv2.fillPoly(big, [pts], 255)
    return cv2.resize(big, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32) / 255


def _finders(quad, size=128, present=(0, 1, 3), fraction=0.2):
    """Finder-like squares at the given corners of ``quad`` (0 top-left, 1 top-right, 2 bottom-right, 3 bottom-left)."""
    out = np.zeros((size, size), np.float32)
    q = np.asarray(quad, np.float64)
    hom = cv2.getPerspectiveTransform(np.float32([[0, 0], [1, 0], [1, 1], [0, 1]]), q.astype(np.float32))
    for k in present:
        x0, y0 = [(0, 0), (1 - fraction, 0), (1 - fraction, 1 - fraction), (0, 1 - fraction)][k]
        sq = np.float32([[x0, y0], [x0 + fraction, y0], [x0 + fraction, y0 + fraction], [x0, y0 + fraction]])
        out = np.maximum(out, _quad_mask(cv2.perspectiveTransform(sq[None], hom)[0]))
    return out


QUAD = np.array([[40.3, 22.7], [104.1, 35.2], [95.6, 101.8], [28.9, 90.4]])


def test_the_outline_of_a_quadrilateral_mask_is_its_corners_to_a_fraction_of_a_pixel():
    found = fit_outline(_quad_mask(QUAD), _finders(QUAD))
    assert found is not None
    assert np.linalg.norm(found.quad - QUAD, axis=1).max() < 0.5
    assert found.fill == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("turn", [0, 1, 2, 3])
def test_the_finder_masks_put_the_codes_top_left_first(turn):
    # the code turned in the crop: its top-left is wherever the corner opposite the finder-less one is
    code = np.roll(QUAD, -turn, axis=0)  # the code's own TL, TR, BR, BL
    found = fit_outline(_quad_mask(QUAD), _finders(code))
    assert found.oriented
    assert np.linalg.norm(found.quad - code, axis=1).max() < 0.5


def test_without_finder_evidence_the_outline_claims_no_orientation():
    found = fit_outline(_quad_mask(QUAD), np.zeros((128, 128), np.float32))
    assert found is not None and not found.oriented
    found = fit_outline(_quad_mask(QUAD), _finders(QUAD, present=(0, 1, 2, 3)))
    assert not found.oriented


def test_no_blob_or_a_tiny_one_gives_no_outline():
    empty = np.zeros((128, 128), np.float32)
    assert fit_outline(empty, empty) is None
    speck = _quad_mask([[10, 10], [16, 10], [16, 16], [10, 16]])
    assert fit_outline(speck, empty) is None


def test_the_largest_blob_is_outlined():
    mask = np.maximum(_quad_mask(QUAD), _quad_mask([[2, 110], [20, 110], [20, 126], [2, 126]]))
    found = fit_outline(mask, _finders(QUAD))
    assert np.linalg.norm(found.quad - QUAD, axis=1).max() < 0.5


def test_a_missing_or_broken_model_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no such outline model"):
        OutlineLocator(tmp_path / "none.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(UsageError, match="bad.onnx"):
        OutlineLocator(bad)


def test_locate_maps_the_outline_from_the_boxs_crop_back_to_the_image(monkeypatch):
    # a stand-in network that marks a known quadrilateral of its crop: locate() must return where
    # that quadrilateral lies in the image, its top-left first
    from qrdeblur.scan import outline as outline_mod
    from qrdeblur.scan.rectify import rectify

    grey = np.full((400, 500), 200, np.uint8)
    box = np.array([[150.0, 90.0], [330.0, 110.0], [320.0, 290.0], [140.0, 270.0]])
    rect = rectify(grey, box, outline_mod.OUTLINE_SIDE, outline_mod.OUTLINE_MARGIN)
    image_quad = np.asarray(rect.points_to_image(QUAD), np.float64)

    class Stub(OutlineLocator):
        def __init__(self):
            pass

        def probabilities(self, crops):
            assert crops.shape == (1, 128, 128) and crops.dtype == np.uint8
            return np.stack([_quad_mask(QUAD), _finders(QUAD)])[None]

    found = Stub().locate(grey, box)
    assert found.oriented
    assert np.linalg.norm(found.quad - image_quad, axis=1).max() < 1.0
