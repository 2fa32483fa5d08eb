"""Blur kernels (point-spread functions).

Every function returns a float64 array of odd height and width that sums to 1, so that convolving an
image with it keeps the mean brightness. Kernels compose by convolution (:func:`compose`).

The motion and disk kernels follow MATLAB's ``fspecial`` because the paper synthesises its data with
it; the camera-shake trajectories follow Boracchi & Foi (2012), the model DeblurGAN uses.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import convolve2d

from qrdeblur.errors import UsageError

_EPS = np.finfo(np.float64).eps


def motion(length: float, theta: float) -> np.ndarray:
    """Linear motion blur with the semantics of MATLAB's ``fspecial('motion', LEN, THETA)``.

    A line segment ``length`` pixels long at ``theta`` degrees counter-clockwise from the x axis
    (image rows grow downwards, so 90 degrees is a vertical line), with anti-aliased ends: the
    fractional part of the length lands on the two end pixels. ``theta=0`` gives a ``1 x LEN`` row of
    ``1/LEN`` for odd LEN. A length below 1 is treated as 1 (the identity kernel), as MATLAB does.

    This is a port of MATLAB's documented algorithm (Octave's ``fspecial`` differs: it draws the line
    without anti-aliasing).

    Args:
        length: motion length in pixels (``LEN``), >= 0.
        theta: angle in degrees, counter-clockwise.

    Returns:
        Odd-sized kernel summing to 1.

    Example:
        >>> motion(3, 0).round(3)
        array([[0.333, 0.333, 0.333]])
    """
    if not np.isfinite(length) or length < 0:
        raise UsageError(f"motion length must be a finite number >= 0, got {length}")
    if not np.isfinite(theta):
        raise UsageError(f"motion angle must be finite, got {theta}")
    length = max(1.0, float(length))
    half = (length - 1) / 2
    phi = np.mod(theta, 180) / 180 * np.pi
    cosphi, sinphi = np.cos(phi), np.sin(phi)
    xsign = np.sign(cosphi)
    linewdt = 1.0
    # eps keeps the half-matrix the right size at exactly 0 and 90 degrees
    sx = np.fix(half * cosphi + linewdt * xsign - length * _EPS)
    sy = np.fix(half * sinphi + linewdt - length * _EPS)
    xs = np.arange(0, sx + xsign * 0.5, xsign) if xsign != 0 else np.array([0.0])
    ys = np.arange(0, sy + 0.5, 1.0)
    x, y = np.meshgrid(xs, ys)
    # shortest distance from each pixel centre to the rotated line
    dist2line = y * cosphi - x * sinphi
    rad = np.sqrt(x**2 + y**2)
    # pixels beyond the end point but within the line width: distance to the end point instead
    last = (rad >= half) & (np.abs(dist2line) <= linewdt)
    x2last = half - np.abs((x[last] + dist2line[last] * sinphi) / cosphi)
    dist2line[last] = np.sqrt(dist2line[last] ** 2 + x2last**2)
    dist2line = linewdt + _EPS - np.abs(dist2line)
    dist2line[dist2line < 0] = 0
    # unfold the half matrix to the full kernel
    h = np.rot90(dist2line, 2)
    rows, cols = h.shape
    full = np.zeros((2 * rows - 1, 2 * cols - 1))
    full[:rows, :cols] = h
    full[rows - 1 :, cols - 1 :] = dist2line
    full /= full.sum() + _EPS * length * length
    if cosphi > 0:
        full = np.flipud(full)
    return full / full.sum()


def gaussian(sigma: float, size: int | None = None) -> np.ndarray:
    """Isotropic Gaussian kernel, as ``fspecial('gaussian', size, sigma)``.

    Args:
        sigma: standard deviation in pixels, >= 0 (0 gives the identity kernel).
        size: odd side length; default ``2 * ceil(3 * sigma) + 1`` (covers +-3 sigma).
    """
    if not np.isfinite(sigma) or sigma < 0:
        raise UsageError(f"gaussian sigma must be a finite number >= 0, got {sigma}")
    if sigma == 0:
        return np.ones((1, 1))
    if size is None:
        size = 2 * int(np.ceil(3 * sigma)) + 1
    if size < 1 or size % 2 == 0:
        raise UsageError(f"gaussian kernel size must be odd and >= 1, got {size}")
    r = np.arange(size) - (size - 1) / 2
    g = np.exp(-(r**2) / (2 * sigma**2))
    k = np.outer(g, g)
    return k / k.sum()


def disk(radius: float, supersample: int = 16) -> np.ndarray:
    """Defocus (pillbox) kernel, as ``fspecial('disk', radius)``.

    Each pixel's weight is the area of the pixel square covered by a disk of ``radius`` centred on the
    middle pixel; MATLAB computes that area analytically, here it is integrated on a
    ``supersample x supersample`` grid per pixel (agrees with MATLAB to about 1e-3 per weight).

    Args:
        radius: disk radius in pixels, >= 0 (below 0.5 gives the identity kernel).
    """
    if not np.isfinite(radius) or radius < 0:
        raise UsageError(f"disk radius must be a finite number >= 0, got {radius}")
    if radius < 0.5:
        return np.ones((1, 1))
    half = int(np.ceil(radius - 0.5))
    size = 2 * half + 1
    offsets = (np.arange(supersample) + 0.5) / supersample - 0.5
    centres = np.arange(size) - half
    fine = (centres[:, None] + offsets[None, :]).ravel()
    yy, xx = np.meshgrid(fine, fine, indexing="ij")
    inside = (xx**2 + yy**2 <= radius**2).astype(np.float64)
    k = inside.reshape(size, supersample, size, supersample).mean(axis=(1, 3))
    return k / k.sum()


def _splat(xs: np.ndarray, ys: np.ndarray, canvas: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Points (pixel coordinates, ``weights`` each, 1 by default) spread bilinearly over their four
    neighbouring pixels of a ``canvas`` x ``canvas`` grid (points off the grid dropped); not normalised."""
    k = np.zeros((canvas, canvas))
    x0, y0 = np.floor(xs).astype(int), np.floor(ys).astype(int)
    fx, fy = xs - x0, ys - y0
    for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        cx, cy = x0 + dx, y0 + dy
        ok = (cx >= 0) & (cx < canvas) & (cy >= 0) & (cy < canvas)
        np.add.at(k, (cy[ok], cx[ok]), (w if weights is None else w * weights)[ok])
    return k


