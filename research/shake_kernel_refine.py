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
from qrdeblur.restore.blind_kernel import BALANCE, RIDGE, line_starts, refinements
from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.synth import kernels


def _reads(restored: np.ndarray, payload: str) -> bool:
    return payload in {r.text for r in read_grey((np.clip(restored, 0, 1) * 255).round().astype(np.uint8))[0]}


def _rescale(k: np.ndarray, f: float) -> np.ndarray:
    side = max(3, int(round(max(k.shape) * f)) | 1)
    interpolation = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
    out = np.clip(cv2.resize(kernels.centred(k, max(k.shape)), (side, side), interpolation=interpolation), 0, None)
    return out / out.sum()


def _rounds(observed, start, rounds: int, grow: int, payload: str | None, balance: float, ridge: float):
    """The last refined kernel, and whether a round's restoration read ``payload`` (None: do not decode)."""
    k = start
    for i, (k, restored) in enumerate(refinements(observed, start, rounds, grow, balance, ridge)):
        if i and payload is not None and _reads(restored, payload):
            return k, True
    return k, False


def refine(
    observed: np.ndarray, start: np.ndarray, args: argparse.Namespace, payload: str
) -> tuple[bool, bool]:
    """(the start reads, some round reads). ``args.pyramid``: first refine on the image halved this many
    times (coarse to fine), each level's kernel, doubled, the next one's start."""
    if _reads(wiener_oracle(observed, start, args.balance), payload):
        return True, True
    k = start
    for level in range(args.pyramid, 0, -1):
        f = 0.5**level
        small = cv2.resize(observed, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        k = _rescale(k, f if level == args.pyramid else 0.5)
        k, _ = _rounds(small, k, args.rounds, max(1, int(args.grow * f)), None, args.balance, args.ridge)
    if args.pyramid:
        k = _rescale(k, 2.0)
    return False, _rounds(observed, k, args.rounds, args.grow, payload, args.balance, args.ridge)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-cell", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--grow", type=int, default=4, help="px of support beyond the start's")
    parser.add_argument("--starts", default="true,line,blob")
    parser.add_argument("--angles", type=int, default=12)
    parser.add_argument("--lengths", default="6,12,24,40")
    parser.add_argument("--pyramid", type=int, default=0, help="coarse-to-fine levels (halvings) before the full scale")
    parser.add_argument("--cells", default=",".join(CELLS), help="cells to run")
    parser.add_argument("--balance", type=float, default=BALANCE, help="Wiener's balance in the rounds")
    parser.add_argument("--ridge", type=float, default=RIDGE, help="the kernel fit's ridge")
    args = parser.parse_args()
    names = [s.strip() for s in args.starts.split(",") if s.strip()]
    rows: dict[str, Counter] = defaultdict(Counter)
    lines = line_starts(tuple(float(v) for v in args.lengths.split(",")), args.angles)
    seconds = []
    cells = set(args.cells.split(","))
    for item in (it for it in shake_suite(args.per_cell) if it.cell in cells):
        observed = item.image.astype(np.float64) / 255.0
        extent = kernels.path_extent(item.path)
        starts = {
            "true": item.psf,
            "line": kernels.straight_fit(item.path),
            "blob": kernels.centred(kernels.gaussian(max(0.5, extent / 4)), int(2 * np.ceil(extent / 2) + 1)),
        }
        row = rows[item.cell]
        row["n"] += 1
        if "search" in names:
            t = time.perf_counter()
            got = [refine(observed, k, args, item.payloads[0]) for k in lines]
            seconds.append(time.perf_counter() - t)
            row["search"] += any(b for b, _ in got)
            row["search+refine"] += any(a for _, a in got)
        for name in names:
            if name == "search":
                continue
            before, after = refine(observed, starts[name], args, item.payloads[0])
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
