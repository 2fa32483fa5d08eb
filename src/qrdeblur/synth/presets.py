"""Presets: recipes that turn a random generator into one (sharp, blurred) training pair.

- ``paper``: exactly the paper's recipe (80x80 RGB, ``fspecial('motion', LEN, THETA)`` with LEN and
  THETA uniform in 0..20, Gaussian blur sigma uniform in 1..3, Gaussian noise).
- ``default``: our broad training distribution (all angles, LEN 0..25, defocus, camera shake, wear,
  versions 1-10, 2.2-4 px per module (the scanner's working scale), lighting, JPEG, small geometric
  jitter). It covers the ranges of every benchmark suite, and never emits a payload reserved for a
  benchmark.
- ``clean``: only the ``clean`` framing of ``default`` (a whole code, motion then Gaussian blur, light
  noise), whose meta holds the exact kernel: the blur estimator of ``wiener-qrunet`` learns from it.
- ``scan``: what the ``scan`` cascade feeds its generator (:func:`scan_pair`): a code photographed on
  a label at 2-8 px per module, at any angle and in perspective, on a textured surface under uneven
  light, blurred *at native resolution*, then located approximately, rectified and rescaled to one
  of the cascade's working scales, and windowed (85 %) or kept whole (15 %, small codes).
- ``scan-single``: ``scan`` with one dominant blur (motion, shake, defocus or Gaussian) over a slight
  lens softness, instead of independently composed parts.
- ``scan-whole``: only the whole-crop framing of ``scan`` (versions 1-3 as payloads allow): every pair holds a whole
  code, so it can be decoded; the validation set of a ``scan`` training run.

A pair is a :class:`Pair`: float32 images in [0, 1] of the same shape, and ``meta`` with every drawn
parameter (JSON-serialisable).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
import segno

from qrdeblur.contrast import stretch_contrast
from qrdeblur.errors import UsageError
from qrdeblur.geometry import rectify
from qrdeblur.synth import degrade, kernels, scene
from qrdeblur.synth.payloads import random_alphanumeric, random_payload
from qrdeblur.synth.render import ECC_LEVELS, QRSpec, make_symbol, module_matrix, render_matrix
from qrdeblur.synth.scan_photo import (
    SCAN_MARGIN,
    SCAN_MAX_SIDE,
    SCAN_MIN_SIDE,
    SCAN_SCALES,
    homography_jacobian,
    photograph,
    scan_psf,
    scan_psf_dominant,
    scan_region,
    scan_side,
    sensor,
)


@dataclass
class Pair:
    """A training or benchmark example: the sharp target, its blurred observation and how it was made."""

    sharp: np.ndarray
    blurred: np.ndarray
    meta: dict = field(default_factory=dict)


def fit_symbol(
    payload: str,
    rng: np.random.Generator,
    versions: Sequence[int],
    ecc: str | None,
    random_mask: bool = False,
) -> tuple[QRSpec, segno.QRCode]:
    """Pick an ECC level (random unless given) and the first allowed version the payload fits.

    With ``random_mask`` the data mask is drawn (0-7) instead of searched: any mask gives a valid
    code, and skipping segno's mask search makes synthesis several times faster. A payload too long
    for every version at the drawn level falls back to the next lower ECC level (down to L) rather
    than failing half-way through a data set; UsageError only when it fits no QR code at all.
    """
    level = ecc or str(rng.choice(ECC_LEVELS))
    mask = int(rng.integers(0, 8)) if random_mask else None
    start = int(rng.choice(versions))
    for v in [v for v in versions if v >= start] + [v for v in versions if v < start]:
        spec = QRSpec(payload, v, level, mask)
        try:
            return spec, make_symbol(spec)
        except UsageError:
            continue
    lower = ECC_LEVELS[: ECC_LEVELS.index(level.upper()) + 1][::-1]  # e.g. Q, M, L
    for fallback in lower[:-1]:
        spec = QRSpec(payload, None, fallback, mask)
        try:
            return spec, make_symbol(spec)
        except UsageError:
            continue
    spec = QRSpec(payload, None, lower[-1], mask)
    return spec, make_symbol(spec)


def paper_pair(
    rng: np.random.Generator, size: int = 80, payloads: Sequence[str] | None = None, noise_std: float = 0.01
) -> Pair:
    """The paper's recipe (Section 1.3 and 2): motion(LEN, THETA) then Gaussian(sigma), plus noise.

    LEN and THETA are uniform in [0, 20] (pixels, degrees), sigma uniform in [1, 3]; images are RGB,
    ``size`` x ``size``, quiet zone 4 modules. With ``payloads`` (the enrolled codes) each pair uses one
    of them with ECC M; otherwise a fresh 8-16 character alphanumeric payload, versions 1-2.
    The paper gives no number for its noise; ``noise_std`` (default 0.01 of full scale) is our choice.
    """
    if payloads:
        payload = str(payloads[int(rng.integers(len(payloads)))])
        spec = QRSpec(payload, None, "M")
        symbol = make_symbol(spec)
    else:
        spec, symbol = fit_symbol(random_alphanumeric(rng), rng, (1, 2), None, random_mask=True)
    sharp = render_matrix(module_matrix(symbol, 4), size_px=size)
    length, theta, sigma = float(rng.uniform(0, 20)), float(rng.uniform(0, 20)), float(rng.uniform(1, 3))
    psf = kernels.compose(kernels.motion(length, theta), kernels.gaussian(sigma))
    blurred = degrade.convolve(sharp, psf)
    blurred, noise = degrade.gaussian_noise(blurred, rng, noise_std)
    blurred = degrade.quantise(blurred)
    meta = {
        "preset": "paper",
        "payload": spec.payload,
        "version": int(symbol.version),
        "ecc": str(symbol.error),
        "mask": int(symbol.mask),
        "size": size,
        "motion_length": length,
        "motion_angle": theta,
        "gaussian_sigma": sigma,
        **noise,
    }
    return Pair(np.repeat(sharp[..., None], 3, 2), np.repeat(blurred[..., None], 3, 2), meta)


def _random_psf(rng: np.random.Generator, module_px: float) -> tuple[np.ndarray, dict]:
    """A random composition of motion, Gaussian, defocus and camera-shake kernels."""
    parts, params = [], {}
    if rng.random() < 0.8:
        length, theta = float(rng.uniform(0, 25)), float(rng.uniform(0, 180))
        parts.append(kernels.motion(length, theta))
        params.update(motion_length=length, motion_angle=theta)
    if rng.random() < 0.75:
        sigma = float(rng.uniform(0.3, 3.2))
        parts.append(kernels.gaussian(sigma))
        params["gaussian_sigma"] = sigma
    if rng.random() < 0.15:
        radius = float(rng.uniform(0.5, max(1.0, 1.2 * module_px)))
        parts.append(kernels.disk(radius))
        params["disk_radius"] = radius
    if rng.random() < 0.15:
        canvas = int(rng.choice([15, 21, 27]))
        max_length = float(rng.uniform(3, canvas * 0.9))
        parts.append(kernels.trajectory(rng, canvas=canvas, max_length=max_length, steps=400))
        params.update(shake_canvas=canvas, shake_length=max_length)
    return kernels.compose(*parts), params


def _stays_inside(matrix_h: np.ndarray, margin: float, size: int) -> bool:
    """True when the homography keeps the corners of a code with ``margin`` px of quiet zone on the canvas."""
    lo, hi = margin - 0.5, size - margin - 0.5  # code edges in pixel-centre coordinates
    corners = np.array([[[lo, lo], [hi, lo], [hi, hi], [lo, hi]]], dtype=np.float64)
    moved = cv2.perspectiveTransform(corners, np.asarray(matrix_h, dtype=np.float64))[0]
    return bool(np.all((moved >= -0.5) & (moved <= size - 0.5)))


def _clean_pair(rng: np.random.Generator, size: int, payload: str) -> Pair:
    """The ``clean`` framing of :func:`default_pair` (see there)."""
    spec, symbol = fit_symbol(payload, rng, (1, 1, 2, 2, 3), None, random_mask=True)
    qz = int(rng.choice([2, 3, 4, 4]))
    matrix = module_matrix(symbol, qz)
    sharp = render_matrix(matrix, size_px=size)
    turns = int(rng.integers(0, 4))
    sharp = np.ascontiguousarray(np.rot90(sharp, turns))
    length, theta = float(rng.uniform(0, 22)), float(rng.uniform(0, 180))
    sigma = float(rng.uniform(0.5, 3.2))
    psf = kernels.compose(kernels.motion(length, theta), kernels.gaussian(sigma))
    blurred, noise = degrade.gaussian_noise(degrade.convolve(sharp, psf), rng, float(rng.uniform(0, 0.02)))
    meta = {
        "preset": "default",
        "framing": "clean",
        "payload": spec.payload,
        "size": size,
        "quiet_zone": qz,
        "rot90": turns,
        "dark": 0.0,
        "light": 1.0,
        "version": int(symbol.version),
        "ecc": str(symbol.error),
        "mask": int(symbol.mask),
        "module_px": size / matrix.shape[0],
        "motion_length": length,
        "motion_angle": theta,
        "gaussian_sigma": sigma,
        **noise,
    }
    return Pair(sharp.astype(np.float32), degrade.quantise(blurred).astype(np.float32), meta)


def _training_payload(rng: np.random.Generator, payloads: Sequence[str] | None) -> str:
    """A payload for a training pair: one of ``payloads`` or a random one, never a benchmark's."""
    from qrdeblur.synth.reserved import is_reserved_payload

    if payloads and all(is_reserved_payload(str(p)) for p in payloads):
        raise UsageError("every given payload is reserved for a benchmark suite; training must not use them")
    while True:
        payload = str(payloads[int(rng.integers(len(payloads)))]) if payloads else random_payload(rng)
        if not is_reserved_payload(payload):
            return payload


