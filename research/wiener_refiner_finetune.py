"""Does a generator trained on Wiener outputs beat one trained on blurred codes, after a blind kernel fit?

The ``finder-model`` bench method deblurs with Wiener under the kernel fitted to the finder patterns,
then a plain generator (``qrunet``) that never saw a Wiener output in training. This fine-tunes such a
generator (a ``.pt`` checkpoint) on such inputs: whole codes of the ``clean`` preset (versions 1-3,
quiet zone 2-4, motion 0-22 px at any angle, Gaussian 0.5-3.2, noise up to 0.02), deconvolved by
Wiener with the true kernel perturbed as much as the finder fit errs (length +-0.3 px, angle +-0.7
degrees, sigma +-0.08, standard deviations). Loss: L1 + binary + edge with the shipped config's weights
(no adversarial or detail term: a quick probe); Adam with cosine decay, one thread, fixed seed;
benchmark payloads are never drawn. Needs torch (the ``train`` extra). Writes ``OUT/refiner.pt`` and
``OUT/config.json``; then bench it as the refiner of ``finder-model``. Run (~40 min on one core)::

    python research/wiener_refiner_finetune.py runs/qrunet/best.pt runs/wiener-refiner --steps 3000
    qrdeblur export --model runs/wiener-refiner/refiner.pt --onnx runs/wiener-refiner/refiner.onnx
    qrdeblur bench --suite paper80 --methods finder-model,finder-model:runs/wiener-refiner/refiner.onnx
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.restore.finder_kernel import kernel_of
from qrdeblur.synth.presets import clean_pair

SEED = 0
BATCH = 32
LR = 3e-4


def wiener_pair(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(Wiener output with a slightly wrong kernel, sharp target) for one clean whole code."""
    pair = clean_pair(rng, 80)
    m = pair.meta
    psf = kernel_of(
        max(0.0, m["motion_length"] + rng.normal(0, 0.3)),
        (m["motion_angle"] + rng.normal(0, 0.7)) % 180,
        max(0.3, m["gaussian_sigma"] + rng.normal(0, 0.08)),
    )
    return wiener_oracle(pair.blurred, psf), pair.sharp


def fine_tune(generator, opt, next_batch, steps: int, lr: float) -> None:
    """``steps`` Adam steps of L1 + binary + edge (the shipped weights) with cosine decay to 2% of ``lr``."""
    import torch

    from qrdeblur.losses.pixel import L1Loss
    from qrdeblur.losses.qr import BinaryLoss, EdgeLoss

    l1, binary, edge = L1Loss(1.0), BinaryLoss(1.0), EdgeLoss(0.1)
    t0 = time.time()
    for step in range(1, steps + 1):
        x, y = next_batch()
        for group in opt.param_groups:  # cosine decay to 2% of LR
            group["lr"] = lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * step / steps)))
        logits = generator(x)
        fake = torch.sigmoid(logits)
        loss = l1(fake, y) + binary(logits, y) + edge(fake, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0:
            print(f"step {step} loss {loss.item():.4f} {time.time() - t0:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("start", help="the generator's training checkpoint (.pt) to start from")
    parser.add_argument("out", help="output folder")
    parser.add_argument("--steps", type=int, default=3000, help="Adam steps")
    args = parser.parse_args()

    import torch

    from qrdeblur.models.checkpoint import load_generator

    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    rng = np.random.default_rng(SEED)
    ck = torch.load(args.start, map_location="cpu", weights_only=False)
    generator = load_generator(args.start).train()
    opt = torch.optim.Adam(generator.parameters(), lr=LR)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    config = {"start": args.start, "steps": args.steps, "seed": SEED, "batch": BATCH, "lr": LR}
    (out_dir / "config.json").write_text(json.dumps(config, indent=1))

    def next_batch():
        pairs = [wiener_pair(rng) for _ in range(BATCH)]
        x = torch.from_numpy(np.stack([p[0] for p in pairs])[:, None])
        return x, torch.from_numpy(np.stack([p[1] for p in pairs])[:, None])

    fine_tune(generator, opt, next_batch, args.steps, LR)
    torch.save({"model": generator.state_dict(), "model_name": ck["model_name"],
                "model_args": ck.get("model_args", {})}, out_dir / "refiner.pt")


if __name__ == "__main__":
    main()
