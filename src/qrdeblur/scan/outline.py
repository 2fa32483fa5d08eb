"""The outline locator: a code's own outline inside a loose texture box, from a small network's masks.

Why: a texture candidate is the blur halo's box (on the ``photo`` suite 1.26x the code's side, 2.1
modules off-centre at the median, often turned), and the ``grid`` step and the generator both need
the symbol's outline to within a module or so; neither the detectors nor the restored crops locate
the codes still lost inside such boxes (session 13). A small U-Net (:mod:`qrdeblur.models.unet`,
two logit maps; trained on :mod:`qrdeblur.synth.outline` pairs by :mod:`qrdeblur.train.outline`)
marks, on the box rectified to a 128 px crop, the symbol's area and its three finder patterns.

:func:`fit_outline` turns the masks into an outline: the largest blob of the symbol mask, its hull
simplified to four corners, each side refitted as a line through the blob's edge pixels (sub-pixel);
the corner whose neighbourhood holds the least finder mass is the code's bottom-right, so the outline
starts at its top-left (as zxing-cpp's do) when that is clear.

Not used by the scan cascade and not shipped: on the ``photo`` suite the locator put 38 % of the lost
codes' outlines within 1.5 modules (their texture boxes: none), but the codes it outlined were
not read from their exact outlines either, and each way of adding its outlines to the cascade read
fewer codes in the budget (session 14, ``docs/research/README.md``). Kept, with its pair generator
and trainer, for the research scripts and a later use (``docs/research/outline_locator_probe.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from qrdeblur.errors import UsageError
from qrdeblur.scan.locate import _outline
from qrdeblur.scan.rectify import order_quad, rectify

#: The box's side in the locator's crop and the margin around it (as in training: 128 px in all).
OUTLINE_SIDE, OUTLINE_MARGIN = 88, 20
#: Finder mass is compared over this fraction of the outline's side from each corner.
FINDER_WINDOW = 0.2


@dataclass
class Outline:
    """A fitted outline.

    Attributes:
        quad: (4, 2) corners (crop or image px), clockwise; the code's top-left first when ``oriented``.
        area: the symbol mask's blob area as a fraction of the crop.
        fill: the blob's area over its outline's (1 for a clean quadrilateral mask).
        oriented: whether the finder masks told the top-left corner apart (see :func:`fit_outline`).
    """

    quad: np.ndarray
    area: float
    fill: float
    oriented: bool


def _side_lines(points: np.ndarray, quad: np.ndarray) -> np.ndarray | None:
    """The quad's corners re-intersected from lines fitted to the blob's edge pixels nearest each side
    (points within a tenth of a side from a corner are left out); None when a side has too few."""
    centre = quad.mean(axis=0)
    lines = []
    for k in range(4):
        a, b = quad[k], quad[(k + 1) % 4]
        ab = b - a
        length = float(np.linalg.norm(ab))
        if length < 4:
            return None
        t = (points - a) @ ab / length**2
        d = points - a
        dist = np.abs(ab[0] * d[:, 1] - ab[1] * d[:, 0]) / length
        near = (t > 0.1) & (t < 0.9) & (dist < max(2.0, 0.05 * length))
        if near.sum() < 5:
            return None
        vx, vy, x0, y0 = cv2.fitLine(points[near].astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        # the edge pixels' centres lie half a pixel inside the blob's edge: move the line out to it
        normal = np.array([-vy, vx])
        if normal @ (np.array([x0, y0]) - centre) < 0:
            normal = -normal
        lines.append((np.array([x0, y0]) + 0.5 * normal, np.array([vx, vy])))
    corners = []
    for k in range(4):
        (p, u), (q, v) = lines[k - 1], lines[k]
        m = np.array([u, -v]).T
        if abs(np.linalg.det(m)) < 1e-6:
            return None
        s = np.linalg.solve(m, q - p)
        corners.append(p + s[0] * u)
    return np.array(corners)


def fit_outline(symbol: np.ndarray, finders: np.ndarray, min_area: float = 0.04) -> Outline | None:
    """An outline from the locator's probability maps (each (S, S) in [0, 1]); None when the symbol
    mask holds no blob of at least ``min_area`` of the crop.

    Orientation: the finder probability summed within :data:`FINDER_WINDOW` of each corner (the maps
    warped to the outline's square); the corner with the least is the bottom-right when the second
    least holds at least twice as much.
    """
    mask = (symbol >= 0.5).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
    if count < 2:
        return None
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    area = float(stats[best, cv2.CC_STAT_AREA])
    if area < min_area * mask.size:
        return None
    blob = (labels == best).astype(np.uint8)
    contours, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    contour = max(contours, key=cv2.contourArea)
    quad = _outline(contour, cv2.minAreaRect(contour), (0.02, 0.04, 0.06, 0.08), min_hull_fill=0.0)
    refined = _side_lines(contour.reshape(-1, 2).astype(np.float64), quad)
    if refined is not None and np.abs(refined - quad).max() < 0.1 * np.sqrt(area):
        quad = order_quad(refined)
    quad_area = abs(cv2.contourArea(quad.astype(np.float32)))
    fill = area / max(quad_area, 1.0)
    # finder mass near each corner, on the maps warped to the outline's square
    side = 64
    square = np.float32([[0, 0], [side, 0], [side, side], [0, side]])
    warp = cv2.getPerspectiveTransform(quad.astype(np.float32), square)
    flat = cv2.warpPerspective(finders.astype(np.float32), warp, (side, side))
    w = max(2, int(round(FINDER_WINDOW * side)))
    mass = np.array([flat[:w, :w].sum(), flat[:w, -w:].sum(), flat[-w:, -w:].sum(), flat[-w:, :w].sum()])
    order = np.argsort(mass)
    oriented = bool(mass[order[1]] >= 2 * mass[order[0]] + 1e-3)
    if oriented:
        quad = np.roll(quad, -((int(order[0]) + 2) % 4), axis=0)  # start at the bottom-right's opposite
    return Outline(quad, area / mask.size, float(fill), oriented)


class OutlineLocator:
    """An exported outline network (``outline.onnx`` of :func:`qrdeblur.train.outline.train`) through
    onnxruntime: :meth:`locate` a code inside a box (about 3 ms a box on 2 cores; 1.6 ms batched).

    Args:
        path: the ``.onnx`` export.
        threads: onnxruntime intra-op threads (None: its default).
    """

    def __init__(self, path: str | Path, threads: int | None = None):
        import onnxruntime as ort

        path = Path(path)
        if not path.is_file():
            raise UsageError(f"{path}: no such outline model")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise UsageError(f"{path}: not a loadable ONNX model ({exc})") from exc
        self.input = self.session.get_inputs()[0].name
        self.path = path

    def probabilities(self, crops: np.ndarray) -> np.ndarray:
        """(B, 2, S, S) symbol and finder probabilities for (B, S, S) uint8 crops."""
        x = (np.asarray(crops, np.float32) / 255.0)[:, None]
        return self.session.run(None, {self.input: x})[0]

    def locate(self, grey: np.ndarray, quad) -> Outline | None:
        """The code's outline (image px) inside the box ``quad`` of ``grey`` (uint8), or None."""
        from qrdeblur.scan.cascade import stretch_contrast

        rect = rectify(grey, quad, OUTLINE_SIDE, OUTLINE_MARGIN)
        prob = self.probabilities(stretch_contrast(rect.image)[None])[0]
        found = fit_outline(prob[0], prob[1])
        if found is None:
            return None
        found.quad = np.asarray(rect.points_to_image(found.quad), np.float64)
        return found
