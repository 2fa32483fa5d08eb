"""How exact must a blind kernel estimate be for Wiener? Oracle Wiener with the true kernel perturbed.

Held-out paper80 draw (``paper80(per_cell=8, seed=1)``, 120 images); prints the mean decode rate over
the 15 cells and the per-cell rates for each perturbation. Result: ``README.md`` beside this file.
"""

import numpy as np

from qrdeblur.bench.suites import paper80
from qrdeblur.decode import get_decoder
from qrdeblur.metrics.decoding import decodes_correctly
from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.synth import kernels


def main() -> None:
    decoder = get_decoder("zxing-cpp")
    items = paper80(per_cell=8, seed=1)
    perturbations = [(0, 0, 0), (1, 0, 0), (-1, 0, 0), (2, 0, 0), (0, 3, 0), (0, 6, 0), (0, 10, 0),
                     (0, 0, 0.3), (0, 0, -0.3), (0, 0, 0.6)]
    for d_len, d_angle, d_sigma in perturbations:
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
