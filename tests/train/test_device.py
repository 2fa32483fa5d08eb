"""The config's ``device``: cpu and auto (without CUDA) train on the CPU; cuda without a GPU is refused."""

import pytest
import torch

from qrdeblur.bench.paper_table import resolve_device as table_device
from qrdeblur.errors import UsageError
from qrdeblur.train import distributed
from qrdeblur.train.config import config_from_dict
from qrdeblur.train.trainer import train

ONE_STEP = {
    "seed": 0,
    "steps": 1,
    "threads": 1,
    "generator": {"name": "qrunet", "args": {"width": 4, "bottleneck_blocks": 1}},
    "discriminator": {"name": "patch-d", "args": {"in_channels": 1, "width": 0.0625}},
    "data": {"preset": "default", "size": 32, "batch_size": 2, "workers": 0},
    "loss": {"l1": 1.0, "detail": {"weight": 0.05, "weights": "random", "max_images": 1},
             "adversarial": {"kind": "lsgan", "weight": 0.01}},
    "val": {"every": 1, "count": 2, "sample_count": 1},
}


@pytest.fixture()
def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.mark.parametrize("device", ["cpu", "auto"])
def test_cpu_and_auto_without_cuda_train_on_the_cpu(tmp_path, no_cuda, device):
    result = train(config_from_dict(dict(ONE_STEP, device=device)), tmp_path / "run")
    assert result["step"] == 1
    ck = torch.load(tmp_path / "run" / "last.pt", weights_only=False)  # no map_location: CPU tensors
    assert ck["config"]["device"] == device and ck["cuda_rng"] is None
    assert all(t.device.type == "cpu" for t in ck["model"].values())
    assert '"device": "cpu"' in (tmp_path / "run" / "environment.jsonl").read_text(encoding="utf-8")


def test_resolve_device(no_cuda):
    assert distributed.resolve_device("cpu").type == "cpu"
    assert distributed.resolve_device("auto").type == "cpu"
    assert distributed.init("auto").device.type == "cpu"
    with pytest.raises(UsageError, match="no CUDA"):
        distributed.resolve_device("cuda")
    with pytest.raises(UsageError, match="choose one of"):
        distributed.resolve_device("gpu")
    assert table_device("auto") == "cpu"
    with pytest.raises(UsageError):
        table_device("cuda")


def test_cuda_without_a_gpu_writes_nothing(tmp_path, no_cuda):
    with pytest.raises(UsageError, match="no CUDA"):
        train(config_from_dict(dict(ONE_STEP, device="cuda")), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_to_cpu_keeps_a_state_dicts_type_and_metadata():
    from collections import OrderedDict

    from qrdeblur.train.trainer import _to_cpu

    m = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
    state = m.state_dict()
    copy = _to_cpu(state)
    assert isinstance(copy, OrderedDict) and copy._metadata == state._metadata
    assert all(torch.equal(copy[k], state[k]) for k in state)
    opt = torch.optim.Adam(m.parameters())
    m(torch.rand(2, 1, 5, 5)).sum().backward()
    opt.step()
    again = torch.optim.Adam(m.parameters())
    again.load_state_dict(_to_cpu(opt.state_dict()))
    m.load_state_dict(copy)
