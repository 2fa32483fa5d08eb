"""The paper's detail loss (Eq. 7): distance between VGG16 block3_conv3 features of output and target."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from qrdeblur.errors import UsageError
from qrdeblur.losses.pixel import check_same_shape
from qrdeblur.models.vgg import VGG16Features, imagenet_normalize, load_vgg16_weights

DISTANCES = ("mse", "l1")


class DetailLoss(nn.Module):
    """``weight * distance(VGG16_layer(pred), VGG16_layer(target))``, the paper's Eq. 7.

    The VGG16 is frozen (no gradients to its weights, always in eval mode); gradients flow to ``pred``
    only, and the target's features are computed without a graph. Grey images are repeated to three
    channels and both inputs are ImageNet-normalised, as torchvision's weights expect.

    The paper writes the distance as a bare norm; the default ``mse`` (mean squared feature
    difference) is what the Keras DeblurGAN code behind the paper's ``block3_conv3`` naming uses.
    ``layer`` output is the ReLU'd activation, as Keras's ``block3_conv3`` layer is.

    Args:
        weight: multiplier of the loss (from the config).
        weights: path to torchvision's ImageNet ``vgg16`` state dict, or ``'random'`` for a randomly
            initialised VGG16 (seeded by ``seed``; then ``random_features`` is True so reports can say
            the term is not the paper's perceptual loss).
        layer: Keras name of the VGG16 layer compared (the paper: ``block3_conv3``).
        max_images: if set, only the first ``max_images`` images of each batch enter the loss
            (VGG16 at 80x80 costs several times a small generator on a CPU).
        distance: ``'mse'`` or ``'l1'``, averaged over all feature values.
        seed: seed of the random init when ``weights='random'``.

    Raises:
        UsageError: missing or mismatched weights file, unknown layer or distance, bad ``max_images``.

    Shape:
        - pred: (B, 1 or 3, H, W) image in [0, 1] (``sigmoid(logits)``)
        - target: (B, 1 or 3, H, W) sharp image in [0, 1]
        - Output: scalar
    """

    def __init__(
        self,
        weight: float = 1.0,
        weights: str | Path = "random",
        layer: str = "block3_conv3",
        max_images: int | None = None,
        distance: str = "mse",
        seed: int = 0,
    ):
        super().__init__()
        if distance not in DISTANCES:
            choices = ", ".join(DISTANCES)
            raise UsageError(f"unknown detail-loss distance {distance!r}; choose one of: {choices}")
        if max_images is not None and not (isinstance(max_images, int) and max_images >= 1):
            raise UsageError(f"detail-loss max_images must be a positive int or None, got {max_images!r}")
        self.weight = float(weight)
        self.max_images = max_images
        self.distance = distance
        self.random_features = str(weights) == "random"
        if self.random_features:
            self.vgg = VGG16Features(layer, generator=torch.Generator().manual_seed(seed))
        else:
            self.vgg = load_vgg16_weights(VGG16Features(layer), weights)
        self.vgg.requires_grad_(False)
        self.vgg.eval()

    def train(self, mode: bool = True) -> DetailLoss:
        """Keep the VGG16 in eval mode whatever the caller asks (it is a fixed feature extractor)."""
        super().train(mode)
        self.vgg.eval()
        return self

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_same_shape(pred, target, "DetailLoss")
        if self.max_images is not None:
            pred, target = pred[: self.max_images], target[: self.max_images]
        f_pred = self.vgg(imagenet_normalize(pred))
        with torch.no_grad():
            f_target = self.vgg(imagenet_normalize(target))
        if self.distance == "mse":
            d = F.mse_loss(f_pred, f_target)
        else:
            d = F.l1_loss(f_pred, f_target)
        return self.weight * d
