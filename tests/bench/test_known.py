"""The known suite: deterministic items past decoding in their cells, reserved payloads and lists, and a
scorer that counts a wrong identification, and a list without the code that identifies nothing."""

from __future__ import annotations

import numpy as np
import pytest

from qrdeblur.bench.known_method import KnownMethod, known_method
from qrdeblur.bench.suites.known import CELL_BLUR, CELLS, known_suite, score_known
from qrdeblur.errors import UsageError
from qrdeblur.identify.catalog import version_of
from qrdeblur.synth import kernels
from qrdeblur.synth.reserved import KNOWN_DISTRACTORS, is_reserved_payload, known_distractors


class _Quiet:
    def start(self, n):
        pass

    def describe(self, text):
        pass

    def advance(self):
        pass


def test_items_are_deterministic_reserved_and_blurred_as_their_cell_says():
    small, large = known_suite(per_cell=1), known_suite(per_cell=2)
    assert [it.cell for it in small] == list(CELLS)
    for a, b in zip(small, large[: len(small)], strict=True):
        assert np.array_equal(a.image, b.image) and a.payloads == b.payloads
    for item in large:
        (lo, hi), _, defocus = CELL_BLUR[item.cell]
        assert is_reserved_payload(item.payloads[0])
        assert item.version == version_of(item.payloads[0], "M")
        if defocus:
            assert lo <= item.meta["radius_modules"] <= hi
        else:
            extent = kernels.path_extent(item.path) / item.module_px
            assert lo - 0.01 <= extent <= hi + 0.01
    others = known_distractors()
    assert len(others) == KNOWN_DISTRACTORS and not {it.payloads[0] for it in large} & set(others)


class _Fake:
    """A known:N stand-in: reports what it is told, per trial."""

    name, decoder = "fake", "zxing-cpp"

    def __init__(self, present, absent):
        self.present, self.absent = present, absent

    def trials(self, item):
        truth = item.payloads[0]
        fill = lambda codes: [(truth if t == "TRUTH" else t, how) for t, how in codes]  # noqa: E731
        return fill(self.present), fill(self.absent), 5.0


def test_the_scorer_counts_identifications_and_wrong_ones():
    items = known_suite(per_cell=1)[:2]
    good = _Fake([("TRUTH", "match")], [])
    bad = _Fake([("TRUTH", "raw")], [("SOMEONE ELSE", "match")])
    bad.name = "bad"
    result = score_known("known", [good, bad], [], items, _Quiet())
    g, b = result.totals["fake"], result.totals["bad"]
    assert (g.decoded, g.extra["identified"], g.extra["false_reads"]) == (2, 2, 0)
    assert (g.extra["absent_trials"], g.extra["absent_refused"]) == (2, 2)
    assert (b.decoded, b.extra["identified"], b.extra["false_reads"], b.extra["absent_refused"]) == (2, 0, 2, 0)
    assert "2 trials without the code: 2 unidentified" in result.notes[0]
    assert result.details["fake"]["false_reads"] == []
    assert [(w["item"], w["trial"], w["text"]) for w in result.details["bad"]["false_reads"]] == [
        (0, "absent", "SOMEONE ELSE"),
        (1, "absent", "SOMEONE ELSE"),
    ]


def test_known_method_wants_a_list_size():
    with pytest.raises(UsageError, match="known:100"):
        known_method(None)
    with pytest.raises(UsageError, match="1..10000"):
        KnownMethod(0)
