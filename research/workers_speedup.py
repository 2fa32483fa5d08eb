"""Images per second of ``scan_paths`` in one process and in worker processes, on synthetic photos.

Writes the first ``--count`` scenes of the ``photo`` bench suite (phone-photo-like scenes of 1-3
codes, mild to severe blur) as PNG files into a temporary folder, then scans that folder with
``scan_paths(..., workers=1)`` and with each of ``--workers``, one after the other in this process.
The one-process pass runs with the model already loaded; a worker pass's time includes starting its
processes and loading the model in each, as a ``qrdeblur scan --workers N`` run pays them. Prints,
per pass, the wall time, images per second, the seconds to the first record, the codes read, and the
speed-up over one process; and whether every pass read the same texts (a busy machine can make a
time-budgeted image read differently). Run::

    python research/workers_speedup.py --count 24 --workers 2
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2

from qrdeblur.bench.suites.photo import photo_suite
from qrdeblur.scan import load_deblurrer
from qrdeblur.scan.batch import scan_paths


def write_photos(folder: Path, count: int) -> None:
    for i, item in enumerate(photo_suite(count)):
        image = item.image
        if image.ndim == 3:
            image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        cv2.imwrite(str(folder / f"photo_{i:03d}.png"), image)


def timed_pass(folder: Path, workers: int, budget_ms: float | None) -> dict:
    t0 = time.perf_counter()
    first = None
    records = []
    for record in scan_paths([folder], budget_ms=budget_ms, workers=workers):
        if first is None:
            first = time.perf_counter() - t0
        records.append(record)
    wall = time.perf_counter() - t0
    return {
        "workers": workers,
        "wall_s": wall,
        "first_s": first or 0.0,
        "images": len(records),
        "errors": sum(r["error"] is not None for r in records),
        "codes": sum(len(r["codes"]) for r in records),
        "texts": [sorted(c["text"] for c in r["codes"]) for r in records],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=24, help="photos (scenes of the photo suite)")
    ap.add_argument("--workers", default="2", help="comma-separated worker counts to compare with 1")
    ap.add_argument("--budget-ms", type=float, default=None, help="cascade budget per image (default: 800)")
    args = ap.parse_args()
    counts = [int(w) for w in args.workers.split(",") if w.strip()]

    load_deblurrer()  # the one-process pass runs with the model loaded
    with tempfile.TemporaryDirectory(prefix="workers-speedup-") as tmp:
        folder = Path(tmp)
        write_photos(folder, args.count)
        passes = [timed_pass(folder, 1, args.budget_ms)] + [timed_pass(folder, w, args.budget_ms) for w in counts]
    base = passes[0]
    print(f"{args.count} photos, budget {args.budget_ms or 800:.0f} ms per image")
    print(f"{'workers':>7} {'wall s':>7} {'images/s':>9} {'first s':>8} {'codes':>6} {'errors':>6} {'speed-up':>8}")
    for p in passes:
        rate = p["images"] / p["wall_s"]
        speedup = base["wall_s"] / p["wall_s"]
        print(
            f"{p['workers']:>7} {p['wall_s']:>7.1f} {rate:>9.2f} {p['first_s']:>8.1f} {p['codes']:>6} "
            f"{p['errors']:>6} {speedup:>7.2f}x"
        )
    same = all(p["texts"] == base["texts"] for p in passes)
    print(f"same texts read in every pass: {'yes' if same else 'no'}")


if __name__ == "__main__":
    main()
