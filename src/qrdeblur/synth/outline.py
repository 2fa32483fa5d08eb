"""Training pairs for the outline locator: a loose texture box's crop, and where the code is in it.

Why: the scan cascade's texture candidates are the blur halo's boxes, not the code's outline (on the
``photo`` suite 1.26x the code's side and 2.1 modules off-centre at the median, often turned), and
neither the detectors nor the restored crops locate the codes still lost inside them (session 13). The
``grid`` step and the generator both need the code's own outline. A small network looks at the box's
crop and marks the symbol and its three finder patterns; the outline is fitted to its mask
(:mod:`qrdeblur.scan.outline`).

Each pair (:func:`outline_pair`), all from one seeded generator:

1. A code (versions 1-10, any payload mask) at 1.5-8 px per module, any rotation, up to 12 %
   perspective (:func:`~qrdeblur.synth.scene.camera_homography`); on a light label 1-6 modules wide
   (70 %) or printed straight onto the surface in dark ink (30 %); a surface with print nearby, ink
   and paper levels, uneven light (:mod:`qrdeblur.synth.scene`). 10 % of the pairs hold no code.
2. Blur at native resolution (one dominant cause 70 %, composed parts 30 %: the ``scan`` preset's
   kernels), sensor noise, JPEG, 8 bits.
3. The box a texture locator would report: the code's square scaled 0.8-1.7x, stretched up to 1.25x
   one way, turned (within 10 degrees mostly, any angle in 40 %), its centre up to 0.2 of the side
   off, each corner jittered; rectified as the cascade does (:func:`~qrdeblur.scan.rectify.rectify`,
   side :data:`OUTLINE_SIDE` in a margin :data:`OUTLINE_MARGIN`), contrast-stretched.

The targets are rendered through the very homographies the observation went through: the symbol's
coverage of each crop pixel (its outline is the mask's edge) and the finder patterns' (7 x 7 modules
at three corners: which corner is the code's top-left).

Written independently of the ``photo`` bench (the test set): nothing here reads its scene generator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from qrdeblur.scan.outline import OUTLINE_MARGIN, OUTLINE_SIDE
from qrdeblur.synth import degrade, scene
from qrdeblur.synth.payloads import random_payload
from qrdeblur.synth.presets import _scan_psf, _scan_psf_dominant, _scan_region, _sensor, fit_symbol

#: The crop's side: the box's (:data:`~qrdeblur.scan.outline.OUTLINE_SIDE`) and a margin each way.
OUTLINE_SIZE = OUTLINE_SIDE + 2 * OUTLINE_MARGIN


@dataclass
class OutlinePair:
    """A locator crop and its targets.

    Attributes:
        crop: (S, S) float32 in [0, 1], the box rectified and contrast-stretched as the cascade does.
        target: (2, S, S) float32: the symbol's coverage of each pixel, and the finder patterns'.
        corners: (4, 2) the symbol's corners in crop pixels (its own top-left first); None without a code.
        meta: the draw's parameters.
    """

    crop: np.ndarray
    target: np.ndarray
    corners: np.ndarray | None
    meta: dict = field(default_factory=dict)


def texture_box(rng: np.random.Generator, corners: np.ndarray) -> tuple[np.ndarray, dict]:
    """A texture locator's box around a code whose corners are ``corners`` (native px).

    Scaled, stretched, turned and shifted relative to the code's square (module docstring, step 3);
    ordered as the locator orders its outlines (clockwise from the top-left-most corner), so the crop
    holds the code at its own angle.
    """
    from qrdeblur.scan.rectify import order_quad, quad_side

    centre = corners.mean(axis=0)
    side = quad_side(corners)
    edge = corners[1] - corners[0]
    code_angle = float(np.degrees(np.arctan2(edge[1], edge[0])))
    turn = float(rng.uniform(-45, 45)) if rng.random() < 0.4 else float(rng.normal(0, 6))
    scale = float(rng.uniform(0.8, 1.7))
    stretch = float(np.exp(rng.uniform(-np.log(1.25), np.log(1.25))))
    offset = rng.normal(0, 0.1, 2) * side
    offset *= min(1.0, 0.2 * side / max(np.linalg.norm(offset), 1e-9))
    half = 0.5 * side * scale * np.array([[-stretch, -1 / stretch], [stretch, -1 / stretch],
                                          [stretch, 1 / stretch], [-stretch, 1 / stretch]])
    a = np.radians(code_angle + turn)
    rot = np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
    box = centre + offset + half @ rot + rng.normal(0, 0.02 * side, (4, 2))
    params = {"box_turn": turn, "box_scale": scale, "box_stretch": stretch,
              "box_offset": float(np.linalg.norm(offset) / side)}
    return order_quad(box), params


def _finder_matrix(n: int) -> np.ndarray:
    """Boolean n x n mask of the three 7 x 7 finder patterns."""
    m = np.zeros((n, n), bool)
    m[:7, :7] = m[:7, -7:] = m[-7:, :7] = True
    return m


def _coverage(matrix: np.ndarray, hom: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Each crop pixel's coverage by the True modules of ``matrix`` seen through ``hom`` (modules -> px)."""
    code, alpha = scene.split_label(scene.render_label(matrix, 0, hom, shape, supersample=4))
    return alpha * (1.0 - code)


