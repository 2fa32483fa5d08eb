"""Parcels on a conveyor filmed by a fixed camera: the sequences of the ``conveyor`` bench suite.

Why: packaging lines and sorters film codes moving past a camera, each code in several consecutive
frames, each frame smeared along the motion. A sequence here is one pass of a belt carrying one to
three parcels, each with a label holding one code, across a static textured scene (a
:func:`~qrdeblur.synth.scene.surface` with print clutter, under static uneven light), filmed at 30 fps.

How a frame is made: every parcel moves at the belt's velocity ``v`` (px per frame; horizontal within
10 degrees, either way). The moving layer (parcels with their cardboard texture, labels, codes; any
rotation, mild perspective) is rendered sharp at the frame's mid-exposure position, area-averaged
(:func:`~qrdeblur.synth.scene.render_label`), and blurred, colour premultiplied by coverage and the
coverage alike, by the straight path the belt travels during the exposure
(:func:`~qrdeblur.synth.kernels.path_kernel`, sub-pixel accurate); that is the exact picture of a rigid
layer moving at constant velocity over a static background. Then fresh Gaussian noise per frame. The
compression is the video file's (:func:`write_video`).

All codes of a sequence share one module size (one label printer), so the blur in module widths is one
number per sequence: ``blur_px / module_px`` with ``blur_px = shutter * |v|`` (shutter: the exposure as a
fraction of the frame interval). The belt is as fast as the blur asks for at a shutter of 0.5-1, and
faster (a shorter shutter) when the pass would otherwise take more than :data:`MAX_FRAMES` frames; a
pass shorter than :data:`MIN_FRAMES` frames gets still frames of the empty scene before and after.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from qrdeblur.qrspec import modules
from qrdeblur.synth import degrade, kernels
from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix
from qrdeblur.synth.scene import camera_homography, render_label, shading, split_label, surface, translate

#: Frame size (height, width): a quarter of 1080p, enough for a version-6 code at 4 px per module.
FRAME_SIZE = (270, 480)
FPS = 30.0
MIN_FRAMES, MAX_FRAMES = 24, 40
#: Module pitch range (px); the upper bound shrinks so the largest label fits 3/4 of the frame height.
MODULE_PX = (2.0, 6.0)
#: Light label border around the symbol (modules): the quiet zone and a little more.
LABEL_BORDER = (3, 5)
#: Shutter (exposure / frame interval) range before the belt speed is capped.
SHUTTER = (0.5, 1.0)
#: Codec fourccs tried in order by :func:`write_video` without PyAV: H.264 where OpenCV's FFmpeg has an
#: encoder for it; the opencv-python wheels ship none (only the hardware ``h264_v4l2m2m``, which fails
#: without the device), so there the files are MPEG-4 Part 2 (``mp4v``), also block-DCT with motion
#: compensation.
CODECS = ("avc1", "mp4v")


@dataclass
class ConveyorCode:
    """One code on the belt.

    Attributes:
        payload, version, ecc: the symbol.
        module_px: module pitch (px) before perspective.
        corners: (frames, 4, 2) the symbol's outline in each frame at mid-exposure (its own top-left,
            top-right, bottom-right, bottom-left; px, possibly outside the frame).
    """

    payload: str
    version: int
    ecc: str
    module_px: float
    corners: np.ndarray

    def in_view(self, shape: tuple[int, int] = FRAME_SIZE) -> np.ndarray:
        """(frames,) bool: the whole symbol inside the frame."""
        h, w = shape
        c = self.corners
        x, y = c[..., 0], c[..., 1]
        return (x.min(1) >= 0) & (x.max(1) <= w - 1) & (y.min(1) >= 0) & (y.max(1) <= h - 1)


@dataclass
class ConveyorSequence:
    """One pass of the belt.

    Attributes:
        frames: (H, W) uint8 grey frames, noisy, not yet compressed.
        payloads: the codes' payloads in the order they enter the view.
        cell: the blur cell it was drawn for.
        codes: :class:`ConveyorCode` per payload.
        blur_modules: the motion blur within one exposure, in module widths.
        velocity: the belt's motion (px per frame, x and y).
        fps: frame rate.
        meta: the drawn parameters.
    """

    frames: list[np.ndarray]
    payloads: list[str]
    cell: str
    codes: list[ConveyorCode]
    blur_modules: float
    velocity: np.ndarray
    fps: float = FPS
    meta: dict = field(default_factory=dict)


@dataclass
class _Parcel:
    matrix: np.ndarray
    border: int
    margin: float  # parcel beyond the label, modules
    hom: np.ndarray  # module coordinates -> px, symbol centre at 0
    texture: np.ndarray  # parcel cardboard in module coordinates, _TEX px per module, from -(border+margin)
    dark: float
    light: float
    half: int  # half-side of the local canvas (px)


_TEX = 4  # texture samples per module


def _parcel(rng: np.random.Generator, spec: tuple[str, int, str], module_px: float) -> tuple[_Parcel, dict]:
    payload, version, ecc = spec
    n = modules(version)
    matrix = module_matrix(make_symbol(QRSpec(payload, version, ecc)), 0)
    border = int(rng.integers(LABEL_BORDER[0], LABEL_BORDER[1] + 1))
    margin = float(rng.uniform(1, 6))
    hom, view = camera_homography(rng, n, module_px, float(rng.uniform(0.0, 0.03)))
    side = n + 2 * (border + margin)
    tex_px = int(np.ceil(side * _TEX))
    tone = float(rng.uniform(0.35, 0.75))
    cardboard, _ = surface(rng, (tex_px, tex_px), _TEX)
    texture = (tone + 0.4 * (cardboard - cardboard.mean())).astype(np.float32)
    half = int(np.ceil(side * module_px * 0.75)) + 2
    dark, light = float(rng.uniform(0.03, 0.2)), float(rng.uniform(0.8, 0.95))
    params = {"border": border, "parcel_margin": round(margin, 2), "rotation": round(view["rotation"], 2)}
    return _Parcel(matrix, border, margin, hom, np.clip(texture, 0, 1), dark, light, half), params


def _sprite(p: _Parcel, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(colour premultiplied by coverage, coverage) of a parcel on its local canvas, the symbol centre
    at ``offset`` (px) from the canvas origin."""
    side = 2 * p.half + 1
    to_local = translate(offset[0], offset[1]) @ p.hom
    code, label = split_label(render_label(p.matrix, p.border, to_local, (side, side)))
    n = p.matrix.shape[0]
    out = p.border + p.margin
    box = np.zeros((n, n), bool)
    _, parcel = split_label(render_label(box, int(np.ceil(out)), to_local, (side, side), supersample=2))
    # texture pixel (i, j) centre is module x = j / _TEX - out + 0.5 / _TEX
    tex_to_modules = translate(-out + 0.5 / _TEX, -out + 0.5 / _TEX) @ np.diag([1 / _TEX, 1 / _TEX, 1.0])
    card = cv2.warpPerspective(
        p.texture, to_local @ tex_to_modules, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
    ink = p.dark + (p.light - p.dark) * code
    colour = label * ink + (parcel - label).clip(0, 1) * card
    return colour.astype(np.float32), parcel.astype(np.float32)


def _paste(acc: np.ndarray, sprite: np.ndarray, x0: int, y0: int) -> None:
    h, w = acc.shape
    sh, sw = sprite.shape
    ax0, ay0, ax1, ay1 = max(0, x0), max(0, y0), min(w, x0 + sw), min(h, y0 + sh)
    if ax0 < ax1 and ay0 < ay1:
        acc[ay0:ay1, ax0:ax1] += sprite[ay0 - y0 : ay1 - y0, ax0 - x0 : ax1 - x0]


def conveyor_sequence(
    rng: np.random.Generator,
    specs: list[tuple[str, int, str]],
    cell: str,
    blur_range: tuple[float, float],
    size: tuple[int, int] = FRAME_SIZE,
) -> ConveyorSequence:
    """One pass of a belt carrying the codes ``specs`` ((payload, version, ECC) each), with a motion blur
    drawn in ``blur_range`` module widths; everything else drawn from ``rng``."""
    h, w = size
    n_max = max(modules(v) for _, v, _ in specs)
    top = min(MODULE_PX[1], 0.75 * h / (n_max + 2 * LABEL_BORDER[1]))
    module_px = float(rng.uniform(MODULE_PX[0], max(MODULE_PX[0], top)))
    blur_modules = float(rng.uniform(*blur_range))
    blur_px = blur_modules * module_px
    angle = float(np.radians(rng.uniform(-10, 10)) + (np.pi if rng.random() < 0.5 else 0.0))
    direction = np.array([np.cos(angle), np.sin(angle)])
    parcels, params = zip(*(_parcel(rng, s, module_px) for s in specs), strict=True)
    # parcels one after the other along the belt (belt coordinate s along the direction, first ahead)
    reach = [p.half * 0.8 for p in parcels]  # about the parcel's half-diagonal
    along = [0.0]
    for a, b in zip(reach, reach[1:], strict=False):  # never overlapping, whatever their rotations
        along.append(along[-1] - (a + b) * float(rng.uniform(1.0, 1.4)))
    across = [float(rng.uniform(-1, 1)) * max(0.0, h / 2 - r * 0.9) for r in reach]
    # the pass: the first parcel from just outside the view until the last is just past it
    span = (w / 2 + reach[0]) + (w / 2 + reach[-1]) - along[-1]
    shutter = float(rng.uniform(*SHUTTER))
    speed = blur_px / shutter
    if span / speed > MAX_FRAMES - 1:
        speed = span / (MAX_FRAMES - 1)
        shutter = blur_px / speed
    moving = int(np.ceil(span / speed)) + 1
    count = max(MIN_FRAMES, moving)
    lead = (count - moving) // 2
    velocity = direction * speed
    centre0 = np.array([w / 2, h / 2]) - direction * (w / 2 + reach[0])
    normal = np.array([-direction[1], direction[0]])
    psf = kernels.path_kernel(np.outer(np.linspace(-0.5, 0.5, 200), velocity * shutter))
    background, bg_params = surface(rng, size, module_px)
    light, light_params = shading(rng, size)
    light = (0.6 + 0.4 * light / max(float(light.mean()), 1e-6)).astype(np.float32)  # keep the codes lit
    phase = float(rng.uniform(0, 1))
    noise_std = float(rng.uniform(0.005, 0.02))
    frames: list[np.ndarray] = []
    corners = [np.zeros((count, 4, 2)) for _ in specs]
    for k in range(count):
        t = k - lead + phase - 1
        colour = np.zeros(size, np.float32)
        cover = np.zeros(size, np.float32)
        for i, p in enumerate(parcels):
            c = centre0 + direction * along[i] + normal * across[i] + velocity * t
            n = p.matrix.shape[0]
            sym = np.float64([[0, 0], [n, 0], [n, n], [0, n]]).reshape(-1, 1, 2)
            corners[i][k] = cv2.perspectiveTransform(sym, translate(c[0], c[1]) @ p.hom).reshape(4, 2)
            x0, y0 = int(np.floor(c[0])) - p.half, int(np.floor(c[1])) - p.half
            pad = psf.shape[0]  # the blur reaches this far
            if x0 > w + pad or y0 > h + pad or x0 + 2 * p.half + 1 < -pad or y0 + 2 * p.half + 1 < -pad:
                continue
            sprite, alpha = _sprite(p, c - [x0, y0])
            _paste(colour, sprite, x0, y0)
            _paste(cover, alpha, x0, y0)
        colour = degrade.convolve(colour, psf)
        cover = np.clip(degrade.convolve(cover, psf), 0, 1)
        img = (colour + (1 - cover) * background) * light
        img, _ = degrade.gaussian_noise(np.clip(img, 0, 1), rng, noise_std)
        frames.append(degrade.to_uint8(img))
    codes = [
        ConveyorCode(s[0], s[1], s[2], module_px, corners[i]) for i, s in enumerate(specs)
    ]
    meta = {
        "module_px": round(module_px, 3),
        "blur_modules": round(blur_modules, 3),
        "blur_px": round(blur_px, 3),
        "speed_px": round(speed, 3),
        "shutter": round(shutter, 3),
        "direction_deg": round(float(np.degrees(angle)), 2),
        "frames": count,
        "noise_std": round(noise_std, 4),
        "codes": list(params),
        **{k: v for k, v in bg_params.items() if k != "grain"},
        **{k: round(v, 3) for k, v in light_params.items()},
    }
    return ConveyorSequence(frames, [s[0] for s in specs], cell, codes, blur_modules, velocity, FPS, meta)


#: x264 settings of :func:`write_video` with ``h264``: its default quality (constant rate factor 23,
#: what camera streams and phone videos sit near), one thread, and no macroblock-tree rate control:
#: with it the files' bytes varied between processes on a loaded machine (one thread, explicit time
#: base, frames of a height divisible by 16 all the same), without it 12 processes under load wrote the
#: same bytes. A camera's hardware encoder has no macroblock tree either.
X264_OPTIONS = {"crf": "23", "preset": "medium", "threads": "1", "x264-params": "mbtree=0"}


def _pyav_x264() -> bool:
    """Whether PyAV (the ``video`` extra) is installed with the libx264 encoder."""
    try:
        import av
    except ImportError:
        return False
    return "libx264" in av.codecs_available


@cache
def video_codec(codecs: tuple[str, ...] = CODECS) -> str:
    """The first fourcc of ``codecs`` OpenCV can write an .mp4 with here (probed once, quietly): what
    :func:`write_video` writes by default.

    Raises:
        RuntimeError: when none can be written.
    """
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # the failed H.264 probe logs through FFmpeg
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for fourcc in codecs:
                writer = cv2.VideoWriter(str(Path(tmp) / "probe.mp4"), cv2.VideoWriter_fourcc(*fourcc), FPS, (64, 48))
                ok = writer.isOpened()
                writer.release()
                if ok:
                    return fourcc
    finally:
        cv2.utils.logging.setLogLevel(level)
    raise RuntimeError(f"OpenCV cannot write any of {', '.join(codecs)} here")


def suite_codec() -> str:
    """The codec the ``conveyor`` bench suite writes here: ``h264`` (PyAV's libx264, :func:`write_video`
    with ``h264``) where the ``video`` extra is installed, else OpenCV's (:func:`video_codec`)."""
    return "h264" if _pyav_x264() else video_codec()


def write_video(path: str | Path, frames: list[np.ndarray], fps: float = FPS, h264: bool = False) -> str:
    """Write grey uint8 ``frames`` as an .mp4; returns the codec used: by default OpenCV's FFmpeg writer at
    its default bit rate (:func:`video_codec`: ``avc1`` where it has an H.264 encoder, else ``mp4v``);
    with ``h264``, H.264 by PyAV's libx264 at :data:`X264_OPTIONS` (the ``video`` extra). Either way the
    same frames give the same bytes on every run.

    Raises:
        RuntimeError: ``h264`` without PyAV's libx264, or no OpenCV writer.
    """
    if h264:
        if not _pyav_x264():
            raise RuntimeError(f"{path}: H.264 needs PyAV with libx264 (pip install 'qrdeblur[video]')")
        import av

        codec = "h264"

        h, w = frames[0].shape
        with av.open(str(path), "w") as container:
            stream = container.add_stream("libx264", rate=round(fps), options=dict(X264_OPTIONS))
            stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
            stream.codec_context.thread_count = 1
            for k, f in enumerate(frames):
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="gray")
                frame.pts = k  # explicit timestamps, in the stream's frame-rate time base
                container.mux(stream.encode(frame))
            container.mux(stream.encode())
        return codec
    codec = video_codec()
    h, w = frames[0].shape
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"{path}: OpenCV cannot open a {codec} writer")
    try:
        for f in frames:
            writer.write(cv2.cvtColor(f, cv2.COLOR_GRAY2BGR))
    finally:
        writer.release()
    return codec