def shake_path(
    rng: np.random.Generator, length: float, anxiety: float | None = None, steps: int = 2000
) -> np.ndarray:
    """A random camera-shake path after Boracchi & Foi (2012): ``steps`` positions (complex, x + iy, px)
    of a particle moving with inertia, random accelerations and occasional abrupt impulses
    (``anxiety``: their probability per step, default uniform in [0, 0.005]), ``length`` px long in
    all, starting at 0. :func:`trajectory` rasterises one; :func:`path_kernel` rasterises any path."""
    max_length = length
    if anxiety is None:
        anxiety = 0.005 * rng.random()
    centripetal = 0.7 * rng.random()
    gaussian_term = 10 * rng.random()
    freq_big_shakes = 0.2 * rng.random()
    init_angle = 2 * np.pi * rng.random()
    v0 = np.cos(init_angle) + 1j * np.sin(init_angle)
    v = v0 * max_length / (steps - 1)
    x = np.zeros(steps, dtype=np.complex128)
    for t in range(steps - 1):
        if rng.random() < freq_big_shakes * anxiety:
            next_direction = 2 * v * np.exp(1j * (np.pi + (rng.random() - 0.5)))
        else:
            next_direction = 0
        dv = next_direction + anxiety * (
            gaussian_term * (rng.standard_normal() + 1j * rng.standard_normal()) - centripetal * x[t]
        ) * (max_length / (steps - 1))
        v = v + dv
        v = (v / (abs(v) + 1e-12)) * max_length / (steps - 1)
        x[t + 1] = x[t] + v
    return x


