"""The photo suite's scene generator: one phone-photo-like scene per (seed, index), all from one generator.

Each scene is 640-2000 px wide (aspect 4:3, 3:4, 16:9 or 1:1) and built procedurally:

- a background: corrugated cardboard (brown, fibres, flutes), a glossy plastic film (saturated
  colour, wrinkles, specular highlights) or printed packaging (colour blocks, gradients, shapes);
  with distractors that look like structure to a locator: text lines, 1-D barcodes, logos and
  QR-like random dot grids without finder patterns;
- the given codes (versions 1-10, ECC L/M/Q/H, segno's own mask choice), module size 2-8 px,
  printed on a white or tinted paper label (quiet zone 1-4 modules, sometimes text below) or
  straight onto the background in dark ink; any rotation, a perspective tilt (corners moved by up
  to 15% of the side), never overlapping (a code that finds no room is left out);
- uneven light (a gradient, vignetting, sometimes a soft shadow), then the camera: one blur of
  motion, defocus, camera shake or Gaussian, on top of a little lens softness, then sensor noise
  and JPEG compression.

The blur, noise and JPEG strength is the item's ``cell``: ``mild``, ``moderate`` or ``severe``
(:data:`CELLS`, by index in turn). Blur is set in photo pixels, as a camera does, independently of
the module size: a 20 px motion smear is 10 modules on a 2 px code and 2.5 on an 8 px one.

=========  =============  ==============  ==============  ================  ===========  =========
cell       motion length  defocus radius  Gaussian sigma  shake path        noise std    JPEG q
=========  =============  ==============  ==============  ================  ===========  =========
mild       2-7 px         1-2.5 px        0.8-1.5 px      3-7 px            0.005-0.01   85-95
moderate   7-14 px        2.5-4.5 px      1.5-2.2 px      7-14 px           0.01-0.02    70-90
severe     14-25 px       4.5-7 px        2.2-3 px        14-25 px          0.02-0.035   50-80
=========  =============  ==============  ==============  ================  ===========  =========
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

CELLS = ("mild", "moderate", "severe")

# per cell: motion length, disk radius, gaussian sigma, shake path length, noise std, JPEG quality
_STRENGTH = {
    "mild": {
        "motion": (2, 7),
        "disk": (1.0, 2.5),
        "gauss": (0.8, 1.5),
        "shake": (3, 7),
        "noise": (0.005, 0.01),
        "jpeg": (85, 95),
    },
    "moderate": {
        "motion": (7, 14),
        "disk": (2.5, 4.5),
        "gauss": (1.5, 2.2),
        "shake": (7, 14),
        "noise": (0.01, 0.02),
        "jpeg": (70, 90),
    },
    "severe": {
        "motion": (14, 25),
        "disk": (4.5, 7.0),
        "gauss": (2.2, 3.0),
        "shake": (14, 25),
        "noise": (0.02, 0.035),
        "jpeg": (50, 80),
    },
}


@dataclass
class PhotoCode:
    """One code in a scene: payload, symbol parameters and its four corners in the image.

    ``corners`` are the symbol's outer corners (quiet zone excluded) in the code's own top-left,
    top-right, bottom-right, bottom-left order, in image pixels (x, y).
    """

    payload: str
    version: int
    ecc: str
    module_px: float
    corners: list[list[float]]
    printed_on: str


@dataclass
class PhotoItem:
    """One scene: the RGB uint8 photo, the codes in it, the strength cell of its degradation and the
    camera's blur (``psf``, image px, the same for every code of the scene)."""

    image: np.ndarray
    codes: list[PhotoCode]
    cell: str
    meta: dict = field(default_factory=dict)
    psf: np.ndarray | None = None

    @property
    def payloads(self) -> list[str]:
        return [c.payload for c in self.codes]


# -------------------------------------------------------------------------------------- textures


def _lowfreq(rng: np.random.Generator, h: int, w: int, cells: int, channels: int = 1) -> np.ndarray:
    """Smooth noise in about [-1, 1]: a coarse random grid upsampled with cubic interpolation."""
    gh, gw = max(2, int(cells * h / max(h, w)) + 2), max(2, int(cells * w / max(h, w)) + 2)
    small = rng.standard_normal((gh, gw, channels)).astype(np.float32)
    big = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return big.reshape(h, w, channels)


