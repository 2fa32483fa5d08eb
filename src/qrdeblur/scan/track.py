"""Tracks: the reads of one code across the frames of a video, one per pass through the view.

A :class:`Detection` is one code read in one frame. The :class:`Tracker` joins detections into
:class:`Track` objects by payload and position: a detection continues a live track with the same
payload (text and raw bytes) when its outline centre lies within the track's gate around the
position predicted at constant velocity (the centre's motion between its last two reads, smoothed);
pairs are matched nearest first, each track taking at most one detection per frame, so two identical
codes side by side stay two tracks. A track ends when its code has not been read for more than
``max_gap`` frames (by default frame numbers; with ``gaps="scans"``, the frames passed to
:meth:`Tracker.update`, which differ when frames were skipped: see :class:`Tracker`); the same
payload read again later, or far from the prediction, starts a new track. The gate is one code
side plus half a side per frame (frame numbers) since the last read, plus the predicted motion:
tight enough to split codes a side apart, loose enough for a code that speeds up or is missed for a
few blurred frames.

The tracker does no image work; :mod:`qrdeblur.scan.video` feeds it and uses :meth:`Track.predict`
to look for each code near its predicted place first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qrdeblur.scan.result import Code

#: Rank of the methods for a track's best read: a plain read of the frame first (its corners are
#: zxing-cpp's own), then the contrast read, then any restoration step.
_METHOD_RANK = {"raw": 0, "contrast": 1}


@dataclass
class Detection:
    """A code read in one frame: ``frame`` index, ``t`` (seconds or None), the :class:`Code` read
    (corners in frame pixels), the ``track`` id it was joined to (set by the tracker), and the code's
    ``motion`` (px per frame) where the read measured it (fusion registers the code across frames)."""

    frame: int
    t: float | None
    code: Code
    track: int = -1
    motion: np.ndarray | None = None

    @property
    def centre(self) -> np.ndarray:
        return np.asarray(self.code.corners, np.float64).mean(axis=0)

    @property
    def side(self) -> float:
        """Mean side of the outline (pixels)."""
        c = np.asarray(self.code.corners, np.float64)
        return float(np.mean(np.linalg.norm(c - np.roll(c, -1, axis=0), axis=1)))

    @property
    def key(self) -> tuple[str, str | None]:
        """The payload: text and, when they differ from its UTF-8 form, the raw bytes."""
        return self.code.text, self.code.bytes_b64

    def score(self) -> tuple[int, float]:
        """Lower is better: the method's rank, then the larger outline."""
        return _METHOD_RANK.get(self.code.method, 2), -self.side

    def to_dict(self) -> dict:
        """The ``--every-detection`` record (without the source)."""
        return {"kind": "detection", "track": self.track, "frame": self.frame, "t": _round_t(self.t),
                **self.code.to_dict()}


def _round_t(t: float | None) -> float | None:
    return None if t is None else round(t, 4)


@dataclass
class Track:
    """One code's pass through the view.

    Attributes:
        id: number of the track in its video, from 0, in order of the first read.
        detections: its reads, in frame order.
        velocity: the outline centre's motion, pixels per frame (smoothed).
    """

    id: int
    detections: list[Detection] = field(default_factory=list)
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))
    #: number of the :meth:`Tracker.update` call that gave the last read (from 0; the tracker sets it)
    last_update: int = field(default=-1, repr=False)

    @property
    def text(self) -> str:
        return self.detections[0].code.text

    @property
    def key(self) -> tuple[str, str | None]:
        return self.detections[0].key

    @property
    def first(self) -> Detection:
        return self.detections[0]

    @property
    def last(self) -> Detection:
        return self.detections[-1]

    @property
    def best(self) -> Detection:
        """The best read: cheapest method, then largest outline, then earliest."""
        return min(self.detections, key=lambda d: (*d.score(), d.frame))

    def predict(self, frame: int) -> tuple[np.ndarray, float]:
        """Predicted outline centre in ``frame`` (constant velocity from the last read) and code side."""
        last = self.last
        return last.centre + self.velocity * (frame - last.frame), last.side

    def gate(self, frame: int) -> float:
        """How far from the prediction (pixels) a read in ``frame`` may lie and still continue the track."""
        gap = max(1, abs(frame - self.last.frame))
        return self.last.side * (1.0 + 0.5 * (gap - 1)) + 0.5 * float(np.linalg.norm(self.velocity)) * gap

    def add(self, det: Detection) -> None:
        """Append a read of a later frame and update the velocity."""
        if self.detections:
            prev = self.last
            step = (det.centre - prev.centre) / max(1, det.frame - prev.frame)
            first = len(self.detections) == 1 and prev.motion is None
            self.velocity = step if first else 0.5 * self.velocity + 0.5 * step
        elif det.motion is not None:
            self.velocity = np.asarray(det.motion, np.float64)
        det.track = self.id
        self.detections.append(det)

    def prepend(self, det: Detection) -> None:
        """Insert a read of an earlier frame (looking back for a new track's first frame)."""
        det.track = self.id
        if len(self.detections) == 1:
            self.velocity = (self.first.centre - det.centre) / max(1, self.first.frame - det.frame)
        self.detections.insert(0, det)

    def to_dict(self) -> dict:
        """The ``scan --json`` record of a track (without the source)."""
        best = self.best
        code = best.code.to_dict()
        return {
            "kind": "track",
            "track": self.id,
            "text": code.pop("text"),
            "first_frame": self.first.frame,
            "last_frame": self.last.frame,
            "first_t": _round_t(self.first.t),
            "last_t": _round_t(self.last.t),
            "frames_seen": len(self.detections),
            "best_frame": best.frame,
            **code,  # corners (of the best read), method, decoder (+ bytes_b64, gs1, hri)
        }


