"""Rectify a located code: perspective-warp its quadrilateral to an upright square crop, and back.

The generator was trained on upright codes (up to a few degrees of jitter and 90-degree turns) at
about 2-8 px per module, so a candidate is warped to an axis-aligned square at a chosen side, with a
margin that keeps the quiet zone and the blur halo (the network needs the context the blur spread
the code into). Corners decoded in the crop are mapped back to the input image with the inverse
homography (:func:`map_points`).

A heavy downscale would alias through ``warpPerspective`` (it samples, it does not average), so the
region is first reduced with area interpolation and only then warped.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from qrdeblur.errors import UsageError


@dataclass
class Rectified:
    """An upright square crop and the homography that maps crop pixels back to the input image."""

    image: np.ndarray
    to_image: np.ndarray
    side: int
    margin: int

    def points_to_image(self, points) -> list[list[float]]:
        """Map (x, y) points of the crop to input-image coordinates."""
        return map_points(points, self.to_image)


def order_quad(quad) -> np.ndarray:
    """Order four points clockwise (in image coordinates) starting from the top-left-most one.

    Detector quads keep their own order (the code's top-left first); this is for outlines whose
    order means nothing (a rotated box), so that the crop is not mirrored.
    """
    q = np.asarray(quad, dtype=np.float64).reshape(-1, 2)
    if q.shape != (4, 2):
        raise UsageError(f"a quadrilateral needs 4 points, got array of shape {np.asarray(quad).shape}")
    c = q.mean(axis=0)
    ang = np.arctan2(q[:, 1] - c[1], q[:, 0] - c[0])
    q = q[np.argsort(ang)]  # clockwise on screen (y grows downwards)
    start = int(np.argmin(q.sum(axis=1)))
    return np.roll(q, -start, axis=0)


def quad_side(quad) -> float:
    """Mean side length of a quadrilateral, in pixels."""
    q = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    return float(np.mean(np.linalg.norm(q - np.roll(q, -1, axis=0), axis=1)))


def map_points(points, homography: np.ndarray) -> list[list[float]]:
    """Apply a 3x3 homography to (x, y) points; returns a list of [x, y] floats."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
    if pts.size == 0:
        return []
    out = cv2.perspectiveTransform(pts, np.asarray(homography, dtype=np.float64)).reshape(-1, 2)
    return [[float(x), float(y)] for x, y in out]


def rectify(grey: np.ndarray, quad, side: int, margin: int) -> Rectified:
    """Warp the quadrilateral ``quad`` of ``grey`` to a ``side`` x ``side`` square inside a margin.

    Args:
        grey: (H, W) uint8 image.
        quad: 4 points (x, y), in order around the quadrilateral; the first lands at the crop's top-left.
        side: side of the square the quadrilateral maps to, in crop pixels.
        margin: crop pixels kept around it on every side (outside the image: edge pixels replicated).

    Returns:
        :class:`Rectified` with a (side + 2 margin)-square uint8 crop.
    """
    if side < 8 or margin < 0:
        raise UsageError(f"rectify needs side >= 8 and margin >= 0, got side={side}, margin={margin}")
    q = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    total = side + 2 * margin
    dst = np.array(
        [[margin, margin], [margin + side, margin], [margin + side, margin + side], [margin, margin + side]],
        dtype=np.float64,
    )
    scale = side / max(quad_side(q), 1e-6)
    pre = np.eye(3)
    src_img = grey
    if scale < 0.7:
        # reduce the region around the quad with area averaging first, then warp at near 1:1
        pad = (margin / scale) * 1.5 + 2
        x0, y0 = np.floor(q.min(axis=0) - pad).astype(int)
        x1, y1 = np.ceil(q.max(axis=0) + pad).astype(int)
        h, w = grey.shape[:2]
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if x1 - x0 >= 2 and y1 - y0 >= 2:
            f = scale / 0.9
            roi = grey[y0:y1, x0:x1]
            nw, nh = max(2, int(round((x1 - x0) * f))), max(2, int(round((y1 - y0) * f)))
            src_img = cv2.resize(roi, (nw, nh), interpolation=cv2.INTER_AREA)
            fx, fy = nw / (x1 - x0), nh / (y1 - y0)
            pre = np.array([[fx, 0, -x0 * fx], [0, fy, -y0 * fy], [0, 0, 1]])
    q_src = cv2.perspectiveTransform(q.reshape(-1, 1, 2), pre).reshape(4, 2)
    hom = cv2.getPerspectiveTransform(q_src.astype(np.float32), dst.astype(np.float32))
    crop = cv2.warpPerspective(
        src_img, hom, (total, total), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    to_image = np.linalg.inv(hom @ pre)
    return Rectified(crop, to_image / to_image[2, 2], side, margin)


def estimate_module_px(crop: np.ndarray) -> float | None:
    """Module size (px) of an upright code crop from the periodicity of its edge positions.

    Module edges of an axis-aligned code can only fall on a grid of the module pitch, so the column
    sum of the absolute horizontal gradient (and the row sum of the vertical one) is a comb with that
    period; the first strong autocorrelation peak gives it. Motion blur smears one direction, so the
    direction with the clearer peak wins. Returns None when neither has a clear peak (heavy blur).
    """
    g = np.asarray(crop, dtype=np.float32)
    if g.ndim != 2 or min(g.shape) < 24:
        return None
    gx = np.abs(cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)).sum(axis=0)
    gy = np.abs(cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)).sum(axis=1)
    best, strength = None, 0.0
    for prof in (gx, gy):
        p = prof - cv2.GaussianBlur(prof.reshape(1, -1), (0, 0), 6).ravel()
        p = p[4:-4]
        if p.size < 24 or not np.any(p):
            continue
        ac = np.correlate(p, p, mode="full")[p.size - 1 :]
        ac = ac / (ac[0] + 1e-9)
        lags = np.arange(ac.size)
        lo, hi = 2, min(ac.size - 1, p.size // 3)
        for lag in range(lo + 1, hi):
            if ac[lag] > ac[lag - 1] and ac[lag] >= ac[lag + 1] and ac[lag] > 0.1:
                # parabolic refinement of the peak
                a, b, c = ac[lag - 1], ac[lag], ac[lag + 1]
                den = a - 2 * b + c
                off = 0.5 * (a - c) / den if den != 0 else 0.0
                if ac[lag] > strength:
                    best, strength = float(lags[lag] + off), float(ac[lag])
                break
    return best
