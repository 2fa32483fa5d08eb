"""Classical deblurring baselines, image -> image, wrapping :mod:`skimage.restoration`.

Placeholder docstring; tuned values are filled in after measurement.
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage import filters, restoration

from qrdeblur.errors import UsageError

WIENER_BALANCE = 0.01
RL_NUM_ITER = 30
SHARPEN_RADIUS = 2.0
SHARPEN_AMOUNT = 2.0
SHARPEN_BLOCK = 0.4


def _check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 2:
        raise UsageError(f"expected a grey (H, W) image, got shape {image.shape}")
    if image.dtype.kind != "f":
        raise UsageError(f"expected a float image in [0, 1], got dtype {image.dtype}")
    return image.astype(np.float64)


def _check_psf(psf: np.ndarray) -> np.ndarray:
    psf = np.asarray(psf, dtype=np.float64)
    if psf.ndim != 2 or psf.shape[0] % 2 == 0 or psf.shape[1] % 2 == 0:
        raise UsageError(f"PSF must be a 2-D array of odd size, got shape {psf.shape}")
    total = psf.sum()
    if not np.isfinite(total) or total <= 0:
        raise UsageError(f"PSF must have a positive finite sum, got {total}")
    # skimage.wiener reads a PSF shaped like its 3x3 Laplacian as a transfer function: zero-pad it
    pad = max(0, (5 - min(psf.shape)) // 2)
    return np.pad(psf / total, pad)


def _pad(image: np.ndarray, psf: np.ndarray) -> tuple[np.ndarray, int, int]:
    # twice the kernel radius: the FFT filters are circular, and edge padding keeps the wrap-around
    # (and the ringing it causes) outside the crop
    py, px = psf.shape[0] - 1, psf.shape[1] - 1
    return np.pad(image, ((py, py), (px, px)), mode="edge"), py, px


def _finish(out: np.ndarray, py: int, px: int, shape: tuple[int, int]) -> np.ndarray:
    out = out[py : py + shape[0], px : px + shape[1]]
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def wiener_oracle(image: np.ndarray, psf: np.ndarray, balance: float = WIENER_BALANCE) -> np.ndarray:
    """Wiener-Hunt deconvolution with the true PSF (a non-blind ceiling for blind methods).

    Args:
        image: blurred grey image, float in [0, 1], shape (H, W).
        psf: the kernel the image was blurred with (odd size, any positive sum; normalised here).
        balance: regularisation weight of the Laplacian prior (noise-to-signal trade-off).

    Returns:
        float32 (H, W) in [0, 1].
    """
    image, psf = _check_image(image), _check_psf(psf)
    if not np.isfinite(balance) or balance <= 0:
        raise UsageError(f"Wiener balance must be a finite number > 0, got {balance}")
    padded, py, px = _pad(image, psf)
    out = restoration.wiener(padded, psf, balance, clip=False)
    return _finish(out, py, px, image.shape)


def rl_oracle(image: np.ndarray, psf: np.ndarray, num_iter: int = RL_NUM_ITER) -> np.ndarray:
    """Richardson-Lucy deconvolution with the true PSF (a non-blind ceiling).

    Args:
        image: blurred grey image, float in [0, 1], shape (H, W).
        psf: the true kernel (odd size; normalised here).
        num_iter: number of multiplicative updates.

    Returns:
        float32 (H, W) in [0, 1].
    """
    image, psf = _check_image(image), _check_psf(psf)
    if int(num_iter) != num_iter or num_iter < 1:
        raise UsageError(f"Richardson-Lucy num_iter must be an integer >= 1, got {num_iter}")
    padded, py, px = _pad(image, psf)
    out = restoration.richardson_lucy(padded, psf, num_iter=int(num_iter), clip=False)
    return _finish(out, py, px, image.shape)


def unsupervised_wiener(image: np.ndarray, psf: np.ndarray, seed: int = 0) -> np.ndarray:
    """Wiener-Hunt deconvolution with the true PSF and a self-tuned (Gibbs-sampled) regularisation.

    Args:
        image: blurred grey image, float in [0, 1], shape (H, W).
        psf: the true kernel (odd size; normalised here).
        seed: seed of the sampler, so results are reproducible.

    Returns:
        float32 (H, W) in [0, 1].
    """
    image, psf = _check_image(image), _check_psf(psf)
    padded, py, px = _pad(image, psf)
    out, _ = restoration.unsupervised_wiener(padded, psf, clip=False, rng=np.random.default_rng(seed))
    return _finish(out, py, px, image.shape)


def sharpen(
    image: np.ndarray,
    radius: float = SHARPEN_RADIUS,
    amount: float = SHARPEN_AMOUNT,
    block: float = SHARPEN_BLOCK,
) -> np.ndarray:
    """Blind heuristic: unsharp mask, then a local (adaptive mean) threshold to a black/white image.

    Args:
        image: blurred grey image, float in [0, 1], shape (H, W).
        radius: Gaussian sigma of the unsharp mask, in pixels.
        amount: unsharp-mask gain.
        block: side of the adaptive-threshold window as a fraction of the short image side.

    Returns:
        float32 (H, W), values 0 or 1.
    """
    image = _check_image(image)
    if radius <= 0 or amount < 0 or not 0 < block <= 1:
        raise UsageError(f"sharpen needs radius > 0, amount >= 0, 0 < block <= 1; got {radius}, {amount}, {block}")
    sharp = filters.unsharp_mask(image, radius=radius, amount=amount, preserve_range=True)
    sharp = np.clip(sharp, 0.0, 1.0)
    side = max(3, int(round(block * min(image.shape))) | 1)
    u8 = np.round(sharp * 255).astype(np.uint8)
    binary = cv2.adaptiveThreshold(u8, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, side, 0)
    return (binary / 255.0).astype(np.float32)
