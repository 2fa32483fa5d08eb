"""The ``photo`` suite: whole phone-photo-like scenes with one to three blurred QR codes.

Why: users hold photos of parcels and packaging, not 80x80 crops. :data:`PHOTO_COUNT` scenes drawn
from :data:`PHOTO_SEED` by :func:`~qrdeblur.bench.suites.photo_scene.photo_item` (backgrounds,
distractors, labels, light and camera: see :mod:`~qrdeblur.bench.suites.photo_scene`); the cell of
scene ``i`` is its blur strength, ``mild``, ``moderate`` and ``severe`` in turn.

Payloads come from their own generator in :mod:`qrdeblur.synth.reserved`
(:func:`~qrdeblur.synth.reserved.photo_payload_specs`), not from the scene generator, so they are
listed and reserved without rendering a pixel: training never draws one. Scene ``i`` holds one to
three codes (its own generator, seeded by (seed, i, 1)), the specs ``3 i`` onwards of that list.

The suite runs ``scene`` methods (``zxing-only``, ``opencv``, ``scan``, ``scan:MODEL``), each reading
every photo once (:func:`qrdeblur.bench.scoring.score_scenes`): codes read per cell, false reads, and
the median time per photo, split by whether zxing-cpp alone reads the photo completely.
"""

from __future__ import annotations

import numpy as np

from qrdeblur.bench.scoring import scene_scorer
from qrdeblur.bench.suites.base import Suite
from qrdeblur.bench.suites.photo_scene import CELLS, PhotoItem, photo_item
from qrdeblur.errors import UsageError
from qrdeblur.synth.reserved import PHOTO_MAX_CODES, PHOTO_RESERVED_COUNT, photo_payload_specs

PHOTO_SEED = 40_400
PHOTO_COUNT = 300


def photo_suite(count: int = PHOTO_COUNT, seed: int = PHOTO_SEED) -> list[PhotoItem]:
    """The deterministic ``photo`` suite (see the module docstring); same seed, same images.

    Args:
        count: number of scenes (cells cycle mild, moderate, severe); at most ``PHOTO_RESERVED_COUNT``
            so every payload stays reserved.
        seed: scene seed (payloads have their own, :data:`qrdeblur.synth.reserved.PHOTO_PAYLOAD_SEED`).

    Returns:
        ``count`` :class:`PhotoItem` s; item ``i`` depends only on (seed, i), so a prefix of a longer
        suite is the shorter suite.
    """
    if not 1 <= count <= PHOTO_RESERVED_COUNT:
        raise UsageError(f"photo suite count must be in 1..{PHOTO_RESERVED_COUNT}, got {count}")
    pool = photo_payload_specs(count * PHOTO_MAX_CODES)
    items = []
    for i in range(count):
        n_codes = int(np.random.default_rng([seed, i, 1]).choice([1, 2, 3], p=[0.5, 0.3, 0.2]))
        items.append(photo_item(i, seed, pool[PHOTO_MAX_CODES * i : PHOTO_MAX_CODES * i + n_codes]))
    return items


SUITE = Suite(
    "photo",
    "scene",
    photo_suite,
    scene_scorer(CELLS),
    f"{PHOTO_COUNT} phone-photo-like scenes of 1-3 codes, mild/moderate/severe blur",
    uses_decoders=False,
)
