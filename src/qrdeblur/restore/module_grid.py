"""Read a heavily blurred code by solving for its modules: a blur model on the module grid.

The generator restores pixels; past about two modules of blur its crops have many wrong modules (a
median 17 % on the ``photo`` codes the cascade lost, ``research/photo_module_errors.py``). This
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
modules, outline 0.3 module off, ``research/grid_solve_oracle.py``): the estimator's blur reads 43,
with nearby blurs 63, the scene's true PSF 74, the estimate refitted four times 80.

The blur model and its solvers are in :mod:`qrdeblur.restore.grid_model`, the registration in
:mod:`qrdeblur.restore.grid_register`; their public names are importable from here too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from qrdeblur.geometry import quad_side
from qrdeblur.qrspec import modules
from qrdeblur.restore.grid_model import PX, GridModel, GridProblem, fit_kernel, known_modules, solve_modules
from qrdeblur.restore.grid_register import register, start_shifts

#: Versions the solver tries (the model's grid grows with the symbol, :func:`qrdeblur.qrspec.modules`).
VERSIONS = tuple(range(1, 11))
#: Blurs near an estimate worth a solve when the estimate's does not decode: (length factor, angle
#: offset degrees, sigma offset px, disk factor). A disk factor f > 0 replaces the estimated Gaussian by
#: a defocus disk of the same spread times f (radius 2 f sqrt(sigma^2 - 0.5^2), over a 0.5 px
#: Gaussian): the estimator describes every blur as motion + Gaussian, and a disk is what defocus is
#: (with the true disk the grid reads 17 of 18 lost codes defocused over 2-3 modules, with the
#: Gaussian fit 3). Ordered by codes read on the 125 lost ``photo`` codes (the estimate
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


@dataclass
class GridSolution:
    """Solved modules of one version: ``dark`` (n, n) bool, the outline in the input image, the fit;
    ``soft`` (n, n) float: each module's solved darkness in [0, 1] (how sure the solve is of each)."""

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
        if side / modules(v) < 1.0:  # modules under a pixel: not this version
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
