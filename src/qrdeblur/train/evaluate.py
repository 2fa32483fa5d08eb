"""Validation during training: a fixed set of pairs, restored and scored (QR-MAE, PSNR, decode rate).

The set is drawn once from its own seed and never from a benchmark suite (its payloads are checked
against the reserved ones), so a run's curves are comparable across steps and runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from qrdeblur.synth import degrade, kernels
from qrdeblur.synth.payloads import random_alphanumeric
from qrdeblur.synth.presets import Pair, fit_symbol, get_preset
from qrdeblur.synth.render import module_matrix, render_matrix
from qrdeblur.train.data import to_tensor


def paper_val_pair(rng: np.random.Generator, size: int = 80, payloads=None) -> Pair:
    """A ``paper80``-like pair with continuous parameters (LEN 0..20 at any angle, sigma 1..3)."""
    from qrdeblur.synth.reserved import is_reserved_payload

    while True:
        payload = str(payloads[int(rng.integers(len(payloads)))]) if payloads else random_alphanumeric(rng, 8, 16)
        if not is_reserved_payload(payload):
            break
    spec, symbol = fit_symbol(payload, rng, (1, 2), None)
    sharp = render_matrix(module_matrix(symbol, 4), size_px=size)
    length, theta, sigma = float(rng.uniform(0, 20)), float(rng.uniform(0, 180)), float(rng.uniform(1, 3))
    blurred = degrade.convolve(sharp, kernels.compose(kernels.motion(length, theta), kernels.gaussian(sigma)))
    blurred, _ = degrade.gaussian_noise(blurred, rng, 0.01)
    meta = {"payload": spec.payload, "motion_length": length, "motion_angle": theta, "gaussian_sigma": sigma}
    return Pair(sharp, degrade.quantise(blurred), meta)


@dataclass
class ValidationSet:
    """Fixed validation tensors and the payload each image must decode to."""

    blurred: torch.Tensor
    sharp: torch.Tensor
    payloads: list[str]


def make_validation_set(
    preset: str, count: int, seed: int, size: int, grey: bool, payloads=None
) -> ValidationSet:
    """Draw ``count`` pairs from ``preset`` (or ``paper-val``) with ``seed``."""
    make = paper_val_pair if preset == "paper-val" else get_preset(preset)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 424242]))
    pairs = [make(rng, size=size, payloads=payloads) for _ in range(count)]
    return ValidationSet(
        torch.stack([to_tensor(p.blurred, grey) for p in pairs]),
        torch.stack([to_tensor(p.sharp, grey) for p in pairs]),
        [p.meta["payload"] for p in pairs],
    )


@torch.no_grad()
def restore_tensor(generator: torch.nn.Module, blurred: torch.Tensor, batch: int = 64) -> torch.Tensor:
    """Run a generator (logits out) in eval mode over a tensor in batches; returns images in [0, 1]."""
    was_training = generator.training
    generator.eval()
    outs = [torch.sigmoid(generator(blurred[i : i + batch])) for i in range(0, len(blurred), batch)]
    generator.train(was_training)
    return torch.cat(outs)


def evaluate(generator: torch.nn.Module, val: ValidationSet, decoder) -> dict:
    """QR-MAE (paper Eq. 8, 0-255 units, mean over channels), PSNR (dB) and decode rate of the restorations."""
    device = next(generator.parameters()).device  # a generator on a GPU restores there, is scored here
    restored = restore_tensor(generator, val.blurred.to(device)).cpu()
    err = (restored - val.sharp).abs().mean(dim=(2, 3)).mean(dim=1) * 255.0
    mse = ((restored - val.sharp) ** 2).mean(dim=(1, 2, 3)).clamp_min(1e-10)
    psnr = 10 * torch.log10(1.0 / mse)
    decoded = 0
    images = (restored.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    for img, payload in zip(images, val.payloads, strict=True):
        texts = {r.text for r in decoder.decode(img[..., 0] if img.shape[2] == 1 else img)}
        decoded += payload in texts
    return {
        "qr_mae": float(err.mean()),
        "psnr": float(psnr.mean()),
        "decode_rate": decoded / len(val.payloads),
        "restored": restored,
    }
