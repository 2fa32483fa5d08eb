"""The ``shake`` suite: single codes under camera shake and linear motion of 1 to 12 module widths.

Why: the blur a hand or a conveyor gives is neither a straight line with a Gaussian nor a disk, and
past about 3 module widths the parametric estimate fails. Each item is one code (versions 1-6, 3-6 px
per module, a light quiet zone of 2-4 modules on a textured surface, any rotation, mild perspective)
blurred by a camera-shake path after Boracchi & Foi (2012; :func:`qrdeblur.synth.kernels.shake_path`,
the model behind DeblurGAN's data: inertia and sudden jerks, rasterised with sub-pixel accuracy) or,
for about a third of the items whose cell allows it, by linear motion of 3-10 modules; then Gaussian
noise (std 0.005-0.02) and JPEG (quality 80-95).

Cells are the blur's extent (the largest distance between two points of its path) in module widths:
:data:`CELLS`, :data:`SHAKE_PER_CELL` items each, in turn. Items keep the true path, PSF and outline,
so the ``oracle`` method can restore them non-blind (the ceiling a blind estimate is measured against).
Payloads are reserved (:func:`qrdeblur.synth.reserved.shake_payload_specs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from qrdeblur.bench.scoring import scene_scorer
from qrdeblur.bench.suites.base import Suite
from qrdeblur.errors import UsageError
from qrdeblur.qrspec import modules
from qrdeblur.synth import degrade, kernels
from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix
from qrdeblur.synth.reserved import SHAKE_RESERVED_COUNT, shake_payload_specs
from qrdeblur.synth.scene import camera_homography, render_label, split_label, surface, translate

SHAKE_SEED = 50_500
#: Blur extent cells, in module widths (upper bounds inclusive).
CELLS = ("<=2", "2-4", "4-6", "6-9", "9-12")
CELL_RANGES = {"<=2": (1.0, 2.0), "2-4": (2.0, 4.0), "4-6": (4.0, 6.0), "6-9": (6.0, 9.0), "9-12": (9.0, 12.0)}
SHAKE_PER_CELL = 40
#: Linear motion is drawn within this extent (module widths), for about this share of the items.
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


def _blur_path(rng: np.random.Generator, cell: str, module_px: float) -> tuple[np.ndarray, dict]:
    """A blur path for ``cell`` (px) and its parameters."""
    lo, hi = CELL_RANGES[cell]
    a, b = max(lo, LINEAR_RANGE[0]), min(hi, LINEAR_RANGE[1])
    if a < b and rng.random() < LINEAR_SHARE:
        extent = float(rng.uniform(a, b))
        angle = float(rng.uniform(0, np.pi))
        return _linear_path(extent * module_px, angle), {"kind": "linear", "extent_modules": round(extent, 3)}
    extent = float(rng.uniform(lo, hi))
    z = kernels.shake_path(rng, 1.0)
    z = z * (extent * module_px / max(kernels.path_extent(z), 1e-9))
    return np.stack([z.real, z.imag], axis=1), {"kind": "shake", "extent_modules": round(extent, 3)}


def shake_item(index: int, seed: int, spec: tuple[str, int, str]) -> ShakeItem:
    """Item ``index`` of the items drawn from ``seed``, holding the code ``spec`` ((payload, version, ECC));
    its cell is ``CELLS[index % len(CELLS)]``."""
    rng = np.random.default_rng([seed, index])
    payload, version, ecc = spec
    cell = CELLS[index % len(CELLS)]
    n = modules(version)
    module_px = float(rng.uniform(3.0, 6.0))
    quiet = int(rng.integers(2, 5))
    matrix = module_matrix(make_symbol(QRSpec(payload, version, ecc)), 0)
    hom, view = camera_homography(rng, n, module_px, float(rng.uniform(0.0, 0.04)))
    path, blur = _blur_path(rng, cell, module_px)
    psf = kernels.path_kernel(path)
    side = int(np.ceil((n + 2 * quiet) * module_px * 1.45 + psf.shape[0] + 48))
    to_image = translate(side / 2, side / 2) @ hom
    code, alpha = split_label(render_label(matrix, quiet, to_image, (side, side)))
    ground, _ = surface(rng, (side, side), module_px)
    dark, light = float(rng.uniform(0.03, 0.2)), float(rng.uniform(0.75, 0.95))
    img = alpha * (dark + (light - dark) * code) + (1 - alpha) * ground
    img = degrade.convolve(img.astype(np.float32), psf)
    img, noise = degrade.gaussian_noise(img, rng, float(rng.uniform(0.005, 0.02)))
    img, jpeg = degrade.jpeg(img, rng, quality=(80, 95))
    corners = cv2.perspectiveTransform(
        np.float64([[0, 0], [n, 0], [n, n], [0, n]]).reshape(-1, 1, 2), to_image
    ).reshape(4, 2)
    meta = {"index": index, "module_px": round(module_px, 3), "quiet": quiet, **view, **blur, **noise, **jpeg}
    return ShakeItem(
        degrade.to_uint8(img), [payload], cell, corners, version, module_px, path, psf, to_image, meta
    )


def shake_suite(per_cell: int = SHAKE_PER_CELL, seed: int = SHAKE_SEED) -> list[ShakeItem]:
    """The deterministic ``shake`` suite: ``per_cell`` items in each of :data:`CELLS`; item ``i`` depends
    only on (seed, i), so a smaller suite is a prefix of a larger one."""
    count = per_cell * len(CELLS)
    if not 1 <= count <= SHAKE_RESERVED_COUNT:
        raise UsageError(f"shake suite size must be in 1..{SHAKE_RESERVED_COUNT} items, got {count}")
    specs = shake_payload_specs(count)
    return [shake_item(i, seed, specs[i]) for i in range(count)]


SUITE = Suite(
    "shake",
    "scene",
    shake_suite,
    scene_scorer(CELLS),
    f"{SHAKE_PER_CELL * len(CELLS)} codes under camera shake and linear motion of 1-12 module widths",
    uses_decoders=False,
)
