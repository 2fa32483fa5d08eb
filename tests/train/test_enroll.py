"""enroll: the shipped scan generator fine-tuned on enrolled codes into a model folder that scan and
deblur load, with a model card and the evaluation; refusals and resume."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qrdeblur.errors import UsageError

torch = pytest.importorskip("torch")

CODES = ["QRDEBLUR-A1", "LOT 2026-11-25 B7"]
QUICK = {"val_count": 8, "quantize_batches": (8, 4)}  # the int8 export's calibration and check, made smaller


@pytest.fixture(scope="module")
def enrolled(tmp_path_factory):
    from qrdeblur.train.enroll import enroll

    out = tmp_path_factory.mktemp("enroll") / "line"
    result = enroll(CODES, out, steps=2, batch_size=4, draws=1, command="qrdeblur enroll codes.txt --out line", **QUICK)
    return out, result


def test_the_folder_holds_a_model_its_card_and_the_evaluation(enrolled):
    out, result = enrolled
    assert sorted(p.name for p in out.iterdir()) == [
        "MODEL_CARD.md", "evaluation.json", "init.pt", "model.onnx", "payloads.txt", "run",
    ]
    assert (out / "payloads.txt").read_text(encoding="utf-8").splitlines() == CODES
    evaluation = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    assert evaluation["codes"] == 2 and evaluation["items"] == 2 * 15
    assert set(evaluation["shipped"]) == set(evaluation["enrolled"]) and "all" in evaluation["shipped"]
    # sharp-ish cells decode with the shipped model: the evaluation really restores and reads
    assert evaluation["shipped"]["len0-s1"] == 1.0
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "qrdeblur enroll codes.txt --out line" in card and "| len20-s3 |" in card
    ck = torch.load(out / "run" / "last.pt", map_location="cpu", weights_only=False)
    assert ck["step"] == 2
    assert result["enrolled"] == evaluation["enrolled"]


def test_scan_and_deblur_load_the_folder(enrolled):
    from qrdeblur.restore.deblurrer import Deblurrer
    from qrdeblur.scan import scan
    from qrdeblur.synth.render import QRSpec, render_code

    out, _ = enrolled
    img = (np.clip(render_code(QRSpec(CODES[0]), module_px=4), 0, 1) * 255).astype(np.uint8)
    assert Deblurrer.load(out).deblur(img).shape == img.shape[:2]
    assert [c.text for c in scan(img, model=out)] == [CODES[0]]
    with pytest.raises(UsageError, match="no model.onnx"):
        Deblurrer.load(out / "run")


def test_a_used_folder_is_refused_and_a_run_resumes(enrolled, tmp_path):
    from qrdeblur.train.enroll import enroll

    out, _ = enrolled
    with pytest.raises(UsageError, match="not empty; use --resume"):
        enroll(CODES, out, steps=2)
    with pytest.raises(UsageError, match="nothing to resume"):
        enroll(CODES, tmp_path / "new", steps=2, resume=True)
    with pytest.raises(UsageError, match="no payloads"):
        enroll([], tmp_path / "empty")
    assert not (tmp_path / "empty").exists()
    enroll(CODES, out, steps=3, resume=True, batch_size=4, draws=1, val_count=8, int8=False)
    ck = torch.load(out / "run" / "last.pt", map_location="cpu", weights_only=False)
    assert ck["step"] == 3
    assert "in float (--no-int8)" in (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert not (out / "model-float.onnx").exists() and (out / "model.onnx").exists()
