"""The photograph behind the ``scan`` preset (:func:`qrdeblur.synth.presets.scan_pair`): a camera's
blur at native resolution, the code on its label on a surface under uneven light, the sensor, and the
scale the ``scan`` cascade rectifies a located code to.
"""

from __future__ import annotations

import cv2
import numpy as np

from qrdeblur.geometry import quad_side
from qrdeblur.synth import degrade, kernels, scene

#: The cascade's working scales (:data:`qrdeblur.scan.config.MAIN_STEPS` / ``ALT_STEPS``) and how
#: often a ``scan`` pair uses each: (kind, factor, contrast stretched, probability).
SCAN_SCALES = (
    ("module", 3.0, True, 0.5),
    ("side", 128.0, True, 0.2),
    ("native", 1.0, True, 0.1),
    ("native", 0.5, False, 0.05),
    ("native", 1.25, False, 0.05),
    ("module", 4.0, False, 0.1),
)
#: Bounds of the rectified square's side and its margin fraction (:class:`~qrdeblur.scan.config.CascadeConfig`).
SCAN_MIN_SIDE, SCAN_MAX_SIDE, SCAN_MARGIN = 64, 256, 0.15


def scan_psf_dominant(rng: np.random.Generator) -> tuple[np.ndarray, dict, np.ndarray]:
    """One dominant camera blur (motion 45 %, shake 20 %, defocus 20 %, Gaussian 15 %, the ranges of
    :func:`scan_psf`) on top of a slight lens softness (Gaussian sigma 0.3-0.8 px).

    Why: :func:`scan_psf` composes independent parts, so many of its pairs stack a long motion, a wide
    disk and a wide Gaussian, a blur nothing restores; a photo usually has one dominant cause.
    """
    kind = str(rng.choice(["motion", "shake", "defocus", "gaussian"], p=[0.45, 0.2, 0.2, 0.15]))
    params: dict = {"dominant_blur": kind}
    disk_part = None
    if kind == "motion":
        length, theta = float(rng.uniform(1, 25)), float(rng.uniform(0, 180))
        part = kernels.motion(length, theta)
        params.update(motion_length=length, motion_angle=theta)
    elif kind == "shake":
        canvas = int(rng.choice([15, 21, 27, 31]))
        max_length = float(rng.uniform(3, canvas * 0.9))
        part = kernels.trajectory(rng, canvas=canvas, max_length=max_length, steps=400)
        params.update(shake_canvas=canvas, shake_length=max_length)
    elif kind == "defocus":
        radius = float(rng.uniform(0.5, 7.0))
        part = disk_part = kernels.disk(radius)
        params["disk_radius"] = radius
    else:
        sigma = float(rng.uniform(0.3, 3.0))
        part = kernels.gaussian(sigma)
        params["gaussian_sigma"] = sigma
    lens_sigma = float(rng.uniform(0.3, 0.8))
    lens = kernels.gaussian(lens_sigma)
    params["lens_sigma"] = lens_sigma
    no_disk = lens if part is disk_part else kernels.compose(part, lens)
    return kernels.compose(part, lens), params, no_disk


def scan_psf(rng: np.random.Generator) -> tuple[np.ndarray, dict, np.ndarray]:
    """A camera's blur at native resolution: motion <= 25 px, defocus disk <= 7 px, Gaussian <= 3, shake.

    Each part is drawn independently (so mild and severe blurs both occur); at least a slight
    Gaussian when none is drawn. Returns the kernel, its parameters and the kernel without the disk
    (what a motion + Gaussian + disk description fits by moments, the disk kept apart).
    """
    parts, params = [], {}
    if rng.random() < 0.6:
        length, theta = float(rng.uniform(0, 25)), float(rng.uniform(0, 180))
        parts.append(kernels.motion(length, theta))
        params.update(motion_length=length, motion_angle=theta)
    disk_part = None
    if rng.random() < 0.35:
        radius = float(rng.uniform(0.5, 7.0))
        disk_part = kernels.disk(radius)
        parts.append(disk_part)
        params["disk_radius"] = radius
    if rng.random() < 0.2:
        canvas = int(rng.choice([15, 21, 27, 31]))
        max_length = float(rng.uniform(3, canvas * 0.9))
        parts.append(kernels.trajectory(rng, canvas=canvas, max_length=max_length, steps=400))
        params.update(shake_canvas=canvas, shake_length=max_length)
    if rng.random() < 0.6 or not parts:
        sigma = float(rng.uniform(0.3, 3.0))
        parts.append(kernels.gaussian(sigma))
        params["gaussian_sigma"] = sigma
    no_disk = [k for k in parts if k is not disk_part]
    return kernels.compose(*parts), params, kernels.compose(*no_disk)


