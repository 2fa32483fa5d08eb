"""Codes read on the first COUNT scenes of the ``photo`` suite by several methods, in one process.

Usage: python docs/research/photo_subset.py [--count 60] METHOD [METHOD ...]
(methods as in ``qrdeblur bench --suite photo``, e.g. ``zxing-only scan scan:runs/x.onnx``). A quick
check while a model trains; the suite's prefix is the suite, so the full run supersedes it.
"""

from __future__ import annotations

import argparse

from qrdeblur.bench.photo import photo_suite, run_photo_bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("methods", nargs="+")
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--start", type=int, default=0)
    args = parser.parse_args()
    items = photo_suite(args.start + args.count)[args.start :]
    for row in run_photo_bench(args.methods, progress=False, items=items):
        print(f"{row['method']:40s} {row['cell']:9s} {row['decoded']:4d}/{row['n']:4d} "
              f"median {row['ms_per_image']:.0f} ms, false {row['false_reads']}")


if __name__ == "__main__":
    main()
