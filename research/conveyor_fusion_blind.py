"""Multi-frame fusion (:mod:`qrdeblur.scan.fuse`) on the ``conveyor`` suite's codes, blind but for where
the code is: the region is the code's true bounding box in the reference frame (``--box truth``) or the
texture candidate nearest it (``--box texture``); the motion and the blur are found by the fusion.
Every in-view frame with at least 3 in-view frames before it is a reference; a code counts when any
stack of it reads. Prints codes read per cell, and any text that is not a code of the sequence.

    python research/conveyor_fusion_blind.py --per-cell 6 --cells 3-5,5-7,7-10
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from conveyor_fusion_ceiling import frames_of  # noqa: E402

from qrdeblur.bench.suites.conveyor import conveyor_suite  # noqa: E402
from qrdeblur.scan.fuse import fuse, read_stack  # noqa: E402
from qrdeblur.scan.locate import texture_candidates  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-cell", type=int, default=6)
    ap.add_argument("--cells", default="3-5,5-7,7-10")
    ap.add_argument("--box", choices=("truth", "texture"), default="truth")
    ap.add_argument("--every", type=int, default=2)
    a = ap.parse_args()
    cells = a.cells.split(",")
    count = defaultdict(lambda: defaultdict(int))
    wrong = []
    ms = []
    for it in conveyor_suite(per_cell=a.per_cell):
        if it.cell not in cells:
            continue
        frames = frames_of(it.path)
        h, w = frames[0].shape
        for code in it.codes:
            count[it.cell]["codes"] += 1
            view = np.nonzero(code.in_view((h, w)))[0]
            got = set()
            for ref in view[3 :: a.every]:
                if a.box == "truth":
                    x0, y0 = np.floor(code.corners[ref].min(0)).astype(int) - 2
                    x1, y1 = np.ceil(code.corners[ref].max(0)).astype(int) + 2
                else:
                    c = code.corners[ref].mean(0)
                    cands = texture_candidates(frames[ref])[:8]
                    if not cands:
                        continue
                    cand = min(cands, key=lambda k: np.linalg.norm(np.asarray(k.quad).mean(0) - c))
                    x0, y0 = np.floor(np.asarray(cand.quad).min(0)).astype(int)
                    x1, y1 = np.ceil(np.asarray(cand.quad).max(0)).astype(int)
                box = (max(0, x0), max(0, y0), min(w, x1), min(h, y1))
                seq = [(n, frames[n]) for n in range(max(0, ref - 7), ref + 1)]
                t = time.perf_counter()
                stack = fuse(seq, box)
                if stack is None:
                    count[it.cell]["no stack"] += 1
                    continue
                texts = {c.text for c in read_stack(stack)}
                ms.append((time.perf_counter() - t) * 1000)
                wrong += [(it.path.name, x) for x in texts - set(it.payloads)]
                got |= texts
                if code.payload in got:
                    break
            count[it.cell]["read"] += code.payload in got
            print(it.cell, code.version, it.meta["module_px"], it.meta["blur_modules"], "read", code.payload in got,
                  flush=True)
    for cell in cells:
        print(cell, dict(count[cell]))
    print("wrong", wrong, "median ms per stack", np.median(ms) if ms else None)


if __name__ == "__main__":
    main()
