"""The work behind the service's endpoints, without the web framework.

An :class:`Engine` is made once per worker process: it loads the scan generator and the ``/deblur``
generator (onnxruntime and OpenCV threads sized to the cores), and runs the CPU-heavy work on a
bounded thread pool, off the event loop. Admission is explicit: :meth:`Engine.admit` gives a
:class:`Ticket` while fewer than ``concurrency + max_queue`` requests are in the worker, and raises a
503 :class:`ServiceError` with a ``Retry-After`` estimate otherwise, before the body is even read.

Uploads are read by :func:`qrdeblur.imageio.read_image` (from a private temporary file), so the
service applies exactly its checks: EXIF orientation, bit depth, the ``MAX_PIXELS`` guard against
decompression bombs (read from the header, before any pixel is decoded), corrupt and truncated files.
A scan answers the ``scan --json`` record (``{"path", "codes", "ms", "error"}``, ``Code.to_dict()``
for each code).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import math
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from qrdeblur import __version__
from qrdeblur.errors import ImageReadError, UsageError
from qrdeblur.serve.config import ServeConfig

#: Side and margin (px) of the rectified crops the ``debug`` option returns: the ``deblur`` step's
#: fixed-side scale (the code 128 px wide, the cascade's 15% margin plus 4 px).
DEBUG_SIDE = 128
DEBUG_MARGIN = 23


class ServiceError(Exception):
    """A request the service refuses: an HTTP status, a one-line message, extra headers, and the JSON
    body to answer (``{"error": message}`` unless a fuller one, such as a scan record, is given)."""

    def __init__(self, status: int, message: str, headers: dict | None = None, body: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.body = body if body is not None else {"error": message}


def scan_record(path: str, codes: list[dict], ms: float, error: str | None) -> dict:
    """One image's record in the ``scan --json`` form (:mod:`qrdeblur.scan.batch`)."""
    return {"path": path, "codes": codes, "ms": round(ms, 1), "error": error}


def read_upload(data: bytes) -> np.ndarray:
    """Read uploaded image bytes with :func:`~qrdeblur.imageio.read_image`'s checks.

    Raises:
        ImageReadError: the problem in ``.problem`` (empty, not an image, corrupt, too small, too many pixels).
    """
    from qrdeblur.imageio import read_image

    with tempfile.TemporaryDirectory(prefix="qrdeblur-serve-") as tmp:
        path = Path(tmp) / "upload"
        path.write_bytes(data)
        return read_image(path)


def memory_bytes() -> dict:
    """This process's resident memory now and at its peak, in bytes (Linux ``/proc``; None where unknown)."""
    found = {"VmRSS:": None, "VmHWM:": None}
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                key = line.split(maxsplit=1)[0] if line.strip() else ""
                if key in found:
                    found[key] = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {"rss_bytes": found["VmRSS:"], "peak_rss_bytes": found["VmHWM:"]}


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def png_bytes(image: np.ndarray) -> bytes:
    """Encode a uint8 grey or RGB image as PNG."""
    import cv2

    bgr = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".png", bgr)
    if not ok:
        raise ServiceError(500, "could not encode the result as PNG")
    return buf.tobytes()


class Ticket:
    """A request's place in its worker (from :meth:`Engine.admit`): run one job with :meth:`run`.

    Used as a context manager; leaving it without running a job (a body too large, say) gives the
    place back at once, a job gives it back when it finishes (even if the client has gone).
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self.submitted = False

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, *exc) -> None:
        if not self.submitted:
            self.engine._release()

    async def run(self, fn, *args):
        """Run ``fn(*args)`` on the engine's thread pool and wait for its result."""
        if self.submitted:
            raise RuntimeError("a ticket runs one job")
        self.submitted = True
        try:
            future = self.engine._executor.submit(self.engine._timed, fn, *args)
        except RuntimeError:  # the pool is shut down (server stopping)
            self.engine._release()
            raise ServiceError(503, "server is shutting down", {"Retry-After": "1"}) from None
        future.add_done_callback(lambda _f: self.engine._release())
        return await asyncio.wrap_future(future)