def clean_pair(rng: np.random.Generator, size: int = 80, payloads: Sequence[str] | None = None) -> Pair:
    """Only the ``clean`` framing of :func:`default_pair`: a whole code blurred by motion then Gaussian.

    Its ``meta`` holds the exact kernel parameters (``motion_length``, ``motion_angle``,
    ``gaussian_sigma``), the regression targets of the ``wiener-qrunet`` blur estimator.
    """
    return _clean_pair(rng, size, _training_payload(rng, payloads))


def default_pair(rng: np.random.Generator, size: int = 80, payloads: Sequence[str] | None = None) -> Pair:
    """Our training recipe (grey, ``size`` x ``size``): three framings, each drawn every step.

    - ``clean`` (45%): the whole code fills the canvas (versions 1-3, quiet zone 2-4 modules, so
      2.3-3.5 px per module at 80 px) printed at full contrast and blurred by the optics-and-motion
      model the scanner meets after rescaling a located code: motion up to 22 px at any angle, then
      Gaussian sigma 0.5-3.2 px, light noise. The long motion blurs are the hard part of the job,
      so this framing gets the largest share.
    - ``whole`` (30%): the same framing (versions 1-4, quiet zone 1-4) with everything a real print
      adds: ink and paper levels, wear, uneven light, geometric jitter, defocus and camera shake,
      heavier noise, JPEG.
    - ``window`` (25%): an 80 px window of a larger code (versions 1-10) at 2.2-4 px per module, the
      scale the scanner rescales a located code to (3 px per module), with the same degradations.

    The target is the intact code at full contrast, aligned with the observation (geometric jitter
    and 90-degree turns are applied to both).
    """
    payload = _training_payload(rng, payloads)
    draw = rng.random()
    framing = "clean" if draw < 0.45 else "whole" if draw < 0.75 else "window"
    if framing == "clean":
        return _clean_pair(rng, size, payload)
    whole = framing == "whole"
    meta: dict = {"preset": "default", "payload": payload, "size": size}
    if whole:
        spec, symbol = fit_symbol(payload, rng, (1, 1, 2, 2, 3, 4), None, random_mask=True)
        qz = int(rng.integers(1, 5))
        matrix = module_matrix(symbol, qz)
        sharp = render_matrix(matrix, size_px=size)
        module_px = size / matrix.shape[0]
        meta.update(framing="whole", quiet_zone=qz)
    else:
        spec, symbol = fit_symbol(payload, rng, tuple(range(1, 11)), None, random_mask=True)
        module_px = float(rng.uniform(2.2, 4.0))
        matrix = module_matrix(symbol, 4)
        render_px = int(round(matrix.shape[0] * module_px))
        full = render_matrix(matrix, size_px=render_px)
        module_px = render_px / matrix.shape[0]
        full = np.pad(full, size // 2, constant_values=1.0)
        y = int(rng.integers(0, full.shape[0] - size + 1))
        x = int(rng.integers(0, full.shape[1] - size + 1))
        sharp = full[y : y + size, x : x + size].copy()
        meta.update(framing="window", window=[y, x], render_px=render_px)
    meta.update(
        version=int(symbol.version), ecc=str(symbol.error), mask=int(symbol.mask), module_px=float(module_px)
    )
    if rng.random() < 0.5:
        matrix_h, params = degrade.random_warp(rng, sharp.shape[:2])
        # a warp that pushes a corner of a whole code off the canvas would clip the sharp target
        # (seen with quiet zone 1): keep such a code unwarped (the rng has drawn the same numbers)
        if not whole or _stays_inside(matrix_h, meta["quiet_zone"] * module_px, size):
            sharp = degrade.warp(sharp, matrix_h)
            meta["warp"] = params
    turns = int(rng.integers(0, 4))
    sharp = np.ascontiguousarray(np.rot90(sharp, turns))
    meta["rot90"] = turns
    # the printed code: ink and paper levels, wear, uneven light
    dark, light = float(rng.uniform(0.0, 0.35)), float(rng.uniform(0.65, 1.0))
    printed = dark + sharp * (light - dark)
    meta.update(dark=dark, light=light)
    if rng.random() < 0.3:
        printed, params = degrade.wear(printed, rng, amount=float(rng.uniform(0.3, 1.0)))
        meta["wear"] = params
    if rng.random() < 0.5:
        printed, params = degrade.lighting(printed, rng, contrast=(0.6, 1.0), gradient=0.4)
        meta["lighting"] = params
    psf, params = _random_psf(rng, module_px)
    meta.update(params)
    blurred = degrade.convolve(printed, psf)
    blurred = degrade.sensor_noise(blurred, rng, meta, gaussian_share=0.7, jpeg_share=0.3)
    blurred = degrade.quantise(blurred)
    return Pair(sharp.astype(np.float32), blurred.astype(np.float32), meta)


def scan_pair(
    rng: np.random.Generator,
    size: int = 96,
    payloads: Sequence[str] | None = None,
    whole: bool | None = None,
    dominant: bool = False,
) -> Pair:
    """A crop like the ones the ``scan`` cascade hands its generator, and its sharp target (grey).

    1. A code (versions 1-10; 1-3 when ``whole``, more when a long payload needs it) on a light
       label 2-6 modules wider, seen at 2-8 px per module, at any rotation, with up to 12 %
       perspective (:mod:`qrdeblur.synth.scene`).
    2. Around it a surface (tone, blotches, grain, nearby print); ink and paper levels; uneven light.
    3. Blur at native resolution (:func:`scan_psf`; with ``dominant``, :func:`scan_psf_dominant`),
       sensor noise, JPEG, 8 bits.
    4. The locator's quadrilateral (:func:`~qrdeblur.synth.scene.locator_quad`: exact or a loose blob
       outline, any 90-degree turn), rectified by the cascade's own
       :func:`~qrdeblur.geometry.rectify` to one of its working scales (:data:`SCAN_SCALES`:
       mostly 3 px per module), contrast-stretched as the cascade does before those steps.
    5. A random ``size`` window of that crop (the crop is at least ``size`` wide), or, when ``whole``
       (15 % by default), a crop framed to be exactly ``size`` wide.

    Only the native region the window samples is rendered, so a pair costs a few ms; the contrast
    stretch therefore takes its percentiles from the window (the cascade: from the whole crop). The target is the intact
    code at full contrast, white elsewhere, rendered through the very homographies the observation
    went through (camera, then rectification), so the two are aligned to the sub-pixel.
    """
    payload = _training_payload(rng, payloads)
    if whole is None:
        whole = bool(rng.random() < 0.15)
    spec, symbol = fit_symbol(payload, rng, (1, 2, 3) if whole else tuple(range(1, 11)), None, random_mask=True)
    matrix = np.array(symbol.matrix, dtype=bool)
    n = matrix.shape[0]
    module_px = float(rng.uniform(2.0, 8.0))
    camera, geometry = scene.camera_homography(rng, n, module_px, float(rng.uniform(0, 0.12)))
    square = np.float32([[[0, 0]], [[n, 0]], [[n, n]], [[0, n]]])
    corners = cv2.perspectiveTransform(square, camera).reshape(4, 2)
    quad, locator = scene.locator_quad(rng, corners)
    if whole:
        margin = int(round(size * SCAN_MARGIN / (1 + 2 * SCAN_MARGIN))) + 2
        side, kind, factor, stretch = size - 2 * margin, "whole", float(size), True
    else:
        side, kind, factor, stretch = scan_side(rng, quad, n, n * module_px)
        margin = max(int(round(side * SCAN_MARGIN)) + 4, -(-(size - side) // 2))
    total = side + 2 * margin
    y, x = (0, 0) if whole else (int(rng.integers(0, total - size + 1)), int(rng.integers(0, total - size + 1)))
    psf, blur, psf_no_disk = (scan_psf_dominant if dominant else scan_psf)(rng)
    x0, y0, x1, y1 = scan_region(quad, side, margin, (y, x, size), max(psf.shape) // 2 + 4)
    to_region = scene.translate(-x0, -y0) @ camera
    meta: dict = {"preset": "scan", "framing": "whole" if whole else "window", "payload": spec.payload,
                  "size": size, "version": int(symbol.version), "ecc": str(symbol.error), "mask": int(symbol.mask),
                  "module_px": module_px, **geometry, **locator, "scale": kind, "scale_factor": factor,
                  "side": side, "margin": margin, "window": [y, x], "stretch": stretch, **blur}
    printed = photograph(rng, matrix, to_region, (y1 - y0, x1 - x0), module_px, meta)
    photo = sensor(rng, degrade.convolve(printed, psf), meta)
    rect = rectify(photo, quad - [x0, y0], side, margin)
    # only the window's source was rendered, so the stretch sees the window (the cascade: the crop)
    blurred = rect.image[y : y + size, x : x + size]
    blurred = (stretch_contrast(blurred) if stretch else blurred).astype(np.float32) / 255.0
    # the blur as the crop sees it (for a blur estimator's target): the native PSF carried through the
    # rectification at the window's centre, fitted by motion + Gaussian (kernels.motion_gaussian_fit)
    crop_per_native = np.linalg.inv(homography_jacobian(rect.to_image, x + size / 2, y + size / 2))
    meta["crop_blur"] = list(kernels.motion_gaussian_fit(psf, crop_per_native))
    # ... and with the defocus disk apart: (length, angle, sigma) of the rest, the disk's radius scaled
    crop_radius = blur.get("disk_radius", 0.0) * float(np.sqrt(abs(np.linalg.det(crop_per_native))))
    meta["crop_blur_disk"] = [*kernels.motion_gaussian_fit(psf_no_disk, crop_per_native), crop_radius]
    to_window = scene.translate(-x, -y) @ np.linalg.inv(rect.to_image) @ to_region
    sharp, _ = scene.split_label(scene.render_label(matrix, 1, to_window, (size, size), supersample=4))
    return Pair(sharp.astype(np.float32), blurred, meta)


def scan_whole_pair(rng: np.random.Generator, size: int = 96, payloads: Sequence[str] | None = None) -> Pair:
    """Only the whole-crop framing of :func:`scan_pair` (versions 1-3): each pair can be decoded."""
    return scan_pair(rng, size, payloads, whole=True)


def scan_single_pair(rng: np.random.Generator, size: int = 96, payloads: Sequence[str] | None = None) -> Pair:
    """:func:`scan_pair` with one dominant blur (:func:`scan_psf_dominant`) instead of composed parts."""
    return scan_pair(rng, size, payloads, dominant=True)


def scan_single_whole_pair(rng: np.random.Generator, size: int = 96, payloads: Sequence[str] | None = None) -> Pair:
    """Whole crops (versions 1-3) with one dominant blur: validates a ``scan-single`` training, each pair decodable."""
    return scan_pair(rng, size, payloads, whole=True, dominant=True)


def shake_frame_pair(rng: np.random.Generator, size: int = 144, payloads: Sequence[str] | None = None) -> Pair:
    """A code under camera shake or linear motion of 0.5-13 module widths (:func:`shake_scene`, versions
    1-8 at 2.5-7 px per module), seen in the blur estimator's frame: the image scaled so that a located
    outline's side is :data:`~qrdeblur.synth.shake.FRAME_SIDE` px, and a ``size`` x ``size`` window
    around it. The outline is the true one scaled by 0.9-1.0 plus up to the blur's halo and shifted by
    about 5 % of its side, as the cascade's locator gives it. ``sharp`` is the scene before the blur
    (code and surface), the estimator's target; ``blurred`` the photo."""
    from qrdeblur.synth.shake import frame_scale, shake_scene, to_frame

    payload = _training_payload(rng, payloads)
    spec, qr = fit_symbol(payload, rng, range(1, 9), None)
    item, sharp = shake_scene(
        rng, (payload, int(qr.version), spec.ecc), "train", (0.5, 13.0), module_px_range=(2.5, 7.0)
    )
    side = float(np.mean(np.linalg.norm(item.corners - np.roll(item.corners, -1, axis=0), axis=1)))
    halo = kernels.path_extent(item.path) / side
    centre = item.corners.mean(axis=0) + rng.normal(0.0, 0.05 * side, 2)
    quad = centre + (item.corners - item.corners.mean(axis=0)) * rng.uniform(0.9, 1.0 + halo)
    scale = frame_scale(quad)
    out = []
    for img in (sharp, item.image.astype(np.float32) / 255.0):
        f = to_frame(img, scale)
        cx, cy = np.round(centre * scale).astype(int) - size // 2
        pad = size
        f = cv2.copyMakeBorder(f, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        out.append(np.ascontiguousarray(f[cy + pad : cy + pad + size, cx + pad : cx + pad + size], dtype=np.float32))
    meta = {**item.meta, "payload": payload, "version": int(qr.version), "ecc": spec.ecc}
    meta["frame_scale"] = round(scale, 4)
    return Pair(out[0], out[1], meta)


PRESETS: dict[str, Callable[..., Pair]] = {"paper": paper_pair, "default": default_pair, "clean": clean_pair,
    "scan": scan_pair,
    "scan-whole": scan_whole_pair,
    "scan-single": scan_single_pair,
    "scan-single-whole": scan_single_whole_pair,
    "shake-frame": shake_frame_pair,
}


def get_preset(name: str) -> Callable[..., Pair]:
    """The pair recipe called ``name``; UsageError listing the choices when unknown."""
    try:
        return PRESETS[name]
    except KeyError:
        raise UsageError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None


class PairStream:
    """An endless, seeded stream of pairs from a preset.

    Each ``shard`` (e.g. a DataLoader worker) draws from its own child of ``SeedSequence(seed)``, so
    workers never repeat each other and a run is reproducible for a fixed number of workers.
    """

    def __init__(
        self, preset: str, seed: int, size: int = 80, payloads: Sequence[str] | None = None, shard: int = 0
    ):
        self.make = get_preset(preset)
        self.size = size
        self.payloads = list(payloads) if payloads else None
        self.rng = np.random.default_rng(np.random.SeedSequence([seed, shard]))

    def __iter__(self):
        return self

    def __next__(self) -> Pair:
        return self.make(self.rng, size=self.size, payloads=self.payloads)


__all__ = [
    "PRESETS",
    "SCAN_MARGIN",
    "SCAN_MAX_SIDE",
    "SCAN_MIN_SIDE",
    "SCAN_SCALES",
    "Pair",
    "PairStream",
    "clean_pair",
    "default_pair",
    "fit_symbol",
    "get_preset",
    "paper_pair",
    "scan_pair",
    "scan_single_pair",
    "scan_single_whole_pair",
    "scan_whole_pair",
]
