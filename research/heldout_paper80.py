"""Compare checkpoints on a held-out paper80 draw, so choices are never made on the benchmark's images.

``paper80(per_cell=N, seed=1)`` draws new codes and blur angles (the benchmark uses its own seed).
For each checkpoint (``.pt``, a training run's): zxing-cpp decode % per cell and the mean over the 15 cells.
``PATH+EST`` swaps in the estimator of another state dict (e.g. a continued one); ``--true-kernel``
also runs a ``wiener-qrunet``'s refiner on Wiener with the **true** kernel, to split the estimate's
losses from the refiner's. Needs torch (the ``train`` extra). Run::

    python research/heldout_paper80.py runs/wq-a/best.pt runs/wq-b/best.pt --per-cell 24
    python research/heldout_paper80.py runs/wq-a/best.pt --true-kernel --per-cell 16
"""

from __future__ import annotations

import argparse

import numpy as np

from qrdeblur.bench.suites.paper80 import paper80
from qrdeblur.metrics.decoding import decodes_correctly
from qrdeblur.restore.wiener_batch import wiener_batch


def decode_table(restored: np.ndarray, items) -> dict[str, float]:
    """Decode % per cell for restorations in [0, 1] (N, H, W)."""
    cells: dict[str, list[int]] = {}
    for item, image in zip(items, restored, strict=True):
        c = cells.setdefault(item.cell, [0, 0])
        c[0] += decodes_correctly((image * 255).round().astype(np.uint8), item.payloads, "zxing-cpp")
        c[1] += 1
    return {cell: 100 * ok / n for cell, (ok, n) in cells.items()}


def report(name: str, table: dict[str, float]) -> None:
    cells = " ".join(f"{k}:{v:.0f}" for k, v in table.items() if "s3" not in k)
    print(f"{name:50s} mean {np.mean(list(table.values())):5.1f} | {cells} (sigma 3 cells omitted)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+", help="PATH or PATH+ESTIMATOR_STATE")
    parser.add_argument("--per-cell", type=int, default=24, help="codes per paper80 cell (held-out draw, seed 1)")
    parser.add_argument("--true-kernel", action="store_true", help="also the refiner on true-kernel Wiener")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args()

    import torch

    from qrdeblur.models.checkpoint import load_generator

    torch.set_num_threads(args.threads)
    items = paper80(per_cell=args.per_cell, seed=1)
    grey = np.stack([it.blurred[..., 0] for it in items]).astype(np.float32) / 255
    x = torch.from_numpy(grey)[:, None]
    for spec in args.checkpoints:
        path, _, estimator = spec.partition("+")
        g = load_generator(path).eval()
        if estimator:
            g.estimator.load_state_dict(torch.load(estimator, map_location="cpu", weights_only=False)["model"])
        with torch.no_grad():
            out = torch.cat([torch.sigmoid(g(x[i : i + 64])) for i in range(0, len(x), 64)]).numpy()[:, 0]
        report(spec, decode_table(out, items))
        if args.true_kernel:
            refiner_in = np.stack([wiener_batch(grey, [it.psf for it in items]), grey], axis=1)
            with torch.no_grad():
                out = torch.sigmoid(g.refiner(torch.from_numpy(refiner_in))).numpy()[:, 0]
            report(spec + " (true kernel)", decode_table(out, items))


if __name__ == "__main__":
    main()
