"""The blur model of :mod:`qrdeblur.restore.module_grid` and its least-squares solvers.

:class:`GridModel` blurs a module matrix (on the module lattice, and at :data:`PX` px per module for
registration), :class:`GridProblem` holds a version's crop layout (the symbol, its fixed modules, a
ring of free modules around it), :func:`solve_modules` fits the modules and the light planes to a
registered crop, :func:`fit_kernel` fits the blur to solved modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from scipy import fft

from qrdeblur.geometry import rectify
from qrdeblur.qrspec import function_modules, modules

#: Crop pixels per module of the grid model.
PX = 3


@lru_cache(maxsize=16)
def known_modules(version: int) -> np.ndarray:
    """(n, n) float32: 1 for a dark and 0 for a light module fixed by the version, NaN for data/format
    (:func:`qrdeblur.qrspec.function_modules`)."""
    fixed = function_modules(version)
    out = np.where(fixed >= 0, fixed, np.nan).astype(np.float32)
    out.setflags(write=False)
    return out


class GridModel:
    """The blur on the module grid, and the same at pixel resolution (for registration).

    The solver works on module averages: averaging the PX x PX pixels of each module of a crop whose
    grid is registered turns ``k * up(m)`` into a convolution on the module lattice, ``k_m * m``
    (``k_m`` = the block averages of one blurred module: exact, not an approximation), so it solves a
    (g, g) problem instead of a (g PX)^2 one, nine times fewer pixels, with little lost: the signal is
    constant over each module, and the block average keeps every frequency the modules can carry.
    """

    def __init__(self, g: int, kernel: np.ndarray):
        self.g = g
        self.size = g * PX
        kh, kw = kernel.shape
        self.half = max(kh, kw) // 2
        self.kernel_shape = (kh, kw)
        # the lattice kernel: one module at the centre of an odd window, blurred, block-averaged
        reach = int(np.ceil((self.half + PX) / PX))
        w = 2 * reach + 1
        one = np.zeros((w, w), np.float32)
        one[reach, reach] = 1
        up = np.repeat(np.repeat(one, PX, axis=0), PX, axis=1)
        flipped = np.ascontiguousarray(kernel[::-1, ::-1], dtype=np.float32)  # filter2D correlates
        lattice = cv2.filter2D(up, -1, flipped, borderType=cv2.BORDER_CONSTANT).reshape(w, PX, w, PX).mean(axis=(1, 3))
        self.lattice = lattice / lattice.sum()
        self.reach = reach
        self.shape = (fft.next_fast_len(g + 2 * reach), fft.next_fast_len(g + 2 * reach))
        pad = np.zeros(self.shape, np.float32)
        pad[:w, :w] = self.lattice
        pad = np.roll(pad, (-reach, -reach), axis=(0, 1))
        self._kf = fft.rfft2(pad).astype(np.complex64)
        # ... and the pixel-level kernel's spectrum (zero padding past the crop: pixels within the
        # kernel's reach of the edge are never fitted)
        self.px_shape = (fft.next_fast_len(self.size + kh), fft.next_fast_len(self.size + kw))
        pad = np.zeros(self.px_shape, np.float32)
        pad[:kh, :kw] = kernel
        pad = np.roll(pad, (-(kh // 2), -(kw // 2)), axis=(0, 1))
        self._kf_px = fft.rfft2(pad).astype(np.complex64)

    @staticmethod
    def _conv(image: np.ndarray, spectrum: np.ndarray, shape: tuple, size: int) -> np.ndarray:
        out = fft.irfft2(fft.rfft2(image.astype(np.float32, copy=False), s=shape) * spectrum, s=shape)
        return out[:size, :size]

    def forward(self, m: np.ndarray) -> np.ndarray:
        """Module averages of the blurred picture of ``m`` ((g, g) -> (g, g))."""
        return self._conv(m, self._kf, self.shape, self.g)

    def adjoint(self, r: np.ndarray) -> np.ndarray:
        return self._conv(r, np.conj(self._kf), self.shape, self.g)

    def forward_px(self, m: np.ndarray) -> np.ndarray:
        """The blurred picture of ``m`` at PX px per module ((g, g) -> (g PX, g PX))."""
        up = np.repeat(np.repeat(m.astype(np.float32), PX, axis=0), PX, axis=1)
        return self._conv(up, self._kf_px, self.px_shape, self.size)

    def adjoint_px(self, r: np.ndarray) -> np.ndarray:
        c = self._conv(r, np.conj(self._kf_px), self.px_shape, self.size)
        return c.reshape(self.g, PX, self.g, PX).sum(axis=(1, 3))


@dataclass
class GridProblem:
    """A code's crop on its module grid, the fixed modules and bounds, and which pixels are fitted."""

    version: int
    ring: int
    fixed: np.ndarray  # (g, g): value or NaN (free)
    lo: np.ndarray
    hi: np.ndarray
    weight: np.ndarray  # (g PX, g PX) 0/1
    model: GridModel

    @property
    def n(self) -> int:
        return modules(self.version)

    @classmethod
    def build(cls, version: int, kernel: np.ndarray) -> GridProblem:
        n = modules(version)
        half = max(kernel.shape) // 2
        ring = int(np.ceil(half / PX)) + 2
        g = n + 2 * ring
        fixed = np.full((g, g), np.nan, np.float32)
        fixed[ring - 1 : ring + n + 1, ring - 1 : ring + n + 1] = 0  # the quiet zone's first module
        fixed[ring : ring + n, ring : ring + n] = known_modules(version)
        inside = np.zeros((g, g), bool)
        inside[ring - 1 : ring + n + 1, ring - 1 : ring + n + 1] = True
        # the surroundings may be darker than ink or lighter than the paper
        lo = np.where(inside, 0.0, -1.0).astype(np.float32)
        hi = np.where(inside, 1.0, 2.0).astype(np.float32)
        weight = np.zeros((g * PX, g * PX), np.float32)
        weight[half : g * PX - half, half : g * PX - half] = 1
        return cls(version, ring, fixed, lo, hi, weight, GridModel(g, kernel))

    def symbol_corners(self) -> np.ndarray:
        """The symbol's outline in crop pixels (TL, TR, BR, BL)."""
        a, b = self.ring * PX, (self.ring + self.n) * PX
        return np.float64([[a, a], [b, a], [b, b], [a, b]])

    def crop(self, grey: np.ndarray, quad: np.ndarray):
        """``grey`` (float, [0, 1]) rectified so that ``quad`` is the symbol's outline on the grid."""
        return rectify(grey, quad, self.n * PX, self.ring * PX)


