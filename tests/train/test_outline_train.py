"""Training the outline locator: reproducible pairs, a run's files, an ONNX export that matches torch."""

import json

import numpy as np
import pytest

pytest.importorskip("torch")

from qrdeblur.scan.outline import OutlineLocator  # noqa: E402
from qrdeblur.train.outline import OutlineTrainConfig, draw_pairs, outline_errors, train  # noqa: E402


def test_the_pairs_do_not_depend_on_the_number_of_processes():
    one = draw_pairs(np.random.SeedSequence(3), 6, workers=1)
    two = draw_pairs(np.random.SeedSequence(3), 6, workers=2)
    for a, b in zip(one, two, strict=True):
        assert np.array_equal(a, b, equal_nan=True)


def test_outline_errors_are_zero_on_the_targets_and_infinite_without_an_outline():
    crops, targets, corners, modules = draw_pairs(np.random.SeedSequence(4), 12, workers=1)
    inside = ~np.isnan(corners).any(axis=(1, 2)) & (corners.min(axis=(1, 2)) > 1) & (corners.max(axis=(1, 2)) < 126)
    perfect = outline_errors(targets[inside] / 255.0, corners[inside], modules[inside])
    assert len(perfect) and np.all(perfect < 1.0)  # about a pixel: a module is 1-4 px here
    blank = outline_errors(np.zeros_like(targets[inside], np.float64), corners[inside], modules[inside])
    assert np.all(np.isinf(blank))


def test_a_tiny_run_saves_its_config_log_checkpoint_and_a_matching_onnx(tmp_path):
    cfg = OutlineTrainConfig(pairs=64, val_pairs=16, workers=1, width=4, levels=2, batch=16, epochs=1, threads=1)
    last = train(cfg, tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["pairs"] == 64
    logged = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert logged[-1] == last and last["steps"] == 4 and np.isfinite(last["val_loss"])
    assert (tmp_path / "environment.jsonl").read_text().strip()
    locator = OutlineLocator(tmp_path / "outline.onnx")
    prob = locator.probabilities(np.zeros((2, 128, 128), np.uint8))
    assert prob.shape == (2, 2, 128, 128) and ((prob >= 0) & (prob <= 1)).all()
