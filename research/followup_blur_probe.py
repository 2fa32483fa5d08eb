"""Does the blur of the codes read plainly tell a photo with another, blurred code from a photo read completely?

When the plain reads of a photo read a code, the cascade only follows up briefly (easy photos stay
fast), longer when the codes read look blurred (``CascadeConfig.followup_blur_px``). For every
``photo`` scene where the grey plain reads that decide this (zxing-cpp on the grey photo, then on it
with the contrast equalised) read a code, this prints the blur the cascade measures on the codes read
(the generator's estimator on each code rectified at 3 px per module, motion length + 2.5 sigma,
scaled back to photo px: :meth:`qrdeblur.scan.scene.Scene.blur_on`) beside the scene's true blur
extent and whether those reads read every code; with ``--compare`` (a ``cascade_compare.py`` CSV)
also the codes the last configuration there read more than the first in that scene. Run::

    python research/followup_blur_probe.py --count 300 --compare runs/compare.csv
"""

from __future__ import annotations

import argparse
import csv

import numpy as np
from photo_breakdown import blur_extent  # a sibling research script

from qrdeblur.bench.suites.photo import photo_suite
from qrdeblur.contrast import equalise_contrast
from qrdeblur.decode.zxing import read_grey
from qrdeblur.geometry import quad_side
from qrdeblur.imageio import to_grey
from qrdeblur.qrspec import modules
from qrdeblur.restore.module_grid import PX
from qrdeblur.scan import CascadeConfig, load_deblurrer
from qrdeblur.scan.scene import Scene


def compare_gains(path: str) -> dict[int, int]:
    """Per scene: codes the last configuration of a ``cascade_compare.py`` CSV read minus the first's."""
    gains = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            names = [k for k in r if f"{k}_ms" in r]
            gains[int(r["scene"])] = int(r[names[-1]]) - int(r[names[0]])
    return gains


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="scenes of the photo suite")
    parser.add_argument("--model", default=None, help="generator with a blur estimator (.onnx); default: shipped")
    parser.add_argument("--compare", default=None, help="cascade_compare.py CSV: per-scene gains to show")
    args = parser.parse_args()
    gains = compare_gains(args.compare) if args.compare else {}
    deblurrer = load_deblurrer(args.model)
    config = CascadeConfig()
    print(f"scene cell     blur     true extent  estimated (max over codes read)  all read plainly  gain"
          f"  (followup_blur_px = {config.followup_blur_px})")
    for item in photo_suite(args.count):
        grey = to_grey(item.image)
        ok, _ = read_grey(grey)
        if config.contrast_clip > 0:
            texts = {r.text for r in ok}
            ok += [r for r in read_grey(equalise_contrast(grey, config.contrast_clip))[0] if r.text not in texts]
        if not ok:
            continue
        scene = Scene(grey, config, deblurrer)
        estimates = []
        for result in ok:
            if result.version is None:
                continue
            n = modules(result.version)
            blur = scene.blur_on(result.corners, n)
            if blur is None:
                continue
            length, _, sigma = blur
            estimates.append((length + 2.5 * sigma) * quad_side(np.asarray(result.corners)) / (n * PX))
        all_read = {r.text for r in ok} >= set(item.payloads)
        print(
            f"{item.meta['index']:5d} {item.cell:8s} {item.meta['blur']:8s} {blur_extent(item.meta):8.1f} px"
            f"  {max(estimates) if estimates else float('nan'):8.1f} px  {int(all_read):16d}"
            f"  {gains.get(item.meta['index'], 0):4d}",
            flush=True,
        )


if __name__ == "__main__":
    main()
