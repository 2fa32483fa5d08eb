"""The finder-pair reader: a code whose third finder pattern is gone reads from the other two, with its
outline in the image; clutter and a plain surface read nothing."""

import cv2
import numpy as np
import zxingcpp

from qrdeblur.scan.finder_pair import finder_patterns, read_finder_pairs
from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix

PAYLOAD = "FINDER PAIR 0042"


def _code_without_a_finder(corner: int, angle: float = 17.0) -> tuple[np.ndarray, np.ndarray]:
    """A version-2 code at 5 px per module, one finder overprinted solid, turned by ``angle``; and
    where its symbol's centre lands."""
    m = module_matrix(make_symbol(QRSpec(PAYLOAD, 2, "H", mask=0)), 0)
    n = m.shape[0]
    r, c = [(0, 0), (0, n - 7), (n - 7, 0)][corner]
    m[r : r + 7, c : c + 7] = True  # the finder overprinted: a solid dark square
    img = np.kron(np.pad(~m, 6, constant_values=True), np.ones((5, 5))).astype(np.float32)
    img = 0.1 + 0.8 * img
    h, w = img.shape
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    img = cv2.warpAffine(img, rot, (w + 40, h + 40), borderValue=0.9)
    img = cv2.GaussianBlur(img, (0, 0), 0.7)
    return (img * 255).astype(np.uint8), rot @ np.array([w / 2, h / 2, 1.0])


def test_a_code_with_one_finder_gone_reads_from_the_other_two():
    for corner in range(3):
        image, centre = _code_without_a_finder(corner)
        assert not zxingcpp.read_barcodes(image), corner  # zxing-cpp alone cannot locate it
        assert len(finder_patterns(image)) == 2
        reads = read_finder_pairs(image)
        assert [r.text for r, _ in reads] == [PAYLOAD], corner
        corners = np.array(reads[0][1])
        assert np.linalg.norm(corners.mean(axis=0) - centre) < 10  # the outline is on the code


def test_clutter_reads_nothing():
    rng = np.random.default_rng(3)
    noise = (rng.random((60, 60)) < 0.5).astype(np.float32)
    image = (cv2.resize(noise, (300, 300), interpolation=cv2.INTER_NEAREST) * 255).astype(np.uint8)
    assert read_finder_pairs(image) == []
    assert read_finder_pairs(np.full((200, 200), 200, np.uint8)) == []
