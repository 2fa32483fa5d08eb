"""Where the heavy-blur ceiling is on the ``shake`` suite: what a kernel, an outline and the cascade's
candidates each contribute.

Per cell of blur extent (module widths), over the first ``--per-cell`` items of each cell:

- ``wiener-true``: Wiener with the TRUE PSF on the whole image (no outline, no location), best of
  three balances, decoded by zxing-cpp: the ceiling of a blind kernel estimate that feeds Wiener;
- ``wiener-line``: the same with the best straight line + Gaussian (along the path's main axis, as long
  as its extent across it, a Gaussian of its spread across): the best case of a parametric
  (motion + Gaussian) estimate;
- ``scan``: the shipped cascade; ``exact``: items where it tried an exact outline (a detector's or a
  refined one, what the ``grid`` step needs) within ``--tolerance`` modules of the true one.

Run: python research/shake_ceilings.py [--per-cell 40] [--tolerance 1.5] [--no-scan]
"""

import argparse
from collections import Counter, defaultdict

import numpy as np

import qrdeblur
from qrdeblur.bench.suites.shake import CELLS, shake_suite
from qrdeblur.decode.zxing import read_grey
from qrdeblur.qrspec import modules
from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.synth import kernels

BALANCES = (0.003, 0.01, 0.03)


def wiener_reads(grey: np.ndarray, psf: np.ndarray, payload: str) -> bool:
    for balance in BALANCES:
        out = np.clip(wiener_oracle(grey, psf, balance), 0, 1)
        if payload in {r.text for r in read_grey((out * 255).round().astype(np.uint8))[0]}:
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-cell", type=int, default=40)
    parser.add_argument("--tolerance", type=float, default=1.5, help="modules, for an exact outline to count")
    parser.add_argument("--no-scan", action="store_true", help="skip the cascade (the slow part)")
    args = parser.parse_args()
    rows: dict[str, Counter] = defaultdict(Counter)
    for item in shake_suite(args.per_cell):
        grey, payload, row = item.image.astype(np.float32) / 255.0, item.payloads[0], rows[item.cell]
        row["n"] += 1
        row["wiener-true"] += wiener_reads(grey, item.psf, payload)
        row["wiener-line"] += wiener_reads(grey, kernels.straight_fit(item.path), payload)
        if args.no_scan:
            continue
        attempts = []
        row["scan"] += payload in {c.text for c in qrdeblur.scan(item.image, observer=attempts.append)}
        module = np.linalg.norm(item.corners[1] - item.corners[0]) / modules(item.version)
        exact = [a.candidate.quad for a in attempts if a.candidate is not None and a.candidate.exact]
        row["exact"] += any(np.abs(np.asarray(q) - item.corners).max() <= args.tolerance * module for q in exact)
    columns = ["n", "wiener-true", "wiener-line"] + ([] if args.no_scan else ["scan", "exact"])
    print("cell   " + "  ".join(f"{c:>11s}" for c in columns))
    for cell in CELLS:
        print(f"{cell:6s} " + "  ".join(f"{rows[cell][c]:11d}" for c in columns))
    print("all    " + "  ".join(f"{sum(rows[c][k] for c in CELLS):11d}" for k in columns))


if __name__ == "__main__":
    main()
