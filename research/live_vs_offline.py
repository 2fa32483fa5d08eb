"""Live mode against the offline pass on the ``conveyor`` suite's videos: codes read, wall time against
the video's own duration, frames dropped.

Live mode paces a file at its frame rate and scans the newest frame whenever the scanner is free
(``scan_video(..., live=True)``); the offline pass scans every frame. For each cell, prints codes read
by each, live's share of the offline pass's codes, codes live reported more than once, and live's wall
time (from the call to the last track) over the videos' duration. ``--repeats`` runs the live pass
again on the same files (its reads depend on which frames the scanner had time for).

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
    ap.add_argument("--repeats", type=int, default=1, help="live passes per file")
    args = ap.parse_args()
    options = {k: int(v) for k, v in (o.split("=") for o in args.live_options.split(",") if o)}
    cells = args.cells.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        items = [it for it in conveyor_suite(folder=Path(tmp)) if it.cell in cells]
        totals: dict[str, list[float]] = {}
        for item in items:
            truth = set(item.payloads)
            offline = {t.text for t in scan_video(item.path, live=False)} & truth
            duration = item.frames / 30.0
            for repeat in range(args.repeats):
                stats = []
                t0 = time.perf_counter()
                tracks = list(scan_video(item.path, live=True, on_progress=stats.append, **options))
                seconds = time.perf_counter() - t0
                texts = [t.text for t in tracks]
                dropped = stats[-1].dropped if stats else 0
                t = totals.setdefault(f"{item.cell} #{repeat + 1}", [0, 0, 0.0, 0.0, 0, 0, 0, 0])
                t[0] += len(offline)
                t[1] += len(set(texts) & truth)
                t[2] += seconds
                t[3] += duration
                t[4] += dropped
                t[5] += len(set(texts) - truth)
                t[6] += len(texts) - len(set(texts))
                t[7] += len(truth)
                print(f"{item.path.name}: offline {len(offline)}, live #{repeat + 1} {len(set(texts) & truth)} in "
                      f"{seconds:.2f} s ({dropped} dropped), video {duration:.2f} s", flush=True)
        for cell, (off, live, sec, dur, dropped, false, twice, n) in sorted(totals.items()):
            share = live / off if off else float("nan")
            print(f"{cell}: {n} codes; offline {off}, live {live} ({share:.0%} of offline); live wall {sec:.2f} s "
                  f"for {dur:.2f} s of video; {dropped} frames dropped; {false} false reads; {twice} reported twice")

if __name__ == "__main__":
    main()
