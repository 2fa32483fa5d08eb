"""Facts of the QR Code symbology (model 2, versions 1-40), written out once, from ISO/IEC 18004:2015.

* Symbol size (clause 5.3.1, table 1): a version ``v`` symbol is ``17 + 4 v`` modules square
  (:func:`modules`, :func:`version_of`), with a quiet zone of :data:`QUIET_ZONE` modules around it.
* Function patterns (clause 6.3): three 7 x 7 finder patterns in the corners (6.3.3) inside a
  one-module light separator (6.3.4); the timing patterns along row and column 6 (6.3.5); 5 x 5
  alignment patterns centred on every pair of the row/column coordinates of Annex E, table E.1,
  except the three pairs overlapping a finder (6.3.6, :data:`ALIGNMENT_COORDINATES`).
* Encoding region (6.3.2, 7.9, 7.10): the format information (two copies of 15 bits next to the
  finders), the dark module at (4 v + 9, 8) and, from version 7, the version information (two 6 x 3
  blocks, an 18-bit BCH(18, 6) word with generator polynomial 0x1F25, Annex D).
* Capacity (table 7): the number of data codewords per version and error correction level
  (:data:`DATA_CODEWORDS`) and the byte-mode data capacity in characters (:data:`BYTE_CAPACITY`);
  the total number of codewords is what the function patterns leave over (table 1, :func:`codewords`).

Coordinates are (row, column) from the symbol's top-left module, without the quiet zone.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: The versions of QR Code model 2.
VERSIONS = tuple(range(1, 41))
#: Error correction levels, in the order of the capacity tables.
ERROR_LEVELS = ("L", "M", "Q", "H")
#: Quiet zone (light margin) around the symbol, modules (clause 6.3.8).
QUIET_ZONE = 4
#: Side of a finder pattern, modules; with its separator it takes 8 x 8 modules of each corner.
FINDER_SIZE = 7
#: Side of an alignment pattern, modules.
ALIGNMENT_SIZE = 5
#: Row (and column) of the timing patterns.
TIMING = 6

#: Annex E, table E.1: the row/column coordinates of the alignment pattern centres per version (none
#: for version 1).
ALIGNMENT_COORDINATES: dict[int, tuple[int, ...]] = {
    1: (),
    2: (6, 18),
    3: (6, 22),
    4: (6, 26),
    5: (6, 30),
    6: (6, 34),
    7: (6, 22, 38),
    8: (6, 24, 42),
    9: (6, 26, 46),
    10: (6, 28, 50),
    11: (6, 30, 54),
    12: (6, 32, 58),
    13: (6, 34, 62),
    14: (6, 26, 46, 66),
    15: (6, 26, 48, 70),
    16: (6, 26, 50, 74),
    17: (6, 30, 54, 78),
    18: (6, 30, 56, 82),
    19: (6, 30, 58, 86),
    20: (6, 34, 62, 90),
    21: (6, 28, 50, 72, 94),
    22: (6, 26, 50, 74, 98),
    23: (6, 30, 54, 78, 102),
    24: (6, 28, 54, 80, 106),
    25: (6, 32, 58, 84, 110),
    26: (6, 30, 58, 86, 114),
    27: (6, 34, 62, 90, 118),
    28: (6, 26, 50, 74, 98, 122),
    29: (6, 30, 54, 78, 102, 126),
    30: (6, 26, 52, 78, 104, 130),
    31: (6, 30, 56, 82, 108, 134),
    32: (6, 34, 60, 86, 112, 138),
    33: (6, 30, 58, 86, 114, 142),
    34: (6, 34, 62, 90, 118, 146),
    35: (6, 30, 54, 78, 102, 126, 150),
    36: (6, 24, 50, 76, 102, 128, 154),
    37: (6, 28, 54, 80, 106, 132, 158),
    38: (6, 32, 58, 84, 110, 136, 162),
    39: (6, 26, 54, 82, 110, 138, 166),
    40: (6, 30, 58, 86, 114, 142, 170),
}

#: Table 7: data codewords (after error correction, all blocks) per version, at levels L, M, Q, H.
DATA_CODEWORDS: dict[int, tuple[int, int, int, int]] = {
    1: (19, 16, 13, 9),
    2: (34, 28, 22, 16),
    3: (55, 44, 34, 26),
    4: (80, 64, 48, 36),
    5: (108, 86, 62, 46),
    6: (136, 108, 76, 60),
    7: (156, 124, 88, 66),
    8: (194, 154, 110, 86),
    9: (232, 182, 132, 100),
    10: (274, 216, 154, 122),
    11: (324, 254, 180, 140),
    12: (370, 290, 206, 158),
    13: (428, 334, 244, 180),
    14: (461, 365, 261, 197),
    15: (523, 415, 295, 223),
    16: (589, 453, 325, 253),
    17: (647, 507, 367, 283),
    18: (721, 563, 397, 313),
    19: (795, 627, 445, 341),
    20: (861, 669, 485, 385),
    21: (932, 714, 512, 406),
    22: (1006, 782, 568, 442),
    23: (1094, 860, 614, 464),
    24: (1174, 914, 664, 514),
    25: (1276, 1000, 718, 538),
    26: (1370, 1062, 754, 596),
    27: (1468, 1128, 808, 628),
    28: (1531, 1193, 871, 661),
    29: (1631, 1267, 911, 701),
    30: (1735, 1373, 985, 745),
    31: (1843, 1455, 1033, 793),
    32: (1955, 1541, 1115, 845),
    33: (2071, 1631, 1171, 901),
    34: (2191, 1725, 1231, 961),
    35: (2306, 1812, 1286, 986),
    36: (2434, 1914, 1354, 1054),
    37: (2566, 1992, 1426, 1096),
    38: (2702, 2102, 1502, 1142),
    39: (2812, 2216, 1582, 1222),
    40: (2956, 2334, 1666, 1276),
}

#: Table 7: byte-mode data capacity (8-bit characters, one segment) per version, at levels L, M, Q, H.
BYTE_CAPACITY: dict[int, tuple[int, int, int, int]] = {
    1: (17, 14, 11, 7),
    2: (32, 26, 20, 14),
    3: (53, 42, 32, 24),
    4: (78, 62, 46, 34),
    5: (106, 84, 60, 44),
    6: (134, 106, 74, 58),
    7: (154, 122, 86, 64),
    8: (192, 152, 108, 84),
    9: (230, 180, 130, 98),
    10: (271, 213, 151, 119),
    11: (321, 251, 177, 137),
    12: (367, 287, 203, 155),
    13: (425, 331, 241, 177),
    14: (458, 362, 258, 194),
    15: (520, 412, 292, 220),
    16: (586, 450, 322, 250),
    17: (644, 504, 364, 280),
    18: (718, 560, 394, 310),
    19: (792, 624, 442, 338),
    20: (858, 666, 482, 382),
    21: (929, 711, 509, 403),
    22: (1003, 779, 565, 439),
    23: (1091, 857, 611, 461),
    24: (1171, 911, 661, 511),
    25: (1273, 997, 715, 535),
    26: (1367, 1059, 751, 593),
    27: (1465, 1125, 805, 625),
    28: (1528, 1190, 868, 658),
    29: (1628, 1264, 908, 698),
    30: (1732, 1370, 982, 742),
    31: (1840, 1452, 1030, 790),
    32: (1952, 1538, 1112, 842),
    33: (2068, 1628, 1168, 898),
    34: (2188, 1722, 1228, 958),
    35: (2303, 1809, 1283, 983),
    36: (2431, 1911, 1351, 1051),
    37: (2563, 1989, 1423, 1093),
    38: (2699, 2099, 1499, 1139),
    39: (2809, 2213, 1579, 1219),
    40: (2953, 2331, 1663, 1273),
}

#: Annex D: generator polynomial of the version information's BCH(18, 6) code.
_VERSION_BCH = 0x1F25


def _check(version: int) -> int:
    if isinstance(version, bool) or int(version) != version or not 1 <= version <= 40:
        raise ValueError(f"QR versions are 1-40, got {version!r}")
    return int(version)


def _level(level: str) -> int:
    try:
        return ERROR_LEVELS.index(str(level).upper())
    except ValueError:
        raise ValueError(f"error correction levels are L, M, Q, H, got {level!r}") from None


def modules(version: int) -> int:
    """Side of a ``version`` symbol in modules (table 1): ``17 + 4 version``, without the quiet zone."""
    return 17 + 4 * _check(version)


def version_of(n_modules: int) -> int:
    """The version whose symbol is ``n_modules`` modules square; ValueError when none is."""
    n = int(n_modules)
    if n != n_modules or (n - 17) % 4 or not 21 <= n <= 177:
        raise ValueError(f"no QR version is {n_modules!r} modules square (21, 25, ..., 177)")
    return (n - 17) // 4


def finder_centres(version: int) -> tuple[tuple[int, int], ...]:
    """Centres (row, col) of the top-left, top-right and bottom-left finder patterns."""
    far = modules(version) - 4
    return ((3, 3), (3, far), (far, 3))


def alignment_centres(version: int) -> tuple[tuple[int, int], ...]:
    """Centres (row, col) of a ``version`` symbol's alignment patterns (6.3.6, Annex E): every pair of
    the version's coordinates but the three that would overlap a finder pattern; row-major order."""
    coords = ALIGNMENT_COORDINATES[_check(version)]
    if not coords:
        return ()
    lo, hi = coords[0], coords[-1]
    skip = {(lo, lo), (lo, hi), (hi, lo)}
    return tuple((r, c) for r in coords for c in coords if (r, c) not in skip)


