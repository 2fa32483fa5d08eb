"""Payloads reserved for the benchmark suites: their seeds, their generators, and the check training uses.

Training must never see a payload a benchmark decodes, so every suite's payloads are drawn here, from
their own seeds, and :func:`is_reserved_payload` refuses them in the training presets and the
validation sets. :data:`RESERVED` maps each suite to the set of payloads it can use:

- ``paper80``: the payloads of the full :mod:`qrdeblur.synth.paper80` grid (its smaller draws, the
  ``speed`` batch and the ONNX export's parity crops, use a prefix of them);
- ``shake``: :func:`shake_payload_specs` (versions 1-6) for suites of up to
  :data:`SHAKE_RESERVED_COUNT` codes, from :data:`SHAKE_PAYLOAD_SEED`;
- ``photo``: :func:`photo_payload_specs` for suites of up to :data:`PHOTO_RESERVED_COUNT` scenes of
  at most :data:`PHOTO_MAX_CODES` codes, from :data:`PHOTO_PAYLOAD_SEED` (a generator of their own,
  so the list needs no rendering);
- ``hard``: :func:`hard_payload_specs` (versions 1-5) for suites of up to :data:`HARD_RESERVED_COUNT`
  codes, from :data:`HARD_PAYLOAD_SEED`;
- ``conveyor``: :func:`conveyor_payload_specs` (versions 1-6) for suites of up to
  :data:`CONVEYOR_RESERVED_COUNT` sequences of at most :data:`CONVEYOR_MAX_CODES` codes, from
  :data:`CONVEYOR_PAYLOAD_SEED`;
- ``known``: :func:`known_payload_texts` for suites of up to :data:`KNOWN_RESERVED_COUNT` codes and
  the :data:`KNOWN_DISTRACTORS` payloads of their lists (:func:`known_distractors`), from
  :data:`KNOWN_PAYLOAD_SEED`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from qrdeblur.qrspec import BYTE_CAPACITY, ERROR_LEVELS

PHOTO_PAYLOAD_SEED = 40_401
#: Payloads are reserved for photo suites of up to this many scenes.
PHOTO_RESERVED_COUNT = 1000
#: Codes per photo scene at most.
PHOTO_MAX_CODES = 3
SHAKE_PAYLOAD_SEED = 50_501
#: Payloads are reserved for shake suites of up to this many codes.
SHAKE_RESERVED_COUNT = 2000
HARD_PAYLOAD_SEED = 60_601
#: Payloads are reserved for hard suites of up to this many codes.
HARD_RESERVED_COUNT = 2100
CONVEYOR_PAYLOAD_SEED = 70_701
#: Payloads are reserved for conveyor suites of up to this many sequences.
CONVEYOR_RESERVED_COUNT = 1000
#: Codes per conveyor sequence at most (sequence ``i`` holds codes ``3 i .. 3 i + 2`` of the list).
CONVEYOR_MAX_CODES = 3


def _photo_payload_text(rng: np.random.Generator, n: int) -> str:
    """An ``n``-character payload as printed on parcels: a URL (45 %), an ID (30 %) or text (25 %)."""
    from qrdeblur.synth.payloads import ALPHANUMERIC, random_bytes_text, random_url

    kind = rng.choice(["url", "id", "text"], p=[0.45, 0.3, 0.25])
    if kind == "id":
        body = "".join(rng.choice(list(ALPHANUMERIC.strip()), size=n))
        return body[0].replace(" ", "X") + body[1:-1] + str(rng.integers(0, 10))
    if kind == "text":
        return random_bytes_text(rng, n, n)
    url = random_url(rng, max_len=n)
    while len(url) < n:
        url += ("?" if "?" not in url else "&") + "".join(
            rng.choice(list("abcdefghijklmnopqrstuvwxyz0123456789"), size=int(rng.integers(3, 12)))
        )
    return url[:n]


def photo_payload_specs(
    count: int, seed: int = PHOTO_PAYLOAD_SEED, max_version: int = 10
) -> list[tuple[str, int, str]]:
    """``count`` (payload, version, ECC) triples of the photo suite, each payload unique; a prefix of any
    longer list.

    The version is uniform in 1-``max_version`` and the payload fills it (longer than the next smaller
    version holds in byte mode at that ECC level), so the versions spread as printers pick the smallest
    that fits.
    """
    rng = np.random.default_rng(seed)
    seen: set[str] = set()
    out = []
    while len(out) < count:
        version = int(rng.integers(1, max_version + 1))
        e = int(rng.integers(0, 4))
        hi = BYTE_CAPACITY[version][e]
        lo = min(hi, max(4, BYTE_CAPACITY[version - 1][e] + 1 if version > 1 else 4))
        payload = _photo_payload_text(rng, int(rng.integers(lo, hi + 1)))
        if payload in seen or payload != payload.strip():
            continue
        seen.add(payload)
        out.append((payload, version, ERROR_LEVELS[e]))
    return out


@lru_cache(maxsize=1)
def photo_payloads() -> frozenset[str]:
    """Every payload a photo suite of up to :data:`PHOTO_RESERVED_COUNT` scenes can use (no rendering)."""
    return frozenset(p for p, _, _ in photo_payload_specs(PHOTO_RESERVED_COUNT * PHOTO_MAX_CODES))


def shake_payload_specs(count: int) -> list[tuple[str, int, str]]:
    """``count`` (payload, version, ECC) triples of the shake suite: versions 1-6, drawn as the photo
    suite's are, from :data:`SHAKE_PAYLOAD_SEED`; a prefix of any longer list."""
    return photo_payload_specs(count, SHAKE_PAYLOAD_SEED, max_version=6)


