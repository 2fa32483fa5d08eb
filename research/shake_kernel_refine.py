"""Refining a blur kernel in the pixel domain with the two-tone prior of a code: how close must the start be?

For each ``shake`` item (first ``--per-cell`` of each cell), from a start kernel, alternate
``--rounds`` times: restore with Wiener, binarise the restoration (dark and light levels from its
percentiles, threshold half way; the code's two-tone prior), then fit the kernel that best blurs the
binarised latent into the observation (Fourier least squares with a small ridge, cut to a square
support of the start's size plus ``--grow`` px, clipped non-negative, normalised); after each round
Wiener with the new kernel is decoded (zxing-cpp; its error correction is the acceptance test).

Starts: ``true`` (the true PSF: a sanity check), ``line`` (the best straight line + Gaussian along the
true path: a parametric estimate's best case), ``blob`` (a Gaussian as wide as the true extent: knowing
only the size), ``search`` (blind: straight lines at ``--angles`` angles x the lengths ``--lengths`` px,
each refined in turn until one reads). Prints reads per cell for each start, before refining and after,
and the median seconds per code of the search.

Run: python research/shake_kernel_refine.py [--per-cell 10] [--rounds 6] [--starts line,blob]
"""

import argparse
import time
from collections import Counter, defaultdict

import cv2
import numpy as np

from qrdeblur.bench.suites.shake import CELLS, shake_suite
from qrdeblur.decode.zxing import read_grey
from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.synth import kernels

BALANCE = 0.01
RIDGE = 1e-2


def _reads(restored: np.ndarray, payload: str) -> bool:
    return payload in {r.text for r in read_grey((np.clip(restored, 0, 1) * 255).round().astype(np.uint8))[0]}


