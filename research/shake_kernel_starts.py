"""Blind kernel estimation on the module grid, separated from finding the code: how many ``shake`` codes
the alternation of module solves and non-parametric kernel fits reads from a given start, given each
code's TRUE outline and version.

For every item of the ``shake`` suite (a prefix of ``--per-cell`` items per cell): the grid solver under
the true PSF mapped to the grid's frame (the oracle's grid half), then from each start kernel (a blob,
and straight lines at ``--angles`` angles x ``--lengths`` lengths, all on a common square support of
``--support`` grid px), ``--refits`` alternations of :func:`qrdeblur.restore.module_grid.solve_codes`
(kernel fitted with full support), each solution decoded. Prints a table per cell: the true kernel's
reads, the blob's, any start's, and the median time per code over all starts; then each start's reads.

Run: python research/shake_kernel_starts.py [--per-cell 8] [--angles 6] [--lengths 2] [--refits 4]
"""

import argparse
import time
from collections import defaultdict

import numpy as np

from qrdeblur.bench.oracle import grid_frame
from qrdeblur.bench.suites.shake import CELLS, shake_suite
from qrdeblur.decode.zxing import read_grey
from qrdeblur.imageio import to_grey
from qrdeblur.restore.module_grid import render_modules, solve_codes
from qrdeblur.synth import kernels


def starts(side: int, angles: int, lengths: int) -> list[tuple[str, np.ndarray]]:
    """The start kernels: a Gaussian blob of a third of the support, and lines."""
    out = [("blob", kernels.centred(kernels.gaussian(side / 6.0), side))]
    for a in np.arange(angles) * 180.0 / angles:
        for f in np.linspace(1, lengths, lengths) / (lengths + 1):
            length = max(2.0, f * (side - 1))
            out.append((f"line{a:.0f}x{length:.0f}", kernels.centred(kernels.compose(kernels.motion(length, a),
                                                                            kernels.gaussian(0.6)), side)))
    return out


def reads(grey: np.ndarray, quad, version: int, kernel: np.ndarray, refits: int, payload: str) -> bool:
    for sol in solve_codes(grey, quad, version, kernel, refits):
        if payload in {r.text for r in read_grey(render_modules(sol.dark))[0]}:
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-cell", type=int, default=8)
    parser.add_argument("--angles", type=int, default=6)
    parser.add_argument("--lengths", type=int, default=2)
    parser.add_argument("--refits", type=int, default=4)
    parser.add_argument("--support", type=int, default=41, help="start kernels' side, grid px (3 per module)")
    args = parser.parse_args()
    kernel_starts = starts(args.support, args.angles, args.lengths)
    rows: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    times: list[float] = []
    for item in shake_suite(args.per_cell):
        grey = to_grey(item.image).astype(np.float32) / 255.0
        quad, payload, row = item.corners, item.payloads[0], rows[item.cell]
        row["n"] += 1
        row["true"] += reads(grey, quad, item.version, kernels.warp_kernel(item.psf, grid_frame(quad, item.version)),
                             0, payload)
        t = time.perf_counter()
        got = {name: reads(grey, quad, item.version, k, args.refits, payload) for name, k in kernel_starts}
        times.append(time.perf_counter() - t)
        row["blob"] += got["blob"]
        row["any"] += any(got.values())
        for name, ok in got.items():
            rows["per-start"][name] += ok
        print(item.cell, item.meta["kind"], f"v{item.version}", f"{item.module_px:.1f}px", "true/any:",
              row["true"], row["any"], f"{times[-1]:.1f}s", flush=True)
    print(f"\ncell    codes  true-kernel  blob  any-start   ({len(kernel_starts)} starts, {args.refits} refits; "
          f"median {np.median(times):.1f} s per code)")
    for cell in CELLS:
        r = rows[cell]
        print(f"{cell:6s} {r['n']:6d} {r['true']:11d} {r['blob']:5d} {r['any']:10d}")
    print("reads per start:", dict(sorted(rows["per-start"].items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
