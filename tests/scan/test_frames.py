"""Which inputs the scan command reads as video, and the frames and timestamps a video gives."""

from __future__ import annotations

import pytest

from qrdeblur.scan.frames import is_pattern, is_url, is_video_source, open_frames


@pytest.mark.parametrize(
    "source, video",
    [
        ("clip.mp4", True), ("CLIP.MOV", True), ("a/b.mkv", True), ("x.avi", True),
        ("rtsp://cam.local/stream", True), ("HTTP://host/live.m3u8", True),
        ("frames/%04d.png", True), ("frames/img_%d.jpg", True),
        ("photo.jpg", False), ("folder", False), ("notes%.txt", False), ("ftp://host/x.mp4", True),
    ],
)  # fmt: skip
def test_video_sources_by_extension_scheme_or_pattern(source, video):
    assert is_video_source(source) is video


def test_urls_are_not_patterns():
    assert is_url("rtsp://h/%04d") and not is_pattern("rtsp://h/%04d") and not is_url("ftp://h/x")


def test_frames_carry_the_containers_times_and_the_count(make_video):
    path = make_video([("T", lambda i: (10, 10))], frames=12)
    with open_frames(path) as frames:
        assert frames.frame_count == 12 and frames.fps == pytest.approx(30)
        got = [(f.index, f.t, f.image.shape, f.image.dtype.name) for f in frames]
    assert [g[0] for g in got] == list(range(12))
    assert [g[1] for g in got] == pytest.approx([i / 30 for i in range(12)], abs=1e-6)
    assert {g[2:] for g in got} == {((120, 160), "uint8")}


def test_a_bad_frame_rate_is_refused(make_video):
    with pytest.raises(ValueError, match="frame rate"):
        open_frames("x.mp4", fps=0)
