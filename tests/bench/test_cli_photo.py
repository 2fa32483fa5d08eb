"""`qrdeblur bench --suite photo` writes the same contract files as the other suites."""

import csv
import json

from typer.testing import CliRunner

from qrdeblur.bench import photo
from qrdeblur.cli import app


def test_bench_photo_writes_contract_files(tmp_path, monkeypatch):
    scenes = photo.photo_suite(count=2)
    monkeypatch.setattr(photo, "photo_suite", lambda count=300, seed=0: scenes)
    out = tmp_path / "photo"
    res = CliRunner().invoke(app, ["bench", "--suite", "photo", "--methods", "zxing-only,opencv", "--out", str(out)])
    assert res.exit_code == 0, res.output
    with open(out / "results.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["method"] for r in rows} == {"zxing-only", "opencv"}
    assert {(r["method"], r["decoder"]) for r in rows} == {("zxing-only", "zxing-cpp"), ("opencv", "opencv")}
    present = sum(len(s.payloads) for s in scenes)
    assert sum(int(r["n"]) for r in rows if r["method"] == "zxing-only") == present
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["methods"]) == {"zxing-only", "opencv"}
    assert (out / "heatmap.png").exists()