class Tracker:
    """Joins each frame's detections into tracks; returns the tracks that completed.

    Args:
        max_gap: consecutive frames a code may go unread and its next read still continue its track.
        gaps: what those frames are. ``"frames"``: frame numbers (a read in frame 3 and the next in
            frame 9 is a gap of 5). ``"scans"``: the frames given to :meth:`update` (frames looked
            at), whatever their numbers: a read in the 3rd update and the next in the 5th is a gap
            of 1. The two agree when every frame is given; they differ when frames are skipped (a
            live source dropping the frames a slow scan had no time for). Position and motion
            (:meth:`Track.predict`, :meth:`Track.gate`) are always in frame numbers, i.e. time.
        hold, hold_gap: a track ``hold(track, frame)`` is true for (the caller's test, e.g. a moving
            code predicted still in view) stays live for up to ``hold_gap`` such frames instead.
    """

    def __init__(self, max_gap: int = 5, gaps: str = "frames", hold=None, hold_gap: int = 0):
        if max_gap < 0 or hold_gap < 0:
            raise ValueError(f"max_gap and hold_gap must be >= 0, got {max_gap} and {hold_gap}")
        if gaps not in ("frames", "scans"):
            raise ValueError(f"gaps must be 'frames' or 'scans', got {gaps!r}")
        self.max_gap = max_gap
        self.gaps = gaps
        self.hold = hold
        self.hold_gap = hold_gap
        self.live: list[Track] = []
        self.updates = 0  # update() calls so far
        self._next_id = 0

    def missed(self, track: Track, frame: int) -> int:
        """Frames before ``frame`` (the next one to update, counted as ``gaps`` says) that did not read ``track``."""
        if self.gaps == "scans":
            return self.updates - track.last_update - 1
        return frame - track.last.frame - 1

    def expire(self, frame: int) -> list[Track]:
        """Complete the tracks whose code went unread in more than ``max_gap`` frames before ``frame``
        (the next frame to update)."""
        def over(t: Track) -> bool:
            missed = self.missed(t, frame)
            if missed <= self.max_gap:
                return False
            return self.hold is None or missed > self.hold_gap or not self.hold(t, frame)

        done = [t for t in self.live if over(t)]
        self.live = [t for t in self.live if t not in done]
        return sorted(done, key=lambda t: t.id)

    def update(self, frame: int, detections: list[Detection]) -> tuple[list[Track], list[Track]]:
        """Join ``frame``'s detections to live tracks or start new ones.

        Returns:
            (tracks completed before this frame, tracks started by this frame).
        """
        done = self.expire(frame)
        pairs = []
        for ti, track in enumerate(self.live):
            centre, _ = track.predict(frame)
            gate = track.gate(frame)
            for di, det in enumerate(detections):
                if det.key == track.key:
                    dist = float(np.linalg.norm(det.centre - centre))
                    if dist <= gate:
                        pairs.append((dist, ti, di))
        used_t: set[int] = set()
        used_d: set[int] = set()
        for _, ti, di in sorted(pairs):
            if ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            self.live[ti].add(detections[di])
            self.live[ti].last_update = self.updates
        started = []
        for di, det in enumerate(detections):
            if di not in used_d:
                track = Track(self._next_id, last_update=self.updates)
                self._next_id += 1
                track.add(det)
                self.live.append(track)
                started.append(track)
        self.updates += 1
        return done, started

    def finish(self) -> list[Track]:
        """Complete every live track (end of the video), in order of their first read."""
        done = sorted(self.live, key=lambda t: t.id)
        self.live = []
        return done
