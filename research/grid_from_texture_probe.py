"""Can the module-grid solver start from a texture box (no detector outline)? Lost ``photo`` codes.

The cascade's ``grid`` step runs on exact outlines only. For each code a scan run lost (a
``photo_breakdown.py --method scan`` CSV) that is blurred over 1-5 modules, this takes the first
texture candidate holding its centre (the cascade's locator settings), shrinks the box about its
centre (0.65-0.95: a texture box is the blur halo's outline), ranks versions x quarter turns by the
registered correlation of the known modules (:func:`qrdeblur.restore.module_grid.rank_versions`),
then solves the best under the generator's blur estimate and the nearby blurs and decodes the
solution drawn clean. Prints per code the true and the ranked version, the correlation, the shrink
and whether it read; then the tally (codes lost, read, ranked above the cascade's variant gate).
``--search M``: the registrations also start M modules off, and each solve refits the blur 4 times
(no nearby blurs). Measured once: 1 of 26 read, the registration does not recover from outlines
this loose. Run::

    python research/photo_breakdown.py --method scan --out runs/breakdown.csv
    python research/grid_from_texture_probe.py --breakdown runs/breakdown.csv --start 0 --end 90 [--search 1]
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np
from photo_breakdown import rows_by_scene  # a sibling research script

from qrdeblur.bench.suites.photo import photo_suite
from qrdeblur.contrast import stretch_contrast
from qrdeblur.decode.zxing import read_grey
from qrdeblur.geometry import rectify
from qrdeblur.imageio import to_grey
from qrdeblur.qrspec import modules
from qrdeblur.restore.finder_kernel import kernel_of
from qrdeblur.restore.module_grid import PX, nearby_blurs, rank_versions, render_modules, solve_codes
from qrdeblur.scan import CascadeConfig, load_deblurrer
from qrdeblur.scan.locate import quad_contains, texture_candidates

N_GUESS = 33  # modules assumed when estimating the blur on a box of unknown version
SHRINKS = (0.65, 0.75, 0.85, 0.95)


def reads(grey_f, quad, version, blur, payload, search=0.0) -> bool:
    """Does a grid solve of ``quad`` as a ``version`` code under ``blur`` decode to ``payload``?"""
    refits = 4 if search > 0 else 0
    for sol in solve_codes(grey_f, quad, version, kernel_of(*blur), refits, grow=3, search=search):
        if any(r.text == payload for r in read_grey(render_modules(sol.dark))[0]):
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--breakdown", required=True, help="photo_breakdown.py --method scan CSV")
    parser.add_argument("--start", type=int, default=0, help="first scene")
    parser.add_argument("--end", type=int, default=300, help="scene after the last")
    parser.add_argument("--search", type=float, default=0.0, help="registrations also start this many modules off")
    parser.add_argument("--model", default=None, help="generator with a blur estimator (.onnx); default: shipped")
    args = parser.parse_args()
    cfg = CascadeConfig()
    deb = load_deblurrer(args.model)
    by = rows_by_scene(args.breakdown)

    def estimate(grey, quad, side):
        return deb.estimate_blur(stretch_contrast(rectify(grey, quad, side, int(round(side * cfg.margin)) + 4).image))

    tally: Counter = Counter()
    for it in photo_suite(args.end)[args.start :]:
        grey = None
        for code, r in zip(it.codes, by[it.meta["index"]], strict=True):
            if r["read"] == "1" or not 1 <= float(r["extent_modules"]) < 5:
                continue
            grey = to_grey(it.image) if grey is None else grey
            g = grey.astype(np.float32) / 255
            c = np.asarray(code.corners, float).mean(axis=0)
            texture = texture_candidates(grey, cfg.max_candidates, cfg.texture_coherence, cfg.texture_split)
            cand = next((cd for cd in texture if quad_contains(cd.quad, c, 0.0)), None)
            tally["lost"] += 1
            if cand is None:
                continue
            centre = cand.quad.mean(axis=0)
            best = None
            for shrink in SHRINKS:
                q = centre + (cand.quad - centre) * shrink
                est = estimate(grey, q, N_GUESS * PX)

                def kernel_at(v, est=est):
                    f = modules(v) / N_GUESS
                    return kernel_of(max(1.0, est[0] * f), est[1], max(0.3, est[2] * f))

                for v, rho, turned in rank_versions(g, q, kernel_at, turns=(0, 1, 2, 3), keep=3, search=args.search):
                    if best is None or rho > best[0]:
                        best = (rho, v, turned, shrink)
            if best is None:
                continue
            rho, v, turned, shrink = best
            length, angle, sigma = estimate(grey, turned, modules(v) * PX)
            variants = nearby_blurs(length, angle, sigma, cfg.grid_blur_variants if args.search == 0 else 0)
            blurs = [(length, angle, sigma, 0.0), *variants]
            ok = any(reads(g, turned, v, blur, code.payload, args.search) for blur in blurs)
            tally["read"] += ok
            tally[f"rho>={cfg.grid_variant_correlation}"] += rho >= cfg.grid_variant_correlation
            print(it.meta["index"], r["blur"], r["extent_modules"], f"v{code.version} -> v{v}", round(rho, 3),
                  shrink, ok, flush=True)
    print(dict(tally))


if __name__ == "__main__":
    main()
