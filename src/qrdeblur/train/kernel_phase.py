"""Phase 1 of a ``wiener-qrunet`` run: teach the blur estimator by regression, then freeze it.

Pairs come from ``kernel.preset`` (``clean``: whole codes blurred by motion then Gaussian, the exact
parameters in each pair's meta; ``scan`` pairs give theirs as ``crop_blur``, the camera's blur
carried into the rectified crop and fitted by motion + Gaussian); the target is
:func:`~qrdeblur.restore.kernel_wiener.encode_blur`, the loss the mean absolute error. Adam with
cosine decay, seeded from the run's seed. The estimator is saved to ``kernel.pt`` in the run folder,
with its own ``kernel_metrics.csv`` (loss, and median length / angle / sigma errors on a fixed
validation draw); a resumed run that finds ``kernel.pt`` loads it instead of training again. A run's
``finish`` phase can continue the regression from the current weights (``finish.kernel_steps``): the
same function with its own file, metrics and seed shard.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from qrdeblur.restore.kernel_wiener import decode_blur, encode_blur, estimator_features
from qrdeblur.synth.presets import PairStream

KERNEL_FILE = "kernel.pt"
KERNEL_METRICS = "kernel_metrics.csv"
FINISH_KERNEL_FILE = "kernel-finish.pt"
FINISH_KERNEL_METRICS = "kernel_finish_metrics.csv"
VALIDATION_SHARD = 999_983  # a seed shard the training stream (shards 0, 1, ...) never uses


def _batch(stream: PairStream, n: int, outputs: int = 3) -> tuple[torch.Tensor, torch.Tensor, list[tuple]]:
    """``n`` pairs as (estimator features, targets, true (length, angle, sigma[, radius])).

    ``outputs`` = 4: the estimator also reports a defocus disk, so the disk is not folded into the
    motion and Gaussian (``scan`` pairs' ``crop_blur_disk``; other presets' ``disk_radius``, 0 if none).
    """
    images, targets, truth = [], [], []
    for _ in range(n):
        pair = next(stream)
        m = pair.meta
        blurred = pair.blurred.mean(axis=2) if pair.blurred.ndim == 3 else pair.blurred
        radius = float(m.get("disk_radius", 0.0))
        if outputs == 4 and "crop_blur_disk" in m:  # scan presets: the blur as the rectified crop sees it
            length, angle, sigma, radius = (float(v) for v in m["crop_blur_disk"])
        elif "crop_blur" in m:  # ... fitted by motion + Gaussian alone
            length, angle, sigma = (float(v) for v in m["crop_blur"])
        else:
            length, angle = float(m.get("motion_length", 0.0)), float(m.get("motion_angle", 0.0))
            sigma = float(m.get("gaussian_sigma", 0.0))
        images.append(blurred)
        extra = (radius,) if outputs == 4 else ()
        targets.append(encode_blur(length, angle, sigma, *extra))
        truth.append((max(1.0, length), angle, sigma, *extra))
    x = torch.from_numpy(estimator_features(np.stack(images)))
    return x, torch.from_numpy(np.stack(targets)), truth


def blur_errors(estimates: np.ndarray, truth: list[tuple]) -> dict[str, float]:
    """Median absolute errors: length (px), angle (degrees, only where the motion is >= 3 px), sigma,
    and the disk radius (px) when the estimator reports one."""
    dl, da, ds, dr = [], [], [], []
    for vec, (length, angle, sigma, *radius) in zip(estimates, truth, strict=True):
        el, ea, es, *er = decode_blur(vec)
        dl.append(abs(el - length))
        ds.append(abs(es - sigma))
        if radius and er:
            dr.append(abs(er[0] - radius[0]))
        if length >= 3:
            da.append(abs((ea - angle + 90) % 180 - 90))
    errors = {
        "length_px": float(np.median(dl)),
        "angle_deg": float(np.median(da)) if da else 0.0,
        "sigma_px": float(np.median(ds)),
    }
    if dr:
        errors["radius_px"] = float(np.median(dr))
    return errors


def train_estimator(
    estimator: torch.nn.Module,
    out: Path,
    *,
    seed: int,
    steps: int,
    batch_size: int,
    lr: float,
    preset: str,
    size: int,
    val_count: int = 256,
    log_every: int = 50,
    progress: Callable[[int, int, dict], None] | None = None,
    file: str = KERNEL_FILE,
    metrics: str = KERNEL_METRICS,
    shard: int = 0,
) -> dict[str, float]:
    """Train ``estimator`` in place (see module docstring); returns its validation errors.

    ``shard`` picks the training stream's seed shard (and offsets the torch seed), so a continuation
    never replays phase 1's pairs; the validation draw is the same for every call.
    """
    path = out / file
    if path.exists():
        estimator.load_state_dict(torch.load(path, map_location="cpu", weights_only=False)["model"])
        return {}
    torch.manual_seed(seed + shard)
    stream = PairStream(preset, seed, size, shard=shard)
    outputs = int(estimator.head[-1].out_features)  # 3: motion + Gaussian; 4: and a defocus disk
    val_x, _, val_truth = _batch(PairStream(preset, seed, size, shard=VALIDATION_SHARD), val_count, outputs)
    device = next(estimator.parameters()).device  # the finish phase's continuation may run on a GPU
    val_x = val_x.to(device)
    opt = torch.optim.Adam(estimator.parameters(), lr=lr)
    t0 = time.time()
    with open(out / metrics, "w", newline="", encoding="utf-8") as fh:
        columns = ["step", "elapsed_s", "lr", "loss", "length_px", "angle_deg", "sigma_px"]
        columns += ["radius_px"] if outputs == 4 else []
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        running: list[float] = []
        errors: dict[str, float] = {}
        estimator.train()
        for step in range(1, steps + 1):
            factor = 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * step / steps))
            for group in opt.param_groups:
                group["lr"] = lr * factor
            x, y, _ = _batch(stream, batch_size, outputs)
            x, y = x.to(device), y.to(device)
            loss = (estimator(x) - y).abs().mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            running.append(float(loss.detach()))
            if step % log_every == 0 or step == steps:
                row = {"step": step, "elapsed_s": round(time.time() - t0, 1), "lr": lr * factor,
                       "loss": round(float(np.mean(running)), 5)}
                running.clear()
                if step % (10 * log_every) == 0 or step == steps:
                    estimator.eval()
                    with torch.no_grad():
                        errors = blur_errors(estimator(val_x).cpu().numpy(), val_truth)
                    estimator.train()
                    row.update({k: round(v, 4) for k, v in errors.items()})
                writer.writerow(row)
                fh.flush()
            if progress:
                progress(step, steps, {"kernel_loss": running[-1] if running else float(loss.detach())})
    estimator.eval()
    tmp = path.with_suffix(".pt.tmp")
    torch.save({"model": estimator.state_dict(), "val": errors, "steps": steps}, tmp)
    tmp.replace(path)
    return errors