def outline_pair(rng: np.random.Generator, size: int = OUTLINE_SIZE) -> OutlinePair:
    """One locator crop and its targets (module docstring); ``size`` other than 128 scales the box."""
    from qrdeblur.scan.cascade import stretch_contrast
    from qrdeblur.scan.rectify import rectify

    side = int(round(size * OUTLINE_SIDE / OUTLINE_SIZE))
    margin = (size - side) // 2
    has_code = rng.random() >= 0.1
    payload = random_payload(rng)
    spec, symbol = fit_symbol(payload, rng, tuple(range(1, 11)), None, random_mask=True)
    matrix = np.array(symbol.matrix, dtype=bool)
    n = matrix.shape[0]
    module_px = float(rng.uniform(1.5, 8.0))
    camera, geometry = scene.camera_homography(rng, n, module_px, float(rng.uniform(0, 0.12)))
    square = np.float32([[[0, 0]], [[n, 0]], [[n, n]], [[0, n]]])
    corners = cv2.perspectiveTransform(square, camera).reshape(4, 2).astype(np.float64)
    box, box_params = texture_box(rng, corners)
    dominant = rng.random() < 0.7
    psf, blur, _ = (_scan_psf_dominant if dominant else _scan_psf)(rng)
    x0, y0, x1, y1 = _scan_region(box, side, margin, (0, 0, size), max(psf.shape) // 2 + 4)
    to_region = scene.translate(-x0, -y0) @ camera
    shape = (y1 - y0, x1 - x0)
    meta: dict = {"preset": "outline", "has_code": has_code, "payload": spec.payload, "version": int(symbol.version),
                  "module_px": module_px, **geometry, **box_params, **blur}
    surface, params = scene.surface(rng, shape, module_px)
    meta.update(params)
    printed = surface
    if has_code:
        dark = float(rng.uniform(0.0, 0.35))
        if rng.random() < 0.7:
            label = int(rng.integers(1, 7))
            code, alpha = scene.split_label(scene.render_label(matrix, label, to_region, shape))
            light = float(rng.uniform(0.6, 1.0))
            printed = alpha * (dark + code * (light - dark)) + (1 - alpha) * surface
        else:  # dark ink straight onto the surface: the light modules are the surface itself
            label = 0
            ink = _coverage(matrix, to_region, shape)
            printed = surface * (1 - ink) + dark * ink
        meta["label_modules"] = label
    gain, light_params = scene.shading(rng, shape)
    meta.update(light_params)
    photo = _sensor(rng, degrade.convolve(np.clip(printed * gain, 0, 1).astype(np.float32), psf), meta)
    rect = rectify(photo, box - [x0, y0], side, margin)
    crop = stretch_contrast(rect.image).astype(np.float32) / 255.0
    to_crop = np.linalg.inv(rect.to_image) @ to_region
    target = np.zeros((2, size, size), np.float32)
    crop_corners = None
    if has_code:
        target[0] = _coverage(np.ones((n, n), bool), to_crop, (size, size))
        target[1] = _coverage(_finder_matrix(n), to_crop, (size, size))
        crop_corners = cv2.perspectiveTransform(square, to_crop).reshape(4, 2)
    return OutlinePair(crop, target, crop_corners, meta)
