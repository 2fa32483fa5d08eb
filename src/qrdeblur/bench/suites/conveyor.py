"""The ``conveyor`` suite: short videos of one to three codes carried past a fixed camera.

Why: packaging lines, parcel sorters and warehouse gates film codes moving past a camera; each code is
in several consecutive frames, each smeared by motion. The suite measures what reading a video as a
whole (:func:`qrdeblur.scan.scan_video`: tracks) gains over reading its frames one by one, and how
fast each goes.

Each item is one pass of a belt (:func:`qrdeblur.synth.conveyor.conveyor_sequence`): 24-40 frames of
480x270 at 30 fps, one to three parcels (codes of versions 1-6 at 2-6 px per module, one module size
per sequence, any rotation, mild perspective) crossing a static textured scene, linear motion blur
along the motion, fresh noise per frame (std 0.005-0.02), written as a real video file into a
temporary folder (:func:`qrdeblur.synth.conveyor.write_video`): H.264 by PyAV's libx264 at its
default quality where the ``video`` extra is installed (:func:`qrdeblur.synth.conveyor.suite_codec`),
else MPEG-4 Part 2 (``mp4v``, block-DCT with motion compensation too) at OpenCV's default bit rate (the
opencv-python wheels have no software H.264 encoder); the codec used is in the report (``video_codec``).

Cells are the motion blur within one exposure in module widths (:data:`CELLS`), sequences in turn.
Sequence ``i`` depends only on (seed, i), so a smaller suite is a prefix of a larger one; its codes
are the specs ``3 i`` onwards of :func:`qrdeblur.synth.reserved.conveyor_payload_specs` (reserved).

Methods are of kind ``video`` (:mod:`qrdeblur.bench.methods`): ``frame-any`` (a code counts when
:func:`qrdeblur.scan.scan` reads it in at least one frame, each frame on its own, with the per-frame
budget of :func:`~qrdeblur.scan.scan_video`) and ``video``; scored by
:func:`qrdeblur.bench.scoring.score_videos`: codes read, false reads, codes reported more than once,
frames per second.

Measured on the whole suite (``docs/benchmarks.md``, 2026-12-06, 2 idle cores, H.264 files):
``frame-any`` read 35 of 94 codes (21/22, 14/24, 0/25, 0/23 per cell) at 6.9 frames per second,
``video`` 54 (22/22, 22/24, 10/25, 0/23) at 14.8, no false reads, no code reported twice; the reads
past 5 modules of blur are fusion's (:mod:`qrdeblur.scan.fuse`). The MPEG-4 Part 2 files read 45 and
63.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qrdeblur.bench.scoring import video_scorer
from qrdeblur.bench.suites.base import Suite, item_count
from qrdeblur.synth.conveyor import ConveyorCode, conveyor_sequence, suite_codec, write_video
from qrdeblur.synth.reserved import CONVEYOR_MAX_CODES, CONVEYOR_RESERVED_COUNT, conveyor_payload_specs

CONVEYOR_SEED = 70_700
#: Motion blur within one exposure, in module widths (lower bound inclusive, upper exclusive).
CELLS = ("1-3", "3-5", "5-7", "7-10")
CELL_RANGES = {"1-3": (1.0, 3.0), "3-5": (3.0, 5.0), "5-7": (5.0, 7.0), "7-10": (7.0, 10.0)}
CONVEYOR_PER_CELL = 12


@dataclass
class ConveyorItem:
    """One sequence written to a video file.

    Attributes:
        path: the video file.
        payloads: the codes' payloads (each passes through the view once).
        cell: the blur cell (:data:`CELLS`).
        frames: number of frames.
        codes: each code's outline per frame (:class:`~qrdeblur.synth.conveyor.ConveyorCode`).
        codec: the fourcc the file was written with.
        meta: the drawn parameters.
        folder: the temporary folder holding the file (removed when no item refers to it any more).
    """

    path: Path
    payloads: list[str]
    cell: str
    frames: int
    codes: list[ConveyorCode]
    codec: str
    meta: dict = field(default_factory=dict)
    folder: object = None


def conveyor_item(index: int, seed: int, specs: list[tuple[str, int, str]], folder: Path) -> ConveyorItem:
    """Sequence ``index`` of the suite drawn from ``seed``, holding ``specs[:k]`` (k of 1-3 drawn here),
    written to ``folder``; its cell is ``CELLS[index % len(CELLS)]``."""
    rng = np.random.default_rng([seed, index])
    cell = CELLS[index % len(CELLS)]
    k = int(rng.integers(1, CONVEYOR_MAX_CODES + 1))
    seq = conveyor_sequence(rng, list(specs[:k]), cell, CELL_RANGES[cell])
    path = Path(folder) / f"conveyor-{index:04d}-{cell}.mp4"
    codec = write_video(path, seq.frames, seq.fps, h264=suite_codec() == "h264")
    return ConveyorItem(path, seq.payloads, cell, len(seq.frames), seq.codes, codec, {"index": index, **seq.meta})


def conveyor_suite(
    per_cell: int = CONVEYOR_PER_CELL, seed: int = CONVEYOR_SEED, folder: str | Path | None = None
) -> list[ConveyorItem]:
    """The deterministic ``conveyor`` suite: ``per_cell`` sequences in each of :data:`CELLS`, written to
    ``folder`` (None: a temporary folder, removed once the items are gone)."""
    count = item_count("conveyor", per_cell, len(CELLS), CONVEYOR_RESERVED_COUNT, "sequences")
    holder = None
    if folder is None:
        holder = tempfile.TemporaryDirectory(prefix="qrdeblur-conveyor-")
        folder = holder.name
    Path(folder).mkdir(parents=True, exist_ok=True)
    specs = conveyor_payload_specs(count * CONVEYOR_MAX_CODES)
    items = []
    for i in range(count):
        item = conveyor_item(i, seed, specs[CONVEYOR_MAX_CODES * i : CONVEYOR_MAX_CODES * (i + 1)], Path(folder))
        item.folder = holder
        items.append(item)
    return items


SUITE = Suite(
    "conveyor",
    "video",
    conveyor_suite,
    video_scorer(CELLS),
    f"{CONVEYOR_PER_CELL * len(CELLS)} short videos of 1-3 codes carried past the camera, 1-10 modules of motion blur",
    uses_decoders=False,
)
