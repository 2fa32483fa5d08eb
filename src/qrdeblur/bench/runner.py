"""The bench runner: :func:`run_bench`, the one entry every suite goes through.

It checks every name first (suite, methods of the suite's kind, decoders) and the output folder, then
builds the suite once, runs every method on the very same items with the suite's scoring
(:mod:`qrdeblur.bench.scoring`) and writes the report (:mod:`qrdeblur.bench.report`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qrdeblur.bench.methods import get_method
from qrdeblur.bench.progress import Progress
from qrdeblur.bench.results import COLUMNS, BenchResult, BenchRow
from qrdeblur.bench.suites import Suite, get_suite
from qrdeblur.errors import UsageError

RESULT_FILES = ("results.csv", "summary.json", "heatmap.png")

__all__ = ["COLUMNS", "RESULT_FILES", "BenchResult", "BenchRow", "check_out_dir", "run_bench"]


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
        raise UsageError(
            f"{out} already holds {', '.join(existing)}; choose another directory or overwrite (--force)"
        )


def run_bench(
    suite: str | Suite,
    methods: Sequence[str],
    decoders: Sequence[str] = ("zxing-cpp",),
    out: Path | None = None,
    progress: bool = True,
    *,
    items: Sequence[Any] | None = None,
    overwrite: bool = False,
) -> BenchResult:
    """Run ``methods`` on a suite, score them, and write results.csv, summary.json and heatmap.png to ``out``.

    Args:
        suite: a suite name (:data:`qrdeblur.bench.suites.SUITES`) or a :class:`~qrdeblur.bench.suites.Suite`.
        methods: method specs (``"name"`` or ``"name:ARG"``, :mod:`qrdeblur.bench.methods`), all of the
            suite's kind; UsageError naming the suite's methods otherwise.
        decoders: decoder names (``zxing-cpp``, ``zbar``, ``opencv``) that read what ``crop`` methods
            restore; unused by suites whose methods decode themselves (``photo``).
        out: directory for the report, or None for no files.
        progress: show a progress bar (on stderr).
        items: run on these items instead of building the suite (they must be of the suite's kind).
        overwrite: allow replacing the result files of an earlier run in ``out``.

    Returns:
        The result: rows per method x decoder x cell, and for scene suites the totals and summary lines.
    """
    from qrdeblur.decode import get_decoder

    if not isinstance(suite, Suite):
        suite = get_suite(suite)
    # every name is checked before the (slow) suite is built, and before anything is written
    method_objs = [get_method(m, kind=suite.kind, suite=suite.name) for m in _unique(methods, "method")]
    decoder_objs = [get_decoder(d) for d in _unique(decoders, "decoder")] if suite.uses_decoders else []
    if out is not None:
        check_out_dir(out, overwrite)
    items = list(suite.build() if items is None else items)
    if not items:
        raise UsageError(f"suite {suite.name!r} has no items")

    with Progress(progress) as bar:
        result = suite.score(suite.name, method_objs, decoder_objs, items, bar)

    if out is not None:
        from qrdeblur.bench.report import write_report

        write_report(result, Path(out))
    return result
