"""Reading a code wrapped round a cylinder (a bottle, a can): :func:`read_unwrapped`.

Why: zxing-cpp samples a located code through one homography. On a curved label the rows bow and the
columns bunch up towards the sides, so a code zxing-cpp locates (its three finder patterns lie on the
surface, close to where a homography puts them) is sampled a module or more off in its middle and far
corner, and does not decode.

Model: seen by a camera far from it compared with its size, a label wrapped round a cylinder maps its
module coordinates (u, v), u round the cylinder, to the image as a sin(phi(u)) + b cos(phi(u)) + c v + t,
phi linear in u: besides a plane's map, every column is moved by one image vector times a bowed profile
(cos(phi) less its value at the edges). Here the plane's part is the homography of the located outline,
and the bow is a displacement in module units (along the code's rows and columns) times the parabola
4 s (1 - s), s = u / n (or v / n: the code may be wrapped either way). The outline's four corners and
the two bow amounts are fitted to the code's function patterns (finders, separators, timing and
alignment patterns: known modules for the located version) by maximising their correlation with the
image sampled at the module centres; the code is then resampled upright at
:data:`PX_PER_MODULE` px per module, the light surround painted in, and zxing-cpp reads it. Only a QR
code of the located version is reported, and zxing-cpp checks the error correction, so a wrong fit
cannot produce a false read, only a failed one.

Measured on the ``hard`` suite's cylinder cell (radius 1-3 code widths, turned up to 35 and tilted up
to 30 degrees): of the 15 codes in its first 20 that zxing-cpp alone does not read, zxing-cpp locates
14. Fitted from zxing-cpp's outline, the function patterns alone read 12 of them; the data's two-tone
term, all data modules sampled, 13 (it pins version 1's far corner); at most 160 sampled (as here),
12, with a fit of 20-45 ms per wrap direction. The restart from a parallelogram outline did not
recover the code whose far corner zxing-cpp put 5 modules off; it runs only after a poor fit.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.optimize import minimize

from qrdeblur.decode.base import DecodeResult
from qrdeblur.decode.zxing import read_grey
from qrdeblur.qrspec import function_modules, modules

#: Resampled crop: pixels per module, and light modules round the symbol.
PX_PER_MODULE = 4
QUIET = 4
#: Weight of the data modules' two-tone score beside the function patterns' correlation in a fit.
DATA_WEIGHT = 0.5
#: A best fit scoring below this is fitted again from a parallelogram outline.
RESTART_BELOW = 1.2
#: Data modules sampled in a fit (at most), and the fit's evaluations (at most).
MAX_DATA_MODULES = 160
MAX_EVALUATIONS = 1500


def _known(version: int) -> tuple[np.ndarray, np.ndarray]:
    """(module centres (k, 2) as (u, v), expected darkness (k,) in {-1, 1}) of the version's fixed modules."""
    fixed = function_modules(version)
    rows, cols = np.nonzero(fixed >= 0)
    return np.stack([cols + 0.5, rows + 0.5], 1), np.where(fixed[rows, cols] == 1, 1.0, -1.0)


def module_map(params: np.ndarray, corners: np.ndarray, n: int, axis: int):
    """A function mapping module coordinates (k, 2) to image points (k, 2): the outline ``corners`` moved
    by ``params[:8]`` (px), bowed by ``params[8:10]`` modules (along u, along v) round ``axis``
    (0: the code wraps along u, its columns stay straight; 1: along v)."""
    quad = (corners + params[:8].reshape(4, 2)).astype(np.float32)
    square = np.float32([[0, 0], [n, 0], [n, n], [0, n]])
    hom = cv2.getPerspectiveTransform(square, quad)
    bow = np.asarray(params[8:10], np.float64)

    def to_image(points: np.ndarray) -> np.ndarray:
        s = points[:, axis] / n
        moved = points + (4 * s * (1 - s))[:, None] * bow[None, :]
        h = np.c_[moved, np.ones(len(moved))] @ hom.T
        return h[:, :2] / h[:, 2:3]

    return to_image


