"""Image metrics between a restored image and the sharp original, in 0-255 pixel units.

Images may be uint8 (taken as 0-255) or float (taken as [0, 1] and scaled by 255), (H, W) grey or
(H, W, C) colour; the two arguments may differ in dtype but not in shape. Working in 0-255 units
makes QR-MAE comparable with the paper's Fig. 8 whatever dtype a method returns.
"""

from __future__ import annotations

import numpy as np
from skimage import metrics as skmetrics

from qrdeblur.errors import UsageError


def _to_255(image: np.ndarray, name: str) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise UsageError(f"{name} must be an (H, W) or (H, W, C) image, got shape {image.shape}")
    if image.dtype == np.uint8:
        return image.astype(np.float64)
    if image.dtype.kind == "f":
        return image.astype(np.float64) * 255.0
    raise UsageError(f"{name} must be uint8 or float in [0, 1], got dtype {image.dtype}")


def _pair(restored: np.ndarray, original: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = _to_255(restored, "restored"), _to_255(original, "original")
    if a.shape != b.shape:
        raise UsageError(f"restored and original differ in shape: {a.shape} vs {b.shape}")
    return a, b


def qr_mae(restored: np.ndarray, original: np.ndarray) -> float:
    """QR-MAE, the paper's Eq. 8: mean absolute pixel error per channel, averaged over the channels.

    ``Q = 1/3 * sum_c (1/N) * sum_i |A_c,i - Â_c,i|`` with N pixels per channel (80x80 in the paper) and
    three RGB channels; a grey (H, W) image is one channel. In 0-255 pixel units (see module docstring).

    Example:
        >>> qr_mae(np.zeros((2, 2), np.uint8), np.full((2, 2), 10, np.uint8))
        10.0
    """
    a, b = _pair(restored, original)
    if a.ndim == 2:
        a, b = a[..., None], b[..., None]
    per_channel = np.abs(a - b).mean(axis=(0, 1))
    return float(per_channel.mean())


def psnr(restored: np.ndarray, original: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB (peak 255); ``inf`` for identical images."""
    a, b = _pair(restored, original)
    if np.array_equal(a, b):
        return float("inf")
    return float(skmetrics.peak_signal_noise_ratio(b, a, data_range=255.0))


def ssim(restored: np.ndarray, original: np.ndarray) -> float:
    """Structural similarity (scikit-image defaults: 7x7 window), averaged over channels for colour."""
    a, b = _pair(restored, original)
    channel_axis = 2 if a.ndim == 3 else None
    return float(skmetrics.structural_similarity(b, a, data_range=255.0, channel_axis=channel_axis))


def decode_rate(decoded: int, total: int) -> float:
    """Fraction of images decoded correctly, in [0, 1]."""
    if total < 1 or not 0 <= decoded <= total:
        raise UsageError(f"decode rate needs 0 <= decoded <= total and total >= 1, got {decoded}/{total}")
    return decoded / total
