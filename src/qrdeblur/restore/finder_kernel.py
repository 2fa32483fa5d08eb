"""Blind blur-kernel estimate from a QR code's three finder patterns, and Wiener with it.

Why: Wiener deconvolution with the true kernel reads far more long-motion codes than the generator
(``paper80``: 98% vs 0% at 10 px of motion, sigma 1), but nobody knows the true kernel. A QR code
carries a known patch in three corners: quiet zone, the 7x7 finder pattern and its 1-module white
separator. When the crop's framing is known (a whole code, a quiet zone of ``quiet`` modules, a
version among ``versions``, a square crop of ``size`` px: the framing of ``paper80`` and of the
paper's own 80x80 crops), the sharp look of those patches is known, so the kernel can be fitted to
them: motion length, motion angle and Gaussian sigma, by least squares on the pixels whose whole
kernel support lies inside the known patches.

How: a coarse grid (length 0-22 px step 2, angle step 6 degrees, sigma 0.5-3.5 step 0.5, each
version) is scored at once as matrix-vector products against a bank of precomputed predictions
(built on first use, about a second), then a fine grid around the winner (length +-1.5 step 0.5,
angle +-5 step 1, sigma +-0.375 step 0.125) by direct filtering. On ``paper80`` (held-out draw,
sigma 1-2) the estimate lands within about 1 degree and 0.5 px, and Wiener with it decodes as many
codes as Wiener with the true kernel (``docs/research/README.md``).

Limits: it assumes the framing above and full contrast (dark 0, light 1); on other crops the fit
returns the best of wrong hypotheses. It is a building block for crops whose framing is known, not
(yet) a step of ``scan``, whose candidate regions are not framed that precisely.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from qrdeblur.errors import UsageError
from qrdeblur.qrspec import FINDER_SIZE, VERSIONS, finder_centres, function_modules, modules
from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.synth import kernels
from qrdeblur.synth.render import render_matrix

COARSE_LENGTHS = tuple(range(0, 23, 2))
COARSE_ANGLES = tuple(range(0, 180, 6))
COARSE_SIGMAS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5)
#: fewer valid pixels than this and a hypothesis is not scored (a huge kernel covers no known patch)
MIN_VALID_PIXELS = 20


@dataclass(frozen=True)
class KernelEstimate:
    """A fitted blur: motion ``length`` (px) at ``angle`` (degrees, as :func:`kernels.motion`),
    then a Gaussian of ``sigma`` px; ``version`` is the QR version whose framing fitted best and
    ``rms`` the root-mean-square residual on the known pixels (image units)."""

    length: float
    angle: float
    sigma: float
    version: int
    rms: float

    def psf(self) -> np.ndarray:
        """The kernel, as the synthesis composes it."""
        return kernel_of(self.length, self.angle, self.sigma)


def kernel_of(length: float, angle: float, sigma: float, radius: float = 0.0) -> np.ndarray:
    """Motion blur of ``length`` px at ``angle`` degrees, then a Gaussian of ``sigma`` px, then a
    defocus disk of ``radius`` px (none below 0.5 px)."""
    parts = [kernels.motion(length, angle), kernels.gaussian(sigma)]
    if radius >= 0.5:
        parts.append(_disk(round(float(radius) * 20) / 20))  # 0.05 px steps: cached, and finer is noise
    return kernels.compose(*parts)


@lru_cache(maxsize=512)
def _disk(radius: float) -> np.ndarray:
    return kernels.disk(radius)


@lru_cache(maxsize=8)
def known_patches(version: int, size: int, quiet: int) -> tuple[np.ndarray, np.ndarray]:
    """The sharp ``size``-px image of the three finder corners, and the mask of exactly known pixels.

    Rendered with :func:`render_matrix` (the way the synthesis renders whole codes), so a pixel
    straddling a known and an unknown module is not counted as known.
    """
    n = modules(version) + 2 * quiet
    dark = np.zeros((n, n), bool)
    known = np.zeros((n, n), bool)
    side = quiet + FINDER_SIZE + 1  # the quiet zone, the finder and its separator
    known[:side, :side] = known[:side, -side:] = known[-side:, :side] = True
    finder = function_modules(version)[:FINDER_SIZE, :FINDER_SIZE] == 1
    half = FINDER_SIZE // 2
    for r, c in finder_centres(version):
        dark[quiet + r - half : quiet + r + half + 1, quiet + c - half : quiet + c + half + 1] = finder
    image = render_matrix(dark, size_px=size)
    # render the mask as an image: known modules light, unknown dark; only fully light pixels count
    mask = render_matrix(~known, size_px=size) > 0.999
    return image, mask


def _predict(sharp: np.ndarray, mask: np.ndarray, psf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The blurred known patches, and the pixels whose whole kernel support lies in known modules."""
    support = np.ones(psf.shape, np.uint8)
    valid = cv2.erode(mask.astype(np.uint8), support, borderType=cv2.BORDER_CONSTANT, borderValue=1) > 0
    pred = cv2.filter2D(sharp, -1, np.ascontiguousarray(psf[::-1, ::-1]), borderType=cv2.BORDER_REPLICATE)
    return pred, valid


