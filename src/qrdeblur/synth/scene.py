"""Building blocks for codes seen in a photo: warped rendering, surfaces, shading, locator error.

Used by the ``scan`` preset (:func:`qrdeblur.synth.presets.scan_pair`) to imitate what the scan
cascade feeds its generator: a code printed on a label, photographed at an angle on a textured
surface, then located approximately and rectified. Written independently of the ``photo`` bench
(the test set): nothing here reads or copies its scene generator.

Coordinates: a homography here maps *module coordinates* (x, y in modules, the symbol's top-left
corner at (0, 0), quiet zone excluded) to pixel-centre coordinates of an image (OpenCV's convention,
pixel (i, j) centred at x=j, y=i).
"""

from __future__ import annotations

import cv2
import numpy as np

#: Value the label-and-code raster takes outside the label (see :func:`render_label`).
OUTSIDE = 2.0


def camera_homography(
    rng: np.random.Generator, n_modules: int, module_px: float, perspective: float
) -> tuple[np.ndarray, dict]:
    """A random view of an ``n_modules`` square symbol: module size, any rotation, perspective.

    The symbol's corners are scaled to ``module_px`` per module, rotated by a uniform angle, and
    each moved by up to ``perspective`` times the side (a tilted label); the result is translated
    so the symbol's centre sits at the origin.

    Returns:
        The 3x3 homography (module coordinates -> pixels, centre at 0) and its parameters.
    """
    side = n_modules * module_px
    angle = float(rng.uniform(0, 360))
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    unit = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]]) * side
    moved = unit @ np.array([[c, s], [-s, c]]) + rng.uniform(-perspective, perspective, (4, 2)) * side
    src = np.array([[0, 0], [n_modules, 0], [n_modules, n_modules], [0, n_modules]], np.float32)
    hom = cv2.getPerspectiveTransform(src, moved.astype(np.float32))
    return hom, {"rotation": angle, "perspective": float(perspective)}


def translate(dx: float, dy: float) -> np.ndarray:
    """The 3x3 homography of a translation by (dx, dy)."""
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def render_label(
    matrix: np.ndarray, label_modules: int, to_image: np.ndarray, shape: tuple[int, int], supersample: int = 3
) -> np.ndarray:
    """Rasterise a symbol on its label through a homography, area-averaged like a camera pixel.

    Args:
        matrix: boolean symbol matrix (True = dark), no quiet zone.
        label_modules: light label border around the symbol, in modules (the quiet zone and more).
        to_image: homography from module coordinates to the output's pixel centres.
        shape: (height, width) of the output.
        supersample: sub-pixels per pixel side for the area average.

    Returns:
        float32 (H, W): 0 for dark modules, 1 for light label, :data:`OUTSIDE` beyond the label;
        values between 1 and :data:`OUTSIDE` are the label edge's coverage (no dark module touches
        it when ``label_modules`` >= 1), so :func:`split_label` separates the two.
    """
    img = np.pad(np.where(matrix, 0.0, 1.0).astype(np.float32), label_modules, constant_values=1.0)
    # source pixel (i, j) covers modules [j - L, j - L + 1): its centre is module x = j - L + 0.5
    src_to_modules = translate(0.5 - label_modules, 0.5 - label_modules)
    ss = supersample
    # output pixel centre x  <->  sub-pixel centre ss * x + (ss - 1) / 2
    to_sub = translate((ss - 1) / 2, (ss - 1) / 2) @ np.diag([ss, ss, 1.0])
    hom = to_sub @ to_image @ src_to_modules
    h, w = shape
    sub = cv2.warpPerspective(
        img, hom, (w * ss, h * ss), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=OUTSIDE
    )
    return cv2.resize(sub, (w, h), interpolation=cv2.INTER_AREA) if ss > 1 else sub


