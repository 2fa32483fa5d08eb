"""Can the module-grid solver read what the restorer cannot? Lost photo codes, true or estimated blur.

Usage: python docs/research/grid_solve_oracle.py --oracle runs/oracle-s9.csv [--limit 40]
           [--kernel true|fit|estimate] [--jitter 0.3] [--rounds 2] [--variants 5] [--version-rank]

For every ``photo`` code that the true-outline cascade (``photo_oracle.py``) did not read, blurred over
1-6 modules (shake included: the scene's PSF is captured while the scene is rebuilt bit for bit), run
:func:`qrdeblur.restore.module_grid.solve_code` on the code's true outline (``--jitter``: each corner
moved at random by that many modules, sd: a detector's error) with the blur

- ``true``: the scene's PSF carried into the grid crop (warped by the rectification's local affine map);
- ``fit``: its motion + Gaussian fit (``kernels.motion_gaussian_fit``), the estimator's description;
- ``estimate``: the shipped scan model's estimator on the code's crop at 3 px per module;

re-draw the solved modules clean and decode them with zxing-cpp. ``--variants``: after a failed
solve, nearby blurs (``module_grid.nearby_blurs``: a defocus disk, other lengths, angles, sigmas).
``--version-rank``: instead, rank the versions (``rank_versions``) and report where the true one lands.

Why: the restorer's crops of these codes have a median 17 % wrong modules; Wiener with the true blur
reads 11 of 100. The grid model has one unknown per module and knows the symbol's fixed parts.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import Counter, defaultdict

import cv2
import numpy as np
import zxingcpp

import qrdeblur.bench.photo as photo_mod
from qrdeblur.restore.deblurrer import Deblurrer, scan_model_path
from qrdeblur.restore.finder_kernel import kernel_of
from qrdeblur.restore.module_grid import PX, nearby_blurs, rank_versions, render_modules, solve_codes
from qrdeblur.scan import to_grey
from qrdeblur.scan.cascade import stretch_contrast
from qrdeblur.geometry import rectify
from qrdeblur.synth import kernels
from qrdeblur.synth.presets import _homography_jacobian


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


def lost_items(oracle_csv: str, count: int):
    """(item, code, oracle row, native PSF) for the lost codes blurred over 1-6 modules."""
    by_scene = defaultdict(list)
    for r in csv.DictReader(open(oracle_csv)):
        by_scene[int(r["scene"])].append(r)
    captured: dict = {}
    real_psf = photo_mod._camera_psf

    def capture(rng, cell):
        psf, params = real_psf(rng, cell)
        captured["psf"] = psf
        return psf, params

    photo_mod._camera_psf = capture
    seed, mc = photo_mod.PHOTO_SEED, photo_mod.MAX_CODES
    pool = photo_mod._payload_specs(count * mc)
    for index in range(count):
        if not any(r["oracle"] == "0" and 1 <= float(r["extent_modules"]) < 6 for r in by_scene[index]):
            continue
        # as photo_suite() builds item `index`
        n_codes = int(np.random.default_rng([seed, index, 1]).choice([1, 2, 3], p=[0.5, 0.3, 0.2]))
        item = photo_mod._photo_item(index, seed, pool[mc * index : mc * index + n_codes])
        for code, rec in zip(item.codes, by_scene[index], strict=True):
            if rec["oracle"] == "0" and 1 <= float(rec["extent_modules"]) < 6:
                yield item, code, rec, captured["psf"]


def reads(grey, corners, code, kernel, rounds, refits=0, grow=0, search=0.0) -> bool:
    """Does the grid solve of ``code`` under ``kernel`` (then ``refits`` refitted blurs) decode to its payload?"""
    solves = solve_codes(grey, corners, code.version, kernel, refits, rounds=rounds, grow=grow, search=search)
    for k, sol in enumerate(solves):
        found = zxingcpp.read_barcodes(render_modules(sol.dark), formats=zxingcpp.BarcodeFormat.QRCode)
        if any(b.valid and b.text == code.payload for b in found):
            REFIT_READS[k] += 1
            return True
    return False


REFIT_READS: Counter = Counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oracle", required=True)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--limit", type=int, default=0, help="stop after this many codes (0: all)")
    parser.add_argument("--kernel", choices=["true", "fit", "estimate"], default="estimate")
    parser.add_argument("--jitter", type=float, default=0.0, help="corner noise, modules (sd)")
    parser.add_argument("--rounds", type=int, default=2, help="registration rounds")
    parser.add_argument("--variants", type=int, default=0, help="blur variants tried after a failed solve")
    parser.add_argument("--refits", type=int, default=0, help="blur refits after each failed solve")
    parser.add_argument("--grow", type=int, default=0, help="px the refitted blur may grow each side")
    parser.add_argument("--search", type=float, default=0.0, help="first registration: starts this many modules off")
    parser.add_argument("--version-rank", action="store_true", help="rank versions instead of solving")
    args = parser.parse_args()
    estimator = Deblurrer.load(scan_model_path())
    jitter_rng = np.random.default_rng(0)
    tally: Counter = Counter()
    times = []
    for done, (item, code, rec, psf) in enumerate(lost_items(args.oracle, args.count)):
        if args.limit and done >= args.limit:
            break
        grey = to_grey(item.image).astype(np.float32) / 255
        n = 17 + 4 * code.version
        corners = np.asarray(code.corners, np.float64).reshape(4, 2)
        if args.jitter > 0:
            module = np.linalg.norm(corners[1] - corners[0]) / n
            corners = corners + jitter_rng.normal(0, args.jitter * module, corners.shape)
        rect = rectify(grey, corners, n * PX, 0)
        c = n * PX / 2
        crop_per_native = np.linalg.inv(_homography_jacobian(rect.to_image, c, c))
        est = None
        if args.kernel == "true":
            k = crop_psf(psf, crop_per_native)
        elif args.kernel == "fit":
            k = kernel_of(*kernels.motion_gaussian_fit(psf, crop_per_native))
        else:
            side = n * PX
            est_rect = rectify(grey, corners, side, int(round(side * 0.15)) + 4)
            est = estimator.estimate_blur(stretch_contrast(np.round(est_rect.image * 255).astype(np.uint8)))
            k = kernel_of(*est)
        key = f"{rec['blur']} {int(float(rec['extent_modules']))}-{int(float(rec['extent_modules'])) + 1}"
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
    for kk in sorted({k for k, _ in tally}):
        what = "ranked first" if args.version_rank else "read"
        print(f"{kk:14s} {what} {tally[(kk, 'read')]:3d} of {tally[(kk, 'n')]:3d}")
    print("read after k refits:", dict(sorted(REFIT_READS.items())))
    print("read by a nearby blur:", sum(v for k, v in tally.items() if k[0] == "hypothesis"))
    if times:
        print(f"ms per code: median {np.median(times):.0f}, 90% {np.percentile(times, 90):.0f}")


if __name__ == "__main__":
    main()