def scan_side(rng: np.random.Generator, quad: np.ndarray, n_modules: int, symbol_px: float) -> tuple:
    """The side the cascade would rectify ``quad`` to, as (side, scale kind, factor, stretched).

    ``module`` scales divide the quad by an estimate of the native module size (``symbol_px /
    n_modules``, off by a few percent like :func:`~qrdeblur.geometry.estimate_module_px`).
    """
    probs = np.array([s[3] for s in SCAN_SCALES])
    kind, factor, stretch, _ = SCAN_SCALES[int(rng.choice(len(SCAN_SCALES), p=probs / probs.sum()))]
    if kind == "module":
        module_est = symbol_px / n_modules * (1 + float(rng.normal(0, 0.04)))
        side = quad_side(quad) / module_est * factor
    elif kind == "side":
        side = factor
    else:
        side = quad_side(quad) * factor
    return int(np.clip(round(side), SCAN_MIN_SIDE, SCAN_MAX_SIDE)), kind, factor, stretch


def scan_region(quad: np.ndarray, side: int, margin: int, window: tuple[int, int, int], pad: int) -> tuple:
    """Native pixels (x0, y0, x1, y1) that the ``window`` (y, x, size) of the rectified crop of
    ``quad`` is sampled from, plus ``pad`` (the blur's reach): the only part worth rendering."""
    far = margin + side
    dst = np.float32([[margin, margin], [far, margin], [far, far], [margin, far]])
    to_crop = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    y, x, size = window
    box = np.float32([[[x - 1, y - 1]], [[x + size, y - 1]], [[x + size, y + size]], [[x - 1, y + size]]])
    pts = cv2.perspectiveTransform(box, np.linalg.inv(to_crop)).reshape(4, 2)
    x0, y0 = np.floor(pts.min(axis=0) - pad).astype(int)
    x1, y1 = np.ceil(pts.max(axis=0) + pad).astype(int) + 1
    return int(x0), int(y0), int(x1), int(y1)


def photograph(rng: np.random.Generator, matrix: np.ndarray, to_region: np.ndarray, shape, module_px, meta):
    """The code on its label on a surface, under uneven light, as float32 in [0, 1] (not yet blurred)."""
    label = int(rng.integers(2, 7))
    code, alpha = scene.split_label(scene.render_label(matrix, label, to_region, shape))
    background, params = scene.surface(rng, shape, module_px)
    dark, light = float(rng.uniform(0.0, 0.35)), float(rng.uniform(0.6, 1.0))
    printed = alpha * (dark + code * (light - dark)) + (1 - alpha) * background
    gain, light_params = scene.shading(rng, shape)
    meta.update(label_modules=label, dark=dark, light=light, **params, **light_params)
    return np.clip(printed * gain, 0, 1).astype(np.float32)


def sensor(rng: np.random.Generator, image: np.ndarray, meta: dict) -> np.ndarray:
    """Sensor noise and (60 %) JPEG compression; returns uint8, what a photo file holds."""
    image = degrade.sensor_noise(image, rng, meta, gaussian_share=0.6, jpeg_share=0.6)
    return degrade.to_uint8(image)


def homography_jacobian(matrix: np.ndarray, x: float, y: float) -> np.ndarray:
    """The 2x2 derivative (x, y order) of the projective map ``matrix`` at the point (x, y)."""
    h = np.asarray(matrix, dtype=np.float64)
    w = h[2, 0] * x + h[2, 1] * y + h[2, 2]
    mapped = (h[:2, 0] * x + h[:2, 1] * y + h[:2, 2]) / w
    return (h[:2, :2] - np.outer(mapped, h[2, :2])) / w


__all__ = [
    "SCAN_MARGIN",
    "SCAN_MAX_SIDE",
    "SCAN_MIN_SIDE",
    "SCAN_SCALES",
    "homography_jacobian",
    "photograph",
    "scan_psf",
    "scan_psf_dominant",
    "scan_region",
    "scan_side",
    "sensor",
]
