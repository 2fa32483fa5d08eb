"""The conveyor suite: deterministic videos whose codes pass through the view where their outlines say,
reserved payloads, blur in the cell, and the scoring of video methods (false reads, duplicates, fps)
through the runner and the command line."""

from __future__ import annotations

import csv
import dataclasses
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
import zxingcpp
from typer.testing import CliRunner

from qrdeblur.bench.methods import METHODS, VideoRead, register_method
from qrdeblur.bench.runner import run_bench
from qrdeblur.bench.suites import SUITES
from qrdeblur.bench.suites.conveyor import CELL_RANGES, CELLS, CONVEYOR_SEED, conveyor_suite
from qrdeblur.cli import app
from qrdeblur.qrspec import modules
from qrdeblur.synth.conveyor import FRAME_SIZE, conveyor_sequence, suite_codec, video_codec, write_video
from qrdeblur.synth.reserved import conveyor_payload_specs, conveyor_payloads, is_reserved_payload


@pytest.fixture(scope="module")
def small():
    """Two sequences per cell (about 2 s to render and write)."""
    return conveyor_suite(per_cell=2)


def _frames(path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        out.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    cap.release()
    return out


def test_same_seed_same_frames_and_a_smaller_suite_is_a_prefix(small, tmp_path):
    specs = conveyor_payload_specs(3)
    a = conveyor_sequence(np.random.default_rng([CONVEYOR_SEED, 0]), specs, "1-3", CELL_RANGES["1-3"])
    b = conveyor_sequence(np.random.default_rng([CONVEYOR_SEED, 0]), specs, "1-3", CELL_RANGES["1-3"])
    assert len(a.frames) == len(b.frames) and all(np.array_equal(x, y) for x, y in zip(a.frames, b.frames, strict=True))
    first = conveyor_suite(per_cell=1, folder=tmp_path)
    assert [it.cell for it in first] == list(CELLS) == [it.cell for it in small[:4]]
    for x, y in zip(first, small[:4], strict=True):
        assert x.payloads == y.payloads and x.meta == y.meta and x.frames == y.frames
        assert x.path.read_bytes() == y.path.read_bytes()  # the encoder is deterministic too
    assert first[0].path.parent == tmp_path


def test_payloads_are_reserved_and_the_draws_in_range(small):
    assert conveyor_payloads() <= {p for p in conveyor_payloads() if is_reserved_payload(p)}
    for item in small:
        assert 1 <= len(item.payloads) <= 3 and len(set(item.payloads)) == len(item.payloads)
        assert all(is_reserved_payload(p) for p in item.payloads)
        lo, hi = CELL_RANGES[item.cell]
        assert lo <= item.meta["blur_modules"] < hi
        assert 24 <= item.frames <= 40 and item.codec == suite_codec() in ("h264", "avc1", "mp4v")
        for code in item.codes:
            assert 1 <= code.version <= 6 and 2.0 <= code.module_px <= 6.0
            side = np.linalg.norm(code.corners[0, 1] - code.corners[0, 0]) / modules(code.version)
            assert abs(side - code.module_px) < 0.1 * code.module_px


def test_every_code_passes_through_the_view(small):
    for item in small:
        for code in item.codes:
            inside = code.in_view()
            assert len(inside) == item.frames and not inside[0] and not inside[-1]
            assert inside.sum() >= 2, (item.meta["index"], code.payload)
            centres = code.corners.mean(axis=1)
            step = np.diff(centres, axis=0)
            assert np.allclose(step, step[0])  # constant velocity
            assert np.isclose(np.linalg.norm(step[0]) * item.meta["shutter"], item.meta["blur_px"], rtol=5e-3)


def test_the_decoder_finds_each_mildly_blurred_code_where_its_outline_says(tmp_path):
    """zxing-cpp on the decoded video frames is the oracle: a sequence drawn as the suite's, with a
    blur of about one module, reads in the frames where the code is in view, on the code's outline,
    and nothing else is read off the scene."""
    specs = conveyor_payload_specs(3)
    seq = conveyor_sequence(np.random.default_rng([CONVEYOR_SEED, 0]), specs, "mild", (1.0, 1.2))
    path = tmp_path / "mild.mp4"
    assert write_video(path, seq.frames) == video_codec()
    frames = _frames(path)
    assert len(frames) == len(seq.frames) and frames[0].shape == FRAME_SIZE
    by_text = {c.payload: c for c in seq.codes}
    read_in = {p: [] for p in by_text}
    for k, frame in enumerate(frames):
        for r in zxingcpp.read_barcodes(frame, formats=zxingcpp.BarcodeFormat.QRCode):
            assert r.text in by_text  # no false reads off the scene
            p = r.position
            found = np.mean([[q.x, q.y] for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)], 0)
            code = by_text[r.text]
            assert np.linalg.norm(found - code.corners[k].mean(0)) < 2 * code.module_px
            read_in[r.text].append(k)
    for text, ks in read_in.items():
        inside = by_text[text].in_view()
        assert len(ks) >= inside.sum() // 2, (text, ks)
        assert all(inside[k] or not inside.any() for k in ks[1:-1])


