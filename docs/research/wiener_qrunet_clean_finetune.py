"""Probe: does a last phase on whole codes only lift the shipped wiener-qrunet's refiner on paper80?

The shipped refiner trained on the ``default`` preset (45% whole clean codes). Session 3's refiner
probe, trained on whole clean codes only, reached 46.8% on paper80 from finder-fit Wiener inputs.
This fine-tunes the shipped run's ``best.pt`` (estimator frozen, as in training) on the ``clean``
preset: L1 + binary + edge (no adversarial or detail term: a quick probe), Adam 3e-4 with cosine
decay, batch 32, fixed seed, benchmark payloads never drawn. Run with the dev install, then bench::

    python docs/research/wiener_qrunet_clean_finetune.py runs/wiener-qrunet-cpu/best.pt runs/wq-clean 1500
    qrdeblur bench --suite paper80 --methods model,model:runs/wq-clean/clean.pt
"""

import sys
from pathlib import Path

import numpy as np
import torch
from wiener_refiner_finetune import fine_tune  # the same loop (this folder is on sys.path when run)

from qrdeblur.models.checkpoint import load_generator
from qrdeblur.synth.presets import PairStream

SEED, BATCH, LR = 0, 32, 3e-4


def main(start: str, out: str, steps: int, threads: int = 2) -> None:
    torch.manual_seed(SEED)
    torch.set_num_threads(threads)
    ck = torch.load(start, map_location="cpu", weights_only=False)
    g = load_generator(start)
    g.freeze_estimator()
    g.train()
    stream = PairStream("clean", SEED + 7, 80)
    opt = torch.optim.Adam([p for p in g.parameters() if p.requires_grad], lr=LR)

    def next_batch() -> tuple[torch.Tensor, torch.Tensor]:
        pairs = [next(stream) for _ in range(BATCH)]
        x = torch.from_numpy(np.stack([p.blurred for p in pairs])[:, None])
        return x, torch.from_numpy(np.stack([p.sharp for p in pairs])[:, None])

    fine_tune(g, opt, next_batch, steps, LR)
    Path(out).mkdir(parents=True, exist_ok=True)
    torch.save({"model": g.state_dict(), "model_name": ck["model_name"], "model_args": ck.get("model_args", {})},
               Path(out) / "clean.pt")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
