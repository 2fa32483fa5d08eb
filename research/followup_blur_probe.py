"""Does the blur of a code read raw tell a photo with another, blurred code from a photo read completely?

Usage: python docs/research/followup_blur_probe.py [--count 300] [--compare runs/s11-cmp300-fu.csv]
For every ``photo`` scene where zxing-cpp alone reads a code, estimate the blur on each code it read
(the scan model's estimator on the code rectified at 3 px per module, scaled back to photo px) and
print it beside the scene's true blur extent and whether zxing-cpp read every code.
Why: the cascade's follow-up (a photo where the raw decode read something) is cut short to keep easy
photos fast, and loses codes in photos with a second, more blurred code (session 11: a 250 ms
follow-up over more candidates read 421 where 130 ms read 411, but cost the easy photos 248 ms).
"""

from __future__ import annotations

import argparse
import csv

import numpy as np
from photo_breakdown import blur_extent

from qrdeblur.bench.photo import photo_suite
from qrdeblur.scan import load_deblurrer, to_grey
from qrdeblur.scan.cascade import _Reader, stretch_contrast
from qrdeblur.geometry import quad_side, rectify


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--compare", default=None, help="cascade_compare.py CSV: per-scene gains to flag")
    args = parser.parse_args()
    gains = {}
    if args.compare:
        for r in csv.DictReader(open(args.compare)):
            names = [k for k in r if k not in ("scene", "cell", "codes") and "_" not in k]
            gains[int(r["scene"])] = int(r[names[-1]]) - int(r[names[0]])
    model = load_deblurrer(None)
    reader = _Reader()
    for item in photo_suite(args.count):
        grey = to_grey(item.image)
        ok, _ = reader.read(grey)
        if not ok:
            continue
        estimates = []
        for bc, corners in ok:
            n = 17 + 4 * int(bc.extra.get("Version", 1))
            side = n * 3
            rect = rectify(grey, corners, side, int(round(side * 0.15)) + 4)
            est = model.estimate_blur(stretch_contrast(rect.image))
            if est is None:
                continue
            length, _, sigma = est
            photo_per_crop = quad_side(np.asarray(corners)) / side
            estimates.append((length + 2.5 * sigma) * photo_per_crop)
        all_raw = len(ok) == len(item.codes)
        print(
            f"{item.meta['index']:3d} {item.cell:8s} {item.meta['blur']:8s} true {blur_extent(item.meta):5.1f} px"
            f"  est {max(estimates) if estimates else float('nan'):5.1f} px  all_raw {int(all_raw)}"
            f"  gain {gains.get(item.meta['index'], 0)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
