"""scan_video on small generated videos, with a per-frame scan as the oracle: one track per code per
pass through the view, spanning exactly the frames a scan of each frame on its own reads it in."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import qrdeblur
from qrdeblur.errors import UsageError
from qrdeblur.scan.video import HOLD_GAP, scan_video

BUDGET = 0.0  # plain reads only: deterministic and fast; the oracle scans each frame with the same budget


def oracle_spans(path, payload: str) -> list[tuple[int, int]]:
    """(first, last) frame of each run of consecutive frames in which a scan of the frame alone reads
    ``payload``."""
    cap = cv2.VideoCapture(str(path))
    seen = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        seen.append(any(c.text == payload for c in qrdeblur.scan(grey, budget_ms=BUDGET)))
    cap.release()
    spans, start = [], None
    for i, s in enumerate([*seen, False]):
        if s and start is None:
            start = i
        elif not s and start is not None:
            spans.append((start, i - 1))
            start = None
    return spans


def spans(tracks, payload: str) -> list[tuple[int, int]]:
    return sorted((t.first.frame, t.last.frame) for t in tracks if t.text == payload)


def test_one_code_crossing_is_one_track_with_the_oracles_first_and_last_frame(make_video):
    path = make_video([("CROSS-1", lambda i: (-40 + 8 * i, 30) if 3 <= i <= 25 else None)])
    tracks = list(scan_video(path, budget_ms=BUDGET))
    expected = oracle_spans(path, "CROSS-1")
    assert len(expected) == 1 and expected[0][0] > 0  # the code enters after the first frame
    assert len(tracks) == 1 and spans(tracks, "CROSS-1") == expected
    track = tracks[0]
    first, last = expected[0]
    assert len(track.detections) == last - first + 1
    assert [d.frame for d in track.detections] == list(range(first, last + 1))
    record = track.to_dict()
    assert record["first_t"] == pytest.approx(first / 30, abs=1e-3)
    assert record["last_t"] == pytest.approx(last / 30, abs=1e-3)
    assert record["frames_seen"] == last - first + 1 and record["method"] == "raw"
    corners = np.array(record["corners"])
    assert corners.shape == (4, 2) and record["best_frame"] in range(first, last + 1)
    # the best read's corners are the symbol's in that frame: 21 modules of 2 px, at the tile's place + quiet zone
    x = -40 + 8 * record["best_frame"] + 8
    assert np.abs(corners - [[x, 38], [x + 42, 38], [x + 42, 80], [x, 80]]).max() <= 1.5


def test_two_codes_give_two_tracks_and_a_code_entering_later_keeps_its_first_frame(make_video):
    codes = [
        ("FIRST-A", lambda i: (6 + 2 * i, 2)),
        ("SECOND-B", lambda i: (170 - 6 * i, 60) if i >= 11 else None),  # enters between whole-frame scans
    ]
    path = make_video(codes)
    counts = []
    tracks = list(scan_video(path, budget_ms=BUDGET, on_progress=lambda s: counts.append((s.full_scans, s.frames))))
    assert sorted(t.text for t in tracks) == ["FIRST-A", "SECOND-B"]
    for payload, _ in codes:
        assert spans(tracks, payload) == oracle_spans(path, payload)
    full_scans, frames = counts[-1]
    assert frames == 30 and full_scans < frames / 2  # the tracked codes were read in crops


def test_identical_codes_side_by_side_are_two_tracks(make_video):
    codes = [("TWIN", lambda i: (-60 + 5 * i, 2)), ("TWIN", lambda i: (-60 + 5 * i, 62))]
    path = make_video(codes)
    tracks = list(scan_video(path, budget_ms=BUDGET))
    expected = oracle_spans(path, "TWIN")
    assert len(tracks) == 2 and spans(tracks, "TWIN") == expected * 2
    tops = sorted(np.mean([d.centre[1] for d in t.detections]) for t in tracks)
    assert tops[0] < 40 < tops[1]  # each track stayed with its own code


def test_a_code_leaving_and_coming_back_is_two_tracks_a_short_gap_is_one(make_video):
    # gone for 19 frames: longer than a moving code's track is held while predicted in view
    path = make_video([("BACK", lambda i: (10 + 2 * i, 30) if i < 8 or i > 26 else None)], frames=36,
                      name="long.mp4")
    assert HOLD_GAP < 19
    tracks = list(scan_video(path, budget_ms=BUDGET, max_gap=5))
    assert spans(tracks, "BACK") == oracle_spans(path, "BACK") == [(0, 7), (27, 35)]
    short = make_video([("BACK", lambda i: (10 + 2 * i, 30) if not 10 <= i <= 12 else None)], name="short.mp4")
    tracks = list(scan_video(short, budget_ms=BUDGET, max_gap=5))
    assert len(tracks) == 1 and (tracks[0].first.frame, tracks[0].last.frame) == (0, 29)
    assert tracks[0].to_dict()["frames_seen"] == 27


def test_a_moving_code_hidden_for_a_moment_is_one_track_and_without_fusion_two(make_video):
    # gone for 13 frames where its motion predicts it in view: the same pass (fusion may read a moving
    # code only now and then); without fusion a track ends after max_gap
    path = make_video([("HIDDEN", lambda i: (10 + 2 * i, 30) if i < 8 or i > 20 else None)], name="hidden.mp4")
    tracks = list(scan_video(path, budget_ms=BUDGET, max_gap=5))
    assert spans(tracks, "HIDDEN") == [(0, 29)] and tracks[0].to_dict()["frames_seen"] == 17
    assert tracks[0].velocity[0] == pytest.approx(2.0, abs=0.3)
    tracks = list(scan_video(path, budget_ms=BUDGET, max_gap=5, fuse=False))
    assert spans(tracks, "HIDDEN") == oracle_spans(path, "HIDDEN") == [(0, 7), (21, 29)]


def test_tracks_come_as_they_complete_and_match_scanning_every_frame_whole(make_video):
    codes = [
        ("EARLY", lambda i: (40, 30) if i < 10 else None),  # still: ends max_gap frames after its last read
        ("LATE", lambda i: (90, 30) if i >= 20 else None),
    ]
    path = make_video(codes)
    frames_done = []
    yielded_at = []
    for track in scan_video(path, budget_ms=BUDGET, max_gap=3, on_progress=lambda s: frames_done.append(s.frames)):
        yielded_at.append((track.text, frames_done[-1]))
    assert yielded_at[0][0] == "EARLY" and yielded_at[0][1] < 20  # before the end of the video
    every = list(scan_video(path, budget_ms=BUDGET, max_gap=3, shortcut=False))
    shortcut = list(scan_video(path, budget_ms=BUDGET, max_gap=3))
    assert [t.to_dict() for t in every] == [t.to_dict() for t in shortcut]


def test_every_detection_reports_each_read_once_with_its_track(make_video):
    path = make_video([("PER-FRAME", lambda i: (-40 + 8 * i, 30) if 3 <= i <= 25 else None)])
    dets = []
    tracks = list(scan_video(path, budget_ms=BUDGET, on_detection=dets.append))
    assert sorted(d.frame for d in dets) == [d.frame for d in tracks[0].detections]
    assert {d.track for d in dets} == {tracks[0].id}


def test_image_sequences_pattern_and_folder(tmp_path, frames_of):
    frames = frames_of([("SEQ-9", lambda i: (10 + 3 * i, 30) if 2 <= i <= 8 else None)], frames=10)
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, f in enumerate(frames):
        cv2.imwrite(str(folder / f"f{i + 1:04d}.png"), f)  # numbered from 1
    (folder / "notes.txt").write_text("not a frame")
    by_pattern = list(scan_video(str(folder / "f%04d.png"), budget_ms=BUDGET))
    assert [(t.text, t.first.frame, t.last.frame) for t in by_pattern] == [("SEQ-9", 2, 8)]
    assert by_pattern[0].first.t is None  # no frame rate, no times
    by_folder = list(scan_video(folder, budget_ms=BUDGET, sequence=True, fps=10))
    assert [(t.text, t.first.frame, t.last.frame, t.first.t) for t in by_folder] == [("SEQ-9", 2, 8, 0.2)]
    with pytest.raises(UsageError, match="--sequence"):
        list(scan_video(folder, budget_ms=BUDGET))


def _file(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "make, problem",
    [
        (lambda d: d / "missing.mp4", "file not found"),
        (lambda d: _file(d / "empty.mp4", b""), "empty file"),
        (lambda d: _file(d / "text.mp4", b"not a video"), "cannot open as a video"),
        (lambda d: d / "none%03d.png", "no files match"),
        (lambda d: "rtsp://127.0.0.1:9/nothing", "cannot open the stream"),
    ],
)
def test_bad_sources_raise_one_line_naming_them(tmp_path, make, problem):
    source = make(tmp_path)
    with pytest.raises(UsageError) as info:
        list(scan_video(source, budget_ms=BUDGET))
    message = str(info.value)
    assert message.startswith(f"{source}: ") and problem in message and "\n" not in message


def test_a_truncated_video_fails_or_yields_what_it_holds(make_video, tmp_path):
    path = make_video([("CUT", lambda i: (10 + 2 * i, 30))])
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])  # mp4v in mp4: the index (moov) is at the end, so it is lost
    with pytest.raises(UsageError, match=f"^{cut}: "):
        list(scan_video(cut, budget_ms=BUDGET))


def test_the_top_level_name_is_the_generator():
    assert qrdeblur.scan_video is scan_video


def test_idle_every_one_scans_every_frame_while_nothing_is_tracked(make_video):
    # a code readable in one frame only (a flash across the view): scanning whole frames every 8 frames
    # while nothing is tracked (the default) misses it; idle_every=1 does not
    path = make_video([("FLASH-ONE-FRAME", lambda i: (40, 20) if i == 3 else None)], frames=12)
    assert oracle_spans(path, "FLASH-ONE-FRAME") == [(3, 3)]
    found = list(scan_video(path, budget_ms=BUDGET, idle_every=1))
    assert [(t.text, t.first.frame, t.last.frame) for t in found] == [("FLASH-ONE-FRAME", 3, 3)]
    assert list(scan_video(path, budget_ms=BUDGET)) == []
    with pytest.raises(UsageError, match="idle_every"):
        list(scan_video(path, idle_every=0))
