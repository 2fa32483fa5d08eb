"""``qrdeblur scan`` on videos: one JSON record per track on stdout, errors as one line on stderr."""

from __future__ import annotations

import json

import cv2
from typer.testing import CliRunner

from qrdeblur import cli
from qrdeblur.cli import app

CROSSING = [("CLI-VIDEO", lambda i: (-40 + 8 * i, 30) if 3 <= i <= 25 else None)]


def _scan(*args):
    return CliRunner().invoke(app, ["scan", *map(str, args), "--budget-ms", "0"])


def test_json_is_one_record_per_track_and_stderr_holds_no_json(make_video):
    path = make_video([*CROSSING, ("OTHER", lambda i: (100, 60) if i < 12 else None)])
    result = _scan(path, "--json")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(r["text"] for r in records) == ["CLI-VIDEO", "OTHER"]
    for r in records:
        assert r["kind"] == "track" and r["path"] == str(path)
        assert {"first_frame", "last_frame", "first_t", "last_t", "frames_seen", "corners", "method"} <= set(r)
    assert result.stderr == ""  # not a terminal: no progress bar either


def test_every_detection_adds_a_record_per_frame(make_video):
    path = make_video(CROSSING)
    records = [json.loads(line) for line in _scan(path, "--json", "--every-detection").stdout.splitlines()]
    dets = [r for r in records if r["kind"] == "detection"]
    (track,) = [r for r in records if r["kind"] == "track"]
    assert len(dets) == track["frames_seen"] and {d["track"] for d in dets} == {track["track"]}
    kinds = [r["kind"] for r in records]
    assert kinds == ["detection"] * len(dets) + ["track"]  # reads as they are made, the track when it completes


def test_the_progress_bar_goes_to_stderr_only(make_video, monkeypatch):
    monkeypatch.setattr(cli, "_stderr_is_terminal", lambda: True)
    path = make_video(CROSSING)
    result = _scan(path, "--json")
    assert result.exit_code == 0
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == ["CLI-VIDEO"]
    assert "frames" in result.stderr and "fps" in result.stderr


def test_human_output_and_a_frame_pattern(make_video, frames_of, tmp_path):
    result = _scan(make_video(CROSSING))
    assert result.exit_code == 0 and "'CLI-VIDEO' [raw] frames 4-" in result.stdout
    for i, frame in enumerate(frames_of(CROSSING, frames=12)):
        cv2.imwrite(str(tmp_path / f"{i:03d}.png"), frame)
    result = _scan(tmp_path / "%03d.png", "--json")
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    got = (record["text"], record["first_frame"], record["last_frame"], record["first_t"])
    assert got == ("CLI-VIDEO", 4, 11, None)


def test_an_unreadable_video_is_one_line_and_exit_1(tmp_path):
    bad = tmp_path / "broken.mkv"
    bad.write_bytes(b"\x1a\x45\xdf\xa3 not really matroska")
    result = _scan(bad, "--json")
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"qrdeblur: error: {bad}: ")


def test_images_and_videos_mix_in_one_call_in_order(make_video, frames_of, tmp_path):
    image = tmp_path / "still.png"
    cv2.imwrite(str(image), frames_of(CROSSING, frames=10)[8])
    video = make_video(CROSSING)
    result = _scan(image, video, tmp_path / "missing.mov", "--json")
    assert result.exit_code == 0  # some inputs were read
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r.get("kind", "image") for r in records] == ["image", "track"]
    assert records[0]["codes"][0]["text"] == "CLI-VIDEO"
    assert result.stderr.strip() == f"qrdeblur: error: {tmp_path / 'missing.mov'}: file not found"
