"""Is it finding the codes or restoring them? ``photo`` codes with the true outline vs the cascade's.

Usage: python docs/research/photo_oracle.py [--count 300] [--model PATH] [--out runs/x.csv]
           [--grid-max-ms inf] [--grid-refits 12]
For every ``photo`` code: (a) whether one of the cascade's own candidates (zxing-cpp's failed
detections and every texture region) matches it (contains its centre, side within 0.6-1.8x), and
(b) whether the cascade's steps (main and alternative, no time limit) read it when the candidate is
the code's true outline. Prints both by blur extent in modules, beside zxing-only.
Why: the photo suite's lost codes could be lost to the locator or to the restorer; only the
restorer is helped by training. With ``--grid-max-ms inf`` nothing in it depends on the host's speed
(the cascade's grid step otherwise stops after 350 ms per outline): a ceiling of the restorers that
holds on any machine.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np
from photo_breakdown import BUCKET_NAMES, GROUPS, blur_extent, bucket, write_rows

from qrdeblur.bench.photo import photo_suite
from qrdeblur.scan import Cascade, CascadeConfig, load_deblurrer, locate, to_grey
from qrdeblur.geometry import quad_side


def matches(cand: locate.Candidate, corners) -> bool:
    centre = np.mean(np.asarray(corners), axis=0)
    ratio = quad_side(cand.quad) / quad_side(corners)
    return locate.quad_contains(cand.quad, centre) and 0.6 <= ratio <= 1.8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--model", default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument("--grid-max-ms", type=float, default=None, help="a grid step's cap per outline (inf: none)")
    parser.add_argument("--grid-refits", type=int, default=None, help="blur refits per grid solve")
    args = parser.parse_args()
    overrides = {}
    if args.grid_max_ms is not None:
        overrides["grid_max_ms"] = args.grid_max_ms
    if args.grid_refits is not None:
        overrides["grid_refits"] = args.grid_refits
    cascade = Cascade(load_deblurrer(args.model), CascadeConfig(**overrides))
    steps = cascade.config.main_steps + cascade.config.alt_steps
    rows = []
    for item in photo_suite(args.count)[args.start :]:
        grey = to_grey(item.image)
        ok, failed = cascade.reader.read(grey, errors=True)
        raw = {bc.text for bc, _ in ok}
        cands = locate.zxing_candidates(failed) + locate.texture_candidates(grey, cascade.config.max_candidates)
        extent = blur_extent(item.meta)
        for code in item.codes:
            found = [i for i, c in enumerate(cands) if matches(c, code.corners)]
            oracle_step = ""
            if code.payload in raw:
                oracle_step = "raw"
            else:
                cand = locate.Candidate(np.asarray(code.corners, dtype=np.float64), "oracle", 1.0, True)
                cache: dict = {}
                for step in steps:
                    got: list = []
                    cascade._attempt(grey, cand, step, got, cache)
                    if any(c.text == code.payload for c in got):
                        oracle_step = step.method + f"@{step.scale}{step.factor:g}"
                        break
            rows.append(
                {
                    "scene": item.meta["index"],
                    "cell": item.cell,
                    "blur": item.meta["blur"],
                    "extent_modules": round(extent / code.module_px, 2),
                    "module_px": round(code.module_px, 2),
                    "version": code.version,
                    "raw": int(code.payload in raw),
                    "located": int(bool(found)),
                    "first_match_rank": found[0] if found else -1,
                    "oracle": int(bool(oracle_step)),
                    "oracle_step": oracle_step,
                }
            )
        print(item.meta["index"], sum(r["oracle"] for r in rows), len(rows), flush=True)
    if args.out:
        write_rows(rows, args.out)
    table: dict = defaultdict(lambda: np.zeros(4, int))
    for r in rows:
        b = bucket(r["extent_modules"])
        for g in ("all", r["blur"], r["cell"]):
            table[(g, b)] += [r["raw"], r["located"] or r["raw"], r["oracle"], 1]
    for col, what in ((0, "raw"), (1, "located"), (2, "oracle")):
        print(f"-- {what} (by blur extent in modules)")
        for g in GROUPS:
            print(f"{g:10s} " + " ".join(f"{table[(g, n)][col]:4d}/{table[(g, n)][3]:<5d}" for n in BUCKET_NAMES))
    print(
        "totals: raw",
        sum(r["raw"] for r in rows),
        "located",
        sum(r["located"] or r["raw"] for r in rows),
        "oracle",
        sum(r["oracle"] for r in rows),
        "of",
        len(rows),
    )


if __name__ == "__main__":
    main()
