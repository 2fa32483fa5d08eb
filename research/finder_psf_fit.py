"""Blind kernel estimate from the finder patterns, then Wiener: does it match oracle Wiener on paper80?

A QR code shows a known patch in three corners (quiet zone, 7x7 finder, 1-module separator). For a
crop framed like ``paper80`` (whole code, quiet zone 4, version 1 or 2), the sharp look of those
patches is known, so motion length, angle and Gaussian sigma can be fitted (coarse grid, then fine)
on the pixels whose whole kernel support is known: :class:`qrdeblur.restore.finder_kernel.FinderKernelFit`
(the ``finder-wiener`` bench method). On a held-out draw (``paper80(per_cell=N, seed=1)``, the sigma 1
and 2 cells), prints each fitted kernel beside the true angle and whether Wiener reads the code with
the fitted kernel and with the true one (zxing-cpp judges), then the counts per cell. Discussion:
docs/research/README.md. Run (well under a minute on 2 cores)::

    python research/finder_psf_fit.py --per-cell 4
"""

from __future__ import annotations

import argparse
import time

from qrdeblur.bench.suites.paper80 import paper80
from qrdeblur.decode import get_decoder
from qrdeblur.metrics.decoding import decodes_correctly
from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.restore.finder_kernel import FinderKernelFit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-cell", type=int, default=4, help="codes per paper80 cell (held-out draw, seed 1)")
    args = parser.parse_args()
    decoder = get_decoder("zxing-cpp")
    fit = FinderKernelFit()
    items = [it for it in paper80(per_cell=args.per_cell, seed=1) if it.cell.endswith(("s1", "s2"))]
    start, cells = time.time(), {}
    for it in items:
        blurred = it.blurred[..., 0].astype("float32") / 255
        est = fit.estimate(blurred)
        blind = decodes_correctly(wiener_oracle(blurred, est.psf()), it.payloads, decoder)
        oracle = decodes_correctly(wiener_oracle(blurred, it.psf), it.payloads, decoder)
        cells.setdefault(it.cell, []).append((blind, oracle))
        print(f"{it.cell}: fitted L{est.length:.1f} angle {est.angle:.0f} sigma {est.sigma:.2f} (true angle "
              f"{it.meta['angle']:.0f}); blind Wiener {blind}, oracle Wiener {oracle}", flush=True)
    for cell, v in cells.items():
        print(f"{cell}: blind {sum(b for b, _ in v)}, oracle {sum(o for _, o in v)} of {len(v)}")
    print(f"{time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
