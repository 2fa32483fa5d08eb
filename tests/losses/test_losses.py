"""Loss modules: values on known inputs, weights, shapes, gradients, and their error messages."""

import re

import pytest
import torch
import torch.nn.functional as F

from qrdeblur.errors import UsageError
from qrdeblur.losses.adversarial import AdversarialLoss
from qrdeblur.losses.perceptual import DetailLoss
from qrdeblur.losses.pixel import L1Loss
from qrdeblur.losses.qr import BinaryLoss, EdgeLoss, sobel_gradients
from qrdeblur.models.paper import PaperDiscriminator
from qrdeblur.models.patchgan import PatchDiscriminator
from qrdeblur.models.vgg import VGG16Features


@pytest.fixture
def images():
    g = torch.Generator().manual_seed(0)
    sharp = (torch.rand(3, 1, 16, 16, generator=g) > 0.5).float()
    blurred = F.avg_pool2d(sharp, 3, stride=1, padding=1, count_include_pad=False)
    return sharp, blurred


def test_l1_loss(images):
    sharp, blurred = images
    assert L1Loss(1.0)(sharp, sharp) == 0
    expected = (sharp - blurred).abs().mean()
    assert torch.allclose(L1Loss(1.0)(blurred, sharp), expected)
    assert torch.allclose(L1Loss(2.5)(blurred, sharp), 2.5 * expected)
    assert L1Loss(0.3).weight == 0.3
    with pytest.raises(UsageError, match="shape"):
        L1Loss(1.0)(sharp, sharp[:, :, :8])


def test_binary_loss_prefers_the_right_target(images):
    sharp, _ = images
    logits = 4 * (2 * sharp - 1)  # confident and correct
    loss = BinaryLoss(1.0)
    right, wrong = loss(logits, sharp), loss(logits, 1 - sharp)
    assert right < 0.05 < 3 < wrong
    assert torch.allclose(BinaryLoss(0.2)(logits, sharp), 0.2 * right)
    assert loss(20 * (2 * sharp - 1), sharp) < 1e-6
    with pytest.raises(UsageError, match="BinaryLoss"):
        loss(logits, sharp[:1])


def test_sobel_gradients_of_a_ramp():
    ramp = torch.arange(8.0).repeat(8, 1).view(1, 1, 8, 8) / 8  # slope 1/8 along x
    g = sobel_gradients(ramp)
    assert g.shape == (1, 1, 2, 8, 8)
    # normalised Sobel of a slope-s ramp is s inside (central difference 2s, row weights 1+2+1, / 8)
    assert torch.allclose(g[0, 0, 0, 1:-1, 1:-1], torch.full((6, 6), 1 / 8))
    assert torch.allclose(g[0, 0, 0, :, 0], torch.full((8,), 1 / 16))  # replicated border: half a step
    assert torch.allclose(g[0, 0, 1], torch.zeros(8, 8))


def test_edge_loss(images):
    sharp, blurred = images
    edge = EdgeLoss(1.0)
    assert edge(sharp, sharp) == 0
    assert edge((sharp + 0.2) * 0.5, sharp * 0.5) < 1e-7  # a constant offset has no edges
    assert edge(blurred, sharp) > 0.01
    assert torch.allclose(EdgeLoss(3.0)(blurred, sharp), 3 * edge(blurred, sharp))


def test_pixel_and_qr_losses_backpropagate(images):
    sharp, blurred = images
    logits = torch.logit(blurred.clamp(0.05, 0.95)).requires_grad_(True)
    pred = torch.sigmoid(logits)
    total = L1Loss(1.0)(pred, sharp) + BinaryLoss(1.0)(logits, sharp) + EdgeLoss(1.0)(pred, sharp)
    total.backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0


def test_detail_loss_random_features(images):
    sharp, blurred = images
    loss = DetailLoss(1.0, weights="random")
    assert loss.random_features is True
    assert loss(sharp, sharp) == 0
    d = loss(blurred, sharp)
    assert d > 0 and torch.isfinite(d)
    assert torch.equal(DetailLoss(1.0, weights="random")(blurred, sharp), d)  # fixed seed
    assert torch.allclose(DetailLoss(0.5)(blurred, sharp), 0.5 * d)
    assert DetailLoss(1.0, distance="l1")(blurred, sharp) > 0
    rgb = DetailLoss(1.0)(blurred.expand(-1, 3, -1, -1), sharp.expand(-1, 3, -1, -1))
    assert torch.allclose(rgb, d)  # grey is repeated to RGB


def test_detail_loss_gradient_reaches_prediction_only(images):
    sharp, blurred = images
    loss = DetailLoss(1.0)
    pred = blurred.clone().requires_grad_(True)
    loss.train()
    assert not loss.vgg.training
    loss(pred, sharp).backward()
    assert torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0
    assert all(p.grad is None and not p.requires_grad for p in loss.vgg.parameters())


def test_detail_loss_max_images(images):
    sharp, blurred = images
    first = DetailLoss(1.0)(blurred[:1], sharp[:1])
    limited = DetailLoss(1.0, max_images=1)
    assert torch.allclose(limited(blurred, sharp), first)
    other = blurred.clone()
    other[1:] = 1 - other[1:]
    assert torch.allclose(limited(other, sharp), first)
    with pytest.raises(UsageError, match="max_images"):
        DetailLoss(1.0, max_images=0)


