"""How the refusal rule of ``identify`` was chosen: scores of the best and the runner-up code, with the
photo's code on a list of N and without it, on a draw of ``known`` items outside the suite's seed.

For every item the best-scoring code is recorded whatever the rule says (``min_score`` 0, ratio
unbounded), once with the code on the list and once without, on the item's first texture candidate
(what ``scan`` tries first). Printed: per rule (min score S, residual ratio R) how many listed codes it
accepts and how many wrong identifications it would make (a wrong best accepted, with or without the
code on the list). Usage:

    python research/known_calibration.py --items 180 --size 100 --seed 4242
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from qrdeblur.bench.suites.known import CELLS, known_item
from qrdeblur.identify import KnownCodes, MatchConfig, identify
from qrdeblur.scan.locate import texture_candidates
from qrdeblur.synth.reserved import known_distractors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=180)
    ap.add_argument("--size", type=int, default=100, help="list size")
    ap.add_argument("--seed", type=int, default=4242, help="item seed (the suite's is 80800)")
    ap.add_argument("--out", default=None, help="write the records here (JSON lines)")
    args = ap.parse_args()
    others = known_distractors()
    # the photos' codes: distractors past those the lists use, so no list holds them by accident
    texts = others[args.size : args.size + args.items] if args.size + args.items <= len(others) else None
    if texts is None:
        raise SystemExit(f"--size + --items must be at most {len(others)}")
    lists = others[: args.size]
    base, absent = KnownCodes(lists[: args.size - 1]), KnownCodes(lists)
    loose = MatchConfig(min_score=0.0, max_residual_ratio=1e9)
    records = []
    for i, text in enumerate(texts):
        item = known_item(i, args.seed, text)
        cands = texture_candidates(item.image, 24, 0.7, 0.8)
        if not cands:
            continue
        for listed, known in ((True, base.extended([text])), (False, absent)):
            m = identify(item.image, cands[0].quad, known, loose)
            if m is not None:
                records.append({"cell": item.cell, "listed": listed, "right": m.text == text,
                                "score": m.score, "runner": m.runner_up})
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in records)
    print(f"{args.items} items x 2 trials, list of {args.size}, seed {args.seed}")
    print("  S     R     listed codes accepted (of items)   wrong accepted   closest wrong (ratio / R)")
    for s in (0.5, 0.55, 0.6, 0.65):
        for r in (0.5, 0.55, 0.6, 0.65, 0.7):
            ok = wrong = 0
            closest = np.inf
            for rec in records:
                ratio = (1 - rec["score"]) / max(1e-9, 1 - rec["runner"])
                accept = rec["score"] >= s and ratio <= r
                if rec["listed"] and rec["right"]:
                    ok += accept
                else:
                    wrong += accept
                    if rec["score"] >= s:
                        closest = min(closest, ratio / r)
            print(f"  {s:.2f}  {r:.2f}  {ok:5d}                                {wrong:5d}            {closest:.2f}")
    for cell in CELLS:
        cell_recs = [r for r in records if r["cell"] == cell and r["listed"]]
        right = sum(r["right"] for r in cell_recs)
        print(f"  {cell}: best is the code in {right} of {len(cell_recs)}")


if __name__ == "__main__":
    main()
