"""The ``speed`` suite: one batch of 64 80x80 crops from ``paper80`` (a spread of its cells), for timing.

Every item is in one cell (``batch-80x80``), so every ``crop`` method restores the whole batch at once
and ``ms_per_image`` compares methods side by side.
"""

from __future__ import annotations

from qrdeblur.bench.scoring import score_crops
from qrdeblur.bench.suites.base import Suite
from qrdeblur.synth.paper80 import CropItem, paper80_crops


def speed(batch: int = 64) -> list[CropItem]:
    """``batch`` crops of a small ``paper80`` draw, evenly spread over its cells, in one cell."""
    items = paper80_crops(per_cell=max(1, batch // 15 + 1))
    chosen = items[:: max(1, len(items) // batch)][:batch]
    for item in chosen:  # one cell: every method is timed on the whole batch at once
        item.cell = "batch-80x80"
    return chosen


SUITE = Suite("speed", "crop", speed, score_crops, "one batch of 64 paper80 crops, for timing")
