"""Frames of a video, an image sequence or a stream, each a grey image with its index and timestamp.

Sources (:func:`open_frames`):

- **video files** (:data:`VIDEO_EXTENSIONS`: mp4, mkv, avi, mov, ...) and **stream URLs**
  (:data:`STREAM_SCHEMES`: rtsp://, http://, ...) through OpenCV's FFmpeg backend
  (``cv2.VideoCapture``), with 10 s open and read timeouts so a URL that does not answer fails
  instead of hanging;
- **image sequences**: a printf-style pattern (``frames/%04d.png``: the files whose names match, in
  the order of their numbers) or a folder (its images, by name, not recursively). They are read
  here, not by OpenCV's image-sequence backend, which requires the first number to be 0-4 and stops
  at the first gap in the numbering. A folder is a sequence only when asked for (``scan
  --sequence``); otherwise the CLI scans its images one by one, as before.

Frame indices count from 0 in reading order (for a pattern: position in the sequence, not the
number in the file name). Timestamps are the container's presentation times where it has them, else
``index / fps``; an image sequence has no times unless a frame rate is given (``t`` is None).

Every problem is a :class:`~qrdeblur.errors.UsageError` of one line, ``"<source>: <problem>"``;
FFmpeg's own log lines are silenced (``OPENCV_FFMPEG_LOGLEVEL``, unless the user set it).

**Live mode** (``open_frames(..., live=True)``, :class:`LiveFrames`; the default for stream URLs,
:func:`default_live`): a capture thread reads the frames as fast as the source gives them, never
waiting for the consumer, and keeps only the newest one (:data:`LIVE_BUFFER` frames); iterating
takes that newest frame when the consumer is ready, and a frame replaced before it was taken is
dropped and counted (``dropped``). Indices and timestamps stay the source's, so the frames iterated
have gaps. A file or image sequence read live is paced at its timestamps (each frame handed over
when its time since the first frame has passed on the wall clock; no pacing without timestamps), so
a slow consumer drops frames as it would on a camera; a stream is not paced (it gives frames in real
time itself). The end of the source, an error (raised by the iteration, after the frames read before
it) and :meth:`LiveFrames.close` (the consumer closed early, Ctrl-C) stop the thread.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from qrdeblur.errors import UsageError
from qrdeblur.imageio import IMAGE_EXTENSIONS, read_image, to_grey

#: File name extensions the CLI treats as video (case-insensitive).
VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".m4v", ".mkv", ".avi", ".mov", ".webm", ".mpg", ".mpeg", ".ts", ".mts", ".wmv", ".flv", ".3gp"}
)
#: URL schemes read as streams through FFmpeg.
STREAM_SCHEMES = ("rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "udp", "tcp", "srt")
#: FFmpeg open and read timeout (ms): a stream that does not answer fails instead of hanging.
TIMEOUT_MS = 10_000
#: Frames a live source keeps for its consumer: the newest only. A second slot would matter only if
#: the consumer took the older frame: more latency, and as many frames dropped over a slow scan.
LIVE_BUFFER = 1
#: Frames a live source keeps after handing them over or dropping them (:meth:`LiveFrames.recent`):
#: twice what fusion registers (:data:`qrdeblur.scan.fuse.FUSE_FRAMES`), as the capture may have moved
#: on a few frames past the one taken.
LIVE_RECENT = 16
#: How long closing a live source waits for its capture thread (s). A thread still blocked in a
#: stream's read after that releases the capture itself when the read returns (at most TIMEOUT_MS).
JOIN_TIMEOUT_S = 2.0

_PRINTF = re.compile(r"%(0?\d*)d")


@dataclass
class Frame:
    """One frame: ``index`` (from 0), ``t`` (seconds, or None when unknown), ``image`` (H, W) uint8 grey."""

    index: int
    t: float | None
    image: np.ndarray


def is_url(source: str | Path) -> bool:
    """A stream URL (one of :data:`STREAM_SCHEMES`)."""
    s = str(source)
    scheme, sep, _ = s.partition("://")
    return bool(sep) and scheme.lower() in STREAM_SCHEMES


def is_pattern(source: str | Path) -> bool:
    """A printf-style image-sequence pattern such as ``frames/%04d.png``."""
    return not is_url(source) and len(_PRINTF.findall(Path(str(source)).name)) == 1


def is_video_source(source: str | Path) -> bool:
    """Whether the CLI reads ``source`` as a video: a URL, a frame pattern or a video file extension."""
    return is_url(source) or is_pattern(source) or Path(str(source)).suffix.lower() in VIDEO_EXTENSIONS


class FrameSource:
    """Frames in order; use as a context manager (releases the capture) and iterate.

    Attributes:
        name: the source as given (for messages and records).
        fps: frames per second (None when unknown).
        frame_count: number of frames when known up front (a stream: None).
        dropped: frames read but replaced by a newer one before they were taken (live mode only).
    """

    name: str
    fps: float | None = None
    frame_count: int | None = None
    dropped: int = 0

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the underlying reader (idempotent)."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _fail(name: str, problem: str) -> UsageError:
    err = UsageError(f"{name}: {problem}")
    err.problem = problem
    return err


class _Capture(FrameSource):
    """A video file or stream read by ``cv2.VideoCapture`` (FFmpeg)."""

    def __init__(self, name: str, fps: float | None = None):
        self.name = name
        url = is_url(name)
        if not url:
            path = Path(name)
            if not path.exists():
                raise _fail(name, "file not found")
            if path.is_dir():
                raise _fail(name, "is a directory, not a video (for a folder of frames use --sequence)")
            if path.stat().st_size == 0:
                raise _fail(name, "empty file (0 bytes)")
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # FFmpeg's log: quiet; our error says it
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        try:
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, TIMEOUT_MS, cv2.CAP_PROP_READ_TIMEOUT_MSEC, TIMEOUT_MS]
            self._cap = cv2.VideoCapture(name, cv2.CAP_FFMPEG, params)
        finally:
            cv2.utils.logging.setLogLevel(level)
        if not self._cap.isOpened():
            self._cap.release()
            if url:
                wait = f"{TIMEOUT_MS // 1000} s"
                raise _fail(name, f"cannot open the stream (refused, no answer within {wait}, or not a video)")
            raise _fail(name, "cannot open as a video (not a video file, truncated, or a codec FFmpeg lacks)")
        native = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps or (native if math.isfinite(native) and 0 < native < 1000 else None)
        count = self._cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count = int(count) if not url and math.isfinite(count) and count > 0 else None

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        last_ms = -1.0
        container_times = True
        while True:
            ok, bgr = self._cap.read()
            if not ok or bgr is None:
                break
            ms = self._cap.get(cv2.CAP_PROP_POS_MSEC)
            # container time when it is there and advances; a stream without timestamps reads 0
            container_times = container_times and math.isfinite(ms) and ms > last_ms and (index == 0 or ms > 0)
            last_ms = ms
            if container_times:
                t = ms / 1000.0
            else:
                t = index / self.fps if self.fps else None
            grey = bgr if bgr.ndim == 2 else cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
            yield Frame(index, t, grey)
            index += 1
        if index == 0:
            raise _fail(self.name, "no frames could be decoded (empty, truncated or corrupt video)")

    def close(self) -> None:
        self._cap.release()


class _ImageFiles(FrameSource):
    """An image sequence: a folder's images by name, or the files a printf-style pattern matches."""

    def __init__(self, name: str, paths: list[Path], fps: float | None = None):
        self.name = name
        self.paths = paths
        self.fps = fps
        self.frame_count = len(paths)

    def __iter__(self) -> Iterator[Frame]:
        for index, path in enumerate(self.paths):
            t = index / self.fps if self.fps else None
            yield Frame(index, t, to_grey(read_image(path)))  # a bad frame: ImageReadError naming it