def solve_modules(
    y: np.ndarray, p: GridProblem, outer: int = 4, inner: int = 40, init: np.ndarray | None = None, pixels: bool = True
):
    """Module values (g, g) in their bounds, and the light planes (paper, contrast), from the
    registered crop ``y`` ((g PX)^2): on its pixels, or (``pixels=False``, 9x cheaper) on its module
    averages.

    Alternates a linear fit of the planes with FISTA (box-constrained least squares) on the modules.
    The box is the prior that matters: conjugate gradients with a ridge instead read far fewer codes.
    The module averages lose the sub-module detail a grid a little off still carries: on ``photo``
    codes they read 9 of 40 where the pixels read 15 (``grid_solve_oracle.py``), so they serve as a
    fast start.
    """
    model, g = p.model, p.model.g
    if pixels:
        obs, w, cells = y.astype(np.float32), p.weight, model.size
        forward, adjoint, lipschitz = model.forward_px, model.adjoint_px, PX * PX
    else:
        obs = y.astype(np.float32).reshape(g, PX, g, PX).mean(axis=(1, 3))
        w, cells = p.weight.reshape(g, PX, g, PX).min(axis=(1, 3)), g
        forward, adjoint, lipschitz = model.forward, model.adjoint, 1
    yy, xx = np.mgrid[0:cells, 0:cells].astype(np.float32) / cells - 0.5
    planes = np.stack([np.ones_like(xx), xx, yy]).reshape(3, -1)
    free = np.isnan(p.fixed)
    if init is None:  # the module means, inverted and stretched
        means = y.astype(np.float32).reshape(g, PX, g, PX).mean(axis=(1, 3))
        dark_level, light_level = np.percentile(means, [5, 95])
        init = np.clip((light_level - means) / max(light_level - dark_level, 1e-3), 0, 1)
    m = np.where(free, init, p.fixed).astype(np.float32)
    paper = contrast = None
    for _ in range(outer):
        design = np.vstack([planes, -planes * forward(m).ravel()]) * w.ravel()
        rhs = design @ (obs.ravel() * w.ravel())
        coef = np.linalg.lstsq(design @ design.T, rhs, rcond=None)[0].astype(np.float32)
        paper = (coef[:3] @ planes).reshape(cells, cells)
        contrast = (coef[3:] @ planes).reshape(cells, cells)
        step = 1.0 / (float((contrast**2 * w).max()) * lipschitz + 1e-6)
        z, t, prev = m.copy(), 1.0, m.copy()
        for _ in range(inner):
            r = (paper - contrast * forward(z) - obs) * w
            nxt = np.clip(z + step * adjoint(contrast * r), p.lo, p.hi)
            nxt[~free] = p.fixed[~free]
            t_next = (1 + np.sqrt(1 + 4 * t * t)) / 2
            z = nxt + ((t - 1) / t_next) * (nxt - prev)
            prev, t = nxt, t_next
        m = prev
    return m, paper, contrast


