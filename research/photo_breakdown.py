"""Which ``photo`` codes a method reads, by cell, blur kind and blur size in modules.

Usage: python docs/research/photo_breakdown.py [--method scan] [--count 300] [--out runs/x.csv]
Writes one row per code (scene, cell, blur kind, blur extent in photo px and in modules, module px,
version, ECC, read or not) and prints the read rates grouped by cell x blur-in-modules bucket.
Why: to see which codes the restorer loses and whether they are plausibly recoverable at all.
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict

from qrdeblur.bench.photo import photo_reader, photo_suite


def blur_extent(meta: dict) -> float:
    """A rough blur width in photo pixels (motion/shake length, disk diameter, 2.5 sigma)."""
    kind = meta["blur"]
    if kind == "motion":
        return meta["motion_length"]
    if kind == "shake":
        return meta["shake_length"]
    if kind == "defocus":
        return 2 * meta["disk_radius"]
    return 2.5 * meta["gaussian_sigma"]


BUCKETS = (0, 1, 2, 3, 4, 6, 100)
BUCKET_NAMES = [f"{lo}-{hi}" for lo, hi in zip(BUCKETS, BUCKETS[1:], strict=False)]
GROUPS = ("mild", "moderate", "severe", "motion", "shake", "defocus", "gaussian", "all")


def bucket(extent_modules: float) -> str:
    """The blur-extent bucket name (modules) of a code, e.g. ``2-3``."""
    return next(f"{lo}-{hi}" for lo, hi in zip(BUCKETS, BUCKETS[1:], strict=False) if extent_modules < hi)


def write_rows(rows: list[dict], path: str) -> None:
    """One CSV row per code."""
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="scan")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    reader = photo_reader(args.method)
    rows = []
    for item in photo_suite(args.count):
        texts = reader(item.image)
        extent = blur_extent(item.meta)
        for code in item.codes:
            rows.append({
                "scene": item.meta["index"], "cell": item.cell, "blur": item.meta["blur"],
                "extent_px": round(extent, 2), "module_px": round(code.module_px, 2),
                "extent_modules": round(extent / code.module_px, 2), "version": code.version,
                "ecc": code.ecc, "read": int(code.payload in texts),
            })
    if args.out:
        write_rows(rows, args.out)
    table: dict = defaultdict(lambda: [0, 0])
    for r in rows:
        b = bucket(r["extent_modules"])
        for key in ((r["cell"], b), ("all", b), (r["blur"], b)):
            table[key][0] += r["read"]
            table[key][1] += 1
    print(f"{'group':10s} " + " ".join(f"{n:>10s}" for n in BUCKET_NAMES) + "   (read/n by blur extent in modules)")
    for g in GROUPS:
        print(f"{g:10s} " + " ".join(f"{table[(g, n)][0]:4d}/{table[(g, n)][1]:<5d}" for n in BUCKET_NAMES))
    print(f"total {sum(r['read'] for r in rows)}/{len(rows)}")


if __name__ == "__main__":
    main()
