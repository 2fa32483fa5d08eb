"""Find regions of a photo that may hold a QR code the plain decoder could not read, cheapest first.

Two sources, in the order the cascade tries them:

1. ``zxing``: codes zxing-cpp located (finder patterns found) but could not decode; their corners
   are the symbol's own. Free: the same call that decodes the whole image returns them.
2. ``texture``: high local contrast regions. A code, however blurred, is a square patch of
   strong, fine, two-dimensional contrast; the local standard deviation (relative to the local
   brightness, so shadows and dark labels count alike) on a copy at most 700 px wide is thresholded at
   several levels (a code blurred to low contrast appears only at the low levels, where the sharp
   text around it merges into bigger blobs; at high levels it is the other way round). Square-ish,
   filled components become their outline (a quadrilateral when the hull is one, else the rotated
   box); irregular ones (a code touching a barcode or a text block) are cut at their necks into
   parts with outlines of their own (:func:`_separated_parts`; a turned code keeps its shape), and
   give their thickest square parts (distance-transform peaks) too. Ranked by shape, not contrast
   (:func:`_score`), near duplicates removed.

Blurred finder patterns lose their 1:1:3:1:1 profile long before the code stops being restorable,
which is why the detector finds few of the codes it cannot read, and the texture regions nearly all
(on the ``photo`` suite's first 90 scenes: 9 and 91 of the 93 codes zxing-cpp could not read; the
missed code's region was within the first five candidates for 91 % of them; about 30 ms per 2000 px
photo).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Long side (px) of the image the texture analysis works on.
TEXTURE_WORK_SIDE = 700
#: Window of the local standard deviation, in working pixels.
TEXTURE_WINDOW = 9
#: Thresholds as fractions of the 99.5th percentile of the contrast map, high to low.
TEXTURE_LEVELS = (0.7, 0.5, 0.35, 0.22, 0.14)
#: Texture boxes overlapping a better one by more than this (IoU of bounding boxes) are dropped.
TEXTURE_NMS_IOU = 0.7
#: Orientation coherence above which a texture region's score is lowered (:func:`coherence_factor`).
TEXTURE_COHERENCE_LOW = 0.7
#: Depths (fractions of an irregular blob's thickest part) at which it is cut into parts (:func:`_separated_parts`).
TEXTURE_SPLIT_DEPTHS = (0.3, 0.45, 0.6, 0.75)
#: Score factor of such a part, against a blob that stood alone.
TEXTURE_SPLIT_WEIGHT = 0.8
#: Smallest candidate side in working pixels (a 2 px-module version-1 code is 42 px in a 2000 px photo).
TEXTURE_MIN_SIDE = 12


@dataclass
class Candidate:
    """A region that may hold a code.

    Attributes:
        quad: 4 (x, y) corners in input-image pixels; for ``zxing`` and ``refined`` the symbol's corners
            in its own order (top-left first), for ``texture`` the outline of the contrast blob (which
            includes the blur halo), clockwise from the top-left-most corner.
        source: ``zxing``, ``texture`` or ``refined`` (zxing-cpp located it in a restored texture crop).
        score: ranking score within the source (higher first).
        exact: True when ``quad`` is the symbol outline (detector sources).
    """

    quad: np.ndarray
    source: str
    score: float = 0.0
    exact: bool = False


def zxing_candidates(failed_quads) -> list[Candidate]:
    """Candidates from zxing-cpp's located-but-undecoded codes (see ZxingDecoder.detect_failed), one
    per place, largest first.

    zxing-cpp reports a code it retries once per try, and parts of it too (a quad spanning a finder
    and the alignment pattern, a quarter of the symbol): 16 detections for two scrambled test codes,
    each of which would get every step. A detection whose centre lies inside a larger one is dropped.
    """
    from qrdeblur.geometry import quad_side

    quads = sorted((np.asarray(q, dtype=np.float64).reshape(4, 2) for q in failed_quads), key=lambda q: -quad_side(q))
    out: list[Candidate] = []
    for quad in quads:
        if not any(quad_contains(c.quad, quad.mean(axis=0), 0.0) for c in out):
            out.append(Candidate(quad, "zxing", 1.0, True))
    return out


def _working_copy(grey: np.ndarray, work_side: int) -> tuple[np.ndarray, float]:
    """``grey`` as float [0, 1], scaled down to at most ``work_side`` px on its long side; (copy, scale)."""
    h, w = grey.shape[:2]
    s = min(1.0, work_side / max(h, w))
    g = (
        cv2.resize(grey, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
        if s < 1
        else grey
    )
    return g.astype(np.float32) * (1.0 / 255.0), s


def orientation_coherence(image: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> list[float]:
    """How one-directional the edges in each box (x0, y0, x1, y1; ``image`` px) are: the coherence of
    the gradient structure tensor summed over the box, (l1 - l2) / (l1 + l2) in [0, 1].

    A 1-D barcode or a block of text lines is near 1 (every edge one way), a code's modules have edges
    both ways (a median 0.09 for codes blurred under 2 modules, 0.5 for 2-4 modules of motion, whose
    edges along the motion fade first). Summed by integral images: every box costs the same.
    """
    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1)
    sums = [cv2.integral(t, sdepth=cv2.CV_64F) for t in (gx * gx, gy * gy, gx * gy)]
    h, w = image.shape[:2]
    out = []
    for x0, y0, x1, y1 in boxes:
        x0, y0 = min(max(int(x0), 0), w), min(max(int(y0), 0), h)
        x1, y1 = min(max(int(x1) + 1, x0), w), min(max(int(y1) + 1, y0), h)
        jxx, jyy, jxy = (float(t[y1, x1] - t[y0, x1] - t[y1, x0] + t[y0, x0]) for t in sums)
        total = jxx + jyy
        out.append(float(np.sqrt((jxx - jyy) ** 2 + 4 * jxy * jxy) / total) if total > 1e-12 else 0.0)
    return out


def contrast_map(
    grey: np.ndarray, work_side: int = TEXTURE_WORK_SIDE, window: int = TEXTURE_WINDOW
) -> tuple[np.ndarray, float]:
    """Relative local contrast of a downscaled copy of ``grey``; returns (map, scale).

    Local standard deviation over ``window`` divided by the local mean brightness (plus an offset so
    near-black areas do not explode), smoothed so a code's interior fills in between module edges.
    """
    f, s = _working_copy(grey, work_side)
    mean = cv2.blur(f, (window, window))
    sq = cv2.blur(f * f, (window, window))
    std = np.sqrt(np.maximum(sq - mean * mean, 0))
    rel = std / (cv2.blur(f, (3 * window, 3 * window)) + 0.15)
    return cv2.GaussianBlur(rel, (0, 0), 2.0), s


def _box_iou(a, b) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / max(union, 1e-9)


def _outline(contour: np.ndarray, rect, tolerances=(0.04,), min_hull_fill: float = 0.85) -> np.ndarray:
    """A 4-corner outline of a blob: its hull simplified to a quadrilateral when it is one (keeps
    perspective; simplified at each of ``tolerances``, fractions of the perimeter, until one gives four
    corners, convex and covering ``min_hull_fill`` of the hull), else the minimum-area rotated box."""
    from qrdeblur.geometry import order_quad

    hull = cv2.convexHull(contour)
    peri = cv2.arcLength(hull, True)
    for tolerance in tolerances:
        approx = cv2.approxPolyDP(hull, tolerance * peri, True).reshape(-1, 2)
        if len(approx) > 4:
            continue
        if len(approx) == 4 and cv2.isContourConvex(approx.astype(np.int32)):
            if cv2.contourArea(approx.astype(np.float32)) >= min_hull_fill * cv2.contourArea(hull):
                return order_quad(approx)
        break
    return order_quad(cv2.boxPoints(rect))


def _score(fill: float, aspect: float, side_px: float, contrast: float) -> float:
    """How code-like a contrast blob is: filled, square, not tiny; contrast matters little.

    Blurred codes have *less* contrast than the sharp print around them, so ranking by contrast
    puts text first; on the photo suite (first 90 scenes), ranking by shape put the region of a
    missed code first 44 % of the time and within the first five 87 % (by contrast: 22 % and 82 %).
    """
    size = 1.0 / (1.0 + np.exp(-(side_px - 60.0) / 15.0))
    return float(fill * np.exp(-2.0 * (aspect - 1.0)) * size * min(1.0, contrast / 0.1))


def coherence_factor(coherence: float, low: float = TEXTURE_COHERENCE_LOW, high: float = 0.9) -> float:
    """The score factor for a region's :func:`orientation_coherence`: 1 up to ``low``, falling linearly
    to 0.2 at ``high`` and beyond."""
    if coherence <= low or not np.isfinite(low):
        return 1.0
    return float(max(0.2, 1.0 - 0.8 * (coherence - low) / (high - low)))


def _inner_distance(blob: np.ndarray) -> np.ndarray:
    """Each blob pixel's distance to the nearest pixel outside the blob. The blob is cut out at its
    bounding box, so it touches the crop's edges: padded with background first, or the distances there
    run on past the edge (a blob's thickness came out larger than the blob)."""
    padded = cv2.copyMakeBorder(blob, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    return cv2.distanceTransform(padded, cv2.DIST_L2, 5)[1:-1, 1:-1]


def _square_parts(blob: np.ndarray, dist: np.ndarray, offset: tuple[int, int], max_parts: int = 3) -> list[tuple]:
    """Square parts of an irregular blob (a code merged with the text or barcode beside it).

    The distance transform peaks at the centres of the blob's thick parts, and its value there is
    the half side of the largest square that fits: a code is the thickest part of such a blob
    (``dist``: the blob's :func:`_inner_distance`). Returns rotated boxes ((cx, cy), (side, side),
    angle) in working pixels, thickest first.
    """
    r_min = TEXTURE_MIN_SIDE / 2
    peaks = (dist >= cv2.dilate(dist, np.ones((5, 5), np.uint8))) & (dist >= r_min)
    ys, xs = np.nonzero(peaks)
    order = np.argsort(-dist[ys, xs])
    boxes: list[tuple] = []
    for k in order:
        y, x, r = int(ys[k]), int(xs[k]), float(dist[ys[k], xs[k]])
        if any(
            np.hypot(x - b[0][0] + offset[0], y - b[0][1] + offset[1]) < max(r, b[1][0] / 2) for b in boxes
        ):
            continue
        # orientation of the part: the rotated box of the blob pixels near the peak
        y0, y1 = max(0, int(y - 1.6 * r)), int(y + 1.6 * r) + 1
        x0, x1 = max(0, int(x - 1.6 * r)), int(x + 1.6 * r) + 1
        pts = cv2.findNonZero(blob[y0:y1, x0:x1])
        angle = cv2.minAreaRect(pts)[2] if pts is not None and len(pts) >= 5 else 0.0
        side = 2.2 * r
        boxes.append(((x + offset[0], y + offset[1]), (side, side), angle))
        if len(boxes) >= max_parts:
            break
    return boxes


def _separated_parts(
    blob: np.ndarray, dist: np.ndarray, offset: tuple[int, int], fractions=TEXTURE_SPLIT_DEPTHS
) -> list[tuple]:
    """The parts of an irregular blob once the necks joining them are cut (the caller keeps the
    square-ish, filled ones).

    A code that touches a text block or a barcode merges with it into one contrast blob, joined by a
    neck narrower than either. Eroding the blob to the pixels deeper than ``fraction`` of its
    thickest part (distance transform) cuts the necks; each core grown back by the same depth, within
    the blob, is a part with its own outline (a turned or sheared code keeps its shape, where a box
    around the thickest point does not; ``dist``: the blob's :func:`_inner_distance`). Returns
    (contour in working px, minimum-area rect, area).
    """
    deepest = float(dist.max())
    parts = []
    for fraction in fractions:
        depth = fraction * deepest
        if depth < 2:
            continue
        cores = (dist > depth).astype(np.uint8)
        n = cv2.connectedComponents(cores, connectivity=8)[0]
        if n <= 2:  # nothing was cut apart at this depth
            continue
        # grown back: the blob pixels within ``depth`` of a core, each to its nearest core
        reach, nearest = cv2.distanceTransformWithLabels(
            1 - cores, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_CCOMP
        )
        inside = (reach <= depth) & (blob > 0)
        for label in np.unique(nearest[cores > 0]):
            part = (inside & (nearest == label)).astype(np.uint8)
            area = int(part.sum())
            if area < TEXTURE_MIN_SIDE**2:
                continue
            contours, _ = cv2.findContours(part, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            contour = max(contours, key=cv2.contourArea) + np.array(offset, dtype=np.int32)
            parts.append((contour, cv2.minAreaRect(contour), area))
    return parts


def texture_candidates(
    grey: np.ndarray,
    max_candidates: int = 40,
    coherence_low: float = TEXTURE_COHERENCE_LOW,
    split: float = TEXTURE_SPLIT_WEIGHT,
) -> list[Candidate]:
    """Square-ish, filled regions of high local contrast (see the module docstring), best first;
    regions whose edges run one way (coherence above ``coherence_low``; inf: none) demoted.

    ``split``: the score factor of the parts cut from irregular blobs (0: not cut)."""
    from qrdeblur.geometry import order_quad

    rel, s = contrast_map(grey)
    work, _ = _working_copy(grey, TEXTURE_WORK_SIDE)
    height, width = rel.shape
    top = float(np.percentile(rel, 99.5))
    found: list[tuple[float, np.ndarray, tuple]] = []
    for level in TEXTURE_LEVELS:
        mask = (rel > max(0.03, top * level)).astype(np.uint8)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        for i in range(1, n):
            x, y, bw, bh, area = (int(v) for v in stats[i])
            if area < TEXTURE_MIN_SIDE**2 + 52 or max(bw, bh) > 0.95 * max(height, width):
                continue
            blob = (labels[y : y + bh, x : x + bw] == i).astype(np.uint8)
            contours, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            contour = max(contours, key=cv2.contourArea) + np.array([x, y], dtype=np.int32)
            rect = cv2.minAreaRect(contour)
            (rw, rh) = rect[1]
            if min(rw, rh) < TEXTURE_MIN_SIDE:
                continue
            aspect = max(rw, rh) / max(1.0, min(rw, rh))
            fill = area / max(1.0, rw * rh)
            contrast = float(rel[y : y + bh, x : x + bw][blob > 0].mean())
            if aspect <= 1.6 and fill >= 0.6:
                quad = _outline(contour, rect)
                found.append((_score(fill, aspect, np.sqrt(area) / s, contrast), quad))
                continue
            # irregular: a code touching a barcode or a text block; cut it at its necks
            blob = np.ascontiguousarray(blob)
            dist = _inner_distance(blob)
            if split > 0:
                for contour, part_rect, part_area in _separated_parts(blob, dist, (x, y)):
                    pw, ph = part_rect[1]
                    if min(pw, ph) < TEXTURE_MIN_SIDE:
                        continue
                    part_aspect = max(pw, ph) / max(1.0, min(pw, ph))
                    part_fill = part_area / max(1.0, pw * ph)
                    if part_aspect <= 1.6 and part_fill >= 0.6:
                        score = _score(part_fill, part_aspect, np.sqrt(part_area) / s, contrast)
                        # a part cut from a neck has a notch: simplified harder to find its four corners
                        quad = _outline(contour, part_rect, (0.04, 0.06, 0.08, 0.1))
                        found.append((split * score, quad))
            # ... and take its thick square parts
            for box in _square_parts(blob, dist, (x, y)):
                side = box[1][0]
                found.append((0.35 * _score(0.9, 1.0, side / s, contrast), order_quad(cv2.boxPoints(box))))
    # one-directional edges (barcodes, text lines) are not a code's: demoted, so codes are tried first
    coherence = orientation_coherence(work, [(*q.min(axis=0), *q.max(axis=0)) for _, q in found])
    found = [
        (score * coherence_factor(c, coherence_low), quad) for (score, quad), c in zip(found, coherence, strict=True)
    ]
    found.sort(key=lambda t: -t[0])
    kept: list[tuple[float, np.ndarray, tuple]] = []
    for score, quad in found:
        bbox = (*quad.min(axis=0), *quad.max(axis=0))
        if any(_box_iou(bbox, k[2]) > TEXTURE_NMS_IOU for k in kept):
            continue
        kept.append((score, quad, bbox))
        if len(kept) >= max_candidates:
            break
    return [Candidate(q / s, "texture", sc, False) for sc, q, _ in kept]


def quad_contains(quad, point, grow: float = 0.0) -> bool:
    """True when ``point`` lies in ``quad`` scaled by (1 + grow) about its centre."""
    q = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    c = q.mean(axis=0)
    q = c + (q - c) * (1 + grow)
    return (
        cv2.pointPolygonTest(
            q.astype(np.float32).reshape(-1, 1, 2), (float(point[0]), float(point[1])), False
        )
        >= 0
    )


def covered(candidate: Candidate, quads, grow: float = 0.15) -> bool:
    """True when the candidate's centre lies inside one of ``quads`` (codes already decoded)."""
    centre = np.asarray(candidate.quad).reshape(4, 2).mean(axis=0)
    return any(quad_contains(q, centre, grow) for q in quads)


def centred_on(candidate: Candidate, quads, tolerance: float = 0.25, max_ratio: float = 2.0) -> bool:
    """True when the candidate's centre is within ``tolerance`` of a side of one of ``quads``' centres
    and its side within ``max_ratio`` of that quad's: the same region, outlined by another source (a
    texture box includes the blur halo, so it is up to twice the symbol's side).

    Unlike :func:`covered`, a small region beside the middle of a large quad is not the same region:
    a detection spanning two codes, or a code and its neighbour, does not hide either code."""
    from qrdeblur.geometry import quad_side

    q = np.asarray(candidate.quad, dtype=np.float64).reshape(4, 2)
    side, centre = quad_side(q), q.mean(axis=0)
    for other in quads:
        o = np.asarray(other, dtype=np.float64).reshape(4, 2)
        other_side = quad_side(o)
        if (
            np.linalg.norm(o.mean(axis=0) - centre) <= tolerance * other_side
            and other_side / max_ratio <= side <= other_side * max_ratio
        ):
            return True
    return False


def same_place(quad, other, tolerance: float = 0.25) -> bool:
    """True when two quads have their centres within ``tolerance`` of a side and similar sizes."""
    from qrdeblur.geometry import quad_side

    a, b = np.asarray(quad, dtype=np.float64).reshape(4, 2), np.asarray(other, dtype=np.float64).reshape(4, 2)
    sa, sb = quad_side(a), quad_side(b)
    near = np.linalg.norm(a.mean(axis=0) - b.mean(axis=0)) <= tolerance * max(sa, sb)
    return bool(near and min(sa, sb) >= (1 - tolerance) * max(sa, sb))
