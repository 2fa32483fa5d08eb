"""How well the learned picture pins the blur, on shake scenes outside the bench's draw.

For each scene of a development draw (seed ``SHAKE_SEED + 7``; cells as the ``shake`` suite's), given
the true outline: does zxing-cpp read (a) the network's picture itself, (b) Wiener with the kernel
fitted to the picture, (c) that kernel after two-tone refinement at full resolution; and (d) Wiener
with the true kernel (the ceiling). ``--model truth`` replaces the network by the true sharp scene
(the best picture a network could give). Usage:

    python research/shake_latent_eval.py --model runs/shake-latent/best.pt --per-cell 12
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from qrdeblur.bench.oracle import BALANCES
from qrdeblur.bench.suites.shake import CELL_RANGES, CELLS, SHAKE_SEED
from qrdeblur.decode.zxing import read_grey
from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.restore.latent_kernel import code_region, latent_kernel_restorations
from qrdeblur.synth.reserved import shake_payload_specs
from qrdeblur.synth.shake import frame_scale, shake_scene, to_frame


def texts(x: np.ndarray) -> set[str]:
    return {r.text for r in read_grey((np.clip(x, 0, 1) * 255).round().astype(np.uint8))[0]}


class Picture:
    """The network (or the truth) as the pipeline's picture function, remembering what it drew."""

    def __init__(self, model: str):
        self.net = None
        if model != "truth":
            from qrdeblur.models.deblurrer import load_deblurrer

            self.net = load_deblurrer(model, threads=1)
        self.truth = None
        self.last = None

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        if self.net is None:
            self.last = self.truth
        else:
            self.last = self.net.deblur_float(frame[None, None].astype(np.float32))[0, 0]
        return self.last


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="a .pt or .onnx picture network, or 'truth'")
    ap.add_argument("--per-cell", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    picture = Picture(args.model)
    count = args.per_cell * len(CELLS)
    specs = shake_payload_specs(count)
    keys = ("n", "picture", "wiener", "refined", "true")
    tally = {c: dict.fromkeys(keys, 0) | {"s": 0.0} for c in CELLS}
    for i in range(count):
        cell = CELLS[i % len(CELLS)]
        item, sharp = shake_scene(np.random.default_rng([SHAKE_SEED + 7, i]), specs[i], cell, CELL_RANGES[cell])
        grey = item.image.astype(np.float32) / 255.0
        x0, y0, x1, y1 = code_region(item.corners, grey.shape)
        picture.truth = to_frame(sharp[y0:y1, x0:x1], frame_scale(item.corners))
        want = item.payloads[0]
        t = tally[cell]
        t["n"] += 1
        t0 = time.perf_counter()
        for j, (_, restored, _) in enumerate(latent_kernel_restorations(grey, item.corners, picture, args.rounds)):
            if want in texts(restored):
                t["refined"] += 1
                t["wiener"] += j < 2  # the fitted kernel, before refinement
                break
        t["s"] += time.perf_counter() - t0
        t["picture"] += want in texts(picture.last)
        region = grey[y0:y1, x0:x1].astype(np.float64)
        t["true"] += any(want in texts(wiener_oracle(region, item.psf, b)) for b in BALANCES)
    print(f"{'cell':6} {'n':>3} {'picture':>8} {'wiener':>7} {'refined':>8} {'true-psf':>9} {'s/code':>7}")
    for c in CELLS:
        t = tally[c]
        row = f"{c:6} {t['n']:3d} {t['picture']:8d} {t['wiener']:7d} {t['refined']:8d} {t['true']:9d}"
        print(f"{row} {t['s'] / max(t['n'], 1):7.2f}")


if __name__ == "__main__":
    main()
