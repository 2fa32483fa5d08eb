"""What the cascade's ``grid`` steps cost and read on the ``photo`` suite, and which lost codes they came near.

Runs the default cascade on each scene with an observer (``Cascade(..., observer=...)``) that records
every step: its candidate, its time and the codes it read (a grid step stops at its first read, so
its time is when it read). Prints the grid steps' time percentiles, the times of those that read,
the steps that ran past ``--slow`` ms and read nothing (their cap is ``CascadeConfig.grid_max_ms``),
the lost codes that a texture box covered but no step was tried on, and for each lost code the
nearest outline a grid step ran on (within 3 modules) with the three versions the grid step ranks
best there and their correlations (recomputed after the scan as the grid step computes them: the
generator's blur on the outline, scaled per version). Run::

    python research/grid_step_probe.py --count 300 --budget 800
"""

from __future__ import annotations

import argparse

import numpy as np

from qrdeblur.bench.suites.photo import photo_suite
from qrdeblur.geometry import quad_side
from qrdeblur.imageio import to_grey
from qrdeblur.qrspec import modules
from qrdeblur.restore.finder_kernel import kernel_of
from qrdeblur.restore.module_grid import VERSIONS, rank_versions
from qrdeblur.scan import Attempt, Cascade, CascadeConfig, load_deblurrer
from qrdeblur.scan.grid_step import DEFAULT_MODULES
from qrdeblur.scan.locate import quad_contains, texture_candidates
from qrdeblur.scan.scene import Scene


def corner_error(quad, corners: np.ndarray) -> float:
    """Largest corner distance in px over the four starting corners of ``quad``."""
    q = np.asarray(quad, np.float64).reshape(4, 2)
    return min(float(np.linalg.norm(np.roll(q, k, axis=0) - corners, axis=1).max()) for k in range(4))


def grid_ranking(scene: Scene, cand) -> list[tuple[int, float]]:
    """The best three (version, registered correlation) the grid step ranks on ``cand``'s outline."""
    guess = scene.modules(cand) or DEFAULT_MODULES
    ref = scene.blur_on(cand.quad, int(round(guess)))
    if ref is None:
        return []

    def kernel_at(version: int) -> np.ndarray:
        f = modules(version) / guess
        return kernel_of(max(1.0, ref[0] * f), ref[1], max(0.3, ref[2] * f))

    return [(v, rho) for v, rho, _ in rank_versions(scene.grey_float, cand.quad, kernel_at, VERSIONS)[:3]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="scenes of the photo suite")
    parser.add_argument("--budget", type=float, default=800.0, help="time budget per photo, ms")
    parser.add_argument("--slow", type=float, default=300.0, help="report grid steps longer than this (ms)")
    parser.add_argument("--model", default=None, help="generator (.onnx); default: the shipped scan generator")
    args = parser.parse_args()
    attempts: list[Attempt] = []
    config = CascadeConfig()
    deblurrer = load_deblurrer(args.model)
    cascade = Cascade(deblurrer, config, observer=attempts.append)
    steps, untried, near_lost = [], [], []
    for item in photo_suite(args.count):
        attempts.clear()
        grey = to_grey(item.image)
        found = {c.text for c in cascade.run(grey, args.budget, image=item.image)}
        # the grid step runs on exact outlines only (on a texture box it returns at once)
        grids = [a for a in attempts if a.step.restore == "grid" and a.candidate is not None and a.candidate.exact]
        steps += [(a.ms, bool(a.codes)) for a in grids]
        tried = [a.candidate.quad for a in attempts if a.candidate is not None]
        boxes, scene = None, None
        for code in item.codes:
            if code.payload in found:
                continue
            corners = np.asarray(code.corners, np.float64).reshape(4, 2)
            centre, module_px = corners.mean(axis=0), quad_side(corners) / modules(code.version)
            if not any(quad_contains(q, centre, 0.0) for q in tried):
                if boxes is None:
                    boxes = texture_candidates(grey, config.max_candidates, config.texture_coherence,
                                               config.texture_split)
                ranks = [k for k, b in enumerate(boxes) if quad_contains(b.quad, centre, 0.0)]
                if ranks:
                    untried.append((item.meta["index"], code.version, ranks))
            near = [(corner_error(a.candidate.quad, corners) / module_px, a.candidate) for a in grids]
            if near and min(e for e, _ in near) < 3:
                err, cand = min(near, key=lambda e: e[0])
                scene = scene or Scene(grey, config, deblurrer)
                near_lost.append((item.meta["index"], item.meta["blur"], code.version, err, grid_ranking(scene, cand)))
    ms = np.array([s[0] for s in steps])
    read_ms = sorted(s[0] for s in steps if s[1])
    if len(ms):
        print(f"{len(steps)} grid steps, {ms.sum() / 1000:.1f} s; ms percentiles 50/90/99/max:",
              np.percentile(ms, [50, 90, 99, 100]).round().tolist())
    if read_ms:
        print(f"{len(read_ms)} codes read, at ms (median {np.median(read_ms):.0f}):", [round(r) for r in read_ms])
    slow = [s[0] for s in steps if not s[1] and s[0] > args.slow]
    print(f"{len(slow)} steps ran past {args.slow:.0f} ms and read nothing ({sum(slow) / 1000:.1f} s)")
    print("lost codes a texture box covered but no step was tried on (scene, version, box ranks):", untried)
    print("lost codes within 3 modules of a grid step's outline (scene, blur, version, modules off, ranking):")
    for scene_index, blur, version, err, ranked in near_lost:
        print(f"  {scene_index} {blur} v{version} {err:.2f}", [(v, round(float(rho), 3)) for v, rho in ranked])


if __name__ == "__main__":
    main()
