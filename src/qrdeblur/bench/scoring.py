"""How a suite's items are run and scored, per item kind: :func:`score_crops` and :func:`score_scenes`.

Both run every method on the very same items and return a :class:`~qrdeblur.bench.results.BenchResult`.

``crop``: timing covers the restoration only (``restore_batch`` on one cell's items,
``time.perf_counter``), so ``ms_per_image`` compares methods and not decoders; each method first
restores one item untimed (warm-up), so first-call costs are not charged to whichever cell comes
first. An item counts as decoded by a decoder when all of its expected payload texts are among the
decoder's results (a wrong text is a failure).

``scene``: each reader reads each photo once, timed (``ms_per_image`` is the median over the cell's
photos); ``n`` counts the codes present and ``decoded`` those read with the right payload; texts read
that are not in the photo are false reads. Speed is also split by whether zxing-cpp alone reads the
photo completely (the cascade has nothing to do there) or not.

``video``: each method reads each video once, timed with the video's decoding (frames per second over
a cell: its frames over the seconds its videos took). A code counts as read when its text is reported;
texts reported that are not in the video are false reads, and a text reported more than once in one
video is a duplicate (every code of the ``conveyor`` suite passes through the view once).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any

from qrdeblur.bench.methods import CropMethod, SceneMethod, VideoMethod, read_zxing
from qrdeblur.bench.progress import Progress
from qrdeblur.bench.results import BenchResult, BenchRow
from qrdeblur.errors import UsageError


def score_crops(
    suite: str,
    methods: Sequence[CropMethod],
    decoders: Sequence[Any],
    items: Sequence[Any],
    progress: Progress,
) -> BenchResult:
    """Restore every cell's items with each method, decode with every decoder; one row per method x decoder x cell.

    Cells are run and reported in their order of appearance in ``items``.
    """
    from qrdeblur.metrics.decoding import decodes_correctly

    by_cell: dict[str, list[Any]] = {}
    for item in items:
        by_cell.setdefault(item.cell, []).append(item)
    result = BenchResult(suite, [m.name for m in methods], [d.name for d in decoders], list(by_cell))
    progress.start(len(methods) * len(by_cell))
    for method in methods:
        # one untimed call first: a deployed model has served requests before, so first-call costs
        # (session allocations, thread pools, FFT plans) are not part of its per-image time
        method.restore_batch(next(iter(by_cell.values()))[:1])
        for cell, cell_items in by_cell.items():
            progress.describe(f"{method.name} {cell}")
            t0 = time.perf_counter()
            restored = method.restore_batch(cell_items)
            ms = (time.perf_counter() - t0) * 1000.0 / len(cell_items)
            if len(restored) != len(cell_items):
                raise UsageError(
                    f"method {method.name!r} returned {len(restored)} images for {len(cell_items)} items"
                )
            for decoder in decoders:
                decoded = sum(
                    decodes_correctly(image, item.payloads, decoder)
                    for item, image in zip(cell_items, restored, strict=True)
                )
                n = len(cell_items)
                result.rows.append(
                    BenchRow(method.name, decoder.name, cell, n, decoded, round(decoded / n, 4), round(ms, 3))
                )
            progress.advance()
    return result


def _normalise(text: str) -> str:
    # QR payloads in the suites have no line breaks; decoders may still differ in line endings
    return text.replace("\r\n", "\n")


def ordered_cells(items: Sequence[Any], cell_order: Sequence[str] = ()) -> list[str]:
    """The cells the items hold: those of ``cell_order`` first, in its order, then any others in order
    of appearance."""
    present = list(dict.fromkeys(item.cell for item in items))
    return [c for c in cell_order if c in present] + [c for c in present if c not in cell_order]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def score_scenes(
    suite: str,
    methods: Sequence[SceneMethod],
    decoders: Sequence[Any],
    items: Sequence[Any],
    progress: Progress,
    cell_order: Sequence[str] = (),
) -> BenchResult:
    """Read every photo with each reader; rows per method x cell (the reader's own decoder).

    ``decoders`` do not apply (each reader decodes with its own). Cells are reported in ``cell_order``
    (then any others in order of appearance). Besides the per-cell rows, the result
    holds one total per method (``totals``, cell ``all``), and the two lines per method the command
    line prints (``notes``). Each row's ``extra``: ``false_reads`` (texts read that are not in the
    photo; must be 0), ``images``, ``images_zxing_reads_all`` (photos zxing-cpp alone reads
    completely) and the median ms over those (``ms_zxing_reads_all``) and over the rest
    (``ms_others``; None when there are none).
    """
    cells = ordered_cells(items, cell_order)
    # the two speed targets: photos zxing-cpp alone reads completely, and the others
    zxing_reads_all = [
        {_normalise(p) for p in item.payloads} <= {_normalise(t) for t in read_zxing(item.image)} for item in items
    ]
    result = BenchResult(suite, [m.name for m in methods], sorted({m.decoder for m in methods}), [])
    progress.start(len(methods) * len(items))
    for method in methods:
        progress.describe(method.name)
        per_cell: dict[str, dict] = {}
        for k, item in enumerate(items):
            t0 = time.perf_counter()
            # a method that needs the item's truth (the oracle) reads the item, any other its image
            read = getattr(method, "read_item", None)
            texts = {_normalise(t) for t in (read(item) if read else method.read(item.image))}
            ms = (time.perf_counter() - t0) * 1000
            truth = {_normalise(p) for p in item.payloads}
            for cell in (item.cell, "all"):
                acc = per_cell.setdefault(cell, {"n": 0, "decoded": 0, "false": 0, "ms": [], "easy": [], "hard": []})
                acc["n"] += len(truth)
                acc["decoded"] += len(texts & truth)
                acc["false"] += len(texts - truth)
                acc["ms"].append(ms)
                acc["easy" if zxing_reads_all[k] else "hard"].append(ms)
            progress.advance()
        for cell in [*cells, "all"]:
            acc = per_cell[cell]
            rate = acc["decoded"] / acc["n"] if acc["n"] else 0.0
            median = statistics.median(acc["ms"])
            extra = {
                "false_reads": acc["false"],
                "images": len(acc["ms"]),
                "images_zxing_reads_all": len(acc["easy"]),
                "ms_zxing_reads_all": _median(acc["easy"]),
                "ms_others": _median(acc["hard"]),
            }
            row = BenchRow(
                method.name, method.decoder, cell, acc["n"], acc["decoded"], round(rate, 4), round(median, 3), extra
            )
            if cell != "all":
                result.rows.append(row)
                continue
            result.totals[method.name] = row
            result.notes.append(
                f"{method.name}: {acc['decoded']}/{acc['n']} codes read ({rate:.1%}) in {len(acc['ms'])} scenes, "
                f"median {median:.0f} ms per photo, {acc['false']} false reads"
            )
            easy, others = (
                f"{v:.0f} ms" if v is not None else "-" for v in (extra["ms_zxing_reads_all"], extra["ms_others"])
            )
            result.notes.append(
                f"  median {easy} on the {len(acc['easy'])} photos zxing-cpp alone reads "
                f"completely, {others} on the other {len(acc['ms']) - len(acc['easy'])}"
            )
    result.cells = cells
    return result


def scene_scorer(cell_order):
    """A suite's ``score`` for scene items: :func:`score_scenes` with the suite's cells in ``cell_order``."""

    def score(suite, methods, decoders, items, progress):
        return score_scenes(suite, methods, decoders, items, progress, cell_order=cell_order)

    return score



def score_videos(
    suite: str,
    methods: Sequence[VideoMethod],
    decoders: Sequence[Any],
    items: Sequence[Any],
    progress: Progress,
    cell_order: Sequence[str] = (),
) -> BenchResult:
    """Read every video with each method; rows per method x cell (the method's own decoder).

    ``n`` counts the codes in the cell's videos and ``decoded`` those reported; ``ms_per_image`` is the
    time per frame (the cell's seconds over its frames, decoding the video included). Each row's
    ``extra``: ``false_reads`` (must be 0), ``duplicates`` (reports beyond the first of a code in one
    video), ``fps``, ``frames``, ``videos``, and for ``frame-any`` ``per_frame_reads`` (what a plain frame
    loop would report). The result's ``totals`` hold cell ``all``, ``notes`` one line per method, and
    ``details`` the per-cell counts summary.json carries.
    """
    cells = ordered_cells(items, cell_order)
    result = BenchResult(suite, [m.name for m in methods], sorted({m.decoder for m in methods}), cells)
    result.meta["video_codec"] = sorted({getattr(item, "codec", "?") for item in items})
    progress.start(len(methods) * len(items))
    for method in methods:
        progress.describe(method.name)
        warm_up = getattr(method, "warm_up", None)
        if warm_up is not None:
            warm_up(items[0].path)
        per_cell: dict[str, dict] = {}
        for item in items:
            t0 = time.perf_counter()
            read = method.read_video(item.path)
            seconds = time.perf_counter() - t0
            truth = {_normalise(p) for p in item.payloads}
            texts = [_normalise(t) for t in read.texts]
            reported = set(texts)
            for cell in (item.cell, "all"):
                acc = per_cell.setdefault(
                    cell, {"n": 0, "decoded": 0, "false": 0, "dup": 0, "frames": 0, "s": 0.0, "videos": 0, "pfr": 0}
                )
                acc["n"] += len(truth)
                acc["decoded"] += len(reported & truth)
                acc["false"] += len(reported - truth)
                acc["dup"] += len(texts) - len(reported)
                acc["frames"] += read.frames
                acc["s"] += seconds
                acc["videos"] += 1
                if read.per_frame_reads is None or acc["pfr"] is None:
                    acc["pfr"] = None
                else:
                    acc["pfr"] += read.per_frame_reads
            progress.advance()
        details: dict[str, dict] = {}
        for cell in [*cells, "all"]:
            acc = per_cell[cell]
            rate = acc["decoded"] / acc["n"] if acc["n"] else 0.0
            fps = acc["frames"] / acc["s"] if acc["s"] > 0 else 0.0
            ms = 1000.0 * acc["s"] / acc["frames"] if acc["frames"] else 0.0
            extra = {
                "false_reads": acc["false"],
                "duplicates": acc["dup"],
                "fps": round(fps, 2),
                "frames": acc["frames"],
                "videos": acc["videos"],
            }
            if acc["pfr"] is not None:
                extra["per_frame_reads"] = acc["pfr"]
            row = BenchRow(
                method.name, method.decoder, cell, acc["n"], acc["decoded"], round(rate, 4), round(ms, 3), extra
            )
            details[cell] = {"codes": acc["n"], "read": acc["decoded"], **extra}
            if cell != "all":
                result.rows.append(row)
                continue
            result.totals[method.name] = row
            result.notes.append(
                f"{method.name}: {acc['decoded']}/{acc['n']} codes read ({rate:.1%}) in {acc['videos']} videos, "
                f"{acc['false']} false reads, {acc['dup']} duplicates, {extra['fps']:.1f} frames per second"
            )
        result.details[method.name] = {"cells": details}
    return result


def video_scorer(cell_order):
    """A suite's ``score`` for video items: :func:`score_videos` with the suite's cells in ``cell_order``."""

    def score(suite, methods, decoders, items, progress):
        return score_videos(suite, methods, decoders, items, progress, cell_order=cell_order)

    return score
