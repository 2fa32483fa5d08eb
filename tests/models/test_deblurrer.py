"""models.deblurrer: one loader for every model file; an .onnx model still loads without torch."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from qrdeblur.errors import UsageError
from qrdeblur.models.deblurrer import checkpoint_deblurrer, load_deblurrer
from qrdeblur.models.unet import QRUNet
from qrdeblur.restore.deblurrer import Deblurrer, plain_model_path


def test_onnx_loads_without_torch():
    code = (
        "import sys\n"
        "from qrdeblur.models.deblurrer import load_deblurrer\n"
        "from qrdeblur.restore.deblurrer import plain_model_path\n"
        "load_deblurrer(plain_model_path())\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_onnx_goes_to_the_onnx_loader():
    a, b = load_deblurrer(plain_model_path()), Deblurrer.load(plain_model_path())
    assert (a.name, a.channels, a.pad_multiple) == (b.name, b.channels, b.pad_multiple)


def test_checkpoint_runs_through_torch(tmp_path):
    torch.manual_seed(0)
    args = {"width": 4, "bottleneck_blocks": 1}
    g = QRUNet(**args).eval()
    path = tmp_path / "best.pt"
    torch.save({"model": g.state_dict(), "model_name": "qrunet", "model_args": args}, path)
    d = load_deblurrer(path, threads=1)
    assert isinstance(d, Deblurrer) and d.name == "qrunet" and d.channels == 1
    img = (np.random.default_rng(0).random((24, 40)) * 255).astype(np.uint8)
    with torch.no_grad():
        ref = torch.sigmoid(g(torch.from_numpy(img.astype(np.float32)[None, None] / 255)))[0, 0].numpy()
    assert np.abs(d.deblur(img).astype(float) - np.round(ref * 255)).max() <= 1


def test_missing_checkpoint(tmp_path):
    with pytest.raises(UsageError, match="not found"):
        checkpoint_deblurrer(tmp_path / "none.pt")
