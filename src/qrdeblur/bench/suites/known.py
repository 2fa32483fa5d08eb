"""The ``known`` suite: codes blurred past decoding, identified among lists of known payloads.

Why: a packaging line or a warehouse knows which codes it printed. A code blurred past decoding can
still be told apart from the others on the list (``scan --known``, :mod:`qrdeblur.identify`); this
suite measures how often, and that a code absent from the list is never taken for one on it.

Each item is one code printed at ECC M in the smallest version that holds it (as generators do; texts
drawn as the photo suite's, mostly versions 1-6), 3-6 px per module, a light quiet zone of 2-4 modules
on a textured surface, any rotation, mild perspective (:func:`qrdeblur.synth.shake.shake_scene`), under
one blur per cell: ``easy`` (camera shake of 0.5-1.5 module widths: controls that decode), linear
``motion`` and camera ``shake`` of 4-7 and 7-10 module widths (extent of the blur path), ``defocus``
(a pillbox of radius 2-4 modules); then noise and JPEG.

Methods: any ``scene`` method (``scan``) reads the photo; ``known:N`` runs ``scan`` with a list of ``N``
known payloads, twice per photo: once with the photo's code on the list (with ``N - 1`` others) and
once without it (``N`` others, from :func:`qrdeblur.synth.reserved.known_distractors`). A code counts
as read when its text is reported (decoded or identified); any other text is a false read, and in the
trial without the code an identification is a wrong one. Rows: per cell, codes read and identified,
false reads, the trials without the code and how many came back unidentified.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from qrdeblur.bench.progress import Progress
from qrdeblur.bench.results import BenchResult, BenchRow
from qrdeblur.bench.scoring import ordered_cells
from qrdeblur.bench.suites.base import Suite, item_count
from qrdeblur.synth.reserved import KNOWN_RESERVED_COUNT, known_payload_texts
from qrdeblur.synth.shake import ShakeItem, shake_scene

KNOWN_SEED = 80_800
CELLS = ("easy", "motion 4-7", "motion 7-10", "shake 4-7", "shake 7-10", "defocus 2-4")
#: cell -> (blur extent range in module widths (defocus: radius), share of linear motion, defocus)
CELL_BLUR = {
    "easy": ((0.5, 1.5), 0.0, False),
    "motion 4-7": ((4.0, 7.0), 1.0, False),
    "motion 7-10": ((7.0, 10.0), 1.0, False),
    "shake 4-7": ((4.0, 7.0), 0.0, False),
    "shake 7-10": ((7.0, 10.0), 0.0, False),
    "defocus 2-4": ((2.0, 4.0), 0.0, True),
}
KNOWN_PER_CELL = 84


def known_item(index: int, seed: int, text: str) -> ShakeItem:
    """Item ``index`` of the items drawn from ``seed``, holding ``text``; its cell is
    ``CELLS[index % len(CELLS)]``."""
    from qrdeblur.identify.catalog import version_of

    cell = CELLS[index % len(CELLS)]
    extent, linear, defocus = CELL_BLUR[cell]
    spec = (text, version_of(text, "M"), "M")
    item, _ = shake_scene(
        np.random.default_rng([seed, index]), spec, cell, extent, linear_share=linear, defocus=defocus
    )
    item.meta = {"index": index, **item.meta}
    return item


def known_suite(per_cell: int = KNOWN_PER_CELL, seed: int = KNOWN_SEED) -> list[ShakeItem]:
    """The deterministic ``known`` suite: ``per_cell`` items in each of :data:`CELLS` (a smaller suite is a
    prefix of a larger one)."""
    count = item_count("known", per_cell, len(CELLS), KNOWN_RESERVED_COUNT, "items")
    return [known_item(i, seed, text) for i, text in enumerate(known_payload_texts(count))]


def score_known(
    suite: str, methods: Sequence[Any], decoders: Sequence[Any], items: Sequence[Any], progress: Progress
) -> BenchResult:
    """Run every method on every photo; rows per method x cell. ``extra`` per row: ``identified``
    (codes read by ``match``), ``false_reads`` (must be 0), ``absent_trials`` and ``absent_refused``
    (trials without the code on the list, and those that identified nothing). ``details`` (summary.json)
    hold the per-cell counts and every false read (item, cell, trial, text, method)."""
    cells = ordered_cells(items, CELLS)
    result = BenchResult(suite, [m.name for m in methods], sorted({m.decoder for m in methods}), cells)
    progress.start(len(methods) * len(items))
    for method in methods:
        progress.describe(method.name)
        per_cell: dict[str, dict] = {}
        wrong: list[dict] = []
        for k, item in enumerate(items):
            truth = item.payloads[0]
            trials = getattr(method, "trials", None)
            if trials is not None:
                present, absent, ms = trials(item)
            else:
                t0 = time.perf_counter()
                present, absent = [(t, "read") for t in method.read(item.image)], None
                ms = (time.perf_counter() - t0) * 1000
            for trial, codes in (("listed", present), ("absent", absent or [])):
                wrong += [
                    {"item": k, "cell": item.cell, "trial": trial, "text": t, "method": how}
                    for t, how in codes
                    if t != truth
                ]
            for cell in (item.cell, "all"):
                a = per_cell.setdefault(
                    cell, {"n": 0, "read": 0, "ident": 0, "false": 0, "abs": 0, "refused": 0, "ms": []}
                )
                a["n"] += 1
                a["read"] += any(t == truth for t, _ in present)
                a["ident"] += any(t == truth and how == "match" for t, how in present)
                a["false"] += sum(t != truth for t, _ in present)
                a["ms"].append(ms)
                if absent is not None:
                    a["abs"] += 1
                    a["false"] += sum(t != truth for t, _ in absent)
                    a["refused"] += not any(how == "match" for _, how in absent)
            progress.advance()
        result.details[method.name] = {
            "cells": {c: {key: v for key, v in per_cell[c].items() if key != "ms"} for c in [*cells, "all"]},
            "false_reads": wrong,
        }
        for cell in [*cells, "all"]:
            a = per_cell[cell]
            rate = a["read"] / a["n"]
            extra = {
                "identified": a["ident"],
                "false_reads": a["false"],
                "absent_trials": a["abs"],
                "absent_refused": a["refused"],
            }
            row = BenchRow(
                method.name,
                method.decoder,
                cell,
                a["n"],
                a["read"],
                round(rate, 4),
                round(statistics.median(a["ms"]), 3),
                extra,
            )
            if cell != "all":
                result.rows.append(row)
                continue
            result.totals[method.name] = row
            trials_note = f", {a['abs']} trials without the code: {a['refused']} unidentified" if a["abs"] else ""
            result.notes.append(
                f"{method.name}: {a['read']}/{a['n']} codes read ({rate:.1%}; {a['ident']} identified), "
                f"{a['false']} false reads{trials_note}, median {statistics.median(a['ms']):.0f} ms"
            )
    return result


SUITE = Suite(
    "known",
    "scene",
    known_suite,
    score_known,
    f"{KNOWN_PER_CELL * len(CELLS)} codes blurred past decoding, identified among known payloads",
    uses_decoders=False,
)
