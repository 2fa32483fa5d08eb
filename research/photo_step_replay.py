"""Replay the scan cascade's policy (budget, follow-up rule, candidate order) on the recorded outcomes.

Prints the union of everything recorded, the current policy's count, each variant's new codes; the
greedy search over orders is in the session-3 notes (``docs/research/README.md``).

Run after ``photo_step_record.py``: ``python docs/research/photo_step_replay.py``.
"""

import glob
import pickle

import numpy as np

data = []
for f in sorted(glob.glob("/tmp/photo_steps_*.pkl")):
    data += pickle.load(open(f, "rb"))
seen = {}
for d in data:
    seen[d["i"]] = d
data = [seen[k] for k in sorted(seen)]
NAMES = [
    "rect",
    "sharp",
    "m3",
    "s128",
    "n1",
    "n.5",
    "n1.25",
    "2x",
    "m4",
    "m2.5",
    "m3.5",
    "m2",
    "s96",
    "s160",
    "n.75",
    "Nm3",
    "Ns128",
    "Nn1",
    "sm3",
]


def replay_photo(d, main, alt, budget, followup, min_score, scale, max_c) -> int:
    """Codes the cascade policy reads in one recorded photo."""
    got = set(d["raw"] & d["want"])
    if d["want"] <= d["raw"]:
        return len(got)
    el = d["raw_ms"] + d["loc_ms"]
    deadline = budget
    cands = d["cands"][:max_c]
    if got:
        deadline = min(budget, followup)
        cands = [c for c in cands if c["score"] >= min_score or c["score"] == 1.0]
    reach = [set().union(*[r[0] for r in c["res"]]) for c in cands]

    def run(pairs):
        nonlocal el
        for si, ci in pairs:
            if el >= deadline:
                return False
            if reach[ci] & got:
                continue
            ok, _bad, ms = cands[ci]["res"][si]
            el += ms * scale
            got.update(ok)
        return True

    if run([(s, c) for c in range(len(cands)) for s in main]):
        run([(s, c) for s in alt for c in range(len(cands))])
    return len(got)


def simulate(main, alt, budget=800.0, followup=130.0, min_score=0.4, scale=1.0, max_c=14):
    """Codes read over all recorded photos with main steps ``main`` and alternatives ``alt``."""
    return sum(replay_photo(d, main, alt, budget, followup, min_score, scale, max_c) for d in data)


def union_all():
    return sum(
        len(
            d["want"]
            & (d["raw"] | set().union(*[set().union(*[r[0] for r in c["res"]]) for c in d["cands"]] or [set()]))
        )
        for d in data
    )


if __name__ == "__main__":
    print(
        "photos",
        len(data),
        "codes",
        sum(len(d["want"]) for d in data),
        "raw",
        sum(len(d["raw"] & d["want"]) for d in data),
    )
    print("union of everything recorded", union_all())
    cur = simulate([0, 1, 2, 3], [4, 5, 6, 7, 8])
    print(
        "session-2 steps (no stretch)",
        cur,
        "| no budget",
        simulate([0, 1, 2, 3], [4, 5, 6, 7, 8], budget=1e9, followup=1e9),
    )
    # per-step alone reach
    for s, n in enumerate(NAMES):
        cnt = sum(
            len(d["want"] & set().union(*[c["res"][s][0] for c in d["cands"]] or [set()]) - d["raw"]) for d in data
        )
        ms = np.median([c["res"][s][2] for d in data for c in d["cands"]] or [0])
        print(f"{n:6s} new codes {cnt:4d}  median ms {ms:.1f}")
