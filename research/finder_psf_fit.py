"""Blind kernel estimate from the finder patterns, then Wiener: does it match oracle Wiener on paper80?

A QR code shows a known patch in three corners (quiet zone, 7x7 finder, 1-module separator). For a
crop framed like ``paper80`` (whole code, quiet zone 4, version 1 or 2), the sharp look of those
patches is known, so motion length, angle and Gaussian sigma can be fitted (coarse grid, then fine)
on the pixels whose whole kernel support is known. The fit now lives in the package
(:mod:`qrdeblur.restore.finder_kernel`); this script compares it with oracle Wiener on a held-out
draw. Result and discussion: ``README.md`` beside this file.

Run: ``python docs/research/finder_psf_fit.py`` (dev install; well under a minute on 2 cores).
"""

import time

from qrdeblur.bench.suites import paper80
from qrdeblur.decode import get_decoder
from qrdeblur.metrics.decoding import decodes_correctly
from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.restore.finder_kernel import FinderKernelFit


def main() -> None:
    decoder = get_decoder("zxing-cpp")
    fit = FinderKernelFit()
    items = [it for it in paper80(per_cell=4, seed=1) if it.cell.endswith(("s1", "s2"))]
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
