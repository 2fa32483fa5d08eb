"""Degradations of the paper's model ``I_B = K * I_o + N`` and the ones real labels add.

Every random function takes an ``np.random.Generator`` and returns ``(image, params)`` where
``params`` is a JSON-serialisable dict of everything it drew, so a pair can be described and
reproduced. Images are float32 in [0, 1], (H, W) or (H, W, C).
"""

from __future__ import annotations

import cv2
import numpy as np

from qrdeblur.errors import UsageError


def _check(image: np.ndarray) -> np.ndarray:
    if image.ndim not in (2, 3):
        raise UsageError(f"expected an (H, W) or (H, W, C) image, got shape {image.shape}")
    return image.astype(np.float32, copy=False)


def convolve(image: np.ndarray, psf: np.ndarray) -> np.ndarray:
    """Convolve with ``psf`` (true convolution, not correlation), replicating the border."""
    image = _check(image)
    psf = np.asarray(psf, dtype=np.float64)
    if psf.ndim != 2 or psf.shape[0] % 2 == 0 or psf.shape[1] % 2 == 0:
        raise UsageError(f"PSF must be a 2-D array of odd size, got shape {psf.shape}")
    # filter2D correlates; flipping the kernel makes it a convolution
    out = cv2.filter2D(image, -1, np.ascontiguousarray(psf[::-1, ::-1]), borderType=cv2.BORDER_REPLICATE)
    return out.astype(np.float32)


def gaussian_noise(image: np.ndarray, rng: np.random.Generator, std: float) -> tuple[np.ndarray, dict]:
    """Additive white Gaussian noise of standard deviation ``std`` (image units), clipped to [0, 1]."""
    if not np.isfinite(std) or std < 0:
        raise UsageError(f"noise std must be a finite number >= 0, got {std}")
    image = _check(image)
    noisy = image + rng.normal(0.0, std, size=image.shape).astype(np.float32)
    return np.clip(noisy, 0, 1), {"noise": "gaussian", "noise_std": float(std)}


def poisson_gaussian_noise(
    image: np.ndarray, rng: np.random.Generator, photons: float, read_std: float
) -> tuple[np.ndarray, dict]:
    """Sensor noise: shot noise with ``photons`` at full white, plus Gaussian read noise."""
    if photons <= 0 or read_std < 0:
        raise UsageError(f"need photons > 0 and read_std >= 0, got {photons} and {read_std}")
    image = _check(image)
    shot = rng.poisson(np.clip(image, 0, 1) * photons).astype(np.float32) / photons
    noisy = shot + rng.normal(0.0, read_std, size=image.shape).astype(np.float32)
    params = {"noise": "poisson-gaussian", "photons": float(photons), "read_std": float(read_std)}
    return np.clip(noisy, 0, 1), params


def sensor_noise(
    image: np.ndarray, rng: np.random.Generator, meta: dict, gaussian_share: float, jpeg_share: float
) -> np.ndarray:
    """A camera's noise on a [0, 1] image: Gaussian (std 0-0.03; with probability ``gaussian_share``) or
    Poisson-Gaussian (30-500 photons at white, read noise 0-0.02), then JPEG at quality 30-95 with
    probability ``jpeg_share``. The parameters drawn go into ``meta``."""
    if rng.random() < gaussian_share:
        image, params = gaussian_noise(image, rng, float(rng.uniform(0, 0.03)))
    else:
        image, params = poisson_gaussian_noise(image, rng, float(rng.uniform(30, 500)), float(rng.uniform(0, 0.02)))
    meta.update(params)
    if rng.random() < jpeg_share:
        image, params = jpeg(image, rng, quality=(30, 95))
        meta.update(params)
    return image


