"""Correct a QR code's module matrix from soft module values: Reed-Solomon decoding with erasures.

Why: a decoder such as zxing-cpp reads a module matrix by hard decisions, and its Reed-Solomon code
then corrects up to half the check codewords of each block. The ``grid`` step's solver
(:mod:`qrdeblur.restore.module_grid`) gives more than a decision: each module's value in [0, 1], and
the modules it is unsure of (values near 0.5) are where its wrong ones mostly are. A codeword declared
*erased* costs one check codeword to correct and a wrong one two, so erasing the least confident
codewords lets a block with many wrong codewords be corrected, as long as the wrong ones are among
the least confident.

How (:func:`correct_modules`):

1. the format information: the (error level, mask) whose 15-bit BCH word agrees best with the soft
   values of both copies (a soft vote over 30 modules, where a decoder corrects 3 wrong bits of one);
2. the data modules unmasked and read as codewords in the placement order, taken from segno's own
   placement (:func:`segno.encoder.add_codewords`), so the order is the encoder's;
3. each Reed-Solomon block (``reedsolo``) decoded with its ``f`` least confident codewords erased,
   from as many as the block allows down, accepting a correction only if it leaves at least ``margin`` check codewords
   unused: those are the check that the correction is the code's. A block beyond repair then decodes
   to a wrong codeword with a probability of about 256**-margin per try;
4. the corrected codewords placed back into a clean matrix with its format information, which a
   decoder then parses (and whose own error correction then has nothing left to do).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import reedsolo
import segno.consts as sc
import segno.encoder as se

#: segno's error-level constants by name (the format information's two bits are another order)
ERROR_LEVELS = {"L": sc.ERROR_LEVEL_L, "M": sc.ERROR_LEVEL_M, "Q": sc.ERROR_LEVEL_Q, "H": sc.ERROR_LEVEL_H}
#: Check codewords a correction must leave unused (per block): the check that it is the code's.
DEFAULT_MARGIN = 4

# QR's Reed-Solomon code: GF(256) with the primitive polynomial 0x11d, generator 2, roots from 2**0
_GF_TABLES = reedsolo.init_tables(0x11D, 2, 8)


@dataclass(frozen=True)
class _Layout:
    """Where a version's codeword bits and format bits lie in its (n, n) module matrix."""

    rows: np.ndarray  # (bits,) row of the placement's k-th bit (codewords, then remainder bits)
    cols: np.ndarray
    codewords: int  # total codewords (data and check, all blocks)
    fixed: np.ndarray  # (n, n) int8: 1 / 0 for a function module's dark / light, -1 data or format


@lru_cache(maxsize=16)
def _layout(version: int) -> _Layout:
    """The placement of a ``version`` symbol's bits, from segno's encoder placing bit indices."""
    size = se.calc_matrix_size(version)
    matrix = se.make_matrix(size, size)
    se.add_finder_patterns(matrix, size, size)
    se.add_alignment_patterns(matrix, size, size)
    se.add_version_info(matrix, version)
    fixed = np.array([list(row) for row in matrix], np.int8)
    fixed[fixed == 0x2] = -1
    for _, r, c in _format_cells():
        fixed[r % size, c % size] = -1
    fixed[size - 8, 8] = 1  # the dark module
    grid = [list(row) for row in matrix]  # lists hold any int: the placement writes bit indices
    free = sum(row.count(0x2) for row in grid)
    se.add_codewords(grid, [16 + k for k in range(free)], version)
    index = np.array(grid)
    rows, cols = np.nonzero(index >= 16)
    order = index[rows, cols] - 16
    out_r, out_c = np.empty(free, np.int64), np.empty(free, np.int64)
    out_r[order], out_c[order] = rows, cols
    total = sum(b.num_blocks * b.num_total for b in sc.ECC[version][sc.ERROR_LEVEL_L])
    return _Layout(out_r, out_c, total, fixed)


@lru_cache(maxsize=1)
def _format_cells() -> list[tuple[int, int, int]]:
    """(bit, row, col) of the format information's two copies, rows and cols counted from the symbol's
    top-left (negative: from its bottom / right), as :func:`segno.encoder.add_format_info` writes
    them; the dark module (row -8 of the second copy) is left out."""
    cells = []
    voffset, hoffset = 0, 0
    for i in range(8):
        if i == 6:  # the timing pattern
            voffset, hoffset = 1, 1
        cells += [(i, i + voffset, 8), (14 - i, 8, i + hoffset), (i, 8, -1 - i)]
        if i < 7:
            cells.append((14 - i, -1 - i, 8))
    return cells