def split_label(raster: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(code, alpha) from :func:`render_label`'s raster: code in [0, 1] (1 = light), alpha = label coverage."""
    return np.minimum(raster, 1.0), np.clip(OUTSIDE - raster, 0.0, 1.0)


def smooth_field(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Smooth random field in [-1, 1]: a ``cells`` x ``cells`` grid of uniform values, bicubic upsampled."""
    h, w = shape
    grid = rng.uniform(-1, 1, (cells, cells)).astype(np.float32)
    return np.clip(cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC), -1, 1)


def surface(rng: np.random.Generator, shape: tuple[int, int], module_px: float) -> tuple[np.ndarray, dict]:
    """A grey surface around a label: a mean tone, blotches, grain, and sometimes print nearby.

    Tones of cardboard, film and packaging after grey conversion; the "print" is rows of text-like
    glyphs and bars at about the code's scale, the sharp clutter the locator confuses with codes.
    """
    h, w = shape
    base = float(rng.uniform(0.15, 0.9))
    img = base + float(rng.uniform(0.02, 0.15)) * smooth_field(rng, shape, int(rng.integers(2, 7)))
    grain = float(rng.uniform(0.0, 0.06))
    if grain > 0:
        fine = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), float(rng.uniform(0.5, 2)))
        img = img + grain * fine / (fine.std() + 1e-6)
    params = {"surface_tone": base, "grain": grain, "print": 0}
    if rng.random() < 0.6:
        params["print"] = _print_clutter(img, rng, module_px)
    return np.clip(img, 0, 1).astype(np.float32), params


def _print_clutter(img: np.ndarray, rng: np.random.Generator, module_px: float) -> int:
    """Draw a few lines of random glyphs or bar stripes onto ``img`` in place; returns how many.

    OpenCV draws text on 8-bit images only: each line is drawn as an anti-aliased coverage mask and
    an ink level, then blended into the float image.
    """
    h, w = img.shape
    cover = np.zeros((h, w), np.uint8)
    ink = np.zeros((h, w), np.float32)
    n = int(rng.integers(1, 6))
    for _ in range(n):
        line = np.zeros((h, w), np.uint8)
        level = float(np.clip(img.mean() + rng.choice([-1, 1]) * rng.uniform(0.3, 0.7), 0, 1))
        x, y = int(rng.integers(-w // 4, w)), int(rng.integers(0, h))
        if rng.random() < 0.7:
            text = "".join(rng.choice(list("ABCDEFGHKLMNPRSTUVWXYZ0123456789-/: "), int(rng.integers(4, 20))))
            scale = float(module_px * rng.uniform(1.0, 4.0) / 22.0)
            thick = max(1, int(round(scale * rng.uniform(1.5, 3))))
            cv2.putText(line, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, thick, cv2.LINE_AA)
        else:
            bar_h = int(module_px * rng.uniform(5, 20))
            pos = x
            for _ in range(int(rng.integers(10, 40))):
                width = max(1, int(round(module_px * rng.uniform(0.5, 2.5))))
                cv2.rectangle(line, (pos, y), (pos + width - 1, y + bar_h), 255, -1)
                pos += width + max(1, int(round(module_px * rng.uniform(0.5, 2.5))))
        ink[line > 0] = level
        np.maximum(cover, line, out=cover)
    alpha = cover.astype(np.float32) / 255.0
    img *= 1 - alpha
    img += alpha * ink
    return n


def shading(rng: np.random.Generator, shape: tuple[int, int]) -> tuple[np.ndarray, dict]:
    """Uneven light: a multiplicative gain from a linear ramp and a smooth random field, around 1."""
    h, w = shape
    ramp_amount = float(rng.uniform(0, 0.5))
    angle = float(rng.uniform(0, 2 * np.pi))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = (xx / max(w - 1, 1) - 0.5) * np.cos(angle) + (yy / max(h - 1, 1) - 0.5) * np.sin(angle)
    blotch = float(rng.uniform(0, 0.3))
    gain = 1 + ramp_amount * ramp + blotch * smooth_field(rng, shape, int(rng.integers(2, 5)))
    exposure = float(rng.uniform(0.55, 1.1))
    return (exposure * np.clip(gain, 0.2, 2.0)).astype(np.float32), {
        "light_ramp": ramp_amount, "light_angle": angle, "light_blotch": blotch, "exposure": exposure
    }


def locator_quad(rng: np.random.Generator, corners: np.ndarray) -> tuple[np.ndarray, dict]:
    """The quadrilateral a locator would report for a code whose true corners are ``corners``.

    Two kinds, as the cascade's candidate sources give: a detector's (30 %: the symbol's corners
    within about 1 % of the side) or a contrast blob's outline (70 %: the symbol grown by -3 to
    +25 % of its side to take in the quiet zone and the blur halo, each corner off by up to ~3 %).
    The blob's outline starts at its top-left-most corner, so the code can come out turned by any
    multiple of 90 degrees: the corner order is rolled at random.
    """
    corners = np.asarray(corners, np.float64).reshape(4, 2)
    centre = corners.mean(axis=0)
    side = float(np.mean(np.linalg.norm(corners - np.roll(corners, -1, axis=0), axis=1)))
    if rng.random() < 0.3:
        kind, grow, jitter = "detector", float(rng.normal(0, 0.01)), 0.01
    else:
        kind, grow, jitter = "texture", float(rng.uniform(-0.03, 0.25)), float(rng.uniform(0, 0.03))
    quad = centre + (corners - centre) * (1 + grow) + rng.normal(0, jitter * side, (4, 2))
    turns = int(rng.integers(0, 4))
    return np.roll(quad, -turns, axis=0), {"locator": kind, "locator_grow": grow, "locator_jitter": jitter}