def dark_module(version: int) -> tuple[int, int]:
    """The dark module's (row, col): beside the bottom-left finder's separator (clause 7.9.1)."""
    return (4 * _check(version) + 9, 8)


def version_information(version: int) -> int:
    """The 18-bit version information word (Annex D): the version in the top 6 bits, then the
    remainder of its BCH(18, 6) code. Symbols carry it from version 7 on."""
    v = _check(version)
    remainder = v << 12
    for shift in range(5, -1, -1):
        if remainder & (1 << (shift + 12)):
            remainder ^= _VERSION_BCH << shift
    return (v << 12) | remainder


def format_cells(version: int) -> tuple[tuple[int, int, int], ...]:
    """(bit, row, col) of the format information's two 15-bit copies (clause 7.9.1, figure 25); bit 0
    is the least significant. The first copy surrounds the top-left finder, the second is split
    between the top-right (bits 0-7, along row 8) and bottom-left (bits 8-14, down column 8)
    finders."""
    n = modules(version)
    cells = []
    for i in range(15):
        # first copy: up column 8 from row 0 (skipping the timing row), then left along row 8
        if i < 6:
            cells.append((i, i, 8))
        elif i < 8:
            cells.append((i, i + 1, 8))
        elif i == 8:
            cells.append((i, 8, 7))
        else:
            cells.append((i, 8, 14 - i))
        # second copy
        if i < 8:
            cells.append((i, 8, n - 1 - i))
        else:
            cells.append((i, n - 15 + i, 8))
    return tuple(cells)


