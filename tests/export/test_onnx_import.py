"""The shipped scan generator rebuilt in PyTorch from its ONNX file: the same blur estimates, nearly the
same restorations; files that are not such a model are refused."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from qrdeblur.errors import UsageError
from qrdeblur.export.onnx_import import PARITY_TOLERANCE, generator_from_onnx
from qrdeblur.restore.deblurrer import plain_model_path, scan_model_path
from qrdeblur.train.enroll import SCAN_GENERATOR_ARGS

torch = pytest.importorskip("torch")


def test_the_enroll_architecture_is_the_shipped_configs():
    with open("configs/shipped/scan-wiener-qrunet.yaml", encoding="utf-8") as fh:
        assert yaml.safe_load(fh)["generator"]["args"] == SCAN_GENERATOR_ARGS


def test_the_rebuilt_scan_generator_restores_as_the_file_does():
    from qrdeblur.decode import get_decoder
    from qrdeblur.metrics.decoding import decodes_correctly
    from qrdeblur.restore.deblurrer import Deblurrer
    from qrdeblur.synth.paper80 import paper80_crops

    g = generator_from_onnx(scan_model_path(), SCAN_GENERATOR_ARGS)
    assert 0 <= g.onnx_parity <= PARITY_TOLERANCE
    # the torch network reads the same codes as onnxruntime's int8 file on blurred crops
    items = [it for it in paper80_crops(per_cell=2) if it.cell in ("len5-s1", "len10-s1", "len5-s2")]
    shipped = Deblurrer.load(scan_model_path())
    decoder = get_decoder("zxing-cpp")
    x = np.stack([it.blurred[..., 0] for it in items]).astype(np.float32)[:, None] / 255.0
    with torch.no_grad():
        ours = torch.sigmoid(g(torch.from_numpy(x))).numpy()[:, 0]
    theirs = shipped.deblur_batch([it.blurred for it in items])
    ours_u8 = (ours * 255).astype(np.uint8)
    ours_read = [decodes_correctly(ours_u8[i], it.payloads, decoder) for i, it in enumerate(items)]
    theirs_read = [decodes_correctly(img, it.payloads, decoder) for img, it in zip(theirs, items, strict=True)]
    assert sum(theirs_read) >= 2
    assert abs(sum(ours_read) - sum(theirs_read)) <= 1


def test_other_files_are_refused(tmp_path):
    with pytest.raises(UsageError, match="not a wiener-qrunet model"):
        generator_from_onnx(plain_model_path(), SCAN_GENERATOR_ARGS)
    with pytest.raises(UsageError, match="model file not found"):
        generator_from_onnx(tmp_path / "none.onnx", SCAN_GENERATOR_ARGS)
    with pytest.raises(UsageError, match="weighted layers|is \\("):
        deeper = {**SCAN_GENERATOR_ARGS, "refiner": {**SCAN_GENERATOR_ARGS["refiner"], "levels": 3}}
        generator_from_onnx(scan_model_path(), deeper)
