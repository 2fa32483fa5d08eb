"""Read a heavily blurred code by solving for its modules: a blur model on the module grid.

The generator restores pixels; past about two modules of blur its crops have many wrong modules (a
median 17 % on the ``photo`` codes the cascade lost, ``docs/research/photo_module_errors.py``). This
module instead fits the picture a code of a given version makes through the blur::

    y(x) = paper(x) - contrast(x) * (k * up(m))(x),        m in [0, 1] per module

``y`` is the code rectified onto its module grid at :data:`PX` px per module, ``up`` repeats each
module over its PX x PX pixels, ``k`` is the blur in that crop (the generator's estimator gives it),
``paper`` and ``contrast`` are planes (uneven light). The symbol's function patterns (finders,
separators, timing, alignment, dark module, version information) are known for the version and held
fixed, the first quiet-zone module is light, and a ring of free modules around it absorbs whatever the
blur brings in from the surroundings. One unknown per module instead of one per pixel, and a few
hundred known ones, make the inversion well posed where a pixel restorer guesses.

The grid must be right to a fraction of a module (0.3 module of corner error reads nothing), so the
outline is first registered: ECC (OpenCV) aligns the blurred picture of the known modules with the
crop by a homography. Then FISTA (box-constrained least squares) alternates with a linear fit of the
light planes; the modules are thresholded and the code re-drawn clean for zxing-cpp.

The blur itself is refitted (:func:`solve_codes`): with the modules mostly right, the kernel that best
maps their picture to the crop is a small non-negative least-squares problem (:func:`fit_kernel`, within
a few pixels of the estimate's support), and the next solve under it fixes modules the first got wrong.
The estimator describes every blur as motion + Gaussian; shake and defocus are neither.

On the 125 ``photo`` codes that the cascade lost even given their true outline (blurred over 1-6
modules, outline 0.3 module off, ``docs/research/grid_solve_oracle.py``): the estimator's blur reads 43,
with nearby blurs 63, the scene's true PSF 74, the estimate refitted four times 80.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from scipy import fft

from qrdeblur.geometry import quad_side, rectify

#: Crop pixels per module of the grid model.
PX = 3
#: Versions the solver tries (the model's grid grows as 17 + 4 v modules).
VERSIONS = tuple(range(1, 11))
#: Blurs near an estimate worth a solve when the estimate's does not decode: (length factor, angle
#: offset degrees, sigma offset px, disk factor). A disk factor f > 0 replaces the estimated Gaussian by
#: a defocus disk of the same spread times f (radius 2 f sqrt(sigma^2 - 0.5^2), over a 0.5 px
#: Gaussian): the estimator describes every blur as motion + Gaussian, and a disk is what defocus is
#: (with the true disk the grid reads 17 of 18 lost codes defocused over 2-3 modules, with the
#: Gaussian fit 3). Ordered by codes read on the 125 lost ``photo`` codes (session 10: the estimate
#: alone 43, with these 63; the disk read 10, the motion changes 10).
BLUR_VARIANTS = (
    (1.0, 0.0, 0.0, 1.0),
    (1.15, 0.0, 0.0, 0.0),
    (1.0, 0.0, 0.5, 0.0),
    (0.85, 0.0, 0.0, 0.0),
    (1.0, -4.0, 0.0, 0.0),
    (1.0, 0.0, 0.0, 0.85),
    (1.0, 4.0, 0.0, 0.0),
)


def nearby_blurs(length: float, angle: float, sigma: float, count: int = len(BLUR_VARIANTS)) -> list[tuple]:
    """Up to ``count`` blurs near an estimate (:data:`BLUR_VARIANTS`), as ``kernel_of`` arguments
    (length, angle, sigma, disk radius); a disk too small to differ from the Gaussian is left out."""
    out = []
    for f_length, d_angle, d_sigma, disk in BLUR_VARIANTS[:count]:
        if disk > 0:
            radius = disk * 2 * float(np.sqrt(max(sigma * sigma - 0.25, 0.0)))
            if radius >= 0.75:
                out.append((length, angle, 0.5, radius))
        else:
            out.append((max(1.0, length * f_length), angle + d_angle, max(0.3, sigma + d_sigma), 0.0))
    return out


@lru_cache(maxsize=16)
def known_modules(version: int) -> np.ndarray:
    """(n, n) float32: 1 for a dark and 0 for a light module fixed by the version, NaN for data/format."""
    import segno
    import segno.consts as sc

    fixed_types = {
        sc.TYPE_FINDER_PATTERN_DARK: 1, sc.TYPE_FINDER_PATTERN_LIGHT: 0, sc.TYPE_SEPARATOR: 0,
        sc.TYPE_TIMING_DARK: 1, sc.TYPE_TIMING_LIGHT: 0, sc.TYPE_ALIGNMENT_PATTERN_DARK: 1,
        sc.TYPE_ALIGNMENT_PATTERN_LIGHT: 0, sc.TYPE_DARKMODULE: 1, sc.TYPE_VERSION_DARK: 1,
        sc.TYPE_VERSION_LIGHT: 0,
    }
    symbol = segno.make_qr("0", version=version, error="l", boost_error=False)
    types = np.array([list(row) for row in symbol.matrix_iter(border=0, verbose=True)])
    out = np.full(types.shape, np.nan, np.float32)
    for kind, value in fixed_types.items():
        out[types == kind] = value
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
        return 17 + 4 * self.version

    @classmethod
    def build(cls, version: int, kernel: np.ndarray) -> GridProblem:
        n = 17 + 4 * version
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


def register(
    y: np.ndarray, p: GridProblem, m: np.ndarray, iterations: int = 60, shifts=((0.0, 0.0),)
) -> tuple[np.ndarray, float] | None:
    """(W, correlation): the homography (grid crop -> ``y``'s pixels) aligning the blurred picture of
    the modules ``m`` (NaN: unknown, left out) with ``y``; None when ECC fails.

    ECC is invariant to the light's gain and offset, so the template is just the blurred module picture.
    ``shifts``: starting translations (crop px) to try, a short ECC from each, then the best one
    continued (ECC converges from within about half a module: an outline a module off needs a start
    near it).
    """
    known = ~np.isnan(m)
    template = (1 - p.model.forward_px(np.where(known, m, 0.5))).astype(np.float32)
    mask = (np.repeat(np.repeat(known, PX, axis=0), PX, axis=1) & (p.weight > 0)).astype(np.uint8)
    src = np.ascontiguousarray(y, dtype=np.float32)
    if len(shifts) == 1:
        start = np.eye(3, dtype=np.float32)
        start[:2, 2] = shifts[0]
        return _ecc(template, src, mask, start, iterations)
    best = None
    for shift in shifts:
        start = np.eye(3, dtype=np.float32)
        start[:2, 2] = shift
        found = _ecc(template, src, mask, start, min(iterations, 15))
        if found is not None and (best is None or found[1] > best[1]):
            best = found
    if best is None:
        return None
    final = _ecc(template, src, mask, best[0].astype(np.float32), iterations)
    return final if final is not None and final[1] >= best[1] else best


def start_shifts(search: float) -> list[tuple[float, float]]:
    """ECC starts (crop px) for an outline up to ``search`` modules off: itself, and moved that far
    along each axis and diagonal (none more when ``search`` is 0)."""
    shifts = [(0.0, 0.0)]
    if search > 0:
        step = search * PX
        shifts += [(dx * step, dy * step) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]
    return shifts


def _ecc(template, src, mask, warp, iterations: int) -> tuple[np.ndarray, float] | None:
    criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, iterations, 1e-5)
    try:
        if hasattr(cv2, "findTransformECCWithMask"):  # OpenCV >= 4.12: a template mask
            rho, warp = cv2.findTransformECCWithMask(
                template, src, mask, np.ones_like(mask), warp, cv2.MOTION_HOMOGRAPHY, criteria, 5
            )
        else:
            rho, warp = cv2.findTransformECC(template, src, warp, cv2.MOTION_HOMOGRAPHY, criteria, mask, 5)
    except cv2.error:
        return None
    return warp.astype(np.float64), float(rho)


@dataclass
class GridSolution:
    """Solved modules of one version: ``dark`` (n, n) bool, the outline in the input image, the fit;
    ``soft`` (n, n) float: each module's solved darkness in [0, 1], for erasure decoding
    (:mod:`qrdeblur.decode.soft_modules`)."""

    version: int
    dark: np.ndarray
    corners: np.ndarray
    correlation: float
    soft: np.ndarray | None = None


def _plausible_move(before: np.ndarray, after: np.ndarray) -> bool:
    """A registration moves an outline by a few modules at most: centre within a quarter of the side,
    side within 30 %, and the outline still convex."""
    a, b = quad_side(before), quad_side(after)
    if not np.isfinite(after).all() or b < 0.7 * a or b > 1.3 * a:
        return False
    if np.linalg.norm(after.mean(axis=0) - before.mean(axis=0)) > 0.25 * a:
        return False
    return bool(cv2.isContourConvex(after.astype(np.float32).reshape(-1, 1, 2)))


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


def solve_code(
    grey: np.ndarray,
    quad: np.ndarray,
    version: int,
    kernel: np.ndarray,
    rounds: int = 2,
    iterations: tuple = (2, 20),
    fast: tuple = (4, 40),
) -> GridSolution | None:
    """Register the grid of a ``version`` code outlined (roughly) by ``quad`` in ``grey`` (float [0, 1]),
    then solve its modules under the blur ``kernel`` (crop px at :data:`PX` per module).

    ``rounds`` of registration and solving: the first registers the known modules, each next one the
    solved modules too (then continues the solve from there). Each solve runs ``iterations`` (outer,
    inner) on the pixels; the first starts from ``fast`` iterations on the module averages. On 40
    ``photo`` codes (estimated blur, outline 0.3 module off) these defaults read 14 in ~100 ms, 4 x 40
    pixel iterations 15 in ~260 ms.
    """
    return next(solve_codes(grey, quad, version, kernel, 0, rounds, iterations, fast), None)


def solve_codes(
    grey: np.ndarray,
    quad: np.ndarray,
    version: int,
    kernel: np.ndarray,
    refits: int,
    rounds: int = 2,
    iterations: tuple = (2, 20),
    fast: tuple = (4, 40),
    grow: int = 0,
    search: float = 0.0,
) -> Iterator[GridSolution]:
    """:func:`solve_code`'s solution, then ``refits`` more: each after fitting the blur to the last
    solve's modules (:func:`fit_kernel`, within ``grow`` px of ``kernel``'s support) and
    solving again from them. The caller decodes each and stops at the first that reads. ``search``
    (modules): the first registration also starts from the outline moved this far each way (9 starts)."""
    support = None
    if grow > 0 and refits > 0:
        kernel = np.pad(kernel, grow)
        disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        support = cv2.dilate((kernel > 0.01 * kernel.max()).astype(np.uint8), disk) > 0
    p = GridProblem.build(version, kernel)
    quad = np.asarray(quad, np.float64).reshape(4, 2)
    template, m, rho, planes, y = p.fixed, None, 0.0, None, None
    shifts = start_shifts(search)
    for k in range(rounds):
        rect = p.crop(grey, quad)
        found = register(rect.image, p, template, shifts=shifts if k == 0 else ((0.0, 0.0),))
        if found is None:
            if m is None:
                return
            break
        warp, rho = found
        moved = cv2.perspectiveTransform(p.symbol_corners().reshape(-1, 1, 2), rect.to_image @ warp)
        moved = moved.reshape(4, 2)
        if not _plausible_move(quad, moved):  # ECC wandered off: not this code's grid
            if m is None:
                return
            break
        quad = moved
        y = p.crop(grey, quad).image
        if fast[0] and m is None:  # a start from the module averages (cheap)
            m, _, _ = solve_modules(y, p, *fast, pixels=False)
        m, *planes = solve_modules(y, p, *iterations, init=m)
        template = m
    r, n = p.ring, p.n
    yield GridSolution(version, m[r : r + n, r : r + n] > 0.5, quad, rho, m[r : r + n, r : r + n])
    for _ in range(refits):
        fitted = fit_kernel(y, p, m, *planes, support=support)
        if fitted is None:
            return
        p = GridProblem(p.version, p.ring, p.fixed, p.lo, p.hi, p.weight, GridModel(p.model.g, fitted))
        m, *planes = solve_modules(y, p, *iterations, init=m)
        yield GridSolution(version, m[r : r + n, r : r + n] > 0.5, quad, rho, m[r : r + n, r : r + n])


def rank_versions(
    grey: np.ndarray,
    quad: np.ndarray,
    kernel_at,
    versions=VERSIONS,
    keep: int = 3,
    iterations: int = 30,
    turns: tuple[int, ...] = (0,),
    search: float = 0.0,
) -> list[tuple[int, float, np.ndarray]]:
    """Versions by how well their known modules, blurred, fit the outlined code, best first.

    ``kernel_at(version)`` gives the blur for that version's grid crop. Every version is scored by the
    correlation (ECC's, over the known modules) as outlined; the best ``keep`` are then registered
    (ECC, a homography) and ranked by the registered correlation. On ``photo`` codes with an outline
    0.3 module off, registering all ten ranked the true version first for 38 of 40 (the finders'
    size, the timing and alignment patterns differ between versions).

    ``turns``: quarter turns of the outline to try (a zxing-cpp outline starts at the symbol's top-left
    corner; other detectors' may not). ``search``: the registrations also start this many modules off
    (:func:`start_shifts`). Returns (version, correlation, outline turned as it fits).
    """
    quad = np.asarray(quad, np.float64).reshape(4, 2)
    side = quad_side(quad)
    first = []
    for v in versions:
        if side / (17 + 4 * v) < 1.0:  # modules under a pixel: not this version
            continue
        p = GridProblem.build(v, kernel_at(v))
        known = ~np.isnan(p.fixed)
        template = (1 - p.model.forward_px(np.where(known, p.fixed, 0.5))).astype(np.float32)
        mask = (np.repeat(np.repeat(known, PX, axis=0), PX, axis=1) & (p.weight > 0)).astype(np.uint8)
        for turn in turns:
            turned = np.roll(quad, -turn, axis=0)
            y = np.ascontiguousarray(p.crop(grey, turned).image, dtype=np.float32)
            first.append((float(cv2.computeECC(template, y, mask)), v, p, y, turned))
    first.sort(key=lambda t: -t[0])
    ranked = []
    for _, v, p, y, turned in first[:keep]:
        found = register(y, p, p.fixed, iterations, shifts=start_shifts(search))
        if found is not None:
            ranked.append((v, found[1], turned))
    return sorted(ranked, key=lambda t: -t[1])


def warm_up() -> None:
    """Pay the solver's one-time costs now (the versions' known modules, the FFT and ECC set-up): about
    0.1 s on a 2-core machine, which would otherwise land on the first code the ``grid`` step tries."""
    for version in VERSIONS:
        known_modules(version)
    rng = np.random.default_rng(0)
    p = GridProblem.build(1, np.full((3, 3), 1 / 9, np.float32))
    y = rng.random((p.model.size, p.model.size)).astype(np.float32)
    register(y, p, p.fixed, iterations=2)
    solve_modules(y, p, 1, 2)
    solve_modules(y, p, 1, 2, pixels=False)


def render_modules(dark: np.ndarray, px: int = 4, quiet: int = 4) -> np.ndarray:
    """A clean uint8 picture of the module matrix (black modules on white, with a quiet zone)."""
    img = np.pad(np.where(dark, 0, 255).astype(np.uint8), quiet, constant_values=255)
    return cv2.resize(img, None, fx=px, fy=px, interpolation=cv2.INTER_NEAREST)


__all__ = [
    "BLUR_VARIANTS",
    "PX",
    "VERSIONS",
    "GridModel",
    "GridProblem",
    "GridSolution",
    "known_modules",
    "nearby_blurs",
    "rank_versions",
    "register",
    "render_modules",
    "fit_kernel",
    "solve_code",
    "solve_codes",
    "solve_modules",
    "start_shifts",
    "warm_up",
]
