"""write_pairs: the files on disk are the stream's pairs, and a failure never leaves half a data set."""

import json

import cv2
import numpy as np
import pytest

from qrdeblur.errors import UsageError
from qrdeblur.synth import presets, writer
from qrdeblur.synth.degrade import to_uint8
from qrdeblur.synth.writer import write_pairs


def _listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_written_files_are_the_stream_pairs(tmp_path):
    out = tmp_path / "data"
    assert write_pairs(out, "paper", count=3, seed=4) == 3
    pngs = [f"{d}/{i:06d}.png" for d in ("blurred", "sharp") for i in range(3)]
    assert _listing(out) == sorted(["blurred", "sharp", "meta.jsonl", *pngs])
    stream = presets.PairStream("paper", 4)
    lines = (out / "meta.jsonl").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        pair = next(stream)
        record = json.loads(line)
        assert record == {"file": f"{i:06d}.png", "seed": 4, **pair.meta}
        for kind in ("sharp", "blurred"):
            bgr = cv2.imread(str(out / kind / record["file"]), cv2.IMREAD_UNCHANGED)
            assert bgr.shape == (80, 80, 3) and bgr.dtype == np.uint8
            np.testing.assert_array_equal(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), to_uint8(getattr(pair, kind)))


def test_png_channels_are_rgb_on_disk(tmp_path):
    img = np.zeros((4, 6, 3), np.float32)
    img[..., 0] = 1.0  # pure red
    writer._write_png(tmp_path / "red.png", img)
    bgr = cv2.imread(str(tmp_path / "red.png"), cv2.IMREAD_COLOR)
    assert (bgr[..., 2] == 255).all() and (bgr[..., :2] == 0).all()


def test_grey_preset_writes_grey_pngs(tmp_path):
    write_pairs(tmp_path / "d", "default", count=2, seed=0, size=48)
    img = cv2.imread(str(tmp_path / "d" / "blurred" / "000001.png"), cv2.IMREAD_UNCHANGED)
    assert img.shape == (48, 48)


def test_payload_file_is_used(tmp_path, decode_texts):
    f = tmp_path / "enrolled.txt"
    f.write_text("CODE ONE\nhttps://example.com/two\n", encoding="utf-8")
    write_pairs(tmp_path / "d", "paper", count=6, seed=2, payload_file=f)
    metas = [json.loads(x) for x in (tmp_path / "d" / "meta.jsonl").read_text().splitlines()]
    assert {m["payload"] for m in metas} <= {"CODE ONE", "https://example.com/two"}
    for m in metas:
        assert decode_texts(cv2.imread(str(tmp_path / "d" / "sharp" / m["file"]))) == [m["payload"]]


def test_failure_half_way_leaves_nothing(tmp_path, monkeypatch):
    made = {"n": 0}
    real_next = presets.PairStream.__next__

    def flaky(self):
        made["n"] += 1
        if made["n"] == 3:
            raise UsageError("synthetic failure")
        return real_next(self)

    monkeypatch.setattr(presets.PairStream, "__next__", flaky)
    with pytest.raises(UsageError, match="synthetic failure"):
        write_pairs(tmp_path / "d", "paper", count=5, seed=0)
    assert _listing(tmp_path) == []  # neither OUT nor a temporary folder


def test_force_replaces_only_when_complete(tmp_path, monkeypatch):
    out = tmp_path / "d"
    out.mkdir()
    (out / "old.txt").write_text("keep me")
    with pytest.raises(UsageError, match="not empty"):
        write_pairs(out, "paper", count=1, seed=0)
    def boom(self):
        raise UsageError("boom")

    monkeypatch.setattr(presets.PairStream, "__next__", boom)
    with pytest.raises(UsageError, match="boom"):
        write_pairs(out, "paper", count=1, seed=0, force=True)
    assert _listing(tmp_path) == ["d", "d/old.txt"]
    monkeypatch.undo()
    write_pairs(out, "paper", count=1, seed=0, force=True)
    assert "old.txt" not in _listing(out) and "meta.jsonl" in _listing(out)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"preset": "nope"}, "'nope'"),
        ({"count": 0}, "count must be >= 1, got 0"),
        ({"payload_file": "missing.txt"}, "missing.txt: payload file not found"),
    ],
)
def test_bad_arguments_write_nothing(tmp_path, kwargs, message):
    args = {"preset": "paper", "count": 2, "seed": 0, **kwargs}
    if "payload_file" in kwargs:
        args["payload_file"] = tmp_path / kwargs["payload_file"]
    with pytest.raises(UsageError, match=message):
        write_pairs(tmp_path / "d", **args)
    assert not (tmp_path / "d").exists()


def test_out_that_is_a_file(tmp_path):
    f = tmp_path / "d"
    f.write_text("x")
    with pytest.raises(UsageError, match="not a folder"):
        write_pairs(f, "paper", count=1, seed=0)
    assert f.read_text() == "x"


def test_too_long_payload_names_the_file_and_the_payload(tmp_path):
    f = tmp_path / "p.txt"
    f.write_text("OK\n" + "A" * 8000 + "\n", encoding="utf-8")
    with pytest.raises(UsageError) as info:
        write_pairs(tmp_path / "d", "paper", count=1, seed=0, payload_file=f)
    msg = str(info.value)
    assert str(f) in msg and "payload 2" in msg and "8000 characters" in msg and "\n" not in msg
    assert not (tmp_path / "d").exists()
