"""What breaks the rules on a ``hard`` label, drawn in module space (:class:`~.hard_print.Label`).

- :func:`touching_graphics`: dark print 0-1 modules from the symbol on two to four sides (a brand
  block, a barcode-like bar row, text, or a frame line boxing the code), as on packaging laid out
  without the quiet zone the standard asks for.
- :func:`damage_finder`: one of the three finder patterns partly (20-55 % of its 7 x 7 area) under
  tape or a sticker, scuffed (ink rubbed off in strokes) or overprinted (a stamp or marker).
- :func:`add_glare`: a specular highlight (a flat-topped ellipse, as a window or a lamp mirrored in
  glossy film) that saturates a chosen share of the symbol's area.

Each returns the parameters it drew. Sizes are in modules; the label raster has
:data:`~.hard_print.PX_PER_MODULE` pixels per module.
"""

from __future__ import annotations

import cv2
import numpy as np

from qrdeblur.synth.hard_print import PX_PER_MODULE, Label

K = PX_PER_MODULE
#: Shares of the finder's area a finder-damage item covers (uniform in between).
FINDER_COVER = (0.2, 0.55)
#: Shares of the symbol's area a glare item saturates (uniform in between).
GLARE_AREA = (0.05, 0.30)


def _stroke(shape, p0, p1, width: float) -> np.ndarray:
    """A thick line between label points ``p0`` and ``p1`` (px), anti-aliasing off: a bool mask."""
    mask = np.zeros(shape, np.uint8)
    s = 16  # fixed-point shift: sub-pixel endpoints
    a = tuple(int(round(v * s)) for v in p0)
    b = tuple(int(round(v * s)) for v in p1)
    cv2.line(mask, a, b, 1, max(1, int(round(width))), cv2.LINE_8, 4)
    return mask.astype(bool)


def _top_graphic(rng: np.random.Generator, size: int, start: int, length: tuple[int, int]) -> tuple[np.ndarray, str]:
    """A graphic on the top side of a ``size`` square label raster whose bottom edge is at row ``start``
    (px): a bool mask, and its kind."""
    mask = np.zeros((size, size), bool)
    x0, x1 = length
    kind = str(rng.choice(["block", "bars", "text"], p=[0.35, 0.35, 0.3]))
    if kind == "block":
        depth = int(rng.uniform(1.5, 5) * K)
        mask[max(0, start - depth) : start, x0:x1] = True
    elif kind == "bars":
        depth = int(rng.uniform(3, 6) * K)
        x = x0
        while x < x1:
            w = int(rng.uniform(0.5, 2.0) * K)
            mask[max(0, start - depth) : start, x : min(x + w, x1)] = True
            x += w + int(rng.uniform(0.5, 2.0) * K)
    else:
        canvas = np.zeros((size, size), np.uint8)
        height = rng.uniform(2, 4) * K
        scale = height / 22.0
        text = "".join(rng.choice(list("ABCDEFGHKLMNPRSTUVWXYZ0123456789"), int(rng.integers(6, 20))))
        cv2.putText(canvas, text, (x0, start), cv2.FONT_HERSHEY_SIMPLEX, scale, 1, max(1, int(scale * 2.5)))
        rows = np.flatnonzero(canvas.any(axis=1))
        if rows.size:  # baseline sits the glyphs' lowest ink on the quiet zone's edge
            canvas = np.roll(canvas, start - 1 - rows[-1], axis=0)
        mask = canvas.astype(bool)
        mask[:, x1:] = False
    return mask, kind


def touching_graphics(rng: np.random.Generator, label: Label, quiet: float, ink: float) -> dict:
    """Dark graphics (reflectance ``ink``) from ``quiet`` modules (0-1) off the symbol on 2-4 sides."""
    size = label.paper.shape[0]
    lo = int(round((label.border - quiet) * K))  # first px of the quiet zone on the top side
    hi = size - lo
    params: dict = {"quiet": round(quiet, 3), "graphics": []}
    if rng.random() < 0.25:  # a frame line boxing the code
        w = int(rng.uniform(0.5, 1.5) * K)
        frame = np.zeros((size, size), bool)
        frame[lo - w : hi + w, lo - w : hi + w] = True
        frame[lo:hi, lo:hi] = False
        label.paper[frame] = ink
        params["graphics"].append("frame")
        return params
    sides = rng.permutation(4)[: int(rng.integers(2, 5))]
    for side in sorted(int(s) for s in sides):
        a = int(rng.uniform(-0.5, 0.5) * label.n * K * 0.5)
        span = (max(0, lo + max(0, a)), min(size, hi + min(0, a) + int(rng.uniform(0, 3) * K)))
        mask, kind = _top_graphic(rng, size, lo, span)
        label.paper[np.rot90(mask, -side)] = ink
        params["graphics"].append(kind)
    return params