class _Stub:
    """A video method that knows the answers: in the first video it reports the first code twice and a
    text not in the video, elsewhere every code but the last; frames are counted from the file."""

    name = "stub-video"
    decoder = "zxing-cpp"

    def __init__(self, items):
        self.truth = {str(it.path): it.payloads for it in items}
        self.calls = 0

    def read_video(self, path):
        self.calls += 1
        payloads = self.truth[str(path)]
        texts = [payloads[0], *payloads, "NOT IN THE VIDEO"] if self.calls == 1 else payloads[:-1]
        return VideoRead(texts, len(_frames(path)))


@pytest.fixture
def stub_method(small):
    register_method("stub-video", lambda arg: _Stub(small), kind="video")
    yield
    METHODS.pop("stub-video")


def test_the_runner_scores_reads_false_reads_duplicates_and_fps(small, stub_method, tmp_path):
    items = small[:4]
    result = run_bench("conveyor", ["stub-video"], out=tmp_path, progress=False, items=items)
    assert result.cells == list(CELLS) and [r.cell for r in result.rows] == list(CELLS)
    total = result.totals["stub-video"]
    assert total.n == sum(len(it.payloads) for it in items)
    assert total.decoded == len(items[0].payloads) + sum(len(it.payloads) - 1 for it in items[1:])
    assert total.extra["false_reads"] == 1 and total.extra["duplicates"] == 1
    assert total.extra["frames"] == sum(it.frames for it in items) and total.extra["fps"] > 0
    first = result.row("stub-video", "zxing-cpp", items[0].cell)
    assert first.extra["false_reads"] == 1 and first.decoded == first.n
    with open(tmp_path / "results.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["cell"] for r in rows] == list(CELLS) and {r["method"] for r in rows} == {"stub-video"}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["suite"] == "conveyor" and summary["video_codec"] == [suite_codec()]
    cells = summary["methods"]["stub-video"]["cells"]
    assert set(cells) == {*CELLS, "all"} and cells["all"]["false_reads"] == 1
    assert {"codes", "read", "duplicates", "fps"} <= set(cells["1-3"])
    assert result.notes == [
        f"stub-video: {total.decoded}/{total.n} codes read ({total.rate:.1%}) in 4 videos, 1 false reads, "
        f"1 duplicates, {total.extra['fps']:.1f} frames per second"
    ]


def test_the_command_line_runs_the_suite(small, stub_method, tmp_path, monkeypatch):
    monkeypatch.setitem(SUITES, "conveyor", dataclasses.replace(SUITES["conveyor"], build=lambda: small[:4]))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["bench", "--suite", "conveyor", "--methods", "stub-video", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert {p.name for p in out.iterdir()} >= {"results.csv", "summary.json"}
    assert "conveyor: decode rate %" in res.stdout and "frames per second" in res.stderr
    res = CliRunner().invoke(app, ["bench", "--suite", "conveyor", "--methods", "scan"])
    assert res.exit_code == 1 and "reads videos" in res.stderr and "frame-any[:MODEL], video[:MODEL]" in res.stderr


def test_h264_files_are_written_with_pyav_and_read_back_frame_for_frame(tmp_path):
    pytest.importorskip("av")
    seq = conveyor_sequence(np.random.default_rng([CONVEYOR_SEED, 0]), conveyor_payload_specs(1), "mild", (1.0, 1.2))
    path = tmp_path / "h264.mp4"
    assert write_video(path, seq.frames, h264=True) == "h264"
    cap = cv2.VideoCapture(str(path))
    code = int(cap.get(cv2.CAP_PROP_FOURCC))
    assert "".join(chr((code >> 8 * i) & 255) for i in range(4)).lower() in ("avc1", "h264")
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(30.0)
    cap.release()
    frames = _frames(path)
    assert len(frames) == len(seq.frames)
    # lossy, but the same pictures: a couple of grey levels on average
    assert max(np.abs(a.astype(int) - b).mean() for a, b in zip(frames, seq.frames, strict=True)) < 4


def test_h264_files_are_the_same_bytes_when_other_processes_write_them(tmp_path):
    """The suite's H.264 files must not depend on the process or the machine's load (with x264's
    macroblock-tree rate control they varied between processes running at once)."""
    pytest.importorskip("av")
    script = (
        "import sys, numpy as np\n"
        "from qrdeblur.synth.conveyor import conveyor_sequence, write_video\n"
        "from qrdeblur.synth.reserved import conveyor_payload_specs\n"
        "for i, cell in enumerate(['1-3', '3-5', '5-7', '7-10']):\n"
        f"    rng = np.random.default_rng([{CONVEYOR_SEED}, i])\n"
        "    seq = conveyor_sequence(rng, conveyor_payload_specs(2), cell, (1.0 + 2 * i, 3.0 + 2 * i))\n"
        "    write_video(f'{sys.argv[1]}-{i}.mp4', seq.frames, h264=True)\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path / str(k))]) for k in range(4)]
    assert all(p.wait(300) == 0 for p in procs)  # the 4 at once: the machine loaded
    for i in range(4):
        data = {(tmp_path / f"{k}-{i}.mp4").read_bytes() for k in range(4)}
        assert len(data) == 1 and len(data.pop()) > 1000
