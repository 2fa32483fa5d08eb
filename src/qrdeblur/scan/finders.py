"""Find a code's outline from its three finder patterns in a restored crop, where zxing-cpp finds none.

The ``grid`` step (:mod:`qrdeblur.restore.module_grid`) needs the symbol's outline to within about a
module; it registers the rest. zxing-cpp locates a code only when its finder patterns keep their
1:1:3:1:1 profile, which the generator's crops of heavily blurred codes often lack (nor does OpenCV's
detector find them), yet the finders still stand out as the biggest dark squares with a ring. So:

1. normalised cross-correlation (``cv2.matchTemplate``) of the crop with a finder pattern and its
   light separator (9 x 9 modules) at module sizes from 1.2 px up, in 15 % steps;
2. the best peaks, one per place across sizes;
3. triples of peaks that form an isosceles right angle at one of them (the top-left finder) with
   similar sizes and 19-60 modules across; the orientation follows from the turn's direction;
4. the outline: finder centres sit 3.5 modules inside the symbol's corners.

The template is upright: a code turned more than about 10 degrees from the crop's axes (plus any
quarter turn) is not found. The cascade's crops are rectified from texture boxes fitted to the
code's blob, so most are close to upright.

On the ``photo`` codes ``scan`` lost in scenes 0-59 (33, blurred over 1+ modules), the best triple in
the generator's crop of the texture candidate gave an outline within 1.5 modules for 9, always in the
right orientation, with the module count within one (session 10, ``docs/research/README.md``).
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

#: Module sizes (crop px) searched.
FINDER_SCALES = tuple(1.2 * 1.15**i for i in range(12))
#: Smallest normalised correlation of a finder peak.
FINDER_MIN_SCORE = 0.45


@lru_cache(maxsize=64)
def finder_template(module_px: float) -> np.ndarray:
    """A finder pattern inside its light separator ring (9 x 9 modules), area-sampled at ``module_px``."""
    m = np.ones((9, 9), np.float32)
    m[1:8, 1:8] = 0
    m[2:7, 2:7] = 1
    m[3:6, 3:6] = 0
    fine = cv2.resize(m, (9 * 16, 9 * 16), interpolation=cv2.INTER_NEAREST)
    size = max(5, int(round(9 * module_px)))
    return (cv2.resize(fine, (size, size), interpolation=cv2.INTER_AREA) * 255).astype(np.uint8)


def finder_peaks(
    crop: np.ndarray, scales=FINDER_SCALES, min_score: float = FINDER_MIN_SCORE, per_scale: int = 6, keep: int = 10
) -> list[tuple[float, float, float, float]]:
    """Likely finder centres in a grey uint8 crop: (x, y, module px, score), best first, one per place."""
    peaks = []
    for s in scales:
        t = finder_template(s)
        if t.shape[0] >= min(crop.shape) - 2:
            continue
        r = cv2.matchTemplate(crop, t, cv2.TM_CCOEFF_NORMED)
        k = max(3, int(round(5 * s)) | 1)
        top = cv2.dilate(r, np.ones((k, k), np.uint8))
        ys, xs = np.nonzero((r >= top) & (r >= min_score))
        half = t.shape[0] / 2 - 0.5
        for i in np.argsort(-r[ys, xs])[:per_scale]:
            peaks.append((xs[i] + half, ys[i] + half, s, float(r[ys[i], xs[i]])))
    # one peak per place: a finder's dark core in its light ring looks like a finder a third the size,
    # so of the sizes that match a place nearly as well as the best, the largest is the finder
    peaks.sort(key=lambda p: -p[3])
    groups: list[list[tuple[float, float, float, float]]] = []
    for p in peaks:
        for g in groups:
            if np.hypot(p[0] - g[0][0], p[1] - g[0][1]) <= 3 * max(p[2], g[0][2]):
                g.append(p)
                break
        else:
            groups.append([p])
    kept = []
    for g in groups:
        near_best = [p for p in g if p[3] >= 0.85 * g[0][3]]
        kept.append(max(near_best, key=lambda p: p[2])[:3] + (g[0][3],))
    return kept[:keep]


def finder_triples(peaks, max_size_ratio: float = 1.3) -> list[tuple[float, np.ndarray, float]]:
    """(score, outline (TL, TR, BR, BL) in crop px, modules across) for peak triples that can be a
    code's three finders, best first."""
    out = []
    pts = [np.array(p[:2], np.float64) for p in peaks]
    for i, tl in enumerate(pts):
        for j in range(len(pts)):
            for k in range(j + 1, len(pts)):
                if i in (j, k):
                    continue
                u, v = pts[j] - tl, pts[k] - tl
                lu, lv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
                if min(lu, lv) < 1e-6 or max(lu, lv) / min(lu, lv) > 1.25:
                    continue
                cos = abs(float(u @ v)) / (lu * lv)
                sizes = [peaks[i][2], peaks[j][2], peaks[k][2]]
                if cos > 0.25 or max(sizes) / min(sizes) > max_size_ratio:
                    continue
                n = (lu + lv) / 2 / float(np.mean(sizes)) + 7
                if not 19 <= n <= 60:
                    continue
                # rows grow downwards: top-right then bottom-left turns clockwise
                tr, bl = (pts[j], pts[k]) if u[0] * v[1] - u[1] * v[0] > 0 else (pts[k], pts[j])
                score = peaks[i][3] + peaks[j][3] + peaks[k][3] - cos
                out.append((score, outline_from_finders(tl, tr, bl, n), n))
    out.sort(key=lambda t: -t[0])
    return out


def outline_from_finders(tl: np.ndarray, tr: np.ndarray, bl: np.ndarray, n: float) -> np.ndarray:
    """The symbol's corners (TL, TR, BR, BL) from its finder centres and module count (affine)."""
    a = (tr - tl) / (n - 7)
    b = (bl - tl) / (n - 7)
    return np.array(
        [tl - 3.5 * a - 3.5 * b, tr + 3.5 * a - 3.5 * b, tr + bl - tl + 3.5 * a + 3.5 * b, bl - 3.5 * a + 3.5 * b]
    )


def finder_outlines(crop: np.ndarray, count: int = 1) -> list[tuple[np.ndarray, float]]:
    """Up to ``count`` code outlines (crop px, symbol order) from finder patterns in ``crop`` (uint8),
    each with its estimated number of modules across."""
    return [(quad, n) for _, quad, n in finder_triples(finder_peaks(crop))[:count]]


__all__ = ["finder_outlines", "finder_peaks", "finder_template", "finder_triples", "outline_from_finders"]
