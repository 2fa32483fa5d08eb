"""Is it finding the codes or restoring them? ``photo`` codes with the true outline vs the cascade's candidates.

For every ``photo`` code: (a) whether one of the cascade's own candidates (the outlines its plain
reads located but could not decode, and the texture regions, with the cascade's locator settings)
matches it (contains its centre, side within 0.6-1.8x), and (b) whether the cascade's steps (main
then alternative, no time limit, each through ``Cascade.attempt``) read it when the candidate is the
code's true outline. Prints both by blur extent in modules, beside the plain reads (``raw``), and
writes one row per code (``--out``: the input of ``grid_solve_oracle.py``, ``photo_kernel_oracle.py``
and ``photo_module_errors.py``). The lost codes could be lost to the locator or to the restorers;
only the restorers are helped by training. With ``--grid-max-ms inf`` nothing depends on the host's
speed (the grid step otherwise stops after ``CascadeConfig.grid_max_ms`` per outline): a ceiling of
the restorers that holds on any machine. Run::

    python research/photo_oracle.py --count 300 --out runs/oracle.csv [--grid-max-ms inf] [--grid-refits 12]
"""

from __future__ import annotations

import argparse
import dataclasses
from collections import defaultdict

import numpy as np
from photo_breakdown import (  # a sibling research script
    BUCKET_NAMES,
    GROUPS,
    blur_extent,
    bucket,
    plain_reads,
    write_rows,
)

from qrdeblur.bench.suites.photo import photo_suite
from qrdeblur.geometry import quad_side
from qrdeblur.imageio import to_grey
from qrdeblur.scan import Cascade, CascadeConfig, load_deblurrer
from qrdeblur.scan.locate import Candidate, quad_contains, texture_candidates, zxing_candidates
from qrdeblur.scan.scene import Scene


def matches(cand: Candidate, corners) -> bool:
    """Does ``cand`` hold the code: its centre inside, its side within 0.6-1.8 of the code's?"""
    centre = np.mean(np.asarray(corners), axis=0)
    ratio = quad_side(cand.quad) / quad_side(corners)
    return quad_contains(cand.quad, centre) and 0.6 <= ratio <= 1.8


def oracle_step(cascade: Cascade, grey: np.ndarray, corners, payload: str) -> str:
    """The first step (``method@scale factor``) that reads ``payload`` on the code's true outline, or ''."""
    cand = Candidate(np.asarray(corners, dtype=np.float64), "oracle", 1.0, True)
    scene = Scene(grey, cascade.config, cascade.deblurrer)
    for step in cascade.config.main_steps + cascade.config.alt_steps:
        cascade.attempt(scene, cand, step)
        if any(c.text == payload for c in scene.codes):
            return f"{step.method}@{step.scale}{step.factor:g}"
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="scenes of the photo suite")
    parser.add_argument("--start", type=int, default=0, help="first scene")
    parser.add_argument("--model", default=None, help="generator (.onnx); default: the shipped scan generator")
    parser.add_argument("--out", default=None, help="CSV, one row per code")
    parser.add_argument("--grid-max-ms", type=float, default=None, help="a grid step's cap per outline (inf: none)")
    parser.add_argument("--grid-refits", type=int, default=None, help="blur refits per grid solve")
    args = parser.parse_args()
    overrides = {}
    if args.grid_max_ms is not None:
        overrides["grid_max_ms"] = args.grid_max_ms
    if args.grid_refits is not None:
        overrides["grid_refits"] = args.grid_refits
    cfg = dataclasses.replace(CascadeConfig(), **overrides)
    cascade = Cascade(load_deblurrer(args.model), cfg)
    rows = []
    for item in photo_suite(args.count)[args.start :]:
        grey = to_grey(item.image)
        raw, failed = plain_reads(item.image, grey, cfg)
        texture = texture_candidates(grey, cfg.max_candidates, cfg.texture_coherence, cfg.texture_split)
        cands = zxing_candidates(failed) + texture
        extent = blur_extent(item.meta)
        for code in item.codes:
            found = [i for i, c in enumerate(cands) if matches(c, code.corners)]
            step = "raw" if code.payload in raw else oracle_step(cascade, grey, code.corners, code.payload)
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
                    "oracle": int(bool(step)),
                    "oracle_step": step,
                }
            )
        print(item.meta["index"], sum(r["oracle"] for r in rows), len(rows), flush=True)
    if args.out and rows:
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
        "totals: raw", sum(r["raw"] for r in rows),
        "located", sum(r["located"] or r["raw"] for r in rows),
        "oracle", sum(r["oracle"] for r in rows),
        "of", len(rows),
    )


if __name__ == "__main__":
    main()
