"""Probe: outlines for the codes no detector locates, from the generator's restoration of a texture box.

Usage: python docs/research/texture_outline_probe.py [--census runs/s11-census300.csv]
(the census from ``lost_code_census.py --out``). For each code the census lists as "no outline" (a
texture candidate covered it, no detector outlined it) and blurred within what the grid step reads,
prints the largest corner error in modules of: the texture box; the outline of the blob the restored
modules make (:func:`blob_outline`, crops with the code 128, 96, 176 px wide, the first found); that
blob after two more rounds (rectified on it, restored, outlined again), and any code zxing-cpp locates
in those crops; three finder patterns in the restored crops (:mod:`qrdeblur.scan.finders`).
Why: the grid step reads most such codes from an outline 0.3-1 module off (``grid_solve_oracle.py``);
session 12 measured how close each source comes (the cascade trials are in ``cascade_compare.py``).
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter, defaultdict

import cv2
import numpy as np

from qrdeblur.bench.photo import photo_suite
from qrdeblur.scan import load_deblurrer, locate, to_grey
from qrdeblur.scan.cascade import _Reader, stretch_contrast
from qrdeblur.scan.finders import finder_outlines
from qrdeblur.geometry import order_quad, quad_side, rectify

#: Closing disc diameter, as a fraction of the crop's square side (a 21-57 module code in it).
CLOSE_FRACTION = 0.09


def blob_outline(restored: np.ndarray, side: int, margin: int) -> np.ndarray | None:
    """The outline (4 x 2, crop px) of the code blob in a restored crop (uint8, the square ``side`` px
    wide inside ``margin``), or None: the dark pixels (Otsu) closed with a disc a few modules wide,
    opened a little, the component nearest the centre, its convex hull as four corners (else its
    minimum-area box); it must be square-ish and 0.45-1.25 of the square's side."""
    _, dark = cv2.threshold(restored, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    k = max(3, int(round(side * CLOSE_FRACTION)) | 1)
    solid = cv2.morphologyEx(dark, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    solid = cv2.morphologyEx(solid, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k // 2 | 1,) * 2))
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(solid, connectivity=8)
    centre = np.array([margin + side / 2, margin + side / 2])
    big = [i for i in range(1, n) if max(stats[i, 2], stats[i, 3]) >= 0.45 * side]
    if not big:
        return None
    best = min(big, key=lambda i: float(np.linalg.norm(centroids[i] - centre)))
    contours, _ = cv2.findContours((labels == best).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = cv2.convexHull(max(contours, key=cv2.contourArea))
    rect = cv2.minAreaRect(hull)
    rw, rh = rect[1]
    if min(rw, rh) < 0.45 * side or max(rw, rh) > 1.25 * side or max(rw, rh) > 1.3 * min(rw, rh):
        return None
    approx = cv2.approxPolyDP(hull, 0.04 * cv2.arcLength(hull, True), True).reshape(-1, 2)
    if len(approx) == 4 and cv2.isContourConvex(approx.astype(np.int32)):
        if cv2.contourArea(approx.astype(np.float32)) >= 0.9 * cv2.contourArea(hull):
            return order_quad(approx.astype(np.float64))
    return order_quad(cv2.boxPoints(rect).astype(np.float64))


def readable(blur: str, extent: float) -> bool:
    """Blurred within what the grid step reads with the true PSF (session 11)."""
    return (blur in ("motion", "shake") and 1 <= extent < 6) or (blur == "gaussian" and extent < 2) or (
        blur == "defocus" and extent < 3
    )


def module_px_of(code) -> float:
    """The module pitch along the code's top side, as the census measures it."""
    corners = np.asarray(code.corners, np.float64).reshape(4, 2)
    return float(np.linalg.norm(corners[1] - corners[0])) / (17 + 4 * code.version)


def corner_error(quad, corners: np.ndarray, module_px: float) -> float:
    """Largest corner distance in modules over the four starting corners; inf for no quad."""
    if quad is None:
        return np.inf
    q = np.asarray(quad, np.float64).reshape(4, 2)
    return min(float(np.linalg.norm(np.roll(q, k, axis=0) - corners, axis=1).max()) for k in range(4)) / module_px


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--census", default="runs/s11-census300.csv")
    args = parser.parse_args()
    rows = [r for r in csv.DictReader(open(args.census)) if r["why"] == "no outline"]
    by = defaultdict(list)
    for r in rows:
        if readable(r["blur"], float(r["extent_modules"])):
            by[int(r["scene"])].append(r)
    deb, reader, tally = load_deblurrer(None), _Reader(), Counter()
    items = photo_suite(max(by) + 1)
    for scene in sorted(by):
        grey = to_grey(items[scene].image)
        texture = locate.texture_candidates(grey, 24)
        for r in by[scene]:
            code = min(
                (c for c in items[scene].codes if c.version == int(r["version"])),
                key=lambda c: abs(module_px_of(c) - float(r["module_px"])),
            )
            corners, mp = np.asarray(code.corners, float).reshape(4, 2), module_px_of(code)
            cand = next((c for c in texture if locate.quad_contains(c.quad, corners.mean(axis=0), 0.0)), None)
            tally["codes"] += 1
            if cand is None:
                continue
            blob, finder = None, None
            for side in (128, 96, 176):
                rect = rectify(grey, cand.quad, side, int(round(side * 0.15)) + 4)
                out = deb.deblur(stretch_contrast(rect.image))
                q = blob_outline(out, rect.side, rect.margin)
                blob = blob if blob is not None or q is None else np.asarray(rect.points_to_image(q.tolist()))
                fo = finder_outlines(out, 1)
                finder = finder if finder is not None or not fo else np.asarray(rect.points_to_image(fo[0][0].tolist()))
            errs = {"box": corner_error(cand.quad, corners, mp), "blob": corner_error(blob, corners, mp)}
            errs["finders"] = corner_error(finder, corners, mp)
            again, located = blob, []
            for _ in range(2):
                if again is None:
                    break
                side = int(np.clip(round(quad_side(again)), 96, 256))
                rect = rectify(grey, again, side, int(round(side * 0.15)) + 4)
                out = deb.deblur(stretch_contrast(rect.image))
                failed = reader.read(out, errors=True)[1]
                located += [corner_error(rect.points_to_image(q), corners, mp) for q in failed]
                q = blob_outline(out, rect.side, rect.margin)
                again = np.asarray(rect.points_to_image(q.tolist())) if q is not None else None
            errs["blob, 2 rounds"] = corner_error(again, corners, mp)
            errs["zxing in blob crops"] = min(located, default=np.inf)
            for name, e in errs.items():
                tally[(name, "<= 1.5")] += e <= 1.5
                tally[(name, "<= 3")] += e <= 3
            print(scene, r["blur"], r["extent_modules"], f"v{code.version}", {k: round(v, 1) for k, v in errs.items()})
    for key, n in sorted(tally.items(), key=str):
        print(key, n)


if __name__ == "__main__":
    main()
