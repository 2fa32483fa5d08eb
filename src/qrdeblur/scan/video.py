"""Scan a video: every code once per pass through the view, as a track (:func:`scan_video`).

Each frame goes through the photo cascade (:func:`qrdeblur.scan.scan`) with a per-frame budget,
and the reads are joined into tracks (:mod:`qrdeblur.scan.track`). Scanning every frame whole is
the slow part, so a code read in frame n is looked for first in frame n+1 in a crop around its
predicted place (the tracker's constant-velocity prediction; the crop is the code plus half a side
each way, wider after missed frames); the whole frame is scanned only every ``full_every`` frames
(new codes), and on the first frame where a tracked code's crop read fails (it may have moved off
the prediction). While no code is tracked every ``idle_every``-th frame is scanned whole (by
default as often as while tracking; 1 scans every such frame, for codes readable in only a frame or
two of their pass). A track
found by a full scan is then followed back through the frames since the previous full scan (crops
again), so its first frame is exact although new codes are searched for only every few frames.

Tracked codes are first read by the plain reads of their crop (a few ms); the cascade's budget is
spent on a crop only when those miss and the code is predicted at least three quarters in view, and
a failed crop triggers a whole-frame scan under the same condition (a code leaving the view would
otherwise cost a budget per frame until its track ends).

**Fusion** (``fuse=True``, the default; :mod:`qrdeblur.scan.fuse`): a moving code may be too blurred
for any single frame, yet readable from the frames registered on it and averaged (the same blur, a
fraction of the noise), deconvolved along the motion measured between them. Every second frame
scanned (and every whole-frame scan), the parts of the frame that changed since the frame before
(:func:`moving_boxes`; a fixed camera's still background never) that hold no code read or tracked
give their texture candidates, and up to :data:`FUSE_CANDIDATES` of them are fused over the last
:data:`~qrdeblur.scan.fuse.FUSE_FRAMES` frames; a tracked code whose crop read misses is fused before
the cascade runs on its crop. The stacks of one search are read at once on :data:`FUSE_THREADS`
threads. Reads are method ``fused``, with the motion the registration measured
(the track's first velocity); a track started by any other read gets its code's motion measured the
same way, over the two frames before. A moving track stays live while its code is predicted in view
for up to :data:`HOLD_GAP` frames scanned without a read (fusion reads a heavily blurred code only now
and then, and a code hidden for a moment reappears where its motion predicts; otherwise its track
would break and the code be reported twice). With ``fuse=False`` tracks end after ``max_gap``.

**Live mode** (``live=True``; the default for stream URLs): the frames come from a capture thread
that reads the source as fast as it gives frames and keeps only the newest
(:class:`qrdeblur.scan.frames.LiveFrames`; a file is played at its frame rate), and the loop below
(this generator's thread, where the scans run) takes the newest frame each time it is ready; frames
replaced in the meantime are dropped (``VideoStats.dropped``), so a slow scan falls behind by at
most one frame instead of without bound. Every millisecond of a scan is frames dropped, so live
mode spends nothing on codes already reported that it can do without: a moving code already read
(its motion known) gets the plain reads of its crop and fusion with its motion, not the cascade, and
a miss does not trigger a whole-frame scan (the track is held while its code is predicted in view);
a new track's look back uses no cascade either. The last frame of a source that has ended when it
is taken gets the plain reads alone (its codes were in view before), so the scan ends with the
source. Frame numbers and times stay the source's: tracks' first
and last frames are real frame numbers, with gaps between the frames scanned. Therefore every count
of frames in the loop is a count of frames *scanned*: ``max_gap`` (a code unread in more than
``max_gap`` scanned frames ends its track; the tracker's ``gaps="scans"``), ``full_every`` and
``idle_every``, the whole-frame scan after a failed crop (when the code was read in the previous
scanned frame) and the look back (through the previous scanned frames). Counting wall time instead
would make the gap depend on how fast the machine scans: at 3 scans a second a 5-frame gap in time
(0.17 s at 30 fps) is less than one scan, so every missed read would end a track; counting scanned
frames keeps ``max_gap`` the number of chances to read the code that may fail, which is what it
bridges (blurred or hidden frames). Positions are predicted over frame numbers (time), so a code's
motion across dropped frames is followed. Without live mode every frame is scanned and the two
counts are the same.

Measured with ``research/video_shortcut_fps.py`` (2 shared cores under load, one thread, the shipped
generator loaded, budget 150 ms per scan): mp4v videos of a noisy textured scene, two version-2 codes
at 4 px per module with 3 px of motion blur crossing one after the other. 640x360, 120 frames:
every frame scanned whole 13.6 fps, with the shortcut 55.0 fps (4.0x; 16 whole-frame scans, 92 crop
scans). 1280x720, 90 frames: 13.5 fps and 49.5 fps (3.7x). Both passes gave the same tracks with the
same first and last frames and frames seen. Most of the remaining time is the whole-frame scans of
frames with no code (the budget spent on texture) and the decoding of the video itself.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from qrdeblur.errors import UsageError
from qrdeblur.scan import fuse as fusion
from qrdeblur.scan.api import load_deblurrer, scan
from qrdeblur.scan.config import EFFORTS
from qrdeblur.scan.frames import Frame, default_live, open_frames
from qrdeblur.scan.locate import texture_candidates
from qrdeblur.scan.track import Detection, Track, Tracker

#: Cascade budget per whole frame (ms): the plain reads always run; restoration gets what is left.
FRAME_BUDGET_MS = 150.0
#: Frames between whole-frame scans while codes are tracked in crops (a new code is found at most
#: this many frames late, and then followed back to its first frame).
FULL_EVERY = 8
#: Whole frames are scanned this often while no code is tracked. On the ``conveyor`` suite (48 videos,
#: 94 codes; scanning every frame on its own reads 46 at 7 fps) every 8 frames read 38 at 18.4 fps with
#: no code reported twice; every frame read 45 at 7.2 fps, but 2 codes twice (their tracks broke over
#: frames that did not read). A code readable in only a frame or two needs ``idle_every=1``.
IDLE_EVERY = FULL_EVERY
#: Consecutive frames a code may go unread (blurred, hidden) and its next read still continue its track.
MAX_GAP = 5
#: Frames scanned a moving code may go unread while predicted in view and stay one track (fusion reads
#: a heavily blurred code only now and then; counted as ``max_gap`` is).
HOLD_GAP = 2 * FULL_EVERY
#: Frames scanned between searches of a whole frame for moving regions to fuse (a whole-frame scan
#: always searches).
FUSE_EVERY = 2
#: Live mode's: fusion reads the frames the scan had no time for too (the live source keeps them), so
#: there every frame scanned searches, and the cascade gets :data:`LIVE_FRAME_BUDGET_MS` per scan. On
#: the ``conveyor`` suite's videos played at 30 fps (``research/live_vs_offline.py --repeats 3``, 2 idle
#: cores) live read 22/22, 23/23, 13/13 and 2-5/5 of the offline pass's codes per cell (1-3, 3-5, 5-7,
#: 7-10 module widths of blur) in three runs; with 150 ms and every second frame (and fusion before it
#: was made cheaper) it had read 18/22, 18/23, 10/14 and 1/2.
LIVE_FUSE_EVERY = 1
LIVE_FRAME_BUDGET_MS = 60.0
#: Texture candidates of a whole frame fused at most (those where the frame read nothing, best first).
FUSE_CANDIDATES = 3
#: Threads that read one search's stacks at once. Reading the heavy cells' stacks (FFTs, zxing-cpp,
#: OpenCV: little holds the GIL) took 58 % of the time on 2 threads that it took on one.
FUSE_THREADS = min(FUSE_CANDIDATES, max(1, os.cpu_count() or 1))
#: Difference (grey levels, after a 5 px box filter at :data:`MOTION_WORK_SIDE`) between a frame and the
#: one before above which a pixel is taken for moving (:func:`moving_boxes`).
MOTION_THRESHOLD = 10.0
#: Long side (px) of the copy motion is found on.
MOTION_WORK_SIDE = 480


@dataclass
class VideoStats:
    """Progress of a video scan, passed to ``on_progress`` after every frame scanned.

    Attributes:
        frames: frames scanned.
        dropped: frames the source gave that were replaced by a newer one before they could be
            scanned (live mode; otherwise 0). ``frames + dropped`` is the source's frames so far
            (:attr:`source_frames`): after the last frame, all of them, since the last is always scanned.
        frame_count: the source's number of frames when known up front (a file).
        full_scans, crop_scans: scans of whole frames and of crops around tracked codes.
        fused_stacks: regions fused over several frames (:mod:`qrdeblur.scan.fuse`).
        tracks: tracks started.
        seconds: since the scan started.
        live: whether the source is read live.
    """

    frames: int = 0
    frame_count: int | None = None
    full_scans: int = 0
    crop_scans: int = 0
    fused_stacks: int = 0
    tracks: int = 0
    seconds: float = 0.0
    dropped: int = 0
    live: bool = False

    @property
    def fps(self) -> float:
        """Frames scanned per second."""
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    @property
    def source_frames(self) -> int:
        """Frames the source gave so far: scanned and dropped."""
        return self.frames + self.dropped

    def summary(self) -> dict:
        """The ``scan --json`` summary record of a live scan (without the source)."""
        return {"kind": "summary", "frames": self.source_frames, "scanned": self.frames, "dropped": self.dropped,
                "seconds": round(self.seconds, 3)}


def _shift(code, dx: int, dy: int):
    corners = [[float(x) + dx, float(y) + dy] for x, y in code.corners]
    return dataclasses.replace(code, corners=corners)


def _dedupe(dets: list[Detection]) -> list[Detection]:
    """One detection per code per frame: reads of one payload whose centres lie within half a side
    of each other are the same code (overlapping crops, a crop and the whole frame); the best stays."""
    kept: list[Detection] = []
    for det in sorted(dets, key=lambda d: d.score()):
        if not any(k.key == det.key and np.linalg.norm(k.centre - det.centre) < 0.5 * min(k.side, det.side)
                   for k in kept):
            kept.append(det)
    return kept


class _Scanner:
    """The per-frame work of :func:`scan_video`: whole-frame and crop scans, with the counts."""

    def __init__(self, deblurrer, budget_ms: float, effort: str, stats: VideoStats, fuse: bool = True):
        self.deblurrer = deblurrer
        self.budget_ms = budget_ms
        self.effort = effort
        self.stats = stats
        self.fuse = fuse
        #: the frames scanned last ((number, image), oldest first), the current one included
        self.history: deque[tuple[int, np.ndarray]] = deque(maxlen=fusion.FUSE_FRAMES)
        self._pool: ThreadPoolExecutor | None = None

    def stack(self, frame: Frame, box: tuple[int, int, int, int], velocity=None) -> fusion.Stack | None:
        """The stack of ``box`` of ``frame`` over the frames before it (:func:`qrdeblur.scan.fuse.fuse`),
        or None (fusion off, too few frames, no motion, no match)."""
        if not self.fuse or len(self.history) < fusion.MIN_FRAMES or self.history[-1][0] != frame.index:
            return None
        stack = fusion.fuse(list(self.history), box, velocity)
        if stack is not None:
            self.stats.fused_stacks += 1
        return stack

    def fused(self, frame: Frame, box: tuple[int, int, int, int], velocity=None) -> list[Detection]:
        """The codes read by fusing ``box`` of ``frame`` with the frames before it (:mod:`qrdeblur.scan.fuse`)."""
        stack = self.stack(frame, box, velocity)
        return [] if stack is None else self._detections(frame, stack, fusion.read_stack(stack))

    @staticmethod
    def _detections(frame: Frame, stack: fusion.Stack, codes) -> list[Detection]:
        return [Detection(frame.index, frame.t, c, motion=stack.velocity) for c in codes]

    def measure_motion(self, track: Track) -> None:
        """Give a track started by a read (not by fusion) the motion of its code, measured by registering
        the code's box over the frames before (:func:`qrdeblur.scan.fuse.register`), so that its next
        place is predicted from its first read."""
        det = track.last
        if det.motion is not None or len(self.history) < 2 or self.history[-1][0] != det.frame:
            return
        ref_n, reference = self.history[-1]
        h, w = reference.shape
        c = np.asarray(det.code.corners, np.float64)
        x0, y0 = np.floor(c.min(axis=0)).astype(int)
        x1, y1 = np.ceil(c.max(axis=0)).astype(int)
        box = (max(0, x0), max(0, y0), min(w, x1), min(h, y1))
        if box[2] - box[0] < 16 or box[3] - box[1] < 16:
            return
        earlier = [(ref_n - k, img) for k, img in reversed(list(self.history)[:-1]) if k < ref_n][:2]
        found, v = fusion.register(reference, box, earlier)
        if found and v is not None and float(np.linalg.norm(v)) >= fusion.MIN_SPEED:
            det.motion = v
            track.velocity = np.asarray(v, np.float64)

    def fuse_candidates(self, frame: Frame, read: list[Detection], tracked: list[np.ndarray]) -> list[Detection]:
        """Fuse the texture candidates of the moving regions of a frame (:func:`moving_boxes`) that hold
        no code read in it nor a tracked code's predicted centre (``tracked``); up to
        :data:`FUSE_CANDIDATES`."""
        if not self.fuse or len(self.history) < fusion.MIN_FRAMES:
            return []
        h, w = frame.image.shape
        taken = [d.centre for d in read] + list(tracked)
        boxes: list[tuple[int, int, int, int]] = []
        for bx0, by0, bx1, by1 in moving_boxes(frame.image, self.history[-2][1]):
            if len(boxes) >= FUSE_CANDIDATES:
                break
            if any(bx0 <= c[0] < bx1 and by0 <= c[1] < by1 for c in taken):
                continue  # a moving parcel whose code is read: the rest of it is its label and box
            region = np.ascontiguousarray(frame.image[by0:by1, bx0:bx1])
            for cand in texture_candidates(region, max_candidates=FUSE_CANDIDATES):
                quad = np.asarray(cand.quad, np.float64) + [bx0, by0]
                if any(_quad_holds(quad, c) for c in taken):
                    continue
                x0, y0 = np.floor(quad.min(axis=0)).astype(int)
                x1, y1 = np.ceil(quad.max(axis=0)).astype(int)
                box = (max(0, x0), max(0, y0), min(w, x1), min(h, y1))
                if box[2] - box[0] < 16 or box[3] - box[1] < 16:
                    continue
                boxes.append(box)
                if len(boxes) >= FUSE_CANDIDATES:
                    break
        stacks = [st for st in (self.stack(frame, box) for box in boxes) if st is not None]
        if len(stacks) > 1:  # the stacks are read at once: most of the work releases the GIL
            reads = list(self.pool().map(fusion.read_stack, stacks))
        else:
            reads = [fusion.read_stack(st) for st in stacks]
        return [det for st, codes in zip(stacks, reads, strict=True) for det in self._detections(frame, st, codes)]

    def pool(self) -> ThreadPoolExecutor:
        """Threads reading the stacks of one search at once (:data:`FUSE_THREADS`), started on first use."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(FUSE_THREADS, thread_name_prefix="qrdeblur-fuse")
        return self._pool

    def close(self) -> None:
        """Stop the threads (idempotent)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def full(self, frame: Frame, budget_ms: float | None = None) -> list[Detection]:
        """The codes read in the whole frame (``budget_ms``: the cascade's, None: the scan's)."""
        self.stats.full_scans += 1
        budget_ms = self.budget_ms if budget_ms is None else budget_ms
        codes = scan(frame.image, budget_ms=budget_ms, deblurrer=self.deblurrer, effort=self.effort)
        return [Detection(frame.index, frame.t, c) for c in codes]

    def near(self, frame: Frame, key, centre: np.ndarray, side: float, half: float, gate: float,
             velocity: np.ndarray | None = None, cascade: bool = True):
        """Look for the code ``key`` (payload) near ``centre``: the plain reads of the crop first
        (a few ms), then, when they miss it and the code is predicted wholly in view, the cascade with
        the budget (a code mostly out of view cannot be restored; a code leaving the view would
        otherwise cost a whole budget per frame until its track ends). Fusion of the frames before
        comes before the cascade (``velocity``: the code's motion, px per frame, where the track
        knows it; None: searched). ``cascade``: False skips the cascade (plain reads and fusion only).

        Returns:
            (every read in the crop, the read of ``key`` within ``gate`` of ``centre`` or None).
        """
        dets = self.crop(frame, centre, half, 0.0)
        hit = _match(key, dets, centre, gate)
        if hit is None and _inside(centre, side, frame.image.shape):
            h, w = frame.image.shape
            r = 0.5 * side + 2
            box = (max(0, int(centre[0] - r)), max(0, int(centre[1] - r)),
                   min(w, int(np.ceil(centre[0] + r))), min(h, int(np.ceil(centre[1] + r))))
            dets += self.fused(frame, box, velocity)
            hit = _match(key, dets, centre, gate)
        if hit is None and cascade and self.budget_ms > 0 and _inside(centre, side, frame.image.shape):
            dets += self.crop(frame, centre, half, self.budget_ms)
            hit = _match(key, dets, centre, gate)
        return dets, hit

    def crop(self, frame: Frame, centre: np.ndarray, half: float, budget_ms: float) -> list[Detection]:
        """The codes read in the square of half-side ``half`` around ``centre`` (frame coordinates)."""
        h, w = frame.image.shape
        x0, y0 = max(0, int(centre[0] - half)), max(0, int(centre[1] - half))
        x1, y1 = min(w, int(np.ceil(centre[0] + half))), min(h, int(np.ceil(centre[1] + half)))
        if x1 - x0 < 16 or y1 - y0 < 16:
            return []
        self.stats.crop_scans += 1
        crop = np.ascontiguousarray(frame.image[y0:y1, x0:x1])
        codes = scan(crop, budget_ms=budget_ms, deblurrer=self.deblurrer, effort=self.effort)
        return [Detection(frame.index, frame.t, _shift(c, x0, y0)) for c in codes]


def _window(side: float, speed: float, gap: int) -> float:
    """Half-side of the crop around a predicted centre: the code with half a side to spare each way
    (its quiet zone and the prediction's error), a quarter side more per missed frame, plus half the
    predicted motion."""
    return side * (1.0 + 0.25 * (gap - 1)) + 0.5 * speed * gap + 4


def _match(key, dets: list[Detection], centre: np.ndarray, gate: float) -> Detection | None:
    """The read of payload ``key`` nearest ``centre`` within ``gate`` pixels, if any."""
    best, best_d = None, gate
    for det in dets:
        d = float(np.linalg.norm(det.centre - centre))
        if det.key == key and d <= best_d:
            best, best_d = det, d
    return best


def _moving(track: Track) -> bool:
    """Whether a track's code moves fast enough to be fused (:data:`~qrdeblur.scan.fuse.MIN_SPEED`)."""
    return float(np.linalg.norm(track.velocity)) >= fusion.MIN_SPEED


def _inside(centre: np.ndarray, side: float, shape: tuple[int, int]) -> bool:
    """Whether at least three quarters of a code of side ``side`` centred at ``centre`` lie inside the
    frame each way (the cascade reads a code whose edge is cut off by a few modules, not by more)."""
    h, w = shape
    m = side / 4
    return m <= centre[0] <= w - m and m <= centre[1] <= h - m


def moving_boxes(image: np.ndarray, before: np.ndarray, grow: int = 8) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) around the parts of ``image`` that changed since ``before`` (grey uint8,
    one size), largest first: the absolute difference, box-filtered on a copy at most
    :data:`MOTION_WORK_SIDE` px long, above :data:`MOTION_THRESHOLD`, closed, in components at least
    16 px a side, each grown by ``grow`` px. On a fixed camera these are the things that move: a
    still background, however textured, is never fused."""
    h, w = image.shape
    scale = min(1.0, MOTION_WORK_SIDE / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    a = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if scale < 1 else image
    b = cv2.resize(before, size, interpolation=cv2.INTER_AREA) if scale < 1 else before
    diff = cv2.blur(cv2.absdiff(a, b), (5, 5))
    mask = (diff > MOTION_THRESHOLD).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    boxes = []
    for x, y, bw, bh, _ in sorted(stats[1:].tolist(), key=lambda s: -s[4]):
        x0, y0 = int(x / scale) - grow, int(y / scale) - grow
        x1, y1 = int(np.ceil((x + bw) / scale)) + grow, int(np.ceil((y + bh) / scale)) + grow
        if min(x1 - x0, y1 - y0) - 2 * grow >= 16:
            boxes.append((max(0, x0), max(0, y0), min(w, x1), min(h, y1)))
    return boxes


def _quad_holds(quad: np.ndarray, point: np.ndarray) -> bool:
    contour = quad.astype(np.float32).reshape(-1, 1, 2)
    return cv2.pointPolygonTest(contour, (float(point[0]), float(point[1])), False) >= 0


def _in_view(centre: np.ndarray, side: float, shape: tuple[int, int]) -> bool:
    h, w = shape
    return -0.5 * side < centre[0] < w + 0.5 * side and -0.5 * side < centre[1] < h + 0.5 * side


def scan_video(
    source: str | Path,
    model: str | Path | None = None,
    budget_ms: float | None = None,
    effort: str = "normal",
    deblurrer=None,
    fps: float | None = None,
    sequence: bool = False,
    max_gap: int = MAX_GAP,
    full_every: int = FULL_EVERY,
    idle_every: int = IDLE_EVERY,
    shortcut: bool = True,
    on_detection: Callable[[Detection], None] | None = None,
    on_progress: Callable[[VideoStats], None] | None = None,
    live: bool | None = None,
    fuse: bool = True,
    fuse_every: int | None = None,
) -> Iterator[Track]:
    """Scan a video, image sequence or stream; yield each code's track as it completes.

    A track completes when its code has gone unread for more than ``max_gap`` consecutive frames
    scanned, or at the end of the video; tracks completing on the same frame come in the order of
    their first reads.

    Args:
        source: video file (mp4, mkv, avi, mov, ...), stream URL (rtsp://, http://, ...), frame
            pattern (``frames/%04d.png``) or, with ``sequence``, a folder of frames
            (:func:`qrdeblur.scan.frames.open_frames`).
        model, deblurrer, effort: as for :func:`qrdeblur.scan.scan` (the generator is loaded once).
        budget_ms: cascade budget per scan of a frame or crop (None: :data:`FRAME_BUDGET_MS`; in live
            mode :data:`LIVE_FRAME_BUDGET_MS`).
        fps: frame rate for timestamps where the source has none (image sequences).
        sequence: read a folder as one image sequence.
        max_gap: consecutive frames scanned in which a code may go unread and its next read still
            continue its track (module docstring: in live mode, frames scanned, not frame numbers).
        full_every: scan whole frames at least every this many frames scanned while codes are
            tracked in crops.
        idle_every: ... and this often while no code is tracked.
        shortcut: look for tracked codes in crops around their predicted places first (False: scan
            every frame whole; for comparison).
        on_detection: called with every read, once it is joined to a track (``det.track``); reads
            found looking back for a new track's first frame come after the read that found it.
        on_progress: called with the :class:`VideoStats` after every frame scanned.
        live: read the source on a capture thread and scan the newest frame each time, dropping the
            frames there was no time for (counted in :class:`VideoStats`; a file is played at its
            frame rate). None: live for stream URLs, not for files and sequences
            (:func:`qrdeblur.scan.frames.default_live`). Closing the generator stops the capture.
        fuse: read moving codes no single frame reads by fusing the frames scanned last
            (:mod:`qrdeblur.scan.fuse`; method ``fused``): the moving texture regions of each
            whole-frame scan, and a code last read so, in the frames that follow.
        fuse_every: search whole frames for moving regions to fuse every this many frames scanned
            (None: :data:`FUSE_EVERY`; in live mode :data:`LIVE_FUSE_EVERY`).

    Yields:
        :class:`~qrdeblur.scan.track.Track` objects (``to_dict()`` is the ``scan --json`` record).

    Raises:
        UsageError: on the first iteration when the source cannot be opened or has no frames; for
            bad arguments.
    """
    if effort not in EFFORTS:
        raise UsageError(f"unknown effort {effort!r}; choose one of {', '.join(EFFORTS)}")
    live = default_live(source) if live is None else bool(live)
    if fuse_every is None:
        fuse_every = LIVE_FUSE_EVERY if live else FUSE_EVERY
    if full_every < 1 or idle_every < 1 or fuse_every < 1:
        raise UsageError(f"full_every, idle_every and fuse_every must be >= 1, got {full_every}, {idle_every} "
                         f"and {fuse_every}")
    if max_gap < 0:
        raise UsageError(f"max_gap must be >= 0, got {max_gap}")
    if budget_ms is None:
        budget_ms = LIVE_FRAME_BUDGET_MS if live else FRAME_BUDGET_MS
    if not np.isfinite(budget_ms) or budget_ms < 0:
        raise UsageError(f"time budget must be a number of milliseconds >= 0, got {budget_ms}")
    if deblurrer is None:
        deblurrer = load_deblurrer(model)
    with open_frames(source, fps=fps, sequence=sequence, live=live) as frames:
        stats = VideoStats(frame_count=frames.frame_count, live=live)
        scanner = _Scanner(deblurrer, budget_ms, effort, stats, fuse)
        with closing(scanner):  # its threads

            def in_view_moving(track: Track, frame_number: int) -> bool:
                # a moving code predicted wholly in view is still passing (fusion may read it only now and then)
                centre, side = track.predict(frame_number)
                return _moving(track) and last_shape[0] is not None and _inside(centre, side, last_shape[0])

            last_shape: list = [None]  # the frames' shape, once one is read
            tracker = Tracker(max_gap, gaps="scans", hold=in_view_moving if fuse else None,
                              hold_gap=max(max_gap, HOLD_GAP) if fuse else 0)
            recent: deque[tuple[Frame, bool]] = deque(maxlen=full_every)  # (frame, scanned whole)
            scans = 0  # frames scanned before this one
            last_full = -(10**9)  # ... before the last whole-frame scan
            last_fused = -(10**9)  # ... before the last search for regions to fuse
            previous = None  # the number of the frame scanned before this one
            t0 = time.perf_counter()
            for frame in frames:
                n = frame.index
                last_shape[0] = frame.image.shape
                if hasattr(frames, "recent"):  # live: the frames before this one, dropped ones included
                    scanner.history.clear()
                    scanner.history.extend((f.index, f.image) for f in frames.recent(n))
                else:
                    scanner.history.append((n, frame.image))
                yield from tracker.expire(n)
                dets: list[Detection] = []
                # live: the last frame of a source that has ended gets the plain reads alone (its codes
                # were in view in the frames before; a whole scan of it would only delay the end)
                final = live and scans > 0 and getattr(frames, "ended", False)
                if final:
                    dets += scanner.full(frame, budget_ms=0.0)
                else:
                    every = full_every if tracker.live else idle_every
                    need_full = not shortcut or scans - last_full >= every
                    if not need_full:
                        for track in tracker.live:
                            centre, side = track.predict(n)
                            if not _in_view(centre, side, frame.image.shape):
                                continue
                            gap = n - track.last.frame
                            half = _window(side, float(np.linalg.norm(track.velocity)), gap)
                            known = len(track.detections) > 1 or track.last.motion is not None
                            # live: a moving code already reported is held while predicted in view; the time
                            # its cascade and a whole-frame scan would take is frames dropped
                            lean = live and fuse and known and _moving(track)
                            found, hit = scanner.near(frame, track.key, centre, side, half, track.gate(n),
                                                      track.velocity if known else None, cascade=not lean)
                            dets += found
                            if (track.last.frame == previous and hit is None and not lean
                                    and _inside(centre, side, frame.image.shape)):
                                need_full = True  # it may have left the prediction: look everywhere, once
                    if need_full:
                        dets += scanner.full(frame)
                        last_full = scans
                    if need_full or (scans - last_fused) >= fuse_every:
                        tracked = [t.predict(n)[0] for t in tracker.live]
                        dets += scanner.fuse_candidates(frame, dets, tracked)
                        last_fused = scans
                dets = _dedupe(dets)
                _, started = tracker.update(n, dets)
                stats.tracks += len(started)
                if fuse:
                    for track in started:
                        scanner.measure_motion(track)
                if on_detection is not None:
                    for det in dets:
                        on_detection(det)
                if shortcut and not final:
                    for track in started:
                        for det in _look_back(track, recent, scanner, lean=live):
                            if on_detection is not None:
                                on_detection(det)
                recent.append((frame, need_full))
                previous = n
                scans += 1
                stats.frames += 1
                stats.dropped = frames.dropped
                stats.seconds = time.perf_counter() - t0
                if on_progress is not None:
                    on_progress(stats)
            yield from tracker.finish()


def _look_back(track: Track, recent: deque, scanner: _Scanner, lean: bool = False) -> list[Detection]:
    """Follow a new track back through the recent frames scanned (the frame before each, in live mode
    possibly several frame numbers back) not scanned whole, in crops around its backward prediction,
    until a frame does not read it; returns the reads added (latest first). ``lean`` (live mode): no
    cascade, and fusion with the track's motion where it is known (only the first frame is at stake)."""
    added = []
    for frame, scanned_whole in reversed(recent):
        first = track.first
        if frame.index >= first.frame:
            continue
        if scanned_whole:
            break
        step = first.frame - frame.index  # 1 unless frames were dropped
        centre = first.centre - track.velocity * step
        speed = float(np.linalg.norm(track.velocity))
        half = _window(first.side, speed, step)
        gate = first.side * (1.0 + 0.5 * (step - 1)) + 0.5 * speed * step  # Track.gate's
        known = track.first.motion is not None or len(track.detections) > 1
        velocity = track.velocity if lean and known else None
        _, det = scanner.near(frame, track.key, centre, first.side, half, gate, velocity, cascade=not lean)
        if det is None:
            break
        track.prepend(det)
        added.append(det)
    return added
