"""wiener-qrunet: shapes, gradients only into the refiner once frozen, estimator stays in eval mode."""

import torch

from qrdeblur.models.kernelnet import KernelNet
from qrdeblur.models.registry import create_model

TINY = {"kernel": {"width": 4, "hidden": 8}, "refiner": {"width": 8, "levels": 2, "bottleneck_blocks": 1,
                                                         "unshuffle": 2}}


def test_kernelnet_shapes_and_gradients():
    net = KernelNet(width=4, hidden=8)
    x = torch.randn(3, 2, 80, 80, requires_grad=True)
    y = net(x)
    assert y.shape == (3, 3)
    y.sum().backward()
    assert x.grad is not None and all(p.grad is not None for p in net.parameters())


def test_forward_any_size_and_frozen_estimator():
    torch.manual_seed(0)
    g = create_model("wiener-qrunet", **TINY)
    assert g.pad_multiple == 8
    g.freeze_estimator()
    g.train()
    assert not g.estimator.training and g.refiner.training
    bn = next(m for m in g.estimator.modules() if isinstance(m, torch.nn.BatchNorm2d))
    stats = bn.running_mean.clone()
    x = torch.rand(2, 1, 37, 53)
    out = g(x)
    assert out.shape == x.shape
    out.mean().backward()
    assert torch.equal(bn.running_mean, stats)
    assert all(p.grad is None for p in g.estimator.parameters())
    assert all(p.grad is not None for p in g.refiner.parameters())


def test_refiner_sees_wiener_and_blurred():
    torch.manual_seed(0)
    g = create_model("wiener-qrunet", **TINY).eval()
    x = torch.rand(1, 1, 80, 80)
    inp = g.refiner_input(x)
    assert inp.shape == (1, 2, 80, 80)
    assert torch.equal(inp[:, 1:], x) and not torch.equal(inp[:, :1], x)


def test_kernelnet_may_also_estimate_a_disk_and_grows_from_a_three_output_estimator():
    import pytest

    from qrdeblur.models.checkpoint import load_initial_state

    x = torch.randn(2, 2, 80, 80)
    assert KernelNet(width=4, hidden=8, outputs=4)(x).shape == (2, 4)
    with pytest.raises(ValueError):
        KernelNet(outputs=5)
    torch.manual_seed(0)
    old = create_model("wiener-qrunet", kernel={"width": 4, "hidden": 8}, refiner={"width": 8, "levels": 2})
    new = create_model(
        "wiener-qrunet", kernel={"width": 4, "hidden": 8, "outputs": 4}, refiner={"width": 8, "levels": 2}
    )
    fresh_row = new.estimator.head[-1].weight[3].clone()
    grown = load_initial_state(new, old.state_dict())
    assert grown == ["estimator.head.3.weight", "estimator.head.3.bias"]
    old.eval(), new.eval()
    with torch.no_grad():  # the first three outputs are the old estimator's, the fourth starts fresh
        torch.testing.assert_close(new.estimator(x)[:, :3], old.estimator(x))
    torch.testing.assert_close(new.estimator.head[-1].weight[3], fresh_row)
    narrow = create_model("wiener-qrunet", kernel={"width": 4, "hidden": 8}, refiner={"width": 4, "levels": 2})
    with pytest.raises(RuntimeError):  # other shape changes are refused
        load_initial_state(narrow, old.state_dict())