def _pattern_files(pattern: str) -> list[Path]:
    path = Path(pattern)
    folder = path.parent
    if not folder.is_dir():
        raise _fail(pattern, f"folder {folder} not found")
    head, _, tail = _PRINTF.split(path.name, maxsplit=1)
    rx = re.compile(re.escape(head) + r"\s*(\d+)" + re.escape(tail))
    found = []
    for p in folder.iterdir():
        m = rx.fullmatch(p.name)
        if m and p.is_file():
            found.append((int(m.group(1)), p))
    return [p for _, p in sorted(found)]


class LiveFrames(FrameSource):
    """Another source read by a capture thread; iterating gives the newest frame read (module docstring).

    Args:
        inner: the source to read (its frames are read on the capture thread only; closed there, or
            by :meth:`close` when the thread never started).
        pace: hand each frame over no earlier than its time since the first frame (a file played in
            real time); frames without a time are not paced.

    Attributes:
        captured: frames read from ``inner`` so far; ``dropped``: those replaced before they were taken.
        ended: the frame taken last is the source's last (the source had ended when it was taken).

    The last :data:`LIVE_RECENT` frames captured, dropped ones included, stay available
    (:meth:`recent`): multi-frame fusion needs consecutive frames, not only the ones scanned.
    """

    def __init__(self, inner: FrameSource, pace: bool = False):
        self.name = inner.name
        self.fps = inner.fps
        self.frame_count = inner.frame_count
        self.inner = inner
        self.pace = pace
        self.captured = 0
        self.dropped = 0
        #: whether the frame taken last is the source's last: the source had ended when it was taken
        self.ended = False
        self._buffer: list[Frame] = []
        self._recent: deque[Frame] = deque(maxlen=LIVE_RECENT)
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._done = False
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    def _capture(self) -> None:
        frames = iter(self.inner)
        start = first_t = None
        try:
            for frame in frames:
                if self._stop.is_set():
                    break
                if self.pace and frame.t is not None:
                    if start is None:
                        start, first_t = time.monotonic(), frame.t
                    wait = start + (frame.t - first_t) - time.monotonic()
                    if wait > 0 and self._stop.wait(wait):
                        break
                with self._cond:
                    self.captured += 1
                    self._buffer.append(frame)
                    self._recent.append(frame)
                    if len(self._buffer) > LIVE_BUFFER:
                        del self._buffer[0]
                        self.dropped += 1
                    self._cond.notify_all()
        except BaseException as exc:  # handed to the consumer, which raises it
            self._error = exc
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()
            self.inner.close()
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def recent(self, upto: int) -> list[Frame]:
        """The frames captured last up to frame number ``upto`` (scanned or dropped), oldest first."""
        with self._cond:
            return [f for f in self._recent if f.index <= upto]

    def __iter__(self) -> Iterator[Frame]:
        if self._thread is not None or self._closed:
            raise RuntimeError(f"{self.name}: a live source can be iterated once")
        self._thread = threading.Thread(target=self._capture, name=f"qrdeblur-capture {self.name}", daemon=True)
        self._thread.start()
        try:
            while True:
                with self._cond:
                    while not self._buffer and not self._done:
                        self._cond.wait(0.5)
                    frame = self._buffer.pop() if self._buffer else None  # the newest
                    self.dropped += len(self._buffer)  # (none with a one-frame buffer)
                    self._buffer.clear()
                    self.ended = self._done and self._error is None
                if frame is None:  # the source ended (and everything read was handed over or dropped)
                    if self._error is not None:
                        raise self._error
                    return
                yield frame
        finally:
            self.close()

    def close(self) -> None:
        """Stop the capture thread and wait for it (up to :data:`JOIN_TIMEOUT_S`); idempotent."""
        self._closed = True
        self._stop.set()
        thread = self._thread
        if thread is None:
            self.inner.close()
        elif thread is not threading.current_thread():
            thread.join(JOIN_TIMEOUT_S)  # a thread still in a read closes ``inner`` when the read returns


