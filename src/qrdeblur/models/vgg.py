"""VGG16's first three blocks in pure PyTorch, loadable from torchvision's ``vgg16`` ImageNet weights.

The paper's detail loss (Eq. 7) compares VGG16 ``block3_conv3`` features. Rather than depend on
torchvision for one ``nn.Sequential``, :class:`VGG16Features` rebuilds torchvision's ``features``
layout index for index (``features.0`` conv, ``features.1`` ReLU, ``features.4`` max-pool, ...), so a
torchvision state dict loads into it unchanged; it stops after the requested layer, which keeps the
CPU cost to what the loss needs.

Layer names are Keras's, as the paper uses them. A Keras ``block3_conv3`` layer includes its ReLU
(``Conv2D(..., activation='relu')``), so the output here is relu3_3 (torchvision index 15), the very
tensor the paper's TensorFlow code compared, not the pre-activation.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from qrdeblur.errors import UsageError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# torchvision's vgg16 "D" configuration up to block3: channels of each conv, "M" = 2x2 max-pool.
_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256)

# Keras layer name -> number of torchvision ``features`` modules up to and including that conv's ReLU.
LAYERS = {
    "block1_conv1": 2,
    "block1_conv2": 4,
    "block2_conv1": 7,
    "block2_conv2": 9,
    "block3_conv1": 12,
    "block3_conv2": 14,
    "block3_conv3": 16,
}

_MISSING_HINT = (
    "download torchvision's vgg16 ImageNet weights, or set detail.weights: random to use random features"
)


def imagenet_normalize(images: torch.Tensor) -> torch.Tensor:
    """Images in [0, 1] -> VGG input: grey repeated to RGB, then ImageNet mean/std normalisation.

    Shape:
        - Input: (B, 1 or 3, H, W)
        - Output: (B, 3, H, W)
    """
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise UsageError(f"VGG input must be (B, 1 or 3, H, W), got shape {tuple(images.shape)}")
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    mean = images.new_tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = images.new_tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (images - mean) / std


class VGG16Features(nn.Module):
    """torchvision's ``vgg16().features``, truncated after the ReLU of ``layer``.

    Parameter names match torchvision (``features.0.weight``, ..., ``features.14.bias`` for
    block3_conv3), so :func:`load_vgg16_weights` can load its state dict. Weights start with
    torchvision's own init (Kaiming normal, fan-out; biases 0); seed the global RNG or pass
    ``generator`` for a reproducible random network.

    Args:
        layer: Keras name of the last layer kept (a key of :data:`LAYERS`); its ReLU output is returned.
        generator: torch RNG used for the random init (None = the global one).

    Shape:
        - Input: (B, 3, H, W), ImageNet-normalised (see :func:`imagenet_normalize`)
        - Output: (B, C, H / 2**p, W / 2**p), floor division per pool; block3_conv3: C = 256, p = 2
    """

    def __init__(self, layer: str = "block3_conv3", generator: torch.Generator | None = None):
        super().__init__()
        if layer not in LAYERS:
            raise UsageError(f"unknown VGG16 layer {layer!r}; choose one of: {', '.join(LAYERS)}")
        self.layer = layer
        modules: list[nn.Module] = []
        c_in = 3
        for v in _CFG:
            if v == "M":
                modules.append(nn.MaxPool2d(2, 2))
            else:
                modules += [nn.Conv2d(c_in, v, 3, padding=1), nn.ReLU()]
                c_in = v
        self.features = nn.Sequential(*modules[: LAYERS[layer]])
        for m in self.features:
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu", generator=generator)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


def load_vgg16_weights(model: VGG16Features, path: str | Path) -> VGG16Features:
    """Load a torchvision ``vgg16`` state dict (``.pth``) into ``model``, in place.

    Keys of layers past the model's truncation and ``classifier.*`` are ignored; every key the model
    keeps must be present with the right shape (strict), so a vgg16_bn or vgg19 file is refused
    rather than half-loaded.

    Args:
        model: the network to fill.
        path: torchvision-format state dict, e.g. ``vgg16-397923af.pth``.

    Returns:
        ``model``, for chaining.

    Raises:
        UsageError: the file is missing, unreadable, or not a matching vgg16 state dict.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"VGG16 weights file not found: {path} ({_MISSING_HINT})")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # pickle, zip and torch errors alike: the file is not a loadable state dict
        raise UsageError(f"{path}: cannot read VGG16 weights ({type(e).__name__}: {e})") from e
    if not isinstance(state, dict):
        found = type(state).__name__
        raise UsageError(f"{path}: not a state dict (found {found}); expected torchvision vgg16 weights")
    n = len(model.features)
    kept = {}
    for key, value in state.items():
        parts = str(key).split(".")
        if parts[0] == "classifier":
            continue
        if parts[0] != "features" or len(parts) != 3 or not parts[1].isdigit():
            raise UsageError(
                f"{path}: unexpected key {key!r}; expected torchvision vgg16 (features.*, classifier.*)"
            )
        if int(parts[1]) < n:
            kept[key] = value
    try:
        model.load_state_dict(kept, strict=True)
    except RuntimeError as e:
        msg = " ".join(str(e).split())
        raise UsageError(f"{path}: not torchvision vgg16 weights: {msg}") from e
    return model
