"""A tiny GAN training run writes, resumes and reloads a checkpoint; plots and metrics are written."""

import csv

import pytest
import torch

from qrdeblur.errors import UsageError
from qrdeblur.models.checkpoint import load_generator
from qrdeblur.train.config import config_from_dict
from qrdeblur.train.trainer import train

TINY = {
    "seed": 0,
    "steps": 4,
    "threads": 1,
    "log_every": 2,
    "checkpoint_every": 2,
    "generator": {"name": "qrunet", "args": {"width": 4, "bottleneck_blocks": 1}},
    "discriminator": {"name": "patch-d", "args": {"in_channels": 1, "width": 0.0625}},
    "data": {"preset": "default", "size": 32, "batch_size": 2, "workers": 0},
    "loss": {"l1": 1.0, "binary": 1.0, "edge": 0.1,
             "detail": {"weight": 0.05, "weights": "random", "max_images": 1},
             "adversarial": {"kind": "lsgan", "weight": 0.01, "start_step": 1}},
    "val": {"every": 2, "count": 4, "sample_count": 2},
}


def _rows(run):
    with open(run / "metrics.csv") as fh:
        return list(csv.DictReader(fh))


def test_train_resume_reload(tmp_path):
    run = tmp_path / "run"
    result = train(config_from_dict(TINY), run)
    assert result["step"] == 4
    for name in ("config.yaml", "command.txt", "last.pt", "best.pt", "metrics.csv",
                 "fig6_progress.png", "fig7_g_loss.png", "fig8_qr_mae.png"):
        assert (run / name).exists(), name
    rows = _rows(run)
    logged = [r for r in rows if r["g_total"]]
    logged_terms = {k for r in logged for k, v in r.items() if v}
    assert {"g_l1", "g_binary", "g_edge", "g_detail", "g_adv", "d_loss"} <= logged_terms
    assert any(r["val_decode_rate"] for r in rows)

    # refuses to overwrite a run without --resume
    with pytest.raises(UsageError, match="not empty"):
        train(config_from_dict(TINY), run)

    before = torch.load(run / "last.pt", weights_only=False)
    more = dict(TINY, steps=6)
    result = train(config_from_dict(more), run, resume=True)
    assert result["step"] == 6
    after = torch.load(run / "last.pt", weights_only=False)
    assert after["step"] == 6 and before["step"] == 4
    changed = any(not torch.equal(before["model"][k], after["model"][k]) for k in before["model"])
    assert changed, "resumed training did not update the generator"
    assert max(int(r["step"]) for r in _rows(run)) == 6

    g = load_generator(run / "last.pt")
    x = torch.rand(1, 1, 21, 27)
    assert g(x).shape == x.shape


def test_resume_without_checkpoint(tmp_path):
    with pytest.raises(UsageError, match="nothing to resume"):
        train(config_from_dict(TINY), tmp_path / "empty", resume=True)


WIENER = dict(
    TINY,
    generator={"name": "wiener-qrunet", "args": {"kernel": {"width": 4, "hidden": 8},
                                                 "refiner": {"width": 8, "levels": 1, "bottleneck_blocks": 1,
                                                             "unshuffle": 2}}},
    data={"preset": "default", "size": 80, "batch_size": 2, "workers": 0},
    kernel={"steps": 3, "batch_size": 4},
)


def test_wiener_run_trains_the_estimator_first_and_keeps_it_on_resume(tmp_path):
    run = tmp_path / "run"
    train(config_from_dict(WIENER), run)
    assert (run / "kernel.pt").exists() and (run / "kernel_metrics.csv").exists()
    kernel = torch.load(run / "kernel.pt", weights_only=False)["model"]
    last = torch.load(run / "last.pt", weights_only=False)["model"]
    # phase 2 left the estimator exactly as phase 1 saved it
    assert all(torch.equal(v, last["estimator." + k]) for k, v in kernel.items())
    train(config_from_dict(dict(WIENER, steps=6)), run, resume=True)
    resumed = torch.load(run / "last.pt", weights_only=False)
    assert resumed["step"] == 6
    assert all(torch.equal(v, resumed["model"]["estimator." + k]) for k, v in kernel.items())
    g = load_generator(run / "last.pt")
    assert g(torch.rand(1, 1, 40, 56)).shape == (1, 1, 40, 56)
