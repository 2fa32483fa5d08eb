"""A blind, non-parametric blur estimate for a code region: refine a start kernel with the code's
two-tone prior, restoring with Wiener.

A code is two-tone: restored with a kernel close to the true one, its picture binarises cleanly, and
the kernel that best blurs that binary picture into the observation is closer still. Each round:
Wiener with the current kernel, binarise (dark and light levels from the restoration's 5th and 95th
percentiles, threshold half way), fit the kernel by Fourier least squares with a small ridge, cut to a
square support, clipped non-negative and normalised. The caller decodes the Wiener restoration after
each round and stops at the first that reads; the decoder's error correction is the acceptance test,
so a wrong kernel gives a failed read, not a false one.

Measured on the ``shake`` suite (``research/shake_kernel_refine.py``, 6 codes per cell): from 48
straight-line starts (12 angles x 4 lengths) 6, 6 and 4 of 6 codes blurred over <=2, 2-4 and 4-6
module widths read, none past 6 (a coarse-to-fine pyramid did not help there); from the best straight
line along the true path 6, 6, 6, 1, 1. Any kernel shape is reachable (camera shake is neither a line
nor a disk), but the start must be within about a module of the truth.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.synth import kernels

#: Wiener's noise-to-signal balance in the rounds.
BALANCE = 0.01
#: The fit's ridge, relative to the latent's mean spectral power.
RIDGE = 1e-2


def binarise(x: np.ndarray) -> np.ndarray:
    """The two-tone picture of a restored code: each pixel the dark or the light level (5th and 95th
    percentiles), whichever side of half way it is on."""
    lo, hi = np.percentile(x, (5, 95))
    return np.where(x > (lo + hi) / 2, hi, lo).astype(np.float64)


def fit_kernel(latent: np.ndarray, observed: np.ndarray, side: int, ridge: float = RIDGE) -> np.ndarray:
    """The non-negative ``side`` x ``side`` kernel (odd side) that best blurs ``latent`` into ``observed``
    (means removed), by Fourier least squares with a ridge, cut to the support and normalised."""
    a = latent - latent.mean()
    b = observed - observed.mean()
    fa, fb = np.fft.rfft2(a), np.fft.rfft2(b)
    power = np.abs(fa) ** 2
    k = np.fft.fftshift(np.fft.irfft2(np.conj(fa) * fb / (power + ridge * power.mean()), s=a.shape))
    cy, cx, h = a.shape[0] // 2, a.shape[1] // 2, side // 2
    k = np.clip(k[max(0, cy - h) : cy + h + 1, max(0, cx - h) : cx + h + 1], 0, None)
    return k / k.sum() if k.sum() > 0 else kernels.identity()


def fit_kernel_nonneg(
    latent: np.ndarray, observed: np.ndarray, side: int, ridge: float = 1e-4, iters: int = 300
) -> np.ndarray:
    """The non-negative ``side`` x ``side`` kernel (odd side) that best blurs ``latent`` into ``observed``
    (same shape, means removed), normalised: least squares over the pixels whose whole blur lies inside
    the picture (no wrap-around, unlike :func:`fit_kernel`), solved by accelerated projected gradient
    (FISTA) from a flat start. A featureless picture gives the identity.

    Why: a shake kernel is a thin path; non-negativity during the solve (not a clip after it) keeps the
    mass on the path, where a clipped unconstrained fit spreads it as noise over the support. Given the
    true sharp picture, the kernels it fits read as many ``shake`` codes as the true kernels do (8, 8, 8,
    8, 6 of 8 per cell), where the wrap-around fit read 8, 6, 4, 6, 2.
    """
    x, _ = nonneg_kernel_fit(latent, observed, side, ridge, iters)
    return x / x.sum() if x.sum() > 0 else kernels.identity()


def nonneg_kernel_fit(
    latent: np.ndarray, observed: np.ndarray, side: int, ridge: float = 1e-4, iters: int = 300
) -> tuple[np.ndarray, np.ndarray | float]:
    """The fit behind :func:`fit_kernel_nonneg`: the kernel as solved (not normalised: its sum is the
    contrast between ``observed`` and ``latent``) and the share of the valid region's variance it
    explains (1 - residual energy / energy, means removed; 0 for a featureless picture).

    Batched: ``latent`` and ``observed`` may be (B, H, W) stacks (or one of them (H, W), shared); the
    kernels are then (B, side, side) and the shares (B,), all solved together."""
    from scipy import fft

    batched = latent.ndim == 3 or observed.ndim == 3
    lat = np.asarray(latent, dtype=np.float64)
    obs = np.asarray(observed, dtype=np.float64)
    lat, obs = (x if x.ndim == 3 else x[None] for x in (lat, obs))
    bsz = max(len(lat), len(obs))
    h, w = lat.shape[1:]
    if side > min(h, w):
        raise ValueError(f"kernel side {side} exceeds the picture {lat.shape[1:]}")
    full = (fft.next_fast_len(h + side - 1, real=True), fft.next_fast_len(w + side - 1, real=True))
    a = lat - lat.mean(axis=(1, 2), keepdims=True)
    r = side // 2
    b = (obs - obs.mean(axis=(1, 2), keepdims=True))[:, r : h - r, r : w - r]  # where the valid convolution lands
    b = np.broadcast_to(b - b.mean(axis=(1, 2), keepdims=True), (bsz, *b.shape[1:]))
    af = np.broadcast_to(fft.rfft2(a, full), (bsz, full[0], full[1] // 2 + 1))
    lam = ridge * (a**2).sum(axis=(1, 2))
    lam = np.broadcast_to(lam, (bsz,))[:, None, None]
    energy = (b**2).sum(axis=(1, 2))

    def forward(k: np.ndarray) -> np.ndarray:  # valid convolution of the latent with k
        return fft.irfft2(af * fft.rfft2(k, full), full)[:, side - 1 : h, side - 1 : w]

    def adjoint(e: np.ndarray) -> np.ndarray:  # its transpose: the latent correlated with e
        c = fft.irfft2(np.conj(fft.rfft2(e, full)) * af, full)
        return c[:, :side, :side][:, ::-1, ::-1]

    step = 1.0 / ((np.abs(af) ** 2).max(axis=(1, 2))[:, None, None] + lam + 1e-12)
    rhs = adjoint(b)
    x = np.full((bsz, side, side), 1.0 / side**2)
    y, t = x.copy(), 1.0
    for _ in range(iters):
        grad = adjoint(forward(y)) + lam * y - rhs
        x_new = np.clip(y - step * grad, 0, None)
        t_new = (1 + np.sqrt(1 + 4 * t * t)) / 2
        y = x_new + (t - 1) / t_new * (x_new - x)
        x, t = x_new, t_new
    residual = b - forward(x)
    residual = residual - residual.mean(axis=(1, 2), keepdims=True)
    dead = (lam[:, 0, 0] <= 0) | (energy <= 0)  # a featureless picture pins no kernel
    explained = np.where(dead, 0.0, 1.0 - (residual**2).sum(axis=(1, 2)) / np.where(energy > 0, energy, 1.0))
    x[dead] = 0.0
    if batched:
        return x, explained
    return x[0], float(explained[0])


def line_starts(lengths: tuple[float, ...], angles: int) -> list[np.ndarray]:
    """Straight-line starts: every length (px) at ``angles`` angles over 180 degrees, slightly softened."""
    return [
        kernels.compose(kernels.motion(float(n), float(a)), kernels.gaussian(0.5))
        for n in lengths
        for a in np.arange(angles) * 180.0 / angles
    ]


def refinements(
    observed: np.ndarray,
    start: np.ndarray,
    rounds: int,
    grow: int = 4,
    balance: float = BALANCE,
    ridge: float = RIDGE,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(kernel, Wiener restoration of ``observed`` (float [0, 1]) under it): ``start``'s, then each refined
    kernel's, ``rounds`` refinements on a support ``grow`` px wider each way than the start's (the
    wrap-around :func:`fit_kernel`: from a binarised restoration, the valid-region fit refined no better,
    5, 4, 5, 1, 1 of 6 per cell from the best straight line against 6, 6, 6, 1, 1)."""
    k = start
    side = max(start.shape) + 2 * grow
    side += 1 - side % 2
    restored = wiener_oracle(observed, k, balance)
    yield k, restored
    for _ in range(rounds):
        k = fit_kernel(binarise(restored), observed, side, ridge)
        restored = wiener_oracle(observed, k, balance)
        yield k, restored
