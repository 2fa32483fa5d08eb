"""Train the outline locator (:mod:`qrdeblur.scan.outline`) on synthetic texture boxes.

    python -m qrdeblur.train.outline --out runs/outline [--pairs 30000] [--minutes 45] [--seed 7]

1. Draws ``pairs`` training and ``val_pairs`` validation pairs (:func:`qrdeblur.synth.outline.outline_pair`),
   each from its own seed (``SeedSequence(seed).spawn``), so the set does not depend on the number
   of processes drawing it; stored as uint8.
2. Trains a :class:`~qrdeblur.models.unet.QRUNet` with two logit maps (the symbol, the finder
   patterns): binary cross-entropy on both (finders weighted ``finder_weight``) plus a soft Dice on
   the symbol, Adam, cosine learning rate, random quarter turns and flips of whole pairs.
3. Stops after ``epochs`` or ``minutes``; every epoch, reports the validation loss and the outline
   error: for pairs with a code, the largest corner distance between :func:`~qrdeblur.scan.outline.fit_outline`'s
   outline and the code's, in modules (the ``grid`` step registers from within a module or so).
4. Saves ``config.json`` (resolved), ``environment.jsonl``, ``log.jsonl``, ``outline.pt`` (the best
   validation outline error; a checkpoint of the project's format, ``qrunet`` with two outputs) and
   ``outline.onnx`` (:func:`qrdeblur.export.onnx.export_onnx`: the probabilities, checked against torch).
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np


@dataclass
class OutlineTrainConfig:
    """Everything a locator run depends on (saved as ``config.json``)."""

    seed: int = 7
    pairs: int = 30_000
    val_pairs: int = 1_000
    workers: int = 2
    width: int = 16
    levels: int = 3
    unshuffle: int = 2
    global_context: bool = True
    batch: int = 32
    lr: float = 2e-3
    epochs: int = 12
    minutes: float = 45.0
    finder_weight: float = 0.5
    threads: int = 2


def _draw(seeds: list[np.random.SeedSequence]) -> tuple[np.ndarray, ...]:
    """Pairs drawn from the given seeds: crops (N, S, S) uint8, targets (N, 2, S, S) uint8, corners
    (N, 4, 2) float32 (NaN without a code), the codes' module counts (N,)."""
    from qrdeblur.synth.outline import outline_pair

    crops, targets, corners, modules = [], [], [], []
    for s in seeds:
        p = outline_pair(np.random.default_rng(s))
        crops.append(np.round(p.crop * 255).astype(np.uint8))
        targets.append(np.round(p.target * 255).astype(np.uint8))
        corners.append(np.full((4, 2), np.nan, np.float32) if p.corners is None else p.corners.astype(np.float32))
        modules.append(17 + 4 * p.meta["version"])
    return np.stack(crops), np.stack(targets), np.stack(corners), np.array(modules)


def draw_pairs(seed: np.random.SeedSequence, count: int, workers: int) -> tuple[np.ndarray, ...]:
    """``count`` pairs from ``seed``'s children, drawn by ``workers`` processes (same set for any number)."""
    children = seed.spawn(count)
    chunks = [children[i : i + 250] for i in range(0, count, 250)]
    if workers <= 1:
        parts = [_draw(c) for c in chunks]
    else:
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(_draw, chunks))
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(4))


def outline_errors(prob: np.ndarray, corners: np.ndarray, n_modules: np.ndarray) -> np.ndarray:
    """Per pair with a code, the largest corner error (modules) of the fitted outline, turned to fit
    best (inf when none is fitted)."""
    from qrdeblur.scan.outline import fit_outline
    from qrdeblur.scan.rectify import quad_side

    errors = []
    for p, c, n in zip(prob, corners, n_modules, strict=True):
        if np.isnan(c).any():
            continue
        found = fit_outline(p[0], p[1])
        if found is None:
            errors.append(np.inf)
            continue
        module = quad_side(c) / n
        errors.append(min(np.linalg.norm(np.roll(found.quad, k, axis=0) - c, axis=1).max() for k in range(4)) / module)
    return np.array(errors)


