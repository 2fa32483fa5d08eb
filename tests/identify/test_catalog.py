"""KnownCodes: payloads rendered as generators print them, grouped by version; clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import segno

from qrdeblur.errors import UsageError
from qrdeblur.identify import KnownCodes
from qrdeblur.identify.catalog import DECOYS, known_codes, version_of


def test_codes_are_grouped_by_the_version_a_generator_picks():
    texts = ["A", "HELLO-WORLD-0123456789-HELLO-WORLD", "x" * 100, "A"]
    known = KnownCodes(texts)
    assert known.payloads == texts[:3]  # the duplicate is dropped, order kept
    for i, text in enumerate(known.payloads):
        qr = segno.make_qr(text, error="m", boost_error=False)
        table = known.tables[qr.version]
        row = list(table.index).index(i)
        assert np.array_equal(table.dark[row], np.array(qr.matrix, dtype=bool))
        assert version_of(text) == qr.version


def test_extended_adds_codes_and_shares_the_rest():
    base = KnownCodes([f"CODE-{i:04d}" for i in range(20)])
    more = base.extended(["CODE-0003", "NEW-CODE"])
    assert len(base) == 20 and len(more) == 21
    assert more.payloads[-1] == "NEW-CODE"
    v = version_of("NEW-CODE")
    assert 20 in more.tables[v].index and 20 not in base.tables[v].index


def test_decoys_are_of_the_version_and_not_listed():
    known = KnownCodes(["SOMETHING"])
    decoys = known.decoys(3)
    assert decoys.dark.shape == (DECOYS, 29, 29)
    assert (decoys.index == -1).all()


def test_bad_lists_are_refused_with_the_source(tmp_path):
    with pytest.raises(UsageError, match="no known payloads"):
        KnownCodes([])
    with pytest.raises(UsageError, match="ECC level"):
        KnownCodes(["A"], ecc="X")
    with pytest.raises(UsageError, match=r"list\.txt: payload 2 .*cannot be a QR code"):
        KnownCodes(["A", "9" * 8000], source="list.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(UsageError, match="empty.txt: payload file holds no payloads"):
        known_codes(empty)
    listed = tmp_path / "codes.txt"
    listed.write_text("ONE\nTWO\n", encoding="utf-8")
    assert known_codes(listed).payloads == ["ONE", "TWO"]
    assert known_codes(["ONE"]).payloads == ["ONE"]