def default_live(source: str | Path) -> bool:
    """Whether a source is read live unless asked otherwise: stream URLs are, files and sequences not."""
    return is_url(source)


def open_frames(
    source: str | Path, fps: float | None = None, sequence: bool = False, live: bool = False
) -> FrameSource:
    """Open a video file, stream URL, frame pattern or (``sequence``) folder of frames.

    Args:
        source: path, URL, or printf-style pattern (``frames/%04d.png``).
        fps: frame rate for timestamps where the source has none (image sequences; overrides the
            container's nominal rate, not its presentation times).
        sequence: read a folder as one image sequence (its images, sorted by name).
        live: read it on a capture thread, the consumer taking the newest frame (:class:`LiveFrames`;
            a file or sequence is paced at its timestamps). Opening errors still raise here.

    Raises:
        UsageError: one line naming the source: not found, empty, not a video, no frames, no answer.
    """
    if fps is not None and not (math.isfinite(fps) and fps > 0):
        raise UsageError(f"frame rate must be > 0, got {fps}")
    frames = _open(str(source), fps, sequence)
    return LiveFrames(frames, pace=not is_url(source)) if live else frames


def _open(name: str, fps: float | None, sequence: bool) -> FrameSource:
    if is_pattern(name):
        paths = _pattern_files(name)
        if not paths:
            raise _fail(name, "no files match the frame pattern")
        return _ImageFiles(name, paths, fps)
    if not is_url(name) and Path(name).is_dir():
        if not sequence:
            raise _fail(name, "is a directory, not a video (for a folder of frames use --sequence)")
        paths = sorted(
            (p for p in Path(name).iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".")),
            key=lambda p: p.name,
        )
        if not paths:
            raise _fail(name, "no image frames in the folder")
        return _ImageFiles(name, paths, fps)
    return _Capture(name, fps)