def train(cfg: OutlineTrainConfig, out: Path) -> dict:
    """Run a training (module docstring); returns the last epoch's log line."""
    import torch
    import torch.nn.functional as F

    from qrdeblur.export.onnx import export_onnx
    from qrdeblur.models.unet import QRUNet, QRUNetConfig
    from qrdeblur.train.environment import record_environment

    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2))
    record_environment(out, cfg.threads)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    root = np.random.SeedSequence(cfg.seed)
    train_seed, val_seed = root.spawn(2)
    t = time.time()
    x_tr, y_tr, _, _ = draw_pairs(train_seed, cfg.pairs, cfg.workers)
    x_va, y_va, c_va, n_va = draw_pairs(val_seed, cfg.val_pairs, cfg.workers)
    print(f"drew {len(x_tr)} + {len(x_va)} pairs in {time.time() - t:.0f} s", flush=True)
    model = QRUNet(QRUNetConfig(in_channels=1, width=cfg.width, levels=cfg.levels, unshuffle=cfg.unshuffle,
                                global_context=cfg.global_context, out_channels=2))
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    steps_per_epoch = len(x_tr) // cfg.batch
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.epochs * steps_per_epoch)
    gen = torch.Generator().manual_seed(cfg.seed)
    weights = torch.tensor([1.0, cfg.finder_weight]).view(1, 2, 1, 1)

    def loss_of(logits, target):
        bce = (F.binary_cross_entropy_with_logits(logits, target, reduction="none") * weights).mean()
        p = torch.sigmoid(logits[:, 0])
        inter = (p * target[:, 0]).sum(dim=(1, 2))
        dice = 1 - (2 * inter + 1) / (p.sum(dim=(1, 2)) + target[:, 0].sum(dim=(1, 2)) + 1)
        return bce + 0.5 * dice.mean()

    def predict(x: np.ndarray) -> tuple[np.ndarray, float]:
        model.eval()
        probs, total = [], 0.0
        with torch.no_grad():
            for i in range(0, len(x), 64):
                xb = torch.from_numpy(x[i : i + 64]).float().div(255).unsqueeze(1)
                yb = torch.from_numpy(y_va[i : i + 64]).float().div(255)
                logits = model(xb)
                total += float(loss_of(logits, yb)) * len(xb)
                probs.append(torch.sigmoid(logits).numpy())
        model.train()
        return np.concatenate(probs), total / len(x)

    best, last, t0 = np.inf, {}, time.time()
    for epoch in range(cfg.epochs):
        order = torch.randperm(len(x_tr), generator=gen).numpy()
        running = 0.0
        for step in range(steps_per_epoch):
            idx = np.sort(order[step * cfg.batch : (step + 1) * cfg.batch])
            xb = torch.from_numpy(x_tr[idx]).float().div(255).unsqueeze(1)
            yb = torch.from_numpy(y_tr[idx]).float().div(255)
            k = int(torch.randint(0, 4, (1,), generator=gen))
            xb, yb = torch.rot90(xb, k, (2, 3)), torch.rot90(yb, k, (2, 3))
            if int(torch.randint(0, 2, (1,), generator=gen)):
                xb, yb = xb.flip(3), yb.flip(3)
            loss = loss_of(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            running += loss.item()
            if time.time() - t0 > cfg.minutes * 60:
                break
        prob, val_loss = predict(x_va)
        err = outline_errors(prob, c_va, n_va)
        last = {"epoch": epoch, "steps": step + 1, "train_loss": running / (step + 1), "val_loss": val_loss,
                "median_err_modules": float(np.median(err)), "within_1": float(np.mean(err <= 1)),
                "within_1_5": float(np.mean(err <= 1.5)), "within_3": float(np.mean(err <= 3)),
                "no_outline": float(np.mean(~np.isfinite(err))), "minutes": (time.time() - t0) / 60}
        print(json.dumps(last), flush=True)
        with open(out / "log.jsonl", "a") as f:
            f.write(json.dumps(last) + "\n")
        score = float(np.mean(err > 1.5))
        if score < best:
            best = score
            checkpoint = {"model": model.state_dict(), "model_name": "qrunet", "model_args": asdict(model.cfg),
                          "epoch": epoch, "val": last}
            torch.save(checkpoint, out / "outline.pt")
        if time.time() - t0 > cfg.minutes * 60:
            break
    (out / "outline.onnx").unlink(missing_ok=True)  # a resumed folder's old export
    export_onnx(out / "outline.pt", out / "outline.onnx")
    return last


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the outline locator (qrdeblur.scan.outline).")
    parser.add_argument("--out", required=True)
    defaults = OutlineTrainConfig()
    for name, value in asdict(defaults).items():
        kind = (lambda s: s.lower() in ("1", "true", "yes")) if isinstance(value, bool) else type(value)
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=value)
    args = vars(parser.parse_args())
    out = Path(args.pop("out"))
    train(OutlineTrainConfig(**args), out)


if __name__ == "__main__":
    main()
