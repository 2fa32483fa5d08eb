"""How good is a ``wiener-qrunet`` blur estimator? Per-cell errors and Wiener decode on a held-out draw.

On ``paper80(per_cell=N, seed=1)`` (the benchmark's own seed is never used here): the median length,
angle and sigma error of the estimate per cell, and how many codes Wiener deconvolution reads with the
estimated kernel vs with the true one (zxing-cpp judges). ``KERNEL`` is a trained estimator's state
dict (the ``kernel.pt`` a ``wiener-qrunet`` training run writes after its estimator phase); the
estimator's shape comes from the training config. Needs torch (the ``train`` extra). Run::

    python research/blur_estimator_eval.py runs/wiener-qrunet/kernel.pt
    python research/blur_estimator_eval.py runs/x/kernel.pt --config configs/shipped/wiener-qrunet.yaml --per-cell 8
"""

from __future__ import annotations

import argparse

import numpy as np

from qrdeblur.bench.suites.paper80 import paper80
from qrdeblur.metrics.decoding import decodes_correctly
from qrdeblur.restore.finder_kernel import kernel_of
from qrdeblur.restore.kernel_wiener import decode_blur, estimator_features
from qrdeblur.restore.wiener_batch import wiener_batch

DEFAULT_CONFIG = "configs/shipped/wiener-qrunet.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kernel", help="the estimator's state dict (kernel.pt of a wiener-qrunet run)")
    parser.add_argument("--config", default=DEFAULT_CONFIG, help="training config giving the estimator's shape")
    parser.add_argument("--per-cell", type=int, default=8, help="codes per paper80 cell (held-out draw, seed 1)")
    args = parser.parse_args()

    import torch

    from qrdeblur.models.kernelnet import KernelNet
    from qrdeblur.train.config import load_config

    net = KernelNet(**load_config(args.config).generator.args.get("kernel", {}))
    net.load_state_dict(torch.load(args.kernel, map_location="cpu", weights_only=False)["model"])
    net.eval()
    items = paper80(per_cell=args.per_cell, seed=1)
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
    main()
