"""``KernelNet``: a small CNN that estimates the blur of an 80x80 view (motion length, angle, sigma).

Input: :func:`qrdeblur.restore.kernel_wiener.estimator_features` (image and log spectrum, 2 x 80 x 80).
Output: the 3 numbers of :func:`qrdeblur.restore.kernel_wiener.encode_blur` (4 with a defocus disk's
radius, ``outputs=4``). Eight 3x3 conv +
BatchNorm + ReLU layers (four of stride 2, 80 -> 5 px), then two fully connected layers: the
flattened 5x5 map keeps *where* features are, which matters for a code whose finder patterns sit at
known places. At width 24 about 70 MMAC per image, a fraction of a millisecond on one core.
"""

from __future__ import annotations

from torch import nn


def _conv(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class KernelNet(nn.Module):
    """Blur estimator for 80x80 views (see module docstring); ``width`` sets the first layers' channels."""

    def __init__(self, width: int = 24, hidden: int = 256, size: int = 80, in_channels: int = 2, outputs: int = 3):
        super().__init__()
        if outputs not in (3, 4):
            raise ValueError(f"KernelNet estimates 3 blur numbers (motion, Gaussian) or 4 (and a disk), not {outputs}")
        w = width
        self.size = size
        self.features = nn.Sequential(
            _conv(in_channels, w, 1), _conv(w, w, 2), _conv(w, w, 1), _conv(w, 2 * w, 2),
            _conv(2 * w, 2 * w, 1), _conv(2 * w, 4 * w, 2), _conv(4 * w, 4 * w, 1), _conv(4 * w, 4 * w, 2),
        )
        side = -(-size // 16)
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(4 * w * side * side, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, outputs)
        )

    def forward(self, x):
        """(N, 2, size, size) features -> (N, outputs) blur vector."""
        return self.head(self.features(x))
