"""Codes read on a few scenes of the ``photo`` suite by several scene methods, in one process.

Runs the given ``scene`` bench methods (as in ``qrdeblur bench --suite photo``: ``zxing-only``,
``opencv``, ``scan``, ``scan:MODEL``) through the bench runner on scenes ``--start`` to
``--start + --count`` of the suite, and prints per method and cell the codes read, the median ms per
photo and the false reads, then the runner's summary lines. A quick check while a model trains: a
prefix of the suite is the suite, so the full bench run supersedes it. Run::

    python research/photo_subset.py --count 60 zxing-only scan scan:runs/x.onnx
"""

from __future__ import annotations

import argparse

from qrdeblur.bench.runner import run_bench
from qrdeblur.bench.suites.photo import photo_suite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("methods", nargs="+", help="scene bench methods, e.g. zxing-only scan scan:runs/x.onnx")
    parser.add_argument("--count", type=int, default=60, help="scenes")
    parser.add_argument("--start", type=int, default=0, help="first scene")
    args = parser.parse_args()
    items = photo_suite(args.start + args.count)[args.start :]
    result = run_bench("photo", args.methods, progress=False, items=items)
    for row in [*result.rows, *result.totals.values()]:
        print(f"{row.method:40s} {row.cell:9s} {row.decoded:4d}/{row.n:4d} "
              f"median {row.ms_per_image:.0f} ms, false {row.extra.get('false_reads', 0)}")
    for note in result.notes:
        print(note)


if __name__ == "__main__":
    main()
