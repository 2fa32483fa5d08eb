"""Can the module-grid solver read what the restorer cannot? Lost ``photo`` codes, true or estimated blur.

For every ``photo`` code that the true-outline cascade (``photo_oracle.py --out``) did not read,
blurred over 1-6 modules, this runs :func:`qrdeblur.restore.module_grid.solve_codes` on the code's
true outline (``--jitter``: each corner moved at random by that many modules, sd: a detector's error)
with the blur

- ``true``: the scene's PSF carried into the grid crop (warped by the rectification's local affine map);
- ``fit``: its motion + Gaussian fit (``kernels.motion_gaussian_fit``), the estimator's description;
- ``estimate``: the scan generator's estimator on the code's crop at 3 px per module;

re-draws the solved modules clean and decodes them with zxing-cpp. The true PSF is rebuilt from the
scene's metadata, which does not hold a camera shake's path: with ``true`` and ``fit`` shaken codes are
skipped (counted). ``--variants``: after a failed solve, nearby blurs (``module_grid.nearby_blurs``: a
defocus disk, other lengths, angles, sigmas). ``--refits``/``--grow``: blur refits after each solve.
``--version-rank``: instead, rank the versions (``rank_versions``) and report where the true one lands.
Why: the restorer's crops of these codes have many wrong modules (``photo_module_errors.py``); the grid
model has one unknown per module and knows the symbol's fixed parts. Run::

    python research/photo_oracle.py --out runs/oracle.csv
    python research/grid_solve_oracle.py --oracle runs/oracle.csv --kernel estimate --jitter 0.3 --variants 6
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import cv2
import numpy as np
from photo_breakdown import rows_by_scene, true_psf  # a sibling research script

from qrdeblur.bench.suites.photo import photo_suite
from qrdeblur.contrast import stretch_contrast
from qrdeblur.decode.zxing import read_grey
from qrdeblur.geometry import rectify
from qrdeblur.imageio import to_grey
from qrdeblur.qrspec import modules
from qrdeblur.restore.finder_kernel import kernel_of
from qrdeblur.restore.module_grid import PX, nearby_blurs, rank_versions, render_modules, solve_codes
from qrdeblur.scan import CascadeConfig, load_deblurrer
from qrdeblur.synth import kernels
from qrdeblur.synth.scan_photo import homography_jacobian


def crop_psf(native: np.ndarray, crop_per_native: np.ndarray, supersample: int = 4) -> np.ndarray:
    """The native PSF as the rectified crop sees it: warped by the local affine map, area-sampled."""
    kh, kw = native.shape
    box = np.array([[-kw / 2, -kh / 2], [kw / 2, -kh / 2], [kw / 2, kh / 2], [-kw / 2, kh / 2]])
    half = int(np.ceil(np.abs(box @ crop_per_native.T).max())) + 1
    size, ss = 2 * half + 1, supersample
    a = np.linalg.inv(crop_per_native * ss)  # output (supersampled crop px) -> native kernel px
    centre_out = (size * ss - 1) / 2
    centre_in = np.array([(kw - 1) / 2, (kh - 1) / 2])
    m = np.hstack([a, (centre_in - a @ [centre_out, centre_out])[:, None]])
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    big = cv2.warpAffine(native.astype(np.float32), m, (size * ss, size * ss), flags=flags)
    k = big.reshape(size, ss, size, ss).sum(axis=(1, 3))
    if k.sum() <= 0:  # a kernel narrower than a crop pixel
        k = np.zeros((size, size), np.float32)
        k[half, half] = 1
    return (k / k.sum()).astype(np.float32)


def lost_codes(oracle_csv: str, count: int):
    """(item, code, oracle row) for the codes the oracle did not read, blurred over 1-6 modules."""
    by_scene = rows_by_scene(oracle_csv)

    def lost(r):
        return r["oracle"] == "0" and 1 <= float(r["extent_modules"]) < 6

    for item in photo_suite(count):
        for code, rec in zip(item.codes, by_scene[item.meta["index"]], strict=True):
            if lost(rec):
                yield item, code, rec


REFIT_READS: Counter = Counter()


def reads(grey, corners, code, kernel, rounds, refits=0, grow=0, search=0.0) -> bool:
    """Does the grid solve of ``code`` under ``kernel`` (then ``refits`` refitted blurs) decode to its payload?"""
    solves = solve_codes(grey, corners, code.version, kernel, refits, rounds=rounds, grow=grow, search=search)
    for k, sol in enumerate(solves):
        if any(r.text == code.payload for r in read_grey(render_modules(sol.dark))[0]):
            REFIT_READS[k] += 1
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oracle", required=True, help="photo_oracle.py CSV")
    parser.add_argument("--count", type=int, default=300, help="scenes of the photo suite")
    parser.add_argument("--limit", type=int, default=0, help="stop after this many codes (0: all)")
    parser.add_argument("--kernel", choices=["true", "fit", "estimate"], default="estimate")
    parser.add_argument("--model", default=None, help="generator with a blur estimator (.onnx); default: shipped")
    parser.add_argument("--jitter", type=float, default=0.0, help="corner noise, modules (sd)")
    parser.add_argument("--rounds", type=int, default=2, help="registration rounds")
    parser.add_argument("--variants", type=int, default=0, help="nearby blurs tried after a failed solve")
    parser.add_argument("--refits", type=int, default=0, help="blur refits after each solve")
    parser.add_argument("--grow", type=int, default=0, help="px the refitted blur may grow each side")
    parser.add_argument("--search", type=float, default=0.0, help="first registration: starts this many modules off")
    parser.add_argument("--version-rank", action="store_true", help="rank versions instead of solving")
    args = parser.parse_args()
    estimator = load_deblurrer(args.model)
    margin = CascadeConfig().margin
    jitter_rng = np.random.default_rng(0)
    tally: Counter = Counter()
    times = []
    done = 0
    for item, code, rec in lost_codes(args.oracle, args.count):
        if args.limit and done >= args.limit:
            break
        psf = true_psf(item.meta)
        if args.kernel != "estimate" and psf is None:
            tally[("skipped (shake: no PSF in the metadata)", "n")] += 1
            continue
        done += 1
        grey_u8 = to_grey(item.image)
        grey = grey_u8.astype(np.float32) / 255
        n = modules(code.version)
        corners = np.asarray(code.corners, np.float64).reshape(4, 2)
        if args.jitter > 0:
            module = np.linalg.norm(corners[1] - corners[0]) / n
            corners = corners + jitter_rng.normal(0, args.jitter * module, corners.shape)
        side = n * PX
        est = None
        if args.kernel == "estimate":
            est_rect = rectify(grey_u8, corners, side, int(round(side * margin)) + 4)
            est = estimator.estimate_blur(stretch_contrast(est_rect.image))
            k = kernel_of(*est)
        else:
            rect = rectify(grey, corners, side, 0)
            crop_per_native = np.linalg.inv(homography_jacobian(rect.to_image, side / 2, side / 2))
            if args.kernel == "true":
                k = crop_psf(psf, crop_per_native)
            else:
                k = kernel_of(*kernels.motion_gaussian_fit(psf, crop_per_native))
        extent = int(float(rec["extent_modules"]))
        key = f"{rec['blur']} {extent}-{extent + 1}"
        t0 = time.perf_counter()
        if args.version_rank:
            ranked = [v for v, _, _ in rank_versions(grey, corners, lambda v, k=k: k)]
            rank = ranked.index(code.version) if code.version in ranked else 99
            tally[("all", "n")] += 1
            tally[("all", "read")] += int(rank == 0)
            print(f"{item.meta['index']:3d} v{code.version:2d} ranked {ranked[:3]}", flush=True)
            continue

        ok = reads(grey, corners, code, k, args.rounds, args.refits, args.grow, args.search)
        if not ok and est is not None:
            for blur in nearby_blurs(*est, args.variants):
                if reads(grey, corners, code, kernel_of(*blur), args.rounds, args.refits, args.grow):
                    ok = True
                    tally[("hypothesis", "length {:.1f} angle {:.0f} sigma {:.2f} disk {:.1f}".format(*blur))] += 1
                    break
        times.append((time.perf_counter() - t0) * 1000)
        for kk in (key, "all"):
            tally[(kk, "n")] += 1
            tally[(kk, "read")] += int(ok)
        print(f"{item.meta['index']:3d} {rec['cell']:8s} {key:12s} v{code.version:2d}{code.ecc} read {ok} "
              f"{times[-1]:5.0f} ms", flush=True)
    what = "ranked first" if args.version_rank else "read"
    for kk in sorted({k for k, _ in tally if k != "hypothesis"}):
        print(f"{kk:14s} {what} {tally[(kk, 'read')]:3d} of {tally[(kk, 'n')]:3d}")
    print("read after k refits:", dict(sorted(REFIT_READS.items())))
    print("read by a nearby blur:", sum(v for k, v in tally.items() if k[0] == "hypothesis"))
    if times:
        print(f"ms per code: median {np.median(times):.0f}, 90% {np.percentile(times, 90):.0f}")


if __name__ == "__main__":
    main()
