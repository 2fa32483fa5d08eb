"""Small test videos made on the spot: codes rendered with segno moving over a textured background."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix, render_matrix


def code_tile(payload: str, module_px: int = 2) -> np.ndarray:
    """A code with its 4-module quiet zone, uint8 grey (dark 20, light 235)."""
    matrix = module_matrix(make_symbol(QRSpec(payload, 1, "M", mask=0)), 4)
    return (render_matrix(matrix, module_px=module_px) * 215 + 20).astype(np.uint8)


def background(size: tuple[int, int]) -> np.ndarray:
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    return (120 + 30 * np.sin(xx / 7.0) * np.cos(yy / 11.0)).astype(np.uint8)


def render_frames(codes, frames: int = 30, size: tuple[int, int] = (120, 160)) -> list[np.ndarray]:
    """Grey frames with the codes pasted at their places.

    ``codes``: (payload, place) pairs; ``place(i)`` gives the code tile's top-left (x, y) in frame
    ``i``, or None when it is out of view. Tiles are clipped at the frame's edges.
    """
    bg = background(size)
    h, w = size
    tiles = {p: code_tile(p) for p, _ in codes}
    out = []
    for i in range(frames):
        img = bg.copy()
        for payload, place in codes:
            at = place(i)
            if at is None:
                continue
            tile = tiles[payload]
            x, y = int(round(at[0])), int(round(at[1]))
            th, tw = tile.shape
            x0, y0, x1, y1 = max(0, x), max(0, y), min(w, x + tw), min(h, y + th)
            if x0 < x1 and y0 < y1:
                img[y0:y1, x0:x1] = tile[y0 - y : y1 - y, x0 - x : x1 - x]
        out.append(img)
    return out


def write_video(path: Path, frames: list[np.ndarray], fps: float = 30.0) -> Path:
    h, w = frames[0].shape
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    assert writer.isOpened(), "OpenCV cannot write mp4v here"
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


@pytest.fixture
def make_video(tmp_path):
    """``make_video(codes, frames=30, name="v.mp4") -> path``: render (see render_frames) and write mp4v."""

    def make(codes, frames: int = 30, name: str = "v.mp4", size=(120, 160)) -> Path:
        return write_video(tmp_path / name, render_frames(codes, frames, size))

    return make


@pytest.fixture
def frames_of():
    return render_frames