def _mask_of(mask: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The data mask pattern ``mask`` (ISO/IEC 18004 table 10) at the given modules, as bools."""
    fn = se.get_data_mask_functions(False)[mask]
    return np.fromiter((fn(int(i), int(j)) for i, j in zip(rows, cols, strict=True)), bool, len(rows))


@lru_cache(maxsize=128)
def _mask_bits(version: int, mask: int) -> np.ndarray:
    layout = _layout(version)
    return _mask_of(mask, layout.rows, layout.cols)


def read_format(soft: np.ndarray) -> tuple[str, int, float]:
    """The (error level, mask, agreement) whose format word fits the soft matrix best.

    ``soft`` (n, n): each module's darkness in [0, 1]. The agreement is the mean over the 30 format
    modules of (2 v - 1) * (2 bit - 1), 1 for a perfect fit."""
    n = soft.shape[0]
    cells = _format_cells()
    values = np.array([soft[r % n, c % n] for _, r, c in cells], np.float64) * 2 - 1
    best = ("L", 0, -np.inf)
    for name, level in ERROR_LEVELS.items():
        for mask in range(8):
            word = se.calc_format_info(1, level, mask)
            bits = np.array([(word >> b) & 1 for b, _, _ in cells], np.float64) * 2 - 1
            score = float(values @ bits) / len(cells)
            if score > best[2]:
                best = (name, mask, score)
    return best


def _blocks(version: int, level: int) -> list[tuple[int, int]]:
    """(total, data) codewords of each block, in order."""
    return [(b.num_total, b.num_data) for b in sc.ECC[version][level] for _ in range(b.num_blocks)]


def _interleaved_index(blocks: list[tuple[int, int]]) -> list[list[int]]:
    """For each block, the positions of its codewords (data, then check) in the symbol's sequence."""
    out: list[list[int]] = [[] for _ in blocks]
    pos = 0
    for i in range(max(d for _, d in blocks)):
        for b, (_, d) in enumerate(blocks):
            if i < d:
                out[b].append(pos)
                pos += 1
    for i in range(max(t - d for t, d in blocks)):
        for b, (t, d) in enumerate(blocks):
            if i < t - d:
                out[b].append(pos)
                pos += 1
    return out


def _correct_block(received: bytearray, confidence: np.ndarray, nsym: int, margin: int) -> bytearray | None:
    """The block's corrected codewords, erasing its least confident ones as needed; None when no
    correction leaves ``margin`` check codewords unused."""
    order = np.argsort(confidence, kind="stable")
    # erasing f and finding e wrong among the rest is accepted when f + 2 e <= budget; if any f is
    # accepted, so is f = budget - 2 e (erasing more never finds more wrong), so these f suffice
    budget = nsym - margin
    for erased in range(budget, -1, -2):
        erase = sorted(int(i) for i in order[:erased])
        try:
            msg, ecc, _ = reedsolo.rs_correct_msg(bytearray(received), nsym, 0, 2, erase or None)
        except reedsolo.ReedSolomonError:
            continue
        fixed = bytearray(msg) + bytearray(ecc)
        wrong = sum(1 for i, (a, b) in enumerate(zip(fixed, received, strict=True)) if a != b and i not in erase)
        if erased + 2 * wrong <= budget:
            return fixed
    return None


def correct_modules(
    soft: np.ndarray, version: int, margin: int = DEFAULT_MARGIN, min_format_agreement: float = 0.2
) -> np.ndarray | None:
    """The module matrix (n, n) bool, dark True, with every codeword corrected; None when a block
    cannot be corrected or the format information is unclear (agreement under
    ``min_format_agreement``).

    ``soft``: (n, n) floats in [0, 1], each module's darkness (0.5: unknown), of a ``version`` symbol
    (the function patterns are drawn as the version has them). ``margin``: check
    codewords each block's correction must leave unused (see the module docstring).
    """
    soft = np.asarray(soft, np.float64)
    n = 17 + 4 * version
    if soft.shape != (n, n):
        raise ValueError(f"a version-{version} symbol has {n} x {n} modules, got {soft.shape}")
    level_name, mask, agreement = read_format(soft)
    if agreement < min_format_agreement:
        return None
    level = ERROR_LEVELS[level_name]
    layout = _layout(version)
    bits = layout.codewords * 8
    rows, cols = layout.rows[:bits], layout.cols[:bits]
    flip = _mask_bits(version, mask)[:bits]
    values = soft[rows, cols]
    values = np.where(flip, 1 - values, values)  # unmasked darkness of each bit
    hard = (values > 0.5).reshape(-1, 8)
    received = np.packbits(hard, axis=1).ravel()
    confidence = np.abs(values - 0.5).reshape(-1, 8).min(axis=1)
    blocks = _blocks(version, level)
    corrected = received.copy()
    for (total, data), where in zip(blocks, _interleaved_index(blocks), strict=True):
        fixed = _correct_block(bytearray(received[where].tobytes()), confidence[where], total - data, margin)
        if fixed is None:
            return None
        corrected[where] = np.frombuffer(bytes(fixed), np.uint8)
    out = np.where(layout.fixed >= 0, layout.fixed == 1, soft > 0.5)
    new_bits = np.unpackbits(corrected).astype(bool) ^ flip
    out[rows, cols] = new_bits
    word = se.calc_format_info(1, level, mask)
    for b, r, c in _format_cells():
        out[r % n, c % n] = bool((word >> b) & 1)
    return out


__all__ = ["DEFAULT_MARGIN", "ERROR_LEVELS", "correct_modules", "read_format"]
