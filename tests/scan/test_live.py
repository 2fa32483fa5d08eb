"""Live mode: a capture thread reads the source in real time, the scan takes the newest frame and the
frames it had no time for are dropped and counted; the thread stops at the end, on errors and on close."""

from __future__ import annotations

import json
import threading
import time

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from qrdeblur import cli
from qrdeblur.cli import app
from qrdeblur.errors import UsageError
from qrdeblur.scan import video as video_module
from qrdeblur.scan.frames import LIVE_RECENT, default_live, open_frames
from qrdeblur.scan.fuse import FUSE_FRAMES
from qrdeblur.scan.video import scan_video

BUDGET = 0.0  # plain reads only: the clean code reads in every frame
FPS = 30  # the conftest videos' rate
MOVING = [("LIVE-CODE", lambda i: (10 + 0.5 * i, 30))]  # slowly moving, always wholly in view


def slow_scans(monkeypatch, seconds: float) -> None:
    """Every scan (whole frame or crop) takes ``seconds`` longer: a scanner slower than the source."""
    real = video_module.scan

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(video_module, "scan", slow)


def capture_threads(name) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"qrdeblur-capture {name}" and t.is_alive()]


def assert_no_capture_thread(name) -> None:
    """No capture thread of ``name`` left after a short join (shorter than what is left of the 10 s
    videos closed early: a thread that ignored the stop would still be playing them)."""
    for thread in capture_threads(name):
        thread.join(3)
    assert capture_threads(name) == []


@pytest.mark.parametrize(
    "source, live",
    [("rtsp://cam/stream", True), ("HTTP://host/live.m3u8", True), ("clip.mp4", False), ("frames/%04d.png", False)],
)
def test_streams_are_live_by_default_files_and_sequences_not(source, live):
    assert default_live(source) is live


def test_a_slow_consumer_gets_the_newest_frames_with_the_sources_numbers_and_times(make_video):
    path = make_video(MOVING, frames=45)
    got = []
    with open_frames(path, live=True) as frames:
        assert frames.frame_count == 45
        for frame in frames:
            got.append((frame.index, frame.t))
            time.sleep(0.1)  # three frames' time
        dropped, captured = frames.dropped, frames.captured
    indices = [i for i, _ in got]
    assert captured == 45 and dropped > 0 and len(got) + dropped == 45
    assert indices == sorted(set(indices)) and indices[-1] == 44  # in order; the last frame is never dropped
    assert max(np.diff(indices)) >= 2
    assert [t for _, t in got] == pytest.approx([i / FPS for i in indices], abs=1e-6)
    assert_no_capture_thread(path)


def test_only_the_last_frame_taken_after_the_source_ended_is_marked_ended(make_video):
    path = make_video(MOVING, frames=20)
    marks = []
    with open_frames(path, live=True) as frames:
        for frame in frames:
            marks.append((frame.index, frames.ended))
            # slower than the source, and long after frame 12: the source ends while that frame is scanned
            time.sleep(0.6 if frame.index >= 12 else 0.05)
    assert marks[-1] == (19, True) and not any(ended for _, ended in marks[:-1])


def test_live_mode_reads_the_last_frame_of_an_ended_source_without_the_cascade(make_video, monkeypatch):
    """The last frame comes when the source has ended: its codes were in view before, so it gets the
    plain reads alone and the scan ends with the source; every other whole-frame scan has the budget."""
    path = make_video(MOVING, frames=20)
    budgets = []
    full = video_module._Scanner.full

    def recording(self, frame, budget_ms=None):
        budgets.append((frame.index, self.budget_ms if budget_ms is None else budget_ms))
        return full(self, frame, budget_ms)

    monkeypatch.setattr(video_module._Scanner, "full", recording)

    def slow(stats):  # a slow scanner, and very slow from frame 12 on: the source ends during a scan
        time.sleep(0.6 if stats.source_frames >= 12 else 0.05)

    tracks = list(scan_video(path, budget_ms=40.0, live=True, on_progress=slow))
    assert [t.text for t in tracks] == ["LIVE-CODE"] and tracks[0].last.frame == 19
    assert budgets[-1] == (19, 0.0) and budgets[0] == (0, 40.0)
    assert all(b == 40.0 for _, b in budgets[:-1])


