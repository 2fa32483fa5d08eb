"""research/paper_fullwidth.sh end to end on the CPU in smoke mode: 4 tiny trainings, Table 1, bundle.

Slow (about 2 minutes on 2 cores): run with ``pytest -m slow tests/test_paper_fullwidth_script.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_smoke_run_makes_the_table_summary_and_bundle_then_resumes(tmp_path):
    env = dict(os.environ, OUT=str(tmp_path / "out"), PAPER_RUNS=str(tmp_path / "runs"),
               PAPER_CODE_VGG=str(tmp_path / "code-vgg"), PAPER_SMOKE="1", PYTHON=sys.executable)
    script = ROOT / "research" / "paper_fullwidth.sh"
    proc = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "paper-full-runs.tar.gz", "paper_fullwidth.log", "summary.json", "table1"]
    assert (out / "table1" / "table1.md").is_file() and (out / "table1" / "table1.csv").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert {v: r["steps_done"] for v, r in summary["variants"].items()} == {
        "random-vgg": 2, "no-detail": 2, "code-vgg": 2, "pixel": 2}
    with tarfile.open(out / "paper-full-runs.tar.gz") as tar:
        names = set(tar.getnames())
    for v in ("random-vgg", "no-detail", "code-vgg", "pixel"):
        for f in ("fig6_progress.png", "fig7_g_loss.png", "fig8_qr_mae.png", "metrics.csv", "config.yaml"):
            assert f"./{v}/{f}" in names

    env.update(OUT=str(tmp_path / "out2"), PAPER_STEPS="3", PAPER_VARIANTS="pixel")
    proc = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((tmp_path / "out2" / "summary.json").read_text())
    assert summary["variants"]["pixel"]["steps_done"] == 3
    assert "--resume" in (tmp_path / "runs" / "pixel" / "command.txt").read_text()