def _score(blurred: np.ndarray, sharp: np.ndarray, mask: np.ndarray, psf: np.ndarray) -> float:
    """Mean squared error of the predicted blur on the valid known pixels (inf if too few)."""
    pred, valid = _predict(sharp, mask, psf)
    if valid.sum() < MIN_VALID_PIXELS:
        return np.inf
    return float(np.mean((pred[valid] - blurred[valid]) ** 2))


class _CoarseBank:
    """Predictions of every coarse hypothesis on the known pixels, for matrix-vector scoring.

    For a hypothesis k with predictions p_k and valid-pixel weights w_k (0/1), the squared error on
    an observation b is sum w_k p_k^2 - 2 (w_k p_k) . b + w_k . b^2: two matrix-vector products.
    """

    def __init__(self, version: int, size: int, quiet: int):
        sharp, mask = known_patches(version, size, quiet)
        self.index = np.flatnonzero(mask)
        params, wp, w, pp = [], [], [], []
        for length in COARSE_LENGTHS:
            for angle in COARSE_ANGLES:
                if length == 0 and angle:
                    continue  # no motion: the angle means nothing
                for sigma in COARSE_SIGMAS:
                    pred, valid = _predict(sharp, mask, kernel_of(length, angle, sigma))
                    valid = valid.ravel()[self.index].astype(np.float32)
                    if valid.sum() < MIN_VALID_PIXELS:
                        continue
                    pred = pred.ravel()[self.index]
                    params.append((float(length), float(angle), float(sigma)))
                    wp.append(valid * pred)
                    w.append(valid)
                    pp.append(float((valid * pred * pred).sum()))
        self.params = params
        self.wp = np.stack(wp)
        self.w = np.stack(w)
        self.pp = np.asarray(pp, np.float64)
        self.count = self.w.sum(axis=1).astype(np.float64)

    def best(self, blurred: np.ndarray) -> tuple[tuple[float, float, float], float]:
        """The hypothesis with the least mean squared error, and that error."""
        b = blurred.ravel()[self.index].astype(np.float32)
        err = (self.pp - 2 * (self.wp @ b) + self.w @ (b * b)) / self.count
        k = int(np.argmin(err))
        return self.params[k], float(err[k])


class FinderKernelFit:
    """Fits the blur kernel of a whole-code crop of known framing (see the module docstring).

    Args:
        size: side of the square crop in px.
        quiet: quiet zone in modules on every side.
        versions: QR versions the crop may hold (each is a framing hypothesis).
    """

    def __init__(self, size: int = 80, quiet: int = 4, versions: tuple[int, ...] = (1, 2)):
        if size < 32 or quiet < 1 or not versions or any(v not in VERSIONS for v in versions):
            raise UsageError(
                f"finder kernel fit needs size >= 32, quiet >= 1 and versions 1-40, got "
                f"size={size}, quiet={quiet}, versions={versions}"
            )
        self.size, self.quiet, self.versions = size, quiet, tuple(versions)
        self._banks: dict[int, _CoarseBank] = {}

    def _bank(self, version: int) -> _CoarseBank:
        if version not in self._banks:
            self._banks[version] = _CoarseBank(version, self.size, self.quiet)
        return self._banks[version]

    def estimate(self, grey: np.ndarray) -> KernelEstimate:
        """The fitted kernel of ``grey`` ((size, size) float in [0, 1], dark modules near 0)."""
        b = np.asarray(grey, dtype=np.float32)
        if b.shape != (self.size, self.size):
            raise UsageError(f"finder kernel fit expects a {self.size}x{self.size} grey crop, got {b.shape}")
        best_err, best = np.inf, None
        for version in self.versions:
            params, err = self._bank(version).best(b)
            if err < best_err:
                best_err, best = err, (*params, version)
        length, angle, sigma, version = best
        sharp, mask = known_patches(version, self.size, self.quiet)
        for ln in np.arange(max(0.0, length - 1.5), length + 1.6, 0.5):
            for an in np.arange(angle - 5, angle + 5.1, 1.0):
                for sg in np.arange(max(0.3, sigma - 0.375), sigma + 0.4, 0.125):
                    err = _score(b, sharp, mask, kernel_of(ln, an % 180, sg))
                    if err < best_err:
                        best_err, (length, angle, sigma) = err, (float(ln), float(an % 180), float(sg))
        return KernelEstimate(length, angle, sigma, version, float(np.sqrt(best_err)))


@lru_cache(maxsize=4)
def default_fit(size: int = 80) -> FinderKernelFit:
    """A shared :class:`FinderKernelFit` for ``paper80``-framed crops (its bank is built once)."""
    return FinderKernelFit(size=size)


def finder_wiener(grey: np.ndarray, fit: FinderKernelFit | None = None) -> np.ndarray:
    """Wiener-deconvolve ``grey`` (float [0, 1]) with the kernel fitted to its finder patterns."""
    fit = fit or default_fit(int(np.asarray(grey).shape[0]))
    return wiener_oracle(grey, fit.estimate(grey).psf())


__all__ = ["FinderKernelFit", "KernelEstimate", "default_fit", "finder_wiener", "kernel_of", "known_patches"]
