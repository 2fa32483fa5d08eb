"""A learned, non-parametric blur estimate: a network pictures the sharp scene, least squares gives the
kernel between that picture and the photo, Wiener restores the photo with it.

Why this way round: a network that predicts the kernel itself must learn every shape camera shake can
take; a network that predicts the sharp scene (``shake-latent``, a U-Net trained on
:func:`~qrdeblur.synth.presets.shake_frame_pair` by ``configs/ablations/shake-latent.yaml``) only has
to be roughly right, because the kernel that blurs its picture into the photo is fitted over thousands
of pixels at once (:func:`~qrdeblur.restore.blind_kernel.fit_kernel_nonneg`).

Measured (``docs/research/README.md``): given the true sharp scene the fitted kernels read as many
``shake`` codes as the true kernels; but the fit needs about 90 % of the picture's modules right, and
the network trained for an hour on a CPU pins the blur only up to 4-6 module widths, where the
straight-line ``kernel-search`` already reads. So no step list of the product runs this; the step
kind ``latent-kernel`` stays for experiments (``CascadeConfig.latent_model``). The fitted kernel
is any shape (a curved shake, a jerk, a line); the two-tone refinement of
:mod:`qrdeblur.restore.blind_kernel` then polishes it at full resolution. The network runs in the
estimator's frame (the candidate's region scaled so that its outline's side is
:data:`~qrdeblur.synth.shake.FRAME_SIDE` px), so one model serves any code size.

Every restoration is only decoded, and zxing-cpp checks the error correction, so a wrong kernel gives
a failed read, never a false one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from qrdeblur.restore.blind_kernel import fit_kernel_nonneg, refinements
from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.restore.deblurrer import Deblurrer
from qrdeblur.synth import kernels
from qrdeblur.synth.shake import FRAME_SIDE, frame_scale, to_frame

#: The fitted kernel's support in the frame: up to 13 module widths of a version-1 code.
FRAME_KERNEL_SIDE = 57
#: Region around the outline (fraction of its side, and px): the code and its blur halo.
REGION_MARGIN = (0.35, 8)


Picture = Callable[[np.ndarray], np.ndarray]


@lru_cache(maxsize=4)
def _network(path: str) -> Deblurrer:
    return Deblurrer.load(path, threads=1)


def latent_picture(model: str | Path | None) -> Picture | None:
    """The network ``model`` (.onnx; None: no network, None returned) as a function from a frame ((H, W)
    float32 in [0, 1]) to its sharp picture; loaded once per process."""
    if model is None:
        return None
    net = _network(str(Path(model).resolve()))

    def picture(frame: np.ndarray) -> np.ndarray:
        return net.deblur_float(np.asarray(frame, dtype=np.float32)[None, None])[0, 0]

    return picture


def code_region(quad, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): the image region holding the code outlined by ``quad`` and its blur halo."""
    q = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    side = float(np.mean(np.linalg.norm(q - np.roll(q, -1, axis=0), axis=1)))
    pad = REGION_MARGIN[0] * side + REGION_MARGIN[1]
    h, w = shape
    x0, y0 = np.maximum(0, np.floor(q.min(axis=0) - pad)).astype(int)
    x1, y1 = np.minimum((w, h), np.ceil(q.max(axis=0) + pad)).astype(int)
    return int(x0), int(y0), int(x1), int(y1)


def to_image_kernel(k: np.ndarray, scale: float) -> np.ndarray:
    """A kernel fitted in the frame, resampled to image px (odd, centred, non-negative, sum 1)."""
    side = int(round(k.shape[0] / scale))
    side += 1 - side % 2
    out = np.clip(cv2.resize(k.astype(np.float32), (side, side), interpolation=cv2.INTER_LINEAR), 0, None)
    out = kernels.centred(out.astype(np.float64), side)
    return out / out.sum() if out.sum() > 0 else kernels.identity()


def trim(k: np.ndarray, mass: float = 0.995) -> np.ndarray:
    """``k`` cut to the smallest centred odd square holding ``mass`` of its weight (a smaller support
    keeps the refinement's fit well posed)."""
    h = k.shape[0] // 2
    total = k.sum()
    for r in range(1, h + 1):
        if k[h - r : h + r + 1, h - r : h + r + 1].sum() >= mass * total:
            out = k[h - r : h + r + 1, h - r : h + r + 1]
            return out / out.sum()
    return k


def frame_kernel(picture: np.ndarray, frame: np.ndarray, side: int = FRAME_KERNEL_SIDE) -> np.ndarray:
    """The kernel (frame px) that blurs the network's ``picture`` into the observed ``frame``: the
    non-negative least-squares fit of :func:`~qrdeblur.restore.blind_kernel.fit_kernel_nonneg`, on a
    support no larger than the frame allows, trimmed."""
    side = min(side, min(frame.shape) - 1 - (min(frame.shape) % 2 == 0))
    return trim(fit_kernel_nonneg(picture.astype(np.float64), frame.astype(np.float64), side))


def latent_kernel_restorations(
    grey: np.ndarray, quad, picture: Picture, rounds: int = 3, balances: tuple[float, ...] = (0.01, 0.003)
) -> Iterator[tuple[np.ndarray, np.ndarray, tuple[int, int]]]:
    """(kernel in image px, Wiener restoration of the code's region in [0, 1], region origin (x, y)) for
    the candidate ``quad`` in ``grey`` (float [0, 1]): each kernel fitted to the network's picture
    (``picture``: frame (H, W) float32 -> sharp picture, same shape), at each balance, then ``rounds``
    two-tone refinements of it at full resolution."""
    x0, y0, x1, y1 = code_region(quad, grey.shape)
    region = grey[y0:y1, x0:x1].astype(np.float64)
    if min(region.shape) < 32:
        return
    scale = frame_scale(quad)
    frame = to_frame(region.astype(np.float32), scale)
    for k in (to_image_kernel(frame_kernel(picture(frame), frame), scale),):
        for balance in balances:
            yield k, wiener_oracle(region, k, balance), (x0, y0)
        for i, (k2, restored) in enumerate(refinements(region, k, rounds, grow=2)):
            if i:
                yield k2, restored, (x0, y0)


__all__ = [
    "FRAME_SIDE",
    "Picture",
    "code_region",
    "frame_kernel",
    "latent_kernel_restorations",
    "latent_picture",
    "to_image_kernel",
    "trim",
]
