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
    # each start and resume recorded the library versions it ran with
    import json

    entries = [json.loads(line) for line in (run / "environment.jsonl").read_text().splitlines()]
    assert len(entries) == 2
    assert entries[0]["packages"]["torch"] == torch.__version__ and entries[0]["threads"] == 1
    assert {"numpy", "scipy", "segno", "zxing-cpp"} <= set(entries[1]["packages"])

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


FINISH = {"steps": 2, "preset": "clean", "lr": 5e-4}


def test_finish_phase_numbers_on_drops_its_terms_and_resumes_exactly(tmp_path):
    """A finish phase adds its steps after the main ones; stopping before it and resuming gives the same model."""
    straight = tmp_path / "straight"
    train(config_from_dict(dict(TINY, steps=2, log_every=1, finish=FINISH)), straight)
    rows = [r for r in _rows(straight) if r["g_total"]]
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4]
    assert rows[1]["g_adv"] and rows[1]["g_detail"]  # the GAN phase
    assert not rows[2]["g_adv"] and not rows[2]["g_detail"] and not rows[2]["d_loss"]  # the finish phase
    assert float(rows[2]["lr_g"]) == pytest.approx(5e-4)  # a fresh optimiser at the finish lr
    assert torch.load(straight / "last.pt", weights_only=False)["step"] == 4

    split = tmp_path / "split"
    train(config_from_dict(dict(TINY, steps=2, log_every=1)), split)
    train(config_from_dict(dict(TINY, steps=2, log_every=1, finish=FINISH)), split, resume=True)
    assert (split / "config.before-resume-1.yaml").exists()  # the changed config did not overwrite the old one
    a = torch.load(straight / "last.pt", weights_only=False)["model"]
    b = torch.load(split / "last.pt", weights_only=False)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_unknown_finish_preset_writes_nothing(tmp_path):
    with pytest.raises(UsageError, match="preset"):
        train(config_from_dict(dict(TINY, finish={"steps": 2, "preset": "nope"})), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_finish_phase_continues_the_estimator_then_freezes_it(tmp_path):
    run = tmp_path / "run"
    cfg = dict(WIENER, steps=2, finish={"steps": 2, "kernel_steps": 2, "kernel_lr": 1e-2})
    train(config_from_dict(cfg), run)
    assert (run / "kernel_finish_metrics.csv").exists()
    phase1 = torch.load(run / "kernel.pt", weights_only=False)["model"]
    finished = torch.load(run / "kernel-finish.pt", weights_only=False)["model"]
    last = torch.load(run / "last.pt", weights_only=False)
    assert last["step"] == 4
    assert any(not torch.equal(phase1[k], finished[k]) for k in phase1), "the continuation changed nothing"
    # the refiner's finishing steps ran with the continued estimator, frozen
    assert all(torch.equal(v, last["model"]["estimator." + k]) for k, v in finished.items())


def test_init_starts_from_given_weights(tmp_path):
    """``init`` fine-tunes: the run's first validation is the given generator's, not a fresh one's."""
    first = tmp_path / "first"
    train(config_from_dict(dict(TINY, steps=2)), first)
    tuned = tmp_path / "tuned"
    train(config_from_dict(dict(TINY, steps=2, init=str(first / "last.pt"))), tuned)
    start = next(r for r in _rows(tuned) if r["step"] == "0" and r["val_qr_mae"])
    end = [r for r in _rows(first) if r["step"] == "2" and r["val_qr_mae"]][-1]
    assert start["val_qr_mae"] == end["val_qr_mae"]