def _cardboard(rng: np.random.Generator, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    base = np.array([0.62, 0.47, 0.31], np.float32) * rng.uniform(0.8, 1.15) + rng.uniform(-0.04, 0.04, 3)
    # fibres: grain streaked along one direction, drawn at half resolution (the camera blurs it anyway)
    grain = rng.standard_normal(((h + 1) // 2, (w + 1) // 2)).astype(np.float32)
    along = int(rng.integers(5, 16))
    fibres = cv2.blur(grain, (along, 1) if rng.random() < 0.5 else (1, along))
    shade = cv2.resize(fibres * 0.09 + grain * 0.015, (w, h), interpolation=cv2.INTER_LINEAR)
    shade += 1 + 0.08 * _lowfreq(rng, h, w, 6)[..., 0]
    if rng.random() < 0.7:  # flutes of corrugated board showing through
        period, phase = rng.uniform(25, 60), rng.uniform(0, 2 * np.pi)
        coord = np.arange(w if rng.random() < 0.5 else h, dtype=np.float32)
        wave = (0.03 * np.sin(2 * np.pi * coord / period + phase)).astype(np.float32)
        shade *= 1 + (wave[None, :] if wave.size == w else wave[:, None])
    img = shade[..., None] * base.astype(np.float32)
    return img, base


def _plastic(rng: np.random.Generator, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    hue = rng.uniform(0, 180)
    hsv = np.uint8([[[hue, rng.uniform(120, 230), rng.uniform(120, 230)]]])
    base = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32) / 255
    # wrinkles and highlights are smooth: shade on a half-resolution grid, then upsample
    sh, sw = (h + 1) // 2, (w + 1) // 2
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32) * 2
    warp = _lowfreq(rng, sh, sw, 4)[..., 0] * rng.uniform(20, 60)
    wrinkles = np.sin((xx * np.cos(hue) + yy * np.sin(hue) + warp) / rng.uniform(15, 50))
    gain = 1 + 0.08 * wrinkles
    glare = np.zeros((sh, sw), np.float32)
    for _ in range(int(rng.integers(1, 5))):  # specular highlights: elongated soft white blobs
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        a, b = rng.uniform(0.03, 0.25) * max(h, w), rng.uniform(0.01, 0.05) * max(h, w)
        t = rng.uniform(0, np.pi)
        u = (xx - cx) * np.cos(t) + (yy - cy) * np.sin(t)
        v = -(xx - cx) * np.sin(t) + (yy - cy) * np.cos(t)
        glare += (np.exp(-((u / a) ** 2) - (v / b) ** 2) * rng.uniform(0.2, 0.6)).astype(np.float32)
    gain = cv2.resize(gain.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    glare = cv2.resize(glare, (w, h), interpolation=cv2.INTER_LINEAR)
    img = base[None, None, :] * gain[..., None] + glare[..., None]
    return img.astype(np.float32), base


def _packaging(rng: np.random.Generator, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    base = rng.uniform(0.3, 0.95, 3).astype(np.float32)
    img = np.empty((h, w, 3), np.float32)
    img[:] = base
    ramp = np.linspace(-1, 1, w, dtype=np.float32)[None, :, None] * rng.uniform(-0.15, 0.15, 3).astype(
        np.float32
    )
    img += ramp
    for _ in range(int(rng.integers(2, 8))):  # colour blocks and discs
        colour = tuple(float(c) for c in rng.uniform(0, 1, 3))
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        if rng.random() < 0.5:
            x1, y1 = x0 + int(rng.integers(w // 10, w // 2)), y0 + int(rng.integers(h // 10, h // 2))
            cv2.rectangle(img, (x0, y0), (x1, y1), colour, -1)
        else:
            cv2.circle(
                img, (x0, y0), int(rng.integers(min(h, w) // 20, min(h, w) // 4)), colour, -1, cv2.LINE_AA
            )
    img *= 1 + 0.03 * _lowfreq(rng, h, w, 12)
    return img, base


_BACKGROUNDS = {"cardboard": _cardboard, "plastic": _plastic, "packaging": _packaging}


def _text_lines(
    img: np.ndarray, rng: np.random.Generator, x: int, y: int, w: int, h: int, colour: tuple, line_h: float
) -> None:
    """Word-like dark blocks in lines (small print), drawn in place."""
    line_h = max(3.0, line_h)
    yy = y
    while yy + line_h <= y + h:
        xx = x
        end = x + w * rng.uniform(0.5, 1.0)
        while xx < end:
            word = line_h * rng.uniform(1.0, 6.0)
            cv2.rectangle(
                img, (int(xx), int(yy)), (int(min(xx + word, end)), int(yy + line_h * 0.7)), colour, -1
            )
            xx += word + line_h * rng.uniform(0.4, 0.8)
        yy += line_h * rng.uniform(1.4, 1.9)


def _barcode(
    img: np.ndarray, rng: np.random.Generator, x: int, y: int, w: int, h: int, colour: tuple
) -> None:
    """A 1-D barcode-like pattern (bars of 1-4 units), drawn in place."""
    unit = max(1.0, w / 95 * rng.uniform(0.8, 1.2))
    xx, dark = float(x), True
    while xx < x + w:
        bw = unit * int(rng.integers(1, 5))
        if dark:
            cv2.rectangle(img, (int(xx), y), (int(xx + bw) - 1, y + h), colour, -1)
        xx += bw
        dark = not dark


def _dot_grid(
    img: np.ndarray, rng: np.random.Generator, x: int, y: int, cell: float, n: int, colour: tuple
) -> None:
    """A QR-like random grid of dark cells without finder patterns (a hard negative)."""
    grid = rng.random((n, n)) < 0.5
    for i, j in zip(*np.nonzero(grid), strict=True):
        x0, y0 = x + j * cell, y + i * cell
        cv2.rectangle(img, (int(x0), int(y0)), (int(x0 + cell) - 1, int(y0 + cell) - 1), colour, -1)


def _distractors(img: np.ndarray, rng: np.random.Generator) -> list[str]:
    h, w = img.shape[:2]
    kinds = []
    for _ in range(int(rng.integers(1, 6))):
        kind = str(rng.choice(["text", "barcode", "logo", "grid"], p=[0.45, 0.25, 0.2, 0.1]))
        ink = tuple(float(c) for c in rng.uniform(0.0, 0.3, 3))
        bw, bh = int(rng.integers(w // 12, w // 3)), int(rng.integers(h // 20, h // 5))
        x, y = int(rng.integers(0, max(1, w - bw))), int(rng.integers(0, max(1, h - bh)))
        if kind == "text":
            _text_lines(img, rng, x, y, bw, bh, ink, rng.uniform(4, 16))
        elif kind == "barcode":
            _barcode(img, rng, x, y, bw, bh, ink)
        elif kind == "logo":
            pts = rng.uniform(0, 1, (int(rng.integers(3, 7)), 2)) * [bw, bh] + [x, y]
            cv2.fillPoly(img, [cv2.convexHull(pts.astype(np.int32))], ink, cv2.LINE_AA)
        else:
            n = int(rng.integers(10, 30))
            _dot_grid(img, rng, x, y, rng.uniform(2, 7), n, ink)
        kinds.append(kind)
    return kinds


# ------------------------------------------------------------------------------------------ codes


def _label_layout(rng: np.random.Generator, n_modules: int) -> dict:
    """Label geometry in module units: quiet zone, extra margin, optional text band below."""
    qz = int(rng.integers(1, 5))
    text_rows = int(rng.integers(4, 12)) if rng.random() < 0.4 else 0
    side = n_modules + 2 * qz
    return {"qz": qz, "text_rows": text_rows, "w": side, "h": side + text_rows}


def _render_label(
    rng, matrix: np.ndarray, layout: dict, r: int, paper: np.ndarray, ink: np.ndarray
) -> np.ndarray:
    """Label image in label space at ``r`` px per module (RGB float32)."""
    qz, n = layout["qz"], matrix.shape[0]
    h, w = layout["h"] * r, layout["w"] * r
    cover = np.zeros((h, w), np.float32)
    cover[qz * r : (qz + n) * r, qz * r : (qz + n) * r] = np.kron(
        matrix.astype(np.float32), np.ones((r, r), np.float32)
    )
    if layout["text_rows"]:
        top = (qz + n + 1) * r
        _text_lines(
            cover, rng, qz * r, top, (n) * r, (layout["text_rows"] - 1) * r, (1.0,), r * rng.uniform(1.2, 2.5)
        )
    return paper[None, None, :] * (1 - cover[..., None]) + ink[None, None, :] * cover[..., None]


def _quad(rng: np.random.Generator, w_px: float, h_px: float, persp: float) -> np.ndarray:
    """Corners (TL, TR, BR, BL) of a w x h rectangle rotated at random, with perspective jitter, centred at 0."""
    rect = np.array(
        [[-w_px / 2, -h_px / 2], [w_px / 2, -h_px / 2], [w_px / 2, h_px / 2], [-w_px / 2, h_px / 2]]
    )
    theta = rng.uniform(0, 2 * np.pi)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    # a tilt: one edge pulled in, the opposite pushed out (keeps the quad convex)
    side = max(w_px, h_px)
    jitter = rng.uniform(-persp, persp, size=(4, 2)) * side
    return (rect + jitter) @ rot.T


def _place_codes(
    img: np.ndarray, rng: np.random.Generator, specs: Sequence[tuple[str, int, str]], bg_colour: np.ndarray
) -> list[PhotoCode]:
    from qrdeblur.synth.render import QRSpec, make_symbol

    h, w = img.shape[:2]
    boxes: list[tuple[float, float, float, float]] = []
    codes = []
    for payload, version, ecc in specs:
        symbol = make_symbol(QRSpec(payload, version, ecc))
        matrix = np.array(symbol.matrix, dtype=bool)
        n = matrix.shape[0]
        layout = _label_layout(rng, n)
        printed_on = "label" if rng.random() < 0.75 else "direct"
        if printed_on == "label":
            paper = np.clip(
                np.array([0.95, 0.95, 0.93], np.float32) * rng.uniform(0.85, 1.03)
                + (rng.uniform(-0.08, 0.08, 3) if rng.random() < 0.3 else 0),
                0,
                1,
            ).astype(np.float32)
        else:  # printed straight onto the box: paper is the background colour, no margin beyond the quiet zone
            paper = bg_colour.astype(np.float32)
            layout["text_rows"] = 0
            layout["h"] = layout["w"]
        ink = (np.array([0.05, 0.05, 0.07]) + rng.uniform(0, 0.2) + rng.uniform(-0.04, 0.04, 3)).astype(
            np.float32
        )
        ink = np.clip(ink, 0, 1)
        placed = None
        for _ in range(40):
            module_px = rng.uniform(2.0, 8.0)
            lw, lh = layout["w"] * module_px, layout["h"] * module_px
            if max(lw, lh) * 1.25 > min(h, w) - 8:
                continue
            quad = _quad(rng, lw, lh, rng.uniform(0.0, 0.15))
            lo, hi = quad.min(0), quad.max(0)
            if (hi - lo)[0] > w - 8 or (hi - lo)[1] > h - 8:
                continue
            cx = rng.uniform(4 - lo[0], w - 4 - hi[0])
            cy = rng.uniform(4 - lo[1], h - 4 - hi[1])
            box = (cx + lo[0] - 6, cy + lo[1] - 6, cx + hi[0] + 6, cy + hi[1] + 6)
            if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes):
                continue
            placed = (module_px, quad + [cx, cy], box)
            break
        if placed is None:
            continue
        module_px, quad, box = placed
        boxes.append(box)
        r = int(np.clip(np.ceil(2 * module_px), 2, 16))
        label = _render_label(rng, matrix, layout, r, paper, ink)
        src = np.float32(
            [[0, 0], [layout["w"] * r, 0], [layout["w"] * r, layout["h"] * r], [0, layout["h"] * r]]
        )
        x0, y0 = int(max(0, np.floor(box[0]))), int(max(0, np.floor(box[1])))
        x1, y1 = int(min(w, np.ceil(box[2]))), int(min(h, np.ceil(box[3])))
        hom = cv2.getPerspectiveTransform(src, np.float32(quad - [x0, y0]))
        roi = (x1 - x0, y1 - y0)
        warped = cv2.warpPerspective(label, hom, roi, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        mask = cv2.warpPerspective(np.ones(label.shape[:2], np.float32), hom, roi, flags=cv2.INTER_LINEAR)
        patch = img[y0:y1, x0:x1]
        patch *= 1 - mask[..., None]
        patch += warped * mask[..., None]
        qz = layout["qz"]
        code_src = np.float64([[qz, qz, 1], [qz + n, qz, 1], [qz + n, qz + n, 1], [qz, qz + n, 1]]) * [
            r,
            r,
            1,
        ]
        p = code_src @ hom.T
        corners = (p[:, :2] / p[:, 2:3] + [x0, y0]).round(2).tolist()
        codes.append(
            PhotoCode(payload, int(symbol.version), ecc, round(float(module_px), 3), corners, printed_on)
        )
    return codes


# ------------------------------------------------------------------------------------- degradation


def _lighting(img: np.ndarray, rng: np.random.Generator) -> dict:
    h, w = img.shape[:2]
    # the illumination field is smooth: compute it on a coarse grid and upsample
    gh, gw = max(2, h // 8), max(2, w // 8)
    yy = np.linspace(-1, 1, gh, dtype=np.float32)[:, None]
    xx = np.linspace(-1, 1, gw, dtype=np.float32)[None, :]
    angle, g = rng.uniform(0, 2 * np.pi), rng.uniform(0.1, 0.5)
    gain = 1 + g * 0.5 * (xx * np.cos(angle) + yy * np.sin(angle))
    v = rng.uniform(0.05, 0.35)
    gain = gain * (1 - v * 0.5 * (xx**2 + yy**2))
    shadow = 0.0
    if rng.random() < 0.3:  # a soft shadow edge across the scene
        a, off, shadow = rng.uniform(0, 2 * np.pi), rng.uniform(-0.6, 0.6), rng.uniform(0.25, 0.55)
        d = (xx * np.cos(a) + yy * np.sin(a) - off) / rng.uniform(0.02, 0.15)
        gain = gain * (1 - shadow / (1 + np.exp(-d)))
    gain = gain * rng.uniform(0.75, 1.1)
    gain = cv2.resize(gain.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    img *= gain[..., None]
    return {"gradient": round(float(g), 3), "vignette": round(float(v), 3), "shadow": round(float(shadow), 3)}


def _camera_psf(rng: np.random.Generator, cell: str) -> tuple[np.ndarray, dict]:
    from qrdeblur.synth import kernels

    s = _STRENGTH[cell]
    kind = str(rng.choice(["motion", "defocus", "shake", "gaussian"], p=[0.4, 0.25, 0.2, 0.15]))
    lens = float(rng.uniform(0.4, 0.8))
    params: dict = {"blur": kind, "lens_sigma": round(lens, 3)}
    if kind == "motion":
        length, theta = float(rng.uniform(*s["motion"])), float(rng.uniform(0, 180))
        k = kernels.motion(length, theta)
        params.update(motion_length=round(length, 2), motion_angle=round(theta, 1))
    elif kind == "defocus":
        radius = float(rng.uniform(*s["disk"]))
        k = kernels.disk(radius)
        params["disk_radius"] = round(radius, 2)
    elif kind == "shake":
        length = float(rng.uniform(*s["shake"]))
        canvas = int(2 * np.ceil(length / 2) + 3) | 1
        k = kernels.trajectory(rng, canvas=canvas, max_length=length, steps=400)
        params["shake_length"] = round(length, 2)
    else:
        sigma = float(rng.uniform(*s["gauss"]))
        k = kernels.gaussian(sigma)
        params["gaussian_sigma"] = round(sigma, 2)
    return kernels.compose(k, kernels.gaussian(lens)), params


def photo_item(index: int, seed: int, specs: Sequence[tuple[str, int, str]]) -> PhotoItem:
    """Scene ``index`` of the scenes drawn from ``seed``, holding the codes ``specs`` ((payload, version, ECC)).

    Depends only on (seed, index, specs); its cell is ``CELLS[index % 3]``.
    """
    rng = np.random.default_rng([seed, index])
    cell = CELLS[index % len(CELLS)]
    w = int(rng.integers(640, 2001))
    h = int(min(2000, round(w * float(rng.choice([0.75, 4 / 3, 0.5625, 1.0])))))
    bg_kind = str(rng.choice(list(_BACKGROUNDS), p=[0.45, 0.25, 0.3]))
    img, bg_colour = _BACKGROUNDS[bg_kind](rng, h, w)
    kinds = _distractors(img, rng)
    codes = _place_codes(img, rng, specs, bg_colour)
    light = _lighting(img, rng)
    psf, blur = _camera_psf(rng, cell)
    # filter2D correlates; flip to convolve
    img = cv2.filter2D(
        img, -1, np.ascontiguousarray(psf[::-1, ::-1]).astype(np.float32), borderType=cv2.BORDER_REFLECT
    )
    s = _STRENGTH[cell]
    std = float(rng.uniform(*s["noise"]))
    # sensor noise, shared by the three channels (demosaicing and JPEG correlate them anyway)
    noise = rng.standard_normal((h, w), dtype=np.float32)
    noise *= std * 255
    img *= 255
    img += noise[..., None]
    img += 0.5
    np.clip(img, 0, 255, out=img)
    u8 = img.astype(np.uint8)
    quality = int(rng.integers(s["jpeg"][0], s["jpeg"][1] + 1))
    ok, buf = cv2.imencode(".jpg", u8[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("OpenCV failed to JPEG-encode a photo scene")
    rgb = np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
    meta = {
        "index": index,
        "seed": seed,
        "size": [w, h],
        "background": bg_kind,
        "distractors": kinds,
        "lighting": light,
        **blur,
        "noise_std": round(std, 4),
        "jpeg_quality": quality,
    }
    return PhotoItem(rgb, codes, cell, meta, psf)

