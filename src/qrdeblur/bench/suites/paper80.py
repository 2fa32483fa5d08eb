"""The ``paper80`` suite: the paper's setting, 80x80 crops of whole codes in a grid of blur cells.

Motion LEN in {0, 5, 10, 15, 20} px at an angle uniform in [0, 180) then Gaussian sigma in {1, 2, 3}
px: 15 cells (``len{LEN}-s{sigma}``) of 48 codes each, built by :func:`qrdeblur.synth.paper80.paper80_crops`
(its payloads are reserved: :mod:`qrdeblur.synth.reserved`). Runs ``crop`` methods, every restored
crop read by every ``--decoders`` decoder.
"""

from __future__ import annotations

from qrdeblur.bench.scoring import score_crops
from qrdeblur.bench.suites.base import Suite
from qrdeblur.synth.paper80 import PAPER80_PER_CELL, PAPER80_SEED, CropItem, paper80_crops


def paper80(per_cell: int = PAPER80_PER_CELL, seed: int = PAPER80_SEED) -> list[CropItem]:
    """The ``paper80`` grid, cell by cell; deterministic for a given seed (other draws: other seeds)."""
    return paper80_crops(per_cell, seed)


SUITE = Suite("paper80", "crop", paper80, score_crops, "720 80x80 crops in 15 cells of motion 0-20 px x sigma 1-3 px")
