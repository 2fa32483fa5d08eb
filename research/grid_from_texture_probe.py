"""Probe: can the grid step start from a texture box (no detector outline)? Lost codes, scenes a..b.

Usage: python docs/research/grid_from_texture_probe.py 0 90 [search]   (needs runs/breakdown-s10.csv from
``photo_breakdown.py --method scan --out runs/breakdown-s10.csv``)
For each code the session-10 cascade lost (blurred over 1-5 modules), take the first texture candidate
holding it, shrink its box about the centre (0.65-0.95: the box is the blur halo's outline), rank
versions x quarter turns by the registered correlation of the known modules, then solve the best one
under the estimate and the nearby blurs. Session 10: 1 of 26 read; the fit passed the cascade's 0.85
gate for 4; the registration does not recover from outlines this loose. ``search`` (modules, session
11): the registrations also start that far off (``module_grid.start_shifts``), and each solve refits
the blur 4 times.
"""

import csv
import sys
from collections import Counter, defaultdict

import numpy as np
import zxingcpp

from qrdeblur.bench.photo import photo_suite
from qrdeblur.restore.finder_kernel import kernel_of
from qrdeblur.restore.module_grid import PX, nearby_blurs, rank_versions, render_modules, solve_codes
from qrdeblur.scan import load_deblurrer, locate, to_grey
from qrdeblur.scan.cascade import stretch_contrast
from qrdeblur.geometry import rectify

N_GUESS = 33  # modules assumed when estimating the blur on a box of unknown version


def reads(grey_f, quad, version, blur, payload, search=0.0) -> bool:
    refits = 4 if search > 0 else 0
    for sol in solve_codes(grey_f, quad, version, kernel_of(*blur), refits, grow=3, search=search):
        if any(x.valid and x.text == payload for x in zxingcpp.read_barcodes(render_modules(sol.dark))):
            return True
    return False


def main() -> None:
    deb = load_deblurrer(None)
    by = defaultdict(list)
    for r in csv.DictReader(open("runs/breakdown-s10.csv")):
        by[int(r["scene"])].append(r)
    a, b = int(sys.argv[1]), int(sys.argv[2])
    search = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    tally: Counter = Counter()
    for it in photo_suite(b)[a:]:
        grey = None
        for code, r in zip(it.codes, by[it.meta["index"]], strict=True):
            if r["read"] == "1" or not 1 <= float(r["extent_modules"]) < 5:
                continue
            grey = to_grey(it.image) if grey is None else grey
            g = grey.astype(np.float32) / 255
            c = np.asarray(code.corners, float).mean(axis=0)
            texture = locate.texture_candidates(grey, 24)
            cand = next((cd for cd in texture if locate.quad_contains(cd.quad, c, 0.0)), None)
            tally["lost"] += 1
            if cand is None:
                continue
            centre = cand.quad.mean(axis=0)
            best = None
            for shrink in (0.65, 0.75, 0.85, 0.95):
                q = centre + (cand.quad - centre) * shrink
                side = N_GUESS * PX
                est = deb.estimate_blur(stretch_contrast(rectify(grey, q, side, int(round(side * 0.15)) + 4).image))

                def kernel_at(v, est=est):
                    f = (17 + 4 * v) / N_GUESS
                    return kernel_of(max(1.0, est[0] * f), est[1], max(0.3, est[2] * f))

                for v, rho, turned in rank_versions(g, q, kernel_at, turns=(0, 1, 2, 3), keep=3, search=search):
                    if best is None or rho > best[0]:
                        best = (rho, v, turned, shrink)
            if best is None:
                continue
            rho, v, turned, shrink = best
            side = (17 + 4 * v) * PX
            rect = rectify(grey, turned, side, int(round(side * 0.15)) + 4)
            length, angle, sigma = deb.estimate_blur(stretch_contrast(rect.image))
            blurs = [(length, angle, sigma, 0.0), *nearby_blurs(length, angle, sigma, 6 if search == 0 else 0)]
            ok = any(reads(g, turned, v, blur, code.payload, search) for blur in blurs)
            tally["read"] += ok
            tally["rho>0.85"] += rho > 0.85
            print(it.meta["index"], r["blur"], r["extent_modules"], f"v{code.version} -> v{v}", round(rho, 3),
                  shrink, ok, flush=True)
    print(dict(tally))


if __name__ == "__main__":
    main()
