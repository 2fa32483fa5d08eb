"""read_image / iter_image_paths: formats, EXIF orientation, and one-line errors for bad files."""

import os
import time

import numpy as np
import pytest
from PIL import Image

from qrdeblur import imageio
from qrdeblur.errors import ImageReadError
from qrdeblur.imageio import iter_image_paths, read_image


def _pattern(h=60, w=90):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("ext", [".png", ".bmp", ".tif", ".webp"])
def test_lossless_formats_round_trip_rgb(tmp_path, ext):
    rgb = _pattern()
    path = tmp_path / f"a{ext}"
    Image.fromarray(rgb).save(path, **({"lossless": True} if ext == ".webp" else {}))
    out = read_image(path)
    assert out.dtype == np.uint8 and out.shape == rgb.shape
    np.testing.assert_array_equal(out, rgb)


def test_jpeg_and_grey(tmp_path):
    grey = np.tile(np.linspace(0, 255, 80).astype(np.uint8), (50, 1))
    Image.fromarray(grey).save(tmp_path / "g.png")
    Image.fromarray(grey).save(tmp_path / "g.jpg", quality=95)
    assert read_image(tmp_path / "g.png").shape == (50, 80)
    jpg = read_image(tmp_path / "g.jpg")
    assert jpg.shape == (50, 80) and np.abs(jpg.astype(int) - grey).max() < 12


def test_sixteen_bit_is_scaled_down(tmp_path):
    a = (np.arange(40 * 50).reshape(40, 50) * 30).astype(np.uint16)  # up to ~60000
    Image.fromarray(a).save(tmp_path / "d.png")
    out = read_image(tmp_path / "d.png")
    assert out.dtype == np.uint8 and out.shape == (40, 50)
    np.testing.assert_allclose(out.astype(float), a / 65535 * 255, atol=1.0)


def test_rgba_is_composited_on_white(tmp_path):
    rgba = np.zeros((30, 40, 4), np.uint8)
    rgba[:, :20, 3] = 255  # left half opaque black, right half fully transparent
    Image.fromarray(rgba).save(tmp_path / "t.png")
    out = read_image(tmp_path / "t.png")
    assert out.shape == (30, 40, 3)
    assert (out[:, :20] == 0).all() and (out[:, 20:] == 255).all()


def test_exif_orientation_is_applied(tmp_path):
    oriented = np.full((40, 100, 3), 255, np.uint8)
    oriented[:10, :10] = 0  # a dark marker at the displayed top-left
    stored = np.ascontiguousarray(np.rot90(oriented, 1))  # what a camera held sideways stores
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    Image.fromarray(stored).save(tmp_path / "r.jpg", exif=exif, quality=95)
    out = read_image(tmp_path / "r.jpg")
    assert out.shape == (40, 100, 3)
    assert out[:8, :8].mean() < 40 and out[-8:, -8:].mean() > 215


def _errors(tmp_path, png_header_only):
    (tmp_path / "empty.png").write_bytes(b"")
    Image.fromarray(_pattern(100, 100)).save(tmp_path / "good.png")
    data = (tmp_path / "good.png").read_bytes()
    (tmp_path / "truncated.png").write_bytes(data[: len(data) // 2])
    (tmp_path / "text.png").write_text("this is not an image\n")
    Image.fromarray(np.zeros((1, 1), np.uint8)).save(tmp_path / "tiny.png")
    (tmp_path / "bomb.png").write_bytes(png_header_only(20000, 20000))
    return {
        "empty.png": "empty",
        "truncated.png": "truncated",
        "text.png": "not an image",
        "tiny.png": "too small",
        "bomb.png": "decompression bomb",
        "missing.png": "not found",
    }


def test_bad_files_give_one_line_errors_naming_the_file(tmp_path, png_header_only):
    for name, words in _errors(tmp_path, png_header_only).items():
        path = tmp_path / name
        t0 = time.perf_counter()
        with pytest.raises(ImageReadError) as info:
            read_image(path)
        msg = str(info.value)
        assert "\n" not in msg
        assert msg.startswith(f"{path}: ")
        assert words in msg, msg
        assert info.value.problem in msg
        assert time.perf_counter() - t0 < 1.0  # the bomb is refused from its header


def test_pixel_limit_is_checked_before_decoding(tmp_path, monkeypatch, png_header_only):
    (tmp_path / "big.png").write_bytes(png_header_only(9000, 8000))  # 72 MP: below Pillow's own refusal
    with pytest.raises(ImageReadError, match="9000x8000.*decompression bomb"):
        read_image(tmp_path / "big.png")
    monkeypatch.setattr(imageio, "MAX_PIXELS", 80_000_000)
    with pytest.raises(ImageReadError, match="truncated or corrupt"):  # now it gets to the (missing) pixels
        read_image(tmp_path / "big.png")


def test_iter_image_paths_walks_sorted_and_filters(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.PNG").write_bytes(b"x")
    (tmp_path / "b" / "notes.txt").write_text("x")
    (tmp_path / "a.jpg").write_bytes(b"x")
    (tmp_path / ".hidden.png").write_bytes(b"x")
    explicit = tmp_path / "named.dat"
    explicit.write_bytes(b"x")
    got = list(iter_image_paths([tmp_path, explicit, tmp_path / "nope.png"]))
    assert got == [
        (tmp_path / "a.jpg", None),
        (tmp_path / "b" / "z.PNG", None),
        (explicit, None),
        (tmp_path / "nope.png", "file not found"),
    ]


def test_unreadable_directory_is_an_error_record(tmp_path, locked_dirs):
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "a.png").write_bytes(b"x")
    (tmp_path / "locked").mkdir()
    got = list(iter_image_paths([tmp_path]))
    assert (tmp_path / "locked", "cannot read directory (permission denied)") in got
    assert (tmp_path / "ok" / "a.png", None) in got


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any directory")
def test_unreadable_directory_for_real(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        assert list(iter_image_paths([locked])) == [(locked, "cannot read directory (permission denied)")]
    finally:
        locked.chmod(0o755)
