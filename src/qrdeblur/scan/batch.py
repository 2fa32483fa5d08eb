"""Scan many files: one JSON-ready record per image, and one bad file never stops the batch.

Record (the ``scan --json`` contract, docs/architecture.md)::

    {"path": "in/a.jpg", "codes": [{"text", "corners", "method", "decoder"} (+ "bytes_b64")],
     "ms": 41.7, "error": null}

``error`` is the problem alone (the path is beside it), e.g. ``"empty file (0 bytes)"``; ``ms`` is the
wall time spent on that input, reading included.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from qrdeblur.errors import UsageError


def _record(path: Path, codes: list, ms: float, error: str | None) -> dict:
    return {"path": str(path), "codes": codes, "ms": round(ms, 1), "error": error}


def scan_paths(
    inputs: Iterable[str | Path],
    model: str | Path | None = None,
    budget_ms: float | None = None,
    effort: str = "normal",
    known=None,
    known_ms: float | None = None,
) -> Iterator[dict]:
    """Scan files and directories (recursively), yielding one record per image found.

    Args:
        inputs: files and directories, in the order given (directories walked in sorted order).
        model: generator (.onnx path; None = the shipped model), loaded once for the whole batch.
        budget_ms: cascade time budget per image (None: the effort's).
        effort: ``normal`` or ``high`` (:func:`qrdeblur.scan.scan`).
        known: known payloads (:func:`qrdeblur.scan.scan`'s ``known``), rendered once for the batch;
            ``known_ms`` the time to identify in (None: 600 ms).

    Yields:
        One record per image (see the module docstring); unreadable files, missing inputs and
        unreadable directories give a record with ``error`` set and empty ``codes``.

    Raises:
        UsageError: only for problems that concern every file: an explicit model that cannot be loaded.
    """
    from qrdeblur.imageio import iter_image_paths, read_image
    from qrdeblur.scan import load_deblurrer, scan
    from qrdeblur.scan.config import EFFORTS

    if effort not in EFFORTS:
        raise UsageError(f"unknown effort {effort!r}; choose one of {', '.join(EFFORTS)}")
    deblurrer = load_deblurrer(model)
    if known is not None:
        from qrdeblur.identify.catalog import known_codes

        known = known_codes(known)
    for path, error in iter_image_paths(inputs):
        t0 = time.perf_counter()
        if error is not None:
            yield _record(path, [], 0.0, error)
            continue
        try:
            image = read_image(path)
            codes = scan(image, budget_ms=budget_ms, deblurrer=deblurrer, effort=effort, known=known, known_ms=known_ms)
        except UsageError as exc:
            yield _record(path, [], (time.perf_counter() - t0) * 1000, getattr(exc, "problem", str(exc)))
            continue
        except MemoryError:
            yield _record(
                path, [], (time.perf_counter() - t0) * 1000, "out of memory while scanning this image"
            )
            continue
        except Exception as exc:  # a decoder or codec failure on one odd file must not end the batch
            msg = (str(exc).strip().splitlines() or [""])[0]
            yield _record(
                path, [], (time.perf_counter() - t0) * 1000, f"scan failed ({type(exc).__name__}: {msg})"
            )
            continue
        yield _record(path, [c.to_dict() for c in codes], (time.perf_counter() - t0) * 1000, None)
