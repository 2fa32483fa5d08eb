"""Shared fixtures: real decoders as oracles, and a skip marker for tests that need libzbar.

Mark a test (or a ``pytest.param``) with ``@pytest.mark.zbar_available``: it is skipped, with the
reason, when pyzbar cannot load the system library libzbar0.
"""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np
import pytest


def _zbar_problem() -> str | None:
    """Why ZBar cannot be used here, or None when it can."""
    try:
        from pyzbar import pyzbar  # noqa: F401  (loads libzbar through ctypes)
    except Exception as exc:  # ImportError when libzbar0 is missing, OSError on a broken install
        return f"pyzbar cannot load libzbar ({exc}); install it with: apt-get install libzbar0"
    return None


ZBAR_PROBLEM = _zbar_problem()


def pytest_configure(config):
    config.addinivalue_line("markers", "zbar_available: needs libzbar (skipped with the reason when missing)")


def pytest_collection_modifyitems(config, items):
    if ZBAR_PROBLEM is None:
        return
    skip = pytest.mark.skip(reason=ZBAR_PROBLEM)
    for item in items:
        if "zbar_available" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def zxing():
    """The primary decoder (zxing-cpp), shared by every test as the oracle for QR images."""
    from qrdeblur.decode import get_decoder

    return get_decoder("zxing-cpp")


@pytest.fixture(scope="session")
def decode_texts(zxing):
    """``decode_texts(image) -> list[str]``: what zxing-cpp reads in a float or uint8 image."""

    def run(image: np.ndarray) -> list[str]:
        return [r.text for r in zxing.decode(image)]

    return run


@pytest.fixture
def locked_dirs(monkeypatch):
    """Directories named ``locked`` cannot be listed (as without read permission), whoever runs the
    tests (root reads every directory)."""
    from qrdeblur import imageio

    real = os.scandir

    def scandir(path):
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(imageio.os, "scandir", scandir)


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


@pytest.fixture(scope="session")
def png_header_only():
    """``make(width, height) -> bytes``: a tiny PNG whose header claims width x height (8-bit grey) and
    holds no pixel data: a decompression bomb's claim, refused before any pixel is decoded."""
    return _png_header_only

