"""Multi-frame fusion (:mod:`qrdeblur.scan.fuse`) and its use by :func:`qrdeblur.scan.scan_video`:
a code moving fast enough that no frame reads, even deconvolved with its true blur, is read from the
frames registered and averaged."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from qrdeblur.cli import app
from qrdeblur.decode.zxing import read_grey
from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.scan import fuse as fusion
from qrdeblur.scan.video import scan_video
from qrdeblur.synth.kernels import path_kernel
from qrdeblur.synth.render import QRSpec, make_symbol, module_matrix, render_matrix

PAYLOAD = "FUSE-TEST-1"
MODULE_PX = 3
TILE = 29 * MODULE_PX  # version 1 and its quiet zone


def moving_code(frames=10, speed=18.0, shutter=0.9, noise=12.0, size=(150, 420), seed=0, angle=0.0, start_x=20.0):
    """Frames of a version-1 code (3 px per module) crossing a patterned background at ``speed`` px per
    frame in direction ``angle``, the moving layer blurred along its motion by ``shutter`` of it, plus
    Gaussian noise of std ``noise`` grey levels. Returns (frames, true PSF, velocity, tile top-left per frame)."""
    rng = np.random.default_rng(seed)
    matrix = module_matrix(make_symbol(QRSpec(PAYLOAD, 1, "M", mask=0)), 4)
    tile = (render_matrix(matrix, module_px=MODULE_PX) * 200 + 30).astype(np.float32)
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    bg = (120 + 30 * np.sin(xx / 7.0) * np.cos(yy / 11.0)).astype(np.float32)
    v = speed * np.array([np.cos(angle), np.sin(angle)])
    psf = path_kernel(np.outer(np.linspace(-0.5, 0.5, 100), v * shutter))
    out, places = [], []
    for k in range(frames):
        x, y = start_x + v[0] * k, (h - TILE) / 2 + v[1] * k
        m = np.float32([[1, 0, x], [0, 1, y]])
        layer = cv2.filter2D(cv2.warpAffine(tile, m, (w, h), flags=cv2.INTER_LINEAR), -1, psf)
        cover = cv2.filter2D(cv2.warpAffine(np.ones_like(tile), m, (w, h), flags=cv2.INTER_LINEAR), -1, psf)
        img = layer + (1 - cover) * bg + rng.normal(0, noise, (h, w))
        out.append(np.clip(img, 0, 255).round().astype(np.uint8))
        places.append((x, y))
    return out, psf, v, places


def box_at(place, grow: int = 4):
    x, y = place
    return (int(x) - grow, int(y) - grow, int(x + TILE) + grow, int(y + TILE) + grow)


def texts(codes) -> list[str]:
    return [c.text for c in codes]


def test_no_single_frame_reads_even_with_its_true_blur_and_the_fused_frames_read():
    frames, psf, _, places = moving_code()
    for f in frames:
        assert read_grey(f)[0] == []
        for balance in (0.002, 0.01, 0.03):
            restored = np.clip(wiener_oracle(f / 255.0, psf, balance), 0, 1)
            assert read_grey((restored * 255).round().astype(np.uint8))[0] == []
    stack = fusion.fuse(list(enumerate(frames)), box_at(places[-1]))
    assert stack is not None
    codes = fusion.read_stack(stack)
    assert texts(codes) == [PAYLOAD]
    assert codes[0].method == "fused"
    # corners in the reference (last) frame: around the tile's symbol
    centre = np.mean(codes[0].corners, axis=0)
    x, y = places[-1]
    assert np.allclose(centre, [x + TILE / 2, y + TILE / 2], atol=2 * MODULE_PX)


@pytest.mark.parametrize("speed, angle", [(7.3, 0.0), (18.0, 0.0), (12.6, 0.5), (15.0, np.pi)])
def test_registration_measures_the_motion_to_a_tenth_of_a_pixel(speed, angle):
    start_x = 420 - 20 - TILE if np.cos(angle) < 0 else 20.0  # moving left: from the right
    frames, _, v, places = moving_code(frames=8, speed=speed, angle=angle, noise=4.0, size=(260, 420),
                                       seed=1, start_x=start_x)
    stack = fusion.fuse(list(enumerate(frames)), box_at(places[-1]))
    assert stack is not None and len(stack.frames) >= 6
    assert np.linalg.norm(stack.velocity - v) < 0.1
    assert stack.frames[0] == 7 and stack.match > fusion.MIN_MATCH


def test_a_still_region_and_too_few_frames_are_not_fused():
    frames, _, _, places = moving_code(speed=0.0, noise=4.0)
    assert fusion.fuse(list(enumerate(frames)), box_at(places[-1])) is None
    frames, _, _, places = moving_code(frames=2)
    assert fusion.fuse(list(enumerate(frames)), box_at(places[-1])) is None


def test_a_frame_that_does_not_match_ends_the_stack():
    frames, _, _, places = moving_code(frames=8)
    frames[3] = np.full_like(frames[3], 128)  # a blank frame (a flash, a dropped frame) in the middle
    stack = fusion.fuse(list(enumerate(frames)), box_at(places[-1]))
    assert stack is not None and sorted(stack.frames) == [4, 5, 6, 7]


def test_motion_kernels_lie_along_the_motion():
    for k, f in zip(fusion.motion_kernels(np.array([0.0, 20.0]), (0.5, 1.0)), (0.5, 1.0), strict=True):
        ys, xs = np.nonzero(k > 1e-3)
        assert np.ptp(xs) <= 1 and abs(np.ptp(ys) - 20 * f) <= 2


@pytest.fixture
def fast_video(tmp_path):
    frames, _, _, _ = moving_code(frames=14)
    path = tmp_path / "fast.mp4"
    h, w = frames[0].shape
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (w, h))
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


def test_scan_video_reads_the_moving_code_once_by_fusion_and_not_without(fast_video):
    path = fast_video
    tracks = list(scan_video(path))
    assert [t.text for t in tracks] == [PAYLOAD]
    assert tracks[0].to_dict()["method"] == "fused"
    assert list(scan_video(path, fuse=False)) == []


def test_the_cli_reports_the_fused_track_and_no_fuse_turns_it_off(fast_video):
    runner = CliRunner()
    result = runner.invoke(app, ["scan", str(fast_video), "--json"])
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["text"] == PAYLOAD and record["method"] == "fused"
    result = runner.invoke(app, ["scan", str(fast_video), "--json", "--no-fuse"])
    assert PAYLOAD not in result.stdout


@pytest.mark.parametrize("live", [False, True])
def test_live_mode_spends_no_cascade_on_a_moving_code_already_read(fast_video, monkeypatch, live):
    """Live: a moving code already read is held while predicted in view, so its crop gets the plain
    reads and fusion but not the cascade (time that would be frames dropped); offline it gets both."""
    from qrdeblur.scan import video

    calls = []
    near = video._Scanner.near

    def recording(self, frame, key, *args, cascade=True, **kwargs):
        calls.append(cascade)
        return near(self, frame, key, *args, cascade=cascade, **kwargs)

    monkeypatch.setattr(video._Scanner, "near", recording)
    tracks = list(scan_video(fast_video, live=live, budget_ms=40))
    assert [t.text for t in tracks] == [PAYLOAD]
    assert calls, "the code was never looked for in a crop"
    assert not any(calls) if live else all(calls)
