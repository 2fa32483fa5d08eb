"""Which restoration of a texture box lets zxing-cpp locate a code no detector outlined?

The cascade's alternative steps restore texture boxes at other scales mostly for the outlines
zxing-cpp then locates in the restored crops (``CascadeConfig.refine``). For each code a census
(``lost_code_census.py --out``) lists as ``no outline``, the two best texture boxes covering its
centre (the cascade's locator settings) are rectified at sides 96-256 px, as they are or grown 1.3x,
with margins of 0.15 or 0.4 of the side, contrast stretched and restored by the generator; a variant
counts when zxing-cpp (a code read or only located, the cascade's crop binarizers) gives an outline
within 1.5 modules of every corner. Prints per code the variants that located it and its best
covering box (rank, score, how far its corners are in modules), then per variant the codes located:
which ``Step`` scales and margins would locate the codes still lost. Run::

    python research/lost_code_census.py --out runs/census.csv
    python research/texture_restore_probe.py --census runs/census.csv
"""

from __future__ import annotations

import argparse
import csv
import itertools
from collections import Counter

import numpy as np

from qrdeblur.bench.suites.photo import photo_suite
from qrdeblur.contrast import stretch_contrast
from qrdeblur.decode.zxing import read_grey
from qrdeblur.geometry import rectify
from qrdeblur.imageio import to_grey
from qrdeblur.scan import CascadeConfig, load_deblurrer
from qrdeblur.scan.locate import quad_contains, texture_candidates

SIDES = (96, 128, 176, 224, 256)
GROWTHS = (1.0, 1.3)
MARGINS = (0.15, 0.4)


def near(quad, corners: np.ndarray, tolerance: float) -> bool:
    """Is every corner of ``quad`` within ``tolerance`` px of the code's (any starting corner)?"""
    q = np.asarray(quad, np.float64).reshape(4, 2)
    return any(np.linalg.norm(np.roll(q, k, axis=0) - corners, axis=1).max() <= tolerance for k in range(4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--census", required=True, help="lost_code_census.py CSV")
    parser.add_argument("--model", default=None, help="generator (.onnx); default: the shipped scan generator")
    args = parser.parse_args()
    with open(args.census, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["why"] == "no outline"]
    if not rows:
        print("no code without an outline in", args.census)
        return
    cfg = CascadeConfig()
    items = photo_suite(max(int(r["scene"]) for r in rows) + 1)
    deblurrer = load_deblurrer(args.model)
    hits: Counter = Counter()
    located = 0
    low: list[bool] = []
    boxes: dict = {}
    for row in rows:
        scene = int(row["scene"])
        grey = to_grey(items[scene].image)
        if scene not in boxes:
            boxes[scene] = texture_candidates(grey, cfg.max_candidates, cfg.texture_coherence, cfg.texture_split)
        code = items[scene].codes[int(row["code"])]
        corners = np.asarray(code.corners, np.float64).reshape(4, 2)
        tolerance = 1.5 * float(row["module_px"])
        covering = [c for c in boxes[scene] if quad_contains(c.quad, corners.mean(axis=0), 0.0)][:2]
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
                ok, failed = read_grey(out, errors=True, binarizers=cfg.crop_binarizers)
                quads = [r.corners for r in ok] + failed
                if any(near(rect.points_to_image(q), corners, tolerance) for q in quads):
                    found.add((side, growth, margin))
        hits.update(found)
        located += bool(found)
        print(scene, f"v{row['version']}", row["blur"], row["extent_modules"], "located by", sorted(found), flush=True)
    print(f"{located} of {len(rows)} codes located by some variant; {sum(low)} of {len(low)} covered best by a box"
          " scoring <= 0.35 (a part cut from an irregular region)")
    for (side, growth, margin), n in hits.most_common():
        print(f"side {side:3d}  box x{growth}  margin {margin}: {n}")


if __name__ == "__main__":
    main()
