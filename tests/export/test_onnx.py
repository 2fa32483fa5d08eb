"""ONNX export: dynamic sizes, parity with torch, metadata; the Deblurrer runs it without torch code."""

import cv2
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from qrdeblur.errors import UsageError
from qrdeblur.export.onnx import export_onnx
from qrdeblur.models.deblurrer import load_deblurrer
from qrdeblur.models.unet import QRUNet
from qrdeblur.restore.deblurrer import Deblurrer


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    args = {"width": 4, "bottleneck_blocks": 1, "global_context": True}
    g = QRUNet(**args)
    path = tmp_path / "g.pt"
    torch.save({"model": g.state_dict(), "model_name": "qrunet", "model_args": args}, path)
    return path, g.eval()


def test_export_parity_and_any_size(tmp_path, checkpoint):
    ckpt, g = checkpoint
    out = tmp_path / "g.onnx"
    report = export_onnx(ckpt, out)
    assert out.exists() and report["max_abs_diff"] <= 1e-4
    d = Deblurrer.load(out)
    assert d.pad_multiple == 8 and d.channels == 1
    rng = np.random.default_rng(0)
    img = (rng.random((37, 53)) * 255).astype(np.uint8)
    restored = d.deblur(img)
    assert restored.shape == img.shape and restored.dtype == np.uint8
    with torch.no_grad():
        ref = torch.sigmoid(g(torch.from_numpy(img.astype(np.float32)[None, None] / 255)))[0, 0].numpy()
    assert np.abs(restored.astype(float) - np.round(ref * 255)).max() <= 1
    rgb = np.repeat(img[..., None], 3, axis=2)
    assert d.deblur(rgb).shape == rgb.shape
    batch = d.deblur_batch([img, rgb, img[:20, :30]])
    assert [b.shape for b in batch] == [img.shape, rgb.shape, (20, 30)]


def test_torch_checkpoint_matches_onnx(tmp_path, checkpoint):
    ckpt, _ = checkpoint
    export_onnx(ckpt, tmp_path / "g.onnx")
    img = (np.random.default_rng(1).random((40, 40)) * 255).astype(np.uint8)
    a = Deblurrer.load(tmp_path / "g.onnx").deblur(img).astype(int)
    b = load_deblurrer(ckpt).deblur(img).astype(int)
    assert np.abs(a - b).max() <= 1


def test_bad_model_files(tmp_path):
    with pytest.raises(UsageError, match="not found"):
        Deblurrer.load(tmp_path / "missing.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(UsageError, match="not a loadable ONNX model"):
        Deblurrer.load(junk)
    other = tmp_path / "model.txt"
    other.write_bytes(b"x")
    with pytest.raises(UsageError, match="unknown model format"):
        Deblurrer.load(other)
    with pytest.raises(UsageError, match="unknown model format"):
        load_deblurrer(other)
    with pytest.raises(UsageError, match="not found"):
        load_deblurrer(tmp_path / "missing.pt")


def test_deblurrer_points_checkpoints_to_the_torch_loader(tmp_path, checkpoint):
    """restore's Deblurrer stays torch-free: a .pt file is refused with where to load it instead."""
    ckpt, _ = checkpoint
    with pytest.raises(UsageError, match="load_deblurrer"):
        Deblurrer.load(ckpt)
    assert load_deblurrer(ckpt).channels == 1
    assert load_deblurrer().name == Deblurrer.load().name  # None: the shipped model, through onnxruntime


def test_wrong_rank_image(tmp_path, checkpoint):
    ckpt, _ = checkpoint
    d = load_deblurrer(ckpt)
    assert d.name == "qrunet"  # the checkpoint's model, not its file name
    with pytest.raises(UsageError, match="shape"):
        d.deblur(np.zeros((2, 3, 4, 5), np.uint8))


def test_wiener_qrunet_exports_as_one_graph_and_matches_torch(tmp_path, save_tiny_wiener):
    ckpt = tmp_path / "w.pt"
    g = save_tiny_wiener(ckpt)
    report = export_onnx(ckpt, tmp_path / "w.onnx")
    assert report["max_abs_diff"] <= 1e-4
    d = Deblurrer.load(tmp_path / "w.onnx")
    assert d.pad_multiple == 4 and d.channels == 1
    assert d.name == "wiener-qrunet"  # the model's name, not the checkpoint file's stem
    rng = np.random.default_rng(1)
    imgs = [(rng.random((80, 80)) * 255).astype(np.uint8), (rng.random((44, 60)) * 255).astype(np.uint8)]
    for img, got in zip(imgs, d.deblur_batch(imgs), strict=True):
        with torch.no_grad():
            ref = torch.sigmoid(g(torch.from_numpy(img.astype(np.float32)[None, None] / 255)))[0, 0].numpy()
        assert got.shape == img.shape
        assert np.abs(got.astype(float) - np.round(ref * 255)).max() <= 1


def test_initial_state_reads_an_export_back(tmp_path, checkpoint):
    """A run can fine-tune a generator shipped as ONNX only: its weights come back exactly."""
    from qrdeblur.models.checkpoint import initial_state

    ckpt, g = checkpoint
    export_onnx(ckpt, tmp_path / "g.onnx")
    for path in (tmp_path / "g.onnx", ckpt):
        state = initial_state(path)
        fresh = QRUNet(width=4, bottleneck_blocks=1, global_context=True)
        fresh.load_state_dict(state)  # strict: every name and shape matches
        for name, p in fresh.state_dict().items():
            assert torch.equal(p, g.state_dict()[name]), name
    with pytest.raises(UsageError, match="not found"):
        initial_state(tmp_path / "missing.onnx")
    (tmp_path / "w.txt").write_text("x")
    with pytest.raises(UsageError, match=".pt checkpoint or an .onnx"):
        initial_state(tmp_path / "w.txt")


def test_cli_deblur_runs_a_checkpoint(tmp_path, checkpoint):
    """``qrdeblur deblur --model x.pt`` runs the checkpoint through torch, like its ONNX export."""
    from qrdeblur.cli import app  # here: a broken CLI fails this test only

    ckpt, _ = checkpoint
    img = (np.random.default_rng(2).random((40, 48)) * 255).astype(np.uint8)
    cv2.imwrite(str(tmp_path / "in.png"), img)
    args = ["deblur", str(tmp_path / "in.png"), "--out", str(tmp_path / "out"), "--model", str(ckpt)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    restored = cv2.imread(str(tmp_path / "out" / "in.png"), cv2.IMREAD_GRAYSCALE)
    assert np.array_equal(restored, load_deblurrer(ckpt).deblur(img))
