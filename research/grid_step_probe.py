"""Probe: what the cascade's grid steps cost and read, and which lost codes they came near.

Usage: python docs/research/grid_step_probe.py [--count 300] [--budget 800]
Runs the default cascade on each ``photo`` scene, timing every ``grid`` step (and when in it a code
was read) and recording the versions it ranked with their correlations. Prints the steps' time
percentiles, when the codes they read were read, the steps that ran past 300 ms without reading, the
lost codes that a texture box covered but no step was tried on, and for each lost code the nearest
outline a grid step ran on (within 3 modules) with its ranking.
Why: session 13 found single grid steps taking a photo's whole budget (``grid_max_ms``) and asked how
close the grid steps come to the codes still lost.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from qrdeblur.bench.photo import photo_suite
from qrdeblur.restore import module_grid
from qrdeblur.scan import Cascade, CascadeConfig, load_deblurrer, locate, to_grey
from qrdeblur.geometry import quad_side


class GridTimingCascade(Cascade):
    """The cascade, timing its grid steps and remembering the quads its steps ran on."""

    def begin(self) -> None:
        self.grids, self.tried, self.ranked = [], [], []
        self._grid_t0 = None

    def _grid(self, grey, cand, step, codes, cache, time_left):
        self._grid_t0, self._grid_read = time.perf_counter(), None
        super()._grid(grey, cand, step, codes, cache, time_left)
        self.grids.append(((time.perf_counter() - self._grid_t0) * 1000, self._grid_read))
        self._grid_t0 = None

    def _add(self, codes, new):
        added = super()._add(codes, new)
        if added and self._grid_t0 is not None:
            self._grid_read = (time.perf_counter() - self._grid_t0) * 1000
        return added

    def _attempt(self, grey, cand, step, codes, cache, time_left=np.inf):
        self.tried.append(np.asarray(cand.quad, np.float64).reshape(4, 2))
        return super()._attempt(grey, cand, step, codes, cache, time_left)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--budget", type=float, default=800.0)
    args = parser.parse_args()
    cascade = GridTimingCascade(load_deblurrer(None), CascadeConfig())
    real_rank = module_grid.rank_versions

    def ranking(image, quad, kernel_at, versions, **kwargs):
        ranked = real_rank(image, quad, kernel_at, versions, **kwargs)
        cascade.ranked.append((np.asarray(quad, np.float64).reshape(4, 2), [(v, rho) for v, rho, _ in ranked[:3]]))
        return ranked

    module_grid.rank_versions = ranking
    steps, untried, near_lost = [], [], []
    for item in photo_suite(args.count):
        cascade.begin()
        grey = to_grey(item.image)
        found = {c.text for c in cascade.run(grey, args.budget)}
        steps += cascade.grids
        boxes = None
        for code in item.codes:
            if code.payload in found:
                continue
            corners = np.asarray(code.corners, np.float64).reshape(4, 2)
            centre, module_px = corners.mean(axis=0), quad_side(corners) / (17 + 4 * code.version)
            if not any(locate.quad_contains(q, centre, 0.0) for q in cascade.tried):
                boxes = boxes if boxes is not None else locate.texture_candidates(grey, 24)
                ranks = [k for k, b in enumerate(boxes) if locate.quad_contains(b.quad, centre, 0.0)]
                if ranks:
                    untried.append((item.meta["index"], code.version, ranks))
            errors = [
                (min(np.linalg.norm(np.roll(q, k, axis=0) - corners, axis=1).max() for k in range(4)) / module_px, r)
                for q, r in cascade.ranked
            ]
            if errors and min(errors, key=lambda e: e[0])[0] < 3:
                err, ranked = min(errors, key=lambda e: e[0])
                near_lost.append((item.meta["index"], item.meta["blur"], code.version, err, ranked))
    ms = np.array([s[0] for s in steps])
    reads = sorted(s[1] for s in steps if s[1] is not None)
    print(f"{len(steps)} grid steps, {ms.sum() / 1000:.1f} s; ms percentiles 50/90/99/max:",
          np.percentile(ms, [50, 90, 99, 100]).round().tolist())
    print(f"{len(reads)} codes read, at ms (median {np.median(reads):.0f}):", [round(r) for r in reads])
    slow = [s[0] for s in steps if s[1] is None and s[0] > 300]
    print(f"{len(slow)} steps ran past 300 ms and read nothing ({sum(slow) / 1000:.1f} s)")
    print("lost codes a texture box covered but no step was tried on (scene, version, box ranks):", untried)
    print("lost codes within 3 modules of a grid step's outline (scene, blur, version, modules off, ranking):")
    for scene, blur, version, err, ranked in near_lost:
        print(f"  {scene} {blur} v{version} {err:.2f}", [(v, round(float(rho), 3)) for v, rho in ranked])


if __name__ == "__main__":
    main()
