"""How close does the outline locator come to the ``photo`` codes inside their texture boxes?

Usage: python docs/research/outline_locator_probe.py --model runs/outline-1/outline.onnx [--count 300]
       [--lost runs/s13-census300b.csv]
For every code of the first ``count`` scenes, the texture candidates covering its centre (the cascade's
locator and settings), best first: the largest corner error (modules, any starting corner) of the
best box and of the locator's outline in the best three boxes, and whether the outline's orientation
(when it claims one) is the code's. With ``--lost``, the codes a census lost are reported apart.
Why: the codes still lost have a texture box but no exact outline (session 13); this is the locator's
worth before any cascade time is spent on it (session 14).
"""

from __future__ import annotations

import argparse
import csv
import time

import numpy as np

from qrdeblur.bench.photo import photo_suite
from qrdeblur.scan import CascadeConfig, to_grey
from qrdeblur.scan.locate import quad_contains, texture_candidates
from qrdeblur.scan.outline import OutlineLocator


def corner_error(quad: np.ndarray, corners: np.ndarray) -> tuple[float, int]:
    """Largest corner distance over the best of the four starting corners, and that start."""
    errs = [np.linalg.norm(np.roll(quad, k, axis=0) - corners, axis=1).max() for k in range(4)]
    k = int(np.argmin(errs))
    return float(errs[k]), k


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="an export of python -m qrdeblur.train.outline")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--lost", default=None, help="a lost_code_census.py CSV: report its codes apart")
    args = parser.parse_args()
    locator = OutlineLocator(args.model)
    cfg = CascadeConfig()
    lost = set()
    if args.lost:
        with open(args.lost) as f:
            lost = {(int(r["scene"]), int(r["version"]), float(r["module_px"])) for r in csv.DictReader(f)}
    rows, times = [], []
    for item in photo_suite(args.count):
        grey = to_grey(item.image)
        boxes = texture_candidates(grey, cfg.max_candidates, cfg.texture_coherence, cfg.texture_split)
        for code in item.codes:
            corners = np.asarray(code.corners, np.float64)
            module = float(np.linalg.norm(corners[1] - corners[0])) / (17 + 4 * code.version)
            covering = [b for b in boxes if quad_contains(b.quad, corners.mean(axis=0), 0.0)][:3]
            if not covering:
                continue
            box_err = corner_error(np.asarray(covering[0].quad), corners)[0] / module
            best, oriented_ok = np.inf, None
            for b in covering:
                t = time.perf_counter()
                found = locator.locate(grey, b.quad)
                times.append((time.perf_counter() - t) * 1000)
                if found is None:
                    continue
                err, start = corner_error(found.quad, corners)
                if err / module < best:
                    best = err / module
                    oriented_ok = (start == 0) if found.oriented else None
            key = (item.meta["index"], code.version, round(module, 2))
            rows.append((key in lost, box_err, best, oriented_ok))
    times = np.array(times)
    print(f"locator: {len(times)} boxes, {np.median(times):.1f} ms median, {np.percentile(times, 90):.1f} ms p90")
    for name, sel in (("all codes", rows), ("lost codes", [r for r in rows if r[0]])):
        if not sel:
            continue
        box = np.array([r[1] for r in sel])
        out = np.array([r[2] for r in sel])
        orient = [r[3] for r in sel if r[2] <= 1.5]
        print(f"{name}: {len(sel)} covered by a box")
        for limit in (1.0, 1.5, 3.0, 5.0):
            box_share, out_share = np.mean(box <= limit), np.mean(out <= limit)
            print(f"  within {limit:3.1f} modules: best box {box_share:5.1%}, locator {out_share:5.1%}")
        print(f"  locator median {np.median(out):.2f} modules (box {np.median(box):.2f})")
        print(f"  of the outlines within 1.5: oriented right {sum(o is True for o in orient)}, "
              f"wrong {sum(o is False for o in orient)}, unoriented {sum(o is None for o in orient)}")


if __name__ == "__main__":
    main()
