"""Which ``photo`` codes a scene reader reads, by cell, blur kind and blur extent in modules.

Reads the first ``--count`` scenes of the ``photo`` bench suite with one ``scene`` bench method
(``scan``, ``scan:MODEL``, ``zxing-only``, ``opencv``), writes one row per code (scene, cell, blur
kind, blur extent in photo px and in modules, module px, version, ECC, read or not) and prints the
read rates by cell and blur kind x blur-extent bucket: which codes a reader loses, and whether they
are plausibly recoverable at all. The other photo scripts here import its helpers (blur extent,
buckets, the true PSF, the plain reads, CSV rows). Run::

    python research/photo_breakdown.py --method scan --count 300 --out runs/breakdown.csv
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict

import numpy as np

BUCKETS = (0, 1, 2, 3, 4, 6, 100)
BUCKET_NAMES = [f"{lo}-{hi}" for lo, hi in zip(BUCKETS, BUCKETS[1:], strict=False)]
GROUPS = ("mild", "moderate", "severe", "motion", "shake", "defocus", "gaussian", "all")


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


def bucket(extent_modules: float) -> str:
    """The blur-extent bucket name (modules) of a code, e.g. ``2-3``."""
    return next(f"{lo}-{hi}" for lo, hi in zip(BUCKETS, BUCKETS[1:], strict=False) if extent_modules < hi)


def true_psf(meta: dict) -> np.ndarray | None:
    """A scene's PSF in photo pixels, rebuilt from its metadata (lens softness included); None for a
    camera shake, whose random path the metadata does not hold."""
    from qrdeblur.synth import kernels

    makers = {
        "motion": lambda: kernels.motion(meta["motion_length"], meta["motion_angle"]),
        "defocus": lambda: kernels.disk(meta["disk_radius"]),
        "gaussian": lambda: kernels.gaussian(meta["gaussian_sigma"]),
    }
    if meta["blur"] not in makers:
        return None
    return kernels.compose(makers[meta["blur"]](), kernels.gaussian(meta["lens_sigma"]))


def plain_reads(image: np.ndarray, grey: np.ndarray, config=None) -> tuple[set[str], list]:
    """What the cascade's plain reads give a photo: (texts read, outlines zxing-cpp located but could not
    decode, none twice), observed on a cascade run with no time for anything else (``budget_ms=0``)."""
    from qrdeblur.scan import Cascade
    from qrdeblur.scan.locate import same_place

    attempts: list = []
    codes = Cascade(None, config, observer=attempts.append).run(grey, 0.0, image=image)
    failed: list = []
    for attempt in attempts:
        if attempt.candidate is None:  # the whole-image reads
            failed += [q for q in attempt.outlines if not any(same_place(q, f) for f in failed)]
    return {c.text for c in codes}, failed


def write_rows(rows: list[dict], path: str) -> None:
    """One CSV row per code."""
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def rows_by_scene(path: str) -> dict[int, list[dict]]:
    """The rows of a per-code CSV (this script's or ``photo_oracle.py``'s), by scene index, in code order."""
    by_scene: dict[int, list[dict]] = defaultdict(list)
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            by_scene[int(r["scene"])].append(r)
    return by_scene


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="scan", help="a scene bench method: scan, scan:MODEL, zxing-only, opencv")
    parser.add_argument("--count", type=int, default=300, help="scenes of the photo suite (its first ones)")
    parser.add_argument("--out", default=None, help="CSV, one row per code")
    args = parser.parse_args()

    from qrdeblur.bench.methods import get_method
    from qrdeblur.bench.suites.photo import photo_suite

    reader = get_method(args.method, kind="scene")
    rows = []
    for item in photo_suite(args.count):
        texts = reader.read(item.image)
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
