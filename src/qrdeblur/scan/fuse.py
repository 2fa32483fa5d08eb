"""Multi-frame fusion: read a moving code no single frame of a video reads.

Why: on a conveyor a code is in many consecutive frames, each with the same motion blur and its own
noise and compression. One frame alone may hold too little for any restoration; the frames registered
on the code and averaged hold the same blur with a fraction of the noise, and the motion between
frames tells the blur's direction (a rigid object moving at constant velocity is smeared along its
motion, by the exposure's share of the motion per frame).

How (:func:`fuse` then :func:`read_stack`):

1. **Register.** The candidate's box in the reference frame (the newest) is the template; in each
   earlier frame, newest first, it is found by normalised cross-correlation
   (``cv2.matchTemplate``) within a window around its place predicted from the motion so far, to a
   tenth of a pixel (a parabola through the peak). A frame that does not match well (the code left
   the view, was hidden, or the match is ambiguous) ends the stack.
2. **Fuse.** The frames, shifted onto the reference (sub-pixel, bilinear), are averaged over a crop
   reaching one motion step beyond the box (the blur's reach). The motion per frame is the
   least-squares slope of the shifts.
3. **Restore and read.** The fused crop is read as it is; then deconvolved (Wiener, batched) with
   straight blurs along the motion, of :data:`LENGTH_FRACTIONS` of the motion per frame (the exposure
   is an unknown share of the frame interval), each read. The crop's spectrum is computed once for
   all the blurs; its canvas is padded by the motion's reach along each axis and extended to a size
   the FFT is fast at. Then, if time is left, the photo cascade
   (:func:`qrdeblur.scan.scan`) on the fused crop, which also handles blur that is not along the
   motion. Reads are method ``fused``, corners in the reference frame.

A stack needs motion (at least :data:`MIN_SPEED` px per frame): a still region's frames differ only in
noise, and it is where a static background's texture sits, which would cost a fusion per scan for
nothing.

Measured with ``research/conveyor_fusion_ceiling.py`` on the ``conveyor`` suite's first 6 sequences
of each heavy cell (compressed frames, the code's true outline and motion): the true blur read 4 of
12 codes at 5-7 modules in any single frame, 7 of 12 with the frames fused; at 7-10 modules 0 and 2
of 10.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

from qrdeblur.decode.zxing import read_grey
from qrdeblur.restore.wiener_batch import wiener_batch_balances
from qrdeblur.scan.result import Code
from qrdeblur.synth.kernels import path_kernel

#: Frames fused at most (the reference and this many minus one before it).
FUSE_FRAMES = 8
#: Fewest frames a stack needs (the reference included).
MIN_FRAMES = 3
#: Normalised cross-correlation a frame must reach to join the stack.
MIN_MATCH = 0.6
#: Slowest motion fused (px per frame).
MIN_SPEED = 0.75
#: Fastest motion looked for between two frames (px per frame), when no motion is known yet.
MAX_SPEED = 96.0
#: Blur lengths tried, as fractions of the motion per frame (the exposure's share of the interval).
LENGTH_FRACTIONS = tuple(np.round(np.linspace(0.2, 1.0, 17), 3))
#: Wiener balances tried per length. On the stacks fusion built in the ``conveyor`` suite's 3-5, 5-7 and
#: 7-10 cells (993 stacks, 39 codes read with 0.002 and 0.01), 0.001 alone read 42 codes in 45 % of the
#: time; 0.01 alone read 174 stacks of the 334 that the pair read.
BALANCES = (0.001,)


@dataclass
class Stack:
    """Frames of one moving region, registered and averaged.

    Attributes:
        image: the fused crop, float32 in [0, 1].
        origin: the crop's top-left corner in the reference frame (x, y).
        velocity: the region's motion, px per frame (x, y).
        frames: the frame numbers fused, the reference first.
        match: the weakest normalised correlation of a frame with the reference.
    """

    image: np.ndarray
    origin: tuple[int, int]
    velocity: np.ndarray
    frames: list[int]
    match: float

    @property
    def speed(self) -> float:
        return float(np.linalg.norm(self.velocity))


def _peak(score: np.ndarray) -> tuple[float, float, float]:
    """Sub-pixel (x, y) of the maximum of a correlation map (a parabola through it each way) and its value."""
    _, best, _, (x, y) = cv2.minMaxLoc(score)

    def offset(a: float, b: float, c: float) -> float:
        den = a - 2 * b + c
        return 0.0 if abs(den) < 1e-9 else float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))

    h, w = score.shape
    dx = offset(score[y, x - 1], score[y, x], score[y, x + 1]) if 0 < x < w - 1 else 0.0
    dy = offset(score[y - 1, x], score[y, x], score[y + 1, x]) if 0 < y < h - 1 else 0.0
    return x + dx, y + dy, float(best)


def register(
    reference: np.ndarray,
    box: tuple[int, int, int, int],
    earlier: list[tuple[int, np.ndarray]],
    velocity: np.ndarray | None = None,
    max_speed: float = MAX_SPEED,
    min_match: float = MIN_MATCH,
) -> tuple[list[tuple[int, np.ndarray, float]], np.ndarray | None]:
    """Find the ``box`` (x0, y0, x1, y1) of ``reference`` in each of the ``earlier`` frames ((frames
    before the reference, image), nearest first) until one does not match.

    Returns:
        ([(frames before, shift (dx, dy) of the box there, correlation)], motion per frame or None).
    """
    x0, y0, x1, y1 = box
    template = reference[y0:y1, x0:x1].astype(np.float32)
    if template.size == 0 or float(template.std()) < 1e-3:
        return [], None
    h, w = reference.shape
    found: list[tuple[int, np.ndarray, float]] = []
    v = None if velocity is None else np.asarray(velocity, np.float64)
    for back, image in earlier:
        if v is None:  # the first step: anywhere within the fastest motion
            guess, reach = np.zeros(2), max_speed * back
        else:
            guess, reach = -v * back, 0.25 * max(x1 - x0, y1 - y0) + 4 + 0.25 * float(np.linalg.norm(v))
        gx, gy = x0 + guess[0], y0 + guess[1]
        sx0, sy0 = int(np.floor(gx - reach)), int(np.floor(gy - reach))
        sx1, sy1 = int(np.ceil(gx + reach)) + (x1 - x0), int(np.ceil(gy + reach)) + (y1 - y0)
        sx0, sy0, sx1, sy1 = max(0, sx0), max(0, sy0), min(w, sx1), min(h, sy1)
        if sx1 - sx0 <= x1 - x0 or sy1 - sy0 <= y1 - y0:
            break  # the box is (nearly) out of this frame
        score = cv2.matchTemplate(image[sy0:sy1, sx0:sx1].astype(np.float32), template, cv2.TM_CCOEFF_NORMED)
        px, py, best = _peak(score)
        if not np.isfinite(best) or best < min_match:
            break
        shift = np.array([sx0 + px - x0, sy0 + py - y0])
        found.append((back, shift, best))
        backs = np.array([b for b, _, _ in found], np.float64)
        shifts = np.array([s for _, s, _ in found])
        v = -(backs @ shifts) / float(backs @ backs)  # least squares through the reference (shift 0)
    return found, v


def fuse(
    frames: list[tuple[int, np.ndarray]],
    box: tuple[int, int, int, int],
    velocity: np.ndarray | None = None,
    max_frames: int = FUSE_FRAMES,
    min_frames: int = MIN_FRAMES,
    min_speed: float = MIN_SPEED,
) -> Stack | None:
    """The stack of the region ``box`` of the last of ``frames`` ((frame number, grey uint8), oldest
    first) over the frames before it; None when fewer than ``min_frames`` register or it does not move."""
    if len(frames) < min_frames:
        return None
    ref_n, reference = frames[-1]
    earlier = [(ref_n - n, img) for n, img in reversed(frames[-max_frames:-1]) if n < ref_n]
    found, v = register(reference, box, earlier, velocity)
    if len(found) + 1 < min_frames or v is None or float(np.linalg.norm(v)) < min_speed:
        return None
    h, w = reference.shape
    x0, y0, x1, y1 = box
    reach = int(np.ceil(np.linalg.norm(v))) + 8
    cx0, cy0, cx1, cy1 = max(0, x0 - reach), max(0, y0 - reach), min(w, x1 + reach), min(h, y1 + reach)
    acc = reference[cy0:cy1, cx0:cx1].astype(np.float32)
    images = dict(earlier)
    for back, shift, _ in found:
        m = np.float32([[1, 0, cx0 + shift[0]], [0, 1, cy0 + shift[1]]])  # crop pixel -> that frame's pixel
        acc += cv2.warpAffine(images[back].astype(np.float32), m, (cx1 - cx0, cy1 - cy0),
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
    image = acc / (255.0 * (len(found) + 1))
    used = [ref_n] + [ref_n - b for b, _, _ in found]
    return Stack(image, (cx0, cy0), v, used, min(s for _, _, s in found))


def motion_kernels(velocity: np.ndarray, fractions=LENGTH_FRACTIONS) -> list[np.ndarray]:
    """Straight blurs along ``velocity`` of each fraction of its length (at least 1 px)."""
    v = np.asarray(velocity, np.float64)
    out = []
    for f in fractions:
        step = v * f
        if np.linalg.norm(step) < 1.0:
            step = v / max(np.linalg.norm(v), 1e-9)
        out.append(path_kernel(np.outer(np.linspace(-0.5, 0.5, 64), step)))
    return out


def _codes(results, origin: tuple[int, int]) -> list[Code]:
    ox, oy = origin
    return [Code.from_result(r, [[x + ox, y + oy] for x, y in r.corners], "fused") for r in results]


def _grey8(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, 0, 1) * 255).round().astype(np.uint8)


def read_stack(stack: Stack, deblurrer=None, budget_ms: float = 0.0, effort: str = "normal") -> list[Code]:
    """Read the codes of a :class:`Stack` (module docstring, step 3); corners in the reference frame.

    ``budget_ms``: time for the photo cascade on the fused crop after the motion deconvolutions (0:
    not run); ``deblurrer``, ``effort``: the cascade's."""
    t0 = time.perf_counter()
    fused = _grey8(stack.image)
    ok, _ = read_grey(fused)
    if ok:
        return _codes(ok, stack.origin)
    psfs = motion_kernels(stack.velocity)
    pad = tuple(int(np.ceil(abs(c))) + 8 for c in stack.velocity[::-1])  # rows, columns: the blur's reach
    for restored in wiener_batch_balances(stack.image[None], psfs, BALANCES, pad=pad, fast_size=True):
        for img in restored:
            ok, _ = read_grey(_grey8(img))
            if ok:
                return _codes(ok, stack.origin)
    left = budget_ms - (time.perf_counter() - t0) * 1000
    if left > 0:
        from qrdeblur.scan.api import scan  # the cascade (its module imports this one's package)

        codes = scan(fused, budget_ms=left, deblurrer=deblurrer, effort=effort)
        ox, oy = stack.origin
        return [Code(c.text, [[x + ox, y + oy] for x, y in c.corners], "fused", c.decoder, c.bytes_b64, c.gs1, c.hri)
                for c in codes]
    return []


__all__ = ["Stack", "fuse", "motion_kernels", "read_stack", "register"]