class Engine:
    """Models, thread pool and queue of one worker process (see the module docstring)."""

    def __init__(self, config: ServeConfig | None = None):
        import cv2

        from qrdeblur.restore.deblurrer import Deblurrer, scan_model_path, shipped_model_path

        self.config = config or ServeConfig()
        self.threads = self.config.compute_threads()
        cv2.setNumThreads(self.threads)
        scan_path = Path(self.config.model) if self.config.model else scan_model_path()
        deblur_path = Path(self.config.deblur_model) if self.config.deblur_model else shipped_model_path()
        self.scan_deblurrer = Deblurrer.load(scan_path, threads=self.threads)
        if self.scan_deblurrer.has_estimator:
            from qrdeblur.restore.module_grid import warm_up

            warm_up()  # the grid solver's one-time set-up, paid here rather than by the first request
        self.deblurrer = Deblurrer.load(deblur_path, threads=self.threads)
        self.models = [
            {"role": role, "file": path.name, "sha256": file_sha256(path)}
            for role, path in (("scan", scan_path), ("deblur", deblur_path))
        ]
        self._executor = ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="qrdeblur-serve")
        self._lock = threading.Lock()
        self._pending = 0  # admitted and not finished: running + waiting
        self._running = 0
        self._mean_ms = 1000.0  # a prior for Retry-After until jobs have been timed
        self.served = 0
        self.rejected = 0
        self.started = time.time()

    # -- admission -------------------------------------------------------------------------------

    def admit(self) -> Ticket:
        """A place for one request, or a 503 ServiceError (with Retry-After) when the queue is full."""
        cfg = self.config
        with self._lock:
            if self._pending >= cfg.concurrency + cfg.max_queue:
                self.rejected += 1
                waiting = self._pending - min(self._pending, cfg.concurrency)
                retry = self.retry_after_s()
                raise ServiceError(
                    503,
                    f"server busy: {waiting} requests waiting (queue limit {cfg.max_queue}); retry in {retry} s",
                    {"Retry-After": str(retry)},
                )
            self._pending += 1
        return Ticket(self)

    def retry_after_s(self) -> int:
        """Seconds until a place is likely free: the mean job time times the jobs ahead, per thread."""
        ahead = self._pending / self.config.concurrency
        return max(1, math.ceil(self._mean_ms * ahead / 1000.0))

    def _release(self) -> None:
        with self._lock:
            self._pending -= 1

    def _timed(self, fn, *args):
        with self._lock:
            self._running += 1
        t0 = time.perf_counter()
        try:
            return fn(*args)
        finally:
            ms = (time.perf_counter() - t0) * 1000
            with self._lock:
                self._running -= 1
                self.served += 1
                self._mean_ms = 0.8 * self._mean_ms + 0.2 * ms

    def queue_state(self) -> dict:
        """Jobs running and waiting in this worker, and the queue limit."""
        with self._lock:
            return {
                "running": self._running,
                "waiting": max(0, self._pending - self._running),
                "limit": self.config.max_queue,
                "concurrency": self.config.concurrency,
            }

    def close(self) -> None:
        """Stop taking jobs; jobs already running finish in their threads."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- endpoints' work (run on the pool) -----------------------------------------------------

    def budget_ms(self, budget_ms: float | None, effort: str) -> float:
        """The scan's time budget: the one asked for, or the effort's default, capped by ``max_budget_ms``."""
        from qrdeblur.scan.config import EFFORTS

        if effort not in EFFORTS:
            raise ServiceError(422, f"unknown effort {effort!r}; choose one of {', '.join(EFFORTS)}")
        wanted = EFFORTS[effort][1] if budget_ms is None else budget_ms
        if not math.isfinite(wanted) or wanted < 0:
            raise ServiceError(422, f"budget_ms must be a number of milliseconds >= 0, got {wanted}")
        return min(float(wanted), self.config.max_budget_ms)

    def scan(self, data: bytes, name: str, budget_ms: float, effort: str, debug: bool) -> tuple[int, dict]:
        """Scan uploaded bytes: (status, record). 200 with the codes; 422 with the record's ``error``
        for an image that cannot be read; 500 when the scan itself failed."""
        from qrdeblur.scan.api import scan

        t0 = time.perf_counter()
        try:
            image = read_upload(data)
        except ImageReadError as exc:
            return 422, scan_record(name, [], (time.perf_counter() - t0) * 1000, getattr(exc, "problem", str(exc)))
        restored: list = []

        def observe(attempt) -> None:
            if attempt.candidate is not None and attempt.codes:
                restored.append(attempt)

        try:
            codes = scan(
                image, budget_ms=budget_ms, deblurrer=self.scan_deblurrer, effort=effort,
                observer=observe if debug else None,
            )
        except UsageError as exc:
            return 422, scan_record(name, [], (time.perf_counter() - t0) * 1000, getattr(exc, "problem", str(exc)))
        except MemoryError:
            return 500, scan_record(name, [], (time.perf_counter() - t0) * 1000, "out of memory while scanning")
        except Exception as exc:  # a decoder or codec failure on one odd image: one line, not a traceback
            msg = (str(exc).strip().splitlines() or [""])[0]
            err = f"scan failed ({type(exc).__name__}: {msg})"
            return 500, scan_record(name, [], (time.perf_counter() - t0) * 1000, err)
        record = scan_record(name, [c.to_dict() for c in codes], (time.perf_counter() - t0) * 1000, None)
        if debug:
            record["debug"] = self.debug_crops(image, restored)
        return 200, record

    def debug_crops(self, image: np.ndarray, attempts: list) -> list[dict]:
        """For each code read on a candidate region: the region rectified (``before``) and the scan
        generator's restoration of it (``after``), base64 PNGs, with the step and the texts it read.

        The crops are made at the ``deblur`` step's fixed scale (the code 128 px wide, contrast
        stretched), an illustration of what the generator does to the region; the step that read the
        code may have worked at another scale.
        """
        from qrdeblur.contrast import stretch_contrast
        from qrdeblur.geometry import rectify
        from qrdeblur.imageio import to_grey

        grey = to_grey(image)
        out = []
        for attempt in attempts:
            quad = np.asarray(attempt.candidate.quad, dtype=np.float64)
            before = stretch_contrast(rectify(grey, quad, DEBUG_SIDE, DEBUG_MARGIN).image)
            after = self.scan_deblurrer.deblur(before)
            out.append({
                "method": attempt.step.method,
                "texts": [c.text for c in attempt.codes],
                "quad": [[round(float(x), 1), round(float(y), 1)] for x, y in quad],
                "before_png_b64": base64.b64encode(png_bytes(before)).decode("ascii"),
                "after_png_b64": base64.b64encode(png_bytes(after)).decode("ascii"),
            })
        return out

    def deblur(self, data: bytes) -> bytes:
        """Restore uploaded bytes with the ``/deblur`` generator; the PNG bytes of the restored image."""
        try:
            image = read_upload(data)
        except ImageReadError as exc:
            raise ServiceError(422, getattr(exc, "problem", str(exc))) from None
        h, w = image.shape[:2]
        if h * w > self.config.max_deblur_pixels:
            raise ServiceError(
                422,
                f"image of {w}x{h} pixels is above the {self.config.max_deblur_pixels / 1e6:g} MP /deblur "
                "restores; crop the code first (or use /scan, which finds it)",
            )
        try:
            restored = self.deblurrer.deblur(image)
        except MemoryError:
            raise ServiceError(500, "out of memory while restoring the image") from None
        return png_bytes(restored)

    # -- facts ---------------------------------------------------------------------------------

    def health(self) -> dict:
        """Liveness and load: queue state, requests served and refused, resident memory, uptime, limits."""
        return {
            "status": "ok",
            "pid": os.getpid(),
            **memory_bytes(),
            "uptime_s": round(time.time() - self.started, 1),
            "queue": self.queue_state(),
            "served": self.served,
            "rejected": self.rejected,
            "threads": self.threads,
            "limits": {
                "max_body_bytes": self.config.max_body_bytes,
                "max_queue": self.config.max_queue,
                "max_budget_ms": self.config.max_budget_ms,
                "max_deblur_pixels": self.config.max_deblur_pixels,
            },
        }

    def version(self) -> dict:
        """The package version and the model files this worker loaded, with their SHA-256."""
        return {"version": __version__, "models": self.models}
