"""paper_table: both files, one row per code x strength x method; raw decodes unblurred codes (zxing-cpp)."""

import csv

import numpy as np
import pytest
import torch

from qrdeblur.bench.paper_table import blurred_code, main, paper_table
from qrdeblur.errors import UsageError
from qrdeblur.models.registry import create_model

PAYLOADS = ["QRDEBLUR-A1", "LOT 2026-11-25 B7"]


@pytest.fixture()
def setup(tmp_path):
    """A payload file of two codes and a tiny random checkpoint saved as the trainer does."""
    payload_file = tmp_path / "codes.txt"
    payload_file.write_text("\n".join(PAYLOADS) + "\n", encoding="utf-8")
    torch.manual_seed(0)
    args = {"width": 0.0625, "n_blocks": 1}
    g = create_model("paper-g", **args)
    ckpt = tmp_path / "tiny.pt"
    torch.save({"model": g.state_dict(), "model_name": "paper-g", "model_args": args}, ckpt)
    return payload_file, ckpt


def test_table_rows_files_and_raw_oracle(setup, tmp_path):
    payload_file, ckpt = setup
    out = tmp_path / "out"
    strengths = (0.0, 10.0)
    rows = paper_table({"tiny": ckpt}, payload_file, out, strengths=strengths, gaussian_sigma=0.0,
                       draws=3, repeats=1)
    assert len(rows) == len(PAYLOADS) * len(strengths) * 2
    keys = {(r.code, r.strength, r.method) for r in rows}
    assert keys == {(c, s, m) for c in (1, 2) for s in strengths for m in ("raw", "tiny")}
    by = {(r.code, r.strength, r.method): r for r in rows}
    for code in (1, 2):
        # no blur: the raw image decodes (zxing-cpp is the oracle), every draw
        assert by[(code, 0.0, "raw")].decodable and by[(code, 0.0, "raw")].decoded_fraction == 1.0
        assert by[(code, 0.0, "raw")].seconds_per_image == 0.0
        assert by[(code, 0.0, "tiny")].seconds_per_image > 0.0
        assert by[(code, 10.0, "raw")].motion_length == 10.0 and by[(code, 10.0, "raw")].motion_angle == 10.0

    with open(out / "table1.csv", encoding="utf-8") as fh:
        csv_rows = list(csv.DictReader(fh))
    assert len(csv_rows) == len(rows)
    assert {r["method"] for r in csv_rows} == {"raw", "tiny"}
    md = (out / "table1.md").read_text(encoding="utf-8")
    table_lines = [line for line in md.splitlines() if line.startswith("| ") and "`" in line]
    assert len(table_lines) == len(PAYLOADS) * len(strengths)  # one line per code x strength
    assert "recognisable, 1.52 s" in md and "tiny decodable" in md


def test_blurred_code_is_seeded_and_blurs():
    a = blurred_code("QRDEBLUR-A1", 10.0, np.random.default_rng(1))
    b = blurred_code("QRDEBLUR-A1", 10.0, np.random.default_rng(1))
    np.testing.assert_array_equal(a[1], b[1])
    sharp, blurred = a
    assert sharp.shape == blurred.shape == (80, 80, 3)
    assert np.abs(blurred - sharp).mean() > 0.05  # a strong blur moves pixels a lot


def test_bad_names_and_cli_errors(setup, tmp_path, capsys):
    payload_file, ckpt = setup
    with pytest.raises(UsageError, match="reserved"):
        paper_table({"raw": ckpt}, payload_file, tmp_path / "o")
    with pytest.raises(UsageError, match="not found"):
        paper_table({"m": tmp_path / "missing.pt"}, payload_file, tmp_path / "o")
    argv = ["--checkpoint", "nopath", "--payloads", str(payload_file), "--out", str(tmp_path / "o")]
    assert main(argv) == 1
    assert "NAME=PATH" in capsys.readouterr().err


def test_methods_say_which_vgg16_the_detail_loss_read():
    from qrdeblur.bench.paper_table import format_markdown

    def meta(weight, weights):
        return {"path": "x.pt", "model_name": "paper-g", "step": 1, "detail_weight": weight, "detail_weights": weights}

    md = format_markdown([], {"a": meta(1.0, "random"), "b": meta(1.0, "weights/vgg16-397923af.pth"),
                              "c": meta(1.0, "runs/code-vgg/vgg16-codes.pth"), "d": meta(0.0, "random")})
    lines = {line[3]: line for line in md.splitlines() if line.startswith("- `")}
    assert "RANDOM VGG16" in lines["a"]
    assert "ImageNet VGG16" in lines["b"]
    assert "not torchvision's ImageNet file" in lines["c"] and "on ImageNet" not in lines["c"]
    assert "no detail loss" in lines["d"]
