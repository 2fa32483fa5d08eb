"""Outline locator pairs: the targets mark the very code the crop shows (zxing-cpp as the oracle)."""

import numpy as np
import pytest

from qrdeblur.scan.outline import fit_outline
from qrdeblur.scan.rectify import rectify
from qrdeblur.synth.outline import OUTLINE_SIZE, outline_pair, texture_box


def _pairs(count, seed=0):
    rng = np.random.default_rng(seed)
    return [outline_pair(rng) for _ in range(count)]


def test_pairs_are_reproducible_from_the_seed():
    a, b = _pairs(3, seed=5), _pairs(3, seed=5)
    for p, q in zip(a, b, strict=True):
        assert np.array_equal(p.crop, q.crop) and np.array_equal(p.target, q.target)
    assert not np.array_equal(a[0].crop, _pairs(1, seed=6)[0].crop)


def test_shapes_ranges_and_codeless_pairs():
    pairs = _pairs(40)
    for p in pairs:
        assert p.crop.shape == (OUTLINE_SIZE, OUTLINE_SIZE) and p.target.shape == (2, OUTLINE_SIZE, OUTLINE_SIZE)
        assert 0 <= p.crop.min() and p.crop.max() <= 1
        assert 0 <= p.target.min() and p.target.max() <= 1
        if p.corners is None:
            assert not p.meta["has_code"] and p.target.max() == 0
        else:  # the finder patterns lie inside the symbol, and fill about 3 x 49 of its n x n modules
            n = 17 + 4 * p.meta["version"]
            inside = p.target[0].sum()
            assert (p.target[1] <= p.target[0] + 1e-3).all()
            if inside > 200:
                assert p.target[1].sum() / inside == pytest.approx(147 / n**2, rel=0.3, abs=0.02)
    assert 1 <= sum(p.corners is None for p in pairs) <= 10


def test_the_symbol_mask_outlines_the_corners_and_its_finders_orient_them():
    # fitting the outline to the targets themselves recovers the code's corners, top-left first
    fitted = 0
    for p in _pairs(30, seed=1):
        if p.corners is None or p.target[0].sum() < 0.1 * OUTLINE_SIZE**2:
            continue
        if (p.corners < 1).any() or (p.corners > OUTLINE_SIZE - 2).any():
            continue  # the code runs off the crop: its mask's outline is the crop's edge there
        found = fit_outline(p.target[0], p.target[1])
        assert found is not None and found.oriented
        module = np.linalg.norm(p.corners[1] - p.corners[0]) / (17 + 4 * p.meta["version"])
        assert np.linalg.norm(found.quad - p.corners, axis=1).max() < max(1.0, 0.3 * module)
        fitted += 1
    assert fitted >= 10


def test_a_sharp_pair_rectified_on_its_corners_decodes_to_its_payload(decode_texts):
    # the crop and the corners describe the same code: zxing-cpp reads it on the corners' outline
    read = 0
    for p in _pairs(60, seed=2):
        if p.corners is None or p.meta.get("motion_length", 0) > 2 or p.meta.get("disk_radius", 0) > 1:
            continue
        crop = np.round(p.crop * 255).astype(np.uint8)
        n = 17 + 4 * p.meta["version"]
        rect = rectify(crop, p.corners, 4 * n, 16)
        read += p.meta["payload"] in decode_texts(rect.image)
    assert read >= 3


def test_the_box_is_loose_but_around_the_code():
    rng = np.random.default_rng(3)
    corners = np.array([[100.0, 100.0], [200.0, 110.0], [190.0, 210.0], [90.0, 200.0]])
    for _ in range(50):
        box, params = texture_box(rng, corners)
        centre = box.mean(axis=0)
        assert np.linalg.norm(centre - corners.mean(axis=0)) < 0.3 * 100
        assert 0.8 * 0.75 <= params["box_scale"] <= 1.7
        assert int(np.argmin(box.sum(axis=1))) == 0  # starts at the top-left-most corner
