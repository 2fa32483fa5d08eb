"""Scan many files: one JSON-ready record per image, and one bad file never stops the batch.

Record (the ``scan --json`` contract, docs/architecture.md)::

    {"path": "in/a.jpg", "codes": [{"text", "corners", "method", "decoder"} (+ "bytes_b64")],
     "ms": 41.7, "error": null}

``error`` is the problem alone (the path is beside it), e.g. ``"empty file (0 bytes)"``; ``ms`` is the
wall time spent on that input, reading included.

``scan_paths(..., workers=N)`` spreads the images over N worker processes (each loads the model once)
and still yields the records in input order. :func:`scan_file` is one image's record with the model
loaded once per process: the function to run on the workers of another pool or a cluster
(``docs/examples/dask_scan.py``).
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

from qrdeblur.errors import UsageError

#: Images in flight per worker process: enough to keep every worker busy while records wait their turn.
IN_FLIGHT_PER_WORKER = 4


def _record(path: Path, codes: list, ms: float, error: str | None) -> dict:
    return {"path": str(path), "codes": codes, "ms": round(ms, 1), "error": error}


def _scan_one(path: Path, deblurrer, budget_ms, effort: str, known, known_ms) -> dict:
    """One image's record; every failure that concerns this file alone becomes its ``error``."""
    from qrdeblur.imageio import read_image
    from qrdeblur.scan import scan

    t0 = time.perf_counter()
    try:
        image = read_image(path)
        codes = scan(image, budget_ms=budget_ms, deblurrer=deblurrer, effort=effort, known=known, known_ms=known_ms)
    except UsageError as exc:
        return _record(path, [], (time.perf_counter() - t0) * 1000, getattr(exc, "problem", str(exc)))
    except MemoryError:
        return _record(path, [], (time.perf_counter() - t0) * 1000, "out of memory while scanning this image")
    except Exception as exc:  # a decoder or codec failure on one odd file must not end the batch
        msg = (str(exc).strip().splitlines() or [""])[0]
        return _record(path, [], (time.perf_counter() - t0) * 1000, f"scan failed ({type(exc).__name__}: {msg})")
    return _record(path, [c.to_dict() for c in codes], (time.perf_counter() - t0) * 1000, None)


def _check_effort(effort: str) -> None:
    from qrdeblur.scan.config import EFFORTS

    if effort not in EFFORTS:
        raise UsageError(f"unknown effort {effort!r}; choose one of {', '.join(EFFORTS)}")


def scan_file(
    path: str | Path,
    model: str | Path | None = None,
    budget_ms: float | None = None,
    effort: str = "normal",
    known=None,
    known_ms: float | None = None,
    threads: int | None = None,
) -> dict:
    """One image's record (the module docstring), the model loaded once per process and kept.

    The function for the workers of a pool or a cluster: every call in one process after the first
    reuses the loaded model. Arguments as :func:`scan_paths`; ``threads`` are onnxruntime's for the
    model (None: the cores; set it when several workers share a machine). Pass ``known`` as a
    :class:`~qrdeblur.identify.KnownCodes` made once, not a list, or every call renders the list anew.

    Raises:
        UsageError: only for what concerns every file: an unknown effort, a model that cannot be loaded.
    """
    from qrdeblur.scan import load_deblurrer

    _check_effort(effort)
    deblurrer = load_deblurrer(model, threads)
    if known is not None:
        from qrdeblur.identify.catalog import known_codes

        known = known_codes(known)
    return _scan_one(Path(path), deblurrer, budget_ms, effort, known, known_ms)


def scan_paths(
    inputs: Iterable[str | Path],
    model: str | Path | None = None,
    budget_ms: float | None = None,
    effort: str = "normal",
    known=None,
    known_ms: float | None = None,
    workers: int = 1,
) -> Iterator[dict]:
    """Scan files and directories (recursively), yielding one record per image found.

    Args:
        inputs: files and directories, in the order given (directories walked in sorted order).
        model: generator (.onnx path; None = the shipped model), loaded once for the whole batch.
        budget_ms: cascade time budget per image (None: the effort's).
        effort: ``normal`` or ``high`` (:func:`qrdeblur.scan.scan`).
        known: known payloads (:func:`qrdeblur.scan.scan`'s ``known``), rendered once for the batch;
            ``known_ms`` the time to identify in (None: 800 ms).
        workers: processes to scan in (1: this one). Above 1, each worker process loads the model
            once (and is handed the rendered known payloads once), with onnxruntime's and OpenCV's
            threads set to the cores shared out among the workers; records still come in input order.
            A worker that dies on an image (a crash, the out-of-memory killer) gives that image an
            error record, and the batch goes on in fresh workers. The workers are spawned (fresh
            interpreters that import the calling script): a script that passes ``workers`` > 1 runs
            its work under ``if __name__ == "__main__":``.

    Yields:
        One record per image (see the module docstring); unreadable files, missing inputs and
        unreadable directories give a record with ``error`` set and empty ``codes``.

    Raises:
        UsageError: only for problems that concern every file: an unknown effort, ``workers`` below 1,
            an explicit model that cannot be loaded.
    """
    from qrdeblur.imageio import iter_image_paths
    from qrdeblur.scan import load_deblurrer

    _check_effort(effort)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UsageError(f"workers must be a whole number of processes >= 1, got {workers!r}")
    deblurrer = load_deblurrer(model)  # the workers load their own; this one names a bad model first
    if known is not None:
        from qrdeblur.identify.catalog import known_codes

        known = known_codes(known)
    if workers > 1:
        yield from _scan_in_workers(iter_image_paths(inputs), workers, (model, budget_ms, effort, known, known_ms))
        return
    for path, error in iter_image_paths(inputs):
        if error is not None:
            yield _record(path, [], 0.0, error)
            continue
        yield _scan_one(path, deblurrer, budget_ms, effort, known, known_ms)


