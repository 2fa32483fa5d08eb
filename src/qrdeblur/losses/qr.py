"""QR-aware losses: a binary (dark-or-light) loss on logits and an edge loss on Sobel gradients.

A QR image is two-valued, so each pixel is a binary classification: BCE on the generator's logits
pushes pixels firmly to 0 or 1, where an L1 loss is content with grey. Decoders threshold and then
sample module centres and locate module edges; the edge term (as in ADNet's loss) rewards sharp,
correctly placed transitions, which an average pixel loss underweights because edges are few pixels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from qrdeblur.losses.pixel import check_same_shape

_SOBEL_X = ((-1.0, 0.0, 1.0), (-2.0, 0.0, 2.0), (-1.0, 0.0, 1.0))
_SOBEL_NORM = 8.0  # sum of |kernel|: a unit step gives a gradient of at most 0.5, in image units


def sobel_gradients(images: torch.Tensor) -> torch.Tensor:
    """Per-channel Sobel x and y derivatives, normalised by 8, with replicated borders.

    Args:
        images: batch of images.

    Returns:
        The x and y derivative of every channel.

    Shape:
        - Input: (B, C, H, W)
        - Output: (B, C, 2, H, W), [:, :, 0] = d/dx, [:, :, 1] = d/dy
    """
    b, c, h, w = images.shape
    kx = images.new_tensor(_SOBEL_X) / _SOBEL_NORM
    kernel = torch.stack([kx, kx.t()]).unsqueeze(1)  # (2, 1, 3, 3)
    x = F.pad(images.reshape(b * c, 1, h, w), (1, 1, 1, 1), mode="replicate")
    return F.conv2d(x, kernel).reshape(b, c, 2, h, w)


class BinaryLoss(nn.Module):
    """``weight * BCE(sigmoid(logits), target)``, computed stably from the logits.

    Args:
        weight: multiplier of the loss (from the config).

    Shape:
        - logits: (B, C, H, W) generator output before the sigmoid
        - target: (B, C, H, W) sharp image in [0, 1] (soft targets at anti-aliased edges are fine)
        - Output: scalar
    """

    def __init__(self, weight: float = 1.0):
        super().__init__()
        self.weight = float(weight)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_same_shape(logits, target, "BinaryLoss")
        return self.weight * F.binary_cross_entropy_with_logits(logits, target)


class EdgeLoss(nn.Module):
    """``weight * mean(|sobel(pred) - sobel(target)|)``: L1 between image gradients.

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
        check_same_shape(pred, target, "EdgeLoss")
        return self.weight * (sobel_gradients(pred) - sobel_gradients(target)).abs().mean()
