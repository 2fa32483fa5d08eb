"""The paper's networks: the DeblurGAN-style generator (Fig. 2) and the DCGAN-style discriminator (Fig. 1).

Both follow the paper's text layer by layer (see ``/work/shared/paper/SUMMARY.md``); where it is silent
or ambiguous the choice made here is stated in the class docstring. TensorFlow's ``SAME`` padding is
reproduced exactly, including its asymmetric split for even kernels (one pixel before, two after for a
4x4 kernel at stride 1), so the shapes are those of the original TF 1.2 model for any input size.

``width`` multiplies every channel count (and the discriminator's fully connected widths), so tests and
quick experiments can run the same architecture at a fraction of the cost: ``width=1`` is the paper.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from qrdeblur.errors import UsageError

BN_EPS = 1e-5  # the paper's "BatchNorm epsilon 0.00001"


def scaled_channels(channels: int, width: float) -> int:
    """``channels * width`` rounded, at least 1 (the channel count of a ``width``-scaled network)."""
    if not (isinstance(width, (int, float)) and math.isfinite(width) and width > 0):
        raise UsageError(f"model width must be a positive number, got {width!r}")
    return max(1, round(channels * width))


def same_padding(size: int, kernel_size: int, stride: int) -> tuple[int, int]:
    """TensorFlow ``SAME`` padding (before, after) of one spatial dimension.

    The output has ``ceil(size / stride)`` samples; TF puts the smaller half of the padding first.
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel_size - size, 0)
    return total // 2, total - total // 2


