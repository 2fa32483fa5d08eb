"""int8 quantisation of exported generators: what is quantised, the decode check, refusals, the CLI."""

import json

import numpy as np
import onnx
import pytest
import torch
from typer.testing import CliRunner

from qrdeblur.cli import app
from qrdeblur.errors import UsageError
from qrdeblur.export import quantize
from qrdeblur.export.onnx import export_onnx
from qrdeblur.export.quantize import estimator_nodes, quantize_onnx
from qrdeblur.models.unet import QRUNet
from qrdeblur.restore.deblurrer import Deblurrer

FAST = {"calibration_batches": 1, "check_batches": 1}


@pytest.fixture(scope="module")
def wiener_files(tmp_path_factory, save_tiny_wiener):
    """A tiny wiener-qrunet: its checkpoint and float ONNX export."""
    tmp = tmp_path_factory.mktemp("wq")
    ckpt = tmp / "w.pt"
    save_tiny_wiener(ckpt)
    export_onnx(ckpt, tmp / "w.onnx")
    return ckpt, tmp / "w.onnx"


def _ops(model, names=None):
    return {n.op_type for n in model.graph.node if names is None or n.name in names}


def test_refiner_int8_estimator_float_and_it_runs(tmp_path, wiener_files):
    _, float_path = wiener_files
    out = tmp_path / "q.onnx"
    report = quantize_onnx(float_path, out, **FAST)
    assert out.exists() and report["check_codes"] == 16
    assert report["estimator_max_abs_diff"] <= 1e-4
    q = onnx.load(out)
    meta = {p.key: p.value for p in q.metadata_props}
    assert meta["precision"] == "int8" and meta["front_end"] == "kernel-wiener"  # float metadata kept
    est = set(estimator_nodes(q))
    assert est and "QuantizeLinear" not in _ops(q, est)  # the estimator stays float
    assert "QuantizeLinear" in _ops(q) and "DequantizeLinear" in _ops(q)
    d = Deblurrer.load(out)
    rng = np.random.default_rng(0)
    imgs = [(rng.random((80, 80)) * 255).astype(np.uint8), (rng.random((37, 52)) * 255).astype(np.uint8)]
    for img, got in zip(imgs, d.deblur_batch(imgs), strict=True):
        assert got.shape == img.shape and got.dtype == np.uint8


def test_same_input_same_file(tmp_path, wiener_files):
    _, float_path = wiener_files
    quantize_onnx(float_path, tmp_path / "a.onnx", **FAST)
    quantize_onnx(float_path, tmp_path / "b.onnx", **FAST)
    assert (tmp_path / "a.onnx").read_bytes() == (tmp_path / "b.onnx").read_bytes()


def test_estimator_nodes_are_exactly_those_fed_by_the_features(wiener_files):
    _, float_path = wiener_files
    model = onnx.load(float_path)
    est = estimator_nodes(model)
    assert all("estimator" in name for name in est)
    assert not any("estimator" in n.name for n in model.graph.node if n.name not in est)


def test_plain_generator_quantises_whole(tmp_path):
    torch.manual_seed(0)
    args = {"width": 4, "bottleneck_blocks": 1}
    ckpt = tmp_path / "g.pt"
    torch.save({"model": QRUNet(**args).state_dict(), "model_name": "qrunet", "model_args": args}, ckpt)
    export_onnx(ckpt, tmp_path / "g.onnx")
    report = quantize_onnx(tmp_path / "g.onnx", tmp_path / "q.onnx", **FAST)
    assert report["estimator_max_abs_diff"] == 0.0
    assert "QuantizeLinear" in _ops(onnx.load(tmp_path / "q.onnx"))
    assert Deblurrer.load(tmp_path / "q.onnx").deblur(np.zeros((40, 40), np.uint8)).shape == (40, 40)


def test_a_failed_decode_check_keeps_no_file(tmp_path, wiener_files, monkeypatch):
    _, float_path = wiener_files
    real = quantize._compare

    def lossy(*args, **kwargs):
        report = real(*args, **kwargs)
        return {**report, "read_float": 10, "read_int8": 5}

    monkeypatch.setattr(quantize, "_compare", lossy)
    out = tmp_path / "q.onnx"
    with pytest.raises(UsageError, match="int8 check failed: zxing-cpp read 5 of 16"):
        quantize_onnx(float_path, out, **FAST)
    assert list(tmp_path.iterdir()) == []


def test_refusals(tmp_path, wiener_files):
    _, float_path = wiener_files
    with pytest.raises(UsageError, match="not found"):
        quantize_onnx(tmp_path / "missing.onnx", tmp_path / "q.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(UsageError, match="junk.onnx: not"):
        quantize_onnx(junk, tmp_path / "q.onnx")
    quantize_onnx(float_path, tmp_path / "q.onnx", **FAST)
    with pytest.raises(UsageError, match="already int8"):
        quantize_onnx(tmp_path / "q.onnx", tmp_path / "q2.onnx")


def test_cli_export_int8_from_checkpoint_and_refusals(tmp_path, wiener_files):
    ckpt, float_path = wiener_files
    runner = CliRunner()
    out = tmp_path / "q.onnx"
    result = runner.invoke(app, ["export", "--model", str(ckpt), "--onnx", str(out), "--int8"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["onnx"] == str(out) and report["max_abs_diff"] <= 1e-4 and report["check_codes"] == 128
    assert Deblurrer.load(out).name == "wiener-qrunet"
    again = runner.invoke(app, ["export", "--model", str(ckpt), "--onnx", str(out), "--int8"])
    assert again.exit_code != 0 and "exists" in again.output
    plain = runner.invoke(app, ["export", "--model", str(float_path), "--onnx", str(tmp_path / "x.onnx")])
    assert plain.exit_code != 0 and "add --int8" in plain.output
