"""``qrdeblur bench`` (and ``synth``'s presets) from the outside: a thin shell over the runner and the registries."""

import csv
import dataclasses
import json
import re

import pytest
from typer.testing import CliRunner

from qrdeblur.bench.methods import METHODS, method_choices, register_method
from qrdeblur.bench.suites import SUITES
from qrdeblur.bench.suites.paper80 import paper80
from qrdeblur.bench.suites.photo import photo_suite
from qrdeblur.cli import app
from qrdeblur.synth.presets import PRESETS


def _bench(*args):
    return CliRunner().invoke(app, ["bench", *map(str, args)])


def _one_error_line(result) -> str:
    assert result.exit_code == 1, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("qrdeblur: error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0].removeprefix("qrdeblur: error: ")


def _flat(text: str) -> str:
    """Help text without the panel's borders and line breaks."""
    return " ".join(text.replace("│", " ").split())


@pytest.fixture
def small_suites(monkeypatch):
    """paper80 as one code per cell, photo as its first two scenes (same builders, smaller draws)."""
    scenes = photo_suite(count=2)
    crops = paper80(per_cell=1)
    monkeypatch.setitem(SUITES, "photo", dataclasses.replace(SUITES["photo"], build=lambda: scenes))
    monkeypatch.setitem(SUITES, "paper80", dataclasses.replace(SUITES["paper80"], build=lambda: crops))
    return {"photo": scenes, "paper80": crops}


def test_bench_photo_writes_contract_files_and_summary_lines(tmp_path, small_suites):
    out = tmp_path / "photo"
    res = _bench("--suite", "photo", "--methods", "zxing-only,opencv", "--out", out)
    assert res.exit_code == 0, res.output
    with open(out / "results.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["method", "decoder", "cell", "n", "decoded", "rate", "ms_per_image"]
    assert {(r["method"], r["decoder"]) for r in rows} == {("zxing-only", "zxing-cpp"), ("opencv", "opencv")}
    assert [r["cell"] for r in rows] == ["mild", "moderate"] * 2
    present = sum(len(s.payloads) for s in small_suites["photo"])
    assert sum(int(r["n"]) for r in rows if r["method"] == "zxing-only") == present
    summary = json.loads((out / "summary.json").read_text())
    assert summary["suite"] == "photo" and set(summary["methods"]) == {"zxing-only", "opencv"}
    assert (out / "heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # the table on stdout, two summary lines per method on stderr
    assert "photo: decode rate %" in res.stdout and f"wrote {out}/results.csv" in res.stdout
    lines = res.stderr.splitlines()
    assert len(lines) == 4
    for method, (first, second) in zip(("zxing-only", "opencv"), (lines[:2], lines[2:]), strict=True):
        decoded = sum(int(r["decoded"]) for r in rows if r["method"] == method)
        assert re.fullmatch(
            rf"{method}: {decoded}/{present} codes read \(\d+\.\d%\) in 2 scenes, median \d+ ms per photo, "
            r"0 false reads",
            first,
        ), first
        assert re.fullmatch(
            r"  median (\d+ ms|-) on the (\d) photos zxing-cpp alone reads completely, (\d+ ms|-) on the other (\d)",
            second,
        ), second


def test_bench_paper80_prints_the_table_and_refuses_to_overwrite(tmp_path, small_suites):
    out = tmp_path / "p80"
    res = _bench("--suite", "paper80", "--methods", "raw,wiener-oracle", "--out", out)
    assert res.exit_code == 0, res.output
    assert res.stderr == ""  # crop suites have no summary lines
    with open(out / "results.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 * 15 and {r["decoder"] for r in rows} == {"zxing-cpp"}
    by = {(r["method"], r["cell"]): int(r["decoded"]) for r in rows}
    assert by[("raw", "len0-s1")] == 1  # the real decoder reads the sharpest cell
    assert "paper80: decode rate %" in res.stdout and "len20-s3" in res.stdout

    before = (out / "results.csv").read_text()
    message = _one_error_line(_bench("--suite", "paper80", "--methods", "raw", "--out", out))
    assert "already holds results.csv" in message and "--force" in message
    assert (out / "results.csv").read_text() == before
    res = _bench("--suite", "paper80", "--methods", "raw", "--out", out, "--force")
    assert res.exit_code == 0, res.output
    assert "wiener-oracle" not in (out / "results.csv").read_text()


def test_unknown_suite_and_wrong_methods_are_one_line_naming_the_choices():
    suites = "paper80, speed, photo, shake, hard, conveyor, known"
    assert _one_error_line(_bench("--suite", "nope")) == f"unknown suite 'nope'; choose one of {suites}"
    message = _one_error_line(_bench("--suite", "photo", "--methods", "raw"))
    assert "method 'raw'" in message and "suite 'photo'" in message
    assert message.endswith("choose one of zxing-only, opencv, scan[:MODEL], scan-high[:MODEL], oracle, known[:N]")
    message = _one_error_line(_bench("--suite", "speed", "--methods", "zxing-only"))
    assert "suite 'speed'" in message and message.endswith(f"choose one of {method_choices('crop')}")
    message = _one_error_line(_bench("--suite", "paper80", "--methods", "nope"))
    assert message == f"unknown method 'nope' for suite 'paper80'; choose one of {method_choices('crop')}"


def test_help_lists_the_registries(monkeypatch):
    register_method("probe-method", lambda arg: None, kind="scene", arg="THING")
    try:
        monkeypatch.setitem(SUITES, "probe-suite", dataclasses.replace(SUITES["photo"], name="probe-suite"))
        res = _bench("--help")
    finally:
        METHODS.pop("probe-method")
    assert res.exit_code == 0, res.output
    text = _flat(res.stdout)
    for suite in ("paper80", "speed", "photo", "probe-suite"):
        assert f"{suite} (" in text, suite
    assert "paper80, speed: raw, sharpen, wiener-oracle[:BALANCE]" in text
    scene = "zxing-only, opencv, scan[:MODEL], scan-high[:MODEL], oracle, known[:N]"
    assert f"photo, shake, hard, known, probe-suite: {scene}, probe-method[:THING]" in text
    assert "conveyor: frame-any[:MODEL], video[:MODEL]" in text
    assert "zxing-cpp,zbar,opencv (not for photo, shake, hard, conveyor, known, probe-suite)" in text


def test_synth_help_lists_the_presets(monkeypatch):
    monkeypatch.setitem(PRESETS, "probe-preset", PRESETS["paper"])
    res = CliRunner().invoke(app, ["synth", "--help"])
    assert res.exit_code == 0, res.output
    assert " | ".join(PRESETS) in _flat(res.stdout)
    assert "probe-preset" in _flat(res.stdout)