def test_a_live_source_keeps_the_frames_before_the_one_taken_dropped_ones_too(make_video):
    path = make_video(MOVING, frames=30)
    with open_frames(path, live=True) as frames:
        for frame in frames:
            recent = frames.recent(frame.index)
            assert recent[-1].index == frame.index and np.array_equal(recent[-1].image, frame.image)
            assert len(recent) <= LIVE_RECENT
            # consecutive numbers: the dropped frames are there, in order, up to the one taken
            assert [f.index for f in recent] == list(range(recent[0].index, frame.index + 1))
            assert len(recent) >= min(frame.index + 1, FUSE_FRAMES)  # what fusion registers
            time.sleep(0.1)
        assert frames.dropped > 0


def test_a_slow_scan_of_a_file_played_live_drops_frames_and_reads_the_code_once(make_video, monkeypatch):
    path = make_video(MOVING, frames=45)
    slow_scans(monkeypatch, 0.1)
    stats = []
    # max_gap=1: counted in frame numbers, the gaps between the frames scanned (3 or more) would end the track
    tracks = list(scan_video(path, budget_ms=BUDGET, live=True, max_gap=1, on_progress=stats.append))
    s = stats[-1]
    assert s.live and s.frame_count == 45
    assert s.dropped > 0 and s.frames + s.dropped == 45 and s.source_frames == 45
    assert s.frames == len(stats)  # one progress call per frame scanned
    assert [t.text for t in tracks] == ["LIVE-CODE"]
    frames = [d.frame for d in tracks[0].detections]
    assert frames == sorted(set(frames)) and frames[-1] == 44  # real frame numbers, up to the last frame
    assert len(frames) == s.frames  # every frame scanned read it: crops found it across the gaps
    assert max(np.diff(frames)) >= 3
    record = tracks[0].to_dict()
    assert (record["first_frame"], record["last_frame"]) == (frames[0], 44)
    assert record["last_t"] == pytest.approx(44 / FPS, abs=1e-3) and record["frames_seen"] == s.frames
    assert s.seconds >= 44 / FPS - 0.02  # played in real time: the last frame came 44 frames' time after the first
    assert_no_capture_thread(path)


@pytest.mark.parametrize("live", [False, None])  # None: a file is not live by default
def test_without_live_mode_every_frame_is_scanned_however_slow(make_video, monkeypatch, live):
    path = make_video(MOVING, frames=45)
    slow_scans(monkeypatch, 0.04)  # slower than the 33 ms between frames
    stats = []
    tracks = list(scan_video(path, budget_ms=BUDGET, live=live, max_gap=1, on_progress=stats.append))
    s = stats[-1]
    assert not s.live and s.dropped == 0 and s.frames == 45
    assert [(t.text, t.first.frame, t.last.frame, len(t.detections)) for t in tracks] == [("LIVE-CODE", 0, 44, 45)]
    assert capture_threads(path) == []  # no capture thread at all


def test_closing_the_generator_early_stops_the_capture(make_video):
    # the code leaves the view after frame 10: its track completes long before the 10 s video ends
    path = make_video([("EARLY-OUT", lambda i: (10 + i, 30) if i <= 10 else None)], frames=300)
    stats = []
    tracks = scan_video(path, budget_ms=BUDGET, live=True, max_gap=1, idle_every=1, on_progress=stats.append)
    first = next(tracks)
    assert first.text == "EARLY-OUT" and first.last.frame <= 10
    assert capture_threads(path), "the capture should still be playing the video"
    tracks.close()
    assert capture_threads(path) == []  # close() waited for the thread
    assert_no_capture_thread(path)
    assert stats[-1].source_frames < 300


def test_an_interrupt_in_the_scan_stops_the_capture(make_video):
    path = make_video(MOVING, frames=300)

    def interrupt(stats):
        if stats.frames == 3:
            raise KeyboardInterrupt  # Ctrl-C while scanning

    with pytest.raises(KeyboardInterrupt):
        list(scan_video(path, budget_ms=BUDGET, live=True, on_progress=interrupt))
    assert_no_capture_thread(path)


