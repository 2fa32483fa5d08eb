"""How exact must a blind kernel estimate be for Wiener? Oracle Wiener with the true kernel perturbed.

On a held-out paper80 draw (``paper80(per_cell=N, seed=1)``; the benchmark's own seed is never used
here), Wiener deconvolution with the true motion + Gaussian kernel, then with its length, angle or
sigma perturbed by fixed amounts; prints for each perturbation the mean zxing-cpp decode rate over the
15 cells and the per-cell rates. Discussion: docs/research/README.md. Run::

    python research/wiener_kernel_sensitivity.py --per-cell 8
"""

from __future__ import annotations

import argparse

import numpy as np

from qrdeblur.bench.suites.paper80 import paper80
from qrdeblur.decode import get_decoder
from qrdeblur.metrics.decoding import decodes_correctly
from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.synth import kernels

#: (length px, angle degrees, sigma px) added to the true kernel's parameters.
PERTURBATIONS = (
    (0, 0, 0), (1, 0, 0), (-1, 0, 0), (2, 0, 0), (0, 3, 0), (0, 6, 0), (0, 10, 0), (0, 0, 0.3), (0, 0, -0.3),
    (0, 0, 0.6),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-cell", type=int, default=8, help="codes per paper80 cell (held-out draw, seed 1)")
    args = parser.parse_args()
    decoder = get_decoder("zxing-cpp")
    items = paper80(per_cell=args.per_cell, seed=1)
    for d_len, d_angle, d_sigma in PERTURBATIONS:
        cells: dict[str, list[bool]] = {}
        for it in items:
            length, sigma = (int(x) for x in it.cell[3:].split("-s"))
            psf = kernels.compose(
                kernels.motion(max(0, length + d_len), it.meta["angle"] + d_angle),
                kernels.gaussian(max(0.3, sigma + d_sigma)),
            )
            out = wiener_oracle(it.blurred[..., 0].astype(np.float32) / 255, psf)
            cells.setdefault(it.cell, []).append(decodes_correctly(out, it.payloads, decoder))
        rates = [100 * np.mean(v) for v in cells.values()]
        print(f"length {d_len:+} angle {d_angle:+} sigma {d_sigma:+}: mean {np.mean(rates):.1f} |",
              " ".join(f"{r:.0f}" for r in rates), flush=True)


if __name__ == "__main__":
    main()