def wear(image: np.ndarray, rng: np.random.Generator, amount: float = 1.0) -> tuple[np.ndarray, dict]:
    """Print wear: scratches, faded or missing patches and stains; ``amount`` in [0, 1] scales it.

    Applied to the printed code before the optics blur it, so the sharp target keeps the intact code
    and the network learns to restore what error correction can then fix.
    """
    image = _check(image).copy()
    h, w = image.shape[:2]
    params: dict = {"scratches": 0, "patches": 0, "stains": 0}
    if amount <= 0:
        return image, params
    n_scratches = int(rng.poisson(1.5 * amount))
    for _ in range(n_scratches):
        p0 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        thickness = int(rng.integers(1, max(2, min(h, w) // 40) + 1))
        value = float(rng.choice([0.15, 0.85]) + rng.normal(0, 0.05))
        mask = np.zeros((h, w), np.uint8)
        cv2.line(mask, p0, p1, 1, thickness)
        image[mask.astype(bool)] = np.clip(value, 0, 1)
    n_patches = int(rng.poisson(1.0 * amount))
    for _ in range(n_patches):
        ph, pw = int(rng.integers(h // 20 + 1, h // 6 + 2)), int(rng.integers(w // 20 + 1, w // 6 + 2))
        y, x = int(rng.integers(0, h - ph + 1)), int(rng.integers(0, w - pw + 1))
        fade = float(rng.uniform(0.3, 1.0))  # 1.0 = fully missing (paper white)
        patch = image[y : y + ph, x : x + pw]
        image[y : y + ph, x : x + pw] = patch + (1.0 - patch) * fade
    n_stains = int(rng.poisson(0.8 * amount))
    yy, xx = np.mgrid[0:h, 0:w]
    for _ in range(n_stains):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        r = rng.uniform(0.05, 0.2) * min(h, w)
        strength = float(rng.uniform(0.1, 0.4))
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r)).astype(np.float32)
        if image.ndim == 3:
            tint = rng.uniform(0.5, 1.0, size=image.shape[2]).astype(np.float32)
            image = image * (1 - strength * blob[..., None] * (1 - tint))
        else:
            image = image * (1 - strength * blob)
    params.update(scratches=n_scratches, patches=n_patches, stains=n_stains)
    return np.clip(image, 0, 1), params


def lighting(
    image: np.ndarray,
    rng: np.random.Generator,
    contrast: tuple[float, float] = (0.4, 1.0),
    gradient: float = 0.4,
) -> tuple[np.ndarray, dict]:
    """Reduced contrast, offset and a linear illumination gradient of random direction."""
    image = _check(image)
    h, w = image.shape[:2]
    c = float(rng.uniform(*contrast))
    offset = float(rng.uniform(0, 1 - c))
    angle = float(rng.uniform(0, 2 * np.pi))
    g = float(rng.uniform(0, gradient))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = ((xx / max(w - 1, 1) - 0.5) * np.cos(angle) + (yy / max(h - 1, 1) - 0.5) * np.sin(angle)) * g
    gain = (1 + ramp) if image.ndim == 2 else (1 + ramp)[..., None]
    out = (image * c + offset) * gain  # np.cos gives a float64 scalar, which (NEP 50) promotes: cast back
    params = {"contrast": c, "offset": offset, "gradient": g, "gradient_angle": angle}
    return np.clip(out, 0, 1).astype(np.float32), params


def jpeg(
    image: np.ndarray, rng: np.random.Generator, quality: tuple[int, int] = (30, 95)
) -> tuple[np.ndarray, dict]:
    """JPEG compression at a random quality (round trip through OpenCV's encoder)."""
    image = _check(image)
    q = int(rng.integers(quality[0], quality[1] + 1))
    u8 = to_uint8(image)
    ok, buf = cv2.imencode(".jpg", u8, [cv2.IMWRITE_JPEG_QUALITY, q])
    if not ok:
        raise RuntimeError("OpenCV failed to JPEG-encode an image")
    flag = cv2.IMREAD_GRAYSCALE if image.ndim == 2 else cv2.IMREAD_COLOR
    out = cv2.imdecode(buf, flag).astype(np.float32) / 255.0
    return out, {"jpeg_quality": q}


def random_warp(
    rng: np.random.Generator,
    size: tuple[int, int],
    max_rotation: float = 5.0,
    max_perspective: float = 0.03,
    scale: tuple[float, float] = (0.95, 1.05),
) -> tuple[np.ndarray, dict]:
    """A small random homography (rotation, perspective, scale) about the image centre.

    Returns the 3x3 matrix and its parameters; apply it with :func:`warp` to both images of a pair so
    they stay aligned.
    """
    h, w = size
    rot = float(rng.uniform(-max_rotation, max_rotation))
    s = float(rng.uniform(*scale))
    a = cv2.getRotationMatrix2D((w / 2, h / 2), rot, s)
    m = np.vstack([a, [0, 0, 1]])
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(-max_perspective, max_perspective, size=(4, 2)) * np.array([w, h])
    p = cv2.getPerspectiveTransform(src, (src + jitter).astype(np.float32))
    return p @ m, {"rotation": rot, "scale": s, "perspective": jitter.round(3).tolist()}


def warp(image: np.ndarray, matrix: np.ndarray, fill: float = 1.0) -> np.ndarray:
    """Apply a homography, filling outside with ``fill`` (paper white by default)."""
    image = _check(image)
    h, w = image.shape[:2]
    border = fill if image.ndim == 2 else (fill,) * image.shape[2]
    out = cv2.warpPerspective(
        image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border
    )
    return np.clip(out, 0, 1)  # bilinear weights round to just outside [0, 1]


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Quantise a [0, 1] float image to uint8 (round to nearest)."""
    return np.clip(np.round(np.asarray(image, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)


def quantise(image: np.ndarray) -> np.ndarray:
    """8-bit quantisation, staying in float32 [0, 1] (what a saved PNG would hold)."""
    return to_uint8(image).astype(np.float32) / 255.0
