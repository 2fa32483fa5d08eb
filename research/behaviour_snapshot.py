"""A behaviour snapshot of ``scan``, to show that a change to the code left what it reads unchanged.

Writes, into OUT: ``blackbox-FOLDER.json`` (``qrdeblur scan FOLDER --json`` on each of ZXing's blackbox
folders, the ``ms`` field dropped), and ``photo-subset.json`` (for each ``photo`` scene, the codes read and
the step that read each, with every time limit of the cascade lifted, so the result does not depend on
the machine's speed). Run it before and after a change and compare the files (``diff``, or load them).

Run: python research/behaviour_snapshot.py OUT [--root BLACKBOX] [--scenes 300] [--only blackbox|photo]
(``--root`` defaults to the environment variable QRDEBLUR_BLACKBOX; without either the blackbox part is
skipped.)
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path


def blackbox(root: Path, out: Path) -> None:
    for folder in sorted(root.glob("qrcode-*")):
        run = subprocess.run(
            [sys.executable, "-m", "qrdeblur.cli", "scan", str(folder), "--json"], capture_output=True, text=True
        )
        records = []
        for line in run.stdout.splitlines():
            record = json.loads(line)
            record.pop("ms", None)
            records.append(record)
        records.sort(key=lambda r: r["path"])
        lines = "\n".join(json.dumps(r, sort_keys=True) for r in records)
        (out / f"blackbox-{folder.name}.json").write_text(lines + "\n")
        print(folder.name, len(records), "images", sum(len(r["codes"]) for r in records), "codes", flush=True)


def photo(scenes: int, out: Path) -> None:
    import qrdeblur
    from qrdeblur.bench.suites.photo import photo_suite
    from qrdeblur.scan import CascadeConfig

    lifted = CascadeConfig(
        followup_ms=math.inf, followup_grid_ms=math.inf, followup_blurred_ms=math.inf, grid_max_ms=math.inf
    )
    items = photo_suite(300)[:scenes]
    result, read, total = {}, 0, 0
    t0 = time.perf_counter()
    for k, item in enumerate(items):
        codes = qrdeblur.scan(item.image, budget_ms=1e9, config=lifted)
        result[k] = sorted((c.text, c.method) for c in codes)
        read += len(set(item.payloads) & {c.text for c in codes})
        total += len(item.payloads)
    (out / "photo-subset.json").write_text(json.dumps(result, indent=0, sort_keys=True))
    print(f"photo: {read}/{total} codes in {len(items)} scenes, {time.perf_counter() - t0:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--root", type=Path, default=os.environ.get("QRDEBLUR_BLACKBOX"))
    parser.add_argument("--scenes", type=int, default=300)
    parser.add_argument("--only", choices=("blackbox", "photo"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "blackbox") and args.root:
        blackbox(Path(args.root), args.out)
    if args.only in (None, "photo"):
        photo(args.scenes, args.out)


if __name__ == "__main__":
    main()
