"""Registration of a code's module grid (:mod:`qrdeblur.restore.module_grid`): ECC (OpenCV) aligns the
blurred picture of known or solved modules with the crop by a homography.
"""

from __future__ import annotations

import cv2
import numpy as np

from qrdeblur.restore.grid_model import PX, GridProblem


def register(
    y: np.ndarray, p: GridProblem, m: np.ndarray, iterations: int = 60, shifts=((0.0, 0.0),)
) -> tuple[np.ndarray, float] | None:
    """(W, correlation): the homography (grid crop -> ``y``'s pixels) aligning the blurred picture of
    the modules ``m`` (NaN: unknown, left out) with ``y``; None when ECC fails.

    ECC is invariant to the light's gain and offset, so the template is just the blurred module picture.
    ``shifts``: starting translations (crop px) to try, a short ECC from each, then the best one
    continued (ECC converges from within about half a module: an outline a module off needs a start
    near it).
    """
    known = ~np.isnan(m)
    template = (1 - p.model.forward_px(np.where(known, m, 0.5))).astype(np.float32)
    mask = (np.repeat(np.repeat(known, PX, axis=0), PX, axis=1) & (p.weight > 0)).astype(np.uint8)
    src = np.ascontiguousarray(y, dtype=np.float32)
    if len(shifts) == 1:
        start = np.eye(3, dtype=np.float32)
        start[:2, 2] = shifts[0]
        return _ecc(template, src, mask, start, iterations)
    best = None
    for shift in shifts:
        start = np.eye(3, dtype=np.float32)
        start[:2, 2] = shift
        found = _ecc(template, src, mask, start, min(iterations, 15))
        if found is not None and (best is None or found[1] > best[1]):
            best = found
    if best is None:
        return None
    final = _ecc(template, src, mask, best[0].astype(np.float32), iterations)
    return final if final is not None and final[1] >= best[1] else best


def start_shifts(search: float) -> list[tuple[float, float]]:
    """ECC starts (crop px) for an outline up to ``search`` modules off: itself, and moved that far
    along each axis and diagonal (none more when ``search`` is 0)."""
    shifts = [(0.0, 0.0)]
    if search > 0:
        step = search * PX
        shifts += [(dx * step, dy * step) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]
    return shifts


def _ecc(template, src, mask, warp, iterations: int) -> tuple[np.ndarray, float] | None:
    criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, iterations, 1e-5)
    try:
        if hasattr(cv2, "findTransformECCWithMask"):  # OpenCV >= 4.12: a template mask
            rho, warp = cv2.findTransformECCWithMask(
                template, src, mask, np.ones_like(mask), warp, cv2.MOTION_HOMOGRAPHY, criteria, 5
            )
        else:
            rho, warp = cv2.findTransformECC(template, src, warp, cv2.MOTION_HOMOGRAPHY, criteria, mask, 5)
    except cv2.error:
        return None
    return warp.astype(np.float64), float(rho)


__all__ = ["register", "start_shifts"]
