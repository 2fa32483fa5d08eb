"""The printed label of a ``hard`` item, in module space, and how a camera sees it.

A label is a :class:`Label`: a raster at :data:`PX_PER_MODULE` pixels per module holding the paper's
reflectance (the code, its quiet zone, any graphics or damage printed or stuck on it) and an additive
specular channel (glare on glossy film, in units of the white the sensor saturates at). Working in
module space lets a suite draw damage where it means something (over a finder pattern, touching the
quiet zone) and read back which modules a perfect reader could still see (:func:`modules_seen`;
whether those still decode is the bench suite's question, asked of zxing-cpp:
:func:`qrdeblur.bench.suites.hard.readable_in_principle`).

Two projections: :func:`warp_planar` (a flat label through a homography, as
:func:`qrdeblur.synth.scene.render_label` does) and :func:`warp_cylinder` (the label wrapped around a
cylinder, one ray per sub-pixel). Both area-average ``supersample`` x ``supersample`` sub-pixels, as
a camera pixel does.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Label raster pixels per module: module edges stay sharp after warping with bilinear sampling.
PX_PER_MODULE = 8


@dataclass
class Label:
    """A label in module space.

    Attributes:
        paper: (H, W) float32 reflectance; pixel (i, j) covers modules ``[j / K - border, ...)``
            with K = :data:`PX_PER_MODULE`.
        glare: (H, W) float32 specular light added on top (0 where none).
        border: modules of label around the symbol on each side (quiet zone and graphics).
        n: the symbol's side in modules.
    """

    paper: np.ndarray
    glare: np.ndarray
    border: int
    n: int

    def to_modules(self) -> np.ndarray:
        """3x3 map from label pixel centres to module coordinates (symbol top-left at 0)."""
        k = 1.0 / PX_PER_MODULE
        return np.array([[k, 0, 0.5 * k - self.border], [0, k, 0.5 * k - self.border], [0, 0, 1.0]])

    def px(self, modules_xy) -> np.ndarray:
        """Label pixel coordinates (x, y; continuous, OpenCV's corner convention) of module coordinates."""
        return (np.asarray(modules_xy, np.float64) + self.border) * PX_PER_MODULE


def make_label(matrix: np.ndarray, border: int, dark: float, light: float) -> Label:
    """The symbol ``matrix`` (True = dark, no quiet zone) printed in ``dark`` on paper of ``light``,
    with ``border`` modules of bare paper around it."""
    k = PX_PER_MODULE
    n = matrix.shape[0]
    cells = np.where(np.pad(matrix, border), dark, light).astype(np.float32)
    paper = np.kron(cells, np.ones((k, k), np.float32))
    return Label(paper, np.zeros_like(paper), border, n)


def modules_seen(label: Label, dark: float, light: float) -> np.ndarray:
    """(n, n) bool: each module as a perfect reader would see it (True = dark), from the label's
    centre pixel: the paper's reflectance plus the glare, clipped at white as the sensor clips, against
    the midpoint of the two tones."""
    k = PX_PER_MODULE
    centres = (label.border + np.arange(label.n)) * k + k // 2
    seen = np.minimum(label.paper + label.glare, 1.0)[np.ix_(centres, centres)]
    return seen < (dark + light) / 2


def _sub_grid(shape: tuple[int, int], ss: int) -> tuple[np.ndarray, np.ndarray]:
    """Output pixel-centre coordinates of every sub-pixel (x, y), (H*ss, W*ss) each."""
    h, w = shape
    offsets = (np.arange(ss) + 0.5) / ss - 0.5
    xs = (np.arange(w)[:, None] + offsets[None, :]).reshape(-1)
    ys = (np.arange(h)[:, None] + offsets[None, :]).reshape(-1)
    return np.meshgrid(xs.astype(np.float32), ys.astype(np.float32))


def warp_planar(
    label: Label, to_image: np.ndarray, shape: tuple[int, int], supersample: int = 3
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(paper, glare, alpha) as the camera sees a flat label: ``to_image`` maps module coordinates to
    output pixel centres; alpha is the label's coverage of each pixel."""
    ss = supersample
    to_sub = np.array([[ss, 0, (ss - 1) / 2], [0, ss, (ss - 1) / 2], [0, 0, 1.0]])
    hom = to_sub @ to_image @ label.to_modules()
    stack = np.dstack([label.paper, label.glare, np.ones_like(label.paper)])
    h, w = shape
    sub = cv2.warpPerspective(stack, hom, (w * ss, h * ss), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    out = cv2.resize(sub, (w, h), interpolation=cv2.INTER_AREA) if ss > 1 else sub
    alpha = np.clip(out[..., 2], 0, 1)
    safe = np.maximum(alpha, 1e-6)
    return out[..., 0] / safe, out[..., 1] / safe, alpha


@dataclass(frozen=True)
class Cylinder:
    """A label wrapped round a cylinder, seen by a pinhole camera at the origin looking along +z.

    The symbol's centre sits at angle ``theta0`` round the axis from the point nearest the camera;
    the axis is tilted towards the camera by ``pitch`` and turned in the image by ``roll`` (radians).
    Lengths are in modules; ``focal`` in pixels per module at unit depth; ``centre`` is the image
    point the axis' nearest point projects to (px).
    """

    radius: float
    depth: float  # distance from the camera to the cylinder's front surface
    theta0: float
    pitch: float
    roll: float
    focal: float
    centre: tuple[float, float]

    def frame(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(axis point C, across e_x, axis a, away e_z) in camera coordinates."""
        cp, sp = np.cos(self.pitch), np.sin(self.pitch)
        cr, sr = np.cos(self.roll), np.sin(self.roll)
        tilt = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
        turn = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
        rot = turn @ tilt
        ex, a, ez = rot[:, 0], rot[:, 1], rot[:, 2]
        return np.array([0.0, 0.0, self.depth + self.radius]), ex, a, ez

    def project(self, modules_xy: np.ndarray, n: int) -> np.ndarray:
        """Image pixels (x, y) of points given in module coordinates of an ``n``-module symbol."""
        c, ex, a, ez = self.frame()
        m = np.asarray(modules_xy, np.float64).reshape(-1, 2)
        theta = self.theta0 + (m[:, 0] - n / 2) / self.radius
        v = m[:, 1] - n / 2
        p = c + self.radius * (np.sin(theta)[:, None] * ex - np.cos(theta)[:, None] * ez) + v[:, None] * a
        return np.stack([self.focal * p[:, 0] / p[:, 2], self.focal * p[:, 1] / p[:, 2]], 1) + self.centre

    def unproject(self, x: np.ndarray, y: np.ndarray, n: int):
        """(module x, module y, hit, cos of the angle between the surface normal and the view) of the
        front surface seen through pixels (x, y); hit is False where the ray misses the cylinder."""
        c, ex, a, ez = self.frame()
        d = np.stack([(x - self.centre[0]) / self.focal, (y - self.centre[1]) / self.focal, np.ones_like(x)], -1)
        d /= np.linalg.norm(d, axis=-1, keepdims=True)
        d_perp = d - (d @ a)[..., None] * a
        c_perp = c - (c @ a) * a
        qa = np.sum(d_perp * d_perp, -1)
        qb = -2 * (d_perp @ c_perp)
        qc = c_perp @ c_perp - self.radius**2
        disc = qb * qb - 4 * qa * qc
        hit = disc > 0
        t = (-qb - np.sqrt(np.maximum(disc, 0))) / (2 * np.maximum(qa, 1e-12))
        w = t[..., None] * d - c
        v = w @ a
        theta = np.arctan2(w @ ex, -(w @ ez))
        normal = (w - v[..., None] * a) / self.radius
        facing = np.clip(-np.sum(normal * d, -1), 0, 1)
        mx = n / 2 + self.radius * (theta - self.theta0)
        my = n / 2 + v
        return mx.astype(np.float32), my.astype(np.float32), hit, facing.astype(np.float32)


def warp_cylinder(
    label: Label, cyl: Cylinder, shape: tuple[int, int], light_dir: np.ndarray, supersample: int = 3
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(paper, glare, alpha, body, shade) as the camera sees the label on ``cyl``: body is the
    cylinder's coverage of each pixel (the label's included), shade the Lambertian light on it from
    ``light_dir`` (unit vector towards the light, camera coordinates) plus a little ambient light."""
    ss = supersample
    xs, ys = _sub_grid(shape, ss)
    mx, my, hit, _ = cyl.unproject(xs, ys, label.n)
    c, ex, a, ez = cyl.frame()
    theta = cyl.theta0 + (mx - label.n / 2) / cyl.radius
    normal = -np.cos(theta)[..., None] * ez + np.sin(theta)[..., None] * ex
    shade = np.clip(normal @ np.asarray(light_dir, np.float64), 0, 1) * 0.75 + 0.25
    map_x, map_y = label.px(mx) - 0.5, label.px(my) - 0.5
    map_x = np.where(hit, map_x, -1e4).astype(np.float32)
    map_y = np.where(hit, map_y, -1e4).astype(np.float32)
    stack = np.dstack([label.paper, label.glare, np.ones_like(label.paper)])
    sub = cv2.remap(stack, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    sub = np.dstack([sub, hit.astype(np.float32), (shade * hit).astype(np.float32)])
    h, w = shape
    out = cv2.resize(sub, (w, h), interpolation=cv2.INTER_AREA)
    alpha = np.clip(out[..., 2], 0, 1)
    body = np.clip(out[..., 3], 0, 1)
    safe, body_safe = np.maximum(alpha, 1e-6), np.maximum(body, 1e-6)
    return out[..., 0] / safe, out[..., 1] / safe, alpha, body, out[..., 4] / body_safe
