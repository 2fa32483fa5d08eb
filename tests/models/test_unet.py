"""QRUNet: any input size, same-shape logits, gradients to every parameter."""

import pytest
import torch

from qrdeblur.models.unet import QRUNet


@pytest.mark.parametrize("size", [(37, 53), (80, 80), (9, 8)])
def test_qrunet_keeps_shape(size):
    net = QRUNet(width=8).eval()
    with torch.no_grad():
        y = net(torch.rand(2, 1, *size))
    assert y.shape == (2, 1, *size)
    assert torch.isfinite(y).all()


def test_qrunet_backward_reaches_every_parameter():
    torch.manual_seed(0)
    net = QRUNet(width=8)
    x, target = torch.rand(2, 1, 37, 53), (torch.rand(2, 1, 37, 53) > 0.5).float()
    torch.nn.functional.binary_cross_entropy_with_logits(net(x), target).backward()
    for name, p in net.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name