def _square(k: np.ndarray, side: int) -> np.ndarray:
    out = np.zeros((side, side))
    h, w = k.shape
    sy, sx = max(0, (h - side) // 2), max(0, (w - side) // 2)
    k = k[sy : sy + side, sx : sx + side]
    h, w = k.shape
    out[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = k
    return out / out.sum()


def binarise(x: np.ndarray) -> np.ndarray:
    lo, hi = np.percentile(x, (5, 95))
    return np.where(x > (lo + hi) / 2, hi, lo).astype(np.float64)


def fit_kernel(latent: np.ndarray, observed: np.ndarray, side: int, ridge: float = 1e-2) -> np.ndarray:
    """The non-negative ``side`` x ``side`` kernel that best blurs ``latent`` into ``observed`` (both
    with their means removed), by Fourier least squares with a ridge, cut to the support."""
    a = latent - latent.mean()
    b = observed - observed.mean()
    fa, fb = np.fft.rfft2(a), np.fft.rfft2(b)
    k = np.fft.irfft2(np.conj(fa) * fb / (np.abs(fa) ** 2 + ridge * np.mean(np.abs(fa) ** 2)), s=a.shape)
    k = np.fft.fftshift(k)
    cy, cx = a.shape[0] // 2, a.shape[1] // 2
    h = side // 2
    k = np.clip(k[cy - h : cy + h + 1, cx - h : cx + h + 1], 0, None)
    return k / k.sum() if k.sum() > 0 else kernels.identity()


def _rescale(k: np.ndarray, f: float) -> np.ndarray:
    side = max(3, int(round(max(k.shape) * f)) | 1)
    out = np.clip(cv2.resize(_square(k, max(k.shape) | 1), (side, side), interpolation=cv2.INTER_AREA
                             if f < 1 else cv2.INTER_LINEAR), 0, None)
    return out / out.sum()


def _rounds(observed: np.ndarray, k: np.ndarray, side: int, rounds: int, payload: str | None):
    for _ in range(rounds):
        latent = binarise(wiener_oracle(observed, k, BALANCE))
        k = fit_kernel(latent, observed, side, RIDGE)
        if payload is not None and _reads(wiener_oracle(observed, k, BALANCE), payload):
            return k, True
    return k, False


def refine(
    observed: np.ndarray, start: np.ndarray, rounds: int, grow: int, payload: str, pyramid: int = 0
) -> tuple[bool, bool]:
    """(the start reads, some round reads). ``pyramid``: first refine on the image halved this many
    times (coarse to fine), each level's kernel, doubled, the next one's start."""
    first = _reads(wiener_oracle(observed, start, BALANCE), payload)
    if first:
        return True, True
    k = start
    for level in range(pyramid, 0, -1):
        f = 0.5**level
        small = cv2.resize(observed, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        ks = _rescale(start if level == pyramid else k, f if level == pyramid else 0.5)
        side = max(ks.shape) + 2 * max(1, int(grow * f))
        ks, _ = _rounds(small, ks, side + 1 - side % 2, rounds, None)
        k = ks
    if pyramid:
        k = _rescale(k, 2.0)
    side = max(max(k.shape), max(start.shape)) + 2 * grow
    _, ok = _rounds(observed, k, side + 1 - side % 2, rounds, payload)
    return False, ok


def best_line(path: np.ndarray) -> np.ndarray:
    p = path - path.mean(axis=0)
    _, _, vt = np.linalg.svd(p, full_matrices=False)
    angle = np.degrees(np.arctan2(vt[0, 1], vt[0, 0])) % 180
    along, across = p @ vt[0], p @ vt[1]
    return kernels.compose(kernels.motion(max(1.0, float(np.ptp(along))), -angle),
                           kernels.gaussian(max(0.3, float(across.std()))))


def main() -> None:
    global BALANCE, RIDGE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-cell", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--grow", type=int, default=4, help="px of support beyond the start's")
    parser.add_argument("--starts", default="true,line,blob")
    parser.add_argument("--angles", type=int, default=12)
    parser.add_argument("--lengths", default="6,12,24,40")
    parser.add_argument("--pyramid", type=int, default=0, help="coarse-to-fine levels (halvings) before the full scale")
    parser.add_argument("--cells", default=",".join(CELLS), help="cells to run")
    parser.add_argument("--balance", type=float, default=0.01, help="Wiener's balance in the rounds")
    parser.add_argument("--ridge", type=float, default=1e-2, help="the kernel fit's ridge")
    args = parser.parse_args()
    BALANCE, RIDGE = args.balance, args.ridge
    names = [s.strip() for s in args.starts.split(",") if s.strip()]
    rows: dict[str, Counter] = defaultdict(Counter)
    lines = [
        kernels.compose(kernels.motion(float(n), a), kernels.gaussian(0.5))
        for n in (float(v) for v in args.lengths.split(","))
        for a in np.arange(args.angles) * 180.0 / args.angles
    ]
    seconds = []
    cells = set(args.cells.split(","))
    for item in (it for it in shake_suite(args.per_cell) if it.cell in cells):
        observed = item.image.astype(np.float64) / 255.0
        extent = kernels.path_extent(item.path)
        starts = {
            "true": item.psf,
            "line": best_line(item.path),
            "blob": _square(kernels.gaussian(max(0.5, extent / 4)), int(2 * np.ceil(extent / 2) + 1)),
        }
        row = rows[item.cell]
        row["n"] += 1
        if "search" in names:
            t = time.perf_counter()
            got = [refine(observed, k, args.rounds, args.grow, item.payloads[0], args.pyramid) for k in lines]
            seconds.append(time.perf_counter() - t)
            row["search"] += any(b for b, _ in got)
            row["search+refine"] += any(a for _, a in got)
        for name in names:
            if name == "search":
                continue
            before, after = refine(observed, starts[name], args.rounds, args.grow, item.payloads[0], args.pyramid)
            row[f"{name}"] += before
            row[f"{name}+refine"] += after
    columns = ["n"] + [c for name in names for c in (name, f"{name}+refine")]
    print("cell   " + "  ".join(f"{c:>12s}" for c in columns))
    for cell in (c for c in CELLS if c in cells):
        print(f"{cell:6s} " + "  ".join(f"{rows[cell][c]:12d}" for c in columns))
    if seconds:
        print(f"search: {len(lines)} starts, median {np.median(seconds):.1f} s per code (all starts run)")


if __name__ == "__main__":
    main()