def fit_kernel(
    y: np.ndarray,
    p: GridProblem,
    m: np.ndarray,
    paper: np.ndarray,
    contrast: np.ndarray,
    support: np.ndarray | None = None,
    samples: int = 5000,
) -> np.ndarray | None:
    """The blur (the shape of ``p``'s kernel, non-negative, summing to 1) that best maps the picture of
    the modules ``m`` ((g, g), soft) to the registered crop ``y`` under the light planes ``paper`` and
    ``contrast``: least squares on the fitted pixels. ``support`` (bool, the kernel's shape): the
    pixels the blur may cover (all when None); fewer unknowns are faster and better determined.

    Why: the estimator describes every blur as motion + Gaussian, and shake or defocus is neither; with
    the modules mostly right, the blur is a small linear problem (one unknown per kernel pixel, one
    equation per crop pixel), and the next solve under it fixes modules the first one got wrong.

    How: least squares over a fixed random subset of ``samples`` fitted pixels (exact equations, a
    few thousand for a few hundred unknowns), then non-negative least squares by FISTA on the normal
    equations.
    """
    kh, kw = p.model.kernel_shape
    cy, cx = kh // 2, kw // 2
    up = np.repeat(np.repeat(m.astype(np.float32), PX, axis=0), PX, axis=1)
    up = np.pad(up, ((cy, kh - 1 - cy), (cx, kw - 1 - cx)))
    z = (paper - y) / np.maximum(contrast, 1e-3)
    ys, xs = np.nonzero(p.weight > 0)
    if len(ys) < 4 * kh * kw:
        return None
    if len(ys) > samples:
        pick = np.random.default_rng(0).choice(len(ys), samples, replace=False)
        ys, xs = ys[pick], xs[pick]
    # row x of the system: U(x - d) for every kernel offset d (U padded by the kernel's reach; the
    # kernels here have odd sides, so the flipped window is centred on x)
    windows = np.lib.stride_tricks.sliding_window_view(up, (kh, kw))[ys, xs]
    a = windows[:, ::-1, ::-1].reshape(len(ys), -1)
    inside = np.ones(kh * kw, bool) if support is None else support.ravel()
    a = np.ascontiguousarray(a[:, inside])
    gram = (a.T @ a).astype(np.float64)
    rhs = (a.T @ z[ys, xs]).astype(np.float64)
    scale = float(np.trace(gram)) / len(gram)
    if not np.isfinite(scale) or scale <= 0:
        return None
    gram += np.eye(len(gram)) * (1e-3 * scale)
    # the largest eigenvalue by a few power steps (the step size of the FISTA below)
    vec = np.ones(len(gram))
    for _ in range(20):
        vec = gram @ vec
        vec /= np.linalg.norm(vec)
    step = 1.0 / (1.05 * float(vec @ gram @ vec))
    k = np.full(len(gram), 1.0 / len(gram))
    v, t = k.copy(), 1.0
    for _ in range(150):
        nxt = np.maximum(v - step * (gram @ v - rhs), 0)
        t_next = (1 + np.sqrt(1 + 4 * t * t)) / 2
        v = nxt + ((t - 1) / t_next) * (nxt - k)
        k, t = nxt, t_next
    total = float(k.sum())
    if not np.isfinite(total) or total <= 1e-6:
        return None
    out = np.zeros(kh * kw, np.float32)
    out[inside] = k / total
    return out.reshape(kh, kw)


__all__ = ["PX", "GridModel", "GridProblem", "fit_kernel", "known_modules", "solve_modules"]
