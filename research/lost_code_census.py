"""Why does the cascade lose a ``photo`` code: no candidate, no exact outline, a failed grid step, no time?

Runs the default cascade on each scene with an observer (``Cascade(..., observer=...)``) recording
every step it runs: the candidate (its outline, source, whether exact) and the time taken. For each
code it did not read, classifies the loss as ``grid failed`` (a ``grid`` step ran on an exact outline
within 1.5 modules of each corner: its time shows it solved, not skipped), ``no time`` (such an
outline was found but no grid step ran on it), ``no outline`` (a texture candidate covered its centre,
no exact outline came near) or ``no candidate``; with the blur kind and extent in modules. Tells
whether the codes still lost need locating, solving or time. Run::

    python research/lost_code_census.py --count 300 --out runs/census.csv
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np
from photo_breakdown import blur_extent, bucket, write_rows  # a sibling research script

from qrdeblur.bench.suites.photo import photo_suite
from qrdeblur.imageio import to_grey
from qrdeblur.qrspec import modules
from qrdeblur.scan import Attempt, Cascade, CascadeConfig, load_deblurrer
from qrdeblur.scan.locate import quad_contains

#: A grid step shorter than this returned before solving (too little time left, or no blur estimate).
GRID_RAN_MS = 1.0


def near(quad, corners: np.ndarray, n_modules: float, module_px: float) -> bool:
    """Is each corner of ``quad`` within ``n_modules`` modules of the code's (any starting corner)?"""
    q = np.asarray(quad, np.float64).reshape(4, 2)
    return any(
        np.linalg.norm(np.roll(q, k, axis=0) - corners, axis=1).max() <= n_modules * module_px for k in range(4)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="scenes of the photo suite")
    parser.add_argument("--start", type=int, default=0, help="first scene")
    parser.add_argument("--budget", type=float, default=800.0, help="time budget per photo, ms")
    parser.add_argument("--model", default=None, help="generator (.onnx); default: the shipped scan generator")
    parser.add_argument("--out", default=None, help="CSV, one row per lost code")
    args = parser.parse_args()
    attempts: list[Attempt] = []
    cascade = Cascade(load_deblurrer(args.model), CascadeConfig(), observer=attempts.append)
    rows, tally = [], Counter()
    for item in photo_suite(args.count)[args.start :]:
        attempts.clear()
        codes = cascade.run(to_grey(item.image), args.budget, image=item.image)
        found = {c.text for c in codes}
        tried = [a for a in attempts if a.candidate is not None]
        meta = item.meta
        for index, code in enumerate(item.codes):
            if code.payload in found:
                continue
            corners = np.asarray(code.corners, np.float64).reshape(4, 2)
            module_px = float(np.linalg.norm(corners[1] - corners[0])) / modules(code.version)
            centre = corners.mean(axis=0)
            boxes = [a.candidate.quad for a in tried if a.candidate.source == "texture"]
            texture = any(quad_contains(q, centre, 0.0) for q in boxes)
            outline = [a for a in tried if a.candidate.exact and near(a.candidate.quad, corners, 1.5, module_px)]
            grid_ms = [a.ms for a in outline if a.step.restore == "grid"]
            extent = blur_extent(meta) / module_px
            if grid_ms and max(grid_ms) >= GRID_RAN_MS:
                why = "grid failed"
            elif outline:
                why = "no time"
            else:
                why = "no outline" if texture else "no candidate"
            row = {
                "scene": meta["index"],
                "code": index,
                "cell": item.cell,
                "blur": meta["blur"],
                "extent_modules": round(extent, 2),
                "module_px": round(module_px, 2),
                "version": code.version,
                "raw_read": int(any(c.method == "raw" for c in codes)),
                "why": why,
                "grid_ms": round(max(grid_ms), 1) if grid_ms else "",
            }
            rows.append(row)
            tally[(why, "all")] += 1
            tally[(why, f"{meta['blur']} {bucket(extent)}")] += 1
            print(row, flush=True)
    for key in sorted(tally):
        print(f"{key[0]:13s} {key[1]:14s} {tally[key]}")
    if args.out and rows:
        write_rows(rows, args.out)


if __name__ == "__main__":
    main()
