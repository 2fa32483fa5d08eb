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
"""

from __future__ import annotations

import math
import os
import re
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
    """

    name: str
    fps: float | None = None
    frame_count: int | None = None

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


def open_frames(source: str | Path, fps: float | None = None, sequence: bool = False) -> FrameSource:
    """Open a video file, stream URL, frame pattern or (``sequence``) folder of frames.

    Args:
        source: path, URL, or printf-style pattern (``frames/%04d.png``).
        fps: frame rate for timestamps where the source has none (image sequences; overrides the
            container's nominal rate, not its presentation times).
        sequence: read a folder as one image sequence (its images, sorted by name).

    Raises:
        UsageError: one line naming the source: not found, empty, not a video, no frames, no answer.
    """
    if fps is not None and not (math.isfinite(fps) and fps > 0):
        raise UsageError(f"frame rate must be > 0, got {fps}")
    name = str(source)
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
