"""Payloads: seeded generators, payload files and enrolment from clean images."""

import string

import cv2
import numpy as np
import pytest

from qrdeblur.errors import UsageError
from qrdeblur.synth import payloads as pl
from qrdeblur.synth.degrade import to_uint8
from qrdeblur.synth.render import QRSpec, make_symbol, render_code


@pytest.mark.parametrize(
    "gen", [pl.random_alphanumeric, pl.random_bytes_text, pl.random_url, pl.random_payload]
)
def test_generators_are_seeded(gen):
    a = [gen(np.random.default_rng(5)) for _ in range(3)]
    assert a == [gen(np.random.default_rng(5)) for _ in range(3)]
    rng = np.random.default_rng(5)
    drawn = {gen(rng) for _ in range(20)}
    assert len(drawn) >= 15


def test_random_alphanumeric_uses_the_qr_alphanumeric_set():
    rng = np.random.default_rng(0)
    for _ in range(200):
        p = pl.random_alphanumeric(rng, 8, 16)
        assert 8 <= len(p) <= 16
        assert set(p) <= set(pl.ALPHANUMERIC)
        assert p == p.strip()
        # segno must pick alphanumeric mode (mode 2), the densest for such text
        assert make_symbol(QRSpec(p, None, "M", mask=0)).mode == "alphanumeric"


def test_random_url_looks_like_a_url_and_respects_max_len():
    rng = np.random.default_rng(1)
    for _ in range(100):
        u = pl.random_url(rng, max_len=40)
        assert u.startswith("https://") and len(u) <= 40
        assert set(u) <= set(string.ascii_letters + string.digits + ":/.")


def test_random_payload_kinds():
    rng = np.random.default_rng(2)
    assert all(pl.random_payload(rng, "url").startswith("https://") for _ in range(10))
    assert all(set(pl.random_payload(rng, "alphanumeric")) <= set(pl.ALPHANUMERIC) for _ in range(10))
    mixed = [pl.random_payload(rng) for _ in range(60)]
    assert any(p.startswith("https://") for p in mixed)
    assert any(not p.startswith("https://") for p in mixed)
    with pytest.raises(UsageError, match="'emoji'"):
        pl.random_payload(rng, "emoji")


def test_read_payload_file_one_per_non_empty_line(tmp_path):
    f = tmp_path / "codes.txt"
    f.write_bytes("LOT 1\r\n\r\n  \nhttps://x.io/a b\nnamé ✓\n".encode())
    assert pl.read_payload_file(f) == ["LOT 1", "https://x.io/a b", "namé ✓"]


@pytest.mark.parametrize(
    "content,problem",
    [(None, "not found"), (b"\xff\xfe\x00L\x00O\x00T", "not UTF-8"), (b"\n \n", "no payloads")],
    ids=["missing", "not-utf8", "empty"],
)
def test_read_payload_file_errors_name_the_file(tmp_path, content, problem):
    f = tmp_path / "codes.txt"
    if content is not None:
        f.write_bytes(content)
    with pytest.raises(UsageError) as info:
        pl.read_payload_file(f)
    msg = str(info.value)
    assert str(f) in msg and problem in msg and "\n" not in msg


def test_read_payload_file_on_a_folder(tmp_path):
    with pytest.raises(UsageError, match="cannot read payload file"):
        pl.read_payload_file(tmp_path)


def test_enrol_images_returns_the_payloads(tmp_path):
    pytest.importorskip("qrdeblur.imageio", reason="qrdeblur.imageio (read_image) not written yet")
    paths = []
    for i, text in enumerate(["ENROL 1", "https://example.org/e/2"]):
        p = tmp_path / f"code{i}.png"
        cv2.imwrite(str(p), to_uint8(render_code(QRSpec(text), module_px=4)))
        paths.append(p)
    assert pl.enrol_images(paths) == ["ENROL 1", "https://example.org/e/2"]
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((50, 50), 255, np.uint8))
    with pytest.raises(UsageError, match="blank.png"):
        pl.enrol_images([paths[0], blank])
