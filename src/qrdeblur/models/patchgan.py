"""``patch-d``: a small fully convolutional PatchGAN discriminator (pix2pix / DeblurGAN critic).

The paper's discriminator ends in fully connected layers, which tie it to one image size and judge
the image as a whole. A PatchGAN scores overlapping patches instead: any input size, far fewer
parameters, and a per-region verdict that suits QR codes, whose realism is local (crisp module edges,
flat modules). Its conv stack is the paper's own (64 s2, 128 s2, 256 s2, 512 s1, 1 s1, 4x4 ``SAME``)
without the FC head, i.e. pix2pix's 70x70 PatchGAN with TF padding.
"""

from __future__ import annotations

import torch
from torch import nn

from qrdeblur.errors import UsageError
from qrdeblur.models.paper import Conv2dSame, scaled_channels


class PatchDiscriminator(nn.Module):
    """Fully convolutional PatchGAN discriminator returning a map of patch scores.

    ``n_layers`` stride-2 4x4 convs (64, 128, 256, ... channels, capped at 512, times ``width``), one
    stride-1 conv of twice the last width (capped at 512), one stride-1 conv to 1 channel; LeakyReLU
    between them. With the default 3 layers each score sees a 70x70 patch. ``norm`` adds
    InstanceNorm (per image, so compatible with WGAN-GP, as in DeblurGAN) to all but the first and last
    convs. Images in [0, 1] are mapped to [-1, 1]; weights init N(0, ``init_std``), biases 0.

    Args:
        width: multiplier of every channel count.
        in_channels: image channels.
        n_layers: number of stride-2 convs (sets the patch size and the downsampling 2**n_layers).
        norm: InstanceNorm on the middle convs.
        negative_slope: LeakyReLU slope.
        init_std: standard deviation of the normal weight init.

    Shape:
        - Input: (B, in_channels, H, W), values in [0, 1]
        - Output: (B, 1, ceil(H / 2**n_layers), ceil(W / 2**n_layers)) unbounded scores

    Example:
        >>> PatchDiscriminator(width=0.125, in_channels=1)(torch.rand(2, 1, 80, 80)).shape
        torch.Size([2, 1, 10, 10])
    """

    def __init__(
        self,
        width: float = 1.0,
        in_channels: int = 3,
        n_layers: int = 3,
        norm: bool = False,
        negative_slope: float = 0.2,
        init_std: float = 0.02,
    ):
        super().__init__()
        if not (isinstance(n_layers, int) and n_layers >= 1):
            raise UsageError(f"n_layers must be an int >= 1, got {n_layers!r}")
        base, cap = 64, 512
        plan = [(min(base * 2**i, cap), 2) for i in range(n_layers)] + [(min(base * 2**n_layers, cap), 1)]
        layers: list[nn.Module] = []
        c_in = in_channels
        for i, (c, stride) in enumerate(plan):
            c_out = scaled_channels(c, width)
            layers.append(Conv2dSame(c_in, c_out, 4, stride))
            if norm and i > 0:
                layers.append(nn.InstanceNorm2d(c_out, affine=True))
            layers.append(nn.LeakyReLU(negative_slope))
            c_in = c_out
        layers.append(Conv2dSame(c_in, 1, 4, 1))
        self.net = nn.Sequential(*layers)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0.0, init_std)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map of patch realness scores (higher = more real)."""
        return self.net(x * 2 - 1)
