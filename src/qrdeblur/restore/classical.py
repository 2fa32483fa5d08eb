"""Classical deblurring baselines, image -> image, wrapping :mod:`skimage.restoration`.

Every function takes a grey float image in [0, 1], shape (H, W), and returns float32 (H, W) in
[0, 1]. The oracles (``wiener_oracle``, ``rl_oracle``, ``unsupervised_wiener``) are given the *true*
PSF, so they are non-blind ceilings a blind method has to approach; ``sharpen`` is the blind heuristic
a practitioner would try first.

Borders: Wiener filtering is FFT-based and treats the image as periodic. Each image is edge-padded
by 4 kernel radii (the QR quiet zone is light, so edge padding continues it), the pad is tapered into
the circularly blurred image (MATLAB ``edgetaper``'s idea, see ``_taper_pad``), and the result is
cropped back. On a code whose dark modules touch the border this cuts the mean error from ~0.5 to
~0.04; on paper80 (4-module quiet zone) it changes little. Richardson-Lucy convolves with zero fill
and the dark fringe creeps inwards over its many iterations, so it is edge-padded by at least 40 px
(on the dark-band test, 300 iterations: mean error 0.15 with a 20 px pad, 0.025 with 60 px).

Tuned defaults, measured with zxing-cpp (the decoder's default upscaling, 320 px cubic) on a held-out
draw of the paper80 grid (``paper80(per_cell=8, seed=1)``, 120 images; the benchmark's own seed was
not used for tuning), mean decode rate over the 15 cells:

- Wiener ``balance`` (Laplacian regulariser; measured with plain edge padding): 1e-5 0.100,
  3e-5 0.308, 1e-4 0.417, 3e-4 0.417, 1e-3 0.358, 3e-3 0.183, 1e-2 0.133, 1e-1 0.092 (raw, no
  restoration: 0.083). Refined on ``per_cell=24`` (360 images): 5e-5 0.367, 1e-4 0.386,
  **2e-4 0.397**, 3e-4 0.394, 5e-4 0.361; with the taper, 2 / 4 / 8 radii of padding: 0.397 / 0.397 /
  0.406 at 2e-4 (4 chosen: 8 doubles the FFT size for a gain within noise).
- Richardson-Lucy ``num_iter`` (from skimage's flat 0.5 start it converges slowly on these kernels;
  2-radii padding): 10 0.100, 30 0.125, 100 0.142, 200 0.142, 500 0.175, 1000 0.208, 2000 0.217.
  With a pad of at least 40 px: 500 0.208, **1000 0.233** (60 px, 500: 0.208). About 0.5 s per
  80x80 image at 1000 iterations (2 busy cores), so ``rl-oracle`` takes ~6 min on paper80; 2000
  iterations double that for no clear gain.
- ``unsupervised_wiener`` (no parameter): 0.425, about 10 ms per image.
- ``sharpen`` (unsharp radius, amount, threshold window as a fraction of the short side), 27
  combinations of radius 1/2/3, amount 1/2/4, window 0.2/0.4/1.0: all between 0.017 and 0.100;
  **radius 1, amount 2, window 0.2** is among the three at 0.100. Binarising at 2.8 px per module
  throws away the sub-pixel edge positions the decoder needs, so this heuristic barely beats raw.

References:
    skimage.restoration.wiener, richardson_lucy, unsupervised_wiener (Orieux et al. 2010);
    skimage.filters.unsharp_mask; OpenCV adaptiveThreshold.
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage import filters, restoration

from qrdeblur.errors import UsageError

WIENER_BALANCE = 2e-4
RL_NUM_ITER = 1000
RL_MIN_PAD = 40
SHARPEN_RADIUS = 1.0
SHARPEN_AMOUNT = 2.0
SHARPEN_BLOCK = 0.2


def _check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 2:
        raise UsageError(f"expected a grey (H, W) image, got shape {image.shape}")
    if image.dtype.kind != "f":
        raise UsageError(f"expected a float image in [0, 1], got dtype {image.dtype}")
    return image.astype(np.float32)


def _check_psf(psf: np.ndarray) -> np.ndarray:
    psf = np.asarray(psf, dtype=np.float32)
    if psf.ndim != 2 or psf.shape[0] % 2 == 0 or psf.shape[1] % 2 == 0:
        raise UsageError(f"PSF must be a 2-D array of odd size, got shape {psf.shape}")
    total = psf.sum()
    if not np.isfinite(total) or total <= 0:
        raise UsageError(f"PSF must have a positive finite sum, got {total}")
    # skimage.wiener reads a PSF shaped like its 3x3 Laplacian as a transfer function: zero-pad it
    pad = max(0, (5 - min(psf.shape)) // 2)
    return np.pad(psf / total, pad)


def _pad(image: np.ndarray, psf: np.ndarray, radii: int, min_px: int = 0) -> tuple[np.ndarray, int, int]:
    """Edge-pad by ``radii`` kernel radii + 1, at least ``min_px``, per side; returns (padded, py, px)."""
    py = max(min_px, radii * (psf.shape[0] // 2) + 1)
    px = max(min_px, radii * (psf.shape[1] // 2) + 1)
    return np.pad(image, ((py, py), (px, px)), mode="edge"), py, px


def _ramp(n: int, k: int) -> np.ndarray:
    r = np.ones(n, dtype=np.float32)
    r[:k] = np.linspace(0.0, 1.0, k, endpoint=False)
    r[n - k :] = r[:k][::-1]
    return r


def _circular_convolve(image: np.ndarray, psf: np.ndarray) -> np.ndarray:
    """Periodic convolution by FFT, the PSF centred on pixel (0, 0)."""
    kernel = np.zeros(image.shape, dtype=np.float32)
    kernel[: psf.shape[0], : psf.shape[1]] = psf
    kernel = np.roll(kernel, (-(psf.shape[0] // 2), -(psf.shape[1] // 2)), axis=(0, 1))
    return np.fft.irfft2(np.fft.rfft2(image) * np.fft.rfft2(kernel), s=image.shape).astype(np.float32)


def _taper_pad(image: np.ndarray, psf: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Edge-pad, then taper the pad towards the image blurred *circularly* with ``psf``.

    FFT deconvolution assumes a periodic image; the seam where the padded image wraps around is an
    unblurred step, inconsistent with that model, and the filter rings it across the whole image
    (on a code touching its border the error is ~0.5 per pixel). Blending the pad linearly into the
    circularly blurred image makes the seam look blurred by ``psf`` (the idea of MATLAB's
    ``edgetaper``), which cuts the error ~10x.
    """
    padded, py, px = _pad(image, psf, radii=4)
    circular = _circular_convolve(padded, psf)
    alpha = np.outer(_ramp(padded.shape[0], py), _ramp(padded.shape[1], px))
    return alpha * padded + (1 - alpha) * circular, py, px


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
    padded, py, px = _taper_pad(image, psf)
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
    # RL convolves with zero fill; over many iterations the dark fringe creeps inwards, so the pad
    # is wide (see the module docstring)
    padded, py, px = _pad(image, psf, radii=2, min_px=RL_MIN_PAD)
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
    padded, py, px = _taper_pad(image, psf)
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
        raise UsageError(
            f"sharpen needs radius > 0, amount >= 0, 0 < block <= 1; got {radius}, {amount}, {block}"
        )
    sharp = filters.unsharp_mask(image, radius=radius, amount=amount, preserve_range=True)
    sharp = np.clip(sharp, 0.0, 1.0)
    side = max(3, int(round(block * min(image.shape))) | 1)
    u8 = np.round(sharp * 255).astype(np.uint8)
    binary = cv2.adaptiveThreshold(u8, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, side, 0)
    return (binary / 255.0).astype(np.float32)