def trajectory(
    rng: np.random.Generator,
    canvas: int = 21,
    max_length: float | None = None,
    anxiety: float | None = None,
    steps: int = 2000,
    exposure: float = 1.0,
) -> np.ndarray:
    """Random camera-shake kernel after Boracchi & Foi (2012), the model DeblurGAN uses.

    A particle moves with inertia, random accelerations and occasional abrupt impulses ("anxiety");
    its path, rescaled to ``max_length`` pixels, is rasterised with bilinear splatting over the first
    ``exposure`` fraction of the time.

    Args:
        rng: random generator (the only source of randomness).
        canvas: odd kernel side in pixels.
        max_length: total path length in pixels (default ``canvas * 0.6``).
        anxiety: probability of an abrupt shake per step (default uniform in [0, 0.005]).
        steps: number of integration steps.
        exposure: fraction of the trajectory seen by the sensor, in (0, 1].

    Returns:
        Odd-sized ``canvas x canvas`` kernel summing to 1.
    """
    if canvas < 3 or canvas % 2 == 0:
        raise UsageError(f"trajectory canvas must be odd and >= 3, got {canvas}")
    if not 0 < exposure <= 1:
        raise UsageError(f"trajectory exposure must be in (0, 1], got {exposure}")
    if max_length is None:
        max_length = 0.6 * canvas
    x = shake_path(rng, max_length, anxiety, steps)
    # centre the path on the canvas
    x = x - np.complex128(x.real.min() + 1j * x.imag.min())
    x = x - (np.complex128(x.real.max() / 2 + 1j * x.imag.max() / 2))
    x = x + (canvas - 1) / 2 * (1 + 1j)
    n = max(2, int(round(exposure * steps)))
    xs, ys = x.real[:n], x.imag[:n]
    k = _splat(xs, ys, canvas)
    if k.sum() <= 0:
        return identity()
    return k / k.sum()


