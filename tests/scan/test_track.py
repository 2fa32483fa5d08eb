"""The tracker on hand-made detections: payload, position and motion decide which reads are one track."""

from __future__ import annotations

import numpy as np
import pytest

from qrdeblur.scan.result import Code
from qrdeblur.scan.track import Detection, Tracker


def det(frame: int, x: float, y: float = 50.0, text: str = "P", side: float = 40.0, method: str = "raw") -> Detection:
    h = side / 2
    corners = [[x - h, y - h], [x + h, y - h], [x + h, y + h], [x - h, y + h]]
    return Detection(frame, frame / 30, Code(text, corners, method))


def run(tracker: Tracker, frames: dict[int, list[Detection]], end: int):
    done = []
    for f in range(end):
        finished, _ = tracker.update(f, frames.get(f, []))
        done += finished
    return done + tracker.finish()


def test_constant_velocity_prediction_and_gate():
    t = Tracker()
    t.update(0, [det(0, 100)])
    t.update(1, [det(1, 125)])
    (track,) = t.live
    centre, side = track.predict(3)
    assert centre == pytest.approx([175, 50]) and side == pytest.approx(40)
    # a read where the code would be without its motion is beyond the gate two frames on
    assert track.gate(3) < np.linalg.norm([175 - 125, 0]) + 40


def test_a_fast_code_stays_one_track_because_its_motion_is_predicted():
    t = Tracker(max_gap=2)
    # 35 px a frame (almost a side), missed in frames 3 and 4, read again where the motion puts it
    frames = {f: [det(f, 10 + 35 * f)] for f in (0, 1, 2, 5, 6)}
    tracks = run(t, frames, 7)
    assert len(tracks) == 1 and [d.frame for d in tracks[0].detections] == [0, 1, 2, 5, 6]


def test_identical_payloads_side_by_side_are_two_tracks_and_keep_their_codes():
    frames = {f: [det(f, 20 + 5 * f, 40), det(f, 20 + 5 * f, 90)][:: 1 if f % 2 else -1] for f in range(10)}
    tracks = run(Tracker(), frames, 10)
    assert len(tracks) == 2
    for track in tracks:
        ys = {round(d.centre[1]) for d in track.detections}
        assert len(ys) == 1 and len(track.detections) == 10


def test_a_gap_longer_than_max_gap_or_a_far_read_starts_a_new_track():
    assert len(run(Tracker(max_gap=5), {0: [det(0, 50)], 6: [det(6, 50)]}, 7)) == 1  # 5 frames unread
    assert len(run(Tracker(max_gap=5), {0: [det(0, 50)], 7: [det(7, 50)]}, 8)) == 2  # 6 frames unread
    assert len(run(Tracker(max_gap=5), {0: [det(0, 50)], 1: [det(1, 300)]}, 2)) == 2  # same payload, far away
    assert len(run(Tracker(), {0: [det(0, 50)], 1: [det(1, 52, text="Q")]}, 2)) == 2  # another payload


def test_tracks_complete_after_the_gap_and_report_their_best_read():
    t = Tracker(max_gap=1)
    t.update(0, [det(0, 50, method="deblur", side=44)])
    t.update(1, [det(1, 52, side=38)])
    t.update(2, [det(2, 54, side=42)])
    assert t.update(3, [])[0] == [] and t.update(4, [])[0] == []  # a read in frame 4 could still continue it
    (done,) = t.update(5, [])[0]  # frames 3 and 4 unread: more than the gap
    record = done.to_dict()
    assert (record["first_frame"], record["last_frame"], record["frames_seen"]) == (0, 2, 3)
    assert record["best_frame"] == 2 and record["method"] == "raw"  # a plain read first, then the larger
    assert record["first_t"] == 0.0 and record["last_t"] == pytest.approx(2 / 30, abs=1e-4)


def test_gaps_counted_in_scans_bridge_skipped_frame_numbers_not_missed_scans():
    # a code at 4 px a frame, looked at only every 10th frame (a slow scan of a live source)
    def scanned_every_10th(gaps: str, reads: set[int]) -> list:
        t = Tracker(max_gap=1, gaps=gaps)
        done = []
        for f in range(0, 80, 10):
            done += t.update(f, [det(f, 20 + 4 * f)] if f in reads else [])[0]
        return done + t.finish()

    always = set(range(0, 80, 10))
    (track,) = scanned_every_10th("scans", always)  # each scan read it: one track across the gaps
    assert [d.frame for d in track.detections] == list(range(0, 80, 10))
    assert track.velocity == pytest.approx([4, 0])  # motion per frame number, not per scan
    assert len(scanned_every_10th("frames", always)) == 8  # 9 frame numbers unread each time: 8 tracks
    # unread in one scan (frame 30): still one track; in two (30, 40): more than max_gap, two tracks
    assert len(scanned_every_10th("scans", always - {30})) == 1
    assert len(scanned_every_10th("scans", always - {30, 40})) == 2
    with pytest.raises(ValueError, match="gaps"):
        Tracker(gaps="seconds")


def test_a_held_track_outlives_max_gap_up_to_hold_gap_and_only_while_held():
    reads = {0: [det(0, 10)], 1: [det(1, 20)], 9: [det(9, 100)]}  # unread in frames 2-8 (7 > max_gap)
    held = run(Tracker(max_gap=3, hold=lambda t, f: True, hold_gap=8), reads, 12)
    assert [len(t.detections) for t in held] == [3]
    too_long = run(Tracker(max_gap=3, hold=lambda t, f: True, hold_gap=6), reads, 12)
    assert [len(t.detections) for t in too_long] == [2, 1]
    not_held = run(Tracker(max_gap=3, hold=lambda t, f: f < 4, hold_gap=8), reads, 12)
    assert [len(t.detections) for t in not_held] == [2, 1]
    with pytest.raises(ValueError):
        Tracker(max_gap=3, hold_gap=-1)
