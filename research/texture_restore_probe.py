"""Probe: which restoration of a texture box lets zxing-cpp locate a code no detector outlined?

Usage: python docs/research/texture_restore_probe.py [--census runs/s13-census300.csv]
(the census from ``lost_code_census.py --out``). For each code the census lists as "no outline", the
two best texture boxes covering its centre are rectified at sides 96-256 px, as they are or grown 1.3x,
with margins of 0.15 or 0.4 of the side, contrast stretched and restored by the shipped scan
generator; a variant counts when zxing-cpp (decoded or located) gives an outline within 1.5 modules
of every corner. Prints the variants that located each code, then per variant the codes located; and
for each code its best covering box: rank, score (square parts cut from irregular blobs score at most
0.35) and how far its corners are, in modules.
Why: the cascade's alternative steps exist to locate codes in texture boxes (``refine``); session 13
asked whether other sizes or margins would locate the codes still lost (``cascade_compare.py`` configs
``alt224`` and ``alt176m*`` for the trials in the cascade).
"""

from __future__ import annotations

import argparse
import csv
import itertools
from collections import Counter

import numpy as np

from qrdeblur.bench.photo import photo_suite
from qrdeblur.scan import load_deblurrer, locate, to_grey
from qrdeblur.scan.cascade import _Reader, stretch_contrast
from qrdeblur.geometry import rectify

SIDES = (96, 128, 176, 224, 256)
GROWTHS = (1.0, 1.3)
MARGINS = (0.15, 0.4)


def near(quad, corners: np.ndarray, tolerance: float) -> bool:
    """Is every corner of ``quad`` within ``tolerance`` px of the code's (any starting corner)?"""
    q = np.asarray(quad, np.float64).reshape(4, 2)
    return any(np.linalg.norm(np.roll(q, k, axis=0) - corners, axis=1).max() <= tolerance for k in range(4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--census", default="runs/s13-census300.csv")
    args = parser.parse_args()
    rows = [r for r in csv.DictReader(open(args.census)) if r["why"] == "no outline"]
    items = photo_suite(max(int(r["scene"]) for r in rows) + 1)
    deblurrer, reader = load_deblurrer(None), _Reader()
    hits: Counter = Counter()
    located = 0
    low: list[bool] = []
    boxes: dict = {}
    for row in rows:
        scene = int(row["scene"])
        grey = to_grey(items[scene].image)
        if scene not in boxes:
            boxes[scene] = locate.texture_candidates(grey, 24)
        code = next(c for c in items[scene].codes if c.version == int(row["version"]))
        corners = np.asarray(code.corners, np.float64).reshape(4, 2)
        tolerance = 1.5 * float(row["module_px"])
        covering = [c for c in boxes[scene] if locate.quad_contains(c.quad, corners.mean(axis=0), 0.0)][:2]
        if covering:
            best = covering[0]
            rank = next(k for k, c in enumerate(boxes[scene]) if c is best)
            off = min(
                np.linalg.norm(np.roll(np.asarray(best.quad).reshape(4, 2), k, axis=0) - corners, axis=1).max()
                for k in range(4)
            ) / float(row["module_px"])
            low.append(best.score <= 0.35)
            print(f"  best box: rank {rank}, score {best.score:.3f}, corners {off:.1f} modules off")
        found = set()
        for cand in covering:
            box = np.asarray(cand.quad, np.float64).reshape(4, 2)
            centre = box.mean(axis=0)
            for side, growth, margin in itertools.product(SIDES, GROWTHS, MARGINS):
                rect = rectify(grey, centre + (box - centre) * growth, side, int(round(side * margin)) + 4)
                out = deblurrer.deblur(stretch_contrast(rect.image))
                ok, failed = reader.read(out, errors=True, binarizers=("LocalAverage", "GlobalHistogram"))
                quads = [q for _, q in ok] + failed
                if any(near(rect.points_to_image(q), corners, tolerance) for q in quads):
                    found.add((side, growth, margin))
        hits.update(found)
        located += bool(found)
        print(scene, f"v{row['version']}", row["blur"], row["extent_modules"], "located by", sorted(found), flush=True)
    print(f"{located} of {len(rows)} codes located by some variant; {sum(low)} of {len(low)} covered best by a box"
          " scoring <= 0.35")
    for (side, growth, margin), n in hits.most_common():
        print(f"side {side:3d}  box x{growth}  margin {margin}: {n}")


if __name__ == "__main__":
    main()
