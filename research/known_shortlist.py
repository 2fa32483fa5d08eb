"""Identification among 100 known codes under variants of :class:`qrdeblur.identify.MatchConfig`, on
the ``known`` suite's heavy cells drawn on another seed.

Per scene, :func:`qrdeblur.identify.identify` (refusal on) on the scene's first texture candidate,
with the scene's code on a list of ``--size`` codes (present) and with it replaced by another code
(absent), for each variant (``--variants``: ``;``-separated, each ``field=value,...`` or ``base``).
Prints per cell and variant: identified right and wrong, and wrong identifications when absent.

    python research/known_shortlist.py --items 96 --variants "base;shortlist=20"
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from known_ceilings import scenes  # noqa: E402

from qrdeblur.identify import KnownCodes, MatchConfig, identify  # noqa: E402
from qrdeblur.scan.locate import texture_candidates  # noqa: E402
from qrdeblur.synth.reserved import known_distractors  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=96)
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--variants", default="base;shortlist=20")
    ap.add_argument("--cells", default="motion 7-10,shake 7-10,defocus 2-4")
    args = ap.parse_args()
    cells = args.cells.split(",")
    pool = known_distractors()
    base = KnownCodes(pool[: args.size - 1])
    configs = {}
    for spec in args.variants.split(";"):
        fields = {} if spec == "base" else {k: float(v) if "." in v else int(v)
                                            for k, v in (f.split("=") for f in spec.split(","))}
        configs[spec] = dataclasses.replace(MatchConfig(), **fields)
    counts = defaultdict(lambda: defaultdict(int))
    ms = defaultdict(list)
    for i, cell, text, item in scenes(args.items, args.seed, cells):
        present, absent = base.extended([text]), base.extended([pool[5000 + i]])
        quad = texture_candidates(item.image, 24, 0.7, 0.8)[0].quad
        line = []
        for r, cfg in configs.items():
            t = time.perf_counter()
            m = identify(item.image, quad, present, cfg)
            ms[r].append((time.perf_counter() - t) * 1000)
            a = identify(item.image, quad, absent, cfg)
            c = counts[(cell, r)]
            c["scenes"] += 1
            c["right"] += m is not None and m.text == text
            c["wrong"] += m is not None and m.text != text
            c["absent wrong"] += a is not None
            line.append(f"{r}: {'-' if m is None else ('ok' if m.text == text else 'WRONG')}")
        print(f"{i:4d} {cell:12s} " + "  ".join(line), flush=True)
    for (cell, r), c in sorted(counts.items()):
        print(f"{cell:12s} {r}: {dict(c)}")
    for r, v in ms.items():
        print(f"{r}: median {sorted(v)[len(v) // 2]:.0f} ms per identification (present)")


if __name__ == "__main__":
    main()
