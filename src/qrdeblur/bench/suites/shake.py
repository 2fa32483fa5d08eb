"""The ``shake`` suite: single codes under camera shake and linear motion of 1 to 12 module widths.

Why: the blur a hand or a conveyor gives is neither a straight line with a Gaussian nor a disk, and
past about 3 module widths the parametric estimate fails. Each item is one code (versions 1-6, 3-6 px
per module, a light quiet zone of 2-4 modules on a textured surface, any rotation, mild perspective)
blurred by a camera-shake path after Boracchi & Foi (2012; :func:`qrdeblur.synth.kernels.shake_path`,
the model behind DeblurGAN's data: inertia and sudden jerks, rasterised with sub-pixel accuracy) or,
for about a third of the items whose cell allows it, by linear motion of 3-10 modules; then Gaussian
noise (std 0.005-0.02) and JPEG (quality 80-95).

Cells are the blur's extent (the largest distance between two points of its path) in module widths:
:data:`CELLS`, :data:`SHAKE_PER_CELL` items each, in turn. Items keep the true path, PSF and outline,
so the ``oracle`` method can restore them non-blind (the ceiling a blind estimate is measured against).
Payloads are reserved (:func:`qrdeblur.synth.reserved.shake_payload_specs`).
"""

from __future__ import annotations

import numpy as np

from qrdeblur.bench.scoring import scene_scorer
from qrdeblur.bench.suites.base import Suite, item_count
from qrdeblur.synth.reserved import SHAKE_RESERVED_COUNT, shake_payload_specs
from qrdeblur.synth.shake import ShakeItem, shake_scene

SHAKE_SEED = 50_500
#: Blur extent cells, in module widths (upper bounds inclusive).
CELLS = ("<=2", "2-4", "4-6", "6-9", "9-12")
CELL_RANGES = {"<=2": (1.0, 2.0), "2-4": (2.0, 4.0), "4-6": (4.0, 6.0), "6-9": (6.0, 9.0), "9-12": (9.0, 12.0)}
SHAKE_PER_CELL = 40


def shake_item(index: int, seed: int, spec: tuple[str, int, str]) -> ShakeItem:
    """Item ``index`` of the items drawn from ``seed``, holding the code ``spec`` ((payload, version, ECC));
    its cell is ``CELLS[index % len(CELLS)]``."""
    cell = CELLS[index % len(CELLS)]
    item, _ = shake_scene(np.random.default_rng([seed, index]), spec, cell, CELL_RANGES[cell])
    item.meta = {"index": index, **item.meta}
    return item


def shake_suite(per_cell: int = SHAKE_PER_CELL, seed: int = SHAKE_SEED) -> list[ShakeItem]:
    """The deterministic ``shake`` suite: ``per_cell`` items in each of :data:`CELLS`; item ``i`` depends
    only on (seed, i), so a smaller suite is a prefix of a larger one."""
    count = item_count("shake", per_cell, len(CELLS), SHAKE_RESERVED_COUNT, "items")
    specs = shake_payload_specs(count)
    return [shake_item(i, seed, specs[i]) for i in range(count)]


SUITE = Suite(
    "shake",
    "scene",
    shake_suite,
    scene_scorer(CELLS),
    f"{SHAKE_PER_CELL * len(CELLS)} codes under camera shake and linear motion of 1-12 module widths",
    uses_decoders=False,
)
