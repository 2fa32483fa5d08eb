"""Erasure decoding of soft module matrices, with zxing-cpp as the oracle of what the result reads."""

import numpy as np
import pytest
import segno
import zxingcpp

from qrdeblur.decode.soft_modules import (
    ERROR_LEVELS,
    _blocks,
    _interleaved_index,
    _layout,
    correct_modules,
    read_format,
)
from qrdeblur.restore.module_grid import render_modules


def _matrix(payload: str, version: int, error: str, mask: int | None = None) -> np.ndarray:
    code = segno.make_qr(payload, version=version, error=error, mask=mask, boost_error=False)
    return np.array([list(row) for row in code.matrix_iter(border=0)], bool)


def _read(dark: np.ndarray) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(render_modules(dark))]


def _corrupt(dark: np.ndarray, version: int, codewords: list[int], confident: bool, seed: int = 0) -> np.ndarray:
    """Soft values for ``dark`` (0.05 / 0.95) with the given codewords' bits wrong: each codeword gets
    1-3 flipped bits, at 0.55 / 0.45 (unsure) or 0.95 / 0.05 (``confident``)."""
    rng = np.random.default_rng(seed)
    soft = np.where(dark, 0.95, 0.05)
    layout = _layout(version)
    for cw in codewords:
        for bit in rng.choice(8, size=int(rng.integers(1, 4)), replace=False):
            r, c = layout.rows[cw * 8 + bit], layout.cols[cw * 8 + bit]
            soft[r, c] = (0.05 if confident else 0.45) if dark[r, c] else (0.95 if confident else 0.55)
    return soft


@pytest.mark.parametrize("version", [1, 2, 5, 7, 10])
@pytest.mark.parametrize("error", ["L", "M", "Q", "H"])
def test_read_format_finds_level_and_mask(version, error):
    for mask in (0, 3, 6):
        dark = _matrix("FORMAT", version, error, mask)
        level, found_mask, agreement = read_format(dark.astype(float))
        assert (level, found_mask, agreement) == (error, mask, 1.0)


@pytest.mark.parametrize("version", range(1, 11))
def test_clean_matrix_is_returned_unchanged(version):
    dark = _matrix(f"CLEAN-{version}", version, "M")
    fixed = correct_modules(np.where(dark, 0.9, 0.1), version)
    assert fixed is not None and (fixed == dark).all()


@pytest.mark.parametrize(("version", "error"), [(2, "H"), (4, "Q"), (5, "M"), (7, "Q"), (10, "H")])
def test_unsure_wrong_codewords_beyond_hard_capacity_are_corrected(version, error):
    """More wrong codewords than hard decoding corrects (half the check codewords of every block),
    all of them unsure: zxing-cpp fails on the thresholded matrix, reads the corrected one."""
    payload = f"ERASE-{version}{error}"
    dark = _matrix(payload, version, error)
    rng = np.random.default_rng(version)
    # wrong: 70 % of each block's check codewords (hard decoding corrects 50 %, erasures here 100 % less 4)
    wrong = []
    blocks = _blocks(version, ERROR_LEVELS[error])
    for (total, data), where in zip(blocks, _interleaved_index(blocks), strict=True):
        wrong += rng.choice(where, size=int(0.7 * (total - data)), replace=False).tolist()
    soft = _corrupt(dark, version, sorted(wrong), confident=False)
    assert payload not in _read(soft > 0.5)
    fixed = correct_modules(soft, version)
    assert fixed is not None
    assert (fixed == dark).all()
    assert _read(fixed) == [payload]


def test_confident_wrong_codewords_beyond_capacity_give_none():
    """Wrong codewords that look certain cannot be erased: past the capacity the answer is None, not a
    wrong matrix."""
    version, error = 3, "M"
    dark = _matrix("CONFIDENT", version, error)
    soft = _corrupt(dark, version, list(range(0, 70, 5)), confident=True)  # 14 of 70; hard corrects 13
    assert correct_modules(soft, version) is None


def test_random_matrices_never_decode():
    """Noise must not come out as a code: the unused check codewords (``margin``) reject it."""
    rng = np.random.default_rng(7)
    for _ in range(200):
        version = int(rng.integers(1, 11))
        n = 17 + 4 * version
        assert correct_modules(rng.random((n, n)), version, min_format_agreement=-1.0) is None


def test_unclear_format_gives_none():
    dark = _matrix("FORMAT", 2, "M")
    soft = np.where(dark, 0.9, 0.1)
    soft[8, :9] = soft[:9, 8] = soft[8, -8:] = soft[-8:, 8] = 0.5  # both copies unreadable
    assert correct_modules(soft, 2) is None


def test_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="25 x 25"):
        correct_modules(np.zeros((21, 21)), 2)
