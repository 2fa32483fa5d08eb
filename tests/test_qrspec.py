"""qrspec's tables and layouts against an independent encoder (segno)."""

from __future__ import annotations

import numpy as np
import pytest
import segno
import segno.consts as sc

from qrdeblur import qrspec

ALL = qrspec.VERSIONS
#: A sample for the slower checks (segno's verbose matrix, payload fitting): small, version info, large.
SAMPLE = (1, 2, 6, 7, 10, 14, 21, 27, 32, 40)


def _types(version: int, error: str = "l", mask: int | None = None) -> np.ndarray:
    symbol = segno.make_qr("1", version=version, error=error, mask=mask, boost_error=False)
    return np.array([list(row) for row in symbol.matrix_iter(border=0, verbose=True)])


def _segno_format(types: np.ndarray) -> np.ndarray:
    """segno's format labels, less the module (8, n - 9): segno's verbose matrix labels it format
    (``j > width - 10``), but the format bits on row 8 take columns n - 8 to n - 1 (figure 25) and
    segno's encoder places a data bit there."""
    fmt = np.isin(types, (sc.TYPE_FORMAT_DARK, sc.TYPE_FORMAT_LIGHT))
    fmt[8, len(types) - 9] = False
    return fmt


def _matrix(version: int, error: str = "l") -> np.ndarray:
    symbol = segno.make_qr("1", version=version, error=error, boost_error=False)
    return np.array([list(row) for row in symbol.matrix_iter(border=0)], bool)


@pytest.mark.parametrize("version", ALL)
def test_symbol_size(version):
    n = qrspec.modules(version)
    assert segno.make_qr("1", version=version).symbol_size(border=0) == (n, n)
    assert qrspec.version_of(n) == version


@pytest.mark.parametrize("bad", [0, 41, -1, 2.5, True])
def test_modules_rejects_bad_versions(bad):
    with pytest.raises(ValueError):
        qrspec.modules(bad)


@pytest.mark.parametrize("bad", [20, 22, 23, 24, 17, 181, 21.5])
def test_version_of_rejects_other_sizes(bad):
    with pytest.raises(ValueError):
        qrspec.version_of(bad)


def test_alignment_coordinates_match_segno():
    for version in range(2, 41):
        assert qrspec.ALIGNMENT_COORDINATES[version] == sc.ALIGNMENT_POS[version - 2]
    assert qrspec.alignment_centres(1) == ()
    assert len(qrspec.alignment_centres(2)) == 1
    assert len(qrspec.alignment_centres(7)) == 6
    assert len(qrspec.alignment_centres(40)) == 46


@pytest.mark.parametrize("version", SAMPLE)
def test_alignment_centres_in_segno_matrix(version):
    types = _types(version)
    dark = types == sc.TYPE_ALIGNMENT_PATTERN_DARK
    light = types == sc.TYPE_ALIGNMENT_PATTERN_LIGHT
    expected = np.zeros_like(dark)
    for r, c in qrspec.alignment_centres(version):
        assert dark[r, c] and light[r - 1 : r + 2, c - 1 : c + 2].sum() == 8  # centre in a light ring
        expected[r - 2 : r + 3, c - 2 : c + 3] = True
    assert np.array_equal(dark | light, expected)


@pytest.mark.parametrize("version", SAMPLE)
def test_finder_centres(version):
    dark = _types(version) == sc.TYPE_FINDER_PATTERN_DARK
    for r, c in qrspec.finder_centres(version):
        assert dark[r - 1 : r + 2, c - 1 : c + 2].all()  # the 3 x 3 dark core
        assert dark[r - 3, c - 3] and dark[r + 3, c + 3]


@pytest.mark.parametrize("version", SAMPLE)
def test_function_modules_match_segno(version):
    types = _types(version)
    values = {
        sc.TYPE_FINDER_PATTERN_DARK: 1, sc.TYPE_FINDER_PATTERN_LIGHT: 0, sc.TYPE_SEPARATOR: 0,
        sc.TYPE_TIMING_DARK: 1, sc.TYPE_TIMING_LIGHT: 0, sc.TYPE_ALIGNMENT_PATTERN_DARK: 1,
        sc.TYPE_ALIGNMENT_PATTERN_LIGHT: 0, sc.TYPE_DARKMODULE: 1, sc.TYPE_VERSION_DARK: 1,
        sc.TYPE_VERSION_LIGHT: 0,
    }  # fmt: skip
    expected = np.full(types.shape, -1, np.int8)
    for kind, value in values.items():
        expected[types == kind] = value
    fixed = qrspec.function_modules(version)
    assert np.array_equal(fixed, expected)
    assert not fixed.flags.writeable
    function = ~np.isin(types, (sc.TYPE_DATA_DARK, sc.TYPE_DATA_LIGHT))
    function[8, len(types) - 9] = False  # see _segno_format
    assert np.array_equal(qrspec.function_mask(version), function)
    assert qrspec.dark_module(version) in {tuple(rc) for rc in np.argwhere(types == sc.TYPE_DARKMODULE)}


