"""``WienerQRUNet``: blur estimate -> Wiener deconvolution -> U-Net refiner (registry ``wiener-qrunet``).

See :mod:`qrdeblur.restore.kernel_wiener` for why. Training has two phases (``train.kernel_phase``):
the estimator (:class:`~qrdeblur.models.kernelnet.KernelNet`) learns the blur parameters of
synthetic codes by regression, then it is frozen (:meth:`freeze_estimator`, kept in eval mode) and
the refiner (:class:`~qrdeblur.models.unet.QRUNet` with 2 input channels: Wiener output, blurred
image) trains as the GAN's generator on the Wiener outputs of the estimator's own estimates, so it
learns to mend exactly the errors the estimator makes. The Wiener step runs in NumPy (no gradient
flows through it or into the frozen estimator), the same code onnxruntime's path runs.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from qrdeblur.models.kernelnet import KernelNet
from qrdeblur.models.unet import QRUNet
from qrdeblur.restore.kernel_wiener import front_end


class WienerQRUNet(nn.Module):
    """Grey in (N, 1, H, W) in [0, 1], logits out; ``kernel`` and ``refiner`` are the parts' arguments."""

    in_channels = 1

    def __init__(self, kernel: dict | None = None, refiner: dict | None = None):
        super().__init__()
        self.estimator = KernelNet(**(kernel or {}))
        self.refiner = QRUNet(**{**(refiner or {}), "in_channels": 2})
        self.estimator_frozen = False

    @property
    def pad_multiple(self) -> int:
        """Height and width the refiner needs to be multiples of."""
        return self.refiner.pad_multiple

    def freeze_estimator(self) -> None:
        """Stop training the estimator: no gradients, BatchNorm statistics fixed (eval mode for good)."""
        self.estimator_frozen = True
        self.estimator.requires_grad_(False)
        self.estimator.eval()

    def train(self, mode: bool = True):
        super().train(mode)
        if self.estimator_frozen:
            self.estimator.eval()
        return self

    def estimate(self, features: np.ndarray) -> np.ndarray:
        """Estimator outputs (N, 3) for :func:`estimator_features` (N, 2, 80, 80), without gradient."""
        with torch.no_grad():
            device = next(self.estimator.parameters()).device
            return self.estimator(torch.from_numpy(features).to(device)).cpu().numpy()

    def refiner_input(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, H, W) blurred -> (N, 2, H, W) (Wiener with the estimated kernel, blurred)."""
        grey = x.detach()[:, 0].cpu().numpy()
        return torch.from_numpy(front_end(grey, self.estimate)).to(x.device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of the restored image; any H, W (the refiner pads to its multiple)."""
        return self.refiner(self.refiner_input(x))
