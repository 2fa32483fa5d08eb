"""Why does the cascade lose a ``photo`` code: no candidate, no exact outline, a failed grid step, no time?

Usage: python docs/research/lost_code_census.py [--count 300] [--start 0] [--budget 800] [--out runs/x.csv]
Runs the default cascade on each scene, recording every candidate it tries and every ``grid`` step
(outline, time left). For each code it did not read, reports whether a texture candidate covered its
centre, whether an exact outline (a detector's, refined or finders') was within 1.5 modules of each
corner, whether the grid step ran on that outline, and the blur kind and extent in modules.
Why: to know whether the codes still lost need locating, solving or time (session 11).
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter

import numpy as np
from photo_breakdown import blur_extent, bucket  # a sibling research script

from qrdeblur.bench.photo import photo_suite
from qrdeblur.scan import Cascade, CascadeConfig, load_deblurrer, to_grey
from qrdeblur.scan.locate import quad_contains


class RecordingCascade(Cascade):
    """The cascade, remembering the candidates its steps ran on and its grid steps."""

    def run(self, grey, budget_ms=800.0, t0=None):
        self.tried: list = []
        self.grids: list = []
        return super().run(grey, budget_ms, t0)

    def _attempt(self, grey, cand, step, codes, cache, time_left=np.inf):
        self.tried.append((np.asarray(cand.quad, np.float64).reshape(4, 2), cand.source, cand.exact))
        return super()._attempt(grey, cand, step, codes, cache, time_left)

    def _grid(self, grey, cand, step, codes, cache, time_left):
        self.grids.append((np.asarray(cand.quad, np.float64).reshape(4, 2), time_left))
        return super()._grid(grey, cand, step, codes, cache, time_left)


def near(quad: np.ndarray, corners: np.ndarray, modules: float, module_px: float) -> bool:
    """Is each corner of ``quad`` within ``modules`` modules of the code's (any starting corner)?"""
    return any(
        np.linalg.norm(np.roll(quad, k, axis=0) - corners, axis=1).max() <= modules * module_px for k in range(4)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--budget", type=float, default=800.0)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    cascade = RecordingCascade(load_deblurrer(None), CascadeConfig())
    rows, tally = [], Counter()
    for item in photo_suite(args.count)[args.start :]:
        codes = cascade.run(to_grey(item.image), args.budget)
        found = {c.text for c in codes}
        meta = item.meta
        for code in item.codes:
            if code.payload in found:
                continue
            corners = np.asarray(code.corners, np.float64).reshape(4, 2)
            n = 17 + 4 * code.version
            module_px = float(np.linalg.norm(corners[1] - corners[0])) / n
            centre = corners.mean(axis=0)
            texture = any(src == "texture" and quad_contains(q, centre, 0.0) for q, src, _ in cands_of(cascade))
            outline = [q for q, _, exact in cands_of(cascade) if exact and near(q, corners, 1.5, module_px)]
            grid = [t for q, t in cascade.grids if near(q, corners, 1.5, module_px)]
            extent = blur_extent(meta) / module_px
            if grid and max(grid) >= 150:
                why = "grid failed"
            elif outline:
                why = "no time"
            else:
                why = "no outline" if texture else "no candidate"
            row = {
                "scene": item.meta["index"],
                "cell": item.cell,
                "blur": meta["blur"],
                "extent_modules": round(extent, 2),
                "module_px": round(module_px, 2),
                "version": code.version,
                "raw_read": int(any(c.method == "raw" for c in codes)),
                "why": why,
                "grid_ms_left": round(max(grid), 0) if grid else "",
            }
            rows.append(row)
            tally[(why, "all")] += 1
            tally[(why, f"{meta['blur']} {bucket(extent)}")] += 1
            print(row, flush=True)
    for key in sorted(tally):
        print(f"{key[0]:13s} {key[1]:14s} {tally[key]}")
    if args.out and rows:
        with open(args.out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)


def cands_of(cascade: RecordingCascade):
    return cascade.tried + [(q, "grid", True) for q, _ in cascade.grids]


if __name__ == "__main__":
    main()