# --- worker processes -------------------------------------------------------------------------------

_WORKER: dict = {}  # in a worker process: what _init_worker loaded, or the reason it could not


def _init_worker(model, budget_ms, effort, known, known_ms, threads: int) -> None:
    """Set up one worker process: Ctrl-C is the parent's to handle, threads sized, the model loaded once."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import cv2

        from qrdeblur.scan import load_deblurrer

        cv2.setNumThreads(threads)
        deblurrer = load_deblurrer(model, threads)
    except Exception as exc:  # reported on each image this worker is given, instead of a broken pool
        _WORKER["error"] = f"worker could not start ({type(exc).__name__}: {_first_line(exc)})"
        return
    _WORKER.update(deblurrer=deblurrer, args=(budget_ms, effort, known, known_ms))


def _worker_scan(path: str) -> dict:
    """The task a worker process runs: one image's record."""
    if "error" in _WORKER:
        return _record(Path(path), [], 0.0, _WORKER["error"])
    return _scan_one(Path(path), _WORKER["deblurrer"], *_WORKER["args"])


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0]


def _threads_per_worker(workers: int) -> int:
    """The cores this process may run on (its affinity mask where the OS has one), shared out."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, cores // workers)


def _new_pool(workers: int, initargs: tuple):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: a fresh interpreter per worker, safe with onnxruntime's and OpenCV's threads (fork is not)
    return ProcessPoolExecutor(workers, multiprocessing.get_context("spawn"), _init_worker, initargs)


def _stop_pool(pool, kill: bool) -> None:
    """Shut ``pool`` down; ``kill``: end its workers now (Ctrl-C, or the caller stopped reading)."""
    if kill:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            if process.is_alive():
                process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def _scan_in_workers(items: Iterator[tuple[Path, str | None]], workers: int, args: tuple, task=_worker_scan):
    """Records of ``items`` (``iter_image_paths`` pairs) scanned by ``workers`` processes, in order.

    At most ``IN_FLIGHT_PER_WORKER * workers`` images are in flight, so a batch of millions holds only
    those. ``task(path) -> record`` runs in the workers (:func:`_worker_scan`).
    """
    runner = _Runner(workers, (*args, _threads_per_worker(workers)), task)
    window = IN_FLIGHT_PER_WORKER * workers
    queue: deque = deque()  # [path, record | Future | None (to scan again)], in input order
    finished = False
    try:
        for path, error in items:
            queue.append([path, _record(path, [], 0.0, error) if error is not None else runner.submit(path)])
            while queue and (isinstance(queue[0][1], dict) or _in_flight(queue) >= window):
                runner.settle_head(queue)
                yield queue.popleft()[1]
        while queue:
            runner.settle_head(queue)
            yield queue.popleft()[1]
        finished = True
    finally:
        runner.stop(kill=not finished)


def _in_flight(queue: deque) -> int:
    return sum(not isinstance(entry[1], dict) for entry in queue)


class _Runner:
    """A process pool that outlives the death of its workers.

    When a worker dies (a crash, the out-of-memory killer), the pool breaks and every image in flight
    fails with it. Those images are then scanned again one at a time in a fresh one-worker pool, so
    the image that kills its worker again gets the error record and the others their results; the
    batch goes on in a fresh pool.
    """

    def __init__(self, workers: int, initargs: tuple, task):
        from concurrent.futures.process import BrokenProcessPool

        self.workers, self.initargs, self.task, self.broken = workers, initargs, task, BrokenProcessPool
        self.pool = _new_pool(workers, initargs)

    def submit(self, path: Path):
        try:
            return self.pool.submit(self.task, str(path))
        except self.broken:
            return None  # the pool broke under another image: scanned again with the rest in flight

    def stop(self, kill: bool) -> None:
        _stop_pool(self.pool, kill)

    def settle_head(self, queue: deque) -> None:
        """Wait until ``queue[0]`` holds its record."""
        head = queue[0]
        if isinstance(head[1], dict):
            return
        if head[1] is not None and not self._settle(head):
            return
        # A worker died: settle everything in flight, then scan again what failed with the pool.
        suspects = [entry for entry in queue if not isinstance(entry[1], dict) and self._settle(entry)]
        _stop_pool(self.pool, kill=True)
        self.pool = _new_pool(1, self.initargs)
        for entry in suspects:
            entry[1] = self.submit(entry[0])
            if entry[1] is None or self._settle(entry):
                entry[1] = _record(entry[0], [], 0.0, "worker process crashed while scanning this image")
                _stop_pool(self.pool, kill=True)
                self.pool = _new_pool(1, self.initargs)
        _stop_pool(self.pool, kill=False)
        self.pool = _new_pool(self.workers, self.initargs)

    def _settle(self, entry: list) -> bool:
        """Put ``entry``'s record in place of its future; True when its worker died (no record)."""
        from concurrent.futures import CancelledError

        future = entry[1]
        if future is None:
            return True
        try:
            entry[1] = future.result()
        except (self.broken, CancelledError):
            return True
        except Exception as exc:  # the record could not come back (e.g. it could not be pickled)
            entry[1] = _record(entry[0], [], 0.0, f"scan failed ({type(exc).__name__}: {_first_line(exc)})")
        return False
