"""Benchmark report: results.csv, summary.json, a decode-rate heatmap, and the table the CLI prints."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import numpy as np

from qrdeblur.bench.results import COLUMNS, BenchResult

PRIMARY_DECODER = "zxing-cpp"


def summary_decoder(result: BenchResult) -> str:
    """The decoder the summary speaks for: zxing-cpp when it was run, else the first one."""
    return PRIMARY_DECODER if PRIMARY_DECODER in result.decoders else result.decoders[0]


def summary(result: BenchResult) -> dict:
    """The summary.json content for the decoder of :func:`summary_decoder`.

    ``{"suite", "decoder", "methods": {name: {"decode_rate": mean over cells, "ms_per_image": median}}}``,
    each method's entry extended by ``result.details[name]`` and the whole by ``result.meta`` where the
    suite's kind gives them (``video``: per-cell codes, reads, false reads, duplicates, fps; the codec).
    """
    decoder = summary_decoder(result)
    methods = {}
    for m in result.methods:
        rows = [r for r in result.rows if r.method == m and r.decoder == decoder]
        if not rows:  # a whole-scene reader with its own decoder (suite photo: opencv)
            rows = [r for r in result.rows if r.method == m]
        methods[m] = {
            "decode_rate": round(float(np.mean([r.rate for r in rows])), 4),
            "ms_per_image": round(float(np.median([r.ms_per_image for r in rows])), 3),
            **result.details.get(m, {}),
        }
    return {"suite": result.suite, "decoder": decoder, "methods": methods, **result.meta}


def _rate(result: BenchResult, method: str, decoder: str, cell: str) -> float:
    try:
        return result.row(method, decoder, cell).rate
    except KeyError:  # a pair that was not run (suite photo): blank in the heatmap
        return float("nan")


def _mean(result: BenchResult, method: str, decoder: str) -> float:
    rates = [r.rate for r in result.rows if r.method == method and r.decoder == decoder]
    return float(np.mean(rates)) if rates else float("nan")


def _write_atomic(path: Path, write) -> None:
    # write beside the target, then rename: an interrupted run never leaves a half-written file
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_csv(result: BenchResult, path: Path) -> None:
    """One row per method x decoder x cell, columns exactly :data:`COLUMNS`."""

    def write(p: Path) -> None:
        with open(p, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(COLUMNS)
            for r in result.rows:
                w.writerow(
                    [r.method, r.decoder, r.cell, r.n, r.decoded, f"{r.rate:.4f}", f"{r.ms_per_image:.3f}"]
                )

    _write_atomic(Path(path), write)


def write_summary(result: BenchResult, path: Path) -> None:
    _write_atomic(Path(path), lambda p: p.write_text(json.dumps(summary(result), indent=2) + "\n", "utf-8"))


def plot_heatmap(result: BenchResult, path: Path) -> None:
    """Decode rate (%) per cell (columns, plus the mean) x method (rows), one panel per decoder."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = [*result.cells, "mean"]
    n_dec = len(result.decoders)
    fig_w = max(6.0, 0.55 * len(cols) + 2.0)
    fig_h = (0.45 * len(result.methods) + 1.2) * n_dec
    fig, axes = plt.subplots(n_dec, 1, figsize=(fig_w, fig_h), squeeze=False)
    for ax, decoder in zip(axes[:, 0], result.decoders, strict=True):
        grid = (
            np.array(
                [
                    [_rate(result, m, decoder, c) for c in result.cells] + [_mean(result, m, decoder)]
                    for m in result.methods
                ]
            )
            * 100
        )
        ax.imshow(grid, vmin=0, vmax=100, cmap="viridis", aspect="auto")
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                ax.text(
                    j,
                    i,
                    f"{grid[i, j]:.0f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="black" if grid[i, j] > 60 else "white",
                )
        ax.set_xticks(range(len(cols)), cols, rotation=60, ha="right", fontsize=7)
        ax.set_yticks(range(len(result.methods)), result.methods, fontsize=8)
        ax.set_title(f"{result.suite}: decode rate % ({decoder})", fontsize=9)
    fig.tight_layout()

    def write(p: Path) -> None:
        fig.savefig(p, dpi=120, format="png")

    try:
        _write_atomic(Path(path), write)
    finally:
        plt.close(fig)


def write_report(result: BenchResult, out: Path) -> list[Path]:
    """Write results.csv, summary.json and heatmap.png into ``out`` (created); returns the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "results.csv", out / "summary.json", out / "heatmap.png"]
    write_csv(result, paths[0])
    write_summary(result, paths[1])
    plot_heatmap(result, paths[2])
    return paths


def format_table(result: BenchResult) -> str:
    """Decode rate (%) as a text table: rows method x decoder, columns the cells and the mean."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{result.suite}: decode rate %", box=box.SIMPLE_HEAD)
    table.add_column("method")
    table.add_column("decoder")
    for c in result.cells:
        table.add_column(c, justify="right")
    table.add_column("mean", justify="right")
    table.add_column("ms/img", justify="right")
    for m in result.methods:
        for d in result.decoders:
            if not any(r.method == m and r.decoder == d for r in result.rows):
                continue  # suite photo: each reader has its own decoder
            rows = [result.row(m, d, c) for c in result.cells]
            table.add_row(
                m,
                d,
                *(f"{r.rate * 100:.0f}" for r in rows),
                f"{result.mean_rate(m, d) * 100:.1f}",
                f"{np.median([r.ms_per_image for r in rows]):.2f}",
            )
    buf = io.StringIO()
    # a wide virtual console: the table takes its natural width and never truncates a name
    Console(file=buf, width=1000, color_system=None, force_terminal=False).print(table)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"