def damage_finder(rng: np.random.Generator, label: Label, dark: float, light: float) -> dict:
    """Cover part of one finder pattern; returns which, how, and the share of its area covered."""
    n, b = label.n, label.border
    which = int(rng.integers(0, 3))
    fx, fy = [(0, 0), (n - 7, 0), (0, n - 7)][which]
    y0, x0 = (b + fy) * K, (b + fx) * K
    box = (slice(y0, y0 + 7 * K), slice(x0, x0 + 7 * K))
    centre = np.array([x0 + 3.5 * K, y0 + 3.5 * K])
    kind = str(rng.choice(["tape", "scuff", "overprint"]))
    target = float(rng.uniform(*FINDER_COVER))
    angle = float(rng.uniform(0, np.pi))
    along = np.array([np.cos(angle), np.sin(angle)])
    normal = np.array([-along[1], along[0]])
    shape = label.paper.shape
    mask = np.zeros(shape, bool)
    if kind == "tape":  # a strip slid in from outside until it covers the target share
        width = rng.uniform(2.5, 6) * K
        ends = (centre + along * rng.uniform(-7, 0) * K, centre + along * rng.uniform(2, 7) * K)
        for offset in np.arange(width / 2 + 6 * K, -width / 2, -0.25 * K):
            mask = _stroke(shape, ends[0] + normal * offset, ends[1] + normal * offset, width)
            if mask[box].mean() >= target:
                break
    else:
        width = (0.25, 0.8) if kind == "scuff" else (1.0, 2.5)
        for _ in range(400):
            if mask[box].mean() >= target:
                break
            mid = centre + rng.uniform(-4.5, 4.5, 2) * K
            turn = angle + rng.normal(0, 0.3)
            d = np.array([np.cos(turn), np.sin(turn)]) * rng.uniform(1.0, 3.5) * K
            new = mask | _stroke(shape, mid - d, mid + d, rng.uniform(*width) * K)
            if new[box].mean() <= FINDER_COVER[1] + 0.1:
                mask = new
    if kind == "tape":
        tone = float(rng.choice([rng.uniform(0.8, 0.97), rng.uniform(0.45, 0.65)]))
        opacity = float(rng.uniform(0.8, 1.0))
        label.paper[mask] = label.paper[mask] * (1 - opacity) + tone * opacity
    elif kind == "scuff":
        strength = float(rng.uniform(0.7, 1.0))
        label.paper[mask] += (light - label.paper[mask]) * strength
    else:
        label.paper[mask] = float(rng.uniform(dark, dark + 0.15))
    return {"finder": which, "finder_damage": kind, "finder_cover": round(float(mask[box].mean()), 3)}


def add_glare(rng: np.random.Generator, label: Label, light: float, area: float) -> dict:
    """A specular highlight saturating ``area`` of the symbol (light paper + glare >= 1 there).

    The highlight is a flat-topped ellipse (peak 1.1-1.8 times white, profile exp(-d^(2p)), p 1.5-3),
    centred inside the symbol; its size is solved from the share it must saturate."""
    n, b = label.n, label.border
    peak = float(rng.uniform(1.1, 1.8))
    power = float(rng.uniform(1.5, 3.0))
    aspect = float(rng.uniform(1.0, 4.0))
    angle = float(rng.uniform(0, np.pi))
    cx, cy = (b + rng.uniform(0.15, 0.85, 2) * n) * K
    h, w = label.paper.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
    v = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
    dist = np.sqrt(u**2 + (v * aspect) ** 2)  # elliptic distance, major semi-axis 1 px
    code = dist[b * K : (b + n) * K, b * K : (b + n) * K]
    edge = np.log(peak / (1 - light)) ** (1 / (2 * power))  # saturates where dist / scale <= edge
    scale = float(np.quantile(code, area)) / edge
    label.glare[:] = peak * np.exp(-((dist / scale) ** (2 * power)))
    return {
        "glare_area": round(area, 4),
        "glare_peak": round(peak, 3),
        "glare_power": round(power, 3),
        "glare_aspect": round(aspect, 3),
        "glare_major_modules": round(float(scale * edge / K), 3),
    }
