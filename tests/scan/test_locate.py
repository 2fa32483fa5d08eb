"""Texture candidates: one-directional texture (barcodes, text lines) ranks below a code's."""

import cv2
import numpy as np
import pytest

from qrdeblur.scan import locate
from qrdeblur.synth import kernels
from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix, render_matrix


def _barcode(height, width, seed=0, bar=3):
    """A 1-D barcode: dark and light vertical bars of random widths (1-3 bars of ``bar`` px)."""
    rng = np.random.default_rng(seed)
    row, dark = [], True
    while len(row) < width:
        row += [0.15 if dark else 0.85] * int(bar * rng.integers(1, 4))
        dark = not dark
    return np.tile(np.float32(row[:width]), (height, 1))


def _code(payload="LOCATE-ME-1234", module_px=4):
    matrix = module_matrix(make_symbol(QRSpec(payload, 3, "M")), 0)
    return render_matrix(matrix, module_px=module_px, dark=0.15, light=0.85)


def test_orientation_coherence_tells_bars_from_modules():
    code = _code()
    h, w = code.shape
    bars = _barcode(h, w)
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), 35, 1.0)
    turned = cv2.warpAffine(bars, turn, (w, h), borderMode=cv2.BORDER_REFLECT)
    box = [(0, 0, w - 1, h - 1)]
    inner = [(w // 4, h // 4, 3 * w // 4, 3 * h // 4)]
    assert locate.orientation_coherence(bars, box)[0] > 0.95
    assert locate.orientation_coherence(turned, inner)[0] > 0.9  # whatever the bars' angle
    assert locate.orientation_coherence(code, box)[0] < 0.2
    # a code blurred over 1.5 modules of motion keeps edges both ways
    blurred = cv2.filter2D(code, -1, kernels.motion(6.0, 30.0))
    assert locate.orientation_coherence(blurred, box)[0] < 0.6
    # a flat box has no edges at all; boxes are clipped to the image
    assert locate.orientation_coherence(np.full((50, 50), 0.5, np.float32), [(0, 0, 49, 49)]) == [0.0]
    both = np.hstack([code, bars])
    left, right = locate.orientation_coherence(both, [(-20, 0, w - 1, h + 50), (w, 0, 2 * w + 100, h - 1)])
    assert left < 0.2 < 0.95 < right


def test_coherence_factor():
    assert locate.coherence_factor(0.3, 0.7) == 1.0
    assert locate.coherence_factor(0.7, 0.7) == 1.0
    assert locate.coherence_factor(0.8, 0.7) == pytest.approx(0.6)
    assert locate.coherence_factor(0.99, 0.7) == pytest.approx(0.2)
    assert locate.coherence_factor(0.99, float("inf")) == 1.0


def test_a_blurred_code_ranks_above_a_barcode_of_its_size():
    rng = np.random.default_rng(3)
    scene = (0.6 + 0.02 * rng.standard_normal((600, 900))).astype(np.float32)
    code = _code(module_px=5)
    h, w = code.shape
    scene[150 : 150 + h, 500 : 500 + w] = code
    scene[150 : 150 + h, 100 : 100 + w] = _barcode(h, w, bar=4)
    scene = cv2.filter2D(scene, -1, kernels.motion(12.0, 20.0), borderType=cv2.BORDER_REPLICATE)  # 2.4 modules
    grey = np.clip(scene * 255, 0, 255).astype(np.uint8)

    def scores(coherence_low):
        """(the code's region's score, the barcode's): the best candidate centred on each."""
        best = {}
        for c in locate.texture_candidates(grey, 10, coherence_low):
            x, y = np.asarray(c.quad).reshape(4, 2).mean(axis=0)
            for name, x0 in (("code", 500), ("barcode", 100)):
                if x0 < x < x0 + w and 150 < y < 150 + h:
                    best.setdefault(name, c.score)
        return best["code"], best["barcode"]

    code_score, barcode_score = scores(locate.TEXTURE_COHERENCE_LOW)
    assert barcode_score < 0.5 * code_score
    # the shape score alone hardly tells them apart: the barcode is as square and as filled
    code_score, barcode_score = scores(float("inf"))
    assert barcode_score > 0.9 * code_score


def test_centred_on_is_the_same_region_not_any_region_inside():
    square = np.array([[0, 0], [100, 0], [100, 100], [0, 100]], float)
    halo = locate.Candidate(square * 1.3 - 15, "texture")  # the same code with its blur halo
    assert locate.centred_on(halo, [square])
    # a code beside the middle of a large detection (one spanning it and its neighbour): kept apart
    beside = locate.Candidate(square * 0.45 + [5, 50], "texture")
    assert locate.covered(beside, [square], 0.0) and not locate.centred_on(beside, [square])
    # a small part in the middle is not the same region either
    assert not locate.centred_on(locate.Candidate(square * 0.3 + 35, "texture"), [square])
    assert not locate.centred_on(halo, [])


def test_inner_distance_ends_at_the_blob_box_edge():
    # a 10 px band filling its box: 5 px deep at most (without the padding it ran on past the edges)
    band = np.ones((10, 40), np.uint8)
    assert locate._inner_distance(band).max() == pytest.approx(5.0, abs=0.6)


def _turned_code_touching_text():
    """A code turned 45 degrees whose top corner touches a block of text lines: one contrast blob."""
    scene = np.full((700, 900), 0.7, np.float32)
    code = _code("SPLIT-ME-FROM-THE-TEXT", module_px=5)
    side = code.shape[0]
    centre = (450.0, 420.0)
    turn = cv2.getRotationMatrix2D((side / 2, side / 2), 45, 1.0)
    turn[:, 2] += np.array(centre) - side / 2
    paper = cv2.warpAffine(np.ones_like(code), turn, (900, 700), flags=cv2.INTER_LINEAR)
    ink = cv2.warpAffine(code, turn, (900, 700), flags=cv2.INTER_LINEAR)
    scene = scene * (1 - paper) + ink * paper
    top = centre[1] - side / np.sqrt(2)  # the turned code's top corner
    for k in range(8):  # text lines just above it, 6 px strokes
        y = int(top) - 12 - 14 * k
        scene[y : y + 6, 150:750] = 0.15
    corners = cv2.transform(np.float32([[[0, 0], [side, 0], [side, side], [0, side]]]), turn)[0]
    scene = cv2.GaussianBlur(scene, (0, 0), 2.0)
    return np.clip(scene * 255, 0, 255).astype(np.uint8), corners, side


def test_a_code_merged_with_text_gets_its_own_outline_when_the_blob_is_split():
    grey, corners, side = _turned_code_touching_text()

    def best_error(split):
        """The smallest largest-corner error (px) of a candidate covering the code's centre."""
        errors = [
            min(np.linalg.norm(np.roll(np.asarray(c.quad), k, axis=0) - corners, axis=1).max() for k in range(4))
            for c in locate.texture_candidates(grey, 24, split=locate.TEXTURE_SPLIT_WEIGHT if split else 0.0)
            if locate.quad_contains(c.quad, corners.mean(axis=0))
        ]
        return min(errors)

    assert best_error(True) < 0.12 * side
    assert best_error(False) > 0.25 * side  # a box around the blob's thickest point, the wrong way round
