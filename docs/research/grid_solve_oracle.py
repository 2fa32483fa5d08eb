"""Can a module-grid solver read what the restorer cannot? Least squares on the modules, true grid and blur.

Usage: python docs/research/grid_solve_oracle.py --oracle runs/oracle-s9.csv [--count 300] [--kernel true]

For every ``photo`` code that the true-outline cascade (``photo_oracle.py``) did not read, blurred over
1-6 modules: rectify the true outline at 3 px per module, carry the scene's true PSF into the crop
(warped by the rectification's Jacobian at the centre), and solve for the module values directly:

    y(x) = paper(x) - contrast(x) * (k * up(m))(x),     m in [0, 1] per module,

``up`` repeats each module over its 3x3 pixels, ``paper`` and ``contrast`` are planes (uneven light),
the symbol's function patterns (finders, separators, timing, alignment, dark module) are fixed to their
known values, the one-module quiet zone is light, a ring of free modules around it absorbs the
surroundings the blur brings in. Alternates a linear fit of the light planes with FISTA on ``m`` (box
constraint). Then thresholds ``m`` at 0.5, re-draws the code clean and decodes it with zxing-cpp.

Why: the restorer's crops of these codes have a median 17 % wrong modules; a Wiener filter with the true
blur reads 11 of 100. The grid model has one unknown per module instead of one per pixel and knows the
symbol's fixed parts: if it reads most of them with the true blur and grid, a blind version (estimated
blur, the grid refined from the locator's outline) is worth building.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import Counter, defaultdict

import cv2
import numpy as np
import segno.consts as sc
import onnxruntime as ort
import zxingcpp

import qrdeblur.bench.photo as photo_mod
from qrdeblur.restore.deblurrer import scan_model_path
from qrdeblur.restore.finder_kernel import kernel_of
from qrdeblur.restore.kernel_wiener import decode_blur, estimator_features
from qrdeblur.restore.module_grid import rank_versions, render_modules, solve_code
from qrdeblur.scan import to_grey
from qrdeblur.scan.cascade import stretch_contrast
from qrdeblur.scan.rectify import rectify
from qrdeblur.synth import kernels
from qrdeblur.synth.presets import _homography_jacobian
from qrdeblur.synth.render import QRSpec, make_symbol

PX = 3
FIXED_TYPES = {
    sc.TYPE_FINDER_PATTERN_DARK: 1, sc.TYPE_FINDER_PATTERN_LIGHT: 0, sc.TYPE_SEPARATOR: 0,
    sc.TYPE_TIMING_DARK: 1, sc.TYPE_TIMING_LIGHT: 0, sc.TYPE_ALIGNMENT_PATTERN_DARK: 1,
    sc.TYPE_ALIGNMENT_PATTERN_LIGHT: 0, sc.TYPE_DARKMODULE: 1,
}


def crop_psf(native: np.ndarray, crop_per_native: np.ndarray, supersample: int = 4) -> np.ndarray:
    """The native PSF as the rectified crop sees it: warped by the local affine map, area-sampled."""
    kh, kw = native.shape
    corners = np.array([[-kw / 2, -kh / 2], [kw / 2, -kh / 2], [kw / 2, kh / 2], [-kw / 2, kh / 2]]) @ crop_per_native.T
    half = int(np.ceil(np.abs(corners).max())) + 1
    size = 2 * half + 1
    ss = supersample
    # output (supersampled crop px) -> native kernel px
    a = np.linalg.inv(crop_per_native * ss)
    centre_out = (size * ss - 1) / 2
    centre_in = np.array([(kw - 1) / 2, (kh - 1) / 2])
    m = np.hstack([a, (centre_in - a @ [centre_out, centre_out])[:, None]])
    big = cv2.warpAffine(native.astype(np.float32), m, (size * ss, size * ss), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    k = big.reshape(size, ss, size, ss).sum(axis=(1, 3))
    if k.sum() <= 0:  # a kernel narrower than a crop pixel
        k = np.zeros((size, size), np.float32)
        k[half, half] = 1
    return (k / k.sum()).astype(np.float32)


class GridModel:
    """``A m = k * up(m)`` on an (g*PX)^2 image via FFT, and its adjoint."""

    def __init__(self, g: int, kernel: np.ndarray):
        self.g = g
        self.size = g * PX
        kh, kw = kernel.shape
        pad = np.zeros((self.size, self.size), np.float32)
        pad[:kh, :kw] = kernel
        pad = np.roll(pad, (-(kh // 2), -(kw // 2)), axis=(0, 1))
        self.kf = np.fft.rfft2(pad)

    def forward(self, m: np.ndarray) -> np.ndarray:
        up = np.kron(m, np.ones((PX, PX), np.float32))
        return np.fft.irfft2(np.fft.rfft2(up) * self.kf, s=(self.size, self.size))

    def adjoint(self, r: np.ndarray) -> np.ndarray:
        c = np.fft.irfft2(np.fft.rfft2(r) * np.conj(self.kf), s=(self.size, self.size))
        return c.reshape(self.g, PX, self.g, PX).sum(axis=(1, 3))


def solve_modules(y: np.ndarray, model: GridModel, fixed: np.ndarray, weight: np.ndarray, outer: int = 6, inner: int = 60,
                  lo: np.ndarray | float = 0.0, hi: np.ndarray | float = 1.0):
    """Module values in [0, 1] (``fixed``: NaN where free) and the light planes; FISTA inside alternation."""
    s = model.size
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s - 0.5
    planes = np.stack([np.ones_like(xx), xx, yy]).reshape(3, -1)
    free = np.isnan(fixed)
    # start: the module means of the blurred crop, inverted and stretched
    means = y.reshape(model.g, PX, model.g, PX).mean(axis=(1, 3))
    dark_level, light_level = np.percentile(means, [5, 95])
    start = np.clip((light_level - means) / max(light_level - dark_level, 1e-3), 0, 1)
    m = np.where(free, start, fixed).astype(np.float32)
    w = weight.ravel()
    for _ in range(outer):
        am = model.forward(m).ravel()
        design = np.vstack([planes, -planes * am]).T * w[:, None]
        coef, *_ = np.linalg.lstsq(design, y.ravel() * w, rcond=None)
        paper = (coef[:3] @ planes).reshape(s, s)
        contrast = (coef[3:] @ planes).reshape(s, s)
        step = 1.0 / (float((contrast**2 * weight).max()) * PX * PX + 1e-6)
        z, t, prev = m.copy(), 1.0, m.copy()
        for _ in range(inner):
            r = (paper - contrast * model.forward(z) - y) * weight
            grad = -model.adjoint(contrast * r)
            nxt = np.clip(z - step * grad, lo, hi)
            nxt[~free] = fixed[~free]
            t_next = (1 + np.sqrt(1 + 4 * t * t)) / 2
            z = nxt + (t - 1) / t_next * (nxt - prev)
            prev, t = nxt, t_next
        m = prev
    return m, paper, contrast


def binary_refine(y, model: GridModel, fixed, weight, m, paper, contrast, reach: int, rounds: int = 60):
    """Greedy module flips that lower the squared residual, from the thresholded soft solution.

    All flips that help and are the best within a blur's reach of each other are made at once
    (flips further apart do not interact), until none helps.
    """
    from scipy.ndimage import minimum_filter

    free = np.isnan(fixed)
    b = np.where(free, m > 0.5, fixed > 0.5).astype(np.float32)
    one = np.zeros((model.g, model.g), np.float32)
    one[model.g // 2, model.g // 2] = 1
    energy = float((model.forward(one) ** 2).sum())
    c_mod = contrast.reshape(model.g, PX, model.g, PX).mean(axis=(1, 3))
    h = c_mod**2 * energy
    for _ in range(rounds):
        r = (y - (paper - contrast * model.forward(b))) * weight
        g = model.adjoint(contrast * r)
        delta = np.where(b > 0.5, -1.0, 1.0)
        gain = 2 * delta * g + h
        gain[~free] = np.inf
        best = minimum_filter(gain, size=reach, mode="nearest")
        flip = (gain < 0) & (gain <= best)
        if not flip.any():
            break
        b[flip] = 1 - b[flip]
    return b


def register(y: np.ndarray, model: GridModel, m: np.ndarray, mask: np.ndarray, blur: int = 5) -> np.ndarray | None:
    """The homography W (template -> crop pixels) aligning the expected image of modules ``m`` with ``y``.

    ECC (OpenCV) over ``mask``: invariant to the light's gain and offset, so the template is just the
    blurred module picture. None when ECC does not converge.
    """
    template = (1 - model.forward(m)).astype(np.float32)
    warp = np.eye(3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 60, 1e-5)
    try:
        _, warp = cv2.findTransformECCWithMask(
            template, y.astype(np.float32), mask.astype(np.uint8), np.ones_like(mask, np.uint8), warp,
            cv2.MOTION_HOMOGRAPHY, criteria, blur,
        )
    except cv2.error:
        return None
    return warp.astype(np.float64)


def clean_render(dark: np.ndarray, px: int = 6, qz: int = 4) -> np.ndarray:
    img = np.where(dark, 0, 255).astype(np.uint8)
    img = np.pad(img, qz, constant_values=255)
    return cv2.resize(img, None, fx=px, fy=px, interpolation=cv2.INTER_NEAREST)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oracle", required=True)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--limit", type=int, default=0, help="stop after this many codes (0: all)")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--variants", type=int, default=0, help="blur variants tried after a failed solve")
    parser.add_argument("--version-rank", action="store_true", help="rank versions by ECC correlation")
    parser.add_argument("--keep", type=int, default=3)
    parser.add_argument("--outer", type=int, default=4)
    parser.add_argument("--fast-outer", type=int, default=0)
    parser.add_argument("--fast-inner", type=int, default=0)
    parser.add_argument("--ridge", type=float, default=0.0)
    parser.add_argument("--inner", type=int, default=40)
    parser.add_argument("--product", action="store_true", help="qrdeblur.restore.module_grid.solve_code")
    parser.add_argument("--register", type=int, default=0, help="ECC rounds on the known modules")
    parser.add_argument("--jitter", type=float, default=0.0, help="corner noise, modules (sd)")
    parser.add_argument("--kernel", choices=["true", "fit", "estimate"], default="true")
    parser.add_argument("--extra-sigma", type=float, default=0.0)
    parser.add_argument("--ring-lo", type=float, default=0.0, help="lower bound of the ring's free modules")
    parser.add_argument("--ring-hi", type=float, default=1.0)
    parser.add_argument("--binary", action="store_true", help="greedy binary refinement after the soft solve")
    parser.add_argument("--no-fixed", action="store_true", help="do not fix the function patterns")
    args = parser.parse_args()
    rows = list(csv.DictReader(open(args.oracle)))
    by_scene = defaultdict(list)
    for r in rows:
        by_scene[int(r["scene"])].append(r)
    captured: dict = {}
    jitter_rng = np.random.default_rng(0)
    sess = ort.InferenceSession(str(scan_model_path()), providers=["CPUExecutionProvider"])
    no_ref = np.zeros((1, 2, 8, 8), np.float32)
    real_psf = photo_mod._camera_psf

    def capture(rng, cell):
        psf, params = real_psf(rng, cell)
        captured["psf"] = psf
        return psf, params

    photo_mod._camera_psf = capture
    pool = photo_mod._payload_specs(args.count * photo_mod.MAX_CODES)
    tally: Counter = Counter()
    errs, times = [], []
    done = 0
    for index in range(args.count):
        lost = [r for r in by_scene[index] if r["oracle"] == "0" and 1 <= float(r["extent_modules"]) < 6]
        if not lost:
            continue
        # as photo_suite() builds item `index` (bit for bit), with the PSF captured
        seed, mc = photo_mod.PHOTO_SEED, photo_mod.MAX_CODES
        n_codes = int(np.random.default_rng([seed, index, 1]).choice([1, 2, 3], p=[0.5, 0.3, 0.2]))
        item = photo_mod._photo_item(index, seed, pool[mc * index : mc * index + n_codes])
        grey = to_grey(item.image).astype(np.float32) / 255
        for code, rec in zip(item.codes, by_scene[index], strict=True):
            em = float(rec["extent_modules"])
            if rec["oracle"] != "0" or not 1 <= em < 6:
                continue
            symbol = make_symbol(QRSpec(code.payload, code.version, code.ecc))
            truth = np.array(symbol.matrix, dtype=bool)
            types = np.array([list(r) for r in symbol.matrix_iter(border=0, verbose=True)])
            n = truth.shape[0]
            corners = np.asarray(code.corners, np.float64).reshape(4, 2)
            if args.jitter > 0:  # a located outline's error, in modules
                module = np.linalg.norm(corners[1] - corners[0]) / n
                corners = corners + jitter_rng.normal(0, args.jitter * module, corners.shape)
            # the PSF in the crop, and a ring wide enough for it
            rect0 = rectify(grey, corners, n * PX, 0)
            c = n * PX / 2
            crop_per_native = np.linalg.inv(_homography_jacobian(rect0.to_image, c, c))
            k = crop_psf(captured["psf"], crop_per_native)
            if args.kernel == "fit":
                k = kernel_of(*kernels.motion_gaussian_fit(captured["psf"], crop_per_native))
            elif args.kernel == "estimate":
                side = n * PX
                est_rect = rectify(grey, corners, side, int(round(side * 0.15)) + 4)
                x = stretch_contrast(np.round(est_rect.image * 255).astype(np.uint8)).astype(np.float32) / 255
                vec = sess.run(["blur"], {"estimator_features": estimator_features(x[None]), "refiner_input": no_ref})[0]
                est = decode_blur(vec[0])[:3]
                k = kernel_of(*est)
            if args.extra_sigma > 0:  # the rectification's own interpolation blur
                k = kernels.compose(k, kernels.gaussian(args.extra_sigma))
            half = k.shape[0] // 2
            ring = int(np.ceil(half / PX)) + 2
            g = n + 2 * ring
            if args.version_rank:
                t_start = time.perf_counter()
                scores = {v: -1.0 for v in range(1, 11)}
                scores.update(dict(rank_versions(grey, corners, lambda v: k, keep=args.keep)))
                dt = (time.perf_counter() - t_start) * 1000
                order = sorted(scores, key=lambda v: -scores[v])
                rank = order.index(code.version)
                tally[("rank", rank)] += 1
                print(f"{index:3d} v{code.version:2d} rank {rank} top {order[:3]} "
                      f"rho {[round(scores[v], 3) for v in order[:3]]} {dt:4.0f} ms", flush=True)
                done += 1
                if args.limit and done >= args.limit:
                    break
                continue
            if args.product:
                t_start = time.perf_counter()
                sol = solve_code(grey, corners, code.version, k, rounds=args.register or 1, iterations=(args.outer, args.inner), fast=(args.fast_outer, args.fast_inner))
                dt = (time.perf_counter() - t_start) * 1000
                times.append(dt)
                dark = sol.dark if sol is not None else np.zeros_like(truth)
                err = soft_err = float(np.mean(dark != truth))
                res = zxingcpp.read_barcodes(render_modules(dark), formats=zxingcpp.BarcodeFormat.QRCode)
                ok = any(b.valid and b.text == code.payload for b in res)
                if not ok and args.variants and args.kernel == "estimate":
                    L0, a0, s0 = est
                    for L1, a1, s1 in [(L0 * 0.85, a0, s0), (L0 * 1.15, a0, s0), (L0, a0 - 4, s0), (L0, a0 + 4, s0),
                                       (L0, a0, s0 + 0.5)][: args.variants]:
                        v_sol = solve_code(grey, corners, code.version, kernel_of(max(1.0, L1), a1, max(0.3, s1)))
                        if v_sol is not None and any(
                            b.valid and b.text == code.payload
                            for b in zxingcpp.read_barcodes(render_modules(v_sol.dark), formats=zxingcpp.BarcodeFormat.QRCode)
                        ):
                            ok = True
                            tally[("variant", f"{L1 / L0:.2f} {a1 - a0:+.0f} {s1 - s0:+.1f}")] += 1
                            break
                errs.append(err)
                key = f"{rec['blur']} {int(em)}-{int(em) + 1}"
                for kk in (key, "all"):
                    tally[(kk, "n")] += 1
                    tally[(kk, "read")] += int(ok)
                print(f"{index:3d} {rec['cell']:8s} {key:12s} v{code.version:2d}{code.ecc} err {err:6.3f} read {ok} "
                      f"{dt:5.0f} ms", flush=True)
                done += 1
                if args.limit and done >= args.limit:
                    break
                continue
            fixed = np.full((g, g), np.nan, np.float32)
            fixed[ring - 1 : ring + n + 1, ring - 1 : ring + n + 1] = 0  # the quiet zone's first module
            if args.no_fixed:
                fixed[ring : ring + n, ring : ring + n] = np.nan
            else:
                inner_fixed = np.full((n, n), np.nan, np.float32)
                for t, v in FIXED_TYPES.items():
                    inner_fixed[types == t] = v
                fixed[ring : ring + n, ring : ring + n] = inner_fixed
            weight = np.zeros((g * PX, g * PX), np.float32)
            weight[half:-half or None, half:-half or None] = 1
            model = GridModel(g, k)
            rect = rectify(grey, corners, n * PX, ring * PX)
            y = rect.image.astype(np.float32)
            y = y if y.max() <= 1.5 else y / 255
            if args.register:
                known = np.where(np.isnan(fixed), 0.5, fixed).astype(np.float32)
                mask = np.kron(~np.isnan(fixed), np.ones((PX, PX), bool)) & (weight > 0)
                for _ in range(args.register):
                    warp = register(y, model, known, mask)
                    if warp is None:
                        break
                    sym_corners = np.float64([[ring, ring], [ring + n, ring], [ring + n, ring + n], [ring, ring + n]]) * PX
                    to_image = rect.to_image @ warp
                    corners = cv2.perspectiveTransform(sym_corners.reshape(-1, 1, 2), to_image).reshape(4, 2)
                    rect = rectify(grey, corners, n * PX, ring * PX)
                    y = rect.image.astype(np.float32)
                    y = y if y.max() <= 1.5 else y / 255
            ring_mask = np.ones((g, g), bool)
            ring_mask[ring - 1 : ring + n + 1, ring - 1 : ring + n + 1] = False
            lo = np.where(ring_mask, args.ring_lo, 0.0).astype(np.float32)
            hi = np.where(ring_mask, args.ring_hi, 1.0).astype(np.float32)
            m, paper, contrast = solve_modules(y, model, fixed, weight, lo=lo, hi=hi)
            sym = m[ring : ring + n, ring : ring + n]
            soft_err = float(np.mean((sym > 0.5) != truth))
            if args.binary:
                m = binary_refine(y, model, fixed, weight, m, paper, contrast, 2 * int(np.ceil(half / PX)) + 1)
                sym = m[ring : ring + n, ring : ring + n]
            dark = sym > 0.5
            err = float(np.mean(dark != truth))
            wrong_types = Counter(int(t) for t in types[dark != truth])
            if args.verbose:
                data = (types == sc.TYPE_DATA_DARK) | (types == sc.TYPE_DATA_LIGHT)
                q = lambda v: np.percentile(v, [10, 50, 90]).round(2).tolist()  # noqa: E731
                print("   light data m:", q(sym[data & ~truth]), " dark data m:", q(sym[data & truth]))
            errs.append(err)
            res = zxingcpp.read_barcodes(clean_render(dark), formats=zxingcpp.BarcodeFormat.QRCode)
            ok = any(b.valid and b.text == code.payload for b in res)
            key = f"{rec['blur']} {int(em)}-{int(em) + 1}"
            for kk in (key, "all"):
                tally[(kk, "n")] += 1
                tally[(kk, "read")] += int(ok)
            print(f"{index:3d} {rec['cell']:8s} {key:12s} v{code.version:2d}{code.ecc} k{k.shape[0]:2d} "
                  f"module err {soft_err:6.3f} -> {err:6.3f} read {ok} {dict(wrong_types) if args.verbose else ''}", flush=True)
            done += 1
            if args.limit and done >= args.limit:
                break
        if args.limit and done >= args.limit:
            break
    for kk in sorted({k for k, _ in tally}):
        print(f"{kk:14s} read {tally[(kk, 'read')]:3d} of {tally[(kk, 'n')]:3d}")
    if errs:
        if times:
            print(f"solve ms median {np.median(times):.0f}, 90% {np.percentile(times, 90):.0f}")
        print("module error quantiles 10/25/50/75/90%:", np.quantile(errs, [0.1, 0.25, 0.5, 0.75, 0.9]).round(3))


if __name__ == "__main__":
    main()