class Conv2dSame(nn.Conv2d):
    """``nn.Conv2d`` with TensorFlow ``SAME`` zero padding (asymmetric for even kernels), any stride.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: square kernel size.
        stride: stride in both dimensions.
        bias: whether the convolution has a bias.

    Shape:
        - Input: (B, in_channels, H, W)
        - Output: (B, out_channels, ceil(H / stride), ceil(W / stride))
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, bias: bool = True
    ):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=0, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        top, bottom = same_padding(h, self.kernel_size[0], self.stride[0])
        left, right = same_padding(w, self.kernel_size[1], self.stride[1])
        return super().forward(F.pad(x, (left, right, top, bottom)))


class ConvTranspose2dSame(nn.ConvTranspose2d):
    """Stride-1 transposed convolution with TensorFlow ``SAME`` output cropping: output H, W = input H, W.

    TF's ``conv2d_transpose`` is the adjoint (input gradient) of ``conv2d`` with the same padding. For a
    ``SAME`` stride-1 conv with kernel k the input is padded ``(k - 1) // 2`` before and the rest after,
    so the adjoint computes the full transposed convolution (size H + k - 1) and crops that many pixels
    from each side. Static slicing, so it exports to ONNX with dynamic H, W.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: square kernel size (4 in the paper).
        bias: whether the layer has a bias.

    Shape:
        - Input: (B, in_channels, H, W)
        - Output: (B, out_channels, H, W)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size, stride=1, padding=0, bias=bias)
        k = self.kernel_size[0]
        self._crop = ((k - 1) // 2, k - 1 - (k - 1) // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        before, after = self._crop
        out = super().forward(x)
        h, w = out.shape[-2:]
        return out[..., before : h - after, before : w - after]


def init_paper_weights(module: nn.Module, std: float, bias: float) -> None:
    """The paper's initialisation: conv, deconv and linear weights ~ N(0, std), biases = ``bias``.

    BatchNorm keeps PyTorch's default (scale 1, shift 0), the usual choice in TF 1.x too.
    """
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.constant_(m.bias, bias)


class PaperResBlock(nn.Module):
    """One of the generator's 9 ResBlocks.

    conv3x3 SAME + BN + ReLU, Dropout, reflection pad 1 + conv3x3 VALID + BN, add the block input.
    The paper's second conv is ``VALID`` yet the residual sum needs equal sizes: as in DeblurGAN (its
    ref [12]) the border is restored by reflection padding before that conv.

    Args:
        channels: channels in and out.
        dropout: dropout probability between the two convs (0 disables it).

    Shape:
        - Input: (B, channels, H, W)
        - Output: (B, channels, H, W)
    """

    def __init__(self, channels: int, dropout: float):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(channels, eps=BN_EPS)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.pad = nn.ReflectionPad2d(1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=0)
        self.bn2 = nn.BatchNorm2d(channels, eps=BN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(self.pad(self.dropout(y))))
        return x + y


class PaperGenerator(nn.Module):
    """The paper's generator (Fig. 2): full-resolution DeblurGAN-style ResNet, returning logits.

    Layers (channel counts times ``width``): conv7x7-128 SAME + BN + ReLU; conv3x3-256 SAME + BN + ReLU;
    9 :class:`PaperResBlock` of 256 channels; deconv4x4-128 + BN + ReLU; deconv4x4-``out_channels`` + BN.
    Nothing downsamples (the paper's strides are all 1), so any H, W works and comes back unchanged.

    Choices where the paper is silent or unsuitable:

    - **Output = logits.** The paper ends with BN + ReLU and calls that the image. A ReLU output has zero
      gradient wherever it is clipped to 0, i.e. on every dark module of a QR code, the very pixels the
      target wants at 0. Like every generator here, this one drops the final ReLU and treats the last
      BN's output as logits: ``torch.sigmoid(logits)`` is the image in [0, 1], and the logits feed the
      binary (BCE) loss directly.
    - **Dropout 0.5** between the two convs of every ResBlock, where DeblurGAN (whose generator the
      paper adopts) puts it: the paper only says dropout was added against over-fitting, which with 3
      codes and 10,000 pairs it badly needs. Active in ``train()`` mode only.
    - **Init std 0.02** by default, not the paper's 0.002: 0.02 is the DCGAN/pix2pix/DeblurGAN value
      the paper's stack inherits, so "0.002" is most likely a slip. Behind BatchNorm the scale hardly
      changes the forward pass, but a BN-normalised weight's effective step is lr / |w|, so with Adam's
      ~lr-sized steps 0.002 makes every update about 10x larger relative to the weights. Pass
      ``init_std=0.002`` for the literal paper. Biases start at the paper's 0.1 (cancelled by the BN
      that follows each conv, so harmless).
    - Input images in [0, 1] are mapped to [-1, 1] inside, as DeblurGAN's data pipeline does.

    Args:
        width: multiplier of every channel count (1.0 = the paper: 128 / 256 channels).
        in_channels: input image channels (3 = RGB as in the paper, 1 = grey).
        out_channels: output channels.
        dropout: dropout probability inside the ResBlocks.
        n_blocks: number of ResBlocks (9 in the paper).
        init_std: standard deviation of the normal weight init.
        init_bias: constant bias init.

    Shape:
        - Input: (B, in_channels, H, W), values in [0, 1]
        - Output: (B, out_channels, H, W) logits

    Example:
        >>> g = PaperGenerator(width=0.125).eval()
        >>> g(torch.rand(1, 3, 37, 53)).shape
        torch.Size([1, 3, 37, 53])
    """

    def __init__(
        self,
        width: float = 1.0,
        in_channels: int = 3,
        out_channels: int = 3,
        dropout: float = 0.5,
        n_blocks: int = 9,
        init_std: float = 0.02,
        init_bias: float = 0.1,
    ):
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise UsageError(f"dropout must be in [0, 1), got {dropout!r}")
        c1 = scaled_channels(128, width)
        c2 = scaled_channels(256, width)
        self.head = nn.Sequential(
            nn.Conv2d(in_channels, c1, 7, padding=3),  # SAME, stride 1
            nn.BatchNorm2d(c1, eps=BN_EPS),
            nn.ReLU(),
            nn.Conv2d(c1, c2, 3, padding=1),
            nn.BatchNorm2d(c2, eps=BN_EPS),
            nn.ReLU(),
        )
        self.blocks = nn.Sequential(*[PaperResBlock(c2, dropout) for _ in range(n_blocks)])
        self.tail = nn.Sequential(
            ConvTranspose2dSame(c2, c1, 4),
            nn.BatchNorm2d(c1, eps=BN_EPS),
            nn.ReLU(),
            ConvTranspose2dSame(c1, out_channels, 4),
            nn.BatchNorm2d(out_channels, eps=BN_EPS),
        )
        init_paper_weights(self, init_std, init_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of the restored image (apply ``torch.sigmoid`` for the image)."""
        return self.tail(self.blocks(self.head(x * 2 - 1)))


class PaperDiscriminator(nn.Module):
    """The paper's discriminator (Fig. 1): DCGAN-style convs, then fully connected layers to one score.

    Five 4x4 ``SAME`` convs with LeakyReLU(0.2): 64 s2, 128 s2, 256 s2, 512 s1, 1 s1 (the first four
    times ``width``); flatten; FC 1024, LeakyReLU, FC 1024, LeakyReLU, FC 1 (the 1024s times ``width``).
    The flattened size is ``ceil(H/8) * ceil(W/8)``, so the network is built for one ``image_size``.

    ``norm``: the paper calls this a "standard DCGAN discriminator", and DCGAN puts BatchNorm on every
    conv but the first, while the text lists BN only for the generator. The default is no
    normalisation because the paper's objective is the Wasserstein one (Eq. 6): a critic's score must
    be a function of one image, and BatchNorm makes it depend on the rest of the batch (and breaks the
    per-sample gradient penalty of WGAN-GP). ``norm=True`` adds BatchNorm to the 128/256/512 convs, for
    the vanilla or LSGAN objectives.

    Like the generator, it takes images in [0, 1] and maps them to [-1, 1]; init N(0, 0.02), bias 0.1
    (see :class:`PaperGenerator` for why 0.02; here, without normalisation, 0.002 would also shrink
    activations 5-70x per layer until the 0.1 biases dominate, leaving a near-constant critic).

    Args:
        width: multiplier of the conv channels and FC widths (1.0 = the paper).
        in_channels: image channels.
        image_size: input size, an int (square) or (H, W); fixes the first FC layer's size.
        norm: BatchNorm on the middle convs (must stay False for WGAN-GP).
        negative_slope: LeakyReLU slope.
        init_std: standard deviation of the normal weight init.
        init_bias: constant bias init.

    Shape:
        - Input: (B, in_channels, *image_size), values in [0, 1]
        - Output: (B, 1), one unbounded score per image
    """

    def __init__(
        self,
        width: float = 1.0,
        in_channels: int = 3,
        image_size: int | tuple[int, int] = 80,
        norm: bool = False,
        negative_slope: float = 0.2,
        init_std: float = 0.02,
        init_bias: float = 0.1,
    ):
        super().__init__()
        size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
        if len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size):
            raise UsageError(f"image_size must be a positive int or (H, W), got {image_size!r}")
        self.image_size: tuple[int, int] = size  # type: ignore[assignment]
        layers: list[nn.Module] = []
        c_in = in_channels
        for i, (c, stride) in enumerate(((64, 2), (128, 2), (256, 2), (512, 1))):
            c_out = scaled_channels(c, width)
            layers.append(Conv2dSame(c_in, c_out, 4, stride))
            if norm and i > 0:
                layers.append(nn.BatchNorm2d(c_out, eps=BN_EPS))
            layers.append(nn.LeakyReLU(negative_slope))
            c_in = c_out
        layers += [Conv2dSame(c_in, 1, 4, 1), nn.LeakyReLU(negative_slope)]
        self.features = nn.Sequential(*layers)
        fh, fw = (-(-s // 8) for s in size)
        fc = scaled_channels(1024, width)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(fh * fw, fc),
            nn.LeakyReLU(negative_slope),
            nn.Linear(fc, fc),
            nn.LeakyReLU(negative_slope),
            nn.Linear(fc, 1),
        )
        init_paper_weights(self, init_std, init_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """One realness score per image (higher = more real)."""
        if tuple(x.shape[-2:]) != self.image_size:
            raise UsageError(
                f"PaperDiscriminator was built for image_size {self.image_size}, got {tuple(x.shape[-2:])}"
            )
        return self.classifier(self.features(x * 2 - 1))