def path_extent(points) -> float:
    """The largest distance between two points of a path (complex or (N, 2)), in its units."""
    z = np.asarray(points)
    z = z[:, 0] + 1j * z[:, 1] if z.ndim == 2 else z
    z = z[:: max(1, len(z) // 400)] if len(z) > 400 else z
    return float(np.abs(z[:, None] - z[None, :]).max()) if len(z) > 1 else 0.0


def path_kernel(points, pad: int = 1) -> np.ndarray:
    """The blur of a camera moving along ``points`` (complex x + iy or (N, 2), px; equal time per
    point), rasterised by bilinear splatting on an odd square canvas centred on the path's bounding box
    (the kernel's centre is where the image stays put), ``pad`` px beyond it on each side."""
    z = np.asarray(points)
    z = z[:, 0] + 1j * z[:, 1] if z.ndim == 2 else z.astype(np.complex128)
    centre = complex((z.real.max() + z.real.min()) / 2, (z.imag.max() + z.imag.min()) / 2)
    z = z - centre
    half = int(np.ceil(max(np.abs(z.real).max(), np.abs(z.imag).max()))) + pad
    canvas = 2 * half + 1
    k = _splat(z.real + half, z.imag + half, canvas)
    return k / k.sum() if k.sum() > 0 else identity()


def warp_kernel(psf: np.ndarray, linear: np.ndarray) -> np.ndarray:
    """``psf`` seen in another frame whose coordinates are ``linear`` (2x2, x/y order) times this one's,
    e.g. an image blur in the frame of a rectified crop: every pixel's weight moved to its mapped place
    and splatted bilinearly (:func:`path_kernel`)."""
    k = np.asarray(psf, dtype=np.float64)
    ys, xs = np.nonzero(k > 0)
    if len(xs) == 0:
        return identity()
    c = (k.shape[1] - 1) / 2, (k.shape[0] - 1) / 2
    pts = np.stack([xs - c[0], ys - c[1]], axis=1) @ np.asarray(linear, dtype=np.float64).T
    # each pixel as a 4 x 4 cloud, so a shrinking map averages and a growing one does not leave holes
    sub = (np.arange(4) - 1.5) / 4
    offsets = np.stack(np.meshgrid(sub, sub), axis=-1).reshape(-1, 2) @ np.asarray(linear, dtype=np.float64).T
    cloud = (pts[:, None, :] + offsets[None]).reshape(-1, 2)
    weights = np.repeat(k[ys, xs] / 16.0, 16)
    z = cloud[:, 0] + 1j * cloud[:, 1]
    half = int(np.ceil(np.abs(np.concatenate([z.real, z.imag])).max())) + 1
    canvas = 2 * half + 1
    out = _splat(z.real + half, z.imag + half, canvas, weights)
    return out / out.sum()


def straight_fit(points) -> np.ndarray:
    """The straight motion with a Gaussian that best stands for a path (complex or (N, 2), px): along
    its main axis, as long as its extent along it, a Gaussian of its spread across; what a motion +
    Gaussian (parametric) blur estimate could at best say of it."""
    z = np.asarray(points)
    p = np.stack([z.real, z.imag], axis=1) if z.ndim == 1 else z.astype(np.float64)
    p = p - p.mean(axis=0)
    _, _, vt = np.linalg.svd(p, full_matrices=False)
    angle = np.degrees(np.arctan2(vt[0, 1], vt[0, 0])) % 180  # image coordinates (y down)
    along, across = p @ vt[0], p @ vt[1]
    # motion() takes MATLAB's angle: counter-clockwise with y up
    return compose(motion(max(1.0, float(np.ptp(along))), -angle), gaussian(max(0.3, float(across.std()))))


def centred(psf: np.ndarray, side: int) -> np.ndarray:
    """``psf`` on an odd ``side`` x ``side`` canvas, centre on centre (cut or padded), normalised."""
    side += 1 - side % 2
    k = np.asarray(psf, dtype=np.float64)
    h, w = k.shape
    sy, sx = max(0, (h - side) // 2), max(0, (w - side) // 2)
    k = k[sy : sy + side, sx : sx + side]
    h, w = k.shape
    out = np.zeros((side, side))
    out[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = k
    return out / out.sum() if out.sum() > 0 else identity()


def identity() -> np.ndarray:
    """The 1x1 kernel that leaves an image unchanged."""
    return np.ones((1, 1))


def compose(*kernels: np.ndarray) -> np.ndarray:
    """Convolve kernels into one (blurring with the result = blurring with each in turn)."""
    out = identity()
    for k in kernels:
        out = convolve2d(out, np.asarray(k, dtype=np.float64), mode="full")
    return out / out.sum()


def motion_gaussian_fit(psf: np.ndarray, jacobian: np.ndarray | None = None) -> tuple[float, float, float]:
    """The motion-then-Gaussian blur with the same second moments as ``psf``, as (length, angle, sigma).

    Why: the ``wiener-qrunet`` estimator describes a blur by a motion length and angle (as
    :func:`motion`) and a Gaussian sigma. A camera's blur (a disk, a shake path, several combined)
    and a blur seen through a rectification are not of that form; the closest of that form in the
    sense that matters most to Wiener deconvolution, the blur's spread in each direction, is the
    one with the same covariance. A segment of length L has variance L^2 / 12 along itself, a
    Gaussian sigma^2 in every direction, so for the covariance's eigenvalues l_min <= l_max:
    sigma = sqrt(l_min), L = sqrt(12 (l_max - l_min)), the angle that of the major axis.

    Args:
        psf: a non-negative kernel (rows grow downwards).
        jacobian: optional 2x2 derivative (in (x, y) order) of a map applied to the blurred image,
            e.g. a rectification around the point of interest; the covariance is carried through it
            (J S J^T).

    Returns:
        (length px, angle degrees in [0, 180) counter-clockwise from the x axis, sigma px).
    """
    k = np.asarray(psf, dtype=np.float64)
    if k.ndim != 2 or k.sum() <= 0 or (k < 0).any():
        raise UsageError("psf must be a non-negative 2-D kernel with a positive sum")
    k = k / k.sum()
    rows, cols = np.mgrid[0 : k.shape[0], 0 : k.shape[1]]
    mx, my = (k * cols).sum(), (k * rows).sum()
    dx, dy = cols - mx, rows - my
    cov = np.array([[(k * dx * dx).sum(), (k * dx * dy).sum()], [(k * dx * dy).sum(), (k * dy * dy).sum()]])
    if jacobian is not None:
        j = np.asarray(jacobian, dtype=np.float64)
        cov = j @ cov @ j.T
    values, vectors = np.linalg.eigh(cov)  # ascending
    low, high = max(0.0, float(values[0])), max(0.0, float(values[1]))
    vx, vy = vectors[:, 1]
    angle = float(np.rad2deg(np.arctan2(-vy, vx))) % 180.0  # y grows downwards, angles turn counter-clockwise
    return float(np.sqrt(12 * (high - low))), angle, float(np.sqrt(low))
