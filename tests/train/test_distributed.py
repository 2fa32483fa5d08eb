"""Two CPU processes (gloo) train one model with DistributedDataParallel; rank 0 alone writes the run folder."""

import csv
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import yaml

import qrdeblur
from qrdeblur.errors import UsageError
from qrdeblur.models.checkpoint import load_generator
from qrdeblur.train import distributed
from qrdeblur.train.config import config_from_dict
from qrdeblur.train.trainer import _batches, _loader, build_generator, train

TINY = {
    "seed": 0,
    "steps": 4,
    "threads": 1,
    "log_every": 2,
    "checkpoint_every": 2,
    "generator": {"name": "qrunet", "args": {"width": 4, "bottleneck_blocks": 1}},
    "discriminator": {"name": "patch-d", "args": {"in_channels": 1, "width": 0.0625}},
    "data": {"preset": "default", "size": 32, "batch_size": 2, "workers": 0},
    "loss": {"l1": 1.0, "binary": 1.0, "adversarial": {"kind": "lsgan", "weight": 0.01, "start_step": 1}},
    "val": {"every": 2, "count": 2, "sample_count": 1},
}


def _env() -> dict:
    env = dict(os.environ)
    src = str(Path(qrdeblur.__file__).resolve().parents[1])  # the processes import this very package
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    env[distributed.BACKEND_ENV] = "gloo"  # CPU processes even where GPUs are present
    env["OMP_NUM_THREADS"] = "1"
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    return env


def _run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, f"{shlex.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


def _write_config(path: Path, values: dict) -> Path:
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    return path


def _rows(run: Path) -> list[dict]:
    with open(run / "metrics.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _loss_steps(run: Path) -> list[int]:
    return [int(r["step"]) for r in _rows(run) if r["g_total"]]


def test_two_processes_write_once_save_plain_weights_and_resume(tmp_path):
    run = tmp_path / "run"
    cfg4 = _write_config(tmp_path / "tiny.yaml", TINY)
    _run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            "-m",
            "qrdeblur", "train",
            "--config",
            str(cfg4),
            "--out",
            str(run),
        ],
        tmp_path,
    )

    ck = torch.load(run / "last.pt", map_location="cpu", weights_only=False)
    assert ck["step"] == 4 and ck["world_size"] == 2
    for key in ("model", "discriminator"):
        assert ck[key] and not [k for k in ck[key] if k.startswith("module.")], key
    fresh = build_generator(config_from_dict(TINY))
    fresh.load_state_dict(ck["model"])  # strict: every name matches the plain generator's
    assert load_generator(run / "best.pt")(torch.rand(1, 1, 21, 27)).shape == (1, 1, 21, 27)

    # only rank 0 wrote: one header, each logged step once, one start recorded
    lines = (run / "metrics.csv").read_text(encoding="utf-8").splitlines()
    assert sum(line.startswith("step,") for line in lines) == 1
    assert _loss_steps(run) == [2, 4]
    assert [int(r["step"]) for r in _rows(run) if r["val_decode_rate"]] == [0, 2, 4]
    commands = (run / "command.txt").read_text(encoding="utf-8").splitlines()
    assert len(commands) == 1 and commands[0].startswith("torchrun --nproc_per_node 2 -m qrdeblur train --config")
    entries = [json.loads(x) for x in (run / "environment.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["world_size"] for e in entries] == [2]

    # the same config on one process: the same start (the same first validation), other steps (the
    # second process's pairs enter the averaged gradients and the logged losses)
    single = tmp_path / "single"
    train(config_from_dict(TINY), single)
    assert json.loads((single / "environment.jsonl").read_text(encoding="utf-8"))["world_size"] == 1
    first = {name: _rows(name)[0] for name in (run, single)}
    assert first[run]["val_qr_mae"] == first[single]["val_qr_mae"]
    step2 = {name: next(r for r in _rows(name) if r["g_total"]) for name in (run, single)}
    assert float(step2[run]["g_l1"]) != pytest.approx(float(step2[single]["g_l1"]), abs=1e-6)
    one = torch.load(single / "last.pt", map_location="cpu", weights_only=False)["model"]
    assert any(not torch.equal(one[k], ck["model"][k]) for k in one)

    # resume through `qrdeblur train --nproc 2`: every process loads last.pt and goes on to step 6
    cfg6 = _write_config(tmp_path / "tiny6.yaml", dict(TINY, steps=6))
    _run(
        [
            sys.executable,
            "-m",
            "qrdeblur.cli",
            "train",
            "--config",
            str(cfg6),
            "--out",
            str(run),
            "--resume",
            "--nproc",
            "2",
        ],
        tmp_path,
    )
    after = torch.load(run / "last.pt", map_location="cpu", weights_only=False)
    assert after["step"] == 6
    assert any(not torch.equal(ck["model"][k], after["model"][k]) for k in ck["model"])
    assert _loss_steps(run) == [2, 4, 6]
    assert len((run / "command.txt").read_text(encoding="utf-8").splitlines()) == 2
    assert len((run / "environment.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def test_single_process_is_left_alone(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    ctx = distributed.init()
    assert (ctx.rank, ctx.world_size, ctx.device.type, ctx.enabled, ctx.is_main) == (0, 1, "cpu", False, True)
    assert not torch.distributed.is_initialized()
    m = torch.nn.Linear(2, 2)
    assert distributed.wrap(m, ctx) is m and distributed.unwrap(m) is m
    assert distributed.average({"a": 1.5}, ctx) == {"a": 1.5}
    assert distributed.any_rank(True, ctx) and not distributed.any_rank(False, ctx)
    assert distributed.command_line(ctx) == shlex.join(sys.argv)
    monkeypatch.setenv("WORLD_SIZE", "1")  # torchrun with one process: a plain run too
    monkeypatch.setenv("RANK", "0")
    assert not distributed.init().enabled


def test_each_rank_draws_its_own_pairs():
    cfg = config_from_dict(TINY)
    plain = next(iter(_loader(cfg, 0, None)))[0]
    rank0 = next(iter(_loader(cfg, 0, None, rank=0, world_size=2)))[0]
    rank1 = next(iter(_loader(cfg, 0, None, rank=1, world_size=2)))[0]
    assert torch.equal(plain, rank0)  # rank 0 draws what a single process draws
    assert not torch.equal(rank0, rank1)


def test_each_rank_reads_its_own_share_of_a_folder(tmp_path):
    for sub in ("sharp", "blurred"):
        (tmp_path / sub).mkdir()
        for i in range(8):  # image i is filled with the value i: a batch names the pairs it holds
            cv2.imwrite(str(tmp_path / sub / f"{i:02d}.png"), np.full((4, 4), i, np.uint8))
    cfg = config_from_dict(dict(TINY, data=dict(TINY["data"], synth_dir=str(tmp_path))))

    def epochs(rank: int) -> list[set[int]]:
        batches = _batches(_loader(cfg, 0, None, rank=rank, world_size=2))
        drawn = [next(batches)[0][:, 0, 0, 0].mul(255).round().int().tolist() for _ in range(4)]
        return [set(drawn[0] + drawn[1]), set(drawn[2] + drawn[3])]  # 4 pairs per rank per epoch

    rank0, rank1 = epochs(0), epochs(1)
    for a, b in zip(rank0, rank1, strict=True):
        assert len(a) == len(b) == 4 and a | b == set(range(8))  # the ranks split each epoch
    assert rank0[0] != rank0[1]  # and draw a new split every epoch


def test_nproc_inside_torchrun_is_refused(monkeypatch):
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(UsageError, match="torchrun"):
        distributed.launch(2, ["--config", "c.yaml"])
