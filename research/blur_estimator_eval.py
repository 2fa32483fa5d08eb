"""How good is a ``wiener-qrunet`` blur estimator? Per-cell errors and Wiener decode on a held-out draw.

On ``paper80(per_cell=8, seed=1)`` (120 images; the benchmark's own seed is never used here): the
median length / angle / sigma error of the estimate per cell, and how many codes Wiener reads with
the estimated kernel vs with the true one (zxing-cpp judges). Run with the dev install::

    python docs/research/blur_estimator_eval.py runs/wiener-qrunet-cpu/kernel.pt
"""

import sys

import numpy as np
import torch

from qrdeblur.bench.suites import paper80
from qrdeblur.metrics.decoding import decodes_correctly
from qrdeblur.models.kernelnet import KernelNet
from qrdeblur.restore.finder_kernel import kernel_of
from qrdeblur.restore.kernel_wiener import decode_blur, estimator_features
from qrdeblur.restore.wiener_batch import wiener_batch
from qrdeblur.train.config import load_config


def main(kernel_path: str, config: str = "configs/wiener-qrunet-cpu.yaml") -> None:
    args = load_config(config).generator.args.get("kernel", {})
    net = KernelNet(**args)
    net.load_state_dict(torch.load(kernel_path, map_location="cpu", weights_only=False)["model"])
    net.eval()
    items = paper80(per_cell=8, seed=1)
    grey = np.stack([it.blurred[..., 0] for it in items]).astype(np.float32) / 255
    with torch.no_grad():
        vectors = net(torch.from_numpy(estimator_features(grey))).numpy()
    estimates = [decode_blur(v) for v in vectors]
    blind = wiener_batch(grey, [kernel_of(*e) for e in estimates])
    oracle = wiener_batch(grey, [it.psf for it in items])
    cells: dict[str, dict[str, list]] = {}
    for it, est, b, o in zip(items, estimates, blind, oracle, strict=True):
        length = float(it.cell[3:].split("-")[0])
        sigma = float(it.cell.split("-s")[1])
        c = cells.setdefault(it.cell, {"dl": [], "da": [], "ds": [], "blind": [], "oracle": []})
        c["dl"].append(abs(est[0] - max(1.0, length)))
        if length >= 3:
            c["da"].append(abs((est[1] - it.meta["angle"] + 90) % 180 - 90))
        c["ds"].append(abs(est[2] - sigma))
        c["blind"].append(decodes_correctly(b, it.payloads, "zxing-cpp"))
        c["oracle"].append(decodes_correctly(o, it.payloads, "zxing-cpp"))
    print("cell       dL(px) dAngle(deg) dSigma  wiener(estimate) wiener(true kernel)")
    for cell, c in cells.items():
        da = f"{np.median(c['da']):11.1f}" if c["da"] else "          -"
        print(f"{cell:9s} {np.median(c['dl']):7.2f} {da} {np.median(c['ds']):7.2f} "
              f"{sum(c['blind']):8d}/{len(c['blind'])} {sum(c['oracle']):12d}/{len(c['oracle'])}")
    n = len(items)
    print(f"mean decode: estimate {sum(sum(c['blind']) for c in cells.values()) / n:.3f}, "
          f"true kernel {sum(sum(c['oracle']) for c in cells.values()) / n:.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
