"""``qrunet``: our fast default generator, a small fully convolutional U-Net for grey QR images.

Why this shape: blur up to 25 px at 80x80 needs a receptive field of the whole code, which the
paper's full-resolution ResNet (256 channels at 80x80, ~1.2 s per image here) buys with brute force.
Three stride-2 levels give the bottleneck (1/8 scale) a view of the whole crop at a small fraction of
the FLOPs; widths double as resolution halves, so every level costs about the same. Plain 3x3
convolutions (fast in oneDNN and onnxruntime, unlike depthwise ones), ReLU, no normalisation (batch
statistics would tie a crop's output to its batch). The output is a logit map: ``sigmoid(logit)`` is
the restored image, and the logit lets the QR-aware loss treat each pixel as dark-or-light.

``unshuffle=2`` folds each 2x2 block of pixels into channels before the stem and unfolds the head's
output (pixel unshuffle / shuffle, ESPCN's trick): every layer then runs at half resolution, which
quarters the cost of the widest-memory layers while no pixel is thrown away (used by the refiner
of ``wiener-qrunet``, whose input is already a deconvolved image).

Input (B, C, H, W) in [0, 1], any H, W (padded internally to a multiple of ``pad_multiple``);
output (B, 1, H, W).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class QRUNetConfig:
    """Widths and depth of :class:`QRUNet` (base width doubles at each of ``levels`` downsamplings)."""

    in_channels: int = 1
    width: int = 16
    levels: int = 3
    blocks_per_level: int = 1
    bottleneck_blocks: int = 2
    global_context: bool = False
    unshuffle: int = 1  # >1: work at 1/unshuffle resolution (pixel unshuffle in, pixel shuffle out)
    out_channels: int = 1  # logit maps out (the outline locator: symbol and finder patterns)


class ResBlock(nn.Module):
    """conv3x3-ReLU-conv3x3 with an identity skip."""

    def __init__(self, ch: int):
        super().__init__()
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(x), inplace=True))


class GlobalContext(nn.Module):
    """Adds an image-wide summary to every position: mean-pool, 1x1 conv, ReLU, 1x1 conv, broadcast add.

    A blur kernel is shared by the whole crop, so every position benefits from evidence gathered
    everywhere (the direction and length of a motion streak are clearest where edges run across
    it). Convolutions alone only see their receptive field; this costs two tiny matrix products.
    """

    def __init__(self, ch: int):
        super().__init__()
        self.fc1 = nn.Conv2d(ch, ch, 1)
        self.fc2 = nn.Conv2d(ch, ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = F.adaptive_avg_pool2d(x, 1)
        return x + self.fc2(F.relu(self.fc1(g), inplace=True))


class QRUNet(nn.Module):
    """Small U-Net deblurring generator returning logits (see module docstring)."""

    def __init__(self, cfg: QRUNetConfig | None = None, **kwargs):
        super().__init__()
        cfg = cfg or QRUNetConfig(**kwargs)
        self.cfg = cfg
        w = cfg.width
        u = cfg.unshuffle
        self.stem = nn.Conv2d(cfg.in_channels * u * u, w, 3, padding=1)
        self.enc = nn.ModuleList()
        self.down = nn.ModuleList()
        for i in range(cfg.levels):
            ch = w * 2**i
            self.enc.append(nn.Sequential(*[ResBlock(ch) for _ in range(cfg.blocks_per_level)]))
            self.down.append(nn.Conv2d(ch, ch * 2, 2, stride=2))
        ch = w * 2**cfg.levels
        blocks: list[nn.Module] = []
        for _ in range(cfg.bottleneck_blocks):
            blocks.append(ResBlock(ch))
            if cfg.global_context:
                blocks.append(GlobalContext(ch))
        self.bottleneck = nn.Sequential(*blocks)
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for i in reversed(range(cfg.levels)):
            ch = w * 2**i
            self.up.append(nn.ConvTranspose2d(ch * 2, ch, 2, stride=2))
            self.dec.append(nn.Sequential(*[ResBlock(ch) for _ in range(cfg.blocks_per_level)]))
        self.head = nn.Conv2d(w, cfg.out_channels * u * u, 3, padding=1)

    @property
    def pad_multiple(self) -> int:
        """Height and width the core network needs to be multiples of."""
        return 2**self.cfg.levels * self.cfg.unshuffle

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of the restored image (apply ``torch.sigmoid`` for the image); any H, W."""
        h, w = x.shape[-2:]
        m = self.pad_multiple
        ph, pw = (-h) % m, (-w) % m
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        return self.forward_padded(x)[..., :h, :w]

    def forward_padded(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for an input whose H and W are multiples of :attr:`pad_multiple` (used by export)."""
        x = x * 2 - 1
        if self.cfg.unshuffle > 1:
            x = F.pixel_unshuffle(x, self.cfg.unshuffle)
        f = F.relu(self.stem(x), inplace=True)
        skips = []
        for enc, down in zip(self.enc, self.down, strict=True):
            f = enc(f)
            skips.append(f)
            f = F.relu(down(f), inplace=True)
        f = self.bottleneck(f)
        for up, dec in zip(self.up, self.dec, strict=True):
            f = F.relu(up(f), inplace=True) + skips.pop()
            f = dec(f)
        f = self.head(f)
        return F.pixel_shuffle(f, self.cfg.unshuffle) if self.cfg.unshuffle > 1 else f
