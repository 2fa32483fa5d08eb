"""Live mode against the offline pass on the ``conveyor`` suite's videos: codes read, wall time against
the video's own duration, frames dropped.

Live mode paces a file at its frame rate and scans the newest frame whenever the scanner is free
(``scan_video(..., live=True)``); the offline pass scans every frame. For each cell, prints codes read
by each, live's share of the offline pass's codes, and live's wall time over the videos' duration.

    python research/live_vs_offline.py --cells 3-5,5-7
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from qrdeblur import scan_video
from qrdeblur.bench.suites.conveyor import conveyor_suite


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", default="3-5,5-7", help="conveyor cells (motion blur in module widths)")
    ap.add_argument("--live-options", default="", help="scan_video options for the live pass, e.g. fuse_every=1")
    args = ap.parse_args()
    options = {k: int(v) for k, v in (o.split("=") for o in args.live_options.split(",") if o)}
    cells = args.cells.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        items = [it for it in conveyor_suite(folder=Path(tmp)) if it.cell in cells]
        totals: dict[str, list[float]] = {}
        for item in items:
            truth = set(item.payloads)
            row = []
            for live in (False, True):
                stats = []
                t0 = time.perf_counter()
                extra = options if live else {}
                texts = {t.text for t in scan_video(item.path, live=live, on_progress=stats.append, **extra)}
                seconds = time.perf_counter() - t0
                dropped = stats[-1].dropped if stats else 0
                row += [len(texts & truth), seconds, dropped, len(texts - truth)]
            duration = item.frames / 30.0
            t = totals.setdefault(item.cell, [0, 0, 0.0, 0.0, 0, 0, 0])
            t[0] += row[0]
            t[1] += row[4]
            t[2] += row[5]
            t[3] += duration
            t[4] += row[6]
            t[5] += row[3] + row[7]
            t[6] += len(truth)
            print(f"{item.path.name}: offline {row[0]} in {row[1]:.1f} s, live {row[4]} in {row[5]:.1f} s "
                  f"({row[6]} dropped), video {duration:.1f} s")
        for cell, (off, live, sec, dur, dropped, false, n) in totals.items():
            share = live / off if off else float("nan")
            print(f"{cell}: {n} codes; offline {off}, live {live} ({share:.0%} of offline); "
                  f"live wall {sec:.1f} s for {dur:.1f} s of video; {dropped} frames dropped; {false} false reads")


if __name__ == "__main__":
    main()