def _sample(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``image`` at ``points`` ((N, 2) x, y), bilinear. The points are laid out in rows of at most
    :data:`_SAMPLE_ROW` (cv2.remap refuses maps with 32767 rows or more, which a large code's module
    samples reach)."""
    xy = points.astype(np.float32).reshape(-1, 2)
    n = len(xy)
    rows = -(-n // _SAMPLE_ROW) if n else 1
    grid = np.zeros((rows * _SAMPLE_ROW, 2), np.float32)
    grid[:n] = xy
    grid = grid.reshape(rows, _SAMPLE_ROW, 2)
    out = cv2.remap(image, grid[..., 0], grid[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out.ravel()[:n]


_SAMPLE_ROW = 1024


def fit(grey: np.ndarray, corners: np.ndarray, version: int, axis: int, module_px: float):
    """(params, score): the outline and bow that best match the version's function patterns (their
    correlation with the image at the module centres) while the data modules come out two-toned (their
    mean distance from the threshold, in units of half the contrast, capped at 1): the data term pins
    the corner far from the finders, where a version without alignment patterns has no fixed module."""
    centres, expected = _known(version)
    n = modules(version)
    fixed = function_modules(version) >= 0
    rows, cols = np.nonzero(~fixed)
    data = np.stack([cols + 0.5, rows + 0.5], 1)
    data = data[:: max(1, len(data) // MAX_DATA_MODULES)]  # an even spread is enough, and faster
    every = np.concatenate([centres, data])
    smooth = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), max(0.5, 0.25 * module_px))
    norm_e = np.linalg.norm(expected)
    dark = expected > 0

    def cost(p: np.ndarray) -> float:
        values = _sample(smooth, module_map(p, corners, n, axis)(every))
        known, rest = values[: len(centres)], values[len(centres) :]
        centred = known - known.mean()
        norm = np.linalg.norm(centred)
        if norm == 0:
            return 1.0
        corr = float(centred @ expected) / (norm * norm_e)  # dark modules are low grey: negative at a fit
        lo, hi = known[dark].mean(), known[~dark].mean()
        if hi <= lo:
            return corr
        two_tone = float(np.minimum(np.abs(rest - (lo + hi) / 2) / ((hi - lo) / 2), 1).mean())
        return corr - DATA_WEIGHT * two_tone

    scale = np.r_[np.full(8, 0.5 * module_px), 1.0, 1.0]
    res = minimize(
        lambda z: cost(z * scale),
        np.zeros(10),
        method="Powell",
        options={"xtol": 0.05, "ftol": 1e-4, "maxfev": MAX_EVALUATIONS},
    )
    return res.x * scale, -float(res.fun)


def resample(grey: np.ndarray, params: np.ndarray, corners: np.ndarray, n: int, axis: int) -> np.ndarray:
    """The code resampled upright at :data:`PX_PER_MODULE` px per module, the surround painted light."""
    k, q = PX_PER_MODULE, QUIET
    side = (n + 2 * q) * k
    idx = (np.arange(side) + 0.5) / k - q
    uu, vv = np.meshgrid(idx, idx)
    pts = module_map(params, corners, n, axis)(np.c_[uu.ravel(), vv.ravel()])
    crop = _sample(grey, pts).reshape(side, side)
    inner = crop[q * k : (q + n) * k, q * k : (q + n) * k]
    light = np.percentile(inner, 95)
    mask = np.ones(crop.shape, bool)
    mask[q * k : (q + n) * k, q * k : (q + n) * k] = False
    crop[mask] = light
    return np.clip(crop, 0, 255).astype(np.uint8)


def read_unwrapped(
    grey: np.ndarray, corners, version: int, module_px: float
) -> list[tuple[DecodeResult, list[list[float]]]]:
    """Codes read from the outline ``corners`` (the code's top-left, top-right, bottom-right, bottom-left
    in ``grey``) of a QR code of ``version``, unwrapped off a cylinder: (result, its corners in ``grey``).

    Both wrap directions are fitted; the better fit is decoded first. A poor fit is fitted again from
    the outline with its far corner where the other three put it (zxing-cpp extrapolates that corner
    from the finder patterns and, on a curved code, can put it modules off)."""
    corners = np.asarray(corners, np.float64).reshape(4, 2)
    n = modules(version)
    fits = [(*fit(grey, corners, version, axis, module_px), axis, corners) for axis in (0, 1)]
    if max(f[1] for f in fits) < RESTART_BELOW:
        square = corners.copy()
        square[2] = corners[1] + corners[3] - corners[0]
        fits += [(*fit(grey, square, version, axis, module_px), axis, square) for axis in (0, 1)]
    fits.sort(key=lambda f: -f[1])
    for params, _, axis, corners in fits[:2]:
        crop = resample(grey, params, corners, n, axis)
        ok, _ = read_grey(crop, min_side=0)
        ok = [r for r in ok if r.version == version]
        if ok:
            to_image = module_map(params, corners, n, axis)
            k, q = PX_PER_MODULE, QUIET
            out = []
            for r in ok:
                pts = (np.asarray(r.corners, np.float64) + 0.5) / k - q
                out.append((r, to_image(pts).tolist()))
            return out
    return []
