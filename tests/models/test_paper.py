"""The paper's generator and discriminator, and the PatchGAN: shapes, layout, init, gradients."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from qrdeblur.errors import UsageError
from qrdeblur.models.paper import (
    Conv2dSame,
    ConvTranspose2dSame,
    PaperDiscriminator,
    PaperGenerator,
    same_padding,
)
from qrdeblur.models.patchgan import PatchDiscriminator

TINY = 0.125  # 16 / 32 channels instead of 128 / 256


def _grads_ok(model: nn.Module) -> None:
    """Every parameter got a finite gradient, and every weight a non-zero one.

    (Conv biases right before a BatchNorm get an exactly cancelled, ~0 gradient, so only weights are
    required to be non-zero.)
    """
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        if name.endswith("weight"):
            assert p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("size", [(16, 16), (13, 17), (37, 53)])
@pytest.mark.parametrize("channels", [1, 3])
def test_generator_keeps_any_size(size, channels):
    g = PaperGenerator(width=TINY, in_channels=channels, out_channels=channels).eval()
    with torch.no_grad():
        y = g(torch.rand(2, channels, *size))
    assert y.shape == (2, channels, *size)
    assert torch.isfinite(y).all()


def test_generator_backward_reaches_every_parameter():
    torch.manual_seed(0)
    g = PaperGenerator(width=TINY).train()
    x, target = torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 16)
    F.binary_cross_entropy_with_logits(g(x), target).backward()
    _grads_ok(g)


def test_generator_layout_matches_paper_at_width_1():
    g = PaperGenerator()
    convs = [m for m in g.modules() if isinstance(m, nn.Conv2d) and not isinstance(m, nn.ConvTranspose2d)]
    deconvs = [m for m in g.modules() if isinstance(m, nn.ConvTranspose2d)]
    def spec(m):
        return m.in_channels, m.out_channels, m.kernel_size[0]

    assert [spec(c) for c in convs[:2]] == [(3, 128, 7), (128, 256, 3)]
    assert len(convs) == 2 + 2 * 9 and all(spec(c) == (256, 256, 3) for c in convs[2:])
    assert [spec(d) for d in deconvs] == [(256, 128, 4), (128, 3, 4)]
    assert all(m.stride == (1, 1) for m in convs + deconvs)  # nothing downsamples
    bns = [m for m in g.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(bns) == 2 + 2 * 9 + 2 and all(b.eps == 1e-5 for b in bns)
    assert sum(isinstance(m, nn.Dropout) and m.p == 0.5 for m in g.modules()) == 9

    def conv(cin, cout, k):
        return cin * cout * k * k + cout

    expected = (
        conv(3, 128, 7) + 2 * 128 + conv(128, 256, 3) + 2 * 256
        + 9 * 2 * (conv(256, 256, 3) + 2 * 256)
        + conv(256, 128, 4) + 2 * 128 + conv(128, 3, 4) + 2 * 3
    )  # fmt: skip
    assert sum(p.numel() for p in g.parameters()) == expected


def test_generator_dropout_only_in_training():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 12, 12)
    g = PaperGenerator(width=TINY)
    g.eval()
    with torch.no_grad():
        assert torch.equal(g(x), g(x))
        g.train()
        assert not torch.allclose(g(x), g(x))  # dropout 0.5 active
        g0 = PaperGenerator(width=TINY, dropout=0.0).train()
        assert torch.equal(g0(x), g0(x))


@pytest.mark.parametrize("std", [0.02, 0.002])
def test_generator_init(std):
    torch.manual_seed(0)
    g = PaperGenerator(width=0.25, init_std=std)
    w = g.blocks[0].conv1.weight  # 64 * 64 * 9 samples
    assert abs(w.std().item() / std - 1) < 0.05
    assert abs(w.mean().item()) < std * 0.05
    biases = [m.bias for m in g.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert all(torch.all(b == 0.1) for b in biases)


def test_generator_refuses_bad_width_and_dropout():
    with pytest.raises(UsageError, match="width"):
        PaperGenerator(width=0)
    with pytest.raises(UsageError, match="dropout"):
        PaperGenerator(width=TINY, dropout=1.0)


def test_same_padding_matches_tensorflow():
    # TF: out = ceil(n / s); total = max((out - 1) * s + k - n, 0); the smaller half goes first.
    assert same_padding(80, 4, 2) == (1, 1)
    assert same_padding(25, 4, 2) == (1, 2)
    assert same_padding(10, 4, 1) == (1, 2)
    assert same_padding(10, 7, 1) == (3, 3)
    assert same_padding(5, 1, 2) == (0, 0)
    conv = Conv2dSame(1, 1, 4, stride=2)
    assert conv(torch.rand(1, 1, 25, 80)).shape == (1, 1, 13, 40)


def test_transposed_conv_is_adjoint_of_tf_same_conv():
    # TF's conv2d_transpose(SAME) is the input-gradient of conv2d(SAME): <A x, y> == <x, A^T y>.
    torch.manual_seed(0)
    conv = Conv2dSame(2, 3, 4, bias=False).double()
    deconv = ConvTranspose2dSame(3, 2, 4, bias=False).double()
    with torch.no_grad():
        deconv.weight.copy_(conv.weight)  # both (3, 2, 4, 4)
        x, y = torch.rand(1, 2, 7, 9, dtype=torch.float64), torch.rand(1, 3, 7, 9, dtype=torch.float64)
        lhs, rhs = (conv(x) * y).sum(), (x * deconv(y)).sum()
    assert torch.allclose(lhs, rhs)


def test_transposed_conv_impulse_spreads_one_before_two_after():
    deconv = ConvTranspose2dSame(1, 1, 4, bias=False)
    with torch.no_grad():
        deconv.weight.fill_(1.0)
        x = torch.zeros(1, 1, 8, 8)
        x[0, 0, 3, 3] = 1.0
        rows, cols = torch.nonzero(deconv(x)[0, 0], as_tuple=True)
    assert sorted(set(rows.tolist())) == [2, 3, 4, 5]
    assert sorted(set(cols.tolist())) == [2, 3, 4, 5]


@pytest.mark.parametrize("size", [32, (24, 40), 37])
def test_discriminator_scores_each_image(size):
    d = PaperDiscriminator(width=TINY, image_size=size)
    hw = (size, size) if isinstance(size, int) else size
    out = d(torch.rand(3, 3, *hw))
    assert out.shape == (3, 1)
    assert torch.isfinite(out).all()


def test_discriminator_refuses_other_sizes():
    d = PaperDiscriminator(width=TINY, image_size=32)
    with pytest.raises(UsageError, match="image_size"):
        d(torch.rand(1, 3, 16, 16))
    with pytest.raises(UsageError, match="image_size"):
        PaperDiscriminator(image_size=0)


def test_discriminator_backward_reaches_every_parameter():
    torch.manual_seed(0)
    d = PaperDiscriminator(width=TINY, in_channels=1, image_size=16, norm=True)
    d(torch.rand(2, 1, 16, 16)).pow(2).mean().backward()
    _grads_ok(d)


def test_discriminator_layout_at_width_1():
    d = PaperDiscriminator(image_size=80)
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size[0], c.stride[0]) for c in convs] == [
        (64, 4, 2), (128, 4, 2), (256, 4, 2), (512, 4, 1), (1, 4, 1)
    ]  # fmt: skip
    assert not any(isinstance(m, nn.BatchNorm2d) for m in d.modules())
    assert sum(isinstance(m, nn.LeakyReLU) and m.negative_slope == 0.2 for m in d.modules()) == 7
    fcs = [m for m in d.modules() if isinstance(m, nn.Linear)]
    assert [(f.in_features, f.out_features) for f in fcs] == [(10 * 10, 1024), (1024, 1024), (1024, 1)]
    normed = PaperDiscriminator(width=TINY, image_size=80, norm=True)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in normed.modules()) == 3


@pytest.mark.parametrize("size", [(16, 16), (37, 53)])
def test_patch_discriminator_is_fully_convolutional(size):
    d = PatchDiscriminator(width=TINY, in_channels=1)
    out = d(torch.rand(2, 1, *size))
    assert out.shape == (2, 1, -(-size[0] // 8), -(-size[1] // 8))
    out.pow(2).mean().backward()
    _grads_ok(d)


def test_patch_discriminator_norm_and_layers():
    d = PatchDiscriminator(width=TINY, n_layers=2, norm=True)
    assert sum(isinstance(m, nn.InstanceNorm2d) for m in d.modules()) == 2
    assert d(torch.rand(1, 3, 16, 16)).shape == (1, 1, 4, 4)
    with pytest.raises(UsageError, match="n_layers"):
        PatchDiscriminator(n_layers=0)