def _file(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "make, problem",
    [
        (lambda d: d / "missing.mp4", "file not found"),
        (lambda d: _file(d / "text.mp4", b"not a video"), "cannot open as a video"),
        (lambda d: "rtsp://127.0.0.1:9/none", "cannot open the stream"),  # live by default; refused at once
    ],
)
def test_a_source_that_cannot_be_opened_is_the_one_line_error_in_live_mode(tmp_path, make, problem):
    source = make(tmp_path)
    with pytest.raises(UsageError) as info:
        list(scan_video(source, budget_ms=BUDGET, live=True))
    message = str(info.value)
    assert message.startswith(f"{source}: ") and problem in message and "\n" not in message
    assert_no_capture_thread(source)


def test_an_error_on_the_capture_thread_reaches_the_scan_after_the_frames_before_it(tmp_path, frames_of):
    for i, frame in enumerate(frames_of(MOVING, frames=8)):
        cv2.imwrite(str(tmp_path / f"{i:03d}.png"), frame)
    bad = tmp_path / "008.png"
    bad.write_bytes(b"not a png")  # the ninth frame cannot be read
    pattern = str(tmp_path / "%03d.png")
    scanned = []
    with pytest.raises(UsageError) as info:
        list(scan_video(pattern, budget_ms=BUDGET, live=True, on_progress=lambda s: scanned.append(s.frames)))
    message = str(info.value)
    assert message.startswith(f"{bad}") and "\n" not in message
    assert scanned  # the newest frame read before the error was scanned first
    assert_no_capture_thread(pattern)


def _scan(*args):
    return CliRunner().invoke(app, ["scan", *map(str, args), "--budget-ms", "0"])


def test_cli_json_live_ends_with_the_summary_record_and_the_bar_shows_drops(make_video, monkeypatch):
    monkeypatch.setattr(cli, "_stderr_is_terminal", lambda: True)
    path = make_video(MOVING, frames=30)
    result = _scan(path, "--json", "--live")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["kind"] for r in records] == ["track", "summary"]
    assert records[0]["text"] == "LIVE-CODE" and records[0]["last_frame"] == 29
    summary = records[-1]
    assert set(summary) == {"path", "kind", "frames", "scanned", "dropped", "seconds"}
    assert summary["path"] == str(path) and summary["frames"] == 30
    assert summary["scanned"] + summary["dropped"] == 30 and summary["scanned"] >= 1
    assert summary["seconds"] >= 29 / FPS - 0.02
    assert "dropped" in result.stderr and "fps" in result.stderr


def test_cli_live_human_output_ends_with_the_counts_and_no_live_prints_none(make_video):
    path = make_video(MOVING, frames=30)
    lines = _scan(path, "--live").stdout.splitlines()
    assert "'LIVE-CODE' [raw] frames" in lines[0]
    assert lines[-1].startswith(f"{path}: 30 frames, ") and " dropped (" in lines[-1]
    result = _scan(path, "--json", "--no-live")
    assert [json.loads(line)["kind"] for line in result.stdout.splitlines()] == ["track"]


@pytest.mark.parametrize(
    "live, budget", [(True, video_module.LIVE_FRAME_BUDGET_MS), (False, video_module.FRAME_BUDGET_MS)]
)
def test_live_mode_gives_the_cascade_its_own_budget_unless_one_is_given(make_video, monkeypatch, live, budget):
    real, budgets = video_module.scan, []

    def recording(*args, **kwargs):
        budgets.append(kwargs["budget_ms"])
        return real(*args, **kwargs)

    monkeypatch.setattr(video_module, "scan", recording)
    path = make_video(MOVING, frames=12)
    list(scan_video(path, live=live))
    assert budgets and max(budgets) == budget
    budgets.clear()
    list(scan_video(path, live=live, budget_ms=25.0))
    assert budgets and max(budgets) == 25.0
    with pytest.raises(UsageError, match="fuse_every"):
        list(scan_video(path, live=live, fuse_every=0))
