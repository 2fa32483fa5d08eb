"""Pixel losses on images in [0, 1]."""

from __future__ import annotations

import torch
from torch import nn

from qrdeblur.errors import UsageError


def check_same_shape(pred: torch.Tensor, target: torch.Tensor, what: str) -> None:
    """Raise UsageError unless ``pred`` and ``target`` have the same shape (no silent broadcasting)."""
    if pred.shape != target.shape:
        raise UsageError(
            f"{what}: prediction shape {tuple(pred.shape)} != target shape {tuple(target.shape)}"
        )


class L1Loss(nn.Module):
    """``weight * mean(|pred - target|)`` on images.

    Args:
        weight: multiplier of the loss (from the config).

    Shape:
        - pred: (B, C, H, W) image in [0, 1] (``sigmoid(logits)``)
        - target: (B, C, H, W) sharp image in [0, 1]
        - Output: scalar
    """

    def __init__(self, weight: float = 1.0):
        super().__init__()
        self.weight = float(weight)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_same_shape(pred, target, "L1Loss")
        return self.weight * (pred - target).abs().mean()