@lru_cache(maxsize=1)
def shake_payloads() -> frozenset[str]:
    """Every payload a shake suite of up to :data:`SHAKE_RESERVED_COUNT` codes can use."""
    return frozenset(p for p, _, _ in shake_payload_specs(SHAKE_RESERVED_COUNT))


def hard_payload_specs(count: int) -> list[tuple[str, int, str]]:
    """``count`` (payload, version, ECC) triples of the hard suite: versions 1-5, drawn as the photo
    suite's are, from :data:`HARD_PAYLOAD_SEED`; a prefix of any longer list. (The suite may print a
    payload at a higher ECC level, and so a larger version; the payload is what is reserved.)"""
    return photo_payload_specs(count, HARD_PAYLOAD_SEED, max_version=5)


@lru_cache(maxsize=1)
def hard_payloads() -> frozenset[str]:
    """Every payload a hard suite of up to :data:`HARD_RESERVED_COUNT` codes can use."""
    return frozenset(p for p, _, _ in hard_payload_specs(HARD_RESERVED_COUNT))


def conveyor_payload_specs(count: int) -> list[tuple[str, int, str]]:
    """``count`` (payload, version, ECC) triples of the conveyor suite: versions 1-6, drawn as the photo
    suite's are, from :data:`CONVEYOR_PAYLOAD_SEED`; a prefix of any longer list."""
    return photo_payload_specs(count, CONVEYOR_PAYLOAD_SEED, max_version=6)


@lru_cache(maxsize=1)
def conveyor_payloads() -> frozenset[str]:
    """Every payload a conveyor suite of up to :data:`CONVEYOR_RESERVED_COUNT` sequences can use."""
    return frozenset(p for p, _, _ in conveyor_payload_specs(CONVEYOR_RESERVED_COUNT * CONVEYOR_MAX_CODES))


KNOWN_PAYLOAD_SEED = 80_801
#: Payloads are reserved for known suites of up to this many codes ...
KNOWN_RESERVED_COUNT = 1000
#: ... and this many further payloads fill their lists (the codes known but not in the photo).
KNOWN_DISTRACTORS = 10_000


@lru_cache(maxsize=1)
def _known_texts() -> tuple[str, ...]:
    return tuple(p for p, _, _ in photo_payload_specs(KNOWN_RESERVED_COUNT + KNOWN_DISTRACTORS, KNOWN_PAYLOAD_SEED, 6))


def known_payload_texts(count: int) -> list[str]:
    """The codes of a ``known`` suite of ``count`` items (texts drawn as the photo suite's, versions 1-6
    at their own ECC level; the suite prints each at ECC M, so some are version 7 or 8)."""
    return list(_known_texts()[:count])


def known_distractors() -> list[str]:
    """The :data:`KNOWN_DISTRACTORS` payloads that fill a ``known`` suite's lists; none is in its photos."""
    return list(_known_texts()[KNOWN_RESERVED_COUNT:])


@lru_cache(maxsize=1)
def known_payloads() -> frozenset[str]:
    """Every payload a known suite can use, its lists' included."""
    return frozenset(_known_texts())


@lru_cache(maxsize=1)
def paper80_payloads() -> frozenset[str]:
    """Every payload of the full ``paper80`` grid (built once, in a few seconds)."""
    from qrdeblur.synth.paper80 import paper80_crops

    return frozenset(p for item in paper80_crops() for p in item.payloads)


#: Suite name -> the payloads it can use (``speed`` draws from ``paper80``'s).
RESERVED: dict[str, Callable[[], frozenset[str]]] = {
    "paper80": paper80_payloads,
    "photo": photo_payloads,
    "shake": shake_payloads,
    "hard": hard_payloads,
    "conveyor": conveyor_payloads,
    "known": known_payloads,
}


def reserved_payloads() -> frozenset[str]:
    """Every payload of every suite in :data:`RESERVED`: training must never see them."""
    return frozenset().union(*(payloads() for payloads in RESERVED.values()))


def is_reserved_payload(payload: str) -> bool:
    """True when ``payload`` belongs to a benchmark suite (any of :data:`RESERVED`)."""
    return any(payload in payloads() for payloads in RESERVED.values())
