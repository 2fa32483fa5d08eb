"""How well the learned latent picture pins the blur, on shake scenes outside the bench's seed.

For each scene of a development draw (seed ``SHAKE_SEED + 7``, cells as the ``shake`` suite), given
the true outline: does zxing-cpp read (a) the network's picture itself, (b) Wiener with the kernel
fitted to the picture, (c) that kernel after two-tone refinement at full resolution; and (d) Wiener
with the true kernel (the ceiling). Usage:

    python research/shake_latent_eval.py --model runs/shake-latent/last.pt --per-cell 12
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from qrdeblur.bench.oracle import _wiener_reads
from qrdeblur.bench.suites.shake import CELLS, SHAKE_SEED, shake_item
from qrdeblur.decode.zxing import read_grey
from qrdeblur.imageio import to_grey
from qrdeblur.models.deblurrer import load_deblurrer
from qrdeblur.restore.latent_kernel import latent_kernel_restorations
from qrdeblur.synth.reserved import shake_payload_specs


def u8(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, 0, 1) * 255).round().astype(np.uint8)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--per-cell", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cells", default=",".join(CELLS))
    args = ap.parse_args()
    net = load_deblurrer(args.model, threads=1)
    cells = args.cells.split(",")

    def picture(frame):
        return net.deblur_float(frame[None, None].astype(np.float32))[0, 0]

    count = args.per_cell * len(CELLS)
    specs = shake_payload_specs(count)
    tally = {c: {"n": 0, "picture": 0, "wiener": 0, "refined": 0, "true": 0, "s": 0.0} for c in cells}
    for i in range(count):
        cell = CELLS[i % len(CELLS)]
        if cell not in cells:
            continue
        it = shake_item(i, SHAKE_SEED + 7, specs[i])
        grey = to_grey(it.image).astype(np.float32) / 255.0
        want = it.payloads[0]
        t = tally[cell]
        t["n"] += 1
        t0 = time.perf_counter()
        seen_picture = [False]

        def pic(frame):
            out = picture(frame)
            seen_picture[0] = want in {r.text for r in read_grey(u8(out))[0]}
            return out

        got_w = got_r = False
        for j, (_, restored, _) in enumerate(latent_kernel_restorations(grey, it.corners, pic, args.rounds)):
            ok = want in {r.text for r in read_grey(u8(restored))[0]}
            if ok:
                got_r = True
                got_w = j < 2  # the fitted kernel before refinement
                break
        t["s"] += time.perf_counter() - t0
        t["picture"] += seen_picture[0]
        t["wiener"] += got_w
        t["refined"] += got_r
        t["true"] += want in _wiener_reads(to_grey(it.image), it.corners, it.psf)
    print(f"{'cell':6} {'n':>3} {'picture':>8} {'wiener':>7} {'refined':>8} {'true-psf':>9} {'s/code':>7}")
    for c in cells:
        t = tally[c]
        print(f"{c:6} {t['n']:3d} {t['picture']:8d} {t['wiener']:7d} {t['refined']:8d} {t['true']:9d} {t['s'] / max(t['n'], 1):7.2f}")


if __name__ == "__main__":
    main()
