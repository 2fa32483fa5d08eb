"""Codes under camera shake and linear motion: the scenes of the ``shake`` suite and of the blur
estimator's training pairs.

One code (a light quiet zone of 2-4 modules on a textured surface, any rotation, mild perspective) is
blurred by a camera-shake path after Boracchi & Foi (2012; :func:`qrdeblur.synth.kernels.shake_path`,
the model behind DeblurGAN's data: inertia and sudden jerks, rasterised with sub-pixel accuracy) or,
for a share of the scenes whose extent range allows it, by linear motion of 3-10 modules; then
Gaussian noise (std 0.005-0.02) and JPEG (quality 80-95). Each scene keeps its true path, PSF, outline
and the sharp picture it was blurred from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from qrdeblur.qrspec import modules
from qrdeblur.synth import degrade, kernels
from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix
from qrdeblur.synth.scene import camera_homography, render_label, split_label, surface, translate

#: Linear motion is drawn within this extent (module widths), for about this share of the scenes.
LINEAR_RANGE = (3.0, 10.0)
LINEAR_SHARE = 0.3


@dataclass
class ShakeItem:
    """One code under a known blur.

    Attributes:
        image: (H, W) uint8 grey photo.
        payloads: the code's payload (a list of one, as in every scene suite).
        cell: the blur-extent cell (:data:`CELLS`).
        corners: the symbol's outline (4 x 2, its own top-left, top-right, bottom-right, bottom-left; px).
        version: the symbol's version.
        module_px: module pitch (px) before perspective.
        path: the blur's path (N x 2, px, equal time per point).
        psf: the blur (``path`` rasterised; odd square, centred on the path's bounding box).
        to_image: homography from module coordinates (symbol top-left at 0) to image pixels.
        meta: the drawn parameters.
    """

    image: np.ndarray
    payloads: list[str]
    cell: str
    corners: np.ndarray
    version: int
    module_px: float
    path: np.ndarray
    psf: np.ndarray
    to_image: np.ndarray
    meta: dict = field(default_factory=dict)


def _linear_path(length: float, angle: float, points: int = 400) -> np.ndarray:
    t = np.linspace(-0.5, 0.5, points) * length
    return np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)


def _blur_path(
    rng: np.random.Generator, extent_range: tuple[float, float], module_px: float, linear_share: float = LINEAR_SHARE
) -> tuple[np.ndarray, dict]:
    """A blur path (px) of an extent drawn in ``extent_range`` (module widths), and its parameters."""
    lo, hi = extent_range
    a, b = max(lo, LINEAR_RANGE[0]), min(hi, LINEAR_RANGE[1])
    if a < b and rng.random() < linear_share:
        extent = float(rng.uniform(a, b))
        angle = float(rng.uniform(0, np.pi))
        return _linear_path(extent * module_px, angle), {"kind": "linear", "extent_modules": round(extent, 3)}
    extent = float(rng.uniform(lo, hi))
    z = kernels.shake_path(rng, 1.0)
    z = z * (extent * module_px / max(kernels.path_extent(z), 1e-9))
    return np.stack([z.real, z.imag], axis=1), {"kind": "shake", "extent_modules": round(extent, 3)}


def shake_scene(
    rng: np.random.Generator,
    spec: tuple[str, int, str],
    cell: str,
    extent_range: tuple[float, float],
    module_px_range: tuple[float, float] = (3.0, 6.0),
    linear_share: float = LINEAR_SHARE,
    defocus: bool = False,
) -> tuple[ShakeItem, np.ndarray]:
    """One code ``spec`` ((payload, version, ECC)) under a blur of ``extent_range`` module widths, drawn
    from ``rng``: the item and the sharp scene it was blurred from (float32, [0, 1], the item's shape).
    The suite's items and the kernel estimator's training pairs are drawn by this one function.
    ``defocus``: a pillbox of that radius instead of a path (``path`` is then the single centre point)."""
    payload, version, ecc = spec
    n = modules(version)
    module_px = float(rng.uniform(*module_px_range))
    quiet = int(rng.integers(2, 5))
    matrix = module_matrix(make_symbol(QRSpec(payload, version, ecc)), 0)
    hom, view = camera_homography(rng, n, module_px, float(rng.uniform(0.0, 0.04)))
    if defocus:
        radius = float(rng.uniform(*extent_range))
        path, blur = np.zeros((1, 2)), {"kind": "defocus", "radius_modules": round(radius, 3)}
        psf = kernels.disk(radius * module_px)
    else:
        path, blur = _blur_path(rng, extent_range, module_px, linear_share)
        psf = kernels.path_kernel(path)
    side = int(np.ceil((n + 2 * quiet) * module_px * 1.45 + psf.shape[0] + 48))
    to_image = translate(side / 2, side / 2) @ hom
    code, alpha = split_label(render_label(matrix, quiet, to_image, (side, side)))
    ground, _ = surface(rng, (side, side), module_px)
    dark, light = float(rng.uniform(0.03, 0.2)), float(rng.uniform(0.75, 0.95))
    sharp = (alpha * (dark + (light - dark) * code) + (1 - alpha) * ground).astype(np.float32)
    img = degrade.convolve(sharp, psf)
    img, noise = degrade.gaussian_noise(img, rng, float(rng.uniform(0.005, 0.02)))
    img, jpeg = degrade.jpeg(img, rng, quality=(80, 95))
    corners = cv2.perspectiveTransform(
        np.float64([[0, 0], [n, 0], [n, n], [0, n]]).reshape(-1, 1, 2), to_image
    ).reshape(4, 2)
    meta = {"module_px": round(module_px, 3), "quiet": quiet, **view, **blur, **noise, **jpeg}
    item = ShakeItem(degrade.to_uint8(img), [payload], cell, corners, version, module_px, path, psf, to_image, meta)
    return item, np.clip(sharp, 0.0, 1.0)


#: The blur estimator's frame: a candidate's region scaled so that its outline's side is this many px
#: (a version-1 code at 3.8 px per module, a version-6 one at 2 px; blur detail of half a module still
#: restores: kernels resampled to 2 px per module read as many codes as the true ones).
FRAME_SIDE = 80.0


def frame_scale(quad) -> float:
    """The factor that takes image px to the estimator's frame for a candidate outlined by ``quad``."""
    q = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    side = float(np.mean(np.linalg.norm(q - np.roll(q, -1, axis=0), axis=1)))
    return FRAME_SIDE / max(side, 1.0)


def to_frame(image: np.ndarray, scale: float) -> np.ndarray:
    """``image`` (float32) resampled by ``scale`` (area-averaged when shrinking)."""
    h, w = image.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