def test_detail_loss_weights_file(tmp_path, images):
    sharp, blurred = images
    missing = tmp_path / "vgg16-397923af.pth"
    with pytest.raises(UsageError, match=re.escape(f"VGG16 weights file not found: {missing}")):
        DetailLoss(1.0, weights=str(missing))
    torch.save(VGG16Features(generator=torch.Generator().manual_seed(9)).state_dict(), missing)
    loss = DetailLoss(1.0, weights=missing)
    assert loss.random_features is False
    assert loss(blurred, sharp) > 0
    assert not torch.equal(loss(blurred, sharp), DetailLoss(1.0)(blurred, sharp))  # not the seed-0 net


def test_detail_loss_refuses_bad_options():
    with pytest.raises(UsageError, match="distance"):
        DetailLoss(1.0, distance="cosine")
    with pytest.raises(UsageError, match="layer"):
        DetailLoss(1.0, layer="block5_conv3")


def test_wgan_losses_are_the_papers():
    d_real, d_fake = torch.tensor([[2.0], [4.0]]), torch.tensor([[1.0], [-3.0]])
    adv = AdversarialLoss("wgan", weight=0.5)
    assert adv.weight == 0.5
    assert torch.allclose(adv.generator_loss(d_fake), torch.tensor(0.5 * 1.0))  # 0.5 * mean(-D(G(x)))
    assert torch.allclose(adv.discriminator_loss(d_real, d_fake), torch.tensor(-1.0 - 3.0))  # unweighted


@pytest.mark.parametrize("kind", ["lsgan", "vanilla", "wgan", "wgan-gp"])
def test_discriminator_loss_rewards_telling_real_from_fake(kind):
    adv = AdversarialLoss(kind, weight=1.0)
    right = adv.discriminator_loss(torch.full((4, 1), 3.0), torch.full((4, 1), -3.0))
    swapped = adv.discriminator_loss(torch.full((4, 1), -3.0), torch.full((4, 1), 3.0))
    assert right < swapped
    # the generator's loss falls as D scores its output as more real
    assert adv.generator_loss(torch.full((4, 1), 1.0)) < adv.generator_loss(torch.full((4, 1), -3.0))


def test_lsgan_optimum_is_zero():
    adv = AdversarialLoss("lsgan", weight=2.0)
    assert adv.discriminator_loss(torch.ones(3, 1, 4, 4), torch.zeros(3, 1, 4, 4)) == 0
    assert adv.generator_loss(torch.ones(3, 1)) == 0
    assert torch.allclose(adv.generator_loss(torch.zeros(3, 1)), torch.tensor(2.0))


def test_unknown_kind():
    with pytest.raises(UsageError, match="wgan-gp"):
        AdversarialLoss("hinge")


def test_gradient_penalty_of_known_critics():
    adv = AdversarialLoss("wgan-gp", gp_weight=10.0)
    real, fake = torch.rand(4, 1, 8, 8), torch.rand(4, 1, 8, 8)
    w = torch.randn(1, 1, 8, 8)
    unit = w / w.norm()
    assert adv.gradient_penalty(lambda x: (x * unit).sum(dim=(1, 2, 3)), real, fake) < 1e-10  # |grad| = 1
    steep = adv.gradient_penalty(lambda x: (x * 3 * unit).sum(dim=(1, 2, 3)), real, fake)
    assert torch.allclose(steep, torch.tensor(10.0 * 4))  # |grad| = 3: 10 * (3 - 1)^2
    flat = adv.gradient_penalty(lambda x: 0 * x.sum(dim=(1, 2, 3)), real, fake)
    assert torch.allclose(flat, torch.tensor(10.0))  # |grad| = 0: 10 * (0 - 1)^2
    with pytest.raises(UsageError, match="real shape"):
        adv.gradient_penalty(lambda x: x, real, fake[:2])


@pytest.mark.parametrize("make_d", [
    lambda: PaperDiscriminator(width=0.125, in_channels=1, image_size=16),
    lambda: PatchDiscriminator(width=0.125, in_channels=1),
])
def test_gradient_penalty_trains_the_discriminator(make_d):
    torch.manual_seed(0)
    d = make_d()
    adv = AdversarialLoss("wgan-gp", gp_weight=10.0)
    real, fake = torch.rand(2, 1, 16, 16), torch.rand(2, 1, 16, 16, requires_grad=True)
    gp = adv.gradient_penalty(d, real, fake, generator=torch.Generator().manual_seed(1))
    assert gp.ndim == 0 and torch.isfinite(gp) and gp > 0
    (adv.discriminator_loss(d(real), d(fake.detach())) + gp).backward()
    assert fake.grad is None  # inputs are detached
    for name, p in d.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        if name.endswith("weight"):
            assert p.grad.abs().sum() > 0, name
    # same mixing ratios from the same RNG seed
    again = adv.gradient_penalty(d, real, fake, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(gp, again)