@pytest.mark.parametrize("version", (1, 7, 23))
@pytest.mark.parametrize("error", ("l", "h"))
def test_format_cells_read_the_format_word(version, error):
    """Both copies of the format information read the same word, and it is the (level, mask) segno used."""
    symbol = segno.make_qr("1", version=version, error=error, mask=3, boost_error=False)
    matrix = np.array([list(row) for row in symbol.matrix_iter(border=0)], bool)
    types = _types(version, error, mask=3)
    cells = qrspec.format_cells(version)
    assert len(cells) == 30
    fmt = _segno_format(types)
    assert {(r, c) for _, r, c in cells} == {tuple(rc) for rc in np.argwhere(fmt)}
    words = [0, 0]
    seen = [set(), set()]
    for bit, r, c in cells:
        copy = 1 if bit in seen[0] else 0
        seen[copy].add(bit)
        words[copy] |= int(matrix[r, c]) << bit
    assert words[0] == words[1]
    level = {"l": sc.ERROR_LEVEL_L, "h": sc.ERROR_LEVEL_H}[error]
    assert words[0] == sc.FORMAT_INFO[(level << 3) | 3]


def test_version_information_matches_segno():
    for version in range(7, 41):
        assert qrspec.version_information(version) == sc.VERSION_INFO[version - 7]


@pytest.mark.parametrize("version", ALL)
def test_codewords_match_segno(version):
    total = sum(b.num_blocks * b.num_total for b in sc.ECC[version][sc.ERROR_LEVEL_L])
    assert qrspec.codewords(version) == total
    assert qrspec.remainder_bits(version) in (0, 3, 4, 7)
    for k, level in enumerate((sc.ERROR_LEVEL_L, sc.ERROR_LEVEL_M, sc.ERROR_LEVEL_Q, sc.ERROR_LEVEL_H)):
        data = sum(b.num_blocks * b.num_data for b in sc.ECC[version][level])
        assert qrspec.data_codewords(version, qrspec.ERROR_LEVELS[k]) == data


def test_remainder_bits_table_1():
    bits = {v: qrspec.remainder_bits(v) for v in ALL}
    assert {v for v, b in bits.items() if b == 7} == set(range(2, 7))
    assert {v for v, b in bits.items() if b == 3} == set(range(14, 21)) | set(range(28, 35))
    assert {v for v, b in bits.items() if b == 4} == set(range(21, 28))


@pytest.mark.parametrize("version", SAMPLE)
@pytest.mark.parametrize("level", qrspec.ERROR_LEVELS)
def test_byte_capacity_is_the_largest_payload_segno_fits(version, level):
    cap = qrspec.byte_capacity(version, level)
    fits = segno.make_qr(b"\xab" * cap, mode="byte", version=version, error=level, boost_error=False)
    assert fits.version == version
    with pytest.raises(segno.DataOverflowError):
        segno.make_qr(b"\xab" * (cap + 1), mode="byte", version=version, error=level, boost_error=False)


def test_byte_capacity_follows_from_the_data_codewords():
    for version in ALL:
        for level in qrspec.ERROR_LEVELS:
            bits = 8 * qrspec.data_codewords(version, level) - 4 - qrspec.char_count_bits(version)
            assert qrspec.byte_capacity(version, level) == bits // 8
    assert qrspec.byte_capacity(40, "l") == 2953  # level names are case-insensitive
    with pytest.raises(ValueError):
        qrspec.byte_capacity(1, "X")


def test_function_modules_render_like_segno():
    """The fixed modules agree with a rendered code's pixels (not only segno's labels)."""
    for version in (2, 7):
        fixed = qrspec.function_modules(version)
        matrix = _matrix(version)
        known = fixed >= 0
        assert np.array_equal(matrix[known], fixed[known].astype(bool))
