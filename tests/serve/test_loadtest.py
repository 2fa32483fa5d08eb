"""``qrdeblur loadtest`` against a real server: every kind of input gets its status, the good photos read,
and the report has latency percentiles and the server's memory."""

from __future__ import annotations

import json
from collections import Counter

from typer.testing import CliRunner

from qrdeblur.cli import app
from qrdeblur.serve.loadtest import EXPECTED_TEXT, GOOD_BLURS, _plan, bomb_png, format_report, good_photo


def test_plan_follows_the_mix():
    assert Counter(_plan(500, 0)) == {"good": 350, "bad": 75, "bomb": 25, "oversized": 50}
    assert Counter(_plan(4, 0)) == {"good": 1, "bad": 1, "bomb": 1, "oversized": 1}
    assert _plan(40, 1) == _plan(40, 1) != _plan(40, 2)


def test_generated_inputs_are_what_they_claim(zxing, tmp_path):
    import cv2
    import numpy as np
    import pytest

    from qrdeblur.errors import ImageReadError
    from qrdeblur.imageio import read_image
    from qrdeblur.scan import scan

    for px in GOOD_BLURS:
        image = cv2.imdecode(np.frombuffer(good_photo(px), np.uint8), cv2.IMREAD_GRAYSCALE)
        assert [c.text for c in scan(image)] == [EXPECTED_TEXT]
        assert bool(zxing.decode(image)) == (px == 0)  # the blurred ones need the restoration
    (tmp_path / "bomb.png").write_bytes(bomb_png())
    with pytest.raises(ImageReadError, match="decompression bomb"):
        read_image(tmp_path / "bomb.png")


def test_loadtest_command_against_a_server(engine, live_server, monkeypatch):
    from qrdeblur.serve.app import create_app

    monkeypatch.setattr(engine.config, "max_body_bytes", 1_000_000)  # keeps the oversized body small
    with live_server(create_app(engine=engine)) as server:
        args = ["loadtest", "--url", server.url, "--clients", "2", "--requests", "12", "--json"]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["requests"] == 12 and report["clients"] == 2
    assert report["by_kind"] == {"good": {"200": 8}, "bad": {"422": 2}, "bomb": {"422": 1}, "oversized": {"413": 1}}
    assert report["good_misread"] == 0 and report["no_answer"] == []
    lat = report["latency_ms"]
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    srv = report["server"]
    assert srv["rss_before_mb"] > 10 and srv["rss_after_mb"] > 10 and srv["peak_rss_mb"] >= srv["rss_after_mb"]
    text = format_report(report)
    assert "12 requests from 2 clients" in text and "oversized  413: 1" in text and "RSS:" in text


def test_loadtest_names_an_unreachable_server():
    result = CliRunner().invoke(app, ["loadtest", "--url", "http://127.0.0.1:9", "--requests", "1"])
    assert result.exit_code == 1
    assert result.stderr.startswith("qrdeblur: error: loadtest: cannot reach http://127.0.0.1:9 (")
