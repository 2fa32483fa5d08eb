"""Benchmark runner: every method on the very same suite items, every restored image through every decoder.

Timing covers the restoration only (``restore_batch`` on one cell's items, ``time.perf_counter``),
so ``ms_per_image`` compares methods and not decoders; each method first restores one item untimed
(warm-up), so first-call costs are not charged to whichever cell comes first. An item counts as
decoded by a decoder when all of its expected payload texts are among the decoder's results (a
wrong text is a failure).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qrdeblur.bench.methods import get_method
from qrdeblur.bench.suites import BenchItem, get_suite
from qrdeblur.errors import UsageError
from qrdeblur.metrics.decoding import decodes_correctly

COLUMNS = ("method", "decoder", "cell", "n", "decoded", "rate", "ms_per_image")
RESULT_FILES = ("results.csv", "summary.json", "heatmap.png")


@dataclass
class BenchRow:
    """One (method, decoder, cell) result; ``rate`` is decoded / n as a fraction, 4 decimals."""

    method: str
    decoder: str
    cell: str
    n: int
    decoded: int
    rate: float
    ms_per_image: float


@dataclass
class BenchResult:
    """All rows of one run, with the method, decoder and cell orders as run."""

    suite: str
    methods: list[str]
    decoders: list[str]
    cells: list[str]
    rows: list[BenchRow] = field(default_factory=list)

    def row(self, method: str, decoder: str, cell: str) -> BenchRow:
        """The row of one (method, decoder, cell); KeyError when absent."""
        for r in self.rows:
            if (r.method, r.decoder, r.cell) == (method, decoder, cell):
                return r
        raise KeyError((method, decoder, cell))

    def mean_rate(self, method: str, decoder: str) -> float:
        """Unweighted mean of the per-cell decode rates (every cell counts the same)."""
        return float(np.mean([r.rate for r in self.rows if r.method == method and r.decoder == decoder]))


def _unique(names: Sequence[str], what: str) -> list[str]:
    names = [n.strip() for n in names]
    if not names or any(not n for n in names):
        raise UsageError(f"give at least one {what} (got {','.join(names)!r})")
    seen = set()
    for n in names:
        if n in seen:
            raise UsageError(f"{what} {n!r} given twice")
        seen.add(n)
    return names


def check_out_dir(out: Path, overwrite: bool = False) -> None:
    """UsageError when ``out`` already holds results and ``overwrite`` is False (nothing is touched)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"output {out} exists and is not a directory")
    existing = [name for name in RESULT_FILES if (out / name).exists()]
    if existing and not overwrite:
        raise UsageError(f"{out} already holds {', '.join(existing)}; choose another directory or overwrite")


def run_bench(
    suite: str,
    methods: list[str],
    decoders: list[str],
    out: Path | None,
    progress: bool = True,
    *,
    items: Sequence[BenchItem] | None = None,
    overwrite: bool = False,
) -> BenchResult:
    """Run ``methods`` on suite ``suite`` and decode with ``decoders``; write a report to ``out`` if given.

    Args:
        suite: suite name (``qrdeblur.bench.suites``); the suite is built once.
        methods: method specs (``"name"`` or ``"name:ARG"``, see ``qrdeblur.bench.methods``).
        decoders: decoder names (``zxing-cpp``, ``zbar``, ``opencv``).
        out: directory for results.csv, summary.json and heatmap.png, or None for no files.
        progress: show a rich progress bar (on stderr) over method x cell.
        items: use these items instead of building the suite (``suite`` is then only the label).
        overwrite: allow replacing the result files of an earlier run in ``out``.

    Returns:
        The rows, one per method x decoder x cell.
    """
    from qrdeblur.decode import get_decoder

    # every name is checked before the (slow) suite is built, and before anything is written
    method_objs = [get_method(m) for m in _unique(methods, "method")]
    decoder_objs = [get_decoder(d) for d in _unique(decoders, "decoder")]
    if out is not None:
        check_out_dir(out, overwrite)
    if items is None:
        items = get_suite(suite)()
    if not items:
        raise UsageError(f"suite {suite!r} has no items")

    by_cell: dict[str, list[BenchItem]] = {}
    for item in items:
        by_cell.setdefault(item.cell, []).append(item)
    result = BenchResult(suite, [m.name for m in method_objs], [d.name for d in decoder_objs], list(by_cell))

    bar = None
    if progress:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        task = bar.add_task("bench", total=len(method_objs) * len(by_cell))
        bar.start()
    try:
        for method in method_objs:
            # one untimed call first: a deployed model has served requests before, so first-call costs
            # (session allocations, thread pools, FFT plans) are not part of its per-image time
            method.restore_batch(next(iter(by_cell.values()))[:1])
            for cell, cell_items in by_cell.items():
                if bar is not None:
                    bar.update(task, description=f"{method.name} {cell}")
                t0 = time.perf_counter()
                restored = method.restore_batch(cell_items)
                ms = (time.perf_counter() - t0) * 1000.0 / len(cell_items)
                if len(restored) != len(cell_items):
                    raise UsageError(
                        f"method {method.name!r} returned {len(restored)} images for {len(cell_items)} items"
                    )
                for decoder in decoder_objs:
                    decoded = sum(
                        decodes_correctly(image, item.payloads, decoder)
                        for item, image in zip(cell_items, restored, strict=True)
                    )
                    n = len(cell_items)
                    result.rows.append(
                        BenchRow(
                            method.name, decoder.name, cell, n, decoded, round(decoded / n, 4), round(ms, 3)
                        )
                    )
                if bar is not None:
                    bar.advance(task)
    finally:
        if bar is not None:
            bar.stop()

    if out is not None:
        from qrdeblur.bench.report import write_report

        write_report(result, Path(out))
    return result
