"""QRUNet: any input size, same-shape logits, gradients to every parameter."""

import pytest
import torch

from qrdeblur.models.unet import QRUNet


@pytest.mark.parametrize("global_context", [False, True])
@pytest.mark.parametrize("size", [(37, 53), (80, 80), (9, 8)])
def test_qrunet_keeps_shape(size, global_context):
    net = QRUNet(width=8, global_context=global_context).eval()
    with torch.no_grad():
        y = net(torch.rand(2, 1, *size))
    assert y.shape == (2, 1, *size)
    assert torch.isfinite(y).all()


@pytest.mark.parametrize("global_context", [False, True])
def test_qrunet_backward_reaches_every_parameter(global_context):
    torch.manual_seed(0)
    net = QRUNet(width=8, global_context=global_context)
    x, target = torch.rand(2, 1, 37, 53), (torch.rand(2, 1, 37, 53) > 0.5).float()
    torch.nn.functional.binary_cross_entropy_with_logits(net(x), target).backward()
    for name, p in net.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("global_context", [False, True])
def test_global_context_lets_a_far_corner_change_the_output(global_context):
    """Without it the receptive field is local; with it a change anywhere reaches every pixel."""
    torch.manual_seed(0)
    net = QRUNet(width=4, levels=2, bottleneck_blocks=1, global_context=global_context).eval()
    x = torch.full((1, 1, 160, 160), 0.5)
    y = x.clone()
    y[..., :32, :32] = 1.0
    with torch.no_grad():
        changed = (net(x) - net(y))[..., -8:, -8:].abs().max().item()
    assert (changed > 0) == global_context, changed


@pytest.mark.parametrize("size", [(37, 53), (80, 80), (5, 9)])
def test_unshuffled_qrunet_keeps_shape_and_pixels_stay_distinct(size):
    torch.manual_seed(0)
    net = QRUNet(in_channels=2, width=8, levels=2, unshuffle=2)
    assert net.pad_multiple == 8
    x = torch.rand(2, 2, *size)
    y = net(x)
    assert y.shape == (2, 1, *size)
    y[0, 0, 0, 1].backward()  # one output pixel: the shuffle puts each head channel at its own place
    grads = [p.grad for p in net.head.parameters()]
    assert grads[0][1].abs().sum() > 0 and grads[0][0].abs().sum() == 0
