"""The cascade's step kinds: a registry from a step's ``restore`` name to the function that runs it.

Every step function has the signature ``run(scene, candidate, step, time_left_ms, timing) -> outlines``:
it adds the codes it reads to ``scene`` and returns the outlines of codes zxing-cpp located in its
restored crop but could not decode, as (quad in image pixels, ``"refined"``) pairs, for the cascade to
try as new exact candidates. ``timing`` is the cascade's :class:`GeneratorTiming` (the generator's
measured speed, so a deblur predicted to overrun the time left is skipped).

To add a step kind: write its function here (or in its own module), register it in
:data:`STEP_KINDS`, and list a :class:`~qrdeblur.scan.config.Step` with that ``restore`` name in the
configuration's step lists.

Only what a decoder returned is reported, and zxing-cpp checks the Reed-Solomon error correction, so a
restoration that invents modules cannot produce a false read, only a failed one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import cv2
import numpy as np

from qrdeblur.contrast import stretch_contrast
from qrdeblur.decode.zxing import located, read_grey
from qrdeblur.geometry import quad_side
from qrdeblur.qrspec import modules
from qrdeblur.restore.blind_kernel import line_starts, refinements
from qrdeblur.restore.classical import sharpen
from qrdeblur.restore.latent_kernel import latent_kernel_restorations
from qrdeblur.scan.config import Step
from qrdeblur.scan.finder_pair import read_finder_pairs
from qrdeblur.scan.grid_step import grid_step
from qrdeblur.scan.locate import Candidate
from qrdeblur.scan.result import Code
from qrdeblur.scan.scene import Scene
from qrdeblur.scan.unwrap import read_unwrapped

Outlines = list[tuple[np.ndarray, str]]
#: The ``finder-pair`` step upscales a candidate's region to at least this side (px).
FINDER_PAIR_MIN_SIDE = 400
StepFunction = Callable[[Scene, Candidate, Step, float, "GeneratorTiming"], Outlines]


class GeneratorTiming:
    """The generator's speed on this machine (ms per input pixel), learned as it runs: the slowest recent
    speed is kept (a loaded machine stays slow for a while)."""

    def __init__(self, ms_per_px: float = 6e-4):  # a prior (2 cores), replaced once measured
        self.ms_per_px = ms_per_px

    def predict(self, pixels: int) -> float:
        return self.ms_per_px * pixels

    def record(self, ms: float, pixels: int) -> None:
        rate = ms / pixels
        self.ms_per_px = max(rate, 0.7 * self.ms_per_px + 0.3 * rate)


def _as_is(scene: Scene, crop: np.ndarray) -> np.ndarray:
    return crop


def _sharpened(scene: Scene, crop: np.ndarray) -> np.ndarray:
    return (sharpen(crop.astype(np.float32) / 255.0) * 255).astype(np.uint8)


def _crop_step(restorer, learned: bool) -> StepFunction:
    """A step that rectifies the candidate at the step's scale, restores the crop with ``restorer`` and
    decodes it. ``learned``: the restorer is the generator (timed; its reads must fill the candidate;
    on a texture candidate its crop's located outlines are returned)."""

    def run(scene: Scene, cand: Candidate, step: Step, time_left: float, timing: GeneratorTiming) -> Outlines:
        cfg = scene.config
        if learned and scene.deblurrer is None:
            return []
        rect = scene.rectified(cand, step)
        if rect is None:
            return []
        key = ("done", id(rect), step.restore, step.stretch)
        if key in scene.cache:  # the same crop and restoration already tried (two scales clipped alike)
            return []
        if learned and timing.predict(rect.image.size) > time_left:
            return []
        scene.cache[key] = True
        crop = stretch_contrast(rect.image) if step.stretch else rect.image
        if learned:
            t = time.perf_counter()
            out = scene.deblurrer.deblur(crop)
            timing.record((time.perf_counter() - t) * 1000, rect.image.size)
        else:
            out = restorer(scene, crop)
        refine = cfg.refine and learned and not cand.exact
        ok, failed = read_grey(out, errors=refine, binarizers=cfg.crop_binarizers)
        read = False
        for result in ok:
            if learned and quad_side(result.corners) < cfg.min_deblurred_fraction * rect.side:
                continue  # a small code drawn by the generator inside a larger candidate: not trusted
            read = scene.add(Code.from_result(result, rect.points_to_image(result.corners), step.method)) or read
        if read or not refine:
            return []
        lo, hi = cfg.min_deblurred_fraction * rect.side, 1.5 * rect.side
        return [(np.asarray(rect.points_to_image(q)), "refined") for q in failed if lo <= quad_side(q) <= hi]

    return run


def _grid(scene: Scene, cand: Candidate, step: Step, time_left: float, timing: GeneratorTiming) -> Outlines:
    grid_step(scene, cand, step, time_left)
    return []


def _region_box(scene: Scene, cand: Candidate, margin: float) -> tuple[int, int, int, int, float]:
    """(x0, y0, x1, y1, side): the candidate's bounding box widened by ``margin`` of its mean side plus
    8 px each way, clipped to the image, and that side."""
    quad = np.asarray(cand.quad, dtype=np.float64)
    side = quad_side(quad)
    h, w = scene.grey.shape
    x0, y0 = np.maximum(0, np.floor(quad.min(axis=0) - margin * side - 8)).astype(int)
    x1, y1 = np.minimum((w, h), np.ceil(quad.max(axis=0) + margin * side + 8)).astype(int)
    return int(x0), int(y0), int(x1), int(y1), side


def _kernel_search(scene: Scene, cand: Candidate, step: Step, time_left: float, timing: GeneratorTiming) -> Outlines:
    """Blind, non-parametric kernel search on the candidate's region of the image (not rectified, so the
    blur keeps its shape): straight-line starts of a few lengths (fractions of the candidate's side) at
    a few angles, each refined with the code's two-tone prior (:mod:`qrdeblur.restore.blind_kernel`);
    the Wiener restoration of every round is decoded, and the search stops at the first code read or
    when the time is up. For blur that no parametric estimate describes (camera shake)."""
    cfg = scene.config
    key = ("kernel-search", id(cand))
    if key in scene.cache:
        return []
    scene.cache[key] = True
    t_end = time.perf_counter() + time_left / 1000
    x0, y0, x1, y1, side = _region_box(scene, cand, 0.25)
    region = scene.grey_float[y0:y1, x0:x1].astype(np.float64)
    if min(region.shape) < 32:
        return []
    starts = line_starts(tuple(f * side for f in cfg.kernel_search_lengths), cfg.kernel_search_angles)
    restorations = ((r, (x0, y0)) for start in starts for _, r in refinements(region, start, cfg.kernel_search_rounds))
    _read_restorations(scene, restorations, side, step, t_end)
    return []


def _read_restorations(scene: Scene, restorations, side: float, step: Step, t_end: float) -> None:
    """Decode each (restored region in [0, 1], region origin (x, y)) in turn until one reads a code as
    wide as at least ``min_deblurred_fraction`` of the candidate's ``side`` (a smaller one is not this
    candidate's code), or the clock passes ``t_end``."""
    for restored, (x0, y0) in restorations:
        ok, _ = read_grey((np.clip(restored, 0, 1) * 255).round().astype(np.uint8))
        for result in ok:
            if quad_side(result.corners) < scene.config.min_deblurred_fraction * side:
                continue
            corners = [[x + x0, y + y0] for x, y in result.corners]
            if scene.add(Code.from_result(result, corners, step.method)):
                return
        if time.perf_counter() > t_end:
            return


def _latent_kernel(scene: Scene, cand: Candidate, step: Step, time_left: float, timing: GeneratorTiming) -> Outlines:
    """Learned, non-parametric blur estimate (:mod:`qrdeblur.restore.latent_kernel`): a picture network
    (``CascadeConfig.latent_model``) draws the sharp scene in the candidate's region, the kernel is
    fitted between that picture and the photo and refined with the two-tone prior, and each Wiener
    restoration is decoded, until a code reads or the time is up. Skipped without a network; no step
    list of the product runs it (it read less than ``kernel-search`` in the same time)."""
    picture = scene.latent_picture
    if picture is None:
        return []
    key = ("latent-kernel", id(cand))
    if key in scene.cache:
        return []
    scene.cache[key] = True
    t_end = time.perf_counter() + time_left / 1000
    side = quad_side(np.asarray(cand.quad, dtype=np.float64))
    restorations = latent_kernel_restorations(scene.grey_float, cand.quad, picture, scene.config.latent_kernel_rounds)
    _read_restorations(scene, ((r, origin) for _, r, origin in restorations), side, step, t_end)
    return []


def _finder_pair(scene: Scene, cand: Candidate, step: Step, time_left: float, timing: GeneratorTiming) -> Outlines:
    """Read the candidate's region from two of its finder patterns and a guessed third
    (:func:`qrdeblur.scan.finder_pair.read_finder_pairs`): for a finder taped over, scuffed, lost in a
    highlight or merged with print, and for codes printed without a quiet zone. The region is
    upscaled (integer factor, at most 3) to :data:`FINDER_PAIR_MIN_SIDE` px so finder rings of 2-3 px
    stay separate. Not in the follow-up of a photo already read (``followup_rule_steps``)."""
    key = ("finder-pair", id(cand))
    if key in scene.cache or (scene.followup and not scene.config.followup_rule_steps):
        return []
    scene.cache[key] = True
    x0, y0, x1, y1, side = _region_box(scene, cand, 0.3)
    region = scene.grey[y0:y1, x0:x1]
    if min(region.shape) < 32:
        return []
    factor = int(np.clip(np.ceil(FINDER_PAIR_MIN_SIDE / min(region.shape)), 1, 3))
    if factor > 1:
        region = cv2.resize(region, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    for result, corners in read_finder_pairs(region):
        # pixel centres: x in the upscaled region is factor * (x + 0.5) - 0.5 in the region's own
        image_corners = [[(x + 0.5) / factor - 0.5 + x0, (y + 0.5) / factor - 0.5 + y0] for x, y in corners]
        scene.add(Code.from_result(result, image_corners, step.method))
    return []


def _unwrap(scene: Scene, cand: Candidate, step: Step, time_left: float, timing: GeneratorTiming) -> Outlines:
    """Read a code zxing-cpp locates in the candidate's region but cannot decode as one wrapped round a
    cylinder (:func:`qrdeblur.scan.unwrap.read_unwrapped`: the outline and the columns' bow fitted to
    the code's function patterns, then resampled flat). Nothing is fitted where zxing-cpp locates no
    QR code of known version; an outline already fitted (from another candidate) is not fitted again."""
    if scene.followup and not scene.config.followup_rule_steps:
        return []
    x0, y0, x1, y1, side = _region_box(scene, cand, 0.3)
    region = scene.grey[y0:y1, x0:x1]
    if min(region.shape) < 32:
        return []
    key = ("unwrap-region", x0, y0, x1, y1)
    if key in scene.cache:
        return []
    scene.cache[key] = True
    for outline, version in located(region):
        if version is None:
            continue
        corners = np.asarray(outline, np.float64) + (x0, y0)
        centre = tuple(np.round(corners.mean(axis=0) / 4).astype(int))
        if ("unwrap", centre, version) in scene.cache:
            continue
        scene.cache[("unwrap", centre, version)] = True
        module_px = quad_side(corners) / modules(version)
        for result, image_corners in read_unwrapped(scene.grey, corners, version, module_px):
            scene.add(Code.from_result(result, image_corners, step.method))
    return []


#: Step kind (``Step.restore``) -> the function that runs it.
STEP_KINDS: dict[str, StepFunction] = {
    "none": _crop_step(_as_is, learned=False),
    "sharpen": _crop_step(_sharpened, learned=False),
    "deblur": _crop_step(None, learned=True),
    "grid": _grid,
    "kernel-search": _kernel_search,
    "latent-kernel": _latent_kernel,
    "finder-pair": _finder_pair,
    "unwrap": _unwrap,
}