@lru_cache(maxsize=64)
def function_modules(version: int) -> np.ndarray:
    """(n, n) int8, read-only: 1 for a dark and 0 for a light module fixed by the version (finder
    patterns, separators, timing, alignment patterns, the dark module, version information), -1 for
    the format information (which depends on the error level and mask) and the data."""
    n = modules(version)
    out = np.full((n, n), -1, np.int8)
    finder = np.ones((7, 7), np.int8)
    finder[1:6, 1:6] = 0
    finder[2:5, 2:5] = 1
    # finders in their separators: the 8 x 8 corners
    out[:8, :8] = out[:8, n - 8 :] = out[n - 8 :, :8] = 0
    out[:7, :7] = out[:7, n - 7 :] = out[n - 7 :, :7] = finder
    # timing patterns: dark on even indices between the separators
    ticks = (np.arange(8, n - 8) % 2 == 0).astype(np.int8)
    out[TIMING, 8 : n - 8] = ticks
    out[8 : n - 8, TIMING] = ticks
    pattern = np.ones((5, 5), np.int8)
    pattern[1:4, 1:4] = 0
    pattern[2, 2] = 1
    for r, c in alignment_centres(version):
        out[r - 2 : r + 3, c - 2 : c + 3] = pattern
    if version >= 7:
        word = version_information(version)
        for i in range(18):
            bit = (word >> i) & 1
            out[i // 3, n - 11 + i % 3] = bit  # top right: 6 rows of 3
            out[n - 11 + i % 3, i // 3] = bit  # bottom left: 3 rows of 6
    out[dark_module(version)] = 1
    out.setflags(write=False)
    return out


@lru_cache(maxsize=64)
def function_mask(version: int) -> np.ndarray:
    """(n, n) bool, read-only: True for every module that is not data (function patterns, the dark
    module, format and version information)."""
    mask = function_modules(version) >= 0
    for _, r, c in format_cells(version):
        mask[r, c] = True
    mask.setflags(write=False)
    return mask


def codewords(version: int) -> int:
    """Total codewords (data and error correction) of a ``version`` symbol (table 1): its data
    modules, 8 to a codeword; the rest are remainder bits (:func:`remainder_bits`)."""
    return int((~function_mask(version)).sum()) // 8


def remainder_bits(version: int) -> int:
    """Data modules left over after the last whole codeword (table 1: 0, 3, 4 or 7)."""
    return int((~function_mask(version)).sum()) % 8


def data_codewords(version: int, level: str) -> int:
    """Data codewords of a ``version`` symbol at error correction ``level`` (table 7)."""
    return DATA_CODEWORDS[_check(version)][_level(level)]


def byte_capacity(version: int, level: str) -> int:
    """The longest byte-mode payload (8-bit characters, one segment) a ``version`` symbol holds at
    error correction ``level`` (table 7)."""
    return BYTE_CAPACITY[_check(version)][_level(level)]


def char_count_bits(version: int) -> int:
    """Bits of a byte-mode segment's character count indicator (table 3): 8 up to version 9, else 16."""
    return 8 if _check(version) <= 9 else 16


__all__ = [
    "ALIGNMENT_COORDINATES",
    "ALIGNMENT_SIZE",
    "BYTE_CAPACITY",
    "DATA_CODEWORDS",
    "ERROR_LEVELS",
    "FINDER_SIZE",
    "QUIET_ZONE",
    "TIMING",
    "VERSIONS",
    "alignment_centres",
    "byte_capacity",
    "char_count_bits",
    "codewords",
    "dark_module",
    "data_codewords",
    "finder_centres",
    "format_cells",
    "function_mask",
    "function_modules",
    "modules",
    "remainder_bits",
    "version_information",
    "version_of",
]
