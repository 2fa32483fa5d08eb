"""Compare cascade configurations on the ``photo`` suite, scene by scene, interleaved.

Usage: python docs/research/cascade_compare.py [--count 300] [--start 0] [--budget 800] [--out runs/x.csv]
Runs each named configuration (see ``CONFIGS``) on every scene in turn, so a machine load that
comes and goes affects all of them alike, and prints codes read and median ms per configuration.
Why: the photo bench runs one method over all scenes, then the next; cascade knobs change the
read count by a few codes, under the noise a changing load adds to budget-limited runs.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time

from qrdeblur.bench.photo import photo_suite
from qrdeblur.restore.deblurrer import Deblurrer, scan_model_path
from qrdeblur.scan import Cascade, CascadeConfig, load_deblurrer, to_grey
from qrdeblur.scan.cascade import ALT_STEPS, MAIN_STEPS, Step

INF = float("inf")
def _side(px: int) -> Step:
    """An alternative step: the generator on the crop scaled so the code is about ``px`` wide."""
    return Step("deblur-rescale", "deblur", "side", px, stretch=True)


# the session-11 alternative steps (ALT_STEPS), by name, for reordered variants
SIDE96, NATIVE, SIDE176, HALF, MODULE4 = ALT_STEPS
assert SIDE96 == _side(96) and SIDE176 == _side(176)
#: side 176 with a margin of 0.4 of the side instead of 0.15 (session 13)
SIDE176_WIDE = Step("deblur-rescale", "deblur", "side", 176, stretch=True, margin=0.4)
#: the alternative steps until session 11 (earlier configurations above ran with them)
S10_ALT_STEPS = (
    Step("deblur-rescale", "deblur", "native", 1.0, stretch=True),
    Step("deblur-rescale", "deblur", "native", 0.5),
    Step("deblur-rescale", "deblur", "native", 1.25),
    Step("deblur-2x", "deblur-2x", "native", 1.0),
    Step("deblur-rescale", "deblur", "module", 4.0),
)
# the session-10 follow-up and texture ranking (session 11 changed both)
S10_ALT = {"alt_steps": S10_ALT_STEPS}
S10_SEARCH = {"followup_blur_px": INF, "texture_coherence": INF, "alt_steps": S10_ALT_STEPS}
S10_GATES = {"grid_min_correlation": 0.85, "grid_variant_correlation": 0.9}
CONFIGS = {
    "session8": CascadeConfig(refine=False),
    "refine": CascadeConfig(),
    "followup200": CascadeConfig(followup_ms=200.0),
    "followup300": CascadeConfig(followup_ms=300.0),
    "session9": CascadeConfig(grid_versions=0),
    # session 10, as run (the correlation gates were 0.85 / 0.9 until the last comparison)
    "grid": CascadeConfig(grid_blur_variants=0, followup_grid_ms=0.0, **S10_GATES),
    "grid+finders": CascadeConfig(refine_finders=True, grid_blur_variants=0, followup_grid_ms=0.0, **S10_GATES),
    "grid+finders+variants": CascadeConfig(refine_finders=True, followup_grid_ms=0.0, **S10_GATES),
    "grid-no-variants": CascadeConfig(refine_finders=True, grid_blur_variants=0, followup_grid_ms=0.0, **S10_GATES),
    "grid-followup130": CascadeConfig(followup_grid_ms=0.0, **S10_GATES),
    "grid-followup600": CascadeConfig(followup_grid_ms=600.0, **S10_GATES),
    "grid-finders": CascadeConfig(refine_finders=True, **S10_GATES),
    "grid-gate0.8": CascadeConfig(grid_min_correlation=0.8, grid_variant_correlation=0.85, grid_refits=0),
    # session 11: the grid step refits the blur to its own solved modules (the follow-up as in session 10)
    "session10": CascadeConfig(grid_refits=0, **S10_SEARCH),
    "refit4": CascadeConfig(grid_refits=4, **S10_SEARCH),
    "refit6": CascadeConfig(grid_refits=6, **S10_SEARCH),
    "refit4-variants-refit2": CascadeConfig(grid_refits=4, grid_variant_refits=2, **S10_SEARCH),
    "refit4-variants2": CascadeConfig(grid_refits=4, grid_blur_variants=2, **S10_SEARCH),
    "refit4-finders": CascadeConfig(grid_refits=4, refine_finders=True, **S10_SEARCH),
    "followup-score0.2": CascadeConfig(followup_min_score=0.2, **S10_SEARCH),
    "followup250-score0.2": CascadeConfig(followup_ms=250.0, followup_min_score=0.2, **S10_SEARCH),
    # ... and a longer follow-up when the codes read raw are blurred (6 px and more)
    "blur-followup": CascadeConfig(texture_coherence=INF, followup_blurred_ms=250.0, **S10_ALT),
    "coherence0.7": CascadeConfig(texture_coherence=0.7, followup_blurred_ms=250.0, **S10_ALT),
    "coherence0.6": CascadeConfig(texture_coherence=0.6, followup_blurred_ms=250.0, **S10_ALT),
    "finders": CascadeConfig(refine_finders=True, grid_finder_search=0.0, followup_blurred_ms=250.0, **S10_ALT),
    "finders-search1": CascadeConfig(refine_finders=True, grid_finder_search=1.0, followup_blurred_ms=250.0, **S10_ALT),
    "budget900": CascadeConfig(followup_blurred_ms=250.0, **S10_ALT),
    "blurred400": CascadeConfig(followup_blurred_ms=400.0, **S10_ALT),
    "blur5px": CascadeConfig(followup_blur_px=5.0, followup_blurred_ms=250.0, **S10_ALT),
    "gate0.75": CascadeConfig(grid_min_correlation=0.75, grid_variant_correlation=0.8, **S10_ALT),
    "versions3": CascadeConfig(grid_versions=3, **S10_ALT),
    "no-alt": CascadeConfig(alt_steps=()),
    "candidates40": CascadeConfig(max_candidates=40, **S10_ALT),
    "finders11": CascadeConfig(refine_finders=True, **S10_ALT),
    "alt-sides": CascadeConfig(alt_steps=(NATIVE, SIDE96, SIDE176, HALF, MODULE4)),
    "alt-sides-both-first": CascadeConfig(alt_steps=(SIDE96, SIDE176, NATIVE, HALF, MODULE4)),
    "alt-sides-more": CascadeConfig(alt_steps=(SIDE96, NATIVE, SIDE176, _side(112), HALF, MODULE4)),
    "alt-sides-first": CascadeConfig(),  # the default
    "blurred800": CascadeConfig(followup_blurred_ms=800.0),
    "refits6": CascadeConfig(grid_refits=6),
    "binarizers3": CascadeConfig(crop_binarizers=("LocalAverage", "GlobalHistogram", "FixedThreshold")),
    # side 96 moved from the alternatives into the main pass, before the grid step
    "main-side96": CascadeConfig(main_steps=(*MAIN_STEPS[:-1], SIDE96, MAIN_STEPS[-1]), alt_steps=ALT_STEPS[1:]),
    # session 12: zxing-cpp on the contrast-equalised photo after the raw decode (default on)
    "session11": CascadeConfig(contrast_clip=0.0),
    "contrast": CascadeConfig(),
    "contrast2": CascadeConfig(contrast_clip=2.0),
    "blur-followup400": CascadeConfig(followup_blurred_ms=400.0, texture_coherence=INF),
    "blur-followup-5px": CascadeConfig(followup_blur_px=5.0, texture_coherence=INF, followup_blurred_ms=250.0),
    # session 13: what more time would read (the bound on what a second worker can add)
    "budget1200": CascadeConfig(),
    "budget1600": CascadeConfig(),
    "session12": CascadeConfig(grid_max_ms=float("inf"), texture_beside_detections=False),
    "gridcap": CascadeConfig(texture_beside_detections=False),
    "gridcap250": CascadeConfig(grid_max_ms=250.0),
    "session13": CascadeConfig(),
    "finders13": CascadeConfig(refine_finders=True),
    # session 13: larger restorations of the texture boxes, to locate the codes no detector outlines
    "alt224": CascadeConfig(alt_steps=(SIDE96, NATIVE, SIDE176, _side(224), HALF, MODULE4)),
    "alt176m": CascadeConfig(alt_steps=(SIDE96, NATIVE, SIDE176, SIDE176_WIDE, HALF, MODULE4)),
    "alt224-176m": CascadeConfig(alt_steps=(SIDE96, NATIVE, SIDE176, _side(224), SIDE176_WIDE, HALF, MODULE4)),
    "no-split": CascadeConfig(texture_split=0.0),
    "split": CascadeConfig(),
    "split-w1": CascadeConfig(texture_split=1.0),
    "versions3-13": CascadeConfig(grid_versions=3),
    "budget950-13": CascadeConfig(),
    "alt176m-only": CascadeConfig(alt_steps=(SIDE96, NATIVE, SIDE176_WIDE, HALF, MODULE4)),
    "alt176m-first": CascadeConfig(alt_steps=(SIDE96, SIDE176_WIDE, NATIVE, HALF, MODULE4)),
    "gridcap250-13": CascadeConfig(grid_max_ms=250.0),
    "workers1": CascadeConfig(workers=1),
    "workers2": CascadeConfig(workers=2),
    "workers2-ort1": CascadeConfig(workers=2),
    # session 15: more refits in a longer grid step, a wider short follow-up, a 1 s budget
    "session14": CascadeConfig(),
    "refits8-grid500": CascadeConfig(grid_refits=8, grid_max_ms=500.0),
    "s15-all": CascadeConfig(grid_refits=8, grid_max_ms=500.0, followup_min_score=0.2),
    "s15-all-1000": CascadeConfig(grid_refits=8, grid_max_ms=500.0, followup_min_score=0.2),
    "session14-1000": CascadeConfig(),
    "refits12-grid600-1000": CascadeConfig(grid_refits=12, grid_max_ms=600.0, followup_min_score=0.2),
    "s17-blur5": CascadeConfig(followup_blur_px=5.0),
    # session 18: Reed-Solomon erasure decoding of the grid step's least confident codewords
    "soft4": CascadeConfig(grid_soft_margin=4),
    "soft3": CascadeConfig(grid_soft_margin=3),
    "soft6": CascadeConfig(grid_soft_margin=6),
    # "s16-rereg-1000": s15-all-1000 with grid_reregister=True, at commit 7f58da1 (measured neutral)
}
#: configurations run with their own budget (ms) instead of ``--budget``
BUDGETS = {
    "budget900": 900.0,
    "budget1200": 1200.0,
    "budget1600": 1600.0,
    "budget950-13": 950.0,
    "s15-all-1000": 1000.0,
    "session14-1000": 1000.0,
    "refits12-grid600-1000": 1000.0,
}
#: configurations run with a generator of their own, with this many onnxruntime threads
ORT_THREADS = {"workers2-ort1": 1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--budget", type=float, default=800.0)
    parser.add_argument("--model", default=None)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--scenes", default=None, help="comma-separated scene indices (default: all)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    names = args.configs.split(",")
    deblurrer = load_deblurrer(args.model)
    path = args.model or scan_model_path()
    cascades = {
        n: Cascade(Deblurrer.load(path, ORT_THREADS[n]) if n in ORT_THREADS else deblurrer, CONFIGS[n]) for n in names
    }
    reads = {n: 0 for n in names}
    false = {n: 0 for n in names}  # texts read that are no payload of the scene
    ms: dict = {n: [] for n in names}
    easy_ms: dict = {n: [] for n in names}  # photos whose codes the raw decode reads completely
    rows = []
    total = 0
    items = photo_suite(args.count)[args.start :]
    if args.scenes:
        items = [items[int(i) - args.start] for i in args.scenes.split(",")]
    for item in items:
        grey = to_grey(item.image)
        total += len(item.codes)
        row = {"scene": item.meta["index"], "cell": item.cell, "codes": len(item.codes)}
        for n in names:
            t = time.perf_counter()
            found = {c.text: c.method for c in cascades[n].run(grey, BUDGETS.get(n, args.budget))}
            ms[n].append((time.perf_counter() - t) * 1000)
            if all(found.get(p) == "raw" for p in item.payloads):
                easy_ms[n].append(ms[n][-1])
            got = [p for p in item.payloads if p in found]
            reads[n] += len(got)
            false[n] += len(set(found) - set(item.payloads))
            row[n] = len(got)
            row[n + "_ms"] = round(ms[n][-1], 1)
            row[n + "_raw_all"] = int(all(found.get(p) == "raw" for p in item.payloads))
            row[n + "_methods"] = "|".join(found[p] for p in got)
        rows.append(row)
        print(item.meta["index"], " ".join(f"{n}={reads[n]}" for n in names), f"/{total}", flush=True)
    for n in names:
        easy = f"{statistics.median(easy_ms[n]):.0f} ms on {len(easy_ms[n])}" if easy_ms[n] else "-"
        print(
            f"{n:16s} {reads[n]}/{total} codes, {false[n]} false, median {statistics.median(ms[n]):.0f} ms per photo,"
            f" {easy} read raw"
        )
    if args.out:
        with open(args.out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)


if __name__ == "__main__":
    main()
