"""The suites are fixed: the items of paper80, speed and photo, and the reserved payloads, hash to pinned values.

The pins were computed before the suites moved into their current modules; a change here changes every
benchmark number. (A new OpenCV could legitimately change the photo scenes' JPEG bytes; then re-pin
on purpose, never to make a refactoring pass.)
"""

import hashlib
import json

import numpy as np

from qrdeblur.bench.suites.paper80 import paper80
from qrdeblur.bench.suites.photo import photo_suite
from qrdeblur.bench.suites.speed import speed
from qrdeblur.synth.paper80 import paper80_crops
from qrdeblur.synth.reserved import (
    conveyor_payloads,
    hard_payloads,
    is_reserved_payload,
    known_payloads,
    paper80_payloads,
    photo_payloads,
    reserved_payloads,
    shake_payloads,
)


def _update(h, array: np.ndarray) -> None:
    array = np.ascontiguousarray(array)
    h.update(str((array.dtype, array.shape)).encode())
    h.update(array.tobytes())


def crop_hash(items) -> str:
    h = hashlib.sha256()
    for it in items:
        for array in (it.blurred, it.sharp, it.psf):
            _update(h, array)
        h.update(json.dumps([it.payloads, it.cell, it.meta], sort_keys=True).encode())
    return h.hexdigest()


def scene_hash(items) -> str:
    h = hashlib.sha256()
    for it in items:
        _update(h, it.image)
        codes = [[c.payload, c.version, c.ecc, c.module_px, c.corners, c.printed_on] for c in it.codes]
        h.update(json.dumps([it.payloads, it.cell, codes, it.meta], sort_keys=True).encode())
    return h.hexdigest()


def test_paper80_items_are_pinned():
    items = paper80()
    assert len(items) == 720
    assert crop_hash(items[:20]) == "0fe630191e0a2ec30b30ccb921280aed03a157294129d28d5d716f8e5cb9ea8d"
    assert crop_hash(items) == "9ad64986dbd9de4f6c8e13bda8dad1f695f910bb57514c30fba48945f16138cd"
    # the export's parity crops: the same builder, from synthesis
    assert crop_hash(paper80_crops(per_cell=1)) == "cac1982b0b9c722f1137fbd23958a2a6afc1b972801b0abd34b46a3259ac3b56"


def test_speed_batch_is_pinned():
    items = speed()
    assert len(items) == 64 and {it.cell for it in items} == {"batch-80x80"}
    assert crop_hash(items) == "49df9756a5356aea514deaae49fa59538d17c97a1ccb1732c54fadfeb9c5c5c7"


def test_first_photo_scenes_are_pinned():
    assert scene_hash(photo_suite(5)) == "0011af47dd42a319fd0a57dde8cab406f51c7ba2a7ff448ffac4d3217132859b"


def test_reserved_payloads_are_pinned_and_cover_every_suite():
    reserved = paper80_payloads() | photo_payloads()
    assert len(reserved) == 3720  # 720 paper80 + 3000 photo
    digest = hashlib.sha256("\n".join(sorted(reserved)).encode()).hexdigest()
    assert digest == "508cf6e5a7e60d75ab92a05ee373ae14dd0a1dfbfcc5120dfb7ab2d02da0f948"
    for items in (speed(), paper80_crops(per_cell=1)):  # smaller paper80 draws reuse its payloads
        assert all(is_reserved_payload(p) for it in items for p in it.payloads)
    assert not is_reserved_payload("NOT A BENCH PAYLOAD 1")
    assert reserved_payloads() == reserved | shake_payloads() | hard_payloads() | conveyor_payloads() | known_payloads()
    assert all(is_reserved_payload(p) for p in shake_payloads() | hard_payloads() | conveyor_payloads())
