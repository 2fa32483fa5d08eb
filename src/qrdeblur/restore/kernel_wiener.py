"""The kernel-estimate + Wiener front end of the ``wiener-qrunet`` generator (torch-free).

A blind generator alone barely restores long motion blur at 80 px (the shipped ``qrunet`` reads
nothing from 10 px of motion on in ``paper80``), while Wiener deconvolution with the *true* kernel
reads most of those codes. So the generator is split in three: a small network estimates the blur
kernel (motion length, angle and Gaussian sigma) from the image and its log power spectrum, Wiener
deconvolves with that kernel (:func:`qrdeblur.restore.wiener_batch.wiener_batch`), and a U-Net
refines the Wiener output, seeing the blurred image beside it. This module holds the parts the
training code (torch) and the inference code (onnxruntime) share, so both compute the same thing:

- :func:`estimator_features`: what the estimator sees, a fixed 80x80 view of any image (the blur
  is assumed uniform over a crop, so the centre stands for the whole): the image and the log
  magnitude of its spectrum (where motion blur draws its stripes), each normalised.
- :func:`encode_blur` / :func:`decode_blur`: the estimator's 3 (or 4) outputs. Motion is symmetric under a
  half turn, so the angle is encoded doubled, as the vector (L cos 2t, L sin 2t) / 10 px: continuous
  everywhere, including at no motion where the angle means nothing; then sigma in px; a 4-output
  estimator adds a defocus disk's radius (/ 4 px), whose spectrum has zeros a Gaussian lacks.
- :func:`front_end`: blurred batch + estimates -> the refiner's 2-channel input (Wiener, blurred).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from qrdeblur.errors import UsageError
from qrdeblur.restore.finder_kernel import kernel_of
from qrdeblur.restore.wiener_batch import wiener_batch

ESTIMATOR_SIZE = 80
LENGTH_SCALE = 10.0
MAX_LENGTH = 30.0
SIGMA_RANGE = (0.3, 4.0)
RADIUS_SCALE = 4.0
MAX_RADIUS = 12.0


def _centre_view(images: np.ndarray, size: int) -> np.ndarray:
    """The central ``size`` x ``size`` window of each image, edge-padded where an image is smaller."""
    n, h, w = images.shape
    ph, pw = max(0, size - h), max(0, size - w)
    if ph or pw:
        images = np.pad(images, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)), mode="edge")
        n, h, w = images.shape
    top, left = (h - size) // 2, (w - size) // 2
    return images[:, top : top + size, left : left + size]


def _standardise(x: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=(-2, -1), keepdims=True)
    std = x.std(axis=(-2, -1), keepdims=True)
    return (x - mean) / (std + 1e-6)


def estimator_features(images: np.ndarray, size: int = ESTIMATOR_SIZE) -> np.ndarray:
    """(N, H, W) grey float in [0, 1] -> (N, 2, size, size) float32: standardised image and log spectrum."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 3:
        raise UsageError(f"expected a batch of grey images (N, H, W), got shape {x.shape}")
    view = _centre_view(x, size)
    centred = view - view.mean(axis=(-2, -1), keepdims=True)
    spectrum = np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(centred), axes=(-2, -1))))
    return np.stack([_standardise(view), _standardise(spectrum)], axis=1).astype(np.float32)


def encode_blur(length: float, angle: float, sigma: float, radius: float | None = None) -> np.ndarray:
    """Estimator target for motion ``length`` px at ``angle`` degrees then Gaussian ``sigma`` px
    (3 numbers), and a defocus disk of ``radius`` px when given (a 4th, radius / ``RADIUS_SCALE``).

    A length below 1 px is the identity kernel (``kernels.motion``), encoded as 1 px.
    """
    length = max(1.0, float(length))
    doubled = np.deg2rad(2 * float(angle))
    values = [length * np.cos(doubled) / LENGTH_SCALE, length * np.sin(doubled) / LENGTH_SCALE, float(sigma)]
    if radius is not None:
        values.append(float(radius) / RADIUS_SCALE)
    return np.array(values, dtype=np.float32)


def decode_blur(vector: np.ndarray) -> tuple[float, ...]:
    """(length px, angle degrees in [0, 180), sigma px[, disk radius px]) from an estimator output of 3
    [or 4] numbers, clipped to sane ranges; :func:`~qrdeblur.restore.finder_kernel.kernel_of` takes them."""
    a, b, sigma, *rest = (float(v) for v in vector)
    length = min(MAX_LENGTH, LENGTH_SCALE * float(np.hypot(a, b)))
    angle = float(np.rad2deg(np.arctan2(b, a)) / 2) % 180.0
    out = (max(1.0, length), angle, float(np.clip(sigma, *SIGMA_RANGE)))
    if rest:
        out += (float(np.clip(rest[0] * RADIUS_SCALE, 0.0, MAX_RADIUS)),)
    return out


def front_end(grey: np.ndarray, estimate: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The refiner's input for a grey batch (N, H, W): (N, 2, H, W) float32 = (Wiener, blurred).

    ``estimate`` maps :func:`estimator_features` to (N, 3) or (N, 4) estimator outputs (the torch network in
    training, its ONNX graph at inference).
    """
    x = np.asarray(grey, dtype=np.float32)
    vectors = np.asarray(estimate(estimator_features(x)), dtype=np.float32)
    psfs = [kernel_of(*decode_blur(v)) for v in vectors]
    return np.stack([wiener_batch(x, psfs), x], axis=1)


__all__ = [
    "ESTIMATOR_SIZE",
    "decode_blur",
    "encode_blur",
    "estimator_features",
    "front_end",
]
