"""Replay scan cascade policies (budget, follow-up rule, candidate and step order) on recorded step outcomes.

Reads the pickles ``photo_step_record.py`` writes and replays, photo by photo, a cascade policy on
what each (candidate, step) pair read and how long it took: the main steps over each candidate in
turn, then the alternative steps one at a time over every candidate, skipping candidates whose code
was already read, until the budget; after a plain read that read a code, only until ``--followup`` ms
over candidates scoring ``--min-score`` (detector outlines always). Prints the photos, codes and
plain reads, the union of everything recorded (the ceiling of any policy over these steps), the
recorded configuration's policy with and without a budget, the policy with ``--main``/``--alt``, and
per step alone the codes it adds to the plain reads and its median ms. No package import: it only
reads the pickles. Run::

    python research/photo_step_replay.py runs/photo_steps_*.pkl --budget 800 --alt deblur:side96+s,deblur:module4
"""

from __future__ import annotations

import argparse
import pickle

import numpy as np


def load(paths: list[str]) -> tuple[list[str], list[str], list[str], list[dict]]:
    """(step names, main step names, alternative step names, photos by index) from recorded pickles."""
    steps, main, alt, seen = None, None, None, {}
    for path in paths:
        with open(path, "rb") as f:
            data = pickle.load(f)
        if steps is not None and data["steps"] != steps:
            raise SystemExit(f"{path}: recorded with other steps than the first file")
        steps, main, alt = data["steps"], data["main"], data["alt"]
        seen.update({d["i"]: d for d in data["photos"]})
    if steps is None:
        raise SystemExit("no recording given")
    return steps, main, alt, [seen[k] for k in sorted(seen)]


def replay_photo(d: dict, main: list[int], alt: list[int], budget: float, followup: float, min_score: float,
                 scale: float, max_candidates: int) -> int:
    """Codes the policy reads in one recorded photo (step indices ``main`` and ``alt``)."""
    got = set(d["raw"] & d["want"])
    if d["want"] <= d["raw"]:
        return len(got)
    elapsed = d["raw_ms"] + d["loc_ms"]
    deadline = budget
    cands = d["cands"][:max_candidates]
    if got:
        deadline = min(budget, followup)
        cands = [c for c in cands if c["exact"] or c["score"] >= min_score]
    reach = [set().union(*[r[0] for r in c["res"]]) for c in cands]

    def run(pairs) -> bool:
        nonlocal elapsed
        for s, c in pairs:
            if elapsed >= deadline:
                return False
            if reach[c] & got:  # the candidate's code is read: the cascade skips it
                continue
            ok, _false, ms = cands[c]["res"][s]
            elapsed += ms * scale
            got.update(ok)
        return True

    if run([(s, c) for c in range(len(cands)) for s in main]):
        run([(s, c) for s in alt for c in range(len(cands))])
    return len(got)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recordings", nargs="+", help="photo_step_record.py pickles")
    parser.add_argument("--budget", type=float, default=800.0, help="ms per photo")
    parser.add_argument("--followup", type=float, default=130.0, help="deadline (ms) after a plain read read a code")
    parser.add_argument("--min-score", type=float, default=0.4, help="texture score a follow-up candidate needs")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every recorded step time (a slower host)")
    parser.add_argument("--candidates", type=int, default=14, help="candidates per photo")
    parser.add_argument("--main", default=None, help="comma-separated main step names (default: as recorded)")
    parser.add_argument("--alt", default=None, help="comma-separated alternative step names (default: as recorded)")
    args = parser.parse_args()
    steps, main, alt, data = load(args.recordings)

    def indices(names: list[str]) -> list[int]:
        unknown = [n for n in names if n not in steps]
        if unknown:
            parser.error(f"unknown steps {unknown}; recorded: {', '.join(steps)}")
        return [steps.index(n) for n in names]

    def simulate(main_names, alt_names, budget=args.budget, followup=args.followup) -> int:
        m, a = indices(main_names), indices(alt_names)
        return sum(replay_photo(d, m, a, budget, followup, args.min_score, args.scale, args.candidates) for d in data)

    print("photos", len(data), "codes", sum(len(d["want"]) for d in data),
          "plain reads", sum(len(d["raw"] & d["want"]) for d in data))
    union = sum(
        len(d["want"] & (d["raw"] | set().union(*[r[0] for c in d["cands"] for r in c["res"]])))
        for d in data
    )
    print("union of everything recorded", union)
    print("recorded configuration's policy", simulate(main, alt), "| no budget", simulate(main, alt, 1e9, 1e9))
    if args.main or args.alt:
        m = args.main.split(",") if args.main else main
        a = args.alt.split(",") if args.alt else alt
        print(f"policy main={m} alt={a}:", simulate(m, a))
    for s, name in enumerate(steps):
        new = sum(len(d["want"] & set().union(*[c["res"][s][0] for c in d["cands"]]) - d["raw"]) for d in data)
        ms = np.median([c["res"][s][2] for d in data for c in d["cands"]] or [0])
        print(f"{name:28s} new codes {new:4d}  median ms {ms:.1f}")


if __name__ == "__main__":
    main()
